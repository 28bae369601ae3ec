r"""Switching at codimension-two points: start the codimension-one curves that emanate there.

==========  ==========  ==============================================================
point       ``to``      curve started (how)
==========  ==========  ==============================================================
R1          NS          the NS curve of the point's cycle (κ = cos θ): on a small circle
                        around R1 in the parameter plane, the point where the critical
                        pair is complex with product 1 (an NS point), refined, continued
R1          LP          the fold curve through the point (its system is regular there)
R2          NS2         the NS curve of the doubled cycle, which exists only when the 1:2
                        resonance coefficient C1 < 0 (``resonance_1_2_coefficients``; a
                        named error otherwise): on a small circle around R2, the 2k-cycle
                        (multiple shooting from x_j ± ξ v_j, v the flip vector) whose
                        critical pair is complex with product 1 (n_angles, then 8 times
                        as many angles), continued
R2          PD, NS      the flip curve through the point; the NS curve of the point's
                        cycle (circle search, as at R1)
LPPD        PD, LP      the other curve through the same point (its defining system is
                        regular there: the second critical multiplier is simple)
GPD         LP2         the fold curve of the doubled cycle: just off GPD in p2, the flip
                        of the k-cycle, the doubled branch (switch_branch), its fold,
                        continued
==========  ==========  ==============================================================

This holds whichever curve (LP, PD or NS) the point was found on; by default the first curve
of its row that is not that curve is started. A cusp (CP) starts no new curve of
codimension one (the fold curve passes through it): it raises
:class:`~dynrnn.InvalidInputError` saying so, as does a codimension-one point. The other
codimension-two points of maps in MatContM (R3, R4, Chenciner, LPNS, PDNS, NSNS) are not
detected by dynrnn.

References
----------
.. [1] W. Govaerts, R. Khoshsiar Ghaziani, Yu. A. Kuznetsov, H. G. E. Meijer, "Numerical
   methods for two-parameter local bifurcation analysis of maps", SIAM J. Sci. Comput. 29
   (2007) 2644–2667, §5 (branch switching at codimension-two points).
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .._checks import check_count
from ..errors import DynrnnError, InvalidInputError, InvalidTypeError
from ..model.base import RecurrentMap
from .continuation import continue_bifurcation
from .continuation.vocabulary import check_interval
from .resonance_coefficients import resonance_1_2_coefficients
from .special_points import Bifurcation, BifurcationKind

__all__ = ["MAX_ANGLES", "OUTGOING", "switch_at_codim2"]

_K = BifurcationKind


def _fixed_point(system, x0, period, u=None, tol=1e-13, max_iter=50):
    """Newton on F^k(x) = x from x0 (None if it does not converge)."""
    x = np.array(x0, dtype=float)
    n = x.shape[0]
    for _ in range(max_iter):
        y, M = x, np.eye(n)
        for _ in range(period):
            M = system.jacobian(y, u) @ M
            y = system.step(y, u)
        r = y - x
        if float(np.max(np.abs(r))) < tol * (1 + float(np.max(np.abs(x)))):
            return x, M
        try:
            x = x - np.linalg.solve(M - np.eye(n), r)
        except np.linalg.LinAlgError:
            return None
        if not np.all(np.isfinite(x)):
            return None
    return None


def _circle_point(point: Bifurcation, radius: float, phi: float) -> tuple[float, float]:
    p1, p2 = float(point.param), float(point.param2 or 0.0)
    return (p1 + radius * max(1.0, abs(p1)) * math.cos(phi),
            p2 + radius * max(1.0, abs(p2)) * math.sin(phi))


def _critical_pair(multipliers: np.ndarray, near: float):
    """The two multipliers nearest ``near`` (±1) and ψ = Re(μ1 μ2) − 1, which vanishes on the
    NS curve (a complex pair) and on the neutral-saddle curve (a real pair)."""
    pair = multipliers[np.argsort(np.abs(multipliers - near))[:2]]
    return pair, float((pair[0] * pair[1]).real - 1.0)


def _circle_search(probe: Callable, n_angles: int, bisections: int = 60):
    """A zero of ψ (the last entry of ``probe(angle)``) with a complex pair, on a circle:
    ``n_angles`` samples, then bisection in the angle between two of opposite sign."""
    # half a step off the axes: curves often leave along a parameter axis, where ψ = 0
    angles = np.linspace(0.0, 2 * math.pi, n_angles, endpoint=False) + math.pi / n_angles
    values = [probe(phi) for phi in angles]
    for i in range(n_angles):
        a, b = values[i], values[(i + 1) % n_angles]
        if a is None or b is None or not a[-1] * b[-1] < 0:
            continue
        lo, hi, fa, best = angles[i], angles[i] + 2 * math.pi / n_angles, a[-1], a
        for _ in range(bisections):
            mid = 0.5 * (lo + hi)
            got = probe(mid)
            if got is None:
                break
            best = got
            if got[-1] * fa > 0:
                lo, fa = mid, got[-1]
            else:
                hi = mid
        if np.all(np.abs(best[3].imag) > 1e-12):
            return best
    return None


def _ns_near(system, point: Bifurcation, names, radius, n_angles, u, near=1.0):
    """An NS point of the point's own cycle on a circle of ``radius`` around ``point``."""

    def probe(phi):
        q1, q2 = _circle_point(point, radius, phi)
        got = _fixed_point(system.with_params({names[0]: q1, names[1]: q2}), point.x,
                           point.period, u)
        if got is None:
            return None
        return (q1, q2, got[0], *_critical_pair(np.linalg.eigvals(got[1]), near))

    return _circle_search(probe, n_angles)


