r"""Basin boundaries: points on the common boundary of two basins by bisection along segments
between initial states of different labels, and, for 1-D maps, the boundary points exactly.

.. math::

    [a, b] \to \begin{cases} [m, b] & \ell(m) = \ell(a) \\ [a, m] & \ell(m) = \ell(b)
    \end{cases}, \quad m = \tfrac{a + b}{2}; \qquad
    \partial\mathcal B \cap \mathbb R \subset \{x^*\} \cup F^{-1}(\{x^*\}) \cup
    F^{-2}(\{x^*\}) \cup \dots

where x* are the unstable fixed points of the 1-D map (the preimages are found by Brent's
method on a fine grid of sign changes).
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ...model.base import RecurrentMap
from ..stability import FixedPoint
from .attractors import Catalogue
from .results import ON_UNSTABLE

__all__ = ["classify", "boundary_segments", "bisect_boundaries", "preimages",
           "exact_boundary_1d"]


def classify(catalogue: Catalogue, states: np.ndarray) -> np.ndarray:
    """Labels of ``states`` (m, n) among the attractors already known (-1 for any other)."""
    final, period, _ = catalogue.ensemble.settle(states)
    return catalogue.assign(final, period, create=False)


def boundary_segments(states: np.ndarray, labels: np.ndarray, grid: tuple, n_per_pair: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Pairs of initial states (i, j), shape (n_pairs, 2), with different resolved labels, near
    each other: grid neighbours, or for samples the nearest state of the other basin; at most
    ``n_per_pair`` per pair of attractors, spread over the boundary."""
    flat = labels.ravel()
    pairs = _grid_neighbours(labels) if grid else _nearest_across(states, flat, n_per_pair, rng)
    if pairs.size == 0:
        return pairs
    key = np.sort(np.stack([flat[pairs[:, 0]], flat[pairs[:, 1]]], axis=1), axis=1)
    chosen = []
    for pair in np.unique(key, axis=0):
        rows = np.flatnonzero(np.all(key == pair, axis=1))
        chosen.append(rows[np.linspace(0, rows.size - 1, min(n_per_pair, rows.size)).astype(int)])
    return pairs[np.unique(np.concatenate(chosen))]


def _grid_neighbours(labels: np.ndarray) -> np.ndarray:
    """Neighbouring grid points (along every axis) with different resolved labels, and the
    points on both sides of a grid point that landed exactly on an unstable set (label
    ``ON_UNSTABLE``): such a point lies on the boundary and would otherwise hide it."""
    flat = labels.ravel()
    shape = labels.shape
    index = np.arange(flat.size).reshape(shape)
    pairs = []
    for axis in range(len(shape)):
        for gap in (1, 2):
            a = np.take(index, np.arange(shape[axis] - gap), axis=axis).ravel()
            b = np.take(index, np.arange(gap, shape[axis]), axis=axis).ravel()
            keep = (flat[a] != flat[b]) & (flat[a] >= 0) & (flat[b] >= 0)
            if gap == 2:
                middle = np.take(index, np.arange(1, shape[axis] - 1), axis=axis).ravel()
                keep &= flat[middle] == ON_UNSTABLE
            pairs.append(np.stack([a[keep], b[keep]], axis=1))
    return np.concatenate(pairs) if pairs else np.empty((0, 2), int)


def _nearest_across(states: np.ndarray, flat: np.ndarray, n_per_pair: int,
                    rng: np.random.Generator) -> np.ndarray:
    """For each pair of basins, sampled states of one joined to their nearest of the other."""
    from scipy.spatial import cKDTree
    # in units of the ensemble's extent: squared distances of states of order 1e155 and more
    # overflow, and the neighbours are the same after a scaling per coordinate
    low = states.min(axis=0)
    span = states.max(axis=0) - low
    scaled = (states - low) / np.where(span > 0, span, 1.0)
    found = []
    kinds = [k for k in np.unique(flat) if k >= 0]
    for i, ka in enumerate(kinds):
        for kb in kinds[i + 1:]:
            ia, ib = np.flatnonzero(flat == ka), np.flatnonzero(flat == kb)
            sub = ia[rng.permutation(ia.size)[:max(4 * n_per_pair, 64)]]
            dist, nearest = cKDTree(scaled[ib]).query(scaled[sub], k=1)
            order = np.argsort(dist)[:n_per_pair]
            found.append(np.stack([sub[order], ib[nearest[order]]], axis=1))
    return np.concatenate(found) if found else np.empty((0, 2), int)


