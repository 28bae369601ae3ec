"""dr.basins against independent answers: closed-form boundaries, the logistic cascade, an exact
symmetry, the Hénon attractor, a network trained in PyTorch."""
import math

import numpy as np
import pytest
from scipy.optimize import brentq

import dynrnn as dr
from dynrnn.analysis.basins import ON_UNSTABLE, wilson_interval
from tests.analysis.finite_results import every_result_finite  # noqa: F401 (checks every result)
from tests.problems import henon_map, logistic_map, logistic_two_cycle, one_unit


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def one_unit_roots(w, b):
    """The three fixed points of x = w σ(x) + b by bracketing on a fine grid (no dynrnn)."""
    g = lambda x: w * sigmoid(x) + b - x                      # noqa: E731
    xs = np.linspace(-20, 20, 40001)
    v = g(xs)
    return [brentq(g, xs[i], xs[i + 1], xtol=1e-15) for i in np.flatnonzero(v[:-1] * v[1:] < 0)]


def test_bistable_one_unit_fractions_are_exact():
    w, b = 5.0, -2.45
    low, middle, high = one_unit_roots(w, b)
    net = one_unit(w, b)
    result = dr.basins(net, grid=400, box=([-6.0], [6.0]), progress=False)
    assert result.success and result.n_attractors == 2
    grid = result.grid[0]
    # which attractor is the upper one
    upper = int(np.argmax([a.x[0] for a in result.attractors]))
    np.testing.assert_allclose(sorted(a.x[0] for a in result.attractors), [low, high],
                               atol=1e-12)
    expected = np.where(grid > middle, upper, 1 - upper)
    np.testing.assert_array_equal(result.labels, expected)
    assert result.fractions[upper] == np.count_nonzero(grid > middle) / grid.size
    # the exact 1-D boundary is the unstable fixed point; bisection agrees
    np.testing.assert_allclose(result.exact_boundary, [middle], atol=1e-12)
    np.testing.assert_allclose(result.boundary_points[:, 0], middle, atol=1e-9)
    assert result.saddles and abs(result.saddles[0].x[0] - middle) < 1e-10
    # the saddle joins the two attractors in the graph
    assert set(result.graph["S0"]) == {"A0", "A1"}
    assert all(a.refined and a.stable and a.kind is dr.AttractorKind.FIXED_POINT
               for a in result.attractors)


def test_bistable_sampled_states_labelled_by_side_of_the_unstable_point():
    w, b = 5.0, -2.6
    low, middle, high = one_unit_roots(w, b)
    result = dr.basins(one_unit(w, b), n_samples=3000, box=([-8.0], [8.0]), seed=3,
                       boundaries=False, progress=False)
    upper = int(np.argmax([a.x[0] for a in result.attractors]))
    above = result.initial_states[:, 0] > middle
    np.testing.assert_array_equal(result.labels == upper, above)
    lo, hi = result.intervals[upper]
    exact = (8.0 - middle) / 16.0                      # the fraction of the interval above
    assert lo <= exact <= hi


@pytest.mark.parametrize("r, period", [(2.8, 1), (3.2, 2), (3.5, 4), (3.55, 8)])
def test_logistic_single_attractor_with_the_cascade_period(r, period):
    result = dr.basins(logistic_map(r), grid=301, box=([0.0], [1.0]), boundaries=False,
                       progress=False)
    assert result.n_attractors == 1
    attractor = result.attractors[0]
    assert attractor.period == period and attractor.refined and attractor.stable
    # the ends 0 and 1 land on the unstable fixed point 0: measure zero, not an attractor
    assert set(np.unique(result.labels)) <= {0, ON_UNSTABLE}
    if period == 2:
        points, multiplier = logistic_two_cycle(r)
        np.testing.assert_allclose(np.sort(attractor.states[:, 0]), points, atol=1e-12)
        np.testing.assert_allclose(attractor.multipliers.real, [multiplier], atol=1e-10)


