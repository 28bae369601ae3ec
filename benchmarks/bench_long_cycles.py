"""Long cycles: period-doubling cascades by multiple shooting, and the structured solve.

Run from the repository root:  python3 benchmarks/bench_long_cycles.py [--quick]

1. The logistic map's cascade from the fixed point to the period-64 branch, with
   ``dr.period_doubling_cascade`` and with repeated ``dr.switch_branch`` (which hands doubled
   cycles of period >= 8 over to multiple shooting); the baseline is ``switch_branch`` on the
   k-fold map F^k as one function (the behaviour before the hand-over, reproduced by raising
   the hand-over period), which stops with CORRECTOR_FAILED on the period-16 branch. Prints the
   flips, their error against the literature values and Feigenbaum's δ from the last three.
2. The Hénon cascade (b = 0.3) and a 2-unit tanh network's cascade to period 32 by
   ``switch_branch``.
3. The bordered block-cyclic solve of a shooting Newton step, structured O(k n³) elimination
   against dense LAPACK LU of the (k n + 1)² matrix, at k = 64, n = 2 and k = 16, n = 32 (same
   process, best of several repeats).

Parts 1 and 3 print ``RESULT`` lines (part 2 only prints: it has no baseline). Timings are the best of several repeats (--quick: one).
"""
import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import sympy as sp
from scipy.linalg.lapack import dgesv

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dynrnn as dr  # noqa: E402
from dynrnn.analysis import cycle_switching  # noqa: E402
from dynrnn.analysis.cyclic_bordered import (dense_cyclic_bordered,  # noqa: E402
                                             solve_cyclic_bordered)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import report  # noqa: E402

LITERATURE = [3.0, 1 + math.sqrt(6), 3.544090359552, 3.564407266095, 3.568759419544,
              3.569691609801, 3.569891259378]
DELTA = 4.669201609102990


def best_time(function, repeats):
    best, result = math.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - t0)
    return best, result


def by_switching(branch, max_period):
    """Repeated switch_branch at the first flip, until max_period or a failure."""
    branches = [branch]
    while branch.period < max_period and branch.success:
        flips = [b for b in branch.bifurcations if b.kind.value == "PD"]
        if not flips:
            break
        branch = dr.switch_branch(branch, flips[0])
        branches.append(branch)
    return branches


def first_flips(branches):
    return [next(f.param for f in b.bifurcations if f.kind.value == "PD") for b in branches
            if any(f.kind.value == "PD" for f in b.bifurcations)]


def logistic_cascades(repeats):
    x, r = sp.symbols("x r")
    logistic = dr.Map.from_sympy([r * x * (1 - x)], [x], {r: 2.8})
    start, bounds = [1 - 1 / 2.8], (2.8, 3.5699)
    t_shoot, cascade = best_time(lambda: dr.period_doubling_cascade(
        logistic, "r", start, 2.8, bounds, max_period=64), repeats)
    t_switch, switched = best_time(lambda: by_switching(
        dr.continuation(logistic, "r", start, bounds), 64), repeats)
    for label, flips, seconds, periods in (
            ("period_doubling_cascade", [b.bifurcations[0].param for b in cascade], t_shoot,
             [b.period for b in cascade]),
            ("continuation + switch_branch", first_flips(switched), t_switch,
             [b.period for b in switched])):
        error = max(abs(a - b) for a, b in zip(flips, LITERATURE))
        delta = (flips[-2] - flips[-3]) / (flips[-1] - flips[-2])
        print(f"{label}: periods {periods} in {seconds:.2f} s; max flip error vs literature "
              f"{error:.1e}; delta {delta:.5f} (Feigenbaum {DELTA:.5f})")
    # the baseline: the k-fold map as one function (no hand-over to shooting)
    saved = cycle_switching.SHOOTING_PERIOD
    cycle_switching.SHOOTING_PERIOD = 10**9
    try:
        kfold = by_switching(dr.continuation(logistic, "r", start, bounds), 64)[-1]
    finally:
        cycle_switching.SHOOTING_PERIOD = saved
    print(f"k-fold baseline: stops on the period-{kfold.period} branch ({kfold.status.name})")
    flips = first_flips(switched)
    error = max(abs(a - b) for a, b in zip(flips, LITERATURE))
    delta = (flips[-2] - flips[-3]) / (flips[-1] - flips[-2])
    report("logistic_cascade_period_64", "switch_branch on the k-fold map (periods reached)",
           switched[-1].period / kfold.period,
           f"switch_branch reaches period {switched[-1].period} in {t_switch:.2f} s, flips "
           f"within {error:.0e} of the literature, delta {delta:.4f}; the k-fold map stops at "
           f"period {kfold.period} ({kfold.status.name})")


def other_cascades(repeats):
    x, y, a, b = sp.symbols("x y a b")
    henon = dr.Map.from_sympy([1 - a * x**2 + y, b * x], [x, y], {a: 0.2, b: 0.3})
    xs = (-0.7 + math.sqrt(0.49 + 0.8)) / 0.4
    t_henon, branches = best_time(lambda: by_switching(
        dr.continuation(henon, "a", [xs, 0.3 * xs], (0.2, 1.06)), 32), repeats)
    print(f"Hénon (b = 0.3): periods {[br.period for br in branches]} in {t_henon:.2f} s; "
          f"flips {[round(f, 10) for f in first_flips(branches)]}")
    net = dr.RNN([[3.7, 7.0], [-1.65, -2.0]], b=[1.22, 0.03], activation="tanh")
    h = np.array([0.1, 0.1])
    for _ in range(3000):
        h = net.step(h)
    t_net, branches = best_time(lambda: by_switching(
        dr.continuation(net, "b[0]", h, (1.125, 1.22), period=4, direction="backward"), 32),
        repeats)
    flips = first_flips(branches)
    print(f"2-unit tanh network: periods {[br.period for br in branches]} in {t_net:.2f} s; "
          f"flips {[round(f, 10) for f in flips]}; last ratio of flip gaps "
          f"{(flips[-3] - flips[-2]) / (flips[-2] - flips[-1]):.3f}")


def solve_speed(repeats):
    rng = np.random.default_rng(0)
    for k, n in ((64, 2), (16, 32)):
        J = rng.standard_normal((k, n, n))
        G, C = rng.standard_normal((k, n)), rng.standard_normal((k, n))
        rhs = rng.standard_normal(k * n + 1)
        A = dense_cyclic_bordered(J, G, C, 1.0)
        inner = 20

        def structured():
            for _ in range(inner):
                solve_cyclic_bordered(J, G, C, 1.0, rhs)

        def dense():
            for _ in range(inner):
                dgesv(A, rhs)

        t_structured = best_time(structured, repeats + 2)[0] / inner
        t_dense = best_time(dense, repeats + 2)[0] / inner
        y = solve_cyclic_bordered(J, G, C, 1.0, rhs)[0]
        error = float(np.max(np.abs(y - np.linalg.solve(A, rhs))) / np.max(np.abs(y)))
        report(f"cyclic_bordered_solve_k{k}_n{n}", "dense LAPACK LU (dgesv)",
               t_dense / t_structured,
               f"structured {t_structured * 1e3:.3f} ms, dense {t_dense * 1e3:.3f} ms per "
               f"solve; relative difference {error:.1e}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    repeats = 1 if parser.parse_args().quick else 3
    logistic_cascades(repeats)
    other_cascades(repeats)
    solve_speed(repeats)


if __name__ == "__main__":
    main()
