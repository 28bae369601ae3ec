"""BPTT against central finite differences and against PyTorch autograd through a Python loop."""
import numpy as np
import pytest

import dynrnn as dr
from dynrnn.gradients import Readout, bptt

torch = pytest.importorskip("torch")

ACTS = ["tanh", "sigmoid", "relu"]


def make_problem(act, T, B=3, n=4, m=2, k=3, loss="mse", where="all", seed=0, use_readout=True,
                 with_mask=False):
    rng = np.random.default_rng(seed)
    net = dr.RNN(rng.normal(0, 0.9, (n, n)), rng.normal(0, 0.7, (n, m)), rng.normal(0, 0.3, n),
                 activation=act)
    ro = Readout(rng.normal(0, 0.5, (k, n)), rng.normal(0, 0.1, k)) if use_readout else None
    kk = k if use_readout else n
    x0 = rng.normal(0, 0.5, (B, n))
    U = rng.normal(0, 1.0, (T, B, m))
    Ts = T if where == "all" else 1
    if loss == "mse":
        z = rng.normal(0, 0.5, (Ts, B, kk))
    else:
        z = rng.integers(0, kk, (Ts, B))
    if where == "last":
        z = z[0]
    mask = None
    if with_mask:
        mask = (rng.random((Ts, B)) < 0.6).astype(float)
        if where == "last":
            mask = mask[0]
    return net, ro, x0, U, z, mask


def torch_reference(net, ro, x0, U, z, loss, where, mask):
    """Eq. (2) written out step by step with torch ops; autograd gives the gradients."""
    act = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}[net.activation.name]
    P = {"W_rec": net.W_rec, "W_in": net.W_in, "b": net.b, "x0": x0}
    if ro is not None:
        P.update(W_out=ro.W_out, b_out=ro.b_out)
    P = {k: torch.tensor(np.array(v), dtype=torch.float64, requires_grad=True) for k, v in P.items()}
    Ut = torch.tensor(U, dtype=torch.float64)
    x = P["x0"]
    outs = []
    for t in range(U.shape[0]):
        x = act(x) @ P["W_rec"].T + Ut[t] @ P["W_in"].T + P["b"]
        h = act(x)
        outs.append(h @ P["W_out"].T + P["b_out"] if ro is not None else h)
    Y = torch.stack(outs) if where == "all" else outs[-1][None]
    zt = torch.tensor(z if where == "all" else z[None])
    if loss == "mse":
        per = ((Y - zt) ** 2).sum(-1)
    else:
        per = -torch.log_softmax(Y, -1).gather(-1, zt[..., None].long())[..., 0]
    if mask is not None:
        mt = torch.tensor(mask if where == "all" else mask[None], dtype=torch.float64)
        per = per * mt
    E = per.sum() / x0.shape[0]
    E.backward()
    return float(E.detach()), {k: v.grad.numpy() for k, v in P.items()}