def _doubled_cycle(system, name1, q1, x, v, u, amplitudes):
    """The 2k-cycle near the k-cycle ``x`` (k, n) with flip vectors ``v`` (k, n), at p1 = q1:
    multiple shooting from x_j ± ξ v_j at fixed p1 (None if every ξ falls back onto the
    k-cycle or fails)."""
    from ..model.families import as_family
    from .continuation.engine import CorrectorSettings, correct
    from .multiple_shooting import ShootingProblem
    k, n = x.shape
    problem = ShootingProblem(as_family(system, name1), n, 2 * k, u)
    row = np.zeros(2 * k * n + 1)
    row[-1] = 1.0
    for xi in amplitudes:
        z0 = np.concatenate([(x + xi * v).ravel(), (x - xi * v).ravel(), [q1]])
        corr = correct(problem, z0, row, CorrectorSettings(residual_tol=1e-12, max_iter=40))
        if not corr.ok:
            continue
        X = corr.z[:-1].reshape(2 * k, n)
        if float(np.max(np.abs(X[:k] - X[k:]))) > 1e-6:
            M = np.eye(n)
            for J in corr.evaluation.J:
                M = J @ M
            return X, np.linalg.eigvals(M)
    return None


def _flip_vectors(system, point: Bifurcation, names, u):
    """The k-cycle through ``point.x`` (k, n) and its flip vectors v_j (k, n), ‖v_j‖ = 1."""
    base = system.with_params({names[0]: point.param, names[1]: point.param2})
    points = [np.asarray(point.x, dtype=float)]
    for _ in range(point.period - 1):
        points.append(base.step(points[-1], u))
    cycle = np.array(points)
    jac = [base.jacobian(c, u) for c in cycle]
    M = np.eye(cycle.shape[1])
    for J in jac:
        M = J @ M
    mu, V = np.linalg.eig(M)
    vec = V[:, int(np.argmin(np.abs(mu + 1.0)))].real
    v = np.empty_like(cycle)
    for j in range(point.period):
        vec = vec / np.linalg.norm(vec)
        v[j] = vec
        vec = jac[j] @ vec
    return cycle, v


def _ns_of_doubled_near(system, point: Bifurcation, names, radius, n_angles, u, near=1.0):
    """An NS point of the doubled cycle on a circle of ``radius`` around an R2 point."""
    cycle, v = _flip_vectors(system, point, names, u)
    amplitudes = [math.sqrt(radius) * f for f in (1.0, 0.3, 3.0, 0.1)]

    def probe(phi):
        q1, q2 = _circle_point(point, radius, phi)
        got = _doubled_cycle(system.with_params({names[1]: q2}), names[0], q1, cycle, v, u,
                             amplitudes)
        if got is None:
            return None
        return (q1, q2, got[0], *_critical_pair(got[1], near))

    return _circle_search(probe, n_angles, bisections=50)


