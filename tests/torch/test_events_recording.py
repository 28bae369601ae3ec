"""find_gradient_events and `dynrnn events` on recordings of PyTorch loops (RNN in Elman and
Pascanu form, GRU, LSTM), and the torch_events study in quick mode."""
import json

import numpy as np
import pytest

from dynrnn.gradients import EventCause, find_gradient_events
from dynrnn.gradients.recording import load_recording
from tests.test_cli import dynrnn_here
from tests.torch.test_recorder import Model, loop

torch = pytest.importorskip("torch")
from dynrnn.torch import Recorder  # noqa: E402


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    out = {}
    for kind in ("RNN", "GRU", "LSTM"):
        torch.manual_seed(0)
        model = Model(kind, hidden=3)
        path = tmp_path_factory.mktemp(kind)
        with Recorder(model, out=path, readout="out", stride=50) as rec:
            loop(model, rec, 30, spikes={20}, lr=0.05)
        out[kind] = path
    return out


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_library_analyses_recordings_of_every_cell(recordings, kind):
    ev = find_gradient_events(recordings[kind], n_iter=300, follow="visited")
    assert 20 in ev.spike_steps and ev.success
    e = [e for e in ev if e.step == 20][0]
    assert e.cause is not EventCause.NOT_ANALYSED and e.segments == ((19, 20), (20, 21))
    r = load_recording(recordings[kind])
    assert e.loss_jump == pytest.approx(r.loss[21] - r.loss[20])
    for c in e.crossings + e.irrelevant_crossings:   # every crossing is a real bifurcation
        net = r.network_at(c.step_a).interpolate(r.network_at(c.step_b), c.s)
        x = np.asarray(c.x)
        y = x
        for _ in range(c.period):
            y = net.step(y)
        np.testing.assert_allclose(y, x, atol=1e-6)


def test_elman_and_pascanu_forms_give_the_same_spikes_and_causes(recordings):
    elman = find_gradient_events(recordings["RNN"], n_iter=300, form="elman")
    pascanu = find_gradient_events(recordings["RNN"], n_iter=300, form="pascanu")
    assert elman.spike_steps.tolist() == pascanu.spike_steps.tolist()
    # Conjugate maps: the same bifurcations at the same s (the states differ by x = W h + b).
    for a, b in zip(elman, pascanu):
        sa = sorted((str(c.kind), round(c.s, 5)) for c in a.crossings + a.irrelevant_crossings)
        sb = sorted((str(c.kind), round(c.s, 5)) for c in b.crossings + b.irrelevant_crossings)
        assert sa == sb


def test_cli_events_on_a_recording(recordings, tmp_path):
    proc = dynrnn_here("events", recordings["GRU"], "--json", "--quiet", "--follow", "visited")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    direct = find_gradient_events(recordings["GRU"], follow="visited")
    assert [e["step"] for e in out["events"]["events"]] == [e.step for e in direct]
    text = dynrnn_here("events", recordings["GRU"], "--quiet", "--follow", "visited").stdout
    assert "spike" in text and "step 20" in text
    bad = dynrnn_here("events", tmp_path, "--quiet")
    assert bad.returncode == 2 and "not a dynrnn recording" in bad.stderr


def test_torch_events_quick(tmp_path):
    from dynrnn.scripts import run
    out = run("torch_events", ["--quick", "--quiet", "--out", str(tmp_path)])
    assert out.success and len(out.figures) == 2
    assert any("spikes with a relevant crossing" in m or "run " in m for m in out.messages)
