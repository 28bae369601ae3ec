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

The package, one concept per module:

- ``results``: the event kinds and causes, the status, the event and result classes, and the
  Hausdorff distance;
- ``inputs``: the maps along the parameter, a sequence or a training run, and the checks;
- ``values``: the basins at one value as fixed-shape arrays, and the loop over the values;
- ``identities``: matching, births, deaths, and the fractions per identity;
- ``links``: events linked to local bifurcations by continuation;
- ``search``: :func:`global_continuation` itself.
"""
from __future__ import annotations

from .identities import Identities, follow_identities, match_attractors, tabulate
from .inputs import (MapsAlong, check_continuation_memory, check_tracked, check_values,
                     from_training, maps_along, match_threshold_for)
from .links import FamilyAt, family_for, link_events, local_link
from .results import (AttractorEvent, AttractorEventCause, AttractorEventKind,
                      GlobalContinuationResult, GlobalContinuationStatus, hausdorff_distance)
from .search import global_continuation
from .values import (SAMPLE_SIZE, ValueContext, attractors_from, basins_at, evaluate_values,
                     sample_states)

__all__ = [
    # the public API (also in dynrnn.__all__)
    "global_continuation", "GlobalContinuationResult", "GlobalContinuationStatus",
    "AttractorEvent", "AttractorEventKind", "AttractorEventCause", "hausdorff_distance",
    # the steps of global_continuation
    "MapsAlong", "maps_along", "from_training", "check_values", "check_tracked",
    "match_threshold_for", "check_continuation_memory", "SAMPLE_SIZE", "ValueContext",
    "sample_states", "basins_at",
    "attractors_from", "evaluate_values", "match_attractors", "Identities",
    "follow_identities", "tabulate", "FamilyAt", "family_for", "local_link",
    "link_events"]
