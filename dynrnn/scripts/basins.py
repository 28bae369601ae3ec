"""Basins of attraction and global continuation: the basins of a 2-unit network, the attractors
of x -> 5 tanh(x) + b followed over b with their basin fractions, and the basin fractions of the
autonomous network along a training run.

Pascanu, Mikolov and Bengio (2013, §2.3) note that a gradient explodes whenever the initial state
crosses the boundary between two basins of attraction, not only at a bifurcation. This run shows
the global picture behind that remark with :func:`dynrnn.basins` and
:func:`dynrnn.global_continuation`:

1. a 2-unit tanh network with four stable fixed points: its basins on a grid, the saddles on
   their common boundaries, and the basin fractions with 95 % intervals;
2. the one-unit network x -> 5 tanh(x) + b for b in [-5, 5]: one attractor, two between the folds
   b = ±3.0285 (where local continuation finds the fold that each birth and death is linked to),
   one again; the attractors over the continuation branches and the stacked basin fractions;
3. the Fig. 6 one-unit model (x -> w σ(x) + b) trained by gradient descent: the basin fractions of
   the autonomous network at every step, and the attractor the loss's initial state x0 falls into,
   under the loss and the gradient norm, with the spikes, folds and basin changes the training
   atlas finds (dr.find_gradient_events); the spike is the step where x0 changes basin.

    python analysis/basins.py            # 600 x 600 grid, 201 values of b, 200 training steps
    python analysis/basins.py --quick    # seconds
"""
from __future__ import annotations

import numpy as np

from ..analysis import basins, continuation, find_fixed_points, global_continuation
from ..gradients import find_gradient_events, train
from ..gradients.error_surface import fig6_problem
from ..model import RNN
from ._common import execute, parse_args, report

NAME = "basins"
#: A 2-unit tanh network with four stable fixed points (one per quadrant) and saddles between.
W_TWO_UNIT = [[2.0, 0.3], [-0.2, 2.0]]
B_TWO_UNIT = [0.1, -0.2]
BOX_TWO_UNIT = ([-3.0, -3.0], [3.0, 3.0])
B_RANGE = (-5.0, 5.0)
BOX_ONE_UNIT = ([-7.0], [7.0])
FIG6_START = (5.0, -2.0)            # the one-unit run of the training atlas


def add_arguments(parser) -> None:
    parser.add_argument("--scheduler", default=None,
                        help="run the grid's chunks and the parameter values through "
                             "dynrnn.sweep: 'pool' (local processes), 'serial' or a Dask "
                             "address tcp://HOST:PORT")


def compute(args) -> dict:
    quick = args.quick
    two_unit = RNN(W_TWO_UNIT, b=B_TWO_UNIT, activation="tanh")
    grid = basins(two_unit, grid=80 if quick else 600, box=BOX_TWO_UNIT, seed=args.seed,
                  executor=args.scheduler, progress=args.progress)
    one_unit = RNN([[5.0]], b=[0.0], activation="tanh")
    values = np.linspace(*B_RANGE, 21 if quick else 201)
    along_b = global_continuation(one_unit, "b[0]", values, box=BOX_ONE_UNIT,
                                  n_samples=100 if quick else 1000, seed=args.seed,
                                  executor=args.scheduler, progress=args.progress)
    start = find_fixed_points(one_unit).stable_points[0].x
    branch = continuation(one_unit, "b[0]", start, B_RANGE, direction="both")
    net, batch, x0 = fig6_problem(*FIG6_START)
    run = train(net, batch, steps=30 if quick else 200, lr=0.3, x0=x0, history="full",
                seed=args.seed, progress=args.progress)
    along_training = global_continuation(run, box=([-4.0], [8.0]),
                                         n_samples=60 if quick else 400, seed=args.seed,
                                         progress=args.progress)
    # the training atlas's spikes and crossings, drawn over the basin chart
    events = find_gradient_events(run)
    return {"two_unit": grid, "one_unit": along_b, "one_unit_branch": branch,
            "training": along_training, "training_events": events}


def draw(loaded, args) -> dict:
    from ..plotting.basins import figure_basins, figure_global_continuation, figure_training_basins
    return {"two_unit": figure_basins(loaded["two_unit"]),
            "one_unit": figure_global_continuation(loaded["one_unit"],
                                                   diagram=[loaded["one_unit_branch"]]),
            "training": figure_training_basins(loaded["training"],
                                               events=loaded.get("training_events"))}


def notes(loaded) -> list:
    # the searches start from finite ensembles: say what they cannot promise
    out = [repr(loaded["two_unit"]), f"  {loaded['two_unit'].note}",
           repr(loaded["one_unit"]), f"  {loaded['one_unit'].note}"]
    out += [repr(e) for e in loaded["one_unit"].events]
    training = loaded["training"]
    out.append(repr(training))
    labels = training.tracked_labels[:, 0]
    changes = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    out += [f"x0 changes basin (A{labels[i - 1]} -> A{labels[i]}) between steps "
            f"{training.values[i - 1]:.0f} and {training.values[i]:.0f}" for i in changes]
    return out


def main(argv=None):
    args = parse_args(NAME, __doc__.splitlines()[0], argv, add_arguments)
    return execute(NAME, args, compute, draw, notes)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(report(main()))
