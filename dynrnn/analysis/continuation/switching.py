"""Branch switching: the branch that leaves a one-parameter branch at a flip (PD) or a branch
point (BP).

References
----------
.. [1] H. B. Keller (1977), pseudo-arclength continuation and branch switching.
.. [2] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
   §10.2.2 (branch switching) and §10.4 (maps).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ...errors import InvalidInputError, InvalidTypeError
from ...model.base import RecurrentMap
from ...model.families import ParameterFamily
from ..special_points import Bifurcation
from .branch import (Branch, ContinuationOptions, ContinuationPoint, FixedPointProblem,
                     assemble_branch, point_callback, check_size, leading_tracker,
                     resolve_family)
from .engine import ContinuationStatus, Point, bordered_tangent, check_interval, correct, march
from ..._signature_checks import checked_arguments
from ..._threads import limited_blas

__all__ = ["switch_branch"]


def _shooting_period() -> int:
    """The doubled period from which the new branch is continued by multiple shooting."""
    from ..cycle_switching import SHOOTING_PERIOD
    return SHOOTING_PERIOD


def _family_for(branch: Branch, system, param) -> ParameterFamily:
    if isinstance(param, ParameterFamily):
        return param
    if system is not None:
        return resolve_family(system, branch.param_name if param is None else param)
    if param is not None:
        raise InvalidInputError("param given without system; pass system= too (or a "
                                "ParameterFamily as param)", argument="param", value=param)
    if branch.family is None:
        raise InvalidInputError(
            "this branch carries no family (it was loaded from disk?); pass system= (and "
            "param= unless the parameter is the named parameter "
            f"{branch.param_name!r})", argument="system", value=None)
    return branch.family


def _switch_direction(problem_new: FixedPointProblem, z_star: np.ndarray, t_old: np.ndarray):
    """The unit direction of the second branch through z*: the null space of [G_x G_p]
    at a branch point is two-dimensional and contains the old tangent; take its complement."""
    _, sv, vt = np.linalg.svd(problem_new.evaluate(z_star).jacobian)
    K = vt[-2:]                        # (2, n+1) approximately spanning the kernel
    a = K @ t_old
    d = K.T @ np.array([-a[1], a[0]])
    norm = np.linalg.norm(d)
    if norm == 0:
        d = K[0]
        norm = np.linalg.norm(d)
    return d / norm


def _collapse_test(half: FixedPointProblem, n: int):
    """Stop a doubled-cycle branch where it runs back onto the half-period branch.

    There the 2k-branch passes a branch point of F^{2k} (the other flip of the parent branch):
    det of the bordered matrix changes sign while F^k(x) − x, which is about twice the distance
    to the k-cycle, is within a few steps of zero."""
    def stop(previous: Point, point: Point):
        if previous.det_sign * point.det_sign >= 0:
            return None
        step = float(np.linalg.norm(point.z - previous.z))
        gap = min(float(np.abs(half.residual(q.z[:n], q.z[n])).max())
                  for q in (previous, point))
        return ContinuationStatus.COLLAPSED if gap < 4.0 * step else None
    return stop


@limited_blas
@checked_arguments
def switch_branch(branch: Branch, bifurcation: Bifurcation, *, system: RecurrentMap | None = None,
                  param=None, bounds: tuple[float, float] | None = None,
                  options: ContinuationOptions | None = None,
                  amplitude: float | None = None, raise_on_failure: bool = False,
                  callback: Callable[[ContinuationPoint], bool] | None = None,
                  progress: bool = False) -> Branch:
    r"""Start the branch that leaves ``branch`` at a PD or BP point.

    At a flip (PD) of the k-fold map the period-2k cycles branch off: for
    :math:`G_{2k}(x, p) = F^{2k}(x; p) - x` the PD point is a branch point (the multiplier −1 of
    :math:`D F^k` is a multiplier +1 of :math:`D F^{2k}`), the null space of
    :math:`[\partial_x G_{2k}\ \partial_p G_{2k}]` is spanned by the old tangent and
    :math:`(v, 0)`, v the −1 eigenvector. At a branch point (BP) of the k-fold map the null space
    is two-dimensional too. In both cases the new branch starts along the null direction
    :math:`d` orthogonal to the old tangent: the first point solves :math:`G = 0` on the
    hyperplane :math:`d^\top (z - z^*) = \varepsilon` (so Newton cannot fall back onto the old
    branch), and continuation proceeds from there.

    Parameters
    ----------
    branch : Branch
    bifurcation : Bifurcation
        One of ``branch.bifurcations`` of kind PD or BP.
    system, param : optional
        Needed only when the branch carries no family (e.g. it was loaded from disk).
    bounds : (float, float), optional
        Default: the parameter range of ``branch``.
    options : ContinuationOptions, optional
    amplitude : float, optional
        ε, distance of the first new point from the bifurcation; default
        ``options.switch_amplitude``.

    A doubled cycle of period 8 or more (``dynrnn.analysis.cycle_switching.SHOOTING_PERIOD``)
    is continued by multiple shooting instead (the 2k points of the cycle as unknowns,
    multipliers from a periodic Schur form; see :mod:`dynrnn.analysis.multiple_shooting`), which
    follows cascades to periods where :math:`F^{2k}` as one function no longer corrects: the
    logistic cascade to period 64 by repeated ``switch_branch``.

    Returns
    -------
    Branch
        Period 2k at PD (one point of the doubled cycle; its first point is the PD point), the
        same period at BP (both halves of the crossing branch, joined through the BP point).

    References
    ----------
    .. [1] H. B. Keller (1977); Yu. A. Kuznetsov (2004), §10.2.2 (branch switching) and §10.4.

    Examples
    --------
    >>> import sympy as sp, dynrnn as dr
    >>> x, r = sp.symbols("x r")
    >>> logistic = dr.Map.from_sympy([r * x * (1 - x)], [x], {r: 2.8})
    >>> fixed = dr.continuation(logistic, "r", [1 - 1 / 2.8], bounds=(2.8, 3.6))
    >>> pd = fixed.bifurcations[0]
    >>> cycle = dr.switch_branch(fixed, pd)
    >>> cycle.period, round(cycle.bifurcations[0].param, 8)
    (2, 3.44948974)
    """
    if not isinstance(branch, Branch):
        raise InvalidTypeError(f"branch must be a Branch, got {type(branch).__name__}",
                               argument="branch", value=branch)
    if not isinstance(bifurcation, Bifurcation):
        raise InvalidTypeError(f"bifurcation must be a Bifurcation, got "
                               f"{type(bifurcation).__name__}", argument="bifurcation",
                               value=bifurcation)
    kind = bifurcation.kind.value
    if kind not in ("PD", "BP"):
        raise InvalidInputError(f"bifurcation must be a PD or BP point to switch branches, got "
                                f"{kind}", argument="bifurcation", value=bifurcation)
    opts = options if options is not None else ContinuationOptions()
    family = _family_for(branch, system, param)
    if bounds is None:
        bounds = (float(branch.params.min()), float(branch.params.max()))
    p_star = float(bifurcation.param)
    lo, hi = check_interval(bounds, "bounds", p_star, value_name="p0")
    eps = float(opts.switch_amplitude if amplitude is None else amplitude)
    if not eps > 0:
        raise InvalidInputError(f"amplitude must be positive, got {amplitude}",
                                argument="amplitude", value=amplitude)
    n = branch.states.shape[1]
    k = int(bifurcation.period)
    u = branch.u
    if kind == "PD" and 2 * k >= _shooting_period():
        # long cycles: F^{2k} continued as one function fails to correct (its Jacobian is a
        # product of 2k Jacobians); multiple shooting continues the doubled cycle instead
        from ..cycle_switching import switch_by_shooting
        return switch_by_shooting(branch, bifurcation, family, (lo, hi), opts, amplitude,
                                  raise_on_failure, callback)
    z_star = np.append(np.asarray(bifurcation.x, dtype=float), p_star)
    i = int(bifurcation.index) if 0 <= bifurcation.index < branch.n_points - 1 else None
    if i is not None:
        t_guess = branch.tangents[i] + branch.tangents[i + 1]
    else:
        nearest = int(np.argmin(np.abs(branch.params - p_star)))
        t_guess = branch.tangents[nearest].copy()
    t_guess = t_guess / np.linalg.norm(t_guess)
    check_size(n, 2 * k if kind == "PD" else k, opts.max_points * 2)
    old = FixedPointProblem(family, n, u, k, opts.detect)
    if kind == "PD":
        # the period-k branch is regular at a flip: its exact tangent
        t_old = bordered_tangent(old.evaluate(z_star).jacobian, t_guess)[0]
        new = FixedPointProblem(family, n, u, 2 * k, opts.detect, leading_tracker(opts, n))
        signs: tuple[float, ...] = (1.0,)                  # x* ± εv are two points of the same doubled cycle
    else:
        t_old = t_guess
        new = FixedPointProblem(family, n, u, k, opts.detect, leading_tracker(opts, n))
        signs = (1.0, -1.0)
    d = _switch_direction(new, z_star, t_old)
    halves = [_half(old, new, kind, z_star, sign * d, eps, (lo, hi), opts, callback)
              for sign in signs]
    total_rejected = sum(h[2] for h in halves)
    star = Point(z_star, d, 0.0, new.evaluate(z_star), 0)
    star.data = new.describe(star)
    if kind == "PD":
        pts, st, _ = halves[0]
        points = [star] + pts
        statuses = (ContinuationStatus.START, st)
        skip = {0}
        if st == ContinuationStatus.COLLAPSED:
            skip.add(len(points) - 2)   # the segment through the other flip
    else:
        (pts_p, st_p, _), (pts_m, st_m, _) = halves
        points = [pt.reversed() for pt in reversed(pts_m)] + [star] + pts_p
        statuses = (st_m, st_p)
        j = len(pts_m)
        skip = {j - 1, j}
    if len(points) == 1:
        statuses = (ContinuationStatus.CORRECTOR_FAILED, ContinuationStatus.CORRECTOR_FAILED)
    return assemble_branch(new, points, statuses, total_rejected, opts, skip_segments=skip,
                     raise_on_failure=raise_on_failure)


def _half(old, new, kind, z_star, row, eps, box, opts, callback):
    """The first point at distance ε along ``row`` from the switching point, then the march
    from it: (points, end status, rejected steps)."""
    n = new.n
    lo, hi = box
    settings = opts.corrector(max_iter=max(opts.max_newton_iter, 20))
    corr = correct(new, z_star + eps * row, row, settings)
    ok, z1 = corr.ok, corr.z
    if ok and kind == "PD":
        # reject a collapse onto the period-k cycle
        if np.max(np.abs(old.residual(z1[:n], z1[n]))) < 1e-3 * eps:
            ok = False
    if not ok:
        return [], ContinuationStatus.CORRECTOR_FAILED, 0
    first = new.point(z1, corr.evaluation, row, corr.n_iter)
    if not lo <= z1[n] <= hi:
        return [first], ContinuationStatus.REACHED_BOUND, 0
    run = march(new, first, opts.step_control(), ((n,), (lo,), (hi,)),
                on_point=point_callback(callback, new),
                stop=_collapse_test(old, n) if kind == "PD" else None)
    return run.points, run.status, run.n_rejected
