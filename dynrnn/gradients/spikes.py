r"""The one definition of a gradient spike, shared by training recorders and the event analysis.

Step k is a spike when its gradient norm is non-finite, or when

.. math::

    r_k = \frac{\lVert g_k\rVert}{\operatorname{median} R_k} \ge \rho ,

with the reference set :math:`R_k`

* for k ≥ ``min_history``: the last ``window`` finite norms before step k (causal: step k is
  judged, online, as soon as its gradient is known);
* for the first ``min_history`` steps (the start-up, where fewer earlier norms exist): the finite
  norms of steps 0 … ``min_history`` other than k.

The definition is causal except during the start-up, and a recorder that keeps θ for every
start-up step (plus the analysis window after it) therefore stores, online, the parameters around
every spike that the offline analysis can flag: :class:`SpikeMonitor` is the online form and
:meth:`SpikeDefinition.detect` runs that same monitor over a finished history.

References
----------
Pascanu, Mikolov, Bengio (2013), §3 (exploding gradients show up as sudden norm spikes).
"""
from __future__ import annotations

import collections
from dataclasses import dataclass

import numpy as np

from .._checks import check_count
from ..errors import InvalidInputError

__all__ = ["SpikeDefinition", "SpikeMonitor", "DEFAULT_SPIKES"]


@dataclass(frozen=True)
class SpikeDefinition:
    """What counts as a gradient spike (see the module docstring for the equation).

    Attributes
    ----------
    ratio : float
        ρ > 1: a spike is a norm at least ρ times the median of its reference set.
    window : int
        Number of earlier finite norms in the reference set (≥ 1).
    min_history : int
        Length of the start-up (≥ 1); recorders keep θ for every start-up step.

    Examples
    --------
    >>> import numpy as np
    >>> g = np.ones(30); g[12] = 40.0
    >>> SpikeDefinition(ratio=10).detect(g)[0].tolist()
    [12]
    """

    ratio: float = 10.0
    window: int = 50
    min_history: int = 5

    def __post_init__(self):
        if isinstance(self.ratio, bool) or not isinstance(self.ratio, (int, float, np.integer,
                                                                      np.floating)) \
                or not (1 < float(self.ratio) < np.inf):
            raise InvalidInputError(f"threshold_ratio must be a finite number > 1 (a spike is a "
                                    f"norm that many times the median), got {self.ratio!r}",
                                    argument="threshold_ratio", value=self.ratio)
        check_count(self.window, "window", 1, non_integer=InvalidInputError,
                    remedy=" (earlier steps in the median)")
        check_count(self.min_history, "min_history", 1, non_integer=InvalidInputError)

    def monitor(self) -> SpikeMonitor:
        """A fresh online detector for this definition."""
        return SpikeMonitor(self)

    def keep_always(self, analysis_window: int) -> int:
        """Steps 0 … n − 1 whose θ a recorder must always keep so that start-up spikes (decided
        only at step ``min_history``) have ``analysis_window`` steps of θ on both sides."""
        return self.min_history + max(int(analysis_window), 1) + 1

    def detect(self, grad_norm, nonfinite=None) -> tuple[np.ndarray, np.ndarray]:
        """Spike steps and ratios r_k of a whole history of gradient norms.

        Parameters
        ----------
        grad_norm : array_like, shape (n_steps,)
        nonfinite : array_like of bool, shape (n_steps,), optional
            Steps recorded as non-finite (always spikes).

        Returns
        -------
        (spike_steps, ratios) : ndarray of int, ndarray of float, shape (n_steps,)
            NaN ratio where the reference set is empty or the norm is not finite.
        """
        g = np.asarray(grad_norm, dtype=np.float64)
        if g.ndim != 1 or g.size < 3:
            raise InvalidInputError(f"history too short to hold a spike: {g.size} step(s); need "
                                    "at least 3", argument="history", value=g.size)
        mon = self.monitor()
        ratios = np.array([mon.update(v)[1] for v in g])
        head = g[: self.min_history + 1]
        for k in range(min(self.min_history, g.size)):
            ref = np.delete(head, k)
            ratios[k] = _ratio(g[k], ref[np.isfinite(ref)])
        spikes = (ratios >= self.ratio) | ~np.isfinite(g)
        if nonfinite is not None:
            extra = np.asarray(nonfinite, dtype=bool)
            if extra.shape != g.shape:
                raise InvalidInputError(f"nonfinite must have shape {g.shape}, got "
                                        f"{extra.shape}", argument="nonfinite", value=extra.shape)
            spikes |= extra
        return np.flatnonzero(spikes), ratios


def _ratio(value: float, reference: np.ndarray) -> float:
    if not np.isfinite(value) or reference.size == 0:
        return float("nan")
    med = float(np.median(reference))
    if med > 0:
        return float(value / med)
    return float("inf") if value > 0 else float("nan")


class SpikeMonitor:
    """Online form of :class:`SpikeDefinition`: feed one norm per step, in order.

    ``update`` returns ``(is_spike, ratio)``; during the start-up (the first ``min_history``
    steps) ``is_spike`` is None unless the norm is non-finite: those steps are decided from later
    norms, which is why recorders keep their θ unconditionally.
    """

    def __init__(self, definition: SpikeDefinition):
        self.definition = definition
        self.finite: collections.deque = collections.deque(maxlen=definition.window)
        self.n_seen = 0

    def update(self, grad_norm: float, nonfinite: bool = False) -> tuple[bool | None, float]:
        value = float(grad_norm)
        k, self.n_seen = self.n_seen, self.n_seen + 1
        ratio = float("nan")
        if k >= self.definition.min_history:
            ratio = _ratio(value, np.fromiter(self.finite, dtype=np.float64))
        if np.isfinite(value):
            self.finite.append(value)
        if nonfinite or not np.isfinite(value):
            return True, ratio
        if k < self.definition.min_history:
            return None, ratio
        return bool(ratio >= self.definition.ratio), ratio

    # -- round trip through checkpoints ---------------------------------------------------------
    def state(self) -> dict:
        return {"spike_norms": np.asarray(self.finite, dtype=np.float64),
                "spike_seen": np.asarray(self.n_seen)}

    def restore(self, norms, n_seen: int) -> None:
        self.finite.clear()
        self.finite.extend(float(v) for v in np.asarray(norms, dtype=np.float64))
        self.n_seen = int(n_seen)


DEFAULT_SPIKES = SpikeDefinition()
