"""train(): the update rule, clipping and the regulariser in the step, history, checkpoints,
interruption and the non-finite policies."""
import os

import numpy as np
import pytest

import dynrnn as dr
from dynrnn.gradients import (Batch, Readout, TrainingStatus, bptt, error_rate, initialise, omega,
                              train)
from dynrnn.gradients.training import pack_params


def small_problem(seed=0, T=12, B=4):
    rng = np.random.default_rng(seed)
    net = dr.RNN(rng.normal(0, 0.5, (3, 3)), rng.normal(0, 0.5, (3, 2)), activation="tanh")
    ro = Readout(rng.normal(0, 0.5, (2, 3)), np.zeros(2))
    batch = Batch(rng.normal(size=(T, B, 2)), rng.normal(size=(B, 2)), "last", None, "mse")
    return net, ro, batch


def test_one_step_is_sgd_with_momentum_clip_and_regulariser():
    net, ro, batch = small_problem()
    r = bptt(net, np.zeros((4, 3)), batch.inputs, batch.targets, readout=ro, where="last")
    om = omega(net, r, "squared")
    g = {k: r.grads[k] for k in ("W_rec", "W_in", "b", "W_out", "b_out")}
    g["W_rec"] = g["W_rec"] + 2.0 * om.grad_W_rec
    norm = np.sqrt(sum(np.sum(v ** 2) for v in g.values()))
    res = train(net, batch, readout=ro, steps=1, lr=0.1, clip=0.5 * norm,
                regularizer=(2.0, "squared"), progress=False)
    layout = res.history.layout
    expected = pack_params({**net.arrays(), "W_out": ro.W_out, "b_out": ro.b_out}, layout) \
        - 0.1 * 0.5 * pack_params(g, layout)
    np.testing.assert_allclose(res.history.params[-1], expected, rtol=1e-12, atol=1e-15)
    assert res.history.clipped[0] and res.history.grad_norm[0] == pytest.approx(norm)
    assert res.history.omega[0] == pytest.approx(om.value)
    # Momentum: the second step is μ v₁ − η g₂.
    res2 = train(net, batch, readout=ro, steps=2, lr=0.1, momentum=0.9, progress=False)
    p = res2.history.params
    net1, ro1 = res2.history.network_at(1)
    r1 = bptt(net1, np.zeros((4, 3)), batch.inputs, batch.targets, readout=ro1, where="last")
    g1 = pack_params(r1.grads, layout)
    np.testing.assert_allclose(p[2] - p[1], 0.9 * (p[1] - p[0]) - 0.1 * g1, rtol=1e-10,
                               atol=1e-14)


def test_sixty_steps_follow_a_hand_written_descent_and_clipped_steps_have_length_lr_clip():
    net, ro, batch = small_problem()
    res = train(net, batch, readout=ro, steps=60, lr=0.05, progress=False)
    assert res.success and res.status is TrainingStatus.COMPLETED
    # the same descent written out: θ_{k+1} = θ_k − η ∇E(θ_k), the loss of θ_k recorded at k
    layout = res.history.layout
    W, W_in, b, W_out, b_out = net.W_rec, net.W_in, net.b, ro.W_out, ro.b_out
    for k in range(60):
        r = bptt(dr.RNN(W, W_in, b), np.zeros((4, 3)), batch.inputs, batch.targets,
                 readout=Readout(W_out, b_out), where="last")
        assert res.history.loss[k] == pytest.approx(r.loss, rel=1e-12)
        W, W_in, b = W - 0.05 * r.grads["W_rec"], W_in - 0.05 * r.grads["W_in"], \
            b - 0.05 * r.grads["b"]
        W_out, b_out = W_out - 0.05 * r.grads["W_out"], b_out - 0.05 * r.grads["b_out"]
    np.testing.assert_allclose(
        res.history.params[-1],
        pack_params({"W_rec": W, "W_in": W_in, "b": b, "W_out": W_out, "b_out": b_out}, layout),
        rtol=1e-10, atol=1e-13)
    assert res.history.loss[-1] < 0.7 * res.history.loss[0]      # and it did descend
    # Algorithm 1: a step has length η min(‖g‖, threshold), ‖g‖ as recorded before clipping
    resc = train(net, batch, readout=ro, steps=30, lr=0.05, clip=0.1, progress=False)
    steps = np.linalg.norm(np.diff(resc.history.params, axis=0), axis=1)
    np.testing.assert_allclose(steps, 0.05 * np.minimum(resc.history.grad_norm, 0.1),
                               rtol=1e-10)
    np.testing.assert_array_equal(resc.history.clipped, resc.history.grad_norm >= 0.1)


def test_task_training_and_strided_history():
    net, ro = initialise("basic_tanh", 8, 6, 4, seed=1)
    res = train(net, "temporal_order", readout=ro, steps=40, length=20, batch_size=5, clip=1.0,
                history="strided", param_stride=10, spike_window=2, progress=False,
                eval_batch_size=50, seed=1)
    h = res.history
    assert h.n_steps == 40
    # the error rate is that of the final network on the evaluation batch (seed (1, 2^62))
    task = dr.get_task("temporal_order")
    evaluation = task.sample(50, 20, seed=np.random.default_rng([1, 2 ** 62]))
    outputs = bptt(res.net, np.zeros((50, 8)), evaluation.inputs, evaluation.targets,
                   evaluation.loss, readout=res.readout, where=evaluation.where,
                   mask=evaluation.mask).outputs
    assert res.error_rate == error_rate(task, evaluation, outputs)
    assert set(range(0, 41, 10)) <= set(h.param_steps.tolist())
    assert h.params.shape == (len(h.param_steps), 8 * 8 + 8 * 6 + 8 + 4 * 8 + 4)
    with pytest.raises(dr.InvalidInputError, match="step"):
        h.arrays_at(3) if 3 not in h.param_steps else h.arrays_at(-5)