def _fold_of_doubled(system, point: Bifurcation, names, bounds2, bounds1, u, radius, kwargs):
    """At GPD: just off it in p2, the k-cycle's flip, the doubled cycle's branch (switch_branch)
    and its fold; that fold is continued in (p1, p2)."""
    from .continuation import continuation, switch_branch
    p1, p2 = float(point.param), float(point.param2 or 0.0)
    scale1, scale2 = max(1.0, abs(p1)), max(1.0, abs(p2))
    width = 0.2 * scale1
    for factor in (5.0, 25.0):
        for side in (1.0, -1.0):
            q2 = p2 + side * factor * radius * scale2
            base = system.with_params({names[1]: q2, names[0]: p1 - width})
            try:
                branch = continuation(base, names[0], point.x, (p1 - width, p1 + width),
                                      p0=p1 - width, period=point.period, u=u)
                flips = [b for b in branch.bifurcations if b.kind == _K.PD]
                if not flips:
                    continue
                doubled = switch_branch(branch, flips[0], system=base)
            except (InvalidInputError, InvalidTypeError):
                continue
            folds = [b for b in doubled.bifurcations if b.kind == _K.LP]
            if folds:
                return continue_bifurcation(base, folds[0], names[1], bounds2,
                                            bounds1=bounds1, u=u, **kwargs)
    raise InvalidInputError(
        "no fold of the doubled cycle found next to the GPD point (on either side, at "
        f"{5 * radius} and {25 * radius} in the second parameter); try another radius",
        argument="radius", value=radius)


#: The curves that can be started at each codimension-two kind (``to=``); the default is the
#: first one that is not the curve the point was found on. "NS2" and "LP2" are the NS and
#: fold curves of the doubled cycle.
OUTGOING = {
    _K.R1: ("NS", "LP"),
    _K.R2: ("NS2", "PD", "NS"),
    _K.LPPD: ("PD", "LP"),
    _K.GPD: ("LP2",),
}


def _check_point(point) -> tuple[str, str]:
    if not isinstance(point, Bifurcation):
        raise InvalidTypeError(f"point must be a Bifurcation from a curve's codim2, got "
                               f"{type(point).__name__}", argument="point", value=point)
    curve_kind = point.extra.get("curve_kind")
    name2 = point.extra.get("param2_name")
    if point.param2 is None or curve_kind is None or name2 is None:
        raise InvalidInputError("point must be a codimension-two point of a BifurcationCurve "
                                "(with param2 and extra['curve_kind'], extra['param2_name'])",
                                argument="point", value=point)
    if point.kind == _K.CP:
        raise InvalidInputError(
            "point is a cusp (CP), which starts no new curve of codimension one: the fold curve "
            "it lies on passes through it (continue that curve instead)", argument="point",
            value=point.kind)
    if point.kind not in OUTGOING:
        raise InvalidInputError(
            f"point is {point.kind.value}: a kind with no outgoing curve "
            f"(switching is defined at {', '.join(k.value for k in OUTGOING)}; other "
            "codimension-two kinds of maps (R3, R4, CH, LPNS, PDNS, NSNS) are not detected by "
            "dynrnn)", argument="point", value=point.kind)
    return str(curve_kind), str(name2)


def _choose_target(kind: BifurcationKind, curve_kind: str, to) -> str:
    options = OUTGOING[kind]
    if to is None:
        return next((t for t in options if t != curve_kind), options[0])
    if to not in options:
        raise InvalidInputError(f"to={to!r}: at {kind.value} the curves that can be started "
                                f"are {', '.join(options)}", argument="to", value=to)
    return str(to)


#: Most circle points tried per radius (each costs a Newton solve or a multiple-shooting one).
MAX_ANGLES = 4096


