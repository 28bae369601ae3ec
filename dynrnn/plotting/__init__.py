"""Plots of dynrnn results. The only part of dynrnn that imports matplotlib, and only inside the
functions, so ``import dynrnn`` needs no display. Every function takes result objects (computed
or loaded from disk) and never recomputes."""

# -- fixed points and cycles (fixedpoints) --
from .fixed_points import plot_eigenvalues, plot_fixed_points

__all__: list[str] = ["plot_fixed_points", "plot_eigenvalues"]
