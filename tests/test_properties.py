"""Property-based tests (hypothesis) of what the examples do not cover: found fixed points solve
F(x) = x on random networks of every activation, invariants of continuation on random tanh
networks, and BPTT against finite differences of an independently computed loss.

(The model conformance suite already checks every map's Jacobians against finite differences.)
Examples are few and cheap; tests/conftest.py derandomises them.
"""
import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import dynrnn as dr
from dynrnn.analysis.stability import count_unstable

SEEDS = st.integers(0, 2 ** 32 - 1)
FAST = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

ACTIVATIONS = {
    "tanh": np.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "relu": lambda x: np.maximum(x, 0.0),
    "identity": lambda x: x,
}


def _random_net(seed: int, n: int, gain: float, activation: str) -> dr.RNN:
    rng = np.random.default_rng(seed)
    W = gain * rng.standard_normal((n, n)) / math.sqrt(n)
    b = rng.uniform(-1.0, 1.0, n)
    return dr.RNN(W, b=b, activation=activation)


def _F(net: dr.RNN, x: np.ndarray) -> np.ndarray:
    """x' = W σ(x) + b, written out here rather than taken from the library."""
    return net.W_rec @ ACTIVATIONS[net.activation.name](x) + net.b


# ---------------------------------------------------------------------------------------------
# fixed points
# ---------------------------------------------------------------------------------------------
@FAST
@given(seed=SEEDS, n=st.integers(1, 3), gain=st.floats(0.3, 4.0),
       activation=st.sampled_from(sorted(ACTIVATIONS)))
def test_found_fixed_points_solve_the_fixed_point_equation(seed, n, gain, activation):
    net = _random_net(seed, n, gain, activation)
    result = dr.find_fixed_points(net, n_starts=32, seed=seed)
    for point in result.points:
        residual = float(np.linalg.norm(_F(net, point.x) - point.x))
        # the reported residual is the true one (to rounding), and it is small
        assert residual <= point.residual + 1e-12 * (1.0 + np.abs(point.x).max())
        assert residual <= 1e-8 * (1.0 + np.abs(point.x).max())
        # stability from the eigenvalues of an independently assembled Jacobian
        sigma = ACTIVATIONS[activation]
        h = 1e-6
        d = (sigma(point.x + h) - sigma(point.x - h)) / (2 * h)
        if activation == "relu" and np.any(np.abs(point.x) < 1e-5):
            continue                                    # on a kink: derivative one-sided
        lam = np.linalg.eigvals(net.W_rec * d[None, :])
        rho = float(np.max(np.abs(lam)))
        if abs(rho - 1.0) > 1e-4:
            assert point.stable == (rho < 1.0)
            assert point.n_unstable == int(np.sum(np.abs(lam) > 1.0))
    if result.points:
        xs = np.array([p.x for p in result.points])
        # deduplicated: no two reported points coincide
        gaps = np.linalg.norm(xs[:, None] - xs[None], axis=-1) + np.eye(len(xs))
        assert np.all(gaps > 1e-8)


@FAST
@given(seed=SEEDS, n=st.integers(1, 3), gain=st.floats(0.3, 3.0),
       activation=st.sampled_from(["tanh", "sigmoid"]))
def test_found_two_cycles_are_cycles(seed, n, gain, activation):
    net = _random_net(seed, n, -abs(gain), activation)        # negative feedback flips
    result = dr.find_cycles(net, 2, n_starts=32, seed=seed)
    for point in result.points:
        x1 = _F(net, point.x)
        x2 = _F(net, x1)
        scale = 1.0 + np.abs(point.x).max()
        assert np.linalg.norm(x2 - point.x) <= max(point.residual, 0.0) + 1e-12 * scale
        assert np.linalg.norm(x2 - point.x) <= 1e-8 * scale
        assert point.period == 2
        assert np.linalg.norm(x1 - point.x) > 1e-6 * scale     # a true 2-cycle, not a fixed point


