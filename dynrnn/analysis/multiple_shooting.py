r"""Long cycles by multiple shooting: the k points of a cycle as unknowns.

Continuing a k-cycle as a fixed point of :math:`F^k` makes Newton's method work with the product
of k Jacobians, whose condition grows like the product of the multipliers' moduli: the
logistic map's period-16 branch already fails to correct. Here the unknowns are
:math:`z = (x_1, \dots, x_k, p)` and the residual is

.. math::

    H_j(z) = F(x_j; p) - x_{j+1}, \quad j = 1..k, \quad x_{k+1} = x_1,

whose Jacobian is block-cyclic (:math:`J_j` on the diagonal blocks, :math:`-I` on the
super-diagonal, :math:`\partial F/\partial p` in the last column) and well conditioned however
unstable the cycle. It is continued by the engine of :mod:`dynrnn.analysis.continuation`; the
bordered system (that Jacobian plus the pseudo-arclength row) is solved by orthogonal block
elimination around the cycle in :math:`O(k n^3)` time and :math:`O(k n^2)` memory
(``dynrnn.analysis.cyclic_bordered``), or by dense LU where that is faster (small k n). The
multipliers come from a periodic Schur form of the k Jacobians
(``dynrnn.analysis.periodic_schur``): the product :math:`M = J_k \cdots J_1` is never formed,
so a multiplier of :math:`10^{-300}` keeps its relative accuracy next to one of modulus 1.
Flips (PD), folds (LP) and Neimark–Sacker points (NS) are detected from the multipliers,
located by regula falsi on the arclength hyperplanes and given their normal-form coefficient;
the doubled cycle is started on the hyperplane :math:`\langle v, x - x^*\rangle = \epsilon`
through the flip vectors (the null vector of the anti-periodic shooting matrix), so that
:func:`period_doubling_cascade` follows a whole cascade (and ``switch_branch`` hands long
doubled cycles over to this module).

References
----------
.. [1] E. J. Doedel, H. B. Keller, J. P. Kernévez, "Numerical analysis and control of
   bifurcation problems (II)", Int. J. Bifurcation and Chaos 1 (1991) 745–772 (boundary-value
   and shooting formulations of periodic solutions).
.. [2] M. J. Feigenbaum, "Quantitative universality for a class of nonlinear
   transformations", J. Stat. Phys. 19 (1978) 25–52 (δ = 4.669201...).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .._checks import check_count
from .._signature_checks import checked_arguments
from .._tables import TableSpec, Tabular
from ..errors import InvalidInputError, InvalidTypeError, ShapeError
from ..model.base import RecurrentMap, as_finite_array, as_state
from ..model.families import as_family
from .continuation.engine import (
    ContinuationStatus,
    CorrectorSettings,
    Point,
    StepControl,
    check_interval,
    check_work,
    correct,
    evaluation_tangent,
    march,
    solve_bordered,
)
from .cyclic_bordered import dense_cyclic_bordered, solve_cyclic_bordered
from .normal_forms import coefficient_for_bifurcation
from .periodic_schur import periodic_multipliers
from .special_points import Bifurcation, BifurcationKind

__all__ = ["MAX_SHOOTING_SIZE", "ShootingBranch", "continue_cycle", "period_doubling_cascade"]

#: largest k · n_states (the unknowns of one cycle)
MAX_SHOOTING_SIZE = 2**18
#: largest memory (bytes) a continuation by shooting may need if every point is used
MAX_SHOOTING_BYTES = 8e9
#: above this k · n the dense bordered matrix is never built (it would take (k n + 1)² doubles)
_MAX_DENSE = 4096


def _dense_is_faster(k: int, n: int) -> bool:
    """Dense LU of the (kn + 1)² matrix beats the structured elimination for small kn: a
    cost model fitted to both (dense ≈ N³ at LAPACK speed; structured ≈ k Python steps of
    small QR factorisations); see benchmarks/bench_long_cycles.py."""
    N = k * n
    return N <= _MAX_DENSE and 2.5e-11 * N ** 3 < k * (4e-5 + 2.2e-9 * n ** 3)


class ShootingEvaluation:
    """The residual H (kn,), the Jacobians J (k, n, n) and parameter derivatives gp (k, n) at
    one z; the dense Jacobian (kn, kn + 1) only on demand. ``solve_bordered`` solves the
    bordered system for the engine (structured for large kn, see ``cyclic_bordered``)."""

    __slots__ = ("J", "context", "finite", "gp", "residual", "_jacobian")

    def __init__(self, residual, J, gp):
        self.residual, self.J, self.gp, self.context = residual, J, gp, None
        self.finite = bool(np.isfinite(J).all() and np.isfinite(gp).all())
        self._jacobian = None

    @property
    def jacobian(self) -> np.ndarray:
        if self._jacobian is None:
            k, n, _ = self.J.shape
            self._jacobian = dense_cyclic_bordered(self.J, self.gp, np.zeros((k, n)), 0.0)[:-1]
        return self._jacobian

    def solve_bordered(self, row: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, float]:
        """y with [DH; row] y = rhs, and the sign of that matrix's determinant."""
        k, n, _ = self.J.shape
        if _dense_is_faster(k, n):
            A = np.empty((k * n + 1, k * n + 1))
            A[:-1] = self.jacobian
            A[-1] = row
            return solve_bordered(A, rhs)
        return solve_cyclic_bordered(self.J, self.gp, row[:-1].reshape(k, n), float(row[-1]),
                                     rhs)


