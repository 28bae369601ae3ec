"""Gradient spikes during training, explained by the bifurcations crossed (Doya 1993; Pascanu,
Mikolov and Bengio 2013, §2.2).

Two runs, each trained with plain SGD and a full parameter history, then analysed by
:func:`dynrnn.gradients.find_gradient_events`: every spike of the gradient norm is matched with the
folds/flips crossed and the basin boundaries of x₀ crossed on the updates around it.

* one-unit: x_t = w σ(x_{t-1}) + b on the Fig. 6 loss, from (w, b) = (5, −2) with a large learning
  rate, so the descent crosses the bistable region; the path is drawn over the error surface.
* network (not with --one-unit or --quick): a 6-unit tanh network on the temporal-order task of §4
  (length 10), initialised with large weights (N(0, 0.8²)) so that it has several attractors, and
  trained with a large learning rate (0.3) so that spikes occur within 300 updates.

    python analysis/training_atlas.py [--one-unit] [--quick] [--out DIR]
"""
from __future__ import annotations

import numpy as np

from ..gradients import error_surface, fig6_problem, find_gradient_events, initialise, train
from ..plotting.figures import figure_training_atlas
from ._common import execute, parse_args, report

NAME = "training_atlas"
START = (5.0, -2.0)


def _arguments(parser) -> None:
    parser.add_argument("--one-unit", action="store_true",
                        help="only the one-unit run (the quick reproduction)")


def compute(args) -> dict:
    net, batch, x0 = fig6_problem(*START)
    one = train(net, batch, steps=60 if args.quick else 200, lr=0.3, x0=x0, history="full",
                seed=args.seed, progress=args.progress)
    results = {
        "one_unit": one,
        "one_unit_events": find_gradient_events(one, progress=args.progress),
        "one_unit_surface": error_surface(np.linspace(3.5, 6.5, 60 if args.quick else 240),
                                          np.linspace(-4.0, 1.0, 60 if args.quick else 240)),
    }
    if not (args.quick or args.one_unit):
        net, readout = initialise("basic_tanh", 6, 6, 4, seed=args.seed, std=0.8)
        run = train(net, "temporal_order", readout=readout, steps=300, length=10,
                    batch_size=10, lr=0.3, history="full", seed=args.seed,
                    progress=args.progress)
        results["network"] = run
        results["network_events"] = find_gradient_events(run, threshold_ratio=5.0,
                                                         progress=args.progress)
    return results


def draw(loaded, args) -> dict:
    figures = {"one_unit": figure_training_atlas(
        loaded["one_unit"], loaded["one_unit_events"], surface=loaded["one_unit_surface"],
        title=f"One unit, x → w σ(x) + b on the Fig. 6 loss, from (w, b) = {START}:\n"
              "gradient spikes and the bifurcations crossed")}
    if "network" in loaded:
        figures["network"] = figure_training_atlas(
            loaded["network"], loaded["network_events"],
            title="6-unit tanh network, temporal-order task (length 10):\ngradient spikes and "
                  "the bifurcations crossed (under zero input)")
    return figures


def notes(loaded) -> list:
    return [f"{key}: " + loaded[key].summary().replace("\n", "\n          ")
            for key in ("one_unit_events", "network_events") if key in loaded]


def main(argv=None):
    args = parse_args(NAME, __doc__.splitlines()[0], argv, _arguments)
    return execute(NAME, args, compute, draw, notes)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(report(main()))
