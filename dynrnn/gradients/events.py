r"""Gradient events: spikes of the gradient norm during training, each explained (or not) by the
bifurcation or basin-boundary crossing that the parameter update made.

For a spike at step k, every stored segment θ(s) = θ_a + s(θ_b − θ_a), s ∈ [0, 1], between the
steps around k is examined:

1. the attractors of the autonomous map x ↦ F(x; θ(s)) (fixed points and, with ``max_period > 1``,
   cycles) at s = 0 are continued along s, and every bifurcation met on [0, 1] is reported with its
   kind, s, state and multipliers;
2. the initial state x0 of training is iterated to convergence under θ(s): if the attractor it
   approaches changes between s = 0 and s = 1, the change is located by bisection in s (the
   asymptotic state jumps there); a basin change at the s of a bifurcation is attributed to that
   bifurcation (e.g. a fold that destroys the attractor x0 was following), otherwise to the basin
   boundary (e.g. the unstable fixed point passing through x0);
3. the loss jump E(θ_{k+1}) − E(θ_k) is recorded.

A spike with neither a bifurcation nor a basin change on its segments is "unexplained"; nothing is
forced. The paper argues (§2.2) that crossing a bifurcation is neither necessary nor sufficient for
an exploding gradient, while crossing a basin boundary (for the given x0) is sufficient.

References
----------
K. Doya, "Bifurcations of recurrent neural networks in gradient descent learning", IEEE TNN (1993).
Pascanu, Mikolov, Bengio (2013), §2.2-§2.3.
L. Eisenmann, Z. Monfared, N. Göring, D. Durstewitz, "Bifurcations and loss jumps in RNN
training", NeurIPS 2023.
"""
from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from .._checks import check_count, check_executor
from .._tables import TableSpec, Tabular
from ..errors import InvalidInputError, InvalidTypeError
from ..model.base import RecurrentMap, as_finite_array
from .spikes import SpikeDefinition
from .training import TrainingHistory, TrainingResult

if TYPE_CHECKING:  # for annotations only: analysis imports gradients at run time
    from ..analysis.special_points import Bifurcation

__all__ = ["Crossing", "CrossingRole", "Relevance", "BasinChange", "GradientEvent",
           "GradientEvents", "EventCause", "EventsStatus", "find_gradient_events",
           "detect_spikes", "crossing_relevance"]


class EventCause(str, enum.Enum):
    BIFURCATION = "the initial state changed attractor at a bifurcation of that attractor"
    BASIN_BOUNDARY = "the initial state crossed a basin boundary (no bifurcation there)"
    BIFURCATION_NEARBY = ("a relevant bifurcation (near the states the loss depends on, or of "
                          "their attractor or its basin boundary) was crossed; x0 kept its "
                          "attractor")
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
class Relevance:
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

    @property
    def relevant(self) -> bool:
        return (self.role is not CrossingRole.NEITHER
                or min(self.distance_to_states, self.distance_to_trajectory) <= self.radius)


