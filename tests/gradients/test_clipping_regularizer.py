"""Algorithm 1 clipping and the Ω regulariser (both variants)."""
import math

import numpy as np
import pytest

import dynrnn as dr
from dynrnn.gradients import ClipAction, bptt, clip_gradients, omega, omega_terms


def test_clip_3_4():
    r = clip_gradients({"W_rec": np.array([3.0, 4.0])}, 1.0)
    np.testing.assert_allclose(r.grads["W_rec"], [0.6, 0.8], rtol=1e-15)
    assert r.norm == 5.0 and r.clipped and r.action is ClipAction.CLIPPED
    r2 = clip_gradients(np.array([0.3, 0.4]), 1.0)
    np.testing.assert_array_equal(r2.grads, [0.3, 0.4])
    assert not r2.clipped and r2.scale == 1.0


def test_clip_global_norm_over_arrays_and_threshold_edge():
    g = {"W_rec": np.array([[1.0, 2.0]]), "b": np.array([2.0]), "x0": np.array([100.0])}
    r = clip_gradients(g, 1.5)                   # norm = 3 (x0 excluded)
    assert r.norm == pytest.approx(3.0)
    np.testing.assert_allclose(r.grads["b"], [1.0])
    np.testing.assert_array_equal(r.grads["x0"], [100.0])
    assert clip_gradients(g, 3.0).clipped                 # ≥: at the threshold it clips
    assert not clip_gradients(g, 3.0, compare=">").clipped  # the authors' code: >


def test_clip_float32_norm_in_float64():
    g = np.full(10, 1e20, dtype=np.float32)  # Σ g² overflows float32
    r = clip_gradients(g, 1.0, huge=np.inf)
    assert np.isfinite(r.norm) and r.grads.dtype == np.float32
    assert np.linalg.norm(r.grads.astype(np.float64)) == pytest.approx(1.0, rel=1e-6)


def test_clip_nonfinite_policies():
    g = {"W_rec": np.array([[np.nan, 1.0]]), "b": np.array([1.0])}
    with pytest.raises(dr.NonFiniteError, match="grads"):
        clip_gradients(g, 1.0)
    r = clip_gradients(g, 1.0, nonfinite="skip")
    assert r.nonfinite and r.action is ClipAction.SKIPPED
    assert np.all(r.grads["W_rec"] == 0) and np.all(r.grads["b"] == 0)
    W = np.array([[2.0, -1.0]])
    r = clip_gradients({"W_rec": np.array([[1e11, 0.0]]), "b": np.array([1.0])}, 1.0,
                       nonfinite="shrink", weights={"W_rec": W})
    np.testing.assert_allclose(r.grads["W_rec"], 0.02 * W)
    assert np.all(r.grads["b"] == 0) and r.action is ClipAction.SHRUNK
    with pytest.raises(dr.InvalidInputError, match="weights"):
        clip_gradients(g, 1.0, nonfinite="shrink")
    with pytest.raises(dr.InvalidInputError, match="threshold"):
        clip_gradients(g, -1.0)
    with pytest.raises(dr.InvalidInputError, match="nonfinite"):
        clip_gradients(g, 1.0, nonfinite="ignore")


def one_unit_case():
    # x_t = w tanh(x_{t-1}) + b, w = 2, b = 0.5, x0 = 0, T = 2, loss (tanh(x_2) − 0.3)² at the end.
    net = dr.RNN([[2.0]], b=[0.5], activation="tanh")
    return net, bptt(net, [0.0], None, [0.3], where="last", n_steps=2)


def test_omega_one_unit_by_hand():
    net, r = one_unit_case()
    # For one unit, g_{k+1} J_{k+1} = g_{k+1} · w σ'(x_k), so the ratio is |w| σ'(x_k) for any g ≠ 0.
    # k = 0: x_0 = 0, σ'(0) = 1                     -> ratio 2.
    # k = 1: x_1 = 2 tanh(0) + 0.5 = 0.5, σ'(0.5) = 1 − tanh(0.5)² -> ratio 2 (1 − tanh(0.5)²).
    d1 = 1 - math.tanh(0.5) ** 2
    r0, r1 = 2.0, 2.0 * d1
    o = omega(net, r, "ratio")
    assert o.value == pytest.approx((r0 - 1) ** 2 + (r1 - 1) ** 2, rel=1e-13)
    # dΩ/dw = Σ_k 2 (ratio_k − 1) σ'(x_k) (w > 0), with g and x held fixed.
    assert o.grad_W_rec[0, 0] == pytest.approx(2 * (r0 - 1) * 1.0 + 2 * (r1 - 1) * d1, rel=1e-13)
    s = omega(net, r, "squared")
    # squared ratios 4 and 4 d1²; nothing is masked, the unmasked fraction is 1.
    assert s.value == pytest.approx((4 - 1) ** 2 + (4 * d1 ** 2 - 1) ** 2, rel=1e-13)
    # d/dw (w² d² − 1)² = 4 (w² d² − 1) w d².
    assert s.grad_W_rec[0, 0] == pytest.approx(4 * 3 * 2 + 4 * (4 * d1 ** 2 - 1) * 2 * d1 ** 2,
                                               rel=1e-13)


def test_omega_squared_masking_and_normalisation():
    # Three transitions; the middle one has ‖g‖² = 1e-24 < 1e-20 and is masked, and the sum of the
    # other two is divided by the unmasked fraction 2/3.
    W = np.array([[1.5]])
    G = np.array([[[1.0]], [[1e-12]], [[0.5]]])
    X = np.zeros((4, 1, 1))           # σ'(0) = 1 for tanh: squared ratio w² = 2.25 everywhere
    o = omega_terms(W, G, X, "tanh", variant="squared")
    assert o.n_masked == 1
    assert o.value == pytest.approx(2 * (2.25 - 1) ** 2 / (2 / 3), rel=1e-14)
    o2 = omega_terms(W, G, X, "tanh", variant="ratio")  # the ratio variant keeps all three
    assert o2.n_masked == 0 and o2.value == pytest.approx(3 * 0.25, rel=1e-14)


@pytest.mark.parametrize("variant", ["ratio", "squared"])
@pytest.mark.parametrize("act", ["tanh", "sigmoid"])
def test_omega_gradient_finite_differences(variant, act):
    rng = np.random.default_rng(5)
    n, T, B = 4, 8, 3
    net = dr.RNN(rng.normal(size=(n, n)), rng.normal(size=(n, 2)), activation=act)
    r = bptt(net, rng.normal(size=(B, n)), rng.normal(size=(T, B, 2)),
             rng.normal(size=(T, B, n)))
    o = omega(net, r, variant)
    eps = 1e-6
    for i in range(n):
        for j in range(n):
            Wp, Wm = net.W_rec.copy(), net.W_rec.copy()
            Wp[i, j] += eps
            Wm[i, j] -= eps
            fd = (omega_terms(Wp, r.state_grads, r.states, act, variant=variant).value
                  - omega_terms(Wm, r.state_grads, r.states, act, variant=variant).value) / (2 * eps)
            assert fd == pytest.approx(o.grad_W_rec[i, j], rel=1e-6, abs=1e-9 * np.abs(o.grad_W_rec).max())


def test_omega_bad_input():
    with pytest.raises(dr.InvalidInputError, match="variant"):
        omega_terms(np.eye(2), np.ones((3, 1, 2)), np.zeros((4, 1, 2)), variant="cubic")
    with pytest.raises(dr.ShapeError, match="W_rec"):
        omega_terms(np.eye(3), np.ones((3, 1, 2)), np.zeros((4, 1, 2)))
