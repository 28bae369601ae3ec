r"""Products of state Jacobians along a trajectory, their norms, and the temporal decomposition of
the gradient (Pascanu et al. 2013, eqs. 4-7).

.. math::

    \frac{\partial x_t}{\partial x_k} = \prod_{i=k+1}^{t} W_{rec}\,\mathrm{diag}(\sigma'(x_{i-1})),
    \qquad \Big\|\frac{\partial x_t}{\partial x_k}\Big\| \le (\gamma\lambda_1)^{t-k}

(the bound of §2.1, with λ₁ the largest singular value of W_rec and γ = sup|σ'|). Products are
accumulated in the log domain: after every factor the running product is divided by its Frobenius
norm and the logarithm of that norm is added to a running sum, so neither float64 nor float32
underflows or overflows at T = 1000. Products are streamed; only their norms (and, on request for
small nets, the matrices) are kept.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from .._signature_checks import checked_arguments
from .._tables import Tabular, compact_repr
from ..errors import InvalidInputError
from ..model.base import as_finite_array
from ..model.rnn import RNN
from .bptt import bptt
from .forward_pass import activation_and_derivative, float_dtype, forward, prepare_sequences

__all__ = ["JacobianProducts", "jacobian_products", "DistanceDecomposition",
           "gradient_by_distance", "product_bound"]


@dataclass(frozen=True)
class JacobianProducts(Tabular):
    r"""Norms of :math:`\partial x_t/\partial x_k` along one trajectory.

    Attributes
    ----------
    log_norms : ndarray, shape (T + 1, T + 1) or (T + 1,)
        ``pairs="all"``: entry [t, k] is log‖∂x_t/∂x_k‖ for k ≤ t (log‖I‖ on the diagonal,
        −inf above it); memory and time grow like T² (and T·n² for the running products).
        ``pairs="last"``: entry [k] is log‖∂x_T/∂x_k‖.
    norm : {"spectral", "fro"}
    states : ndarray, shape (T + 1, n)
    matrices : ndarray or None
        With ``return_matrices=True``: shape (T + 1, T + 1, n, n) (``"all"``) or (T + 1, n, n)
        (``"last"``); entries that underflow the dtype are stored as zeros, the log norms stay
        exact.
    gamma, lambda1 : float
        sup|σ'| and the largest singular value of W_rec: the §2.1 bound is (γλ₁)^(t−k).
    """

    log_norms: np.ndarray
    norm: str
    pairs: str
    states: np.ndarray
    matrices: np.ndarray | None
    gamma: float
    lambda1: float

    __repr__ = compact_repr

    def _table_columns(self) -> dict[str, list]:
        """One row per pair (t, k), k ≤ t: its distance and log‖∂x_t/∂x_k‖."""
        T = self.log_norms.shape[0] - 1
        if self.pairs == "last":
            pairs = [(T, k) for k in range(T + 1)]
            values = [float(self.log_norms[k]) for _, k in pairs]
        else:
            pairs = [(t, k) for t in range(T + 1) for k in range(t + 1)]
            values = [float(self.log_norms[t, k]) for t, k in pairs]
        return {"t": [t for t, _ in pairs], "k": [k for _, k in pairs],
                "distance": [t - k for t, k in pairs], "log_norm": values}

    @property
    def norms(self) -> np.ndarray:
        """The norms themselves (may underflow to 0 or overflow to inf; use ``log_norms``)."""
        with np.errstate(over="ignore", under="ignore"):
            return np.exp(self.log_norms)

    def by_distance(self) -> tuple[np.ndarray, np.ndarray | list[np.ndarray]]:
        """log‖∂x_t/∂x_k‖ against d = t − k: (distances (D,), log norms, list of arrays per d)."""
        if self.pairs == "last":
            T = self.log_norms.shape[0] - 1
            d = T - np.arange(T + 1)
            return d[::-1], self.log_norms[::-1]
        T = self.log_norms.shape[0] - 1
        d = np.arange(T + 1)
        return d, [np.diagonal(self.log_norms, offset=-di).copy() for di in d]


def _matrix_norm(P: np.ndarray, norm: str) -> np.ndarray:
    """Norms of a stack of matrices (..., n, n), reduced in float64."""
    P64 = P.astype(np.float64, copy=False)
    if norm == "fro":
        return np.sqrt(np.einsum("...ij,...ij->...", P64, P64))
    return np.linalg.svd(P64, compute_uv=False)[..., 0]


def _spectral_power(P: np.ndarray, u: np.ndarray, tol: float, max_iter: int):
    """Largest singular value of P by power iteration on P Pᵀ from the warm start ``u``.

    Along ∂x_T/∂x_k = (∂x_T/∂x_{k+1}) J_{k+1} the left singular vectors live at x_T and converge
    as k decreases (Oseledets), so the previous step's vector is an excellent start and a few
    matrix-vector products suffice. Returns (σ, u).
    """
    P64 = P.astype(np.float64, copy=False)
    sigma = 0.0
    for _ in range(max_iter):
        v = u @ P64
        w = P64 @ v
        nw = float(np.linalg.norm(w))
        if nw == 0.0:
            return 0.0, u
        new = np.sqrt(nw)  # ‖P Pᵀ u‖ → σ² for the top singular vector u
        u = w / nw
        if abs(new - sigma) <= tol * new:
            sigma = new
            break
        sigma = new
    return float(np.linalg.norm(u @ P64)), u


@checked_arguments
def jacobian_products(net: RNN, x0, inputs=None, *, n_steps: int | None = None,
                      pairs: Literal["last", "all"] = "last",
                      norm: Literal["spectral", "fro"] = "spectral",
                      return_matrices: bool = False, dtype=np.float64,
                      max_matrix_units: int = 16, block_bytes: int = 64 * 2 ** 20,
                      spectral_method: Literal["auto", "svd", "power"] = "auto",
                      power_tol: float = 1e-13) -> JacobianProducts:
    r"""Norms of the Jacobian products :math:`\partial x_t/\partial x_k` of eq. (5).

    .. math::

        \frac{\partial x_t}{\partial x_k} = J_t J_{t-1}\cdots J_{k+1},\qquad
        J_i = W_{rec}\,\mathrm{diag}(\sigma'(x_{i-1}))

    Parameters
    ----------
    net : RNN
    x0 : array_like, shape (n_units,)
        One trajectory (products are per sequence).
    inputs : array_like, shape (T, n_inputs), optional
        None runs with the constant input ``net.u`` for ``n_steps`` steps.
    pairs : {"last", "all"}
        ``"last"``: ∂x_T/∂x_k for every k (one backward sweep, T matrix products).
        ``"all"``: every pair k ≤ t (T(T+1)/2 matrix products; use for moderate T·n).
    norm : {"spectral", "fro"}
        The largest singular value (one SVD per product, O(n³)) or the Frobenius norm
        (cheap). ‖·‖₂ ≤ ‖·‖_F ≤ √n ‖·‖₂; the §2.1 bound holds for both only via
        ‖·‖₂ ≤ (γλ₁)^(t−k), so test it with ``"spectral"``.
    return_matrices : bool
        Also return the products themselves (only for ``n_units <= max_matrix_units``).
    dtype : float32 or float64
        Arithmetic of the products (norms are reduced in float64).
    spectral_method : {"auto", "svd", "power"}
        For ``pairs="last"`` with the spectral norm: an SVD per product (O(n³) each), or power
        iteration warm-started from the previous product's top left singular vector (a few
        O(n²) products each; converged to ``power_tol`` relative). "auto" uses the SVD up to
        64 units.
    block_bytes : int
        Memory budget of the running products for ``pairs="all"`` (starting steps are processed
        in blocks that fit).

    Returns
    -------
    JacobianProducts

    References
    ----------
    Pascanu, Mikolov, Bengio (2013), eqs. (5)-(7).
    """
    if pairs not in ("last", "all"):
        raise InvalidInputError(f"pairs must be 'last' or 'all', got {pairs!r}", argument="pairs",
                                value=pairs)
    if norm not in ("spectral", "fro"):
        raise InvalidInputError(f"norm must be 'spectral' or 'fro', got {norm!r}",
                                argument="norm", value=norm)
    x0 = as_finite_array(x0, "x0")
    if x0.ndim != 1:
        raise InvalidInputError(f"x0 must be one state of shape (n_units,), got {x0.shape}",
                                argument="x0", value=x0.shape)
    if return_matrices and net.n_units > max_matrix_units:
        raise InvalidInputError(
            f"return_matrices=True stores (T+1)² n² numbers; n_units={net.n_units} exceeds "
            f"max_matrix_units={max_matrix_units} (raise it to insist)",
            argument="return_matrices", value=True)
    dtype = float_dtype(dtype)
    x0b, U, _ = prepare_sequences(net, x0, inputs, n_steps, dtype)
    fp = forward(net, x0b, U, dtype)
    X = fp.X[:, 0]
    D = activation_and_derivative(net.activation, fp.X, fp.H)[:, 0]  # σ'(x_i), (T+1, n)
    W = net.W_rec.astype(dtype)
    lam1 = float(np.linalg.norm(net.W_rec, 2))
    if pairs == "last":
        use_power = norm == "spectral" and (spectral_method == "power" or
                                            (spectral_method == "auto" and X.shape[1] > 64))
        logn, mats = _products_to_last(W, D, norm, return_matrices, use_power, power_tol)
    else:
        logn, mats = _products_all_pairs(W, D, norm, return_matrices, block_bytes)
    return JacobianProducts(logn, norm, pairs, X, mats, net.activation.gamma, lam1)


def _products_to_last(W: np.ndarray, D: np.ndarray, norm: str, return_matrices: bool,
                      use_power: bool, power_tol: float
                      ) -> tuple[np.ndarray, np.ndarray | None]:
    """log‖∂x_T/∂x_k‖ for every k (T + 1,) and, on request, the products (T + 1, n, n).

    ∂x_T/∂x_k = (∂x_T/∂x_{k+1}) J_{k+1}: one sweep from k = T down to 0."""
    T, n = D.shape[0] - 1, D.shape[1]
    eye = np.eye(n, dtype=W.dtype)
    logn = np.zeros(T + 1)
    logn[T] = 0.0 if norm == "spectral" else 0.5 * np.log(n)
    mats = np.zeros((T + 1, n, n)) if return_matrices else None
    P = eye.copy()
    logscale = 0.0
    u_top = np.ones(n) / np.sqrt(n)
    if mats is not None:
        mats[T] = eye
    for k in range(T - 1, -1, -1):
        P = P @ W
        P *= D[k]  # J_{k+1} = W diag(σ'(x_k))
        s = float(np.sqrt(np.sum(np.square(P, dtype=np.float64))))
        if s == 0.0 or not np.isfinite(s):
            logn[:k + 1] = -np.inf if s == 0.0 else np.nan
            break
        P /= s
        logscale += np.log(s)
        if norm == "fro":
            logn[k] = logscale
        elif use_power:
            sig, u_top = _spectral_power(P, u_top, power_tol, 500)
            logn[k] = logscale + np.log(sig) if sig > 0 else -np.inf
        else:
            logn[k] = logscale + np.log(_matrix_norm(P, norm))
        if mats is not None:
            with np.errstate(under="ignore", over="ignore"):
                mats[k] = P * np.exp(logscale)
    return logn, mats


def _products_all_pairs(W: np.ndarray, D: np.ndarray, norm: str, return_matrices: bool,
                        block_bytes: int) -> tuple[np.ndarray, np.ndarray | None]:
    """log‖∂x_t/∂x_k‖ for every k ≤ t (T + 1, T + 1) and, on request, the products.

    For each k, stream forward t = k+1..T (left-multiplying by J_t), vectorised over a block of
    starting steps k at a time so memory stays near ``block_bytes``."""
    T, n = D.shape[0] - 1, D.shape[1]
    dtype = W.dtype
    eye = np.eye(n, dtype=dtype)
    logn = np.full((T + 1, T + 1), -np.inf)
    np.fill_diagonal(logn, 0.0 if norm == "spectral" else 0.5 * np.log(n))
    mats = np.zeros((T + 1, T + 1, n, n)) if return_matrices else None
    if mats is not None:
        mats[np.arange(T + 1), np.arange(T + 1)] = eye
    block = max(1, int(block_bytes // (n * n * dtype.itemsize * 3)))
    # the factors J_t = W diag(σ'(x_{t-1})) kept when they fit in the budget, else recomputed
    factors = [W * D[t - 1] for t in range(1, T + 1)] if T * n * n * 8 <= block_bytes else None
    for k0 in range(0, T, block):
        k1 = min(k0 + block, T)
        P = np.broadcast_to(eye, (k1 - k0, n, n)).copy()
        logscale = np.zeros(k1 - k0)
        for t in range(k0 + 1, T + 1):
            na = min(t - k0, k1 - k0)  # starting steps k0 … k0+na−1 are below t
            ks = slice(0, na)
            Jt = factors[t - 1] if factors is not None else W * D[t - 1]
            Pk = np.matmul(Jt, P[ks])
            P64 = Pk.astype(np.float64, copy=False)
            sc = np.sqrt(np.einsum("kij,kij->k", P64, P64))
            good = sc > 0
            Pk[good] /= sc[good, None, None].astype(dtype)
            with np.errstate(divide="ignore"):
                logscale[ks] = np.where(good, logscale[ks] + np.log(np.where(good, sc, 1.0)),
                                        -np.inf)
            P[ks] = Pk
            cols = slice(k0, k0 + na)
            if norm == "fro":
                logn[t, cols] = logscale[ks]
            else:
                with np.errstate(divide="ignore"):
                    logn[t, cols] = logscale[ks] + np.log(_matrix_norm(Pk, norm))
            if mats is not None:
                with np.errstate(under="ignore", over="ignore"):
                    mats[t, cols] = Pk * np.exp(logscale[ks])[:, None, None]
    return logn, mats


def product_bound(products: JacobianProducts) -> np.ndarray:
    r"""log of the §2.1 bound (γλ₁)^(t−k), shaped like ``products.log_norms``."""
    L = products.log_norms
    base = np.log(products.gamma * products.lambda1)
    if products.pairs == "last":
        T = L.shape[0] - 1
        return (T - np.arange(T + 1)) * base
    T = L.shape[0] - 1
    t, k = np.meshgrid(np.arange(T + 1), np.arange(T + 1), indexing="ij")
    with np.errstate(invalid="ignore"):
        return np.where(t >= k, (t - k) * base, -np.inf)


@dataclass(frozen=True)
class DistanceDecomposition(Tabular):
    r"""∂E/∂θ split by temporal distance d = t − k (eq. 4).

    Attributes
    ----------
    distances : ndarray, shape (T,)
        d = 0 … T − 1.
    norms : dict of str to ndarray, shape (T,)
        Frobenius norm of the contribution at each distance, for ``"W_rec"``, ``"W_in"``, ``"b"``.
    contributions : dict of str to ndarray or None
        The contributions themselves, shape ``(T, *param_shape)`` (with ``keep_contributions``).
    total : dict of str to ndarray
        Their sum over d, which equals the BPTT gradient.
    """

    distances: np.ndarray
    norms: dict
    contributions: dict | None
    total: dict

    __repr__ = compact_repr

    def _table_columns(self) -> dict[str, list]:
        """One row per distance d: the norm of each array's contribution."""
        columns: dict[str, list] = {"distance": [int(d) for d in self.distances]}
        for name, values in self.norms.items():
            columns[f"norm_{name}"] = [float(v) for v in np.asarray(values)]
        return columns

    def long_term_fraction(self, min_distance: int, name: str = "W_rec") -> float:
        """Share of Σ_d ‖C_d‖ from distances ≥ ``min_distance`` (long-term components)."""
        v = self.norms[name]
        tot = float(v.sum())
        return float(v[min_distance:].sum()) / tot if tot > 0 else 0.0


