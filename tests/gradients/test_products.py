"""Jacobian products: explicit products, the §2.1 bound, log-domain accumulation, eq. (4)."""
import numpy as np
import pytest

import dynrnn as dr
from dynrnn.gradients import (Readout, bptt, gradient_by_distance, jacobian_products,
                              product_bound)


def explicit_products(net, x0, U):
    X = net.run(x0, U)
    T = len(U)
    act = net.activation
    J = [None] + [net.W_rec * act.derivative(X[i - 1])[None, :] for i in range(1, T + 1)]
    out = {}
    for k in range(T + 1):
        P = np.eye(net.n_units)
        out[(k, k)] = P
        for t in range(k + 1, T + 1):
            P = J[t] @ P
            out[(t, k)] = P
    return out


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("norm", ["spectral", "fro"])
def test_products_match_explicit(act, norm):
    rng = np.random.default_rng(1)
    net = dr.RNN(rng.normal(0, 0.8, (4, 4)), rng.normal(0, 1, (4, 2)), rng.normal(0, 0.2, 4),
                 activation=act)
    U = rng.normal(size=(9, 2))
    x0 = rng.normal(size=4)
    ref = explicit_products(net, x0, U)
    ordn = 2 if norm == "spectral" else "fro"
    allp = jacobian_products(net, x0, U, pairs="all", norm=norm, return_matrices=True)
    last = jacobian_products(net, x0, U, pairs="last", norm=norm, return_matrices=True)
    for (t, k), P in ref.items():
        nrm = np.linalg.norm(P, ordn)
        if nrm == 0:
            assert allp.log_norms[t, k] == -np.inf
            continue
        assert allp.log_norms[t, k] == pytest.approx(np.log(nrm), abs=1e-11)
        np.testing.assert_allclose(allp.matrices[t, k], P, atol=1e-13 * max(1, nrm))
        if t == 9:
            assert last.log_norms[k] == pytest.approx(np.log(nrm), abs=1e-11)
            np.testing.assert_allclose(last.matrices[k], P, atol=1e-13 * max(1, nrm))


@pytest.mark.parametrize("act", ["tanh", "sigmoid"])
def test_section_2_1_bound(act):
    # λ₁ < 1/γ: ‖∂x_t/∂x_k‖₂ ≤ (γλ₁)^(t−k) for every pair.
    rng = np.random.default_rng(2)
    gamma = dr.get_activation(act).gamma
    W = rng.normal(size=(6, 6))
    W *= 0.9 / (gamma * np.linalg.norm(W, 2))
    net = dr.RNN(W, rng.normal(size=(6, 1)), activation=act)
    jp = jacobian_products(net, rng.normal(size=6), rng.normal(size=(40, 1)), pairs="all")
    bound = product_bound(jp)
    # the bound is the closed form (t − k) log(γ λ₁), λ₁ = ‖W‖₂ = 0.9/γ by construction
    assert jp.lambda1 == pytest.approx(0.9 / gamma, rel=1e-12)
    t, k = np.indices(bound.shape)
    lower = t >= k
    np.testing.assert_allclose(bound[lower], (t - k)[lower] * np.log(0.9), rtol=1e-12,
                               atol=1e-12)
    # the theorem: every product lies below it (an inequality is what §2.1 states) ...
    assert np.all(jp.log_norms[lower] <= bound[lower] + 1e-12)
    # ... and the products are the explicit ones, so the comparison is not vacuous
    U = rng.normal(size=(40, 1))
    x0 = rng.normal(size=6)
    jp = jacobian_products(net, x0, U, pairs="all")
    explicit = explicit_products(net, x0, U)
    for (t_, k_) in ((40, 0), (25, 10), (3, 2)):
        assert jp.log_norms[t_, k_] == pytest.approx(np.log(np.linalg.norm(explicit[t_, k_], 2)),
                                                     abs=1e-10)
    # a network violating the condition: λ₁ γ = 3 exactly
    net2 = net.replace(W_rec=W * 3.0 / 0.9)
    jp2 = jacobian_products(net2, np.zeros(6), np.zeros((40, 1)), pairs="last")
    assert jp2.lambda1 * jp2.gamma == pytest.approx(3.0, rel=1e-12)
    assert jp2.gamma == {"tanh": 1.0, "sigmoid": 0.25}[act]


