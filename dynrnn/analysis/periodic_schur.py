r"""Multipliers of a cycle from its Jacobians, without forming their product.

The multipliers of a k-cycle are the eigenvalues of the monodromy matrix
:math:`M = J_k J_{k-1} \cdots J_1` (:math:`J_j = D_x F(x_j)`). Forming M loses them: its entries
under- or overflow for long cycles, and even with a running rescaling a multiplier of modulus
:math:`10^{-300}` beside one of modulus 1 is lost below the rounding error of the large one. The
periodic QR iteration works on the factors instead: with orthogonal :math:`Q_0` and

.. math::

    J_j Q_{j-1} = Q_j R_j \quad (j = 1..k, \text{ QR factorisations}), \qquad
    Q_0^\top M Q_0 = S\, R_k \cdots R_1, \quad S = Q_0^\top Q_k,

one sweep around the cycle is one step of orthogonal (simultaneous) iteration on M, and
restarting the next sweep from :math:`Q_0 \leftarrow Q_k` drives S to a block-diagonal
orthogonal matrix (±1 for real multipliers, 2 × 2 rotations for complex pairs or unseparated
moduli). Then every factor is (block) upper triangular in the bases :math:`Q_j`, a periodic
Schur form with a backward error of the order of the rounding error in *each factor*, and a
multiplier is the product of the diagonal entries :math:`\prod_j (R_j)_{ii}` summed in log space,
so it neither under- nor overflows. Blocks of S that have not separated (complex pairs, equal
moduli) give their multipliers as the eigenvalues of :math:`S_{gg} \prod_j (R_j)_{gg}`, a small
product of comparable factors formed with a running rescaling.

References
----------
.. [1] A. Bojanczyk, G. H. Golub, P. Van Dooren, "The periodic Schur decomposition. Algorithms
   and applications", Proc. SPIE 1770 (1992) 31–42.
.. [2] J. J. Hench, A. J. Laub, "Numerical solution of the discrete-time periodic Riccati
   equation", IEEE Trans. Automat. Control 39 (1994) 1197–1210 (the periodic QZ).
.. [3] K. Lust, "Improved numerical Floquet multipliers", Int. J. Bifurcation and Chaos 11
   (2001) 2389–2410.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.linalg.lapack import dgeqrf, dorgqr

from ..errors import InvalidInputError, ShapeError

__all__ = ["periodic_multipliers"]

#: an entry of S below this is zero: a backward error of this relative size in one factor
_SEPARATED = 64 * np.finfo(float).eps
#: largest log-modulus returned as a number (exp(709) ≈ 8e307; larger moduli are clipped)
_LOG_MAX = 709.0


def periodic_multipliers(jacobians, *, max_sweeps: int = 60) -> tuple[np.ndarray, np.ndarray]:
    r"""Eigenvalues of :math:`J_{k} \cdots J_{1}` by periodic QR sweeps, and their log-moduli.

    Parameters
    ----------
    jacobians : array_like, shape (k, n, n)
        ``jacobians[j]`` is the Jacobian at the j-th point of the cycle (applied in order).
    max_sweeps : int
        Sweeps around the cycle at most (each costs k QR factorisations of n × n matrices; one
        to three suffice unless two multipliers have nearly equal moduli, and those are then
        computed accurately from their own small block).

    Returns
    -------
    multipliers : ndarray of complex, shape (n,)
        By decreasing modulus. Moduli above :math:`e^{709}` are clipped there (see
        ``log_moduli``); moduli below the smallest double are 0.
    log_moduli : ndarray, shape (n,)
        :math:`\log|\mu_i|`, exact however large or small the multipliers (−inf for a zero
        one).

    Raises
    ------
    ShapeError
        ``jacobians`` is not (k, n, n) with k, n ≥ 1.
    InvalidInputError
        A non-finite entry, or ``max_sweeps`` < 1.

    References
    ----------
    .. [1] A. Bojanczyk, G. H. Golub, P. Van Dooren (1992), the periodic Schur decomposition.

    Examples
    --------
    A 2-cycle of a linear map whose product has multipliers 2^{-2000} and 1 (far below the
    smallest double): the log-moduli are exact.

    >>> import numpy as np
    >>> from dynrnn.analysis.periodic_schur import periodic_multipliers
    >>> J = np.array([np.diag([2.0**-1000, 1.0])] * 2)
    >>> mu, logs = periodic_multipliers(J)
    >>> mu.real.tolist(), round(logs[1] / np.log(2))
    ([1.0, 0.0], -2000)
    """
    J = _check_jacobians(jacobians)
    if isinstance(max_sweeps, bool) or not isinstance(max_sweeps, (int, np.integer)) \
            or max_sweeps < 1:
        raise InvalidInputError(f"max_sweeps must be a positive integer, got {max_sweeps!r}",
                                argument="max_sweeps", value=max_sweeps)
    with np.errstate(all="ignore"):
        if J.shape[1] == 1:
            d = J[:, 0, 0]
            logs = np.array([float(np.sum(np.log(np.abs(d))))])
            sign = -1.0 if np.count_nonzero(d < 0) % 2 else 1.0
            return np.array([sign * math.exp(min(logs[0], _LOG_MAX))], dtype=complex), logs
        S, R = _converged_sweeps(J, int(max_sweeps))
        mu, logs = _block_multipliers(S, R)
    order = np.argsort(-logs, kind="stable")
    return mu[order], logs[order]


def _check_jacobians(jacobians) -> np.ndarray:
    try:
        J = np.asarray(jacobians, dtype=float)
    except (TypeError, ValueError):
        raise InvalidInputError("jacobians must be a real array of shape (k, n, n)",
                                argument="jacobians", value=jacobians) from None
    if J.ndim != 3 or J.shape[1] != J.shape[2] or J.shape[0] < 1 or J.shape[1] < 1:
        raise ShapeError(f"jacobians must have shape (k, n, n) with k, n >= 1, got {J.shape}",
                         argument="jacobians", expected="(k, n, n)", actual=J.shape)
    if not np.all(np.isfinite(J)):
        raise InvalidInputError("jacobians has a non-finite entry (NaN or inf)",
                                argument="jacobians", value="non-finite")
    return J


def _sweep(J: np.ndarray, Q0: np.ndarray):
    """One QR sweep from Q0: (S = Q0ᵀ Q_k, R (k, n, n), Q_k)."""
    # LAPACK directly: a fifth of np.linalg.qr's overhead on the small factors of maps
    Q = Q0
    R = np.empty_like(J)
    for j in range(J.shape[0]):
        packed, tau, _, _ = dgeqrf(J[j] @ Q)
        R[j] = np.triu(packed)
        Q, _, _ = dorgqr(packed, tau)
    return Q0.T @ Q, R, Q


def _boundaries(S: np.ndarray) -> tuple:
    """Where S splits: b with S[b:, :b] negligible (S is orthogonal, so S[:b, b:] is too)."""
    n = S.shape[0]
    return tuple(b for b in range(1, n) if float(np.max(np.abs(S[b:, :b]))) <= _SEPARATED)


def _converged_sweeps(J: np.ndarray, max_sweeps: int):
    """Sweep until the block structure of S is the same twice running (or all 1 × 1)."""
    n = J.shape[1]
    Q = np.eye(n)
    previous = None
    S = R = None
    for _ in range(max_sweeps):
        S, R, Q = _sweep(J, Q)
        blocks = _boundaries(S)
        if len(blocks) == n - 1 or blocks == previous:
            break
        previous = blocks
    return S, R


def _block_multipliers(S: np.ndarray, R: np.ndarray):
    """Multipliers and log-moduli from the blocks of S and the diagonal blocks of the R's."""
    n = S.shape[0]
    cuts = (0,) + _boundaries(S) + (n,)
    mu = np.empty(n, dtype=complex)
    logs = np.empty(n)
    for a, b in zip(cuts[:-1], cuts[1:]):
        if b - a == 1:
            d = R[:, a, a]
            logs[a] = float(np.sum(np.log(np.abs(d)))) + math.log(abs(S[a, a]))
            negative = np.count_nonzero(d < 0) + (S[a, a] < 0)
            mu[a] = (-1.0 if negative % 2 else 1.0) * math.exp(min(logs[a], _LOG_MAX))
            continue
        T = np.eye(b - a)
        log_scale = 0.0
        for Rj in R[:, a:b, a:b]:
            T = Rj @ T
            s = float(np.max(np.abs(T)))
            if s == 0.0:
                break
            T /= s
            log_scale += math.log(s)
        lam = np.linalg.eigvals(S[a:b, a:b] @ T)
        logs[a:b] = np.log(np.abs(lam)) + log_scale
        mu[a:b] = lam * np.exp(np.minimum(logs[a:b], _LOG_MAX) - np.log(np.abs(lam)))
        mu[a:b][lam == 0] = 0.0
    return mu, logs
