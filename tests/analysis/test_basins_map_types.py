"""Issue 13, "Done when": dr.basins and dr.global_continuation work on every map type.

The map types are those of the conformance suite (RNN and ElmanRNN with every activation, PLRNN,
GRU and LSTM cells in torch's layout, ElmanStack, dr.Map from a callable in its four derivative
modes, dr.Map.from_sympy), plus networks imported from PyTorch and a GRU trained in PyTorch
inside the test. Each result is checked against something computed without the analysis: the
map's own step (a refined attractor is a k-cycle of it), dr.basins run directly at each value of
the continuation, and torch's own iteration of the trained module.
"""
import warnings

import numpy as np
import pytest

import dynrnn as dr
from dynrnn.errors import DerivativeFallbackWarning
from tests.analysis.finite_results import every_result_finite  # noqa: F401 (checks every result)
from tests.analysis.test_global_continuation_causes import newton_path
from tests.model.test_conformance import IDS as MAP_CASES
from tests.model.test_conformance import build as build_map
from tests.problems import sign_holding_net

LIGHT = dr.BasinsOptions(max_steps=300, n_cloud=300, lyapunov_steps=300)


def _same_attractors(continued_row, fractions_row, direct: dr.BasinsResult) -> None:
    """The attractors present at one value of a continuation are those dr.basins finds there
    directly, with the same basin fractions (matched by position)."""
    present = [(j, a) for j, a in enumerate(continued_row) if a is not None]
    assert len(present) == direct.n_attractors
    for a, fraction in zip(direct.attractors, direct.fractions):
        if a.kind is dr.AttractorKind.DIVERGENCE:
            same = [j for j, b in present if b.kind is dr.AttractorKind.DIVERGENCE]
        else:
            same = [j for j, b in present if b.states.shape[0]
                    and np.abs(b.states - a.states[0]).max(axis=1).min() < 1e-6]
        assert len(same) == 1, (a, present)
        assert fractions_row[same[0]] == pytest.approx(fraction, abs=1e-12)


@pytest.mark.parametrize("case", MAP_CASES)
def test_global_continuation_on_every_map_type(case):
    system = build_map(case)
    n = system.n_states
    name = sorted(system.param_values())[0]
    start = system.param_values()[name]
    values = start + np.array([0.0, 0.05, 0.1])
    states = np.random.default_rng(5).uniform(-2.0, 2.0, (40, n))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DerivativeFallbackWarning)
        result = dr.global_continuation(system, name, values, initial_states=states,
                                        options=LIGHT, local=False, progress=False)
        assert result.values.tolist() == values.tolist() and result.param_name == name
        assert result.n_done == 3 and result.value_success.all()
        assert np.all(np.isfinite(result.fractions)) and np.all(result.fractions >= 0)
        assert np.all(result.fractions.sum(axis=1) + result.unresolved <= 1 + 1e-12)
        for i in (0, 2):
            direct = dr.basins(system.with_params({name: float(values[i])}),
                               initial_states=states, options=LIGHT, boundaries=False,
                               progress=False)
            _same_attractors(result.attractors[i], result.fractions[i], direct)


def _trained_gru(seed: int = 0):
    """A 2-unit nn.GRU trained for 100 seeded Adam steps to hold the sign of its first input
    (a memory task, so the trained autonomous map is multistable); a second or two."""
    _, module, loss = sign_holding_net(2, 100, seed)
    return module, loss


def test_gru_trained_in_pytorch_against_its_own_iteration():
    torch = pytest.importorskip("torch")
    module, loss = _trained_gru()
    assert loss < 0.1                                      # it learned to hold the sign
    net = dr.from_torch(module)
    assert type(net).__name__ == "GRU"
    result = dr.basins(net, n_samples=300, box=(-np.ones(2), np.ones(2)), boundaries=False,
                       progress=False)
    assert result.success and result.n_attractors >= 2     # one attractor per remembered sign
    for attractor in result:
        assert attractor.refined and attractor.stable
        np.testing.assert_allclose(net.step(attractor.x), attractor.x, atol=1e-10)
    # torch's own module, iterated from the same initial states with zero input, ends on the
    # attractor of each label
    states = torch.tensor(result.initial_states)
    with torch.no_grad():
        _, last = module(torch.zeros(len(states), 600, 1, dtype=torch.float64), states[None])
    ends = np.stack([a.x for a in result])
    nearest = np.argmin(np.abs(last[0].numpy()[:, None, :] - ends[None]).max(axis=2), axis=1)
    resolved = result.labels >= 0
    assert resolved.mean() > 0.99
    np.testing.assert_array_equal(nearest[resolved], result.labels[resolved])


