r"""The public function :func:`~dynrnn.basins` and the summary of a run: fractions, intervals,
boundaries, saddles and the graph.

.. math::

    \ell(x_0) = A \iff \operatorname{dist}(F^t(x_0, u), A) \to 0, \qquad
    f_A = \frac{\#\{i : \ell(x_0^{(i)}) = A\}}{N}
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

import numpy as np

from ..._checks import check_executor, check_seed
from ..._signature_checks import checked_arguments
from ...errors import ConvergenceError
from ...model.base import RecurrentMap
from .attractors import Catalogue
from .boundaries import bisect_boundaries, boundary_segments, exact_boundary_1d
from .chunks import run_ensemble, run_ensemble_on
from .ensemble import Ensemble
from .graph import attractor_graph, saddles_and_graph
from .initial_states import check_system, initial_ensemble, resolve_input
from .results import (
    ON_UNSTABLE,
    UNRESOLVED,
    AttractorKind,
    BasinsOptions,
    BasinsResult,
    BasinsStatus,
    check_options,
    wilson_interval,
)

__all__ = ["basins", "summarise", "keep_stable", "not_exhaustive"]


@checked_arguments
def basins(system: RecurrentMap, initial_states=None, *, grid: int | Sequence[int] | None = None,
           box=None, n_samples: int = 1000,
           sampling: Literal["uniform", "gaussian"] = "uniform", spread: float = 0.1,
           u=None, seed: int | None = 0, options: BasinsOptions | None = None,
           boundaries: bool = True, executor=None, raise_on_failure: bool = False,
           progress: bool = True) -> BasinsResult:
    r"""Find the attractors of a map from an ensemble of initial states, and their basins.

    .. math::

        \ell(x_0) = A \iff \operatorname{dist}(F^t(x_0, u), A) \to 0, \qquad
        f_A = \frac{\#\{i : \ell(x_0^{(i)}) = A\}}{N}

    Parameters
    ----------
    system : RecurrentMap
        Any map; only its batched ``step_unchecked`` (and Jacobians, for refinement) are used.
    initial_states : array_like, shape (n_initial, n_states), optional
        User-given initial states.
    grid : int or sequence of int, optional
        A regular grid of this many points per axis over ``box`` (maps with 1 or 2 states).
    box : (lower, upper), optional
        Region of the grid or of the samples; default the map's invariant box. Each bound is
        a scalar (the same in every coordinate) or has shape (n_states,); a vector of another
        length (also a length-1 vector for a map with more states) is a ShapeError, a zero or
        negative width, or a width ``upper - lower`` that overflows float64, an
        InvalidInputError.
    n_samples : int
        Initial states sampled when neither ``initial_states`` nor ``grid`` is given.
    sampling : "uniform" or "gaussian"
        Uniform in ``box``, or Gaussian (standard deviation ``spread`` times the box width)
        around states visited by trajectories started in the box.
    u : array_like, shape (n_inputs,), optional
        The constant input; default the map's own.
    seed : int, optional
        Randomness of the samples and of the saddle search (fixed by default).
    options : BasinsOptions, optional
    boundaries : bool
        Locate boundary points by bisection, exact 1-D boundaries, saddles and the graph.
    executor : None, "pool", "serial", str, Executor or dask Client
        None: the chunks one after the other in this process. Otherwise the chunks are settled
        through :func:`dynrnn.sweep` ("pool": its local process pool; a Dask address or client)
        and the attractors identified here, so the labels are the same; the map must be
        picklable. A chunk that fails leaves its states unresolved (status INTERRUPTED).
    raise_on_failure : bool
        Raise :class:`~dynrnn.ConvergenceError` (carrying the result) unless ``success``.
    progress : bool
        Show a tqdm bar over the chunks of the ensemble.

    Returns
    -------
    BasinsResult

    References
    ----------
    G. Datseris, K. L. Rossi, A. Wagemakers, "Framework for global stability analysis of
    dynamical systems", Chaos 33 (2023) 073151 (Attractors.jl).
    R. Pascanu, T. Mikolov, Y. Bengio, "On the difficulty of training recurrent neural
    networks", ICML 2013, §2.3 (basin boundaries and exploding gradients).

    Examples
    --------
    The bistable one-unit network x → 5σ(x) − 2.5: two fixed points, split at the unstable one.

    >>> import dynrnn as dr
    >>> net = dr.RNN([[5.0]], b=[-2.5], activation="sigmoid")
    >>> result = dr.basins(net, grid=100, box=([-5.0], [5.0]), progress=False)
    >>> [kind.value for kind in result.kinds], result.fractions.tolist()
    (['fixed point', 'fixed point'], [0.5, 0.5])
    >>> result.exact_boundary.shape, bool(abs(result.exact_boundary[0]) < 1e-12)
    ((1,), True)
    """
    system = check_system(system)
    check_seed(seed)
    check_executor(executor)
    options = check_options(options)
    u = resolve_input(system, u)
    states, axes, region = initial_ensemble(system, u, initial_states=initial_states, grid=grid,
                                            box=box, n_samples=n_samples, sampling=sampling,
                                            spread=spread, seed=seed, options=options)
    catalogue = Catalogue(Ensemble(system, u, options))
    if executor is None:
        labels, steps, interrupted = run_ensemble(catalogue, states, progress=progress)
    else:
        labels, steps, interrupted = run_ensemble_on(executor, catalogue, states,
                                                     progress=progress)
    return summarise(catalogue, states, labels, steps, axes, region, interrupted=interrupted,
                     boundaries=boundaries, seed=seed, raise_on_failure=raise_on_failure)



def keep_stable(catalogue: Catalogue, labels: np.ndarray) -> np.ndarray:
    """Drop the unstable cycles from ``catalogue`` and relabel: a state that landed exactly on
    one (a boundary point of measure zero) gets ``ON_UNSTABLE``; the stable attractors keep
    their order."""
    keep = [i for i, a in enumerate(catalogue.attractors) if a.stable]
    mapping = np.full(len(catalogue.attractors) + 2, UNRESOLVED)
    mapping[np.array(keep, dtype=np.int64)] = np.arange(len(keep))
    for i, a in enumerate(catalogue.attractors):
        if not a.stable:
            mapping[i] = ON_UNSTABLE
    labels = np.where(labels >= 0, mapping[np.maximum(labels, 0)], labels)
    catalogue.attractors = [catalogue.attractors[i] for i in keep]
    catalogue.radii = [catalogue.radii[i] for i in keep]
    return labels


def summarise(catalogue: Catalogue, states, labels, steps, axes, region, *, interrupted: bool,
              boundaries: bool, seed, raise_on_failure: bool) -> BasinsResult:
    """Fractions, intervals, boundaries, saddles and the graph, as a :class:`BasinsResult`.

    ``states`` (m, n) are the initial states, ``labels`` (m,) and ``steps`` (m,) what
    :func:`run_ensemble` returned for them, ``axes`` the grid axes (or ()), ``region`` the box
    (2, n; NaN for user-given states).
    """
    options = catalogue.ensemble.options
    n_states = states.shape[1]
    m = states.shape[0]
    labels = keep_stable(catalogue, labels)
    attractors = tuple(catalogue.attractors)
    counts = np.bincount(labels[labels >= 0], minlength=len(attractors))[:len(attractors)]
    unresolved = float(np.mean(labels == UNRESOLVED))
    only_divergence = bool(attractors) and all(
        a.kind is AttractorKind.DIVERGENCE for a in attractors) and unresolved == 0
    status = _status(interrupted, only_divergence, unresolved)
    shaped = labels.reshape(tuple(a.size for a in axes)[::-1]) if axes else labels
    if boundaries and not interrupted and not only_divergence and options.n_boundary > 0:
        found = _boundaries(catalogue, states, labels, shaped, axes, region, seed)
    else:
        found = _Boundaries(np.empty((0, n_states)), np.empty((0, 2), dtype=np.int64), None,
                            np.empty(0), (), attractor_graph(attractors), "")
    result = BasinsResult(
        attractors=attractors, labels=shaped, fractions=counts / m,
        intervals=wilson_interval(counts, m, options.confidence).reshape(len(attractors), 2),
        confidence=options.confidence, unresolved_fraction=unresolved,
        initial_states=np.empty((0, n_states)) if axes else states, grid=tuple(axes),
        box=region if np.all(np.isfinite(region)) else None,
        boundary_points=found.points, boundary_labels=found.labels, boundary_width=found.width,
        exact_boundary=found.exact, saddles=tuple(found.saddles), graph=found.graph,
        success=status in (BasinsStatus.COMPLETE, BasinsStatus.UNRESOLVED) and unresolved < 1,
        status=status, n_initial=m, n_steps=int(steps.max()) if m else 0,
        mean_steps=float(steps.mean()) if m else 0.0,
        note="; ".join(filter(None, [not_exhaustive(m), _converging_note(catalogue),
                                     catalogue.long_cycle_note(), found.note])))
    if raise_on_failure and not result.success:
        raise ConvergenceError(f"basins: {status.value}", result=result)
    return result


def not_exhaustive(n_initial: int) -> str:
    """What a search from an ensemble of ``n_initial`` states cannot promise."""
    return (f"not exhaustive: the attractors reached from {n_initial:,} initial states (one "
            "whose basin holds none of them is not found)")


def _converging_note(catalogue: Catalogue) -> str:
    """Why some states are unresolved although their orbits stay bounded, or ''."""
    if not catalogue.n_converging:
        return ""
    options = catalogue.ensemble.options
    return (f"{catalogue.n_converging:,} initial state(s) unresolved because their orbits were "
            f"still converging, ever more slowly, after {options.max_steps} + "
            f"{options.n_cloud} steps (an algebraic approach to a non-hyperbolic fixed point "
            "or cycle, as at a bifurcation point, or a multiplier very near 1): not "
            "quasi-periodic; raise options.max_steps to let them settle")


def _status(interrupted: bool, only_divergence: bool, unresolved: float) -> BasinsStatus:
    if interrupted:
        return BasinsStatus.INTERRUPTED
    if only_divergence:
        return BasinsStatus.ALL_DIVERGED
    if unresolved > 0:
        return BasinsStatus.UNRESOLVED
    return BasinsStatus.COMPLETE


class _Boundaries(NamedTuple):
    points: np.ndarray
    labels: np.ndarray
    width: float | None
    exact: np.ndarray
    saddles: tuple
    graph: Any
    note: str


def _boundaries(catalogue: Catalogue, states: np.ndarray, labels: np.ndarray,
                shaped: np.ndarray, axes, region: np.ndarray, seed) -> _Boundaries:
    """Bisection boundary points, the saddles and the graph, and the exact 1-D boundary."""
    options = catalogue.ensemble.options
    n_states = states.shape[1]
    points, pair_labels = np.empty((0, n_states)), np.empty((0, 2), dtype=np.int64)
    width = None
    pairs = boundary_segments(states, shaped, axes, options.n_boundary,
                              np.random.default_rng(seed))
    if pairs.size:
        points, pair_labels, width = bisect_boundaries(
            catalogue, states[pairs[:, 0]], states[pairs[:, 1]], labels[pairs[:, 0]],
            labels[pairs[:, 1]], options.n_bisect)
    saddles, graph = saddles_and_graph(catalogue, seed, pair_labels)
    exact = np.empty(0)
    if n_states == 1 and np.all(np.isfinite(region)):
        exact = exact_boundary_1d(catalogue, saddles, region, options.preimage_depth)
    note = ("saddles: fixed points with one unstable direction found by "
            "find_fixed_points (not exhaustive unless that search is)")
    return _Boundaries(points, pair_labels, width, exact, saddles, graph, note)
