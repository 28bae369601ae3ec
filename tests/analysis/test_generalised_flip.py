"""The fifth-order coefficient e at generalised flips (GPD), against the second iterate's
Taylor series computed independently here with sympy."""
import numpy as np
import pytest
import sympy as sp

import dynrnn as dr
from dynrnn.analysis.codim2_coefficients import generalised_flip_coefficient
from dynrnn.analysis.special_points import BifurcationKind as K

X = sp.Symbol("x")


def second_iterate_e(f_expr, x_star):
    """For x ↦ f(x) at a degenerate flip (f' = -1, c = 0) the second iterate is
    ξ ↦ ξ - 2eξ⁵ + O(ξ⁶) in any coordinates tangent to the identity: e = -[ξ⁵]/2."""
    xi = sp.Symbol("xi")
    inner = f_expr.subs(X, x_star + xi)
    twice = f_expr.subs(X, inner) - x_star
    series = sp.series(twice, xi, 0, 6).removeO()
    coefficients = [float(series.coeff(xi, k)) for k in range(6)]
    assert coefficients[1] == pytest.approx(1.0, abs=1e-12)
    assert max(abs(coefficients[k]) for k in (0, 2, 3, 4)) < 1e-9     # c = 0: no ξ³, ξ⁴
    return -0.5 * coefficients[5]


@pytest.mark.parametrize("a, d, g", [(1.0, 0.0, 0.1), (0.5, 0.7, -0.3), (-1.3, -0.4, 0.2)])
def test_one_dimensional_polynomial_flip_matches_the_second_iterate(a, d, g):
    # f = -x + a x² - a² x³ + d x⁴ + g x⁵: f' = -1 and c = f''²/4 + f'''/6 = a² - a² = 0
    f_expr = -X + a * X**2 - a**2 * X**3 + d * X**4 + g * X**5
    expected = second_iterate_e(f_expr, 0.0)
    symbolic = dr.Map.from_sympy([f_expr], [X])
    assert generalised_flip_coefficient(symbolic, [0.0]) == pytest.approx(expected, rel=1e-12)
    # the same map as a plain callable: Taylor coefficients by the polynomial fit
    step = sp.lambdify(X, f_expr, "numpy")
    plain = dr.Map(lambda x, p: step(x), 1, vectorized=True,
                   jacobian=lambda x, p: sp.lambdify(X, sp.diff(f_expr, X))(x)[..., None])
    assert generalised_flip_coefficient(plain, [0.0]) == pytest.approx(expected, rel=1e-7)


def test_two_unit_tanh_network_at_its_located_gpd_fit_matches_symbolic_derivatives():
    # (a one-unit tanh or sigmoid network has a constant c along its flip curve: no GPD)
    W, bias = [[0.5, -1.0], [0.5, 0.5]], [0.3, 0.1]
    net = dr.RNN(W, b=bias, activation="tanh")
    x0 = dr.find_fixed_points(net).points[0].x
    branch = dr.continuation(net, "W_rec[0,0]", x0, (-3, 3), p0=0.5, direction="both")
    pd = next(q for q in branch.bifurcations if q.kind == K.PD)
    flips = dr.continue_bifurcation(net, pd, "W_rec[1,1]", (-3, 3), bounds1=(-3, 3),
                                    options=dr.BifurcationCurveOptions(max_points=300))
    gpd = next(c for c in flips.codim2 if c.kind == K.GPD)
    w00, w11 = gpd.param, gpd.param2
    at = net.with_params({"W_rec[0,0]": w00, "W_rec[1,1]": w11})
    e_fit = generalised_flip_coefficient(at, gpd.x)
    # the same network written in sympy: exact derivative tensors instead of the fit
    x, y = sp.symbols("x y")
    # (dynrnn's RNN is x ↦ W tanh(x) + b)
    symbolic = dr.Map.from_sympy([w00 * sp.tanh(x) + W[0][1] * sp.tanh(y) + bias[0],
                                  W[1][0] * sp.tanh(x) + w11 * sp.tanh(y) + bias[1]], [x, y])
    e_exact = generalised_flip_coefficient(symbolic, gpd.x)
    assert e_fit == pytest.approx(e_exact, rel=1e-7)
    # the curve reports it on the GPD point, with the fit's error estimate
    assert gpd.extra["fifth_order_coefficient"] == pytest.approx(e_exact, rel=1e-7)
    assert gpd.extra["fifth_order_error"] < 1e-6 * abs(e_exact)