def _check_arguments(system, point, bounds2, bounds1, u, radius, n_angles, to):
    """Everything checked before any work: ``(names, target, u)``."""
    if not isinstance(system, RecurrentMap):
        raise InvalidTypeError(f"system must be a RecurrentMap, got {type(system).__name__}",
                               argument="system", value=system)
    curve_kind, name2 = _check_point(point)
    names = (point.param_name, name2)
    system.check_param_names(list(names), argument="point")
    if np.shape(point.x) != (system.n_states,):
        raise InvalidInputError(f"point.x has shape {np.shape(point.x)}, the map has "
                                f"{system.n_states} states", argument="point",
                                value=np.shape(point.x))
    check_interval(bounds2, "bounds2", float(point.param2 or 0.0), allow_infinite=True,
                   value_name=f"the point's {name2}")
    if bounds1 is not None:
        check_interval(bounds1, "bounds1", float(point.param), allow_infinite=True,
                       value_name=f"the point's {point.param_name}")
    u = system.resolve_input(u)
    if isinstance(radius, bool) or not isinstance(radius, (int, float)) or \
            not (0 < radius <= 1 and math.isfinite(radius)):
        raise InvalidInputError(f"radius must be a number in (0, 1] (relative to max(1, |p|)), "
                                f"got {radius!r}", argument="radius", value=radius)
    n_angles = check_count(n_angles, "n_angles", 4)
    if n_angles > MAX_ANGLES:
        raise InvalidInputError(f"n_angles = {n_angles} is more than MAX_ANGLES = {MAX_ANGLES} "
                                "circle points; a few dozen suffice", argument="n_angles",
                                value=n_angles)
    if to is not None and not isinstance(to, str):
        raise InvalidTypeError(f"to must be a curve name (str) or None, got "
                               f"{type(to).__name__}", argument="to", value=to)
    return names, _choose_target(point.kind, curve_kind, to), u


def _start_ns_curve(system, point, names, finder, period, bounds2, bounds1, u, radius,
                    n_angles, near, kwargs, why=""):
    """An NS curve from a circle search (``finder``) around ``point``; close to R1/R2 the NS
    system is nearly singular (κ → ±1), so the circle widens until the curve starts."""
    curve = None
    for r in (radius, 5 * radius, 25 * radius):
        found = finder(system, point, names, r, n_angles, u, near)
        if found is None:
            continue
        q1, q2, X, pair, _ = found
        x = np.asarray(X, dtype=float).reshape(-1, system.n_states)[0].copy()
        start = Bifurcation(_K.NS, q1, x, pair, (q1, q1), param_name=names[0], period=period,
                            angle=float(abs(np.angle(pair[np.argmax(pair.imag)]))))
        curve = continue_bifurcation(system.with_params({names[1]: q2}), start, names[1],
                                     bounds2, bounds1=bounds1, u=u, **kwargs)
        if curve.n_steps > 0:
            return curve
    if curve is not None:
        return curve
    raise InvalidInputError(
        f"no Neimark–Sacker point of the {'doubled ' if period != point.period else ''}cycle "
        f"found on circles of radius {radius} to {25 * radius} around the {point.kind.value} "
        f"point{why}; try another radius", argument="radius", value=radius)


def _resonance_c1(system, point: Bifurcation, names, u) -> float | None:
    """C1 of the point's 1:2 resonance (from ``point.extra`` or computed), None if unknown."""
    c1 = point.extra.get("resonance_C1")
    if c1 is None:
        try:
            at = system.with_params({names[0]: point.param, names[1]: float(point.param2 or 0.0)})
            c1, _ = resonance_1_2_coefficients(at, point.x, u=u, period=point.period)
        except (DynrnnError, np.linalg.LinAlgError, ArithmeticError, ValueError):
            return None
    return float(c1) if math.isfinite(c1) else None


