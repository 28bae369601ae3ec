r"""Fixed points of recurrent maps, with their stability: :func:`find_fixed_points`.

Three routes, chosen by what the map offers (``method="auto"``):

* ``"piecewise"`` — ReLU (piecewise-linear) maps, F(x) = A x + W relu(x) + c: exact solutions
  of one linear system per region; every region for small n (provably complete), the randomised
  region search of Eisenmann et al. (2023) otherwise.
* ``"bracket"`` — one-dimensional maps with an invariant interval: every sign change of
  F(x) − x is isolated by a cell-wise derivative argument and solved with Brent's method;
  tangential roots are found as zeros of F'(x) − 1 (see :mod:`dynrnn.analysis.one_dim`).
* ``"newton"`` — everything else: batched damped Newton from many starts (uniform in the
  invariant box and sampled along trajectories), deduplicated; optionally the slow points of
  Sussillo & Barak (2013) from the starts that did not converge.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Iterator, Literal

import numpy as np

from .._checks import check_count, check_seed
from .._tables import TableSpec, Tabular
from ..errors import (ConvergenceError, InvalidInputError, InvalidTypeError, ResourceLimitError,
                      ShapeError)
from ..model.base import RecurrentMap, as_finite_array
from . import _newton as nw
from .one_dim import bracket_cycles, derivative_bounds as _derivative_bounds
from .piecewise import enumerate_cycles, random_region_search
from .stability import FixedPoint, make_point
from .._signature_checks import checked_arguments
from .._threads import limited_blas

__all__ = ["find_fixed_points", "FixedPointResult", "SearchStatus", "SearchMethod"]


class SearchStatus(str, enum.Enum):
    """Outcome of a fixed-point or cycle search; the value is the message."""

    COMPLETE = ("every point in the search region was found: the search is exhaustive "
                "(see FixedPointResult.note for the argument)")
    FOUND = ("points found from the starts; others may exist: raise n_starts or pass starts= "
             "to search further")
    NONE_FOUND = ("no start converged: raise n_starts or max_iter, pass starts= near the "
                  "suspected points, or loosen tol")
    DEGENERATE = ("points found, some of them degenerate: I − J is (nearly) singular at those "
                  "roots (non-hyperbolic, or part of a continuum of fixed points), so their "
                  "position is known only to result.degenerate_radius; each cluster of such "
                  "roots is reported once (result.degenerate); others may exist")

    def __str__(self) -> str:
        return self.value


class SearchMethod(str, enum.Enum):
    """The route a search took."""

    NEWTON = "newton"
    BRACKET = "bracket"
    PIECEWISE = "piecewise"
    PIECEWISE_RANDOM = "piecewise-random"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, eq=False)
class FixedPointResult(Tabular):
    """The fixed points (or k-cycles) of a map found by one search.

    Iterating the result yields its :class:`FixedPoint` records, sorted by number of unstable
    directions (stable first), then lexicographically by state.

    Attributes
    ----------
    points : tuple of FixedPoint
    slow_points : tuple of FixedPoint
        Local minima of q(x) = ½‖F(x) − x‖² with q below the threshold that are not fixed points
        (only with ``slow_points=True``); each carries its q.
    period : int
        1 for fixed points, k for k-cycles.
    method : SearchMethod
    success : bool
        False only when nothing converged (status NONE_FOUND) and the search was not exhaustive.
    status : SearchStatus
    exhaustive : bool
        True when the method proves that every point (of minimal period ``period``) in the search
        region was found; ``note`` says why.
    n_starts : int
        Starts (Newton), candidate brackets (bracket), or regions/restarts (piecewise) tried.
    n_converged : int
        Starts that reached the tolerance (including duplicates and, for cycles, points of a
        lower period).
    n_failed : int
        ``n_starts - n_converged``; ``failures`` breaks it down by reason.
    n_duplicates : int
        Converged starts that found a point already found (cyclic shifts count as the same cycle).
    n_iter : int
        Newton iterations of the longest run, bisection passes plus Brent iterations, or
        region-search iterations.
    n_lower_period : int
        Converged cycles whose minimal period divides ``period`` but is smaller (discarded).
    failures : dict of str to int
        Failed starts by reason: "singular", "non-finite", "no progress", "max_iter", and for
        piecewise searches "singular region" and "pattern cycle".
    residual_history : ndarray, shape (n_iter + 1, n_starts)
        Newton residuals per iteration and start (NaN after a start stopped); empty otherwise.
    note : str
        How exhaustiveness is justified, or why the search is not exhaustive.
    n_states : int
        Dimension of the map's state.
    degenerate : tuple of FixedPoint
        The points (also in ``points``) that stand for a cluster of degenerate roots: roots where
        I − J is so close to singular that the Newton error bound ‖(J − I)⁻¹ r‖ exceeds
        ``dedupe_tol`` even after refinement (a non-hyperbolic or non-isolated root). Each
        cluster is reported once, by its member with the smallest residual.
    degenerate_radius : tuple of float
        For each degenerate point, the radius (max norm) of its cluster of roots.
    slow_point_reasons : tuple of str
        Why each slow point is not a fixed point.
    rounds_new : tuple of int
        New distinct points found by each round of the search (round 1: the starts; later
        rounds: deflated Newton from midpoints of found points and from edge states between
        pairs of stable points). The search stops when a round finds nothing new (``max_rounds``
        bounds it); a last entry 0 is the stopping rule met.
    """

    _table_spec = TableSpec(rows="points", columns=("x", "kind", "stable", "n_unstable",
                                                    "spectral_radius", "residual", "period"))

    points: tuple[FixedPoint, ...]
    slow_points: tuple[FixedPoint, ...]
    period: int
    method: SearchMethod
    success: bool
    status: SearchStatus
    exhaustive: bool
    n_starts: int
    n_converged: int
    n_failed: int
    n_duplicates: int
    n_iter: int
    n_lower_period: int = 0
    failures: dict = field(default_factory=dict)
    residual_history: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    note: str = ""
    n_states: int = 0
    degenerate: tuple[FixedPoint, ...] = ()
    degenerate_radius: tuple[float, ...] = ()
    slow_point_reasons: tuple[str, ...] = ()
    rounds_new: tuple[int, ...] = ()

    def __iter__(self) -> Iterator[FixedPoint]:
        return iter(self.points)

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, index: int) -> FixedPoint:
        return self.points[index]

    @property
    def states(self) -> np.ndarray:
        """The points stacked, shape (n_points, n_states) (first point of each cycle)."""
        if not self.points:
            return np.empty((0, self.n_states))
        return np.stack([p.x for p in self.points])

    @property
    def stable_points(self) -> tuple[FixedPoint, ...]:
        return tuple(p for p in self.points if p.stable)

    def __repr__(self) -> str:
        what = "fixed point" if self.period == 1 else f"{self.period}-cycle"
        n_st = len(self.stable_points)
        extra = f", {len(self.degenerate)} degenerate" if self.degenerate else ""
        return (f"FixedPointResult({len(self.points)} {what}(s), {n_st} stable{extra}, "
                f"method={self.method.value!r}, exhaustive={self.exhaustive}, "
                f"n_starts={self.n_starts}, n_converged={self.n_converged}, "
                f"n_failed={self.n_failed}, n_duplicates={self.n_duplicates})")

    def __str__(self) -> str:
        """A short summary: counts by number of unstable directions, status, main numbers."""
        what = "fixed point" if self.period == 1 else f"{self.period}-cycle"
        lines = [f"{len(self.points)} {what}(s) of a {self.n_states}-state map "
                 f"({self.method.value}, {'exhaustive' if self.exhaustive else 'not exhaustive'})"]
        if self.points:
            counts: dict[int, int] = {}
            for p in self.points:
                key = -1 if p.kind.value == "non-hyperbolic" else p.n_unstable
                counts[key] = counts.get(key, 0) + 1
            parts = [f"{c} non-hyperbolic" if k < 0 else f"{c} stable" if k == 0
                     else f"{c} with {k} unstable direction" + ("s" if k != 1 else "")
                     for k, c in sorted(counts.items())]
            worst = max(p.residual for p in self.points)
            lines.append("  " + ", ".join(parts) + f"; max residual {worst:.1e}")
        if self.degenerate:
            lines.append(f"  {len(self.degenerate)} degenerate (clusters of radius up to "
                         f"{max(self.degenerate_radius):.1e})")
        if self.slow_points:
            lines.append(f"  {len(self.slow_points)} slow point(s), not fixed points")
        lines.append(f"  starts {self.n_starts}: {self.n_converged} converged, "
                     f"{self.n_duplicates} duplicate(s), {self.n_failed} failed")
        if len(self.rounds_new) > 1:
            lines.append("  new points per round: "
                         + ", ".join(str(k) for k in self.rounds_new))
        lines.append(f"  status: {self.status.value}")
        return "\n".join(lines)


# -- validation ---------------------------------------------------------------------------------
def _check_positive(value, argument: str) -> float:
    v = float(as_finite_array(value, argument))
    if not v > 0:
        raise InvalidInputError(f"{argument} must be positive, got {value!r}", argument=argument,
                                value=value)
    return v


def _check_system(system) -> RecurrentMap:
    if not isinstance(system, RecurrentMap):
        raise InvalidTypeError(f"system must be a dynrnn RecurrentMap (RNN, Map, ...), got "
                               f"{type(system).__name__}", argument="system", value=system)
    return system


def _resolve_single_input(system: RecurrentMap, u):
    u = system.resolve_input(u)
    if u is not None and u.ndim != 1:
        raise ShapeError(f"u must be one input of shape ({system.n_inputs},), got {u.shape}; "
                         "fixed points are defined for a constant input", argument="u",
                         expected=(system.n_inputs,), actual=u.shape)
    return u


def _check_box(system, box):
    n = system.n_states
    try:
        lo, hi = box
    except (TypeError, ValueError):
        raise ShapeError(f"box must be a pair (lower, upper), got {box!r}", argument="box",
                         actual=box) from None
    lo = as_finite_array(lo, "box")
    hi = as_finite_array(hi, "box")
    if lo.shape not in ((), (n,)) or hi.shape not in ((), (n,)):
        raise ShapeError(f"box bounds must have shape ({n},), got {lo.shape} and {hi.shape}",
                         argument="box", expected=(n,), actual=(lo.shape, hi.shape))
    lo, hi = lo * np.ones(n), hi * np.ones(n)
    if np.any(lo > hi):
        raise InvalidInputError(f"box lower bounds exceed upper bounds: {lo} > {hi}",
                                argument="box", value=box)
    return lo, hi


def _check_starts(system, starts) -> np.ndarray:
    arr = as_finite_array(starts, "starts")
    n = system.n_states
    if arr.ndim == 1 and arr.shape == (n,):
        arr = arr[None]
    if arr.ndim != 2 or arr.shape[1] != n or arr.shape[0] == 0:
        raise ShapeError(f"starts must have shape (n_starts, {n}), got {arr.shape}",
                         argument="starts", expected=("n_starts", n), actual=arr.shape)
    return arr


_METHODS = ("auto", "newton", "bracket", "piecewise")
#: refuse searches whose arrays would exceed this many bytes (4 GiB)
MAX_SEARCH_BYTES = 4 * 2 ** 30


def _check_memory(n_states: int, period: int, n_starts: int, max_iter: int) -> None:
    """Refuse, before any work, a search whose arrays cannot fit: the Newton iterates and
    residuals (about ten arrays of n_starts × period × n_states doubles), the residual history
    ((max_iter + 1) × n_starts) and the starts."""
    estimate = 8.0 * n_starts * (10.0 * period * n_states + max_iter + 1)
    if estimate > MAX_SEARCH_BYTES:
        raise ResourceLimitError(
            f"n_starts={n_starts} with {n_states} states, period {period} and max_iter="
            f"{max_iter} needs about {estimate / 2 ** 30:.3g} GiB of memory, above the limit of "
            f"{MAX_SEARCH_BYTES / 2 ** 30:.3g} GiB: use fewer starts (at most about "
            f"{int(MAX_SEARCH_BYTES / (8.0 * (10.0 * period * n_states + max_iter + 1)))}) or "
            "run several searches and merge their points", argument="n_starts", value=n_starts,
            estimate=estimate, limit=MAX_SEARCH_BYTES)


# -- the shared driver --------------------------------------------------------------------------
def search(system, u, period: int, *, n_starts: int, seed, starts, tol: float, max_iter: int,
           slow_points: bool, raise_on_failure: bool, progress: bool, method: str, box,
           dedupe_tol: float, eig_tol: float, derivative_bounds, n_grid: int,
           max_regions: int, slow_threshold: float, max_slow_starts: int,
           max_rounds: int = 1) -> FixedPointResult:
    """Validate, pick a route, run it, deduplicate and build the result (fixed points: k = 1)."""
    system = _check_system(system)
    period = check_count(period, "period", 1)
    n_starts = check_count(n_starts, "n_starts", 1)
    max_iter = check_count(max_iter, "max_iter", 1)
    n_grid = check_count(n_grid, "n_grid", 2)
    if 8.0 * n_grid * period > MAX_SEARCH_BYTES:
        # the 1-D bracketing samples F^period on n_grid points: refuse what cannot be stored
        raise ResourceLimitError(
            f"n_grid={n_grid} with period {period} needs about "
            f"{8.0 * n_grid * period / 2 ** 30:.3g} GiB of memory, above the limit of "
            f"{MAX_SEARCH_BYTES / 2 ** 30:.3g} GiB: use a coarser grid", argument="n_grid",
            value=n_grid, estimate=8.0 * n_grid * period, limit=MAX_SEARCH_BYTES)
    max_regions = check_count(max_regions, "max_regions", 1)
    max_slow_starts = check_count(max_slow_starts, "max_slow_starts", 0)
    tol = _check_positive(tol, "tol")
    dedupe_tol = _check_positive(dedupe_tol, "dedupe_tol")
    eig_tol = _check_positive(eig_tol, "eig_tol")
    slow_threshold = _check_positive(slow_threshold, "slow_threshold")
    max_rounds = check_count(max_rounds, "max_rounds", 1)
    if method not in _METHODS:
        raise InvalidInputError(f"method must be one of {', '.join(_METHODS)}; got {method!r}",
                                argument="method", value=method)
    if slow_points and period != 1:
        raise InvalidInputError("slow_points=True is only defined for fixed points (period 1)",
                                argument="slow_points", value=slow_points)
    u = _resolve_single_input(system, u)
    starts = None if starts is None else _check_starts(system, starts)
    _check_memory(system.n_states, period, n_starts if starts is None else starts.shape[0],
                  max_iter)
    if derivative_bounds is not None:
        bounds = as_finite_array(derivative_bounds, "derivative_bounds")
        if bounds.shape != (2,) or np.any(bounds < 0):
            raise ShapeError("derivative_bounds must be a pair of non-negative numbers "
                             f"(sup|F'|, sup|F''|), got {derivative_bounds!r}",
                             argument="derivative_bounds", expected=(2,), actual=bounds.shape)
        derivative_bounds = (float(bounds[0]), float(bounds[1]))
    user_box = box is not None
    box = _check_box(system, box) if user_box else system.invariant_box(u)
    if box is not None:
        box = (np.asarray(box[0], dtype=float), np.asarray(box[1], dtype=float))
    rng = check_seed(seed)

    pl = system.piecewise_linear_form(u) if method in ("auto", "piecewise") else None
    if method == "piecewise" and pl is None:
        raise InvalidInputError(f"method='piecewise' needs a piecewise-linear map (ReLU or "
                                f"identity activation); {type(system).__name__} is not",
                                argument="method", value=method)
    if method == "bracket" and (system.n_states != 1 or box is None):
        raise InvalidInputError("method='bracket' needs a one-dimensional map with an invariant "
                                "interval (system.invariant_box) or box=(lo, hi)",
                                argument="method", value=method)
    if pl is not None and (starts is None or method == "piecewise"):
        out = _run_piecewise(system, u, period, pl, n_starts=n_starts, rng=rng,
                             max_iter=max_iter, max_regions=max_regions)
    elif (method == "bracket" or (method == "auto" and system.n_states == 1 and box is not None
                                  and starts is None)):
        out = _run_bracket(system, u, period, box, tol=tol, n_grid=n_grid,
                           bounds=derivative_bounds, user_box=user_box)
    else:
        if starts is None:
            starts = nw.sample_starts(system, u, n_starts, rng, box)
        out = _run_newton(system, u, period, starts, tol=tol, max_iter=max_iter, box=box,
                          progress=progress)
    orbits, eigs = out.pop("orbits"), out.pop("eigenvalues")
    residual_order = out.pop("order_key")
    n_converged_total = out["n_converged"]

    # minimal period, then cyclic-shift-aware deduplication
    keep_period = np.array([nw.minimal_period(o, dedupe_tol) == period for o in orbits],
                           dtype=bool)
    n_lower = int(np.count_nonzero(~keep_period))
    orbits, residual_order = orbits[keep_period], residual_order[keep_period]
    if eigs is not None:
        eigs = eigs[keep_period]
    unique = nw.deduplicate(orbits, residual_order, dedupe_tol)
    orbits, residual_order = orbits[unique], residual_order[unique]
    if eigs is not None:
        eigs = eigs[unique]
    rounds_new: list[int] = []
    degenerate_radius = np.zeros(orbits.shape[0])
    slow_extra: list[tuple[np.ndarray, str]] = []
    if out["method"] is SearchMethod.NEWTON:
        rounds_new.append(int(orbits.shape[0]))
        orbits, residual_order, degenerate_radius, slow_extra = _resolve_degenerate(
            system, u, orbits, residual_order, tol=tol, box=box, dedupe_tol=dedupe_tol)
        rounds_new[0] = int(orbits.shape[0])
        if period == 1 and max_rounds > 1:
            orbits, residual_order, degenerate_radius, n_more, slow_more = _more_rounds(
                system, u, orbits, residual_order, degenerate_radius, rounds_new, rng=rng,
                box=box, tol=tol, max_iter=max_iter, dedupe_tol=dedupe_tol,
                max_rounds=max_rounds, n_starts=n_starts, eig_tol=eig_tol)
            out["note"] += f"; {n_more} converged runs in the later rounds"
            slow_extra += slow_more
    points = []
    degenerate_pairs = []
    for i in range(orbits.shape[0]):
        lam = None if eigs is None else eigs[i]
        pt = make_point(system, u, nw.canonical_rotation(orbits[i]), eig_tol=eig_tol,
                        eigenvalues=lam)
        points.append(pt)
        if degenerate_radius[i] > 0:
            degenerate_pairs.append((pt, float(degenerate_radius[i])))
    points.sort(key=lambda p: (p.n_unstable, tuple(np.round(p.x, 9))))

    slow: tuple = ()
    reasons: list[str] = []
    if slow_points:
        failed_starts = out.pop("failed_starts", np.empty((0, system.n_states)))
        extra, slow = _slow_points(system, u, failed_starts[:max_slow_starts], points,
                                   tol=tol, threshold=slow_threshold, dedupe_tol=dedupe_tol,
                                   eig_tol=eig_tol, max_iter=max_iter)
        reasons = ["a local minimum of q = ½‖F(x) − x‖² with q > 0: Newton from it does not "
                   "converge"] * len(slow)
        if extra:
            points = sorted(points + extra,
                            key=lambda p: (p.n_unstable, tuple(np.round(p.x, 9))))
    out.pop("failed_starts", None)
    if slow_extra:
        slow = tuple(slow) + tuple(make_point(system, u, x[None], eig_tol=eig_tol)
                                   for x, _ in slow_extra)
        reasons += [why for _, why in slow_extra]

    exhaustive = bool(out.pop("exhaustive"))
    if exhaustive:
        status = SearchStatus.COMPLETE
    elif degenerate_pairs:
        status = SearchStatus.DEGENERATE
    elif points:
        status = SearchStatus.FOUND
    else:
        status = SearchStatus.NONE_FOUND
    if len(rounds_new) > 1:
        out["note"] += (f"; new points per round: {', '.join(map(str, rounds_new))}"
                        + (" (the last round found none: stopping rule met)"
                           if rounds_new[-1] == 0 else f" (stopped at max_rounds={max_rounds})"))
    out["n_converged"] = n_converged_total
    result = FixedPointResult(
        points=tuple(points), slow_points=tuple(slow), period=period, method=out.pop("method"),
        success=status is not SearchStatus.NONE_FOUND, status=status, exhaustive=exhaustive,
        n_duplicates=max(0, n_converged_total - n_lower
                         - (rounds_new[0] if rounds_new else len(unique))),
        n_lower_period=n_lower,
        n_states=system.n_states, degenerate=tuple(p for p, _ in degenerate_pairs),
        degenerate_radius=tuple(r for _, r in degenerate_pairs),
        slow_point_reasons=tuple(reasons), rounds_new=tuple(rounds_new), **out)
    if raise_on_failure and not result.success:
        raise ConvergenceError(f"find_fixed_points: {status.value}", result=result)
    return result


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
    if cloud.shape[0]:
        # single-linkage clusters of overlapping error balls (union-find)
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
            keep_orbits.append(cloud[best][None, None, :])
            keep_order.append(cloud_res[best][None])
            # a singular I − J gives an unbounded error ball: the cluster's extent is what is
            # known then (a continuum of roots in floating point)
            own = float(ball[best]) if ball[best] < 1e100 else 0.0
            keep_radius.append(np.array([max(spread, own, dedupe_tol)]))
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


@limited_blas
@checked_arguments
def find_fixed_points(system: RecurrentMap, u=None, *, n_starts: int = 256,
                      seed: int | np.random.Generator | None = 0, starts=None,
                      tol: float = 1e-10, max_iter: int = 60, slow_points: bool = False,
                      raise_on_failure: bool = False, progress: bool = False,
                      method: Literal["auto", "newton", "bracket", "piecewise"] = "auto",
                      box=None, dedupe_tol: float = 1e-6, eig_tol: float = 1e-8,
                      derivative_bounds: tuple[float, float] | None = None, n_grid: int = 2001,
                      max_regions: int = 2 ** 14, slow_threshold: float = 1e-4,
                      max_slow_starts: int = 100, max_rounds: int = 4) -> FixedPointResult:
    r"""Find the fixed points :math:`x^* = F(x^*, u)` of a recurrent map and their stability.

    .. math::

        F(x^*, u) = x^*, \qquad
        \text{stable} \iff \max_i |\lambda_i(\partial F/\partial x(x^*))| < 1

    Parameters
    ----------
    system : RecurrentMap
        Any dynrnn map (``RNN``, ``Map``, ...).
    u : array_like, shape (n_inputs,), optional
        The constant input; by default the map's own.
    n_starts : int
        Newton starts (half uniform in the invariant box, half sampled along trajectories from
        random states), or restarts of the randomised region search for large ReLU networks.
    seed : int or numpy.random.Generator or None
        Randomness for the starts. Fixed (0) by default, so that identical calls give identical
        results; pass None for fresh entropy, or other seeds to search again.
    starts : array_like, shape (n_starts, n_states), optional
        Explicit Newton starts (replace the random ones; forces the Newton route), e.g. from
        :func:`~dynrnn.trajectory_starts` (states the network visits on its inputs, with noise).
    tol : float
        Convergence: ‖F(x) − x‖₂ ≤ tol (raised to the rounding floor 64 ε ‖x‖ √n if larger).
    max_iter : int
        Newton iterations per start (or region moves per restart).
    slow_points : bool
        Also minimise q(x) = ½‖F(x) − x‖² from the starts that did not converge and report minima
        with q < ``slow_threshold`` that are not fixed points in ``result.slow_points``.
    raise_on_failure : bool
        Raise :class:`~dynrnn.ConvergenceError` (carrying the result) when nothing was found by a
        non-exhaustive search.
    progress : bool
        Show a tqdm bar over the Newton iterations.
    method : {"auto", "newton", "bracket", "piecewise"}
        "auto": piecewise for ReLU/linear maps, bracket for 1-D maps with an invariant
        interval, Newton otherwise.
    box : (array_like, array_like), optional
        The search region (lower, upper), shape (n_states,) each; by default
        ``system.invariant_box(u)``, which provably contains every fixed point. Newton samples
        starts in it and projects its iterates onto it; the bracket route searches exactly this
        interval; the piecewise route is global and ignores it.
    dedupe_tol : float
        Two points are the same when max|x_a − x_b| ≤ dedupe_tol·(1 + max(‖x_a‖∞, ‖x_b‖∞)).
    eig_tol : float
        Non-hyperbolic when some ``||λ| − 1| < eig_tol``.
    derivative_bounds : (float, float), optional
        ``(sup|F'|, sup|F''|)`` on the interval, for the bracket route of a custom 1-D map; makes its
        result provably exhaustive (closed-form for one-unit networks).
    n_grid : int
        Initial grid cells of the bracket route.
    max_regions : int
        Up to this many activation patterns (2^n) the piecewise route tries them all
        (exhaustive); beyond, it runs the randomised region search.
    slow_threshold : float
        q below which a non-fixed minimum is reported as a slow point.
    max_slow_starts : int
        At most this many failed starts are used for the slow-point search.
    max_rounds : int
        Rounds of the Newton route (fixed points only). Round 1 runs Newton from the starts;
        each later round runs plain and deflated Newton (Farrell, Birkisson & Funke 2015: the
        roots already found are pushed away) from the midpoints of pairs of found points and
        from edge states between pairs of stable points (bisection to the basin boundary, then
        edge tracking, Skufca, Yorke & Eckhardt 2006), which lie next to the saddles random
        starts miss. The search stops after a round that finds no new point (the stopping rule;
        ``result.rounds_new`` lists the new points per round) or after ``max_rounds``. 1 turns
        the later rounds off.

    Notes
    -----
    Only roots are reported as fixed points: every point has ‖F(x) − x‖₂ ≤ tol (or the rounding
    floor) and lies in the search region. A root where I − J is nearly singular is refined
    and, if its position still cannot be pinned down (non-hyperbolic or non-isolated), reported
    once per cluster in ``result.degenerate`` (status DEGENERATE); a near-root where a saturated
    unit flattens F(x) − x and Newton cannot reach a root is a slow point, with the reason in
    ``result.slow_point_reasons``.

    Returns
    -------
    FixedPointResult
        Iterable over :class:`FixedPoint` (``.x``, ``.eigenvalues``, ``.stable``, ``.kind``,
        ``.n_unstable``, ``.residual``), with counters and ``exhaustive``.

    Raises
    ------
    InvalidInputError, ShapeError, NonFiniteError, InvalidTypeError
        Bad arguments (the message names the argument).
    ResourceLimitError
        The search would need more than ``MAX_SEARCH_BYTES`` (4 GiB) of memory (e.g.
        ``n_starts=10**12``); raised before any work.
    ConvergenceError
        Only with ``raise_on_failure=True``.

    References
    ----------
    P. E. Farrell, Á. Birkisson, S. W. Funke, "Deflation techniques for finding distinct
    solutions of nonlinear partial differential equations", SIAM J. Sci. Comput. 37 (2015).
    J. D. Skufca, J. A. Yorke, B. Eckhardt, "Edge of chaos in a parallel shear flow", Phys. Rev.
    Lett. 96 (2006) — edge tracking.
    D. Sussillo, O. Barak, "Opening the black box: low-dimensional dynamics in high-dimensional
    recurrent neural networks", Neural Computation 25 (2013) — fixed and slow points.
    J. Nocedal, S. Wright, *Numerical Optimization*, 2nd ed., §11.2 (line-search Newton).
    L. Eisenmann et al., "Bifurcations and loss jumps in RNN training", NeurIPS 2023 (SCYFI).
    R. P. Brent, *Algorithms for Minimization without Derivatives*, 1973.

    Examples
    --------
    >>> import dynrnn as dr
    >>> net = dr.RNN([[5.0]], b=[-2.5], activation="sigmoid")
    >>> result = dr.find_fixed_points(net)
    >>> [p.kind.value for p in result], result.exhaustive
    (['stable node', 'stable node', 'unstable node'], True)
    """
    return search(system, u, 1, n_starts=n_starts, seed=seed, starts=starts, tol=tol,
                  max_iter=max_iter, slow_points=slow_points, raise_on_failure=raise_on_failure,
                  progress=progress, method=method, box=box, dedupe_tol=dedupe_tol,
                  eig_tol=eig_tol, derivative_bounds=derivative_bounds, n_grid=n_grid,
                  max_regions=max_regions, slow_threshold=slow_threshold,
                  max_slow_starts=max_slow_starts, max_rounds=max_rounds)
