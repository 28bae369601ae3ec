"""The analysis of :func:`find_gradient_events`: spikes, their segments, the cause of each.

Consecutive spikes share segments (spike k examines θ_{k−1} → θ_k and θ_k → θ_{k+1} with the
default ``window=1``, spike k + 1 the second of these again), so every segment is analysed once
and its result shared by the spikes that contain it.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from ..._checks import check_count, check_executor
from ...errors import InvalidInputError, InvalidTypeError
from ...model.base import RecurrentMap, as_finite_array
from ..spikes import SpikeDefinition
from .crossings import CrossingFinder, library_crossings
from .orbits import basin_change, orbit
from .relevance import crossing_relevance
from .results import BasinChange, Crossing, EventCause, EventsStatus, GradientEvent, GradientEvents
from .sources import as_source, segments

__all__ = ["find_gradient_events", "detect_spikes"]


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
        "auto"/"library" continue with ``dynrnn.analysis.continuation`` (for piecewise-linear
        maps, PLRNN and ReLU networks, their border collisions through
        :func:`~dynrnn.analysis.border_collisions_between`, a ReLU Elman network on its
        Pascanu conjugate); a callable
        ``finder(net_a, net_b, step_a, step_b) -> list of Bifurcation`` (``param`` = s) is used
        instead (the tests pass an independent one-unit scan this way).
    u : array_like, shape (n_inputs,), optional
        The constant input of the autonomous map analysed (default: each network's own ``u``,
        zeros for trained networks; for a recording, the constant input it was made with).
    form : {"elman", "pascanu"}
        For recordings of ``nn.RNN``: analyse the Elman map (state h, torch's) or its Pascanu
        conjugate (state x = W h + b; same bifurcations, see :class:`~dynrnn.ElmanRNN`).
    executor : None, "pool", "serial", str, Executor or dask Client
        Where the segments are analysed, each independently (the convention of
        :func:`~dynrnn.basins`): None (default) in this process; "pool" a local process pool of
        2; a ``concurrent.futures`` executor; a Dask ``Client`` or a scheduler address
        ``"tcp://HOST:PORT"`` (through :mod:`dynrnn.sweeps`' executors). The two networks of
        each segment are sent to the worker, not the recording; the events are the same as in
        one process, in spike order. A ``continuation_method`` callable must then be picklable
        (a module-level function).

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
    method_name, finder = _check_arguments(
        executor=executor, net_builder=net_builder, continuation_method=continuation_method,
        window=window, max_period=max_period, n_iter=n_iter, n_tail=n_tail,
        max_events=max_events, jump_tol=jump_tol, s_tol=s_tol,
        relevance_radius=relevance_radius, follow=follow, form=form)
    src = as_source(source, form)
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
    options = dict(n_iter=n_iter, n_tail=n_tail, jump_tol=jump_tol, s_tol=s_tol,
                   relevance_radius=relevance_radius, states=states, follow=follow,
                   max_period=max_period, finder=finder)
    plan = _Plan(src, builder, has, window, options, ratios)
    if executor is None:
        events, interrupted = _analyse_serially(plan, todo, progress)
    else:
        events, interrupted = _analyse_on(executor, plan, todo, progress)
    if interrupted:
        status = EventsStatus.INTERRUPTED
    analysed_events = [e for e in events if e.cause is not EventCause.NOT_ANALYSED]
    if status is EventsStatus.COMPLETE and len(analysed_events) < len(events):
        status = EventsStatus.NOT_STORED
    frac = (float(np.mean([not e.explained for e in analysed_events]))
            if analysed_events else float("nan"))
    return GradientEvents(tuple(events), spikes, ratios, definition, frac, status,
                          status is EventsStatus.COMPLETE, method_name, float(relevance_radius))


def _check_arguments(*, executor, net_builder, continuation_method, window, max_period, n_iter,
                     n_tail, max_events, jump_tol, s_tol, relevance_radius, follow, form
                     ) -> tuple[str, CrossingFinder | None]:
    """Check the arguments of :func:`find_gradient_events` before any work; return the name of
    the crossing finder and the finder (None: the library's)."""
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
    return method_name, finder


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


# ---------------------------------------------------------------------------------------------
# One segment
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SegmentResult:
    """What one segment θ_a → θ_b gave: its crossings (relevant or not), the basin change of x0
    (or None) and notes. Shared by every spike whose window contains the segment."""

    step_a: int
    step_b: int
    relevant: tuple
    irrelevant: tuple
    basin: BasinChange | None
    notes: tuple


def analyse_segment(a: int, b: int, net_a, net_b, x0: np.ndarray, o: dict) -> SegmentResult:
    """The crossings and the basin change on θ_a → θ_b (see :func:`find_gradient_events`)."""
    notes: list[str] = []
    starts_from = None
    if o["follow"] == "visited":
        traj = orbit(net_a, x0, o["n_iter"])
        pick = traj[np.linspace(0, len(traj) - 1, 16).astype(int)]
        extra = [] if o["states"] is None else [o["states"]]
        starts_from = np.vstack([x0[None, :], pick] + extra)
        starts_from = starts_from[np.all(np.isfinite(starts_from), axis=1)]
    if o["finder"] is None:
        bifs = library_crossings(net_a, net_b, a, b, o["max_period"], notes, starts_from)
    else:
        bifs = list(o["finder"](net_a, net_b, a, b))
    relevant: list[Crossing] = []
    irrelevant: list[Crossing] = []
    for bif in bifs:
        net_s = net_a.interpolate(net_b, float(bif.param))
        traj = orbit(net_s, x0, o["n_iter"])
        loss_states = traj[-o["n_tail"]:] if o["states"] is None else o["states"]
        rel = crossing_relevance(net_s, bif.x, int(bif.period), bif.eigenvalues, loss_states,
                                 traj, relevance_radius=o["relevance_radius"],
                                 n_iter=o["n_iter"], n_tail=o["n_tail"], jump_tol=o["jump_tol"])
        (relevant if rel.relevant else irrelevant).append(Crossing(bif, a, b, rel))
    basin = basin_change(net_a, net_b, x0, a, b, n_iter=o["n_iter"], n_tail=o["n_tail"],
                         jump_tol=o["jump_tol"])
    return SegmentResult(a, b, tuple(relevant), tuple(irrelevant), basin, tuple(notes))


def analyse_segment_task(index: int, *, segments: tuple) -> SegmentResult:
    """Worker side of ``find_gradient_events(executor=...)``: analyse ``segments[index]``, a
    tuple ``(a, b, net_a, net_b, x0, options)``."""
    a, b, net_a, net_b, x0, options = segments[int(index)]
    return analyse_segment(a, b, net_a, net_b, x0, options)


# ---------------------------------------------------------------------------------------------
# Spikes from their segments
# ---------------------------------------------------------------------------------------------
class _Plan:
    """The fixed inputs of one analysis: the source, θ_k as maps, the window and the options."""

    def __init__(self, src, builder, has, window: int, options: dict, ratios: np.ndarray):
        self.src, self.builder, self.has, self.window = src, builder, has, window
        self.options, self.ratios = options, ratios

    def stored_segments(self, k: int) -> list[tuple[int, int]]:
        return [(a, b) for a, b in segments(k, self.window, self.src.n_steps)
                if self.has(a) and self.has(b)]

    def segment(self, a: int, b: int) -> SegmentResult:
        return analyse_segment(a, b, self.builder(a), self.builder(b), self.src.x0, self.options)

    def event(self, k: int, results: dict) -> GradientEvent:
        """Spike k's event from the results of its segments (``results[(a, b)]``)."""
        notes: list[str] = []
        analysed: list[tuple[int, int]] = []
        relevant: list[Crossing] = []
        irrelevant: list[Crossing] = []
        basins: list[BasinChange] = []
        for a, b in segments(k, self.window, self.src.n_steps):
            if not (self.has(a) and self.has(b)):
                notes.append(f"parameters of steps {a}, {b} not stored")
                continue
            seg = results[(a, b)]
            analysed.append((a, b))
            notes.extend(seg.notes)
            relevant.extend(seg.relevant)
            irrelevant.extend(seg.irrelevant)
            if seg.basin is not None:
                basins.append(seg.basin)
        cause = (_cause(relevant, irrelevant, basins, self.options["s_tol"]) if analysed
                 else EventCause.NOT_ANALYSED)
        loss, n_steps = self.src.loss, self.src.n_steps
        jump = float(loss[k + 1] - loss[k]) if k + 1 < n_steps else float("nan")
        return GradientEvent(k, float(self.src.grad_norm[k]), float(self.ratios[k]), jump,
                             tuple(relevant), tuple(basins), cause, tuple(analysed),
                             tuple(notes), tuple(irrelevant))


def _cause(relevant: list, irrelevant: list, basins: list, s_tol: float) -> EventCause:
    """The cause of a spike from what its segments gave.

    A basin change at the s of a crossing (on the same segment) is that crossing's (BORDER_COLLISION
    when every such crossing is a border collision, else BIFURCATION); another basin change is a
    BASIN_BOUNDARY; without one, a relevant border collision gives BORDER_COLLISION, another
    relevant crossing BIFURCATION_NEARBY; irrelevant crossings alone explain nothing.
    """
    at_change = [c for c in relevant + irrelevant for bc in basins
                 if abs(c.s - bc.s) <= s_tol and (c.step_a, c.step_b) == (bc.step_a, bc.step_b)]
    if at_change:
        return (EventCause.BORDER_COLLISION if all(c.is_border_collision for c in at_change)
                else EventCause.BIFURCATION)
    if basins:
        return EventCause.BASIN_BOUNDARY
    if any(c.is_border_collision for c in relevant):
        return EventCause.BORDER_COLLISION
    if relevant:
        return EventCause.BIFURCATION_NEARBY
    if irrelevant:
        return EventCause.IRRELEVANT_ONLY
    return EventCause.UNEXPLAINED


def _analyse_serially(plan: _Plan, todo, progress: bool) -> tuple[list[GradientEvent], bool]:
    """The spikes ``todo`` (increasing) in this process, each segment once; Ctrl-C keeps the
    events finished so far."""
    iterator = todo
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(todo, desc="events", leave=False)
    results: dict = {}
    events = []
    try:
        for k in iterator:
            for a, b in plan.stored_segments(int(k)):
                if (a, b) not in results:
                    results[(a, b)] = plan.segment(a, b)
            events.append(plan.event(int(k), results))
            # later spikes k' > k only need segments starting at k' - window or later
            for key in [key for key in results if key[0] < int(k) + 1 - plan.window]:
                del results[key]
    except KeyboardInterrupt:
        return events, True
    return events, False


def _analyse_on(executor, plan: _Plan, todo, progress: bool) -> tuple[list[GradientEvent], bool]:
    """The spikes ``todo`` through an executor, one task per distinct segment (see
    :func:`find_gradient_events`); return the events in spike order and whether the run was
    interrupted (Ctrl-C: the spikes whose segments all finished are kept)."""
    from concurrent.futures import FIRST_COMPLETED, wait

    from ...sweeps.executors import resolve_executor
    keys = list(dict.fromkeys(key for k in todo for key in plan.stored_segments(int(k))))
    src, o = plan.src, plan.options
    work = [functools.partial(analyse_segment_task, segments=(
        (a, b, plan.builder(a), plan.builder(b), src.x0, o),)) for a, b in keys]
    pool, shutdown, _ = resolve_executor(None if executor == "pool" else executor, None,
                                         work[0] if work else analyse_segment_task)
    results: dict = {}
    interrupted = False
    futures: dict = {}
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(work), desc="event segments", leave=False)
    try:
        futures = {pool.submit(task, 0): key for key, task in zip(keys, work)}
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
    events = [plan.event(int(k), results) for k in todo
              if all(key in results for key in plan.stored_segments(int(k)))]
    return events, interrupted