class ShootingProblem:
    """z = (x_1..x_k, p): the engine's problem interface (see continuation.engine)."""

    def __init__(self, family, n: int, period: int, u):
        self.family, self.n, self.k, self.u = family, n, period, u
        self.n_unknowns = n * period + 1
        self.parameter_indices = (n * period,)
        self._point = family.evaluator(u)

    def evaluate(self, z, context=None):
        n, k = self.n, self.k
        X = z[:-1].reshape(k, n)
        p = float(z[-1])
        F = np.empty((k, n))
        J = np.empty((k, n, n))
        gp = np.empty((k, n))
        for j in range(k):
            F[j], J[j], gp[j] = self._point(X[j], p)
        return ShootingEvaluation((F - np.roll(X, -1, axis=0)).ravel(), J, gp)

    def describe(self, point):
        return monodromy_multipliers(point.evaluation.J)


def monodromy_multipliers(J: np.ndarray) -> np.ndarray:
    """Eigenvalues of J[k-1] ··· J[0] by decreasing modulus, from the periodic Schur form
    (:func:`~dynrnn.analysis.periodic_schur.periodic_multipliers`: the product is never
    formed, so tiny and huge multipliers keep their relative accuracy)."""
    if not np.all(np.isfinite(J)):
        return np.full(J.shape[1], np.nan, dtype=complex)
    return periodic_multipliers(J)[0]


def _pd_test(mu: np.ndarray) -> float:
    """Π (μ_i + 1) / max(1, |μ_i|): the sign of det(M + I), continuous, and bounded."""
    return float(np.prod((mu + 1.0) / np.maximum(1.0, np.abs(mu))).real)


def _lp_test(mu: np.ndarray) -> float:
    """Π (μ_i − 1) / max(1, |μ_i|): zero where a multiplier is +1 (a fold of the cycle)."""
    return float(np.prod((mu - 1.0) / np.maximum(1.0, np.abs(mu))).real)


def _ns_test(mu: np.ndarray) -> float:
    """Π_{i<j} (μ_i μ_j − 1) / max(1, |μ_i μ_j|): zero where a complex pair has modulus 1
    (also at a neutral saddle μ_i μ_j = 1, which location rejects)."""
    n = mu.shape[0]
    if n < 2:
        return 1.0
    i, j = np.triu_indices(n, 1)
    product = mu[i] * mu[j]
    return float(np.prod((product - 1.0) / np.maximum(1.0, np.abs(product))).real)


_TESTS = {BifurcationKind.LP: _lp_test, BifurcationKind.PD: _pd_test,
          BifurcationKind.NS: _ns_test}


