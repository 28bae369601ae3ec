"""Tests of analysis/bifurcations.py (the codimension-one test functions, now in
dynrnn.analysis.continuation.testfunctions) against closed forms, called directly rather than
through a whole branch."""
import itertools
import math

import numpy as np
import pytest
import sympy as sp

import dynrnn as dr
from dynrnn.analysis.bifurcations import (detect_and_locate, locate_on_segment,
                                          multiplier_signs, ns_sign, pd_sign)
from dynrnn.analysis.continuation.branch import FixedPointProblem
from dynrnn.analysis.continuation.testfunctions import _critical_vectors, detect_segments
from dynrnn.model.families import as_family
from tests import problems as P

BK = dr.BifurcationKind


def _problem(system, name, period=1):
    return FixedPointProblem(as_family(system, name), system.n_states, None, period)


def _unit(v):
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


# -- the signs, against the products they stand for ------------------------------------------------
def test_signs_match_the_products_they_stand_for():
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(1, 6))
        M = 1.5 * rng.standard_normal((n, n))
        mu = np.linalg.eigvals(M)
        assert pd_sign(mu) == np.sign(np.linalg.det(M + np.eye(n)))
        pairs = [mu[i] * mu[j] - 1 for i, j in itertools.combinations(range(n), 2)]
        expected_ns = np.sign(np.prod(pairs).real) if pairs else 1.0
        assert ns_sign(mu) == expected_ns
        pd, ns, n_unstable, n_complex_unstable = multiplier_signs(mu)
        assert (pd, ns) == (pd_sign(mu), ns_sign(mu))
        assert n_unstable == int(np.sum(np.abs(mu) > 1))
        assert n_complex_unstable == int(np.sum((np.abs(mu) > 1) & (np.abs(mu.imag) > 1e-9)))


def test_signs_do_not_overflow():
    # det(M + I) of 400 multipliers of size 1e3 overflows a float; its sign does not
    mu = np.full(400, -1e3 + 0j)
    assert pd_sign(mu) == 1.0            # (1 - 1e3)^400 > 0
    mu[0] = 1e3
    assert pd_sign(mu) == -1.0
    assert ns_sign(np.array([2.0, 0.25 + 0j])) == -1.0   # 2 · 0.25 − 1 < 0
    assert ns_sign(np.array([2.0, 0.75 + 0j])) == 1.0


def test_detect_segments_reads_each_kind_from_its_sign():
    tp = np.array([1.0, 0.5, -0.5, -1.0, -1.0, -1.0])       # LP between 1 and 2
    det = np.array([1.0, 1.0, 1.0, 1.0, -1.0, -1.0])        # BP between 3 and 4
    signs = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0],
                      [-1, 1, 1, 0]], dtype=float)          # PD between 4 and 5
    found = detect_segments(tp, det, signs)
    assert found == {1: [BK.LP], 3: [BK.BP], 4: [BK.PD]}
    # a complex pair leaving the circle (both counts +2) is NS; a neutral saddle (ns sign flips,
    # no count changes) is not
    signs = np.array([[1, 1, 0, 0], [1, -1, 0, 0], [1, 1, 2, 2]], dtype=float)
    assert detect_segments(np.ones(3), np.ones(3), signs) == {1: [BK.NS]}


# -- location on one segment, against closed forms ---------------------------------------------
OPTS = dr.ContinuationOptions()


def test_locates_the_logistic_flip_at_r_3():
    # x* = 1 − 1/r, multiplier 2 − r: PD at r = 3, x* = 2/3
    problem = _problem(P.logistic_map(2.9), "r")
    z_a, z_b = np.array([1 - 1 / 2.9, 2.9]), np.array([1 - 1 / 3.1, 3.1])
    t_a = _unit([1 / 2.9**2, 1.0])
    z, mu, psi, frac, n_iter, located = locate_on_segment(problem, BK.PD, z_a, t_a, z_b, OPTS)
    assert located and 0 < frac < 1 and n_iter >= 1
    assert z[1] == pytest.approx(3.0, abs=1e-12) and z[0] == pytest.approx(2 / 3, abs=1e-12)
    assert mu[0] == pytest.approx(-1.0, abs=1e-11) and abs(psi) < 1e-11
    vectors = _critical_vectors(problem, BK.PD, z)
    assert vectors["multiplier"] == pytest.approx(-1.0, abs=1e-11)
    assert abs(vectors["eigenvector"][0]) == pytest.approx(1.0)
    assert vectors["param_derivative"][0] == pytest.approx(2 / 9, abs=1e-11)   # x(1 − x)


