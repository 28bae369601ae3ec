"""Orbit diagrams: attractors against closed forms, coexisting attractors, vectorised = loop."""
import warnings

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.special import expit

import dynrnn as dr
from dynrnn import orbit_diagram
from tests import problems as P

X0S = [[0.2], [0.5], [0.7]]


def test_logistic_attractors_match_closed_forms():
    m = P.logistic_map()
    d = orbit_diagram(m, "r", [2.8, 3.2, 3.5, 3.9], x0s=X0S, n_transient=3000, n_keep=200)
    assert d.success and d.n_diverged == 0 and d.status is dr.OrbitDiagramStatus.COMPLETED
    assert d.samples.shape == (4, 3, 200)
    np.testing.assert_allclose(d.attractor_values(0, 1e-6), [1 - 1 / 2.8], atol=1e-9)
    points, _ = P.logistic_two_cycle(3.2)
    np.testing.assert_allclose(d.attractor_values(1, 1e-6), points, atol=1e-9)
    four = d.attractor_values(2, 1e-6)
    assert four.size == 4
    # the 4-cycle: each point maps to the next one
    f = lambda x: 3.5 * x * (1 - x)                                     # noqa: E731
    np.testing.assert_allclose(np.sort(f(four)), four, atol=1e-9)
    np.testing.assert_allclose(f(f(f(f(four)))), four, atol=1e-8)
    assert d.attractor_values(3, 1e-6).size > 150                         # chaos at r = 3.9


def test_coexisting_attractors_of_the_bistable_sigmoid_unit():
    net = P.one_unit(5.0, -2.5, "sigmoid")
    lo, hi = P.SIGMOID_FOLDS_W5
    values = np.array([-2.8, -2.5, -2.4, -2.2])
    d = orbit_diagram(net, "b[0]", values, x0s=[[-6.0], [-1.0], [1.0], [6.0]], n_keep=10)
    for i, b in enumerate(values):
        # the stable fixed points, independently: roots of x − 5σ(x) − b with |5σ'(x)| < 1
        g = lambda x: x - 5 * expit(x) - b                                # noqa: E731
        grid = np.linspace(-10, 10, 4001)
        roots = [brentq(g, grid[k], grid[k + 1]) for k in range(grid.size - 1)
                 if g(grid[k]) * g(grid[k + 1]) < 0]
        stable = [r for r in roots if 5 * expit(r) * (1 - expit(r)) < 1]
        found = d.attractor_values(i, 1e-6)
        np.testing.assert_allclose(found, sorted(stable), atol=1e-8)
        assert found.size == (2 if lo < b < hi else 1)


def test_vectorised_sweep_equals_per_value_loop():
    m = P.logistic_map()
    values = np.linspace(2.5, 4.0, 60)
    a = orbit_diagram(m, "r", values, x0s=X0S, n_transient=200, n_keep=50)
    b = orbit_diagram(m, "r", values, x0s=X0S, n_transient=200, n_keep=50, vectorized=False)
    np.testing.assert_array_equal(a.samples, b.samples)      # same arithmetic, bit for bit
    net = P.one_unit(5.0, -2.5, "sigmoid")
    values = np.linspace(-3.0, -2.0, 40)
    a = orbit_diagram(net, "b[0]", values, n_keep=20)
    b = orbit_diagram(net, "b[0]", values, n_keep=20, vectorized=False)
    np.testing.assert_allclose(a.samples, b.samples, atol=1e-12)
    # a callable map (no batched sweep) takes the loop either way and agrees with sympy's
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dr.DerivativeFallbackWarning)
        plain = dr.Map(lambda x, p: p["r"] * x * (1 - x), 1, {"r": 3.0})
    values = np.linspace(2.5, 4.0, 30)
    c = orbit_diagram(plain, "r", values, x0s=X0S, n_transient=100, n_keep=20)
    d = orbit_diagram(m, "r", values, x0s=X0S, n_transient=100, n_keep=20)
    np.testing.assert_array_equal(c.samples, d.samples)


def _networks():
    rng = np.random.default_rng(1)
    W, W_in, b = rng.standard_normal((2, 2)), rng.standard_normal((2, 1)), rng.standard_normal(2)
    return {
        "RNN": dr.RNN(W, W_in=W_in, b=b, activation="tanh", u=[0.3]),
        "ElmanRNN": dr.ElmanRNN(W, U=W_in, b=b, activation="sigmoid", u=[0.3]),
        "PLRNN": dr.PLRNN([0.5, -0.2], [[0.0, 0.4], [-0.3, 0.1]], h=b, C=W_in, u=[0.3]),
    }


