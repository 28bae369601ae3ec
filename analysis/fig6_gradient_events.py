"""Fig. 6 of Pascanu et al. (2013) as a training atlas: gradient descent on the one-unit loss
E = (σ(x_50) − 0.7)² from the wall of the error surface, with and without clipping, and the
crossing that explains each gradient spike.

    python3 analysis/fig6_gradient_events.py      # writes figures/fig6_training_atlas_*.png
"""
import os
import sys

import matplotlib

matplotlib.use("Agg")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402
from scipy.special import expit  # noqa: E402

import dynrnn as dr  # noqa: E402
from dynrnn.plotting import plot_error_surface, plot_training_atlas  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "figures")
B_WALL = 0.5 - 5.0 * expit(0.5)   # x0 = 0.5 is the unstable fixed point of w = 5 here
START, LR, STEPS, THRESHOLD = (5.0, B_WALL - 1e-4), 0.01, 40, 1.0


def main():
    plain, clipped = dr.descent_paths(START, lr=LR, steps=STEPS, clips=(None, THRESHOLD))
    events = {name: dr.find_gradient_events(res) for name, res in
              (("plain", plain), ("clipped", clipped))}
    wide = dr.error_surface(np.linspace(3.0, 11.0, 300), np.linspace(-5.0, 6.0, 300))
    zoom = dr.error_surface(np.linspace(4.95, 5.05, 300), np.linspace(-2.66, -2.56, 300))
    for name, res, surface in (("plain", plain, wide), ("clipped", clipped, zoom)):
        print(f"--- {name} ---")
        print(events[name].summary())
        fig = plot_training_atlas(res, events[name], surface=surface,
                                  title=f"Fig. 6 loss, {name} SGD (lr={LR})")
        fig.savefig(os.path.join(OUT, f"fig6_training_atlas_{name}.png"), dpi=100)
    ax = plot_error_surface(wide, [plain, clipped])
    ax.figure.savefig(os.path.join(OUT, "fig6_error_surface_paths.png"), dpi=100)


if __name__ == "__main__":
    main()
