"""A ReLU ``nn.RNN`` trained with Adam in PyTorch, recorded, and its spike explained by a border
collision; the collision is checked independently (the crossed fixed point changes region across
the reported s)."""
from __future__ import annotations

import numpy as np
import pytest

import dynrnn as dr
from dynrnn.gradients import EventCause, SpikeDefinition, get_task

torch = pytest.importorskip("torch")


def _train(out):
    from dynrnn.torch import Recorder
    task = get_task("addition")
    torch.manual_seed(0)
    rnn = torch.nn.RNN(task.n_inputs, 16, nonlinearity="relu")
    readout = torch.nn.Linear(16, task.n_outputs)
    model = torch.nn.ModuleDict({"rnn": rnn, "out": readout})
    opt = torch.optim.Adam(model.parameters(), 0.05)
    with Recorder(model, out=out, optimizer=opt, readout="out", stride=10,
                  spikes=SpikeDefinition(ratio=3.0)) as rec:
        for k in range(300):
            batch = task.sample(32, 50, seed=np.random.default_rng([0, k]))
            x = torch.tensor(batch.inputs, dtype=torch.float32)
            h, _ = rnn(x)
            loss = (readout(h[-1]) - torch.tensor(batch.targets, dtype=torch.float32)).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            rec.record(loss, inputs=x)
            opt.step()
            if k % 60 == 59:        # a kick to the recurrent weights, as a bad step would give
                with torch.no_grad():
                    rnn.weight_hh_l0.mul_(1.6)


@pytest.mark.slow
def test_spike_of_a_trained_relu_rnn_is_a_border_collision_of_its_fixed_point(tmp_path):
    out = tmp_path / "run"
    _train(out)
    events = dr.find_gradient_events(out, progress=False)
    explained = [e for e in events.events if e.cause is EventCause.BORDER_COLLISION]
    assert explained
    crossing = next(c for c in explained[0].crossings if c.is_border_collision)
    recording = dr.load_recording(out)
    net_a, net_b = recording.network_at(crossing.step_a), recording.network_at(crossing.step_b)
    pa, pb = net_a.param_values(), net_b.param_values()

    def region(s):
        net = net_a.replace_params({k: (1 - s) * pa[k] + s * pb[k] for k in pa})
        found = dr.find_fixed_points(net, starts=np.asarray(crossing.x)[None], box_fraction=0.0)
        x = min((p.x for p in found), key=lambda p: np.linalg.norm(p - crossing.x))
        assert np.max(np.abs(net.step(x) - x)) < 1e-10
        return x > 0

    # the fixed point keeps its region on each side and changes it across the collision
    assert np.array_equal(region(crossing.s - 2e-3), region(crossing.s - 1e-3))
    assert not np.array_equal(region(crossing.s - 1e-3), region(crossing.s + 1e-3))
