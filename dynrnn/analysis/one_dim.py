r"""All fixed points and k-cycles of a one-dimensional map on an interval, with a proof of
completeness.

The roots of :math:`g(x) = F^k(x) - x` on :math:`[lo, hi]` are isolated cell by cell. With
:math:`L_1 \ge \sup|g'|` and :math:`L_2 \ge \sup|g''|` on the interval, a cell :math:`[a, b]` of
width :math:`h` is *certified* when either

* g' keeps one sign on it: :math:`g'(a) g'(b) > 0` and :math:`|g'(a)| + |g'(b)| > L_2 h`
  (if g' vanished at some c, then :math:`|g'(a)| \le L_2 (c - a)` and
  :math:`|g'(b)| \le L_2 (b - c)`, whose sum is at most :math:`L_2 h`); then g is monotone on the
  cell and has exactly one root there if it changes sign, none otherwise; or
* g keeps one sign on it: :math:`g(a) g(b) > 0` and :math:`|g(a)| + |g(b)| > L_1 h` (same
  argument with g and L_1); then it has no root.

Uncertified cells are bisected. Only near a point where g and g' vanish together (a tangential,
double root, i.e. the map sits exactly at a fold) can bisection fail to certify; there, once the
cells are narrower than ``h_min``, the zero of g' in the cell (the local minimum of |g|) is
located with Brent's method and reported as a root when |g| is below the tolerance and no
simple root lies within 1e-3·(1 + |x|) of it. So within about ``tol`` of a fold (in the size
of F(x) − x) the fold point itself is reported, as a non-hyperbolic point. Each
certified cell with a sign change is solved with :func:`scipy.optimize.brentq`.

The bounds come from the map: for F(x) = w σ(x) + c (a one-unit network),
:math:`M_1 = \sup|F'| = |w|\gamma` and :math:`M_2 = \sup|F''| = |w| \sup|\sigma''|` in closed form
(:math:`4/(3\sqrt3)` for tanh, :math:`1/(6\sqrt3)` for the logistic sigmoid). For the k-fold map,
with :math:`x_i = F^i(x)`, :math:`(F^k)' = \prod_i F'(x_i)` and

.. math::

    |(F^k)''| = \Big|\sum_{i<k} F''(x_i) \big(\prod_{j<i} F'(x_j)\big) \prod_{j \ne i} F'(x_j)\Big|
              \le M_2 M_1^{k-1} \sum_{i<k} M_1^i,

so :math:`L_1 = M_1^k + 1` and :math:`L_2 = M_2 M_1^{k-1}\sum_{i<k} M_1^i`. For other maps the
user may pass the bounds (``derivative_bounds=(M1, M2)``); otherwise they are estimated from the
grid with a safety factor, the search is the same, but the result is not claimed exhaustive.

References
----------
R. P. Brent, *Algorithms for Minimization without Derivatives*, Prentice-Hall 1973, ch. 4.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

__all__ = ["bracket_cycles", "derivative_bounds"]

#: sup |σ''| over the real line, in closed form
_SUP_SECOND_DERIVATIVE = {
    "tanh": 4.0 / (3.0 * math.sqrt(3.0)),      # σ'' = −2t(1 − t²), extremal at t² = 1/3
    "sigmoid": 1.0 / (6.0 * math.sqrt(3.0)),   # σ'' = s(1 − s)(1 − 2s), extremal at (s − ½)² = 1/12
    "identity": 0.0,
}


def derivative_bounds(system, u, lo: float, hi: float, bounds=None,
                      n_grid: int = 4001) -> tuple[float, float, bool, str]:
    """(M1, M2, rigorous, how): bounds on |F'| and |F''| over [lo, hi]."""
    if bounds is not None:
        return float(bounds[0]), float(bounds[1]), True, "derivative bounds given by the user"
    from ..model.rnn import RNN
    if isinstance(system, RNN) and system.activation.name in _SUP_SECOND_DERIVATIVE:
        w = abs(float(system.W_rec[0, 0]))
        act = system.activation
        return (w * act.gamma, w * _SUP_SECOND_DERIVATIVE[act.name], True,
                "closed-form bounds |w|·sup|σ'| and |w|·sup|σ''| of the one-unit network")
    x = np.linspace(lo, hi, n_grid)[:, None]
    with np.errstate(all="ignore"):
        d = system.jacobian_unchecked(x, u)[:, 0, 0]
    slope = np.abs(np.diff(d)) / np.diff(x[:, 0])
    m1 = 1.5 * float(np.nanmax(np.abs(d))) + 1e-12
    m2 = 4.0 * float(np.nanmax(slope)) + 1e-12
    return m1, m2, False, ("derivative bounds estimated on a grid (pass derivative_bounds=(M1, M2) "
                           "to make the search provably exhaustive)")


@dataclass
class BracketOutcome:
    roots: np.ndarray         # (r,) roots of F^k(x) − x (may repeat, may include lower periods)
    tangential: np.ndarray    # (t,) roots found as local minima of |g| (double roots)
    certified: bool           # every cell certified or holding a reported root
    n_cells: int              # cells examined
    n_levels: int             # bisection passes
    n_brent_iter: int         # Brent iterations in all
    unresolved: int           # uncertified cells with no root reported


