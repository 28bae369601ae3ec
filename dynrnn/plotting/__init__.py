"""Plots of dynrnn results. The only part of dynrnn that imports matplotlib, and only inside the
functions, so ``import dynrnn`` needs no display. Every function takes result objects (computed
or loaded from disk) and never recomputes."""

# two-parameter curves and orbit diagrams
from .two_parameter import plot_orbit_diagram, plot_two_parameter

__all__: list[str] = [
    # two-parameter curves and orbit diagrams
    "plot_two_parameter", "plot_orbit_diagram",
]
