"""find_fixed_points against closed forms (tests/problems.py) and its bookkeeping."""
import math

import numpy as np
import pytest
from scipy.special import expit

import dynrnn as dr
from tests import problems as P

# -- one-unit networks x -> 5σ(x) + b: the bistable interval of Pascanu et al. Fig. 3 ---------
FOLDS = {"sigmoid": P.SIGMOID_FOLDS_W5, "tanh": P.TANH_FOLDS_W5}
SIGMA = {"sigmoid": expit, "tanh": np.tanh}
DSIGMA = {"sigmoid": lambda x: expit(x) * (1 - expit(x)), "tanh": lambda x: 1 - np.tanh(x) ** 2}


def _expected_count(b, folds):
    return 3 if folds[0] < b < folds[1] else 1


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
@pytest.mark.parametrize("side", [0, 1])
@pytest.mark.parametrize("offset", [-1e-4, 1e-4])
def test_one_unit_count_near_each_fold(activation, side, offset):
    fold = FOLDS[activation][side]
    b = fold + offset
    result = dr.find_fixed_points(P.one_unit(5.0, b, activation))
    expected = _expected_count(b, FOLDS[activation])
    assert result.exhaustive and result.success
    assert result.status is dr.SearchStatus.COMPLETE
    assert len(result) == expected
    stable = [p for p in result if p.stable]
    assert len(stable) == (2 if expected == 3 else 1)
    for p in result:
        x = float(p.x[0])
        # each point satisfies the fixed-point equation and carries the closed-form eigenvalue
        assert abs(5.0 * SIGMA[activation](x) + b - x) <= 1e-12 * (1 + abs(x))
        lam = 5.0 * DSIGMA[activation](x)
        np.testing.assert_allclose(p.eigenvalues.real, [lam], rtol=1e-12, atol=1e-14)
        assert p.stable == (abs(lam) < 1)
        assert p.kind in (dr.PointKind.STABLE_NODE, dr.PointKind.UNSTABLE_NODE)
    if expected == 3:
        unstable = [p for p in result if not p.stable]
        assert len(unstable) == 1 and unstable[0].n_unstable == 1
        # the unstable point lies between the two stable ones
        xs = sorted(float(p.x[0]) for p in stable)
        assert xs[0] < unstable[0].x[0] < xs[1]


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_one_unit_matches_dense_sign_changes(activation):
    """An independent count: sign changes of F(x) − x on a very fine grid, away from folds."""
    lo, hi = FOLDS[activation]
    for b in np.linspace(lo - 0.5, hi + 0.5, 9):
        net = P.one_unit(5.0, b, activation)
        box = net.invariant_box()
        x = np.linspace(box[0][0], box[1][0], 200001)
        g = 5.0 * SIGMA[activation](x) + b - x
        n_changes = int(np.count_nonzero(g[1:] * g[:-1] < 0) + np.count_nonzero(g == 0))
        assert len(dr.find_fixed_points(net)) == n_changes


def test_tangential_root_at_the_fold_is_found():
    """Exactly at the fold the saddle and a node merge into a double root of F(x) − x."""
    w = 5.0
    root = math.sqrt(1 - 4 / w)
    s = (1 - root) / 2
    x_fold = math.log(s / (1 - s))
    b = x_fold - w * s
    result = dr.find_fixed_points(P.one_unit(w, b, "sigmoid"))
    assert len(result) == 2
    double = min(result, key=lambda p: abs(p.x[0] - x_fold))
    assert abs(double.x[0] - x_fold) < 1e-6
    assert double.kind is dr.PointKind.NON_HYPERBOLIC or abs(double.eigenvalues[0] - 1) < 1e-6


def test_newton_route_agrees_with_bracketing_in_one_dimension():
    net = P.one_unit(5.0, -2.5, "sigmoid")
    exact = dr.find_fixed_points(net)
    newton = dr.find_fixed_points(net, method="newton", seed=0)
    assert newton.method is dr.SearchMethod.NEWTON and not newton.exhaustive
    np.testing.assert_allclose(np.sort(newton.states[:, 0]), np.sort(exact.states[:, 0]),
                               atol=1e-12)


# -- Hénon map ---------------------------------------------------------------------------------
def test_henon_fixed_points_and_eigenvalues():
    henon = P.henon_map(1.4, 0.3)
    result = dr.find_fixed_points(henon, seed=0, n_starts=64)
    assert len(result) == 2
    for x_ref, lam_ref in P.henon_fixed_points(1.4, 0.3):
        match = [p for p in result if np.allclose(p.x, x_ref, atol=1e-12)]
        assert len(match) == 1
        np.testing.assert_allclose(np.sort_complex(match[0].eigenvalues), lam_ref, atol=1e-12)
        assert match[0].kind is dr.PointKind.SADDLE and match[0].n_unstable == 1
        assert match[0].residual < 1e-12