@dataclass(frozen=True)
class ShootingBranch(Tabular):
    """A branch of k-cycles continued by multiple shooting.

    Attributes
    ----------
    param_name : str
    period : int
    params : ndarray, shape (m,)
    cycles : ndarray, shape (m, period, n_states)
        All k points of the cycle at each branch point.
    eigenvalues : ndarray, shape (m, n_states)
        Multipliers of the k-fold map (decreasing modulus).
    stable : ndarray of bool, shape (m,)
    bifurcations : tuple of Bifurcation
        Located flips (PD), ``extra["cycle"]`` the k points, ``extra["eigenvectors"]`` the
        flip's eigenvector carried around the cycle (k, n).
    status : ContinuationStatus
    """

    param_name: str
    period: int
    params: np.ndarray
    cycles: np.ndarray
    eigenvalues: np.ndarray
    stable: np.ndarray
    bifurcations: tuple
    status: ContinuationStatus
    extra: dict = field(default_factory=dict)

    # the table: one row per branch point, the cycle's first point x_0 and its stability
    _table_spec = TableSpec(columns=("param=params", ("x0", lambda r: list(r.cycles[:, 0, :])),
                                     "stable"))

    @property
    def success(self) -> bool:
        return not self.status.is_failure

    def __repr__(self) -> str:
        pds = ", ".join(f"{b.param:.10g}" for b in self.bifurcations)
        return (f"ShootingBranch(period={self.period}, {self.params.shape[0]} points, "
                f"{self.param_name} in [{self.params.min():.6g}, {self.params.max():.6g}], "
                f"status={self.status.name}, PD at [{pds}])")

    __str__ = __repr__


def _control(ds, ds_max, max_points, tol):
    return StepControl(ds=ds, ds_min=1e-10, ds_max=ds_max, max_points=max_points, grow=1.5,
                       shrink=0.5, fast_newton_iter=3, max_turn_angle=0.5,
                       max_correction=4.0,
                       corrector=CorrectorSettings(residual_tol=tol, max_iter=10,
                                                   step_tol=1e-9))


def _locate(problem, a: Point, b: Point, test, tol: float, max_iter: int = 60):
    """Regula falsi (Illinois) of ``test(multipliers)`` on the hyperplanes t_a·(z − z_a) = s
    between two points: (z, evaluation, test value), or None if a correction fails."""
    settings = CorrectorSettings(residual_tol=tol, max_iter=20, step_tol=1e-13)
    s_hi = float(a.t @ (b.z - a.z))

    def at(s):
        corr = correct(problem, a.z + s * a.t, a.t, settings)
        if not corr.ok:
            return None
        return corr.z, corr.evaluation, test(monodromy_multipliers(corr.evaluation.J))

    lo, hi = (0.0, test(a.data)), (s_hi, test(b.data))
    best = (a.z, a.evaluation, lo[1])
    for _ in range(max_iter):
        (s0, f0), (s1, f1) = lo, hi
        s = s1 - f1 * (s1 - s0) / (f1 - f0)
        if not min(s0, s1) < s < max(s0, s1):
            s = 0.5 * (s0 + s1)
        got = at(s)
        if got is None:
            return None
        best = got
        f = got[2]
        if abs(f) < 1e-13 or abs(s1 - s0) < 1e-14 * max(1.0, abs(s_hi)):
            break
        if f * f1 < 0:
            lo, hi = (s1, f1), (s, f)
        else:
            lo, hi = (s0, 0.5 * f0), (s, f)
    return best


def flip_vectors(J: np.ndarray) -> np.ndarray:
    r"""The flip eigenvector carried around the cycle: :math:`v_{j+1} = J_j v_j` with
    :math:`v_k = -v_0` (k, n), scaled to max-norm 1.

    It is the null vector of the anti-periodic block-cyclic matrix (the shooting Jacobian
    with :math:`+I` closing the cycle), found by two steps of bordered inverse iteration with
    the structured solver (so no product of Jacobians is formed; the start comes from the
    rescaled product, which only has to be roughly right).
    """
    k, n, _ = J.shape
    M = np.eye(n)
    for Jj in J:
        M = Jj @ M
        M /= max(1.0, float(np.max(np.abs(M))))
    mu, V = np.linalg.eig(M)
    guess = np.empty((k, n))
    v = V[:, int(np.argmin(np.abs(mu + 1.0)))].real
    for j in range(k):
        v = v / max(float(np.linalg.norm(v)), 1e-300)
        guess[j] = v
        v = J[j] @ v
    column = np.random.default_rng(0).standard_normal((k, n))  # generic: not in the range
    rhs = np.zeros(k * n + 1)
    rhs[-1] = 1.0
    for _ in range(2):
        row = guess.ravel() / np.linalg.norm(guess)
        try:
            y, _ = solve_cyclic_bordered(J, column, row.reshape(k, n), 0.0, rhs, wrap=1.0)
        except np.linalg.LinAlgError:
            break
        guess = y[:-1].reshape(k, n)
    return guess / float(np.max(np.abs(guess)))


