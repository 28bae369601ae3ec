"""Basins of a 2-D map on a 1,000 x 1,000 grid: dr.basins against the same vectorised iteration
without early stopping, in the same process.

Run from the repository root:  python3 benchmarks/bench_basins.py [--quick]

The map is a 2-unit tanh network with four stable fixed points (the one of
``dynrnn run basins``). The goal (issue 13) is a 1,000 x 1,000 grid "in seconds" on 2 cores.
The baseline iterates the whole grid as one array for as many steps as the slowest state of
dr.basins took (what the grid needs without early stopping and chunking) and then labels the
final states by their nearest attractor; it holds every state in memory at once. dr.basins
also refines the attractors by Newton and checks that each state has settled, which the baseline
does not. Boundary points, saddles and the graph are switched off (``boundaries=False``) here.
Timings are noisy while other jobs run.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dynrnn as dr  # noqa: E402

from _report import report  # noqa: E402  (benchmarks/ is on sys.path when run)

W = [[2.0, 0.3], [-0.2, 2.0]]
B = [0.1, -0.2]
BOX = ([-3.0, -3.0], [3.0, 3.0])


def baseline(net, resolution, n_steps, attractors):
    axes = [np.linspace(lo, hi, resolution) for lo, hi in zip(*BOX)]
    x1, x2 = np.meshgrid(*axes)
    x = np.stack([x1.ravel(), x2.ravel()], axis=1)
    for _ in range(n_steps):
        x = net.step_unchecked(x, None)
    points = np.stack([a.x for a in attractors])
    return np.argmin(np.abs(x[:, None, :] - points[None]).max(axis=2), axis=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    resolution = 300 if args.quick else 1000
    net = dr.RNN(W, b=B, activation="tanh")
    dr.basins(net, grid=50, box=BOX, boundaries=False, progress=False)     # warm up
    best = best_cpu = np.inf
    for _ in range(1 if args.quick else 3):
        start, cpu_start = time.perf_counter(), time.process_time()
        result = dr.basins(net, grid=resolution, box=BOX, boundaries=False, progress=False)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - cpu_start)
    plain = plain_cpu = np.inf
    for _ in range(1 if args.quick else 3):
        start, cpu_start = time.perf_counter(), time.process_time()
        labels = baseline(net, resolution, result.n_steps, result.attractors)
        plain = min(plain, time.perf_counter() - start)
        plain_cpu = min(plain_cpu, time.process_time() - cpu_start)
    agree = np.mean(labels == result.labels.ravel())
    print(f"{resolution}x{resolution} grid: {result.n_attractors} attractors, best {best:.2f} s "
          f"wall, {best_cpu:.2f} s CPU; mean {result.mean_steps:.1f} steps per state, slowest "
          f"{result.n_steps}; baseline best {plain:.2f} s wall, {plain_cpu:.2f} s CPU; labels "
          f"agree on {agree:.4%}")
    # CPU time: the ratio is what it would be on a quiet machine (wall time doubles under load)
    report(f"basins {resolution}x{resolution} grid, 2-unit tanh network", "the same vectorised "
           "iteration for the slowest state's steps, without early stopping (CPU time)",
           plain_cpu / best_cpu,
           f"{best:.2f} s wall, {best_cpu:.2f} s CPU (goal: seconds); mean "
           f"{result.mean_steps:.1f} of {result.n_steps} steps; labels agree {agree:.4%}")


if __name__ == "__main__":
    main()