def test_log_domain_float32_no_underflow():
    # Contracting products at T = 1000 are ~1e-300 and below: float32 would underflow at 1e-38.
    rng = np.random.default_rng(3)
    n = 8
    W = rng.normal(size=(n, n))
    W *= 0.5 / np.linalg.norm(W, 2)
    net = dr.RNN(W, rng.normal(size=(n, 1)))
    U = rng.normal(size=(1000, 1))
    a = jacobian_products(net, np.zeros(n), U, dtype=np.float32)
    b = jacobian_products(net, np.zeros(n), U, dtype=np.float64)
    # reference: the explicit product ∂x_T/∂x_k, renormalised by hand every step (float64)
    X = net.run(np.zeros(n), U)
    P, log_scale, reference = np.eye(n), 0.0, np.empty(len(U) + 1)
    reference[len(U)] = 0.0
    for k in range(len(U) - 1, -1, -1):       # ∂x_T/∂x_k = (∂x_T/∂x_{k+1}) J_{k+1}
        P = P @ (W * (1 - np.tanh(X[k]) ** 2)[None, :])
        scale = np.linalg.norm(P, 2)
        P, log_scale = P / scale, log_scale + np.log(scale)
        reference[k] = log_scale
    assert reference[0] < 10 * np.log(1e-38)   # far below what float32 can hold
    np.testing.assert_allclose(b.log_norms, reference, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(a.log_norms, reference, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("where", ["all", "last"])
def test_distance_decomposition_sums_to_bptt(where):
    rng = np.random.default_rng(4)
    n, m, T, B = 5, 2, 12, 3
    net = dr.RNN(rng.normal(0, 0.7, (n, n)), rng.normal(size=(n, m)), rng.normal(0, .2, n))
    ro = Readout(rng.normal(size=(2, n)), np.zeros(2))
    U = rng.normal(size=(T, B, m))
    z = rng.normal(size=(T, B, 2)) if where == "all" else rng.normal(size=(B, 2))
    x0 = rng.normal(size=(B, n))
    dec = gradient_by_distance(net, x0, U, z, readout=ro, where=where, keep_contributions=True)
    r = bptt(net, x0, U, z, readout=ro, where=where)
    for k in ("W_rec", "W_in", "b"):
        np.testing.assert_allclose(dec.total[k], r.grads[k], rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(dec.norms[k], np.sqrt((dec.contributions[k] ** 2).reshape(T, -1).sum(1)))
    if where == "last":
        # Only the last step has a loss, so the distance-d term is e_T ∂x_T/∂x_{T-d} ⊗ h_{T-d-1}.
        jp = jacobian_products(net, x0[0], U[:, 0], pairs="last", return_matrices=True)
        assert jp.matrices.shape == (T + 1, n, n)
    if where == "last":
        # C_d is ∂E/∂W_rec of the copy of W_rec used at step T − d: torch autograd with one
        # weight tensor per step gives each term independently of the library's recursion
        torch = pytest.importorskip("torch")
        weights = [torch.tensor(net.W_rec, requires_grad=True) for _ in range(T)]
        x = torch.tensor(x0)
        for t, W_t in enumerate(weights):
            x = (torch.tanh(x) @ W_t.T + torch.tensor(U[t]) @ torch.tensor(net.W_in).T
                 + torch.tensor(net.b))
        y = torch.tanh(x) @ torch.tensor(ro.W_out).T + torch.tensor(ro.b_out)
        (((y - torch.tensor(z)) ** 2).sum() / B).backward()     # the batch mean of eq. (3)
        per_distance = np.array([w.grad.numpy() for w in weights[::-1]])   # d = 0, 1, ...
        np.testing.assert_allclose(dec.contributions["W_rec"], per_distance, rtol=1e-10,
                                   atol=1e-13)
        norms = np.linalg.norm(per_distance.reshape(T, -1), axis=1)
        assert dec.long_term_fraction(5) == pytest.approx(norms[5:].sum() / norms.sum(),
                                                          rel=1e-10)


def test_all_pairs_in_blocks_equal_one_block():
    rng = np.random.default_rng(1)
    net = dr.RNN(rng.normal(0, 0.5, (6, 6)), rng.normal(size=(6, 1)))
    U = rng.normal(size=(40, 1))
    a = jacobian_products(net, np.zeros(6), U, pairs="all")
    b = jacobian_products(net, np.zeros(6), U, pairs="all", block_bytes=6 * 6 * 8 * 3 * 7)
    np.testing.assert_array_equal(a.log_norms, b.log_norms)


@pytest.mark.parametrize("gain", [0.5, 1.5])
def test_power_iteration_spectral_norm_matches_svd(gain):
    rng = np.random.default_rng(6)
    n = 40
    net = dr.RNN(rng.normal(0, gain / np.sqrt(n), (n, n)), rng.normal(size=(n, 2)))
    U = rng.normal(size=(150, 2))
    a = jacobian_products(net, np.zeros(n), U, spectral_method="svd")
    b = jacobian_products(net, np.zeros(n), U, spectral_method="power")
    np.testing.assert_allclose(b.log_norms, a.log_norms, rtol=0, atol=1e-9)
