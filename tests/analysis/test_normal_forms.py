"""Normal-form coefficients at LP, PD and NS points against closed forms and independent
centre-manifold reductions done here (by fitting the reduced map of iterated orbits)."""
import math
import warnings

import numpy as np
import pytest
import sympy as sp

import dynrnn as dr
from dynrnn.analysis.codim2_coefficients import cusp_coefficient
from dynrnn.analysis.normal_forms import (
    MAX_CYCLE_PERIOD,
    Criticality,
    NormalFormStatus,
    multilinear_forms,
    normal_form,
)
from dynrnn.analysis.special_points import Bifurcation, BifurcationKind
from dynrnn.errors import DerivativeFallbackWarning
from tests.checks import assert_named_error

X = sp.Symbol("x")


def hand_derivatives(activation: str, x_star: float):
    """σ', σ'', σ''' at x_star by sympy (independent of dynrnn's activation table)."""
    s = sp.tanh(X) if activation == "tanh" else 1 / (1 + sp.exp(-X))
    return [float(sp.diff(s, X, k).subs(X, x_star)) for k in (1, 2, 3)]


def one_unit(activation, x_star, slope):
    """x ↦ w σ(x) + b with a fixed point at x_star where f'(x_star) = slope."""
    s = math.tanh(x_star) if activation == "tanh" else 1 / (1 + math.exp(-x_star))
    d1, d2, d3 = hand_derivatives(activation, x_star)
    w = slope / d1
    b = x_star - w * s
    return dr.RNN([[w]], b=[b], activation=activation), w * d2, w * d3


# -- 1-D closed forms -------------------------------------------------------------------------
@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("x_star", [-0.7, 0.4, 1.3])
def test_one_unit_flip_matches_closed_form(activation, x_star):
    net, f2, f3 = one_unit(activation, x_star, -1.0)
    nf = normal_form(net, [x_star], "PD")
    expected = f2 ** 2 / 4 + f3 / 6      # Kuznetsov Thm 4.3: c = f''²/4 + f'''/6
    assert nf.success and nf.derivatives == "analytic"
    assert nf.coefficient == pytest.approx(expected, rel=1e-10, abs=1e-12)
    assert nf.criticality == (Criticality.SUPERCRITICAL if expected > 0
                              else Criticality.SUBCRITICAL)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("x_star", [-0.7, 0.4, 1.3])
def test_one_unit_fold_matches_closed_form(activation, x_star):
    net, f2, _ = one_unit(activation, x_star, 1.0)
    nf = normal_form(net, [x_star], "LP")
    assert nf.coefficient == pytest.approx(0.5 * f2, rel=1e-10)   # q = p = 1
    assert nf.criticality == Criticality.NONDEGENERATE


def test_logistic_flip_at_r3_is_supercritical_with_c9():
    x, r = sp.symbols("x r")
    logistic = dr.Map.from_sympy([r * x * (1 - x)], [x], {r: 2.8})
    branch = dr.continuation(logistic, "r", [1 - 1 / 2.8], (2.8, 3.2))
    (pd,) = branch.bifurcations
    assert pd.kind == BifurcationKind.PD
    # f'' = -2r = -6, f''' = 0: c = 36/4
    assert pd.coefficient == pytest.approx(9.0, rel=1e-8)
    assert pd.criticality == "supercritical"
    nf = normal_form(logistic, pd)
    assert nf.derivatives == "symbolic" and nf.coefficient == pytest.approx(9.0, rel=1e-8)


def test_finite_difference_forms_agree_with_symbolic():
    f = dr.Map(lambda x, p: p["r"] * x * (1 - x), 1, {"r": 3.0},
               jacobian=lambda x, p: p["r"] * (1 - 2 * x)[..., None])
    nf = normal_form(f, [2 / 3], "PD")
    assert nf.derivatives == "finite differences"
    assert nf.coefficient == pytest.approx(9.0, rel=1e-7)