def check_shooting_size(period: int, n: int, max_points: int = 2000) -> None:
    """Refuse, before any work, a cycle too long for memory (named error saying how much)."""
    if period * n > MAX_SHOOTING_SIZE:
        raise InvalidInputError(
            f"period {period} with {n} states gives {period * n} shooting unknowns, more than "
            f"MAX_SHOOTING_SIZE = {MAX_SHOOTING_SIZE}; continue a shorter cycle",
            argument="period", value=int(period))
    # per point kept: z, t, multipliers (~3 k n doubles); per Newton step the Jacobians and
    # the elimination (~4 k n^2 doubles), or the dense matrix when that is the faster solve
    dense = (period * n + 1) ** 2 if _dense_is_faster(period, n) else 0
    needed = 8.0 * (3 * period * n * max_points + 4 * period * n * n + dense)
    check_work("period", int(period), needed, MAX_SHOOTING_BYTES,
               f"bytes for a branch of {period}-cycles with {n} states",
               "continue a shorter cycle or lower max_points")


def _check(system, bounds, period, n, max_points=2000, p0=None):
    if not isinstance(system, RecurrentMap):
        raise InvalidTypeError(f"system must be a RecurrentMap, got {type(system).__name__}",
                               argument="system", value=system)
    check_count(period, "period", 1, non_integer=InvalidInputError)
    check_shooting_size(int(period), n, max_points)
    return check_interval(bounds, "bounds", p0, value_name="p0")


def _check_cycle(system, cycle, argument: str = "cycle") -> np.ndarray:
    """The k points (k, n) of a cycle, or one point (n,) of a fixed point."""
    points = as_state(cycle, system.n_states, argument)
    if points.ndim > 2:
        raise ShapeError(f"{argument} must have shape (k, {system.n_states}), got "
                         f"{points.shape}", argument=argument,
                         expected=("k", system.n_states), actual=points.shape)
    return np.atleast_2d(points)


def _check_tangent(tangent, size: int) -> np.ndarray:
    t = as_finite_array(tangent, "tangent")
    if t.shape != (size,):
        raise ShapeError(f"tangent must have shape ({size},) (the k n cycle entries and the "
                         f"parameter), got {t.shape}", argument="tangent", expected=(size,),
                         actual=t.shape)
    if not np.any(t != 0):
        raise InvalidInputError("tangent must not be zero", argument="tangent", value=tangent)
    return t


def start_tangent(evaluation, row: np.ndarray) -> np.ndarray:
    """The unit tangent t of the branch with ``row @ t > 0`` (structured bordered solve)."""
    rhs = np.zeros(row.shape[0])
    rhs[-1] = 1.0
    t, _ = evaluation.solve_bordered(row / np.linalg.norm(row), rhs)
    return t / np.linalg.norm(t)


def march_cycles(problem: ShootingProblem, start: Point, bounds, *, ds: float, ds_max: float,
                 max_points: int, tol: float, on_point=None):
    """The engine's march on the shooting problem (``start.data`` set here)."""
    start.data = problem.describe(start)
    return march(problem, start, _control(ds, ds_max, max_points, tol),
                 ((problem.k * problem.n,), np.array([bounds[0]]), np.array([bounds[1]])),
                 on_point=on_point)


