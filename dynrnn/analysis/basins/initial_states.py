r"""The ensemble of initial states of :func:`~dynrnn.basins`: user-given, a regular grid (maps
with 1 or 2 states, for pictures), or sampled in a box, and the checks of the map, its input,
the box and the memory the ensemble needs.

.. math::

    x_0^{(i)} \sim \mathcal U([\ell, h]) \quad\text{or}\quad
    x_0^{(i)} = F^{s_i}(y^{(i)}) + \sigma (h - \ell)\, \xi^{(i)}, \;
    y^{(i)} \sim \mathcal U([\ell, h]),\; \xi^{(i)} \sim \mathcal N(0, I)
"""
from __future__ import annotations

import numpy as np

from ..._checks import check_count, check_seed
from ...errors import InvalidInputError, ShapeError
from ...model.base import RecurrentMap, as_finite_array, as_map
from .results import BasinsOptions

__all__ = ["check_system", "resolve_input", "check_box", "check_memory", "initial_ensemble",
           "MAX_BOX_WIDTH"]

#: The widest box accepted: ``upper - lower`` must be a finite float64.
MAX_BOX_WIDTH = float(np.finfo(np.float64).max)


def check_system(system) -> RecurrentMap:
    """``system`` if it is a :class:`~dynrnn.RecurrentMap`, else an InvalidTypeError."""
    return as_map(system)


def resolve_input(system: RecurrentMap, u):
    """The constant input ``u`` as an array (n_inputs,), or None; default the map's own."""
    u = system.resolve_input(u)
    if u is not None and u.ndim != 1:
        raise ShapeError(f"u must be one constant input of shape ({system.n_inputs},), got "
                         f"{u.shape}", argument="u", expected=(system.n_inputs,),
                         actual=u.shape)
    return u


def check_box(system: RecurrentMap, box, u) -> np.ndarray:
    """``box`` as an array (2, n_states) of positive, finite width; default the map's invariant
    box.

    Each bound is a scalar (the same in every coordinate, broadcast as numpy does) or a vector
    of exactly ``n_states`` entries: a vector of any other length, including a length-1 vector
    for a map with more states, is refused (it is more often a mistake than a wish to
    broadcast). The width ``upper - lower`` must be a finite float64 (at most
    ``MAX_BOX_WIDTH``).
    """
    n = system.n_states
    if box is None:
        invariant = system.invariant_box(u)
        if invariant is None:
            raise InvalidInputError(
                f"box is required: {type(system).__name__} has no invariant box; pass box=(lower, "
                "upper) bounding the initial states", argument="box", value=None)
        box = invariant
    try:
        lower, upper = box
    except (TypeError, ValueError):
        raise ShapeError(f"box must be a pair (lower, upper), got {box!r:.80}", argument="box",
                         actual=box) from None
    lower, upper = as_finite_array(lower, "box"), as_finite_array(upper, "box")
    for name, bound in (("lower", lower), ("upper", upper)):
        if bound.ndim > 1 or (bound.ndim == 1 and bound.shape != (n,)):
            raise ShapeError(
                f"box: the {name} bound must be a scalar or have shape ({n},) (one entry per "
                f"state of the map), got shape {bound.shape}; give {n} values, or one number "
                "for every coordinate", argument="box", expected=(n,), actual=bound.shape)
    lower, upper = np.broadcast_to(lower, (n,)).copy(), np.broadcast_to(upper, (n,)).copy()
    if np.any(upper <= lower):
        bad = int(np.flatnonzero(upper <= lower)[0])
        raise InvalidInputError(
            f"box has zero or negative width along x[{bad}]: lower {lower[bad]} >= upper "
            f"{upper[bad]}; give upper > lower in every coordinate", argument="box", value=box)
    with np.errstate(over="ignore"):
        width = upper - lower
    if not np.all(width <= MAX_BOX_WIDTH):
        bad = int(np.flatnonzero(~(width <= MAX_BOX_WIDTH))[0])
        raise InvalidInputError(
            f"box is too wide along x[{bad}]: upper - lower = {upper[bad]} - ({lower[bad]}) "
            f"exceeds the largest width {MAX_BOX_WIDTH:.3g} a float64 holds; give a smaller "
            "box", argument="box", value=box)
    return np.stack([lower, upper])


def check_memory(n_initial: int, n_states: int, options: BasinsOptions, argument: str) -> None:
    """Refuse, up front and with the size, an ensemble above ``options.max_bytes``."""
    needed = n_initial * (n_states + 2) * 8
    if needed > options.max_bytes:
        raise InvalidInputError(
            f"{argument}: the ensemble of {n_initial:,} initial states in {n_states} dimensions "
            f"needs "
            f"{needed / 2 ** 30:.2f} GiB for its states and labels, above options.max_bytes = "
            f"{options.max_bytes / 2 ** 30:.2f} GiB: use fewer states (or raise max_bytes if "
            "the machine has the memory)", argument=argument, value=n_initial)


