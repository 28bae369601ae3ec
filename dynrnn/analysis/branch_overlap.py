"""Whether a point or a branch lies on a branch already computed: the one de-duplicator used by
:func:`~dynrnn.bifurcation_diagram` and the command line's ``continue``.

A branch is the polyline through its points ``(x_i, p_i)`` in (state, parameter) space; the
distance of a point ``z`` to it is the distance to the nearest segment,

.. math::

    d(z) = \\min_i \\min_{t \\in [0, 1]} \\| z_i + t (z_{i+1} - z_i) - z \\|,

so a start that falls between two computed points is still recognised.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["distance_to_polyline", "branch_points", "duplicates_branch"]


def distance_to_polyline(z, points) -> float:
    """Euclidean distance from ``z`` (d,) to the polyline through ``points`` (m, d).

    Examples
    --------
    >>> distance_to_polyline([0.5, 1.0], [[0.0, 0.0], [1.0, 0.0]])
    1.0
    """
    z = np.asarray(z, dtype=np.float64)
    points = np.asarray(points, dtype=np.float64)
    if len(points) == 1:
        return float(np.linalg.norm(points[0] - z))
    a, b = points[:-1], points[1:]
    ab = b - a
    t = np.clip(np.einsum("ij,ij->i", z - a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab),
                                                              1e-300), 0.0, 1.0)
    return float(np.min(np.linalg.norm(a + t[:, None] * ab - z, axis=1)))


def branch_points(branch) -> np.ndarray:
    """The points ``(x_i, p_i)`` of a :class:`~dynrnn.analysis.Branch`, shape (n_points, n + 1)."""
    return np.column_stack([branch.states, branch.params])


def duplicates_branch(new, branches: Sequence, tol: float) -> bool:
    """Whether most of ``new`` (the median of its sampled points) lies within ``tol`` of an
    existing branch of the same period, possibly following another point of the same cycles
    (x, F(x), ..., F^{k-1}(x) all lie on the branch of k-cycles)."""
    same = [b for b in branches if b.period == new.period]
    if not same:
        return False
    step = max(1, new.n_points // 40)
    params = new.params[::step]
    states = new.states[::step]
    family = new.family
    orbits = [states]
    if new.period > 1 and family is not None:
        shifted = states
        for _ in range(new.period - 1):
            maps = [family.at(p) for p in params]
            shifted = np.array([m.step_unchecked(x, new.u if new.u is not None
                                                 else m.resolve_input(None))
                                for m, x in zip(maps, shifted)])
            orbits.append(shifted)
    for old in same:
        reference = branch_points(old)
        best = np.full(params.size, np.inf)
        for orbit in orbits:
            distances = [distance_to_polyline(q, reference)
                         for q in np.column_stack([orbit, params])]
            best = np.minimum(best, distances)
        if np.median(best) <= tol:
            return True
    return False