def test_period_two_flip_by_chain_rule_matches_sympy_of_second_iterate():
    x, r = sp.symbols("x r")
    logistic = dr.Map.from_sympy([r * x * (1 - x)], [x], {r: 2.8})
    branch = dr.continuation(logistic, "r", [1 - 1 / 2.8], (2.8, 3.5))
    cycle = dr.switch_branch(branch, branch.bifurcations[0], system=logistic)
    pd = cycle.bifurcations[0]
    assert pd.period == 2 and pd.param == pytest.approx(1 + math.sqrt(6), abs=1e-9)
    g = (r * x * (1 - x)).subs(x, r * x * (1 - x))
    at = {r: pd.param, x: float(pd.x[0])}
    g1, g2, g3 = (float(sp.diff(g, x, k).subs(at)) for k in (1, 2, 3))
    assert g1 == pytest.approx(-1.0, abs=1e-7)
    assert pd.coefficient == pytest.approx(g2 ** 2 / 4 + g3 / 6, rel=1e-6)
    assert pd.criticality == "supercritical"


# -- Neimark–Sacker ------------------------------------------------------------------------------
def test_complex_cubic_map_closed_form():
    """z ↦ e^{iθ} z + g z² z̄ in real coordinates; with ‖q‖ = 1, q ∝ (1, -i), the normal-form
    coordinate is w = z/√2, so d = Re(e^{-iθ} 2g)."""
    theta, g = 1.1, 0.3 - 0.7j
    u, v = sp.symbols("u v")
    c, s = math.cos(theta), math.sin(theta)
    # z = u + iv, g z² z̄ = |z|² g z
    m = dr.Map.from_sympy([c * u - s * v + (u**2 + v**2) * (g.real * u - g.imag * v),
                           s * u + c * v + (u**2 + v**2) * (g.real * v + g.imag * u)],
                          [u, v], {})
    nf = normal_form(m, [0.0, 0.0], "NS")
    assert nf.coefficient == pytest.approx((np.exp(-1j * theta) * 2 * g).real, rel=1e-10)
    assert nf.extra["angle"] == pytest.approx(theta, abs=1e-12)
    # Re(e^{-iθ} 2g) = 0.6 cos θ - 1.4 sin θ < 0: a stable invariant circle
    assert nf.coefficient < 0 and nf.criticality == Criticality.SUPERCRITICAL
    flipped = dr.Map.from_sympy([c * u - s * v - (u**2 + v**2) * (g.real * u - g.imag * v),
                                 s * u + c * v - (u**2 + v**2) * (g.real * v + g.imag * u)],
                                [u, v], {})
    assert normal_form(flipped, [0.0, 0.0], "NS").criticality == Criticality.SUBCRITICAL


def delayed_logistic_step(state, r):
    x, y = state
    return np.array([r * x * (1 - y), x])


def test_delayed_logistic_ns_at_r2_is_supercritical_and_predicts_the_invariant_circle():
    x, y, r = sp.symbols("x y r")
    m = dr.Map.from_sympy([r * x * (1 - y), x], [x, y], {r: 1.9})
    branch = dr.continuation(m, "r", [1 - 1 / 1.9] * 2, (1.9, 2.1))
    (ns,) = branch.bifurcations
    assert ns.kind == BifurcationKind.NS and ns.param == pytest.approx(2.0, abs=1e-9)
    assert ns.criticality == "supercritical" and ns.coefficient < 0
    nf = normal_form(m, ns)
    # independent check: the normal form w ↦ e^{iθ} w (1 + β + d|w|²) has an invariant circle
    # |w|² = -β/d; simulate past the bifurcation and measure |<p, x - x*>|² on the attractor
    eps = 2e-3
    rr = 2.0 + eps
    x_star = np.full(2, 1 - 1 / rr)
    beta = math.sqrt(rr - 1) - 1                       # |μ| = sqrt(det J) = sqrt(r - 1)
    state = x_star + 0.05 * np.array([1.0, 0.3])
    for _ in range(30000):
        state = delayed_logistic_step(state, rr)
    radii = []
    for _ in range(3000):
        state = delayed_logistic_step(state, rr)
        radii.append(abs(np.vdot(nf.left_eigenvector, state - x_star)) ** 2)
    assert np.mean(radii) == pytest.approx(-beta / nf.coefficient, rel=0.03)


# -- 2-D networks against a centre-manifold reduction done here --------------------------------
def two_unit_net(multipliers, x_star=(0.3, -0.2), activation="tanh"):
    """A 2-unit network with a fixed point at x_star whose Jacobian has the given multipliers."""
    x_star = np.asarray(x_star)
    P = np.array([[1.0, 0.4], [-0.3, 1.0]])
    J = P @ np.diag(multipliers) @ np.linalg.inv(P)
    d1 = np.array([hand_derivatives(activation, v)[0] for v in x_star])
    W = J / d1[None, :]
    act = np.tanh(x_star) if activation == "tanh" else 1 / (1 + np.exp(-x_star))
    return dr.RNN(W, b=x_star - W @ act, activation=activation), x_star


