"""The routes of a fixed-point search (internal, used by :mod:`._fp_search`): batched Newton
from starts, 1-D bracketing, the piecewise-linear solver, and the slow-point minimisation."""
from __future__ import annotations

import numpy as np

from . import _newton as nw
from .fixed_point_result import SearchMethod
from .one_dim import bracket_cycles
from .one_dim import derivative_bounds as _derivative_bounds
from .piecewise import enumerate_cycles, random_region_search
from .stability import make_point

__all__: list[str] = []


def _run_newton(system, u, period, starts, *, tol, max_iter, box, progress) -> dict:
    X0 = nw.initial_orbits(system, u, starts, period)
    run = nw.newton(system, u, X0, tol=tol, max_iter=max_iter, box=box, progress=progress)
    conv = run.outcome == nw.Outcome.CONVERGED
    names = {nw.Outcome.SINGULAR: "singular", nw.Outcome.NON_FINITE: "non-finite",
             nw.Outcome.NO_PROGRESS: "no progress", nw.Outcome.MAX_ITER: "max_iter"}
    failures = {name: int(np.count_nonzero(run.outcome == code)) for code, name in names.items()}
    m = starts.shape[0]
    return dict(orbits=run.X[conv], eigenvalues=None, order_key=run.residual[conv],
                method=SearchMethod.NEWTON, exhaustive=False, n_starts=m,
                n_converged=int(np.count_nonzero(conv)), n_failed=int(m - np.count_nonzero(conv)),
                n_iter=int(run.n_iter.max()) if m else 0, failures=failures,
                residual_history=run.history, failed_starts=starts[~conv],
                note="Newton from starts: a search, not a proof that no other points exist")


def _run_bracket(system, u, period, box, *, tol, n_grid, bounds, user_box) -> dict:
    lo, hi = float(box[0][0]), float(box[1][0])
    m1, m2, rigorous, how = _derivative_bounds(system, u, lo, hi, bounds)
    br = bracket_cycles(system, u, lo, hi, period, m1=m1, m2=m2, tol=tol, n_grid=n_grid)
    roots = np.concatenate([br.roots, br.tangential])
    X0 = nw.initial_orbits(system, u, roots[:, None], period)
    # residuals of the roots, to order duplicates (the most accurate is kept)
    _, res = nw.orbit_residuals(system, u, X0)
    ok = res <= nw.attainable_tolerance(X0, max(tol, 1e3 * tol))
    exhaustive = rigorous and br.certified
    where = "the given box" if user_box else "the invariant interval"
    note = (f"roots of F^{period}(x) − x on {where} [{lo:.6g}, {hi:.6g}] isolated cell by cell "
            f"({how}; {br.n_cells} cells, {br.n_levels} bisection passes"
            + (f", {br.tangential.size} tangential root(s)" if br.tangential.size else "")
            + (f", {br.unresolved} unresolved cell(s)" if br.unresolved else "") + ")"
            + ("" if exhaustive else ": not a proof"))
    n = int(roots.size)
    return dict(orbits=X0[ok], eigenvalues=None, order_key=res[ok], method=SearchMethod.BRACKET,
                exhaustive=exhaustive, n_starts=n, n_converged=int(np.count_nonzero(ok)),
                n_failed=int(n - np.count_nonzero(ok)), n_iter=br.n_levels + br.n_brent_iter,
                failures={"inaccurate root": int(n - np.count_nonzero(ok))}, note=note)


def _run_piecewise(system, u, period, pl, *, n_starts, rng, max_iter, max_regions) -> dict:
    A, W, c = (np.asarray(a, dtype=float) for a in pl)
    n = system.n_states
    if not np.any(W) or 2 ** min(n * period, 62) <= max_regions:
        sol, n_regions = enumerate_cycles(A, W, c, period)
        ok = sol.consistent
        n_sing = int(np.count_nonzero(sol.singular))
        exhaustive = n_sing == 0
        note = (f"all {n_regions} sequences of {period} activation pattern(s) solved exactly"
                + ("" if exhaustive else f"; {n_sing} region system(s) are singular (a "
                   "continuum of points or none there), so the list may be incomplete"))
        return dict(orbits=sol.orbits[ok], eigenvalues=sol.multipliers[ok],
                    order_key=np.zeros(int(np.count_nonzero(ok))),
                    method=SearchMethod.PIECEWISE, exhaustive=exhaustive, n_starts=n_regions,
                    n_converged=int(np.count_nonzero(ok)),
                    n_failed=int(n_regions - np.count_nonzero(ok)), n_iter=n_regions,
                    failures={"inconsistent region": int(n_regions - np.count_nonzero(ok)
                                                          - n_sing),
                              "singular region": n_sing}, note=note)
    rs = random_region_search(A, W, c, period, n_starts, rng, max_iter=max_iter)
    return dict(orbits=rs.solve.orbits, eigenvalues=rs.solve.multipliers,
                order_key=np.zeros(rs.solve.orbits.shape[0]),
                method=SearchMethod.PIECEWISE_RANDOM, exhaustive=False, n_starts=rs.n_starts,
                n_converged=rs.n_converged, n_failed=rs.n_failed, n_iter=rs.n_iter,
                failures={"singular region": rs.n_singular,
                          "pattern cycle": rs.n_failed - rs.n_singular},
                note=(f"randomised region search (2^{n * period} region sequences exceed "
                      f"max_regions={max_regions}): not a proof"))


def _slow_points(system, u, starts, points, *, tol, threshold, dedupe_tol, eig_tol, max_iter):
    """Minimise q(x) = ½‖F(x) − x‖² from each start (L-BFGS-B with the analytic gradient
    (J − I)ᵀ(F − x)); minima that polish to fixed points are returned as new fixed points,
    the others with q < threshold as slow points."""
    from scipy.optimize import minimize

    n = system.n_states

    def q_and_grad(x):
        xb = x[None]
        r = system.step_unchecked(xb, u)[0] - x
        J = system.jacobian_unchecked(xb, u)[0]
        return 0.5 * float(r @ r), (J.T @ r - r)

    minima, qs = [], []
    for x0 in starts:
        with np.errstate(all="ignore"):
            opt = minimize(q_and_grad, x0, jac=True, method="L-BFGS-B",
                           options={"maxiter": 10 * max_iter, "gtol": 1e-14, "ftol": 1e-30})
        if np.all(np.isfinite(opt.x)) and np.isfinite(opt.fun):
            minima.append(opt.x)
            qs.append(float(opt.fun))
    if not minima:
        return [], ()
    minima = np.array(minima).reshape(-1, n)
    qs = np.array(qs)
    run = nw.newton(system, u, minima[:, None, :], tol=tol, max_iter=max_iter)
    conv = run.outcome == nw.Outcome.CONVERGED
    extra = []
    known = np.array([p.x for p in points]).reshape(-1, n)
    for i in np.flatnonzero(conv):
        x = run.X[i, 0]
        if known.shape[0] and np.any(nw.same_point(known, x[None], dedupe_tol)):
            continue
        extra.append(make_point(system, u, x[None], eig_tol=eig_tol))
        known = np.vstack([known, x[None]])
    slow_idx = np.flatnonzero(~conv & (qs < threshold))
    kept = nw.deduplicate(minima[slow_idx, None, :], qs[slow_idx], max(dedupe_tol, 1e-4))
    slow = []
    for j in kept:
        i = slow_idx[j]
        pt = make_point(system, u, minima[i][None], eig_tol=eig_tol)
        slow.append(pt)
    slow.sort(key=lambda p: p.q)
    return extra, tuple(slow)