def locate_cycle_bifurcations(problem: ShootingProblem, points: list, name: str, tol: float,
                              skip=()) -> list:
    """PD, LP and NS points of a branch of cycles: sign changes of the test functions of the
    multipliers between consecutive points, located by regula falsi."""
    k, n = problem.k, problem.n
    found = []
    for kind, test in _TESTS.items():
        values = [test(pt.data) for pt in points]
        for i in range(len(points) - 1):
            if i in skip or not values[i] * values[i + 1] < 0:
                continue
            located = _locate(problem, points[i], points[i + 1], test, tol)
            if located is None:
                continue
            z, evaluation, value = located
            mu = monodromy_multipliers(evaluation.J)
            angle = None
            if kind == BifurcationKind.NS:
                pair = mu[np.abs(mu.imag) > 1e-8]
                if pair.shape[0] == 0 or abs(abs(pair[0]) - 1.0) > 1e-6:
                    continue            # a neutral saddle, not a Neimark–Sacker point
                angle = float(abs(np.angle(pair[0])))
            extra = {"cycle": z[:-1].reshape(k, n).copy(), "method": "multiple shooting"}
            if kind == BifurcationKind.PD:
                extra["eigenvectors"] = flip_vectors(evaluation.J)
            # soft or hard: the normal-form coefficient of the k-fold map (chain rule)
            coefficient, criticality = coefficient_for_bifurcation(
                problem.family.at(float(z[-1])), z[:n].copy(), kind, k, problem.u)
            found.append(Bifurcation(
                kind=kind, param=float(z[-1]), x=z[:n].copy(), eigenvalues=mu,
                bracket=(float(points[i].z[-1]), float(points[i + 1].z[-1])), param_name=name,
                period=k, index=i, test_value=float(value), angle=angle, extra=extra,
                coefficient=coefficient, criticality=criticality))
    found.sort(key=lambda b: b.index)
    return found


@checked_arguments
def continue_cycle(system: RecurrentMap, param, cycle, p0: float, bounds: tuple[float, float], *,
                   direction: Literal["forward", "backward"] = "forward", u=None,
                   ds: float = 1e-3, ds_max: float = 0.02, max_points: int = 2000,
                   tol: float = 1e-12, tangent=None) -> ShootingBranch:
    """Continue a k-cycle given by its k points ``cycle`` (k, n) at ``p0`` by multiple
    shooting, locating its flips (PD), folds (LP) and Neimark–Sacker points (NS).

    ``tangent`` (k n + 1,), optional, is the initial direction (default: the tangent of the
    branch, oriented by ``direction`` along the parameter).
    """
    family = as_family(system, param)
    cycle = _check_cycle(system, cycle)
    k, n = cycle.shape
    check_count(max_points, "max_points", 2, non_integer=InvalidInputError)
    p0 = float(as_finite_array(p0, "p0"))
    lo, hi = _check(system, bounds, k, n, int(max_points), p0)
    for value, label in ((ds, "ds"), (ds_max, "ds_max"), (tol, "tol")):
        if not (math.isfinite(value) and value > 0):
            raise InvalidInputError(f"{label} must be a positive number, got {value!r}",
                                    argument=label, value=value)
    if tangent is not None:
        tangent = _check_tangent(tangent, k * n + 1)
    problem = ShootingProblem(family, n, k, None if u is None else system.resolve_input(u))
    start = _start(problem, cycle, p0, direction, tol, tangent)
    result = march_cycles(problem, start, (lo, hi), ds=ds, ds_max=ds_max,
                          max_points=int(max_points), tol=tol)
    points = result.points
    bifurcations = locate_cycle_bifurcations(problem, points, family.name, tol)
    Z = np.array([pt.z for pt in points])
    mu = np.array([pt.data for pt in points])
    return ShootingBranch(family.name, k, Z[:, -1].copy(), Z[:, :-1].reshape(-1, k, n),
                          mu, np.abs(mu[:, 0]) < 1.0, tuple(bifurcations), result.status)


def _start(problem, cycle, p0, direction, tol, tangent) -> Point:
    """Correct the given cycle at p0 (then on the tangent hyperplane) into the first point."""
    k, n = cycle.shape
    z0 = np.concatenate([cycle.ravel(), [p0]])
    fixed_p = np.zeros(z0.shape[0])
    fixed_p[-1] = 1.0
    # correct at p0 first (the hyperplane p = p0), then require the cycle to be close to the
    # given points: Newton may otherwise converge to another, far, solution
    corr = correct(problem, z0, fixed_p, CorrectorSettings(residual_tol=tol, max_iter=30))
    far = (not corr.ok) or float(np.max(np.abs(corr.z[:-1] - z0[:-1]))) > 0.1 * max(
        1.0, float(np.max(np.abs(cycle))))
    if not far:
        if tangent is None:
            try:
                tangent = start_tangent(corr.evaluation, fixed_p)
            except np.linalg.LinAlgError:      # a fold at p0: the null vector of DH
                if k * n > _MAX_DENSE:
                    raise InvalidInputError(
                        f"the {k}-cycle at {problem.family.name} = {p0} is a fold; start the "
                        "continuation at a nearby parameter", argument="p0",
                        value=p0) from None
                tangent = np.linalg.svd(corr.evaluation.jacobian)[2][-1]
            if (tangent[-1] < 0) == (direction == "forward"):
                tangent = -tangent
        tangent = np.asarray(tangent, dtype=float) / np.linalg.norm(tangent)
        corr = correct(problem, corr.z, tangent,
                       CorrectorSettings(residual_tol=tol, max_iter=20))
    if far or not corr.ok:
        raise InvalidInputError(f"cycle is not near a {k}-cycle of the map at "
                                f"{problem.family.name} = {p0}", argument="cycle", value=cycle)
    t, sign = evaluation_tangent(corr.evaluation, tangent)
    return Point(corr.z, t, sign, corr.evaluation, corr.n_iter)


