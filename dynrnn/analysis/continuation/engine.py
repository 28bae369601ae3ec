r"""The predictor–corrector engine shared by every continuation in dynrnn.

A *continuation problem* is an underdetermined system

.. math::

    H(z) = 0, \qquad H : \mathbb{R}^{N} \to \mathbb{R}^{N-1},

whose solutions form a curve. The engine follows it by pseudo-arclength continuation: from an
accepted point :math:`z_i` with unit tangent :math:`t_i` it predicts :math:`z_i + \Delta s\,
t_i` and corrects with Newton's method on the bordered system

.. math::

    \begin{pmatrix} H(z) \\ r^\top z - c \end{pmatrix} = 0, \qquad
    \begin{pmatrix} D H(z) \\ r^\top \end{pmatrix} \delta z = -\begin{pmatrix} H(z) \\
    r^\top z - c \end{pmatrix},

with the row :math:`r = t_i`, :math:`c = t_i^\top(z_i + \Delta s\, t_i)` (the hyperplane through
the predictor orthogonal to the tangent), or :math:`r = e_j`, :math:`c = b` to land exactly on a
bound :math:`z_j = b`. The new tangent solves :math:`[DH;\ t_i^\top] t = e_N`; the sign of the
determinant of that bordered matrix is kept, since it changes at branch points.

What the engine does, once for every problem: the corrector (:func:`correct`), the tangent
(:func:`bordered_tangent`, :func:`null_tangent`), adaptive step control (grow after an easy
correction, shrink after a rejected step: a failed corrector, a tangent that turns by more than
``max_turn_angle``, a correction longer than ``max_correction`` steps, or a step the problem
vetoes), landing exactly on the bounds of the parameters, detection of a closed curve,
interruption (Ctrl-C keeps the points), and one status vocabulary
(:class:`ContinuationStatus`) and one direction vocabulary (:func:`as_direction`).

The problem interface
---------------------
A problem is any object with these attributes (no base class needed; see
:class:`ContinuationProblem`):

``n_unknowns``
    N, the length of z.
``parameter_indices``
    The positions in z of the parameters that the bounds (the *box*) apply to.
``evaluate(z, context) -> evaluation``
    The residual and its Jacobian at z. ``evaluation`` has ``residual`` (N−1,), ``jacobian``
    (N−1, N) (NaN or infinity there make the corrector fail with ``finite=False``;
    optionally also ``fill_jacobian(A)``, which writes it into the first N−1 rows of an
    (N, N) matrix and spares building it in the hot loop; or ``solve_bordered(row, rhs) ->
    (y, det_sign)``, which solves :math:`[DH;\ r^\top] y = \text{rhs}` itself with structured
    linear algebra, and ``finite``, so that the dense matrix is never built) and
    ``context``: what the next evaluation
    of the same Newton solve should use (problems with adaptive borders or directions update it;
    others return the context they were given, usually None).
``next_context(point) -> context``
    The context to predict from an accepted :class:`Point` (e.g. new borders). Optional.
``describe(point)``
    Problem data attached to every accepted point (multipliers, test-function values, ...),
    stored as ``point.data``. Optional.
``admissible(previous, point) -> bool``
    Optional veto of a converged step, which is then retried with a smaller step (e.g. when
    several multipliers crossed the unit circle at once, so that each special point gets a
    segment of its own).
``linear_solver(A, b) -> (y, (lu, piv), info)``
    Optional: how the corrector solves its bordered systems (e.g. refinement on an LU kept
    from earlier points); by default a fresh LU (``dgesv``).
``tangent_from(correction, previous) -> (t, det_sign)``
    Optional: the tangent at a converged :class:`Correction` (e.g. refined from the LU of the
    corrector's last solve, which spares a factorisation for large networks); by default a
    fresh LU of the bordered matrix (:func:`evaluation_tangent`).

Test functions and location are not part of the engine: a module that detects special points
reads ``point.data`` along the returned points and locates zeros by calling :func:`correct` on
its own hyperplanes. This is how the modules of this package plug in, and how further modules
do, without changing this file:

* :mod:`.branch`: one-parameter branches of fixed points and k-cycles, z = (x, p);
* :mod:`.curves`: two-parameter curves of folds, flips and Neimark–Sacker points (minimally
  augmented systems whose borders travel in ``context``);
* :mod:`.testfunctions`: codimension-one test functions and their location along a branch;
* :mod:`.spectra`: large networks (from 128 states) track their leading multipliers from
  point to point instead of a full eigendecomposition per point; **the guard** makes a full
  one at both ends and every ``guard_every`` (25) points, recomputes every point since the
  last guard point where the tracked count of multipliers outside the circle was wrong,
  confirms every count change with full ones at both ends of its segment, and splits
  segments with several crossings; location runs on full decompositions as for small maps;
* a multiple-shooting problem for long cycles is a new problem object (unknowns x_1..x_k, p);
  normal-form coefficients are functions of the located points; border-collision events are a
  ``stop`` callback of :func:`march` (or a test function read from ``point.data``).

Examples
--------
A problem needs no base class: the circle x² + y² = 4, followed in (x, y) with y bounded,
closes on itself.

>>> import numpy as np
>>> from dynrnn.analysis.continuation import engine
>>> class Circle:
...     n_unknowns, parameter_indices = 2, (1,)
...     class Evaluation:
...         context = None
...         def __init__(self, z):
...             self.residual, self.jacobian = np.array([z @ z - 4.0]), 2 * z[None, :]
...     def evaluate(self, z, context=None):
...         return self.Evaluation(z)
>>> circle, z0 = Circle(), np.array([2.0, 0.0])
>>> start = engine.Point(z0, np.array([0.0, 1.0]), 1.0, circle.evaluate(z0), 0)
>>> control = engine.StepControl(ds=0.05, ds_min=1e-8, ds_max=0.1, max_points=1000,
...     grow=1.5, shrink=0.5, fast_newton_iter=3, max_turn_angle=0.6, max_correction=1.0,
...     corrector=engine.CorrectorSettings(1e-12, 10, relative=True))
>>> run = engine.march(circle, start, control, ((1,), (-10.0,), (10.0,)))
>>> run.status.name, bool(np.allclose([p.z @ p.z for p in run.points], 4.0))
('CLOSED_LOOP', True)

References
----------
.. [1] H. B. Keller, "Numerical solution of bifurcation and nonlinear eigenvalue problems", in
   *Applications of Bifurcation Theory*, Academic Press, 1977.
.. [2] E. L. Allgower and K. Georg, *Introduction to Numerical Continuation Methods*, SIAM, 2003.
.. [3] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
   ch. 10.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from scipy.linalg.lapack import dgesv

from .vocabulary import DIRECTIONS, ContinuationStatus, as_direction, check_interval, check_work

__all__ = ["ContinuationStatus", "ContinuationProblem", "Point", "MarchResult", "StepControl",
           "CorrectorSettings", "Correction", "as_direction", "check_interval", "solve_bordered",
           "bordered_tangent", "evaluation_tangent", "null_tangent", "correct", "march",
           "run_directions", "check_work", "DIRECTIONS"]

# ---------------------------------------------------------------------------------------------
# linear algebra of the bordered systems
# ---------------------------------------------------------------------------------------------
def solve_bordered(A: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, float]:
    """Solve A y = rhs by LU and return y with sign(det A) from the same factorisation.

    LAPACK ``dgesv`` directly: a tenth of ``np.linalg.solve``'s overhead for the small bordered
    systems of maps. Raises ``np.linalg.LinAlgError`` when A is singular.
    """
    lu, piv, y, info = dgesv(A, rhs)
    if info != 0:
        raise np.linalg.LinAlgError(f"singular bordered matrix (dgesv info={info})")
    # sign(det) = (-1)^(row swaps + negative pivots); scipy returns 0-based pivot indices.
    # Plain Python on the short lists: a handful of numpy reductions would cost more.
    odd = False
    for i, (pivot, d) in enumerate(zip(piv.tolist(), lu.diagonal().tolist())):
        odd ^= (pivot != i) ^ (d < 0)
    return y, (-1.0 if odd else 1.0)


def bordered_tangent(jacobian: np.ndarray, previous: np.ndarray) -> tuple[np.ndarray, float]:
    """The unit tangent t with ``jacobian @ t = 0`` and ``previous @ t > 0``, and the sign of
    ``det [jacobian; previous]`` (which changes at branch points).

    jacobian : ndarray, shape (N - 1, N); previous : ndarray, shape (N,). Raises
    ``np.linalg.LinAlgError`` when the bordered matrix is singular.
    """
    N = jacobian.shape[1]
    A = np.empty((N, N))
    A[:-1] = jacobian
    A[-1] = previous
    rhs = np.zeros(N)
    rhs[-1] = 1.0
    t, sign = solve_bordered(A, rhs)
    t /= math.sqrt(float(t @ t))
    return t, sign


def evaluation_tangent(evaluation, previous: np.ndarray) -> tuple[np.ndarray, float]:
    """:func:`bordered_tangent` of an evaluation (through its ``fill_jacobian`` if it has
    one, which spares building the Jacobian)."""
    N = previous.shape[0]
    structured = getattr(evaluation, "solve_bordered", None)
    if structured is not None:       # a structured solver of [DH; previous] y = rhs
        t, sign = structured(previous, np.eye(N)[-1])
        return t / math.sqrt(float(t @ t)), sign
    A = np.empty((N, N))
    fill = getattr(evaluation, "fill_jacobian", None)
    if fill is not None:
        fill(A)
    else:
        A[:-1] = evaluation.jacobian
    A[-1] = previous
    rhs = _LAST_UNIT.get(N)
    if rhs is None:
        rhs = _LAST_UNIT[N] = np.eye(N)[-1]
        rhs.flags.writeable = False     # shared: dgesv copies its right-hand side
    t, sign = solve_bordered(A, rhs)
    t /= math.sqrt(float(t @ t))
    return t, sign


_LAST_UNIT: dict = {}


def null_tangent(jacobian: np.ndarray) -> np.ndarray:
    """A unit null vector of ``jacobian`` (N − 1, N), by SVD (so it also works at a fold)."""
    return np.linalg.svd(jacobian)[2][-1]


# ---------------------------------------------------------------------------------------------
# the corrector
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CorrectorSettings:
    """When Newton's method has converged or failed.

    Converged when ``max|residual| <= residual_tol`` (times ``1 + max|z_0|`` if
    ``relative``) and, if ``step_tol`` is set, the last update was at most
    ``step_tol * (1 + max|z|)`` (a small residual alone can hide an error in a direction the
    residual is flat in). Failed after ``max_iter`` updates, on a non-finite value, a singular
    system, or (if ``divergence_factor`` is set) a residual that grew by more than that factor
    after the second iteration.
    """

    residual_tol: float
    max_iter: int
    step_tol: float | None = None
    relative: bool = False
    divergence_factor: float | None = None


class Correction:
    """The outcome of :func:`correct`: ``ok``, the last ``z``, the ``evaluation`` there (None
    if a failure made it meaningless), Newton iterations ``n_iter``, ``finite`` (False when
    the problem returned NaN or infinity), and on success ``matrix``, the bordered matrix at
    ``z``, with ``factor``, the LU (lu, piv) of the last Newton solve (at the previous
    iterate; None without one): a preconditioner for the tangent (``tangent_from``)."""

    __slots__ = ("ok", "z", "evaluation", "n_iter", "finite", "matrix", "factor")

    def __init__(self, ok: bool, z: np.ndarray, evaluation, n_iter: int, finite: bool = True,
                 matrix=None, factor=None):
        self.ok = ok
        self.z = z
        self.evaluation = evaluation
        self.n_iter = n_iter
        self.finite = finite
        self.matrix = matrix
        self.factor = factor


def correct(problem, z0: np.ndarray, rows: np.ndarray, settings: CorrectorSettings,
            context=None, anchor: np.ndarray | None = None) -> Correction:
    """Newton's method on ``[H(z); rows @ (z - anchor)] = 0`` from ``z0``.

    z0, anchor : ndarray, shape (N,) (``anchor`` defaults to ``z0``: the hyperplanes through the
    start); rows : ndarray, shape (N,) or (m, N). ``context`` is passed to
    ``problem.evaluate`` and replaced by each evaluation's ``context``.
    """
    with np.errstate(all="ignore"):
        return _newton(problem, z0, rows, settings, context, anchor)


def _newton(problem, z0, rows, settings, context, anchor=None):
    anchor = z0 if anchor is None else anchor
    N = z0.shape[0]
    single = rows.ndim == 1
    m = N - 1 if single else N - rows.shape[0]
    A = None
    res = np.empty(N)
    tol = settings.residual_tol
    if settings.relative:
        tol *= 1.0 + float(np.abs(z0).max())
    step_tol, divergence = settings.step_tol, settings.divergence_factor
    z = z0
    last = dz_norm = math.inf
    evaluate = problem.evaluate
    fill = structured = None
    A = factor = None
    solver = getattr(problem, "linear_solver", None)
    for it in range(settings.max_iter + 1):
        ev = evaluate(z, context)
        context = ev.context
        if fill is None:      # the unbound methods, looked up once per solve
            fill = getattr(type(ev), "fill_jacobian", None) or False
            # an evaluation may solve its bordered system itself (structured linear algebra,
            # e.g. multiple shooting): then the dense matrix is never built
            structured = getattr(type(ev), "solve_bordered", None) if single else None
            if structured is None:
                A = np.empty((N, N))
                A[m:] = rows
        res[:m] = ev.residual
        if single:
            res[m] = rows @ (z - anchor)
        else:
            res[m:] = rows @ (z - anchor)
        if structured is not None:
            jacobian_sum = 0.0 if ev.finite else math.nan
        else:
            if fill:
                fill(ev, A)
            else:
                A[:m] = ev.jacobian
            jacobian_sum = float(A.sum())
        # Python on the short list; the sums make NaN/inf anywhere in H or DH visible
        values = res.tolist()
        res_norm = max(map(abs, values))
        if not math.isfinite(res_norm + sum(values) + jacobian_sum):
            return Correction(False, z, None, it, finite=False)
        if res_norm <= tol and (step_tol is None or (
                it > 0 and dz_norm <= step_tol * (1.0 + float(np.abs(z).max())))):
            return Correction(True, z, ev, it, matrix=A, factor=factor)
        if it == settings.max_iter or (divergence is not None and it >= 2
                                       and res_norm > divergence * last):
            return Correction(False, z, ev, it)
        last = res_norm
        if structured is not None:
            try:
                dz, info = structured(ev, rows, res)[0], 0
            except np.linalg.LinAlgError:
                info = 1
        elif solver is None:
            lu, piv, dz, info = dgesv(A, res)
            factor = (lu, piv)
        else:
            dz, factor, info = solver(A, res)
        if info != 0:
            return Correction(False, z, ev, it + 1)
        dz_norm = max(map(abs, dz.tolist()))
        if not math.isfinite(dz_norm):
            return Correction(False, z, ev, it + 1)
        z = z - dz
    return Correction(False, z, None, settings.max_iter)   # pragma: no cover


# ---------------------------------------------------------------------------------------------
# points, step control and the marching loop
# ---------------------------------------------------------------------------------------------
class ContinuationProblem(Protocol):
    """What :func:`march` needs from a problem (see the module docstring)."""

    n_unknowns: int
    parameter_indices: tuple

    def evaluate(self, z: np.ndarray, context: Any) -> Any: ...


class Point:
    """An accepted point: ``z`` (N,), unit tangent ``t`` (N,) oriented along the march,
    ``det_sign`` of the bordered matrix, the ``evaluation`` there, Newton iterations, the
    ``context`` it was computed with and the problem's ``data`` (``problem.describe``)."""

    __slots__ = ("z", "t", "det_sign", "evaluation", "n_iter", "context", "data")

    def __init__(self, z: np.ndarray, t: np.ndarray, det_sign: float, evaluation, n_iter: int,
                 context=None, data=None):
        self.z = z
        self.t = t
        self.det_sign = det_sign
        self.evaluation = evaluation
        self.n_iter = n_iter
        self.context = context
        self.data = data

    def reversed(self) -> Point:
        """The same point with the opposite orientation (tangent and determinant sign)."""
        return Point(self.z, -self.t, -self.det_sign, self.evaluation, self.n_iter,
                     self.context, self.data)