def test_locates_a_fold_at_its_closed_form():
    # x' = x + p − x²: fixed points x = ±sqrt(p), the fold at p = 0, x = 0, multiplier 1
    x, p = sp.symbols("x p")
    problem = _problem(dr.Map.from_sympy([x + p - x**2], [x], {p: 0.01}), "p")
    z_a, z_b = np.array([-0.1, 0.01]), np.array([0.1, 0.01])
    t_a = _unit([1.0, -0.2])                       # (dx, dp) ∝ (1, 2x) at x = −0.1
    z, mu, psi, frac, _, located = locate_on_segment(problem, BK.LP, z_a, t_a, z_b, OPTS)
    assert located and abs(z[1]) < 1e-12 and abs(z[0]) < 1e-6
    assert mu[0] == pytest.approx(1.0, abs=1e-6) and abs(psi) < 1e-10
    # the hyperplane coordinate t_a·(z − z_a) at the fold over that at z_b: 0.102 / 0.2
    assert frac == pytest.approx(0.51, abs=1e-9)


def test_locates_a_transcritical_branch_point():
    # x' = x + x (p − x): the branches x = 0 and x = p cross at (0, 0) (multiplier 1 + p on x = 0)
    x, p = sp.symbols("x p")
    problem = _problem(dr.Map.from_sympy([x + x * (p - x)], [x], {p: -0.1}), "p")
    z_a, z_b = np.array([0.0, -0.1]), np.array([0.0, 0.1])
    z, mu, psi, _, _, located = locate_on_segment(problem, BK.BP, z_a, np.array([0.0, 1.0]),
                                                  z_b, OPTS)
    assert located and abs(z[1]) < 1e-10 and z[0] == 0.0
    assert mu[0] == pytest.approx(1.0, abs=1e-10)


def test_locates_neimark_sacker_and_its_angle():
    # x' = ρ R(θ) tanh(x): the origin is fixed with multipliers ρ e^{±iθ}, NS at ρ = 1
    problem = _problem(P.rotation_map(0.9, math.pi / 5), "rho")
    z_a, z_b = np.array([0.0, 0.0, 0.9]), np.array([0.0, 0.0, 1.1])
    z, mu, psi, _, _, located = locate_on_segment(problem, BK.NS, z_a, np.array([0, 0, 1.0]),
                                                  z_b, OPTS)
    assert located and z[2] == pytest.approx(1.0, abs=1e-12)
    assert np.abs(mu) == pytest.approx([1.0, 1.0], abs=1e-12)
    assert abs(np.angle(mu[0])) == pytest.approx(math.pi / 5, abs=1e-12)


def test_detect_and_locate_on_the_henon_branch():
    """LP at a = −(1 − b)²/4 and PD at a = 3(1 − b)²/4, the eigenvalues at each point sorted by
    decreasing modulus, the critical multiplier at ±1, the point inside its arclength bracket."""
    b = 0.3
    branch = dr.continuation(P.henon_map(0.2, b), "a", P.henon_fixed_points(0.2, b)[1][0],
                             (-0.2, 1.0), direction="both",
                             options=dr.ContinuationOptions(detect=False, ds_max=0.05))
    assert branch.bifurcations == ()
    problem = _problem(P.henon_map(0.2, b), "a")
    Z = np.column_stack([branch.states, branch.params])
    signs = np.array([multiplier_signs(m) for m in branch.eigenvalues])
    det = np.array([problem.point(z, problem.evaluate(z), t).det_sign
                    for z, t in zip(Z, branch.tangents)])
    found = detect_and_locate(problem, Z, branch.tangents, branch.eigenvalues, det, signs,
                              branch.arclength, OPTS)
    assert [f.kind for f in found] == [BK.LP, BK.PD]
    lp, pd = found
    assert lp.param == pytest.approx(P.HENON_FOLD(b), abs=1e-12)
    assert pd.param == pytest.approx(P.HENON_FLIP(b), abs=1e-12)
    assert min(abs(lp.eigenvalues - 1)) < 1e-9 and min(abs(pd.eigenvalues + 1)) < 1e-9
    for f in found:
        assert np.all(np.diff(np.abs(f.eigenvalues)) <= 1e-12)
        lo, hi = f.extra["arclength_bracket"]
        assert lo <= f.extra["arclength"] <= hi
        # the located point is a fixed point
        m = P.henon_map(f.param, b)
        np.testing.assert_allclose(m.step(f.x), f.x, atol=1e-12)
