r"""The public function :func:`~dynrnn.global_continuation`: basins at every value, identities
across the values, events linked to local bifurcations, and the result.

.. math::

    f_j(p_i) = \frac{\#\{k : x_0^{(k)} \in \mathcal B(A_j(p_i))\}}{N}
"""
from __future__ import annotations

from typing import Any, Literal

import numpy as np

from ..._checks import check_executor, check_seed
from ..._signature_checks import checked_arguments
from ...errors import ConvergenceError
from ..basins import (
    BasinsOptions,
    check_options,
    initial_ensemble,
    not_exhaustive,
    resolve_input,
)
from .identities import Identities, follow_identities, tabulate
from .inputs import (
    MapsAlong,
    check_continuation_memory,
    check_tracked,
    default_box,
    maps_along,
    match_threshold_for,
)
from .links import family_for, link_events
from .results import AttractorEvent, GlobalContinuationResult, GlobalContinuationStatus
from .values import SAMPLE_SIZE, ValueContext, evaluate_values

__all__ = ["global_continuation"]


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
    system : RecurrentMap, sequence, TrainingResult, TrainingHistory, Recording or path
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
        The ensemble, as for :func:`~dynrnn.basins` (the same at every value). ``box``
        defaults to the hull of the invariant boxes of the maps at the two ends of the range
        (of every map for a sequence or a training run), so the ensemble covers the attractors
        of every value, not only of the first.
    track : array_like, shape (n_tracked, n_states), optional
        States whose attractor is reported at every value; for a training run by default the
        initial state x₀ of the loss (h₀ = 0 for a recording).
    match_threshold : float, optional
        δ, the largest Hausdorff distance (∞-norm) between the state sets of one attractor at
        two neighbouring values. Default: half the largest box width (or of the spread of
        the initial states).
    local : bool
        Decide identities and causes by local continuation (see
        :mod:`~dynrnn.analysis.global_continuation.reconcile`): every proposed birth, death or
        period change of a fixed point or cycle is continued across its interval. A fold, flip
        or Neimark–Sacker point inside is its cause; a branch that crosses the interval proves
        the attractor existed at the other value, so it keeps the identity of the attractor it
        continues to, or the event is NOT_REACHED (the ensemble missed it there). False: the
        distance matching stands and every cause is UNKNOWN.
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
    options = check_options(options)
    along = maps_along(system, param, values, track)
    first = along.systems[0]
    if box is None and initial_states is None:
        box = default_box(along, u)
    states, _, region = initial_ensemble(first, resolve_input(first, u),
                                         initial_states=initial_states, grid=None, box=box,
                                         n_samples=n_samples, sampling=sampling, spread=0.1,
                                         seed=seed, options=options)
    tracked = check_tracked(along.track, first.n_states)
    check_continuation_memory(len(along.systems), states.shape[0], tracked.shape[0],
                              first.n_states, options, SAMPLE_SIZE)
    threshold = match_threshold_for(match_threshold, region, states)
    context = ValueContext(along.systems, states, tracked, u, options)
    summaries, interrupted = evaluate_values(context, len(along.systems), executor, progress)
    family_at = family_for(along.systems, along.values, param, along.family) if local else None
    ids = follow_identities(summaries, interrupted, threshold, family_at,
                            None if u is None else resolve_input(first, u))
    table = tabulate(ids, len(along.systems), states.shape[0], tracked.shape[0],
                     options.confidence)
    events = link_events(ids.events, along.values,
                         on_line=not (isinstance(param, str) or along.family is not None))
    result = _result(along, ids, table, events, tracked, threshold, interrupted,
                     states.shape[0])
    if raise_on_failure and not result.success:
        raise ConvergenceError(f"global_continuation: {result.status.value}", result=result)
    return result


def _result(along: MapsAlong, ids: Identities, table: dict[str, Any],
            events: tuple[AttractorEvent, ...], tracked: np.ndarray, threshold: float,
            interrupted: bool, n_initial: int) -> GlobalContinuationResult:
    computed = ids.value_success
    if interrupted:
        status = GlobalContinuationStatus.INTERRUPTED
    elif computed.any() and not np.any(table["n_attractors"][computed]) \
            and not np.any(table["unresolved"][computed]):
        # only the divergence "attractor" anywhere: nothing bounded was found
        status = GlobalContinuationStatus.ALL_DIVERGED
    elif not computed.all() or np.max(table["unresolved"]) > 0:
        status = GlobalContinuationStatus.PARTIAL
    else:
        status = GlobalContinuationStatus.COMPLETE
    return GlobalContinuationResult(
        values=np.asarray(along.values, dtype=np.float64), param_name=along.param_name,
        events=events, tracked_states=tracked, **table,
        match_threshold=threshold, steps=along.steps, loss=along.loss,
        grad_norm=along.grad_norm, value_success=ids.value_success,
        success=status not in (GlobalContinuationStatus.INTERRUPTED,
                               GlobalContinuationStatus.ALL_DIVERGED)
        and bool(computed.any()),
        status=status, n_done=ids.done, n_initial=n_initial,
        note=(f"{not_exhaustive(n_initial)} at each value; attractors matched between "
              f"neighbouring values by Hausdorff distance ≤ {threshold:.3g}"))
