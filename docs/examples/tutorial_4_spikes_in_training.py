"""
Spikes in your training run
===========================

The gradient norm of a training run spikes now and then. Which spikes come from the network
crossing a bifurcation or a basin boundary of its own dynamics, and which do not?
:func:`dynrnn.find_gradient_events` takes a recorded training run and explains each spike.

.. note::

   This tutorial records the run with dynrnn's own :func:`dynrnn.train`. A recorder for an
   ordinary PyTorch training loop (``dynrnn.torch.Recorder``) is being added; once it is in the
   package this page will use it, and the analysis below stays the same.
"""
# %%
# Record a training run
# ---------------------
# The problem of Fig. 6: the one-unit network :math:`x_t = w\sigma(x_{t-1}) + b` trained so that
# :math:`\sigma(x_{50}) = 0.7`. We start just beside the wall, so that plain gradient descent
# crosses it. ``history="full"`` stores the parameters at every step, which the explanation
# needs.
import matplotlib.pyplot as plt
import numpy as np

import dynrnn as dr
from dynrnn.gradients import fig6_problem
from dynrnn.plotting import plot_training_atlas

net, batch, x0 = fig6_problem(5.0, -2.6124)
run = dr.train(net, batch, x0=x0, steps=30, lr=0.01, history="full", progress=False)
print(f"{run.n_steps} steps: {run.status.value}; loss {run.history.loss[0]:.3g} -> "
      f"{run.history.loss[-1]:.3g}")
print("gradient norms:", np.round(run.history.grad_norm[:8], 3), "...")

# %%
# The events table
# ----------------
# A spike is a step whose gradient norm exceeds ``threshold_ratio`` times its running median.
# Each event says what the map did between the steps around it.
events = dr.find_gradient_events(run, progress=False)
print(events.summary())

# %%
# The atlas
# ---------
# Loss, gradient norm and the path of the parameters, with the events marked.
figure = plot_training_atlas(run, events)
plt.show()
