r"""Local continuation of the attractors of :func:`~dynrnn.global_continuation` across one
interval (p_{i-1}, p_i): where a fixed point or cycle is born, dies or changes period, it is
continued (:func:`~dynrnn.continuation`) across the interval, and either the branch reaches the
other end as a hyperbolic stable attractor, or the first bifurcation it meets is the cause.

.. math::

    \text{NOT\_REACHED} \iff \text{the branch reaches the other end at } y,\;
    \max_i |\mu_i(y)| < 1 - 10^{-6},\; \text{no LP, PD, NS on the way;}
    \text{ else the cause is the first of LP, PD, NS, BP, BC in the interval.}

A birth is continued backwards from :math:`p_i`. A branch that reaches the other end stable
proves that the fixed point (cycle) existed there too as an attractor: the event is then not a
bifurcation at all, and :mod:`~dynrnn.analysis.global_continuation.reconcile` either gives the
attractor the identity of the one it continues to, or reports that the ensemble did not reach
it (:attr:`AttractorEventCause.NOT_REACHED`). A branch that reaches it unstable or
non-hyperbolic lost stability on the way: its first fold, flip, Neimark–Sacker, branch point or
border collision is the cause, looked for just past the end (by :data:`EXTEND` of the interval)
when the value lies exactly on the bifurcation. A branch that stalls inside the interval is
continued again with smaller steps and wider bounds. A fold at a branch point is relabelled
BRANCH_POINT and a fold or branch point of a 2k-cycle on a k-cycle FLIP (:func:`cause_of`).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Literal, NamedTuple

import numpy as np

from ...errors import ConvergenceError, InvalidInputError, InvalidTypeError
from ...model.base import RecurrentMap
from ...model.families import NETWORKS, LineBetween, ParameterFamily
from ..basins import Attractor, AttractorKind
from ..continuation import Branch, ContinuationOptions, continuation
from ..special_points import Bifurcation, BifurcationKind
from .results import AttractorEvent, AttractorEventCause

__all__ = ["FamilyAt", "Crossing", "family_for", "local_link", "cloud_cause", "cause_of",
           "coincide", "at_bifurcation", "link_events", "STABLE_MARGIN", "EXTEND", "NEAR_CRITICAL"]

#: ``family_at(i) -> (map_at(value), param, lo, hi)`` for the interval before value i.
FamilyAt = Callable[[int], tuple]

_CAUSES = {BifurcationKind.LP: AttractorEventCause.FOLD,
           BifurcationKind.PD: AttractorEventCause.FLIP,
           BifurcationKind.NS: AttractorEventCause.NEIMARK_SACKER,
           BifurcationKind.BP: AttractorEventCause.BRANCH_POINT,
           BifurcationKind.BC: AttractorEventCause.BORDER_COLLISION}

#: The kinds that end an attractor even when the branch reaches the other end stable again.
_CLASSIC = (BifurcationKind.LP, BifurcationKind.PD, BifurcationKind.NS)

#: A fixed point (cycle) is a hyperbolic stable attractor when max|μ| < 1 − STABLE_MARGIN.
STABLE_MARGIN = 1e-6

#: Fraction of the interval continuation goes past its end to find a bifurcation there.
EXTEND = 0.01

#: A stable end with max|μ| > 1 − NEAR_CRITICAL is checked for a bifurcation at the end value.
NEAR_CRITICAL = 1e-3


class Crossing(NamedTuple):
    """What local continuation of one attractor across an interval found.

    ``cause`` is FOLD, FLIP, NEIMARK_SACKER, BRANCH_POINT or BORDER_COLLISION with the
    ``bifurcation`` inside the interval; NOT_REACHED when the branch reached the other end
    without one, a hyperbolic stable attractor there, ``end`` then being its state
    there (one point of the cycle), shape (n_states,), and ``multipliers`` its multipliers,
    by decreasing modulus, ``system`` the map there and ``u`` the constant input; UNKNOWN (or
    GLOBAL for a chaotic cloud, see :func:`cloud_cause`) when no continuation was possible or
    found no cause; ``note`` says how the cause was decided when that is not plain.
    """

    cause: AttractorEventCause
    bifurcation: Bifurcation | None = None
    end: np.ndarray | None = None
    multipliers: np.ndarray | None = None
    system: RecurrentMap | None = None
    u: np.ndarray | None = None
    note: str = ""


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

    Returns NOT_REACHED with the end state when the branch reaches the other end as a hyperbolic
    stable fixed point (cycle) (max|μ| < 1 − :data:`STABLE_MARGIN`) with no fold, flip or NS on
    the way; else the first bifurcation of any kind (LP, PD, NS, BP, BC) inside the interval
    (see :func:`cause_of`), looked for again with smaller steps and wider bounds when the branch
    stalled, and just past the end when the end state is non-hyperbolic; else UNKNOWN (GLOBAL
    for a chaotic cloud) with a note. ``u``: the constant input of the ensemble (default each
    map's own)."""
    if family_at is None:
        return Crossing(AttractorEventCause.UNKNOWN, note=(
            "no local continuation: local=False, or the maps are not one parameter family"))
    if attractor.period < 1:
        kind = attractor.kind.value
        return Crossing(cloud_cause(attractor), note=(
            f"a {kind} attractor cannot be continued; a chaotic one appears and vanishes in "
            "crises (not verified)" if attractor.kind is AttractorKind.CHAOTIC else
            f"a {kind} attractor cannot be continued"))
    base, param, lo, hi = family_at(index)
    start_value, end_value = (lo, hi) if forward else (hi, lo)
    bounds = (min(lo, hi), max(lo, hi))
    width = bounds[1] - bounds[0]

    def run(run_bounds: tuple[float, float],
            options: ContinuationOptions | None = None) -> Branch | None:
        direction: Literal["forward", "backward"] = \
            "forward" if (hi > lo) == forward else "backward"
        try:
            return continuation(base(start_value), param, attractor.x, run_bounds,
                                p0=start_value, period=attractor.period, u=u,
                                direction=direction, options=options)
        except (ConvergenceError, InvalidInputError, InvalidTypeError, np.linalg.LinAlgError):
            return None
    branch = run(bounds)
    if branch is None or branch.n_points == 0:
        return Crossing(AttractorEventCause.UNKNOWN, note="the continuation failed to start")
    reached = branch.success and \
        abs(branch.params[-1] - end_value) <= 1e-9 * (1.0 + abs(end_value)) and \
        bool(np.all(np.isfinite(branch.states[-1])))
    modulus = float(np.max(np.abs(branch.eigenvalues[-1]))) if reached else float("nan")
    inside = _inside(branch, bounds)
    if reached and modulus < 1.0 - STABLE_MARGIN:
        classic = [b for b in inside if b.kind in _CLASSIC]
        if classic:
            return cause_of(classic, inside, base(classic[0].param), u)
        if modulus > 1.0 - NEAR_CRITICAL:   # on a bifurcation located only to its tolerance?
            at_end = _past_end(run, bounds, end_value, modulus, base, u, tight=True)
            if at_end is not None:
                return at_end
        return Crossing(AttractorEventCause.NOT_REACHED, None, np.array(branch.states[-1]),
                        np.array(branch.eigenvalues[-1]), base(end_value), u)
    if inside:
        return cause_of(inside, inside, base(inside[0].param), u)
    if reached:   # non-hyperbolic or unstable at the end: look just past it
        at_end = _past_end(run, bounds, end_value, modulus, base, u, tight=False)
        return at_end if at_end is not None else Crossing(AttractorEventCause.UNKNOWN, note=(
            f"the branch reached the other end unstable or non-hyperbolic (max|μ| = "
            f"{modulus:.6g}) without a bifurcation continuation could locate"))
    # stalled before the other end: smaller steps, wider bounds, keep what lies inside
    wide = (bounds[0] - 0.5 * width, bounds[1] + 0.5 * width)
    again = run(wide, ContinuationOptions(ds=width / 50, ds_max=width / 50,
                                          ds_min=min(1e-7, width / 50)))
    inside = [] if again is None else _inside(again, bounds)
    if inside:
        return cause_of(inside, inside, base(inside[0].param), u)
    return Crossing(AttractorEventCause.UNKNOWN, note=(
        "the branch stopped before the other end of the interval without a bifurcation, also "
        "with smaller steps and wider bounds"))


