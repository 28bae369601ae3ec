"""The shared driver of :func:`~dynrnn.find_fixed_points` and :func:`~dynrnn.find_cycles`
(internal): validation, the choice of route, deduplication and the result."""
from __future__ import annotations

import numpy as np

from .._checks import check_count, check_seed
from ..errors import (
    ConvergenceError,
    InvalidInputError,
    ResourceLimitError,
    ShapeError,
)
from ..model.base import RecurrentMap, as_finite_array, as_map
from . import _newton as nw
from ._fp_rounds import _more_rounds, _resolve_degenerate
from ._fp_routes import _run_bracket, _run_newton, _run_piecewise, _slow_points
from .fixed_point_result import FixedPointResult, SearchMethod, SearchStatus
from .stability import make_point

__all__: list[str] = []


# -- validation ---------------------------------------------------------------------------------
def _check_positive(value, argument: str) -> float:
    v = float(as_finite_array(value, argument))
    if not v > 0:
        raise InvalidInputError(f"{argument} must be positive, got {value!r}", argument=argument,
                                value=value)
    return v


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
def _check_derivative_bounds(derivative_bounds):
    if derivative_bounds is None:
        return None
    bounds = as_finite_array(derivative_bounds, "derivative_bounds")
    if bounds.shape != (2,) or np.any(bounds < 0):
        raise ShapeError("derivative_bounds must be a pair of non-negative numbers "
                         f"(sup|F'|, sup|F''|), got {derivative_bounds!r}",
                         argument="derivative_bounds", expected=(2,), actual=bounds.shape)
    return (float(bounds[0]), float(bounds[1]))


def _check_fraction(value, argument: str) -> float:
    v = float(as_finite_array(value, argument))
    if not 0.0 <= v <= 1.0:
        raise InvalidInputError(f"{argument} must be in [0, 1], got {value!r}",
                                argument=argument, value=value)
    return v


def _validate(system, u, period, *, n_starts, starts, tol, max_iter, slow_points, method, box,
              dedupe_tol, eig_tol, derivative_bounds, n_grid, max_regions, slow_threshold,
              max_slow_starts, max_rounds, box_fraction) -> dict:
    """Check every argument before any work; return them normalised."""
    system = as_map(system)
    period = check_count(period, "period", 1)
    n_grid = check_count(n_grid, "n_grid", 2)
    if 8.0 * n_grid * period > MAX_SEARCH_BYTES:
        # the 1-D bracketing samples F^period on n_grid points: refuse what cannot be stored
        raise ResourceLimitError(
            f"n_grid={n_grid} with period {period} needs about "
            f"{8.0 * n_grid * period / 2 ** 30:.3g} GiB of memory, above the limit of "
            f"{MAX_SEARCH_BYTES / 2 ** 30:.3g} GiB: use a coarser grid", argument="n_grid",
            value=n_grid, estimate=8.0 * n_grid * period, limit=MAX_SEARCH_BYTES)
    out = dict(system=system, period=period, n_starts=check_count(n_starts, "n_starts", 1),
               max_iter=check_count(max_iter, "max_iter", 1), n_grid=n_grid,
               max_regions=check_count(max_regions, "max_regions", 1),
               max_slow_starts=check_count(max_slow_starts, "max_slow_starts", 0),
               tol=_check_positive(tol, "tol"),
               dedupe_tol=_check_positive(dedupe_tol, "dedupe_tol"),
               eig_tol=_check_positive(eig_tol, "eig_tol"),
               slow_threshold=_check_positive(slow_threshold, "slow_threshold"),
               max_rounds=check_count(max_rounds, "max_rounds", 1),
               box_fraction=_check_fraction(box_fraction, "box_fraction"))
    if method not in _METHODS:
        raise InvalidInputError(f"method must be one of {', '.join(_METHODS)}; got {method!r}",
                                argument="method", value=method)
    if slow_points and period != 1:
        raise InvalidInputError("slow_points=True is only defined for fixed points (period 1)",
                                argument="slow_points", value=slow_points)
    out["u"] = u = _resolve_single_input(system, u)
    out["starts"] = starts = None if starts is None else _check_starts(system, starts)
    n_total = out["n_starts"] if starts is None else \
        starts.shape[0] + int(np.ceil(out["box_fraction"] * starts.shape[0]))
    _check_memory(system.n_states, period, n_total, out["max_iter"])
    out["derivative_bounds"] = _check_derivative_bounds(derivative_bounds)
    out["user_box"] = user_box = box is not None
    box = _check_box(system, box) if user_box else system.invariant_box(u)
    if box is not None:
        box = (np.asarray(box[0], dtype=float), np.asarray(box[1], dtype=float))
    out["box"] = box
    return out


