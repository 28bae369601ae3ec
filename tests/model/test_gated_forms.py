"""Analytic second and third derivatives of GRU and LSTM cells (model/gated_forms.py) against
PyTorch autograd's nested directional derivatives, and the normal-form coefficients they give
against those from finite differences."""
from __future__ import annotations

import numpy as np
import pytest

import dynrnn as dr
from dynrnn.analysis.special_points import BifurcationKind as K
from tests.model.test_gated import as_map, make_module, torch_map

torch = pytest.importorskip("torch")
from torch.func import jvp  # noqa: E402


def directional(F, x, directions):
    """D^k F(x)[d_1, …, d_k] by k nested forward-mode derivatives."""
    def nest(f, d):
        return lambda y: jvp(f, (y,), (d,))[1]
    g = F
    for d in directions:
        g = nest(g, d)
    return g(x)


CONFIGS = [("GRU", 2, 3, 1, True), ("GRU", 2, 3, 2, True), ("GRU", 0, 4, 1, False),
           ("LSTM", 2, 3, 1, True), ("LSTM", 2, 2, 2, True), ("LSTM", 0, 3, 1, False)]


@pytest.mark.parametrize("kind,m,hidden,layers,with_inputs", CONFIGS,
                         ids=[f"{c[0]}-m{c[1]}-h{c[2]}-l{c[3]}-{c[4]}" for c in CONFIGS])
def test_forms_match_nested_autograd(kind, m, hidden, layers, with_inputs):
    rng = np.random.default_rng(3)
    module = make_module(kind, max(m, 1), hidden, layers, seed=7, scale=1.5)
    u = rng.standard_normal(max(m, 1)) if with_inputs else None
    net = as_map(module, with_inputs, u)
    n = net.n_states
    x = 0.6 * rng.standard_normal(n)
    B, C = net.multilinear_forms(x, net.resolve_input(None))
    F = torch_map(module, net, u if with_inputs else np.zeros(1))
    for _ in range(3):
        v, w, y = rng.standard_normal((3, n))
        xt = torch.as_tensor(x)
        vt, wt, yt = (torch.as_tensor(a) for a in (v, w, y))
        second = directional(F, xt, [vt, wt]).detach().numpy()
        third = directional(F, xt, [vt, wt, yt]).detach().numpy()
        scale2 = 1.0 + np.max(np.abs(second))
        scale3 = 1.0 + np.max(np.abs(third))
        np.testing.assert_allclose(B(v, w), second, atol=1e-10 * scale2, rtol=0)
        np.testing.assert_allclose(C(v, w, y), third, atol=1e-10 * scale3, rtol=0)
    # complex vectors (Neimark–Sacker eigenvectors): complex-bilinear, as the forms are
    v, w = rng.standard_normal((2, n)) + 1j * rng.standard_normal((2, n))
    expected = B(v.real, w.real) - B(v.imag, w.imag) + 1j * (B(v.real, w.imag)
                                                              + B(v.imag, w.real))
    np.testing.assert_allclose(B(v, w), expected, atol=1e-12)


def gru_bifurcations():
    """A 2-unit GRU whose candidate gate couples strongly (± 6): folds in a bias, a flip in a
    weight (both found by continuation)."""
    def net(w):
        return dr.GRU(None, [[0.5, 0.2], [0.3, -0.1], [0.2, 0.1], [-0.1, 0.2], [w, 0.4],
                             [0.3, 1.0]], bias_hh=[1.0, 0.2, -1.0, -1.0, 0.0, 0.3])
    folding, flipping = net(6.0), net(-6.0)
    x0 = dr.find_fixed_points(folding).points[0].x
    folds = dr.continuation(folding, "bias_hh_l0[4]", x0, (-4, 4), p0=0.0, direction="both")
    x0 = dr.find_fixed_points(flipping).points[0].x
    flips = dr.continuation(flipping, "weight_hh_l0[4,0]", x0, (-30, 0), p0=-6.0,
                            direction="both")
    return [(folding, b) for b in folds.bifurcations if b.kind == K.LP] + \
        [(flipping, b) for b in flips.bifurcations if b.kind == K.PD]


def test_gru_fold_and_flip_coefficients_analytic_equal_finite_differences(monkeypatch):
    from dynrnn.analysis.normal_forms import normal_form
    points = gru_bifurcations()
    assert {b.kind for _, b in points} == {K.LP, K.PD}
    analytic = [normal_form(net, b) for net, b in points]
    assert all(nf.derivatives == "analytic" and nf.success for nf in analytic)
    monkeypatch.setattr(dr.GRU, "multilinear_forms", lambda self, x, u: None)
    for (net, b), exact in zip(points, analytic):
        differenced = normal_form(net, b)
        assert differenced.derivatives == "finite differences"
        assert exact.raw_value == pytest.approx(differenced.raw_value, rel=1e-6)
        assert exact.criticality == differenced.criticality
