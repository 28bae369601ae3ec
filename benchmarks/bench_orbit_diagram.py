"""Orbit diagrams: the batched sweep against a per-value Python loop, in the same process.

Run from the repository root:  python3 benchmarks/bench_orbit_diagram.py

4,000 parameter values x 1,200 iterations (1,000 transient + 200 kept) from one initial state,
for the logistic map (a sympy Map) and a one-unit tanh RNN (sweeping b[0]). The baseline is
what one writes without dynrnn's sweep: for each value, ``system.with_params(...)`` and then
1,200 calls of ``step``. Running it for all 4,000 values takes minutes, so it is timed on
N_LOOP values and scaled to 4,000 (it is linear in the number of values); the script says so.
Timings are noisy while other jobs run.
"""
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dynrnn as dr  # noqa: E402
from tests import problems as P  # noqa: E402

N_VALUES = 4000
N_TRANSIENT, N_KEEP = 1000, 200
N_LOOP = 100


from _report import report  # noqa: E402  (benchmarks/ is on sys.path when run)

def loop_baseline(system, param, values, x0):
    out = np.empty((values.size, N_KEEP))
    for i, v in enumerate(values):
        m = system.with_params({param: float(v)})
        x = np.asarray(x0, dtype=float)
        for t in range(N_TRANSIENT + N_KEEP):
            x = m.step(x)
            if t >= N_TRANSIENT:
                out[i, t - N_TRANSIENT] = x[0]
    return out


def bench(label, system, param, values, x0):
    t, c = time.perf_counter(), time.process_time()
    d = dr.orbit_diagram(system, param, values, x0s=[x0], n_transient=N_TRANSIENT,
                         n_keep=N_KEEP)
    fast, fast_cpu = time.perf_counter() - t, time.process_time() - c
    sub = values[:: N_VALUES // N_LOOP]
    t, c = time.perf_counter(), time.process_time()
    ref = loop_baseline(system, param, sub, x0)
    slow = (time.perf_counter() - t) * values.size / sub.size
    slow_cpu = (time.process_time() - c) * values.size / sub.size
    # the same orbits (up to rounding, which chaos may amplify for the RNN's affine update)
    close = np.isclose(d.samples[:: N_VALUES // N_LOOP, 0], ref, atol=1e-9).all(axis=1)
    print(f"{label}: {values.size} values x {N_TRANSIENT + N_KEEP} iterations: vectorised "
          f"{fast:.2f} s ({fast_cpu:.2f} s CPU); per-value loop {slow:.1f} s ({slow_cpu:.1f} s CPU; "
          f"timed on {sub.size} values, scaled); ratio {slow / fast:.0f}x wall, "
          f"{slow_cpu / fast_cpu:.0f}x CPU; diverged {d.n_diverged}; orbits equal to the loop's for "
          f"{close.sum()} of {close.size} values")
    t = time.perf_counter()
    dr.orbit_diagram(system, param, sub, x0s=[x0], n_transient=N_TRANSIENT,
                     n_keep=N_KEEP, vectorized=False)
    internal = (time.perf_counter() - t) * values.size / sub.size
    print(f"  dynrnn's own per-value fallback (prebuilt maps, one step call per value per "
          f"iteration, timed on {sub.size} values, scaled): {internal:.1f} s, ratio "
          f"{internal / fast:.0f}x")
    assert close.all(), "the vectorised orbit diagram differs from the per-value loop"
    report(f"orbit_diagram_{label.split(',')[0].replace(' ', '_').replace('-', '_')}",
           "per-value Python loop (with_params + step), timed on a subset and scaled",
           slow / fast, f"{values.size} values x {N_TRANSIENT + N_KEEP} iterations: "
           f"vectorised {fast:.3f} s wall, loop {slow:.1f} s")


def main():
    bench("logistic map", P.logistic_map(), "r", np.linspace(2.5, 4.0, N_VALUES), [0.3])
    bench("one-unit tanh RNN, w = 5", P.one_unit(5.0, 0.0, "tanh"), "b[0]",
          np.linspace(-4.0, 4.0, N_VALUES), [0.3])


if __name__ == "__main__":
    main()
