"""BLAS threads on a busy machine: the n = 256 continuation beside a second busy process.

    python3 benchmarks/bench_busy_blas.py            # 12 continuation points per run
    python3 benchmarks/bench_busy_blas.py --quick    # 6 points

A tanh network of 256 units is continued in its gain (``dr.continuation(net, "gain", ...)``,
detection on) in a fresh process whose environment leaves OpenBLAS at its default (one thread
per core), four ways: {idle, beside a busy process} × {dynrnn's default (1 BLAS thread,
``dr.set_blas_threads``), BLAS's own threads (``dr.set_blas_threads(None)``)}. The busy process
is another numpy program (a loop of 400 × 400 matrix products, single-threaded, like a training
job). Wall time per point; RESULT ``ratio`` = BLAS-default time / dynrnn-default time beside
the busy process, detail with all four. "Idle" means no busy process of ours: the development
machine is shared, so its load average is printed with each run.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _report import report  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

CHILD = r"""
import sys, time, numpy as np
sys.path.insert(0, {root!r})
import dynrnn as dr
if {threads!r} == "blas":
    dr.set_blas_threads(None)
n = 256
rng = np.random.default_rng(256)
net = dr.RNN(0.5 * rng.standard_normal((n, n)) / np.sqrt(n), b=0.3 * rng.standard_normal(n))
x0 = net.iterate(np.zeros(n), 300)
opts = dr.ContinuationOptions(max_points={points})
dr.continuation(net, "gain", x0, (1.0, 6.0), options=dr.ContinuationOptions(max_points=3))
start = time.perf_counter()
branch = dr.continuation(net, "gain", x0, (1.0, 6.0), options=opts)
elapsed = time.perf_counter() - start
print("PER_POINT", elapsed / branch.params.size, branch.params.size, len(branch.bifurcations))
"""

BUSY = r"""
import numpy as np, time
a = np.random.default_rng(0).standard_normal((400, 400))
end = time.time() + 3600
while time.time() < end:
    a = np.tanh(a @ a / 20.0)
"""


def child_env(blas_threads: str | None) -> dict:
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.pop(var, None)
    if blas_threads is not None:
        env["OPENBLAS_NUM_THREADS"] = blas_threads
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_once(threads: str, points: int) -> float:
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=ROOT, threads=threads,
                                                            points=points)],
                         env=child_env(None), capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("PER_POINT")][0]
    return float(line.split()[1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    points = 6 if args.quick else 12
    times = {}
    for busy in (False, True):
        process = None
        if busy:
            process = subprocess.Popen([sys.executable, "-c", BUSY],
                                       env=child_env("1"))
            time.sleep(1.0)
        try:
            for threads in ("dynrnn", "blas"):
                load = os.getloadavg()[0]
                t = run_once(threads, points)
                times[(busy, threads)] = t
                print(f"{'busy' if busy else 'idle'}: {threads:6s} threads: {t * 1e3:8.1f} ms "
                      f"per point (load average {load:.1f})", flush=True)
        finally:
            if process is not None:
                process.kill()
                process.wait()
    detail = (f"n=256 gain continuation, ms per point: beside a busy process "
              f"{times[(True, 'dynrnn')] * 1e3:.0f} (dynrnn default, 1 BLAS thread) vs "
              f"{times[(True, 'blas')] * 1e3:.0f} (BLAS default threads); idle "
              f"{times[(False, 'dynrnn')] * 1e3:.0f} vs {times[(False, 'blas')] * 1e3:.0f}")
    report("busy_blas_continuation_256", "BLAS default threads beside a busy process",
           times[(True, "blas")] / times[(True, "dynrnn")], detail)


if __name__ == "__main__":
    main()