def _ns_of_doubled_curve(system, point, names, bounds2, bounds1, u, radius, n_angles, kwargs):
    """The NS curve of the doubled cycle at R2, after the sign of C1 says it exists: in the
    unfolding of ξ̇ = η, η̇ = β1 ξ + β2 η + C1 ξ³ + D1 ξ² η it exists only for C1 < 0."""
    c1 = _resonance_c1(system, point, names, u)
    if c1 is not None and c1 > 0:
        raise InvalidInputError(
            f"the doubled cycle has no Neimark–Sacker curve at this R2 point: its 1:2 "
            f"resonance coefficient C1 = {c1:.6g} > 0, and in the unfolding the NS curve of "
            "the doubled cycle exists only for C1 < 0 (Kuznetsov 2004, §9.5.3); start the PD "
            "or NS curve instead (to='PD' or to='NS')", argument="to", value="NS2")
    if c1 is None:
        why = " (C1 could not be computed, so whether the curve exists is not known)"
    else:
        why = (f", although C1 = {c1:.6g} < 0 says the curve exists (the search failed: the "
               "region where the doubled cycle exists can be a thin wedge; more n_angles may "
               "find it)")
    # the wedge where the doubled cycle exists can be narrow: more angles before giving up
    counts = (n_angles,) if c1 is None else (n_angles, min(MAX_ANGLES, 8 * n_angles))
    for count in counts[:-1]:
        try:
            return _start_ns_curve(system, point, names, _ns_of_doubled_near,
                                   2 * point.period, bounds2, bounds1, u, radius, count,
                                   1.0, kwargs)
        except InvalidInputError:
            continue
    return _start_ns_curve(system, point, names, _ns_of_doubled_near, 2 * point.period,
                           bounds2, bounds1, u, radius, counts[-1], 1.0, kwargs, why)


def switch_at_codim2(system: RecurrentMap, point: Bifurcation, bounds2, *, bounds1=None,
                     u=None, radius: float = 0.01, n_angles: int = 64, to: str | None = None,
                     **kwargs):
    r"""Start a codimension-one curve that emanates from a codimension-two point.

    Parameters
    ----------
    system : RecurrentMap
        The map (any values of the two parameters: both are set from ``point``).
    point : Bifurcation
        A codimension-two point from ``BifurcationCurve.codim2`` (``extra["curve_kind"]``
        and ``extra["param2_name"]`` say which curve it was found on).
    bounds2, bounds1, u, **kwargs
        As for :func:`~dynrnn.continue_bifurcation`.
    radius : float
        For the NS curves: the radius (relative to ``max(1, |p|)``) of the circle searched
        for an NS point (then 5 and 25 times it, until the NS curve starts); for GPD: the
        offset in p2 (5 and 25 times it) at which the doubled cycle's fold is sought.
    n_angles : int
        How many points on that circle are tried before bisection.
    to : str, optional
        Which curve (``OUTGOING[point.kind]``): "LP", "PD", "NS" (the point's own fixed point
        or cycle), "NS2" or "LP2" (the NS or fold curve of the doubled cycle). Default: the
        first of R1 → NS, LP; R2 → NS2, PD, NS; LPPD → PD, LP; GPD → LP2 that is not the
        curve the point was found on.

    Returns
    -------
    BifurcationCurve
        The new curve, whichever curve (LP, PD or NS) the point was found on.

    Raises
    ------
    InvalidInputError
        For a point kind with no outgoing curve (CP, or a codimension-one point), a ``to``
        not offered at the point's kind, or when no starting point for the new curve is
        found near the point. At R2 with ``to="NS2"``: when C1 > 0 (the doubled cycle has no
        NS curve; the message gives C1), or, when C1 < 0, that the search failed although
        the curve exists.
    """
    names, target, u = _check_arguments(system, point, bounds2, bounds1, u, radius, n_angles,
                                        to)
    if target == "LP2":
        return _fold_of_doubled(system, point, names, bounds2, bounds1, u, radius, kwargs)
    if target in ("LP", "PD"):
        # the fold (flip) system is regular at LPPD, R1 (R2): its multiplier is simple there
        # or a Jordan block, so the curve starts at the point itself
        base = system.with_params({names[0]: point.param,
                                   names[1]: float(point.param2 or 0.0)})
        start = Bifurcation(_K(target), point.param, point.x.copy(), point.eigenvalues,
                            (point.param, point.param), param_name=names[0],
                            period=point.period)
        return continue_bifurcation(base, start, names[1], bounds2, bounds1=bounds1, u=u,
                                    **kwargs)
    near = 1.0 if point.kind == _K.R1 else -1.0
    if target == "NS2":
        return _ns_of_doubled_curve(system, point, names, bounds2, bounds1, u, radius,
                                    n_angles, kwargs)
    return _start_ns_curve(system, point, names, _ns_near, point.period, bounds2, bounds1, u,
                           radius, n_angles, near, kwargs)
