"""One-parameter continuation feeding two-parameter continuation, end to end.

The records located by :func:`dynrnn.continuation` (and :func:`dynrnn.switch_branch`) go into
:func:`dynrnn.continue_bifurcation` unchanged; the curves are checked against closed forms
derived independently of dynrnn (in tests/problems.py or in the comments below).
"""
import math

import numpy as np
import pytest

import dynrnn as dr
from dynrnn import BifurcationKind
from tests import problems as P


def henon_branch(b=0.3):
    """Fixed points x*₊ of the Hénon map from a = 0.2 over a in [-0.2, 1], both ways."""
    a0 = 0.2
    henon = P.henon_map(a0, b)
    _, (x_plus, _) = P.henon_fixed_points(a0, b)
    branch = dr.continuation(henon, "a", x_plus, (-0.2, 1.0), direction="both")
    return henon, branch


def only(branch, kind):
    found = [bif for bif in branch.bifurcations if bif.kind is kind]
    assert len(found) == 1, branch.bifurcations
    return found[0]


# -- Hénon: LP and PD of the fixed point ----------------------------------------------------------
@pytest.mark.parametrize("kind, closed_form", [(BifurcationKind.LP, P.HENON_FOLD),
                                               (BifurcationKind.PD, P.HENON_FLIP)])
def test_henon_located_point_continues_in_b(kind, closed_form):
    henon, branch = henon_branch(0.3)
    bif = only(branch, kind)
    assert abs(bif.param - closed_form(0.3)) < 1e-8
    curve = dr.continue_bifurcation(henon, bif, "b", (-0.5, 0.8))
    assert curve.success, curve.message
    assert curve.kind is kind and curve.param_names == ("a", "b")
    a, b = curve.params.T
    assert len(curve) > 20 and b.min() < -0.4 and b.max() > 0.7
    assert np.max(np.abs(a - closed_form(b))) < 1e-8
    target = 1.0 if kind is BifurcationKind.LP else -1.0
    assert np.max(np.min(np.abs(curve.eigenvalues - target), axis=1)) < 1e-8


# -- one-unit sigmoid net: both folds in (b, w), meeting at the cusp ------------------------------
def sigmoid_fold_biases(w):
    """Both b where x -> w σ(x) + b folds (σ(1 − σ) = 1/w), for each w in an array."""
    root = np.sqrt(1.0 - 4.0 / w)
    out = []
    for s in ((1 - root) / 2, (1 + root) / 2):
        out.append(np.log(s / (1 - s)) - w * s)
    return np.stack(out, axis=-1)


def test_one_unit_sigmoid_folds_continue_in_w():
    net = P.one_unit(5.0, 0.0, "sigmoid")
    branch = dr.continuation(net, "b[0]", net.iterate([0.0], 100), (-5.0, 0.0), direction="backward")
    folds = [bif for bif in branch.bifurcations if bif.kind is BifurcationKind.LP]
    assert len(folds) == 2
    np.testing.assert_allclose(sorted(f.param for f in folds),
                               sorted(P.one_unit_folds(5.0, "sigmoid")), atol=1e-8)
    for fold in folds:
        curve = dr.continue_bifurcation(net, fold, "W_rec[0,0]", (3.0, 8.0))
        assert curve.success, curve.message
        b, w = curve.params.T
        assert w.max() > 7.9
        # on the curve the map folds: one of the two closed-form biases for that w
        inside = w > 4.0 + 1e-6
        ref = sigmoid_fold_biases(w[inside])
        err = np.min(np.abs(ref - b[inside, None]), axis=1)
        assert np.max(err) < 1e-8
        # both folds join at the cusp (b, w) = (−2, 4), where σ = 1/2 is a triple root
        cusps = [c for c in curve.codim2 if c.kind is BifurcationKind.CP]
        assert len(cusps) == 1
        assert abs(cusps[0].param - (-2.0)) < 1e-6 and abs(cusps[0].param2 - 4.0) < 1e-6


# -- a 2-unit network: NS from continuation, then the NS curve ------------------------------------
def test_two_unit_ns_from_continuation_continues_in_second_weight():
    # x' = W tanh(x), W = [[p, −s], [s, d]]: the origin is fixed for all weights and its
    # multipliers are the eigenvalues of W, so NS is det W = p d + s² = 1 with |p + d| < 2
    angle = math.pi / 5
    c, s = math.cos(angle), math.sin(angle)
    net = dr.RNN(np.array([[0.5, -s], [s, c]]), activation="tanh")
    branch = dr.continuation(net, "W_rec[0,0]", [0.0, 0.0], (0.5, 1.5))
    ns = only(branch, BifurcationKind.NS)
    assert abs(ns.param - (1 - s * s) / c) < 1e-8
    curve = dr.continue_bifurcation(net, ns, "W_rec[1,1]", (0.6, 1.2))
    assert curve.success, curve.message
    assert curve.kind is BifurcationKind.NS
    p, d = curve.params.T
    assert d.min() < 0.61 and d.max() > 1.19
    np.testing.assert_allclose(p * d + s * s, 1.0, atol=1e-8)
    np.testing.assert_allclose(curve.kappa, (p + d) / 2, atol=1e-8)   # cos θ = tr W / 2
    np.testing.assert_allclose(curve.states, 0.0, atol=1e-10)