# ---------------------------------------------------------------------------------------------
# continuation invariants
# ---------------------------------------------------------------------------------------------
def _multipliers_at(net: dr.RNN, param: str, value: float, x: np.ndarray) -> np.ndarray:
    m = net.with_params({param: value})
    d = 1.0 - np.tanh(x) ** 2
    return np.linalg.eigvals(m.W_rec * d[None, :])


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(seed=SEEDS, n=st.integers(2, 4), gain=st.floats(1.5, 4.0), sign=st.sampled_from([1, -1]))
def test_continuation_invariants_on_random_tanh_nets(seed, n, gain, sign):
    net = _random_net(seed, n, sign * gain, "tanh")
    found = dr.find_fixed_points(net, n_starts=16, seed=seed)
    assume(found.points)
    p0 = net.params["b[0]"]
    options = dr.ContinuationOptions(max_points=300, ds_max=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        branch = dr.continuation(net, "b[0]", found.points[0].x, (p0 - 3.0, p0 + 3.0),
                                 direction="both", options=options)
    # every point on the branch is a fixed point at its parameter
    for p, x in zip(branch.params, branch.states):
        m = net.with_params({"b[0]": p})
        assert np.linalg.norm(_F(m, x) - x) <= 1e-8 * (1.0 + np.abs(x).max())
    assert np.all(np.diff(branch.arclength) > 0)
    per_segment = np.bincount([b.index for b in branch.bifurcations],
                              minlength=branch.n_points)
    for bif in branch.bifurcations:
        i = bif.index
        assert 0 <= i < branch.n_points - 1
        lo, hi = sorted(bif.bracket)
        s_lo, s_hi = sorted(bif.extra["arclength_bracket"])
        tol = 1e-9 * (1.0 + abs(bif.param))
        # located inside its arclength bracket, which is the arc between points i and i+1
        assert s_lo - 1e-9 <= bif.extra["arclength"] <= s_hi + 1e-9
        assert branch.arclength[i] - 1e-9 <= s_lo and s_hi <= branch.arclength[i + 1] + 1e-9
        if bif.kind == dr.BifurcationKind.LP:
            # the parameter turns at a fold: at or beyond both ends of the bracket
            assert bif.param >= hi - tol or bif.param <= lo + tol
        else:
            assert lo - tol <= bif.param <= hi + tol
        # the located point is a fixed point with the critical multiplier
        mu = _multipliers_at(net, "b[0]", bif.param, bif.x)
        dist = np.abs(np.abs(mu) - 1.0)
        if bif.kind == dr.BifurcationKind.LP:
            assert np.min(np.abs(mu - 1.0)) < 1e-5
        elif bif.kind == dr.BifurcationKind.PD:
            assert np.min(np.abs(mu + 1.0)) < 1e-5
        elif bif.kind == dr.BifurcationKind.NS:
            assert np.sum(dist < 1e-5) >= 2
        # the count of unstable multipliers changes by 1 across LP/PD and by 2 across NS
        if per_segment[i] == 1:
            jump = abs(int(branch.n_unstable[i + 1]) - int(branch.n_unstable[i]))
            expected = {dr.BifurcationKind.LP: 1, dr.BifurcationKind.PD: 1,
                        dr.BifurcationKind.NS: 2}.get(bif.kind)
            if expected is not None:
                assert jump == expected, (bif, branch.n_unstable[i:i + 2])
    # n_unstable agrees with the stored multipliers
    for mu, k in zip(branch.eigenvalues, branch.n_unstable):
        assert count_unstable(mu, 1e-8) == k or np.any(np.abs(np.abs(mu) - 1) < 1e-8)


# ---------------------------------------------------------------------------------------------
# BPTT against finite differences
# ---------------------------------------------------------------------------------------------
def _bptt():
    try:
        from dynrnn.gradients import bptt
    except ImportError:
        pytest.skip("dynrnn.gradients.bptt is not merged yet")
    return bptt


def _loss(W, W_in, b, x0, U, Z, activation):
    """Mean over the batch of Σ_t Σ_i (σ(x_t) - z_t)^2 for x_t = W σ(x_{t-1}) + W_in u_t + b."""
    sigma = ACTIVATIONS[activation]
    x = x0
    total = 0.0
    for t in range(U.shape[0]):
        x = sigma(x) @ W.T + U[t] @ W_in.T + b
        total += float(np.sum((sigma(x) - Z[t]) ** 2))
    return total / x0.shape[0]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=SEEDS, n=st.integers(1, 3), m=st.integers(1, 2), T=st.integers(1, 6),
       B=st.integers(1, 3), gain=st.floats(0.2, 3.0),
       activation=st.sampled_from(["tanh", "sigmoid"]))
