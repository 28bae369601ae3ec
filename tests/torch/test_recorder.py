"""dynrnn.torch.Recorder: records checked against independent computations, θ around every spike,
atomic chunks (SIGKILL, restart), memory bound, and every bad input of issue 12 §5."""
import copy
import json
import os
import signal
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import dynrnn as dr
from dynrnn.gradients import EventCause, find_gradient_events
from dynrnn.gradients.recording import load_recording

torch = pytest.importorskip("torch")
from dynrnn.torch import Recorder, RecorderError, RecorderStatus, RecorderWarning  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Model(torch.nn.Module):
    def __init__(self, kind="RNN", n_in=2, hidden=5, **kwargs):
        super().__init__()
        self.rnn = getattr(torch.nn, kind)(n_in, hidden, **kwargs)
        self.out = torch.nn.Linear(hidden, 1)

    def forward(self, x):
        h, _ = self.rnn(x)
        return self.out(h[-1])


def loop(model, rec, steps, *, spikes=(), seed=0, lr=0.02, keep=None, opt=None):
    """A plain Adam loop with ``rec.record`` after backward; large targets at ``spikes``."""
    gen = torch.Generator().manual_seed(seed)
    opt = opt or torch.optim.Adam(model.parameters(), lr)
    norms = []
    for k in range(steps):
        opt.zero_grad()
        x = torch.randn(8, 4, model.rnn.input_size, generator=gen)
        y = x.sum(0)[:, :1] * (1e3 if k in spikes else 1.0)
        loss = (model(x) - y).pow(2).mean()
        loss.backward()
        if keep is not None:
            keep[k] = [p.detach().clone() for p in list(model.rnn.parameters())
                       + list(model.out.parameters())]
        grads = torch.cat([p.grad.reshape(-1).double() for p in model.parameters()])
        norms.append((float(loss.detach()), float(grads.norm())))
        if rec is not None:
            rec.record(loss, inputs=x)
        opt.step()
    return opt, norms


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_records_match_independent_values_and_theta(tmp_path, kind):
    torch.manual_seed(0)
    model = Model(kind)
    keep = {}
    opt = torch.optim.Adam(model.parameters(), 0.02)
    with Recorder(model, out=tmp_path, optimizer=opt, clip=1.0, readout="out", stride=10,
                  constant_input="batch_mean") as rec:
        _, norms = loop(model, rec, 25, keep=keep, opt=opt)
    r = load_recording(tmp_path)
    assert r.steps.tolist() == list(range(25)) and r.kind == kind
    np.testing.assert_allclose(r.loss, [n[0] for n in norms], rtol=1e-6)
    np.testing.assert_allclose(r.grad_norm, [n[1] for n in norms], rtol=1e-12)
    assert np.all(r.module_grad_norm < r.grad_norm) and np.all(r.lr == 0.02)
    np.testing.assert_array_equal(r.clip_bites, (r.grad_norm > 1.0).astype(int))
    # θ at a strided step and at the start-up equals the parameters before that update.
    for k in (0, 3, 10, 20):
        flat = np.concatenate([t.numpy().ravel() for t in keep[k]])
        stored = r.params[r.param_steps.tolist().index(k)]
        np.testing.assert_array_equal(stored, flat.astype(stored.dtype))
    assert 25 in r.param_steps  # θ after the last update, at close
    assert r.constant_input().shape == (2,) and np.all(np.isfinite(r.input_mean))
    np.testing.assert_allclose(r.constant_input(), r.input_mean.mean(axis=0))
    # The map of θ_k computes what torch computes with those parameters.
    net = r.network_at(10, u=np.zeros(2))
    cell = copy.deepcopy(model.rnn)
    with torch.no_grad():
        for p, value in zip(cell.parameters(), keep[10]):
            p.copy_(value)
    h0 = torch.randn(1, 1, 5, generator=torch.Generator().manual_seed(1)) * 0.5
    state = (h0, h0 * 0.3) if kind == "LSTM" else h0
    with torch.no_grad():
        _, out = cell(torch.zeros(1, 1, 2), state)
    x = (np.concatenate([h0.numpy().ravel(), 0.3 * h0.numpy().ravel()]) if kind == "LSTM"
         else h0.numpy().ravel().astype(float))
    y = net.step(x)
    expect = (np.concatenate([out[0].numpy().ravel(), out[1].numpy().ravel()]) if kind == "LSTM"
              else out.numpy().ravel())
    np.testing.assert_allclose(y, expect, atol=1e-6)


