"""Continuation of large tanh networks in their gain: time per point against n (issue §2).

    python3 benchmarks/bench_large_continuation.py            # n = 64 … 1024, 8 points each
    python3 benchmarks/bench_large_continuation.py --quick    # n = 64 … 512, 5 points
    python3 benchmarks/bench_large_continuation.py --plot     # and the figure in figures/

``dr.continuation(net, "gain", x0, (1, 6))`` with detection on (the defaults), one BLAS thread
(dynrnn's default), on random networks W = 0.5·N(0, 1)/√n, b = 0.3·N(0, 1). Wall time per
computed point after a warm-up; the exponent k of t ≈ c·nᵏ by least squares on log–log axes.
Goal (issue §2): ≤ 40 ms per point at n = 256 and ≤ 0.15 s at n = 1,024. RESULT ``ratio`` =
goal time / measured time at n = 256 (below 1: the goal is missed by that factor).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402
from _report import report  # noqa: E402

import dynrnn as dr  # noqa: E402

GOALS = {256: 0.040, 1024: 0.150}


def per_point(n: int, points: int) -> float:
    rng = np.random.default_rng(n)
    net = dr.RNN(0.5 * rng.standard_normal((n, n)) / np.sqrt(n), b=0.3 * rng.standard_normal(n))
    x0 = net.iterate(np.zeros(n), 300)
    dr.continuation(net, "gain", x0, (1.0, 6.0), options=dr.ContinuationOptions(max_points=2))
    start = time.perf_counter()
    branch = dr.continuation(net, "gain", x0, (1.0, 6.0),
                             options=dr.ContinuationOptions(max_points=points))
    return (time.perf_counter() - start) / branch.params.size


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--plot", action="store_true")
    args = parser.parse_args(argv)
    ns = [64, 128, 256, 512] if args.quick else [64, 128, 256, 512, 1024]
    points = 5 if args.quick else 8
    times = {}
    for n in ns:
        times[n] = per_point(n, points)
        print(f"n = {n:5d}: {times[n] * 1e3:8.1f} ms per point (load average "
              f"{os.getloadavg()[0]:.1f})", flush=True)
    logs = np.log(ns), np.log([times[n] for n in ns])
    exponent = float(np.polyfit(*logs, 1)[0])
    detail = (", ".join(f"n={n}: {times[n] * 1e3:.0f} ms" for n in ns)
              + f" per point; t ~ n^{exponent:.2f}; goals 40 ms (n=256), 150 ms (n=1024): "
              + ", ".join(f"n={n} {'met' if times[n] <= g else 'NOT met'}"
                          for n, g in GOALS.items() if n in times))
    report("large_continuation_per_point", "goal 40 ms per point at n=256",
           GOALS[256] / times[256], detail)
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(4.8, 3.6))
        ax.loglog(ns, [times[n] * 1e3 for n in ns], "o-", label=f"measured (~n^{exponent:.1f})")
        ax.loglog(list(GOALS), [g * 1e3 for g in GOALS.values()], "k*", ms=10, label="goal")
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.set_xlabel("n (units)")
        ax.set_ylabel("ms per continuation point")
        ax.set_title("tanh network, gain continuation, detection on")
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = os.path.join(os.path.dirname(__file__), "..", "figures",
                            "scaling_continuation.png")
        fig.savefig(path, dpi=150)
        print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
