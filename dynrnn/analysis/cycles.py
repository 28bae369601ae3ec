r"""Periodic orbits (k-cycles) of recurrent maps: :func:`find_cycles`.

A k-cycle is a set of k distinct points with F(x_j) = x_{j+1}, F(x_k) = x_1, i.e. a fixed point of
the k-fold map whose minimal period is k. It is solved for all k points at once by multiple
shooting (the residuals F(x_j) − x_{j+1}; see :mod:`dynrnn.analysis._newton`), which is better
conditioned than Newton on F^k alone; for ReLU maps exactly, region sequence by region sequence;
for one-dimensional maps by bracketing the roots of F^k(x) − x. Each cycle is reported once (its
cyclic shifts are the same cycle) and only if its minimal period is k: fixed points and cycles of
a divisor period are discarded and counted in ``n_lower_period``.
"""
from __future__ import annotations

from typing import Literal

import numpy as np

from .._checks import check_count
from .._signature_checks import checked_arguments
from ..model.base import RecurrentMap
from .fixed_points import FixedPointResult, search

__all__ = ["find_cycles"]


@checked_arguments
def find_cycles(system: RecurrentMap, period: int, u=None, *, n_starts: int = 256,
                seed: int | np.random.Generator | None = 0, starts=None, tol: float = 1e-10,
                max_iter: int = 60, raise_on_failure: bool = False, progress: bool = False,
                method: Literal["auto", "newton", "bracket", "piecewise"] = "auto", box=None,
                dedupe_tol: float = 1e-6, eig_tol: float = 1e-8,
                derivative_bounds: tuple[float, float] | None = None, n_grid: int = 2001,
                max_regions: int = 2 ** 14) -> FixedPointResult:
    r"""Find the k-cycles of a recurrent map and their multipliers.

    .. math::

        x_{j+1} = F(x_j, u),\ j = 1..k, \quad x_{k+1} = x_1, \qquad
        \text{multipliers} = \operatorname{eig}\big(J(x_k) \cdots J(x_1)\big)

    Parameters
    ----------
    system : RecurrentMap
    period : int
        The period k ≥ 1 (k = 1 gives the fixed points).
    u : array_like, shape (n_inputs,), optional
        The constant input.
    n_starts, seed, starts, tol, max_iter, raise_on_failure, progress, method, box, dedupe_tol,
    eig_tol, derivative_bounds, n_grid, max_regions
        As for :func:`~dynrnn.find_fixed_points` (the seed is fixed, 0, by default, so identical
        calls give identical cycles). ``starts`` (n_starts, n_states) are first
        points; the others are their images. ``tol`` bounds the shooting residual
        ‖(F(x_j) − x_{j+1})_j‖₂. The piecewise route is exhaustive while 2^{n k} ≤ max_regions.

    Returns
    -------
    FixedPointResult
        ``period == k``; each :class:`FixedPoint` has ``orbit`` (k, n_states), its first point as
        ``x``, the multipliers as ``eigenvalues`` and ``residual`` = ‖F^k(x) − x‖₂.

    References
    ----------
    P. Deuflhard, *Newton Methods for Nonlinear Problems*, Springer 2004, §7.3 (multiple shooting
    and condensing).
    L. Eisenmann et al., "Bifurcations and loss jumps in RNN training", NeurIPS 2023.

    Examples
    --------
    >>> import sympy as sp, dynrnn as dr
    >>> x, r = sp.symbols("x r")
    >>> logistic = dr.Map.from_sympy([r * x * (1 - x)], [x], {r: 3.2}, box=(0.0, 1.0))
    >>> result = dr.find_cycles(logistic, period=2, derivative_bounds=(3.2, 6.4))
    >>> len(result), result.exhaustive, [round(float(v), 6) for v in result[0].orbit[:, 0]]
    (1, True, [0.513045, 0.799455])
    """
    period = check_count(period, "period", 1)
    return search(system, u, period, n_starts=n_starts, seed=seed, starts=starts, tol=tol,
                  max_iter=max_iter, slow_points=False, raise_on_failure=raise_on_failure,
                  progress=progress, method=method, box=box, dedupe_tol=dedupe_tol,
                  eig_tol=eig_tol, derivative_bounds=derivative_bounds, n_grid=n_grid,
                  max_regions=max_regions, slow_threshold=1.0, max_slow_starts=0)