def test_symmetric_two_unit_network_has_exactly_equal_basins():
    # F(-x) = -F(x): the basins of the two stable fixed points ±p are mirror images
    net = dr.RNN([[1.5, 1.0], [1.0, 1.5]], activation="tanh")
    result = dr.basins(net, grid=151, box=([-3.0, -3.0], [3.0, 3.0]), progress=False)
    assert result.n_attractors == 2
    np.testing.assert_allclose(result.attractors[0].x, -result.attractors[1].x, atol=1e-12)
    counts = [np.count_nonzero(result.labels == k) for k in (0, 1)]
    assert counts[0] == counts[1]
    assert result.fractions[0] == result.fractions[1]
    mirrored = result.labels[::-1, ::-1]
    swapped = np.where(mirrored >= 0, 1 - mirrored, mirrored)
    np.testing.assert_array_equal(result.labels, swapped)
    # the origin is the saddle on the common boundary (the line x1 = -x2)
    saddle = result.saddles[0]
    np.testing.assert_allclose(saddle.x, 0.0, atol=1e-12)
    assert result.graph.nodes["S0"]["separates"] in ([0, 1], [1, 0])
    np.testing.assert_allclose(result.boundary_points.sum(axis=1), 0.0, atol=1e-6)


@pytest.mark.parametrize("lyapunov_steps, tolerance", [
    (1000, 0.005), pytest.param(10000, 0.002, marks=pytest.mark.slow)])
def test_henon_is_chaotic_with_the_known_exponent(lyapunov_steps, tolerance):
    options = dr.BasinsOptions(lyapunov_steps=lyapunov_steps, max_steps=500)
    result = dr.basins(henon_map(), n_samples=300, box=([-2.0, -2.0], [2.0, 2.0]),
                       options=options, boundaries=False, progress=False)
    kinds = sorted(a.kind.value for a in result.attractors)
    assert kinds == ["chaotic", "divergence"]
    chaotic = next(a for a in result if a.kind is dr.AttractorKind.CHAOTIC)
    # 0.419 (J. C. Sprott, Chaos and Time-Series Analysis, 2003, table of exponents)
    assert abs(chaotic.lyapunov - 0.419) < tolerance
    assert chaotic.states.shape[0] > 1000 and np.all(np.abs(chaotic.states[:, 0]) < 1.3)


@pytest.mark.slow
def test_henon_escape_fraction_converges():
    box = ([-2.0, -2.0], [2.0, 2.0])
    fractions, widths = [], []
    for n in (1000, 4000, 16000):
        result = dr.basins(henon_map(), n_samples=n, box=box, seed=n, boundaries=False,
                           progress=False)
        k = next(i for i, a in enumerate(result) if a.kind is dr.AttractorKind.DIVERGENCE)
        fractions.append(result.fractions[k])
        widths.append(np.ptp(result.intervals[k]))
    # intervals shrink like 1/sqrt(N) and the estimates agree within them
    np.testing.assert_allclose(widths[1] / widths[0], 0.5, atol=0.05)
    np.testing.assert_allclose(widths[2] / widths[1], 0.5, atol=0.05)
    assert abs(fractions[2] - fractions[1]) < widths[1]
    assert abs(fractions[1] - fractions[0]) < widths[0]


def test_wilson_interval_against_the_formula():
    n, k, z = 200, 37, 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    np.testing.assert_allclose(wilson_interval(k, n), [centre - half, centre + half],
                               rtol=1e-12)


def test_map_that_diverges_everywhere_fails():
    net = dr.RNN([[2.0]], activation="identity")           # x -> 2x
    result = dr.basins(net, grid=100, box=([-1.0], [1.0]), progress=False)
    assert not result.success and result.status is dr.BasinsStatus.ALL_DIVERGED
    with pytest.raises(dr.ConvergenceError) as info:
        dr.basins(net, grid=100, box=([-1.0], [1.0]), progress=False, raise_on_failure=True)
    assert info.value.result.status is dr.BasinsStatus.ALL_DIVERGED


def test_cycle_of_a_2d_map_refined_by_newton():
    from tests.problems import henon_two_cycle
    a, b = 0.6, 0.3                                      # a stable 2-cycle (0.3675 < a < 0.9125)
    result = dr.basins(henon_map(a, b), n_samples=500, box=([-1.0, -1.0], [1.0, 1.0]),
                       boundaries=False, progress=False)
    cycle = next(x for x in result if x.kind is dr.AttractorKind.CYCLE)
    expected, multipliers = henon_two_cycle(a, b)
    assert cycle.period == 2 and cycle.refined and cycle.residual < 1e-12
    got = cycle.states[np.argsort(cycle.states[:, 0])]
    want = np.asarray(expected)[np.argsort(np.asarray(expected)[:, 0])]
    np.testing.assert_allclose(got, want, atol=1e-12)
    # the multipliers: eigenvalues of the closed-form 2-step Jacobian
    np.testing.assert_allclose(np.sort_complex(cycle.multipliers), np.sort_complex(multipliers),
                               atol=1e-12)
    assert cycle.lyapunov == pytest.approx(np.log(np.abs(multipliers).max()) / 2, abs=1e-12)