@dataclass(frozen=True)
class StepControl:
    """Step-size control of :func:`march` (built from the public options classes).

    ``max_points`` counts the start point. A step is rejected and retried with ``shrink`` times
    the step when the corrector fails, the correction is longer than ``max_correction`` steps,
    the tangent turns by more than ``max_turn_angle`` (unless ``turn_at_min_step`` and the step
    is within a factor 2 of ``ds_min``), or the problem vetoes it; after a correction of at most
    ``fast_newton_iter`` iterations the step grows by ``grow`` up to ``ds_max``.
    """

    ds: float
    ds_min: float
    ds_max: float
    max_points: int
    grow: float
    shrink: float
    fast_newton_iter: int
    max_turn_angle: float
    max_correction: float
    corrector: CorrectorSettings
    turn_at_min_step: bool = False


@dataclass
class MarchResult:
    """Points of one direction (the start first), why it ended, rejected steps, iterations."""

    points: list
    status: ContinuationStatus
    n_rejected: int = 0
    n_iter: int = 0

    @property
    def n_steps(self) -> int:
        return len(self.points) - 1


def _accept(describe, z, ev, previous, n_iter, context, corr=None, tangent_from=None):
    if tangent_from is not None and corr is not None:
        t, sign = tangent_from(corr, previous)
    else:
        t, sign = evaluation_tangent(ev, previous)
    point = Point(z, t, sign, ev, n_iter, context)
    if describe is not None:
        point.data = describe(point)
    return point