def test_every_spike_found_has_theta_on_both_sides(tmp_path):
    torch.manual_seed(1)
    model = Model("GRU")
    with Recorder(model, out=tmp_path, stride=1000, window=2) as rec:
        loop(model, rec, 80, spikes={2, 40, 41, 70})
    r = load_recording(tmp_path)
    ev = find_gradient_events(tmp_path, window=2, n_iter=300, continuation_method=lambda *a: [])
    assert {2, 40, 70} <= set(ev.spike_steps.tolist())
    assert ev.success and all(e.cause is not EventCause.NOT_ANALYSED for e in ev)
    stored = set(r.param_steps.tolist())
    for k in ev.spike_steps.tolist():
        assert set(range(k - 2, k + 3)) & set(range(81)) <= stored
    # Memory is bounded as stated: the ring and the pending snapshots.
    assert rec.memory_bytes <= (2 + 1 + rec.chunk_snapshots) * rec.n_params * 4 + 64 * 100
    assert rec.ring.shape == (3, rec.n_params)
    assert "MiB" in repr(rec) and "GRU" in repr(r)


@pytest.mark.slow
def test_import_dynrnn_does_not_need_torch():
    code = ("import sys; sys.modules['torch'] = None; import dynrnn, dynrnn.torch; "
            "from dynrnn.torch import Recorder; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.strip() == "ok", out.stderr
    code = ("import sys; sys.modules['torch'] = None; from dynrnn.torch import Recorder; "
            "Recorder(object(), out='x')")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert "MissingDependencyError" in out.stderr and "pip install torch" in out.stderr


CHILD = textwrap.dedent("""
    import sys, torch
    from dynrnn.torch import Recorder
    torch.manual_seed(0)
    rnn = torch.nn.RNN(2, 4)
    rec = Recorder(rnn, out=sys.argv[1], chunk_steps=10, stride=5)
    start = rec.next_step
    for k in range(start, start + int(sys.argv[2])):
        rnn.zero_grad()
        out, _ = rnn(torch.randn(6, 3, 2))
        out.pow(2).mean().backward()
        rec.record(out.pow(2).mean())
        print(k, flush=True)
    rec.close()
    print("closed", flush=True)
""")


@pytest.mark.slow
def test_sigkill_loses_at_most_one_chunk_and_restart_appends(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": ROOT, "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, str(script), str(out), "100000"], stdout=subprocess.PIPE,
                            text=True, env=env)
    last = -1
    for line in proc.stdout:
        last = int(line)
        if last >= 47:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    r = load_recording(out)
    assert r.n_steps >= last + 1 - 10 and r.steps.tolist() == list(range(r.n_steps))
    assert r.gaps == 0
    # A restarted run appends after the last recorded step.
    done = subprocess.run([sys.executable, str(script), str(out), "12"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.stdout.strip().endswith("closed"), done.stderr
    r2 = load_recording(out)
    assert r2.steps.tolist() == list(range(r.n_steps + 12))
    assert not [p for p in os.listdir(out) if p.endswith(".tmp")]


# ---------------------------------------------------------------------------------------------
# Bad input (issue 12 §5)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("module, match", [
    (torch.nn.Linear(2, 3), "exactly one nn.RNN"),
    (torch.nn.RNN(2, 3, bidirectional=True), "bidirectional"),
    (torch.nn.RNN(2, 3, num_layers=2), "num_layers"),
    (torch.nn.LSTM(2, 3, proj_size=2), "proj_size"),
    ("rnn", "torch.nn.Module"),
])
def test_unsupported_modules(tmp_path, module, match):
    with pytest.raises(dr.InvalidTypeError, match=match) as info:
        Recorder(module, out=tmp_path / "r")
    assert info.value.argument == "module"
    assert not (tmp_path / "r").exists()


