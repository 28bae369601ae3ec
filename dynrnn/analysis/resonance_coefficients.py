r"""The cubic coefficients of the 1:2 resonance (R2) of a fixed point or cycle of a map.

At R2 the k-fold map has a double multiplier −1 with a Jordan block. With the Jordan chain
:math:`A q_0 = -q_0,\ A q_1 = -q_1 + q_0` and its adjoint :math:`A^\top p_1 = -p_1,\
A^\top p_0 = -p_0 + p_1` (:math:`\|q_0\| = 1,\ \langle q_0, q_1\rangle = 0,\
\langle p_1, q_1\rangle = \langle p_0, q_0\rangle = 1,\ \langle p_0, q_1\rangle =
\langle p_1, q_0\rangle = 0`), the map restricted to its centre manifold is conjugate to

.. math:: (w_0, w_1) \mapsto (-w_0 + w_1,\ -w_1 + a w_0^3 + b w_0^2 w_1) + O(|w|^4)

(all quadratic terms are removable: :math:`(-1)^2 \ne -1`). The homological equation gives

.. math::

    (A - I) h_{20} &= -B(q_0, q_0), \quad (A - I) h_{11} = -h_{20} - B(q_0, q_1), \\
    a &= \tfrac16 \langle p_1, C(q_0, q_0, q_0) + 3 B(q_0, h_{20})\rangle, \\
    (A + I) h_{30} &= 6 a q_1 - 3 B(q_0, h_{20}) - C(q_0, q_0, q_0), \\
    b &= \tfrac12 \langle p_1, C(q_0, q_0, q_1) + 2 B(q_0, h_{11}) + B(q_1, h_{20})
         - h_{30}\rangle,

and the second iterate is approximated by the unit-time flow of :math:`\dot\xi = \eta,\
\dot\eta = \beta_1\xi + \beta_2\eta + C_1\xi^3 + D_1\xi^2\eta` with :math:`C_1 = 4a,\
D_1 = -2b - 6a` (Kuznetsov 2004, §9.5.3). In that unfolding the doubled cycle has a
Neimark–Sacker curve only when :math:`C_1 < 0`: its nontrivial equilibria
:math:`\xi^2 = -\beta_1/C_1` have Jacobian determinant :math:`2\beta_1`, so they can be foci
with trace :math:`\beta_2 - D_1\beta_1/C_1 = 0` only when they exist for :math:`\beta_1 > 0`.
The sign of :math:`C_1` does not depend on the scaling of the chain; the values do
(:math:`\|q_0\| = 1` here).

References
----------
.. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer (2004),
   §9.5.3 (the 1:2 resonance) and §9.6.
.. [2] Yu. A. Kuznetsov, H. G. E. Meijer, "Numerical normal forms for codim 2 bifurcations
   of fixed points with at most two critical eigenvalues", SIAM J. Sci. Comput. 26 (2005)
   1932–1954.
"""
from __future__ import annotations

import numpy as np

from ..model.base import RecurrentMap
from .codim2_coefficients import _critical_forms
from .special_points import BifurcationKind

__all__ = ["resonance_1_2_coefficients"]


def _bordered_solve(M: np.ndarray, column: np.ndarray, row: np.ndarray,
                    rhs: np.ndarray) -> np.ndarray:
    """x with M x + s column = rhs, row·x = 0 (regular when M has a one-dimensional kernel
    not orthogonal to ``row`` and ``column`` is outside its range)."""
    n = M.shape[0]
    top = np.block([[M, column[:, None]], [row[None, :], np.zeros((1, 1))]])
    return np.linalg.solve(top, np.concatenate([rhs, [0.0]]))[:n]


def _jordan_chain(A: np.ndarray):
    """(q0, q1, p0, p1) of the −1 Jordan block of A, normalised as in the module docstring."""
    n = A.shape[0]
    M = A + np.eye(n)
    left, _, right = np.linalg.svd(M)
    q0, p1 = right[-1], left[:, -1]
    q1 = _bordered_solve(M, p1, q0, q0)                  # M q1 = q0, q0·q1 = 0
    p0 = _bordered_solve(M.T, q0, p1, p1)                # Mᵀ p0 = p1
    scale = float(p1 @ q1)
    p1, p0 = p1 / scale, p0 / scale
    p0 = p0 - float(p0 @ q1) * p1
    return q0, q1, p0, p1


def resonance_1_2_coefficients(system: RecurrentMap, x, *, u=None,
                               period: int = 1) -> tuple[float, float]:
    r"""The coefficients :math:`(C_1, D_1)` of the 1:2 resonance at an R2 point.

    The second iterate of the k-fold map near R2 is the unit-time flow of
    :math:`\dot\xi = \eta,\ \dot\eta = \beta_1\xi + \beta_2\eta + C_1\xi^3 + D_1\xi^2\eta`,
    :math:`C_1 = 4a,\ D_1 = -2b - 6a` with a, b the cubic coefficients of the map's normal
    form (see the module docstring). The doubled cycle has a Neimark–Sacker curve in the
    unfolding only when :math:`C_1 < 0`.

    Parameters
    ----------
    system : RecurrentMap
        The map at the R2 point's parameters (not piecewise linear).
    x : array_like, shape (n,)
        The point of the cycle (a fixed point of the k-fold map with a double multiplier −1,
        within 1e-6).
    u : array_like, optional
    period : int

    Returns
    -------
    (float, float)
        :math:`(C_1, D_1)` with :math:`\|q_0\| = 1`.

    Raises
    ------
    InvalidInputError
        When x is not a fixed point of the k-fold map or has no multiplier −1.

    References
    ----------
    Kuznetsov (2004) §9.5.3; Kuznetsov & Meijer (2005).

    Examples
    --------
    >>> import sympy as sp, dynrnn as dr
    >>> x, y = sp.symbols("x y")
    >>> m = dr.Map.from_sympy([-x + y, -y - 0.5 * x**3 + 0.2 * x**2 * y], [x, y], {})
    >>> C1, D1 = resonance_1_2_coefficients(m, [0.0, 0.0])
    >>> round(C1, 9), round(D1, 9)      # 4a, -2b - 6a with a = -0.5, b = 0.2
    (-2.0, 2.6)
    """
    x, u, period, forms = _critical_forms(system, x, u, period, BifurcationKind.PD)
    A = forms.A
    n = A.shape[0]
    q0, q1, _, p1 = _jordan_chain(A)
    B, C = forms.B, forms.C
    shifted = A - np.eye(n)
    h20 = np.linalg.solve(shifted, -B(q0, q0))
    h11 = np.linalg.solve(shifted, -h20 - B(q0, q1))
    a = float(p1 @ (C(q0, q0, q0) + 3.0 * B(q0, h20))) / 6.0
    rhs30 = 6.0 * a * q1 - 3.0 * B(q0, h20) - C(q0, q0, q0)
    # (A + I) h30 = rhs30 is singular along q0, but <p1, h30> does not depend on that part
    h30 = _bordered_solve(A + np.eye(n), p1, q0, rhs30)
    b = float(p1 @ (C(q0, q0, q1) + 2.0 * B(q0, h11) + B(q1, h20) - h30)) / 2.0
    return 4.0 * a, -2.0 * b - 6.0 * a
