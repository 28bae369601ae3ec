"""Fixed points conditioned on per-start constant inputs (internal, used by
:func:`~dynrnn.find_fixed_points` when ``u`` has one row per start).

FixedPointFinder pairs each sampled hidden state with the input the network saw there and finds
the fixed points of F(·, u) for that input held constant. Here the starts are grouped by
identical input rows, each group is one ordinary search (``_fp_search.search``) under its input,
and the results are merged; ``FixedPointResult.inputs[i]`` is the input point i is fixed for.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import ConvergenceError, ShapeError
from ..model.base import as_finite_array, as_map
from ._fp_search import _check_starts, search
from .fixed_point_result import FixedPointResult, SearchStatus

__all__: list[str] = []


def _per_start_inputs(system, u, starts):
    """(inputs (m, n_inputs), starts (m, n)) when ``u`` has one row per start, else None (an
    ordinary single-input search, validated there)."""
    if u is None:
        return None
    system = as_map(system)
    U = as_finite_array(u, "u")
    if U.ndim != 2:
        return None
    if starts is None:
        raise ShapeError(f"u of shape {U.shape} gives one input per start, so starts= must be "
                         "given (one row per input), e.g. from trajectory_starts(..., "
                         "return_inputs=True); for one input pass shape "
                         f"({system.n_inputs},)", argument="u", expected=(system.n_inputs,),
                         actual=U.shape)
    X = _check_starts(system, starts)
    if U.shape != (X.shape[0], system.n_inputs):
        raise ShapeError(f"u must have shape ({X.shape[0]}, {system.n_inputs}) (one input per "
                         f"start) or ({system.n_inputs},), got {U.shape}", argument="u",
                         expected=(X.shape[0], system.n_inputs), actual=U.shape)
    return U, X


def search_per_input(system, U: np.ndarray, X: np.ndarray, *, raise_on_failure: bool,
                     **kwargs) -> FixedPointResult:
    """One search per distinct row of U (its starts the rows of X with that input); merged."""
    distinct, which = np.unique(U, axis=0, return_inverse=True)
    which = np.asarray(which).reshape(-1)
    results = [search(system, distinct[g], 1, starts=X[which == g], raise_on_failure=False,
                      **kwargs) for g in range(distinct.shape[0])]
    merged = merge_results(results, distinct)
    if raise_on_failure and not merged.success:
        raise ConvergenceError(f"find_fixed_points: {merged.status.value}", result=merged)
    return merged


def merge_results(results: list[FixedPointResult], inputs: np.ndarray) -> FixedPointResult:
    """The union of searches under different inputs (rows of ``inputs``): points, slow points
    and degenerate clusters concatenated in input order, counters summed."""
    first = results[0]
    if len(results) == 1:
        return first
    points = tuple(p for r in results for p in r.points)
    degenerate = tuple(p for r in results for p in r.degenerate)
    failures: dict[str, int] = {}
    for r in results:
        for key, value in r.failures.items():
            failures[key] = failures.get(key, 0) + value
    depth = max(r.residual_history.shape[0] for r in results)
    history = np.concatenate([np.pad(r.residual_history,
                                     ((0, depth - r.residual_history.shape[0]), (0, 0)),
                                     constant_values=np.nan) for r in results], axis=1)
    rounds = np.zeros(max(len(r.rounds_new) for r in results), dtype=int)
    for r in results:
        rounds[:len(r.rounds_new)] += np.asarray(r.rounds_new, dtype=int)
    exhaustive = all(r.exhaustive for r in results)
    status = (SearchStatus.COMPLETE if exhaustive else SearchStatus.DEGENERATE if degenerate
              else SearchStatus.FOUND if points else SearchStatus.NONE_FOUND)
    return dataclasses.replace(
        first, points=points, slow_points=tuple(p for r in results for p in r.slow_points),
        success=status is not SearchStatus.NONE_FOUND, status=status, exhaustive=exhaustive,
        n_starts=sum(r.n_starts for r in results),
        n_converged=sum(r.n_converged for r in results),
        n_failed=sum(r.n_failed for r in results),
        n_duplicates=sum(r.n_duplicates for r in results),
        n_iter=max(r.n_iter for r in results),
        n_lower_period=sum(r.n_lower_period for r in results), failures=failures,
        residual_history=history,
        note=(f"{inputs.shape[0]} distinct inputs, one search each; new points per round "
              f"summed over them; per input: " + " | ".join(r.note for r in results)),
        degenerate=degenerate,
        degenerate_radius=tuple(d for r in results for d in r.degenerate_radius),
        slow_point_reasons=tuple(w for r in results for w in r.slow_point_reasons),
        rounds_new=tuple(int(k) for k in rounds),
        inputs=np.concatenate([r.inputs for r in results], axis=0))
