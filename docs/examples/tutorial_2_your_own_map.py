"""
Your own map
============

dynrnn is not only for networks: any map written as sympy expressions gets its Jacobians
derived symbolically and every analysis of the library. Here the Hénon map
:math:`(x, y) \\mapsto (1 - a x^2 + y,\\; b x)`: its fixed points, a branch with its flip
(period doubling), and the flip and fold curves in the :math:`(a, b)` plane.
"""
# %%
# Define the map
# --------------
import matplotlib.pyplot as plt
import numpy as np
import sympy as sp

import dynrnn as dr
from dynrnn.plotting import plot_branch, plot_two_parameter

x, y, a, b = sp.symbols("x y a b")
henon = dr.Map.from_sympy([1 - a * x**2 + y, b * x], [x, y], {a: 0.2, b: 0.3})
print(henon)

# %%
# Fixed points
# ------------
# At the classic :math:`a = 1.4` both fixed points are saddles (the strange attractor lives
# between them). At :math:`a = 0.2` one of them is stable.
print(dr.find_fixed_points(henon.with_params({"a": 1.4}), seed=0))
stable = dr.find_fixed_points(henon, seed=0).stable_points[0]
print("stable point at a = 0.2:", np.round(stable.x, 4))

# %%
# A branch and its flip
# ---------------------
# Follow the stable point as :math:`a` grows. A multiplier crosses :math:`-1` at
# :math:`a = 3(1 - b)^2/4 = 0.3675`: a flip, where a stable 2-cycle is born.
branch = dr.continuation(henon, "a", stable.x, bounds=(0.0, 1.0), progress=False)
flip = branch.bifurcations[0]
print(branch)
print(flip.kind.value, "at a =", round(flip.param, 6),
      "(closed form", round(3 * 0.7**2 / 4, 6), ")")
figure, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
plot_branch(branch, ax=ax)
ax.set_xlabel("a")

# %%
# Two-parameter curves
# --------------------
# Continue the flip in :math:`(a, b)`; it must follow :math:`a = 3(1 - b)^2/4`. The fold, where
# the two fixed points are born (:math:`a = -(1 - b)^2/4`), is continued the same way from the
# fold of a branch in :math:`a`.
flip_curve = dr.continue_bifurcation(henon.with_params({"a": flip.param}), flip, "b", (0.0, 0.6))
error = np.max(np.abs(flip_curve.params[:, 0] - 0.75 * (1 - flip_curve.params[:, 1])**2))
print(flip_curve)
print(f"largest distance from the closed form: {error:.1e}")
start = henon.with_params({"a": -0.1})
point = dr.find_fixed_points(start, seed=0)[0]
to_fold = dr.continuation(start, "a", point.x, bounds=(-0.5, 0.0), direction="backward",
                          progress=False)
fold = next(bif for bif in to_fold.bifurcations if bif.kind.value == "LP")
print("fold at a =", round(fold.param, 6), "(closed form", round(-0.7**2 / 4, 6), ")")
fold_curve = dr.continue_bifurcation(henon.with_params({"a": fold.param}), fold, "b",
                                     (0.0, 0.6))
figure, ax = plt.subplots(figsize=(6, 4), layout="constrained")
plot_two_parameter([flip_curve, fold_curve], ax=ax)
plt.show()
