r"""Attractors and their basins from an ensemble of initial states: :func:`basins`.

.. math::

    \mathcal B(A) = \{x_0 : \operatorname{dist}(F^t(x_0), A) \to 0\}, \qquad
    f_A = \frac{\#\{x_0^{(i)} \in \mathcal B(A)\}}{N}

Every initial state of the ensemble is iterated as one vectorised batch (``step_unchecked`` on an
array of states, so any :class:`~dynrnn.RecurrentMap` works) until it settles: on a k-cycle
(‖x_t − x_{t−k}‖ below a tolerance for the least such k ≤ ``max_period``), off to infinity, or,
after ``max_steps``, on neither (a quasi-periodic or chaotic orbit). Settled states leave the batch
at once and the ensemble is processed in chunks, so memory stays bounded and the time is spent on
the states that are still moving. States are grouped into attractors by distance: a k-cycle is
refined by Newton (:func:`~dynrnn.find_cycles`), so its location and multipliers are exact; an
orbit that never settles is followed for a while to sample its attractor as a cloud of states,
whose largest Lyapunov exponent (:func:`~dynrnn.lyapunov_spectrum`) tells chaos (> 0) from
quasi-periodic motion (≈ 0); a clearly negative one (or any at most the threshold, for a
one-state map, which has no quasi-periodic attractor) marks a stable cycle longer than
``max_period``, then found in the cloud and refined by Newton. This is the recurrence/grouping
approach of Attractors.jl (Datseris, Rossi & Wagemakers 2023) in a batch form suited to numpy.

Basin boundaries are located by bisection along segments joining initial states of different
labels; for one-dimensional maps exactly, as the unstable fixed points and their preimages at
which the label changes. Saddles (fixed points with one unstable direction) are placed on the
boundary between the attractors their two unstable half-manifolds fall into; together with the
attractors they form :attr:`BasinsResult.graph` (networkx).

The package, one concept per module:

- ``results``: the kinds, status, options and result classes;
- ``initial_states``: the ensemble (given, a grid, or sampled) and its checks;
- ``ensemble``: the vectorised iteration until each state settles;
- ``attractors``: attractor identification and refinement;
- ``chunks``: the ensemble chunk by chunk, here or through a sweep;
- ``boundaries``: boundaries by bisection, exact ones for 1-D maps;
- ``graph``: the attractor graph with the saddles;
- ``search``: :func:`basins` itself and the summary of a run.
"""
from __future__ import annotations

from .attractors import Catalogue, still_converging
from .boundaries import (bisect_boundaries, boundary_segments, classify, exact_boundary_1d,
                         preimages)
from .chunks import ChunkContext, chunk_size, run_ensemble, run_ensemble_on, settle_chunk
from .ensemble import Ensemble, nearest_distance
from .graph import attractor_graph, saddles_and_graph
from .initial_states import check_box, check_memory, check_system, initial_ensemble, resolve_input
from .results import (ON_UNSTABLE, UNRESOLVED, Attractor, AttractorKind, BasinsOptions,
                      BasinsResult, BasinsStatus, MessageEnum, check_options,
                      wilson_interval)
from .search import basins, keep_stable, not_exhaustive, summarise

__all__ = [
    # the public API (also in dynrnn.__all__)
    "basins", "BasinsResult", "BasinsStatus", "BasinsOptions", "Attractor", "AttractorKind",
    "wilson_interval",
    # the building blocks global continuation and other algorithms use
    "UNRESOLVED", "ON_UNSTABLE", "MessageEnum", "check_options", "check_system",
    "resolve_input", "check_box", "check_memory", "initial_ensemble", "Ensemble",
    "nearest_distance", "Catalogue", "ChunkContext", "chunk_size", "settle_chunk",
    "run_ensemble", "run_ensemble_on", "classify", "boundary_segments", "bisect_boundaries",
    "preimages", "exact_boundary_1d", "attractor_graph", "saddles_and_graph", "keep_stable",
    "summarise", "not_exhaustive", "still_converging"]
