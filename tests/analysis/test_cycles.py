"""find_cycles against closed forms: the logistic 2-cycle and the Hénon 2-cycle."""
import numpy as np
import pytest

import dynrnn as dr
from tests import problems as P


def _logistic_with_box(r):
    return dr.Map.from_sympy(list(P.logistic_map(r).exprs), list(P.logistic_map(r).states),
                             {"r": r}, box=(0.0, 1.0))


@pytest.mark.parametrize("route", ["bracket", "newton", "bracket-proved"])
def test_logistic_two_cycle(route):
    r = 3.2
    pts, mult = P.logistic_two_cycle(r)
    if route == "newton":
        result = dr.find_cycles(P.logistic_map(r), period=2, seed=0, n_starts=64)
        assert result.method is dr.SearchMethod.NEWTON
    elif route == "bracket":
        result = dr.find_cycles(_logistic_with_box(r), period=2)
        assert result.method is dr.SearchMethod.BRACKET and not result.exhaustive
    else:  # sup|F'| = r and sup|F''| = 2r on [0, 1]
        result = dr.find_cycles(_logistic_with_box(r), period=2, derivative_bounds=(r, 2 * r))
        assert result.exhaustive and result.status is dr.SearchStatus.COMPLETE
    assert len(result) == 1
    (cycle,) = result
    assert cycle.period == 2 and cycle.orbit.shape == (2, 1)
    np.testing.assert_allclose(np.sort(cycle.orbit[:, 0]), pts, atol=1e-12)
    # the orbit is in the map's order
    np.testing.assert_allclose(P.logistic_map(r).step(cycle.orbit[0]), cycle.orbit[1], atol=1e-12)
    np.testing.assert_allclose(cycle.eigenvalues, [mult], atol=1e-10)
    assert cycle.stable and cycle.residual < 1e-12


@pytest.mark.parametrize("with_box", [False, True])
def test_no_two_cycle_below_the_flip(with_box):
    m = _logistic_with_box(2.8) if with_box else P.logistic_map(2.8)
    result = dr.find_cycles(m, period=2, seed=0, n_starts=64,
                            derivative_bounds=(2.8, 5.6) if with_box else None)
    assert len(result) == 0
    # the fixed points were reached as solutions of F²(x) = x and rejected for their period
    assert result.n_lower_period >= 2
    if with_box:
        assert result.exhaustive and result.success


def test_period_one_equals_fixed_points():
    henon = P.henon_map()
    a = dr.find_cycles(henon, period=1, seed=0, n_starts=32)
    b = dr.find_fixed_points(henon, seed=0, n_starts=32)
    np.testing.assert_allclose(a.states, b.states, atol=1e-14)


def test_henon_two_cycle_by_multiple_shooting():
    a, b = 1.4, 0.3
    orbit, mult = P.henon_two_cycle(a, b)
    result = dr.find_cycles(P.henon_map(a, b), period=2, seed=1, n_starts=200)
    assert len(result) == 1, result
    (cycle,) = result
    # compare as sets of points (cyclic shifts are the same cycle)
    got = cycle.orbit[np.lexsort(cycle.orbit.T[::-1])]
    ref = orbit[np.lexsort(orbit.T[::-1])]
    np.testing.assert_allclose(got, ref, atol=1e-12)
    np.testing.assert_allclose(np.sort_complex(cycle.eigenvalues), np.sort_complex(mult),
                               atol=1e-10)
    assert result.n_duplicates > 0  # many starts found it, reported once


def test_four_cycle_of_logistic_map():
    """At r = 3.5 the logistic map has one stable 4-cycle (after two period doublings) and one
    unstable 2-cycle; period 4 must not report the 2-cycle or fixed points."""
    m = _logistic_with_box(3.5)
    result = dr.find_cycles(m, period=4, derivative_bounds=(3.5, 7.0))
    assert result.exhaustive
    stable = [c for c in result if c.stable]
    assert len(stable) == 1
    for c in result:
        x = c.orbit[:, 0]
        assert len(np.unique(np.round(x, 8))) == 4
        y = x.copy()
        for _ in range(4):
            y = 3.5 * y * (1 - y)
        np.testing.assert_allclose(y, x, atol=1e-10)
        # multiplier = product of r(1 − 2x) along the cycle
        np.testing.assert_allclose(c.eigenvalues.real, [np.prod(3.5 * (1 - 2 * x))], atol=1e-9)


@pytest.mark.parametrize("period", [0, -2])
def test_bad_period(period):
    with pytest.raises(dr.InvalidInputError) as info:
        dr.find_cycles(P.henon_map(), period=period)
    assert info.value.argument == "period"


def test_period_must_be_integer():
    with pytest.raises(dr.InvalidTypeError) as info:
        dr.find_cycles(P.henon_map(), period=2.0)
    assert info.value.argument == "period"


def test_start_of_wrong_shape():
    with pytest.raises(dr.ShapeError) as info:
        dr.find_cycles(P.henon_map(), period=2, starts=[1.0, 2.0, 3.0])
    assert info.value.argument == "starts"
