"""The Elman form h' = σ(W h + U u + b) and its conjugacy with eq. (2) of Pascanu et al.

With x_t = W h_{t-1} + U u_t + b: h_t = σ(x_t) and x_{t+1} = W σ(x_t) + U u_{t+1} + b. These tests
check that correspondence for orbits, fixed points (found here with scipy root finding, not with
dynrnn.analysis) and multipliers (eig(D W) = eig(W D)).
"""
import numpy as np
import pytest
from scipy.optimize import root

import dynrnn as dr


def random_pair(activation, seed=0, n=4, m=2, gain=1.5):
    rng = np.random.default_rng(seed)
    W = gain * rng.standard_normal((n, n)) / np.sqrt(n)
    U = rng.standard_normal((n, m))
    b = 0.3 * rng.standard_normal(n)
    u = rng.standard_normal(m)
    rnn = dr.RNN(W, U, b, activation, u)
    return rnn, dr.ElmanRNN(W, U, b, activation, u)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "identity"])
def test_step_is_the_elman_equation(activation):
    _, net = random_pair(activation)
    rng = np.random.default_rng(5)
    h, u = rng.standard_normal(4), rng.standard_normal(2)
    sigma = net.activation.function
    np.testing.assert_allclose(net.step(h, u), sigma(net.W @ h + net.U @ u + net.b), rtol=1e-14)
    D = np.diag(net.activation.derivative(net.W @ h + net.U @ u + net.b))
    np.testing.assert_allclose(net.jacobian(h, u), D @ net.W, rtol=1e-14)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "identity"])
def test_trajectories_correspond(activation):
    rnn, elman = random_pair(activation, seed=1)
    rng = np.random.default_rng(2)
    inputs = rng.standard_normal((30, 3, 2))
    x0 = rng.standard_normal((3, 4))
    x = rnn.run(x0, inputs)
    h = elman.run(rnn.to_elman_state(x0), inputs)
    np.testing.assert_allclose(h, elman.activation.function(x), rtol=1e-12, atol=1e-12)
    # and back: x_t = W h_{t-1} + U u_t + b is the RNN orbit started from x_1
    x_from_h = elman.to_pascanu_state(h[:-1], inputs)
    np.testing.assert_allclose(x_from_h, x[1:], rtol=1e-12, atol=1e-12)


def test_conversions_are_inverse_and_keep_arrays():
    rnn, elman = random_pair("tanh", seed=3)
    back = rnn.to_elman().to_pascanu()
    for k in ("W_rec", "W_in", "b", "u"):
        np.testing.assert_array_equal(back.arrays()[k], rnn.arrays()[k])
    e = rnn.to_elman()
    assert isinstance(e, dr.ElmanRNN)
    for (ke, ve), kr in zip(e.arrays().items(), ("W_rec", "W_in", "b", "u")):
        np.testing.assert_array_equal(ve, rnn.arrays()[kr])
    assert e.activation is rnn.activation
    assert elman.to_pascanu().activation is elman.activation


def _roots(G, jac, n, starts):
    found = []
    for s in starts:
        sol = root(G, s, jac=jac, method="hybr", options={"xtol": 1e-14})
        if sol.success and np.max(np.abs(G(sol.x))) < 1e-12:
            if not any(np.allclose(sol.x, f, atol=1e-8) for f in found):
                found.append(sol.x)
    return sorted(found, key=lambda v: tuple(np.round(v, 6)))


def test_fixed_points_and_multipliers_correspond():
    """A bistable 2-unit tanh net with input: the fixed points of both forms, found independently
    by scipy root finding, correspond through h* = σ(x*), x* = W h* + U u + b, and their
    multipliers agree although the Jacobians D W and W D differ."""
    W = np.array([[2.0, 0.4], [-0.3, 1.8]])
    U = np.array([[0.5], [-0.2]])
    b = np.array([0.1, -0.05])
    u = np.array([0.3])
    rnn, elman = dr.RNN(W, U, b, "tanh", u), dr.ElmanRNN(W, U, b, "tanh", u)
    c = U @ u + b
    rng = np.random.default_rng(0)
    xs = _roots(lambda x: W @ np.tanh(x) + c - x,
                lambda x: W * (1 - np.tanh(x) ** 2) - np.eye(2), 2, rng.uniform(-4, 4, (300, 2)))
    hs = _roots(lambda h: np.tanh(W @ h + c) - h,
                lambda h: (1 - np.tanh(W @ h + c) ** 2)[:, None] * W - np.eye(2), 2,
                rng.uniform(-1, 1, (300, 2)))
    assert len(xs) == len(hs) >= 3  # several fixed points: a real test of the pairing
    for x_star in xs:
        h_star = rnn.to_elman_state(x_star)
        np.testing.assert_allclose(elman.step(h_star), h_star, atol=1e-12)
        np.testing.assert_allclose(elman.to_pascanu_state(h_star), x_star, atol=1e-12)
        assert any(np.allclose(h_star, h, atol=1e-10) for h in hs)
        J_elman, J_rnn = elman.jacobian(h_star), rnn.jacobian(x_star)
        assert not np.allclose(J_elman, J_rnn)
        np.testing.assert_allclose(np.sort_complex(np.linalg.eigvals(J_elman)),
                                   np.sort_complex(np.linalg.eigvals(J_rnn)), atol=1e-12)


def test_invariant_box_and_piecewise_linear_form():
    _, net = random_pair("tanh", seed=4)
    lo, hi = net.invariant_box()
    out = net.step(np.random.default_rng(0).normal(0, 10, (100, 4)))
    assert np.all(out >= lo) and np.all(out <= hi)
    assert net.piecewise_linear_form() is None
    _, relu = random_pair("relu", seed=4)
    assert relu.invariant_box() is None and relu.piecewise_linear_form() is None
    _, lin = random_pair("identity", seed=4)
    A, Wr, c = lin.piecewise_linear_form()
    h = np.random.default_rng(1).standard_normal(4)
    np.testing.assert_allclose(A @ h + Wr @ np.maximum(h, 0) + c, lin.step(h), rtol=1e-13)


def test_param_names_and_replace():
    _, net = random_pair("tanh", seed=6, n=2, m=1)
    assert net.param_names == ("W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]", "U[0,0]", "U[1,0]",
                               "b[0]", "b[1]", "u[0]")
    doubled = net.replace(W=2 * net.W)
    np.testing.assert_array_equal(doubled.W, 2 * net.W)
    np.testing.assert_array_equal(doubled.U, net.U)
    with pytest.raises(dr.UnknownParameterError, match="W_rec"):
        net.replace(W_rec=net.W)