def rel_err(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("T", [5, 100])
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize("where", ["all", "last"])
@pytest.mark.parametrize("use_readout", [True, False])
def test_bptt_matches_autograd(act, T, loss, where, use_readout):
    net, ro, x0, U, z, mask = make_problem(act, T, loss=loss, where=where, use_readout=use_readout,
                                           with_mask=(T == 5), seed=T)
    r = bptt(net, x0, U, z, loss, readout=ro, where=where, mask=mask)
    E, ref = torch_reference(net, ro, x0, U, z, loss, where, mask)
    assert abs(r.loss - E) <= 1e-12 * max(1.0, abs(E))
    for name, g in ref.items():
        assert r.grads[name].shape == g.shape
        assert rel_err(r.grads[name], g) < 1e-10, name


def _fd_check(net, ro, x0, U, z, loss, where, mask, names, eps=1e-6, n_coords=6, seed=0):
    r = bptt(net, x0, U, z, loss, readout=ro, where=where, mask=mask)
    rng = np.random.default_rng(seed)
    arrays = {"W_rec": net.W_rec, "W_in": net.W_in, "b": net.b, "x0": x0}
    if ro is not None:
        arrays.update(W_out=ro.W_out, b_out=ro.b_out)

    def loss_at(name, idx, delta):
        a = {k: np.array(v) for k, v in arrays.items()}
        a[name][idx] += delta
        n2 = dr.RNN(a["W_rec"], a["W_in"], a["b"], net.activation)
        r2 = Readout(a["W_out"], a["b_out"]) if ro is not None else None
        return bptt(n2, a["x0"], U, z, loss, readout=r2, where=where, mask=mask).loss

    for name in names:
        g = r.grads[name]
        scale = np.max(np.abs(g))
        for _ in range(n_coords):
            idx = tuple(int(rng.integers(s)) for s in g.shape)
            fd = (loss_at(name, idx, eps) - loss_at(name, idx, -eps)) / (2 * eps)
            assert abs(fd - g[idx]) <= 1e-6 * max(scale, 1e-8) + 1e-9, (name, idx, fd, g[idx])


@pytest.mark.parametrize("act", ["tanh", "sigmoid"])
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize("where", ["all", "last"])
def test_bptt_matches_finite_differences_T5(act, loss, where):
    net, ro, x0, U, z, mask = make_problem(act, 5, loss=loss, where=where, with_mask=True, seed=7)
    _fd_check(net, ro, x0, U, z, loss, where, mask, ["W_rec", "W_in", "b", "x0", "W_out", "b_out"])


def test_bptt_relu_finite_differences():
    # ReLU is differentiable away from 0; the random net keeps pre-activations away from kinks.
    net, ro, x0, U, z, mask = make_problem("relu", 5, seed=3)
    r = bptt(net, x0, U, z, readout=ro)
    assert np.min(np.abs(r.states)) > 1e-4
    _fd_check(net, ro, x0, U, z, "mse", "all", None, ["W_rec", "W_in", "b", "x0"])


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_bptt_matches_finite_differences_T100(act, loss):
    net, ro, x0, U, z, mask = make_problem(act, 100, loss=loss, seed=11)
    net = net.replace(W_rec=0.5 * net.W_rec)
    _fd_check(net, ro, x0, U, z, loss, "all", None, ["W_rec", "W_in", "b", "x0"])


def test_soft_targets_equal_labels():
    net, ro, x0, U, z, _ = make_problem("tanh", 6, loss="cross_entropy")
    onehot = np.eye(3)[z]
    a = bptt(net, x0, U, z, "cross_entropy", readout=ro)
    b = bptt(net, x0, U, onehot, "cross_entropy", readout=ro)
    assert abs(a.loss - b.loss) < 1e-12
    for k in a.grads:
        np.testing.assert_allclose(a.grads[k], b.grads[k], rtol=1e-12, atol=1e-14)


def test_unbatched_equals_batch_of_one():
    net, ro, x0, U, z, _ = make_problem("tanh", 7, B=1)
    a = bptt(net, x0[0], U[:, 0], z[:, 0], readout=ro)
    b = bptt(net, x0, U, z, readout=ro)
    assert a.states.shape == (8, 4) and a.grads["x0"].shape == (4,)
    np.testing.assert_allclose(a.grads["W_rec"], b.grads["W_rec"], rtol=1e-13)
    assert a.loss == pytest.approx(b.loss, rel=1e-14)


def test_float32_close_to_float64():
    net, ro, x0, U, z, _ = make_problem("tanh", 50)
    a = bptt(net, x0, U, z, readout=ro, dtype=np.float32)
    b = bptt(net, x0, U, z, readout=ro)
    assert a.grads["W_rec"].dtype == np.float32
    assert rel_err(a.grads["W_rec"], b.grads["W_rec"]) < 1e-4


def test_fig6_model_no_inputs():
    # E = (σ(x_50) − 0.7)²: dE/db by the one-unit chain rule written out by hand.
    w, b = 5.0, -2.5
    net = dr.RNN([[w]], b=[b], activation="sigmoid")
    r = bptt(net, [0.5], None, [0.7], where="last", n_steps=50)
    s = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    x = [0.5]
    for _ in range(50):
        x.append(w * s(x[-1]) + b)
    g, gb, gw = 2 * (s(x[50]) - 0.7) * s(x[50]) * (1 - s(x[50])), 0.0, 0.0
    for t in range(50, 0, -1):
        gb += g
        gw += g * s(x[t - 1])
        g = g * w * s(x[t - 1]) * (1 - s(x[t - 1]))
    assert r.loss == pytest.approx((s(x[50]) - 0.7) ** 2, rel=1e-13)
    assert r.grads["b"][0] == pytest.approx(gb, rel=1e-12)
    assert r.grads["W_rec"][0, 0] == pytest.approx(gw, rel=1e-12)


# --- bad input ------------------------------------------------------------------------------
def test_bad_input():
    net, ro, x0, U, z, _ = make_problem("tanh", 5)
    with pytest.raises(dr.UnknownParameterError, match="loss"):
        bptt(net, x0, U, z, "hinge", readout=ro)
    with pytest.raises(dr.ShapeError, match="inputs"):
        bptt(net, x0, U[:, :2], z, readout=ro)
    with pytest.raises(dr.ShapeError, match="inputs"):
        bptt(net, x0, U[..., :1], z, readout=ro)
    with pytest.raises(dr.ShapeError, match="x0"):
        bptt(net, x0[:, :3], U, z, readout=ro)
    with pytest.raises(dr.ShapeError, match="targets"):
        bptt(net, x0, U, z[:4], readout=ro)
    with pytest.raises(dr.ShapeError, match="targets"):
        bptt(net, x0, U, z, where="last", readout=ro)
    with pytest.raises(dr.ShapeError, match="readout"):
        bptt(net, x0, U, z, readout=Readout(np.ones((3, 5)), np.zeros(3)))
    bad = U.copy()
    bad[2, 1, 0] = np.nan
    with pytest.raises(dr.NonFiniteError, match="inputs"):
        bptt(net, x0, bad, z, readout=ro)
    with pytest.raises(dr.InvalidInputError, match="where"):
        bptt(net, x0, U, z, where="first", readout=ro)
    with pytest.raises(dr.InvalidInputError, match="targets"):
        bptt(net, x0, U, np.full((5, 3), 7), "cross_entropy", readout=ro)
    with pytest.raises(dr.ShapeError, match="mask"):
        bptt(net, x0, U, z, readout=ro, mask=np.ones((5, 2)))


def test_fast_tanh_agrees_with_exact():
    net, ro, x0, U, z, _ = make_problem("tanh", 60, seed=5)
    a = bptt(net, x0, U, z, readout=ro)
    b = bptt(net, x0, U, z, readout=ro, exact_tanh=True)
    # Rounding differences of 1e-16 grow along this expanding random net's 60 steps.
    np.testing.assert_allclose(a.states, b.states, rtol=0, atol=1e-12)
    np.testing.assert_allclose(b.states[:, 0], net.run(x0[0], U[:, 0]), rtol=0, atol=1e-13)
    for k in b.grads:
        assert rel_err(a.grads[k], b.grads[k]) < 1e-10


def test_gradients_by_scalar_parameter_name():
    net, ro, x0, U, z, _ = make_problem("tanh", 5)
    r = bptt(net, x0, U, z, readout=ro)
    named = r.by_param_name()
    assert set(net.param_names) - {n for n in net.param_names if n.startswith("u[")} <= set(named)
    assert named["W_rec[1,2]"] == r.grads["W_rec"][1, 2] and named["b_out[0]"] == r.grads["b_out"][0]


@pytest.mark.parametrize("block", [2, 3, "auto"])
def test_column_blocks_give_the_same_result(block):
    net, ro, x0, U, z, _ = make_problem("sigmoid", 20, n=7)
    a = bptt(net, x0, U, z, readout=ro)
    b = bptt(net, x0, U, z, readout=ro, column_block=block)
    np.testing.assert_allclose(b.states, a.states, rtol=1e-13, atol=1e-14)
    for k in a.grads:
        assert rel_err(b.grads[k], a.grads[k]) < 1e-12
