r"""Births and deaths of :func:`~dynrnn.global_continuation` linked to local bifurcations: the
attractor is continued (:func:`~dynrnn.continuation`) across the interval where the event
happened, and the first fold, flip or Neimark–Sacker point inside it is the cause.

.. math::

    \text{death in } (p_{i-1}, p_i) \text{ linked to } B \iff
    B \in \operatorname{continuation}\big(A(p_{i-1});\, [p_{i-1}, p_i]\big),\;
    \operatorname{kind}(B) \in \{\text{LP}, \text{PD}, \text{NS}\}

A birth is continued backwards from :math:`p_i`. An event whose continuation crosses the interval
without a bifurcation is global (a crisis, or an attractor appearing away from any known one).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

from ...errors import ConvergenceError, InvalidInputError, InvalidTypeError
from ...model.families import NETWORKS, LineBetween, ParameterFamily
from ..basins import Attractor
from ..continuation import continuation
from ..special_points import Bifurcation, BifurcationKind
from .results import AttractorEvent, AttractorEventCause, AttractorEventKind

__all__ = ["FamilyAt", "family_for", "local_link", "link_events"]

#: ``family_at(i) -> (map_at(value), param, lo, hi)`` for the interval before value i.
FamilyAt = Callable[[int], tuple]

_CAUSES = {BifurcationKind.LP: AttractorEventCause.FOLD,
           BifurcationKind.PD: AttractorEventCause.FLIP,
           BifurcationKind.NS: AttractorEventCause.NEIMARK_SACKER}


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


def local_link(family_at: FamilyAt | None, attractor: Attractor, index: int, forward: bool
               ) -> tuple[AttractorEventCause, Bifurcation | None]:
    """Continue ``attractor`` across (values[index-1], values[index]) and return the first
    fold/flip/NS inside the interval (forward: from values[index-1] for a death; else from
    values[index] backwards for a birth), or a cause without bifurcation."""
    if attractor.period < 1 or family_at is None:
        return AttractorEventCause.UNKNOWN, None
    base, param, lo, hi = family_at(index)
    start_value = lo if forward else hi
    system = base(start_value)
    bounds = (min(lo, hi), max(lo, hi))
    direction: Literal["forward", "backward"] = \
        "forward" if (hi > lo) == forward else "backward"
    try:
        branch = continuation(system, param, attractor.x, bounds, p0=start_value,
                              period=attractor.period, direction=direction)
    except (ConvergenceError, InvalidInputError, InvalidTypeError, np.linalg.LinAlgError):
        return AttractorEventCause.UNKNOWN, None
    for bifurcation in branch.bifurcations:
        if bifurcation.kind in _CAUSES and bounds[0] <= bifurcation.param <= bounds[1]:
            return _CAUSES[bifurcation.kind], bifurcation
    if not branch.success:
        return AttractorEventCause.UNKNOWN, None
    return AttractorEventCause.GLOBAL, None


def link_events(events: list, family_at: FamilyAt | None, values: np.ndarray,
                on_line: bool) -> tuple[AttractorEvent, ...]:
    """The raw events of :class:`~dynrnn.analysis.global_continuation.identities.Identities`
    as :class:`AttractorEvent` objects, each linked to a local bifurcation where there is one.

    ``on_line``: the bifurcations were found on the line between neighbouring networks, their
    ``param`` is s in [0, 1] and is mapped into the interval.
    """
    linked = []
    for kind, identity, i, a in events:
        interval = (float(values[i - 1]), float(values[i]))
        cause, bifurcation = AttractorEventCause.UNKNOWN, None
        if family_at is not None:
            cause, bifurcation = local_link(family_at, a, i,
                                            forward=kind is not AttractorEventKind.BIRTH)
        if bifurcation is None:
            param_value = 0.5 * (interval[0] + interval[1])
        elif not on_line:
            param_value = float(bifurcation.param)
        else:   # s in [0, 1] on the line between two neighbouring networks
            param_value = interval[0] + float(bifurcation.param) * (interval[1] - interval[0])
        linked.append(AttractorEvent(kind, identity, i, interval, param_value, cause,
                                     bifurcation))
    return tuple(linked)
