r"""Exact fixed points and k-cycles of piecewise-linear maps F(x) = A x + W relu(x) + c.

On the region where the units in the pattern D ∈ {0, 1}^n are active (x_i > 0 exactly when
D_i = 1; a unit at x_i = 0 counts as inactive, matching σ'(0) = 0), F is affine,
F(x) = M_D x + c with M_D = A + W diag(D). A k-cycle visiting the regions D_1, ..., D_k solves

.. math::

    (P - I)\, x_1 = -s, \qquad P = M_{D_k} \cdots M_{D_1}, \qquad
    s = c + M_{D_k}(c + M_{D_{k-1}}(\cdots + M_{D_2} c)),

and is a true cycle exactly when each x_j lies in the region it was assumed to lie in. Its
multipliers are the eigenvalues of P. Trying every sequence of patterns finds all isolated
cycles (``2^{nk}`` linear solves, batched); for larger n·k the randomised search of Eisenmann et
al. (SCYFI) guesses a sequence, solves, reads off the patterns the solution actually visits,
moves there, and repeats until consistent or until the patterns repeat, then restarts.

References
----------
L. Eisenmann, Z. Monfared, N. Göring, D. Durstewitz, "Bifurcations and loss jumps in RNN
training", NeurIPS 2023 (the SCYFI algorithm).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["solve_patterns", "enumerate_cycles", "random_region_search"]

_CHUNK = 4096


@dataclass
class PatternSolve:
    orbits: np.ndarray        # (S, k, n) the solutions (NaN where singular)
    multipliers: np.ndarray   # (S, n) eigenvalues of P (computed only for consistent rows)
    consistent: np.ndarray    # (S,) bool: every point lies in its assumed region
    singular: np.ndarray      # (S,) bool
    actual: np.ndarray        # (S, k, n) bool: the patterns the solutions actually visit


def solve_patterns(A, W, c, patterns: np.ndarray, *, need_eigs: bool = True) -> PatternSolve:
    """Solve the affine cycle equations for a batch of pattern sequences (S, k, n) of bools."""
    patterns = np.asarray(patterns, dtype=bool)
    S, k, n = patterns.shape
    orbits = np.full((S, k, n), np.nan)
    mult = np.full((S, n), np.nan + 0j)
    singular = np.zeros(S, dtype=bool)
    eye = np.eye(n)
    for lo in range(0, S, _CHUNK):
        sl = slice(lo, min(S, lo + _CHUNK))
        M = A + W * patterns[sl, :, None, :]               # (c, k, n, n)
        P = M[:, 0]
        s = np.broadcast_to(c, (M.shape[0], n)).copy()
        for j in range(1, k):
            P = M[:, j] @ P
            s = np.einsum("cab,cb->ca", M[:, j], s) + c
        # x_{j+1} = M_j x_j + c, so x_{k+1} = P x_1 + s with s built by s <- M_j s + c.
        Ms = P - eye
        try:
            x1 = np.linalg.solve(Ms, -s[..., None])[..., 0]
            bad = ~np.all(np.isfinite(x1), axis=1)
        except np.linalg.LinAlgError:
            x1 = np.full(s.shape, np.nan)
            bad = np.zeros(s.shape[0], dtype=bool)
            for i in range(s.shape[0]):
                try:
                    x1[i] = np.linalg.solve(Ms[i], -s[i])
                except np.linalg.LinAlgError:
                    bad[i] = True
        # exactly singular systems in floating point sometimes pass solve with huge entries
        if n <= 64:
            with np.errstate(all="ignore"):
                bad |= ~(np.linalg.cond(Ms) < 1e14)
        x1[bad] = np.nan
        singular[sl] = bad
        orb = np.empty((x1.shape[0], k, n))
        orb[:, 0] = x1
        for j in range(1, k):
            orb[:, j] = np.einsum("cab,cb->ca", M[:, j - 1], orb[:, j - 1]) + c
        orbits[sl] = orb
        if need_eigs:
            ok = ~bad & np.all((orb > 0) == patterns[sl], axis=(1, 2))
            if np.any(ok):
                mult[np.arange(lo, lo + x1.shape[0])[ok]] = np.linalg.eigvals(P[ok])
    actual = orbits > 0
    consistent = ~singular & np.all(actual == patterns, axis=(1, 2))
    return PatternSolve(orbits, mult, consistent, singular, actual)


def _bits(indices: np.ndarray, n_bits: int) -> np.ndarray:
    return ((indices[:, None] >> np.arange(n_bits)[None, :]) & 1).astype(bool)


def enumerate_cycles(A, W, c, period: int) -> tuple[PatternSolve, int]:
    """Solve every sequence of ``period`` patterns; returns the solve and the number of regions.

    When W == 0 (a linear map) every pattern gives the same system, so only one is solved.
    """
    n = c.shape[0]
    if not np.any(W):
        patterns = np.zeros((1, period, n), dtype=bool)
        sol = solve_patterns(A, W, c, patterns)
        # the pattern is immaterial for a linear map: accept the solution in any region, and
        # give it the multipliers of A^period (solve_patterns computed them only for solutions
        # inside the all-negative region, leaving NaN otherwise)
        sol.consistent = ~sol.singular
        if np.any(sol.consistent):
            sol.multipliers[sol.consistent] = np.linalg.eigvals(np.linalg.matrix_power(A, period))
        return sol, 1
    total = 2 ** (n * period)
    idx = np.arange(total, dtype=np.int64)
    patterns = _bits(idx, n * period).reshape(total, period, n)
    return solve_patterns(A, W, c, patterns), total


@dataclass
class RegionSearch:
    solve: PatternSolve       # the consistent solutions found (rows of a PatternSolve)
    n_starts: int
    n_converged: int
    n_failed: int
    n_singular: int
    n_iter: int


def random_region_search(A, W, c, period: int, n_starts: int, rng: np.random.Generator, *,
                         max_iter: int = 100, initial: np.ndarray | None = None
                         ) -> RegionSearch:
    """SCYFI-style search: from random pattern sequences, move to the patterns the solution
    visits until consistent (a cycle) or the patterns repeat (a failure), batched over starts."""
    n = c.shape[0]
    if initial is None:
        D = rng.random((n_starts, period, n)) < 0.5
    else:
        D = np.asarray(initial, dtype=bool)
    m = D.shape[0]
    seen: list[set] = [set() for _ in range(m)]
    active = np.ones(m, dtype=bool)
    found_orbits, found_mult = [], []
    n_conv = n_sing = n_iter = 0
    for it in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        n_iter = it + 1
        sol = solve_patterns(A, W, c, D[idx], need_eigs=True)
        for r, i in enumerate(idx):
            if sol.singular[r]:
                active[i] = False
                n_sing += 1
            elif sol.consistent[r]:
                active[i] = False
                n_conv += 1
                found_orbits.append(sol.orbits[r])
                found_mult.append(sol.multipliers[r])
            else:
                key = sol.actual[r].tobytes()
                if key in seen[i]:
                    active[i] = False
                else:
                    seen[i].add(key)
                    D[i] = sol.actual[r]
    orbits = np.array(found_orbits).reshape(-1, period, n)
    mult = np.array(found_mult).reshape(-1, n)
    s = PatternSolve(orbits, mult, np.ones(orbits.shape[0], dtype=bool),
                     np.zeros(orbits.shape[0], dtype=bool), orbits > 0)
    return RegionSearch(s, n_starts=m, n_converged=n_conv, n_failed=m - n_conv,
                        n_singular=n_sing, n_iter=n_iter)