def test_strided_history_keeps_windows_around_spikes():
    # A norm spike at step 30 (a batch with a large target) must keep θ_28 … θ_33 although the
    # stride is 100.
    net, ro, batch = small_problem()
    big = Batch(batch.inputs, batch.targets * 1e3, "last", None, "mse")
    data = lambda k, rng: big if k == 30 else batch  # noqa: E731
    res = train(net, data, readout=ro, steps=40, lr=1e-6, history="strided", param_stride=100,
                spike_window=2, spike_ratio=10, progress=False)
    assert {28, 29, 30, 31, 32, 33} <= set(res.history.param_steps.tolist())
    assert 15 not in res.history.param_steps


def test_checkpoint_resume_is_exact(tmp_path):
    net, ro = initialise("basic_tanh", 6, 6, 4, seed=2)
    path = str(tmp_path / "ck.npz")
    full = train(net, "temporal_order", readout=ro, steps=12, length=15, batch_size=3,
                 progress=False)
    part = train(net, "temporal_order", readout=ro, steps=5, length=15, batch_size=3,
                 checkpoint=path, progress=False)
    assert part.n_steps == 5 and os.path.exists(path)
    resumed = train(net, "temporal_order", readout=ro, steps=12, length=15, batch_size=3,
                    checkpoint=path, resume=True, progress=False)
    assert resumed.n_steps == 12
    np.testing.assert_array_equal(resumed.history.loss, full.history.loss)
    np.testing.assert_array_equal(resumed.history.params, full.history.params)
    np.testing.assert_array_equal(resumed.net.W_rec, full.net.W_rec)
    assert not any(f.startswith(".tmp-") for f in os.listdir(tmp_path))


def test_keyboard_interrupt_keeps_work(tmp_path):
    net, ro, batch = small_problem()
    path = str(tmp_path / "ck.npz")

    def stop(k, loss, g):
        if k == 6:
            raise KeyboardInterrupt
        return True

    res = train(net, batch, readout=ro, steps=20, lr=0.05, checkpoint=path, callback=stop,
                progress=False)
    assert res.status is TrainingStatus.INTERRUPTED and not res.success and res.n_steps == 7
    full = train(net, batch, readout=ro, steps=20, lr=0.05, progress=False)
    resumed = train(net, batch, readout=ro, steps=20, lr=0.05, checkpoint=path, resume=True,
                    progress=False)
    np.testing.assert_allclose(resumed.history.params, full.history.params, rtol=0, atol=0)


def exploding_problem():
    # An identity-activation net with W_rec = 3 I: x_T ~ 3^T overflows float64 at T = 700.
    net = dr.RNN(3.0 * np.eye(2), np.ones((2, 1)), activation="identity")
    T = 700
    inputs = np.ones((T, 1, 1))
    return net, Batch(inputs, np.zeros((1, 2)), "last", None, "mse")


def test_nonfinite_policies():
    net, batch = exploding_problem()
    with np.errstate(all="ignore"):
        res = train(net, batch, steps=5, progress=False)
    assert res.status is TrainingStatus.NONFINITE and not res.success
    assert res.history.nonfinite[0] and res.n_nonfinite == 1
    np.testing.assert_array_equal(res.net.W_rec, net.W_rec)    # state not lost
    with pytest.raises(dr.NonFiniteError) as info:
        train(net, batch, steps=5, on_nonfinite="raise", progress=False)
    assert info.value.result.history.nonfinite[0]
    np.testing.assert_array_equal(info.value.result.net.W_rec, net.W_rec)
    skip = train(net, batch, steps=3, on_nonfinite="skip", progress=False)
    assert skip.success and skip.history.nonfinite.all()
    assert list(skip.history.actions) == ["SKIPPED"] * 3
    np.testing.assert_array_equal(skip.net.W_rec, net.W_rec)
    shrink = train(net, batch, steps=3, lr=0.5, on_nonfinite="shrink", progress=False)
    assert list(shrink.history.actions) == ["SHRUNK"] * 3
    np.testing.assert_allclose(shrink.net.W_rec, net.W_rec * (1 - 0.5 * 0.02) ** 3)


def test_bad_arguments():
    net, ro, batch = small_problem()
    with pytest.raises(dr.InvalidInputError, match="regularizer"):
        train(net, batch, readout=ro, steps=1, regularizer=(1.0, "cubic"), progress=False)
    with pytest.raises(dr.InvalidInputError, match="on_nonfinite"):
        train(net, batch, readout=ro, steps=1, on_nonfinite="ignore", progress=False)
    with pytest.raises(dr.InvalidInputError, match="lr"):
        train(net, batch, readout=ro, steps=1, lr=-1, progress=False)
    with pytest.raises(dr.ShapeError, match="targets"):
        train(net, batch, steps=1, progress=False)      # no readout: outputs have 3 units
    with pytest.raises(dr.InvalidInputError, match="checkpoint"):
        train(net, batch, readout=ro, steps=1, resume=True, progress=False)