def _route(a: dict, method: str, rng, progress: bool) -> dict:
    """Pick the route (piecewise, bracket or Newton) and run it; Newton starts are the given
    ones plus ``box_fraction`` as many sampled in the box, or ``n_starts`` sampled ones."""
    system, u, period, box, starts = a["system"], a["u"], a["period"], a["box"], a["starts"]
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
        return _run_piecewise(system, u, period, pl, n_starts=a["n_starts"], rng=rng,
                              max_iter=a["max_iter"], max_regions=a["max_regions"])
    if (method == "bracket" or (method == "auto" and system.n_states == 1 and box is not None
                                and starts is None)):
        return _run_bracket(system, u, period, box, tol=a["tol"], n_grid=a["n_grid"],
                            bounds=a["derivative_bounds"], user_box=a["user_box"])
    if starts is None:
        starts = nw.sample_starts(system, u, a["n_starts"], rng, box)
    elif a["box_fraction"] > 0:
        n_box = int(np.ceil(a["box_fraction"] * starts.shape[0]))
        starts = np.concatenate([starts, nw.sample_starts(system, u, n_box, rng, box)])
    return _run_newton(system, u, period, starts, tol=a["tol"], max_iter=a["max_iter"], box=box,
                       progress=progress)


def _distinct(orbits, eigs, residual_order, period, dedupe_tol):
    """Drop orbits of a lower minimal period, then cyclic-shift-aware duplicates."""
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
    return orbits, eigs, residual_order, n_lower, len(unique)


def _points(system, u, orbits, eigs, degenerate_radius, eig_tol):
    """The FixedPoint records, sorted, and the (point, radius) pairs of degenerate clusters."""
    points, degenerate_pairs = [], []
    for i in range(orbits.shape[0]):
        lam = None if eigs is None else eigs[i]
        pt = make_point(system, u, nw.canonical_rotation(orbits[i]), eig_tol=eig_tol,
                        eigenvalues=lam)
        points.append(pt)
        if degenerate_radius[i] > 0:
            degenerate_pairs.append((pt, float(degenerate_radius[i])))
    points.sort(key=_point_order)
    return points, degenerate_pairs


def _point_order(p):
    return (p.n_unstable, tuple(np.round(p.x, 9)))


def _add_slow_points(a: dict, out: dict, points, slow_extra, slow_points: bool):
    """The slow-point search (``slow_points=True``) and the near-roots set apart by the
    degenerate-root refinement; returns (points, slow points, reasons)."""
    system, u = a["system"], a["u"]
    slow: tuple = ()
    reasons: list[str] = []
    failed_starts = out.pop("failed_starts", np.empty((0, system.n_states)))
    if slow_points:
        extra, slow = _slow_points(system, u, failed_starts[:a["max_slow_starts"]], points,
                                   tol=a["tol"], threshold=a["slow_threshold"],
                                   dedupe_tol=a["dedupe_tol"], eig_tol=a["eig_tol"],
                                   max_iter=a["max_iter"])
        reasons = ["a local minimum of q = ½‖F(x) − x‖² with q > 0: Newton from it does not "
                   "converge"] * len(slow)
        if extra:
            points = sorted(points + extra, key=_point_order)
    if slow_extra:
        slow = tuple(slow) + tuple(make_point(system, u, x[None], eig_tol=a["eig_tol"])
                                   for x, _ in slow_extra)
        reasons += [why for _, why in slow_extra]
    return points, slow, reasons


