"""The result types of :func:`~dynrnn.gradients.find_gradient_events`: a spike's cause, its
crossings (each with its relevance to the states the loss depends on), basin changes, the events
and their table."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..._tables import TableSpec, Tabular, compact_repr
from ..spikes import SpikeDefinition

if TYPE_CHECKING:  # for annotations only: analysis imports gradients at run time
    from ...analysis.special_points import Bifurcation

__all__ = ["Crossing", "CrossingRole", "Relevance", "BasinChange", "GradientEvent",
           "GradientEvents", "EventCause", "EventsStatus"]


class EventCause(str, enum.Enum):
    BIFURCATION = "the initial state changed attractor at a bifurcation of that attractor"
    BASIN_BOUNDARY = "the initial state crossed a basin boundary (no bifurcation there)"
    BIFURCATION_NEARBY = ("a relevant bifurcation (near the states the loss depends on, or of "
                          "their attractor or its basin boundary) was crossed; x0 kept its "
                          "attractor")
    BORDER_COLLISION = ("a relevant border collision was crossed (a ReLU network: a point of the "
                        "states' attractor, of its basin boundary or near the states hit a "
                        "switching border z_i = 0 and the Jacobian jumped), or x0 changed "
                        "attractor at one")
    IRRELEVANT_ONLY = ("only bifurcations far from the states the loss depends on were crossed "
                       "(listed apart); not counted as an explanation")
    UNEXPLAINED = "no bifurcation and no basin change on the examined segments"
    NOT_ANALYSED = "the parameters around the spike were not stored (use history='full')"


class EventsStatus(str, enum.Enum):
    COMPLETE = "every spike was analysed"
    NOT_STORED = "some spikes could not be analysed: their parameters were not stored"
    TRUNCATED = "max_events stopped the analysis before the last spikes"
    INTERRUPTED = "interrupted (KeyboardInterrupt); the spikes analysed so far are kept"


class CrossingRole(str, enum.Enum):
    ATTRACTOR = "the attractor that the states the loss depends on reach"
    BASIN_SADDLE = "a saddle on the boundary of the basin of those states' attractor"
    NEITHER = "neither the states' attractor nor a saddle on its basin boundary"


@dataclass(frozen=True)
class Relevance(Tabular):
    """How a crossing relates to the states the loss depends on.

    A crossing is ``relevant`` when its role is ATTRACTOR or BASIN_SADDLE, or when it lies within
    ``radius`` of the loss states or of the trajectory of x0 (both at the crossing's s).

    Attributes
    ----------
    distance_to_states : float
        Smallest distance from a point of the crossing's orbit to the states the loss depends on.
    distance_to_trajectory : float
        Smallest distance to the trajectory of x0 under θ(s).
    role : CrossingRole
    radius : float
        The threshold used: ``relevance_radius`` × max(1, RMS norm of the loss states).
    n_unstable : int
        Multipliers of modulus > 1 + 1e-6 at the crossing.
    """

    distance_to_states: float
    distance_to_trajectory: float
    role: CrossingRole
    radius: float
    n_unstable: int

    _table_spec = TableSpec(one_row=True, columns=(
        "role", "distance_to_states", "distance_to_trajectory", "radius", "n_unstable",
        "relevant"))
    __repr__ = compact_repr

    @property
    def relevant(self) -> bool:
        return (self.role is not CrossingRole.NEITHER
                or min(self.distance_to_states, self.distance_to_trajectory) <= self.radius)


@dataclass(frozen=True)
class Crossing:
    """A bifurcation met on the segment θ(s) = θ_a + s(θ_b − θ_a) from ``step_a`` to ``step_b``.

    ``bifurcation`` is the typed :class:`~dynrnn.analysis.Bifurcation` (its ``param`` is s);
    ``kind``, ``s``, ``x``, ``eigenvalues`` and ``period`` read from it. For a piecewise-linear
    (ReLU) map it is a border collision: kind "BC", ``is_border_collision`` true and
    ``collision_type`` its :class:`~dynrnn.analysis.BorderCollisionType`.
    """

    bifurcation: Bifurcation
    step_a: int
    step_b: int
    relevance: Relevance | None = None

    @property
    def kind(self):
        """The :class:`~dynrnn.analysis.BifurcationKind` (a str enum: ``kind == "LP"`` works)."""
        return self.bifurcation.kind

    @property
    def s(self) -> float:
        return float(self.bifurcation.param)

    @property
    def x(self) -> np.ndarray:
        return self.bifurcation.x

    @property
    def eigenvalues(self) -> np.ndarray:
        return self.bifurcation.eigenvalues

    @property
    def period(self) -> int:
        return int(self.bifurcation.period)

    @property
    def relevant(self) -> bool:
        return self.relevance is None or self.relevance.relevant

    @property
    def is_border_collision(self) -> bool:
        """Whether this is a border collision of a piecewise-linear (ReLU) map (kind "BC")."""
        return self.kind == "BC"

    @property
    def collision_type(self):
        """The :class:`~dynrnn.analysis.BorderCollisionType` of a border collision, else None."""
        extra = getattr(self.bifurcation, "extra", None) or {}
        return extra.get("type") if self.is_border_collision else None


@dataclass(frozen=True)
class BasinChange:
    """The attractor reached from x0 changes at ``s`` on the segment ``step_a`` → ``step_b``.

    ``before``/``after`` are the asymptotic states (last ``n_tail`` iterates) just below and above
    ``s``; ``jump`` their Hausdorff distance.
    """

    s: float
    step_a: int
    step_b: int
    before: np.ndarray
    after: np.ndarray
    jump: float

    __repr__ = compact_repr


@dataclass(frozen=True)
class GradientEvent:
    """One gradient spike and its explanation.

    Attributes
    ----------
    step : int
    grad_norm, ratio : float
        ‖g_k‖ and its ratio to the reference median
        (:class:`~dynrnn.gradients.spikes.SpikeDefinition`).
    loss_jump : float
        E(θ_{k+1}) − E(θ_k) (NaN at the end of the history).
    crossings : tuple of Crossing
        The relevant crossings (those that may explain the spike).
    irrelevant_crossings : tuple of Crossing
        Crossings far from the states the loss depends on, listed apart.
    basin_changes : tuple of BasinChange
    cause : EventCause
    segments : tuple of (int, int)
        The segments examined.
    notes : tuple of str
    """

    step: int
    grad_norm: float
    ratio: float
    loss_jump: float
    crossings: tuple
    basin_changes: tuple
    cause: EventCause
    segments: tuple
    notes: tuple = ()
    irrelevant_crossings: tuple = ()

    __repr__ = compact_repr

    @property
    def explained(self) -> bool:
        return self.cause in (EventCause.BIFURCATION, EventCause.BASIN_BOUNDARY,
                              EventCause.BIFURCATION_NEARBY, EventCause.BORDER_COLLISION)


@dataclass(frozen=True)
class GradientEvents(Tabular):
    """All detected spikes with their explanations.

    Attributes
    ----------
    events : tuple of GradientEvent
    spike_steps : ndarray of int
        Every spike found (``events`` may hold fewer with ``max_events``).
    ratios : ndarray, shape (n_steps,)
        ‖g_k‖ / reference median for every step.
    definition : SpikeDefinition
    unexplained_fraction : float
        Share of analysed spikes without a relevant crossing or basin change (NaN without
        spikes).
    status : EventsStatus
    success : bool
        True when every spike was analysed.
    continuation : str
        "library" (dynrnn.analysis) or the name of the crossing finder passed in.
    relevance_radius : float
    """

    _table_spec = TableSpec(rows="events", columns=(
        "step", "grad_norm", "ratio", "loss_jump", "cause",
        ("n_crossings", lambda e: len(e.crossings)),
        ("n_basin_changes", lambda e: len(e.basin_changes))))

    events: tuple
    spike_steps: np.ndarray
    ratios: np.ndarray
    definition: SpikeDefinition
    unexplained_fraction: float
    status: EventsStatus
    success: bool
    continuation: str
    relevance_radius: float = 0.1

    @property
    def threshold_ratio(self) -> float:
        return float(self.definition.ratio)

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self):
        return iter(self.events)

    def counts(self) -> dict:
        """Number of events per cause (by cause name)."""
        return {c.name: sum(e.cause is c for e in self.events) for c in EventCause}

    def __repr__(self) -> str:
        counts = {k: v for k, v in self.counts().items() if v}
        by_cause = ", ".join(f"{k.lower()} {v}" for k, v in counts.items()) or "none"
        return (f"GradientEvents({len(self.events)} of {len(self.spike_steps)} spike(s) analysed "
                f"[{by_cause}]; unexplained fraction {self.unexplained_fraction:.3g}; "
                f"continuation {self.continuation}; status {self.status.name}: "
                f"{self.status.value})")

    __str__ = __repr__

    def summary(self) -> str:
        lines = [repr(self)]
        for e in self.events:
            kinds = ", ".join(f"{c.kind}@s={c.s:.4g} ({c.step_a}->{c.step_b})" for c in e.crossings)
            far = ", ".join(f"{c.kind}@s={c.s:.4g} (d={c.relevance.distance_to_states:.3g})"
                            for c in e.irrelevant_crossings if c.relevance is not None)
            basins = ", ".join(f"basin@s={b.s:.4g} ({b.step_a}->{b.step_b})"
                               for b in e.basin_changes)
            lines.append(f"step {e.step}: |g|={e.grad_norm:.3g} (x{e.ratio:.3g} median), "
                         f"dE={e.loss_jump:+.3g}: {e.cause.name}"
                         + (f"; {kinds}" if kinds else "") + (f"; {basins}" if basins else "")
                         + (f"; irrelevant: {far}" if far else ""))
        return "\n".join(lines)

