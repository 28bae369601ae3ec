"""Plots of dynrnn results. The only part of dynrnn that imports matplotlib, and only inside the
functions, so ``import dynrnn`` needs no display. Every function takes result objects (computed
or loaded from disk) and never recomputes."""

# -- continuation plots (cont1) --
from .diagrams import plot_bifurcation_diagram, plot_branch
# -- fixed points and cycles (fixedpoints) --
from .fixed_points import plot_eigenvalues, plot_fixed_points
# two-parameter curves and orbit diagrams
from .two_parameter import plot_orbit_diagram, plot_two_parameter
# -- training and gradients (gradients) --
from .training import (plot_error_surface, plot_gradient_by_distance, plot_jacobian_norms,
                       plot_training_atlas)

__all__: list[str] = ["plot_branch", "plot_bifurcation_diagram",
                      "plot_two_parameter", "plot_orbit_diagram",
                      "plot_fixed_points", "plot_eigenvalues",
                      "plot_training_atlas", "plot_error_surface", "plot_jacobian_norms",
                      "plot_gradient_by_distance"]
# -- figures of the scripted runs (user) --
from .figures import (figure_custom_map, figure_diagram, figure_fig3, figure_fig6,
                      figure_success_rate, figure_trained_network, figure_training_atlas,
                      save_figure)

__all__ += ["figure_diagram", "figure_fig3", "figure_fig6", "figure_training_atlas",
            "figure_success_rate", "figure_trained_network", "figure_custom_map", "save_figure"]
# -- parameter sweeps (sweepfig) --
from .sweeps import (figure_sweep_attractors, figure_sweep_lyapunov, plot_attractor_counts,
                     plot_lyapunov_map)

__all__ += ["plot_attractor_counts", "plot_lyapunov_map", "figure_sweep_attractors",
            "figure_sweep_lyapunov"]
# -- basins and global continuation (basins) --
from .basins import (figure_basins, figure_global_continuation, figure_training_basins,
                     plot_attractor_positions, plot_basin_fractions, plot_basins,
                     plot_fraction_areas, plot_training_basins)

__all__ += ["plot_basins", "plot_basin_fractions", "plot_fraction_areas",
            "plot_attractor_positions", "plot_training_basins", "figure_basins",
            "figure_global_continuation", "figure_training_basins"]
