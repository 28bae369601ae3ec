"""Number of attractors of the one-unit network x -> w σ(x) + b over the (w, b) plane, with the
fold curves from two-parameter continuation and their cusp.

Pascanu, Mikolov and Bengio (2013, §2.2, Fig. 3, after Doya 1993) study this map at w = 5: an
interval of b has two attractors, and crossing its ends (folds) makes the state after many steps,
and so the gradient, jump. This run counts the attractors (stable fixed points, and the stable
2-cycles of w < 0) on a grid for the logistic sigmoid and tanh with :func:`dynrnn.sweep`, then
locates the two folds at w = 5 by continuation in b and follows them through the (w, b) plane
with :func:`dynrnn.continue_bifurcation`; they meet at the cusp (w = 4, b = −2 for the sigmoid,
w = 1, b = 0 for tanh). The bistable region lies exactly between the fold curves.

    python analysis/sweep_attractors.py                 # full 100 x 100 grid, local process pool
    python analysis/sweep_attractors.py --quick         # a 10 x 10 grid in a few seconds
    python analysis/sweep_attractors.py --scheduler tcp://HOST:PORT --store runs/attractors
"""
from __future__ import annotations

import numpy as np

from ..analysis import continuation, continue_bifurcation, find_fixed_points
from ..model import RNN
from ..plotting.sweeps import figure_sweep_attractors
from ..sweeps import sweep
from ._common import execute, parse_args, report
from .sweep_functions import one_unit_attractor_count

NAME = "sweep_attractors"
ACTIVATIONS = ("sigmoid", "tanh")
W_RANGE = (-10.0, 10.0)
B_RANGE = (-10.0, 10.0)
W_START = 5.0                                     # the folds are located at Fig. 3's w
B_START = {"sigmoid": -2.5, "tanh": 0.0}


def grid(quick: bool) -> dict:
    # An even number of points keeps the non-hyperbolic points (w, b) = (0, ·), (±1, 0) off the
    # grid, where the bracketing in find_fixed_points meets a whole interval of near-roots.
    num = 10 if quick else 100
    return {"activation": np.array(ACTIVATIONS), "w": np.linspace(*W_RANGE, num),
            "b": np.linspace(*B_RANGE, num)}


def fold_curve(activation: str):
    """The fold curve of x -> w σ(x) + b in (b, w): both folds at w = 5 by continuation in b,
    then the first continued in w (it passes through the cusp and returns as the other)."""
    net = RNN([[W_START]], b=[B_START[activation]], activation=activation)
    start = find_fixed_points(net).stable_points[0].x
    branch = continuation(net, "b[0]", start, B_RANGE)
    fold = next(b for b in branch.bifurcations if b.kind.value == "LP")
    return continue_bifurcation(net.with_params({"b[0]": fold.param}), fold, "W_rec[0,0]",
                                (max(W_RANGE[0], 0.0), W_RANGE[1]), bounds1=B_RANGE)


def add_arguments(parser) -> None:
    parser.add_argument("--store", default=None, help="resumable per-point store directory")
    parser.add_argument("--scheduler", default=None,
                        help="'serial' or a Dask scheduler address tcp://HOST:PORT "
                             "(default: a local process pool)")
    parser.add_argument("--workers", type=int, default=None, help="local pool size")
    parser.add_argument("--no-progress", dest="quiet", action="store_true",
                        help="same as --quiet")


def compute(args) -> dict:
    counts = sweep(one_unit_attractor_count, grid(args.quick), executor=args.scheduler,
                   store=args.store, max_workers=args.workers, progress=args.progress)
    return {"counts": counts, **{f"{a}_folds": fold_curve(a) for a in ACTIVATIONS}}


def draw(loaded, args) -> dict:
    return {"": figure_sweep_attractors(
        loaded["counts"], {a: [loaded[f"{a}_folds"]] for a in ACTIVATIONS},
        activations=ACTIVATIONS)}


def notes(loaded) -> list:
    counts = loaded["counts"]
    out = []
    for k, activation in enumerate(counts.coordinates["activation"]):
        share = np.mean(counts["n_attractors"][k] >= 2)
        out.append(f"{activation}: {share:.1%} of the (w, b) grid has two or more attractors")
        curve = loaded[f"{activation}_folds"]
        out += [f"{activation}: {curve!r}; cusp at w = {p.param2:.6g}, b = {p.param:.6g}"
                for p in curve.codim2]
    out.append(repr(counts))
    return out


def main(argv=None):
    args = parse_args(NAME, __doc__.splitlines()[0], argv, add_arguments)
    args.progress = not args.quiet
    return execute(NAME, args, compute, draw, notes)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(report(main()))