def test_result_saves_loads_and_prints(tmp_path):
    result = dr.basins(one_unit(5.0, -2.45), grid=50, box=([-6.0], [6.0]), progress=False)
    path = dr.save(result, tmp_path / "basins.npz")
    loaded = dr.load(path)
    np.testing.assert_array_equal(loaded.labels, result.labels)
    assert loaded.attractors[0].kind is result.attractors[0].kind
    assert set(loaded.graph.edges) == set(result.graph.edges)
    text = repr(loaded)
    assert "2 attractor(s)" in text and len(text) < 400 and "array" not in text
    # a search from an ensemble is never exhaustive, and the result says so
    assert not loaded.exhaustive and "not exhaustive" in loaded.note
    assert "from 50 initial states" in loaded.note
    from dynrnn.cli.common import status_line
    assert "not exhaustive" in status_line(loaded)


def test_chunks_give_the_same_labels():
    net = dr.RNN([[2.0, 0.3], [-0.2, 2.0]], b=[0.1, -0.2], activation="tanh")
    box = ([-3.0, -3.0], [3.0, 3.0])
    whole = dr.basins(net, grid=60, box=box, boundaries=False, progress=False)
    chunked = dr.basins(net, grid=60, box=box, boundaries=False, progress=False,
                        options=dr.BasinsOptions(chunk_size=97))
    assert whole.n_attractors == chunked.n_attractors == 4
    # identities may be numbered differently: compare the partitions through the attractors
    map_ = {i: min(range(4), key=lambda j: np.abs(chunked[j].x - whole[i].x).max())
            for i in range(4)}
    np.testing.assert_array_equal(np.vectorize(map_.get)(whole.labels), chunked.labels)


def test_trained_torch_rnn_end_to_end():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    module = torch.nn.RNN(1, 2, nonlinearity="tanh", batch_first=True).double()
    with torch.no_grad():
        module.weight_hh_l0.copy_(torch.tensor([[2.5, 0.3], [-0.2, 2.2]], dtype=torch.float64))
        module.bias_hh_l0.zero_()
        module.bias_ih_l0.zero_()
    optimiser = torch.optim.SGD(module.parameters(), lr=0.05)
    inputs = torch.randn(8, 10, 1, dtype=torch.float64)
    for _ in range(20):                                  # a little training, seeded
        optimiser.zero_grad()
        out, _ = module(inputs)
        loss = ((out[:, -1, 0] - inputs[:, 0, 0].sign()) ** 2).mean()
        loss.backward()
        optimiser.step()
    net = dr.RNN.from_torch(module)
    result = dr.basins(net, n_samples=300, box=([-3.0, -3.0], [3.0, 3.0]), progress=False)
    assert result.success and result.n_attractors == 4
    assert len(result.saddles) == 4 and result.graph.number_of_edges() >= 4
    W = module.weight_hh_l0.detach()
    bias = (module.bias_ih_l0 + module.bias_hh_l0).detach()
    # every fixed-point attractor is a fixed point of torch's cell, h* = tanh(x*)
    for attractor in result:
        h = torch.tanh(torch.tensor(np.array(attractor.x)))
        np.testing.assert_allclose(torch.tanh(W @ h + bias).numpy(), h.numpy(), atol=1e-12)
    # and torch, iterated from h0 = tanh(x0), ends on the attractor of the label
    h = torch.tanh(torch.as_tensor(result.initial_states))
    for _ in range(400):
        h = torch.tanh(h @ W.T + bias)
    ends = np.stack([np.tanh(a.x) for a in result])
    nearest = np.argmin(np.abs(h.numpy()[:, None, :] - ends[None]).max(axis=2), axis=1)
    resolved = result.labels >= 0
    assert np.mean(nearest[resolved] == result.labels[resolved]) == 1.0


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_gated_network_against_torch(kind):
    if not hasattr(dr, "GRU"):
        pytest.skip("the gated cells (dr.GRU, dr.LSTM) are not in this branch yet")
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    module = getattr(torch.nn, kind)(1, 2, batch_first=True).double()
    with torch.no_grad():        # a strong self-excitation of the candidate/cell: bistable units
        for name, weight in module.named_parameters():
            if name.startswith("weight_hh"):
                block = weight.shape[0] // (3 if kind == "GRU" else 4)
                start = 2 * block
                weight[start:start + block] += 4.0 * torch.eye(2, dtype=torch.float64)
    net = dr.from_torch(module)
    n = net.n_states
    result = dr.basins(net, n_samples=200, box=(-np.ones(n), np.ones(n)), progress=False,
                       boundaries=False)
    assert result.success and result.n_attractors >= 2
    for attractor in result:                            # fixed points of the map
        np.testing.assert_allclose(net.step(attractor.x), attractor.x, atol=1e-10)
    # torch's own module, run from the same initial states with zero input, ends on the
    # attractor of each label (h is the first half of an LSTM state [h, c])
    states = torch.tensor(result.initial_states)
    hidden = states[None] if kind == "GRU" else (states[None, :, :2].contiguous(),
                                                 states[None, :, 2:].contiguous())
    with torch.no_grad():
        _, last = module(torch.zeros(len(states), 400, 1, dtype=torch.float64), hidden)
    end = (last if kind == "GRU" else last[0])[0].numpy()
    ends = np.stack([a.x[:2] for a in result])
    nearest = np.argmin(np.abs(end[:, None, :] - ends[None]).max(axis=2), axis=1)
    resolved = result.labels >= 0
    np.testing.assert_array_equal(nearest[resolved], result.labels[resolved])


