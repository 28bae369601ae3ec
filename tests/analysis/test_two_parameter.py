"""Two-parameter continuation of LP, PD and NS curves, checked against closed forms."""
import dataclasses
import math

import numpy as np
import pytest

import dynrnn as dr
from dynrnn import Bifurcation, BifurcationCurveOptions, BifurcationKind, continue_bifurcation
from tests import problems as P


# -- starting records from closed forms ---------------------------------------------------------
def henon_lp(b=0.3):
    a = P.HENON_FOLD(b)
    xs = (b - 1) / (2 * a)                  # the double root at the fold
    return P.henon_map(a, b), Bifurcation(BifurcationKind.LP, a, np.array([xs, b * xs]),
                                          np.array([1.0, -b]), (a, a), param_name="a")


def henon_pd(b=0.3):
    a = P.HENON_FLIP(b)
    return P.henon_map(a, b), Bifurcation(BifurcationKind.PD, a, P.henon_fixed_point_plus(a, b),
                                          np.array([-1.0, -b]), (a, a), param_name="a")


def nearest(eigenvalues, target):
    return np.min(np.abs(eigenvalues - target), axis=1)


def one_unit_lp(w, activation):
    """The lower fold of x -> w σ(x) + b as a record (closed form, independent of dynrnn)."""
    if activation == "sigmoid":
        root = math.sqrt(1 - 4 / w)
        s = np.array([(1 - root) / 2, (1 + root) / 2])
        xs = np.log(s / (1 - s))
    else:
        t = math.sqrt(1 - 1 / w)
        s = np.array([-t, t])
        xs = np.arctanh(s)
    bs = xs - w * s
    i = int(np.argmin(bs))
    net = P.one_unit(w, bs[i], activation)
    return net, Bifurcation(BifurcationKind.LP, float(bs[i]), np.array([xs[i]]),
                            np.array([1.0]), (bs[i], bs[i]), param_name="b[0]")


# -- Hénon fold and flip curves -------------------------------------------------------------------
def test_henon_fold_curve_matches_closed_form():
    henon, lp = henon_lp(0.3)
    curve = continue_bifurcation(henon, lp, "b", (-0.9, 0.9))
    assert curve.success and curve.status is dr.CurveStatus.COMPLETED
    assert curve.kind is BifurcationKind.LP and curve.param_names == ("a", "b")
    a, b = curve.params.T
    assert len(curve) > 50
    np.testing.assert_allclose(b[[0, -1]], [-0.9, 0.9], atol=1e-12)   # ends on the bounds
    assert np.max(np.abs(a - P.HENON_FOLD(b))) < 1e-8
    # the fixed point is the double root x* = (b − 1)/(2a)
    np.testing.assert_allclose(curve.states[:, 0], (b - 1) / (2 * a), rtol=1e-8)
    assert np.max(nearest(curve.eigenvalues, 1.0)) < 1e-8
    # the other multiplier is −b (det J = −b): no codim-2 point inside |b| < 1
    np.testing.assert_allclose(np.sort(curve.eigenvalues.real, axis=1)[:, 0], -b, atol=1e-8)
    assert curve.codim2 == ()
    assert curve.params[curve.start_index, 1] == pytest.approx(0.3, abs=1e-12)


def test_henon_flip_curve_matches_closed_form():
    henon, pd = henon_pd(0.3)
    curve = continue_bifurcation(henon, pd, "b", (-0.9, 0.9))
    assert curve.success
    a, b = curve.params.T
    np.testing.assert_allclose(b[[0, -1]], [-0.9, 0.9], atol=1e-12)
    assert np.max(np.abs(a - P.HENON_FLIP(b))) < 1e-8
    assert np.max(nearest(curve.eigenvalues, -1.0)) < 1e-8
    assert np.all(np.isnan(curve.kappa))


