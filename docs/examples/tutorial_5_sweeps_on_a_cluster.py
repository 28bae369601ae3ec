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
grid = {"w": np.linspace(0.0, 10.0, 12), "b": np.linspace(-8.0, 2.0, 12)}
store = Path(tempfile.mkdtemp()) / "one_unit_store"

# %%
# The first run, interrupted
# --------------------------
# Every finished point is its own file in ``store``. We run the sweep, then delete half of the
# point files: that is exactly what a run killed halfway leaves behind (a point in flight is
# never half-written: files are written aside and renamed into place).
first = dr.sweep(one_unit_attractor_count, grid, fixed={"activation": "sigmoid"},
                 executor=client, store=store, progress=False)
print(first)
point_files = sorted(store.glob("p*.npz"))
for path in point_files[len(point_files) // 2:]:
    path.unlink()
print(f"{len(point_files)} points stored; {len(list(store.glob('p*.npz')))} left after the kill")

# %%
# Resume
# ------
# The same call again: the stored points are loaded, only the missing ones are evaluated.
# (Pressing Ctrl-C during a sweep raises :class:`dynrnn.SweepInterrupted`, whose ``result``
# holds what finished; it is in the store too.)
resumed = dr.sweep(one_unit_attractor_count, grid, fixed={"activation": "sigmoid"},
                   executor=client, store=store, progress=False)
print(resumed)
print(f"loaded {resumed.n_skipped}, evaluated {resumed.n_done}")
print("same counts as the uninterrupted run:",
      np.array_equal(resumed["n_attractors"], first["n_attractors"]))
client.close()
cluster.close()

# %%
# The result
# ----------
# One or two attractors: the bistable region is bounded by the two fold curves of the
# one-unit map.
figure, ax = plt.subplots(figsize=(5, 4), layout="constrained")
plot_attractor_counts(resumed, ax=ax, output="n_attractors")
plt.show()
