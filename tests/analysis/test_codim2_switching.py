"""Switching at codimension-two points, against curves known in closed form."""
import numpy as np
import pytest
import sympy as sp

import dynrnn as dr
from dynrnn.analysis.codim2_switching import switch_at_codim2
from dynrnn.analysis.special_points import Bifurcation
from dynrnn.analysis.special_points import BifurcationKind as K
from tests.checks import assert_named_error


def henon_fold_curve():
    x, y, a, b = sp.symbols("x y a b")
    henon = dr.Map.from_sympy([1 - a * x**2 + y, b * x], [x, y], {a: 0.0, b: 0.3})
    a0 = -0.7**2 / 4
    xs = -0.7 / (2 * a0)
    lp = Bifurcation(K.LP, a0, np.array([xs, 0.3 * xs]), np.array([1.0, 0.3]), (a0, a0),
                     param_name="a")
    return henon, dr.continue_bifurcation(henon, lp, "b", (-1.5, 1.5), bounds1=(-3, 5))


@pytest.mark.slow      # about 2.5 s alone (a fold curve, a circle search, an NS curve)
def test_r1_of_the_henon_fold_curve_starts_the_ns_curve_b_equals_minus_one():
    henon, folds = henon_fold_curve()
    (r1,) = [c for c in folds.codim2 if c.kind == K.R1]
    assert (r1.param, r1.param2) == pytest.approx((-1.0, -1.0), abs=1e-8)
    options = dr.BifurcationCurveOptions(max_points=20)
    ns = switch_at_codim2(henon, r1, (-1.5, 1.5), bounds1=(-3, 5), options=options,
                          n_angles=8)
    assert ns.kind == K.NS and ns.n_steps > 10
    # det J = -b = 1 on the NS curve, and κ = cos θ = -a x (λ² + 2ax λ + 1 = 0 at b = -1)
    np.testing.assert_allclose(ns.params[:, 1], -1.0, atol=1e-9)
    inside = np.abs(ns.kappa) < 1
    assert np.count_nonzero(inside) > 10
    np.testing.assert_allclose(ns.kappa[inside],
                               -ns.params[inside, 0] * ns.states[inside, 0], atol=1e-9)


def test_lppd_switches_between_fold_and_flip_curves():
    x, y, al, be = sp.symbols("x y al be")
    # x ↦ x + al + x² folds at al = 0; y ↦ -(1 + be) y + y³ + x y / 2 flips where
    # be = x / 2 = ±sqrt(-al) / 2: the two curves meet at the LPPD point (0, 0)
    m = dr.Map.from_sympy([x + al + x**2, -(1 + be) * y + y**3 + 0.5 * x * y], [x, y],
                          {al: 0.0, be: 0.3})
    lp = Bifurcation(K.LP, 0.0, np.zeros(2), np.array([1.0, -1.3]), (0.0, 0.0),
                     param_name="al")
    folds = dr.continue_bifurcation(m, lp, "be", (-1, 1), bounds1=(-1, 1))
    (lppd,) = [c for c in folds.codim2 if c.kind == K.LPPD]
    assert abs(lppd.param) < 1e-10 and abs(lppd.param2) < 1e-10
    flips = switch_at_codim2(m, lppd, (-1, 1), bounds1=(-1, 1))
    assert flips.kind == K.PD and flips.n_steps > 10
    al_values, be_values = flips.params[:, 0], flips.params[:, 1]
    np.testing.assert_allclose(be_values, 0.5 * flips.states[:, 0], atol=1e-9)
    np.testing.assert_allclose(flips.states[:, 0] ** 2, -al_values, atol=1e-9)
    # and back: the same point seen from the flip curve switches to the fold curve al = 0
    import dataclasses
    on_flip = dataclasses.replace(lppd, extra={**lppd.extra, "curve_kind": "PD"})
    folds_again = switch_at_codim2(m, on_flip, (-1, 1), bounds1=(-1, 1))
    assert folds_again.kind == K.LP
    np.testing.assert_allclose(folds_again.params[:, 0], 0.0, atol=1e-9)