def test_directions_forward_and_backward():
    henon, lp = henon_lp(0.3)
    fwd = continue_bifurcation(henon, lp, "b", (-0.9, 0.9), direction="forward")
    bwd = continue_bifurcation(henon, lp, "b", (-0.9, 0.9), direction="backward")
    # arrays always run along the forward orientation; start_index marks the start
    assert fwd.start_index == 0 and bwd.start_index == len(bwd) - 1
    assert np.all(fwd.params[:, 1] >= 0.3 - 1e-12) and fwd.params[-1, 1] == pytest.approx(0.9)
    assert np.all(bwd.params[:, 1] <= 0.3 + 1e-12) and bwd.params[0, 1] == pytest.approx(-0.9)
    both = continue_bifurcation(henon, lp, "b", (-0.9, 0.9))
    assert len(both) == len(fwd) + len(bwd) - 1
    np.testing.assert_allclose(both.params[:both.start_index + 1], bwd.params, atol=1e-12)


def test_period_two_flip_curve():
    """The 2-cycle of the Hénon map flips where 1 + tr + det = 0 for the product of the two
    Jacobians: tr = 4((1 − b)² − a) + 2b, det = b², so a = ((1 + b)² + 4(1 − b)²)/4."""
    def a_flip(b):
        return ((1 + b) ** 2 + 4 * (1 - b) ** 2) / 4

    b = 0.3
    a = a_flip(b)
    s, p = (1 - b) / a, ((1 - b) ** 2 - a) / a**2        # x1 + x2 and x1 x2 of the 2-cycle
    x1 = (s + math.sqrt(s * s - 4 * p)) / 2
    x2 = s - x1
    record = Bifurcation(BifurcationKind.PD, a, np.array([x1, b * x2]), np.array([-1.0, -b * b]),
                         (a, a), param_name="a", period=2)
    curve = continue_bifurcation(P.henon_map(a, b), record, "b", (-0.5, 0.5))
    assert curve.success and curve.period == 2
    assert np.max(np.abs(curve.params[:, 0] - a_flip(curve.params[:, 1]))) < 1e-8
    assert np.max(nearest(curve.eigenvalues, -1.0)) < 1e-8
    # det of the 2-cycle's monodromy is b²
    np.testing.assert_allclose(np.prod(curve.eigenvalues, axis=1).real,
                               curve.params[:, 1] ** 2, atol=1e-9)


def test_ns_curve_of_a_two_cycle():
    """s' = 1 − s² has the 2-cycle {0, 1}; (x, y)' = (p + q s) R(θ) tanh(x, y) rotates with
    gain p + q s. The twice-iterated map at ((0, 0, 0)) has the multipliers 0 and
    (p + q·0)(p + q·1) e^{±2iθ}: an NS curve of the 2-cycle where p² + pq = 1, κ = cos 2θ."""
    import sympy as sp
    s, x, y, p, q = sp.symbols("s x y p q")
    theta = math.pi / 5
    gain = p + q * s
    m = dr.Map.from_sympy([1 - s**2,
                           gain * (sp.cos(theta) * sp.tanh(x) - sp.sin(theta) * sp.tanh(y)),
                           gain * (sp.sin(theta) * sp.tanh(x) + sp.cos(theta) * sp.tanh(y))],
                          [s, x, y], {p: 0.8, q: 0.45})
    record = Bifurcation(BifurcationKind.NS, 0.8, np.zeros(3), np.array([]), (0.8, 0.8),
                         param_name="p", period=2, angle=2 * theta)
    curve = continue_bifurcation(m, record, "q", (-2.0, 2.0), bounds1=(0.3, 3.0))
    assert curve.success and curve.period == 2
    pp, qq = curve.params.T
    assert np.max(np.abs(pp**2 + pp * qq - 1)) < 1e-8
    np.testing.assert_allclose(curve.angles, 2 * theta, atol=1e-8)
    on_circle = np.abs(curve.eigenvalues[:, :2])
    assert np.max(np.abs(on_circle - 1)) < 1e-8


