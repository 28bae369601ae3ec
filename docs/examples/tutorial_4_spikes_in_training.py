"""
Spikes in your training run
===========================

The gradient norm of a training run spikes now and then. Which spikes come from the network
crossing a bifurcation or a basin boundary of its own dynamics, and which do not? Record an
ordinary PyTorch training loop with :class:`dynrnn.torch.Recorder` (three lines), then let
:func:`dynrnn.find_gradient_events` explain each spike from the recording.
(Needs ``pip install "dynrnn[torch]"``.)
"""
# %%
# Record a PyTorch training loop
# ------------------------------
# A ``torch.nn.RNN`` of 4 units on the addition task of Pascanu et al. (2013), Adam at a learning
# rate large enough for spikes. The recorder's lines: make it before the loop, call
# ``record(loss)`` after ``backward()`` (before clipping and ``step()``), close it at the end
# (here by the ``with`` block). It keeps the parameters around every spike on disk.
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

import dynrnn as dr
from dynrnn.gradients import SpikeDefinition
from dynrnn.plotting import plot_training_atlas
from dynrnn.torch import Recorder, load_recording

torch.manual_seed(0)
torch.set_num_threads(1)
task = dr.get_task("addition")
rnn = torch.nn.RNN(task.n_inputs, 4)
readout = torch.nn.Linear(4, task.n_outputs)
model = torch.nn.ModuleDict({"rnn": rnn, "out": readout})
optimiser = torch.optim.Adam(model.parameters(), 0.1)
out = Path(tempfile.mkdtemp()) / "run"

with Recorder(model, out=out, optimizer=optimiser, readout="out", stride=25,
              spikes=SpikeDefinition(ratio=5.0)) as recorder:
    for step in range(60):
        batch = task.sample(8, 10, seed=np.random.default_rng([0, step]))
        inputs = torch.tensor(batch.inputs, dtype=torch.float32)
        hidden, _ = rnn(inputs)
        loss = (readout(hidden[-1]) - torch.tensor(batch.targets, dtype=torch.float32)).pow(2)
        loss = loss.mean()
        optimiser.zero_grad()
        loss.backward()
        recorder.record(loss, inputs=inputs)
        optimiser.step()

recording = load_recording(out)
print(recording)

# %%
# The events table
# ----------------
# A spike is a step whose gradient norm is at least 5 times the median of the steps before it
# (the recorder and the analysis use the same definition). Each event says what the map did
# between the recorded parameters around it: a bifurcation crossed near the states the loss
# depends on, a basin boundary crossed by the initial state, or nothing.
events = dr.find_gradient_events(recording, follow="visited", window=1, threshold_ratio=5.0,
                                 n_iter=200, max_events=3, progress=False)
print(events.summary())
for row in events.to_records():
    print(row)

# %%
# In a notebook, the result itself shows as a table (its ``_repr_html_``), and
# ``events.to_dataframe()`` gives the same table as a pandas DataFrame:
events

# %%
# In this short run the one spike is *unexplained*: no bifurcation was crossed near the states
# the loss depends on, and the initial state stayed in its basin. Not every spike is a
# bifurcation (Pascanu et al. 2013, §2.2); the events table says which are.
#
# The atlas
# ---------
# Loss, gradient norm and the crossings on one step axis, with the spikes marked.
figure = plot_training_atlas(recording, events)

# %%
# A spike that is explained
# -------------------------
# The Fig. 6 problem of the first tutorial, trained with dynrnn's own :func:`dynrnn.train`
# (which records every step): the first step crosses the wall, and the analysis finds the basin
# boundary of the one-unit map that the initial state crossed.
from dynrnn.gradients import fig6_problem

net, batch, x0 = fig6_problem(5.0, -2.6124)
run = dr.train(net, batch, x0=x0, steps=30, lr=0.01, history="full", progress=False)
fig6_events = dr.find_gradient_events(run, progress=False)
print(fig6_events.summary())
plt.show()