@pytest.mark.parametrize("kind, name", [
    ("RNN", "W_rec[0,1]"), ("RNN", "W_rec[1,1]"), ("RNN", "W_in[1,0]"), ("RNN", "b[0]"),
    ("RNN", "u[0]"),
    ("ElmanRNN", "W[0,1]"), ("ElmanRNN", "U[1,0]"), ("ElmanRNN", "b[1]"), ("ElmanRNN", "u[0]"),
    ("PLRNN", "A[1]"), ("PLRNN", "W[1,0]"), ("PLRNN", "h[0]"), ("PLRNN", "C[0,0]"),
    ("PLRNN", "u[0]"),
])
def test_network_sweep_step_is_exact_for_every_kind_of_parameter(kind, name):
    """The batched sweep against one validated map per value, for every parameter family."""
    net = _networks()[kind]
    rng = np.random.default_rng(2)
    values = np.linspace(-2.0, 2.0, 7)
    x = rng.standard_normal((7, 5, 2))
    u = net.resolve_input(None)
    fast = net.stepper_over_param(name, values)(x, u)
    slow = np.stack([net.with_params({name: v}).step(x[i]) for i, v in enumerate(values)])
    np.testing.assert_allclose(fast, slow, atol=1e-13)
    assert type(net).stepper_over_param is not dr.RecurrentMap.stepper_over_param


def test_sympy_sweep_step_with_inputs():
    import sympy as sp
    x, y, uu, a, c = sp.symbols("x y u a c")
    m = dr.Map.from_sympy([a * sp.sin(x) + y * uu, c * x], [x, y], {a: 1.0, c: 0.5},
                          inputs=[uu])
    values = np.linspace(0.0, 2.0, 4)
    X = np.random.default_rng(2).standard_normal((4, 3, 2))
    u = np.array([0.7])
    fast = m.stepper_over_param("a", values)(X, u)
    slow = np.stack([m.with_params(a=v).step(X[i], u) for i, v in enumerate(values)])
    np.testing.assert_allclose(fast, slow, atol=1e-14)


def test_full_states_and_default_initial_states():
    henon = P.henon_map(1.4, 0.3)
    d = orbit_diagram(henon, "a", [0.2, 0.9], component=None, n_initial=2,
                      x0s=[[0.1, 0.0], [0.0, 0.1]], n_keep=6)
    assert d.samples.shape == (2, 2, 6, 2)
    x_fixed, _ = P.henon_fixed_points(0.2, 0.3)[1]
    np.testing.assert_allclose(d.samples[0, 0, -1], x_fixed, atol=1e-9)
    net = P.random_tanh_net(3, 2.0)
    d = orbit_diagram(net, "b[1]", [0.0, 0.5], n_initial=5, seed=3, n_keep=4)
    box = net.invariant_box()
    assert d.x0s.shape == (5, 3)
    assert np.all(d.x0s >= box[0]) and np.all(d.x0s <= box[1])
    again = orbit_diagram(net, "b[1]", [0.0, 0.5], n_initial=5, seed=3, n_keep=4)
    np.testing.assert_array_equal(d.x0s, again.x0s)


def test_diverged_orbits_are_masked_and_counted():
    m = P.logistic_map()
    d = orbit_diagram(m, "r", [3.2, 4.5], x0s=[[0.3], [-0.5]], n_keep=8)
    # x0 = −0.5 escapes to −∞ for every r > 0; at r = 4.5 every orbit escapes
    np.testing.assert_array_equal(d.diverged, [[False, True], [True, True]])
    assert d.n_diverged == 3 and d.status is dr.OrbitDiagramStatus.SOME_DIVERGED and d.success
    assert np.all(np.isnan(d.samples[d.diverged]))
    assert np.all(np.isfinite(d.samples[0, 0]))
    d = orbit_diagram(m, "r", [4.5], x0s=[[0.3]], n_keep=8)
    assert not d.success and d.status is dr.OrbitDiagramStatus.ALL_DIVERGED


def test_bad_input():
    m = P.logistic_map()
    with pytest.raises(dr.UnknownParameterError):
        orbit_diagram(m, "s", [3.0])
    with pytest.raises(dr.ShapeError):
        orbit_diagram(m, "r", [[3.0, 3.1]])
    with pytest.raises(dr.InvalidInputError, match="n_keep"):
        orbit_diagram(m, "r", [3.0], n_keep=0)
    with pytest.raises(dr.InvalidInputError, match="component"):
        orbit_diagram(m, "r", [3.0], component=2)
    with pytest.raises(dr.ShapeError):
        orbit_diagram(m, "r", [3.0], x0s=[[0.1, 0.2]])
    with pytest.raises(dr.NonFiniteError):
        orbit_diagram(m, "r", [np.nan])
    d = orbit_diagram(P.henon_map(), "a", [1.0], component=None, n_keep=2)
    with pytest.raises(dr.InvalidInputError, match="component"):
        d.attractor_values(0)



def test_diagram_saves_and_loads(tmp_path):
    d = orbit_diagram(P.logistic_map(), "r", [3.2, 4.5], x0s=[[0.3]], n_keep=5)
    dr.save(d, tmp_path / "d.npz")
    back = dr.load(tmp_path / "d.npz")
    np.testing.assert_array_equal(back.samples, d.samples)
    np.testing.assert_array_equal(back.diverged, d.diverged)
    assert back.status is d.status
