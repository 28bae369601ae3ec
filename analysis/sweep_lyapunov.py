"""Largest Lyapunov exponent of random tanh networks against the weight gain, over seeds.

x_t = W tanh(x_{t-1}) + b with W_ij ~ N(0, g²/n): below g ≈ 1 the state settles (λ₁ < 0), above it
the network becomes chaotic (λ₁ > 0), and long-term gradients, products of the same Jacobians
(Pascanu et al. 2013, eq. 5), grow like exp(λ₁ t). This run sweeps gain x seed and saves a
SweepResult npz (plots are made from it separately).

    python analysis/sweep_lyapunov.py                   # full run, local process pool
    python analysis/sweep_lyapunov.py --quick           # seconds
    python analysis/sweep_lyapunov.py --scheduler tcp://HOST:PORT --store runs/lyapunov
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import dynrnn as dr
from dynrnn.sweep_examples import largest_lyapunov_exponent

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "sweep_lyapunov.npz"


def settings(quick: bool) -> tuple[dict, dict]:
    if quick:
        return ({"gain": np.linspace(0.5, 3.0, 5), "seed": np.arange(2)},
                {"n": 20, "n_steps": 200, "n_transient": 100})
    return ({"gain": np.linspace(0.2, 3.0, 29), "seed": np.arange(8)},
            {"n": 100, "n_steps": 2000, "n_transient": 500})


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small run (seconds)")
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
    axes, fixed = settings(args.quick)
    result = dr.sweep(largest_lyapunov_exponent, axes, fixed=fixed, executor=args.scheduler,
                      store=args.store, max_workers=args.workers,
                      progress=not args.no_progress)
    path = result.to_npz(args.out)
    mean = np.nanmean(result["value"], axis=1)
    for gain, value in zip(result.coordinates["gain"], mean):
        print(f"gain {gain:5.2f}: mean largest Lyapunov exponent {value:+.4f}")
    print(f"{result!r}\nsaved {path}")
    return result


if __name__ == "__main__":
    outcome = main()
    sys.exit(0 if outcome.success else 1)
