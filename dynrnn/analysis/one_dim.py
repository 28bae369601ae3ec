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
from typing import NamedTuple

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


class _Cell(NamedTuple):
    """A cell [lo, hi] of the search with g = F^k(x) − x and g' at both ends."""

    lo: float
    hi: float
    g_lo: float
    g_hi: float
    slope_lo: float
    slope_hi: float


def _power(base: float, exponent: int) -> float:
    """base ** exponent in float64, +inf where it overflows (a Python float raises instead)."""
    with np.errstate(over="ignore"):
        return float(np.power(np.float64(base), exponent))


def _k_fold_bounds(m1: float, m2: float, k: int) -> tuple[float, float]:
    """L1 ≥ sup|(F^k)' − 1| and L2 ≥ sup|(F^k)''| from M1, M2 (module notes); inf on overflow."""
    with np.errstate(over="ignore", invalid="ignore"):
        l1 = _power(m1, k) + 1.0
        if m1 == 1.0:
            geometric = float(k)
        else:
            geometric = float(np.sum(np.power(np.float64(m1), np.arange(k, dtype=float))))
        l2 = float(np.float64(m2) * _power(m1, k - 1) * geometric)
    return l1, (l2 if not math.isnan(l2) else math.inf)


def _root(f, a: float, b: float) -> tuple[float, int]:
    """A root of f in the bracket [a, b] to full relative precision, and Brent's iterations.

    An exact zero at 0 (the origin of a bias-free network) is taken as it is: Brent's
    absolute tolerance would have to shrink to the smallest float to stop there by itself.
    Otherwise the tolerance is relative, 4 ulp of the root, plus an absolute floor far below
    the resolution of any root not at 0; a bracketing estimate inside [a, b] is kept even if
    Brent's method runs out of iterations (it then lies within the bracket it narrowed).
    """
    if a < 0.0 < b and f(0.0) == 0.0:
        return 0.0, 0
    try:
        root, info = brentq(f, a, b, xtol=1e-200, rtol=4 * np.finfo(float).eps, maxiter=400,
                            full_output=True, disp=False)
    except ValueError:
        # the map gave NaN inside the cell (it left its domain): the cell's middle is the best
        # estimate, and the residual check of the caller decides whether it is a root
        return 0.5 * (a + b), 0
    return float(root), int(info.iterations)


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


def _adjacent_runs(cells: list[_Cell]) -> list[list[_Cell]]:
    """Group cells into runs whose consecutive cells share an end point."""
    runs: list[list[_Cell]] = []
    for cell in sorted(cells, key=lambda c: c.lo):
        if runs and cell.lo <= runs[-1][-1].hi:
            runs[-1].append(cell)
        else:
            runs.append([cell])
    return runs


@dataclass
class _Bisection:
    """What the bisection leaves: cells with one certified sign change (``brackets``), cells it
    could not certify (``leftover``), cells where g is rounding noise (``flat``), the counts."""

    brackets: list[tuple[float, float]]
    leftover: list[_Cell]
    flat: list[_Cell]
    n_cells: int
    n_levels: int
    n_broken: int             # cells where F^k is NaN or inf
    certified: bool


class _AtPoint:
    """g = F^k(x) − x and g' at one point x, as Python floats (for Brent's method)."""

    def __init__(self, system, u, k: int):
        self.system, self.u, self.k = system, u, k

    def g(self, x: float) -> float:
        return float(_g(self.system, self.u, np.array([x]), self.k)[0][0])

    def slope(self, x: float) -> float:
        return float(_g(self.system, self.u, np.array([x]), self.k)[1][0])


