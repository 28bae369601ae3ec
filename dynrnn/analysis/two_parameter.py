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

import enum
import math
from dataclasses import dataclass, field
from typing import Callable, Literal, Sequence

import numpy as np
from scipy.linalg.lapack import dgesv as _gesv, dgetrf as _getrf, dgetrs as _getrs
from scipy.optimize import brentq

from .._tables import TableSpec, Tabular
from ..errors import ConvergenceError, InvalidInputError, InvalidTypeError
from ..model.base import RecurrentMap, as_finite_array
from .special_points import Bifurcation, BifurcationKind

__all__ = ["BifurcationCurve", "BifurcationCurveOptions", "CurvePoint", "CurveStatus",
           "continue_bifurcation"]

_SUPPORTED = (BifurcationKind.LP, BifurcationKind.PD, BifurcationKind.NS)
#: the codimension-two points tested for on each kind of curve, in the order of the test values
_TESTS = {
    BifurcationKind.LP: (BifurcationKind.CP, BifurcationKind.R1, BifurcationKind.LPPD),
    BifurcationKind.PD: (BifurcationKind.R2, BifurcationKind.LPPD, BifurcationKind.GPD),
    BifurcationKind.NS: (BifurcationKind.R1, BifurcationKind.R2),
}


class CurveStatus(str, enum.Enum):
    """How a two-parameter continuation ended; each value is the readable explanation."""

    COMPLETED = "the curve reached the parameter bounds"
    CLOSED = "the curve closed on itself"
    MAX_STEPS = ("stopped after options.max_steps steps before reaching the bounds; raise "
                 "max_steps or ds_max, or narrow bounds1/bounds2")
    STEP_TOO_SMALL = ("the corrector failed even with the smallest step ds_min: the defining "
                      "system is singular or the map is not smooth there (a degenerate point, or "
                      "the cycle leaves the domain); lower ds_min or inspect the last point")
    START_FAILED = ("the bifurcation record does not satisfy the defining system: Newton from "
                    "its (param, x) did not converge; locate the bifurcation more accurately or "
                    "check its period and param_name")
    NON_FINITE = "the map or its Jacobian returned NaN or infinity on the curve"
    STOPPED = "the callback stopped the continuation"

    def __str__(self) -> str:
        return self.value


_SUCCESS = (CurveStatus.COMPLETED, CurveStatus.CLOSED, CurveStatus.STOPPED)


