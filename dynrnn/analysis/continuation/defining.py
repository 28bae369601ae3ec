r"""The minimally augmented defining systems of fold, flip and Neimark–Sacker curves.

The unknowns are z = (x, p1, p2) for folds (LP) and flips (PD), z = (x, p1, p2, κ) for
Neimark–Sacker points (NS); see :mod:`dynrnn.analysis.continuation.curves` for the equations, the
bordering trick and the references. :class:`DefiningSystem` is a problem of the continuation
engine (:mod:`dynrnn.analysis.continuation.engine`): its ``context`` is the pair (borders,
direction of the second differences), replaced after every accepted point.

References
----------
W. Govaerts, R. Khoshsiar Ghaziani, Yu. A. Kuznetsov, H. G. E. Meijer, "Numerical methods for
two-parameter local bifurcation analysis of maps", SIAM J. Sci. Comput. 29 (2007) 2644–2667.
Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer 2004, ch. 5, 9, 10.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg.lapack import dgetrf as _getrf
from scipy.linalg.lapack import dgetrs as _getrs

from ...model.base import RecurrentMap
from ..special_points import BifurcationKind

__all__ = ["DefiningSystem", "CurveEvaluation", "CODIM2_TESTS"]

#: the codimension-two points tested for on each kind of curve, in the order of the test values
CODIM2_TESTS = {
    BifurcationKind.LP: (BifurcationKind.CP, BifurcationKind.R1, BifurcationKind.LPPD),
    BifurcationKind.PD: (BifurcationKind.R2, BifurcationKind.LPPD, BifurcationKind.GPD),
    BifurcationKind.NS: (BifurcationKind.R1, BifurcationKind.R2),
}


@dataclass
class CurveEvaluation:
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
    context: tuple | None = None   # (borders, direction) for the next Newton iteration

    @property
    def residual(self) -> np.ndarray:
        return self.H

    @property
    def jacobian(self) -> np.ndarray:
        return self.DH


def _contract(L: np.ndarray, T: np.ndarray, R: np.ndarray) -> np.ndarray:
    """Σ_ij L[i, a] T[i, j, k] R[j, b] -> (a, b, k), with the large contraction as one matrix
    product (a plain three-operand einsum would not use BLAS)."""
    n, K = T.shape[0], T.shape[2]
    M = (L.T @ T.reshape(n, -1)).reshape(L.shape[1], T.shape[1], K)
    return np.einsum("ajk,jb->abk", M, R)


class DefiningSystem:
    """The minimally augmented system of one kind of curve, for one map and parameter pair
    (an engine problem: ``evaluate(z, (borders, direction))``, ``next_context(point)``)."""

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
        self.parameter_indices = (self.n, self.n + 1)
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
    def evaluate(self, z: np.ndarray, context: tuple) -> CurveEvaluation:
        """H and DH at z; ``context = (borders, direction)`` (direction None: the border)."""
        # callers run under np.errstate(all="ignore"): overflow shows up as a non-finite
        # residual, which the corrector treats as a failed step
        borders, direction = context
        if self.kind is BifurcationKind.NS:
            ev = self._evaluate_ns(z, borders)
        else:
            ev = self._evaluate_fold_flip(z, borders, direction)
        ev.finite = math.isfinite(ev.H.sum() + ev.DH.sum())
        ev.context = (borders, ev.direction)
        return ev

    def next_context(self, point) -> tuple:
        """Borders for predictions from an accepted point: its null vectors."""
        return self.new_borders(point.evaluation), point.evaluation.direction

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
        return CurveEvaluation(H=H, DH=DH, Gx=Gx[0], V=v[:, None], W=w[:, None], z=z,
                           direction=v / math.sqrt(v @ v), dGx=dGx, along=d)

    def tests(self, ev: CurveEvaluation) -> np.ndarray:
        """The codimension-two test values at an evaluated point (in the order of
        ``CODIM2_TESTS[kind]``)."""
        if ev.tests is not None:        # NS points get theirs at evaluation
            return ev.tests
        assert ev.dGx is not None and ev.along is not None, "LP/PD evaluations carry dGx"
        eye = self.eye
        v_hat = ev.V[:, 0] / np.linalg.norm(ev.V)
        w_hat = ev.W[:, 0] / np.linalg.norm(ev.W)
        if self.kind is BifurcationKind.LP:
            # B(v̂, v̂) = d/dε G_x(x + ε v̂) v̂, with `along` = v̂ up to the last Newton update
            ev.tests = np.array([w_hat @ (ev.dGx @ ev.along), w_hat @ v_hat,
                                 determinant(ev.Gx + eye)])
        else:
            ev.tests = np.array([w_hat @ v_hat, determinant(ev.Gx - eye),
                                 self.flip_coefficient(ev)])
        return ev.tests

    def flip_coefficient(self, ev: CurveEvaluation) -> float:
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
        assert z is not None, "a flip evaluation records its point"
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
        """G, G_x, G_p at x and the tensors T_x[i, j, k] = ∂_k (G_x)_ij and
        T_p[i, l, k] = ∂_k (G_p)_il."""
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
        return CurveEvaluation(H=H, DH=DH, Gx=Gx, V=V, W=W, tests=tests)

    # -- borders ----------------------------------------------------------------------------------
    def new_borders(self, ev: CurveEvaluation):
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


def determinant(M: np.ndarray) -> float:
    """det M; closed form for 1x1 and 2x2 (np.linalg.det's call overhead dominates there)."""
    if M.shape[0] == 1:
        return float(M[0, 0])
    if M.shape[0] == 2:
        (a, b), (c, d) = M.tolist()
        return a * d - b * c
    return float(np.linalg.det(M))