def _closed(z_start, z_prev, z_new, step, travelled, longest) -> bool:
    """The start lies (nearly) on the chord just travelled, after a curve long enough not to
    be the first steps again."""
    if not travelled > 3 * longest:
        return False
    d = z_prev - z_start
    if float(d @ d) > (1.25 * step) ** 2:     # the chord cannot pass within 0.25 step
        return False
    chord = z_new - z_prev
    s = min(max(float((z_start - z_prev) @ chord) / step**2, 0.0), 1.0)
    d = z_prev + s * chord - z_start
    return math.sqrt(float(d @ d)) < 0.25 * step


class _Box:
    """The bounds of the parameters: landing predictors and chords on them."""

    def __init__(self, indices, lower, upper):
        self.bounds = [(int(j), float(lo), float(hi)) for j, lo, hi in zip(indices, lower,
                                                                          upper)]
        # one parameter, the common case: checked inline by the step
        self.single = self.bounds[0] if len(self.bounds) == 1 else None

    def outside(self, z) -> bool:
        for j, lo, hi in self.bounds:
            v = z.item(j)
            if not lo <= v <= hi:
                return True
        return False

    def landing(self, z, direction, fraction_max):
        """The first bound that ``z + h * direction`` crosses for 0 < h <= fraction_max:
        (h, j, bound), or None."""
        best = None
        for j, lo, hi in self.bounds:
            d = direction.item(j)
            target = z.item(j) + fraction_max * d
            if lo <= target <= hi or d == 0:
                continue
            bound = hi if target > hi else lo
            h = (bound - z.item(j)) / d
            if best is None or h < best[0]:
                best = (h, j, bound)
        return best

    @staticmethod
    def on_bound(z, j, bound) -> bool:
        return abs(z.item(j) - bound) <= 1e-14 * (1 + abs(bound))