def test_gru_trained_in_pytorch_continued_along_a_line_between_networks():
    # global continuation from the untrained to the trained GRU (a LineBetween of two imported
    # networks): at both ends the attractors and fractions dr.basins finds directly
    torch = pytest.importorskip("torch")
    module, _ = _trained_gru()
    torch.manual_seed(0)
    untrained = dr.from_torch(torch.nn.GRU(1, 2, batch_first=True).double())
    trained = dr.from_torch(module)
    states = np.random.default_rng(2).uniform(-1.0, 1.0, (80, 2))
    line = dr.LineBetween(untrained, trained)
    result = dr.global_continuation(untrained, line, np.linspace(0.0, 1.0, 5),
                                    initial_states=states, progress=False)
    assert result.success and result.n_attractors[0] == 1 and result.n_attractors[-1] >= 2
    for i, s in ((0, 0.0), (4, 1.0)):
        direct = dr.basins(line.at(s), initial_states=states, boundaries=False, progress=False)
        _same_attractors(result.attractors[i], result.fractions[i], direct)
    # the trained network's second attractor is born at a fold: local continuation finds it,
    # and independently the located state is a fixed point with a multiplier at +1
    (birth,) = result.events
    assert birth.kind is dr.AttractorEventKind.BIRTH
    assert birth.cause is dr.AttractorEventCause.FOLD and birth.bifurcation.kind.value == "LP"
    assert birth.interval[0] < birth.param < birth.interval[1]
    system, x = line.at(birth.param), birth.bifurcation.x
    assert np.max(np.abs(system.step(x) - x)) < 1e-9
    assert np.min(np.abs(np.linalg.eigvals(system.jacobian(x)) - 1.0)) < 1e-6
    # the attractor that keeps identity 0 is the one Newton follows from s = 0 to every value;
    # the newborn, followed back by Newton, meets the fold before the value before it
    for i in range(1, 5):
        end = newton_path(line.at, result.attractors[i - 1][0].x, result.values[i - 1],
                          result.values[i], 50)
        np.testing.assert_allclose(end, result.attractors[i][0].x, atol=1e-8)
    born = result.attractors[birth.index][birth.attractor].x
    assert newton_path(line.at, born, result.values[birth.index],
                       result.values[birth.index - 1], 50) is None


@pytest.mark.parametrize("kind", ["RNN", "LSTM"])
def test_imported_torch_networks_in_global_continuation(kind):
    # a network imported from torch, followed over one of its torch-named parameters
    torch = pytest.importorskip("torch")
    torch.manual_seed(4)
    module = getattr(torch.nn, kind)(1, 2, batch_first=True).double()
    with torch.no_grad():
        module.weight_hh_l0.mul_(3.0)
    net = dr.from_torch(module)
    # an imported nn.RNN is a dr.RNN ("b[0]"); an LSTM keeps torch's names ("bias_hh_l0[0]")
    name = next(k for k in net.param_values() if k in ("b[0]", "bias_hh_l0[0]"))
    start = net.param_values()[name]
    values = start + np.linspace(-0.5, 0.5, 3)
    n = net.n_states
    states = np.random.default_rng(0).uniform(-1.0, 1.0, (60, n))
    result = dr.global_continuation(net, name, values, initial_states=states, progress=False)
    assert result.success
    for i in range(3):
        direct = dr.basins(net.with_params({name: float(values[i])}), initial_states=states,
                           boundaries=False, progress=False)
        _same_attractors(result.attractors[i], result.fractions[i], direct)