def test_chunks_through_a_sweep_give_the_same_labels():
    net = dr.RNN([[2.0, 0.3], [-0.2, 2.0]], b=[0.1, -0.2], activation="tanh")
    options = dr.BasinsOptions(chunk_size=500)
    box = ([-3.0, -3.0], [3.0, 3.0])
    here = dr.basins(net, grid=50, box=box, options=options, progress=False)
    swept = dr.basins(net, grid=50, box=box, options=options, progress=False,
                      executor="serial")
    np.testing.assert_array_equal(here.labels, swept.labels)
    np.testing.assert_array_equal(here.fractions, swept.fractions)


def test_many_units_with_gaussian_samples():
    rng = np.random.default_rng(0)
    W = 1.5 * np.eye(5) + 0.2 * rng.standard_normal((5, 5))
    net = dr.RNN(W, activation="tanh")
    result = dr.basins(net, n_samples=400, sampling="gaussian", spread=0.2, progress=False,
                       box=(-2 * np.ones(5), 2 * np.ones(5)), seed=1)
    assert result.success and result.n_attractors >= 2 and result.initial_states.shape == (400, 5)
    np.testing.assert_allclose(result.fractions.sum() + result.unresolved_fraction, 1.0)
    for attractor in result:
        np.testing.assert_allclose(net.step(attractor.states[0]),
                                   attractor.states[1 % attractor.states.shape[0]], atol=1e-10)


def test_interruption_keeps_the_finished_chunks(monkeypatch):
    import importlib
    module = importlib.import_module("dynrnn.analysis.basins")   # (the name is the function)
    settle = module.Ensemble.settle
    calls = {"n": 0}

    def interrupted_on_the_third_chunk(self, x0, max_steps=None):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt                  # Ctrl-C while the third chunk runs
        return settle(self, x0, max_steps)

    monkeypatch.setattr(module.Ensemble, "settle", interrupted_on_the_third_chunk)
    net = one_unit(2.0, 0.0, "tanh")
    result = dr.basins(net, grid=400, box=([-3.0], [3.0]), progress=False,
                       options=dr.BasinsOptions(chunk_size=100))
    assert result.status is dr.BasinsStatus.INTERRUPTED and not result.success
    done = result.labels >= 0
    assert done[:200].all() and not done[200:].any()
    # what was finished is right: the side of 0 decides the attractor
    signs = np.sign([result.attractors[k].x[0] for k in result.labels[done]])
    np.testing.assert_array_equal(signs, np.sign(result.grid[0][done]))


