r"""Long cycles by multiple shooting: the k points of a cycle as unknowns.

Continuing a k-cycle as a fixed point of :math:`F^k` makes Newton's method work with the product
of k Jacobians, whose condition grows like the product of the multipliers' moduli: the
logistic map's period-16 branch already fails to correct. Here the unknowns are
:math:`z = (x_1, \dots, x_k, p)` and the residual is

.. math::

    H_j(z) = F(x_j; p) - x_{j+1}, \quad j = 1..k, \quad x_{k+1} = x_1,

whose Jacobian is block-cyclic (:math:`J_j` on the diagonal blocks, :math:`-I` on the
super-diagonal, :math:`\partial F/\partial p` in the last column) and well conditioned however
unstable the cycle. It is continued by the engine of :mod:`dynrnn.analysis.continuation` (the
bordered system is solved densely: :math:`(kn + 1)^2` memory, fine for the kn of a few thousand
this is meant for). Flips (PD) are detected from the multiplier nearest −1 of the monodromy
matrix :math:`M = J_k \cdots J_1`, formed with a running rescaling (log-modulus kept apart) so
that it does not overflow, located by regula falsi on the arclength hyperplanes, and the
doubled cycle is started on the hyperplane :math:`\langle v, x - x^*\rangle = \epsilon` through
the flip's eigenvector, so that :func:`period_doubling_cascade` follows a whole cascade.

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

import numpy as np

from .._checks import check_count
from ..errors import InvalidInputError, InvalidTypeError
from ..model.base import RecurrentMap, as_state
from ..model.families import as_family
from .continuation.engine import (
    ContinuationStatus,
    CorrectorSettings,
    Point,
    StepControl,
    correct,
    evaluation_tangent,
    march,
)
from .special_points import Bifurcation, BifurcationKind

__all__ = ["MAX_SHOOTING_SIZE", "ShootingBranch", "continue_cycle", "period_doubling_cascade"]

#: largest k · n_states: the dense bordered system needs (k n + 1)^2 doubles
MAX_SHOOTING_SIZE = 4096


class _Evaluation:
    __slots__ = ("J", "context", "gp", "jacobian", "residual")

    def __init__(self, residual, jacobian, J, gp):
        self.residual, self.jacobian, self.context = residual, jacobian, None
        self.J, self.gp = J, gp


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
        H = np.empty(n * k)
        A = np.zeros((n * k, n * k + 1))
        J = np.empty((k, n, n))
        gp = np.empty((k, n))
        for j in range(k):
            f, Jj, dp = self._point(X[j], p)
            nxt = (j + 1) % k
            H[j * n:(j + 1) * n] = f - X[nxt]
            A[j * n:(j + 1) * n, j * n:(j + 1) * n] += Jj
            A[j * n:(j + 1) * n, nxt * n:(nxt + 1) * n] -= np.eye(n)
            A[j * n:(j + 1) * n, -1] = dp
            J[j], gp[j] = Jj, dp
        return _Evaluation(H, A, J, gp)

    def describe(self, point):
        return monodromy_multipliers(point.evaluation.J)


def monodromy_multipliers(J: np.ndarray) -> np.ndarray:
    """Eigenvalues of J[k-1] ··· J[0] with the product rescaled at every factor (so it does
    not overflow), sorted by decreasing modulus."""
    n = J.shape[1]
    M = np.eye(n)
    log_scale = 0.0
    for Jj in J:
        M = Jj @ M
        s = float(np.max(np.abs(M)))
        if s > 0 and math.isfinite(s):
            M /= s
            log_scale += math.log(s)
    mu = np.linalg.eigvals(M)
    with np.errstate(over="ignore"):
        mu = mu * math.exp(min(log_scale, 700.0))
    return mu[np.argsort(-np.abs(mu), kind="stable")]


def _pd_test(mu: np.ndarray) -> float:
    """Π (μ_i + 1) / max(1, |μ_i|): the sign of det(M + I), continuous, and bounded."""
    return float(np.prod((mu + 1.0) / np.maximum(1.0, np.abs(mu))).real)


@dataclass(frozen=True)
class ShootingBranch:
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


def _locate_pd(problem, a: Point, b: Point, tol: float, max_iter: int = 60):
    """Regula falsi (Illinois) on the hyperplanes t_a·(z − z_a) = s between two points."""
    settings = CorrectorSettings(residual_tol=tol, max_iter=20, step_tol=1e-13)
    s_hi = float(a.t @ (b.z - a.z))

    def at(s):
        corr = correct(problem, a.z + s * a.t, a.t, settings)
        if not corr.ok:
            return None
        return corr.z, corr.evaluation, _pd_test(monodromy_multipliers(corr.evaluation.J))

    lo, hi = (0.0, _pd_test(a.data)), (s_hi, _pd_test(b.data))
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


def _flip_vectors(J: np.ndarray) -> np.ndarray:
    """The eigenvector of M for the multiplier nearest −1 at x_1, carried around the cycle."""
    k, n, _ = J.shape
    M = np.eye(n)
    for Jj in J:
        M = Jj @ M
        M /= max(1.0, float(np.max(np.abs(M))))
    mu, V = np.linalg.eig(M)
    v = V[:, int(np.argmin(np.abs(mu + 1.0)))].real
    out = np.empty((k, n))
    for j in range(k):
        v = v / np.linalg.norm(v)
        out[j] = v
        v = J[j] @ v
    return out


def _check(system, bounds, period, n):
    if not isinstance(system, RecurrentMap):
        raise InvalidTypeError(f"system must be a RecurrentMap, got {type(system).__name__}",
                               argument="system", value=system)
    check_count(period, "period", 1, non_integer=InvalidInputError)
    if period * n > MAX_SHOOTING_SIZE:
        raise InvalidInputError(
            f"period {period} with {n} states gives {period * n} shooting unknowns, more than "
            f"MAX_SHOOTING_SIZE = {MAX_SHOOTING_SIZE} (the dense bordered system would need "
            f"{8 * (period * n + 1) ** 2 / 2**20:.0f} MiB per Newton step)",
            argument="period", value=int(period))
    lo, hi = (float(b) for b in bounds)
    if not lo < hi:
        raise InvalidInputError(f"bounds must satisfy lo < hi, got {bounds!r}",
                                argument="bounds", value=bounds)
    return lo, hi


def continue_cycle(system: RecurrentMap, param, cycle, p0: float, bounds, *,
                   direction: str = "forward", u=None, ds: float = 1e-3, ds_max: float = 0.02,
                   max_points: int = 2000, tol: float = 1e-12, tangent=None) -> ShootingBranch:
    """Continue a k-cycle given by its k points ``cycle`` (k, n) at ``p0`` by multiple
    shooting, locating its flips.

    ``tangent`` (k n + 1,), optional, is the initial direction (default: the null vector of the
    shooting Jacobian, oriented by ``direction`` along the parameter).
    """
    family = as_family(system, param)
    cycle = np.atleast_2d(as_state(cycle, system.n_states, "cycle"))
    k, n = cycle.shape
    lo, hi = _check(system, bounds, k, n)
    problem = ShootingProblem(family, n, k, None if u is None else system.resolve_input(u))
    z0 = np.concatenate([cycle.ravel(), [float(p0)]])
    ev = problem.evaluate(z0)
    if tangent is None:
        _, _, vt = np.linalg.svd(ev.jacobian)
        tangent = vt[-1]
        if (tangent[-1] < 0) == (direction == "forward"):
            tangent = -tangent
    tangent = np.asarray(tangent, dtype=float) / np.linalg.norm(tangent)
    # correct at p0 first (the hyperplane p = p0), then require the cycle to be close to the
    # given points: Newton may otherwise converge to another, far, solution
    fixed_p = np.zeros(z0.shape[0])
    fixed_p[-1] = 1.0
    corr = correct(problem, z0, fixed_p, CorrectorSettings(residual_tol=tol, max_iter=30))
    far = (not corr.ok) or float(np.max(np.abs(corr.z[:-1] - z0[:-1]))) > 0.1 * max(
        1.0, float(np.max(np.abs(cycle))))
    if not far:
        corr = correct(problem, corr.z, tangent,
                       CorrectorSettings(residual_tol=tol, max_iter=20))
    if far or not corr.ok:
        raise InvalidInputError(f"cycle is not near a {k}-cycle of the map at {family.name} = "
                                f"{p0}", argument="cycle", value=cycle)
    t, sign = evaluation_tangent(corr.evaluation, tangent)
    start = Point(corr.z, t, sign, corr.evaluation, corr.n_iter)
    start.data = problem.describe(start)
    result = march(problem, start, _control(ds, ds_max, max_points, tol),
                   ((k * n,), np.array([lo]), np.array([hi])))
    points = result.points
    tests = [_pd_test(pt.data) for pt in points]
    bifurcations = []
    for i in range(len(points) - 1):
        if not (tests[i] * tests[i + 1] < 0):
            continue
        located = _locate_pd(problem, points[i], points[i + 1], tol)
        if located is None:
            continue
        z, evaluation, value = located
        mu = monodromy_multipliers(evaluation.J)
        bifurcations.append(Bifurcation(
            kind=BifurcationKind.PD, param=float(z[-1]), x=z[:n].copy(), eigenvalues=mu,
            bracket=(float(points[i].z[-1]), float(points[i + 1].z[-1])),
            param_name=family.name, period=k, index=i, test_value=float(value),
            extra={"cycle": z[:-1].reshape(k, n).copy(),
                   "eigenvectors": _flip_vectors(evaluation.J), "method": "multiple shooting"}))
    Z = np.array([pt.z for pt in points])
    mu = np.array([pt.data for pt in points])
    return ShootingBranch(family.name, k, Z[:, -1].copy(), Z[:, :-1].reshape(-1, k, n),
                          mu, np.abs(mu[:, 0]) < 1.0, tuple(bifurcations), result.status)


def period_doubling_cascade(system: RecurrentMap, param, start, p0: float, bounds, *,
                            max_period: int = 64, u=None, epsilon: float = 1e-4,
                            tol: float = 1e-12) -> tuple:
    """Follow a period-doubling cascade from a fixed point: at each flip of the k-cycle, start
    the 2k-cycle on the hyperplane ⟨v, x − x*⟩ = ε through the flip's eigenvector and continue
    it by multiple shooting, until period ``max_period``.

    Returns
    -------
    tuple of ShootingBranch
        The branches of period 1, 2, 4, ..., max_period (fewer if a flip is not found).
    """
    branches = []
    family = as_family(system, param)
    _, hi = _check(system, bounds, 1, system.n_states)
    check_count(max_period, "max_period", 1, non_integer=InvalidInputError)
    _check(system, bounds, int(max_period), system.n_states)
    branch = continue_cycle(system, family, np.atleast_2d(start), p0, bounds, u=u, tol=tol)
    branches.append(branch)
    while branch.period < max_period and branch.bifurcations:
        pd = branch.bifurcations[0]
        k, n = pd.extra["cycle"].shape
        cycle, v = pd.extra["cycle"], pd.extra["eigenvectors"]
        # the doubled cycle: x_j + ξ v_j for the first k points and x_j − ξ v_j for the next
        # (M v = −v), corrected on the hyperplane ⟨w, z − z*⟩ = 0 through the shifted guess
        sign = np.concatenate([np.ones(k), -np.ones(k)])
        base = np.concatenate([cycle, cycle])
        vv = np.concatenate([v, v])
        problem = ShootingProblem(family, n, 2 * k, None if u is None else
                                   system.resolve_input(u))
        row = np.concatenate([(sign[:, None] * vv).ravel(), [0.0]])
        row /= np.linalg.norm(row)
        guess = np.concatenate([(base + epsilon * sign[:, None] * vv).ravel(), [pd.param]])
        corr = correct(problem, guess, row, CorrectorSettings(residual_tol=tol, max_iter=30))
        if not corr.ok:
            break
        z = corr.z
        # continue away from the flip: the tangent with a positive component along ⟨v⟩
        _, _, vt = np.linalg.svd(corr.evaluation.jacobian)
        t = vt[-1] if vt[-1] @ row > 0 else -vt[-1]
        branch = continue_cycle(system, family, z[:-1].reshape(2 * k, n), float(z[-1]),
                                bounds, u=u, tol=tol, tangent=t,
                                ds=min(1e-3, (hi - float(z[-1])) / 10))
        branches.append(branch)
    return tuple(branches)
