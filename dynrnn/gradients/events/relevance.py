"""Relevance of a crossing to the states the loss depends on (issue 12 §2): its distance to those
states and to the trajectory of x0, and whether it is their attractor or a saddle on the boundary
of their basin."""
from __future__ import annotations

import numpy as np

from ...model.base import RecurrentMap
from .orbits import hausdorff, orbit, tail
from .results import CrossingRole, Relevance

__all__ = ["crossing_relevance"]


def _min_distance(points: np.ndarray, cloud: np.ndarray) -> float:
    cloud = cloud[np.all(np.isfinite(cloud), axis=-1)]
    if cloud.size == 0 or not np.all(np.isfinite(points)):
        return float("inf")
    return float(np.min(np.linalg.norm(points[:, None, :] - cloud[None, :, :], axis=-1)))


def crossing_relevance(net: RecurrentMap, x, period: int, eigenvalues, states, trajectory, *,
                       relevance_radius: float = 0.1, n_iter: int = 2000, n_tail: int = 12,
                       jump_tol: float = 1e-3, epsilon: float = 1e-4) -> Relevance:
    r"""Relevance of a crossing at state ``x`` (a point of a ``period``-cycle) of ``net`` = θ(s).

    With loss states :math:`S` (e.g. the asymptotic states of x0), trajectory :math:`T`,
    crossing orbit :math:`O = \{x, F(x), …, F^{p-1}(x)\}` and scale
    :math:`c = \max(1, \mathrm{RMS}_{y\in S}\lVert y\rVert)`:

    * ``distance_to_states`` = min over O × S of the distance, ``distance_to_trajectory`` likewise;
    * role ATTRACTOR: no multiplier outside the unit circle (a non-hyperbolic attractor at the
      crossing) and O within ``relevance_radius`` · c of S;
    * role BASIN_SADDLE: a multiplier outside the unit circle, and x ± ε v (v a real unstable
      eigenvector of the p-fold map) iterated ``n_iter`` times reach different attractors, one of
      which is the attractor of S: the point lies on the boundary of that basin;
    * relevant: role ATTRACTOR or BASIN_SADDLE, or a distance ≤ ``relevance_radius`` · c.

    Parameters
    ----------
    net : RecurrentMap
        The map at the crossing's s.
    x : array_like, shape (n,)
    period : int
    eigenvalues : array_like, shape (n,)
    states : ndarray, shape (m, n)
        The states the loss depends on.
    trajectory : ndarray, shape (t, n)
    relevance_radius : float
        The relative distance threshold (explicit, > 0).

    Returns
    -------
    Relevance
    """
    x = np.asarray(x, dtype=np.float64)
    states = np.atleast_2d(np.asarray(states, dtype=np.float64))
    trajectory = np.atleast_2d(np.asarray(trajectory, dtype=np.float64))
    points = np.vstack([x[None, :], orbit(net, x, max(int(period), 1) - 1)]) if period > 1 \
        else x[None, :]
    finite_states = states[np.all(np.isfinite(states), axis=-1)]
    scale = max(1.0, float(np.sqrt(np.mean(np.sum(finite_states ** 2, axis=-1))))
                if finite_states.size else 1.0)
    radius = float(relevance_radius) * scale
    d_states = _min_distance(points, states)
    d_traj = _min_distance(points, trajectory)
    mods = np.abs(np.asarray(eigenvalues))
    n_unstable = int(np.sum(mods > 1 + 1e-6))
    role = CrossingRole.NEITHER
    if n_unstable == 0 and d_states <= radius:
        role = CrossingRole.ATTRACTOR
    elif n_unstable > 0 and finite_states.size:
        role = _saddle_role(net, x, period, finite_states, n_iter=n_iter, n_tail=n_tail,
                            jump_tol=max(jump_tol, 1e-12), epsilon=epsilon, radius=radius)
    return Relevance(d_states, d_traj, role, radius, n_unstable)


def _saddle_role(net, x, period, states, *, n_iter, n_tail, jump_tol, epsilon, radius):
    """BASIN_SADDLE when the two sides of an unstable direction reach different attractors, one
    of them the attractor of the loss states."""
    u = net.resolve_input(None)
    J = np.eye(x.size)
    y = x.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(max(int(period), 1)):
            J = np.asarray(net.jacobian_unchecked(y, u)) @ J
            y = net.step_unchecked(y, u)
    if not np.all(np.isfinite(J)):
        return CrossingRole.NEITHER
    values, vectors = np.linalg.eig(J)
    target = tail(net, states[-1], n_iter, n_tail)
    order = np.argsort(-np.abs(values))
    for i in order[:3]:  # the three most unstable real directions are enough to decide
        if abs(values[i]) <= 1 + 1e-6 or abs(values[i].imag) > 1e-9:
            continue
        v = np.real(vectors[:, i])
        v = v / np.linalg.norm(v)
        step = epsilon * max(1.0, float(np.linalg.norm(x)))
        plus = tail(net, x + step * v, n_iter, n_tail)
        minus = tail(net, x - step * v, n_iter, n_tail)
        if not (np.all(np.isfinite(plus)) and np.all(np.isfinite(minus))):
            continue
        if hausdorff(plus, minus) > jump_tol and min(hausdorff(plus, target),
                                                      hausdorff(minus, target)) <= radius:
            return CrossingRole.BASIN_SADDLE
    return CrossingRole.NEITHER