def test_out_is_a_file_or_another_modules_recording(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(dr.InvalidInputError, match="is a file") as info:
        Recorder(torch.nn.RNN(2, 3), out=f)
    assert info.value.argument == "out"
    Recorder(torch.nn.RNN(2, 3), out=tmp_path / "a").close()
    with pytest.raises(dr.InvalidInputError, match="another module"):
        Recorder(torch.nn.GRU(2, 3), out=tmp_path / "a")


@pytest.mark.parametrize("kwargs, argument", [
    ({"stride": 0}, "stride"), ({"window": 0}, "window"), ({"clip": -1.0}, "clip"),
    ({"constant_input": "mean"}, "constant_input"), ({"constant_input": [1.0]}, "constant_input"),
    ({"readout": "nothere"}, "readout"), ({"chunk_steps": 1.5}, "chunk_steps"),
])
def test_bad_options(tmp_path, kwargs, argument):
    with pytest.raises(dr.InvalidInputError) as info:
        Recorder(Model(), out=tmp_path, **kwargs)
    assert info.value.argument == argument


def test_record_out_of_order(tmp_path):
    model = Model()
    rec = Recorder(model, out=tmp_path)
    with pytest.raises(RecorderError, match="before loss.backward"):
        rec.record(1.0)
    loss = model(torch.randn(3, 2, 2)).pow(2).mean()
    loss.backward()
    rec.record(loss)
    with pytest.raises(RecorderError, match="twice"):
        rec.record(loss)
    rec.close()
    with pytest.raises(RecorderError, match="after close"):
        rec.record(loss)
    assert load_recording(tmp_path).n_steps == 1


def test_zero_grad_to_none_without_step_is_not_twice(tmp_path):
    # Steps skipped by the user's optimiser (e.g. a GradScaler on overflow) still record.
    model = Model()
    rec = Recorder(model, out=tmp_path)
    for _ in range(3):
        model.zero_grad(set_to_none=True)
        loss = model(torch.randn(3, 2, 2)).pow(2).mean()
        loss.backward()
        rec.record(loss)
    rec.close()
    assert load_recording(tmp_path).n_steps == 3


def test_nonfinite_loss_and_gradient_are_recorded_not_raised(tmp_path):
    model = Model()
    opt = torch.optim.SGD(model.parameters(), 0.0)
    with Recorder(model, out=tmp_path, optimizer=opt) as rec:
        for k in range(12):
            opt.zero_grad()
            loss = model(torch.randn(3, 2, 2)).pow(2).mean()
            if k == 7:
                loss = loss * float("nan")
            if k == 9:
                loss = loss * float("inf")
            loss.backward()
            rec.record(loss)
            if torch.isfinite(loss):   # the user's loop skips non-finite steps
                opt.step()
    r = load_recording(tmp_path)
    assert r.nonfinite.tolist() == [k in (7, 9) for k in range(12)]
    assert not np.isfinite(r.grad_norm[7]) and not np.isfinite(r.loss[9])
    ev = find_gradient_events(tmp_path, continuation_method=lambda *a: [])
    assert {7, 9} <= set(ev.spike_steps.tolist())


def test_full_disk_is_a_status_not_a_crash(tmp_path, monkeypatch):
    import dynrnn.torch.recorder as module
    model = Model()
    rec = Recorder(model, out=tmp_path, chunk_steps=2)
    real = module.atomic_write_bytes

    def full(path, write):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(module, "atomic_write_bytes", full)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loop(model, rec, 5)
    assert rec.status is RecorderStatus.WRITE_FAILED and rec.n_recorded == 5
    assert sum(issubclass(w.category, RecorderWarning) for w in caught) == 1
    monkeypatch.setattr(module, "atomic_write_bytes", real)
    loop(model, rec, 1, seed=5)          # space again: everything kept in memory is written
    rec.close()
    assert rec.status is RecorderStatus.CLOSED
    assert load_recording(tmp_path).steps.tolist() == list(range(6))


def test_newer_format_and_mismatched_names(tmp_path):
    model = Model()
    with Recorder(model, out=tmp_path) as rec:
        loop(model, rec, 3)
    with pytest.raises(dr.FileFormatError, match="another module"):
        load_recording(tmp_path, names=["weight_ih_l0", "weight_hh_l0"])
    meta = json.loads((tmp_path / "recording.json").read_text())
    meta["version"] = 99
    (tmp_path / "recording.json").write_text(json.dumps(meta))
    with pytest.raises(dr.FileFormatError, match="version 99"):
        load_recording(tmp_path)
    with pytest.raises(dr.FileFormatError, match="version 99"):
        find_gradient_events(tmp_path)
    with pytest.raises(dr.FileFormatError, match="not a directory"):
        find_gradient_events(tmp_path / "recording.json")


def test_load_recording_bad_paths_and_damaged_recordings(tmp_path):
    # the fuzz suite's classes for load_recording, each named (issue 10)
    model = Model()
    good = tmp_path / "run"
    with Recorder(model, out=good) as rec:
        loop(model, rec, 3)
    for bad in (None, 3, b"run", ["run"], object()):
        with pytest.raises(dr.InvalidTypeError, match="path") as info:
            load_recording(bad)
        assert info.value.argument == "path"
    for bad in ("weight_hh_l0", 5, [1, 2]):
        with pytest.raises(dr.InvalidTypeError) as info:
            load_recording(good, names=bad)
        assert info.value.argument == "names"
    with pytest.raises(dr.FileFormatError, match="not a directory"):
        load_recording(good / "recording.json")               # a file
    with pytest.raises(dr.FileFormatError, match="not a directory"):
        load_recording(tmp_path / "missing")
    with pytest.raises(dr.FileFormatError, match="no recording.json"):
        load_recording(tmp_path)                               # a directory, not a recording
    (tmp_path / "recording.json").write_text("{not json")
    with pytest.raises(dr.FileFormatError, match="cannot read"):
        load_recording(tmp_path)
    # a header with the right tag but fields missing, and a chunk without its arrays
    meta = json.loads((good / "recording.json").read_text())
    del meta["input_size"]
    (good / "recording.json").write_text(json.dumps(meta))
    with pytest.raises(dr.FileFormatError, match="damaged or incomplete") as info:
        load_recording(good)
    assert info.value.argument == "path"
    other = tmp_path / "other"
    with Recorder(model, out=other) as rec:
        loop(model, rec, 3)
    chunk = next(other.glob("steps-*.npz"))
    np.savez(chunk, nothing=np.zeros(1))
    with pytest.raises(dr.FileFormatError, match="damaged or incomplete"):
        load_recording(other)