def reduced_map_fit(step, x_star, q, p, power, xi_values, transient=80, keep=40):
    """Fit the centre-manifold map ξ ↦ ξ + Σ_k e_k ξ^k (k = power, power + 1, power + 2) in
    the coordinate ξ = <p, x - x*> from orbits of ``step`` started at x* + ξ0 q (they converge
    onto the centre manifold, whose transverse multiplier is small)."""
    rows, rhs = [], []
    for xi0 in xi_values:
        state = x_star + xi0 * q
        for _ in range(transient):
            state = step(state)
        xi = float(p @ (state - x_star))
        for _ in range(keep):
            state = step(state)
            xi_next = float(p @ (state - x_star))
            rows.append([xi ** k for k in (power, power + 1, power + 2)])
            rhs.append(xi_next - xi)
            xi = xi_next
    coef, *_ = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)
    return coef[0]


def test_two_unit_flip_matches_a_fitted_centre_manifold_reduction():
    net, x_star = two_unit_net([-1.0, 0.25])
    nf = normal_form(net, x_star, "PD")
    assert nf.success

    def step2(s):
        return net.step(net.step(s))

    # on the centre manifold F² is ξ ↦ ξ - 2c ξ³ + ... (no quadratic term)
    e3 = reduced_map_fit(step2, x_star, nf.eigenvector, nf.left_eigenvector, 3,
                         np.linspace(0.04, 0.12, 5) * np.array([1, -1, 1, -1, 1]))
    assert -e3 / 2 == pytest.approx(nf.coefficient, rel=2e-3)


def test_two_unit_fold_matches_a_fitted_centre_manifold_reduction():
    net, x_star = two_unit_net([1.0, 0.2], activation="sigmoid")
    nf = normal_form(net, x_star, "LP")
    e2 = reduced_map_fit(net.step, x_star, nf.eigenvector, nf.left_eigenvector, 2,
                         [0.01, -0.01, 0.02, -0.02], transient=40, keep=10)
    assert e2 == pytest.approx(nf.coefficient, rel=2e-3)


