"""Number of attractors of the one-unit network x -> w σ(x) + b over the (w, b) plane.

Pascanu, Mikolov and Bengio (2013, §2.2, Fig. 3, after Doya 1993) study this map at w = 5: an
interval of b has two attractors, and crossing its ends (folds) makes the state after many steps,
and so the gradient, jump. This run maps that bistable region for tanh and the logistic sigmoid,
with the 2-cycles of w < 0, and saves a SweepResult npz (plots are made from it separately).

    python analysis/sweep_attractors.py                 # full grid, local process pool
    python analysis/sweep_attractors.py --quick         # a 9 x 9 grid in a few seconds
    python analysis/sweep_attractors.py --scheduler tcp://HOST:PORT --store runs/attractors
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import dynrnn as dr
from dynrnn.sweep_examples import one_unit_attractor_count

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "sweep_attractors.npz"


def grid(quick: bool) -> dict[str, np.ndarray]:
    num = 9 if quick else 121
    return {"activation": np.array(["tanh", "sigmoid"]),
            "w": np.linspace(-10.0, 10.0, num),
            "b": np.linspace(-10.0, 10.0, num)}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small grid (seconds)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="result npz")
    parser.add_argument("--store", type=Path, default=None, help="resumable per-point store")
    parser.add_argument("--scheduler", default=None,
                        help="'serial' or a Dask scheduler address tcp://HOST:PORT "
                             "(default: a local process pool)")
    parser.add_argument("--workers", type=int, default=None, help="local pool size")
    parser.add_argument("--no-progress", action="store_true")
    return parser.parse_args(argv)


def main(argv=None) -> dr.SweepResult:
    args = parse_args(argv)
    result = dr.sweep(one_unit_attractor_count, grid(args.quick), executor=args.scheduler,
                      store=args.store, max_workers=args.workers,
                      progress=not args.no_progress)
    path = result.to_npz(args.out)
    counts = result["n_attractors"]
    for k, activation in enumerate(result.coordinates["activation"]):
        share = np.mean(counts[k] >= 2)
        print(f"{activation}: {share:.1%} of the (w, b) grid has two or more attractors")
    print(f"{result!r}\nsaved {path}")
    return result


if __name__ == "__main__":
    outcome = main()
    sys.exit(0 if outcome.success else 1)
