"""Speed and accuracy of one-parameter continuation (dynrnn.continuation).

Run from the repository root:  python3 benchmarks/bench_continuation.py [--repeat 5] [--quick]

For each problem it prints the wall time of the whole continuation (with detection and
location), of the same run without detection (so location = the difference), points per second,
the error of each located bifurcation against its closed form, and the ratio against a baseline
run in the same process: natural-parameter continuation with scipy.optimize.root (hybr, analytic
Jacobian through the public API) at the same parameter values, which cannot pass folds and does
not locate anything. Timings are medians over --repeat runs (the Hénon branch also gives the
best run, the issue's target being a 400-point branch with LP and PD in under 0.1 s wall); the
machine may be shared. ``RESULT`` lines (benchmarks/README.md) give the ratios; --quick skips
the 200-unit network.

BLAS runs single-threaded here (set before numpy is imported; override with BENCH_THREADS=k): on
a loaded 2-core machine multi-threaded OpenBLAS made a 200x200 solve 100x slower.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = os.environ.get("BENCH_THREADS", "1")

import numpy as np
import scipy.optimize

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import dynrnn as dr  # noqa: E402
from tests import problems as P  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _report import report  # noqa: E402


_CPU = [0.0]
_BEST = [0.0, 0.0]


def median_time(fn, repeat):
    """Median wall time; the median process CPU time goes to _CPU[0] (less sensitive to the
    load of a shared machine than wall time), the best wall and CPU times to _BEST."""
    times, cpu, out = [], [], None
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    _CPU[0] = float(np.median(cpu))
    _BEST[:] = [min(times), min(cpu)]
    return float(np.median(times)), out


def natural_baseline(system, name, x0, values):
    """scipy.optimize.root at each parameter value, warm-started: the usual hand-rolled sweep."""
    x = np.array(x0, dtype=float)
    for v in values:
        m = system.with_params({name: float(v)})
        sol = scipy.optimize.root(lambda y: m.step(y) - y, x,
                                  jac=lambda y: m.jacobian(y) - np.eye(y.size), tol=1e-10)
        x = sol.x
        np.linalg.eigvals(m.jacobian(x))
    return x


def fold_net(n, seed=1):
    rng = np.random.default_rng(seed)
    W = 0.5 * rng.standard_normal((n, n)) / math.sqrt(n)
    W[0, 0] = 5.0
    return dr.RNN(W, b=0.3 * rng.standard_normal(n), activation="tanh")


_LOCATE_TIME = [0.0]


def _install_location_timer():
    """Time detect_and_locate (detection + location) inside the real runs (patched where the
    branch code looks it up)."""
    import dynrnn.analysis.continuation.branch as bif
    inner = bif.detect_and_locate

    def timed(*a, **k):
        t0 = time.perf_counter()
        try:
            return inner(*a, **k)
        finally:
            _LOCATE_TIME[0] += time.perf_counter() - t0

    bif.detect_and_locate = timed


def case(label, system, param, start, bounds, options, exact, repeat, p0=None,
         direction="both", baseline=True):
    run = lambda opts: dr.continuation(system, param, start, bounds, p0=p0,  # noqa: E731
                                       direction=direction, options=opts)
    _LOCATE_TIME[0] = 0.0
    if repeat > 1:
        run(options)   # warm-up (imports, first calls of generated code)
    _LOCATE_TIME[0] = 0.0
    t_full, branch = median_time(lambda: run(options), repeat)
    t_locate = _LOCATE_TIME[0] / repeat
    cpu = _CPU[0]
    best_wall, best_cpu = _BEST
    m = branch.n_points
    line = (f"{label:<36s} {m:5d} pts  wall {t_full * 1e3:8.1f} ms  cpu {cpu * 1e3:8.1f} ms  "
            f"(detection+location wall {t_locate * 1e3:6.1f} ms)"
            f"  {m / cpu:7.0f} pts/cpu-s")
    print(line)
    print(f"    best of {repeat}: wall {best_wall * 1e3:.1f} ms, cpu {best_cpu * 1e3:.1f} ms")
    found = [(b.kind.value, b.param) for b in branch.bifurcations]
    errors = [abs(value - ref) for (_, value), (_, ref) in zip(found, exact)]
    for (kind, value), (kind_ref, ref) in zip(found, exact):
        print(f"    {kind} at {value:.12f}   reference {kind_ref} {ref:.12f}   "
              f"|error| = {abs(value - ref):.2e}")
    if exact and len(found) != len(exact):
        print(f"    MISMATCH: found {found}, expected {exact}")
    info = {"wall": t_full, "cpu": cpu, "best_wall": best_wall, "best_cpu": best_cpu,
            "points": m, "errors": errors, "found": found}
    if baseline and isinstance(param, str):
        order = np.argsort(branch.arclength)
        values = branch.params[order]
        # natural continuation cannot turn at folds: sweep the monotone part from the start
        t_base, x_end = median_time(lambda: natural_baseline(system, param, branch.states[0],
                                                             values), repeat)
        assert np.allclose(x_end, branch.states[order][-1], atol=1e-7), "baseline disagrees"
        print(f"    baseline scipy.root natural sweep over the same {m} values: wall "
              f"{t_base * 1e3:.1f} ms, cpu {_CPU[0] * 1e3:.1f} ms -> ratio baseline/continuation"
              f" = {t_base / t_full:.2f} (wall), {_CPU[0] / cpu:.2f} (cpu)")
        info.update(base_wall=t_base, base_cpu=_CPU[0])
    return branch, info


def report_vs_root(name, info):
    report(name, "scipy.optimize.root natural-parameter sweep at the same parameter values "
           "(no fold passing, no detection)", info["base_wall"] / info["wall"],
           f"{info['points']} points, median wall {info['wall'] * 1e3:.1f} ms vs "
           f"{info['base_wall'] * 1e3:.1f} ms, cpu {info['cpu'] * 1e3:.1f} ms vs "
           f"{info['base_cpu'] * 1e3:.1f} ms (cpu ratio {info['base_cpu'] / info['cpu']:.2f})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true",
                        help="3 repeats and no 200-unit network (well under a minute)")
    args = parser.parse_args()
    r = 3 if args.quick else args.repeat
    print(f"dynrnn continuation benchmark (median of {r}); numpy {np.__version__}")

    b = 0.3
    henon = P.henon_map(0.2, b)
    _, (xp, _) = P.henon_fixed_points(0.2, b)
    _install_location_timer()
    opts = dr.ContinuationOptions(max_points=300, ds_max=0.008, ds=0.008)
    henon_refs = [("LP", P.HENON_FOLD(b)), ("PD", P.HENON_FLIP(b))]
    _, info = case("Henon (b=0.3), a, ds_max=0.008", henon, "a", xp, (-0.2, 1.0), opts,
                   henon_refs, r, baseline=False)
    assert [k for k, _ in info["found"]] == ["LP", "PD"] and max(info["errors"]) < 1e-8
    report("continuation_henon_400_points", "the issue's target: 0.1 s wall for a 400-point "
           "Henon branch with LP and PD located", 0.1 / info["best_wall"],
           f"{info['points']} points (Map.from_sympy), best of {r}: wall "
           f"{info['best_wall'] * 1e3:.1f} ms, cpu {info['best_cpu'] * 1e3:.1f} ms; median wall "
           f"{info['wall'] * 1e3:.1f} ms, cpu {info['cpu'] * 1e3:.1f} ms; |LP error|, |PD error| "
           f"= {info['errors'][0]:.1e}, {info['errors'][1]:.1e}")

    def step(x, p):
        return np.array([1.0 - p["a"] * x[0] * x[0] + x[1], p["b"] * x[0]])

    def jac(x, p):
        return np.array([[-2.0 * p["a"] * x[0], 1.0], [p["b"], 0.0]])

    def pjac(x, p, names):
        cols = {"a": [-x[0] * x[0], 0.0], "b": [0.0, x[0]]}
        return np.array([cols[k] for k in names]).T

    hand = dr.Map(step, 2, {"a": 0.2, "b": b}, jac, pjac, name="henon (numpy callables)")
    case("Henon, hand-written numpy Map", hand, "a", xp, (-0.2, 1.0), opts, henon_refs, r,
         baseline=False)
    opts = dr.ContinuationOptions(max_points=200, ds_max=0.05)
    case("Henon (b=0.3), a, ds_max=0.05", henon, "a", xp, (-0.2, 1.0), opts, henon_refs, r,
         baseline=False)

    logistic = P.logistic_map(2.8)
    opts = dr.ContinuationOptions(ds_max=0.002, ds=0.002)
    fixed, info = case("logistic, r in [2.8, 3.6]", logistic, "r", [1 - 1 / 2.8], (2.8, 3.6),
                       opts, [("PD", 3.0)], r, direction="forward")
    report_vs_root("continuation_logistic_fixed_points", info)
    t_sw, cyc = median_time(lambda: dr.switch_branch(fixed, fixed.bifurcations[0],
                                                     options=opts), r)
    print(f"    switch_branch to the 2-cycle: {cyc.n_points} pts in {t_sw * 1e3:.1f} ms; "
          f"PD2 at {cyc.bifurcations[0].param:.12f}, |error| = "
          f"{abs(cyc.bifurcations[0].param - (1 + math.sqrt(6))):.2e}")

    one = P.one_unit(5.0, 0.0, "sigmoid")
    opts = dr.ContinuationOptions(ds_max=0.05)
    case("one unit 5 sigmoid + b, b in [-5, 0]", one, "b[0]", one.iterate([0.0], 100),
         (-5.0, 0.0), opts, [("LP", v) for v in P.SIGMOID_FOLDS_W5], r, direction="backward",
         baseline=False)

    for n in (50,) if args.quick else (50, 200):
        net = fold_net(n)
        x0 = net.iterate(np.full(n, 3.0), 300)
        opts = dr.ContinuationOptions(ds_max=0.2)
        branch, _ = case(f"tanh net n={n}, b[0] in [-8, 8]", net, "b[0]", x0, (-8.0, 8.0),
                         opts, [], 1 if n == 200 else r, p0=float(net.b[0]), baseline=False)
        for bif in branch.bifurcations:
            J = net.with_params({"b[0]": bif.param}).jacobian(bif.x)
            print(f"    {bif.kind.value} at {bif.param:.10f}: min|mu - 1| = "
                  f"{np.min(np.abs(np.linalg.eigvals(J) - 1)):.2e}")
        # a monotone stretch for the baseline ratio (no fold in b[0] in [-8, -4])
        _, info = case(f"tanh net n={n}, b[0] in [-8, -4]", net, "b[0]",
                       net.with_params({"b[0]": -8.0}).iterate(np.full(n, -3.0), 300),
                       (-8.0, -4.0), dr.ContinuationOptions(ds_max=0.05), [],
                       1 if n == 200 else r, p0=-8.0, direction="forward")
        report_vs_root(f"continuation_tanh_net_{n}_units", info)


if __name__ == "__main__":
    main()