@dataclass(frozen=True)
class Crossing:
    """A bifurcation met on the segment θ(s) = θ_a + s(θ_b − θ_a) from ``step_a`` to ``step_b``.

    ``bifurcation`` is the typed :class:`~dynrnn.analysis.Bifurcation` (its ``param`` is s);
    ``kind``, ``s``, ``x``, ``eigenvalues`` and ``period`` read from it.
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

    @property
    def explained(self) -> bool:
        return self.cause in (EventCause.BIFURCATION, EventCause.BASIN_BOUNDARY,
                              EventCause.BIFURCATION_NEARBY)


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


def detect_spikes(grad_norm, *, threshold_ratio: float = 10.0, window: int = 50,
                  nonfinite=None) -> tuple[np.ndarray, np.ndarray]:
    """Spike steps and ratios of a history of gradient norms, by the one definition
    :class:`~dynrnn.gradients.spikes.SpikeDefinition` (``ratio=threshold_ratio``,
    ``window`` earlier steps in the median); non-finite steps are always spikes.

    Returns
    -------
    (spike_steps, ratios)
    """
    return SpikeDefinition(ratio=threshold_ratio, window=window).detect(grad_norm, nonfinite)


# ---------------------------------------------------------------------------------------------
# Attractors and their continuation along a segment
# ---------------------------------------------------------------------------------------------
def _orbit(net: RecurrentMap, x0: np.ndarray, n_iter: int) -> np.ndarray:
    """The iterates x_1 … x_{n_iter} of x0 under the autonomous map, shape (n_iter, n)."""
    x = np.array(x0, dtype=np.float64)
    u = net.resolve_input(None)
    out = np.empty((n_iter,) + x.shape)
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(n_iter):
            x = net.step_unchecked(x, u)
            out[i] = x
    return out


def _tail(net: RecurrentMap, x0: np.ndarray, n_iter: int, n_tail: int) -> np.ndarray:
    """Last ``n_tail`` of ``n_iter`` iterates of x0 (stopping early at a fixed point: when a
    block of 64 iterations moves the state by less than 1e-13 relative, the rest would repeat
    it)."""
    x = np.array(x0, dtype=np.float64)
    u = net.resolve_input(None)
    remaining = n_iter - n_tail
    with np.errstate(over="ignore", invalid="ignore"):
        while remaining > 0:
            block = min(64, remaining)
            start = x
            for _ in range(block):
                x = net.step_unchecked(x, u)
            remaining -= block
            if not np.all(np.isfinite(x)):
                break
            if np.max(np.abs(x - start)) <= 1e-13 * max(1.0, float(np.max(np.abs(x)))):
                break
    return _orbit(net, x, n_tail)


def _hausdorff(a: np.ndarray, b: np.ndarray) -> float:
    d = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=-1)
    return float(max(d.min(axis=1).max(), d.min(axis=0).max()))


def _basin_change(net_a, net_b, x0, step_a, step_b, *, n_iter, n_tail, jump_tol,
                  n_bisect=40) -> BasinChange | None:
    """Locate a jump of the asymptotic state of x0 along the segment by bisection in s."""
    def tail(s):
        return _tail(net_a.interpolate(net_b, s), x0, n_iter, n_tail)

    lo, hi = 0.0, 1.0
    tlo, thi = tail(lo), tail(hi)
    if not (np.all(np.isfinite(tlo)) and np.all(np.isfinite(thi))):
        return None
    if _hausdorff(tlo, thi) <= jump_tol:
        return None
    for _ in range(n_bisect):
        mid = 0.5 * (lo + hi)
        tm = tail(mid)
        # Keep the half across which the asymptotic state differs more: at a jump the difference
        # stays finite as the interval shrinks; where the state only moves, it shrinks to zero.
        if _hausdorff(tlo, tm) >= _hausdorff(tm, thi):
            hi, thi = mid, tm
        else:
            lo, tlo = mid, tm
        if _hausdorff(tlo, thi) <= jump_tol:
            return None  # the difference shrinks with the interval: the state moved, no jump
    jump = _hausdorff(tlo, thi)
    if jump <= jump_tol:
        return None
    return BasinChange(0.5 * (lo + hi), step_a, step_b, tlo, thi, jump)


# ---------------------------------------------------------------------------------------------
# Relevance of a crossing to the states the loss depends on
# ---------------------------------------------------------------------------------------------
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
    orbit = np.vstack([x[None, :], _orbit(net, x, max(int(period), 1) - 1)]) if period > 1 \
        else x[None, :]
    finite_states = states[np.all(np.isfinite(states), axis=-1)]
    scale = max(1.0, float(np.sqrt(np.mean(np.sum(finite_states ** 2, axis=-1))))
                if finite_states.size else 1.0)
    radius = float(relevance_radius) * scale
    d_states = _min_distance(orbit, states)
    d_traj = _min_distance(orbit, trajectory)
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
    target = _tail(net, states[-1], n_iter, n_tail)
    order = np.argsort(-np.abs(values))
    for i in order[:3]:  # the three most unstable real directions are enough to decide
        if abs(values[i]) <= 1 + 1e-6 or abs(values[i].imag) > 1e-9:
            continue
        v = np.real(vectors[:, i])
        v = v / np.linalg.norm(v)
        step = epsilon * max(1.0, float(np.linalg.norm(x)))
        plus = _tail(net, x + step * v, n_iter, n_tail)
        minus = _tail(net, x - step * v, n_iter, n_tail)
        if not (np.all(np.isfinite(plus)) and np.all(np.isfinite(minus))):
            continue
        if _hausdorff(plus, minus) > jump_tol and min(_hausdorff(plus, target),
                                                      _hausdorff(minus, target)) <= radius:
            return CrossingRole.BASIN_SADDLE
    return CrossingRole.NEITHER


# ---------------------------------------------------------------------------------------------
# Crossings on a segment
# ---------------------------------------------------------------------------------------------
def _crossings_library(net_a, net_b, step_a, step_b, max_period, notes: list,
                       starts_from=None) -> list:
    """Continue the fixed points (and cycles up to ``max_period``) of θ_a along the segment; return
    the located :class:`~dynrnn.analysis.Bifurcation` objects with s in [0, 1].

    ``starts_from`` (shape (m, n)), when given, restricts the search to the fixed points and
    cycles that Newton reaches from those states (the attractors the trajectories visit).
    """
    from ..analysis import continuation, find_fixed_points  # lazily: analysis is heavier
    from ..errors import DynrnnError
    kwargs = {"seed": 0} if starts_from is None else {"starts": starts_from, "seed": 0,
                                                      "box_fraction": 0.0}
    starts = [(np.asarray(fp.x), 1) for fp in find_fixed_points(net_a, **kwargs)]
    if max_period > 1:
        from ..analysis import find_cycles
        for p in range(2, max_period + 1):
            for cyc in find_cycles(net_a, p, **kwargs):
                if int(getattr(cyc, "period", p)) == p:
                    starts.append((np.asarray(cyc.x), p))
    out: list = []
    for x_star, period in starts:
        try:
            branch = continuation(net_a, ("line", net_b), start=x_star, bounds=(0.0, 1.0),
                                  p0=0.0, period=period)
        except DynrnnError as exc:  # a start that does not correct: say so, do not hide it
            notes.append(f"continuation from {np.round(x_star, 6).tolist()} (period {period}) "
                         f"on {step_a}->{step_b} failed: {exc}")
            continue
        if getattr(getattr(branch, "status", None), "name", "") == "INTERRUPTED":
            # The continuation keeps Ctrl-C as a status; here it must end the whole analysis
            # (find_gradient_events keeps the spikes already analysed).
            raise KeyboardInterrupt
        if not getattr(branch, "success", True):
            notes.append(f"continuation on {step_a}->{step_b} (period {period}) stopped: "
                         f"{getattr(branch, 'status', '?')}")
        for bif in branch.bifurcations:
            s = float(bif.param)
            if not -1e-12 <= s <= 1 + 1e-12:
                continue
            if any(b.kind == bif.kind and abs(float(b.param) - s) < 1e-6 for b in out):
                continue  # the same point reached from two branches
            out.append(bif)
    return out


CrossingFinder = Callable[[RecurrentMap, RecurrentMap, int, int], list]


def _check_count(name: str, value, minimum: int, allow_none: bool = False):
    if value is None and allow_none:
        return
    check_count(value, name, minimum, non_integer=InvalidInputError)


def _check_positive(name: str, value, allow_zero: bool = False):
    ok = (not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))
          and np.isfinite(value) and (value >= 0 if allow_zero else value > 0))
    if not ok:
        raise InvalidInputError(f"{name} must be a finite number {'>=' if allow_zero else '>'} 0, "
                                f"got {value!r}", argument=name, value=value)


class _HistorySource:
    """What the analysis needs from a history: norms, losses, x0 and θ_k as a map."""

    def __init__(self, hist: TrainingHistory):
        self.hist = hist
        self.grad_norm, self.nonfinite, self.loss = hist.grad_norm, hist.nonfinite, hist.loss
        self.n_steps, self.x0 = hist.n_steps, np.asarray(hist.x0, dtype=np.float64)

    def has_params(self, step: int) -> bool:
        return self.hist.has_params(step)

    def network_at(self, step: int):
        return self.hist.network_at(step)[0]


def _as_source(source, form: str = "elman"):
    if isinstance(source, TrainingResult):
        return _HistorySource(source.history)
    if isinstance(source, TrainingHistory):
        return _HistorySource(source)
    if isinstance(source, str) or hasattr(source, "__fspath__"):
        from .recording import load_recording
        source = load_recording(source)
    if hasattr(source, "event_source"):
        return source.event_source(form)
    if all(hasattr(source, a) for a in ("grad_norm", "nonfinite", "loss", "n_steps", "x0",
                                         "has_params", "network_at")):
        return source  # an adapter already
    raise InvalidTypeError(f"source must be a TrainingResult, TrainingHistory, a Recording or the "
                           f"path of a recording directory, got {type(source).__name__}",
                           argument="source", value=source)


def find_gradient_events(source, *, net_builder: Callable[[int], RecurrentMap] | None = None,
                         threshold_ratio: float = 10.0, median_window: int = 50,
                         window: int = 1, max_period: int = 1, n_iter: int = 2000,
                         n_tail: int = 12, jump_tol: float = 1e-3, s_tol: float = 1e-3,
                         relevance_radius: float = 0.1, states=None,
                         follow: str = "auto", max_events: int | None = None,
                         progress: bool = False,
                         continuation_method: str | CrossingFinder = "auto",
                         u=None, form: str = "elman", executor=None) -> GradientEvents:
    r"""Detect gradient-norm spikes in a training history and explain each by the crossings made.

    Parameters
    ----------
    source : TrainingResult, TrainingHistory, Recording or path
        A run of :func:`~dynrnn.train`, or a recording of a PyTorch loop made with
        ``dynrnn.torch.Recorder`` (the object or its directory).
    net_builder : callable, optional
        ``step -> map`` giving θ_step (defaults to the source's own; the readout is not part of
        the dynamics).
    threshold_ratio : float
        ρ of the spike definition (:class:`~dynrnn.gradients.spikes.SpikeDefinition`).
    median_window : int
        Earlier steps in the reference median of the spike definition.
    window : int
        Segments θ_j → θ_{j+1} examined for j = k − window … k + window − 1 (window 0: only the
        spike's own update θ_k → θ_{k+1}).
    max_period : int
        Continue cycles up to this period too (≥ 1).
    n_iter, n_tail : int
        Iterations of x0 to reach its attractor (≥ 1), and the number of final iterates compared
        (1 ≤ ``n_tail`` ≤ ``n_iter``; a multiple of every period of interest).
    jump_tol : float
        Minimum Hausdorff distance between the asymptotic states on the two sides of s for a
        basin change.
    s_tol : float
        A basin change within ``s_tol`` of a bifurcation is attributed to it.
    relevance_radius : float
        Relative distance under which a crossing counts as near the loss states or the trajectory
        (see :func:`crossing_relevance`); crossings neither near nor the states' attractor nor a
        saddle on its basin boundary are listed apart and explain nothing.
    states : array_like, shape (m, n), optional
        The states the loss depends on (default: the asymptotic states of x0 under θ(s)).
    follow : {"auto", "all", "visited"}
        "all" continues every fixed point (and cycle) found from random starts; "visited" only
        those that Newton reaches from the trajectory of x0 and from ``states`` (fast for large
        networks); "auto" is "all" up to 16 units.
    max_events : int, optional
        Analyse at most this many spikes (≥ 0; the status says when some were left).
    continuation_method : "auto", "library" or callable
        "auto"/"library" continue with ``dynrnn.analysis.continuation``; a callable
        ``finder(net_a, net_b, step_a, step_b) -> list of Bifurcation`` (``param`` = s) is used
        instead (the tests pass an independent one-unit scan this way).
    u : array_like, shape (n_inputs,), optional
        The constant input of the autonomous map analysed (default: each network's own ``u``,
        zeros for trained networks; for a recording, the constant input it was made with).
    form : {"elman", "pascanu"}
        For recordings of ``nn.RNN``: analyse the Elman map (state h, torch's) or its Pascanu
        conjugate (state x = W h + b; same bifurcations, see :class:`~dynrnn.ElmanRNN`).
    executor : None, "pool", "serial", str, Executor or dask Client
        Where the spikes are analysed, each independently (the convention of
        :func:`~dynrnn.basins`): None (default) in this process; "pool" a local process pool of
        2; a ``concurrent.futures`` executor; a Dask ``Client`` or a scheduler address
        ``"tcp://HOST:PORT"`` (through :mod:`dynrnn.sweeps`' executors). The networks of each
        spike's segments are sent to the worker, not the recording; the events are the same as
        in one process, in spike order. A ``continuation_method`` callable must then be
        picklable (a module-level function).

    Returns
    -------
    GradientEvents

    Raises
    ------
    InvalidInputError
        A history too short (fewer than 3 steps) or an argument out of range (before any work).

    References
    ----------
    Doya (1993); Pascanu, Mikolov, Bengio (2013), §2.2.

    Examples
    --------
    A plain gradient step from the wall of the Fig. 6 error surface:

    >>> import dynrnn as dr
    >>> from dynrnn.gradients import descent_paths
    >>> plain, = descent_paths((5.0, -2.61249), lr=0.01, steps=10, clips=(None,))
    >>> ev = dr.find_gradient_events(plain)
    >>> [(e.step, e.cause.name) for e in ev]
    [(0, 'BASIN_BOUNDARY')]
    """
    definition = SpikeDefinition(ratio=threshold_ratio, window=median_window)
    check_executor(executor)
    if net_builder is not None and not callable(net_builder):
        raise InvalidTypeError(f"net_builder must be None or a callable step -> map, got "
                               f"{type(net_builder).__name__}", argument="net_builder",
                               value=net_builder)
    if isinstance(continuation_method, str) and continuation_method in ("auto", "library"):
        method_name, finder = "library", None
    elif callable(continuation_method):
        method_name = getattr(continuation_method, "__name__", type(continuation_method).__name__)
        finder = continuation_method
    else:
        raise InvalidInputError(f"continuation_method must be 'auto', 'library' or a callable "
                                f"finder(net_a, net_b, step_a, step_b) -> bifurcations, got "
                                f"{continuation_method!r}", argument="continuation_method",
                                value=continuation_method)
    _check_count("window", window, 0)
    _check_count("max_period", max_period, 1)
    _check_count("n_iter", n_iter, 1)
    _check_count("n_tail", n_tail, 1)
    if n_tail > n_iter:
        raise InvalidInputError(f"n_tail ({n_tail}) must not exceed n_iter ({n_iter})",
                                argument="n_tail", value=n_tail)
    _check_count("max_events", max_events, 0, allow_none=True)
    _check_positive("jump_tol", jump_tol)
    _check_positive("s_tol", s_tol, allow_zero=True)
    _check_positive("relevance_radius", relevance_radius)
    if not isinstance(follow, str) or follow not in ("auto", "all", "visited"):
        raise InvalidInputError(f"follow must be 'auto', 'all' or 'visited', got {follow!r}",
                                argument="follow", value=follow)
    if not isinstance(form, str) or form not in ("elman", "pascanu", "rnn"):
        raise InvalidInputError(f"form must be 'elman' or 'pascanu', got {form!r}",
                                argument="form", value=form)
    src = _as_source(source, form)
    spikes, ratios = definition.detect(src.grad_norm, nonfinite=src.nonfinite)
    n_units = int(src.x0.size)
    if states is not None:
        states = np.atleast_2d(as_finite_array(states, "states"))
        if states.ndim != 2 or states.shape[1] != n_units or not np.all(np.isfinite(states)):
            raise InvalidInputError(f"states must be a finite array of shape (m, {n_units}), got "
                                    f"shape {states.shape}", argument="states",
                                    value=states.shape)
    if follow == "auto":
        follow = "all" if n_units <= 16 else "visited"
    base_builder = net_builder or src.network_at
    builder = base_builder if u is None else (lambda k: cast(Any, base_builder(k)).replace(u=u))
    has = (lambda k: True) if net_builder is not None else src.has_params
    status = EventsStatus.COMPLETE
    todo = spikes
    if max_events is not None and max_events < spikes.size:
        todo, status = spikes[:max_events], EventsStatus.TRUNCATED
    events = []
    iterator = todo
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(todo, desc="events", leave=False)
    options = dict(n_iter=n_iter, n_tail=n_tail, jump_tol=jump_tol, s_tol=s_tol,
                   relevance_radius=relevance_radius, states=states, follow=follow,
                   max_period=max_period, finder=finder)
    if executor is None:
        try:
            for k in iterator:
                events.append(_explain_spike(int(k), float(ratios[k]), src, builder, has, window,
                                             options))
        except KeyboardInterrupt:
            status = EventsStatus.INTERRUPTED
    else:
        events, interrupted = _explain_spikes_on(executor, todo, ratios, src, builder, has,
                                                 window, options, progress)
        if interrupted:
            status = EventsStatus.INTERRUPTED
    analysed_events = [e for e in events if e.cause is not EventCause.NOT_ANALYSED]
    if status is EventsStatus.COMPLETE and len(analysed_events) < len(events):
        status = EventsStatus.NOT_STORED
    frac = (float(np.mean([not e.explained for e in analysed_events]))
            if analysed_events else float("nan"))
    return GradientEvents(tuple(events), spikes, ratios, definition, frac, status,
                          status is EventsStatus.COMPLETE, method_name, float(relevance_radius))


def _segments(k: int, window: int, n_steps: int) -> list[tuple[int, int]]:
    # Segments θ_j → θ_{j+1} for j = k − window … k + window − 1 (always the update k → k+1).
    return [(j, j + 1) for j in range(k - window, k + max(window, 1))
            if j >= 0 and j + 1 <= n_steps]


class _SpikeSource:
    """The part of a source one spike's analysis reads, small enough to send to a worker: the
    norms and losses, x0, and the networks θ_j of the spike's segments (picklable)."""

    def __init__(self, src, builder, has, k: int, window: int):
        self.grad_norm, self.loss = src.grad_norm, src.loss
        self.n_steps, self.x0 = src.n_steps, src.x0
        steps = {j for segment in _segments(k, window, src.n_steps) for j in segment}
        self.networks = {j: builder(j) for j in sorted(steps) if has(j)}

    def has_params(self, step: int) -> bool:
        return step in self.networks

    def network_at(self, step: int):
        return self.networks[step]


def explain_spike_task(index: int, *, spikes: tuple) -> GradientEvent:
    """Worker side of ``find_gradient_events(executor=...)``: analyse ``spikes[index]``, a tuple
    ``(k, ratio, _SpikeSource, window, options)``."""
    k, ratio, source, window, options = spikes[int(index)]
    return _explain_spike(k, ratio, source, source.network_at, source.has_params, window, options)


def _explain_spikes_on(executor, todo, ratios, src, builder, has, window: int, options: dict,
                       progress: bool) -> tuple[list[GradientEvent], bool]:
    """Analyse the spikes ``todo`` through an executor (see :func:`find_gradient_events`); return
    the events in spike order and whether the run was interrupted (Ctrl-C: the events finished
    so far are kept)."""
    import functools
    from concurrent.futures import FIRST_COMPLETED, wait

    from ..sweeps.executors import resolve_executor
    work = []
    for k in todo:
        work.append(functools.partial(explain_spike_task, spikes=((
            int(k), float(ratios[k]), _SpikeSource(src, builder, has, int(k), window), window,
            options),)))
    pool, shutdown, _ = resolve_executor(None if executor == "pool" else executor, None,
                                         work[0] if work else explain_spike_task)
    results: dict[int, GradientEvent] = {}
    interrupted = False
    futures: dict = {}
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(work), desc="events", leave=False)
    try:
        futures = {pool.submit(task, 0): i for i, task in enumerate(work)}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                results[futures[future]] = future.result()
                if bar is not None:
                    bar.update(1)
    except KeyboardInterrupt:
        interrupted = True
        for future in futures:
            future.cancel()
    finally:
        if bar is not None:
            bar.close()
        shutdown(interrupted)
    return [results[i] for i in sorted(results)], interrupted


def _explain_spike(k: int, ratio: float, src, builder, has, window: int, o: dict) -> GradientEvent:
    """Examine the segments around spike k (see :func:`find_gradient_events`)."""
    n_steps = src.n_steps
    segs = _segments(k, window, n_steps)
    relevant: list[Crossing] = []
    irrelevant: list[Crossing] = []
    basins: list[BasinChange] = []
    notes: list[str] = []
    analysed: list[tuple[int, int]] = []
    for a, b in segs:
        if not (has(a) and has(b)):
            notes.append(f"parameters of steps {a}, {b} not stored")
            continue
        net_a, net_b = builder(a), builder(b)
        analysed.append((a, b))
        starts_from = None
        if o["follow"] == "visited":
            traj = _orbit(net_a, src.x0, o["n_iter"])
            pick = traj[np.linspace(0, len(traj) - 1, 16).astype(int)]
            extra = [] if o["states"] is None else [o["states"]]
            starts_from = np.vstack([src.x0[None, :], pick] + extra)
            starts_from = starts_from[np.all(np.isfinite(starts_from), axis=1)]
        if o["finder"] is None:
            bifs = _crossings_library(net_a, net_b, a, b, o["max_period"], notes, starts_from)
        else:
            bifs = list(o["finder"](net_a, net_b, a, b))
        for bif in bifs:
            net_s = net_a.interpolate(net_b, float(bif.param))
            traj = _orbit(net_s, src.x0, o["n_iter"])
            loss_states = traj[-o["n_tail"]:] if o["states"] is None else o["states"]
            rel = crossing_relevance(net_s, bif.x, int(bif.period), bif.eigenvalues, loss_states,
                                     traj, relevance_radius=o["relevance_radius"],
                                     n_iter=o["n_iter"], n_tail=o["n_tail"],
                                     jump_tol=o["jump_tol"])
            crossing = Crossing(bif, a, b, rel)
            (relevant if rel.relevant else irrelevant).append(crossing)
        bc = _basin_change(net_a, net_b, src.x0, a, b, n_iter=o["n_iter"], n_tail=o["n_tail"],
                           jump_tol=o["jump_tol"])
        if bc is not None:
            basins.append(bc)
    if not analysed:
        cause = EventCause.NOT_ANALYSED
    elif basins and any(abs(c.s - bc.s) <= o["s_tol"] and (c.step_a, c.step_b) ==
                        (bc.step_a, bc.step_b) for c in relevant + irrelevant for bc in basins):
        cause = EventCause.BIFURCATION
    elif basins:
        cause = EventCause.BASIN_BOUNDARY
    elif relevant:
        cause = EventCause.BIFURCATION_NEARBY
    elif irrelevant:
        cause = EventCause.IRRELEVANT_ONLY
    else:
        cause = EventCause.UNEXPLAINED
    jump = (float(src.loss[k + 1] - src.loss[k]) if k + 1 < n_steps else float("nan"))
    return GradientEvent(k, float(src.grad_norm[k]), ratio, jump, tuple(relevant), tuple(basins),
                         cause, tuple(analysed), tuple(notes), tuple(irrelevant))