@pytest.mark.slow      # about 3 s alone (sympy derives a large composed map five times)
def test_two_dimensional_conjugate_has_the_one_dimensional_coefficient():
    # G = R Φ (f(x), y/2) Φ⁻¹ Rᵀ with Φ(x, y) = (x, y + x²) and R a rotation: the linear part
    # of the conjugacy is orthogonal, so e (with ‖q‖ = 1) is that of f, while the centre
    # manifold is curved (h2 ≠ 0) and the forms couple both coordinates
    x, y = sp.symbols("x y")
    f_expr = -X + 0.5 * X**2 - 0.25 * X**3 + 0.3 * X**4 + 0.2 * X**5
    expected = second_iterate_e(f_expr, 0.0)
    angle = 0.4
    R = sp.Matrix([[sp.cos(angle), -sp.sin(angle)], [sp.sin(angle), sp.cos(angle)]])
    u, v = list(R.T * sp.Matrix([x, y]))                 # Rᵀ (x, y)
    s, t = u, v - u**2                                    # Φ⁻¹
    image = sp.Matrix([f_expr.subs(X, s), t / 2])
    image = sp.Matrix([image[0], image[1] + image[0] ** 2])   # Φ
    G = list(R * image)
    m = dr.Map.from_sympy(G, [x, y])
    assert generalised_flip_coefficient(m, [0.0, 0.0]) == pytest.approx(expected, rel=1e-10)
    lam = [sp.lambdify((x, y), g, "numpy") for g in G]
    plain = dr.Map(lambda z, p: np.stack([h(z[..., 0], z[..., 1]) for h in lam], axis=-1), 2,
                   vectorized=True)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dr.errors.DerivativeFallbackWarning)
        assert generalised_flip_coefficient(plain, [0.0, 0.0]) == pytest.approx(expected,
                                                                                 rel=1e-6)


def test_sign_of_e_says_on_which_side_the_doubled_cycle_folds():
    # -(1 + m) x + a x² - x³ + x⁵/10: c = a² - 1, GPD at a = 1 with e = -1.9 < 0, and the
    # doubled cycle's fold curve lies where c > 0 (a > 1), as in test_codim2_switching
    m_, a_ = sp.symbols("m a")
    f = dr.Map.from_sympy([-(1 + m_) * X + a_ * X**2 - X**3 + X**5 / 10], [X],
                          {m_: 0.0, a_: 1.0})
    assert generalised_flip_coefficient(f, [0.0]) == pytest.approx(-1.9, rel=1e-12)


def test_bad_input_to_the_codimension_two_coefficients():
    from dynrnn.analysis.codim2_coefficients import criticality_along, cusp_coefficient
    from tests.checks import assert_named_error
    f = dr.Map.from_sympy([-X + X**2 - X**3 + X**5 / 10], [X])
    # not a flip (x = 0.5 is not even a fixed point), not a fold
    assert_named_error(lambda: generalised_flip_coefficient(f, [0.5]), dr.InvalidInputError,
                       "x", "not a fixed point")
    assert_named_error(lambda: cusp_coefficient(f, [0.0]), dr.InvalidInputError, "x",
                       "not a LP bifurcation")
    # a map with no second derivatives: said so
    relu = dr.RNN([[-1.0]], b=[0.0], activation="relu")
    for call in (lambda: generalised_flip_coefficient(relu, [0.0]),
                 lambda: cusp_coefficient(relu, [0.0])):
        assert_named_error(call, dr.InvalidInputError, "system", "no second or third")
    assert_named_error(lambda: generalised_flip_coefficient("f", [0.0]), dr.InvalidTypeError,
                       "system", "RecurrentMap")
    assert_named_error(lambda: generalised_flip_coefficient(f, [0.0], period=0),
                       dr.InvalidInputError, "period", "positive integer")
    assert_named_error(lambda: criticality_along(f, "curve"), dr.InvalidTypeError, "curve",
                       "BifurcationCurve")
    assert_named_error(lambda: criticality_along(None, "curve"), dr.InvalidTypeError, "system",
                       "RecurrentMap")