# -- random tanh networks ------------------------------------------------------------------------
def _check_search(net, n_starts):
    first = dr.find_fixed_points(net, n_starts=n_starts, seed=1)
    second = dr.find_fixed_points(net, n_starts=n_starts, seed=2)
    assert len(first) >= 1
    for p in first:
        assert p.residual < 1e-10
        # residual recomputed independently of the search
        assert np.linalg.norm(net.step(p.x) - p.x) < 1e-10
    X = first.states
    d = np.max(np.abs(X[:, None] - X[None]), axis=-1) + np.eye(len(X)) * 1e9
    assert d.min() > 1e-6, "duplicate fixed points"
    assert first.n_starts == n_starts
    assert first.n_converged + first.n_failed == n_starts
    assert first.n_failed == sum(first.failures.values())
    # duplicates are counted among the starts' converged runs; the later rounds (midpoints,
    # edge tracking) add points of their own, and every point is new in exactly one round
    from_starts = first.rounds_new[0] if first.rounds_new else len(first)
    assert first.n_duplicates == first.n_converged - from_starts
    assert sum(first.rounds_new) == len(first) or not first.rounds_new
    for q in second:
        assert any(np.max(np.abs(q.x - p.x)) < 1e-6 * (1 + np.max(np.abs(p.x)))
                   for p in first), f"second search found a point the first missed: {q}"


def test_random_tanh_net_small():
    _check_search(P.random_tanh_net(20, 2.5, seed=0, bias_scale=0.2), 1000)


@pytest.mark.slow
def test_random_tanh_net_100_units():
    _check_search(P.random_tanh_net(100, 1.5, seed=0), 1000)


def test_eigenvalues_match_jacobian():
    net = P.random_tanh_net(20, 2.5, seed=0, bias_scale=0.2)
    for p in dr.find_fixed_points(net, n_starts=200, seed=3):
        lam = np.linalg.eigvals(net.jacobian(p.x))
        np.testing.assert_allclose(np.sort_complex(p.eigenvalues), np.sort_complex(lam),
                                   atol=1e-10)
        assert p.n_unstable == int(np.sum(np.abs(lam) > 1))
        assert p.stable == (np.max(np.abs(lam)) < 1)


# -- Newton: quadratic convergence, failures ----------------------------------------------------
def test_newton_converges_quadratically():
    net = P.random_tanh_net(20, 2.5, seed=0, bias_scale=0.2)
    result = dr.find_fixed_points(net, n_starts=50, seed=4)
    hist = result.residual_history
    checked = 0
    for j in range(hist.shape[1]):
        r = hist[:, j]
        r = r[np.isfinite(r)]
        if r[-1] > 1e-10:
            continue  # a start that stalled at a slow point
        # the local phase: consecutive residuals between 1e-3 and the rounding floor
        for a, b in zip(r[:-1], r[1:]):
            if 1e-12 < b and a < 1e-3:
                assert b <= 50.0 * a * a, (a, b)
                checked += 1
    assert checked >= 10


def test_failures_are_counted_not_raised():
    """x -> x + 1 + 0.5 sin(x) has no fixed point: every start fails and is counted."""
    m = dr.Map(lambda x, p: x + 1.0 + 0.5 * np.sin(x), 1,
               jacobian=lambda x, p: (1.0 + 0.5 * np.cos(x))[..., None], vectorized=True)
    result = dr.find_fixed_points(m, n_starts=40, seed=0, max_iter=20)
    assert len(result) == 0 and not result.success
    assert result.status is dr.SearchStatus.NONE_FOUND
    assert result.n_failed == 40 == sum(result.failures.values())
    with pytest.raises(dr.ConvergenceError) as info:
        dr.find_fixed_points(m, n_starts=40, seed=0, max_iter=20, raise_on_failure=True)
    assert info.value.result.n_failed == 40


