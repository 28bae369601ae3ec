r"""Identities between two neighbouring values of :func:`~dynrnn.global_continuation`
corrected by local continuation, and the cause of every birth, death and period change.

Matching by distance (:func:`~dynrnn.analysis.global_continuation.identities.match_attractors`)
proposes identities; local continuation (:func:`~.links.local_link`) then decides. A fixed
point or k-cycle :math:`B` left unmatched at :math:`p_i` (a proposed birth) is continued back to
:math:`p_{i-1}`:

- a fold, flip or Neimark–Sacker point inside the interval, or the branch ends unstable or
  non-hyperbolic after a branch point or border collision: a local birth, linked to the first
  (FOLD, FLIP, NEIMARK_SACKER, BRANCH_POINT, BORDER_COLLISION; see :func:`~.links.local_link`);
- the branch reaches :math:`p_{i-1}` at :math:`y` without one, a hyperbolic stable fixed point
  (cycle) there: :math:`B` existed there as an attractor. If an attractor :math:`P` of the
  same period found at :math:`p_{i-1}` holds a state within τ = :data:`STATE_TOLERANCE`
  (relative) of :math:`y`,

  .. math::

      \min_{a \in P} \|a - y\|_\infty \le \tau\,(1 + \|y\|_\infty),

  :math:`B` takes :math:`P`'s identity: no event. An attractor :math:`C` that distance matching
  had given that identity loses it and is continued back in turn (so a swap of identities is
  undone, and :math:`C`'s own birth is linked to its bifurcation). If no such :math:`P` was
  found, :math:`B` existed at :math:`p_{i-1}` but no initial state reached it there:
  NOT_REACHED;
- no continuation possible (it failed, or the maps cannot be continued), or stability lost with
  no bifurcation located: UNKNOWN (the event's note says which).

An attractor of :math:`p_{i-1}` left unmatched (a proposed death) is continued forward to
:math:`p_i` the same way: a bifurcation inside links the death; reaching :math:`p_i` at a state
of an attractor found there re-makes the match (that attractor's proposed birth, or the match
distance gave it, is undone); reaching it elsewhere is NOT_REACHED. A matched pair whose period
changed is continued forward: a flip or Neimark–Sacker point inside links the period change;
reaching :math:`p_i` means the old fixed point or cycle still exists there, so it takes the
attractor of :math:`p_i` it continues to, or dies NOT_REACHED, and the attractor that was matched
to it becomes a proposed birth.

A fixed point (k-cycle) whose leading multiplier is near the unit circle converges too slowly
for the ensemble's step limit, and is then found as a quasi-periodic cloud around it: a cloud
around the continued state whose states approach it when iterated further holds that state
(:func:`converging_cloud`), and the change of period between the two is reported as
NOT_REACHED, not as a bifurcation.

In an interval with any proposed event, the fixed points and cycles distance matched with one
period are continued too (:func:`_verify_matches`): a match whose branch loses stability (the
stable origin of a pitchfork, matched to a new side branch by distance) or ends elsewhere is
undone. A fold that coincides with a branch point another event of the interval was linked to
is a BRANCH_POINT (the side branches of a pitchfork).

Otherwise chaotic and quasi-periodic clouds cannot be continued: a chaotic cloud's birth or
death is GLOBAL (crises are global bifurcations; this is the likely cause, not a verified one),
a quasi-periodic cloud's or divergence's UNKNOWN. Pairs that distance matched with one period
are continued only in intervals with a proposed event (continuing them everywhere would cost a
continuation per attractor and value). Identities proved by continuation are never
undone, so the procedure ends after at most one claim per attractor.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from ..basins import Attractor, AttractorKind
from ..special_points import BifurcationKind
from .links import Crossing, FamilyAt, at_bifurcation, coincide, local_link
from .results import AttractorEventCause

__all__ = ["STATE_TOLERANCE", "CLOUD_STEPS", "Reconciled", "reconcile", "holding",
           "converging_cloud"]

#: τ: a continued state and an attractor's state closer than τ (1 + |y|∞) are the same point.
STATE_TOLERANCE = 1e-5

#: Most steps :func:`converging_cloud` iterates a cloud to see it approach a fixed point.
CLOUD_STEPS = 5000

_CONTRADICTION = Crossing(AttractorEventCause.UNKNOWN, note=(
    "continuation led to an attractor whose identity is already proved by another branch"))
_TWO_TO_ONE = Crossing(AttractorEventCause.UNKNOWN, note=(
    "two branches continued to one attractor"))
_NO_CONTINUATION = Crossing(AttractorEventCause.UNKNOWN, note=(
    "no local continuation: local=False, or the maps are not one parameter family"))
_CLOUD_TO_CYCLE = Crossing(AttractorEventCause.UNKNOWN, note=(
    "a cloud became a fixed point or cycle, and the cycle continued back neither meets a "
    "bifurcation nor reaches the cloud"))


def holding(attractors, crossing: Crossing, period: int) -> int | None:
    """The index (or key) of the attractor holding the end state ``y`` of ``crossing``: one of
    ``period`` with a state within τ (1 + |y|∞) of ``y``, else a non-chaotic cloud around ``y``
    that is its slowly converging orbit (see :func:`converging_cloud`)."""
    y = crossing.end
    if y is None:
        return None
    items = list(attractors.items() if isinstance(attractors, dict) else enumerate(attractors))
    best, best_distance = None, STATE_TOLERANCE * (1.0 + float(np.max(np.abs(y))))
    for key, a in items:
        if a.period != period or a.kind is AttractorKind.DIVERGENCE or a.states.shape[0] == 0:
            continue
        distance = float(np.min(np.max(np.abs(a.states - y), axis=1)))
        if distance <= best_distance:
            best, best_distance = key, distance
    if best is None:
        best = next((key for key, a in items if converging_cloud(a, crossing, period)), None)
    return best


def converging_cloud(a: Attractor, crossing: Crossing, period: int) -> bool:
    r"""Whether the cloud ``a`` is the orbit of the stable fixed point (k-cycle) ``y`` at the end
    of ``crossing``, seen before it settled: ``y`` lies in the cloud's bounding box (widened by
    τ (1 + |y|∞)) and the cloud's states, iterated n = k ⌈log 0.1 / log|μ_1|⌉ more steps
    (at most :data:`CLOUD_STEPS`), at least halve their distance to the orbit of ``y``.

    A fixed point whose leading multiplier μ_1 is near the unit circle converges too slowly
    for the ensemble's step limit, and :func:`~dynrnn.basins` reports a quasi-periodic cloud
    around it; an attractor of its own (an invariant circle around ``y``) does not approach it.
    """
    y, system, u = crossing.end, crossing.system, crossing.u
    if a.period != 0 or a.kind is not AttractorKind.QUASI_PERIODIC or system is None \
            or y is None or crossing.multipliers is None or a.states.shape[0] == 0:
        return False
    margin = STATE_TOLERANCE * (1.0 + float(np.max(np.abs(y))))
    if np.any(y < a.states.min(axis=0) - margin) or np.any(y > a.states.max(axis=0) + margin):
        return False
    modulus = float(np.max(np.abs(crossing.multipliers)))
    if not 0 < modulus < 1:
        return modulus == 0
    n_steps = min(CLOUD_STEPS, period * int(np.ceil(np.log(0.1) / np.log(modulus))))
    try:
        orbit = [y]
        for _ in range(period - 1):
            orbit.append(system.step(orbit[-1], u))
        states = a.states[:: max(1, a.states.shape[0] // 8)]
        after = system.iterate(states, n_steps, u)
    except (ValueError, ArithmeticError):      # dynrnn's errors are ValueErrors
        return False
    orbit_states = np.stack(orbit)

    def distance(x):
        return np.abs(x[:, None, :] - orbit_states[None]).max(axis=2).min(axis=1)
    return bool(np.all(distance(after) <= 0.5 * distance(states) + margin))


@dataclass
class Reconciled:
    """The identities at :math:`p_i` and the causes of the events before it.

    Attributes
    ----------
    identity : dict
        {index of an attractor at p_i: identity}; the others are born.
    proved : set
        Indices whose identity local continuation proved.
    births, changes : dict
        {index at p_i: Crossing} for births and period changes.
    deaths : dict
        {identity at p_{i-1}: Crossing}.
    """

    identity: dict
    proved: set = field(default_factory=set)
    births: dict = field(default_factory=dict)
    changes: dict = field(default_factory=dict)
    deaths: dict = field(default_factory=dict)


def reconcile(previous: dict, current: list, matched: dict, family_at: FamilyAt | None,
              index: int, u: np.ndarray | None = None) -> Reconciled:
    """Identities at value ``index`` from the distance ``matched`` {current: identity},
    corrected by local continuation across (values[index-1], values[index]) (see the module);
    ``u`` is the constant input (default each map's own)."""
    state = Reconciled(dict(matched))
    if family_at is None:                 # nothing to continue with: every cause unknown
        _without_continuation(state, previous, current)
        return state

    def link(attractor: Attractor, forward: bool) -> Crossing:
        return local_link(family_at, attractor, index, forward, u)

    def on_bifurcation(attractor: Attractor) -> Crossing | None:
        return at_bifurcation(family_at, attractor, index, u)
    births: deque = deque()
    deaths: deque = deque()
    for j, k in list(state.identity.items()):
        # (an earlier claim may have moved this identity already)
        if state.identity.get(j) == k and j not in state.proved \
                and previous[k].period != current[j].period:
            _period_change(state, previous, current, link, j, births, deaths)
    births.extend(j for j in range(len(current)) if j not in state.identity)
    held = set(state.identity.values())
    if births or deaths or state.changes or any(k not in held for k in previous):
        _verify_matches(state, previous, current, link, on_bifurcation, births)
    while True:
        while births:
            _birth(state, previous, current, link, births.popleft(), births)
        held = set(state.identity.values())
        deaths.extend(k for k in previous if k not in held and k not in state.deaths
                      and k not in deaths)
        if not deaths:
            _at_branch_points(state)
            return state
        while deaths:
            _death(state, previous, current, link, on_bifurcation, deaths.popleft(), deaths)


def _verify_matches(state: Reconciled, previous: dict, current: list, link, on_bifurcation,
                    births) -> None:
    """In an interval with a proposed event, continue every fixed point (cycle) distance
    matched to one of the same period: a match whose branch reaches p_i at it, stable, is
    proved; one whose branch ends at another attractor is moved there (:func:`_claim`); one
    whose branch loses stability (a bifurcation) or ends where no attractor was found is undone:
    the attractor at p_i becomes a proposed birth and the identity dies with that cause, as it
    does when the attractor at p_{i-1} lies on a bifurcation (:func:`~.links.at_bifurcation`).
    A continuation that failed leaves the match alone."""
    for j, k in list(state.identity.items()):
        if state.identity.get(j) != k or j in state.proved or previous[k].period < 1 \
                or previous[k].period != current[j].period:
            continue
        crossing = on_bifurcation(previous[k]) or link(previous[k], True)
        if crossing.end is None and crossing.bifurcation is None:
            continue                                     # nothing learnt: keep the match
        target = None if crossing.end is None else \
            holding(current, crossing, previous[k].period)
        if target == j:
            state.proved.add(j)
        elif target is not None and target not in state.proved:
            _claim(state, target, k, births, deque(), crossing,
                   (previous[k].period, current[target].period))
        else:
            del state.identity[j]
            births.append(j)
            state.deaths[k] = crossing if target is None else _CONTRADICTION


def _at_branch_points(state: Reconciled) -> None:
    """Relabel as BRANCH_POINT every fold cause that coincides (:func:`~.links.coincide`) with a
    branch point (or a fold already relabelled so) another event of the interval was linked to:
    a side branch of a pitchfork (transcritical point) turns, in the parameter, where the other
    branch has its BP."""
    found = [c.bifurcation for table in (state.births, state.changes, state.deaths)
             for c in table.values() if c.bifurcation is not None
             and (c.bifurcation.kind is BifurcationKind.BP
                  or c.cause is AttractorEventCause.BRANCH_POINT)]
    for table in (state.births, state.changes, state.deaths):
        for key, c in list(table.items()):
            if c.cause is AttractorEventCause.FOLD and c.bifurcation is not None and \
                    any(coincide(c.bifurcation, b) for b in found):
                table[key] = c._replace(cause=AttractorEventCause.BRANCH_POINT, note=(
                    "a fold where another branch has a branch point: a side branch of it"))


def _without_continuation(state: Reconciled, previous: dict, current: list) -> None:
    held = set(state.identity.values())
    for j in range(len(current)):
        if j not in state.identity:
            state.births[j] = _NO_CONTINUATION
        elif previous[state.identity[j]].period != current[j].period:
            state.changes[j] = _NO_CONTINUATION
    state.deaths.update({k: _NO_CONTINUATION for k in previous if k not in held})


def _holder(state: Reconciled, k: int) -> int | None:
    return next((j for j, identity in state.identity.items() if identity == k), None)


def _period_change(state, previous, current, link, j, births, deaths) -> None:
    k = state.identity[j]
    if previous[k].period < 1:              # a cloud before: continue the cycle after back
        state.changes[j] = _from_cloud(previous[k], current[j], link)
        return
    crossing = link(previous[k], True)
    if crossing.end is None:                # a flip/NS inside (or no continuation)
        state.changes[j] = crossing
        return
    # the old fixed point or cycle still exists at p_i, where it is j (seen as a cloud that
    # had not settled), another attractor, or none the ensemble reached
    target = holding(current, crossing, previous[k].period)
    if target == j:
        state.changes[j] = crossing
        return
    del state.identity[j]
    births.append(j)
    if target is None or target in state.proved:
        # not reached at p_i; or a contradiction with a proved identity
        state.deaths[k] = crossing if target is None else _CONTRADICTION
        return
    _claim(state, target, k, births, deaths, crossing,
           (previous[k].period, current[target].period))


def _from_cloud(cloud: Attractor, cycle: Attractor, link) -> Crossing:
    """The cause of a cloud at p_{i-1} becoming a fixed point or cycle at p_i."""
    if cycle.period < 1:
        return Crossing(AttractorEventCause.UNKNOWN, note=(
            f"a {cloud.kind.value} attractor became a {cycle.kind.value} one; neither can be "
            "continued"))
    crossing = link(cycle, False)
    if crossing.bifurcation is not None:
        return crossing
    if crossing.end is not None and converging_cloud(cloud, crossing, cycle.period):
        return crossing                     # the same point, not settled at p_{i-1}
    return _CLOUD_TO_CYCLE


def _claim(state: Reconciled, j: int, k: int, births, deaths, crossing: Crossing,
           periods: tuple[int, int]) -> None:
    """Give attractor j at p_i identity k, proved by continuation; whoever held either loses it.
    A cycle and the cloud of its unsettled orbit keep one identity: a NOT_REACHED period change."""
    holder = _holder(state, k)
    if holder is not None and holder != j:
        del state.identity[holder]
        state.changes.pop(holder, None)
        births.append(holder)
    lost = state.identity.get(j)
    if lost is not None and lost != k:
        deaths.append(lost)
    state.identity[j] = k
    state.proved.add(j)
    state.births.pop(j, None)
    state.changes.pop(j, None)
    state.deaths.pop(k, None)
    if periods[0] != periods[1]:
        state.changes[j] = crossing


def _birth(state, previous, current, link, j, births) -> None:
    if j in state.identity:
        return
    crossing = link(current[j], False)
    if crossing.end is None:
        state.births[j] = crossing
        return
    k = holding(previous, crossing, current[j].period)
    holder = None if k is None else _holder(state, k)
    if k is None:
        state.births[j] = crossing                       # NOT_REACHED at p_{i-1}
    elif holder in state.proved:
        state.births[j] = _TWO_TO_ONE                    # two branches to one point
    else:
        _claim(state, j, k, births, deque(), crossing,  # j held no identity: none is lost
               (previous[k].period, current[j].period))


def _death(state, previous, current, link, on_bifurcation, k, deaths) -> None:
    if k in state.identity.values() or k in state.deaths:
        return
    crossing = on_bifurcation(previous[k]) or link(previous[k], True)
    if crossing.end is None:
        state.deaths[k] = crossing
        return
    j = holding(current, crossing, previous[k].period)
    linked = j is not None and j in state.births and state.births[j].bifurcation is not None
    if j is None:
        state.deaths[k] = crossing                       # NOT_REACHED at p_i
    elif j in state.proved or linked:
        state.deaths[k] = _CONTRADICTION                 # contradicts a proved identity
    else:
        _claim(state, j, k, deque(), deaths, crossing,  # k was held by none: no birth follows
               (previous[k].period, current[j].period))

