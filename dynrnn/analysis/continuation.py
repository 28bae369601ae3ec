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
of :mod:`dynrnn.analysis.bifurcations` use the multipliers (eigenvalues of :math:`D_x F^k`).

References
----------
.. [1] H. B. Keller, "Numerical solution of bifurcation and nonlinear eigenvalue problems", in
   *Applications of Bifurcation Theory*, Academic Press, 1977.
.. [2] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
   ch. 10 (numerical continuation; test functions for maps).
.. [3] E. L. Allgower and K. Georg, *Introduction to Numerical Continuation Methods*, SIAM, 2003.
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Callable, Literal

import numpy as np

from scipy.linalg.lapack import dgesv

from .._tables import TableSpec, Tabular
from ..errors import ConvergenceError, InvalidInputError, InvalidTypeError, ShapeError
from ..model.base import RecurrentMap, as_finite_array
from ..model.families import ParameterFamily, as_family
from .bifurcations import multiplier_signs
from .special_points import Bifurcation

__all__ = ["ContinuationStatus", "ContinuationOptions", "ContinuationPoint", "Branch",
           "continuation", "switch_branch"]


class ContinuationStatus(str, enum.Enum):
    """Why one end of a branch stopped. The values are readable messages."""

    START = "the branch starts here (the corrected start point or a branch-switching point)"
    REACHED_BOUND = "reached a parameter bound"
    MAX_POINTS = ("stopped after options.max_points points; raise max_points or ds_max to go "
                  "further")
    CORRECTOR_FAILED = ("the corrector did not converge even with the smallest step ds_min "
                        "(a singularity, a non-finite map value, or too few Newton iterations: "
                        "try a smaller ds_min or a larger max_newton_iter)")
    STEP_TOO_SMALL = ("the step fell below ds_min because every step turned the tangent too "
                      "sharply or jumped off the branch (a cusp or a branch point?); try a "
                      "smaller ds_min or a larger max_turn_angle")
    STOPPED_BY_CALLBACK = "the callback returned False"
    CLOSED_LOOP = "the branch returned to its start point (a closed curve)"
    INTERRUPTED = "interrupted (KeyboardInterrupt); the points computed so far are kept"
    COLLAPSED = ("the doubled cycle collapsed back onto a cycle of half its period (the branch "
                 "ends at another flip of the branch it was switched from)")

    @property
    def is_failure(self) -> bool:
        return self in (ContinuationStatus.CORRECTOR_FAILED, ContinuationStatus.STEP_TOO_SMALL,
                        ContinuationStatus.INTERRUPTED)