def at_bifurcation(family_at: FamilyAt | None, attractor: Attractor, index: int,
                   u: np.ndarray | None = None) -> Crossing | None:
    """The bifurcation that ``attractor``, found at values[index-1], lies on: when its leading
    multiplier is within :data:`NEAR_CRITICAL` of the unit circle, a continuation both ways
    over :data:`EXTEND` of the interval around values[index-1] that locates a bifurcation
    within 10⁻⁶ (1 + |p|) of it; None otherwise. Continued from such a point, a branch may
    leave along any of the branches that meet there (a pitchfork's origin, found at w = 1,
    continues onto a side branch), so it proves no identity."""
    if family_at is None or attractor.period < 1 or attractor.multipliers.size == 0:
        return None
    modulus = float(np.max(np.abs(attractor.multipliers)))
    if not modulus > 1.0 - NEAR_CRITICAL:
        return None
    base, param, lo, hi = family_at(index)
    reach = EXTEND * abs(hi - lo)
    try:
        branch = continuation(base(lo), param, attractor.x, (lo - reach, lo + reach), p0=lo,
                              period=attractor.period, u=u, direction="both")
    except (ConvergenceError, InvalidInputError, InvalidTypeError, np.linalg.LinAlgError):
        return None
    return _explained(_at(_inside(branch, (lo - reach, lo + reach)), lo), base, u,
                      f"the attractor found at the value before the interval lies on this "
                      f"bifurcation (max|μ| = {modulus:.6g})")


