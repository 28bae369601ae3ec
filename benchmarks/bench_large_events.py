"""Events on a 256-unit network: the continuation along θ_k → θ_{k+1} of one spike (issue §2).

    python3 benchmarks/bench_large_events.py            # about 1 min idle
    python3 benchmarks/bench_large_events.py --quick    # the quiet segment only

What :func:`dynrnn.find_gradient_events` runs for every spike and every attractor it follows:
``dr.continuation(net_k, ("line", net_k1), x*, (0, 1), p0=0)``, the fixed point x* of θ_k
continued along the segment θ(s) = θ_k + s(θ_{k+1} − θ_k), with detection. Two segments of a
random 256-unit tanh network (W = g·N(0, 1)/√n, b = 0.3·N(0, 1)):

* **quiet**: an Adam-sized step, every weight moved by ±0.01 (random signs), g = 0.9: no
  bifurcation;
* **crossing**: g = 1.0 and θ_{k+1} = θ_k with W scaled by 1.3 plus the ±0.01 step: the
  multipliers reach the unit circle, the located special points are counted.

Seconds per segment with the default multipliers ("leading" from 128 states on) and with
``multipliers="all"`` (a full decomposition at every point), in the same process, one BLAS
thread. RESULT ``ratio`` = old / new seconds of the crossing segment (of the quiet one with
``--quick``).
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

N = 256


def segment(gain: float, scale: float):
    rng = np.random.default_rng(11)
    W = gain * rng.standard_normal((N, N)) / np.sqrt(N)
    b = 0.3 * rng.standard_normal(N)
    step = 0.01 * np.sign(rng.standard_normal((N, N)))
    net_k = dr.RNN(W, b=b)
    net_k1 = dr.RNN(scale * W + step, b=b + 0.01 * np.sign(rng.standard_normal(N)))
    return net_k, net_k1, net_k.iterate(np.zeros(N), 500)


def seconds(net_k, net_k1, x0, multipliers: str) -> tuple[float, dr.Branch]:
    opts = dr.ContinuationOptions(multipliers=multipliers)
    start = time.perf_counter()
    branch = dr.continuation(net_k, ("line", net_k1), x0, (0.0, 1.0), p0=0.0, options=opts)
    return time.perf_counter() - start, branch


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the quiet segment only")
    args = parser.parse_args(argv)
    segments = [("quiet", 0.9, 1.0), ("crossing", 1.0, 1.3)][:1 if args.quick else 2]
    rows = {}
    for name, gain, scale in segments:
        net_k, net_k1, x0 = segment(gain, scale)
        new, branch = seconds(net_k, net_k1, x0, "auto")
        old, reference = seconds(net_k, net_k1, x0, "all")
        kinds = [b.kind.value for b in branch.bifurcations]
        assert kinds == [b.kind.value for b in reference.bifurcations]
        assert np.allclose([b.param for b in branch.bifurcations],
                           [b.param for b in reference.bifurcations], atol=1e-10)
        rows[name] = (new, old, branch.n_points, kinds, os.getloadavg()[0])
        print(f"{name:8s} segment, n = {N}: {new:.2f} s ({branch.n_points} points, special "
              f"points {kinds}), old {old:.2f} s, {old / new:.1f}x (load average "
              f"{rows[name][4]:.1f})", flush=True)
    detail = "; ".join(f"{name}: {new:.2f} s ({points} points, {len(kinds)} special) against "
                       f"{old:.2f} s ({old / new:.1f}x), load average {load:.1f}"
                       for name, (new, old, points, kinds, load) in rows.items())
    new, old = rows[segments[-1][0]][:2]
    report("large_events_segment_256", "full eigendecomposition at every point", old / new,
           detail)


if __name__ == "__main__":
    main()
