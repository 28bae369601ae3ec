r"""Saddles between attractors: bisection to the basin boundary, then edge tracking.

For two attractors A and B, the segment x(s) = A + s (B − A) crosses the boundary of A's basin.
Bisection on s (each point's fate decided by iterating the map) puts a pair (a, b) of states on
either side of the boundary, |a − b| tiny. Both then follow the boundary, which is the stable
manifold of a saddle (the *edge state*), towards that saddle; they separate along its unstable
direction, and re-bisecting between their images keeps the pair on the boundary (Skufca, Yorke
& Eckhardt 2006). The states where the pair slows down are Newton starts next to the saddle.
Internal: :func:`~dynrnn.find_fixed_points` calls it in its later rounds.

References
----------
J. D. Skufca, J. A. Yorke, B. Eckhardt, "Edge of chaos in a parallel shear flow", Phys. Rev.
Lett. 96 (2006) 174101.
"""
from __future__ import annotations

import numpy as np

__all__: list[str] = []


def fates(system, u, X: np.ndarray, attractors: np.ndarray, *, n_steps: int,
          radius: float) -> np.ndarray:
    """Index of the attractor (rows of ``attractors``) each state of X (m, n) ends within
    ``radius`` (max norm) of after ``n_steps`` steps; −1 when none."""
    with np.errstate(all="ignore"):
        Y = X
        for _ in range(n_steps):
            Y = system.step_unchecked(Y, u)
    dist = np.max(np.abs(Y[:, None, :] - attractors[None]), axis=2)       # (m, a)
    nearest = np.argmin(np.where(np.isfinite(dist), dist, np.inf), axis=1)
    close = np.take_along_axis(dist, nearest[:, None], axis=1)[:, 0] <= radius
    return np.where(close, nearest, -1)


def _bisect(system, u, a, b, fa, attractors, *, n_levels, n_steps, radius):
    """Shrink each pair (a_i, b_i) with fate(a_i) = fa_i ≠ fate(b_i) to the basin boundary."""
    for _ in range(n_levels):
        mid = 0.5 * (a + b)
        f = fates(system, u, mid, attractors, n_steps=n_steps, radius=radius)
        same = f == fa
        a = np.where(same[:, None], mid, a)
        b = np.where(same[:, None], b, mid)
    return a, b


def edge_states(system, u, attractors: np.ndarray, pairs: np.ndarray, *, n_levels: int = 36,
                n_cycles: int = 4, advance: int = 6, fate_steps: int = 120,
                radius: float = 1e-3) -> np.ndarray:
    r"""Newton starts next to the saddles on the basin boundaries between pairs of attractors.

    Parameters
    ----------
    system : RecurrentMap
    u : ndarray or None
        The resolved constant input.
    attractors : ndarray, shape (n_attractors, n_states)
        Stable fixed points.
    pairs : ndarray of int, shape (n_pairs, 2)
        Index pairs into ``attractors``.
    n_levels : int
        Bisection levels per refinement (the pair's distance shrinks by 2^n_levels).
    n_cycles : int
        Edge-tracking cycles: advance the pair ``advance`` steps, then re-bisect.
    fate_steps, radius
        A state's fate is the attractor it is within ``radius`` (scaled by 1 + ‖A‖∞) of after
        ``fate_steps`` steps.

    Returns
    -------
    ndarray, shape (n_pairs · n_cycles, n_states)
        The midpoint of each pair after each cycle (pairs whose ends never split are dropped).
    """
    A = attractors[pairs[:, 0]]
    B = attractors[pairs[:, 1]]
    rad = radius * (1.0 + float(np.max(np.abs(attractors))))
    fa = fates(system, u, A, attractors, n_steps=fate_steps, radius=rad)
    fb = fates(system, u, B, attractors, n_steps=fate_steps, radius=rad)
    ok = (fa >= 0) & (fb >= 0) & (fa != fb)
    a, b, fa = A[ok], B[ok], fa[ok]
    out = []
    for _ in range(n_cycles):
        if a.shape[0] == 0:
            break
        a, b = _bisect(system, u, a, b, fa, attractors, n_levels=n_levels, n_steps=fate_steps,
                       radius=rad)
        out.append(0.5 * (a + b))
        with np.errstate(all="ignore"):
            for _ in range(advance):
                a = system.step_unchecked(a, u)
                b = system.step_unchecked(b, u)
        # after advancing, the ends may have crossed to other basins: keep the pairs that
        # still straddle a boundary, re-labelled with a's new fate
        fa = fates(system, u, a, attractors, n_steps=fate_steps, radius=rad)
        fb = fates(system, u, b, attractors, n_steps=fate_steps, radius=rad)
        keep = (fa != fb) & np.all(np.isfinite(a), axis=1) & np.all(np.isfinite(b), axis=1)
        a, b, fa = a[keep], b[keep], fa[keep]
    if not out:
        return np.empty((0, attractors.shape[1]))
    return np.concatenate(out, axis=0)