def test_non_finite_iterates_are_counted():
    """sqrt(x) is taken as undefined for x <= 0: starts that go there are counted as failed
    (non-finite), not raised."""
    with np.errstate(all="ignore"):
        m = dr.Map(lambda x, p: np.where(x > 0, np.sqrt(np.abs(x)), np.nan), 1,
                   jacobian=lambda x, p: (0.5 / np.sqrt(np.abs(x)))[..., None], vectorized=True)
    starts = np.array([[-1.0], [-2.0], [4.0], [0.25]])
    with np.errstate(all="ignore"):
        result = dr.find_fixed_points(m, starts=starts, box_fraction=0.0)
    assert result.n_starts == 4
    assert result.failures["non-finite"] == 2
    assert len(result) == 1 and abs(result[0].x[0] - 1.0) < 1e-12


def test_slow_point_of_a_ghost():
    """x -> x + 1e-3 + x²/2 has no fixed point but a ghost (slow point) at 0 with q = ½·1e-6."""
    m = dr.Map(lambda x, p: x + 1e-3 + 0.5 * x * x, 1,
               jacobian=lambda x, p: (1.0 + x)[..., None], vectorized=True)
    result = dr.find_fixed_points(m, n_starts=20, seed=0, slow_points=True, max_iter=30)
    assert len(result) == 0
    assert len(result.slow_points) == 1
    slow = result.slow_points[0]
    assert abs(slow.x[0]) < 1e-4
    assert abs(slow.q - 0.5e-6) < 1e-9


def test_result_is_deterministic_and_sorted():
    net = P.random_tanh_net(20, 2.5, seed=0, bias_scale=0.2)
    a = dr.find_fixed_points(net, n_starts=300, seed=7)
    b = dr.find_fixed_points(net, n_starts=300, seed=7)
    np.testing.assert_array_equal(a.states, b.states)
    keys = [p.n_unstable for p in a]
    assert keys == sorted(keys)


def test_invariant_box_contains_all_points():
    net = P.random_tanh_net(20, 2.5, seed=0, bias_scale=0.2)
    lo, hi = net.invariant_box()
    for p in dr.find_fixed_points(net, n_starts=200, seed=0):
        assert np.all(p.x >= lo) and np.all(p.x <= hi)


# -- bad input -----------------------------------------------------------------------------------
def _driven_net():
    return dr.RNN(np.eye(2) * 0.5, W_in=np.ones((2, 1)), activation="tanh")


@pytest.mark.parametrize("kwargs, error, argument", [
    (dict(u=[np.nan]), dr.NonFiniteError, "u"),
    (dict(u=[1.0, 2.0]), dr.ShapeError, "u"),
    (dict(u=[[1.0], [2.0]]), dr.ShapeError, "u"),
    (dict(starts=np.zeros((3, 5))), dr.ShapeError, "starts"),
    (dict(starts=[[np.inf, 0.0]]), dr.NonFiniteError, "starts"),
    (dict(n_starts=0), dr.InvalidInputError, "n_starts"),
    (dict(n_starts=2.5), dr.InvalidTypeError, "n_starts"),
    (dict(tol=-1.0), dr.InvalidInputError, "tol"),
    (dict(max_iter=0), dr.InvalidInputError, "max_iter"),
    (dict(method="magic"), dr.InvalidInputError, "method"),
    (dict(method="bracket"), dr.InvalidInputError, "method"),
    (dict(box=([1.0, 1.0], [0.0, 0.0])), dr.InvalidInputError, "box"),
])
def test_bad_input_names_the_argument(kwargs, error, argument):
    with pytest.raises(error) as info:
        dr.find_fixed_points(_driven_net(), **kwargs)
    assert info.value.argument == argument
    assert argument in str(info.value) or info.value.argument == argument


def test_system_must_be_a_map():
    with pytest.raises(dr.InvalidTypeError) as info:
        dr.find_fixed_points(lambda x: x)
    assert info.value.argument == "system"


def test_input_moves_the_fixed_point():
    """With input the fixed point of x -> 0.5 tanh(x) + u solves x = 0.5 tanh(x) + u."""
    net = dr.RNN([[0.5]], W_in=[[1.0]], activation="tanh")
    for u in (-1.0, 0.3, 2.0):
        (p,) = dr.find_fixed_points(net, u=[u])
        assert abs(0.5 * math.tanh(p.x[0]) + u - p.x[0]) < 1e-13


