"""The later rounds of a Newton fixed-point search and the handling of degenerate roots
(internal, used by :mod:`._fp_search`): deflated Newton from midpoints and edge states, the
stopping rule, and the clustering of roots Newton cannot pin down."""
from __future__ import annotations

import numpy as np

from . import _newton as nw

__all__: list[str] = []


def _merge_new(orbits, order, radius, new_orbits, new_order, dedupe_tol):
    """Append the new orbits not already known (deduplicated; NaN radius: to be checked)."""
    both = np.concatenate([orbits, new_orbits], axis=0)
    key = np.concatenate([np.full(orbits.shape[0], -np.inf), new_order])
    keep = sorted(nw.deduplicate(both, key, dedupe_tol))   # the known ones come first and stay
    order_all = np.concatenate([order, new_order])
    radius_all = np.concatenate([radius, np.full(new_orbits.shape[0], np.nan)])
    return both[keep], order_all[keep], radius_all[keep]


def _more_rounds(system, u, orbits, order, radius, rounds_new, *, rng, box, tol, max_iter,
                 dedupe_tol, max_rounds, n_starts, eig_tol):
    """Rounds 2, 3, ...: deflated Newton from the midpoints of pairs of found points and from
    edge states between pairs of stable points, each polished by plain Newton; stop when a
    round finds no new point."""
    from .deflation import deflated_newton
    from .edge_tracking import edge_states
    from .starts import midpoint_starts

    n_conv = 0
    slow: list = []
    tried_pairs: set = set()
    for _ in range(max_rounds - 1):
        X = orbits[:, 0, :]
        candidates = [midpoint_starts(X, max(256, n_starts), rng)]
        if X.shape[0] >= 2:
            J = system.jacobian_unchecked(X, u)
            with np.errstate(all="ignore"):
                spectral = np.max(np.abs(np.linalg.eigvals(J)), axis=1)
            stable = np.flatnonzero(spectral < 1.0 - eig_tol)
            if stable.size >= 2:
                i, j = np.triu_indices(stable.size, 1)
                pairs = [(a, b) for a, b in zip(stable[i], stable[j])
                         if (tuple(X[a].round(6)), tuple(X[b].round(6))) not in tried_pairs]
                if len(pairs) > 64:
                    pick = rng.choice(len(pairs), 64, replace=False)
                    pairs = [pairs[k] for k in pick]
                for a, b in pairs:
                    tried_pairs.add((tuple(X[a].round(6)), tuple(X[b].round(6))))
                if pairs:
                    candidates.append(edge_states(system, u, X, np.array(pairs)))
        starts = np.concatenate(candidates, axis=0)
        if starts.shape[0] == 0:
            rounds_new.append(0)
            break
        # plain Newton from every candidate, and deflated Newton (known roots pushed away)
        # from the same candidates, then polished: deflation decides the basin, Newton the root
        deflated = deflated_newton(system, u, starts, X, max_iter=max_iter, box=box)
        # every deflated run is polished, also those that ended far from any root: plain
        # Newton from such a stray state is a restart that can reach a root nothing else
        # reaches (skipping them lost a saddle of the LSTM flip-flop, seed 5)
        both = np.concatenate([starts, deflated], axis=0)
        finite = np.all(np.isfinite(both), axis=1)
        run = nw.newton(system, u, both[finite][:, None, :], tol=tol, max_iter=max_iter,
                        box=box)
        conv = run.outcome == nw.Outcome.CONVERGED
        n_conv += int(np.count_nonzero(conv))
        new_orbits, new_order = run.X[conv], run.residual[conv]
        uniq = nw.deduplicate(new_orbits, new_order, dedupe_tol)
        before = orbits.shape[0]
        orbits, order, radius = _merge_new(orbits, order, radius, new_orbits[uniq],
                                           new_order[uniq], dedupe_tol)
        orbits, order, radius, slow_round = _resolve_degenerate(
            system, u, orbits, order, tol=tol, box=box, dedupe_tol=dedupe_tol, radius=radius)
        slow += slow_round
        n_new = max(0, orbits.shape[0] - before)
        rounds_new.append(n_new)
        if n_new == 0:
            break
    return orbits, order, radius, n_conv, slow