def _past_end(run, bounds, end_value: float, modulus: float, base, u, tight: bool
              ) -> Crossing | None:
    """The cause found by continuing :data:`EXTEND` of the interval past ``end_value``, where
    the branch arrived with leading multiplier modulus ``modulus``; ``tight``: only a
    bifurcation within 10⁻⁶ (1 + |p|) of ``end_value`` (the value lies on it)."""
    width = bounds[1] - bounds[0]
    past = (bounds[0] - EXTEND * width, bounds[1]) if end_value == bounds[0] \
        else (bounds[0], bounds[1] + EXTEND * width)
    again = run(past)
    near = [] if again is None else _inside(again, past)
    return _explained(_at(near, end_value) if tight else near, base, u,
                      f"found at the end of the interval, where the attractor is "
                      f"non-hyperbolic or unstable (max|μ| = {modulus:.6g})")


def _at(bifurcations: list[Bifurcation], value: float) -> list[Bifurcation]:
    """Those of ``bifurcations`` within 10⁻⁶ (1 + |value|) of ``value``."""
    return [b for b in bifurcations if abs(b.param - value) <= 1e-6 * (1.0 + abs(value))]


def _explained(near: list[Bifurcation], base, u, why: str) -> Crossing | None:
    """The cause of the first of ``near`` (None when empty), its note led by ``why``."""
    if not near:
        return None
    found = cause_of(near, near, base(near[0].param), u)
    return found._replace(note=why + (f"; {found.note}" if found.note else ""))


def _inside(branch, bounds: tuple[float, float]) -> list[Bifurcation]:
    """The branch's LP, PD, NS, BP and BC points within ``bounds`` (10⁻⁹ relative slack), in
    the order of the branch."""
    slack = 1e-9 * (1.0 + max(abs(bounds[0]), abs(bounds[1])))
    return [b for b in branch.bifurcations if b.kind in _CAUSES
            and bounds[0] - slack <= b.param <= bounds[1] + slack]


def coincide(a: Bifurcation, b: Bifurcation) -> bool:
    """Whether two located special points are one: parameters within 10⁻⁵ (1 + |p|) and states
    within 10⁻² (1 + |x|∞) (a degenerate point such as a pitchfork is located only to about the
    square root of the locator's tolerance in the state)."""
    return abs(a.param - b.param) <= 1e-5 * (1.0 + abs(a.param)) and \
        a.x.shape == b.x.shape and \
        float(np.max(np.abs(a.x - b.x))) <= 1e-2 * (1.0 + float(np.max(np.abs(a.x))))


def cause_of(found: list[Bifurcation], branch_points: list[Bifurcation], system: RecurrentMap,
             u: np.ndarray | None) -> Crossing:
    """The cause given by the first of ``found``: a fold or branch point of a 2k-cycle at a
    point of period k is the FLIP of the k-cycle (``system``, the map at the point, checks
    F^k(x) = x within 10⁻³ (1 + |x|∞)); a fold that coincides (:func:`coincide`) with one of
    ``branch_points`` of kind BP is a BRANCH_POINT; else the cause of its kind."""
    first = found[0]
    period = int(first.period)
    if first.kind in (BifurcationKind.LP, BifurcationKind.BP) and period > 1 and period % 2 == 0:
        try:
            x = np.asarray(first.x, float)
            for _ in range(period // 2):
                x = system.step(x, u)
            collapsed = float(np.max(np.abs(x - first.x))) <= \
                1e-3 * (1.0 + float(np.max(np.abs(first.x))))
        except (ValueError, ArithmeticError):       # dynrnn's errors are ValueErrors
            collapsed = False
        if collapsed:
            return Crossing(AttractorEventCause.FLIP, first, note=(
                f"the {period}-cycle's {first.kind.value} lies on a {period // 2}-cycle: its "
                f"flip"))
    if first.kind is BifurcationKind.LP and any(
            b.kind is BifurcationKind.BP and coincide(first, b) for b in branch_points):
        return Crossing(AttractorEventCause.BRANCH_POINT, first,
                        note="a fold at a branch point: a side branch of the branch point")
    return Crossing(_CAUSES[first.kind], first)


def link_events(events: list, values: np.ndarray, on_line: bool) -> tuple[AttractorEvent, ...]:
    """The events of :class:`~dynrnn.analysis.global_continuation.identities.Identities`
    (kind, identity, index, attractor, cause, bifurcation, note) as :class:`AttractorEvent` objects,
    located at their bifurcation where there is one, else at the interval's midpoint.

    ``on_line``: the bifurcations were found on the line between neighbouring networks, their
    ``param`` is s in [0, 1] and is mapped into the interval.
    """
    linked = []
    for kind, identity, i, _, cause, bifurcation, note in events:
        interval = (float(values[i - 1]), float(values[i]))
        if bifurcation is None:
            param_value = 0.5 * (interval[0] + interval[1])
        elif not on_line:
            param_value = float(bifurcation.param)
        else:   # s in [0, 1] on the line between two neighbouring networks
            param_value = interval[0] + float(bifurcation.param) * (interval[1] - interval[0])
        linked.append(AttractorEvent(kind, identity, i, interval, param_value, cause,
                                     bifurcation, note))
    return tuple(linked)
