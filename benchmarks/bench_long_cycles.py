"""Long cycles: the logistic map's period-doubling cascade by multiple shooting.

Run from the repository root:  python3 benchmarks/bench_long_cycles.py [--quick]

Follows the cascade from the fixed point to the period-64 branch with
``dr.period_doubling_cascade`` (multiple shooting) and, as the baseline, with
``dr.continuation`` + ``dr.switch_branch`` (the k-fold map continued as one function), which
stops with CORRECTOR_FAILED on the period-16 branch. Prints the flips, their error against the
literature values, Feigenbaum's δ from the last three, and a ``RESULT`` line (ratio: the
period reached by shooting over the period reached by the k-fold baseline). Timings are the best
of several repeats (--quick: one).
"""
import argparse
import math
import sys
import time
from pathlib import Path

import sympy as sp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dynrnn as dr  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import report  # noqa: E402

LITERATURE = [3.0, 1 + math.sqrt(6), 3.544090359552, 3.564407266095, 3.568759419544,
              3.569691609801, 3.569891259378]
DELTA = 4.669201609102990


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    repeats = 1 if parser.parse_args().quick else 3
    x, r = sp.symbols("x r")
    logistic = dr.Map.from_sympy([r * x * (1 - x)], [x], {r: 2.8})
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        cascade = dr.period_doubling_cascade(logistic, "r", [1 - 1 / 2.8], 2.8, (2.8, 3.5699),
                                             max_period=64)
        best = min(best, time.perf_counter() - t0)
    flips = [branch.bifurcations[0].param for branch in cascade]
    error = max(abs(a - b) for a, b in zip(flips, LITERATURE))
    delta = (flips[-2] - flips[-3]) / (flips[-1] - flips[-2])
    print(f"multiple shooting: periods {[b.period for b in cascade]} in {best:.2f} s; flips "
          f"{[round(f, 12) for f in flips]}; max error vs literature {error:.1e}; "
          f"delta {delta:.5f} (Feigenbaum {DELTA:.5f})")
    branch = dr.continuation(logistic, "r", [1 - 1 / 2.8], (2.8, 3.5699))
    while branch.period < 64:
        flips_k = [b for b in branch.bifurcations if b.kind.value == "PD"]
        if not flips_k or not branch.success:
            break
        branch = dr.switch_branch(branch, flips_k[0], system=logistic)
    print(f"k-fold continuation: stops on the period-{branch.period} branch "
          f"({branch.status.name})")
    report("logistic_cascade_period_64", "k-fold continuation + switch_branch (periods)",
           cascade[-1].period / branch.period,
           f"shooting reaches period {cascade[-1].period} in {best:.2f} s, flips within "
           f"{error:.0e} of the literature, delta {delta:.4f}; the k-fold map stops at period "
           f"{branch.period} ({branch.status.name})")


if __name__ == "__main__":
    main()