def march(problem, start: Point, control: StepControl, box: tuple, *,
          ds: float | None = None, on_point: Callable | None = None,
          stop: Callable | None = None, bar=None) -> MarchResult:
    """Continue from ``start`` along ``start.t`` until a bound, the point limit, a closed
    curve, a failure, ``on_point`` returning False, or ``stop`` returning a status.

    box : (indices, lower, upper) of the bounded parameters. ``on_point(point, index, ds)`` is
    called after every accepted point; ``stop(previous, point)`` may end the march with the
    status it returns. Ctrl-C ends it with ``INTERRUPTED`` and keeps the points.
    """
    result = MarchResult([start], ContinuationStatus.CORRECTOR_FAILED)
    try:
        with np.errstate(all="ignore"):
            _march_loop(problem, result, control, _Box(*box), abs(control.ds if ds is None
                                                                 else ds),
                        on_point, stop, bar)
    except KeyboardInterrupt:
        result.status = ContinuationStatus.INTERRUPTED
    return result


class _Hooks:
    """The optional methods of a problem, looked up once per march."""

    def __init__(self, problem, control):
        self.cos_max = math.cos(control.max_turn_angle)
        self.next_context = getattr(problem, "next_context", None)
        self.admissible = getattr(problem, "admissible", None)
        self.describe = getattr(problem, "describe", None)
        self.tangent_from = getattr(problem, "tangent_from", None)
        self.unit = np.eye(problem.n_unknowns)


