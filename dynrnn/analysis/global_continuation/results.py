r"""The vocabulary and results of :func:`~dynrnn.global_continuation`: the kinds and causes of
events, the status, :class:`AttractorEvent`, :class:`GlobalContinuationResult`, and the
Hausdorff distance by which attractors are matched.

.. math::

    d_H(A, B) = \max\Big(\max_{a \in A} \min_{b \in B} \|a - b\|_\infty,\;
                         \max_{b \in B} \min_{a \in A} \|a - b\|_\infty\Big)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._tables import TableSpec, Tabular
from ...errors import InvalidInputError
from ..basins import AttractorKind, MessageEnum
from ..special_points import Bifurcation

__all__ = ["AttractorEventKind", "AttractorEventCause", "GlobalContinuationStatus",
           "AttractorEvent", "GlobalContinuationResult", "hausdorff_distance"]



class AttractorEventKind(MessageEnum):
    """What happened to an attractor between two parameter values."""

    BIRTH = "birth"
    DEATH = "death"
    PERIOD_CHANGE = "period change"


class AttractorEventCause(MessageEnum):
    """Why an attractor was born, died or changed period, as local continuation across the
    interval decides (see :mod:`~dynrnn.analysis.global_continuation.reconcile`).

    FOLD, FLIP, NEIMARK_SACKER, BRANCH_POINT and BORDER_COLLISION: the fixed point or cycle,
    continued across the interval (a birth backwards, a death or period change forwards), meets
    that bifurcation inside it (or just past the interval's end, when the attractor is
    non-hyperbolic exactly at that value). A fold that coincides in parameter and state with a
    branch point is a BRANCH_POINT (the side branches of a pitchfork turn there); a fold or branch
    point of a 2k-cycle at a point of period k is the FLIP of the k-cycle.
    NOT_REACHED: it crossed the whole interval without a bifurcation and is a hyperbolic stable
    attractor of the same period at the other value (every multiplier of modulus below
    1 − 10⁻⁶), where no initial state of the ensemble reached it; not a bifurcation.
    GLOBAL: a chaotic attractor born or dying (it cannot be continued; a crisis, a
    global bifurcation, is the likely cause, not a verified one). UNKNOWN: no continuation was
    possible (a quasi-periodic cloud, divergence, maps that cannot be continued, ``local=False``,
    or a continuation that failed), or the branch lost stability in the interval without a
    bifurcation continuation could locate (the event's ``note`` says which).
    """

    FOLD = "fold (LP) found by local continuation in the interval"
    FLIP = "flip (PD) found by local continuation in the interval"
    NEIMARK_SACKER = "Neimark–Sacker (NS) found by local continuation in the interval"
    BRANCH_POINT = ("branch point (BP, e.g. a pitchfork or transcritical point) found by local "
                    "continuation in the interval")
    BORDER_COLLISION = ("border collision (BC) of a piecewise-linear map found by local "
                        "continuation in the interval")
    NOT_REACHED = ("not reached: local continuation crossed the interval without a bifurcation, "
                   "so the fixed point or cycle existed at the other value too, a stable "
                   "attractor; no initial state reached it there")
    GLOBAL = ("global: a chaotic attractor appearing or vanishing, which local continuation "
              "cannot follow (a crisis is the likely cause; not verified)")
    UNKNOWN = ("unknown: no local continuation was possible (a quasi-periodic cloud, divergence, "
               "a parameter that cannot be continued, local=False, or a continuation that "
               "failed), or the branch lost stability without a located bifurcation (see the "
               "event's note)")


class GlobalContinuationStatus(MessageEnum):
    """Outcome of :func:`~dynrnn.global_continuation`; the value is the message."""

    COMPLETE = "basins computed and matched at every parameter value"
    PARTIAL = ("some parameter values failed or left states unresolved (see .value_success and "
               ".unresolved)")
    INTERRUPTED = "interrupted: the values after .n_done are missing (NaN fractions)"
    ALL_DIVERGED = ("every initial state diverged at every parameter value: the maps have no "
                    "bounded attractor in this region; choose a smaller box or other initial "
                    "states")


@dataclass(frozen=True, eq=False)
class AttractorEvent:
    """A birth, death or period change of one attractor between two parameter values.

    Attributes
    ----------
    kind : AttractorEventKind
    attractor : int
        The attractor's identity (column of ``fractions``).
    index : int
        First value index after the event (where a born attractor is first present, a dead one
        first absent).
    interval : (float, float)
        The parameter values ``values[index - 1]``, ``values[index]``.
    param : float
        The located parameter value: the linked bifurcation's, else the interval's midpoint.
        For a sequence of networks or a training run, the bifurcation is found on the straight
        line θ(s) = θ_{i-1} + s (θ_i − θ_{i-1}) and ``param`` is values[i-1] + s (values[i] −
        values[i-1]) (``bifurcation.param`` is s).
    cause : AttractorEventCause
    bifurcation : Bifurcation or None
        The local bifurcation linked to the event.
    note : str
        How the cause was decided when that is not plain from it (a relabelled fold, a
        bifurcation found just past the interval, why the cause is unknown); "" otherwise.
    """

    kind: AttractorEventKind
    attractor: int
    index: int
    interval: tuple
    param: float
    cause: AttractorEventCause
    bifurcation: Bifurcation | None = None
    note: str = ""

    def __repr__(self) -> str:
        return (f"AttractorEvent({self.kind.value} of attractor {self.attractor} at "
                f"{self.param:.6g} in ({self.interval[0]:.6g}, {self.interval[1]:.6g}): "
                f"{self.cause.name.lower()})")


@dataclass(frozen=True, eq=False)
class GlobalContinuationResult(Tabular):
    """Attractors with identities, and their basin fractions, across a parameter range.

    Attributes
    ----------
    values : ndarray, shape (n_values,)
        The parameter values (training steps for a training history; indices for a sequence of
        networks).
    param_name : str
    attractors : tuple of tuple
        ``attractors[i][j]``: the :class:`~dynrnn.analysis.basins.Attractor` with identity j at
        value i, or None where it is absent.
    fractions : ndarray, shape (n_values, n_ids)
        Basin fraction of each identity at each value (0 where absent and at values not
        computed: see ``value_success``).
    intervals : ndarray, shape (n_values, n_ids, 2)
        Wilson intervals of the fractions.
    present : ndarray of bool, shape (n_values, n_ids)
    n_attractors : ndarray of int, shape (n_values,)
        Attractors present at each value, divergence not counted.
    unresolved : ndarray, shape (n_values,)
        Share of unresolved initial states at each value (1 at values not computed).
    events : tuple of AttractorEvent
    tracked_states : ndarray, shape (n_tracked, n_states)
    tracked_labels : ndarray of int, shape (n_values, n_tracked)
        Identity of the attractor each tracked state falls into (-1 unresolved, -2 on an
        unstable set).
    match_threshold : float
    steps, loss, grad_norm : ndarray
        For a training history: every step's loss and gradient norm (empty otherwise).
    value_success : ndarray of bool, shape (n_values,)
    success : bool
    status : GlobalContinuationStatus
    n_done : int
    n_initial : int
    note : str
    """

    _table_spec = TableSpec(columns=("value=values", "n_attractors", "fraction=fractions",
                                     "unresolved"))

    values: np.ndarray
    param_name: str
    attractors: tuple
    fractions: np.ndarray
    intervals: np.ndarray
    present: np.ndarray
    n_attractors: np.ndarray
    unresolved: np.ndarray
    events: tuple
    tracked_states: np.ndarray
    tracked_labels: np.ndarray
    match_threshold: float
    steps: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    value_success: np.ndarray
    success: bool
    status: GlobalContinuationStatus
    n_done: int
    n_initial: int
    note: str = ""

    def __post_init__(self):
        # files written before every number was finite held NaN at values not computed
        if np.isnan(self.fractions).any() or np.isnan(self.unresolved).any():
            object.__setattr__(self, "fractions", np.nan_to_num(self.fractions))
            object.__setattr__(self, "unresolved", np.where(np.isnan(self.unresolved), 1.0,
                                                            self.unresolved))

    @property
    def n_ids(self) -> int:
        return int(self.fractions.shape[1])

    @property
    def exhaustive(self) -> bool:
        """Always False: at every value the attractors are those the ``n_initial`` initial
        states reach (see :attr:`BasinsResult.exhaustive`); ``note`` says so."""
        return False

    def events_table(self) -> list[dict]:
        """The births, deaths and period changes as rows, in the order of ``events``.

        Each row holds ``kind``, ``attractor`` (identity), ``param`` (located value),
        ``interval_low`` and ``interval_high`` (the neighbouring values around it), ``cause``
        (the :class:`AttractorEventCause` name: FOLD, FLIP, NEIMARK_SACKER, BRANCH_POINT or
        BORDER_COLLISION when local continuation meets that bifurcation inside the interval;
        NOT_REACHED when it crosses the interval and ends a stable attractor, so the attractor
        existed at the other value where the ensemble missed it, which is no bifurcation;
        GLOBAL for a chaotic attractor, a likely crisis; UNKNOWN when nothing could be
        continued or no bifurcation was found where stability was lost), ``bifurcation`` (the
        linked local bifurcation's kind, "" when there is none) and ``note`` (how the cause
        was decided, often "").

        >>> import numpy as np, dynrnn as dr
        >>> net = dr.RNN([[5.0]], b=[0.0], activation="tanh")
        >>> result = dr.global_continuation(net, "b[0]", np.linspace(-5, 5, 11), n_samples=100,
        ...                                 box=([-6.0], [6.0]), progress=False)
        >>> [(row["kind"], row["cause"], row["bifurcation"]) for row in result.events_table()]
        [('birth', 'FOLD', 'LP'), ('death', 'FOLD', 'LP')]
        """
        return [{"kind": e.kind.value, "attractor": int(e.attractor), "param": float(e.param),
                 "interval_low": float(e.interval[0]), "interval_high": float(e.interval[1]),
                 "cause": e.cause.name,
                 "bifurcation": "" if e.bifurcation is None else str(e.bifurcation.kind.value),
                 "note": e.note}
                for e in self.events]

    def kind_of(self, identity: int) -> AttractorKind:
        """The kind of an identity where it first appears."""
        for row in self.attractors:
            if row[identity] is not None:
                return row[identity].kind
        raise InvalidInputError(f"no attractor with identity {identity}",
                                argument="identity", value=identity)

    def __repr__(self) -> str:
        births = sum(e.kind is AttractorEventKind.BIRTH for e in self.events)
        deaths = sum(e.kind is AttractorEventKind.DEATH for e in self.events)
        counts = self.n_attractors[: self.n_done]
        span = f"{counts.min()}–{counts.max()}" if counts.size else "none"
        return (f"GlobalContinuationResult({self.param_name} over {self.values.size} values "
                f"[{self.values[0]:.6g}, {self.values[-1]:.6g}]: {self.n_ids} attractor "
                f"identities, {span} present at a time; {births} birth(s), {deaths} death(s); "
                f"status={self.status.name})")

    __str__ = __repr__


def hausdorff_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Hausdorff distance (∞-norm) between two state sets of shapes (p, n) and (q, n).

    >>> hausdorff_distance(np.array([[0.0], [1.0]]), np.array([[0.0]]))
    1.0
    """
    if a.shape[0] == 0 or b.shape[0] == 0:
        return 0.0 if a.shape[0] == b.shape[0] else float("inf")
    d = np.abs(a[:, None, :] - b[None, :, :]).max(axis=2)
    return float(max(d.min(axis=1).max(), d.min(axis=0).max()))

