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

from typing import Literal

import numpy as np

from .._signature_checks import checked_arguments
from .._threads import limited_blas
from ..model.base import RecurrentMap
from ._fp_inputs import _per_start_inputs, search_per_input
from ._fp_search import MAX_SEARCH_BYTES, search
from .fixed_point_result import FixedPointResult, SearchMethod, SearchStatus

__all__ = ["find_fixed_points", "FixedPointResult", "SearchStatus", "SearchMethod",
           "MAX_SEARCH_BYTES", "search"]


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
                      max_slow_starts: int = 100, max_rounds: int = 4,
                      box_fraction: float = 0.25) -> FixedPointResult:
    r"""Find the fixed points :math:`x^* = F(x^*, u)` of a recurrent map and their stability.

    .. math::

        F(x^*, u) = x^*, \qquad
        \text{stable} \iff \max_i |\lambda_i(\partial F/\partial x(x^*))| < 1

    Parameters
    ----------
    system : RecurrentMap
        Any dynrnn map (``RNN``, ``Map``, ...).
    u : array_like, shape (n_inputs,) or (n_starts, n_inputs), optional
        The constant input; by default the map's own. With one row per start (``starts=``
        given), each start searches under its own input held constant (fixed points
        conditioned on the input, as FixedPointFinder pairs sampled inputs with sampled
        states): the starts are grouped by identical input, each group is searched on its own
        (with ``box_fraction`` box starts and the later rounds), and ``result.inputs[i]`` is
        the input point i is fixed for.
    n_starts : int
        Newton starts (half uniform in the invariant box, half sampled along trajectories from
        random states), or restarts of the randomised region search for large ReLU networks.
    seed : int or numpy.random.Generator or None
        Randomness for the starts. Fixed (0) by default, so that identical calls give identical
        results; pass None for fresh entropy, or other seeds to search again.
    starts : array_like, shape (n_starts, n_states), optional
        Explicit Newton starts (force the Newton route), e.g. from
        :func:`~dynrnn.trajectory_starts` (states the network visits on its inputs, with
        noise). The search adds ``box_fraction`` × as many of its own starts to them (half
        uniform in the invariant box, half sampled along trajectories from the box, as without
        ``starts``), so points away from the visited states are searched for too.
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
        ``(sup|F'|, sup|F''|)`` on the interval, for the bracket route of a custom 1-D map; makes
        its result provably exhaustive (closed-form for one-unit networks).
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

    box_fraction : float in [0, 1]
        With ``starts=``: ceil(box_fraction × len(starts)) box and trajectory starts of the
        search's own are added (the documented mix: 0.25 by default, one box start per four
        given starts). 0 runs Newton from the given starts only (for timing a given set, or
        where box starts are known to be useless, e.g. far-from-root corners of a large
        network's box, which cost Newton iterations without converging). Ignored without
        ``starts``.

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
    kwargs = dict(n_starts=n_starts, seed=seed, tol=tol, max_iter=max_iter,
                  slow_points=slow_points, raise_on_failure=raise_on_failure, progress=progress,
                  method=method, box=box, dedupe_tol=dedupe_tol, eig_tol=eig_tol,
                  derivative_bounds=derivative_bounds, n_grid=n_grid, max_regions=max_regions,
                  slow_threshold=slow_threshold, max_slow_starts=max_slow_starts,
                  max_rounds=max_rounds, box_fraction=box_fraction)
    per_start = _per_start_inputs(system, u, starts)
    if per_start is not None:
        return search_per_input(system, *per_start, **kwargs)
    return search(system, u, 1, starts=starts, **kwargs)