# -- the solver kernels behind Newton on larger nets (n >= 48: LAPACK loop, n >= 64: float32) --
@pytest.mark.parametrize("n, dtype", [(8, np.float64), (64, np.float64), (64, np.float32)])
def test_stacked_solve_matches_numpy_and_flags_singular_rows(n, dtype):
    from dynrnn.analysis import _newton as nw

    rng = np.random.default_rng(0)
    A = (np.eye(n) + 0.3 * rng.standard_normal((5, n, n))).astype(dtype)
    A[2] = 0.0
    A[2, :, 0] = 1.0  # rank one: exactly singular
    b = rng.standard_normal((5, n)).astype(dtype)
    expected = [np.linalg.solve(A[i].astype(np.float64), b[i].astype(np.float64))
                for i in (0, 1, 3, 4)]
    got = nw._solve_stack(A.copy(), b)
    rtol = 1e-10 if dtype == np.float64 else 1e-3
    for i, e in zip((0, 1, 3, 4), expected):
        np.testing.assert_allclose(got[i], e, rtol=rtol, atol=rtol)
    assert np.all(np.isnan(got[2]))


def test_mixed_precision_newton_reaches_float64_accuracy_quadratically():
    """On a 96-unit net the global phase solves in float32; every converged start still meets
    ‖F(x) − x‖ ≤ 1e-10 (checked with the public step), the float64 local phase converges
    quadratically, and the points are those an all-float64 run finds from the same starts."""
    from dynrnn.analysis import _newton as nw

    net = P.random_tanh_net(96, 1.5, seed=3, bias_scale=0.1)
    rng = np.random.default_rng(5)
    box = net.invariant_box()
    starts = nw.sample_starts(net, None, 40, rng, box)[:, None, :]
    mixed = nw.newton(net, None, starts, tol=1e-10, max_iter=60, box=box)
    plain = nw.newton(net, None, starts, tol=1e-10, max_iter=60, box=box, mixed_precision=False)
    ok = mixed.outcome == nw.Outcome.CONVERGED
    assert ok.sum() >= 20
    X = mixed.X[ok, 0]
    assert np.all(np.linalg.norm(net.step(X) - X, axis=1) <= 1e-10)
    checked = 0
    for j in np.flatnonzero(ok):
        r = mixed.history[:, j]
        r = r[np.isfinite(r)]
        for a, b in zip(r[:-1], r[1:]):
            if 1e-12 < b and a < 1e-3:
                assert b <= 50.0 * a * a, (a, b)
                checked += 1
    assert checked >= 10
    found = X[nw.deduplicate(X[:, None], mixed.residual[ok], 1e-6)]
    ok64 = plain.outcome == nw.Outcome.CONVERGED
    X64 = plain.X[ok64, 0]
    found64 = X64[nw.deduplicate(X64[:, None], plain.residual[ok64], 1e-6)]
    for x in found:  # a point either run finds is a fixed point; most are found by both
        assert np.linalg.norm(net.step(x) - x) <= 1e-10
    shared = sum(bool(np.any(nw.same_point(found64, x[None], 1e-6))) for x in found)
    assert shared >= min(len(found), len(found64)) - 1


@pytest.mark.parametrize("w, b, activation", [(4.0, -2.0, "sigmoid"), (1.0, 0.0, "tanh")])
def test_cusp_point_is_one_non_hyperbolic_fixed_point(w, b, activation):
    # At the cusp F(x) − x has a triple root at 0 and is below its own rounding error on a
    # stretch around it: that stretch is one degenerate root, not many.
    result = dr.find_fixed_points(dr.RNN([[w]], b=[b], activation=activation))
    (point,) = list(result)
    assert abs(point.x[0]) < 1e-4
    assert point.kind == dr.PointKind.NON_HYPERBOLIC
    assert result.exhaustive


def test_just_past_the_tanh_cusp_the_single_root_is_found():
    # tanh(x) + c = x with c = 1e-12: x ≈ (3c)^(1/3) = 1.44225e-4, the only fixed point. There
    # g' = −x² ≈ −2.1e-8, so float64 (rounding of g about 3.6e-15) fixes the root only to within
    # 3.6e-15 / 2.1e-8 ≈ 1.7e-7.
    result = dr.find_fixed_points(dr.RNN([[1.0]], b=[1e-12], activation="tanh"))
    (point,) = list(result)
    assert abs(point.x[0] - (3e-12) ** (1 / 3)) < 2e-7


def test_unbounded_map_finds_fixed_points_far_from_the_origin():
    # Hénon at a = 0.2, b = 0.3: the saddle sits at x ≈ −4.59, far outside [−1, 1]²; starts at
    # several scales reach it.
    result = dr.find_fixed_points(P.henon_map(0.2, 0.3), seed=0)
    found = np.array(sorted((p.x for p in result), key=lambda x: x[0]))
    expected = np.array([x for x, _ in P.henon_fixed_points(0.2, 0.3)])
    np.testing.assert_allclose(found, expected, atol=1e-12)
