"""
A network you trained in PyTorch
================================

Train a small ``torch.nn.RNN`` on a one-bit memory task (flip-flop), load its state dict into
dynrnn, find the fixed points in hidden-state space, and follow them along the straight line
between two checkpoints of the training run. (Needs ``pip install "dynrnn[torch]"``.)
"""
# %%
# Train in PyTorch
# ----------------
# An ordinary PyTorch loop; we keep the state dicts of two checkpoints. Quick settings: 60 steps.
import copy

import matplotlib.pyplot as plt
import torch

import dynrnn as dr
from dynrnn.plotting import plot_bifurcation_diagram, plot_fixed_points

torch.manual_seed(0)
torch.set_num_threads(1)
length, batch, hidden = 30, 32, 6
rnn = torch.nn.RNN(1, hidden, nonlinearity="tanh", dtype=torch.float64)
readout = torch.nn.Linear(hidden, 1, dtype=torch.float64)
optimiser = torch.optim.Adam([*rnn.parameters(), *readout.parameters()], lr=0.03)


def flip_flop(generator):
    """Pulses of ±1; the target is the sign of the last pulse."""
    pulses = torch.rand(length, batch, 1, generator=generator, dtype=torch.float64) < 0.1
    signs = torch.where(torch.rand(length, batch, 1, generator=generator,
                                   dtype=torch.float64) < 0.5, -1.0, 1.0)
    targets, memory = torch.zeros(length, batch, 1, dtype=torch.float64), torch.zeros(batch, 1)
    for t in range(length):
        memory = torch.where(pulses[t], signs[t], memory)
        targets[t] = memory
    return pulses.double() * signs, targets


generator = torch.Generator().manual_seed(0)
checkpoints = {}
for step in range(1, 61):
    inputs, targets = flip_flop(generator)
    loss = torch.mean((readout(rnn(inputs)[0]) - targets) ** 2)
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
    if step in (40, 60):
        checkpoints[step] = copy.deepcopy(rnn.state_dict())
print(f"loss after 60 steps: {loss.item():.3f}")

# %%
# Load the state dict
# -------------------
# :func:`dynrnn.model.from_torch_state_dict` reads ``weight_hh_l0``, ``weight_ih_l0`` and the
# biases.
# ``form="elman"`` keeps PyTorch's own hidden state :math:`h_t = \tanh(W h_{t-1} + U u_t + b)`;
# the default ``form="pascanu"`` gives the conjugate network
# :math:`x_t = W\tanh(x_{t-1}) + U u_t + b` of the paper (:math:`h = \tanh(x)`), which has the
# same fixed points and multipliers.
from dynrnn.model import from_torch_state_dict

early = from_torch_state_dict(checkpoints[40], nonlinearity="tanh", form="elman")
late = from_torch_state_dict(checkpoints[60], nonlinearity="tanh", form="elman")
print(late)

# %%
# Fixed points in hidden-state space
# ----------------------------------
# Under zero input. A network that has learned to remember one bit typically has two stable
# points (the two memories) and a saddle between them.
points = dr.find_fixed_points(late, n_starts=64, seed=0)
print(points)
for point in points:
    print(f"{point.description:40s} max|λ| = {point.spectral_radius:.3f}")
figure, axes = plt.subplots(1, 2, figsize=(8, 3.5), layout="constrained")
plot_fixed_points(points, ax=axes)

# %%
# Between two checkpoints
# -----------------------
# What changed between step 40 and step 60? Follow every fixed point along the straight line
# :math:`\theta(s) = \theta_{40} + s(\theta_{60} - \theta_{40})`, :math:`s \in [0, 1]`.
segment = dr.bifurcation_diagram(early, ("line", late), (0.0, 1.0), n_starts=32, seed=0,
                                 progress=False)
print(segment)
figure, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
plot_bifurcation_diagram(segment, ax=ax)
ax.set_xlabel("s (checkpoint 40 → checkpoint 60)")

# %%
# Each branch is one fixed point followed from :math:`s = 0` to :math:`s = 1`; its table
# (``to_records()``) gives the point and its stability at every step along the segment.
# In this run no branch meets a bifurcation: the two memories and the saddle between them were
# already in place at step 40, and the last 20 steps only moved them.
def stability(row):
    return "stable" if row["stable"] else "unstable"


for branch in segment.branches:
    first, last = branch.to_records()[0], branch.to_records()[-1]
    print(f"from x[0] = {first['states[0]']:+.3f} ({stability(first)}) "
          f"to x[0] = {last['states[0]']:+.3f} ({stability(last)}), "
          f"{len(branch.bifurcations)} bifurcation(s)")
plt.show()