@dataclass(frozen=True)
class BifurcationCurveOptions:
    """Options of :func:`continue_bifurcation`; checked against each other when created.

    Attributes
    ----------
    ds : float
        Initial arclength step in the space (x, p1, p2[, κ]). Its sign reverses what "forward"
        means; its size must satisfy ``ds_min <= |ds| <= ds_max``.
    ds_min, ds_max : float
        Bounds of the adaptive step. The step halves when the corrector fails and grows by
        ``growth`` after easy steps; below ``ds_min`` the continuation stops.
    max_steps : int
        Continuation steps per direction.
    residual_tol : float
        Newton stops when the largest residual of the defining system (and of the arclength
        equation) is below ``residual_tol`` ...
    tol : float
        ... and the last update was below ``tol * (1 + |z|)``; Newton converges quadratically,
        so the point is then accurate to about ``tol²`` (times the problem's scale).
    max_newton_iter : int
        Newton iterations per corrector call.
    fd_step : float
        Relative step of the central differences of the Jacobian (second derivatives).
    growth : float
        Step growth factor (> 1) after a corrector that needed at most 3 iterations.
    min_tangent_cos : float
        A step is rejected (and halved) when the tangent turns by more than
        ``arccos(min_tangent_cos)``; guards against jumping between nearby curves.
    detect_codim2 : bool
        Detect and locate codimension-two points.
    locate_tol : float
        Arclength tolerance of Brent's method when locating codimension-two points.
    """

    ds: float = 0.02
    ds_min: float = 1e-8
    ds_max: float = 0.1
    max_steps: int = 2000
    tol: float = 1e-7
    residual_tol: float = 1e-10
    max_newton_iter: int = 8
    fd_step: float = 1e-5
    growth: float = 1.5
    min_tangent_cos: float = 0.9
    detect_codim2: bool = True
    locate_tol: float = 1e-13

    def __post_init__(self):
        for name in ("ds", "ds_min", "ds_max", "tol", "residual_tol", "fd_step", "growth",
                     "min_tangent_cos", "locate_tol"):
            value = getattr(self, name)
            if not isinstance(value, (int, float, np.floating, np.integer)) or \
                    not math.isfinite(value):
                raise InvalidInputError(f"options.{name} must be a finite number, got {value!r}",
                                        argument=name, value=value)
        for name in ("ds_min", "ds_max", "tol", "residual_tol", "fd_step", "locate_tol"):
            if getattr(self, name) <= 0:
                raise InvalidInputError(f"options.{name} must be > 0, got {getattr(self, name)}",
                                        argument=name, value=getattr(self, name))
        if not self.ds_min <= abs(self.ds) <= self.ds_max:
            raise InvalidInputError(
                f"options need ds_min <= |ds| <= ds_max, got ds_min={self.ds_min}, "
                f"ds={self.ds}, ds_max={self.ds_max}", argument="ds", value=self.ds)
        for name in ("max_steps", "max_newton_iter"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise InvalidInputError(f"options.{name} must be an integer >= 1, got {value!r}",
                                        argument=name, value=value)
        if self.growth < 1:
            raise InvalidInputError(f"options.growth must be >= 1, got {self.growth}",
                                    argument="growth", value=self.growth)
        if not -1 < self.min_tangent_cos < 1:
            raise InvalidInputError(
                f"options.min_tangent_cos must lie in (-1, 1), got {self.min_tangent_cos}",
                argument="min_tangent_cos", value=self.min_tangent_cos)


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
        Multipliers of the k-fold map (sorted by decreasing modulus).
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


# ------------------------------------------------------------------------------------------------
# the defining systems
# ------------------------------------------------------------------------------------------------
@dataclass
class _Evaluation:
    """Everything computed at one point z (internal, mutable scratch)."""

    H: np.ndarray           # residual of the defining system, (N - 1,)
    DH: np.ndarray          # its Jacobian, (N - 1, N)
    Gx: np.ndarray          # monodromy, (n, n)
    V: np.ndarray           # right null vectors, (n, r)
    W: np.ndarray           # left null vectors, (n, r)
    tests: np.ndarray | None = None   # codimension-two test values (NS: set at evaluation)
    direction: np.ndarray | None = None
    dGx: np.ndarray | None = None      # LP/PD: derivative of G_x along `along`
    along: np.ndarray | None = None
    z: np.ndarray | None = None
    finite: bool = True


def _contract(L: np.ndarray, T: np.ndarray, R: np.ndarray) -> np.ndarray:
    """Σ_ij L[i, a] T[i, j, k] R[j, b] -> (a, b, k), with the large contraction as one matrix
    product (a plain three-operand einsum would not use BLAS)."""
    n, K = T.shape[0], T.shape[2]
    M = (L.T @ T.reshape(n, -1)).reshape(L.shape[1], T.shape[1], K)
    return np.einsum("ajk,jb->abk", M, R)


class _DefiningSystem:
    """The minimally augmented system of one kind of curve, for one map and parameter pair."""

    def __init__(self, system: RecurrentMap, kind: BifurcationKind, names: tuple[str, str],
                 period: int, u, fd_step: float):
        self.system = system
        self.kind = kind
        self.names = list(names)
        self.period = period
        self.u = u
        self.fd_step = fd_step
        self.n = system.n_states
        self.eye = np.eye(self.n)
        self.e_last = np.zeros(self.n + 1)
        self.e_last[-1] = 1.0
        self.n_unknowns = self.n + (3 if kind is BifurcationKind.NS else 2)
        self.pair = (0, 0, 1, 1)   # which entries of the 2x2 NS test matrix are used

    # -- the k-fold map and its derivatives, batched over starting points ---------------------
    def compose(self, X: np.ndarray, p: np.ndarray):
        sys_ = self.system.replace_params({self.names[0]: float(p[0]),
                                            self.names[1]: float(p[1])})
        x, Gx, Gp = X, None, None
        for _ in range(self.period):
            x_next, J, P = sys_.step_and_derivatives(x, self.names, self.u)
            if Gx is None:
                Gx, Gp = J, P
            else:
                Gx = J @ Gx
                Gp = J @ Gp + P
            x = x_next
        return x, Gx, Gp

    def _h(self, x: np.ndarray) -> float:
        return self.fd_step * (1.0 + float(np.abs(x).max()))

    # -- evaluation at one point ------------------------------------------------------------------
    def evaluate(self, z: np.ndarray, borders: tuple[np.ndarray, np.ndarray],
                 direction: np.ndarray | None) -> _Evaluation:
        # callers run under np.errstate(all="ignore"): overflow shows up as a non-finite
        # residual, which the corrector treats as a failed step
        if self.kind is BifurcationKind.NS:
            ev = self._evaluate_ns(z, borders)
        else:
            ev = self._evaluate_fold_flip(z, borders, direction)
        ev.finite = math.isfinite(ev.H.sum() + ev.DH.sum())
        return ev

    def _evaluate_fold_flip(self, z, borders, direction):
        n = self.n
        x, p = z[:n], z[n:n + 2]
        b_vec, c_vec = borders
        d = c_vec if direction is None else direction      # unit, ≈ the right null vector
        h = self._h(x)
        X = np.empty((3, n))
        X[0] = x
        X[1] = x + h * d
        X[2] = x - h * d
        G, Gx, Gp = self.compose(X, p)
        eye = self.eye
        M = np.empty((n + 1, n + 1))
        if self.kind is BifurcationKind.LP:
            np.subtract(Gx[0], eye, out=M[:n, :n])
        else:
            np.add(Gx[0], eye, out=M[:n, :n])
        M[:n, n] = b_vec
        M[n, :n] = c_vec
        M[n, n] = 0.0
        # M (v, g) = e and (w, g) M = e from one LU factorisation (LAPACK directly: these
        # matrices are tiny and numpy's wrappers would cost more than the arithmetic)
        lu, piv, info = _getrf(M)
        if info == 0:
            sol, _ = _getrs(lu, piv, self.e_last)
            solt, _ = _getrs(lu, piv, self.e_last, trans=1)
        else:
            sol = solt = np.full(n + 1, np.nan)
        v, g, w = sol[:n], sol[n], solt[:n]
        # second derivatives along d, rescaled to the direction v (d ≈ v/|v|)
        dGx = (Gx[1] - Gx[2]) / (2 * h)
        dGp = (Gp[1] - Gp[2]) / (2 * h)
        scale = float(d @ v)
        H = np.empty(n + 1)
        H[:n] = G[0] - x
        H[n] = g
        DH = np.empty((n + 1, n + 2))
        DH[:n, :n] = Gx[0] - eye
        DH[:n, n:] = Gp[0]
        DH[n, :n] = -(dGx.T @ w) * scale
        DH[n, n:] = -(w @ dGp) * scale
        return _Evaluation(H=H, DH=DH, Gx=Gx[0], V=v[:, None], W=w[:, None], z=z,
                           direction=v / math.sqrt(v @ v), dGx=dGx, along=d)

    def tests(self, ev: _Evaluation) -> np.ndarray:
        """The codimension-two test values at an evaluated point (order of ``_TESTS[kind]``)."""
        if self.kind is BifurcationKind.NS:
            return ev.tests
        if ev.tests is not None:
            return ev.tests
        eye = self.eye
        v_hat = ev.V[:, 0] / np.linalg.norm(ev.V)
        w_hat = ev.W[:, 0] / np.linalg.norm(ev.W)
        if self.kind is BifurcationKind.LP:
            # B(v̂, v̂) = d/dε G_x(x + ε v̂) v̂, with `along` = v̂ up to the last Newton update
            ev.tests = np.array([w_hat @ (ev.dGx @ ev.along), w_hat @ v_hat,
                                 _det(ev.Gx + eye)])
        else:
            ev.tests = np.array([w_hat @ v_hat, _det(ev.Gx - eye),
                                 self.flip_coefficient(ev)])
        return ev.tests

    def flip_coefficient(self, ev: _Evaluation) -> float:
        r"""The normal-form coefficient of the flip (Kuznetsov 2004, ch. 5; ch. 9 for GPD):

        .. math::

            c = \tfrac16 \langle p, C(q,q,q) \rangle
                - \tfrac12 \langle p, B(q, (A - I)^{-1} B(q,q)) \rangle,

        with :math:`A q = -q`, :math:`A^\top p = -p`, :math:`\langle p, q \rangle = 1`, and the
        multilinear forms B, C of the k-fold map by central differences of its Jacobian
        (Richardson-extrapolated, so the error is O(h⁴) plus rounding). c = 0 at a generalised
        flip (GPD); the flip is supercritical for c > 0.
        """
        n = self.n
        z = ev.z
        x, p = z[:n], z[n:n + 2]
        q = ev.V[:, 0] / np.linalg.norm(ev.V)
        left = ev.W[:, 0] / (ev.W[:, 0] @ q)
        h = 1e-3 * (1.0 + float(np.abs(x).max()))
        X = np.stack([x + h * q, x - h * q, x + 2 * h * q, x - 2 * h * q])
        _, Gx, _ = self.compose(X, p)
        A = ev.Gx
        first = (4 * (Gx[0] - Gx[1]) / (2 * h) - (Gx[2] - Gx[3]) / (4 * h)) / 3
        second = (4 * (Gx[0] - 2 * A + Gx[1]) / h**2 - (Gx[2] - 2 * A + Gx[3]) / (4 * h**2)) / 3
        Bqq = first @ q
        Cqqq = second @ q
        try:
            r = np.linalg.solve(A - self.eye, Bqq)
        except np.linalg.LinAlgError:
            return float("nan")
        r_norm = float(np.linalg.norm(r))
        if r_norm == 0.0:
            Bqr = np.zeros(n)
        else:
            r_hat = r / r_norm
            _, Gr, _ = self.compose(np.stack([x + h * r_hat, x - h * r_hat,
                                              x + 2 * h * r_hat, x - 2 * h * r_hat]), p)
            Dr = (4 * (Gr[0] - Gr[1]) / (2 * h) - (Gr[2] - Gr[3]) / (4 * h)) / 3
            Bqr = r_norm * (Dr @ q)
        return float(left @ Cqqq / 6 - left @ Bqr / 2)

    def _second_derivatives(self, x, p):
        """G, G_x, G_p at x and the tensors T_x[i, j, k] = ∂_k (G_x)_ij, T_p[i, l, k] = ∂_k (G_p)_il."""
        n = self.n
        h = self._h(x)
        E = h * np.eye(n)
        X = np.concatenate([x[None], x + E, x - E])
        G, Gx, Gp = self.compose(X, p)
        Tx = np.moveaxis((Gx[1:n + 1] - Gx[n + 1:]) / (2 * h), 0, -1)
        Tp = np.moveaxis((Gp[1:n + 1] - Gp[n + 1:]) / (2 * h), 0, -1)
        return G[0], Gx[0], Gp[0], Tx, Tp

    def ns_matrices(self, z, borders):
        n = self.n
        x, p, kappa = z[:n], z[n:n + 2], z[n + 2]
        G, Gx, Gp, Tx, Tp = self._second_derivatives(x, p)
        eye = np.eye(n)
        A = Gx @ Gx - 2 * kappa * Gx + eye
        B, C = borders
        M = np.zeros((n + 2, n + 2))
        M[:n, :n] = A
        M[:n, n:] = B
        M[n:, :n] = C.T
        rhs = np.zeros((n + 2, 2))
        rhs[n:] = np.eye(2)
        try:
            sol = np.linalg.solve(M, rhs)
            solt = np.linalg.solve(M.T, rhs)
        except np.linalg.LinAlgError:
            sol = solt = np.full((n + 2, 2), np.nan)
        V, Gm, W = sol[:n], sol[n:], solt[:n]
        # gradients of every g_ij: -W_iᵀ A_z V_j with A_z = Q Gx + Gx Q - 2κ Q, Q = ∂_z G_x
        AV = Gx @ V - 2 * kappa * V           # (n, 2)
        GtW = Gx.T @ W                         # (n, 2)
        grad = np.zeros((2, 2, n + 3))
        # x-derivatives: Q_k = Tx[:, :, k]
        grad[:, :, :n] = -(_contract(W, Tx, AV) + _contract(GtW, Tx, V))
        # p-derivatives: (∂_{p_l} G_x)_ij = ∂_j (G_p)_il = Tp[i, l, j]
        Tp_ij = Tp.transpose(0, 2, 1)
        grad[:, :, n:n + 2] = -(_contract(W, Tp_ij, AV) + _contract(GtW, Tp_ij, V))
        grad[:, :, n + 2] = 2 * (W.T @ Gx @ V)
        return G, Gx, Gp, V, W, Gm, grad

    def _evaluate_ns(self, z, borders):
        n = self.n
        x, kappa = z[:n], z[n + 2]
        G, Gx, Gp, V, W, Gm, grad = self.ns_matrices(z, borders)
        i1, j1, i2, j2 = self.pair
        H = np.concatenate([G - x, [Gm[i1, j1], Gm[i2, j2]]])
        DH = np.zeros((n + 2, n + 3))
        DH[:n, :n] = Gx - np.eye(n)
        DH[:n, n:n + 2] = Gp
        DH[n] = grad[i1, j1]
        DH[n + 1] = grad[i2, j2]
        tests = np.array([kappa - 1.0, kappa + 1.0])
        return _Evaluation(H=H, DH=DH, Gx=Gx, V=V, W=W, tests=tests)

    # -- borders ----------------------------------------------------------------------------------
    def new_borders(self, ev: _Evaluation):
        """Borders for the next point: the null vectors just computed, orthonormalised."""
        if self.kind is BifurcationKind.NS:
            C = np.linalg.qr(ev.V)[0]
            B = np.linalg.qr(ev.W)[0]
            return B, C
        w, v = ev.W[:, 0], ev.V[:, 0]
        return w / math.sqrt(w @ w), v / math.sqrt(v @ v)

    def initial_borders(self, z):
        n = self.n
        x, p = z[:n], z[n:n + 2]
        _, Gx, _ = self.compose(x[None], p)
        Gx = Gx[0]
        eye = np.eye(n)
        if self.kind is BifurcationKind.NS:
            A = Gx @ Gx - 2 * z[n + 2] * Gx + eye
            U, _, Vt = np.linalg.svd(A)
            return U[:, -2:].copy(), Vt[-2:].T.copy()
        A = Gx - eye if self.kind is BifurcationKind.LP else Gx + eye
        U, _, Vt = np.linalg.svd(A)
        return U[:, -1].copy(), Vt[-1].copy()

    def choose_pair(self, z, borders):
        """For NS, the two entries of the 2x2 test matrix whose gradients make the system best
        conditioned (Govaerts et al. 2007 choose them once, at the start)."""
        n = self.n
        G, Gx, Gp, V, W, Gm, grad = self.ns_matrices(z, borders)
        top = np.zeros((n, n + 3))
        top[:, :n] = Gx - np.eye(n)
        top[:, n:n + 2] = Gp
        best, best_sv = self.pair, -1.0
        entries = [(0, 0), (0, 1), (1, 0), (1, 1)]
        for a in range(4):
            for b in range(a + 1, 4):
                (i1, j1), (i2, j2) = entries[a], entries[b]
                DH = np.vstack([top, grad[i1, j1], grad[i2, j2]])
                if not np.all(np.isfinite(DH)):
                    continue
                sv = np.linalg.svd(DH, compute_uv=False)[-1]
                if sv > best_sv:
                    best, best_sv = (i1, j1, i2, j2), sv
        self.pair = best


# ------------------------------------------------------------------------------------------------
# Newton correctors and the continuation loop
# ------------------------------------------------------------------------------------------------
def _newton(problem: _DefiningSystem, z, borders, direction, extra_rows, extra_rhs, opts):
    """Solve H(z) = 0 together with the linear equations ``extra_rows @ z = extra_rhs``.

    Returns (converged, z, evaluation, n_iter).
    """
    z = np.array(z, dtype=float)
    n_extra = extra_rows.shape[0]
    N = z.size
    system = np.empty((N, N))
    system[N - n_extra:] = extra_rows
    res = np.empty(N)
    dz_norm = np.inf
    ev = None
    for it in range(opts.max_newton_iter + 1):
        ev = problem.evaluate(z, borders, direction)
        if not ev.finite:
            return False, z, ev, it
        direction = ev.direction
        res[:N - n_extra] = ev.H
        res[N - n_extra:] = extra_rows @ z - extra_rhs
        res_norm = float(np.abs(res).max())
        # both: a small residual alone can hide a parameter error when the test function is
        # flat in it (large networks); a small last update means Newton converges quadratically
        if it > 0 and res_norm <= opts.residual_tol and \
                dz_norm <= opts.tol * (1.0 + float(np.abs(z).max())):
            return True, z, ev, it
        if it == opts.max_newton_iter:
            break
        system[:N - n_extra] = ev.DH
        _, _, dz, info = _gesv(system, -res)
        if info != 0:
            return False, z, ev, it
        dz_norm = float(np.abs(dz).max())
        if not math.isfinite(dz_norm):
            return False, z, ev, it
        z = z + dz
    return False, z, ev, opts.max_newton_iter


def _tangent(DH: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """The unit tangent t with DH t = 0 and previous · t > 0."""
    N = DH.shape[1]
    system = np.empty((N, N))
    system[:-1] = DH
    system[-1] = previous
    rhs = np.zeros(N)
    rhs[-1] = 1.0
    _, _, t, info = _gesv(system, rhs)
    if info != 0:
        return np.full(N, np.nan)
    return t / math.sqrt(t @ t)


@dataclass
class _Point:
    z: np.ndarray
    ev: _Evaluation
    borders: tuple


@dataclass
class _Run:
    points: list = field(default_factory=list)
    status: CurveStatus = CurveStatus.MAX_STEPS
    n_steps: int = 0
    n_iter: int = 0


def _march(problem, start: _Point, t0, ds, bounds, opts, pbar, callback=None,
           which: str = "forward") -> _Run:
    run = _Run()
    z, t, borders, ev = start.z, t0, start.borders, start.ev
    direction = ev.direction
    n = problem.n
    lo = np.array([bounds[0][0], bounds[1][0]])
    hi = np.array([bounds[0][1], bounds[1][1]])
    z_start = start.z
    travelled = longest = 0.0
    for _ in range(opts.max_steps):
        while True:
            z_pred = z + ds * t
            ok, z_new, ev_new, n_it = _newton(problem, z_pred, borders, direction, t[None],
                                              np.array([t @ z_pred]), opts)
            run.n_iter += n_it
            t_new = None
            if ok:
                t_new = _tangent(ev_new.DH, t)
                cos = float(t_new @ t)
                if math.isfinite(cos) and (cos >= opts.min_tangent_cos or ds <= 2 * opts.ds_min):
                    break
            if ev_new is not None and not ev_new.finite and ds <= 2 * opts.ds_min:
                run.status = CurveStatus.NON_FINITE
                return run
            ds *= 0.5
            if ds < opts.ds_min:
                run.status = CurveStatus.STEP_TOO_SMALL
                return run
        p_new = z_new[n:n + 2]
        if not (lo[0] <= p_new[0] <= hi[0] and lo[1] <= p_new[1] <= hi[1]):
            outside = (p_new < lo) | (p_new > hi)
            # end exactly on the boundary: fix the parameter that left the box
            p_old = z[n:n + 2]
            fractions = np.where(outside, (np.where(p_new < lo, lo, hi) - p_old)
                                 / np.where(p_new != p_old, p_new - p_old, 1.0), np.inf)
            j = int(np.argmin(fractions))
            target = lo[j] if p_new[j] < lo[j] else hi[j]
            frac = float(np.clip(fractions[j], 0.0, 1.0))
            row = np.zeros((1, problem.n_unknowns))
            row[0, n + j] = 1.0
            ok, zb, evb, n_it = _newton(problem, z + frac * (z_new - z), borders, direction,
                                        row, np.array([target]), opts)
            run.n_iter += n_it
            pb = zb[n:n + 2]
            if ok and np.all(pb >= lo - 1e-12 * (1 + np.abs(lo))) and \
                    np.all(pb <= hi + 1e-12 * (1 + np.abs(hi))):
                run.points.append(_Point(zb, evb, borders))
                run.n_steps += 1
            run.status = CurveStatus.COMPLETED
            return run
        run.points.append(_Point(z_new, ev_new, borders))
        run.n_steps += 1
        if pbar is not None:
            pbar.update(1)
        if callback is not None:
            kappa = float(z_new[n + 2]) if problem.kind is BifurcationKind.NS else float("nan")
            point = CurvePoint(params=z_new[n:n + 2].copy(), x=z_new[:n].copy(),
                               eigenvalues=_sorted_eigenvalues(ev_new.Gx), kappa=kappa,
                               step=run.n_steps, direction=which)
            if callback(point) is False:
                run.status = CurveStatus.STOPPED
                return run
        chord = z_new - z
        step_len = float(np.linalg.norm(chord))
        travelled += step_len
        longest = max(longest, step_len)
        if travelled > 3 * longest:
            # closed when the start lies on (near) the chord just travelled
            s = float(np.clip((z_start - z) @ chord / step_len**2, 0.0, 1.0))
            if np.linalg.norm(z + s * chord - z_start) < 0.25 * step_len:
                run.status = CurveStatus.CLOSED
                return run
        borders = problem.new_borders(ev_new)
        direction = ev_new.direction
        z, t = z_new, t_new
        if n_it <= 3:
            ds = min(ds * opts.growth, opts.ds_max)
    run.status = CurveStatus.MAX_STEPS
    return run


# ------------------------------------------------------------------------------------------------
# codimension-two points
# ------------------------------------------------------------------------------------------------
def _sorted_eigenvalues(M: np.ndarray) -> np.ndarray:
    """Eigenvalues by decreasing modulus (then real part, then imaginary part), of one matrix
    (n, n) or of a stack (m, n, n) at once."""
    mu = np.linalg.eigvals(M).astype(complex)
    order = np.lexsort((-mu.imag, -mu.real, -np.round(np.abs(mu), 12)), axis=-1)
    return np.take_along_axis(mu, order, axis=-1)


def _det(M: np.ndarray) -> float:
    """det M; closed form for 1x1 and 2x2 (np.linalg.det's call overhead dominates there)."""
    if M.shape[0] == 1:
        return float(M[0, 0])
    if M.shape[0] == 2:
        (a, b), (c, d) = M.tolist()
        return a * d - b * c
    return float(np.linalg.det(M))


def _locate_codim2(problem, a: _Point, b: _Point, test: int, opts):
    """Brent's method on the arclength of the chord from a to b, correcting each trial point
    onto the curve within the hyperplane orthogonal to the chord. Returns (point, value, n_iter)
    or None."""
    chord = b.z - a.z
    length = float(np.linalg.norm(chord))
    if length == 0:
        return None
    d = chord / length
    counter = {"iter": 0, "last": None}
    reference = (a.ev.V, a.ev.W)

    def phi(s):
        z0 = a.z + s * d
        ok, z, ev, n_it = _newton(problem, z0, a.borders, a.ev.direction, d[None],
                                  np.array([d @ z0]), opts)
        counter["iter"] += n_it
        if not ok:
            raise _LocateFailed
        # keep the orientation of the null vectors of the left end (sign of the test functions)
        if problem.kind is not BifurcationKind.NS:
            value = problem.tests(ev)[test]
            flip_v = np.sign(ev.V[:, 0] @ reference[0][:, 0]) or 1.0
            flip_w = np.sign(ev.W[:, 0] @ reference[1][:, 0]) or 1.0
            kinds = _TESTS[problem.kind]
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
def _check_bounds(bounds, argument: str, value: float | None):
    if bounds is None:
        return (-np.inf, np.inf)
    try:
        lo, hi = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{argument} must be a pair (low, high) of numbers, got "
                                f"{bounds!r}", argument=argument, value=bounds) from None
    if math.isnan(lo) or math.isnan(hi) or not lo < hi:
        raise InvalidInputError(f"{argument} must satisfy low < high, got {bounds!r}",
                                argument=argument, value=bounds)
    if value is not None and not lo <= value <= hi:
        raise InvalidInputError(
            f"{argument}={bounds!r} does not contain the starting value {value!r}; widen it "
            "or start elsewhere", argument=argument, value=bounds)
    return lo, hi


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
    if direction not in ("both", "forward", "backward"):
        raise InvalidInputError(f"direction must be 'both', 'forward' or 'backward', got "
                                f"{direction!r}", argument="direction", value=direction)
    p1 = bifurcation.param_name
    system.check_param_names(p1, argument="bifurcation.param_name")
    (p2,) = system.check_param_names(param2, argument="param2")
    if p2 == p1:
        raise InvalidInputError(f"param2 must differ from the bifurcation's parameter {p1!r}",
                                argument="param2", value=param2)
    period = int(bifurcation.period)
    if period < 1:
        raise InvalidInputError(f"bifurcation.period must be >= 1, got {bifurcation.period}",
                                argument="bifurcation", value=bifurcation.period)
    x0 = as_finite_array(bifurcation.x, "bifurcation.x").reshape(-1)
    if x0.shape != (system.n_states,):
        raise InvalidInputError(f"bifurcation.x has shape {np.shape(bifurcation.x)}, the map "
                                f"has {system.n_states} states", argument="bifurcation",
                                value=np.shape(bifurcation.x))
    p1_value = float(as_finite_array(bifurcation.param, "bifurcation.param"))
    p2_value = float(system.params[p2])
    b2 = _check_bounds(bounds2, "bounds2", p2_value)
    b1 = _check_bounds(bounds1, "bounds1", p1_value)
    u = system.resolve_input(u)

    problem = _DefiningSystem(system, kind, (p1, p2), period, u, options.fd_step)
    n = system.n_states
    z0 = np.concatenate([x0, [p1_value, p2_value]])
    if kind is BifurcationKind.NS:
        z0 = np.append(z0, _initial_kappa(bifurcation))
    borders = problem.initial_borders(z0)
    if kind is BifurcationKind.NS:
        problem.choose_pair(z0, borders)

    # refine the start with p2 held fixed
    row = np.zeros((1, problem.n_unknowns))
    row[0, n + 1] = 1.0
    ok, z_start, ev_start, n_it = _newton(problem, z0, borders, None, row, np.array([p2_value]),
                                          options)
    total_iter = n_it
    if not ok:
        ev = problem.evaluate(z0, borders, None)
        curve = _assemble(problem, [_Point(z0, ev, borders)], 0, (), CurveStatus.START_FAILED,
                          "", 0, total_iter)
        return _finish(curve, raise_on_failure)
    start = _Point(z_start, ev_start, borders)
    next_borders = problem.new_borders(ev_start)
    start_for_march = _Point(z_start, ev_start, next_borders)

    # initial tangent: the null vector of DH, oriented by direction
    t0 = np.linalg.svd(ev_start.DH)[2][-1]
    key = t0[n + 1] if abs(t0[n + 1]) > 1e-10 else t0[n]
    t0 = t0 if key >= 0 else -t0
    if options.ds < 0:
        t0 = -t0
    ds = abs(options.ds)
    bounds = (b1, b2)

    pbar = None
    if progress:
        from tqdm.auto import tqdm
        pbar = tqdm(desc=f"{kind.value} curve", unit="pt")
    try:
        runs = {}
        order = {"both": ("forward", "backward"), "forward": ("forward",),
                 "backward": ("backward",)}[direction]
        for which in order:
            if which == "backward" and "forward" in runs and \
                    runs["forward"].status is CurveStatus.CLOSED:
                continue
            sign = 1.0 if which == "forward" else -1.0
            runs[which] = _march(problem, start_for_march, sign * t0, ds, bounds, options, pbar,
                                 callback, which)
    finally:
        if pbar is not None:
            pbar.close()

    backward = runs.get("backward", _Run(status=CurveStatus.COMPLETED))
    forward = runs.get("forward", _Run(status=CurveStatus.COMPLETED))
    points = backward.points[::-1] + [start] + forward.points
    start_index = len(backward.points)
    n_steps = backward.n_steps + forward.n_steps
    total_iter += backward.n_iter + forward.n_iter

    statuses = [(w, r.status) for w, r in runs.items()]
    failed = [(w, s) for w, s in statuses if s not in _SUCCESS]
    if failed:
        status = failed[0][1]
        message = "; ".join(f"{w}: {s.value}" for w, s in statuses)
    else:
        found = {s for _, s in statuses}
        status = next((s for s in (CurveStatus.CLOSED, CurveStatus.STOPPED) if s in found),
                      CurveStatus.COMPLETED)
        message = "; ".join(f"{w}: {s.value}" for w, s in statuses) if len(found) > 1 \
            else status.value

    codim2: list[Bifurcation] = []
    if options.detect_codim2 and len(points) > 1:
        codim2, n_loc = _detect(problem, points, options, closed=status is CurveStatus.CLOSED)
        total_iter += n_loc
    curve = _assemble(problem, points, start_index, tuple(codim2), status, message, n_steps,
                      total_iter)
    return _finish(curve, raise_on_failure)


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


def _relative_sign(kind: BifurcationKind, test: BifurcationKind, a: _Point, b: _Point) -> float:
    """The factor that puts b's test value in a's orientation of the null vectors (the CP, R1
    and R2 tests of LP/PD curves change sign with them)."""
    if kind is BifurcationKind.NS or test not in (BifurcationKind.CP, BifurcationKind.R1,
                                                  BifurcationKind.R2):
        return 1.0
    flip_w = np.sign(b.ev.W[:, 0] @ a.ev.W[:, 0]) or 1.0
    if test is BifurcationKind.CP:
        return float(flip_w)
    return float(flip_w * (np.sign(b.ev.V[:, 0] @ a.ev.V[:, 0]) or 1.0))


def _detect(problem, points, opts, closed: bool = False):
    tests = np.array([problem.tests(p.ev) for p in points])
    kinds = _TESTS[problem.kind]
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
            found.append(Bifurcation(
                kind=kind, param=float(z[n]), x=z[:n].copy(),
                eigenvalues=_sorted_eigenvalues(ev.Gx), bracket=(float(points[i].z[n]),
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
        eigenvalues=_sorted_eigenvalues(np.array([p.ev.Gx for p in points])),
        kappa=kappa, codim2=codim2, period=problem.period, start_index=start_index,
        status=status, success=status in _SUCCESS, message=message or status.value,
        n_steps=n_steps, n_iter=n_iter)


def _finish(curve: BifurcationCurve, raise_on_failure: bool) -> BifurcationCurve:
    if raise_on_failure and not curve.success:
        raise ConvergenceError(f"two-parameter continuation of the {curve.kind.value} curve "
                               f"stopped: {curve.message}", result=curve)
    return curve