def _march_loop(problem, result, control, box, ds, on_point, stop, bar):
    # One loop, kept in one piece (about 90 lines) on purpose: it is the hot loop of every
    # continuation, and the step as a function of its own measured a few per cent slower on
    # the Hénon benchmark (benchmarks/bench_continuation.py).
    points = result.points
    start = points[0]
    hooks = _Hooks(problem, control)
    newton, unit, cos_max, single = _newton, hooks.unit, hooks.cos_max, box.single
    next_context, describe, admissible = hooks.next_context, hooks.describe, hooks.admissible
    settings, shrink, ds_min = control.corrector, control.shrink, control.ds_min
    travelled = longest = 0.0
    context = next_context(start) if next_context is not None else start.context
    while True:
        if len(points) >= control.max_points:
            result.status = ContinuationStatus.MAX_POINTS
            return
        cur = points[-1]
        z_pred = cur.z + ds * cur.t
        outside = (not single[1] <= z_pred.item(single[0]) <= single[2]) if single \
            else box.outside(z_pred)
        landing = box.landing(cur.z, cur.t, ds) if outside else None
        if landing is not None:
            h, j, bound = landing
            if box.on_bound(cur.z, j, bound):
                result.status = ContinuationStatus.REACHED_BOUND
                return
            z_pred = cur.z + h * cur.t
            z_pred[j] = bound
            corr = newton(problem, z_pred, unit[j], settings, context)
        else:
            corr = newton(problem, z_pred, cur.t, settings, context)
        result.n_iter += corr.n_iter
        ok, reason = corr.ok, ContinuationStatus.CORRECTOR_FAILED
        on_chord = False
        if ok and landing is None and ((not single[1] <= corr.z.item(single[0]) <= single[2])
                                       if single else box.outside(corr.z)):
            # the corrector left the box although the predictor did not: land on the chord
            corr, landing = _land_on_chord(problem, box, cur.z, corr.z, settings, context, unit)
            result.n_iter += corr.n_iter
            ok = on_chord = corr.ok
            if ok and (landing[0] <= 0.0 or _same_point(corr.z, cur.z)):
                # the chord leaves the box where it starts (the corrector jumped over a fold
                # out through the bound cur lies on): landing would return cur as a new point
                ok, reason, landing = False, ContinuationStatus.STEP_TOO_SMALL, None
        if ok:
            z = corr.z
            dz = z - z_pred
            if not on_chord and math.sqrt(float(dz @ dz)) > control.max_correction * ds + 1e-12:
                ok, reason = False, ContinuationStatus.STEP_TOO_SMALL
            else:
                try:
                    point = _accept(describe, z, corr.evaluation, cur.t, corr.n_iter, context,
                                    corr, hooks.tangent_from)
                except np.linalg.LinAlgError:
                    ok = False
            if ok and not float(point.t @ cur.t) >= cos_max and not (
                    control.turn_at_min_step and ds <= 2 * ds_min):
                ok, reason = False, ContinuationStatus.STEP_TOO_SMALL
            # several multipliers crossing at once (say): a shorter step gives each a segment
            if ok and admissible is not None and ds * shrink >= ds_min and \
                    not admissible(cur, point):
                ok, reason = False, ContinuationStatus.STEP_TOO_SMALL
        if not ok:
            result.n_rejected += 1
            if not corr.finite and ds * shrink < ds_min:
                result.status = ContinuationStatus.NON_FINITE
                return
            ds *= shrink
            if ds < ds_min:
                result.status = reason
                return
            continue
        points.append(point)
        if bar is not None:
            bar.update(1)
        if on_point is not None and on_point(point, len(points) - 1, ds) is False:
            result.status = ContinuationStatus.STOPPED_BY_CALLBACK
            return
        if landing is not None:
            result.status = ContinuationStatus.REACHED_BOUND
            return
        if stop is not None:
            status = stop(cur, point)
            if status is not None:
                result.status = status
                return
        chord = z - cur.z
        step = math.sqrt(float(chord @ chord))
        travelled += step
        if step > longest:
            longest = step
        if travelled > 3 * longest and step > 0 and _closed(start.z, cur.z, z, step, travelled,
                                                            longest):
            result.status = ContinuationStatus.CLOSED_LOOP
            return
        if next_context is not None:
            context = next_context(point)
        if corr.n_iter <= control.fast_newton_iter:
            ds = min(ds * control.grow, control.ds_max)