@dataclass(frozen=True)
class ContinuationOptions:
    """Step control, corrector and detection settings for :func:`continuation`.

    Attributes
    ----------
    ds : float
        Initial arclength step (its sign is ignored; ``direction`` sets the way).
    ds_min, ds_max : float
        Bounds on the step: ``ds_min <= |ds| <= ds_max``.
    max_points : int
        Most points per direction (including the start point).
    newton_tol : float
        Corrector tolerance on ``max|G|`` and the arclength residual, scaled by ``1 + max|z|``.
    max_newton_iter : int
        Most Newton iterations per corrector call.
    grow, shrink : float
        Step factors after a fast convergence (at most ``fast_newton_iter`` iterations) and after
        a rejected step.
    fast_newton_iter : int
    max_turn_angle : float
        Largest angle (radians) between consecutive tangents; sharper turns are rejected and
        retried with a smaller step, which keeps the branch from jumping to a neighbour.
    max_correction : float
        Largest corrector displacement, as a multiple of ``|ds|``.
    detect : bool
        Detect and locate LP, PD, NS and BP points.
    locate_tol : float
        Arclength (hence parameter) tolerance of the location.
    max_locate_iter : int
    switch_amplitude : float
        Distance from the bifurcation point of the first point of a switched branch.
    """

    ds: float = 0.01
    ds_min: float = 1e-7
    ds_max: float = 0.1
    max_points: int = 2000
    newton_tol: float = 1e-10
    max_newton_iter: int = 10
    grow: float = 1.5
    shrink: float = 0.5
    fast_newton_iter: int = 3
    max_turn_angle: float = 0.6
    max_correction: float = 1.0
    detect: bool = True
    locate_tol: float = 1e-11
    max_locate_iter: int = 60
    switch_amplitude: float = 1e-3

    def __post_init__(self):
        for name in ("ds", "ds_min", "ds_max", "newton_tol", "grow", "shrink", "max_turn_angle",
                     "max_correction", "locate_tol", "switch_amplitude"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating,
                                                                 np.integer)):
                raise InvalidTypeError(f"ContinuationOptions.{name} must be a number, got "
                                       f"{value!r}", argument=name, value=value)
            if not math.isfinite(value):
                raise InvalidInputError(f"ContinuationOptions.{name} must be finite, got {value}",
                                        argument=name, value=value)
        for name in ("max_points", "max_newton_iter", "fast_newton_iter", "max_locate_iter"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise InvalidTypeError(f"ContinuationOptions.{name} must be an integer, got "
                                       f"{value!r}", argument=name, value=value)
        if not 0 < self.ds_min <= abs(self.ds) <= self.ds_max:
            raise InvalidInputError(
                f"ContinuationOptions needs 0 < ds_min <= |ds| <= ds_max; got ds_min="
                f"{self.ds_min}, ds={self.ds}, ds_max={self.ds_max}", argument="ds",
                value=(self.ds_min, self.ds, self.ds_max))
        if self.max_points < 2:
            raise InvalidInputError(f"max_points must be >= 2, got {self.max_points}",
                                    argument="max_points", value=self.max_points)
        if self.max_newton_iter < 1:
            raise InvalidInputError(f"max_newton_iter must be >= 1, got {self.max_newton_iter}",
                                    argument="max_newton_iter", value=self.max_newton_iter)
        if self.newton_tol <= 0 or self.locate_tol <= 0:
            raise InvalidInputError(
                f"newton_tol and locate_tol must be positive; got newton_tol={self.newton_tol}, "
                f"locate_tol={self.locate_tol}", argument="newton_tol",
                value=(self.newton_tol, self.locate_tol))
        if not (self.grow >= 1.0 and 0.0 < self.shrink < 1.0):
            raise InvalidInputError(f"need grow >= 1 and 0 < shrink < 1; got grow={self.grow}, "
                                    f"shrink={self.shrink}", argument="grow",
                                    value=(self.grow, self.shrink))
        if not 0.0 < self.max_turn_angle <= math.pi:
            raise InvalidInputError(f"max_turn_angle must be in (0, pi], got "
                                    f"{self.max_turn_angle}", argument="max_turn_angle",
                                    value=self.max_turn_angle)
        if self.max_correction <= 0 or self.switch_amplitude <= 0:
            raise InvalidInputError(
                f"max_correction and switch_amplitude must be positive; got "
                f"{self.max_correction}, {self.switch_amplitude}", argument="max_correction",
                value=(self.max_correction, self.switch_amplitude))


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
    eigenvalues : ndarray of complex, shape (m, n_states)
        Multipliers (eigenvalues of the Jacobian of the k-fold map), by decreasing modulus.
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


# ---------------------------------------------------------------------------------------------
# the problem G(x, p) = F^k(x; p) - x and its derivatives
# ---------------------------------------------------------------------------------------------
class _Problem:
    """Evaluates G, G_x, G_p and the monodromy matrix on unchecked arrays (hot loop)."""

    def __init__(self, family: ParameterFamily, n: int, u, period: int):
        self.family = family
        self.n = n
        self.u = u
        self.period = period
        self._cache_p = None
        self._cache_map = None
        self._cache_u = None
        self.eye = np.eye(n)
        # (x, p) -> (F, F_x, F_p) without building a map per call where the family allows
        self._point = family._evaluator(u)

    def map_at(self, p: float):
        if p != self._cache_p:
            m = self.family.at(p)
            self._cache_map = m
            self._cache_u = self.u if self.u is not None else m.resolve_input(None)
            self._cache_p = p
        return self._cache_map, self._cache_u

    def evaluate(self, z: np.ndarray):
        """Return (G, G_x, G_p, M) at z = (x, p); M = D_x F^k."""
        x = z[:-1]
        p = z.item(-1)
        if self.period == 1:
            fx, M, gp = self._point(x, p)
        else:
            fx, M, gp = self._point(x, p)
            for _ in range(self.period - 1):
                fx, J, dp = self._point(fx, p)
                gp = J @ gp + dp
                M = J @ M
        return fx - x, M - self.eye, gp, M

    def residual(self, x: np.ndarray, p: float) -> np.ndarray:
        m, u = self.map_at(float(p))
        fx = x
        for _ in range(self.period):
            fx = m.step_unchecked(fx, u)
        return fx - x


def _solve(A: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, float]:
    """Solve A y = rhs by LU (LAPACK dgesv directly: a tenth of np.linalg.solve's overhead for
    the small bordered systems of maps) and return y with sign(det A) from the same LU."""
    lu, piv, y, info = dgesv(A, rhs)
    if info != 0:
        raise np.linalg.LinAlgError(f"singular bordered matrix (dgesv info={info})")
    # sign(det) = (-1)^(row swaps + negative pivots); scipy returns 0-based pivot indices.
    # Plain Python on the short lists: a handful of numpy reductions would cost more.
    odd = False
    for i, (pivot, d) in enumerate(zip(piv.tolist(), lu.diagonal().tolist())):
        odd ^= (pivot != i) ^ (d < 0)
    return y, (-1.0 if odd else 1.0)


def _scale(z: np.ndarray) -> float:
    return 1.0 + float(np.abs(z).max())


def _correct(problem: _Problem, z_pred: np.ndarray, row: np.ndarray, tol: float,
             max_iter: int):
    """Newton on [G(z); row·(z − z_pred)] = 0. Returns (ok, z, (G, Gx, Gp, M), n_iter)."""
    with np.errstate(all="ignore"):
        return _newton_loop(problem, z_pred, row, tol * _scale(z_pred), max_iter)


def _newton_loop(problem, z_pred, row, scale_tol, max_iter):
    n = problem.n
    z = z_pred
    A = np.empty((n + 1, n + 1))
    A[n] = row
    rhs = np.empty(n + 1)
    last = math.inf
    evaluate = problem.evaluate
    for it in range(max_iter + 1):
        g, gx, gp, M = evaluate(z)
        A[:n, :n] = gx
        A[:n, n] = gp
        rhs[:n] = g
        rhs[n] = row @ (z - z_pred)
        # Python on the short list; the sums make NaN/inf anywhere in G, G_x, G_p visible
        values = rhs.tolist()
        res = max(map(abs, values))
        if not math.isfinite(res + sum(values) + float(A.sum())):
            return False, z, None, it
        if res <= scale_tol:
            return True, z, (g, gx, gp, M), it
        if it == max_iter or (it >= 2 and res > 2.0 * last):
            return False, z, None, it
        last = res
        _, _, dz, info = dgesv(A, rhs)
        if info != 0:
            return False, z, None, it + 1
        if not math.isfinite(float(dz.sum())):
            return False, z, None, it + 1
        z = z - dz
    return False, z, None, max_iter


def _correct_state(problem: _Problem, x: np.ndarray, p: float, tol: float, max_iter: int):
    """Newton on G(x, p) = 0 in x alone. Returns (ok, x, residual_norm, n_iter)."""
    z = np.append(x, p)
    res = math.inf
    for it in range(max_iter + 1):
        with np.errstate(all="ignore"):
            g, gx, _, _ = problem.evaluate(z)
        if not np.all(np.isfinite(g)):
            return False, z[:-1], math.inf, it
        res = float(np.max(np.abs(g)))
        if res <= tol * _scale(z):
            return True, z[:-1], res, it
        if it == max_iter or not np.all(np.isfinite(gx)):
            break
        try:
            z[:-1] -= np.linalg.solve(gx, g)
        except np.linalg.LinAlgError:
            break
    return False, z[:-1], res, max_iter


def _tangent(gx, gp, row):
    """Unit tangent t with [Gx Gp] t = 0 and row·t > 0, and sign(det [[Gx, Gp], [row]])."""
    n = gx.shape[0]
    A = np.empty((n + 1, n + 1))
    A[:n, :n] = gx
    A[:n, n] = gp
    A[n] = row
    rhs = np.zeros(n + 1)
    rhs[n] = 1.0
    t, sign = _solve(A, rhs)
    t /= math.sqrt(float(t @ t))
    return t, sign


def _initial_tangent(gx, gp):
    """A unit null vector of [Gx Gp] (SVD, so it also works at a fold)."""
    Gz = np.hstack([gx, gp[:, None]])
    _, _, vt = np.linalg.svd(Gz)
    return vt[-1]


# ---------------------------------------------------------------------------------------------
# per-point records and the marching loop
# ---------------------------------------------------------------------------------------------
def _multipliers(M: np.ndarray) -> np.ndarray:
    """Multipliers by decreasing modulus."""
    if M.shape[0] == 1:
        return M[0].astype(complex)
    if M.shape[0] == 2:
        # closed form, in the cancellation-free order (Vieta for the smaller root), in plain
        # Python floats (numpy's per-call overhead would dominate); a complex pair is ordered
        # +imag first, as a stable sort by modulus would leave it
        (m00, m01), (m10, m11) = M.tolist()
        half_trace = 0.5 * (m00 + m11)
        det = m00 * m11 - m01 * m10
        disc = half_trace * half_trace - det
        if disc >= 0:
            big = half_trace + math.copysign(math.sqrt(disc), half_trace)
            small = det / big if big != 0 else 0.0
            if abs(small) > abs(big):     # rounding, when the two moduli are equal
                big, small = small, big
            return np.array([big, small], dtype=complex)
        root = math.sqrt(-disc)
        return np.array([complex(half_trace, root), complex(half_trace, -root)])
    mu = np.linalg.eigvals(M).astype(complex, copy=False)
    return mu[np.argsort(-np.abs(mu), kind="stable")]


@dataclass
class _Point:
    z: np.ndarray
    t: np.ndarray
    mu: np.ndarray
    det_sign: float
    n_newton: int
    signs: tuple = ()

    def __post_init__(self):
        if not self.signs:
            self.signs = multiplier_signs(self.mu)


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    d = a - b
    return math.sqrt(float(d @ d))


def _isolated(signs_a: tuple, signs_b: tuple) -> bool:
    """At most one real multiplier or one complex pair crossed the unit circle."""
    d_unstable = signs_b[2] - signs_a[2]
    d_complex = signs_b[3] - signs_a[3]
    return abs(d_unstable) <= 1 or (abs(d_unstable) == 2 and d_complex == d_unstable)


def _accepted_point(problem, z, data, row, n_newton):
    g, gx, gp, M = data
    t, sign = _tangent(gx, gp, row)
    return _Point(z, t, _multipliers(M), sign, n_newton)


def _march(problem: _Problem, start: _Point, opts: ContinuationOptions, lo: float, hi: float,
           ds: float, callback, bar, offset: int = 0, stop=None):
    """Continue from ``start`` along ``start.t``. Returns (points, status, n_rejected).

    ``stop(previous, point)`` may return a status to end the branch after ``point``. An
    interrupt (Ctrl-C) ends the branch with the points computed so far."""
    points = [start]
    try:
        return _march_loop(problem, points, opts, lo, hi, ds, callback, bar, offset, stop)
    except KeyboardInterrupt:
        return points, ContinuationStatus.INTERRUPTED, 0


def _march_loop(problem, points, opts, lo, hi, ds, callback, bar, offset, stop):
    start = points[0]
    n = problem.n
    cos_max = math.cos(opts.max_turn_angle)
    n_rejected = 0
    p_row = np.zeros(n + 1)
    p_row[n] = 1.0
    ds = abs(ds)
    last_reason = ContinuationStatus.CORRECTOR_FAILED
    start_z = start.z
    travelled = 0.0
    while True:
        if len(points) >= opts.max_points:
            return points, ContinuationStatus.MAX_POINTS, n_rejected
        cur = points[-1]
        z_pred = cur.z + ds * cur.t
        p_pred = z_pred[n]
        landing = None
        if p_pred > hi or p_pred < lo:
            bound = hi if p_pred > hi else lo
            if abs(cur.z[n] - bound) <= 1e-14 * (1 + abs(bound)):
                return points, ContinuationStatus.REACHED_BOUND, n_rejected
            h = (bound - cur.z[n]) / cur.t[n]
            z_pred = cur.z + h * cur.t
            z_pred[n] = bound
            landing = bound
            ok, z, data, nit = _correct(problem, z_pred, p_row, opts.newton_tol,
                                        opts.max_newton_iter)
        else:
            ok, z, data, nit = _correct(problem, z_pred, cur.t, opts.newton_tol,
                                        opts.max_newton_iter)
        reason = ContinuationStatus.CORRECTOR_FAILED
        if ok:
            dz = z - cur.z
            step = math.sqrt(float(dz @ dz))
            dz = z - z_pred
            if math.sqrt(float(dz @ dz)) > opts.max_correction * ds + 1e-12:
                ok = False
                reason = ContinuationStatus.STEP_TOO_SMALL
            else:
                try:
                    point = _accepted_point(problem, z, data, cur.t, nit)
                except np.linalg.LinAlgError:
                    ok = False
                if ok and float(point.t @ cur.t) < cos_max:
                    ok = False
                    reason = ContinuationStatus.STEP_TOO_SMALL
                if ok and opts.detect and ds * opts.shrink >= opts.ds_min and \
                        not _isolated(cur.signs, point.signs):
                    # several multipliers crossed the unit circle in one step: shorten it so
                    # that each special point gets its own segment (else two NS crossings, or
                    # an NS and a BP, can cancel in the sign tests)
                    ok = False
                    reason = ContinuationStatus.STEP_TOO_SMALL
        if not ok:
            n_rejected += 1
            last_reason = reason
            ds *= opts.shrink
            if ds < opts.ds_min:
                return points, last_reason, n_rejected
            continue
        points.append(point)
        travelled += step
        if bar is not None:
            bar.update(1)
        if callback is not None:
            info = ContinuationPoint(offset + len(points) - 1, float(z[n]), z[:n].copy(),
                                     bool(np.abs(point.mu[0]) < 1.0), point.mu.copy(), ds)
            if callback(info) is False:
                return points, ContinuationStatus.STOPPED_BY_CALLBACK, n_rejected
        if landing is not None:
            return points, ContinuationStatus.REACHED_BOUND, n_rejected
        if stop is not None:
            status = stop(cur, point)
            if status is not None:
                return points, status, n_rejected
        if (travelled > 4 * opts.ds_max and _distance(z, start_z) < 0.5 * ds
                and float(point.t @ start.t) > 0.9):
            return points, ContinuationStatus.CLOSED_LOOP, n_rejected
        if nit <= opts.fast_newton_iter:
            ds = min(ds * opts.grow, opts.ds_max)


# ---------------------------------------------------------------------------------------------
# assembling a Branch
# ---------------------------------------------------------------------------------------------
def _assemble(problem: _Problem, points: list, statuses: tuple, n_rejected: int,
              opts: ContinuationOptions, skip_segments=(), raise_on_failure=False) -> Branch:
    """Build the Branch from ordered points (tangents oriented forward) and locate specials."""
    n = problem.n
    Z = np.array([pt.z for pt in points])
    T = np.array([pt.t for pt in points])
    mu = np.array([pt.mu for pt in points])
    det_sign = np.array([pt.det_sign for pt in points])
    n_newton = np.array([pt.n_newton for pt in points], dtype=int)
    modulus = np.abs(mu)
    n_unstable = np.count_nonzero(modulus > 1.0, axis=1)
    stable = modulus[:, 0] < 1.0
    steps = np.linalg.norm(np.diff(Z, axis=0), axis=1)
    arclength = np.concatenate([[0.0], np.cumsum(steps)])
    bifurcations: tuple = ()
    if opts.detect and len(points) > 1:
        from .bifurcations import detect_and_locate
        signs = np.array([pt.signs for pt in points])
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


def _reverse(points: list) -> list:
    out = []
    for pt in reversed(points):
        out.append(_Point(pt.z, -pt.t, pt.mu, -pt.det_sign, pt.n_newton, pt.signs))
    return out


def _run_directions(problem, first: _Point, opts, lo, hi, direction, callback, progress,
                    ds=None):
    """March from ``first`` in one or both directions; returns (points, statuses, n_rejected)."""
    ds = abs(opts.ds) if ds is None else ds
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=opts.max_points * (2 if direction == "both" else 1),
                   desc=f"continuation in {getattr(problem.family, 'name', 'p')}")
    try:
        if direction == "both":
            fwd, st_f, rej_f = _march(problem, first, opts, lo, hi, ds, callback, bar)
            back_start = _Point(first.z, -first.t, first.mu, -first.det_sign, first.n_newton,
                                first.signs)
            if st_f in (ContinuationStatus.CLOSED_LOOP, ContinuationStatus.STOPPED_BY_CALLBACK,
                        ContinuationStatus.INTERRUPTED):
                bwd, st_b, rej_b = [back_start], ContinuationStatus.START, 0
            else:
                bwd, st_b, rej_b = _march(problem, back_start, opts, lo, hi, ds, callback, bar)
            points = _reverse(bwd) + fwd[1:]
            return points, (st_b, st_f), rej_f + rej_b
        pts, st, rej = _march(problem, first, opts, lo, hi, ds, callback, bar)
        return pts, (ContinuationStatus.START, st), rej
    finally:
        if bar is not None:
            bar.close()