def test_kinds_without_an_outgoing_curve_or_not_supported():
    net = dr.RNN([[2.0]], b=[0.0], activation="tanh")
    branch = dr.continuation(net, "b[0]", [0.0], (-1.0, 1.0), p0=0.0, direction="both")
    curve = dr.continue_bifurcation(net, branch.bifurcations[0], "W_rec[0,0]", (0.5, 3.0))
    (cp,) = curve.codim2
    assert_named_error(lambda: switch_at_codim2(net, cp, (0.5, 3.0)), dr.InvalidInputError,
                       "point", "starts no new curve")
    r2_on_ns = Bifurcation(K.R2, 0.0, np.zeros(1), np.array([-1.0]), (0.0, 0.0),
                           param_name="b[0]", param2=1.0,
                           extra={"curve_kind": "NS", "param2_name": "W_rec[0,0]"})
    assert_named_error(lambda: switch_at_codim2(net, r2_on_ns, (0, 1)), dr.InvalidInputError,
                       "point", "not supported yet")
    plain = Bifurcation(K.LP, 0.0, np.zeros(1), np.array([1.0]), (0.0, 0.0))
    assert_named_error(lambda: switch_at_codim2(net, plain, (0, 1)), dr.InvalidInputError,
                       "point", "codimension-two point")
    assert_named_error(lambda: switch_at_codim2(net, "R1", (0, 1)), dr.InvalidTypeError,
                       "point", "Bifurcation")


@pytest.mark.slow      # about 3 s alone
def test_r2_of_the_henon_flip_curve_starts_the_ns_curve_of_the_two_cycle():
    x, y, a, b = sp.symbols("x y a b")
    henon = dr.Map.from_sympy([1 - a * x**2 + y, b * x], [x, y], {a: 0.2, b: 0.3})
    xs = (-0.7 + np.sqrt(0.49 + 0.8)) / 0.4
    branch = dr.continuation(henon, "a", [xs, 0.3 * xs], (0.2, 1.0))
    pd = next(q for q in branch.bifurcations if q.kind == K.PD)
    flips = dr.continue_bifurcation(henon, pd, "b", (-1.5, 1.5), bounds1=(-1, 5))
    (r2,) = [c for c in flips.codim2 if c.kind == K.R2]
    assert (r2.param, r2.param2) == pytest.approx((3.0, -1.0), abs=1e-8)
    options = dr.BifurcationCurveOptions(max_points=15)
    ns = switch_at_codim2(henon, r2, (-1.5, 1.5), bounds1=(-1, 6), options=options,
                          n_angles=8)
    assert ns.kind == K.NS and ns.period == 2 and ns.n_steps > 10
    # the 2-cycle's multipliers have product b² = 1 on b = -1, and κ = trace(J(x2) J(x1)) / 2
    np.testing.assert_allclose(ns.params[:, 1], -1.0, atol=1e-9)
    for (a_value, b_value), x1, kappa in zip(ns.params, ns.states, ns.kappa):
        m = henon.with_params({"a": a_value, "b": b_value})
        x2 = m.step(x1)
        np.testing.assert_allclose(m.step(x2), x1, atol=1e-9)
        assert kappa == pytest.approx(np.trace(m.jacobian(x2) @ m.jacobian(x1)) / 2,
                                      abs=1e-8)


def test_gpd_starts_the_fold_curve_of_the_doubled_cycle():
    x, m, a = sp.symbols("x m a")
    # flip at m = 0 for every a, c = a² - 1: GPD at a = ±1; the quintic term makes the doubled
    # cycle fold on the side a > 1
    f = dr.Map.from_sympy([-(1 + m) * x + a * x**2 - x**3 + 0.1 * x**5], [x],
                          {m: -0.1, a: 0.0})
    branch = dr.continuation(f, "m", [0.0], (-0.1, 0.1))
    flips = dr.continue_bifurcation(f, branch.bifurcations[0], "a", (-2, 2))
    gpd = max((c for c in flips.codim2 if c.kind == K.GPD), key=lambda c: c.param2)
    assert gpd.param2 == pytest.approx(1.0, abs=1e-8)
    folds = switch_at_codim2(f, gpd, (-2, 2), bounds1=(-0.5, 0.5))
    assert folds.kind == K.LP and folds.period == 2 and folds.n_steps > 10
    # every point: a 2-cycle whose multiplier (f'(x1) f'(x2), computed here) is +1
    for (m_value, a_value), x1 in zip(folds.params, folds.states):
        g = f.with_params({"m": m_value, "a": a_value})
        x2 = g.step(x1)
        np.testing.assert_allclose(g.step(x2), x1, atol=1e-9)
        assert abs(x2[0] - x1[0]) > 1e-6              # a true 2-cycle, not the fixed point
        multiplier = g.jacobian(x1)[0, 0] * g.jacobian(x2)[0, 0]
        assert multiplier == pytest.approx(1.0, abs=1e-8)
    # it emanates from the GPD point: it comes close to (m, a) = (0, 1)
    assert np.min(np.hypot(folds.params[:, 0], folds.params[:, 1] - 1.0)) < 0.01
