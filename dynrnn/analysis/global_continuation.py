r"""Attractors and basin fractions followed across a parameter range: :func:`global_continuation`.

.. math::

    d_H(A, B) = \max\Big(\max_{a \in A} \min_{b \in B} \|a - b\|_\infty,\;
                         \max_{b \in B} \min_{a \in A} \|a - b\|_\infty\Big)
    \le \delta \;\Rightarrow\; A \text{ at } p_{i-1} \text{ and } B \text{ at } p_i
    \text{ are the same attractor}

At every parameter value the same ensemble of initial states is run by :func:`~dynrnn.basins`;
the attractors found are matched to those of the previous value by the Hausdorff distance of
their state sets (greedily, closest pairs first, each at most once, only below the threshold δ),
so every attractor keeps one identity across the range without any initial guess (the "global
continuation" of Datseris, Rossi & Wagemakers 2023). An attractor left unmatched at a value is a
death, one new at a value a birth. Each event is then checked against local continuation
(:func:`~dynrnn.continuation`) across the interval where it happened: a fixed point or cycle that
dies at a fold (LP) or a flip (PD) or is born at a fold is linked to that bifurcation; a birth or
death with no local bifurcation in the interval is reported as global (a crisis, or an attractor
appearing far from any known one).

The parameter may be a named parameter, a :class:`~dynrnn.model.families.ParameterFamily` such
as :class:`~dynrnn.LineBetween`, a sequence of networks (``param=None``), or the stored networks
θ_k of a training run (a :class:`~dynrnn.TrainingResult` or :class:`~dynrnn.TrainingHistory`),
where the initial state of the loss is tracked: a gradient spike whose initial state changed
basin shows up as a change of its label.
"""
from __future__ import annotations

import enum
import functools
import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .._checks import check_executor, check_seed
from .._tables import TableSpec, Tabular
from ..errors import ConvergenceError, InvalidInputError, InvalidTypeError, ShapeError
from ..model.base import RecurrentMap, as_finite_array
from ..model.families import LineBetween, ParameterFamily
from .basins import (UNRESOLVED, Attractor, AttractorKind, BasinsOptions,
                     _Catalogue, _Ensemble, _check_system, _resolve_input, initial_ensemble,
                     run_ensemble, summarise, wilson_interval)
from .special_points import Bifurcation, BifurcationKind
from .._signature_checks import checked_arguments

__all__ = ["global_continuation", "GlobalContinuationResult", "GlobalContinuationStatus",
           "AttractorEvent", "AttractorEventKind", "AttractorEventCause", "hausdorff_distance"]

#: States kept per attractor for matching (clouds are subsampled to this).
SAMPLE_SIZE = 256


class AttractorEventKind(str, enum.Enum):
    BIRTH = "birth"
    DEATH = "death"
    PERIOD_CHANGE = "period change"

    def __str__(self) -> str:
        return self.value


class AttractorEventCause(str, enum.Enum):
    """What local continuation says about an event."""

    FOLD = "fold (LP) found by local continuation in the interval"
    FLIP = "flip (PD) found by local continuation in the interval"
    NEIMARK_SACKER = "Neimark–Sacker (NS) found by local continuation in the interval"
    GLOBAL = ("global: local continuation crossed the interval without a bifurcation (a crisis, "
              "or an attractor appearing away from any known one)")
    UNKNOWN = ("unknown: no local continuation was possible (a cloud attractor, divergence, a "
               "parameter that cannot be continued, or a continuation that failed)")

    def __str__(self) -> str:
        return self.value