#: Where a segment is split when its midpoint reaches no attractor.
_OFF_CENTRE = 0.5 + 2.0 ** -8


def bisect_boundaries(catalogue: Catalogue, a: np.ndarray, b: np.ndarray, label_a: np.ndarray,
                      label_b: np.ndarray, n_bisect: int
                      ) -> tuple[np.ndarray, np.ndarray, float | None]:
    """Bisection on the segments [a_i, b_i] (m, n) whose ends lie in different basins.

    Returns the boundary points (k, n), the two labels each separates (k, 2), and the largest
    final segment length (None when no segment survived); a segment whose midpoint falls into a
    third basin is dropped, one whose midpoint reaches no attractor (it settled on an unstable
    set of the boundary, or did not settle) stops there.
    """
    a, b = a.copy(), b.copy()
    alive = np.ones(a.shape[0], bool)
    dropped = np.zeros(a.shape[0], bool)
    for _ in range(n_bisect):
        idx = np.flatnonzero(alive)
        if not idx.size:
            break
        mid = 0.5 * (a[idx] + b[idx])
        if np.all(np.abs(a[idx] - b[idx]) <= 4 * np.finfo(float).eps * (1 + np.abs(mid))):
            break
        lab = classify(catalogue, mid)
        # a midpoint exactly on an unstable set (the middle of a segment centred on an unstable
        # fixed point) reaches no attractor: split those segments off-centre instead
        odd = np.flatnonzero(lab < 0)
        if odd.size:
            mid[odd] = a[idx[odd]] + _OFF_CENTRE * (b[idx[odd]] - a[idx[odd]])
            lab[odd] = classify(catalogue, mid[odd])
        to_a = lab == label_a[idx]
        to_b = lab == label_b[idx]
        a[idx[to_a]] = mid[to_a]
        b[idx[to_b]] = mid[to_b]
        alive[idx[~(to_a | to_b)]] = False
        # a third basin in between: not this boundary. A midpoint that reaches no attractor
        # is within the settling tolerance of an unstable set on the boundary: the segment is
        # kept as it is (its length is then the accuracy)
        dropped[idx[~(to_a | to_b) & (lab >= 0)]] = True
    keep = ~dropped
    width = float(np.abs(a[keep] - b[keep]).max()) if np.any(keep) else None
    return 0.5 * (a[keep] + b[keep]), np.stack([label_a[keep], label_b[keep]], axis=1), width


def preimages(system: RecurrentMap, u, target: float, lower: float, upper: float,
              n_grid: int = 4001) -> list:
    """All x in [lower, upper] with F(x) = target (sign changes on a fine grid, then Brent)."""
    from scipy.optimize import brentq
    xs = np.linspace(lower, upper, n_grid)
    with np.errstate(all="ignore"):
        g = system.step_unchecked(xs[:, None], u)[:, 0] - target
    out = [float(x) for x, v in zip(xs, g) if v == 0]
    for i in np.flatnonzero(np.sign(g[:-1]) * np.sign(g[1:]) < 0):
        out.append(brentq(lambda s: float(system.step_unchecked(np.array([[s]]), u)[0, 0])
                          - target, xs[i], xs[i + 1], xtol=1e-15, rtol=4 * np.finfo(float).eps))
    return out


def exact_boundary_1d(catalogue: Catalogue, saddles: Iterable[FixedPoint], box: np.ndarray,
                      depth: int) -> np.ndarray:
    """1-D maps: the unstable fixed points ``saddles`` and their preimages up to ``depth``
    inside ``box`` (2, 1) at which the label changes, sorted."""
    ens = catalogue.ensemble
    lower, upper = float(box[0, 0]), float(box[1, 0])
    candidates = {float(p.x[0]) for p in saddles}
    frontier = list(candidates)
    for _ in range(depth):
        new = []
        for target in frontier:
            for x in preimages(ens.system, ens.u, target, lower, upper):
                if all(abs(x - c) > 1e-12 * (1 + abs(x)) for c in candidates):
                    candidates.add(x)
                    new.append(x)
        frontier = new
    points = np.array(sorted(c for c in candidates if lower <= c <= upper))
    if points.size == 0:
        return points
    delta = 1e-7 * max(1.0, upper - lower)
    sides = classify(catalogue, np.concatenate([points - delta, points + delta])[:, None])
    left, right = sides[:points.size], sides[points.size:]
    return points[(left != right) & (left >= 0) & (right >= 0)]

