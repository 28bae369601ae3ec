"""A scaled-down Fig. 7 of Pascanu, Mikolov and Bengio (2013): success rate against sequence
length on the temporal-order task, for the three initialisations of §4 (sigmoid, basic tanh,
smart tanh), trained with plain SGD and with clipping (threshold 1) plus the Ω regulariser
(eq. 9, weight 2), over 5 seeds.

Scale: the paper trains 50 units for up to 5M updates at lengths 50 to 200 (lr 0.01). Here, to
fit on 2 cores in minutes, 20 units are trained for 2,000 updates (batches of 20, lr 0.1) at
lengths 10, 20 and 40; success means below 1 % errors on 1,000 fresh sequences (the paper: on
10,000). The runs are a :func:`dynrnn.sweep` over init × method × length × seed.

    python analysis/fig7_success_rate.py [--quick] [--out DIR] [--scheduler tcp://HOST:PORT]
"""
from __future__ import annotations

import numpy as np

from ..gradients import initialise, train
from ..plotting.figures import figure_success_rate
from ..sweeps import sweep
from ._common import execute, parse_args, report

NAME = "fig7_success_rate"
INITS = ("sigmoid", "basic_tanh", "smart_tanh")
METHODS = ("sgd", "clip+reg")
FULL = dict(lengths=(10, 20, 40), seeds=5, steps=2000, n_units=20)
QUICK = dict(lengths=(10,), seeds=2, steps=20, n_units=4)
SCALE_NOTE = ("scaled down: {n_units} units, {steps:,} updates, lengths {lengths}, {seeds} seeds\n"
              "(the paper: 50 units, up to 5M updates, lengths 50 to 200)")


def train_point(init: str, method: str, length: int, seed: int, steps: int, n_units: int,
                lr: float = 0.1, eval_batch_size: int = 1000) -> dict:
    """One training run of the sweep: success (error rate below 1 %), error rate, final loss."""
    net, readout = initialise(str(init), int(n_units), 6, 4, seed=int(seed))
    regularised = str(method) == "clip+reg"
    result = train(net, "temporal_order", readout=readout, steps=int(steps), lr=lr,
                   batch_size=20, length=int(length), clip=1.0 if regularised else None,
                   regularizer=(2.0, "ratio") if regularised else None, seed=int(seed),
                   history="strided", param_stride=max(int(steps), 1), progress=False,
                   on_nonfinite="skip", eval_batch_size=eval_batch_size)
    return {"success": float(result.error_rate < 0.01), "error_rate": float(result.error_rate),
            "final_loss": float(np.nanmean(result.history.loss[-20:]))}


def _arguments(parser) -> None:
    parser.add_argument("--scheduler", default=None,
                        help="Dask scheduler tcp://HOST:PORT (default: a local pool of 2)")
    parser.add_argument("--workers", type=int, default=2)


def compute(args) -> dict:
    scale = QUICK if args.quick else FULL
    grid = {"init": list(INITS), "method": list(METHODS), "length": list(scale["lengths"]),
            "seed": list(range(scale["seeds"]))}
    executor = "serial" if args.quick and args.scheduler is None else args.scheduler
    result = sweep(train_point, grid, executor=executor, max_workers=args.workers,
                   progress=args.progress, fixed={"steps": scale["steps"],
                                                  "n_units": scale["n_units"],
                                                  "eval_batch_size": 200 if args.quick
                                                  else 1000})
    return {"sweep": result}


def draw(loaded, args) -> dict:
    s = loaded["sweep"]          # the caption states the scale the results were computed at
    note = SCALE_NOTE.format(n_units=int(s.fixed["n_units"]), steps=int(s.fixed["steps"]),
                             seeds=len(s.coordinates["seed"]),
                             lengths=", ".join(str(int(v)) for v in s.coordinates["length"]))
    return {"": figure_success_rate(loaded["sweep"], title="Temporal-order task, success rate "
                                                           f"(Fig. 7 of Pascanu et al. 2013)\n"
                                                           f"{note}")}


def notes(loaded) -> list:
    s = loaded["sweep"]
    rate = np.nanmean(s.data["success"], axis=s.axes.index("seed"))
    out = []
    for i, init in enumerate(s.coordinates["init"]):
        for j, method in enumerate(s.coordinates["method"]):
            out.append(f"{init:>10s} {method:>8s}: success " + ", ".join(
                f"L={int(L)}: {rate[i, j, k]:.2f}" for k, L in enumerate(s.coordinates["length"])))
    return out


def main(argv=None):
    args = parse_args(NAME, __doc__.splitlines()[0], argv, _arguments)
    return execute(NAME, args, compute, draw, notes)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(report(main()))
