"""One-parameter continuation: located bifurcations against closed forms, branch invariants."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import scipy.optimize
import sympy as sp

import dynrnn as dr
from dynrnn.analysis import ContinuationStatus
from dynrnn.analysis.special_points import BifurcationKind
from tests import problems as P

LOC_TOL = 1e-8


def kinds(branch):
    return [b.kind.value for b in branch.bifurcations]


def check_invariants(branch, ds_max=None, n_multipliers=None):
    """BifurcationKit-style branch invariants (testBranch). ``n_multipliers``: the columns of
    ``eigenvalues`` (all n unless only the leading ones are kept)."""
    n = branch.states.shape[1]
    m = branch.n_points
    assert branch.params.shape == (m,) and branch.states.shape == (m, n)
    k = n if n_multipliers is None else n_multipliers
    assert branch.eigenvalues.shape == (m, k) and np.iscomplexobj(branch.eigenvalues)
    assert np.all(np.diff(branch.arclength) >= 0)
    # every point solves F^k(x) = x
    fam = branch.family
    for p, x in zip(branch.params[:: max(1, m // 20)], branch.states[:: max(1, m // 20)]):
        system = fam.at(p)
        y = system.iterate(x, branch.period)
        assert np.max(np.abs(y - x)) < 1e-8 * (1 + np.max(np.abs(x)))
    # stability is what the multipliers say
    assert np.array_equal(branch.stable, np.max(np.abs(branch.eigenvalues), axis=1) < 1)
    for b in branch.bifurcations:
        i = b.index
        lo, hi = sorted(b.bracket)
        s_lo, s_hi = b.extra["arclength_bracket"]
        assert s_lo <= b.extra["arclength"] <= s_hi
        change = abs(int(branch.n_unstable[i + 1]) - int(branch.n_unstable[i]))
        if b.kind == BifurcationKind.LP:
            # the parameter turns: the fold lies at or beyond both ends of the bracket
            assert b.param >= hi - 1e-12 or b.param <= lo + 1e-12
            assert min(abs(b.param - lo), abs(b.param - hi)) <= branch.arclength[i + 1] - \
                branch.arclength[i] + 1e-12
            assert change == 1
        else:
            assert lo - 1e-12 <= b.param <= hi + 1e-12
            if b.kind == BifurcationKind.PD:
                assert change == 1
                assert np.min(np.abs(b.eigenvalues + 1)) < 1e-6
            if b.kind == BifurcationKind.NS:
                assert change == 2
                assert 0 < b.angle < math.pi
        # the point itself solves the equations
        system = fam.at(b.param)
        y = system.iterate(b.x, b.period)
        assert np.max(np.abs(y - b.x)) < 1e-8 * (1 + np.max(np.abs(b.x)))
    if ds_max is not None:
        z = np.column_stack([branch.states, branch.params])
        assert np.max(np.linalg.norm(np.diff(z, axis=0), axis=1)) <= 3 * ds_max


# -- Pascanu Fig. 3 / Doya: one unit x -> 5 σ(x) + b -------------------------------------------
def test_sigmoid_one_unit_two_folds():
    net = P.one_unit(5.0, 0.0, "sigmoid")
    x0 = net.iterate([0.0], 100)
    branch = dr.continuation(net, "b[0]", x0, bounds=(-5.0, 0.0), direction="backward")
    assert branch.success and branch.status == ContinuationStatus.REACHED_BOUND
    assert kinds(branch) == ["LP", "LP"]
    exact = sorted(P.one_unit_folds(5.0, "sigmoid"))
    found = sorted(b.param for b in branch.bifurcations)
    np.testing.assert_allclose(found, exact, rtol=0, atol=LOC_TOL)
    np.testing.assert_allclose(found, P.SIGMOID_FOLDS_W5, rtol=0, atol=1e-9)
    # it lands exactly on the far bound
    assert branch.params[-1] == -5.0 and branch.params[0] == 0.0
    # fold points satisfy w σ'(x*) = 1
    for b in branch.bifurcations:
        s = 1 / (1 + math.exp(-b.x[0]))
        assert abs(5 * s * (1 - s) - 1) < 1e-8
        assert abs(b.eigenvalues[0] - 1) < 1e-8
    check_invariants(branch, ds_max=0.1)


def test_tanh_one_unit_two_folds_both_directions():
    net = P.one_unit(5.0, 0.0, "tanh")
    branch = dr.continuation(net, "b[0]", [4.9], bounds=(-5.0, 5.0), direction="both")
    assert branch.success
    assert kinds(branch) == ["LP", "LP"]
    np.testing.assert_allclose(sorted(b.param for b in branch.bifurcations),
                               P.one_unit_folds(5.0, "tanh"), rtol=0, atol=LOC_TOL)
    np.testing.assert_allclose(sorted(b.param for b in branch.bifurcations), P.TANH_FOLDS_W5,
                               atol=1e-9)
    assert {branch.params[0], branch.params[-1]} == {-5.0, 5.0}
    check_invariants(branch, ds_max=0.1)


# -- logistic map: period doubling ----------------------------------------------------------
def test_logistic_pd_and_switch():
    lm = P.logistic_map(2.8)
    fixed = dr.continuation(lm, "r", [1 - 1 / 2.8], bounds=(2.8, 3.6))
    assert kinds(fixed) == ["PD"]
    assert abs(fixed.bifurcations[0].param - 3.0) < LOC_TOL
    check_invariants(fixed)
    cycle = dr.switch_branch(fixed, fixed.bifurcations[0])
    assert cycle.period == 2 and cycle.success
    assert kinds(cycle) == ["PD"]
    assert abs(cycle.bifurcations[0].param - (1 + math.sqrt(6))) < LOC_TOL
    # the cycle points match the closed form, and the multiplier −r² + 2r + 4 (away from the
    # pitchfork of F², where x(r) ~ sqrt(r − 3) magnifies errors along the branch)
    for p, x, mu in zip(cycle.params, cycle.states, cycle.eigenvalues):
        if p < 3.01:
            continue
        pts, mult = P.logistic_two_cycle(p)
        assert np.min(np.abs(pts - x[0])) < 1e-8
        assert abs(mu[0] - mult) < 1e-7
    check_invariants(cycle)


def test_switch_branch_needs_pd_or_bp():
    lm = P.logistic_map(2.8)
    fixed = dr.continuation(lm, "r", [1 - 1 / 2.8], bounds=(2.8, 3.6))
    fake = dr.Bifurcation(BifurcationKind.LP, 3.0, np.array([2 / 3]), np.array([1.0]),
                          (2.9, 3.1))
    with pytest.raises(dr.InvalidInputError, match="PD or BP"):
        dr.switch_branch(fixed, fake)


# -- Hénon map: fold and flip ------------------------------------------------------------------
def test_henon_fold_and_flip():
    b = 0.3
    h = P.henon_map(0.2, b)
    _, (x_plus, _) = P.henon_fixed_points(0.2, b)
    opts = dr.ContinuationOptions(max_points=300, ds_max=0.05)
    branch = dr.continuation(h, "a", x_plus, bounds=(-0.2, 1.0), direction="both",
                             options=opts)
    assert kinds(branch) == ["LP", "PD"]
    lp, pd = branch.bifurcations
    assert abs(lp.param - P.HENON_FOLD(b)) < LOC_TOL
    assert abs(pd.param - P.HENON_FLIP(b)) < LOC_TOL
    # the other half escapes to infinity as a -> 0: it stops on max_points, not on a failure
    assert branch.success
    assert ContinuationStatus.MAX_POINTS in branch.end_statuses
    # states along the branch agree with the closed-form fixed points
    for a, x in zip(branch.params[::25], branch.states[::25]):
        if a > -0.12:
            pts = [fp for fp, _ in P.henon_fixed_points(a, b)]
            assert min(np.max(np.abs(x - q)) for q in pts) < 1e-8 * (1 + np.max(np.abs(x)))
    check_invariants(branch, ds_max=0.05)


# -- Neimark–Sacker and neutral saddles --------------------------------------------------------
def test_rotation_net_neimark_sacker():
    net = P.rotation_net(1.0)
    branch = dr.continuation(net, "gain", [0.0, 0.0], bounds=(0.8, 1.2), p0=0.8)
    assert kinds(branch) == ["NS"]
    ns = branch.bifurcations[0]
    assert abs(ns.param - 1.0) < LOC_TOL
    assert abs(ns.angle - math.pi / 5) < 1e-8
    check_invariants(branch)


def test_rotation_net_ns_in_named_weight_family():
    # scaling one weight is not a rotation any more: multipliers of [[c, -s], [s, c]] with
    # W_rec[0,0] = w: compare with the closed-form det = 1 crossing (|μ|² = det for a pair)
    c, s = math.cos(math.pi / 5), math.sin(math.pi / 5)
    net = dr.RNN([[0.5, -s], [s, c]], activation="tanh")
    branch = dr.continuation(net, "W_rec[0,0]", [0.0, 0.0], bounds=(0.5, 1.2))
    assert kinds(branch) == ["NS"]
    w_exact = (1 - s * s) / c          # det = w c + s² = 1
    assert abs(branch.bifurcations[0].param - w_exact) < LOC_TOL
    trace = w_exact + c
    assert abs(branch.bifurcations[0].angle - math.acos(trace / 2)) < 1e-8
    check_invariants(branch)


def test_neutral_saddle_is_not_ns():
    # multipliers 2 and a at the origin: μ1 μ2 = 1 at a = 0.5 but nothing crosses |μ| = 1
    net = dr.RNN(np.diag([2.0, 0.3]), activation="tanh")
    branch = dr.continuation(net, "W_rec[1,1]", [0.0, 0.0], bounds=(0.3, 0.7))
    assert branch.success and kinds(branch) == []
    from dynrnn.analysis.bifurcations import ns_sign
    assert ns_sign(branch.eigenvalues[0]) * ns_sign(branch.eigenvalues[-1]) < 0


# -- branch points and switching ---------------------------------------------------------------
def test_pitchfork_branch_point_and_switch():
    net = P.one_unit(0.5, 0.0, "tanh")
    trivial = dr.continuation(net, "W_rec[0,0]", [0.0], bounds=(0.5, 2.0))
    assert kinds(trivial) == ["BP"]
    assert abs(trivial.bifurcations[0].param - 1.0) < LOC_TOL
    other = dr.switch_branch(trivial, trivial.bifurcations[0])
    assert other.success and other.n_points > 10
    x, w = other.states[:, 0], other.params
    # nontrivial branch w = x / tanh(x), both signs
    nz = np.abs(x) > 1e-6
    far = np.abs(x) > 0.1    # near the BP, w(x) is flat: compare residuals there
    np.testing.assert_allclose(w[far], x[far] / np.tanh(x[far]), rtol=1e-9)
    np.testing.assert_allclose(w * np.tanh(x) - x, 0, atol=1e-9)
    assert x.min() < -1 and x.max() > 1
    assert set(other.params[[0, -1]]) == {2.0}
    assert np.all(other.stable[nz])


# -- a fold on a 50-unit network ---------------------------------------------------------------
def bistable_net(n=50, seed=1):
    rng = np.random.default_rng(seed)
    W = 0.5 * rng.standard_normal((n, n)) / math.sqrt(n)
    W[0, 0] = 5.0
    return dr.RNN(W, b=0.3 * rng.standard_normal(n), activation="tanh")


def test_fifty_unit_fold_no_jumps():
    net = bistable_net()
    x0 = net.iterate(np.full(50, 3.0), 300)
    opts = dr.ContinuationOptions(ds_max=0.2)
    branch = dr.continuation(net, "b[0]", x0, bounds=(-8.0, 8.0), p0=net.b[0],
                             direction="both", options=opts)
    assert branch.success
    assert kinds(branch) == ["LP", "LP"]
    check_invariants(branch, ds_max=0.2)
    # fold condition: a multiplier at 1 and a singular G_x
    for b in branch.bifurcations:
        J = net.with_params({"b[0]": b.param}).jacobian(b.x)
        assert np.min(np.abs(np.linalg.eigvals(J) - 1)) < 1e-7


# -- the straight line between two networks ----------------------------------------------------
def test_line_between_networks_matches_independent_solves():
    a = P.random_tanh_net(6, 0.6, seed=3, bias_scale=0.5)
    b = P.random_tanh_net(6, 0.6, seed=4, bias_scale=0.5)

    def fixed_point(net):
        sol = scipy.optimize.root(lambda x: net.step(x) - x, np.zeros(6), tol=1e-13)
        assert sol.success
        return sol.x

    xa, xb = fixed_point(a), fixed_point(b)
    branch = dr.continuation(a, ("line", b), xa + 0.01, bounds=(0.0, 1.0))
    assert branch.success and branch.params[0] == 0.0 and branch.params[-1] == 1.0
    np.testing.assert_allclose(branch.states[0], xa, atol=1e-9)
    np.testing.assert_allclose(branch.states[-1], xb, atol=1e-9)
    family = dr.LineBetween(a, b)
    same = dr.continuation(a, family, xa, bounds=(0.0, 1.0))
    np.testing.assert_allclose(same.states[-1], xb, atol=1e-9)
    check_invariants(branch)


# -- the map-from-callable fallback ------------------------------------------------------------
def test_callable_map_without_jacobians_matches_sympy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dr.DerivativeFallbackWarning)
        m = dr.Map(lambda x, p: np.array([1 - p["a"] * x[0] ** 2 + x[1], p["b"] * x[0]]), 2,
                   {"a": 0.2, "b": 0.3})
    _, (x_plus, _) = P.henon_fixed_points(0.2, 0.3)
    branch = dr.continuation(m, "a", x_plus, bounds=(0.2, 0.6))
    assert kinds(branch) == ["PD"]
    assert abs(branch.bifurcations[0].param - P.HENON_FLIP(0.3)) < 1e-7


# -- bad input and failures --------------------------------------------------------------------
def test_start_not_near_fixed_point():
    lm = P.logistic_map(2.8)
    with pytest.raises(dr.InvalidInputError, match="residual") as info:
        dr.continuation(lm, "r", [1e6], bounds=(2.5, 3.5),
                        options=dr.ContinuationOptions(max_newton_iter=3))
    assert info.value.argument == "start"


def test_bounds_must_contain_p0():
    lm = P.logistic_map(2.8)
    with pytest.raises(dr.InvalidInputError, match=r"bounds \(3.0, 3.5\).*p0=2.8"):
        dr.continuation(lm, "r", [0.6], bounds=(3.0, 3.5))


def test_unknown_parameter():
    with pytest.raises(dr.UnknownParameterError, match="'q'"):
        dr.continuation(P.logistic_map(2.8), "q", [0.6], bounds=(2.5, 3.5))


def test_inconsistent_step_bounds_show_values():
    with pytest.raises(dr.InvalidInputError, match=r"ds_min=0.5, ds=0.01, ds_max=0.1"):
        dr.ContinuationOptions(ds_min=0.5)
    with pytest.raises(dr.InvalidInputError, match=r"ds=0.3, ds_max=0.1"):
        dr.ContinuationOptions(ds=0.3)


def singular_map():
    """x' = x/2 + sqrt(1 − p): fixed points x = 2 sqrt(1 − p) end at p = 1 (no solution past)."""
    x, p = sp.symbols("x p")
    return dr.Map.from_sympy([x / 2 + sp.sqrt(1 - p)], [x], {p: 0.0})


