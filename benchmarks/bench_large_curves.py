"""A fold curve and a branch switch of 256-unit networks (issue §2): time per point.

    python3 benchmarks/bench_large_curves.py            # about 1 min idle
    python3 benchmarks/bench_large_curves.py --quick    # shorter curve and branch

* **Fold curve**: a tanh network (W = 0.3·N(0, 1)/√n with a self-exciting unit W₀₀ = 3,
  b₀ = −1) is continued in b[0] to its fold (LP), which ``dr.continue_bifurcation`` follows
  in (b[0], b[1]) over b[1] ∈ [−1, 1]. The defining system needs only bordered solves; the
  multipliers stored per point are the tracked leading ones from 128 states on
  (:func:`dynrnn.analysis.continuation.spectra.curve_multipliers`). The old path (a full
  decomposition of every point's monodromy) is timed in the same process by raising the
  module's threshold ``LEADING_MIN_STATES``.
* **Switch**: a network with a self-inhibiting unit (W₀₀ = −2) flips (PD) at gain ≈ 0.5;
  ``dr.switch_branch`` follows the 2-cycles from there to gain 1, with the default
  multipliers ("leading" at n = 256) against ``multipliers="all"``.

One BLAS thread. RESULT ``ratio`` = old / new time per curve point (same process).
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
from dynrnn.analysis.continuation import spectra  # noqa: E402

N = 256


def fold_curve_per_point(points: int = 36) -> tuple[float, dr.BifurcationCurve]:
    rng = np.random.default_rng(7)
    W = 0.3 * rng.standard_normal((N, N)) / np.sqrt(N)
    W[0, 0] = 3.0
    b = 0.1 * rng.standard_normal(N)
    b[0] = -1.0
    net = dr.RNN(W, b=b)
    x0 = net.iterate(np.full(N, -0.5), 300)
    branch = dr.continuation(net, "b[0]", x0, (-3.0, 3.0))
    fold = next(s for s in branch.bifurcations if s.kind.value == "LP")
    opts = dr.BifurcationCurveOptions(max_points=points)
    start = time.perf_counter()
    curve = dr.continue_bifurcation(net, fold, "b[1]", (-1.0, 1.0), options=opts)
    return (time.perf_counter() - start) / len(curve), curve


def switch_per_point(multipliers: str, points: int = 30) -> tuple[float, dr.Branch]:
    rng = np.random.default_rng(8)
    W = 0.3 * rng.standard_normal((N, N)) / np.sqrt(N)
    W[0, 0] = -2.0
    b = 0.1 * rng.standard_normal(N)
    b[0] = 0.0
    net = dr.RNN(W, b=b)
    x0 = dr.RNN(0.3 * W, b=b).iterate(np.zeros(N), 300)
    branch = dr.continuation(net, "gain", x0, (0.3, 1.0), p0=0.3)
    flip = next(s for s in branch.bifurcations if s.kind.value == "PD")
    opts = dr.ContinuationOptions(max_points=points, multipliers=multipliers)
    start = time.perf_counter()
    switched = dr.switch_branch(branch, flip, options=opts)
    return (time.perf_counter() - start) / len(switched), switched


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="16-point curve, 12-point switch")
    args = parser.parse_args(argv)
    curve_points, switch_points = (16, 12) if args.quick else (36, 30)
    new_curve, curve = fold_curve_per_point(curve_points)
    threshold = spectra.LEADING_MIN_STATES
    spectra.LEADING_MIN_STATES = 10**9          # the old path: every point decomposed
    try:
        old_curve, curve_old = fold_curve_per_point(curve_points)
    finally:
        spectra.LEADING_MIN_STATES = threshold
    assert np.allclose(curve.params, curve_old.params, atol=1e-10)
    load = os.getloadavg()[0]
    print(f"fold curve, n = {N}: {new_curve * 1e3:.1f} ms per point ({len(curve)} points), "
          f"old {old_curve * 1e3:.1f} ms, {old_curve / new_curve:.1f}x (load average "
          f"{load:.1f})", flush=True)
    new_switch, switched = switch_per_point("auto", switch_points)
    old_switch, switched_old = switch_per_point("all", switch_points)
    assert np.allclose(switched.params, switched_old.params, atol=1e-10)
    load2 = os.getloadavg()[0]
    print(f"switch at a flip, n = {N}: {new_switch * 1e3:.1f} ms per point "
          f"({len(switched)} points), old {old_switch * 1e3:.1f} ms, "
          f"{old_switch / new_switch:.1f}x (load average {load2:.1f})", flush=True)
    detail = (f"n=256 fold curve {new_curve * 1e3:.0f} ms per point (old {old_curve * 1e3:.0f}"
              f" ms, {old_curve / new_curve:.1f}x); switch_branch at a flip "
              f"{new_switch * 1e3:.0f} ms per point (old {old_switch * 1e3:.0f} ms, "
              f"{old_switch / new_switch:.1f}x); load average {load:.1f}, {load2:.1f}")
    report("large_curves_256", "full eigendecomposition at every curve point",
           old_curve / new_curve, detail)


if __name__ == "__main__":
    main()
