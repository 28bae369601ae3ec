"""Fig. 3 of Pascanu, Mikolov and Bengio (2013): the one-unit network x_t = 5 σ(x_{t-1}) + b with
b varied, for the logistic sigmoid and for tanh (the paper does not name σ; Doya 1993).

Continuation branches (stable solid, unstable dashed) are drawn over the orbit diagram; the two
folds (LP) that bound the bistable interval are labelled with their b values. For the sigmoid
the folds are at b = −2.6556 and −2.3444, for tanh at b = ±3.0287 (where 5 σ'(x*) = 1).

    python analysis/fig3_bifurcation.py [--quick] [--out DIR]
"""
from __future__ import annotations

import numpy as np

from ..analysis import bifurcation_diagram, orbit_diagram
from ..model import RNN
from ..plotting.figures import figure_fig3
from ._common import execute, parse_args, report

NAME = "fig3_bifurcation"
W = 5.0
#: b window per activation; each contains both folds.
WINDOWS = {"sigmoid": (-5.0, 0.0), "tanh": (-5.0, 5.0)}
#: Initial states of the orbit diagram, spread over every state the map can reach in the window
#: (x = 5σ(x) + b lies in [b_lo, 5 + b_hi] for the sigmoid, [b_lo - 5, 5 + b_hi] for tanh).
STATES = {"sigmoid": (-5.0, 5.0), "tanh": (-10.0, 10.0)}


def compute(args) -> dict:
    n_values = 120 if args.quick else 600
    results = {}
    for activation, (lo, hi) in WINDOWS.items():
        net = RNN([[W]], b=[lo], activation=activation)
        results[f"{activation}_branches"] = bifurcation_diagram(net, "b[0]", (lo, hi),
                                                                progress=args.progress)
        results[f"{activation}_orbits"] = orbit_diagram(
            net, "b[0]", np.linspace(lo, hi, n_values), n_transient=200 if args.quick else 500,
            n_keep=10 if args.quick else 30,
            x0s=np.linspace(*STATES[activation], 9)[:, None])
    return results


def draw(loaded, args) -> dict:
    panels = [(f"σ = {'logistic sigmoid' if a == 'sigmoid' else 'tanh'}",
               loaded[f"{a}_branches"], loaded[f"{a}_orbits"]) for a in WINDOWS]
    return {"": figure_fig3(panels)}


def notes(loaded) -> list:
    out = []
    for activation in WINDOWS:
        folds = [b.param for br in loaded[f"{activation}_branches"].branches
                 for b in br.bifurcations if b.kind.value == "LP"]
        out.append(f"{activation}: folds at b = " + ", ".join(f"{p:.6f}" for p in sorted(folds)))
    return out


def main(argv=None):
    args = parse_args(NAME, __doc__.splitlines()[0], argv)
    return execute(NAME, args, compute, draw, notes)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(report(main()))