# -- PD -> switch_branch -> flip curve of the 2-cycle ---------------------------------------------
def henon_two_cycle_flip(b):
    """a where the Hénon 2-cycle flips (period 4 is born).

    The 2-cycle {x₁, x₂} has x₁ + x₂ = (1 − b)/a and x₁x₂ = ((1 − b)² − a)/a²; the product of
    the Jacobians [[−2a xᵢ, 1], [b, 0]] has trace 4a²x₁x₂ + 2b and determinant b², so the
    multiplier −1 (1 + trace + det = 0) gives a = (1 − b)² + (1 + b)²/4."""
    return ((1 + b) ** 2 + 4 * (1 - b) ** 2) / 4


def test_henon_two_cycle_formula_against_iteration():
    # independent check of the closed form: just below it the 2-cycle attracts, just above it
    # the orbit settles on a 4-cycle
    b = 0.3
    a_star = henon_two_cycle_flip(b)
    assert abs(a_star - 0.9125) < 1e-15
    for da, period in ((-0.01, 2), (0.01, 4)):
        m = P.henon_map(a_star + da, b)
        x = m.iterate([0.1, 0.0], 20000)
        orbit = m.run(x, n_steps=8)
        assert np.allclose(orbit[period], orbit[0], atol=1e-7)
        assert not np.allclose(orbit[period // 2], orbit[0], atol=1e-4)


def test_switch_branch_at_pd_then_two_cycle_flip_curve():
    henon, branch = henon_branch(0.3)
    pd = only(branch, BifurcationKind.PD)
    cycle = dr.switch_branch(branch, pd)
    assert cycle.period == 2 and cycle.success, cycle.message
    pd2 = only(cycle, BifurcationKind.PD)
    assert pd2.period == 2
    assert abs(pd2.param - henon_two_cycle_flip(0.3)) < 1e-8
    curve = dr.continue_bifurcation(henon, pd2, "b", (0.0, 0.5))
    assert curve.success, curve.message
    assert curve.kind is BifurcationKind.PD and curve.period == 2
    a, b = curve.params.T
    assert b.min() < 0.01 and b.max() > 0.49
    assert np.max(np.abs(a - henon_two_cycle_flip(b))) < 1e-8
    # the state is a point of the 2-cycle: F²(x) = x and F(x) ≠ x
    for (ai, bi), x in zip(curve.params[::10], curve.states[::10]):
        m = henon.with_params({"a": ai, "b": bi})
        assert np.allclose(m.run(x, n_steps=2)[2], x, atol=1e-9)
        assert not np.allclose(m.step(x), x, atol=1e-3)


# -- bifurcation_diagram from the fixed points find_fixed_points finds ----------------------------
def test_henon_diagram_without_starts_reaches_the_two_cycle_flip():
    analysis = pytest.importorskip("dynrnn.analysis")
    if not hasattr(analysis, "find_fixed_points"):
        pytest.skip("find_fixed_points is not merged yet")
    henon = P.henon_map(0.2, 0.3)
    diagram = dr.bifurcation_diagram(henon, "a", (-0.1, 1.0))
    assert diagram.success
    flips = sorted((b.period, b.param) for b in diagram.bifurcations
                   if b.kind is BifurcationKind.PD)
    assert [k for k, _ in flips] == [1, 2]
    assert abs(flips[0][1] - P.HENON_FLIP(0.3)) < 1e-8
    assert abs(flips[1][1] - henon_two_cycle_flip(0.3)) < 1e-8


def test_records_of_a_saved_branch_continue_in_two_parameters(tmp_path):
    henon, branch = henon_branch(0.3)
    dr.save(branch, tmp_path / "branch.npz")
    loaded = dr.load(tmp_path / "branch.npz")
    pd = only(loaded, BifurcationKind.PD)
    curve = dr.continue_bifurcation(henon, pd, "b", (0.0, 0.5))
    assert curve.success
    a, b = curve.params.T
    assert np.max(np.abs(a - P.HENON_FLIP(b))) < 1e-8
    # a loaded branch carries no family: switch_branch needs the system again
    cycle = dr.switch_branch(loaded, pd, system=henon)
    pd2 = only(cycle, BifurcationKind.PD)
    curve2 = dr.continue_bifurcation(henon, pd2, "b", (0.0, 0.5))
    assert curve2.success
    assert np.max(np.abs(curve2.params[:, 0] - henon_two_cycle_flip(curve2.params[:, 1]))) < 1e-8