class GlobalContinuationStatus(str, enum.Enum):
    COMPLETE = "basins computed and matched at every parameter value"
    PARTIAL = ("some parameter values failed or left states unresolved (see .value_success and "
               ".unresolved)")
    INTERRUPTED = "interrupted: the values after .n_done are missing (NaN fractions)"

    def __str__(self) -> str:
        return self.value


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
    """

    kind: AttractorEventKind
    attractor: int
    index: int
    interval: tuple
    param: float
    cause: AttractorEventCause
    bifurcation: Bifurcation | None = None

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

    _table_spec = TableSpec(columns=("value=values", "n_attractors", "fraction=fractions"))

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


# -- one parameter value (module level so a sweep can send it to worker processes) ---------------
@dataclass(frozen=True)
class _Context:
    systems: tuple
    states: np.ndarray
    tracked: np.ndarray
    u: Any
    options: BasinsOptions


def _sample(a: Attractor) -> np.ndarray:
    step = max(1, int(math.ceil(a.states.shape[0] / SAMPLE_SIZE)))
    return a.states[::step]


def basins_at(index: int, *, context: _Context) -> dict:
    """Basins of ``context.systems[index]`` as fixed-shape arrays (what a sweep can carry)."""
    system = context.systems[int(index)]
    options = context.options
    u = _resolve_input(system, context.u)
    catalogue = _Catalogue(_Ensemble(system, u, options), full_clouds=False)
    everything = np.concatenate([context.states, context.tracked])
    labels, steps, _ = run_ensemble(catalogue, everything, progress=False)
    result = summarise(catalogue, everything, labels, steps, (),
                       np.full((2, system.n_states), np.nan), interrupted=False,
                       boundaries=False, seed=0, raise_on_failure=False)
    n_max = options.max_attractors + 1
    n = system.n_states
    out = {"labels": np.asarray(result.labels, dtype=np.int64),
           "kind": np.full(n_max, -1, dtype=np.int64), "period": np.zeros(n_max, np.int64),
           "lyapunov": np.full(n_max, np.nan), "residual": np.full(n_max, np.nan),
           "refined": np.zeros(n_max, bool), "stable": np.zeros(n_max, bool),
           "n_points": np.zeros(n_max, np.int64),
           "states": np.full((n_max, SAMPLE_SIZE, n), np.nan),
           "multipliers_real": np.full((n_max, n), np.nan),
           "multipliers_imag": np.full((n_max, n), np.nan)}
    kinds = list(AttractorKind)
    for j, a in enumerate(result.attractors[:n_max]):
        sample = _sample(a)
        out["kind"][j] = kinds.index(a.kind)
        out["period"][j] = a.period
        # NaN stands for None inside the fixed-shape summary; Attractor maps it back
        out["lyapunov"][j] = np.nan if a.lyapunov is None else a.lyapunov
        out["residual"][j] = np.nan if a.residual is None else a.residual
        out["refined"][j] = a.refined
        out["stable"][j] = a.stable
        out["n_points"][j] = sample.shape[0]
        out["states"][j, : sample.shape[0]] = sample
        if a.multipliers.size:
            out["multipliers_real"][j, : a.multipliers.size] = a.multipliers.real
            out["multipliers_imag"][j, : a.multipliers.size] = a.multipliers.imag
    return out


def _attractors_from(summary: dict) -> list:
    kinds = list(AttractorKind)
    out = []
    for j in np.flatnonzero(np.asarray(summary["kind"]) >= 0):
        period = int(summary["period"][j])
        multipliers = (np.asarray(summary["multipliers_real"][j])
                       + 1j * np.asarray(summary["multipliers_imag"][j])) if period > 0 \
            else np.empty(0, complex)
        out.append(Attractor(kinds[int(summary["kind"][j])],
                             np.array(summary["states"][j, : int(summary["n_points"][j])]),
                             period, multipliers, float(summary["lyapunov"][j]),
                             refined=bool(summary["refined"][j]),
                             residual=float(summary["residual"][j]),
                             stable=bool(summary["stable"][j])))
    return out


# -- matching and events --------------------------------------------------------------------------
def _match(previous: list, current: list, threshold: float) -> dict:
    """{current index: previous index} by greedy closest-pair matching below ``threshold``."""
    pairs = []
    for i, a in enumerate(previous):
        for j, b in enumerate(current):
            if (a.kind is AttractorKind.DIVERGENCE) != (b.kind is AttractorKind.DIVERGENCE):
                continue
            d = hausdorff_distance(a.states, b.states)
            if d <= threshold:
                pairs.append((d, i, j))
    used_i, out = set(), {}
    for d, i, j in sorted(pairs):
        if i not in used_i and j not in out:
            used_i.add(i)
            out[j] = i
    return out


def _local_link(family_at, attractor: Attractor, index: int, values: np.ndarray,
                forward: bool):
    """Continue ``attractor`` across (values[index-1], values[index]) and return the first
    fold/flip/NS inside the interval (forward: from values[index-1] for a death; else from
    values[index] backwards for a birth), or a cause without bifurcation."""
    from .continuation import continuation
    if attractor.period < 1 or family_at is None:
        return AttractorEventCause.UNKNOWN, None
    base, param, lo, hi = family_at(index)
    start_value = lo if forward else hi
    system = base(start_value)
    bounds = (min(lo, hi), max(lo, hi))
    direction = "forward" if (hi > lo) == forward else "backward"
    try:
        branch = continuation(system, param, attractor.x, bounds, p0=start_value,
                              period=attractor.period, direction=direction)
    except (ConvergenceError, InvalidInputError, InvalidTypeError, np.linalg.LinAlgError):
        return AttractorEventCause.UNKNOWN, None
    causes = {BifurcationKind.LP: AttractorEventCause.FOLD, BifurcationKind.PD: AttractorEventCause.FLIP,
              BifurcationKind.NS: AttractorEventCause.NEIMARK_SACKER}
    for bifurcation in branch.bifurcations:
        if bifurcation.kind in causes and bounds[0] <= bifurcation.param <= bounds[1]:
            return causes[bifurcation.kind], bifurcation
    if not branch.success:
        return AttractorEventCause.UNKNOWN, None
    return AttractorEventCause.GLOBAL, None


# -- input ----------------------------------------------------------------------------------------
def _from_training(source):
    """``(run, systems, track, steps, loss, grad_norm)`` for a training run, or None.

    A run is a :class:`~dynrnn.TrainingResult` or :class:`~dynrnn.TrainingHistory` from
    :func:`~dynrnn.train`, or a recording of a PyTorch training written by
    :class:`dynrnn.torch.Recorder` (a :class:`~dynrnn.gradients.recording.Recording` or the path
    of its directory)."""
    import os

    from ..gradients.recording import Recording, load_recording
    from ..gradients.training import TrainingHistory, TrainingResult
    if isinstance(source, (str, os.PathLike)):
        source = load_recording(source)
    if isinstance(source, Recording):
        if source.param_steps.size == 0:
            raise InvalidInputError(
                f"system: the recording {source.path!r} has no stored parameters θ_k: record "
                "with a smaller stride= (the Recorder stores θ every stride steps) so the networks along "
                "the run can be analysed", argument="system", value="Recording without params")
        steps = np.asarray(source.param_steps, dtype=np.int64)
        systems = tuple(source.network_at(int(step)) for step in steps)
        # the loss starts from h₀ = 0 (the torch modules' default initial state)
        track = np.zeros((1, systems[0].n_states))
        return (source, systems, track, np.asarray(source.steps, dtype=np.int64),
                np.asarray(source.loss, float), np.asarray(source.grad_norm, float))
    history = source.history if isinstance(source, TrainingResult) else source
    if not isinstance(history, TrainingHistory):
        return None
    if history.params.size == 0 or history.param_steps.size == 0:
        raise InvalidInputError(
            "system: the training history has no stored parameters θ_k: train with "
            "history='full' or 'strided' (param_stride=...) so the networks along the run can "
            "be analysed",
            argument="system", value="TrainingHistory without params")
    systems = tuple(history.network_at(int(step))[0] for step in history.param_steps)
    return (history, systems, np.asarray(history.x0, dtype=np.float64)[None],
            np.arange(history.n_steps), np.asarray(history.loss, float),
            np.asarray(history.grad_norm, float))


@checked_arguments
def global_continuation(system, param=None, values=None, *, initial_states=None, box=None,
                        n_samples: int = 500,
                        sampling: Literal["uniform", "gaussian"] = "uniform",
                        track=None, u=None, seed: int | None = 0,
                        match_threshold: float | None = None,
                        options: BasinsOptions | None = None, local: bool = True,
                        executor=None, raise_on_failure: bool = False,
                        progress: bool = True) -> GlobalContinuationResult:
    r"""Follow all attractors and their basin fractions across a parameter range.

    .. math::

        f_j(p_i) = \frac{\#\{k : x_0^{(k)} \in \mathcal B(A_j(p_i))\}}{N},
        \qquad A_j(p_i) \leftrightarrow A_{j'}(p_{i-1}) \iff
        d_H\big(A_j(p_i), A_{j'}(p_{i-1})\big) \le \delta

    Parameters
    ----------
    system : RecurrentMap, sequence of RecurrentMap, TrainingResult, TrainingHistory, Recording or path
        The map (with ``param`` and ``values``), a sequence of maps (``param=None``; the values
        default to 0, 1, ...), or a training run (its stored networks θ_k, the values are the
        steps k): from :func:`~dynrnn.train`, or a recording of a PyTorch training by
        :class:`dynrnn.torch.Recorder` (a :class:`~dynrnn.gradients.recording.Recording` or its
        directory; the autonomous maps of :meth:`Recording.network_at`, ElmanRNN, GRU or LSTM).
    param : str or ParameterFamily, optional
        A parameter name ("b[0]") or a family such as :class:`~dynrnn.LineBetween` (its
        ``at(value)`` gives the map).
    values : array_like, shape (n_values,)
        At least two parameter values, in order.
    initial_states, box, n_samples, sampling, u, seed, options
        The ensemble, as for :func:`~dynrnn.basins` (the same at every value; ``box``
        defaults to the invariant box of the first map).
    track : array_like, shape (n_tracked, n_states), optional
        States whose attractor is reported at every value; for a training run by default the
        initial state x₀ of the loss (h₀ = 0 for a recording).
    match_threshold : float, optional
        δ, the largest Hausdorff distance (∞-norm) between the state sets of one attractor at
        two neighbouring values. Default: half the largest box width (or of the spread of
        the initial states).
    local : bool
        Link births and deaths to local bifurcations by continuation.
    executor : None, "pool", "serial", str, Executor or dask Client
        None: the values one after the other in this process. Otherwise through
        :func:`dynrnn.sweep` ("pool" for its local process pool, a Dask address or client);
        the maps must then be picklable.
    raise_on_failure : bool
        Raise :class:`~dynrnn.ConvergenceError` (carrying the result) unless ``success``.
    progress : bool

    Returns
    -------
    GlobalContinuationResult

    References
    ----------
    G. Datseris, K. L. Rossi, A. Wagemakers, "Framework for global stability analysis of
    dynamical systems", Chaos 33 (2023) 073151 (global continuation, matching by distance).
    R. Pascanu, T. Mikolov, Y. Bengio, ICML 2013, §2.2–2.3.

    Examples
    --------
    x → 5 tanh(x) + b: one attractor, two between the folds b = ±3.0285, one again.

    >>> import numpy as np, dynrnn as dr
    >>> net = dr.RNN([[5.0]], b=[0.0], activation="tanh")
    >>> result = dr.global_continuation(net, "b[0]", np.linspace(-5, 5, 11), n_samples=200,
    ...                                 box=([-6.0], [6.0]), progress=False)
    >>> result.n_attractors.tolist()
    [1, 1, 2, 2, 2, 2, 2, 2, 2, 1, 1]
    >>> [(e.kind.value, e.cause.name, round(e.param, 4)) for e in result.events]
    [('birth', 'FOLD', -3.0285), ('death', 'FOLD', 3.0285)]
    """
    check_seed(seed)
    check_executor(executor)
    options = BasinsOptions() if options is None else options
    if not isinstance(options, BasinsOptions):
        raise InvalidTypeError(f"options must be a BasinsOptions, got {type(options).__name__}",
                               argument="options", value=options)
    history = None
    training = _from_training(system) if not isinstance(system, RecurrentMap) else None
    family = None
    if training is not None:
        history, systems, default_track, run_steps, run_loss, run_grad_norm = training
        values = np.asarray(history.param_steps, dtype=np.float64)
        if values.size < 2:
            raise InvalidInputError(f"system: the training run stores θ at {values.size} "
                                    "step(s); global continuation needs at least two",
                                    argument="system", value=int(values.size))
        param_name = "training step"
        if track is None:
            track = default_track
    elif isinstance(system, RecurrentMap):
        if param is None or values is None:
            raise InvalidInputError("global_continuation of one map needs param and values "
                                    "(or pass a sequence of maps with param=None)",
                                    argument="param", value=param)
        values = _check_values(values)
        if isinstance(param, ParameterFamily):
            family = param
            systems = tuple(family.at(float(v)) for v in values)
            param_name = family.name
        elif isinstance(param, str):
            system.check_param_names(param, argument="param")
            systems = tuple(system.with_params({param: float(v)}) for v in values)
            param_name = param
        else:
            raise InvalidTypeError(f"param must be a parameter name or a ParameterFamily, got "
                                   f"{param!r:.60}", argument="param", value=param)
    elif isinstance(system, (list, tuple)):
        if param is not None:
            raise InvalidInputError("param must be None for a sequence of maps",
                                    argument="param", value=param)
        systems = tuple(_check_system(s) for s in system)
        values = _check_values(np.arange(len(systems), dtype=np.float64) if values is None
                               else values)
        if len(values) != len(systems):
            raise ShapeError(f"values has {len(values)} entries for {len(systems)} maps",
                             argument="values", expected=len(systems), actual=len(values))
        if len({s.n_states for s in systems}) != 1:
            raise InvalidInputError("system: the maps of the sequence must have one state "
                                    f"dimension, got {sorted({s.n_states for s in systems})}",
                                    argument="system", value=len(systems))
        param_name = "index"
    else:
        raise InvalidTypeError(f"system must be a RecurrentMap, a sequence of them, or a "
                               f"training result/history, got {type(system).__name__}",
                               argument="system", value=system)
    first = systems[0]
    u_first = _resolve_input(first, u)
    states, _, region = initial_ensemble(first, u_first, initial_states=initial_states,
                                         grid=None, box=box, n_samples=n_samples,
                                         sampling=sampling, spread=0.1, seed=seed,
                                         options=options)
    tracked = np.empty((0, first.n_states)) if track is None else as_finite_array(track, "track")
    if tracked.ndim == 1:
        tracked = tracked[None]
    if tracked.ndim != 2 or tracked.shape[1] != first.n_states:
        raise ShapeError(f"track must have shape (n_tracked, {first.n_states}), got "
                         f"{tracked.shape}", argument="track",
                         expected=("n_tracked", first.n_states), actual=tracked.shape)
    if match_threshold is None:
        widths = (region[1] - region[0]) if np.all(np.isfinite(region)) else np.ptp(states, 0)
        match_threshold = 0.5 * float(max(np.max(widths), 1e-12))
    else:
        match_threshold = float(as_finite_array(match_threshold, "match_threshold"))
        if not match_threshold > 0:
            raise InvalidInputError(f"match_threshold must be positive, got {match_threshold}; "
                                    "it is the largest distance between the state sets of one "
                                    "attractor at neighbouring values", argument="match_threshold",
                                    value=match_threshold)
    context = _Context(systems, states, tracked, u, options)
    summaries, interrupted = _evaluate(context, len(systems), executor, progress)
    # -- identities -------------------------------------------------------------------------
    n_values, n_initial = len(systems), states.shape[0]
    rows: list = []                    # per value: {identity: Attractor}
    local_labels: list = []
    previous: dict = {}
    events: list = []
    n_ids = 0
    done = 0
    value_success = np.zeros(n_values, bool)
    for i in range(n_values):
        summary = summaries[i]
        if summary is None:
            if interrupted:
                break
            rows.append({})
            local_labels.append(None)
            previous = {}
            continue
        done = i + 1
        value_success[i] = True
        current = _attractors_from(summary)
        prev_ids = list(previous)
        matched = _match([previous[k] for k in prev_ids], current, match_threshold)
        identities = []
        for j, a in enumerate(current):
            if j in matched:
                identities.append(prev_ids[matched[j]])
            else:
                identities.append(n_ids)
                n_ids += 1
        row = dict(zip(identities, current))
        if i > 0 and local_labels[-1] is not None:
            for identity, a in row.items():
                if identity not in previous:
                    events.append((AttractorEventKind.BIRTH, identity, i, a))
                elif previous[identity].period != a.period:
                    events.append((AttractorEventKind.PERIOD_CHANGE, identity, i, previous[identity]))
            for identity, a in previous.items():
                if identity not in row:
                    events.append((AttractorEventKind.DEATH, identity, i, a))
        rows.append(row)
        local_labels.append((summary["labels"], identities))
        previous = row
    # -- arrays ------------------------------------------------------------------------------
    fractions = np.zeros((n_values, n_ids))
    present = np.zeros((n_values, n_ids), bool)
    unresolved = np.ones(n_values)
    tracked_labels = np.full((n_values, tracked.shape[0]), UNRESOLVED)
    attractors = []
    for i in range(n_values):
        row = rows[i] if i < len(rows) else {}
        attractors.append(tuple(row.get(k) for k in range(n_ids)))
        if i >= len(local_labels) or local_labels[i] is None:
            continue
        labels, identities = local_labels[i]
        labels = np.asarray(labels).astype(np.int64)     # a sweep may carry them as floats
        ids = np.asarray(identities + [UNRESOLVED], dtype=np.int64)
        mapped = np.where(labels >= 0, ids[np.where(labels >= 0, labels, -1)], labels)
        ensemble, along = mapped[:n_initial], mapped[n_initial:]
        counts = np.bincount(ensemble[ensemble >= 0], minlength=n_ids)[:n_ids]
        fractions[i] = counts / n_initial
        present[i] = [k in rows[i] for k in range(n_ids)]
        unresolved[i] = float(np.mean(ensemble == UNRESOLVED))
        tracked_labels[i] = along
    intervals = wilson_interval(fractions * n_initial, n_initial,
                                options.confidence)
    n_attr = np.array([sum(a is not None and a.kind is not AttractorKind.DIVERGENCE
                           for a in row) for row in attractors], dtype=np.int64)
    # -- events linked to local bifurcations -------------------------------------------------
    family_at = _family_for(systems, values, param, family, history) if local else None
    linked = []
    for kind, identity, i, a in events:
        interval = (float(values[i - 1]), float(values[i]))
        cause, bifurcation = AttractorEventCause.UNKNOWN, None
        if family_at is not None:
            cause, bifurcation = _local_link(family_at, a, i, values,
                                             forward=kind is not AttractorEventKind.BIRTH)
        if bifurcation is None:
            param_value = 0.5 * (interval[0] + interval[1])
        elif isinstance(param, str) or family is not None:
            param_value = float(bifurcation.param)
        else:   # s in [0, 1] on the line between two neighbouring networks
            param_value = interval[0] + float(bifurcation.param) * (interval[1] - interval[0])
        linked.append(AttractorEvent(kind, identity, i, interval, param_value, cause,
                                     bifurcation))
    if interrupted:
        status = GlobalContinuationStatus.INTERRUPTED
    elif not value_success.all() or np.max(unresolved) > 0:
        status = GlobalContinuationStatus.PARTIAL
    else:
        status = GlobalContinuationStatus.COMPLETE
    result = GlobalContinuationResult(
        values=np.asarray(values, dtype=np.float64), param_name=param_name,
        attractors=tuple(attractors), fractions=fractions, intervals=intervals,
        present=present, n_attractors=n_attr, unresolved=unresolved, events=tuple(linked),
        tracked_states=tracked, tracked_labels=tracked_labels, match_threshold=match_threshold,
        steps=run_steps if history is not None else np.empty(0, np.int64),
        loss=run_loss if history is not None else np.empty(0),
        grad_norm=run_grad_norm if history is not None else np.empty(0),
        value_success=value_success,
        success=status is not GlobalContinuationStatus.INTERRUPTED and bool(value_success.any()),
        status=status, n_done=done, n_initial=n_initial,
        note=(f"attractors matched between neighbouring values by Hausdorff distance ≤ "
              f"{match_threshold:.3g}"))
    if raise_on_failure and not result.success:
        raise ConvergenceError(f"global_continuation: {status.value}", result=result)
    return result


def _check_values(values) -> np.ndarray:
    values = as_finite_array(values, "values")
    if values.ndim != 1:
        raise ShapeError(f"values must be one-dimensional, got shape {values.shape}",
                         argument="values", expected=("n_values",), actual=values.shape)
    if values.size < 2:
        raise InvalidInputError(f"values must hold at least two parameter values to continue "
                                f"across, got {values.size}; use dr.basins for one value",
                                argument="values", value=values.tolist())
    steps = np.diff(values)
    if not (np.all(steps > 0) or np.all(steps < 0)):
        raise InvalidInputError("values must be strictly increasing or strictly decreasing",
                                argument="values", value=values.tolist())
    return values


def _family_for(systems, values, param, family, history):
    """``family_at(i) -> (map_at(value), param, lo, hi)`` for the interval before value i."""
    if isinstance(param, str):
        base = systems[0]
        return lambda i: (lambda v: base.with_params({param: v}), param, float(values[i - 1]),
                          float(values[i]))
    if family is not None:
        return lambda i: (family.at, family, float(values[i - 1]), float(values[i]))
    # a sequence of networks (or a training run): the straight line between neighbours
    def along_line(i):
        start, end = systems[i - 1], systems[i]
        line = LineBetween(start, end)
        return line.at, line, 0.0, 1.0
    from ..model.families import NETWORKS
    if all(isinstance(s, NETWORKS) for s in systems) and len({type(s) for s in systems}) == 1:
        return along_line
    return None


def _evaluate(context: _Context, n_values: int, executor, progress: bool):
    """The per-value summaries (None where a value failed) and whether we were interrupted."""
    summaries: list = [None] * n_values
    if executor is None:
        bar = None
        if progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=n_values, desc="global continuation", unit="value", leave=False)
        try:
            for i in range(n_values):
                try:
                    summaries[i] = basins_at(i, context=context)
                except (np.linalg.LinAlgError, FloatingPointError, ArithmeticError):
                    summaries[i] = None
                if bar is not None:
                    bar.update(1)
        except KeyboardInterrupt:
            return summaries, True
        finally:
            if bar is not None:
                bar.close()
        return summaries, False
    from ..sweeps import sweep
    result = sweep(functools.partial(basins_at, context=context),
                   {"index": np.arange(n_values)},
                   executor=None if executor == "pool" else executor, progress=progress)
    ok = np.asarray(result.point_status).ravel() == "done"
    for i in range(n_values):
        if ok[i]:
            summaries[i] = {key: np.asarray(array)[i] for key, array in result.data.items()}
    return summaries, False
