r"""Deflated Newton: Newton runs pushed away from the roots already found.

Given roots :math:`r_1, \dots, r_m` of :math:`f(x) = F(x) - x`, deflation (Farrell, Birkisson &
Funke 2015) solves instead

.. math::

    g(x) = \mu(x)\, f(x), \qquad
    \mu(x) = \prod_{i=1}^m \Big(\frac{1}{\|x - r_i\|^p} + \sigma\Big),

whose roots are the roots of f other than the :math:`r_i` (near a known root μ blows up, so g
does not vanish there). The Newton step of g is a rescaled Newton step of f (Sherman–Morrison):

.. math::

    \delta_g = \tau\, \delta_f, \qquad
    \tau = \frac{1}{1 - \nabla \log\mu(x) \cdot \delta_f},

so deflation costs one extra dot product per iteration over plain Newton. A run that would have
converged back to a known root is sent elsewhere, to a new root or out of the search region.
Internal: :func:`~dynrnn.find_fixed_points` calls it in its later rounds.

References
----------
P. E. Farrell, Á. Birkisson, S. W. Funke, "Deflation techniques for finding distinct solutions of
nonlinear partial differential equations", SIAM J. Sci. Comput. 37 (2015), A2026–A2045.
"""
from __future__ import annotations

import numpy as np

from . import _newton as nw

__all__: list[str] = []


def log_multiplier_gradient(X: np.ndarray, roots: np.ndarray, *, power: float = 2.0,
                            shift: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    r"""log μ(x) and its gradient for states X (m, n) and known roots (r, n).

    .. math::

        \nabla \log \mu(x) = \sum_i \frac{-p\,\|x - r_i\|^{-p-2}\,(x - r_i)}
                                          {\|x - r_i\|^{-p} + \sigma}
                          = \sum_i \frac{-p\,(x - r_i)}{\|x - r_i\|^2\,(1 + \sigma \|x - r_i\|^p)}
    """
    diff = X[:, None, :] - roots[None, :, :]                     # (m, r, n)
    d2 = np.maximum(np.einsum("mrn,mrn->mr", diff, diff), 1e-300)
    dp = d2 ** (power / 2)
    log_mu = np.sum(np.log(1.0 / dp + shift), axis=1)
    weight = -power / (d2 * (1.0 + shift * dp))                  # (m, r)
    return log_mu, np.einsum("mr,mrn->mn", weight, diff)


def deflated_newton(system, u, X0: np.ndarray, roots: np.ndarray, *, max_iter: int = 40,
                    box=None, power: float = 2.0, shift: float = 1.0,
                    max_halvings: int = 12) -> np.ndarray:
    """Run deflated Newton (fixed points, period 1) from the starts X0 (m, n); return the
    final iterates (m, n). They are then polished by plain Newton by the caller: deflation only
    decides which basin of Newton's method a start ends in.

    Each step is τ δ_f, damped by halving until ‖g‖ = μ‖f‖ decreases (``max_halvings``);
    iterates are projected onto ``box`` when given.
    """
    X = np.array(X0, dtype=np.float64)
    if X.shape[0] == 0:
        return X
    roots = np.asarray(roots, dtype=np.float64).reshape(-1, X.shape[1])
    if box is not None:
        X = np.clip(X, box[0], box[1])

    def merit(Y):
        R, res = nw._evaluate(system, u, Y[:, None, :])
        if roots.shape[0]:
            log_mu, _ = log_multiplier_gradient(Y, roots, power=power, shift=shift)
            with np.errstate(all="ignore"):
                value = np.log(np.maximum(res, 1e-300)) + log_mu
        else:
            value = np.log(np.maximum(res, 1e-300))
        value[~np.isfinite(res)] = np.inf
        return R, res, value

    R, res, value = merit(X)
    active = np.isfinite(value)
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        D = nw._direction(system, u, X[idx, None, :], R[idx])[:, 0]
        if roots.shape[0]:
            _, grad = log_multiplier_gradient(X[idx], roots, power=power, shift=shift)
            with np.errstate(all="ignore"):
                tau = 1.0 / (1.0 - np.einsum("mn,mn->m", grad, D))
            D = D * tau[:, None]
        good = np.all(np.isfinite(D), axis=1)
        active[idx[~good]] = False
        idx, D = idx[good], D[good]
        alpha = np.ones(idx.size)
        pending = np.ones(idx.size, dtype=bool)
        for _ in range(max_halvings):
            p = np.flatnonzero(pending)
            if p.size == 0:
                break
            trial = X[idx[p]] + alpha[p, None] * D[p]
            if box is not None:
                trial = np.clip(trial, box[0], box[1])
            Rt, rt, vt = merit(trial)
            ok = vt < value[idx[p]] + np.log1p(-1e-4 * alpha[p])
            acc = p[ok]
            X[idx[acc]] = trial[ok]
            R[idx[acc]] = Rt[ok]
            res[idx[acc]] = rt[ok]
            value[idx[acc]] = vt[ok]
            pending[acc] = False
            alpha[p[~ok]] *= 0.5
        active[idx[pending]] = False
        # a run at a root of f (a new one: deflation keeps it off the known ones) is done
        goal = nw.attainable_tolerance(X[:, None, :], 1e-12)
        active &= ~(res <= goal)
    return X