def test_corrector_failure_keeps_points():
    m = singular_map()
    branch = dr.continuation(m, "p", [2.0], bounds=(-1.0, 2.0))
    assert not branch.success
    assert branch.status.is_failure
    assert branch.n_points > 5
    assert np.all(branch.params < 1.0 + 1e-12)
    np.testing.assert_allclose(branch.states[:, 0], 2 * np.sqrt(1 - branch.params), atol=1e-8)
    with pytest.raises(dr.ConvergenceError) as info:
        dr.continuation(m, "p", [2.0], bounds=(-1.0, 2.0), raise_on_failure=True)
    assert info.value.result.n_points == branch.n_points


def test_callback_stops_and_max_points():
    lm = P.logistic_map(2.8)
    seen = []
    branch = dr.continuation(lm, "r", [1 - 1 / 2.8], bounds=(2.8, 3.6),
                             callback=lambda pt: seen.append(pt.param) or len(seen) < 3)
    assert branch.status == ContinuationStatus.STOPPED_BY_CALLBACK and branch.n_points == 4
    assert seen == list(branch.params[1:])
    short = dr.continuation(lm, "r", [1 - 1 / 2.8], bounds=(2.8, 3.6),
                            options=dr.ContinuationOptions(max_points=5, ds_max=0.01))
    assert short.status == ContinuationStatus.MAX_POINTS and short.n_points == 5 and short.success


