r"""Branch switching at a flip of a long cycle by multiple shooting.

:func:`~dynrnn.analysis.continuation.switching.switch_branch` continues the doubled cycle of a
flip as a fixed point of :math:`F^{2k}` for short periods; from :data:`SHOOTING_PERIOD` on it
hands over to this module: the k-cycle at the flip (from ``Bifurcation.extra["cycle"]``, or
iterated from its point and corrected), its flip vectors (the null vector of the anti-periodic
shooting matrix), the doubled cycle started at :math:`x_j \pm \varepsilon v_j` and continued by
multiple shooting (:mod:`dynrnn.analysis.multiple_shooting`), with multipliers from the periodic
Schur form, and the result returned as an ordinary
:class:`~dynrnn.analysis.continuation.branch.Branch` whose flips can be switched at again: the
logistic cascade is followed by repeated ``switch_branch`` to period 64 and beyond.
"""
from __future__ import annotations

import numpy as np

from ..errors import ConvergenceError
from .continuation.branch import Branch, ContinuationOptions, ContinuationPoint
from .continuation.engine import ContinuationStatus, CorrectorSettings, Point, correct
from .multiple_shooting import (ShootingProblem, check_shooting_size, doubled_cycle_start,
                                flip_vectors, locate_cycle_bifurcations, march_cycles,
                                monodromy_multipliers, start_tangent)
from .special_points import Bifurcation

__all__ = ["SHOOTING_PERIOD", "switch_by_shooting"]

#: switch_branch continues a doubled cycle of at least this period by multiple shooting
SHOOTING_PERIOD = 8
#: residual tolerance of the shooting corrector (absolute, per point of the cycle)
_TOL = 1e-12


def _cycle_at_flip(family, bifurcation: Bifurcation, n: int, u):
    """The k points of the cycle at the flip, corrected at the flip's parameter, and the
    shooting evaluation there (None if they do not correct)."""
    k = int(bifurcation.period)
    p = float(bifurcation.param)
    cycle = bifurcation.extra.get("cycle")
    if cycle is None or np.shape(cycle) != (k, n):
        system = family.at(p)
        u_p = u if u is not None else system.resolve_input(None)
        cycle = np.empty((k, n))
        cycle[0] = np.asarray(bifurcation.x, dtype=float)
        for j in range(1, k):
            cycle[j] = system.step_unchecked(cycle[j - 1], u_p)
    problem = ShootingProblem(family, n, k, u)
    row = np.zeros(k * n + 1)
    row[-1] = 1.0
    corr = correct(problem, np.append(np.asarray(cycle, dtype=float).ravel(), p), row,
                   CorrectorSettings(residual_tol=_TOL, max_iter=30))
    if not corr.ok:
        return None
    return corr.z[:-1].reshape(k, n), corr.evaluation


def _on_point(callback, n):
    if callback is None:
        return None

    def on_point(point, index, ds):
        mu = point.data
        return callback(ContinuationPoint(index, float(point.z[-1]), point.z[:n].copy(),
                                          bool(np.abs(mu[0]) < 1.0), mu.copy(), ds))
    return on_point