def search(system, u, period: int, *, n_starts: int, seed, starts, tol: float, max_iter: int,
           slow_points: bool, raise_on_failure: bool, progress: bool, method: str, box,
           dedupe_tol: float, eig_tol: float, derivative_bounds, n_grid: int,
           max_regions: int, slow_threshold: float, max_slow_starts: int,
           max_rounds: int = 1, box_fraction: float = 0.0) -> FixedPointResult:
    """Validate, pick a route, run it, deduplicate and build the result (fixed points: k = 1)."""
    a = _validate(system, u, period, n_starts=n_starts, starts=starts, tol=tol,
                  max_iter=max_iter, slow_points=slow_points, method=method, box=box,
                  dedupe_tol=dedupe_tol, eig_tol=eig_tol, derivative_bounds=derivative_bounds,
                  n_grid=n_grid, max_regions=max_regions, slow_threshold=slow_threshold,
                  max_slow_starts=max_slow_starts, max_rounds=max_rounds,
                  box_fraction=box_fraction)
    system, u, period, box = a["system"], a["u"], a["period"], a["box"]
    rng = check_seed(seed)
    out = _route(a, method, rng, progress)
    n_converged_total = out["n_converged"]
    orbits, eigs, residual_order, n_lower, n_unique = _distinct(
        out.pop("orbits"), out.pop("eigenvalues"), out.pop("order_key"), period,
        a["dedupe_tol"])
    rounds_new: list[int] = []
    degenerate_radius = np.zeros(orbits.shape[0])
    slow_extra: list[tuple[np.ndarray, str]] = []
    if out["method"] is SearchMethod.NEWTON:
        orbits, residual_order, degenerate_radius, slow_extra = _resolve_degenerate(
            system, u, orbits, residual_order, tol=a["tol"], box=box,
            dedupe_tol=a["dedupe_tol"])
        rounds_new.append(int(orbits.shape[0]))
        if period == 1 and a["max_rounds"] > 1:
            orbits, residual_order, degenerate_radius, n_more, slow_more = _more_rounds(
                system, u, orbits, residual_order, degenerate_radius, rounds_new, rng=rng,
                box=box, tol=a["tol"], max_iter=a["max_iter"], dedupe_tol=a["dedupe_tol"],
                max_rounds=a["max_rounds"], n_starts=a["n_starts"], eig_tol=a["eig_tol"])
            out["note"] += f"; {n_more} converged runs in the later rounds"
            slow_extra += slow_more
    points, degenerate_pairs = _points(system, u, orbits, eigs, degenerate_radius,
                                       a["eig_tol"])
    points, slow, reasons = _add_slow_points(a, out, points, slow_extra, slow_points)
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
                           if rounds_new[-1] == 0 else
                           f" (stopped at max_rounds={a['max_rounds']})"))
    out["n_converged"] = n_converged_total
    result = FixedPointResult(
        points=tuple(points), slow_points=tuple(slow), period=period, method=out.pop("method"),
        success=status is not SearchStatus.NONE_FOUND, status=status, exhaustive=exhaustive,
        n_duplicates=max(0, n_converged_total - n_lower
                         - (rounds_new[0] if rounds_new else n_unique)),
        n_lower_period=n_lower,
        n_states=system.n_states, degenerate=tuple(p for p, _ in degenerate_pairs),
        degenerate_radius=tuple(r for _, r in degenerate_pairs),
        slow_point_reasons=tuple(reasons), rounds_new=tuple(rounds_new),
        inputs=(np.empty((len(points), 0)) if u is None
                else np.tile(np.asarray(u, dtype=float), (len(points), 1))), **out)
    if raise_on_failure and not result.success:
        raise ConvergenceError(f"find_fixed_points: {status.value}", result=result)
    return result
