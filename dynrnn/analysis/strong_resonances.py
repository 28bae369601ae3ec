r"""Locating the strong resonances R1 and R2 on a Neimark–Sacker curve.

On an NS curve the test functions :math:`\kappa \mp 1` change sign at R1 (:math:`\kappa = 1`)
and R2 (:math:`\kappa = -1`), but there the NS defining system itself is singular: for a
2-state map :math:`G_x^2 - 2\kappa G_x + I = (G_x \mp I)^2` vanishes altogether, and the
corrector fails within about 1e-5 of the point. This module locates such a point instead on
the system that is regular there,

.. math::

    G(x; p) - x = 0, \qquad g(x, p) = 0, \qquad \hat w^\top \hat v = 0,

with :math:`(M\ b;\ c^\top\ 0)(v;\ g) = (0;\ 1)`, :math:`(M^\top\ c;\ b^\top\ 0)(w;\ g') =
(0;\ 1)` and :math:`M = G_x \mp I` (the fold or flip system plus the Jordan-block condition
that defines R1 or R2 on a fold or flip curve), by Newton's method with a central-difference
Jacobian, from the point of the bracket interpolated at :math:`\kappa = \pm 1`.

References
----------
W. Govaerts, R. Khoshsiar Ghaziani, Yu. A. Kuznetsov, H. G. E. Meijer, "Numerical methods
for two-parameter local bifurcation analysis of maps", SIAM J. Sci. Comput. 29 (2007)
2644–2667 (the test functions of R1 and R2 on fold and flip curves).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__: list[str] = []


@dataclass(frozen=True)
class ResonanceEvaluation:
    """What the curve's detection needs of a located point: the monodromy ``Gx``."""

    Gx: np.ndarray


def _bordered(M: np.ndarray, b: np.ndarray, c: np.ndarray):
    n = M.shape[0]
    top = np.block([[M, b[:, None]], [c[None, :], np.zeros((1, 1))]])
    rhs = np.zeros(n + 1)
    rhs[-1] = 1.0
    right = np.linalg.solve(top, rhs)
    left = np.linalg.solve(top.T, rhs)
    return right[:n], right[n], left[:n]


def _residual(problem, y: np.ndarray, mu: float, borders) -> tuple[np.ndarray, np.ndarray]:
    n = problem.n
    image, Gx, _ = problem.compose(y[:n], y[n:n + 2])
    v, g, w = _bordered(Gx - mu * np.eye(n), *borders)
    jordan = float(w @ v) / (float(np.linalg.norm(w) * np.linalg.norm(v)) or 1.0)
    return np.concatenate([image - y[:n], [g, jordan]]), Gx


def locate_on_ns_curve(problem, z_a: np.ndarray, z_b: np.ndarray, mu: float,
                       tol: float = 1e-12, max_iter: int = 30):
    """``(z, evaluation, 0.0, n_iter)`` of the R1 (``mu = 1``) or R2 (``mu = -1``) point
    between the NS-curve points ``z_a`` and ``z_b`` (with κ at index n + 2), or None."""
    n = problem.n
    ka, kb = float(z_a[n + 2]) - mu, float(z_b[n + 2]) - mu
    if not ka * kb < 0:
        return None
    t = ka / (ka - kb)
    y = (1 - t) * z_a[:n + 2] + t * z_b[:n + 2]
    try:
        with np.errstate(all="ignore"):
            _, Gx, _ = problem.compose(y[:n], y[n:n + 2])
            left, _, right = np.linalg.svd(Gx - mu * np.eye(n))
            borders = (left[:, -1], right[-1])
            for it in range(1, max_iter + 1):
                r, Gx = _residual(problem, y, mu, borders)
                if not np.all(np.isfinite(r)):
                    return None
                if float(np.max(np.abs(r))) < tol:
                    z = np.concatenate([y, [mu]])
                    return z, ResonanceEvaluation(Gx), 0.0, it
                D = np.empty((n + 2, n + 2))
                for k in range(n + 2):
                    h = 1e-6 * (1.0 + abs(y[k]))
                    step = np.zeros(n + 2)
                    step[k] = h
                    D[:, k] = (_residual(problem, y + step, mu, borders)[0]
                               - _residual(problem, y - step, mu, borders)[0]) / (2 * h)
                y = y - np.linalg.solve(D, r)
    except (np.linalg.LinAlgError, ArithmeticError, ValueError):
        return None
    return None
