r"""Attractor identities across the values of :func:`~dynrnn.global_continuation`: matching
by Hausdorff distance, corrected by local continuation, births, deaths and period changes, and
the table of fractions per identity.

.. math::

    A_j(p_i) \leftrightarrow A_{j'}(p_{i-1}) \iff
    d_H\big(A_j(p_i), A_{j'}(p_{i-1})\big) \le \delta

matched greedily, closest pairs first, each attractor at most once. Value by value (so the next
matching starts from corrected identities), :func:`~.reconcile.reconcile` then continues every
proposed birth, death and period change across the interval: an attractor whose branch crosses
the interval without a bifurcation keeps the identity of the attractor it continues to. What is
left unmatched at a value is a death, what is new a birth, each with its cause.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..basins import UNRESOLVED, Attractor, AttractorKind, wilson_interval
from .links import FamilyAt
from .reconcile import Reconciled, reconcile
from .results import AttractorEventKind, hausdorff_distance
from .values import attractors_from

__all__ = ["match_attractors", "Identities", "follow_identities", "tabulate"]


def match_attractors(previous: list, current: list, threshold: float) -> dict[int, int]:
    """{current index: previous index} by greedy closest-pair matching below ``threshold``."""
    pairs = []
    for i, a in enumerate(previous):
        for j, b in enumerate(current):
            if (a.kind is AttractorKind.DIVERGENCE) != (b.kind is AttractorKind.DIVERGENCE):
                continue
            d = hausdorff_distance(a.states, b.states)
            if d <= threshold:
                pairs.append((d, i, j))
    used_i: set[int] = set()
    out: dict[int, int] = {}
    for _, i, j in sorted(pairs):
        if i not in used_i and j not in out:
            used_i.add(i)
            out[j] = i
    return out


@dataclass
class Identities:
    """The attractors of every value under their identities, and the raw events.

    Attributes
    ----------
    rows : list of dict
        Per value computed: {identity: Attractor} (empty for a value that failed).
    local_labels : list
        Per value: (the labels of the ensemble and tracked states at that value, the identity
        of each local label), or None for a value that failed.
    events : list of (AttractorEventKind, int, int, Attractor, AttractorEventCause, Bifurcation,
            str)
        Kind, identity, first value index after the event, the attractor concerned, the cause,
        the linked local bifurcation (or None) and the note on how the cause was decided.
    n_ids : int
    done : int
        Values up to the last one computed.
    value_success : ndarray of bool, shape (n_values,)
    """

    rows: list = field(default_factory=list)
    local_labels: list = field(default_factory=list)
    events: list = field(default_factory=list)
    n_ids: int = 0
    done: int = 0
    value_success: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))


def follow_identities(summaries: list, interrupted: bool, threshold: float,
                      family_at: FamilyAt | None = None, u=None) -> Identities:
    """Give each attractor an identity across the values (``summaries`` from
    :func:`~dynrnn.analysis.global_continuation.values.evaluate_values`), recording events.

    ``family_at`` (from :func:`~.links.family_for`; None: no local continuation, every cause
    UNKNOWN) lets :func:`~.reconcile.reconcile` correct the identities and find the causes;
    ``u`` is the ensemble's constant input (None: each map's own)."""
    out = Identities(value_success=np.zeros(len(summaries), bool))
    previous: dict[int, Attractor] = {}
    for i, summary in enumerate(summaries):
        if summary is None:
            if interrupted:
                break
            out.rows.append({})
            out.local_labels.append(None)
            previous = {}
            continue
        out.done = i + 1
        out.value_success[i] = True
        current = attractors_from(summary)
        prev_ids = list(previous)
        matched = match_attractors([previous[k] for k in prev_ids], current, threshold)
        matched = {j: prev_ids[m] for j, m in matched.items()}
        linked = i > 0 and out.local_labels[-1] is not None
        state = reconcile(previous, current, matched, family_at, i, u) if linked \
            else Reconciled(matched)
        identities = []
        for j in range(len(current)):
            if j in state.identity:
                identities.append(state.identity[j])
            else:
                identities.append(out.n_ids)
                out.n_ids += 1
        row = dict(zip(identities, current))
        if linked:
            out.events.extend(_events_between(previous, current, identities, state, i))
        out.rows.append(row)
        out.local_labels.append((summary["labels"], identities))
        previous = row
    return out


def _events_between(previous: dict, current: list, identities: list, state: Reconciled,
                    i: int) -> list:
    """Births and period changes (in the order of ``current``), then deaths, before value
    ``i``, each with its cause and bifurcation from ``state``."""
    events = []
    for j, (identity, a) in enumerate(zip(identities, current)):
        if j not in state.identity:
            crossing = state.births[j]
            events.append((AttractorEventKind.BIRTH, identity, i, a, crossing.cause,
                           crossing.bifurcation, crossing.note))
        elif j in state.changes:
            crossing = state.changes[j]
            events.append((AttractorEventKind.PERIOD_CHANGE, identity, i, previous[identity],
                           crossing.cause, crossing.bifurcation, crossing.note))
    for identity, a in previous.items():
        if identity not in state.identity.values():
            crossing = state.deaths[identity]
            events.append((AttractorEventKind.DEATH, identity, i, a, crossing.cause,
                           crossing.bifurcation, crossing.note))
    return events


def tabulate(ids: Identities, n_values: int, n_initial: int, n_tracked: int,
             confidence: float) -> dict[str, Any]:
    """Fractions (with Wilson intervals at ``confidence``), presence and the tracked labels by
    identity; the first ``n_initial`` labels of a value are the ensemble's, the rest tracked.

    Returns the keyword arguments of :class:`GlobalContinuationResult` they fill:
    ``attractors``, ``fractions``, ``intervals``, ``present``, ``n_attractors``, ``unresolved``
    and ``tracked_labels``.
    """
    n_ids = ids.n_ids
    fractions = np.zeros((n_values, n_ids))
    present = np.zeros((n_values, n_ids), bool)
    unresolved = np.ones(n_values)
    tracked_labels = np.full((n_values, n_tracked), UNRESOLVED)
    attractors = []
    for i in range(n_values):
        row = ids.rows[i] if i < len(ids.rows) else {}
        attractors.append(tuple(row.get(k) for k in range(n_ids)))
        if i >= len(ids.local_labels) or ids.local_labels[i] is None:
            continue
        labels, identities = ids.local_labels[i]
        labels = np.asarray(labels).astype(np.int64)     # a sweep may carry them as floats
        local_to_id = np.asarray(identities + [UNRESOLVED], dtype=np.int64)
        mapped = np.where(labels >= 0, local_to_id[np.where(labels >= 0, labels, -1)], labels)
        ensemble, along = mapped[:n_initial], mapped[n_initial:]
        counts = np.bincount(ensemble[ensemble >= 0], minlength=n_ids)[:n_ids]
        fractions[i] = counts / n_initial
        present[i] = [k in row for k in range(n_ids)]
        unresolved[i] = float(np.mean(ensemble == UNRESOLVED))
        tracked_labels[i] = along
    intervals = wilson_interval(fractions * n_initial, n_initial, confidence)
    n_attractors = np.array([sum(a is not None and a.kind is not AttractorKind.DIVERGENCE
                                 for a in row) for row in attractors], dtype=np.int64)
    return {"attractors": tuple(attractors), "fractions": fractions, "intervals": intervals,
            "present": present, "n_attractors": n_attractors, "unresolved": unresolved,
            "tracked_labels": tracked_labels}
