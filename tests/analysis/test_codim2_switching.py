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
    # a codimension-one kind dressed as a curve's point has no outgoing curve
    lp_on_curve = Bifurcation(K.LP, 0.0, np.zeros(1), np.array([1.0]), (0.0, 0.0),
                              param_name="b[0]", param2=1.0,
                              extra={"curve_kind": "LP", "param2_name": "W_rec[0,0]"})
    assert_named_error(lambda: switch_at_codim2(net, lp_on_curve, (0, 1)),
                       dr.InvalidInputError, "point", "no outgoing curve")
    r1 = Bifurcation(K.R1, 0.0, np.zeros(1), np.array([1.0]), (0.0, 0.0),
                     param_name="b[0]", param2=1.0,
                     extra={"curve_kind": "NS", "param2_name": "W_rec[0,0]"})
    assert_named_error(lambda: switch_at_codim2(net, r1, (0, 1), to="LP2"),
                       dr.InvalidInputError, "to", "NS, LP")
    # arguments refused before any work
    for kwargs, argument, fragment in (
            (dict(system="net"), "system", "RecurrentMap"),
            (dict(radius=-1.0), "radius", "(0, 1]"),
            (dict(n_angles=10**12), "n_angles", "MAX_ANGLES"),
            (dict(n_angles=2), "n_angles", ">= 4"),
            (dict(to=3), "to", "str"),
            (dict(bounds2=(2.0, 3.0)), "bounds2", "W_rec[0,0]")):
        call = {"system": net, "point": r1, "bounds2": (0, 2), **kwargs}
        error = dr.InvalidTypeError if argument in ("system", "to") else dr.InvalidInputError
        assert_named_error(lambda: switch_at_codim2(**call), error, argument, fragment)
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


def _henon():
    x, y, a, b = sp.symbols("x y a b")
    return dr.Map.from_sympy([1 - a * x**2 + y, b * x], [x, y], {a: 0.0, b: 0.3})


@pytest.mark.slow      # about 4 s alone (fold curve, NS curve, three switches)
def test_r1_and_r2_found_on_the_henon_ns_curve_switch_to_every_curve():
    henon, folds = henon_fold_curve()
    (r1_on_fold,) = [c for c in folds.codim2 if c.kind == K.R1]
    ns = switch_at_codim2(henon, r1_on_fold, (-1.5, 1.5), bounds1=(-3, 3.5),
                          options=dr.BifurcationCurveOptions(max_points=300), n_angles=8)
    found = {c.kind: c for c in ns.codim2}
    # R1 and R2 of the fixed point on b = -1 (κ = -a x = ±1), located on the NS curve
    assert (found[K.R1].param, found[K.R1].param2) == pytest.approx((-1.0, -1.0), abs=1e-8)
    assert (found[K.R2].param, found[K.R2].param2) == pytest.approx((3.0, -1.0), abs=1e-8)
    assert all(c.extra["curve_kind"] == "NS" for c in ns.codim2)
    options = dr.BifurcationCurveOptions(max_points=15)
    # R1 on the NS curve: by default the fold curve a = -(1 - b)²/4 through it
    folds_again = switch_at_codim2(henon, found[K.R1], (-1.5, 1.5), bounds1=(-3, 5),
                                   options=options)
    assert folds_again.kind == K.LP and folds_again.n_steps > 10
    np.testing.assert_allclose(folds_again.params[:, 0],
                               -(1 - folds_again.params[:, 1]) ** 2 / 4, atol=1e-9)
    # R2 on the NS curve: to the flip curve a = 3 (1 - b)²/4 ...
    flips = switch_at_codim2(henon, found[K.R2], (-1.5, 1.5), bounds1=(-3, 6), to="PD",
                             options=options)
    assert flips.kind == K.PD and flips.n_steps > 10
    np.testing.assert_allclose(flips.params[:, 0], 0.75 * (1 - flips.params[:, 1]) ** 2,
                               atol=1e-9)
    # ... and by default the NS curve of the 2-cycle (product of its multipliers b² = 1)
    ns2 = switch_at_codim2(henon, found[K.R2], (-1.5, 1.5), bounds1=(-1, 6), options=options,
                           n_angles=8)
    assert ns2.kind == K.NS and ns2.period == 2 and ns2.n_steps > 10
    np.testing.assert_allclose(ns2.params[:, 1], -1.0, atol=1e-9)


