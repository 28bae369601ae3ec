r"""The bordered block-cyclic system of multiple shooting, solved in O(k n³).

Newton's method for a k-cycle in the unknowns :math:`(x_0, \dots, x_{k-1}, p)` and the
tangent of its branch solve

.. math::

    J_j\, y_j - y_{j+1} + g_j\, q = r_j \quad (j = 0..k-1,\ y_k = -\omega\, y_0), \qquad
    \sum_j c_j^\top y_j + c_p\, q = r_b,

(ω = −1 for a cycle; ω = +1 gives the anti-periodic system whose null vectors are the flip
vectors of the cycle). Dense LU on the :math:`(kn + 1)^2` matrix costs :math:`(kn)^3/3`;
eliminating :math:`y_1, \dots, y_{k-1}` one after the other around the cycle costs
:math:`O(k n^3)` and :math:`O(k n^2)` memory. Each elimination is a QR factorisation of the
:math:`(2n + 1) \times n` column of the eliminated unknown (the n + 1 rows carried from the
previous step, the border row among them, stacked on the next block row), so the elimination is
orthogonal and stable however unstable the cycle (no product of Jacobians is formed, as
condensing to single shooting would). The :math:`(n + 1) \times (n + 1)` system left in
:math:`(y_0, q)` is solved by LU, then the eliminated unknowns by back-substitution. The sign of
the determinant (which the continuation engine tracks for branch points) comes from the same
factorisations.

References
----------
.. [1] S. J. Wright, "Stable parallel algorithms for two-point boundary value problems", SIAM
   J. Sci. Stat. Comput. 13 (1992) 742–764 (structured orthogonal elimination of block-bidiagonal
   systems).
.. [2] E. J. Doedel, H. B. Keller, J. P. Kernévez, Int. J. Bifurcation and Chaos 1 (1991)
   745–772 (bordered systems of periodic solutions).
"""
from __future__ import annotations

import numpy as np
from scipy.linalg.lapack import dgeqrf, dgesv, dormqr, dtrtrs

__all__ = ["solve_cyclic_bordered", "dense_cyclic_bordered"]


def dense_cyclic_bordered(J: np.ndarray, G: np.ndarray, C: np.ndarray, c_p: float,
                          wrap: float = -1.0) -> np.ndarray:
    """The (k n + 1, k n + 1) matrix of the system (for checks and small k n)."""
    k, n, _ = J.shape
    N = k * n
    A = np.zeros((N + 1, N + 1))
    eye = np.eye(n)
    for j in range(k):
        rows = slice(j * n, (j + 1) * n)
        A[rows, rows] = J[j]
        nxt = (j + 1) % k
        A[rows, nxt * n:(nxt + 1) * n] += wrap * eye if nxt == 0 else -eye
        A[rows, N] = G[j]
    A[N, :N] = C.reshape(-1)
    A[N, N] = c_p
    return A