def test_invariant_circle_is_quasi_periodic():
    import sympy as sp
    # a rotation by 1 radian (an irrational turn) with a radial contraction onto r = sqrt(3):
    # every orbit fills the circle densely, the largest exponent is 0
    x, y, rho, angle = sp.symbols("x y rho angle")
    scale = rho / sp.sqrt(1 + x ** 2 + y ** 2)
    circle = dr.Map.from_sympy([scale * (sp.cos(angle) * x - sp.sin(angle) * y),
                                scale * (sp.sin(angle) * x + sp.cos(angle) * y)], [x, y],
                               {rho: 2.0, angle: 1.0})
    result = dr.basins(circle, n_samples=200, box=([-3.0, -3.0], [3.0, 3.0]), seed=2,
                       boundaries=False, progress=False,
                       options=dr.BasinsOptions(max_steps=300))
    assert result.n_attractors == 1 and result.unresolved_fraction == 0
    attractor = result.attractors[0]
    assert attractor.kind is dr.AttractorKind.QUASI_PERIODIC
    assert abs(attractor.lyapunov) < 0.005
    np.testing.assert_allclose(np.hypot(*attractor.states.T), math.sqrt(3.0), atol=1e-6)


from tests.model.test_conformance import IDS as MAP_CASES, build as build_map  # noqa: E402


@pytest.mark.parametrize("case", MAP_CASES)
def test_every_map_type(case):
    system = build_map(case)
    n = system.n_states
    result = dr.basins(system, n_samples=48, box=(-2 * np.ones(n), 2 * np.ones(n)), seed=0,
                       boundaries=False, progress=False,
                       options=dr.BasinsOptions(max_steps=300, n_cloud=300,
                                                lyapunov_steps=300))
    labels = result.labels
    assert labels.shape == (48,) and np.all(labels >= -2) and np.all(labels < len(result))
    on_unstable = np.mean(labels == -2)
    np.testing.assert_allclose(result.fractions.sum() + result.unresolved_fraction
                               + on_unstable, 1.0)
    assert np.all(np.isfinite(result.fractions)) and np.all(np.isfinite(result.intervals))
    u = system.resolve_input(None)
    for attractor in result:
        if attractor.refined:                      # F^k(x) = x with the map's own step
            x = attractor.states[0]
            for _ in range(attractor.period):
                x = system.step(x, u)
            np.testing.assert_allclose(x, attractor.states[0], atol=1e-8)


@pytest.mark.parametrize("old_name", [
    "dynrnn.analysis.basins:BasinsResult", "dynrnn.analysis.basins:BasinsStatus",
    "dynrnn.analysis.basins:BasinsOptions", "dynrnn.analysis.basins:Attractor",
    "dynrnn.analysis.basins:AttractorKind",
    "dynrnn.analysis.global_continuation:GlobalContinuationResult",
    "dynrnn.analysis.global_continuation:GlobalContinuationStatus",
    "dynrnn.analysis.global_continuation:AttractorEvent",
    "dynrnn.analysis.global_continuation:AttractorEventKind",
    "dynrnn.analysis.global_continuation:AttractorEventCause"])
def test_class_names_of_files_written_before_the_split_into_packages_resolve(old_name):
    # files record "module:qualname"; the modules became packages that re-export the classes
    from pathlib import Path

    from dynrnn.io.registry import resolve_type, type_name
    cls = resolve_type(old_name, "test", Path("old.npz"))
    assert cls.__name__ == old_name.split(":")[1]
    assert type_name(cls).startswith(old_name.split(":")[0] + ".")     # now in a submodule
    assert resolve_type(type_name(cls), "test", Path("new.npz")) is cls


def test_the_basins_modules_import_no_private_names_of_other_modules():
    # issue 9: global continuation and the plots use the basins package through public names
    import ast
    from pathlib import Path
    root = Path(dr.__file__).parent
    files = [*(root / "analysis" / "basins").glob("*.py"),
             *(root / "analysis" / "global_continuation").glob("*.py"),
             root / "plotting" / "basins.py", root / "scripts" / "basins.py"]
    assert len(files) >= 17
    private = [(path.name, alias.name) for path in files
               for node in ast.walk(ast.parse(path.read_text()))
               if isinstance(node, ast.ImportFrom) and (node.level or "dynrnn" in (node.module or ""))
               for alias in node.names if alias.name.startswith("_")]
    assert not private, private