def bracket_cycles(system, u, lo: float, hi: float, period: int, *, m1: float, m2: float,
                   tol: float, n_grid: int = 2001, h_min: float | None = None,
                   max_cells: int = 2_000_000) -> BracketOutcome:
    """Every root of F^k(x) − x on [lo, hi] (see the module notes for the argument).

    When the bounds L1, L2 of the k-fold map are so large (or overflow float64) that no cell
    wider than ``h_min`` could ever be certified, bisection would only burn ``max_cells``: the
    grid's sign changes are then solved directly and the outcome is not certified.
    """
    k = period
    if h_min is None:
        h_min = 1e-11 * max(1.0, hi - lo, abs(lo), abs(hi))
    cells = _bisect(system, u, lo, hi, k, _k_fold_bounds(m1, m2, k), h_min, n_grid, max_cells)
    at = _AtPoint(system, u, k)
    roots, n_brent = _solve_brackets(at, cells.brackets)
    run_roots, tangential, zones, unresolved, n_run_brent = _resolve_runs(
        at, cells.leftover, cells.flat, tol)
    roots, tangential = _merge_candidates(at, roots + run_roots, tangential, zones)
    certified = cells.certified and unresolved == 0 and cells.n_broken == 0
    return BracketOutcome(roots=np.asarray(roots, dtype=float),
                          tangential=np.asarray(tangential, dtype=float), certified=certified,
                          n_cells=int(cells.n_cells), n_levels=cells.n_levels,
                          n_brent_iter=n_brent + n_run_brent,
                          unresolved=unresolved + cells.n_broken)


def _bisect(system, u, lo: float, hi: float, k: int, bounds: tuple[float, float], h_min: float,
            n_grid: int, max_cells: int) -> _Bisection:
    """Bisect the cells of a grid on [lo, hi] until each is certified (module notes), narrower
    than ``h_min``, broken (NaN/inf), rounding noise, or ``max_cells`` is reached."""
    L1, L2 = bounds
    grid = np.linspace(lo, hi, n_grid + 1)
    g, d = _g(system, u, grid, k)
    # A monotone cell needs |g'(a)| + |g'(b)| > L2 h with |g'| ≤ L1; a root-free one needs
    # |g(a)| + |g(b)| > L1 h with |g| at most what the grid shows. Below h_min neither can hold.
    with np.errstate(all="ignore"):
        g_scale = float(np.nanmax(np.abs(g), initial=0.0))
        can_certify = (math.isfinite(L1) and math.isfinite(L2)
                       and (2.0 * L1 > L2 * h_min or 2.0 * g_scale > L1 * h_min))
    a, b = grid[:-1], grid[1:]
    ga, gb, da, db = g[:-1], g[1:], d[:-1], d[1:]
    out = _Bisection([], [], [], n_cells=a.size, n_levels=0, n_broken=0, certified=can_certify)
    while a.size:
        out.n_levels += 1
        h = b - a
        with np.errstate(all="ignore"):
            # Where g is below its own rounding error at both ends, its sign says nothing: such
            # cells (around a degenerate root, e.g. the cusp) are set aside, not bisected, and
            # each run of them gives one candidate point below.
            is_flat = (np.abs(ga) <= _rounding(a, ga, k)) & (np.abs(gb) <= _rounding(b, gb, k))
            monotone = (da * db > 0) & (np.abs(da) + np.abs(db) > L2 * h) & ~is_flat
            no_root = (ga * gb > 0) & (np.abs(ga) + np.abs(gb) > L1 * h)
            change = ga * gb <= 0

        def cells(mask, a=a, b=b, ga=ga, gb=gb, da=da, db=db):
            # built only for the cells kept, not for every cell of a level (millions, when a
            # discontinuity keeps a cell from being certified down to h_min)
            return [_Cell(a[i], b[i], ga[i], gb[i], da[i], db[i]) for i in np.flatnonzero(mask)]

        out.flat.extend(cells(is_flat))
        if not can_certify:
            out.brackets.extend((a[i], b[i]) for i in np.flatnonzero(change & ~is_flat))
            out.leftover.extend(cells(~change & ~is_flat & (da * db < 0)))
            break
        out.brackets.extend((a[i], b[i]) for i in np.flatnonzero(monotone & change))
        # Where F^k is NaN or inf (the map left its domain or overflowed) nothing can be
        # certified and bisection would only multiply the cells: they are counted, not split.
        broken = ~(np.isfinite(ga) & np.isfinite(gb) & np.isfinite(da) & np.isfinite(db))
        if np.any(broken):
            out.certified = False
            out.n_broken += int(np.count_nonzero(broken))
        todo = ~(monotone | no_root | is_flat | broken)
        small = todo & (h <= h_min)
        out.leftover.extend(cells(small))
        split = todo & ~small
        if not np.any(split):
            break
        if out.n_cells + 2 * np.count_nonzero(split) > max_cells:
            out.certified = False
            out.leftover.extend(cells(split))
            break
        a, b, ga, gb, da, db = a[split], b[split], ga[split], gb[split], da[split], db[split]
        mid = 0.5 * (a + b)
        gm, dm = _g(system, u, mid, k)
        a, b = np.concatenate([a, mid]), np.concatenate([mid, b])
        ga, gb = np.concatenate([ga, gm]), np.concatenate([gm, gb])
        da, db = np.concatenate([da, dm]), np.concatenate([dm, db])
        out.n_cells += a.size
    return out