def doubled_cycle_start(problem: ShootingProblem, pd: Bifurcation, epsilon: float,
                        tol: float):
    """The first point of the 2k-cycle branch leaving the flip ``pd`` of a k-cycle
    (``pd.extra`` holds "cycle" and "eigenvectors"): x_j ± ε v_j corrected on the hyperplane
    through that guess orthogonal to (±v, 0). Returns (z, evaluation, row) or None."""
    cycle, v = pd.extra["cycle"], pd.extra["eigenvectors"]
    k = cycle.shape[0]
    sign = np.concatenate([np.ones(k), -np.ones(k)])[:, None]
    vv = np.concatenate([v, v])
    row = np.concatenate([(sign * vv).ravel(), [0.0]])
    row /= np.linalg.norm(row)
    guess = np.concatenate([(np.concatenate([cycle, cycle]) + epsilon * sign * vv).ravel(),
                            [pd.param]])
    corr = correct(problem, guess, row, CorrectorSettings(residual_tol=tol, max_iter=30))
    if not corr.ok:
        return None
    X = corr.z[:-1].reshape(2 * k, -1)
    if float(np.max(np.abs(X[:k] - X[k:]))) < 1e-3 * epsilon:
        return None                     # fell back onto the k-cycle traversed twice
    return corr.z, corr.evaluation, row


@checked_arguments
def period_doubling_cascade(system: RecurrentMap, param, start, p0: float,
                            bounds: tuple[float, float], *, max_period: int = 64, u=None,
                            epsilon: float = 1e-4, tol: float = 1e-12) -> tuple:
    """Follow a period-doubling cascade from a fixed point: at each flip of the k-cycle, start
    the 2k-cycle on the hyperplane ⟨v, x − x*⟩ = ε through the flip's eigenvector and continue
    it by multiple shooting, until period ``max_period``.

    Returns
    -------
    tuple of ShootingBranch
        The branches of period 1, 2, 4, ..., max_period (fewer if a flip is not found).
    """
    family = as_family(system, param)
    check_count(max_period, "max_period", 1, non_integer=InvalidInputError)
    start = _check_cycle(system, start, "start")
    p0 = float(as_finite_array(p0, "p0"))
    _, hi = _check(system, bounds, int(max_period), system.n_states, p0=p0)
    for value, label in ((epsilon, "epsilon"), (tol, "tol")):
        if not (math.isfinite(value) and value > 0):
            raise InvalidInputError(f"{label} must be a positive number, got {value!r}",
                                    argument=label, value=value)
    branch = continue_cycle(system, family, start, p0, bounds, u=u, tol=tol)
    branches = [branch]
    while branch.period < max_period:
        flips = [b for b in branch.bifurcations if b.kind == BifurcationKind.PD]
        if not flips:
            break
        pd = flips[0]
        k, n = pd.extra["cycle"].shape
        problem = ShootingProblem(family, n, 2 * k, None if u is None else
                                   system.resolve_input(u))
        first = doubled_cycle_start(problem, pd, epsilon, tol)
        if first is None:
            break
        z, evaluation, row = first
        branch = continue_cycle(system, family, z[:-1].reshape(2 * k, n), float(z[-1]),
                                bounds, u=u, tol=tol, tangent=start_tangent(evaluation, row),
                                ds=min(1e-3, (hi - float(z[-1])) / 10))
        branches.append(branch)
    return tuple(branches)
