r"""The critical multiplier during location on large networks, by shifted inverse iteration.

Locating a period doubling or a Neimark–Sacker point between two branch points
(:func:`~dynrnn.analysis.continuation.testfunctions.locate_on_segment`) needs at each trial
point only the smooth test function :math:`\psi = \mu_c + 1` (PD) or :math:`|\mu_c| - 1`
(NS) of the critical multiplier :math:`\mu_c`, not the whole spectrum. Near the crossing
:math:`\mu_c` moves smoothly with the arclength coordinate s, so its value interpolated from
the trial points already computed is a shift σ much closer to it than to any other
multiplier, and inverse iteration

.. math:: (M - \sigma I)\, v_{j+1} = v_j, \qquad v_{j+1} \leftarrow v_{j+1} / \|v_{j+1}\|,

converges in one or two steps to its eigenvector; :math:`\mu_c = v^{H} M v` (one LU,
:math:`\tfrac23 n^3` flops, complex for NS, against about :math:`10 n^3` for all the
multipliers). The caller checks the result against a full decomposition at the located
point and falls back to full decompositions throughout when they disagree.

References
----------
.. [1] Y. Saad, *Numerical Methods for Large Eigenvalue Problems*, 2nd ed., SIAM, 2011,
   §4.2 (inverse iteration and shifts).
.. [2] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
   §10.4 (test functions for maps).
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.linalg

from ..special_points import BifurcationKind

__all__ = ["critical_multiplier", "crossing_pair", "inverse_iteration", "interpolated_shift",
           "psi_of"]


def critical_multiplier(kind: BifurcationKind, mu: np.ndarray) -> complex:
    """The multiplier that the smooth test function of ``kind`` (PD or NS) follows, among all
    multipliers ``mu``: the one nearest −1 (PD), or the complex one with positive imaginary
    part nearest the unit circle (NS); NaN when there is none."""
    if kind == BifurcationKind.PD:
        return complex(mu[np.argmin(np.abs(mu + 1.0))])
    cplx = mu[np.abs(mu.imag) > 1e-9 * np.maximum(1.0, np.abs(mu))]
    if cplx.size == 0:
        return complex(math.nan, math.nan)
    value = complex(cplx[np.argmin(np.abs(np.abs(cplx) - 1.0))])
    return value.conjugate() if value.imag < 0 else value


def crossing_pair(kind: BifurcationKind, mu_a: np.ndarray,
                  mu_b: np.ndarray) -> tuple[complex, complex] | None:
    """The multiplier that crossed between two points with all multipliers ``mu_a`` and
    ``mu_b``, at each of them: among the complex ones with positive imaginary part (NS) or
    the real negative ones (PD), the pair on opposite sides of the circle (of −1) nearest
    each other; None when there is no such pair."""
    def candidates(mu):
        if kind == BifurcationKind.PD:
            keep = (np.abs(mu.imag) <= 1e-9 * np.maximum(1.0, np.abs(mu))) & (mu.real < 0)
        else:
            keep = (mu.imag > 1e-9 * np.maximum(1.0, np.abs(mu)))
        return mu[keep].astype(complex)

    a, b = candidates(np.asarray(mu_a)), candidates(np.asarray(mu_b))
    if a.size == 0 or b.size == 0:
        return None
    side_a = np.array([psi_of(kind, complex(v)) for v in a])
    side_b = np.array([psi_of(kind, complex(v)) for v in b])
    distance = np.abs(a[:, None] - b[None, :])
    distance[side_a[:, None] * side_b[None, :] >= 0] = np.inf
    i, j = np.unravel_index(int(np.argmin(distance)), distance.shape)
    if not math.isfinite(float(distance[i, j])):
        return None
    return complex(a[i]), complex(b[j])


def psi_of(kind: BifurcationKind, value: complex) -> float:
    """The smooth test function from the critical multiplier: Re μ + 1 (PD), |μ| − 1 (NS)."""
    if kind == BifurcationKind.PD:
        return value.real + 1.0
    return abs(value) - 1.0


def interpolated_shift(known: dict, s: float) -> complex:
    """The critical multiplier at coordinate s, interpolated linearly from the two known
    coordinates nearest s (``known`` maps coordinate to multiplier, at least one entry)."""
    nearest = sorted(known, key=lambda key: abs(key - s))[:2]
    if len(nearest) < 2 or nearest[0] == nearest[1]:
        return known[nearest[0]]
    s0, s1 = nearest
    weight = (s - s0) / (s1 - s0)
    return known[s0] + weight * (known[s1] - known[s0])


def inverse_iteration(M: np.ndarray, shift: complex, max_iter: int = 20,
                      tol: float = 1e-13) -> complex | None:
    r"""The eigenvalue of M nearest ``shift`` by inverse iteration (see the module docstring):
    returned once the residual :math:`\|Mv - \mu v\|` of the unit vector v is at most
    ``tol``·(1 + ‖M‖₁); None if it is not within ``max_iter`` steps or M − σI is singular.

    Examples
    --------
    >>> import numpy as np
    >>> M = np.diag([0.5, -0.98, 0.2])
    >>> round(inverse_iteration(M, -0.9).real, 12)
    -0.98
    """
    n = M.shape[0]
    real = shift.imag == 0.0
    A = M - (shift.real if real else shift) * np.eye(n)
    with warnings.catch_warnings():     # a singular M − σI is reported as None below
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        lu, piv = scipy.linalg.lu_factor(A, check_finite=False)
    if not np.all(np.isfinite(lu)) or np.any(np.diagonal(lu) == 0):
        return None
    scale = tol * (1.0 + float(np.abs(M).sum(axis=0).max()))
    # a fixed start vector (deterministic) with components along every eigenvector
    v = np.cos(np.arange(1, n + 1) * 0.7) + (0.0 if real else 1j * np.sin(np.arange(n) * 1.3))
    v = v / np.linalg.norm(v)
    for _ in range(max_iter):
        v = scipy.linalg.lu_solve((lu, piv), v, check_finite=False)
        size = float(np.linalg.norm(v))
        if not math.isfinite(size) or size == 0.0:
            return None
        v = v / size
        Mv = M @ v
        value = complex(np.vdot(v, Mv))
        if float(np.linalg.norm(Mv - value * v)) <= scale:
            return value
    return None
