"""
Why did my gradient explode?
============================

The smallest network whose gradient explodes: one unit, :math:`x_t = w\\,\\sigma(x_{t-1}) + b`
with the logistic sigmoid :math:`\\sigma` (Fig. 3 and Fig. 6 of Pascanu, Mikolov and Bengio
2013; Doya 1993). We find its bifurcations, see the wall they make in the loss, and what
gradient clipping does about it.
"""
# %%
# The map and its fixed points
# ----------------------------
# With :math:`w = 5` and :math:`b = -2.5` the unit is bistable: two stable fixed points and an
# unstable one between them, whose stable set is the boundary between the two basins.
import matplotlib.pyplot as plt
import numpy as np

import dynrnn as dr
from dynrnn.plotting import plot_bifurcation_diagram, plot_error_surface

net = dr.RNN([[5.0]], b=[-2.5], activation="sigmoid")
points = dr.find_fixed_points(net, seed=0)
print(points)
for point in points:
    print(f"x* = {point.x[0]: .4f}  {point.description}")

# %%
# The fold
# --------
# Follow the fixed points as the bias :math:`b` moves. Two folds (``LP``: an eigenvalue
# :math:`w\sigma'(x^*) = 1`) bound the bistable interval: outside it, one of the stable points
# has collided with the unstable one and disappeared.
diagram = dr.bifurcation_diagram(net.with_params({"b[0]": -5.0}), "b[0]", (-5.0, 0.0),
                                 progress=False)
folds = sorted(bif.param for branch in diagram.branches for bif in branch.bifurcations
               if bif.kind.value == "LP")
print("folds at b =", np.round(folds, 4))
figure, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
plot_bifurcation_diagram(diagram, ax=ax)
ax.set_title("one-unit network, w = 5")

# %%
# The wall
# --------
# Train :math:`(w, b)` so that :math:`\sigma(x_{50}) = 0.7` from :math:`x_0 = 0.5`. Where the
# unstable fixed point passes through :math:`x_0`, the orbit switches basin: the loss jumps and
# its gradient is huge. That is the wall of Fig. 6; it lies on the curve
# :math:`0.5 = w\,\sigma(0.5) + b`.
surface = dr.error_surface(np.linspace(0.0, 10.0, 60), np.linspace(-8.0, 2.0, 60))
print(f"loss from {surface.loss.min():.3g} to {surface.loss.max():.3g}; "
      f"largest gradient on the 60 x 60 grid {np.hypot(surface.grad_w, surface.grad_b).max():.3g}")

# %%
# The coarse grid steps over the wall: it is far thinner than the grid's spacing. A fine cut
# across it at :math:`w = 5`, where the wall sits at :math:`b = 0.5 - 5\sigma(0.5)`, finds the
# loss's jump and gradients thousands of times larger than anywhere on the grid.
from scipy.special import expit

b_wall = 0.5 - 5.0 * expit(0.5)
cut = dr.error_surface([5.0], np.linspace(b_wall - 0.01, b_wall + 0.01, 2001))
gradient = np.hypot(cut.grad_w, cut.grad_b).ravel()
steepest = cut.b_values[np.argmax(gradient)]
print(f"wall at b = {b_wall:.5f}; steepest point of the cut at b = {steepest:.5f}, "
      f"gradient norm {gradient.max():.4g}")

# %%
# Clipping
# --------
# Gradient descent from a point just below the wall, once plainly and once with the norm of the
# gradient clipped to 1 (Algorithm 1 of the paper). The plain step is thrown far away; the
# clipped step has norm at most ``lr * threshold`` and stays close.
plain, clipped = dr.descent_paths((5.0, b_wall - 1e-4), lr=0.01, steps=15, clips=(None, 1.0))
for name, run in (("plain", plain), ("clipped", clipped)):
    jumps = np.linalg.norm(np.diff(run.history.params, axis=0), axis=1)
    print(f"{name:8s} largest step {jumps.max():.3g}, final loss {run.history.loss[-1]:.3g}")
figure, ax = plt.subplots(figsize=(6, 4.5), layout="constrained")
plot_error_surface(surface, paths=(plain, clipped), ax=ax,
                   labels=("plain SGD", "clipped"))
plt.show()
