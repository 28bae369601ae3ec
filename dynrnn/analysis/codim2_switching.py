r"""Switching at codimension-two points: start the codimension-one curves that emanate there.

==========  =============  ===================================================================
curve       point          curve started (how)
==========  =============  ===================================================================
LP          LPPD           the PD curve through the same point (its defining system is regular
                           there: the flip's multiplier −1 is simple)
PD          LPPD           the LP curve through the same point
LP          R1             the NS curve (κ = cos θ): on a small circle around R1 in the
                           parameter plane, the point where the critical pair is complex with
                           product 1 (an NS point), refined, then continued
PD          GPD            the fold curve of the doubled cycle: just off GPD in p2, the flip of
                           the k-cycle, the doubled branch (switch_branch), its fold, continued
PD          R2             the NS curve of the doubled cycle: on a small circle around R2, the
                           2k-cycle (multiple shooting from x_j ± ξ v_j, v the flip vector) whose
                           critical pair is complex with product 1, refined, then continued
==========  =============  ===================================================================

A cusp (CP) starts no new curve of codimension one (the fold curve passes through it); the
points found on NS curves (R1, R2 there) are not supported yet: they raise
:class:`~dynrnn.InvalidInputError` saying so.

References
----------
.. [1] W. Govaerts, R. Khoshsiar Ghaziani, Yu. A. Kuznetsov, H. G. E. Meijer, "Numerical
   methods for two-parameter local bifurcation analysis of maps", SIAM J. Sci. Comput. 29
   (2007) 2644–2667, §5 (branch switching at codimension-two points).
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import InvalidInputError, InvalidTypeError
from ..model.base import RecurrentMap
from .continuation import continue_bifurcation
from .special_points import Bifurcation, BifurcationKind

__all__ = ["switch_at_codim2"]

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


def _ns_near(system, point: Bifurcation, names, radius, n_angles, u):
    """An NS point on a circle of ``radius`` around ``point`` in the (p1, p2) plane."""
    p1, p2 = float(point.param), float(point.param2 or 0.0)
    # half a step off the axes: curves often leave along a parameter axis, where ψ = 0
    angles = np.linspace(0.0, 2 * math.pi, n_angles, endpoint=False) + math.pi / n_angles
    scale1, scale2 = max(1.0, abs(p1)), max(1.0, abs(p2))

    def probe(phi):
        q1, q2 = p1 + radius * scale1 * math.cos(phi), p2 + radius * scale2 * math.sin(phi)
        m = system.with_params({names[0]: q1, names[1]: q2})
        got = _fixed_point(m, point.x, point.period, u)
        if got is None:
            return None
        x, M = got
        mu = np.linalg.eigvals(M)
        pair = mu[np.argsort(np.abs(mu - 1.0))[:2]]
        # the critical pair near +1: ψ = μ1 μ2 − 1 vanishes on the NS curve (complex pair) and
        # on the neutral-saddle curve (real pair)
        return q1, q2, x, pair, float((pair[0] * pair[1]).real - 1.0)

    values = [probe(phi) for phi in angles]
    for i in range(n_angles):
        a, b = values[i], values[(i + 1) % n_angles]
        if a is None or b is None or not a[4] * b[4] < 0:
            continue
        lo, hi = angles[i], angles[i] + 2 * math.pi / n_angles
        fa = a[4]
        best = a
        for _ in range(60):     # bisection on the angle
            mid = 0.5 * (lo + hi)
            got = probe(mid)
            if got is None:
                break
            best = got
            if got[4] * fa > 0:
                lo, fa = mid, got[4]
            else:
                hi = mid
        if best is not None and np.all(np.abs(best[3].imag) > 1e-12):
            return best
    return None


def _doubled_cycle(system, name1, q1, x, v, u, amplitudes):
    """The 2k-cycle near the k-cycle ``x`` (k, n) with flip vectors ``v`` (k, n), at p1 = q1:
    multiple shooting from x_j ± ξ v_j at fixed p1 (None if every ξ falls back onto the
    k-cycle or fails)."""
    from ..model.families import as_family
    from .continuation.engine import CorrectorSettings, correct
    from .multiple_shooting import _ShootingProblem
    k, n = x.shape
    problem = _ShootingProblem(as_family(system, name1), n, 2 * k, u)
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


def _ns_of_doubled_near(system, point: Bifurcation, names, radius, n_angles, u):
    """An NS point of the doubled cycle on a circle of ``radius`` around an R2 point."""
    p1, p2 = float(point.param), float(point.param2 or 0.0)
    k = point.period
    base = system.with_params({names[0]: p1, names[1]: p2})
    points = [np.asarray(point.x, dtype=float)]
    for _ in range(k - 1):
        points.append(base.step(points[-1], u))
    cycle = np.array(points)
    jac = [base.jacobian(c, u) for c in cycle]
    M = np.eye(cycle.shape[1])
    for J in jac:
        M = J @ M
    mu, V = np.linalg.eig(M)
    vec = V[:, int(np.argmin(np.abs(mu + 1.0)))].real
    v = np.empty_like(cycle)
    for j in range(k):
        vec = vec / np.linalg.norm(vec)
        v[j] = vec
        vec = jac[j] @ vec
    scale1, scale2 = max(1.0, abs(p1)), max(1.0, abs(p2))
    amplitudes = [math.sqrt(radius) * f for f in (1.0, 0.3, 3.0, 0.1)]

    def probe(phi):
        q1, q2 = p1 + radius * scale1 * math.cos(phi), p2 + radius * scale2 * math.sin(phi)
        got = _doubled_cycle(system.with_params({names[1]: q2}), names[0], q1, cycle, v, u,
                             amplitudes)
        if got is None:
            return None
        X, mult = got
        pair = mult[np.argsort(np.abs(mult - 1.0))[:2]]
        return q1, q2, X, pair, float((pair[0] * pair[1]).real - 1.0)

    # half a step off the axes: curves often leave along a parameter axis, where ψ = 0
    angles = np.linspace(0.0, 2 * math.pi, n_angles, endpoint=False) + math.pi / n_angles
    values = [probe(phi) for phi in angles]
    for i in range(n_angles):
        a, b = values[i], values[(i + 1) % n_angles]
        if a is None or b is None or not a[4] * b[4] < 0:
            continue
        lo, hi, fa, best = angles[i], angles[i] + 2 * math.pi / n_angles, a[4], a
        for _ in range(50):
            mid = 0.5 * (lo + hi)
            got = probe(mid)
            if got is None:
                break
            best = got
            if got[4] * fa > 0:
                lo, fa = mid, got[4]
            else:
                hi = mid
        if np.all(np.abs(best[3].imag) > 1e-12):
            return best
    return None


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


def switch_at_codim2(system: RecurrentMap, point: Bifurcation, bounds2, *, bounds1=None,
                     u=None, radius: float = 0.01, n_angles: int = 64, **kwargs):
    r"""Start the codimension-one curve that emanates from a codimension-two point.

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
        For R1: the radius (relative to ``max(1, |p|)``) of the circle searched for an NS point
        (then 5 and 25 times it, until the NS curve starts).
    n_angles : int
        For R1: how many points on that circle are tried before bisection.

    Returns
    -------
    BifurcationCurve
        The new curve (LPPD on an LP curve: the PD curve; LPPD on a PD curve: the LP curve; R1
        on an LP curve: the NS curve; R2 on a PD curve: the NS curve of the doubled cycle; GPD:
        the fold curve of the doubled cycle).

    Raises
    ------
    InvalidInputError
        For a point kind with no outgoing curve (CP), points of NS curves (not supported yet), or
        when no starting point for the new curve is found near the point.
    """
    if not isinstance(point, Bifurcation):
        raise InvalidTypeError(f"point must be a Bifurcation from a curve's codim2, got "
                               f"{type(point).__name__}", argument="point", value=point)
    curve_kind = point.extra.get("curve_kind")
    name2 = point.extra.get("param2_name")
    if point.param2 is None or curve_kind is None or name2 is None:
        raise InvalidInputError("point must be a codimension-two point of a BifurcationCurve "
                                "(with param2 and extra['curve_kind'], extra['param2_name'])",
                                argument="point", value=point)
    names = (point.param_name, name2)
    kind = point.kind
    if kind == _K.CP:
        raise InvalidInputError(
            "point is a cusp (CP), which starts no new curve of codimension one: the fold curve "
            "it lies on passes through it (continue that curve instead)", argument="point",
            value=kind)
    if kind == _K.GPD and curve_kind == "PD":
        return _fold_of_doubled(system, point, names, bounds2, bounds1, u, radius, kwargs)
    if kind == _K.GPD or (kind == _K.R2 and curve_kind != "PD"):
        what = ("the NS curve of the doubled cycle" if kind == _K.R2 else
                "the fold curve of the doubled cycle")
        raise InvalidInputError(f"point is {kind.value}: switching there ({what}) is not "
                                "supported yet; "
                                "supported: LPPD (to the other curve), R1 on an LP curve "
                                "(to the NS curve), R2 and GPD on a PD curve (to the NS and the "
                                "fold curve of the doubled cycle)", argument="point", value=kind)
    base = system.with_params({names[0]: point.param, names[1]: point.param2})
    if kind == _K.LPPD:
        new_kind = _K.PD if curve_kind == "LP" else _K.LP
        start = Bifurcation(new_kind, point.param, point.x.copy(), point.eigenvalues,
                            (point.param, point.param), param_name=names[0],
                            period=point.period)
        return continue_bifurcation(base, start, name2, bounds2, bounds1=bounds1, u=u,
                                    **kwargs)
    if kind == _K.R2:       # on a PD curve: the NS curve of the doubled cycle
        curve = None
        for r in (radius, 5 * radius, 25 * radius):
            found = _ns_of_doubled_near(system, point, names, r, n_angles, u)
            if found is None:
                continue
            q1, q2, X, pair, _ = found
            start = Bifurcation(_K.NS, q1, X[0].copy(), pair, (q1, q1), param_name=names[0],
                                period=2 * point.period,
                                angle=float(abs(np.angle(pair[np.argmax(pair.imag)]))))
            curve = continue_bifurcation(system.with_params({names[1]: q2}), start, name2,
                                         bounds2, bounds1=bounds1, u=u, **kwargs)
            if curve.n_steps > 0:
                return curve
        if curve is not None:
            return curve
        raise InvalidInputError(
            f"no Neimark–Sacker point of the doubled cycle found on circles of radius "
            f"{radius} to {25 * radius} around the R2 point; try another radius",
            argument="radius", value=radius)
    if kind == _K.R1 and curve_kind == "LP":
        # close to R1 the NS system is nearly singular (κ → 1): widen the circle until the
        # curve starts
        curve = None
        for r in (radius, 5 * radius, 25 * radius):
            found = _ns_near(system, point, names, r, n_angles, u)
            if found is None:
                continue
            q1, q2, x, pair, _ = found
            start = Bifurcation(_K.NS, q1, x, pair, (q1, q1), param_name=names[0],
                                period=point.period,
                                angle=float(abs(np.angle(pair[np.argmax(pair.imag)]))))
            curve = continue_bifurcation(system.with_params({names[1]: q2}), start, name2,
                                         bounds2, bounds1=bounds1, u=u, **kwargs)
            if curve.n_steps > 0:
                return curve
        if curve is not None:
            return curve
        raise InvalidInputError(
            f"no Neimark–Sacker point found on circles of radius {radius} to {25 * radius} "
            "around the R1 point; try another radius", argument="radius", value=radius)
    raise InvalidInputError(f"point: switching at {kind.value} found on a {curve_kind} curve is "
                            "not supported (supported: LPPD, R1 on an LP curve, R2 and GPD on "
                            "a PD curve)",
                            argument="point", value=kind)