def _check_bounds(bounds, p0):
    try:
        lo, hi = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise InvalidInputError(f"bounds must be a pair (lo, hi) of numbers, got {bounds!r}",
                                argument="bounds", value=bounds) from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise InvalidInputError(f"bounds must be finite with lo < hi, got ({lo}, {hi})",
                                argument="bounds", value=bounds)
    if not lo <= p0 <= hi:
        raise InvalidInputError(f"bounds ({lo}, {hi}) must contain the start parameter "
                                f"p0={p0}", argument="bounds", value=bounds)
    return lo, hi


def _resolve_family(system, param):
    if isinstance(param, ParameterFamily):
        return param
    if not isinstance(system, RecurrentMap):
        raise InvalidTypeError(f"system must be a RecurrentMap (RNN, Map, ...), got "
                               f"{type(system).__name__}", argument="system", value=system)
    return as_family(system, param)


def continuation(system: RecurrentMap, param, start, bounds: tuple[float, float], *,
                 p0: float | None = None, period: int = 1, u=None,
                 options: ContinuationOptions | None = None,
                 direction: Literal[1, -1, "both"] = 1, raise_on_failure: bool = False,
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
    direction : 1, -1 or "both"
        Initial direction of the parameter; "both" joins the two halves into one branch ordered
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
        message gives the residual), a bad period or direction.
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
    >>> branch = dr.continuation(net, "b[0]", [4.97], bounds=(-5.0, 0.0), direction=-1)
    >>> [f"{b.kind.value} {b.param:.6f}" for b in branch.bifurcations]
    ['LP -2.655610', 'LP -2.344390']
    """
    opts = options if options is not None else ContinuationOptions()
    if not isinstance(opts, ContinuationOptions):
        raise InvalidTypeError(f"options must be a ContinuationOptions, got "
                               f"{type(opts).__name__}", argument="options", value=opts)
    family = _resolve_family(system, param)
    if isinstance(period, bool) or not isinstance(period, (int, np.integer)) or period < 1:
        raise InvalidInputError(f"period must be a positive integer, got {period!r}",
                                argument="period", value=period)
    if direction not in (1, -1, "both"):
        raise InvalidInputError(f"direction must be 1, -1 or 'both', got {direction!r}",
                                argument="direction", value=direction)
    if p0 is None:
        p0 = family.current_value()
        if p0 is None:
            raise InvalidInputError("the family has no current value; pass p0",
                                    argument="p0", value=None)
    p0 = float(as_finite_array(p0, "p0"))
    lo, hi = _check_bounds(bounds, p0)
    map0 = family.at(p0)
    n = map0.n_states
    x0 = as_finite_array(start, "start")
    if x0.shape != (n,):
        raise ShapeError(f"start must have shape ({n},), got {x0.shape}", argument="start",
                         expected=(n,), actual=x0.shape)
    u_res = None if u is None else map0.resolve_input(u)
    problem = _Problem(family, n, u_res, int(period))
    first, info = _start_point(problem, x0, p0, opts, direction)
    return _assemble(problem, *_run_directions(problem, first, opts, lo, hi, direction,
                                               callback, progress),
                     opts, raise_on_failure=raise_on_failure)


def _start_point(problem: _Problem, x0, p0, opts, direction):
    ok, x, res, nit = _correct_state(problem, x0.copy(), p0, opts.newton_tol,
                                     max(opts.max_newton_iter, 20))
    if not ok:
        start_res = float(np.max(np.abs(problem.residual(x0, p0))))
        raise InvalidInputError(
            f"start is not near a fixed point{'' if problem.period == 1 else ' of the '}"
            f"{'' if problem.period == 1 else str(problem.period) + '-fold map'} at "
            f"{getattr(problem.family, 'name', 'p')}={p0}: Newton did not converge (residual "
            f"max|F^k(start) - start| = {start_res:.3g} at start, {res:.3g} after {nit} "
            "iterations); pass a better start (e.g. from find_fixed_points)",
            argument="start", value=x0)
    z = np.append(x, p0)
    g, gx, gp, M = problem.evaluate(z)
    t = _initial_tangent(gx, gp)
    want = -1.0 if direction == -1 else 1.0
    if t[-1] * want < 0:
        t = -t
    try:
        t2, sign = _tangent(gx, gp, t)
    except np.linalg.LinAlgError:
        # [G_x G_p] has rank < n: no unique tangent (a branch point, a continuum of fixed
        # points, or a parameter that does not enter G at this point)
        raise InvalidInputError(
            f"start is a singular point at {getattr(problem.family, 'name', 'p')}={p0}: "
            "[dG/dx dG/dp] is rank-deficient there (a branch point, a continuum of fixed "
            "points, or a parameter that does not act at this point), so the branch has no "
            "unique direction; start at a nearby point or continue in another parameter",
            argument="start", value=x0) from None
    return _Point(z, t2, _multipliers(M), sign, nit), res


# ---------------------------------------------------------------------------------------------
# branch switching
# ---------------------------------------------------------------------------------------------
def _family_for(branch: Branch, system, param) -> ParameterFamily:
    if isinstance(param, ParameterFamily):
        return param
    if system is not None:
        return _resolve_family(system, branch.param_name if param is None else param)
    if param is not None:
        raise InvalidInputError("param given without system; pass system= too (or a "
                                "ParameterFamily as param)", argument="param", value=param)
    if branch.family is None:
        raise InvalidInputError(
            "this branch carries no family (it was loaded from disk?); pass system= (and "
            "param= unless the parameter is the named parameter "
            f"{branch.param_name!r})", argument="system", value=None)
    return branch.family


def _switch_direction(problem_new: _Problem, z_star: np.ndarray, t_old: np.ndarray):
    """The unit direction of the second branch through z*: the null space of [G_x G_p]
    at a branch point is two-dimensional and contains the old tangent; take its complement."""
    _, gx, gp, _ = problem_new.evaluate(z_star)
    Gz = np.hstack([gx, gp[:, None]])
    _, sv, vt = np.linalg.svd(Gz)
    K = vt[-2:]                        # (2, n+1) approximately spanning the kernel
    a = K @ t_old
    d = K.T @ np.array([-a[1], a[0]])
    norm = np.linalg.norm(d)
    if norm == 0:
        d = K[0]
        norm = np.linalg.norm(d)
    return d / norm


def _collapse_test(half: _Problem, n: int):
    """Stop a doubled-cycle branch where it runs back onto the half-period branch.

    There the 2k-branch passes a branch point of F^{2k} (the other flip of the parent branch):
    det of the bordered matrix changes sign while F^k(x) − x, which is about twice the distance
    to the k-cycle, is within a few steps of zero."""
    def stop(previous: _Point, point: _Point):
        if previous.det_sign * point.det_sign >= 0:
            return None
        step = float(np.linalg.norm(point.z - previous.z))
        gap = min(float(np.abs(half.residual(q.z[:n], q.z[n])).max())
                  for q in (previous, point))
        return ContinuationStatus.COLLAPSED if gap < 4.0 * step else None
    return stop


def switch_branch(branch: Branch, bifurcation: Bifurcation, *, system: RecurrentMap | None = None,
                  param=None, bounds: tuple[float, float] | None = None,
                  options: ContinuationOptions | None = None,
                  amplitude: float | None = None, raise_on_failure: bool = False,
                  callback: Callable[[ContinuationPoint], bool] | None = None,
                  progress: bool = False) -> Branch:
    r"""Start the branch that leaves ``branch`` at a PD or BP point.

    At a flip (PD) of the k-fold map the period-2k cycles branch off: for
    :math:`G_{2k}(x, p) = F^{2k}(x; p) - x` the PD point is a branch point (the multiplier −1 of
    :math:`D F^k` is a multiplier +1 of :math:`D F^{2k}`), the null space of
    :math:`[\partial_x G_{2k}\ \partial_p G_{2k}]` is spanned by the old tangent and
    :math:`(v, 0)`, v the −1 eigenvector. At a branch point (BP) of the k-fold map the null space
    is two-dimensional too. In both cases the new branch starts along the null direction
    :math:`d` orthogonal to the old tangent: the first point solves :math:`G = 0` on the
    hyperplane :math:`d^\top (z - z^*) = \varepsilon` (so Newton cannot fall back onto the old
    branch), and continuation proceeds from there.

    Parameters
    ----------
    branch : Branch
    bifurcation : Bifurcation
        One of ``branch.bifurcations`` of kind PD or BP.
    system, param : optional
        Needed only when the branch carries no family (e.g. it was loaded from disk).
    bounds : (float, float), optional
        Default: the parameter range of ``branch``.
    options : ContinuationOptions, optional
    amplitude : float, optional
        ε, distance of the first new point from the bifurcation; default
        ``options.switch_amplitude``.

    Returns
    -------
    Branch
        Period 2k at PD (one point of the doubled cycle; its first point is the PD point), the
        same period at BP (both halves of the crossing branch, joined through the BP point).

    References
    ----------
    .. [1] H. B. Keller (1977); Yu. A. Kuznetsov (2004), §10.2.2 (branch switching) and §10.4.

    Examples
    --------
    >>> import sympy as sp, dynrnn as dr
    >>> x, r = sp.symbols("x r")
    >>> logistic = dr.Map.from_sympy([r * x * (1 - x)], [x], {r: 2.8})
    >>> fixed = dr.continuation(logistic, "r", [1 - 1 / 2.8], bounds=(2.8, 3.6))
    >>> pd = fixed.bifurcations[0]
    >>> cycle = dr.switch_branch(fixed, pd)
    >>> cycle.period, round(cycle.bifurcations[0].param, 8)
    (2, 3.44948974)
    """
    if not isinstance(branch, Branch):
        raise InvalidTypeError(f"branch must be a Branch, got {type(branch).__name__}",
                               argument="branch", value=branch)
    if not isinstance(bifurcation, Bifurcation):
        raise InvalidTypeError(f"bifurcation must be a Bifurcation, got "
                               f"{type(bifurcation).__name__}", argument="bifurcation",
                               value=bifurcation)
    kind = bifurcation.kind.value
    if kind not in ("PD", "BP"):
        raise InvalidInputError(f"bifurcation must be a PD or BP point to switch branches, got {kind}",
                                argument="bifurcation", value=bifurcation)
    opts = options if options is not None else ContinuationOptions()
    family = _family_for(branch, system, param)
    if bounds is None:
        bounds = (float(branch.params.min()), float(branch.params.max()))
    p_star = float(bifurcation.param)
    lo, hi = _check_bounds(bounds, p_star)
    eps = float(opts.switch_amplitude if amplitude is None else amplitude)
    if not eps > 0:
        raise InvalidInputError(f"amplitude must be positive, got {amplitude}",
                                argument="amplitude", value=amplitude)
    n = branch.states.shape[1]
    k = int(bifurcation.period)
    u = branch.u
    z_star = np.append(np.asarray(bifurcation.x, dtype=float), p_star)
    i = int(bifurcation.index) if 0 <= bifurcation.index < branch.n_points - 1 else None
    if i is not None:
        t_guess = branch.tangents[i] + branch.tangents[i + 1]
    else:
        nearest = int(np.argmin(np.abs(branch.params - p_star)))
        t_guess = branch.tangents[nearest].copy()
    t_guess = t_guess / np.linalg.norm(t_guess)
    old = _Problem(family, n, u, k)
    if kind == "PD":
        # the period-k branch is regular at a flip: its exact tangent
        _, gx, gp, _ = old.evaluate(z_star)
        t_old = _tangent(gx, gp, t_guess)[0]
        new = _Problem(family, n, u, 2 * k)
        signs = (1.0,)                  # x* ± εv are two points of the same doubled cycle
    else:
        t_old = t_guess
        new = _Problem(family, n, u, k)
        signs = (1.0, -1.0)
    d = _switch_direction(new, z_star, t_old)
    halves = []
    total_rejected = 0
    for sign in signs:
        row = sign * d
        ok, z1, data, nit = _correct(new, z_star + eps * row, row, opts.newton_tol,
                                     max(opts.max_newton_iter, 20))
        if ok and kind == "PD":
            # reject a collapse onto the period-k cycle
            if np.max(np.abs(old.residual(z1[:n], z1[n]))) < 1e-3 * eps:
                ok = False
        if not ok:
            halves.append(([], ContinuationStatus.CORRECTOR_FAILED, 0))
            continue
        first = _accepted_point(new, z1, data, row, nit)
        if not lo <= z1[n] <= hi:
            halves.append(([first], ContinuationStatus.REACHED_BOUND, 0))
            continue
        pts, st, rej = _march(new, first, opts, lo, hi, abs(opts.ds), callback, None,
                              stop=_collapse_test(old, n) if kind == "PD" else None)
        halves.append((pts, st, rej))
        total_rejected += rej
    g_star = new.evaluate(z_star)
    star = _Point(z_star, d, _multipliers(g_star[3]), 0.0, 0)
    if kind == "PD":
        pts, st, _ = halves[0]
        points = [star] + pts
        statuses = (ContinuationStatus.START, st)
        skip = {0}
        if st == ContinuationStatus.COLLAPSED:
            skip.add(len(points) - 2)   # the segment through the other flip
    else:
        (pts_p, st_p, _), (pts_m, st_m, _) = halves
        points = _reverse(pts_m) + [star] + pts_p
        statuses = (st_m, st_p)
        j = len(pts_m)
        skip = {j - 1, j}
    if len(points) == 1:
        statuses = (ContinuationStatus.CORRECTOR_FAILED, ContinuationStatus.CORRECTOR_FAILED)
    return _assemble(new, points, statuses, total_rejected, opts, skip_segments=skip,
                     raise_on_failure=raise_on_failure)