# -- strong resonances on the Hénon fold and flip curves --------------------------------------
def test_henon_r1_on_fold_and_r2_on_flip():
    """det J = −b: on the fold the other multiplier is −b, so it reaches +1 (R1) at b = −1;
    on the flip it is b (μ₁μ₂ = −b with μ₁ = −1), reaching −1 (R2) at b = −1."""
    henon, lp = henon_lp(0.3)
    fold = continue_bifurcation(henon, lp, "b", (-1.5, 0.9))
    assert [c.kind for c in fold.codim2] == [BifurcationKind.R1]
    r1 = fold.codim2[0]
    assert abs(r1.param - P.HENON_R1[0]) < 1e-8 and abs(r1.param2 - P.HENON_R1[1]) < 1e-8
    np.testing.assert_allclose(r1.eigenvalues, [1, 1], atol=1e-6)   # a double root: ~sqrt(eps)
    assert abs(r1.test_value) < 1e-8
    henon, pd = henon_pd(0.3)
    flip = continue_bifurcation(henon, pd, "b", (-1.5, 0.9))
    assert [c.kind for c in flip.codim2] == [BifurcationKind.R2]
    r2 = flip.codim2[0]
    assert abs(r2.param - P.HENON_R2[0]) < 1e-8 and abs(r2.param2 - P.HENON_R2[1]) < 1e-8
    assert r2.param_name == "a" and r2.extra["param2_name"] == "b"
    assert fold.params[r1.index, 1] >= r1.param2 >= fold.params[r1.index + 1, 1] or \
        fold.params[r1.index, 1] <= r1.param2 <= fold.params[r1.index + 1, 1]


def test_henon_ns_curve_ends_at_r1_and_r2():
    """At b = −1 the map is area preserving: the NS curve b = −1 with κ = 1 − sqrt(1 + a) runs
    from the 1:1 point (−1, −1) on the fold curve to the 1:2 point (3, −1) on the flip curve."""
    a0, b0 = 1.0, -1.0
    henon = P.henon_map(a0, b0)
    x0 = P.henon_fixed_point_plus(a0, b0)
    mu = np.linalg.eigvals(henon.jacobian(x0))
    record = Bifurcation(BifurcationKind.NS, b0, x0, mu, (b0, b0), param_name="b",
                         angle=float(abs(np.angle(mu[0]))))
    curve = continue_bifurcation(henon, record, "a", (-2.0, 4.0),
                                 options=BifurcationCurveOptions(max_points=121))
    assert curve.kind is BifurcationKind.NS
    b, a = curve.params.T
    assert np.max(np.abs(b + 1)) < 1e-8
    # κ = 1 ∓ sqrt(1 + a) on the two fixed points (the minus sign beyond R1: neutral saddles)
    assert np.max(np.abs((curve.kappa - 1) ** 2 - (1 + a))) < 1e-8
    on_circle = np.abs(curve.kappa) < 1
    assert on_circle.sum() > 10
    mu = curve.eigenvalues[on_circle]
    assert np.all(np.abs(mu.imag) > 1e-6)
    assert np.max(np.abs(np.abs(mu) - 1)) < 1e-8
    np.testing.assert_allclose(curve.angles[on_circle], np.abs(np.angle(mu[:, 0])), atol=1e-8)
    kinds = sorted(c.kind.value for c in curve.codim2)
    assert kinds == ["R1", "R2"]
    for point in curve.codim2:
        target = P.HENON_R1 if point.kind is BifurcationKind.R1 else P.HENON_R2
        # (param, param2) = (b, a)
        assert abs(point.param - target[1]) < 1e-8 and abs(point.param2 - target[0]) < 1e-8
        assert abs(point.extra["kappa"] - (1 if point.kind is BifurcationKind.R1 else -1)) < 1e-10


def test_callback_stops_at_neutral_saddles():
    """Stopping where κ leaves [−1, 1] keeps the true NS arc and still locates R1 and R2."""
    a0, b0 = 1.0, -1.0
    henon = P.henon_map(a0, b0)
    x0 = P.henon_fixed_point_plus(a0, b0)
    mu = np.linalg.eigvals(henon.jacobian(x0))
    record = Bifurcation(BifurcationKind.NS, b0, x0, mu, (b0, b0), param_name="b")
    seen = []

    def inside(point):
        seen.append(point)
        return abs(point.kappa) <= 1

    curve = continue_bifurcation(henon, record, "a", (-2.0, 4.0), callback=inside)
    assert curve.success and curve.status is dr.CurveStatus.STOPPED
    assert np.sum(np.abs(curve.kappa) > 1) == 2              # one saddle point past each end
    assert sorted(c.kind.value for c in curve.codim2) == ["R1", "R2"]
    assert {p.direction for p in seen} == {"forward", "backward"}
    assert isinstance(seen[0], dr.CurvePoint) and seen[0].step == 1
    np.testing.assert_allclose(seen[0].params, curve.params[curve.start_index + 1])
    with pytest.raises(dr.InvalidTypeError):
        continue_bifurcation(henon, record, "a", (-2.0, 4.0), callback=3)