def test_bptt_matches_finite_differences(seed, n, m, T, B, gain, activation):
    bptt = _bptt()
    rng = np.random.default_rng(seed)
    W = gain * rng.standard_normal((n, n)) / math.sqrt(n)
    W_in = rng.standard_normal((n, m))
    b = rng.uniform(-1, 1, n)
    x0 = rng.standard_normal((B, n))
    U = rng.standard_normal((T, B, m))
    Z = rng.uniform(0, 1, (T, B, n))
    net = dr.RNN(W, W_in=W_in, b=b, activation=activation)
    result = bptt(net, x0, U, Z)
    assert math.isclose(result.loss, _loss(W, W_in, b, x0, U, Z, activation), rel_tol=1e-10,
                        abs_tol=1e-12)
    arrays = {"W_rec": W, "W_in": W_in, "b": b, "x0": x0}
    h = 1e-6
    for name, arr in arrays.items():
        fd = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            plus, minus = {k: v.copy() for k, v in arrays.items()}, {k: v.copy()
                                                                      for k, v in arrays.items()}
            plus[name][idx] += h
            minus[name][idx] -= h
            fd[idx] = (_loss(plus["W_rec"], plus["W_in"], plus["b"], plus["x0"], U, Z,
                             activation)
                       - _loss(minus["W_rec"], minus["W_in"], minus["b"], minus["x0"], U, Z,
                               activation)) / (2 * h)
        grad = np.asarray(result.grads[name])
        assert grad.shape == arr.shape
        scale = 1.0 + np.abs(fd).max()
        np.testing.assert_allclose(grad, fd, atol=1e-6 * scale, err_msg=name)


def test_hypothesis_runs_derandomised_unless_asked_to_explore():
    import os
    from hypothesis import settings as current
    if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci":
        assert current.default.derandomize
        assert current.default.deadline is None


# ---------------------------------------------------------------------------------------------
# the same properties over many more examples (run with -m slow; about 15 s)
# ---------------------------------------------------------------------------------------------
MANY = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

_STRATEGIES = {
    "fixed_points": dict(seed=SEEDS, n=st.integers(1, 3), gain=st.floats(0.3, 4.0),
                         activation=st.sampled_from(sorted(ACTIVATIONS))),
    "continuation": dict(seed=SEEDS, n=st.integers(2, 4), gain=st.floats(1.5, 4.0),
                         sign=st.sampled_from([1, -1])),
}


@pytest.mark.slow
@MANY
@given(**_STRATEGIES["fixed_points"])
def test_found_fixed_points_many_examples(seed, n, gain, activation):
    test_found_fixed_points_solve_the_fixed_point_equation.hypothesis.inner_test(
        seed=seed, n=n, gain=gain, activation=activation)


@pytest.mark.slow
@MANY
@given(**_STRATEGIES["continuation"])
def test_continuation_invariants_many_examples(seed, n, gain, sign):
    test_continuation_invariants_on_random_tanh_nets.hypothesis.inner_test(
        seed=seed, n=n, gain=gain, sign=sign)
