r"""The vectorised ensemble: a batch of states iterated together until each one settles.

.. math::

    x_{t+1} = F(x_t, u), \qquad \text{settled on a } k\text{-cycle when }
    \max_j |x_{t,j} - x_{t-k,j}| \le \varepsilon (1 + \max_j |x_{t,j}|)

States leave the batch as soon as they settle (or diverge), so the work is spent on the states
that are still moving.
"""
from __future__ import annotations

import numpy as np

from ...model.base import RecurrentMap
from .results import BasinsOptions

__all__ = ["Ensemble", "nearest_distance"]


class Ensemble:
    """Iterates batches of states until they settle; knows the map, its input and the options.

    Parameters
    ----------
    system : RecurrentMap
        Only its batched ``step_unchecked`` is used.
    u : ndarray, shape (n_inputs,), or None
        The constant input.
    options : BasinsOptions
        ``max_steps``, ``n_transient``, ``max_period``, ``settle_tol`` and
        ``divergence_threshold`` decide when a state has settled.
    """

    def __init__(self, system: RecurrentMap, u, options: BasinsOptions):
        self.system = system
        self.u = u
        self.options = options

    def step(self, x: np.ndarray) -> np.ndarray:
        """One step of every state of ``x`` (m, n)."""
        return self.system.step_unchecked(x, self.u)

    def settle(self, x0: np.ndarray, max_steps: int | None = None):
        """Iterate ``x0`` (m, n) until every state settles.

        Returns ``(final, period, steps)``: the last states, the detected period (k ≥ 1: a
        k-cycle, 0: not settled within ``max_steps``, -1: diverged) and the steps taken.
        """
        opts = self.options
        max_steps = opts.max_steps if max_steps is None else max_steps
        m, n = x0.shape
        final = np.array(x0, dtype=np.float64)
        period = np.zeros(m, dtype=np.int64)
        steps = np.zeros(m, dtype=np.int64)
        active = np.arange(m)
        xa = final.copy()
        taken = 0
        P = opts.max_period
        block = max(opts.n_transient, 1)
        with np.errstate(all="ignore"):
            while active.size and taken < max_steps:
                for _ in range(min(block, max_steps - taken)):
                    xa = self.step(xa)
                taken += min(block, max_steps - taken)
                history = np.empty((P + 1,) + xa.shape)
                history[0] = xa
                for k in range(1, P + 1):
                    history[k] = self.step(history[k - 1])
                taken += P
                newest = history[P]
                # overflow propagates (inf, then NaN), so the newest state shows a divergence
                size = np.abs(newest).max(axis=1)
                diverged = ~(size <= opts.divergence_threshold)
                scale = opts.settle_tol * (1.0 + size)
                # the least k with x_{t+P} = x_{t+P-k}, compared only for states not yet
                # settled at a smaller k (most settle at k = 1 once they have converged)
                least = np.zeros(newest.shape[0], dtype=np.int64)
                open_ = np.flatnonzero(~diverged)
                for k in range(1, P + 1):
                    if not open_.size:
                        break
                    close = np.abs(history[P - k, open_] - newest[open_]).max(axis=1) \
                        <= scale[open_]
                    least[open_[close]] = k
                    open_ = open_[~close]
                has = least > 0
                done = has | diverged
                if np.any(done):
                    idx = active[done]
                    period[idx] = np.where(diverged[done], -1, least[done])
                    final[idx] = history[P][done]
                    steps[idx] = taken
                xa = history[P][~done]
                active = active[~done]
                block = P
        if active.size:
            final[active] = xa
            steps[active] = taken
        return final, period, steps


def nearest_distance(points: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """∞-norm distance from each of ``points`` (m, n) to the nearest of ``reference`` (r, n)."""
    if reference.shape[0] <= 64:
        out = np.full(points.shape[0], np.inf)
        for row in reference:
            np.minimum(out, np.abs(points - row).max(axis=1), out=out)
        return out
    from scipy.spatial import cKDTree
    return cKDTree(reference).query(points, k=1, p=np.inf)[0]

