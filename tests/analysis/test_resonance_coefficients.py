"""The 1:2 resonance coefficients C1, D1 (resonance_1_2_coefficients) and their use by
switch_at_codim2: checked against normal forms known in closed form, the Hénon map and
2-unit tanh networks whose doubled-cycle NS curves are verified by fresh Newton solves."""
import numpy as np
import pytest
import sympy as sp

import dynrnn as dr
from dynrnn.analysis.codim2_switching import _fixed_point, switch_at_codim2
from dynrnn.analysis.resonance_coefficients import resonance_1_2_coefficients
from tests.checks import assert_named_error

K = dr.BifurcationKind


def _conjugated_normal_form(a, b, angle, stretch, c, d):
    """The map Φ ∘ G ∘ Φ⁻¹ with G(w) = (−w0 + w1, −w1 + a w0³ + b w0² w1) and
    Φ = T ∘ (w0 + d w1², w1) ∘ (w0, w1 + c w0²), T = R(angle) diag(1, stretch)
    (T e0 is a unit vector, as q0 is): its C1, D1 are 4a, −2b − 6a exactly."""
    z0, z1 = sp.symbols("z0 z1")
    T = sp.Matrix([[sp.cos(angle), -sp.sin(angle)], [sp.sin(angle), sp.cos(angle)]]) \
        * sp.diag(1, stretch)

    def phi(w):
        w = (w[0], w[1] + c * w[0] ** 2)
        return T * sp.Matrix([w[0] + d * w[1] ** 2, w[1]])

    s = T.inv() * sp.Matrix([z0, z1])
    s0 = s[0] - d * s[1] ** 2                  # the two triangular steps inverted exactly
    w = (s0, s[1] - c * s0 ** 2)
    g = (-w[0] + w[1], -w[1] + a * w[0] ** 3 + b * w[0] ** 2 * w[1])
    return dr.Map.from_sympy(list(phi(g)), [z0, z1], {})


@pytest.mark.parametrize("a, b, angle, stretch, c, d", [
    (-0.7, 0.3, 0.3, 1.3, 0.5, 0.0),
    (0.4, -1.1, -1.0, 0.6, 0.0, 0.9),
    (-2.0, 0.0, 2.0, 2.5, 0.0, 0.0),
])
def test_coefficients_of_a_conjugated_normal_form(a, b, angle, stretch, c, d):
    m = _conjugated_normal_form(a, b, angle, stretch, c, d)
    C1, D1 = resonance_1_2_coefficients(m, [0.0, 0.0])
    assert (C1, D1) == pytest.approx((4 * a, -2 * b - 6 * a), abs=1e-8)


def test_the_henon_r2_says_the_ns_curve_of_the_two_cycle_exists():
    x, y, a, b = sp.symbols("x y a b")
    henon = dr.Map.from_sympy([1 - a * x**2 + y, b * x], [x, y], {a: 3.0, b: -1.0})
    xs = (-2 + np.sqrt(16)) / 6                 # 3 x² + 2 x - 1 = 0: the fixed point at R2
    C1, D1 = resonance_1_2_coefficients(henon, [xs, -xs])
    assert C1 < -1.0                            # exists (the curve b = -1 is followed there)
    assert_named_error(lambda: resonance_1_2_coefficients(henon.with_params({"a": 1.0}),
                                                          [xs, -xs]),
                       dr.InvalidInputError, "x", "fixed point")


def _network_r2(W, b):
    """The first R2 point on the flip curve of a 2-unit tanh network (from W_rec[0,0],
    followed in W_rec[1,1])."""
    net = dr.RNN(W, b=b, activation="tanh")
    x0 = dr.find_fixed_points(net).points[0].x
    branch = dr.continuation(net, "W_rec[0,0]", x0, (-4, 4), p0=W[0][0], direction="both")
    start = next(q for q in branch.bifurcations if q.kind == K.PD)
    curve = dr.continue_bifurcation(net, start, "W_rec[1,1]", (-4, 4), bounds1=(-4, 4),
                                    options=dr.BifurcationCurveOptions(max_points=300))
    return net, curve.param_names, next(c for c in curve.codim2 if c.kind == K.R2)


def test_r2_of_a_tanh_network_with_c1_negative_starts_the_ns_curve_of_the_two_cycle():
    net, names, r2 = _network_r2([[1.355, 0.141], [-1.115, -1.383]], [-0.229, 0.11])
    at = net.with_params({names[0]: r2.param, names[1]: r2.param2})
    C1, D1 = resonance_1_2_coefficients(at, r2.x)
    assert (r2.extra["resonance_C1"], r2.extra["resonance_D1"]) == pytest.approx((C1, D1))
    assert C1 < -0.1
    ns = switch_at_codim2(net, r2, (-4, 4), bounds1=(-4, 4), to="NS2",
                          options=dr.BifurcationCurveOptions(max_points=20))
    assert ns.kind == K.NS and ns.period == 2 and ns.n_steps > 10
    inside = np.abs(ns.kappa) < 1
    assert np.count_nonzero(inside) > 10
    for values, state in zip(ns.params[inside], ns.states[inside]):
        m = net.with_params({names[0]: values[0], names[1]: values[1]})
        # Newton for the 2-cycle afresh, from a perturbed start; then J(x2) J(x1)
        x1, _ = _fixed_point(m, state + 1e-6, 2)
        np.testing.assert_allclose(x1, state, atol=1e-7)
        x2 = m.step(x1)
        assert np.max(np.abs(x2 - x1)) > 1e-4          # a true 2-cycle, not the fixed point
        mu = np.linalg.eigvals(m.jacobian(x2) @ m.jacobian(x1))
        assert np.all(np.abs(mu.imag) > 1e-9)
        np.testing.assert_allclose(np.abs(mu), 1.0, atol=1e-8)


def test_r2_with_c1_positive_refuses_the_ns_curve_of_the_two_cycle_citing_c1():
    net, _, r2 = _network_r2([[0.189, -0.198], [0.961, 0.157]], [-0.268, 0.181])
    assert r2.extra["resonance_C1"] > 0.1
    assert_named_error(lambda: switch_at_codim2(net, r2, (-4, 4), bounds1=(-4, 4), to="NS2"),
                       dr.InvalidInputError, "to", "exists only for C1 < 0")
    with pytest.raises(dr.InvalidInputError, match=f"C1 = {r2.extra['resonance_C1']:.6g} > 0"):
        switch_at_codim2(net, r2, (-4, 4), bounds1=(-4, 4), to="NS2")
    # the flip curve itself still starts there
    flips = switch_at_codim2(net, r2, (-4, 4), bounds1=(-4, 4), to="PD",
                             options=dr.BifurcationCurveOptions(max_points=10))
    assert flips.kind == K.PD and flips.n_steps > 5


@pytest.mark.slow      # about 2 s: 512 angles before the thin wedge is hit
def test_nearly_degenerate_r2_of_a_tanh_network_still_starts_the_ns_curve():
    """C1 = -0.0058 (the network the R2 → NS2 search once failed on): the doubled cycle's
    region is a thin wedge, found with 8 times the angles."""
    net, names, r2 = _network_r2([[0.5, -1.0], [1.0, 0.5]], [0.2, -0.1])
    assert -0.01 < r2.extra["resonance_C1"] < 0
    ns = switch_at_codim2(net, r2, (-4, 4), bounds1=(-4, 4), to="NS2", radius=0.002,
                          options=dr.BifurcationCurveOptions(max_points=20))
    assert ns.kind == K.NS and ns.period == 2 and ns.n_steps > 10
