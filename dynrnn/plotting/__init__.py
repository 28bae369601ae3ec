"""Plots of dynrnn results. The only part of dynrnn that imports matplotlib, and only inside the
functions, so ``import dynrnn`` needs no display. Every function takes result objects (computed
or loaded from disk) and never recomputes."""

# -- training and gradients (gradients) --
from .training import (plot_error_surface, plot_gradient_by_distance, plot_jacobian_norms,
                       plot_training_atlas)

__all__: list[str] = ["plot_training_atlas", "plot_error_surface", "plot_jacobian_norms",
                      "plot_gradient_by_distance"]