def test_bad_period_and_direction():
    lm = P.logistic_map(2.8)
    with pytest.raises(dr.InvalidInputError, match="period"):
        dr.continuation(lm, "r", [0.6], bounds=(2.5, 3.5), period=0)
    with pytest.raises(dr.InvalidInputError, match="direction"):
        dr.continuation(lm, "r", [0.6], bounds=(2.5, 3.5), direction=2)


def test_period_two_start_directly():
    r = 3.2
    pts, mult = P.logistic_two_cycle(r)
    branch = dr.continuation(P.logistic_map(r), "r", [pts[0] + 1e-3], bounds=(3.1, 3.5), period=2,
                             direction="both")
    assert branch.period == 2 and kinds(branch) == ["PD"]
    assert abs(branch.bifurcations[0].param - (1 + math.sqrt(6))) < LOC_TOL


def test_start_on_bound_heading_out():
    lm = P.logistic_map(2.8)
    branch = dr.continuation(lm, "r", [0.6], bounds=(2.8, 3.2), direction="both")
    assert branch.params[0] == 2.8 and branch.params[-1] == 3.2
    assert np.all(np.diff(branch.params) > 0)
    assert branch.end_statuses == (ContinuationStatus.REACHED_BOUND,
                                   ContinuationStatus.REACHED_BOUND)


