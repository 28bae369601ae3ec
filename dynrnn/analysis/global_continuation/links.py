r"""Local continuation of the attractors of :func:`~dynrnn.global_continuation` across one
interval (p_{i-1}, p_i): where a fixed point or cycle is born, dies or changes period, it is
continued (:func:`~dynrnn.continuation`) across the interval, and either a fold, flip or
Neimark–Sacker point is found inside it, or the branch reaches the other end of the interval.

.. math::

    \text{death in } (p_{i-1}, p_i) \text{ linked to } B \iff
    B \in \operatorname{continuation}\big(A(p_{i-1});\, [p_{i-1}, p_i]\big),\;
    \operatorname{kind}(B) \in \{\text{LP}, \text{PD}, \text{NS}\}

A birth is continued backwards from :math:`p_i`. A branch that reaches the other end without a
bifurcation proves that the fixed point (cycle) existed there too, with unchanged stability: the
event is then not a bifurcation at all, and
:mod:`~dynrnn.analysis.global_continuation.reconcile` either gives the attractor the identity of
the one it continues to, or reports that the ensemble did not reach it
(:attr:`AttractorEventCause.NOT_REACHED`).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Literal, NamedTuple

import numpy as np

from ...errors import ConvergenceError, InvalidInputError, InvalidTypeError
from ...model.base import RecurrentMap
from ...model.families import NETWORKS, LineBetween, ParameterFamily
from ..basins import Attractor, AttractorKind
from ..continuation import continuation
from ..special_points import Bifurcation, BifurcationKind
from .results import AttractorEvent, AttractorEventCause

__all__ = ["FamilyAt", "Crossing", "family_for", "local_link", "cloud_cause", "link_events"]

#: ``family_at(i) -> (map_at(value), param, lo, hi)`` for the interval before value i.
FamilyAt = Callable[[int], tuple]

_CAUSES = {BifurcationKind.LP: AttractorEventCause.FOLD,
           BifurcationKind.PD: AttractorEventCause.FLIP,
           BifurcationKind.NS: AttractorEventCause.NEIMARK_SACKER}


class Crossing(NamedTuple):
    """What local continuation of one attractor across an interval found.

    ``cause`` is FOLD, FLIP or NEIMARK_SACKER with the ``bifurcation`` inside the interval;
    NOT_REACHED when the branch reached the other end without one, ``end`` then being its state
    there (one point of the cycle), shape (n_states,), and ``multipliers`` its multipliers,
    by decreasing modulus, ``system`` the map there and ``u`` the constant input; UNKNOWN (or
    GLOBAL for a chaotic cloud, see :func:`cloud_cause`) when no continuation was possible.
    """

    cause: AttractorEventCause
    bifurcation: Bifurcation | None = None
    end: np.ndarray | None = None
    multipliers: np.ndarray | None = None
    system: RecurrentMap | None = None
    u: np.ndarray | None = None


def family_for(systems, values: np.ndarray, param, family: ParameterFamily | None
               ) -> FamilyAt | None:
    """``family_at(i) -> (map_at(value), param, lo, hi)`` for the interval before value i: the
    named parameter, the family, or the straight line between two neighbouring networks of a
    sequence (None when the maps are not networks of one type)."""
    if isinstance(param, str):
        base = systems[0]
        return lambda i: (lambda v: base.with_params({param: v}), param, float(values[i - 1]),
                          float(values[i]))
    if family is not None:
        return lambda i: (family.at, family, float(values[i - 1]), float(values[i]))

    def along_line(i):
        line = LineBetween(systems[i - 1], systems[i])
        return line.at, line, 0.0, 1.0
    if all(isinstance(s, NETWORKS) for s in systems) and len({type(s) for s in systems}) == 1:
        return along_line
    return None


def cloud_cause(attractor: Attractor) -> AttractorEventCause:
    """The cause of an event of an attractor local continuation cannot follow: GLOBAL for a
    chaotic cloud (it appears and vanishes in crises, global bifurcations; not verified), else
    UNKNOWN (a quasi-periodic cloud, divergence)."""
    return (AttractorEventCause.GLOBAL if attractor.kind is AttractorKind.CHAOTIC
            else AttractorEventCause.UNKNOWN)


def local_link(family_at: FamilyAt | None, attractor: Attractor, index: int, forward: bool,
               u: np.ndarray | None = None) -> Crossing:
    """Continue ``attractor`` across (values[index-1], values[index]): forward from
    values[index-1] (a death, a period change), else backwards from values[index] (a birth).

    Returns the first fold/flip/NS inside the interval, else the state where the branch reached
    the other end (cause NOT_REACHED), else UNKNOWN/GLOBAL (no continuation possible). ``u``:
    the constant input of the ensemble (default each map's own)."""
    if attractor.period < 1 or family_at is None:
        return Crossing(cloud_cause(attractor) if family_at is not None
                        else AttractorEventCause.UNKNOWN)
    base, param, lo, hi = family_at(index)
    start_value, end_value = (lo, hi) if forward else (hi, lo)
    bounds = (min(lo, hi), max(lo, hi))
    direction: Literal["forward", "backward"] = \
        "forward" if (hi > lo) == forward else "backward"
    try:
        branch = continuation(base(start_value), param, attractor.x, bounds, p0=start_value,
                              period=attractor.period, u=u, direction=direction)
    except (ConvergenceError, InvalidInputError, InvalidTypeError, np.linalg.LinAlgError):
        return Crossing(AttractorEventCause.UNKNOWN)
    for bifurcation in branch.bifurcations:
        if bifurcation.kind in _CAUSES and bounds[0] <= bifurcation.param <= bounds[1]:
            return Crossing(_CAUSES[bifurcation.kind], bifurcation)
    reached = branch.n_points > 0 and \
        abs(branch.params[-1] - end_value) <= 1e-9 * (1.0 + abs(end_value))
    if not branch.success or not reached or not np.all(np.isfinite(branch.states[-1])):
        return Crossing(AttractorEventCause.UNKNOWN)
    return Crossing(AttractorEventCause.NOT_REACHED, None, np.array(branch.states[-1]),
                    np.array(branch.eigenvalues[-1]), base(end_value), u)


def link_events(events: list, values: np.ndarray, on_line: bool) -> tuple[AttractorEvent, ...]:
    """The events of :class:`~dynrnn.analysis.global_continuation.identities.Identities`
    (kind, identity, index, attractor, cause, bifurcation) as :class:`AttractorEvent` objects,
    located at their bifurcation where there is one, else at the interval's midpoint.

    ``on_line``: the bifurcations were found on the line between neighbouring networks, their
    ``param`` is s in [0, 1] and is mapped into the interval.
    """
    linked = []
    for kind, identity, i, _, cause, bifurcation in events:
        interval = (float(values[i - 1]), float(values[i]))
        if bifurcation is None:
            param_value = 0.5 * (interval[0] + interval[1])
        elif not on_line:
            param_value = float(bifurcation.param)
        else:   # s in [0, 1] on the line between two neighbouring networks
            param_value = interval[0] + float(bifurcation.param) * (interval[1] - interval[0])
        linked.append(AttractorEvent(kind, identity, i, interval, param_value, cause,
                                     bifurcation))
    return tuple(linked)
