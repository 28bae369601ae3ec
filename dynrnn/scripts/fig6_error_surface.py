"""Fig. 6 of Pascanu, Mikolov and Bengio (2013): the error surface of the one-unit model
x_t = w σ(x_{t-1}) + b (logistic σ, x₀ = 0.5, E = (σ(x₅₀) − 0.7)²) over (w, b), with its wall,
and gradient descent with and without clipping (Algorithm 1) from the same start.

The start sits just on the high-loss side of the wall: b slightly below the value where the
unstable fixed point passes through x₀ = 0.5 (0.5 = w σ(0.5) + b), so x₀ lies in the basin of the
low attractor. The plain step there is huge and throws the parameters far away; the clipped step
has norm lr · threshold and stays close.

    python analysis/fig6_error_surface.py [--quick] [--out DIR]
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit

from ..gradients import descent_paths, error_surface
from ..plotting.figures import figure_fig6
from ._common import execute, parse_args, report

NAME = "fig6_error_surface"
W0 = 5.0
B_WALL = 0.5 - W0 * expit(0.5)       # where the unstable fixed point crosses x0 = 0.5
START = (W0, B_WALL - 1e-4)
LR, THRESHOLD = 0.01, 1.0


def compute(args) -> dict:
    n = 80 if args.quick else 400
    steps = 20 if args.quick else 60
    plain, clipped = descent_paths(START, lr=LR, steps=steps, clips=(None, THRESHOLD))
    return {
        "surface": error_surface(np.linspace(0.0, 10.0, n), np.linspace(-8.0, 2.0, n)),
        "zoom": error_surface(np.linspace(W0 - 0.06, W0 + 0.06, n // 2),
                              np.linspace(B_WALL - 0.06, B_WALL + 0.06, n // 2)),
        "plain": plain,
        "clipped": clipped,
    }


def draw(loaded, args) -> dict:
    return {"": figure_fig6(loaded["surface"], loaded["plain"], loaded["clipped"],
                            zoom=loaded["zoom"], wall_w=W0)}


def notes(loaded) -> list:
    out = []
    for key in ("plain", "clipped"):
        p = loaded[key].history.params
        step = np.linalg.norm(np.diff(p, axis=0), axis=1)
        out.append(f"{key}: largest parameter step {step.max():.3g}, final (w, b) = "
                   f"({p[-1, 0]:.4g}, {p[-1, 1]:.4g}), final E = "
                   f"{loaded[key].history.loss[-1]:.3g}")
    return out


def main(argv=None):
    args = parse_args(NAME, __doc__.splitlines()[0], argv)
    return execute(NAME, args, compute, draw, notes)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(report(main()))
