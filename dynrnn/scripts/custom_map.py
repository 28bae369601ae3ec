"""A custom map through the public API only: the Hénon map (x, y) -> (1 − a x² + y, b x),
defined with :meth:`dynrnn.Map.from_sympy` (Jacobians derived symbolically).

Fixed points and their stability at the classic a = 1.4, b = 0.3; the branches in a (b = 0.3)
with the period-doubling cascade (flips at a = 3(1 − b)²/4 = 0.3675 and 0.9125) over the orbit
diagram; and in the (a, b) plane the curves of folds a = −(1 − b)²/4, of flips of the fixed point
a = 3(1 − b)²/4, and of flips of the 2-cycle.

    python analysis/custom_map.py [--quick] [--out DIR]
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from ..analysis import (
    bifurcation_diagram,
    continuation,
    continue_bifurcation,
    find_fixed_points,
    orbit_diagram,
)
from ..model import Map
from ..plotting.figures import figure_custom_map
from ._common import execute, parse_args, report

NAME = "custom_map"
A_BOUNDS = (-0.1, 1.4)
B0 = 0.3
B_BOUNDS = (-0.6, 0.6)


def henon(a: float, b: float = B0) -> Map:
    x, y, a_, b_ = sp.symbols("x y a b")
    return Map.from_sympy([1 - a_ * x ** 2 + y, b_ * x], [x, y], {a_: a, b_: b}, name="henon")


def compute(args) -> dict:
    system = henon(A_BOUNDS[0])
    classic = find_fixed_points(system.with_params({"a": 1.4}), seed=args.seed)
    diagram = bifurcation_diagram(system, "a", A_BOUNDS, max_period_doublings=2,
                                  seed=args.seed)
    orbits = orbit_diagram(system, "a", np.linspace(*A_BOUNDS, 150 if args.quick else 700),
                           n_transient=300 if args.quick else 1000,
                           n_keep=20 if args.quick else 100, x0s=[[0.1, 0.1], [-0.1, 0.0]])
    # The fold lies below A_BOUNDS (no fixed point exists there): reach it from the stable
    # fixed point at a = 0 by continuing towards smaller a.
    at_zero = system.with_params({"a": 0.0})
    fold_branch = continuation(at_zero, "a", find_fixed_points(at_zero).stable_points[0].x,
                               (-0.5, 0.0), direction="backward")
    specials = [fold_branch.bifurcations[0]]
    specials += [b for br in diagram.branches for b in br.bifurcations
                 if b.kind.value == "PD" and br.period <= 2][:2]
    curves = {f"curve_{k}_{b.kind.value}{b.period}": continue_bifurcation(
        system.with_params({"a": b.param}), b, "b", B_BOUNDS, bounds1=(-1.0, 3.0))
        for k, b in enumerate(specials)}
    return {"fixed_points": classic, "diagram": diagram, "orbits": orbits,
            "fold_branch": fold_branch, **curves}


def draw(loaded, args) -> dict:
    curves = [v for k, v in sorted(loaded.items()) if k.startswith("curve_")]
    return {"": figure_custom_map(loaded["diagram"], loaded["orbits"], curves,
                                  title="The Hénon map (x, y) → (1 − a x² + y, b x), defined "
                                        "with Map.from_sympy")}


def notes(loaded) -> list:
    out = [f"a = 1.4, b = 0.3: fixed point {p.description} at x = {np.round(p.x, 6)}"
           for p in loaded["fixed_points"]]
    out.append(loaded["diagram"].message)
    out += [repr(v) for k, v in sorted(loaded.items()) if k.startswith("curve_")]
    return out


def main(argv=None):
    args = parse_args(NAME, __doc__.splitlines()[0], argv)
    return execute(NAME, args, compute, draw, notes)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(report(main()))
