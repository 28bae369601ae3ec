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
continuation" of Datseris, Rossi & Wagemakers 2023). Matching by distance only proposes: every
proposed birth, death or period change of a fixed point or cycle is then continued locally
(:func:`~dynrnn.continuation`) across the interval where it happened (``reconcile``). A fold (LP),
flip (PD) or Neimark–Sacker point inside the interval is the event's cause; a branch that crosses
the interval without one proves the attractor existed at the other value, so it keeps the
identity of the attractor it continues to there (undoing a swap of identities), or, when the
ensemble did not reach it there, the event is reported as NOT_REACHED, not as a bifurcation.
A chaotic attractor's birth or death is GLOBAL (a crisis, not verified); what cannot be continued
otherwise is UNKNOWN (see :class:`AttractorEventCause`).

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
- ``links``: one attractor continued across one interval, and the events located;
- ``reconcile``: identities corrected by continuation, and the cause of every event;
- ``search``: :func:`global_continuation` itself.
"""
from __future__ import annotations

from .identities import Identities, follow_identities, match_attractors, tabulate
from .inputs import (MapsAlong, check_continuation_memory, check_tracked, check_values,
                     default_box, from_training, maps_along, match_threshold_for)
from .links import Crossing, FamilyAt, cloud_cause, family_for, link_events, local_link
from .reconcile import STATE_TOLERANCE, Reconciled, holding, reconcile
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
    "link_events", "Crossing", "cloud_cause", "STATE_TOLERANCE", "Reconciled", "holding",
    "reconcile", "default_box"]