def test_closed_curve_of_fixed_points():
    # F(x) = x + 2 (x² + p² − 1): fixed points on the unit circle, multiplier 1 + 4x:
    # folds at p = ±1 (x = 0), flips at x = −1/2, p = ±sqrt(3)/2
    x, p = sp.symbols("x p")
    m = dr.Map.from_sympy([x + 2 * (x**2 + p**2 - 1)], [x], {p: 0.0})
    branch = dr.continuation(m, "p", [1.0], bounds=(-2.0, 2.0), direction="both")
    assert branch.status == ContinuationStatus.CLOSED_LOOP and branch.success
    found = sorted((b.kind.value, round(b.param, 6)) for b in branch.bifurcations)
    assert [k for k, _ in found] == ["LP", "LP", "PD", "PD"]
    lps = sorted(b.param for b in branch.bifurcations if b.kind.value == "LP")
    pds = sorted(b.param for b in branch.bifurcations if b.kind.value == "PD")
    np.testing.assert_allclose(lps, [-1.0, 1.0], atol=LOC_TOL)
    np.testing.assert_allclose(pds, [-math.sqrt(3) / 2, math.sqrt(3) / 2], atol=LOC_TOL)
    np.testing.assert_allclose(branch.states[:, 0] ** 2 + branch.params ** 2, 1.0, atol=1e-9)
    check_invariants(branch)


