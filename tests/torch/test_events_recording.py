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
    # Through the executor machinery ('pool' is tested by the library tests: a forkserver pool
    # started from this worktree would import the installed dynrnn, not this one).
    pooled = dynrnn_here("events", recordings["GRU"], "--json", "--quiet", "--follow", "visited",
                         "--scheduler", "serial")
    assert pooled.returncode == 0, pooled.stderr
    assert json.loads(pooled.stdout)["events"] == out["events"]
    bad = dynrnn_here("events", recordings["GRU"], "--quiet", "--scheduler", "nowhere")
    assert bad.returncode == 2 and "--scheduler" in bad.stderr


def test_torch_events_quick(tmp_path):
    from dynrnn.scripts import run
    out = run("torch_events", ["--quick", "--quiet", "--out", str(tmp_path)])
    assert out.success and len(out.figures) == 2
    assert any("spikes with a relevant crossing" in m or "run " in m for m in out.messages)


def _summary(ev):
    """Everything an analysis reports, exactly (arrays as bytes), in spike order."""
    rows = [(ev.status, ev.spike_steps.tolist(), ev.unexplained_fraction)]
    for e in ev:
        rows.append((e.step, e.cause, e.segments, e.notes, e.loss_jump, e.grad_norm))
        for c in e.crossings + e.irrelevant_crossings:
            rows.append((str(c.kind), c.s, c.step_a, c.step_b, np.asarray(c.x).tobytes()))
        for b in e.basin_changes:
            rows.append((b.step_a, b.step_b, b.s))
    return rows


@pytest.fixture(scope="module")
def many_spikes(tmp_path_factory):
    torch.manual_seed(1)
    model = Model("GRU", hidden=3)
    path = tmp_path_factory.mktemp("many")
    with Recorder(model, out=path, readout="out", stride=50) as rec:
        loop(model, rec, 40, spikes={15, 25, 35}, lr=0.05)
    serial = find_gradient_events(path, n_iter=100, window=0, follow="visited")
    assert serial.spike_steps.size >= 3 and serial.success
    return path, serial


@pytest.mark.slow
def test_spikes_on_a_process_pool_equal_the_serial_analysis(many_spikes):
    from concurrent.futures import ProcessPoolExecutor
    path, serial = many_spikes
    with ProcessPoolExecutor(2) as pool:
        parallel = find_gradient_events(path, n_iter=100, window=0, follow="visited",
                                        executor=pool)
    assert _summary(parallel) == _summary(serial)


@pytest.mark.slow
def test_spikes_on_a_dask_cluster_equal_the_serial_analysis(many_spikes):
    distributed = pytest.importorskip("distributed")
    path, serial = many_spikes
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            parallel = find_gradient_events(path, n_iter=100, window=0, follow="visited",
                                            executor=client)
            assert _summary(parallel) == _summary(serial)
        by_address = find_gradient_events(path, n_iter=100, window=0, follow="visited",
                                          max_events=2, executor=cluster.scheduler_address)
        assert _summary(by_address)[1:] == _summary(serial)[1:len(_summary(by_address))]


def test_serial_and_thread_executors_equal_the_loop_and_bad_ones_are_named():
    from concurrent.futures import ThreadPoolExecutor

    from dynrnn.errors import InvalidInputError, InvalidTypeError
    history = _one_spike_history()
    direct = find_gradient_events(history)
    assert direct.spike_steps.size >= 1
    assert _summary(find_gradient_events(history, executor="serial")) == _summary(direct)
    with ThreadPoolExecutor(2) as threads:
        assert _summary(find_gradient_events(history, executor=threads)) == _summary(direct)
    with pytest.raises(InvalidInputError, match="executor"):
        find_gradient_events(history, executor="nowhere")
    with pytest.raises(InvalidTypeError, match="executor"):
        find_gradient_events(history, executor=3)


def _one_spike_history():
    from dynrnn.gradients import descent_paths
    plain, = descent_paths((5.0, -2.61249), lr=0.01, steps=10, clips=(None,))
    return plain


def test_ctrl_c_inside_a_continuation_ends_the_analysis(monkeypatch):
    # The continuation keeps Ctrl-C as its INTERRUPTED status; find_gradient_events must stop
    # there (keeping what is done), not go on to the next spike.
    import types

    import dynrnn.analysis as analysis
    from dynrnn.analysis import ContinuationStatus
    from dynrnn.gradients import EventsStatus

    def interrupted(*args, **kwargs):
        return types.SimpleNamespace(status=ContinuationStatus.INTERRUPTED, success=False,
                                     bifurcations=[])

    monkeypatch.setattr(analysis, "continuation", interrupted)
    ev = find_gradient_events(_one_spike_history())
    assert ev.status is EventsStatus.INTERRUPTED and not ev.success and len(ev) == 0
