r"""One-parameter continuation of fixed points and k-cycles of recurrent maps.

A branch of fixed points of the k-fold map is the solution curve of

.. math::

    G(x, p) = F^k(x; p) - x = 0, \qquad G : \mathbb{R}^{n} \times \mathbb{R} \to \mathbb{R}^{n},

followed in the extended unknown :math:`z = (x, p)` by pseudo-arclength continuation: a tangent
predictor :math:`z + \Delta s\, t` and a Newton corrector on :math:`G(z) = 0` together with the
hyperplane :math:`t^\top (z - z_{\text{pred}}) = 0`. The bordered Jacobian

.. math::

    A = \begin{pmatrix} G_x & G_p \\ t^\top & \end{pmatrix}

stays regular at folds, so branches pass smoothly around them. Stability and the test functions
of :mod:`dynrnn.analysis.continuation.testfunctions` use the multipliers (eigenvalues of
:math:`D_x F^k`).

References
----------
.. [1] H. B. Keller, "Numerical solution of bifurcation and nonlinear eigenvalue problems", in
   *Applications of Bifurcation Theory*, Academic Press, 1977.
.. [2] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
   ch. 10 (numerical continuation; test functions for maps).
.. [3] E. L. Allgower and K. Georg, *Introduction to Numerical Continuation Methods*, SIAM, 2003.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter
from typing import Literal

import numpy as np

from ..._checks import check_count
from ..._signature_checks import checked_arguments
from ..._tables import TableSpec, Tabular
from ..._threads import limited_blas
from ...errors import ConvergenceError, InvalidInputError, InvalidTypeError, ShapeError
from ...model.base import RecurrentMap, as_finite_array
from ...model.families import ParameterFamily, as_family
from ..border_collisions import is_piecewise, piecewise_branch
from ..stability import sorted_multipliers
from .engine import (
    ContinuationStatus,
    Point,
    as_direction,
    check_interval,
    check_work,
    evaluation_tangent,
    run_directions,
)
from .options import ContinuationOptions
from .spectra import (
    KeptFactor,
    LeadingMultipliers,
    exact_data,
    guard_points,
    leading_tracker,
    one_crossing,
    refined_tangent,
    split_segment,
    start_tangent,
)
from .testfunctions import detect_and_locate, multiplier_signs

__all__ = ["ContinuationStatus", "ContinuationOptions", "ContinuationPoint", "Branch",
           "FixedPointProblem", "continuation"]


@dataclass(frozen=True, eq=False)
class ContinuationPoint:
    """What a ``callback`` receives after each accepted point (``index`` counts the points of
    the current direction, the start point being 0)."""

    index: int
    param: float
    x: np.ndarray
    stable: bool
    eigenvalues: np.ndarray
    ds: float


@dataclass(frozen=True, eq=False)
class Branch(Tabular):
    """A branch of fixed points (or k-cycles) computed by :func:`continuation`.

    Points are ordered by arclength. Located special points are kept separately in
    ``bifurcations`` (not inserted into the point arrays); ``Bifurcation.index = i`` says the
    point lies on the arc between points ``i`` and ``i + 1``, and its ``extra`` holds
    ``"arclength"`` and ``"arclength_bracket"``. For a fold (LP) the parameter turns, so the
    located parameter lies at or beyond both ends of ``bracket``; for PD, NS and BP it lies
    inside ``bracket``.

    Attributes
    ----------
    params : ndarray, shape (m,)
    states : ndarray, shape (m, n_states)
        For a k-cycle, one point of the cycle.
    stable : ndarray of bool, shape (m,)
        All multipliers strictly inside the unit circle.
    eigenvalues : ndarray of complex, shape (m, n_states) or (m, n_leading)
        Multipliers (eigenvalues of the Jacobian of the k-fold map), by decreasing modulus.
        With ``ContinuationOptions(multipliers="leading")`` (what "auto" chooses from 128
        states on) only the ``n_leading`` of largest modulus: exact at the fully decomposed
        points (guard points, located bifurcations), tracked between them; ``stable`` and
        ``n_unstable`` come from the guarded counts either way.
    n_unstable : ndarray of int, shape (m,)
        Number of multipliers outside the unit circle.
    arclength : ndarray, shape (m,)
        Cumulative Euclidean arclength in (x, p), zero at the first point.
    tangents : ndarray, shape (m, n_states + 1)
        Unit tangents (dx, dp) oriented along increasing index.
    bifurcations : tuple of Bifurcation
    param_name : str
    period : int
    status : ContinuationStatus
        The outcome: a failing end if there is one, else the status of the last point's end.
    end_statuses : (ContinuationStatus, ContinuationStatus)
        Why the branch stops at its first and at its last point.
    success : bool
        False when an end stopped on a corrector failure or a too small step.
    message : str
    n_newton : ndarray of int, shape (m,)
        Newton iterations spent on each accepted point.
    n_rejected : int
        Rejected (and retried) steps.
    family : ParameterFamily or None
        The family the branch was computed on, kept for :func:`switch_branch`. Not a saved field
        (``metadata["transient"]``); a loaded branch needs ``system=`` or ``param=`` to switch.
    """

    _table_spec = TableSpec(columns=("param=params", "states", "stable", "n_unstable"))

    params: np.ndarray
    states: np.ndarray
    stable: np.ndarray
    eigenvalues: np.ndarray
    n_unstable: np.ndarray
    arclength: np.ndarray
    tangents: np.ndarray
    bifurcations: tuple
    param_name: str
    period: int
    status: ContinuationStatus
    end_statuses: tuple
    success: bool
    message: str
    n_newton: np.ndarray
    n_rejected: int = 0
    family: ParameterFamily | None = field(default=None, repr=False, compare=False,
                                           metadata={"transient": True})
    u: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def n_points(self) -> int:
        return int(self.params.shape[0])

    def __len__(self) -> int:
        return self.n_points

    def __repr__(self) -> str:
        kinds = ", ".join(f"{b.kind.value}@{b.param:.6g}" for b in self.bifurcations)
        rng = (f"[{self.params.min():.6g}, {self.params.max():.6g}]" if self.n_points
               else "[]")
        return (f"Branch({self.param_name} in {rng}, {self.n_points} points, period="
                f"{self.period}, status={self.status.name}, bifurcations=[{kinds}])")

    def __str__(self) -> str:
        """A few lines: what, how many points over which range, how it ended, what was found.

        >>> import dynrnn as dr
        >>> net = dr.RNN([[5.0]], b=[0.0], activation="sigmoid")
        >>> print(dr.continuation(net, "b[0]", [4.97], (-5.0, 0.0), direction="backward"))
        ... # doctest: +NORMALIZE_WHITESPACE
        Branch of fixed points: 123 points, b[0] in [-5, 0]
          ends: START, REACHED_BOUND (success); 0 rejected steps
          stable at 104 of 123 points
          2 special points: LP at b[0] = -2.65561, LP at b[0] = -2.34439
        """
        what = "fixed points" if self.period == 1 else f"{self.period}-cycles"
        rng = (f"[{self.params.min():.6g}, {self.params.max():.6g}]" if self.n_points
               else "[]")
        ends = ", ".join(s.name for s in self.end_statuses)
        found = ", ".join(f"{b.kind.value} at {self.param_name} = {b.param:.6g}"
                          for b in self.bifurcations) or "none"
        return "\n".join([
            f"Branch of {what}: {self.n_points} points, {self.param_name} in {rng}",
            f"  ends: {ends} ({'success' if self.success else 'FAILED: ' + self.status.value})"
            f"; {self.n_rejected} rejected steps",
            f"  stable at {int(np.count_nonzero(self.stable))} of {self.n_points} points",
            f"  {len(self.bifurcations)} special points: {found}"])


# ---------------------------------------------------------------------------------------------
# the problem G(x, p) = F^k(x; p) - x and its derivatives
# ---------------------------------------------------------------------------------------------
class FixedPointEvaluation(tuple):
    """G (n,), G_x = M − I and G_p (n, n), (n,), and the monodromy M = D_x F^k (n, n) at one
    z = (x, p): the engine's evaluation. ``jacobian`` is [G_x G_p] (n, n + 1);
    ``fill_jacobian`` writes it into the corrector's matrix without building it (the hot loop
    of continuation; a tuple, so that making one costs no Python call)."""

    __slots__ = ()
    context = None
    residual = property(itemgetter(0))
    gx = property(itemgetter(1))
    gp = property(itemgetter(2))
    monodromy = property(itemgetter(3))

    @property
    def jacobian(self) -> np.ndarray:
        return np.concatenate((self[1], self[2][:, None]), axis=1)

    def fill_jacobian(self, A: np.ndarray) -> None:
        """Write [G_x G_p] into the first n rows of the (n + 1, n + 1) matrix A."""
        n = self[2].shape[0]
        A[:n, :n] = self[1]
        A[:n, n] = self[2]


_new_evaluation = tuple.__new__


class FixedPointProblem:
    r"""The continuation problem of fixed points of the k-fold map, :math:`G(x, p) = F^k(x; p)
    - x`, in the unknowns z = (x, p) (the engine's problem interface, see
    :mod:`dynrnn.analysis.continuation.engine`).

    Each accepted point carries ``data = (multipliers, signs)``: the multipliers by decreasing
    modulus and :func:`~dynrnn.analysis.continuation.testfunctions.multiplier_signs`.

    Parameters
    ----------
    family : ParameterFamily
    n : int
        Number of states.
    u : ndarray or None
        A resolved constant input, or None for each map's own.
    period : int
    detect : bool
        Veto steps across which several multipliers crossed the unit circle (so that each
        special point gets a segment of its own).
    leading : LeadingMultipliers or None
        Track the leading multipliers instead of computing all (then ``data`` has a third
        entry, False where the counts are the tracker's; see
        :mod:`~dynrnn.analysis.continuation.spectra`).
    """

    def __init__(self, family: ParameterFamily, n: int, u, period: int, detect: bool = True,
                 leading: LeadingMultipliers | None = None):
        self.family = family
        self.leading = leading
        if leading is not None:      # the engine's hooks: LUs kept from point to point
            self.linear_solver = KeptFactor()
            self.tangent_from = partial(refined_tangent, solver=self.linear_solver,
                                        fallback=evaluation_tangent)
        self.n = n
        self.u = u
        self.period = period
        self.detect = detect
        self.n_unknowns = n + 1
        self.parameter_indices = (n,)
        self._cache_p: float | None = None
        self._cache_map: RecurrentMap | None = None
        self._cache_u: np.ndarray | None = None
        self.eye = np.eye(n)
        # (x, p) -> (F, F_x, F_p) without building a map per call where the family allows
        self._point = family.evaluator(u)

    @property
    def name(self) -> str:
        return getattr(self.family, "name", "p")

    def map_at(self, p: float):
        if p != self._cache_p:
            m = self.family.at(p)
            self._cache_map = m
            self._cache_u = self.u if self.u is not None else m.resolve_input(None)
            self._cache_p = p
        return self._cache_map, self._cache_u

    def evaluate(self, z: np.ndarray, context=None) -> FixedPointEvaluation:
        x = z[:-1]
        p = z.item(-1)
        fx, M, gp = self._point(x, p)
        if self.period > 1:
            for _ in range(self.period - 1):
                fx, J, dp = self._point(fx, p)
                gp = J @ gp + dp
                M = J @ M
        return _new_evaluation(FixedPointEvaluation, (fx - x, M - self.eye, gp, M))

    def residual(self, x: np.ndarray, p: float) -> np.ndarray:
        m, u = self.map_at(float(p))
        fx = x
        for _ in range(self.period):
            fx = m.step_unchecked(fx, u)
        return fx - x

    def describe(self, point: Point):
        if self.leading is not None:
            return self.leading.describe(point.evaluation.monodromy)
        mu = sorted_multipliers(point.evaluation.monodromy)
        return mu, multiplier_signs(mu)

    def admissible(self, previous: Point, point: Point) -> bool:
        """At most one real multiplier or one complex pair crossed the unit circle."""
        if not self.detect:
            return True
        if one_crossing(previous.data[1], point.data[1]):
            return True
        if self.leading is None or (previous.data[2] and point.data[2]):
            return False
        # the tracker's counts say no: decide on full decompositions of both points
        for pt in (previous, point):
            if not pt.data[2]:
                pt.data = exact_data(pt.evaluation.monodromy)
        return one_crossing(previous.data[1], point.data[1])

    def point(self, z: np.ndarray, evaluation, row: np.ndarray, n_iter: int = 0) -> Point:
        """The accepted point at z, its tangent oriented by ``row``."""
        t, sign = evaluation_tangent(evaluation, row)
        pt = Point(z, t, sign, evaluation, n_iter)
        pt.data = self.describe(pt)
        return pt


def _correct_state(problem: FixedPointProblem, x: np.ndarray, p: float, tol: float,
                   max_iter: int):
    """Newton on G(x, p) = 0 in x alone. Returns (ok, x, residual_norm, n_iter)."""
    z = np.append(x, p)
    res = math.inf
    for it in range(max_iter + 1):
        with np.errstate(all="ignore"):
            ev = problem.evaluate(z)
        g, gx = ev.residual, ev.gx
        if not np.all(np.isfinite(g)):
            return False, z[:-1], math.inf, it
        res = float(np.max(np.abs(g)))
        if res <= tol * (1.0 + float(np.abs(z).max())):
            return True, z[:-1], res, it
        if it == max_iter or not np.all(np.isfinite(gx)):
            break
        try:
            z[:-1] -= np.linalg.solve(gx, g)
        except np.linalg.LinAlgError:
            break
    return False, z[:-1], res, max_iter


def point_callback(callback, problem, offset=0):
    """The engine's ``on_point`` hook calling a user's ``callback`` with a ContinuationPoint."""
    if callback is None:
        return None
    n = problem.n

    def on_point(point, index, ds, which="forward"):
        mu = point.data[0]
        info = ContinuationPoint(offset + index, float(point.z[n]), point.z[:n].copy(),
                                 bool(np.abs(mu[0]) < 1.0), mu.copy(), ds)
        return callback(info)
    return on_point


# ---------------------------------------------------------------------------------------------
# assembling a Branch
# ---------------------------------------------------------------------------------------------
# the BLAS-thread limit (dynrnn._threads) is set on these three steps rather than on
# continuation() itself, where a wrapper would shift the stacklevel of its argument warnings
@limited_blas
def assemble_branch(problem: FixedPointProblem, points: list, statuses: tuple, n_rejected: int,
                    opts: ContinuationOptions, skip_segments=(), raise_on_failure=False) -> Branch:
    """Build the Branch from ordered points (tangents oriented forward) and locate specials."""
    n = problem.n
    if getattr(problem, "leading", None) is not None:
        # exact counts where the tracker could err, one crossing per segment
        guard_points(points, opts.guard_every,
                     split=lambda a, b: split_segment(problem, a, b, opts.corrector()))
    Z = np.array([pt.z for pt in points])
    T = np.array([pt.t for pt in points])
    kept = min(len(pt.data[0]) for pt in points)    # all, or the leading ones everywhere
    mu = np.array([pt.data[0][:kept] for pt in points])
    det_sign = np.array([pt.det_sign for pt in points])
    n_newton = np.array([pt.n_iter for pt in points], dtype=int)
    n_unstable = np.array([pt.data[1][2] for pt in points], dtype=int)
    stable = np.abs(mu[:, 0]) < 1.0
    steps = np.linalg.norm(np.diff(Z, axis=0), axis=1)
    arclength = np.concatenate([[0.0], np.cumsum(steps)])
    bifurcations: tuple = ()
    if opts.detect and len(points) > 1:
        signs = np.array([pt.data[1] for pt in points])
        bifurcations = tuple(detect_and_locate(problem, Z, T, mu, det_sign, signs, arclength,
                                               opts, skip_segments))
    failed = [s for s in statuses if s.is_failure]
    status = failed[0] if failed else statuses[1]
    success = not failed
    name = getattr(problem.family, "name", "p")
    if success:
        message = (f"{len(points)} points over {name} in [{Z[:, n].min():.6g}, "
                   f"{Z[:, n].max():.6g}]; ends: {statuses[0].name}, {statuses[1].name}; "
                   f"{len(bifurcations)} special point(s)")
    else:
        message = (f"continuation stopped early after {len(points)} points: {status.value}; "
                   "every point computed so far is kept")
    branch = Branch(
        params=Z[:, n].copy(), states=Z[:, :n].copy(), stable=stable, eigenvalues=mu,
        n_unstable=n_unstable, arclength=arclength, tangents=T, bifurcations=bifurcations,
        param_name=name, period=problem.period, status=status, end_statuses=tuple(statuses),
        success=success, message=message, n_newton=n_newton, n_rejected=n_rejected,
        family=problem.family, u=problem.u)
    if raise_on_failure and not success:
        raise ConvergenceError(message, result=branch)
    return branch


@checked_arguments
def continuation(system: RecurrentMap, param, start, bounds: tuple[float, float], *,
                 p0: float | None = None, period: int = 1, u=None,
                 options: ContinuationOptions | None = None,
                 direction: Literal["forward", "backward", "both"] = "forward",
                 raise_on_failure: bool = False,
                 callback: Callable[[ContinuationPoint], bool] | None = None,
                 progress: bool = False) -> Branch:
    r"""Follow a branch of fixed points (or k-cycles) of ``system`` as one parameter varies.

    .. math::

        F^k(x; p) - x = 0, \qquad p \in [\text{lo}, \text{hi}]

    by pseudo-arclength continuation (tangent predictor, Newton corrector on the bordered system),
    with adaptive steps, detection and location of folds (LP), flips (PD), Neimark–Sacker points
    (NS) and branch points (BP).

    Parameters
    ----------
    system : RecurrentMap
        The map at (or near) ``p0``; also the base of the family when ``param`` is a name.
    param : str, ("line", RNN), "gain" or ParameterFamily
        What varies; anything :func:`dynrnn.model.families.as_family` accepts, e.g. ``"b[0]"``,
        a sympy map's ``"a"``, ``"gain"`` (p·W_rec) or ``("line", other_net)`` (s in [0, 1]).
    start : array_like, shape (n_states,)
        A state near a fixed point (a point of a k-cycle) at ``p0``; it is corrected first.
    bounds : (float, float)
        The parameter interval; must contain ``p0``. The branch stops on the bounds exactly.
    p0 : float, optional
        Start parameter; default ``family.current_value()``.
    period : int
        k: continue fixed points of the k-fold map (chain-rule Jacobians).
    u : array_like, shape (n_inputs,), optional
        Constant input; default each map's own constant input.
    options : ContinuationOptions, optional
    direction : {"forward", "backward", "both"}
        Initial direction of the parameter: "forward" increasing, "backward" decreasing (the
        former 1 and -1 still work, with a DeprecationWarning); "both" joins the two halves
        into one branch ordered
        by arclength.
    raise_on_failure : bool
        Raise :class:`~dynrnn.errors.ConvergenceError` (carrying the branch) when an end stops
        on a failure instead of returning it with ``success=False``.
    callback : callable, optional
        ``callback(ContinuationPoint) -> bool`` after every accepted point; False stops.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    Branch

    Raises
    ------
    InvalidInputError
        Bounds not containing ``p0``, a ``start`` that does not converge to a fixed point (the
        message gives the residual), a bad period or direction, or a size that could not be
        computed (a period above a million, or a branch that would not fit in memory: the
        message says how much was asked).
    UnknownParameterError
        ``param`` is not a parameter of ``system``.

    References
    ----------
    .. [1] H. B. Keller (1977), pseudo-arclength continuation.
    .. [2] Yu. A. Kuznetsov (2004), *Elements of Applied Bifurcation Theory*, §10.2, §10.4.

    Examples
    --------
    The folds of x -> 5 σ(x) + b (Pascanu et al. 2013, Fig. 3):

    >>> import dynrnn as dr
    >>> net = dr.RNN([[5.0]], b=[0.0], activation="sigmoid")
    >>> branch = dr.continuation(net, "b[0]", [4.97], bounds=(-5.0, 0.0),
    ...                          direction="backward")
    >>> [f"{b.kind.value} {b.param:.6f}" for b in branch.bifurcations]
    ['LP -2.655610', 'LP -2.344390']
    """
    opts = options if options is not None else ContinuationOptions()
    if not isinstance(opts, ContinuationOptions):
        raise InvalidTypeError(f"options must be a ContinuationOptions, got "
                               f"{type(opts).__name__}", argument="options", value=opts)
    family = resolve_family(system, param)
    check_count(period, "period", 1, non_integer=InvalidInputError)
    direction = as_direction(direction)
    if p0 is None:
        p0 = family.current_value()
        if p0 is None:
            raise InvalidInputError("the family has no current value; pass p0",
                                    argument="p0", value=None)
    p0 = float(as_finite_array(p0, "p0"))
    lo, hi = check_interval(bounds, "bounds", p0, value_name="p0")
    map0 = family.at(p0)
    n = map0.n_states
    check_size(n, int(period), opts.max_points * (2 if direction == "both" else 1))
    x0 = as_finite_array(start, "start")
    if x0.shape != (n,):
        raise ShapeError(f"start must have shape ({n},), got {x0.shape}", argument="start",
                         expected=(n,), actual=x0.shape)
    u_res = None if u is None else map0.resolve_input(u)
    if is_piecewise(map0, u_res):   # ReLU maps: exact regions and border collisions
        return piecewise_branch(family, x0, p0, (lo, hi), int(period), u_res, direction,
                                raise_on_failure=raise_on_failure)
    problem = FixedPointProblem(family, n, u_res, int(period), opts.detect,
                                leading_tracker(opts, n))
    first = _start_point(problem, x0, p0, opts)
    points, statuses, n_rejected = _run(problem, first, opts, (lo, hi), direction, callback,
                                        progress)
    return assemble_branch(problem, points, statuses, n_rejected, opts,
                     raise_on_failure=raise_on_failure)


#: refuse a continuation whose single Newton iteration composes the map more often than this
MAX_MAP_STEPS_PER_ITERATION = 10**6
#: ... or whose arithmetic per Newton iteration (≈ k n³ for the Jacobian products) exceeds this
MAX_FLOPS_PER_ITERATION = 1e12
#: ... or whose points, at the point limit, would take more memory than this (bytes)
MAX_BRANCH_BYTES = 32e9


def check_size(n: int, period: int, max_points: int, argument: str = "period") -> None:
    """Refuse, before any work, a continuation of absurd size (named error saying how much)."""
    check_work(argument, period, period, MAX_MAP_STEPS_PER_ITERATION,
               "map steps per Newton iteration (F is composed k times)",
               "continue a shorter cycle, or follow a long one with a multiple-shooting method")
    check_work(argument, period, float(period) * (n ** 3 + n ** 2), MAX_FLOPS_PER_ITERATION,
               f"floating-point operations per Newton iteration at n_states={n}",
               "use a smaller period or a smaller network")
    # per point: z and t (n + 1 each), n complex multipliers, a few scalars
    check_work("options.max_points", max_points,
               float(max_points) * (4 * (n + 1) + 2 * n + 8) * 8, MAX_BRANCH_BYTES,
               f"bytes for the branch at n_states={n} if every point is used",
               "lower options.max_points or raise ds_max")


@limited_blas
def _run(problem, first, opts, box, direction, callback, progress):
    """March in one or both directions; returns (points ordered along the branch, (first end
    status, last end status), n_rejected)."""
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=opts.max_points * (2 if direction == "both" else 1),
                   desc=f"continuation in {problem.name}")
    try:
        runs = run_directions(problem, first, opts.step_control(),
                              ((problem.n,), (box[0],), (box[1],)), direction,
                              on_point=point_callback(callback, problem), bar=bar)
    finally:
        if bar is not None:
            bar.close()
    n_rejected = sum(r.n_rejected for r in runs.values())
    if direction != "both":
        (run,) = runs.values()
        return run.points, (ContinuationStatus.START, run.status), n_rejected
    forward = runs["forward"]
    backward = runs.get("backward")
    if backward is None:
        back_points, back_status = [first.reversed()], ContinuationStatus.START
    else:
        back_points, back_status = backward.points, backward.status
    points = [pt.reversed() for pt in reversed(back_points)] + forward.points[1:]
    return points, (back_status, forward.status), n_rejected


@limited_blas
def _start_point(problem: FixedPointProblem, x0, p0, opts) -> Point:
    ok, x, res, nit = _correct_state(problem, x0.copy(), p0, opts.newton_tol,
                                     max(opts.max_newton_iter, 20))
    if not ok:
        start_res = float(np.max(np.abs(problem.residual(x0, p0))))
        raise InvalidInputError(
            f"start is not near a fixed point{'' if problem.period == 1 else ' of the '}"
            f"{'' if problem.period == 1 else str(problem.period) + '-fold map'} at "
            f"{problem.name}={p0}: Newton did not converge (residual "
            f"max|F^k(start) - start| = {start_res:.3g} at start, {res:.3g} after {nit} "
            "iterations); pass a better start (e.g. from find_fixed_points)",
            argument="start", value=x0)
    z = np.append(x, p0)
    ev = problem.evaluate(z)
    t = start_tangent(ev, problem.leading is not None)
    if t[-1] < 0:       # oriented forward (increasing parameter); "backward" reverses it
        t = -t
    try:
        return problem.point(z, ev, t, nit)
    except np.linalg.LinAlgError:
        # [G_x G_p] has rank < n: no unique tangent (a branch point, a continuum of fixed
        # points, or a parameter that does not enter G at this point)
        raise InvalidInputError(
            f"start is a singular point at {problem.name}={p0}: "
            "[dG/dx dG/dp] is rank-deficient there (a branch point, a continuum of fixed "
            "points, or a parameter that does not act at this point), so the branch has no "
            "unique direction; start at a nearby point or continue in another parameter",
            argument="start", value=x0) from None


def resolve_family(system, param) -> ParameterFamily:
    """``param`` as a :class:`ParameterFamily` of ``system`` (see ``as_family``)."""
    if isinstance(param, ParameterFamily):
        return param
    if not isinstance(system, RecurrentMap):
        raise InvalidTypeError(f"system must be a RecurrentMap (RNN, Map, ...), got "
                               f"{type(system).__name__}", argument="system", value=system)
    return as_family(system, param)