def test_transcritical_branch_point_and_switch():
    # x -> x + x (p − x): branches x = 0 and x = p cross at p = 0
    x, p = sp.symbols("x p")
    m = dr.Map.from_sympy([x + x * (p - x)], [x], {p: -0.5})
    trivial = dr.continuation(m, "p", [0.0], bounds=(-0.5, 0.5))
    assert kinds(trivial) == ["BP"]
    assert abs(trivial.bifurcations[0].param) < LOC_TOL
    other = dr.switch_branch(trivial, trivial.bifurcations[0])
    np.testing.assert_allclose(other.states[:, 0], other.params, atol=1e-9)
    assert set(other.params[[0, -1]]) == {-0.5, 0.5}
    # exchange of stability: x = p is stable for p > 0 (multiplier 1 − p)
    assert np.all(other.stable[other.params > 1e-6])
    assert not np.any(other.stable[other.params < -1e-6])


def test_henon_two_cycle_flip_closed_form():
    b = 0.3
    h = P.henon_map(0.2, b)
    _, (xp, _) = P.henon_fixed_points(0.2, b)
    fixed = dr.continuation(h, "a", xp, bounds=(0.2, 1.0))
    pd = [bif for bif in fixed.bifurcations if bif.kind.value == "PD"][0]
    cycle = dr.switch_branch(fixed, pd)
    flips = [bif.param for bif in cycle.bifurcations if bif.kind.value == "PD"]
    # trace of the 2-cycle's monodromy 4((1−b)² − a) + 2b = −(1 + b²)
    assert len(flips) == 1
    assert abs(flips[0] - ((1 - b) ** 2 + (1 + b) ** 2 / 4)) < LOC_TOL
    # det of the 2-step Jacobian is b² all along
    np.testing.assert_allclose(np.prod(cycle.eigenvalues, axis=1).real, b * b, atol=1e-9)
    check_invariants(cycle)


