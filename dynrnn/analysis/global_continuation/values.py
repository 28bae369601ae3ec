r"""One parameter value of :func:`~dynrnn.global_continuation`: the basins of the map there,
as fixed-shape arrays a sweep can carry (module level, so worker processes can run it), and the
loop over the values, in this process or through :func:`dynrnn.sweep`.

.. math::

    p_i \;\mapsto\; \big(\ell(x_0^{(k)}; p_i)\big)_k, \;
    \big(A_j(p_i)\big)_j \text{ (each sampled to at most } S \text{ states)}
"""
from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..basins import (
    Attractor,
    AttractorKind,
    BasinsOptions,
    Catalogue,
    Ensemble,
    resolve_input,
    run_ensemble,
    summarise,
)

__all__ = ["SAMPLE_SIZE", "ValueContext", "sample_states", "basins_at", "attractors_from",
           "evaluate_values"]

#: States kept per attractor for matching (clouds are subsampled to this).
SAMPLE_SIZE = 256


@dataclass(frozen=True)
class ValueContext:
    """What a worker needs for the basins at one value (picklable).

    Attributes
    ----------
    systems : sequence of RecurrentMap
        The map at every value (a tuple, or built on demand).
    states : ndarray, shape (n_initial, n_states)
        The ensemble, the same at every value.
    tracked : ndarray, shape (n_tracked, n_states)
        States whose attractor is reported.
    u : ndarray or None
        The constant input (resolved per map).
    options : BasinsOptions
    """

    systems: Sequence
    states: np.ndarray
    tracked: np.ndarray
    u: Any
    options: BasinsOptions


def sample_states(a: Attractor) -> np.ndarray:
    """At most :data:`SAMPLE_SIZE` of the attractor's states, evenly strided."""
    step = max(1, int(math.ceil(a.states.shape[0] / SAMPLE_SIZE)))
    return a.states[::step]


def basins_at(index: int, *, context: ValueContext) -> dict:
    """Basins of ``context.systems[index]`` as fixed-shape arrays (what a sweep can carry)."""
    system = context.systems[int(index)]
    options = context.options
    u = resolve_input(system, context.u)
    catalogue = Catalogue(Ensemble(system, u, options), full_clouds=False)
    everything = np.concatenate([context.states, context.tracked])
    labels, steps, interrupted = run_ensemble(catalogue, everything, progress=False)
    if interrupted:
        # run_ensemble keeps a lone basins call's partial labels; here a value cut short is
        # not a value: the Ctrl-C goes on to stop the loop over the values
        raise KeyboardInterrupt
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
        sample = sample_states(a)
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


def attractors_from(summary: dict) -> list[Attractor]:
    """The attractors of one value back from the fixed-shape arrays of :func:`basins_at`."""
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


def evaluate_values(context: ValueContext, n_values: int, executor, progress: bool
                    ) -> tuple[list[dict | None], bool]:
    """The per-value summaries (None where a value failed) and whether Ctrl-C interrupted."""
    if executor is not None:
        return _evaluate_on(executor, context, n_values, progress), False
    summaries: list[dict | None] = [None] * n_values
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


def _evaluate_on(executor, context: ValueContext, n_values: int, progress: bool
                 ) -> list[dict | None]:
    """The per-value summaries through :func:`dynrnn.sweep` (None where a value failed)."""
    # sweeps is a layer above analysis (it runs analyses): imported only when asked for
    from ...sweeps import sweep
    result = sweep(functools.partial(basins_at, context=context), {"index": range(n_values)},
                   executor=None if executor == "pool" else executor, progress=progress)
    ok = np.asarray(result.point_status).ravel() == "done"
    summaries: list[dict | None] = [None] * n_values
    for i in range(n_values):
        if ok[i]:
            summaries[i] = {key: np.asarray(array)[i] for key, array in result.data.items()}
    return summaries