# -- the rotation network --------------------------------------------------------------------------
def test_rotation_map_ns_curve_rho_one_for_every_angle():
    theta0 = math.pi / 5
    m = P.rotation_map(1.0, theta0)
    record = Bifurcation(BifurcationKind.NS, 1.0, np.zeros(2),
                         np.exp(1j * np.array([theta0, -theta0])), (1.0, 1.0), param_name="rho",
                         angle=theta0)
    curve = continue_bifurcation(m, record, "theta", (0.2, 3.0))
    assert curve.success
    rho, theta = curve.params.T
    np.testing.assert_allclose(theta[[0, -1]], [0.2, 3.0], atol=1e-12)
    assert np.max(np.abs(rho - 1)) < 1e-8
    assert np.max(np.abs(curve.angles - theta)) < 1e-8          # angle matches θ
    assert np.max(np.abs(np.abs(curve.eigenvalues) - 1)) < 1e-8
    assert np.max(np.abs(curve.states)) < 1e-10                  # the origin throughout


def test_rotation_rnn_ns_curve_and_strong_resonances():
    """W_rec = [[p, −s], [q, c]] (c = cos θ₀, s = sin θ₀): multipliers on the unit circle where
    det = p c + s q = 1 and |trace| < 2; κ = (p + c)/2, so R1 at p = 2 − c and R2 at p = −2 − c."""
    theta0 = math.pi / 5
    c, s = math.cos(theta0), math.sin(theta0)
    net = P.rotation_net(1.0, theta0)
    record = Bifurcation(BifurcationKind.NS, c, np.zeros(2),
                         np.exp(1j * np.array([theta0, -theta0])), (c, c),
                         param_name="W_rec[0,0]", angle=theta0)
    curve = continue_bifurcation(net, record, "W_rec[1,0]", (-8.0, 8.0), bounds1=(-4.0, 4.0),
                                 options=BifurcationCurveOptions(ds_max=0.2))
    p, q = curve.params.T
    assert curve.success
    assert np.max(np.abs(p * c + s * q - 1)) < 1e-8
    np.testing.assert_allclose(curve.kappa, (p + c) / 2, atol=1e-8)
    found = {b.kind: b for b in curve.codim2}
    assert set(found) == {BifurcationKind.R1, BifurcationKind.R2}
    assert abs(found[BifurcationKind.R1].param - (2 - c)) < 1e-8
    assert abs(found[BifurcationKind.R2].param - (-2 - c)) < 1e-8
    assert abs(found[BifurcationKind.R1].param2 - (1 - (2 - c) * c) / s) < 1e-8


def test_closed_ns_curve_with_four_strong_resonances():
    q0 = 0.5
    p0 = math.sqrt(1 - q0**2 - q0 / 2)
    m = P.closed_ns_map(p0, q0)
    mu = np.linalg.eigvals(m.jacobian(np.zeros(2)))
    record = Bifurcation(BifurcationKind.NS, p0, np.zeros(2), mu, (p0, p0), param_name="p")
    curve = continue_bifurcation(m, record, "q", (-3.0, 3.0))
    assert curve.success and curve.status is dr.CurveStatus.CLOSED
    p, q = curve.params.T
    assert np.max(np.abs(p**2 + (q + 0.25) ** 2 - 17 / 16)) < 1e-8
    np.testing.assert_allclose(curve.kappa, p, atol=1e-8)
    assert np.linalg.norm(curve.params[-1] - curve.params[0]) < 0.2     # back at the start
    located = sorted((b.kind.value, round(b.param, 6), round(b.param2, 6)) for b in curve.codim2)
    assert [k for k, _, _ in located] == ["R1", "R1", "R2", "R2"]
    expected = {(1.0, 0.0), (1.0, -0.5), (-1.0, 0.0), (-1.0, -0.5)}
    for b in curve.codim2:
        assert min(abs(b.param - e[0]) + abs(b.param2 - e[1]) for e in expected) < 1e-8
        assert b.kind is (BifurcationKind.R1 if b.param > 0 else BifurcationKind.R2)


