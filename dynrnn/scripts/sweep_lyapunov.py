"""Largest Lyapunov exponent of random tanh networks over (weight gain, bias scale): where the
edge of chaos lies.

x_t = W tanh(x_{t-1}) + b with W_ij ~ N(0, g²/n) and b_i ~ N(0, s²): for small g the state settles
(λ₁ < 0); above g ≈ 1 the network becomes chaotic (λ₁ > 0), and long-term gradients, products of
the same Jacobians (Pascanu et al. 2013, eq. 5), grow like exp(λ₁ t). Biases saturate the units
(σ' smaller), which pushes the transition to larger g. This run sweeps gain × bias scale × seed
with :func:`dynrnn.sweep` and draws the seed-averaged λ₁ with its zero contour.

    python analysis/sweep_lyapunov.py                   # full run, local process pool
    python analysis/sweep_lyapunov.py --quick           # seconds
    python analysis/sweep_lyapunov.py --scheduler tcp://HOST:PORT --store runs/lyapunov
"""
from __future__ import annotations

import numpy as np

from ..plotting.sweeps import figure_sweep_lyapunov
from ..sweeps import sweep
from ._common import execute, parse_args, report
from .sweep_attractors import add_arguments
from .sweep_functions import largest_lyapunov_exponent

NAME = "sweep_lyapunov"


def settings(quick: bool, seed: int = 0) -> tuple[dict, dict]:
    """(grid axes, fixed arguments): full 29 gains x 16 bias scales x 2 seeds of n = 100 units."""
    if quick:
        return ({"gain": np.linspace(0.5, 3.0, 5), "bias_scale": np.linspace(0.0, 1.5, 4),
                 "seed": seed + np.arange(1)},
                {"n": 20, "n_steps": 200, "n_transient": 100})
    return ({"gain": np.linspace(0.2, 3.0, 29), "bias_scale": np.linspace(0.0, 1.5, 16),
             "seed": seed + np.arange(2)},
            {"n": 100, "n_steps": 1500, "n_transient": 500})


def compute(args) -> dict:
    axes, fixed = settings(args.quick, args.seed)
    return {"exponents": sweep(largest_lyapunov_exponent, axes, fixed=fixed,
                               executor=args.scheduler, store=args.store,
                               max_workers=args.workers, progress=args.progress)}


def draw(loaded, args) -> dict:
    result = loaded["exponents"]
    n = result.fixed.get("n")
    return {"": figure_sweep_lyapunov(
        result, title=f"Largest Lyapunov exponent of random tanh networks (n = {n}, mean of "
                      f"{len(result.coordinates['seed'])} seed(s))")}


def notes(loaded) -> list:
    result = loaded["exponents"]
    mean = np.nanmean(result["value"], axis=2)
    out = []
    for j, scale in enumerate(result.coordinates["bias_scale"]):
        gains = result.coordinates["gain"]
        chaotic = gains[mean[:, j] > 0]
        edge = f"λ₁ > 0 from gain {chaotic.min():.2f}" if chaotic.size else "λ₁ ≤ 0 throughout"
        out.append(f"bias scale {scale:.2f}: {edge}")
    out.append(repr(result))
    return out


def main(argv=None):
    args = parse_args(NAME, __doc__.splitlines()[0], argv, add_arguments)
    args.progress = not args.quiet
    return execute(NAME, args, compute, draw, notes)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(report(main()))