@settings(max_examples=8, deadline=None)
@given(w=st.floats(4.5, 9.0), activation=st.sampled_from(["sigmoid", "tanh"]))
def test_one_unit_folds_for_any_gain(w, activation):
    net = P.one_unit(w, 0.0, activation)
    exact = P.one_unit_folds(w, activation)
    lo, hi = exact[0] - 2.0, exact[1] + 2.0
    start_net = net.with_params({"b[0]": hi})
    x0 = start_net.iterate([w], 200)
    branch = dr.continuation(net, "b[0]", x0, bounds=(lo, hi), p0=hi, direction="backward")
    assert kinds(branch) == ["LP", "LP"]
    np.testing.assert_allclose(sorted(b.param for b in branch.bifurcations), exact, atol=LOC_TOL)


def test_internal_linear_algebra_matches_numpy():
    from dynrnn.analysis.continuation.engine import solve_bordered as _solve
    from dynrnn.analysis.stability import sort_eigenvalues, sorted_multipliers as _multipliers
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(1, 7))
        A = rng.standard_normal((n, n))
        rhs = rng.standard_normal(n)
        y, sign = _solve(A, rhs)
        np.testing.assert_allclose(A @ y, rhs, atol=1e-9 * (1 + np.abs(y).max()))
        assert sign == np.linalg.slogdet(A)[0]
        mu = _multipliers(A)
        ref = np.linalg.eigvals(A)
        assert mu.dtype == complex and mu.shape == (n,)
        assert np.all(np.diff(np.abs(mu)) <= 1e-12)
        for m in ref:
            assert np.min(np.abs(mu - m)) < 1e-9 * (1 + abs(m))
        # the one ordering rule: the closed forms order like the general sort
        np.testing.assert_allclose(mu, sort_eigenvalues(ref), atol=1e-9)


@pytest.mark.slow
def test_two_hundred_unit_fold_and_gain_sweep():
    net = bistable_net(200, seed=2)
    x0 = net.iterate(np.full(200, 3.0), 300)
    branch = dr.continuation(net, "b[0]", x0, bounds=(-8.0, 8.0), p0=net.b[0],
                             direction="both", options=dr.ContinuationOptions(ds_max=0.2))
    assert branch.success and kinds(branch) == ["LP", "LP"]
    # 200 states: "auto" keeps only the leading multipliers (ContinuationOptions.n_leading)
    check_invariants(branch, ds_max=0.2, n_multipliers=dr.ContinuationOptions().n_leading)
    for b in branch.bifurcations:
        J = net.with_params({"b[0]": b.param}).jacobian(b.x)
        assert np.min(np.abs(np.linalg.eigvals(J) - 1)) < 1e-7