def test_bordering_gradients_match_finite_differences():
    """The rows of DH from the bordering trick against central differences of H itself
    (borders held fixed), for LP, PD and NS, at points near but off the curves."""
    from dynrnn.analysis.continuation.defining import DefiningSystem
    net = P.random_tanh_net(3, 1.5, seed=4, bias_scale=0.3)
    names = ("b[0]", "W_rec[1,2]")
    z_net = np.array([0.3, -0.2, 0.5, 0.1, -0.4])
    cases = [(BifurcationKind.LP, P.henon_map(), ("a", "b"), 1, np.array([1.3, 0.4, -0.1, 0.3])),
             (BifurcationKind.PD, P.henon_map(), ("a", "b"), 1, np.array([0.5, 0.1, 0.4, 0.3])),
             (BifurcationKind.NS, P.henon_map(), ("a", "b"), 1,
              np.array([0.4, -0.4, 1.1, -0.95, -0.3])),
             # a 3-unit network and the twice-iterated map (products of Jacobians)
             (BifurcationKind.LP, net, names, 2, z_net),
             (BifurcationKind.PD, net, names, 2, z_net),
             (BifurcationKind.NS, net, names, 2, np.append(z_net, 0.2))]
    for kind, m, names, period, z in cases:
        problem = DefiningSystem(m, kind, names, period, None, 1e-5)
        borders = problem.initial_borders(z)
        ev = problem.evaluate(z, (borders, None))
        # the LP/PD rows use the direction of the previous null vector; give the exact one
        ev = problem.evaluate(z, (borders, ev.direction))
        h = 1e-6
        fd = np.empty_like(ev.DH)
        for k in range(z.size):
            e = np.zeros(z.size)
            e[k] = h
            fd[:, k] = (problem.evaluate(z + e, (borders, ev.direction)).H
                        - problem.evaluate(z - e, (borders, ev.direction)).H) / (2 * h)
        np.testing.assert_allclose(ev.DH, fd, atol=1e-6, err_msg=kind.value)


def test_generalised_flip_against_the_second_iterate_on_the_centre_manifold():
    """x' = −(1 + μ)x + x² + νx³ + y, y' = (2/5)y + x² flips at μ = 0 (origin, A q = −q with
    q = e₁). Independently of dynrnn's normal-form formula: reduce to the centre manifold
    y = h(x) with sympy, iterate the reduced map twice, g(g(x)) = x − 2c x³ + …, and find
    where c(ν) = 0."""
    import sympy as sp
    X, Y, mu, nu, h2, h3 = sp.symbols("x y mu nu h2 h3")
    F1 = -(1 + mu) * X + X**2 + nu * X**3 + Y
    F2 = sp.Rational(2, 5) * Y + X**2
    h = h2 * X**2 + h3 * X**3
    on_manifold = {Y: h, mu: 0}
    invariance = sp.expand(h.subs(X, F1.subs(on_manifold)) - F2.subs(on_manifold))
    sol = sp.solve([invariance.coeff(X, 2), invariance.coeff(X, 3)], [h2, h3], dict=True)[0]
    g = sp.expand(F1.subs(on_manifold).subs(sol))
    g = sum(g.coeff(X, k) * X**k for k in range(1, 4))
    c = -sp.expand(g.subs(X, g)).coeff(X, 3) / 2
    (nu_star,) = sp.solve(c, nu)
    m = dr.Map.from_sympy([F1, F2], [X, Y], {mu: 0.0, nu: 0.5})
    record = Bifurcation(BifurcationKind.PD, 0.0, np.zeros(2), np.array([-1.0, 0.4]),
                         (0.0, 0.0), param_name="mu")
    curve = continue_bifurcation(m, record, "nu", (-5.0, 5.0))
    assert curve.success and np.max(np.abs(curve.params[:, 0])) < 1e-8
    (gpd,) = [b for b in curve.codim2 if b.kind is BifurcationKind.GPD]
    assert abs(gpd.param2 - float(nu_star)) < 1e-8
    # the flip coefficient itself, at ν = 0.5, against c(0.5)
    from dynrnn.analysis.continuation.defining import DefiningSystem
    problem = DefiningSystem(m, BifurcationKind.PD, ("mu", "nu"), 1, None, 1e-5)
    z = np.array([0.0, 0.0, 0.0, 0.5])
    ev = problem.evaluate(z, (problem.initial_borders(z), None))
    assert problem.flip_coefficient(ev) == pytest.approx(float(c.subs(nu, 0.5)), abs=1e-8)


