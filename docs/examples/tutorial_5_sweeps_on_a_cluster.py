"""
Sweeps on a cluster
===================

How many attractors does the one-unit network :math:`x_t = w\\sigma(x_{t-1}) + b` have, over a
grid of :math:`(w, b)`? :func:`dynrnn.sweep` evaluates a function at every point of a grid on a
process pool or a Dask cluster, writes every finished point to a store as it arrives, and, run
again after an interruption, computes only the points that are missing.
(Needs ``pip install "dynrnn[dask]"``.)
"""
# %%
# A local Dask cluster
# --------------------
# On a real cluster you would pass the scheduler's address (``executor="tcp://HOST:8786"``, or
# ``python3 -m dynrnn sweep CONFIG --scheduler tcp://HOST:8786``). Here a cluster of two
# workers in this process, so the page builds anywhere.
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster

import dynrnn as dr
from dynrnn.plotting import plot_attractor_counts
from dynrnn.sweep_examples import one_unit_attractor_count

cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                       dashboard_address=":0")   # any free port: no clash with a running one
client = Client(cluster)
# Quick settings: a 20 × 20 grid; each point counts the attractors of one map on a grid of
# 20,001 initial states (about 10 ms).
grid = {"w": np.linspace(0.0, 10.0, 20), "b": np.linspace(-8.0, 2.0, 20)}
fixed = {"activation": "sigmoid", "n_grid": 20001}
store = Path(tempfile.mkdtemp()) / "one_unit_store"

# %%
# The first run, interrupted
# --------------------------
# Every finished point is written to ``store`` as it arrives (aside, then renamed into place, so
# a file is never half-written). We start the sweep and press Ctrl-C half a second later;
# here a timer does the pressing: it raises :class:`KeyboardInterrupt` in this process, exactly
# what Ctrl-C does. The sweep stops, cancels what is still queued on the cluster, and raises
# :class:`dynrnn.SweepInterrupted`, whose ``result`` holds what finished.
import signal


def press_ctrl_c(signum, frame):
    raise KeyboardInterrupt


signal.signal(signal.SIGALRM, press_ctrl_c)
signal.setitimer(signal.ITIMER_REAL, 0.5)
try:
    first = dr.sweep(one_unit_attractor_count, grid, fixed=fixed, executor=client, store=store,
                     progress=False)
    print("the sweep finished before the interrupt")
except dr.SweepInterrupted as interrupted:
    print(interrupted)
    first = interrupted.result
finally:
    signal.setitimer(signal.ITIMER_REAL, 0)          # disarm the timer
print(first)
print(f"{first.n_done} of {first.point_status.size} points finished; "
      f"{len(list(store.glob('p*.npz')))} point files in the store")

# %%
# (When Ctrl-C lands while a point's file is being written, the write is finished first, so
# every point counted in ``first`` has its file; files are written atomically, never by half.)

# %%
# Resume
# ------
# The same call again (typically after a restart, from the same script): the stored points are
# loaded, only the missing ones are evaluated.
resumed = dr.sweep(one_unit_attractor_count, grid, fixed=fixed, executor=client, store=store,
                   progress=False)
print(resumed)
print(f"loaded {resumed.n_skipped}, evaluated {resumed.n_done}")
assert resumed.n_skipped + resumed.n_done == resumed.point_status.size

# %%
# The resumed sweep is the sweep: every point agrees with a direct evaluation (checked here on
# one row of the grid, in this process).
row = [one_unit_attractor_count(w, grid["b"][7], **fixed)["n_attractors"] for w in grid["w"]]
print("row b = %.2f agrees with direct evaluation:" % grid["b"][7],
      np.array_equal(resumed["n_attractors"][:, 7], row))
client.close()
cluster.close()

# %%
# The result
# ----------
# One or two attractors: the bistable region is bounded by the two fold curves of the
# one-unit map.
figure, ax = plt.subplots(figsize=(5, 4), layout="constrained")
plot_attractor_counts(resumed, ax=ax)
plt.show()