def initial_ensemble(system: RecurrentMap, u, *, initial_states=None, grid=None, box=None,
                     n_samples: int = 1000, sampling: str = "uniform", spread: float = 0.1,
                     seed=0, options: BasinsOptions):
    """The initial states (m, n), the grid axes (or ()), and the box (2, n).

    The box is NaN for user-given states (none was sampled). Arguments as for
    :func:`~dynrnn.basins`.
    """
    if initial_states is not None:
        if grid is not None:
            raise InvalidInputError("give either initial_states or grid, not both (grid given)",
                                    argument="grid", value=grid)
        return _given_states(system, initial_states, options)
    if grid is not None:
        return _grid_states(system, u, grid, box, options)
    n_samples = check_count(n_samples, "n_samples", 1)
    box = check_box(system, box, u)
    check_memory(n_samples, system.n_states, options, "n_samples")
    return _sampled_states(system, u, box, n_samples, sampling, spread, seed), (), box


def _given_states(system: RecurrentMap, initial_states, options: BasinsOptions):
    n = system.n_states
    states = as_finite_array(initial_states, "initial_states")
    if states.ndim == 1 and n == 1:
        states = states[:, None]
    if states.ndim != 2 or states.shape[1] != n:
        raise ShapeError(f"initial_states must have shape (n_initial, {n}), got "
                         f"{states.shape}", argument="initial_states",
                         expected=("n_initial", n), actual=states.shape)
    if states.shape[0] == 0:
        raise InvalidInputError("initial_states is empty: give at least one initial state",
                                argument="initial_states", value=states.shape)
    check_memory(states.shape[0], n, options, "initial_states")
    return states, (), np.full((2, n), np.nan)


def _grid_states(system: RecurrentMap, u, grid, box, options: BasinsOptions):
    n = system.n_states
    if n > 2:
        raise InvalidInputError(
            f"grid is for maps with 1 or 2 states (pictures); this map has {n}: use sampled "
            "initial states (n_samples=..., sampling='uniform' or 'gaussian')",
            argument="grid", value=grid)
    resolution = [grid] * n if isinstance(grid, (int, np.integer)) and not isinstance(
        grid, bool) else list(grid) if isinstance(grid, (list, tuple)) else None
    if resolution is None or len(resolution) != n:
        raise InvalidInputError(f"grid must be a number of points per axis (an int, or {n} "
                                f"ints), got {grid!r:.80}", argument="grid", value=grid)
    counts = [check_count(r, "grid", 1) for r in resolution]
    box = check_box(system, box, u)
    check_memory(int(np.prod(np.asarray(counts, dtype=np.float64))), n, options, "grid")
    # an exactly antisymmetric unit grid, so a box symmetric about 0 gives a grid with
    # x and -x both on it bit for bit (symmetric maps then have exactly symmetric basins)
    units = [np.linspace(-1.0, 1.0, r) for r in counts]
    units = [(t - t[::-1]) / 2 for t in units]
    axes = tuple((box[0, i] + box[1, i]) / 2 + (box[1, i] - box[0, i]) / 2 * units[i]
                 for i in range(n))
    if n == 1:
        states = axes[0][:, None]
    else:
        x1, x2 = np.meshgrid(axes[0], axes[1])     # rows along x_2: an image
        states = np.stack([x1.ravel(), x2.ravel()], axis=1)
    return states, axes, box


def _sampled_states(system: RecurrentMap, u, box: np.ndarray, n_samples: int, sampling: str,
                    spread: float, seed) -> np.ndarray:
    n = system.n_states
    rng = check_seed(seed)
    if sampling == "uniform":
        return rng.uniform(box[0], box[1], size=(n_samples, n))
    if sampling != "gaussian":
        raise InvalidInputError(f"sampling must be 'uniform' or 'gaussian', got {sampling!r}",
                                argument="sampling", value=sampling)
    spread = float(as_finite_array(spread, "spread"))
    if not spread > 0:
        raise InvalidInputError(f"spread must be positive, got {spread}", argument="spread",
                                value=spread)
    # states along trajectories from the box, perturbed: the region the dynamics visits
    starts = rng.uniform(box[0], box[1], size=(max(1, n_samples // 16), n))
    with np.errstate(all="ignore"):
        trajectory = [starts]
        for _ in range(15):
            trajectory.append(system.step_unchecked(trajectory[-1], u))
    visited = np.concatenate(trajectory)
    visited = visited[np.all(np.isfinite(visited), axis=1)]
    if visited.shape[0] == 0:
        visited = starts
    centres = visited[rng.integers(0, visited.shape[0], n_samples)]
    return centres + spread * (box[1] - box[0]) * rng.standard_normal((n_samples, n))
