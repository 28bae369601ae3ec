r"""Two-parameter continuation of fold, flip and Neimark–Sacker curves of fixed points and cycles.

A codimension-one bifurcation of a k-cycle of :math:`x \mapsto F(x; p_1, p_2)` persists along a
curve in the :math:`(p_1, p_2)` plane. This module follows such curves by pseudo-arclength
continuation of a *minimally augmented* defining system, and detects and locates the
codimension-two points where curves end, turn or meet (cusp, 1:1 and 1:2 resonances, fold-flip).

Write :math:`G = F^k` for the k-fold map and :math:`G_x` for its Jacobian (the monodromy of the
cycle). The unknowns are the cycle point :math:`x`, both parameters and, for Neimark–Sacker,
:math:`\kappa = \cos\theta`:

* fold (LP): :math:`G(x) - x = 0,\ g(x, p) = 0` with :math:`A = G_x - I`;
* flip (PD): the same with :math:`A = G_x + I`;
* Neimark–Sacker (NS): :math:`G(x) - x = 0,\ g_{i_1 j_1} = g_{i_2 j_2} = 0` with
  :math:`A = G_x^2 - 2\kappa G_x + I` and :math:`\kappa` an extra unknown; :math:`A` has a
  two-dimensional kernel at multipliers :math:`e^{\pm i\theta}`, :math:`\kappa = \cos\theta`,
  and the two entries of the 2×2 test matrix :math:`g` are chosen once, at the start, as the
  pair that makes the Jacobian of the system best conditioned.

The test function :math:`g` comes from the bordered system

.. math::

    \begin{pmatrix} A & B \\ C^\top & 0 \end{pmatrix}
    \begin{pmatrix} V \\ g \end{pmatrix} = \begin{pmatrix} 0 \\ I \end{pmatrix},

which is regular at the bifurcation when the borders :math:`B, C` (one column for LP/PD, two for
NS) approximate the left and right null spaces of :math:`A`; :math:`g = 0` exactly where
:math:`A` is singular (rank deficiency 1, or 2 for NS). The borders are replaced by the
computed null vectors after every accepted point. The derivative of :math:`g` needs no second
solve: with :math:`W` from the transposed system, :math:`g_z = -W^\top A_z V` (the bordering
trick). The second derivatives in :math:`A_z` are central differences of the analytic Jacobians
:math:`G_x, G_p` of the map: along the null vector :math:`v` for LP/PD (by the symmetry
:math:`w^\top G_{xx}(v, e_k) = e_k^\top \tfrac{d}{d\epsilon} G_x(x + \epsilon v)^\top w`, one
directional difference gives the whole gradient) and along the coordinate axes for NS.

Codimension-two test functions, evaluated at every point, located by Brent's method along the
curve (each trial point corrected back onto the curve):

=====  ======  ================================================================================
curve  point   test function
=====  ======  ================================================================================
LP     CP      :math:`\hat w^\top G_{xx}(\hat v, \hat v)`, proportional to the normal-form
               coefficient :math:`a = \tfrac12 p^\top B(q, q)` of the fold (cusp where it vanishes)
LP     R1      :math:`\hat w^\top \hat v` (the multiplier 1 becomes double: Jordan block)
LP     LPPD    :math:`\det(G_x + I)` (a second multiplier at −1)
PD     R2      :math:`\hat w^\top \hat v` for :math:`A = G_x + I` (the multiplier −1 becomes double)
PD     LPPD    :math:`\det(G_x - I)` (a second multiplier at +1)
PD     GPD     the normal-form coefficient :math:`c` of the flip (see ``flip_coefficient``)
NS     R1      :math:`\kappa - 1` (the pair :math:`e^{\pm i\theta}` meets at +1)
NS     R2      :math:`\kappa + 1` (the pair meets at −1)
=====  ======  ================================================================================

Beyond R1 or R2 the NS system continues as a curve of *neutral saddles* (real multipliers with
product 1, :math:`|\kappa| > 1`); :attr:`BifurcationCurve.kappa` shows where.

References
----------
Y. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer 2004, ch. 5 (the
flip's normal form), ch. 9 (codimension-two bifurcations of fixed points: cusp, generalised
flip, strong resonances) and ch. 10 (continuation, minimally augmented systems, bordering).
W. Govaerts, R. Khoshsiar Ghaziani, Y. A. Kuznetsov, H. G. E. Meijer, "Numerical methods for
two-parameter local bifurcation analysis of maps", SIAM J. Sci. Comput. 29 (2007) 2644–2667
(the defining systems above, including the NS system with κ and the test functions).
W. Govaerts, Y. A. Kuznetsov, A. Dhooge, "Numerical continuation of bifurcations of limit cycles
in MATLAB", SIAM J. Sci. Comput. 27 (2005) 231–252 (bordering and border updates).
W. Govaerts, *Numerical Methods for Bifurcations of Dynamical Equilibria*, SIAM 2000, ch. 3.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.optimize import brentq

from ..._checks import check_count
from ..._signature_checks import checked_arguments
from ..._tables import TableSpec, Tabular
from ..._threads import limited_blas
from ...errors import ConvergenceError, InvalidInputError, InvalidTypeError
from ...model.base import RecurrentMap, as_finite_array
from ..codim2_coefficients import codim2_extra
from ..special_points import Bifurcation, BifurcationKind
from ..stability import sorted_multipliers
from ..strong_resonances import locate_on_ns_curve
from .branch import check_size
from .defining import CODIM2_TESTS, DefiningSystem
from .engine import (
    ContinuationStatus,
    Point,
    as_direction,
    check_interval,
    correct,
    null_tangent,
    run_directions,
)
from .options import BifurcationCurveOptions
from .spectra import curve_multipliers

__all__ = ["BifurcationCurve", "BifurcationCurveOptions", "CurvePoint", "CurveStatus",
           "continue_bifurcation"]

_SUPPORTED = (BifurcationKind.LP, BifurcationKind.PD, BifurcationKind.NS)

#: The statuses of two-parameter curves are those of every continuation (former names such as
#: ``CurveStatus.COMPLETED`` are aliases of ``REACHED_BOUND`` etc.).
CurveStatus = ContinuationStatus

#: the ends that count as success for a curve (a curve cut off by ``max_points`` is not)
_SUCCESS = (ContinuationStatus.REACHED_BOUND, ContinuationStatus.CLOSED_LOOP,
            ContinuationStatus.STOPPED_BY_CALLBACK)


@dataclass(frozen=True)
class CurvePoint:
    """One accepted point, as passed to the ``callback`` of :func:`continue_bifurcation`.

    Attributes
    ----------
    params : ndarray, shape (2,)
        ``(p1, p2)``.
    x : ndarray, shape (n_states,)
    eigenvalues : ndarray, shape (n_states,), complex
    kappa : float
        κ = cos θ on NS curves, NaN otherwise.
    step : int
        Number of the step in its direction (1 for the first point after the start).
    direction : str
        "forward" or "backward".
    """

    params: np.ndarray
    x: np.ndarray
    eigenvalues: np.ndarray
    kappa: float
    step: int
    direction: str


@dataclass(frozen=True)
class BifurcationCurve(Tabular):
    """A curve of codimension-one bifurcations in two parameters.

    Attributes
    ----------
    kind : BifurcationKind
        LP, PD or NS.
    param_names : (str, str)
        ``(p1, p2)``: the parameter of the starting record, then the second one.
    params : ndarray, shape (m, 2)
        ``(p1, p2)`` at each computed point, in arclength order along the "forward"
        orientation (also for ``direction="backward"``, which then ends at the start).
    states : ndarray, shape (m, n_states)
        A point of the fixed point or cycle at each curve point.
    eigenvalues : ndarray, shape (m, n_states), complex
        Multipliers of the k-fold map (sorted by decreasing modulus); from 128 states on only
        the leading ones, shape (m, k), tracked along the curve and all of them at its ends.
    kappa : ndarray, shape (m,)
        For NS curves κ = cos θ of the critical pair e^{±iθ} (``|κ| > 1`` marks neutral saddles);
        NaN for LP and PD curves.
    codim2 : tuple of Bifurcation
        Located codimension-two points (kind CP, R1, R2 or LPPD) with ``param`` = p1,
        ``param2`` = p2, ``index`` = i when the point lies between curve points i and i + 1,
        and ``bracket`` = the p1 values of those two points.
    period : int
    start_index : int
        Index of the (refined) starting point in the arrays.
    status : CurveStatus
    success : bool
    message : str
    n_steps : int
        Accepted continuation steps (both directions).
    n_iter : int
        Newton iterations in all (continuation and location).
    """

    _table_spec = TableSpec(columns=("params", "states", "kappa"))

    kind: BifurcationKind
    param_names: tuple[str, str]
    params: np.ndarray
    states: np.ndarray
    eigenvalues: np.ndarray
    kappa: np.ndarray
    codim2: tuple[Bifurcation, ...]
    period: int
    start_index: int
    status: CurveStatus
    success: bool
    message: str
    n_steps: int
    n_iter: int

    @property
    def angles(self) -> np.ndarray:
        """θ = arccos κ along an NS curve, NaN at neutral saddles and on LP/PD curves."""
        with np.errstate(invalid="ignore"):
            return np.where(np.abs(self.kappa) <= 1, np.arccos(np.clip(self.kappa, -1, 1)),
                            np.nan)

    def __len__(self) -> int:
        return self.params.shape[0]

    def __repr__(self) -> str:
        pts = ", ".join(f"{b.kind.value}" for b in self.codim2)
        return (f"BifurcationCurve({self.kind.value} in {self.param_names}, {len(self)} points, "
                f"status={self.status.name}, codim2=[{pts}])")

    def __str__(self) -> str:
        """A few lines: the kind, points and parameter ranges, how it ended, codim-2 points."""
        p1, p2 = self.param_names
        ranges = ", ".join(f"{name} in [{self.params[:, j].min():.6g}, "
                           f"{self.params[:, j].max():.6g}]" for j, name in enumerate((p1, p2)))
        what = "fixed points" if self.period == 1 else f"{self.period}-cycles"
        found = ", ".join(f"{b.kind.value} at ({p1}, {p2}) = ({b.param:.6g}, {b.param2:.6g})"
                          for b in self.codim2) or "none"
        return "\n".join([
            f"{self.kind.value} curve of {what}: {len(self)} points, {ranges}",
            f"  status: {self.status.name} ({'success' if self.success else 'FAILED'}): "
            f"{self.message}",
            f"  {self.n_steps} steps, {self.n_iter} Newton iterations",
            f"  {len(self.codim2)} codimension-two points: {found}"])


# ------------------------------------------------------------------------------------------------
# codimension-two points
# ------------------------------------------------------------------------------------------------
def _locate_codim2(problem, a: Point, b: Point, test: int, opts):
    """Brent's method on the arclength of the chord from a to b, correcting each trial point
    onto the curve within the hyperplane orthogonal to the chord. Returns (point, value, n_iter)
    or None."""
    chord = b.z - a.z
    length = float(np.linalg.norm(chord))
    if length == 0:
        return None
    d = chord / length
    counter: dict[str, Any] = {"iter": 0, "last": None}
    reference = (a.evaluation.V, a.evaluation.W)
    context = (a.context[0], a.evaluation.direction)
    settings = opts.corrector()

    def phi(s):
        corr = correct(problem, a.z + s * d, d, settings, context)
        counter["iter"] += corr.n_iter
        if not corr.ok:
            raise _LocateFailed
        z, ev = corr.z, corr.evaluation
        # keep the orientation of the null vectors of the left end (sign of the test functions)
        if problem.kind is not BifurcationKind.NS:
            value = problem.tests(ev)[test]
            flip_v = np.sign(ev.V[:, 0] @ reference[0][:, 0]) or 1.0
            flip_w = np.sign(ev.W[:, 0] @ reference[1][:, 0]) or 1.0
            kinds = CODIM2_TESTS[problem.kind]
            if kinds[test] is BifurcationKind.CP:
                value *= flip_w
            elif kinds[test] in (BifurcationKind.R1, BifurcationKind.R2):
                value *= flip_v * flip_w
        else:
            value = ev.tests[test]
        counter["last"] = (z, ev)
        return value

    try:
        fa, fb = phi(0.0), phi(length)
        if not fa * fb < 0:
            return None
        s_star = brentq(phi, 0.0, length, xtol=opts.locate_tol, rtol=4 * np.finfo(float).eps,
                        maxiter=200)
        value = phi(s_star)
    except (_LocateFailed, ValueError, RuntimeError):
        return None
    # a sign change through a pole is no zero: demand a small value
    if not abs(value) <= 1e-3 * max(abs(fa), abs(fb)):
        return None
    z, ev = counter["last"]
    return z, ev, value, counter["iter"]


class _LocateFailed(Exception):
    pass


# ------------------------------------------------------------------------------------------------
# the public entry
# ------------------------------------------------------------------------------------------------
@limited_blas
@checked_arguments
def continue_bifurcation(system: RecurrentMap, bifurcation: Bifurcation, param2: str,
                         bounds2: Sequence[float], *, bounds1: Sequence[float] | None = None,
                         options: BifurcationCurveOptions | None = None,
                         direction: Literal["both", "forward", "backward"] = "both",
                         u=None, callback: Callable[[CurvePoint], bool] | None = None,
                         raise_on_failure: bool = False, progress: bool = False
                         ) -> BifurcationCurve:
    r"""Continue a fold, flip or Neimark–Sacker point in two parameters.

    Starting from a located codimension-one point (a :class:`Bifurcation` of kind LP, PD or NS
    of a fixed point or k-cycle, found by one-parameter continuation in
    ``p1 = bifurcation.param_name``), follow the curve of such points in the plane
    :math:`(p_1, p_2)` by pseudo-arclength continuation of the minimally augmented defining
    system (see the module documentation), and detect and locate codimension-two points on it.

    .. math::

        G(x; p_1, p_2) - x = 0, \qquad g(x, p_1, p_2[, \kappa]) = 0,
        \qquad G = F^k

    Parameters
    ----------
    system : RecurrentMap
        The map, at the value of ``param2`` where the curve starts (its value of ``p1`` is
        replaced by ``bifurcation.param``).
    bifurcation : Bifurcation
        Kind LP, PD or NS; uses ``param``, ``x`` (shape (n_states,)), ``param_name``,
        ``period``, and for NS ``angle`` (or ``eigenvalues``) for the starting κ = cos θ.
    param2 : str
        The second parameter's name.
    bounds2 : (float, float)
        Range of ``param2``; must contain its current value. The curve stops on its boundary.
    bounds1 : (float, float), optional
        Range of ``p1`` (unbounded by default); must contain ``bifurcation.param``.
    options : BifurcationCurveOptions, optional
    direction : {"both", "forward", "backward"}
        "forward" starts with ``param2`` increasing (``p1`` increasing if the curve is
        vertical), "both" does both and joins them.
    u : array_like, shape (n_inputs,), optional
        Constant input for driven maps (the map's own by default).
    callback : callable, optional
        ``callback(point: CurvePoint) -> bool`` after every accepted point; returning False
        stops that direction (status STOPPED, which counts as success), e.g. to stop where an
        NS curve turns into neutral saddles (``abs(point.kappa) > 1``).
    raise_on_failure : bool
        Raise :class:`ConvergenceError` (carrying the curve as ``.result``) instead of returning
        an unsuccessful curve.
    progress : bool
        Show a tqdm progress bar of accepted steps.

    Returns
    -------
    BifurcationCurve
        Every computed point, also when the continuation stops early.

    Raises
    ------
    InvalidInputError
        Unsupported kind, ``param2`` equal to ``p1``, bounds not containing the start, bad
        ``direction``; :class:`UnknownParameterError` for unknown names.

    References
    ----------
    Kuznetsov, *Elements of Applied Bifurcation Theory* (3rd ed., 2004), §10.2–10.3;
    Govaerts, Khoshsiar Ghaziani, Kuznetsov, Meijer, SIAM J. Sci. Comput. 29 (2007) 2644–2667;
    Govaerts, Kuznetsov, Dhooge, SIAM J. Sci. Comput. 27 (2005) 231–252.

    Examples
    --------
    The fold curve a = −(1 − b)²/4 of the Hénon map:

    >>> import numpy as np, sympy as sp, dynrnn as dr
    >>> x, y, a, b = sp.symbols("x y a b")
    >>> henon = dr.Map.from_sympy([1 - a * x**2 + y, b * x], [x, y], {a: -0.1225, b: 0.3})
    >>> xs = -0.7 / (2 * -0.1225)
    >>> lp = dr.Bifurcation(dr.BifurcationKind.LP, -0.1225, np.array([xs, 0.3 * xs]),
    ...                     np.array([1.0, -0.3]), (-0.1225, -0.1225), param_name="a")
    >>> curve = dr.continue_bifurcation(henon, lp, "b", (-0.9, 0.9))
    >>> curve.success
    True
    >>> bool(np.allclose(curve.params[:, 0], -(1 - curve.params[:, 1]) ** 2 / 4, atol=1e-10))
    True
    """
    if not isinstance(system, RecurrentMap):
        raise InvalidTypeError(f"system must be a RecurrentMap, got {type(system).__name__}",
                               argument="system", value=system)
    with np.errstate(all="ignore"):
        return _continue(system, bifurcation, param2, bounds2, bounds1, options, direction, u,
                         callback, raise_on_failure, progress)


def _continue(system, bifurcation, param2, bounds2, bounds1, options, direction, u,
              callback, raise_on_failure, progress):
    kind, options, direction, (p1, p2), period, z0, bounds, u = _check_arguments(
        system, bifurcation, param2, bounds2, bounds1, options, direction, u, callback)
    problem = DefiningSystem(system, kind, (p1, p2), period, u, options.fd_step)
    start, total_iter = _start_point(problem, z0, options)
    if start is None:
        curve = _assemble(problem, [total_iter[0]], 0, (), ContinuationStatus.START_FAILED, "",
                          0, total_iter[1])
        return _finish(curve, raise_on_failure)
    pbar = None
    if progress:
        from tqdm.auto import tqdm
        pbar = tqdm(desc=f"{kind.value} curve", unit="pt")
    try:
        box = ((problem.n, problem.n + 1), (bounds[0][0], bounds[1][0]),
               (bounds[0][1], bounds[1][1]))
        runs = run_directions(problem, start, options.step_control(), box, direction,
                              on_point=_callback_adapter(callback, problem), bar=pbar,
                              stop_both_on_callback=False)
    finally:
        if pbar is not None:
            pbar.close()
    backward, forward = runs.get("backward"), runs.get("forward")
    points = (backward.points[:0:-1] if backward else []) + [start] + \
        (forward.points[1:] if forward else [])
    start_index = len(backward.points) - 1 if backward else 0
    n_steps = sum(r.n_steps for r in runs.values())
    total_iter += sum(r.n_iter for r in runs.values())
    status, message = _overall_status([(w, r.status) for w, r in runs.items()])
    codim2: list[Bifurcation] = []
    if options.detect_codim2 and len(points) > 1:
        codim2, n_loc = _detect(problem, points, options,
                                closed=status is ContinuationStatus.CLOSED_LOOP)
        total_iter += n_loc
    curve = _assemble(problem, points, start_index, tuple(codim2), status, message, n_steps,
                      total_iter)
    return _finish(curve, raise_on_failure)


def _check_arguments(system, bifurcation, param2, bounds2, bounds1, options, direction, u,
                     callback):
    """Validate everything before any work; returns what the continuation needs."""
    if callback is not None and not callable(callback):
        raise InvalidTypeError(f"callback must be callable or None, got "
                               f"{type(callback).__name__}", argument="callback", value=callback)
    if not isinstance(bifurcation, Bifurcation):
        raise InvalidTypeError(f"bifurcation must be a Bifurcation record, got "
                               f"{type(bifurcation).__name__}", argument="bifurcation",
                               value=bifurcation)
    kind = BifurcationKind(bifurcation.kind)
    if kind not in _SUPPORTED:
        raise InvalidInputError(
            f"cannot continue a bifurcation of kind {kind.value} in two parameters; supported "
            f"kinds are {', '.join(k.value for k in _SUPPORTED)}", argument="bifurcation",
            value=kind)
    if kind is BifurcationKind.NS and system.n_states < 2:
        raise InvalidInputError("a Neimark–Sacker bifurcation needs at least two states; the map "
                                f"has {system.n_states}", argument="bifurcation", value=kind)
    options = BifurcationCurveOptions() if options is None else options
    if not isinstance(options, BifurcationCurveOptions):
        raise InvalidTypeError(f"options must be BifurcationCurveOptions, got "
                               f"{type(options).__name__}", argument="options", value=options)
    direction = as_direction(direction, legacy=False)
    p1 = bifurcation.param_name
    system.check_param_names(p1, argument="bifurcation.param_name")
    (p2,) = system.check_param_names(param2, argument="param2")
    if p2 == p1:
        raise InvalidInputError(f"param2 must differ from the bifurcation's parameter {p1!r}",
                                argument="param2", value=param2)
    period = check_count(bifurcation.period, "bifurcation", 1, non_integer=InvalidInputError,
                         label="bifurcation.period")
    n = system.n_states
    check_size(n, int(period), 2 * options.max_points, argument="bifurcation.period")
    x0 = as_finite_array(bifurcation.x, "bifurcation.x").reshape(-1)
    if x0.shape != (n,):
        raise InvalidInputError(f"bifurcation.x has shape {np.shape(bifurcation.x)}, the map "
                                f"has {n} states", argument="bifurcation",
                                value=np.shape(bifurcation.x))
    p1_value = float(as_finite_array(bifurcation.param, "bifurcation.param"))
    p2_value = float(system.params[p2])
    b2 = check_interval(bounds2, "bounds2", p2_value, allow_infinite=True,
                        value_name=f"value {p2}")
    b1 = (-np.inf, np.inf) if bounds1 is None else check_interval(
        bounds1, "bounds1", p1_value, allow_infinite=True, value_name=f"value {p1}")
    z0 = np.concatenate([x0, [p1_value, p2_value]])
    if kind is BifurcationKind.NS:
        z0 = np.append(z0, _initial_kappa(bifurcation))
    return kind, options, direction, (p1, p2), int(period), z0, (b1, b2), \
        system.resolve_input(u)


def _start_point(problem: DefiningSystem, z0: np.ndarray, options):
    """Refine the record with p2 held fixed; (start Point oriented "forward", n_iter), or
    (None, (the unrefined point, n_iter)) when Newton fails."""
    n = problem.n
    borders = problem.initial_borders(z0)
    if problem.kind is BifurcationKind.NS:
        problem.choose_pair(z0, borders)
    row = np.zeros(problem.n_unknowns)
    row[n + 1] = 1.0
    corr = correct(problem, z0, row, options.corrector(), (borders, None))
    if not corr.ok:
        with np.errstate(all="ignore"):
            ev = problem.evaluate(z0, (borders, None))
        return None, (Point(z0, np.zeros_like(z0), 0.0, ev, 0, (borders, None)), corr.n_iter)
    ev = corr.evaluation
    # initial tangent: the null vector of DH, oriented with p2 increasing ("forward")
    t0 = null_tangent(ev.DH)
    key = t0[n + 1] if abs(t0[n + 1]) > 1e-10 else t0[n]
    t0 = t0 if key >= 0 else -t0
    if options.ds < 0:
        t0 = -t0
    return Point(corr.z, t0, 1.0, ev, corr.n_iter, (borders, None)), corr.n_iter


def _callback_adapter(callback, problem):
    if callback is None:
        return None
    n = problem.n

    def on_point(point, index, ds, which):
        z = point.z
        kappa = float(z[n + 2]) if problem.kind is BifurcationKind.NS else float("nan")
        return callback(CurvePoint(params=z[n:n + 2].copy(), x=z[:n].copy(),
                                   eigenvalues=sorted_multipliers(point.evaluation.Gx),
                                   kappa=kappa, step=index, direction=which))
    return on_point


def _overall_status(statuses):
    """One status and message from the (direction, status) of each direction run."""
    failed = [(w, s) for w, s in statuses if s not in _SUCCESS]
    if failed:
        return failed[0][1], "; ".join(f"{w}: {s.value}" for w, s in statuses)
    found = {s for _, s in statuses}
    status = next((s for s in (ContinuationStatus.CLOSED_LOOP,
                               ContinuationStatus.STOPPED_BY_CALLBACK) if s in found),
                  ContinuationStatus.REACHED_BOUND)
    message = "; ".join(f"{w}: {s.value}" for w, s in statuses) if len(found) > 1 \
        else status.value
    return status, message


def _initial_kappa(bifurcation: Bifurcation) -> float:
    if bifurcation.angle is not None and np.isfinite(bifurcation.angle):
        return float(math.cos(bifurcation.angle))
    mu = np.asarray(bifurcation.eigenvalues, dtype=complex).reshape(-1)
    complex_pair = mu[np.abs(mu.imag) > 1e-12]
    if complex_pair.size == 0:
        raise InvalidInputError("an NS record needs an angle or a complex pair of eigenvalues",
                                argument="bifurcation", value=bifurcation)
    best = complex_pair[np.argmin(np.abs(np.abs(complex_pair) - 1))]
    return float(best.real / abs(best))


def _relative_sign(kind: BifurcationKind, test: BifurcationKind, a: Point, b: Point) -> float:
    """The factor that puts b's test value in a's orientation of the null vectors (the CP, R1
    and R2 tests of LP/PD curves change sign with them)."""
    if kind is BifurcationKind.NS or test not in (BifurcationKind.CP, BifurcationKind.R1,
                                                  BifurcationKind.R2):
        return 1.0
    flip_w = np.sign(b.evaluation.W[:, 0] @ a.evaluation.W[:, 0]) or 1.0
    if test is BifurcationKind.CP:
        return float(flip_w)
    return float(flip_w * (np.sign(b.evaluation.V[:, 0] @ a.evaluation.V[:, 0]) or 1.0))


def _detect(problem, points, opts, closed: bool = False):
    tests = np.array([problem.tests(p.evaluation) for p in points])
    kinds = CODIM2_TESTS[problem.kind]
    found: list[Bifurcation] = []
    n_iter = 0
    n = problem.n
    pairs = [(i, i + 1) for i in range(len(points) - 1)]
    for col, kind in enumerate(kinds):
        for i, j in pairs:
            factor = _relative_sign(problem.kind, kind, points[i], points[j])
            if not tests[i, col] * tests[j, col] * factor < 0:
                continue
            located = _locate_codim2(problem, points[i], points[j], col, opts)
            if located is None and problem.kind is BifurcationKind.NS:
                # the NS system is singular at R1/R2: locate on the fold/flip system there
                located = locate_on_ns_curve(problem, points[i].z, points[j].z,
                                             1.0 if kind is BifurcationKind.R1 else -1.0)
            if located is None:
                continue
            z, ev, value, it = located
            n_iter += it
            # a closed curve's last step passes its start again: the overlap may hold a point
            # found already
            if closed and any(b.kind is kind and np.allclose(b.x, z[:n], atol=1e-8) and
                              abs(b.param - z[n]) + abs(b.param2 - z[n + 1]) < 1e-8
                              for b in found):
                continue
            kappa = float(z[n + 2]) if problem.kind is BifurcationKind.NS else None
            angle = {BifurcationKind.R1: 0.0, BifurcationKind.R2: math.pi}.get(kind)
            extra = {"curve_kind": problem.kind.value, "param2_name": problem.names[1]}
            if kappa is not None:
                extra["kappa"] = kappa
            # cusp coefficient at CP, the flip's verdict on both sides of GPD, C1 and D1 at R2
            extra.update(codim2_extra(problem.system, problem.names, problem.u, kind,
                                      problem.period, z, points[i].z, points[j].z))
            found.append(Bifurcation(
                kind=kind, param=float(z[n]), x=z[:n].copy(),
                eigenvalues=sorted_multipliers(ev.Gx), bracket=(float(points[i].z[n]),
                                                                 float(points[j].z[n])),
                param_name=problem.names[0], period=problem.period, angle=angle, index=i,
                param2=float(z[n + 1]), test_value=float(value), extra=extra))
    found.sort(key=lambda b: b.index)
    return found, n_iter


def _assemble(problem, points, start_index, codim2, status, message, n_steps, n_iter):
    n = problem.n
    Z = np.array([p.z for p in points])
    if problem.kind is BifurcationKind.NS:
        kappa = Z[:, n + 2].copy()
    else:
        kappa = np.full(len(points), np.nan)
    return BifurcationCurve(
        kind=problem.kind, param_names=(problem.names[0], problem.names[1]),
        params=Z[:, n:n + 2].copy(), states=Z[:, :n].copy(),
        eigenvalues=curve_multipliers([p.evaluation.Gx for p in points]),
        kappa=kappa, codim2=codim2, period=problem.period, start_index=start_index,
        status=status, success=status in _SUCCESS, message=message or status.value,
        n_steps=n_steps, n_iter=n_iter)


def _finish(curve: BifurcationCurve, raise_on_failure: bool) -> BifurcationCurve:
    if raise_on_failure and not curve.success:
        raise ConvergenceError(f"two-parameter continuation of the {curve.kind.value} curve "
                               f"stopped: {curve.message}", result=curve)
    return curve