def _resolve_degenerate(system, u, orbits, order, *, tol, box, dedupe_tol, radius=None):
    """Find the roots whose position Newton cannot pin down and report each cluster once.

    At a root x with residual r the Newton correction δ = (J − I)⁻¹ r bounds the distance to the
    exact root when I − J is well conditioned. Where ‖δ‖∞ exceeds ``dedupe_tol`` (1 + ‖x‖∞),
    I − J is nearly singular (a non-hyperbolic or non-isolated root): Newton converges there only
    linearly and stops wherever the residual first meets the tolerance, so one degenerate root
    comes out as a cloud of "points" (hundreds for x ↦ tanh(x) in 2-D). Those are refined by
    further Newton iterations to the rounding floor; the ones that still cannot be pinned down
    are grouped (two roots belong together when their error balls, radius 4‖δ‖∞ to cover roots
    of multiplicity up to 4, overlap) and each group is reported by its best member. A start
    whose refinement leaves the tolerance (a near-root where a saturated gate flattens F(x) − x,
    not a root) becomes a slow point.

    Returns the kept orbits, their order keys, a radius per orbit (0 for a resolved root) and
    the slow points [(x, reason)].
    """
    m = orbits.shape[0]
    if m == 0 or orbits.shape[1] != 1:
        return orbits, order, np.zeros(m), []
    X = orbits[:, 0, :]
    scale = 1.0 + np.max(np.abs(X), axis=1)
    # ``radius``: known from an earlier call (0 resolved, > 0 a cluster), NaN to be checked
    radius = np.full(m, np.nan) if radius is None else np.asarray(radius, dtype=float)
    check = np.isnan(radius)
    step = np.zeros(m)
    if np.any(check):
        R, _ = nw.orbit_residuals(system, u, orbits[check])
        step[check] = np.max(np.abs(nw.newton_direction(system, u, orbits[check], R)[:, 0]), axis=1)
    step[~np.isfinite(step)] = np.inf
    loose = check & (step > dedupe_tol * scale)
    known = np.where(check, 0.0, radius)
    if not np.any(loose):
        return orbits, order, known, []
    idx = np.flatnonzero(loose)
    run = nw.newton(system, u, orbits[idx], tol=0.0, max_iter=200, box=box)
    ok = run.residual <= np.maximum(tol, nw.attainable_tolerance(run.X, tol))
    slow = []
    for k in np.flatnonzero(~ok):
        slow.append((X[idx[k]], "q = ½‖F(x) − x‖² is tiny because I − J is nearly singular "
                     "here (a saturated unit or gate flattens F(x) − x), but Newton from it "
                     f"does not reach a root (residual {run.residual[k]:.1e} after refinement)"))
    refined = run.X[ok]
    Rr, res_r = nw.orbit_residuals(system, u, refined)
    step_r = np.max(np.abs(nw.newton_direction(system, u, refined, Rr)[:, 0]), axis=1)
    step_r[~np.isfinite(step_r)] = np.inf
    scale_r = 1.0 + np.max(np.abs(refined[:, 0, :]), axis=1)
    still = step_r > dedupe_tol * scale_r
    # resolved after refinement: ordinary roots (deduplicated against the rest below)
    # earlier cluster representatives join the clustering with their radius as ball
    old = ~loose & (known > 0)
    plain = ~loose & ~old
    keep_orbits = [orbits[plain], refined[~still]]
    keep_order = [order[plain], res_r[~still]]
    keep_radius = [np.zeros(int(np.count_nonzero(plain))),
                   np.zeros(int(np.count_nonzero(~still)))]
    cloud = np.concatenate([X[old], refined[still][:, 0, :]], axis=0)
    cloud_res = np.concatenate([order[old], res_r[still]])
    ball = np.concatenate([known[old], 4.0 * np.minimum(step_r[still], 1e300)
                           + dedupe_tol * scale_r[still]])
    for x, res, rad in _cluster_representatives(cloud, cloud_res, ball, dedupe_tol):
        keep_orbits.append(x[None, None, :])
        keep_order.append(np.array([res]))
        keep_radius.append(np.array([rad]))
    orbits2 = np.concatenate(keep_orbits, axis=0)
    order2 = np.concatenate(keep_order)
    radius2 = np.concatenate(keep_radius)
    # degenerate representatives first so that ordinary roots inside a cluster are absorbed;
    # an ordinary root inside a degenerate cluster's ball is part of it
    degen = radius2 > 0
    keep = np.ones(orbits2.shape[0], dtype=bool)
    for d in np.flatnonzero(degen):
        inside = np.max(np.abs(orbits2[:, 0, :] - orbits2[d, 0, :]), axis=1) <= radius2[d]
        inside[d] = False
        inside &= ~degen
        keep &= ~inside
    orbits2, order2, radius2 = orbits2[keep], order2[keep], radius2[keep]
    uniq = nw.deduplicate(orbits2, np.where(radius2 > 0, -np.inf, order2), dedupe_tol)
    uniq = sorted(uniq)
    return orbits2[uniq], order2[uniq], radius2[uniq], slow


def _cluster_representatives(cloud, cloud_res, ball, dedupe_tol):
    """Single-linkage clusters of overlapping error balls (union-find) among the roots
    ``cloud`` (c, n); yields (best member, its residual, cluster radius) per cluster."""
    if cloud.shape[0] == 0:
        return
    parent = np.arange(cloud.shape[0])

    def root(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a
    dist = np.max(np.abs(cloud[:, None, :] - cloud[None]), axis=2)
    linked = dist <= ball[:, None] + ball[None, :]
    for a, b in zip(*np.nonzero(np.triu(linked, 1))):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[rb] = ra
    labels = np.array([root(a) for a in range(cloud.shape[0])])
    for lab in np.unique(labels):
        members = np.flatnonzero(labels == lab)
        best = members[np.argmin(cloud_res[members])]
        spread = float(np.max(np.abs(cloud[members] - cloud[best]))) if members.size > 1 \
            else 0.0
        # a singular I − J gives an unbounded error ball: the cluster's extent is what is
        # known then (a continuum of roots in floating point)
        own = float(ball[best]) if ball[best] < 1e100 else 0.0
        yield cloud[best], float(cloud_res[best]), max(spread, own, dedupe_tol)