def _solve_brackets(at: _AtPoint, brackets: list[tuple[float, float]]
                    ) -> tuple[list[float], int]:
    """The root in each certified bracket, and Brent's iterations in all."""
    n_brent = 0
    roots = []
    for lo_c, hi_c in brackets:
        ga_c, gb_c = at.g(lo_c), at.g(hi_c)
        if ga_c == 0.0:
            roots.append(lo_c)
            continue
        if gb_c == 0.0:
            roots.append(hi_c)
            continue
        r, n_iter = _root(at.g, lo_c, hi_c)
        n_brent += n_iter
        roots.append(r)
    return roots, n_brent


def _resolve_runs(at: _AtPoint, leftover: list[_Cell], flat: list[_Cell], tol: float
                  ) -> tuple[list[float], list[float], list[tuple[float, float, float]], int,
                             int]:
    """Candidates from the uncertified cells: (roots, tangential roots, flat zones (lo, hi,
    point), cells left unresolved, Brent's iterations).

    Uncertified cells come in runs of adjacent cells around one degenerate root (a fold, or
    the triple root of x -> tanh(x) at w = 1): each run is handled once, not cell by cell."""
    roots: list[float] = []
    tangential: list[float] = []
    zones: list[tuple[float, float, float]] = []
    unresolved = n_brent = 0
    flat_starts = {cell.lo for cell in flat}
    for run in _adjacent_runs(leftover + flat):
        run_hi = max(cell.hi for cell in run)
        turns = [cell for cell in run if cell.slope_lo * cell.slope_hi < 0]
        if any(cell.lo in flat_starts for cell in run):
            # A zone where F^k(x) − x is rounding noise: one degenerate root, placed where g'
            # changes sign, else mid-zone (the root is only known to within the zone).
            if turns:
                turn = turns[len(turns) // 2]
                xc, n_iter = _root(at.slope, turn.lo, turn.hi)
                n_brent += n_iter
            else:
                xc = 0.5 * (run[0].lo + run_hi)
            zones.append((run[0].lo, run_hi, xc))
            continue
        changes = [cell for cell in run if cell.g_lo * cell.g_hi <= 0]
        if changes:
            cell = changes[len(changes) // 2]
            if cell.g_lo == 0.0 or cell.g_hi == 0.0:
                roots.append(cell.lo if cell.g_lo == 0.0 else cell.hi)
            else:
                r, n_iter = _root(at.g, cell.lo, cell.hi)
                n_brent += n_iter
                roots.append(r)
            continue
        if turns:
            turn = turns[len(turns) // 2]
            xc, n_iter = _root(at.slope, turn.lo, turn.hi)
            n_brent += n_iter
        else:
            ends = ([(abs(cell.g_lo), cell.lo) for cell in run]
                    + [(abs(cell.g_hi), cell.hi) for cell in run])
            xc = min(ends)[1]
        if abs(at.g(xc)) <= tol:
            tangential.append(xc)
        else:
            unresolved += 1
    return roots, tangential, zones, unresolved, n_brent


def _merge_candidates(at: _AtPoint, roots: list[float], tangential: list[float],
                      zones: list[tuple[float, float, float]]) -> tuple[list[float], list[float]]:
    """Simple and tangential roots with the duplicates a degenerate root produces removed."""
    gs, k = at.g, at.k
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
    return roots, tangential