def _same_point(a: np.ndarray, b: np.ndarray) -> bool:
    return float(np.max(np.abs(a - b))) <= 1e-12 * (1.0 + float(np.max(np.abs(b))))


def _land_on_chord(problem, box, z_old, z_new, settings, context, unit):
    """Correct onto the bound that the chord z_old -> z_new crosses first."""
    h, j, bound = box.landing(z_old, z_new - z_old, 1.0)
    z0 = z_old + min(max(h, 0.0), 1.0) * (z_new - z_old)
    anchor = z0.copy()
    anchor[j] = bound
    return _newton(problem, z0, unit[j], settings, context, anchor), (h, j, bound)


def run_directions(problem, start: Point, control: StepControl, box: tuple,
                   direction: str, *, on_point: Callable | None = None,
                   stop: Callable | None = None, bar=None,
                   stop_both_on_callback: bool = True) -> dict:
    """March from ``start`` ("forward" along ``start.t``, "backward" against it, or both).

    Returns ``{"forward": MarchResult, "backward": MarchResult}`` (only the directions run).
    With "both", the backward march is skipped when the forward one closed the curve, was
    interrupted, or (if ``stop_both_on_callback``) was stopped by the callback. Backward points
    are oriented along the backward march; :meth:`Point.reversed` flips them.
    """
    runs: dict[str, MarchResult] = {}
    order = ("forward", "backward") if direction == "both" else (direction,)
    skip = {ContinuationStatus.CLOSED_LOOP, ContinuationStatus.INTERRUPTED}
    if stop_both_on_callback:
        skip.add(ContinuationStatus.STOPPED_BY_CALLBACK)
    for which in order:
        if which == "backward" and "forward" in runs and runs["forward"].status in skip:
            break
        first = start if which == "forward" else start.reversed()
        callback = None
        if on_point is not None:
            def callback(point, index, ds, which=which):
                return on_point(point, index, ds, which)
        runs[which] = march(problem, first, control, box, on_point=callback, stop=stop,
                            bar=bar)
    return runs