def _g(system, u, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """g = F^k(x) − x and g' = (F^k)'(x) − 1 for x (N,)."""
    y = x[:, None]
    d = np.ones(x.shape[0])
    with np.errstate(all="ignore"):
        for _ in range(k):
            d = d * system.jacobian_unchecked(y, u)[:, 0, 0]
            y = system.step_unchecked(y, u)
    return y[:, 0] - x, d - 1.0


def _rounding(x: np.ndarray, g: np.ndarray, k: int) -> np.ndarray:
    """A bound on the rounding error of g = F^k(x) − x as computed in float64."""
    return 16.0 * k * np.finfo(float).eps * (1.0 + np.abs(x) + np.abs(g + x))


def _separated(gs, x1: float, x2: float, k: int, n: int = 9) -> bool:
    """Whether |F^k(x) − x| rises above its rounding error somewhere between x1 and x2."""
    for t in np.linspace(x1, x2, n)[1:-1]:
        g = gs(t)
        if abs(g) > _rounding(np.array(t), np.array(g), k):
            return True
    return x1 != x2 and n <= 2


def _adjacent_runs(cells: list) -> list[list]:
    """Group cells (a, b, ...) into runs whose consecutive cells share an end point."""
    runs: list[list] = []
    for cell in sorted(cells, key=lambda c: c[0]):
        if runs and cell[0] <= runs[-1][-1][1]:
            runs[-1].append(cell)
        else:
            runs.append([cell])
    return runs


def bracket_cycles(system, u, lo: float, hi: float, period: int, *, m1: float, m2: float,
                   tol: float, n_grid: int = 2001, h_min: float | None = None,
                   max_cells: int = 2_000_000) -> BracketOutcome:
    """Every root of F^k(x) − x on [lo, hi] (see the module notes for the argument)."""
    k = period
    L1 = m1 ** k + 1.0
    L2 = m2 * m1 ** (k - 1) * sum(m1 ** i for i in range(k))
    width = hi - lo
    if h_min is None:
        h_min = 1e-11 * max(1.0, width, abs(lo), abs(hi))
    grid = np.linspace(lo, hi, n_grid + 1)
    g, d = _g(system, u, grid, k)
    a, b = grid[:-1], grid[1:]
    ga, gb, da, db = g[:-1], g[1:], d[:-1], d[1:]
    brackets: list[tuple[float, float]] = []
    leftover: list[tuple[float, float, float, float, float, float]] = []
    n_cells = a.size
    n_levels = 0
    certified = True
    flat: list[tuple[float, float, float, float, float, float]] = []
    while a.size:
        n_levels += 1
        h = b - a
        # Where g is below its own rounding error at both ends, its sign says nothing: such
        # cells (around a degenerate root, e.g. the cusp) are set aside, not bisected, and each
        # run of them gives one candidate point below.
        is_flat = (np.abs(ga) <= _rounding(a, ga, k)) & (np.abs(gb) <= _rounding(b, gb, k))
        for i in np.flatnonzero(is_flat):
            flat.append((a[i], b[i], ga[i], gb[i], da[i], db[i]))
        monotone = (da * db > 0) & (np.abs(da) + np.abs(db) > L2 * h) & ~is_flat
        no_root = (ga * gb > 0) & (np.abs(ga) + np.abs(gb) > L1 * h)
        change = ga * gb <= 0
        for i in np.flatnonzero(monotone & change):
            brackets.append((a[i], b[i]))
        todo = ~(monotone | no_root | is_flat)
        small = todo & (h <= h_min)
        for i in np.flatnonzero(small):
            leftover.append((a[i], b[i], ga[i], gb[i], da[i], db[i]))
        split = todo & ~small
        if not np.any(split):
            break
        if n_cells + 2 * np.count_nonzero(split) > max_cells:
            certified = False
            for i in np.flatnonzero(split):
                leftover.append((a[i], b[i], ga[i], gb[i], da[i], db[i]))
            break
        a, b, ga, gb, da, db = a[split], b[split], ga[split], gb[split], da[split], db[split]
        mid = 0.5 * (a + b)
        gm, dm = _g(system, u, mid, k)
        a, b = np.concatenate([a, mid]), np.concatenate([mid, b])
        ga, gb = np.concatenate([ga, gm]), np.concatenate([gm, gb])
        da, db = np.concatenate([da, dm]), np.concatenate([dm, db])
        n_cells += a.size

    def gs(x):
        return float(_g(system, u, np.array([x]), k)[0][0])

    def dgs(x):
        return float(_g(system, u, np.array([x]), k)[1][0])

    n_brent = 0
    roots = []
    for lo_c, hi_c in brackets:
        ga_c, gb_c = gs(lo_c), gs(hi_c)
        if ga_c == 0.0:
            roots.append(lo_c)
            continue
        if gb_c == 0.0:
            roots.append(hi_c)
            continue
        r, info = brentq(gs, lo_c, hi_c, xtol=1e-300, rtol=4 * np.finfo(float).eps,
                         full_output=True)
        n_brent += info.iterations
        roots.append(r)
    tangential = []
    unresolved = 0
    # Uncertified cells come in runs of adjacent cells around one degenerate root (a fold, or
    # the triple root of x -> tanh(x) at w = 1): handle each run once, not cell by cell.
    flat_starts = {c[0] for c in flat}
    zones: list[tuple[float, float, float]] = []
    for run in _adjacent_runs(leftover + flat):
        if any(c[0] in flat_starts for c in run):
            # A zone where F^k(x) − x is rounding noise: one degenerate root, placed where g'
            # changes sign, else mid-zone (the root is only known to within the zone).
            turns = [c for c in run if c[4] * c[5] < 0]
            if turns:
                a_c, b_c = turns[len(turns) // 2][:2]
                xc, info = brentq(dgs, a_c, b_c, xtol=1e-300, full_output=True)
                n_brent += info.iterations
            else:
                xc = 0.5 * (run[0][0] + max(c[1] for c in run))
            zones.append((run[0][0], max(c[1] for c in run), xc))
            continue
        changes = [c for c in run if c[2] * c[3] <= 0]
        if changes:
            a_c, b_c, ga_c, gb_c = changes[len(changes) // 2][:4]
            if ga_c == 0.0 or gb_c == 0.0:
                roots.append(a_c if ga_c == 0.0 else b_c)
            else:
                r, info = brentq(gs, a_c, b_c, xtol=1e-300, full_output=True)
                n_brent += info.iterations
                roots.append(r)
            continue
        turns = [c for c in run if c[4] * c[5] < 0]
        if turns:
            a_c, b_c = turns[len(turns) // 2][:2]
            xc, info = brentq(dgs, a_c, b_c, xtol=1e-300, full_output=True)
            n_brent += info.iterations
        else:
            ends = [(abs(c[2]), c[0]) for c in run] + [(abs(c[3]), c[1]) for c in run]
            xc = min(ends)[1]
        if abs(gs(xc)) <= tol:
            tangential.append(xc)
        else:
            unresolved += 1
    # Near a fold the two simple roots and the extremum of g between them can all be within
    # reach: the extremum is then not a root of its own. A tangential candidate is kept only
    # when no bracketed root lies within 1e-3·(1 + |x|) of it.
    roots_arr = np.asarray(roots, dtype=float)
    tangential = [t for t in tangential
                  if not np.any(np.abs(roots_arr - t) <= 1e-3 * (1.0 + abs(t)))]
    # Sign changes of rounding noise at the edges of a flat zone are not roots of their own:
    # the zone is one degenerate root (an exact zero inside it is preferred as its location).
    for lo_z, hi_z, xc in zones:
        reach = hi_z - lo_z
        inside = (roots_arr >= lo_z - reach) & (roots_arr <= hi_z + reach)
        exact = [r for r in roots_arr[inside] if gs(r) == 0.0]
        roots_arr = roots_arr[~inside]
        tangential = [t for t in tangential if not lo_z - reach <= t <= hi_z + reach]
        tangential.append(exact[0] if exact else xc)
    roots = list(roots_arr)
    # Two candidates between which F^k(x) − x never rises above its rounding error cannot be
    # told apart in float64: they are one (degenerate) root. Keep an exact zero if there is
    # one, else the zone/tangential point.
    tangential = [t for t in tangential
                  if not any(abs(r - t) <= 1e-3 * (1.0 + abs(t)) and not _separated(gs, r, t, k)
                             for r in roots)]
    # Candidates at a degenerate root cluster along its flat stretch: one per cluster, the one
    # where |F^k(x) − x| is least.
    clustered: list[list[float]] = []
    for t in sorted(tangential):
        if clustered and t - clustered[-1][-1] <= 1e-3 * (1.0 + abs(t)):
            clustered[-1].append(t)
        else:
            clustered.append([t])
    tangential = [min(c, key=lambda t: abs(gs(t))) for c in clustered]
    points = sorted([(r, 0) for r in roots] + [(t, 1) for t in tangential])
    groups: list[list[tuple[float, int]]] = []
    for p in points:
        if groups and not _separated(gs, groups[-1][-1][0], p[0], k):
            groups[-1].append(p)
        else:
            groups.append([p])
    roots, tangential = [], []
    for group in groups:
        exact = [p for p in group if gs(p[0]) == 0.0]
        chosen = exact[0] if exact else next((p for p in group if p[1] == 1), group[0])
        (roots if chosen[1] == 0 else tangential).append(chosen[0])
    certified = certified and unresolved == 0
    return BracketOutcome(roots=np.asarray(roots, dtype=float),
                          tangential=np.asarray(tangential, dtype=float), certified=certified,
                          n_cells=int(n_cells), n_levels=n_levels, n_brent_iter=n_brent,
                          unresolved=unresolved)
