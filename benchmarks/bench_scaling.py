"""What a network of n units costs: time against n, with the exponent fitted on a log–log plot.

    python3 benchmarks/bench_scaling.py            # n up to 1024 (a few minutes)
    python3 benchmarks/bench_scaling.py --quick    # smaller n, batches, T (under a minute)

Measured on random tanh RNNs x' = W tanh(x) + b, W = g·N(0, 1)/√n, single-threaded BLAS:

(i)   one step plus the state Jacobian (public ``step`` and ``jacobian``) of a batch of states,
      per state; expected ~n² (the Jacobian has n² entries);
(ii)  ``find_fixed_points`` (Newton route) from a fixed number of starts, CPU per start and per
      start-iteration (one n×n LU each); expected ~n³ once the LU dominates;
(iii) ``continuation`` in the gain, points per CPU second at n = 2, 50, 200 (each point: a few
      bordered Newton solves and the eigenvalues for stability);
(iv)  ``bptt`` forward + backward (mse loss at every step, batch 8) against n = 64…1024 and
      T = 100, 300, 1000; expected ~T·n² (2T sequential (B, n)×(n, n) products plus the
      (n, B)×(B, n) gradient accumulations).

The exponent k of t ≈ c·nᵏ is the least-squares slope of log t on log n over the sizes shown
(and over the upper half, where the leading term dominates). Each time is the median CPU time
of ``--repeat`` runs. RESULT lines (benchmarks/README.md): one per section at its largest n,
``ratio`` = time at the smallest n / time at the largest (so below 1), with the per-n times and
the exponents in ``detail``.
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

import dynrnn as dr  # noqa: E402
from _report import report  # noqa: E402


def random_net(n: int, gain: float, seed: int, bias: float = 0.1) -> dr.RNN:
    rng = np.random.default_rng(seed)
    W = gain * rng.standard_normal((n, n)) / np.sqrt(n)
    return dr.RNN(W, b=bias * rng.standard_normal(n), activation="tanh")


def cpu_median(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        c0 = time.process_time()
        out = fn()
        times.append(time.process_time() - c0)
    return float(np.median(times)), out


def exponent(ns, ts) -> tuple[float, float]:
    """Least-squares slope of log t on log n over all sizes and over the upper half."""
    ln, lt = np.log(np.asarray(ns, float)), np.log(np.asarray(ts, float))
    k_all = float(np.polyfit(ln, lt, 1)[0])
    h = len(ns) // 2
    k_top = float(np.polyfit(ln[h:], lt[h:], 1)[0]) if len(ns) - h >= 2 else k_all
    return k_all, k_top


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    print(f"\n{title}")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("  " + "  ".join(h.rjust(w) for h, w in zip(header, widths)))
    for r in rows:
        print("  " + "  ".join(c.rjust(w) for c, w in zip(r, widths)))


def summarize(name: str, what: str, ns, ts, unit_scale: float, unit: str) -> None:
    k_all, k_top = exponent(ns, ts)
    per_n = ", ".join(f"n={n}: {t * unit_scale:.4g} {unit}" for n, t in zip(ns, ts))
    print(f"  fitted exponent: {k_all:.2f} over n = {ns[0]}..{ns[-1]}, {k_top:.2f} over the "
          f"upper half")
    report(f"scaling_{name}_n{ns[-1]}", f"{what} at n={ns[0]}", ts[0] / ts[-1],
           f"{what}: {per_n}; t ~ n^{k_all:.2f} (log-log least squares, all n), "
           f"n^{k_top:.2f} (upper half)")


# -- (i) one step + Jacobian ----------------------------------------------------------------------
def bench_step_jacobian(ns, repeat, max_doubles):
    rows, ts = [], []
    for n in ns:
        net = random_net(n, 1.5, seed=n)
        batch = int(max(1, min(64, max_doubles // (n * n))))
        X = np.random.default_rng(0).standard_normal((batch, n))
        c0 = time.process_time()
        net.step(X), net.jacobian(X)  # warm-up, and the number of calls that take ~20 ms
        inner = int(max(1, min(1000, 0.02 / max(time.process_time() - c0, 1e-6))))

        def calls():
            for _ in range(inner):
                net.step(X), net.jacobian(X)

        t, _ = cpu_median(calls, repeat)
        t /= batch * inner
        ts.append(t)
        rows.append([str(n), str(batch), f"{t * 1e6:.1f}", f"{t / n ** 2 * 1e9:.2f}"])
    table("(i) one step + state Jacobian, public API, per state",
          ["n", "batch", "µs/state", "ns/n²"], rows)
    summarize("step_jacobian", "one step + Jacobian per state", ns, ts, 1e6, "µs")


# -- (ii) Newton fixed-point search ------------------------------------------------------------
def bench_newton(ns, n_starts, repeat):
    rows, per_start, per_iter = [], [], []
    for n in ns:
        net = random_net(n, 1.5, seed=n)
        dr.find_fixed_points(net, n_starts=2, seed=0, max_iter=2)  # warm-up
        t, res = cpu_median(lambda: dr.find_fixed_points(net, n_starts=n_starts, seed=1,
                                                         max_iter=60), repeat)
        iters = int(np.sum(np.isfinite(res.residual_history[1:])))
        per_start.append(t / n_starts)
        per_iter.append(t / max(iters, 1))
        conv = res.n_converged
        rows.append([str(n), str(n_starts), f"{t:.3f}", f"{t / n_starts * 1e3:.2f}",
                     f"{iters / n_starts:.1f}", f"{t / max(iters, 1) * 1e3:.3f}",
                     f"{t / max(conv, 1) * 1e3:.2f}", f"{conv}/{n_starts}", str(len(res))])
    table(f"(ii) find_fixed_points (Newton, tol 1e-10, gain 1.5) from {n_starts} starts, CPU",
          ["n", "starts", "s", "ms/start", "iter/start", "ms/start-iter", "ms/converged",
           "converged", "points"], rows)
    summarize("newton_per_start_iteration", "Newton CPU per start-iteration", ns, per_iter, 1e3,
              "ms")
    k_all, k_top = exponent(ns, per_start)
    print(f"  per start (iterations vary with n): exponent {k_all:.2f} (all), {k_top:.2f} "
          "(upper half)")


# -- (iii) continuation ------------------------------------------------------------------------
def bench_continuation(ns, max_points, repeat):
    rows, per_point = [], []
    opts = dr.ContinuationOptions(max_points=max_points)
    for n in ns:
        net = random_net(n, 0.5, seed=n, bias=0.3)  # contracting at gain 1: one stable point
        x0 = net.iterate(np.zeros(n), 500) if hasattr(net, "iterate") else np.zeros(n)
        x0 = np.asarray(x0).reshape(-1, n)[-1]
        run = lambda: dr.continuation(net, "gain", x0, (1.0, 6.0), options=opts)  # noqa: E731
        run()  # warm-up
        t, branch = cpu_median(run, repeat)
        m = int(branch.params.size)
        per_point.append(t / m)
        rows.append([str(n), str(m), f"{t:.3f}", f"{m / t:.0f}", f"{t / m * 1e3:.3f}",
                     str(len(branch.bifurcations)), branch.status.name])
    table(f"(iii) continuation in the gain g·W (g from 1 to 6, at most {max_points} points), CPU",
          ["n", "points", "s", "points/s", "ms/point", "bifurcations", "status"], rows)
    summarize("continuation_per_point", "continuation CPU per point", ns, per_point, 1e3, "ms")


# -- (iv) BPTT --------------------------------------------------------------------------------
def bench_bptt(ns, Ts, batch, repeat):
    times = np.zeros((len(ns), len(Ts)))
    rows = []
    for i, n in enumerate(ns):
        rng = np.random.default_rng(n)
        net = dr.RNN(0.9 * rng.standard_normal((n, n)) / np.sqrt(n),
                     W_in=rng.standard_normal((n, 1)), b=0.1 * rng.standard_normal(n),
                     activation="tanh")
        x0 = 0.1 * rng.standard_normal((batch, n))
        for j, T in enumerate(Ts):
            inputs = rng.standard_normal((T, batch, 1))
            targets = 0.5 * rng.standard_normal((T, batch, n))
            run = lambda: dr.bptt(net, x0, inputs, targets, "mse")  # noqa: E731
            if j == 0:
                run()  # warm-up
            times[i, j], _ = cpu_median(run, repeat)
        rows.append([str(n)] + [f"{times[i, j] * 1e3:.1f}" for j in range(len(Ts))]
                    + [f"{times[i, -1] / (batch * Ts[-1] * n * n) * 1e9:.2f}"])
    table(f"(iv) dynrnn.bptt forward + backward (mse at every step, batch {batch}, float64), "
          "CPU ms", ["n"] + [f"T={T}" for T in Ts] + [f"ns/(B·T·n²) at T={Ts[-1]}"], rows)
    summarize(f"bptt_T{Ts[-1]}", f"BPTT forward+backward (T={Ts[-1]}, batch {batch})", ns,
              list(times[:, -1]), 1e3, "ms")
    mid = len(ns) // 2
    k_T, _ = exponent(Ts, times[mid])
    print(f"  against T at n = {ns[mid]}: exponent {k_T:.2f} (linear in T expected)")
    report(f"scaling_bptt_n{ns[mid]}_T{Ts[-1]}", f"BPTT at n={ns[mid]}, T={Ts[0]}",
           times[mid, 0] / times[mid, -1],
           f"n={ns[mid]}, batch {batch}: " + ", ".join(f"T={T}: {t * 1e3:.1f} ms"
                                                      for T, t in zip(Ts, times[mid]))
           + f"; t ~ T^{k_T:.2f}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"threads: {os.environ['OPENBLAS_NUM_THREADS']}; numpy {np.__version__}; "
          f"{'quick' if args.quick else 'full'} run, median CPU of {args.repeat}")
    if args.quick:
        bench_step_jacobian([32, 64, 128, 256, 512, 1024], args.repeat, 2_000_000)
        bench_newton([32, 64, 128, 256, 512], 8, 1)
        bench_continuation([2, 50, 200], 40, 1)
    else:
        bench_step_jacobian([32, 64, 128, 256, 512, 1024], args.repeat, 8_000_000)
        bench_newton([32, 64, 128, 256, 512], 32, 1)
        bench_continuation([2, 50, 200], 200, args.repeat)
    if not hasattr(dr, "bptt"):
        print("\n(iv) BPTT forward+backward: skipped, dynrnn.bptt is not in this version")
    elif args.quick:
        bench_bptt([64, 128, 256, 512], [100, 300], 8, 1)
    else:
        bench_bptt([64, 128, 256, 512, 1024], [100, 300, 1000], 8, 1)


if __name__ == "__main__":
    main()