@checked_arguments
def gradient_by_distance(net: RNN, x0, inputs, targets, loss: str = "mse", *, readout=None,
                         where: Literal["all", "last"] = "all", mask=None,
                         n_steps: int | None = None,
                         keep_contributions: bool = False) -> DistanceDecomposition:
    r"""Split the BPTT gradient into contributions by temporal distance (eq. 4).

    .. math::

        \frac{\partial E}{\partial\theta} = \sum_{d\ge 0} C_d,\qquad
        C_d = \sum_{t} \frac{\partial E_t}{\partial x_t}\,\frac{\partial x_t}{\partial x_{t-d}}
        \,\frac{\partial^+ x_{t-d}}{\partial\theta}

    The vectors :math:`\partial E_t/\partial x_t\;\partial x_t/\partial x_{t-d}` are propagated for
    all t at once (one batched product per distance), so the cost is O(T² B n²).

    Parameters are as in :func:`bptt`. Returns a :class:`DistanceDecomposition` whose ``total``
    equals the BPTT gradient (tested).

    References
    ----------
    Pascanu, Mikolov, Bengio (2013), eqs. (3)-(4).
    """
    r = bptt(net, x0, inputs, targets, loss, readout=readout, where=where, mask=mask,
             n_steps=n_steps)
    x0b, U, batched = prepare_sequences(net, x0, inputs, n_steps, np.float64)
    fp = forward(net, x0b, U, np.float64)
    X, H = fp.X, fp.H
    T, B, m = U.shape
    n = net.n_units
    D = activation_and_derivative(net.activation, X, H)
    # Immediate terms e_t = ∂E_t/∂x_t (t = 1..T): recover them from g_t − (g_{t+1} W) σ'(x_t).
    G = r.state_grads if batched else r.state_grads[:, None, :]
    E = G.copy()
    E[:-1] -= (G[1:] @ net.W_rec) * D[1:T]
    W = net.W_rec
    norms = {"W_rec": np.zeros(T), "W_in": np.zeros(T), "b": np.zeros(T)}
    contrib: dict[str, list[np.ndarray]] | None = ({k: [] for k in norms}
                                                   if keep_contributions else None)
    total = {"W_rec": np.zeros((n, n)), "W_in": np.zeros((n, m)), "b": np.zeros(n)}
    V = E.copy()  # V[j] = ∂E_t/∂x_t ∂x_t/∂x_{t-d} for t = j + 1 + d; x_{t-d} = X[j + 1]
    for d in range(T):
        L = T - d  # k = t - d runs over 1..L
        Vf = V[:L].reshape(L * B, n)
        c = {"W_rec": Vf.T @ H[:L].reshape(L * B, n),
             "W_in": Vf.T @ U[:L].reshape(L * B, m) if m else np.zeros((n, 0)),
             "b": Vf.sum(axis=0)}
        for k2, v in c.items():
            norms[k2][d] = np.sqrt(np.sum(v * v))
            total[k2] += v
            if contrib is not None:
                contrib[k2].append(v)
        if d + 1 < T:
            # ∂x_t/∂x_{k-1} = ∂x_t/∂x_k · W diag(σ'(x_{k-1})): V for distance d+1 at k−1.
            Vn = (V[1:L] @ W) * D[1:L]
            V = Vn
    stacked = ({k2: np.stack(v) for k2, v in contrib.items()} if contrib is not None else None)
    return DistanceDecomposition(np.arange(T), norms, stacked, total)