def test_elman_forms_match_finite_differences_and_pascanu_verdict():
    net, x_star = two_unit_net([-1.0, 0.25])
    elman = net.to_elman()
    h_star = np.tanh(x_star)
    B, C, how = multilinear_forms(elman, h_star)
    assert how == "analytic"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DerivativeFallbackWarning)
        generic = dr.Map(lambda h, p: elman.step(h), 2,
                         jacobian=lambda h, p: elman.jacobian(h))
    Bf, Cf, how_f = multilinear_forms(generic, h_star)
    assert how_f == "finite differences"
    rng = np.random.default_rng(0)
    v, w, y = rng.normal(size=(3, 2))
    np.testing.assert_allclose(B(v, w), Bf(v, w), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(C(v, w, y), Cf(v, w, y), rtol=1e-5, atol=1e-7)
    # conjugate maps: same multipliers and the same verdict
    assert normal_form(elman, h_star, "PD").criticality == \
        normal_form(net, x_star, "PD").criticality


def test_torch_trained_network_coefficients_match_finite_differences():
    """A 3-unit tanh network trained briefly in PyTorch, its gain continued until it loses
    stability: the analytic coefficient at each located LP/PD/NS equals the one from finite
    differences of a generic map that wraps the same network."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    cell = torch.nn.RNN(1, 3, nonlinearity="tanh", batch_first=True)
    head = torch.nn.Linear(3, 1)
    opt = torch.optim.Adam(list(cell.parameters()) + list(head.parameters()), lr=0.05)
    t = torch.linspace(0, 6.28, 20).reshape(1, 20, 1)
    for _ in range(30):
        opt.zero_grad()
        out, _ = cell(torch.zeros_like(t))
        loss = ((head(out) + torch.sin(3 * t)) ** 2).mean()
        loss.backward()
        opt.step()
    net = dr.RNN.from_torch(cell)
    branch = dr.continuation(net, "gain", np.zeros(3) + net.b, (0.0, 8.0), p0=0.0,
                             progress=False)
    located = [b for b in branch.bifurcations if b.kind.value in ("LP", "PD", "NS")]
    assert located, branch
    for bif in located:
        system = dr.Gain(net).at(bif.param)
        nf = normal_form(system, bif)
        assert nf.derivatives == "analytic"
        assert bif.coefficient == pytest.approx(nf.coefficient, rel=1e-12)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DerivativeFallbackWarning)
            generic = dr.Map(lambda x, p, m=system: m.step(x), 3,
                             jacobian=lambda x, p, m=system: m.jacobian(x))
        fd = normal_form(generic, bif.x, bif.kind, period=bif.period)
        assert fd.coefficient == pytest.approx(nf.coefficient, rel=1e-5)


# -- records, degenerate points and bad input ---------------------------------------------------
def test_continuation_fills_coefficient_and_save_load_keeps_it(tmp_path):
    net = dr.RNN([[2.0]], b=[0.0], activation="tanh")
    branch = dr.continuation(net, "b[0]", [0.0], (-1.0, 1.0), p0=0.0, direction="both")
    folds = [b for b in branch.bifurcations if b.kind == BifurcationKind.LP]
    assert len(folds) == 2
    for lp in folds:
        x_star = float(lp.x[0])
        d1, d2, _ = hand_derivatives("tanh", x_star)
        assert 2.0 * d1 == pytest.approx(1.0, abs=1e-8)
        # q = 1 (positive orientation), p = 1: a = f''/2 = w σ''(x*)/2
        assert lp.coefficient == pytest.approx(0.5 * 2.0 * d2, rel=1e-7)
        assert lp.criticality == "nondegenerate"
    dr.save(branch, tmp_path / "branch.npz")
    loaded = dr.load(tmp_path / "branch.npz")
    for a, b in zip(branch.bifurcations, loaded.bifurcations):
        assert a.coefficient == b.coefficient and a.criticality == b.criticality
    old = Bifurcation(BifurcationKind.PD, 1.0, np.zeros(1), np.array([-1.0]), (0.9, 1.1))
    assert old.coefficient is None and old.criticality is None
    dr.save(old, tmp_path / "old.npz")
    assert dr.load(tmp_path / "old.npz").criticality is None
    assert "nondegenerate" in repr(folds[0]) and "a=" in repr(folds[0])


def test_cusp_is_degenerate_and_its_cusp_coefficient_matches_closed_form():
    # x ↦ tanh(x) at x = 0: f' = 1, f'' = 0 (a = 0), f''' = -2: the cusp ξ ↦ ξ - ξ³/3
    net = dr.RNN([[1.0]], activation="tanh")
    nf = normal_form(net, [0.0], "LP")
    assert nf.success and nf.criticality == Criticality.DEGENERATE and nf.coefficient is None
    assert abs(nf.raw_value) < 1e-15
    assert cusp_coefficient(net, [0.0]) == pytest.approx(-1.0 / 3.0, rel=1e-12)
    # a 2-D cusp: the reduction's cubic coefficient against a fitted reduced map
    sys2, x_star = two_unit_net([1.0, 0.3], x_star=(0.0, 0.0))
    nf2 = normal_form(sys2, x_star, "LP")
    assert nf2.criticality == Criticality.DEGENERATE
    c = cusp_coefficient(sys2, x_star)
    e3 = reduced_map_fit(sys2.step, x_star, nf2.eigenvector, nf2.left_eigenvector, 3,
                         [0.05, -0.05, 0.1, -0.1], transient=60, keep=30)
    assert e3 == pytest.approx(c, rel=2e-3)


def test_generalised_flip_is_degenerate():
    # x ↦ -x + x² - x³: c = f''²/4 + f'''/6 = 1 - 1 = 0
    x = sp.Symbol("x")
    m = dr.Map.from_sympy([-x + x**2 - x**3], [x], {})
    nf = normal_form(m, [0.0], "PD")
    assert nf.criticality == Criticality.DEGENERATE and nf.coefficient is None


def test_bad_input():
    x, r = sp.symbols("x r")
    logistic = dr.Map.from_sympy([r * x * (1 - x)], [x], {r: 2.9})
    # a fixed point that is not a flip
    assert_named_error(lambda: normal_form(logistic, [1 - 1 / 2.9], "PD"),
                       dr.InvalidInputError, "point", "not a PD bifurcation")
    # not a fixed point at all
    assert_named_error(lambda: normal_form(logistic.with_params(r=3.0), [0.3], "PD"),
                       dr.InvalidInputError, "point", "not a fixed point")
    assert_named_error(lambda: normal_form(logistic, [0.5], "BP"), dr.InvalidInputError,
                       "kind", "'LP', 'PD' or 'NS'")
    assert_named_error(lambda: normal_form(logistic, [0.5]), dr.InvalidInputError, "kind",
                       "kind is required")
    assert_named_error(lambda: normal_form(logistic, [0.5], "PD",
                                           period=MAX_CYCLE_PERIOD + 1),
                       dr.InvalidInputError, "period", "MAX_CYCLE_PERIOD")
    assert_named_error(lambda: normal_form(logistic, [0.5], "PD", period=0),
                       dr.InvalidInputError, "period", "positive integer")
    assert_named_error(lambda: normal_form(logistic, [[0.5, 0.1]], "PD"), dr.ShapeError,
                       "point", "shape")
    assert_named_error(lambda: normal_form("logistic", [0.5], "PD"), dr.InvalidTypeError,
                       "system", "RecurrentMap")
    # ReLU: no second derivatives, said so
    relu = dr.RNN([[-1.0]], b=[0.5], activation="relu")
    nf = normal_form(relu, [0.25], "PD")
    assert not nf.success and nf.status == NormalFormStatus.NOT_SMOOTH
    assert "no second" in str(nf.status) and "border collisions" in str(nf.status)
    assert_named_error(lambda: multilinear_forms(relu, [0.25]), dr.InvalidInputError,
                       "system", "no second or third derivatives")


def test_resonance_is_reported_not_computed():
    # a flip with a second multiplier at +1 (fold-flip, LPPD): (A - I) is singular
    net, x_star = two_unit_net([-1.0, 1.0])
    nf = normal_form(net, x_star, "PD")
    assert nf.status == NormalFormStatus.RESONANT and nf.coefficient is None


# -- two-parameter curves -------------------------------------------------------------------------
def test_cusp_coefficient_on_a_fold_curve_of_a_tanh_unit():
    from dynrnn.analysis.codim2_coefficients import criticality_along
    net = dr.RNN([[2.0]], b=[0.0], activation="tanh")
    branch = dr.continuation(net, "b[0]", [0.0], (-1.0, 1.0), p0=0.0, direction="both")
    curve = dr.continue_bifurcation(net, branch.bifurcations[0], "W_rec[0,0]", (0.5, 3.0))
    (cp,) = curve.codim2
    assert cp.kind == BifurcationKind.CP and cp.param2 == pytest.approx(1.0, abs=1e-7)
    # x ↦ tanh(x) at the cusp: ξ ↦ ξ + f'''/6 ξ³ = ξ - ξ³/3
    assert cp.extra["cusp_coefficient"] == pytest.approx(-1.0 / 3.0, rel=1e-5)
    along = criticality_along(net, curve)
    assert set(along.criticality) == {"nondegenerate"} and along.changes.size == 0
    # the fold coefficient a = w σ''(x*)/2 at every point, against the hand derivative
    for (b, w), x, a in zip(curve.params, curve.states[:, 0], along.coefficients):
        assert a == pytest.approx(0.5 * w * hand_derivatives("tanh", x)[1], rel=1e-6, abs=1e-9)


def test_generalised_flip_separates_super_and_subcritical_parts_of_a_flip_curve():
    from dynrnn.analysis.codim2_coefficients import criticality_along
    x, m, a = sp.symbols("x m a")
    # x ↦ -(1 + m) x + a x² - x³: flip at m = 0 for every a, c = a² - 1, GPD at a = ±1
    f = dr.Map.from_sympy([-(1 + m) * x + a * x**2 - x**3], [x], {m: -0.1, a: 0.0})
    branch = dr.continuation(f, "m", [0.0], (-0.1, 0.1))
    (pd,) = branch.bifurcations
    assert pd.criticality == "subcritical" and pd.coefficient == pytest.approx(-1.0)
    curve = dr.continue_bifurcation(f, pd, "a", (-2.0, 2.0))
    gpd = [b for b in curve.codim2 if b.kind == BifurcationKind.GPD]
    assert sorted(round(b.param2, 7) for b in gpd) == [-1.0, 1.0]
    for b in gpd:
        outer, inner = ("supercritical", "subcritical")
        expected = (outer, inner) if b.param2 < 0 else (inner, outer)
        assert b.extra["criticality_sides"] == expected
    along = criticality_along(f, curve)
    np.testing.assert_allclose(along.coefficients, curve.params[:, 1] ** 2 - 1, atol=1e-9)
    assert along.changes.size == 2