def _fresh_multipliers(net, values, names, state, period, offset=1e-3):
    """Newton on F^k(x) = x from ``state + offset`` at the curve's parameters, then eigvals
    (at an R1 point Newton is singular: start on the point)."""
    from dynrnn.analysis.codim2_switching import _fixed_point
    m = net.with_params({names[0]: values[0], names[1]: values[1]})
    got = _fixed_point(m, state + offset, period)
    assert got is not None
    x, monodromy = got
    np.testing.assert_allclose(x, state, atol=1e-7)
    return np.linalg.eigvals(monodromy)


def _network_codim2(curve_kind, point_kind):
    """A 2-unit tanh network, the curve of ``curve_kind`` from its first such point in
    W_rec[0,0], followed in W_rec[1,1], and the first codim-2 point of ``point_kind`` on it."""
    net = dr.RNN([[0.5, -1.0], [1.0, 0.5]], b=[0.2, -0.1], activation="tanh")
    x0 = dr.find_fixed_points(net).points[0].x
    branch = dr.continuation(net, "W_rec[0,0]", x0, (-3, 3), p0=0.5, direction="both")
    start = next(q for q in branch.bifurcations if q.kind == curve_kind)
    curve = dr.continue_bifurcation(net, start, "W_rec[1,1]", (-3, 3), bounds1=(-3, 3),
                                    options=dr.BifurcationCurveOptions(max_points=300))
    return net, curve.param_names, next(c for c in curve.codim2 if c.kind == point_kind)


def _assert_ns_curve_checked(net, ns, names):
    """Every point inside the NS part (|κ| < 1): a pair on the unit circle, by fresh Newton
    and eigvals."""
    inside = np.abs(ns.kappa) < 1
    assert np.count_nonzero(inside) > 10
    for values, state in zip(ns.params[inside], ns.states[inside]):
        mu = _fresh_multipliers(net, values, names, state, 1)
        pair = mu[np.abs(mu.imag) > 1e-9]
        assert pair.size == 2
        np.testing.assert_allclose(np.abs(pair), 1.0, atol=1e-8)


def test_r1_on_the_ns_curve_of_a_two_unit_tanh_network_switches_both_ways():
    net, names, r1 = _network_codim2(K.NS, K.R1)
    options = dr.BifurcationCurveOptions(max_points=20)
    folds = switch_at_codim2(net, r1, (-3, 3), bounds1=(-3, 3), options=options)
    assert folds.kind == K.LP and folds.n_steps > 10
    for values, state in zip(folds.params, folds.states):   # (Newton is singular at a fold)
        mu = _fresh_multipliers(net, values, names, state, 1, 0.0)
        assert np.min(np.abs(mu - 1.0)) < 1e-7
    # the fold curve meets the NS curve at the same R1 (located independently on it)
    # (close to a cusp the R1 conditions are ill-conditioned in the parameters: both
    # locations satisfy them to rounding, 1e-6 apart)
    r1_on_fold = next(c for c in folds.codim2 if c.kind == K.R1)
    assert (r1_on_fold.param, r1_on_fold.param2) == pytest.approx((r1.param, r1.param2),
                                                                   abs=1e-5)
    for point in (r1, r1_on_fold):      # a double multiplier 1: trace 2, determinant 1
        mu = _fresh_multipliers(net, (point.param, point.param2), names, point.x, 1, 0.0)
        assert abs(mu.sum() - 2.0) < 1e-10 and abs(np.prod(mu) - 1.0) < 1e-10
    # from R1 on the fold curve, back to the NS curve: a pair on the unit circle everywhere
    ns_again = switch_at_codim2(net, r1_on_fold, (-3, 3), bounds1=(-3, 3), options=options,
                                n_angles=8)
    assert ns_again.kind == K.NS and ns_again.n_steps > 10
    _assert_ns_curve_checked(net, ns_again, names)


def test_r2_on_the_flip_curve_of_a_two_unit_tanh_network_starts_its_ns_curve():
    net, names, r2 = _network_codim2(K.PD, K.R2)
    mu = _fresh_multipliers(net, (r2.param, r2.param2), names, r2.x, 1, 0.0)
    assert abs(mu.sum() + 2.0) < 1e-8 and abs(np.prod(mu) - 1.0) < 1e-8   # double −1
    ns = switch_at_codim2(net, r2, (-3, 3), bounds1=(-3, 3), to="NS", n_angles=8,
                          options=dr.BifurcationCurveOptions(max_points=20))
    assert ns.kind == K.NS and ns.n_steps > 10
    _assert_ns_curve_checked(net, ns, names)