def switch_by_shooting(branch: Branch, bifurcation: Bifurcation, family, bounds,
                       opts: ContinuationOptions, amplitude: float | None,
                       raise_on_failure: bool = False, callback=None) -> Branch:
    """The branch of 2k-cycles leaving the flip ``bifurcation`` of ``branch`` (k-cycles),
    continued by multiple shooting within ``bounds``; its first point is the flip."""
    n = branch.states.shape[1]
    k = int(bifurcation.period)
    lo, hi = bounds
    check_shooting_size(2 * k, n, opts.max_points)
    eps = min(float(opts.switch_amplitude), 1e-4) if amplitude is None else float(amplitude)
    problem = ShootingProblem(family, n, 2 * k, branch.u)
    at_flip = _cycle_at_flip(family, bifurcation, n, branch.u)
    first = None
    if at_flip is not None:
        cycle, evaluation = at_flip
        flip = Bifurcation(kind=bifurcation.kind, param=float(bifurcation.param), x=cycle[0],
                           eigenvalues=bifurcation.eigenvalues, bracket=bifurcation.bracket,
                           period=k, extra={"cycle": cycle,
                                            "eigenvectors": flip_vectors(evaluation.J)})
        first = doubled_cycle_start(problem, flip, eps, _TOL)
    else:
        cycle = np.tile(np.asarray(bifurcation.x, dtype=float), (k, 1))
    star_z = np.concatenate([cycle.ravel(), cycle.ravel(), [float(bifurcation.param)]])
    star = Point(star_z, np.zeros_like(star_z), 1.0, problem.evaluate(star_z), 0)
    star.data = monodromy_multipliers(star.evaluation.J)
    if first is None:       # as the k-fold switch: the flip alone, both ends failed
        failed = (ContinuationStatus.CORRECTOR_FAILED, ContinuationStatus.CORRECTOR_FAILED)
        star.t[-1] = 1.0
        return as_branch(problem, [star], [], failed, 0, raise_on_failure)
    z, evaluation, row = first
    t = start_tangent(evaluation, row)
    star.t = row
    p = float(z[-1])
    room = (hi - p) if t[-1] >= 0 else (p - lo)
    start = Point(z, t, 1.0, evaluation, 0)
    run = march_cycles(problem, start, (lo, hi),
                       ds=min(abs(opts.ds), 1e-3, max(room, 1e-9) / 10),
                       ds_max=min(opts.ds_max, 0.02), max_points=opts.max_points, tol=_TOL,
                       on_point=_on_point(callback, n))
    points = [star] + run.points
    found = locate_cycle_bifurcations(problem, points, family.name, _TOL, skip={0})
    return as_branch(problem, points, found, (ContinuationStatus.START, run.status),
                     run.n_rejected, raise_on_failure)


def as_branch(problem: ShootingProblem, points: list, bifurcations: list, statuses: tuple,
              n_rejected: int, raise_on_failure: bool = False) -> Branch:
    """A :class:`Branch` of the cycles at ``points``: states are the cycles' first points,
    tangents and arclength are those of (x_1, p)."""
    n = problem.n
    Z = np.array([pt.z for pt in points])
    head = np.concatenate([Z[:, :n], Z[:, -1:]], axis=1)
    T = np.array([np.append(pt.t[:n], pt.t[-1]) for pt in points])
    norms = np.linalg.norm(T, axis=1)
    T = T / np.where(norms > 0, norms, 1.0)[:, None]
    mu = np.array([pt.data for pt in points])
    arclength = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(head, axis=0),
                                                                axis=1))])
    for b in bifurcations:
        i = b.index
        b.extra["arclength"] = float(arclength[i] + np.linalg.norm(
            np.append(b.x, b.param) - head[i]))
        b.extra["arclength_bracket"] = (float(arclength[i]), float(arclength[i + 1]))
    failed = [s for s in statuses if s.is_failure]
    status = failed[0] if failed else statuses[1]
    name = problem.family.name
    message = (f"{len(points)} points over {name} in [{Z[:, -1].min():.6g}, "
               f"{Z[:, -1].max():.6g}] by multiple shooting; ends: {statuses[0].name}, "
               f"{statuses[1].name}; {len(bifurcations)} special point(s)") if not failed else (
        f"continuation stopped early after {len(points)} points: {status.value}; every point "
        "computed so far is kept")
    result = Branch(params=Z[:, -1].copy(), states=Z[:, :n].copy(),
                    stable=np.abs(mu[:, 0]) < 1.0, eigenvalues=mu,
                    n_unstable=np.count_nonzero(np.abs(mu) > 1.0, axis=1), arclength=arclength,
                    tangents=T, bifurcations=tuple(bifurcations), param_name=name,
                    period=problem.k, status=status, end_statuses=tuple(statuses),
                    success=not failed, message=message,
                    n_newton=np.array([pt.n_iter for pt in points], dtype=int),
                    n_rejected=n_rejected, family=problem.family, u=problem.u)
    if raise_on_failure and failed:
        raise ConvergenceError(message, result=result)
    return result