def test_ns_curve_of_a_six_unit_network():
    """W_rec = [[R, 0], [C, D]] with R = [[p, −s], [s, q]] (s = sin θ₀): the multipliers at
    the origin are those of R and of D (|eig D| < 1), so the NS curve is det R = pq + s² = 1
    and R1 (trace R = 2) sits at (p, q) = (1 + s, 1 − s)."""
    rng = np.random.default_rng(0)
    theta0 = math.pi / 5
    c, s = math.cos(theta0), math.sin(theta0)
    W = np.zeros((6, 6))
    W[:2, :2] = [[c, -s], [s, c]]
    W[2:, 2:] = 0.25 * rng.standard_normal((4, 4))
    W[2:, :2] = rng.standard_normal((4, 2))
    net = dr.RNN(W, activation="tanh")
    record = Bifurcation(BifurcationKind.NS, c, np.zeros(6), np.linalg.eigvals(W), (c, c),
                         param_name="W_rec[0,0]", angle=theta0)
    curve = continue_bifurcation(net, record, "W_rec[1,1]", (-0.5, 1.5), bounds1=(-1.0, 3.0))
    assert curve.success
    p, q = curve.params.T
    assert np.max(np.abs(p * q + s * s - 1)) < 1e-8
    (r1,) = curve.codim2
    assert r1.kind is BifurcationKind.R1
    assert abs(r1.param - (1 + s)) < 1e-8 and abs(r1.param2 - (1 - s)) < 1e-8


# -- one-unit networks: fold curves in (b, w) and the cusp --------------------------------------
@pytest.mark.parametrize("activation, w0, cusp", [("sigmoid", 5.0, (-2.0, 4.0)),
                                                  ("tanh", 2.0, (0.0, 1.0))])
def test_one_unit_fold_curve_and_cusp(activation, w0, cusp):
    net, lp = one_unit_lp(w0, activation)
    curve = continue_bifurcation(net, lp, "W_rec[0,0]", (0.5, 8.0))
    assert curve.success
    b, w = curve.params.T
    # both folds of the closed form, from the cusp up to w = 8
    away = w > cusp[1] + 1e-3
    errors = [min(abs(bi - f) for f in P.one_unit_folds(wi, activation))
              for bi, wi in zip(b[away], w[away])]
    assert max(errors) < 1e-8
    ends = sorted(b[[0, -1]])
    np.testing.assert_allclose(w[[0, -1]], 8.0, atol=1e-12)
    np.testing.assert_allclose(ends, P.one_unit_folds(8.0, activation), atol=1e-8)
    # each fold branch (x* on either side of the cusp's x = 0) spans the whole range of w,
    # (b = x − w σ(x) decreases with x* along the fold: x* > 0 is the lower fold b(w))
    x = curve.states[:, 0]
    for branch, which in ((x > 0, 0), (x < 0, 1)):
        assert w[branch].min() < cusp[1] + 0.05 and w[branch].max() == pytest.approx(8.0)
        k = np.flatnonzero(branch & away)
        refs = np.array([P.one_unit_folds(wi, activation)[which] for wi in w[k]])
        assert np.max(np.abs(b[k] - refs)) < 1e-8
    assert [c.kind for c in curve.codim2] == [BifurcationKind.CP]
    cp = curve.codim2[0]
    assert abs(cp.param - cusp[0]) < 1e-8 and abs(cp.param2 - cusp[1]) < 1e-8
    assert abs(cp.x[0]) < 1e-6                # σ''(x) = 0 at the centre
    assert np.max(nearest(curve.eigenvalues, 1.0)) < 1e-8