def test_line_between_networks_through_a_fold():
    # b moves from -2 to -3 along s: the upper fixed point of x -> 5σ(x) + b disappears at the
    # fold b = -2.6556 (s = 0.6556); the branch turns back along the middle fixed point to the
    # other fold b = -2.3444 (s = 0.3444) and then follows the lower one to s = 1
    a = P.one_unit(5.0, -2.0, "sigmoid")
    b = P.one_unit(5.0, -3.0, "sigmoid")
    x_upper = a.iterate([5.0], 200)
    branch = dr.continuation(a, ("line", b), x_upper, bounds=(0.0, 1.0))
    assert kinds(branch) == ["LP", "LP"]
    folds = P.one_unit_folds(5.0, "sigmoid")
    np.testing.assert_allclose([bif.param for bif in branch.bifurcations],
                               [-2.0 - folds[0], -2.0 - folds[1]], atol=LOC_TOL)
    assert branch.params[0] == 0.0 and branch.params[-1] == 1.0
    assert branch.stable[0] and branch.stable[-1]
    assert np.count_nonzero(np.diff(branch.stable.astype(int))) == 2
    check_invariants(branch)


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_gain_sweep_of_trivial_branch_matches_spectrum(seed):
    # x = 0 is a fixed point of x -> g W tanh(x) for every gain g, with multipliers g λ_i(W):
    # each real λ > 0 gives a BP (pitchfork, tanh is odd), each real λ < 0 a PD and each complex
    # pair an NS, at g = 1/|λ|. Clusters of crossings must be resolved one by one.
    net = P.random_tanh_net(20, 1.0, seed=seed)
    lam = np.linalg.eigvals(net.W_rec)
    g_lo, g_hi = 0.5, 2.5
    expected = []
    for value in lam:
        g = 1 / abs(value)
        if not g_lo < g < g_hi or value.imag < -1e-12:
            continue
        kind = "NS" if value.imag > 1e-12 else ("BP" if value.real > 0 else "PD")
        expected.append((g, kind, abs(np.angle(value))))
    expected.sort()
    branch = dr.continuation(net, "gain", np.zeros(20), bounds=(g_lo, g_hi), p0=g_lo)
    assert kinds(branch) == [k for _, k, _ in expected]
    for bif, (g, kind, angle) in zip(branch.bifurcations, expected):
        assert abs(bif.param - g) < LOC_TOL
        if kind == "NS":
            assert abs(bif.angle - angle) < 1e-8
    check_invariants(branch)


def test_bifurcation_records_carry_critical_vectors():
    lm = P.logistic_map(2.8)
    fixed = dr.continuation(lm, "r", [1 - 1 / 2.8], bounds=(2.8, 3.6))
    pd = fixed.bifurcations[0]
    assert abs(pd.extra["multiplier"] + 1) < 1e-8
    net = P.rotation_net(1.0)
    ns = dr.continuation(net, "gain", [0.0, 0.0], bounds=(0.8, 1.2), p0=0.8).bifurcations[0]
    v, mu = ns.extra["eigenvector"], ns.extra["multiplier"]
    M = net.jacobian(ns.x)   # gain 1 at the NS point
    np.testing.assert_allclose(M @ v, mu * v, atol=1e-9)
    assert mu.imag > 0 and abs(abs(mu) - 1) < 1e-9
    w = ns.extra["left_eigenvector"]
    np.testing.assert_allclose(w @ M, mu * w, atol=1e-9)


