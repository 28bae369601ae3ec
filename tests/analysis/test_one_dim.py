"""Tests of dynrnn.analysis.one_dim: the certified bracketing of the roots of F^k(x) − x.

Answers come from outside the module: scipy's brentq with an ordinary tolerance, the series
x*² ≈ 3(w − 1) of the pitchfork of x -> w tanh(x) at w = 1, and closed forms for the logistic map.
"""
import math

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import brentq

import dynrnn as dr
from dynrnn.analysis.one_dim import bracket_cycles, derivative_bounds


def _tanh_fixed_point(w: float) -> float:
    """The positive root of x = w tanh(x) for w > 1, by scipy with a sane tolerance."""
    hi = max(2.0 * w, 2.0)
    return brentq(lambda x: x - w * math.tanh(x), 1e-3 * math.sqrt(w - 1.0), hi, xtol=1e-15,
                  rtol=1e-15)


def test_the_positive_fixed_point_of_gain_1_01_is_0_1734_by_two_routes():
    x_star = _tanh_fixed_point(1.01)
    assert x_star == pytest.approx(0.1734, abs=5e-5)
    # series of the pitchfork: x = w tanh x  ->  x² = 3ε/(1 + ε) + O(ε²) with w = 1 + ε
    eps = 0.01
    assert x_star == pytest.approx(math.sqrt(3 * eps / (1 + eps)), rel=1e-2)


@pytest.mark.parametrize("w", [0.5, 0.9, 0.99, 0.9999, 1.0001, 1.001, 1.01, 1.02, 1.05, 1.5, 3.0])
def test_bias_free_tanh_unit_on_both_sides_of_gain_one(w):
    """Regression (issue 10, defect 1): at gains just above 1 brentq(xtol=1e-300) never met its
    tolerance at the root x = 0 and raised scipy's RuntimeError."""
    result = dr.find_fixed_points(dr.RNN([[w]]))
    assert result.status == dr.SearchStatus.COMPLETE
    xs = np.sort([p.x[0] for p in result])
    if w < 1:
        assert xs.tolist() == [0.0]
        return
    x_star = _tanh_fixed_point(w)
    assert xs.size == 3
    np.testing.assert_allclose(xs, [-x_star, 0.0, x_star], rtol=1e-9, atol=1e-300)
    assert xs[1] == 0.0


def test_huge_gain_fixed_points_at_zero_and_plus_minus_w():
    result = dr.find_fixed_points(dr.RNN([[1e150]]))
    assert result.success
    xs = np.sort([p.x[0] for p in result])
    np.testing.assert_allclose(xs, [-1e150, 0.0, 1e150], rtol=1e-12, atol=0.0)


@pytest.mark.parametrize("period", [50, 500])
def test_long_periods_of_a_monotone_map_give_no_cycle_and_no_exception(period):
    """Regression (defects 1 and 2): brentq's RuntimeError at period 50, OverflowError from
    m1 ** k at period 500. An increasing map of the line has no cycle of period > 1."""
    result = dr.find_cycles(dr.RNN([[5.0]]), period)
    assert len(result) == 0
    assert result.n_lower_period >= 3 or not result.exhaustive


def test_overflowing_bound_still_finds_the_two_cycle():
    """Regression (defect 2): RNN([[-1e300]]) has the 2-cycle {−1e300, 1e300}; its bound
    M1² overflowed a Python float."""
    result = dr.find_cycles(dr.RNN([[-1e300]]), 2)
    assert len(result) == 1
    np.testing.assert_allclose(np.sort(result[0].orbit[:, 0]), [-1e300, 1e300], rtol=1e-12)
    # bounds of 1e600 cannot certify anything in float64: the result must not claim a proof
    assert not result.exhaustive


# -- the module on its own --------------------------------------------------------------------
def _logistic(r):
    x, rr = sp.symbols("x r")
    return dr.Map.from_sympy([rr * x * (1 - x)], [x], {rr: r}, box=(0.0, 1.0))


def test_bracket_cycles_finds_the_logistic_two_cycle_in_closed_form():
    r = 3.2
    system = _logistic(r)
    out = bracket_cycles(system, None, 0.0, 1.0, 2, m1=r, m2=2 * r, tol=1e-12)
    # F²(x) = x: the fixed points 0, 1 − 1/r and the 2-cycle (r + 1 ± √((r − 3)(r + 1))) / (2r)
    disc = math.sqrt((r - 3) * (r + 1))
    expected = sorted([0.0, 1 - 1 / r, (r + 1 - disc) / (2 * r), (r + 1 + disc) / (2 * r)])
    np.testing.assert_allclose(np.sort(out.roots), expected, atol=1e-12)
    assert out.tangential.size == 0
    assert out.certified and out.unresolved == 0


def test_bracket_cycles_reports_the_fold_point_as_tangential():
    # x -> x² + 1/4 touches the diagonal at x = 1/2 (a double root of F(x) − x)
    x = sp.symbols("x")
    system = dr.Map.from_sympy([x ** 2 + sp.Rational(1, 4)], [x], {}, box=(0.0, 1.0))
    out = bracket_cycles(system, None, 0.0, 1.0, 1, m1=2.0, m2=2.0, tol=1e-10)
    found = np.concatenate([out.roots, out.tangential])
    assert found.size == 1
    assert found[0] == pytest.approx(0.5, abs=1e-4)


def test_bracket_cycles_root_exactly_at_zero_is_exact():
    system = dr.RNN([[1.01]])
    out = bracket_cycles(system, None, -1.01, 1.01, 1, m1=1.01,
                         m2=1.01 * 4 / (3 * math.sqrt(3)), tol=1e-10)
    assert 0.0 in out.roots.tolist()
    assert out.certified


def test_derivative_bounds_closed_form_and_grid_estimate():
    m1, m2, rigorous, _ = derivative_bounds(dr.RNN([[2.0]]), None, -2.0, 2.0)
    assert rigorous
    assert m1 == pytest.approx(2.0)
    assert m2 == pytest.approx(2.0 * 4 / (3 * math.sqrt(3)))
    # logistic: F' = r(1 − 2x), F'' = −2r; the grid estimate must cover the true sup with margin
    m1, m2, rigorous, how = derivative_bounds(_logistic(3.2), None, 0.0, 1.0)
    assert not rigorous and "estimated" in how
    assert m1 >= 3.2 and m2 >= 6.4
    m1, m2, rigorous, _ = derivative_bounds(_logistic(3.2), None, 0.0, 1.0, bounds=(4, 7))
    assert (m1, m2, rigorous) == (4.0, 7.0, True)


def test_a_map_that_leaves_its_domain_is_not_bisected_forever():
    """Found by tests/test_fuzz_maps.py: where F^k is NaN every cell was bisected down to
    max_cells. Those cells are now counted as unresolved and the outcome is uncertified."""
    import time
    x = sp.symbols("x")
    # F(x) = sqrt(1 − x) − 0.5 is NaN for x > 1: half of [−1, 3] is outside its domain
    system = dr.Map.from_sympy(["sqrt(1 - x) - 0.5"], [x], {})
    start = time.perf_counter()
    out = bracket_cycles(system, None, -1.0, 3.0, 1, m1=10.0, m2=100.0, tol=1e-10)
    assert time.perf_counter() - start < 5.0
    assert not out.certified and out.unresolved > 0
    # the fixed point, sqrt(1 − x) = x + 0.5, by scipy on the domain
    root = brentq(lambda v: math.sqrt(1 - v) - 0.5 - v, -1.0, 1.0, xtol=1e-15)
    assert np.any(np.abs(out.roots - root) < 1e-10)