def test_elman_fold_curve_equals_the_pascanu_form():
    """h' = σ(w h + b) is conjugate to x' = w σ(x) + b through x = w h + b, so its fold curve
    in (b, w) is the same closed form."""
    net, lp = one_unit_lp(5.0, "sigmoid")
    x_star = lp.x[0]
    elman = dr.ElmanRNN([[5.0]], b=[lp.param], activation="sigmoid")
    record = dataclasses.replace(lp, x=np.array([(x_star - lp.param) / 5.0]))
    curve = continue_bifurcation(elman, record, "W[0,0]", (4.5, 8.0))
    assert curve.success
    b, w = curve.params.T
    errors = [min(abs(bi - f) for f in P.one_unit_folds(wi, "sigmoid")) for bi, wi in zip(b, w)]
    assert max(errors) < 1e-8
    assert np.max(nearest(curve.eigenvalues, 1.0)) < 1e-8


def test_fold_flip_point_on_both_curves():
    m = P.fold_flip_map(0.0, 0.5)
    lp = Bifurcation(BifurcationKind.LP, 0.0, np.zeros(2), np.array([1.0, -1.5]), (0.0, 0.0),
                     param_name="mu")
    fold = continue_bifurcation(m, lp, "nu", (-1.0, 1.0))
    assert np.max(np.abs(fold.params[:, 0])) < 1e-8
    assert [c.kind for c in fold.codim2] == [BifurcationKind.LPPD]
    assert abs(fold.codim2[0].param) < 1e-8 and abs(fold.codim2[0].param2) < 1e-8
    m2 = P.fold_flip_map(0.25, 0.0)
    pd = Bifurcation(BifurcationKind.PD, 0.0, np.array([0.5, 0.0]), np.array([1.0, -1.0]),
                     (0.0, 0.0), param_name="nu")
    flip = continue_bifurcation(m2, pd, "mu", (-1.0, 1.0))
    assert np.max(np.abs(flip.params[:, 0])) < 1e-8
    assert [c.kind for c in flip.codim2] == [BifurcationKind.LPPD]
    assert abs(flip.codim2[0].param2) < 1e-8
    assert np.max(nearest(flip.eigenvalues, -1.0)) < 1e-8


def test_record_with_unrefined_start_is_corrected():
    henon, lp = henon_lp(0.3)
    rough = dataclasses.replace(lp, param=lp.param + 1e-4, x=lp.x + 1e-3)
    curve = continue_bifurcation(henon, rough, "b", (0.2, 0.4))
    assert curve.success
    assert abs(curve.params[curve.start_index, 0] - P.HENON_FOLD(0.3)) < 1e-8


# -- failure and bad input ---------------------------------------------------------------------------
def test_start_failure_keeps_the_point_and_can_raise():
    import sympy as sp
    x, a, c = sp.symbols("x a c")
    linear = dr.Map.from_sympy([a * x + c], [x], {a: 1.0, c: 0.5})   # a = 1 and c ≠ 0: no fold
    record = Bifurcation(BifurcationKind.LP, 1.0, np.array([0.0]), np.array([1.0]), (1.0, 1.0),
                         param_name="a")
    curve = continue_bifurcation(linear, record, "c", (0.0, 1.0))
    assert not curve.success and curve.status is dr.CurveStatus.START_FAILED
    assert len(curve) == 1
    with pytest.raises(dr.ConvergenceError) as info:
        continue_bifurcation(linear, record, "c", (0.0, 1.0), raise_on_failure=True)
    assert isinstance(info.value.result, dr.BifurcationCurve)
    assert not info.value.result.success