def test_interrupt_keeps_points():
    lm = P.logistic_map(2.8)
    calls = []

    def interrupt(point):
        calls.append(point.param)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return True

    branch = dr.continuation(lm, "r", [1 - 1 / 2.8], bounds=(2.8, 3.6), callback=interrupt,
                             direction="both")
    assert branch.status == ContinuationStatus.INTERRUPTED and not branch.success
    assert branch.n_points == 6          # the start and the five points seen by the callback
    np.testing.assert_allclose(branch.params[1:], calls)
    assert "kept" in branch.message


def test_elman_gain_sweep_matches_spectrum():
    # h -> tanh(g W h): h = 0 for all g with multipliers g λ_i(W), as for the Pascanu form
    rng = np.random.default_rng(0)
    W = rng.standard_normal((6, 6)) / math.sqrt(6)
    lam = np.linalg.eigvals(W)
    expected = sorted((1 / abs(v), "NS" if abs(v.imag) > 1e-12 else ("BP" if v.real > 0
                                                                      else "PD"))
                      for v in lam if v.imag >= -1e-12 and 0.2 < 1 / abs(v) < 2.5)
    branch = dr.continuation(dr.ElmanRNN(W), "gain", np.zeros(6), bounds=(0.2, 2.5), p0=0.2)
    assert kinds(branch) == [k for _, k in expected]
    np.testing.assert_allclose([b.param for b in branch.bifurcations],
                               [g for g, _ in expected], atol=LOC_TOL)
    check_invariants(branch)


def test_a_fold_just_inside_the_bound_behind_the_start_is_found():
    # Hénon b = 0.3: a stable 6-cycle at a = 1.45 dies at a fold at a ≈ 1.44923, 0.0008 from
    # the start; with bounds (1.44, 1.45) the first corrector jumped over the fold out through
    # the bound the start lies on, and landing on that chord returned the start itself as a
    # new point (no fold, "reached a parameter bound"). The fold is checked by Newton on the
    # extended system written here: F^6(x) = x with a multiplier at +1.
    henon = P.henon_map(1.45, 0.3)
    x = np.array([-1.183, 0.3699])
    for _ in range(6000):
        x = np.array([1 - 1.45 * x[0] ** 2 + x[1], 0.3 * x[0]])
    branch = dr.continuation(henon, "a", x, (1.44, 1.45), p0=1.45, period=6,
                             direction="backward")
    folds = [b for b in branch.bifurcations if b.kind.value == "LP"]
    assert len(folds) == 1

    def extended(z):
        point, a = z[:2], z[2]
        product, state = np.eye(2), point
        for _ in range(6):
            product = np.array([[-2 * a * state[0], 1.0], [0.3, 0.0]]) @ product
            state = np.array([1 - a * state[0] ** 2 + state[1], 0.3 * state[0]])
        return np.concatenate([state - point, [np.linalg.det(product - np.eye(2))]])

    z = np.concatenate([folds[0].x, [folds[0].param]])
    for _ in range(30):
        jac = np.column_stack([(extended(z + 1e-7 * e) - extended(z - 1e-7 * e)) / 2e-7
                               for e in np.eye(3)])
        z = z - np.linalg.solve(jac, extended(z))
    assert abs(z[2] - folds[0].param) < 1e-6
    assert 1.44 < folds[0].param < 1.45


def test_two_real_multipliers_crossing_one_together_are_not_a_neimark_sacker_point():
    # diag(w, w) along w: both multipliers of the origin cross 1 at w = 1 at once, so the
    # bialternate test (μ1 μ2 = 1) changes sign with no complex pair; locating an NS there
    # raised numpy's "argmin of an empty sequence" out of dr.continuation
    line = dr.LineBetween(dr.RNN([[0.5, 0.0], [0.0, 0.5]]), dr.RNN([[1.5, 0.0], [0.0, 1.5]]))
    branch = dr.continuation(line.at(0.4), line, [6.24553932e-10, -7.49112213e-10], (0.4, 0.6),
                             p0=0.4)
    assert branch.success
    assert not [b for b in branch.bifurcations if b.kind.value == "NS"]
    np.testing.assert_allclose(branch.params[[0, -1]], [0.4, 0.6])