def _eliminate(J, G, C, c_p, rhs, wrap):
    """Orthogonal elimination of y_1..y_{k-1}: the pivot rows, the final (n+1) system and the
    sign contribution of the orthogonal factors and triangular pivots."""
    k, n, _ = J.shape
    m = rhs.shape[1]
    eye = np.eye(n)
    # carried rows (n + 1): coefficients on the next unknown, y_0, q, the right-hand side, and
    # the weight of the border row in them (its coefficients on later unknowns are w c_j)
    first = J[0] + wrap * eye if k == 1 else J[0]
    carried_next = np.vstack([-eye, C[1:2]]) if k > 1 else None
    carried = np.zeros((n + 1, n + 1 + m + 1))
    carried[:n, :n] = first
    carried[n, :n] = C[0]
    carried[:n, n] = G[0]
    carried[n, n] = c_p
    carried[:n, n + 1:n + 1 + m] = rhs[:n]
    carried[n, n + 1:n + 1 + m] = rhs[k * n]
    carried[n, -1] = 1.0
    pivots = []
    odd = False
    width = n + n + 1 + m + 1      # next unknown | y_0 | q | rhs | border weight
    column = np.empty((2 * n + 1, n))
    lwork = max(1, 4 * width * n)
    for j in range(1, k):
        last = j == k - 1
        column[:n + 1] = carried_next
        column[n + 1:] = J[j]
        B = np.zeros((2 * n + 1, width))
        if not last:
            B[:n + 1, :n] = carried[:, -1:] * C[j + 1]
            B[n + 1:, :n] = -eye
        B[:n + 1, n:] = carried
        if last:
            B[n + 1:, n:2 * n] = wrap * eye
        B[n + 1:, 2 * n] = G[j]
        B[n + 1:, 2 * n + 1:2 * n + 1 + m] = rhs[j * n:(j + 1) * n]
        packed, tau, _, info = dgeqrf(column)
        B, _, info2 = dormqr("L", "T", packed, tau, B, lwork=lwork)
        if info != 0 or info2 != 0:
            raise np.linalg.LinAlgError("QR of a cyclic block failed")
        # Python on the n-long lists: cheaper than numpy reductions at the small n of maps
        for d, t in zip(packed.diagonal().tolist(), tau.tolist()):
            if d == 0.0:
                raise np.linalg.LinAlgError("singular cyclic bordered matrix")
            odd ^= (d < 0) ^ (t != 0.0)     # a reflector with τ ≠ 0 has det −1
        pivots.append((packed[:n], B[:n]))   # dtrtrs reads the upper triangle only
        carried_next = B[n:, :n]
        carried = B[n:, n:]
    return pivots, carried, odd


def solve_cyclic_bordered(J: np.ndarray, G: np.ndarray, C: np.ndarray, c_p: float,
                          rhs: np.ndarray, wrap: float = -1.0) -> tuple[np.ndarray, float]:
    r"""Solve the bordered block-cyclic system (module docstring) in O(k n³).

    Parameters
    ----------
    J : ndarray, shape (k, n, n)
    G : ndarray, shape (k, n)
        The parameter column :math:`g_j`.
    C : ndarray, shape (k, n)
        The border row's blocks :math:`c_j`.
    c_p : float
        The border row's last entry.
    rhs : ndarray, shape (k n + 1,) or (k n + 1, m)
    wrap : float
        ω: the last block row reads :math:`J_{k-1} y_{k-1} + \omega\, y_0 + g_{k-1} q`
        (ω = −1 for a cycle, +1 for the anti-periodic system of flip vectors).

    Returns
    -------
    y : ndarray, shape like ``rhs``
    det_sign : float
        The sign of the determinant of the (k n + 1)-square matrix.

    Raises
    ------
    numpy.linalg.LinAlgError
        The matrix is singular (as the continuation engine expects).
    """
    k, n, _ = J.shape
    single = rhs.ndim == 1
    R = rhs[:, None] if single else rhs
    m = R.shape[1]
    pivots, final, odd = _eliminate(J, G, C, float(c_p), R, float(wrap))
    lu, piv, head, info = dgesv(final[:, :n + 1], final[:, n + 1:n + 1 + m])
    if info != 0:
        raise np.linalg.LinAlgError("singular cyclic bordered matrix")
    for i, (pivot, d) in enumerate(zip(piv.tolist(), lu.diagonal().tolist())):
        odd ^= (pivot != i) ^ (d < 0)
    y = np.empty((k * n + 1, m))
    y[:n] = head[:n]
    y[k * n] = head[n]
    x0, q = head[:n], head[n]
    following = x0
    # the pivot rows of y_j hold the border row with weight w_j, hence w_j c_i on every later
    # y_i (i > j + 1): their sum is carried down the back-substitution
    later = np.zeros(m)
    for j in range(k - 1, 0, -1):
        upper, B = pivots[j - 1]
        right = B[:, 2 * n + 1:2 * n + 1 + m] - B[:, n:2 * n] @ x0 - B[:, 2 * n:2 * n + 1] * q
        if j < k - 1:
            right -= B[:, :n] @ following + B[:, -1:] * later
            later += C[j + 1] @ following
        following, info = dtrtrs(upper, right)
        if info != 0:
            raise np.linalg.LinAlgError("singular cyclic bordered matrix")
        y[j * n:(j + 1) * n] = following
    return (y[:, 0] if single else y), (-1.0 if odd else 1.0)