def test_failure_mid_curve_keeps_the_points():
    """x' = x + μ − x² + sqrt(ν) x³ has the fold μ = 0 (x = 0) for ν ≥ 0 and is NaN for ν < 0:
    the continuation must stop near ν = 0 with a failure status and keep what it computed."""
    import sympy as sp
    x, mu, nu = sp.symbols("x mu nu")
    m = dr.Map.from_sympy([x + mu - x**2 + sp.sqrt(nu) * x**3], [x], {mu: 0.0, nu: 0.5})
    record = Bifurcation(BifurcationKind.LP, 0.0, np.zeros(1), np.ones(1), (0.0, 0.0),
                         param_name="mu")
    curve = continue_bifurcation(m, record, "nu", (-1.0, 1.0), progress=True)
    assert not curve.success
    assert curve.status in (dr.CurveStatus.NON_FINITE, dr.CurveStatus.STEP_TOO_SMALL)
    assert "backward" in curve.message and len(curve) > 10
    nu_values = curve.params[:, 1]
    assert nu_values.max() == pytest.approx(1.0) and 0 <= nu_values.min() < 1e-3
    assert np.max(np.abs(curve.params[:, 0])) < 1e-8
    with pytest.raises(dr.ConvergenceError) as info:
        continue_bifurcation(m, record, "nu", (-1.0, 1.0), raise_on_failure=True)
    assert len(info.value.result) == len(curve)


def test_bad_input():
    henon, lp = henon_lp(0.3)
    bp = dataclasses.replace(lp, kind=BifurcationKind.BP)
    with pytest.raises(dr.InvalidInputError, match="BP"):
        continue_bifurcation(henon, bp, "b", (-0.9, 0.9))
    with pytest.raises(dr.UnknownParameterError) as info:
        continue_bifurcation(henon, lp, "beta", (-0.9, 0.9))
    assert info.value.argument == "param2" and "b" in info.value.valid
    with pytest.raises(dr.InvalidInputError, match="differ"):
        continue_bifurcation(henon, lp, "a", (-0.9, 0.9))
    with pytest.raises(dr.InvalidInputError, match="does not contain") as info:
        continue_bifurcation(henon, lp, "b", (0.5, 0.9))
    assert info.value.argument == "bounds2"
    with pytest.raises(dr.InvalidInputError, match="low < high"):
        continue_bifurcation(henon, lp, "b", (0.9, -0.9))
    with pytest.raises(dr.InvalidInputError, match="bounds1"):
        continue_bifurcation(henon, lp, "b", (-0.9, 0.9), bounds1=(0.0, 1.0))
    with pytest.raises(dr.InvalidInputError, match="direction"):
        continue_bifurcation(henon, lp, "b", (-0.9, 0.9), direction="up")
    with pytest.raises(dr.InvalidTypeError):
        continue_bifurcation(henon, "LP", "b", (-0.9, 0.9))
    net, lp1 = one_unit_lp(5.0, "sigmoid")
    ns1 = dataclasses.replace(lp1, kind=BifurcationKind.NS, angle=1.0)
    with pytest.raises(dr.InvalidInputError, match="two states"):
        continue_bifurcation(net, ns1, "W_rec[0,0]", (1.0, 8.0))


@pytest.mark.parametrize("kwargs, match", [
    ({"ds": 0.5, "ds_max": 0.1}, r"ds_min <= \|ds\| <= ds_max.*ds=0.5.*ds_max=0.1"),
    ({"ds": 1e-9, "ds_min": 1e-8}, r"ds_min=1e-08, ds=1e-09"),
    ({"ds_min": -1.0}, "ds_min must be > 0"),
    ({"max_steps": 0}, "max_steps"),
    ({"growth": 0.5}, "growth"),
    ({"min_tangent_cos": 1.5}, "min_tangent_cos"),
    ({"tol": float("nan")}, "finite"),
])
def test_inconsistent_options(kwargs, match):
    with pytest.raises(dr.InvalidInputError, match=match):
        BifurcationCurveOptions(**kwargs)


def test_curve_saves_and_loads(tmp_path):
    henon, lp = henon_lp(0.3)
    curve = continue_bifurcation(henon, lp, "b", (-1.5, 0.9))
    path = tmp_path / "fold.npz"
    dr.save(curve, path)
    back = dr.load(path)
    assert isinstance(back, dr.BifurcationCurve) and back.status is curve.status
    np.testing.assert_array_equal(back.params, curve.params)
    np.testing.assert_array_equal(back.eigenvalues, curve.eigenvalues)
    assert back.codim2[0].kind is BifurcationKind.R1
    assert back.codim2[0].param2 == curve.codim2[0].param2
