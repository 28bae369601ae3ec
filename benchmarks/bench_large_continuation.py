"""Continuation of large tanh networks in their gain: time per point against n (issue §2).

    python3 benchmarks/bench_large_continuation.py            # n = 64 … 1024 (about 3 min idle)
    python3 benchmarks/bench_large_continuation.py --quick    # n = 64 … 512
    python3 benchmarks/bench_large_continuation.py --plot     # and the figure in figures/
    python3 benchmarks/bench_large_continuation.py --dense    # a branch dense with crossings

``dr.continuation(net, "gain", x0, (1, 6))`` with detection on, one BLAS thread (dynrnn's
default), on random networks W = 0.5·N(0, 1)/√n, b = 0.3·N(0, 1), from gain 1. Two paths in
the same process on the same networks:

* **new** (``ContinuationOptions(multipliers="leading")``, the default from 128 states on):
  leading multipliers tracked along the branch, det(M + I) signs from an LU, full
  decompositions at the ends and every ``guard_every`` = 25 points (the guard); a branch of
  ``--points`` (26) points, so its time includes two full decompositions (first and last
  point): 1 per 13 points, where a long branch has 1 per 25;
* **old** (``multipliers="all"``): a full decomposition at every point; ``--old-points`` (6)
  points, since its cost per point does not depend on the length.

Wall time per computed point after a warm-up; the exponent k of t ≈ c·nᵏ by least squares on
log–log axes. Goal (issue §2): ≤ 40 ms per point at n = 256 and ≤ 0.15 s at n = 1,024. RESULT
``ratio`` = old / new time per point at n = 256 (same process); the detail has every n, both
exponents, the goals and the load average.

``--dense``: the 400-point n = 256 branch from gain 1 (to about 3.7), on which 33 special
points (29 NS, 2 PD, 2 LP) are located, in both modes in the same process: ms per point,
the number located, and the largest difference of located parameter values between the modes
(location on the tracked path follows the critical multiplier by inverse iteration,
:mod:`dynrnn.analysis.continuation.critical`). RESULT ratio = all / leading time per point.
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


def network(n: int):
    rng = np.random.default_rng(n)
    net = dr.RNN(0.5 * rng.standard_normal((n, n)) / np.sqrt(n), b=0.3 * rng.standard_normal(n))
    return net, net.iterate(np.zeros(n), 300)


def per_point(n: int, points: int, multipliers: str) -> tuple[float, dr.Branch]:
    """Seconds per point of a ``points``-point branch (after a 2-point warm-up)."""
    net, x0 = network(n)
    opts = dict(multipliers=multipliers)
    dr.continuation(net, "gain", x0, (1.0, 6.0), options=dr.ContinuationOptions(
        max_points=2, **opts))
    start = time.perf_counter()
    branch = dr.continuation(net, "gain", x0, (1.0, 6.0),
                             options=dr.ContinuationOptions(max_points=points, **opts))
    return (time.perf_counter() - start) / branch.params.size, branch


def dense(points: int = 400, n: int = 256) -> None:
    """Both modes on the crossing-dense branch: ms per point, special points, agreement."""
    net, x0 = network(n)
    seconds, branches = {}, {}
    for mode in ("all", "leading"):
        start = time.perf_counter()
        options = dr.ContinuationOptions(max_points=points, multipliers=mode)
        branches[mode] = dr.continuation(net, "gain", x0, (1.0, 6.0), options=options)
        seconds[mode] = (time.perf_counter() - start) / branches[mode].params.size
        found = branches[mode].bifurcations
        kinds = {kind: sum(b.kind.value == kind for b in found)
                 for kind in ("NS", "PD", "LP", "BP")}
        print(f"{mode:8s}: {seconds[mode] * 1e3:6.1f} ms per point, {len(found)} special points "
              f"{kinds}, gain {branches[mode].params[-1]:.3f}", flush=True)
    reference, tested = branches["all"].bifurcations, branches["leading"].bifurcations
    same = [b.kind for b in reference] == [b.kind for b in tested]
    difference = max((abs(a.param - b.param) for a, b in zip(reference, tested)), default=0.0)
    load = os.getloadavg()[0]
    print(f"same kinds in the same order: {same}; largest location difference {difference:.2e}; "
          f"load average {load:.1f}")
    report("large_continuation_dense", "full eigendecomposition at every point "
           "(multipliers='all') on the crossing-dense n=256 branch",
           seconds["all"] / seconds["leading"],
           f"all {seconds['all'] * 1e3:.1f} ms/pt, leading {seconds['leading'] * 1e3:.1f} ms/pt, "
           f"{len(tested)} special points, max location difference {difference:.1e}, "
           f"load average {load:.1f}")


def exponent(ns, times) -> float:
    return float(np.polyfit(np.log(ns), np.log([times[n] for n in ns]), 1)[0])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 64 … 512 only")
    parser.add_argument("--points", type=int, default=26, help="points of the new path")
    parser.add_argument("--old-points", type=int, default=6, help="points of the old path")
    parser.add_argument("--plot", action="store_true")
    parser.add_argument("--dense", action="store_true",
                        help="only the 400-point n = 256 branch dense with bifurcations")
    args = parser.parse_args(argv)
    if args.dense:
        dense()
        return
    ns = [64, 128, 256, 512] if args.quick else [64, 128, 256, 512, 1024]
    new, old, loads = {}, {}, {}
    for n in ns:
        new[n], branch = per_point(n, args.points, "leading")
        old[n], reference = per_point(n, args.old_points, "all")
        k = min(reference.n_points, branch.n_points)
        assert np.allclose(branch.params[:k], reference.params[:k], atol=1e-10)
        assert np.array_equal(branch.n_unstable[:k], reference.n_unstable[:k])
        loads[n] = os.getloadavg()[0]
        print(f"n = {n:5d}: new {new[n] * 1e3:8.1f} ms per point ({branch.n_points} points, "
              f"gain {branch.params[-1]:.3f}, {len(branch.bifurcations)} special), old "
              f"{old[n] * 1e3:8.1f} ms, old/new {old[n] / new[n]:5.1f}x (load average "
              f"{loads[n]:.1f})", flush=True)
    k_new, k_old = exponent(ns, new), exponent(ns, old)
    detail = (", ".join(f"n={n}: {new[n] * 1e3:.0f} ms (old {old[n] * 1e3:.0f} ms, "
                        f"{old[n] / new[n]:.1f}x)" for n in ns)
              + f" per point; new t ~ n^{k_new:.2f}, old t ~ n^{k_old:.2f}; goals 40 ms "
              "(n=256), 150 ms (n=1024): "
              + ", ".join(f"n={n} {'met' if new[n] <= g else 'NOT met'}"
                          for n, g in GOALS.items() if n in new)
              + f"; load average {min(loads.values()):.1f}-{max(loads.values()):.1f}")
    report("large_continuation_per_point", "full eigendecomposition at every point "
           "(multipliers='all'), n=256", old[256] / new[256], detail)
    if args.plot:
        plot(ns, new, old, k_new, k_old)


def plot(ns, new, old, k_new, k_old):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(4.8, 3.6))
    ax.loglog(ns, [old[n] * 1e3 for n in ns], "s--", color="0.5",
              label=f"full decomposition per point (~n^{k_old:.1f})")
    ax.loglog(ns, [new[n] * 1e3 for n in ns], "o-",
              label=f"tracked leading multipliers (~n^{k_new:.1f})")
    ax.loglog(list(GOALS), [g * 1e3 for g in GOALS.values()], "k*", ms=10, label="goal")
    ax.set_xticks(ns, [str(n) for n in ns])
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xlabel("n (units)")
    ax.set_ylabel("ms per continuation point")
    ax.set_title("tanh network, gain continuation, detection on")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = os.path.join(os.path.dirname(__file__), "..", "figures", "scaling_continuation.png")
    fig.savefig(path, dpi=150)
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
