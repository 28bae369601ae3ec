"""Batched damped Newton for fixed points and k-cycles (multiple shooting), with start sampling
and deduplication. Internal: the public entry points are in ``fixed_points`` and ``cycles``.

For a k-cycle the unknowns are the k points X = (x_1, ..., x_k) and the residuals are
r_j = F(x_j) − x_{j+1} (indices cyclic). A Newton step solves J_j δx_j − δx_{j+1} = −r_j;
eliminating δx_2..δx_k ("condensing") leaves one n×n system per start,

    (P − I) δx_1 = −s,   P = J_k ⋯ J_1,   s = r_k + J_k(r_{k−1} + J_{k−1}(⋯ + J_2 r_1)),

then δx_{j+1} = J_j δx_j + r_j. For k = 1 this is Newton's method on F(x) − x. All starts are
solved together: one stacked ``np.linalg.solve`` per iteration (in memory-bounded chunks).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

_EPS = np.finfo(np.float64).eps
#: bound on the size (in doubles) of the stacked Jacobians held at once (16 MB)
_CHUNK_DOUBLES = 2_000_000
#: from this n on, solves run one LAPACK call per matrix (see _solve_stack)
_LOOP_MIN_N = 48
#: from this n on, the global phase solves in float32 (see newton, mixed_precision)
_FLOAT32_MIN_N = 64
#: the global phase: residual above this times (1 + ‖X‖)
_FLOAT32_ABOVE = 1e-2


class Outcome(enum.IntEnum):
    RUNNING = 0
    CONVERGED = 1
    SINGULAR = 2
    NON_FINITE = 3
    NO_PROGRESS = 4
    MAX_ITER = 5


@dataclass
class NewtonRun:
    X: np.ndarray            # (m, k, n) final iterates
    residual: np.ndarray     # (m,) multiple-shooting residual ‖(F(x_j) − x_{j+1})_j‖
    outcome: np.ndarray      # (m,) Outcome codes
    n_iter: np.ndarray       # (m,) iterations used per start
    history: np.ndarray      # (n_iter_max + 1, m) residual per iteration, NaN after the end


def orbit_residuals(system, u, X):
    """Residuals r_j = F(x_j) − x_{j+1} for X (m, k, n) and their norms."""
    with np.errstate(all="ignore"):
        FX = system.step_unchecked(X, u)
        R = FX - np.roll(X, -1, axis=1)
        norm = np.sqrt(np.einsum("mkn,mkn->m", R, R))
    norm[~np.isfinite(norm)] = np.inf
    return R, norm


def _solve_stack(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve A[i] x[i] = b[i] for a C-ordered stack A (c, n, n), b (c, n), overwriting A.

    Rows whose matrix is exactly singular (or has non-finite entries) are NaN. For n ≥
    ``_LOOP_MIN_N`` one LAPACK getrf/getrs pair per matrix: ``A[i].T`` is Fortran-ordered, so
    its LU is computed in place and ``getrs(trans=1)`` solves with A[i] itself; this avoids the
    copy and transposition ``np.linalg.solve`` makes for every matrix of a stack (measured
    1.2–2× faster at n = 256, single-threaded OpenBLAS). Small n: the stacked numpy solve,
    whose per-call overhead is lower.
    """
    c, n = b.shape
    out = np.full(b.shape, np.nan, dtype=A.dtype)
    if n < _LOOP_MIN_N:
        try:
            return np.linalg.solve(A, b[..., None])[..., 0]
        except np.linalg.LinAlgError:
            for i in range(c):
                try:
                    out[i] = np.linalg.solve(A[i], b[i])
                except np.linalg.LinAlgError:
                    pass
            return out
    from scipy.linalg import lapack

    getrf, getrs = lapack.get_lapack_funcs(("getrf", "getrs"), (A[0],))
    for i in range(c):
        if not np.all(np.isfinite(A[i])):
            continue
        lu, piv, info = getrf(A[i].T, overwrite_a=True)
        if info != 0:
            continue
        x, info = getrs(lu, piv, b[i], trans=1)
        if info == 0:
            out[i] = x
    return out


def newton_direction(system, u, X, R, dtype=np.float64):
    """The condensed Newton direction δX (m, k, n); rows with a singular system are NaN.

    The n×n solve runs in ``dtype``: float32 halves the cost of the LU factorisations (the
    bulk of the work) where a less accurate direction is harmless (the global phase, where the
    line search, evaluated in float64, decides the step).
    """
    m, k, n = X.shape
    out = np.empty_like(X)
    chunk = max(1, _CHUNK_DOUBLES // max(1, k * n * n))
    diag = np.arange(n)
    for lo in range(0, m, chunk):
        sl = slice(lo, min(m, lo + chunk))
        with np.errstate(all="ignore"):
            J = system.jacobian_unchecked(X[sl], u)                 # (c, k, n, n)
            P = J[:, 0]
            s = R[sl, 0]
            for j in range(1, k):
                s = np.einsum("cab,cb->ca", J[:, j], s) + R[sl, j]
                P = J[:, j] @ P
            # A = P − I, in a fresh C-ordered array the solver may overwrite
            A = np.array(P, dtype=dtype, order="C", copy=True)
            A[:, diag, diag] -= 1.0
            d = _solve_stack(A, (-s).astype(dtype)).astype(np.float64)
            out[sl, 0] = d
            for j in range(1, k):
                out[sl, j] = np.einsum("cab,cb->ca", J[:, j - 1], out[sl, j - 1]) + R[sl, j - 1]
    return out


def attainable_tolerance(X, tol: float) -> np.ndarray:
    """max(tol, the rounding floor of ‖F(x) − x‖ at the scale of X), per start."""
    scale = np.sqrt(np.einsum("mkn,mkn->m", X, X)) + 1.0
    return np.maximum(tol, 64.0 * _EPS * scale * np.sqrt(X.shape[1] * X.shape[2]))


def newton(system, u, X0: np.ndarray, *, tol: float, max_iter: int, box=None,
           progress: bool = False, max_halvings: int = 30, stall_window: int = 20,
           memory: int = 5, mixed_precision: bool = True) -> NewtonRun:
    """Damped Newton with a non-monotone backtracking line search from every start in X0
    (m, k, n), all starts at once.

    A step α δ (α = 1, ½, ¼, ...) is accepted when ‖r(X + αδ)‖ ≤ (1 − 10⁻⁴α)·max of the last
    ``memory`` residuals (Grippo, Lampariello & Lucidi 1986); near a root the full step is
    always accepted, so convergence is quadratic.

    Failures (singular system, NaN, no decrease, iteration cap) are recorded per start; nothing
    is raised. Iterates are projected onto ``box`` (lo, hi) when given: every cycle lies in an
    invariant box and the projection onto a convex set never moves a point away from it.

    With ``mixed_precision`` (and n ≥ ``_FLOAT32_MIN_N``), starts whose residual exceeds
    ``_FLOAT32_ABOVE``·(1 + ‖X‖) get their direction from a float32 solve: far from a root the
    direction only has to be a descent direction for the float64 line search, and the float32
    LU costs about half as much. Near a root (the quadratic phase) every solve is float64, and a
    float32 direction that comes out non-finite is recomputed in float64.
    """
    X = np.array(X0, dtype=np.float64)
    m = X.shape[0]
    if box is not None:
        lo, hi = box
        X = np.clip(X, lo, hi)
    R, res = orbit_residuals(system, u, X)
    outcome = np.zeros(m, dtype=np.int8)
    n_iter = np.zeros(m, dtype=np.int64)
    history = np.full((max_iter + 1, m), np.nan)
    history[0] = res
    outcome[~np.isfinite(res)] = Outcome.NON_FINITE
    # starts whose float32 direction failed the line search: float64 from then on
    force64 = np.zeros(m, dtype=bool)
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=max_iter, desc="Newton", unit="it", leave=False)
    try:
        for it in range(max_iter):
            running = outcome == Outcome.RUNNING
            goal = attainable_tolerance(X, tol)
            done = running & (res <= goal)
            outcome[done] = Outcome.CONVERGED
            idx = np.flatnonzero(outcome == Outcome.RUNNING)
            if idx.size == 0:
                break
            D, low = _directions(system, u, X, R, res, idx, force64, mixed_precision)
            bad = ~np.all(np.isfinite(D), axis=(1, 2))
            outcome[idx[bad]] = Outcome.SINGULAR
            idx, D, low = idx[~bad], D[~bad], low[~bad]
            # Non-monotone acceptance (Grippo, Lampariello & Lucidi 1986): compare with the
            # largest residual of the last `memory` iterates, not the current one. Letting the
            # residual rise for a few steps takes Newton past the shallow local minima of
            # ‖F(x) − x‖ where a monotone line search stalls.
            window = history[max(0, it + 1 - memory): it + 1, idx]
            reference = np.nanmax(window, axis=0)
            pending = _line_search(system, u, (X, R, res), idx, D, reference, goal, box,
                                   max_halvings)
            # a float32 direction may be too inaccurate to descend (ill-conditioned P − I):
            # retry those starts in float64 next iteration rather than failing them
            retry = idx[pending & low]
            force64[retry] = True
            stuck = idx[pending & ~low]
            # no decrease along the Newton direction: converged if at the floor, else failed
            at_floor = res[stuck] <= 1e3 * goal[stuck]
            outcome[stuck[at_floor]] = Outcome.CONVERGED
            outcome[stuck[~at_floor]] = Outcome.NO_PROGRESS
            n_iter[idx] += 1
            history[it + 1, idx] = res[idx]
            if it + 1 > stall_window:
                _mark_stalled(outcome, history, res, X, tol, it, stall_window)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(running=int(np.count_nonzero(outcome == Outcome.RUNNING)))
        running = outcome == Outcome.RUNNING
        goal = attainable_tolerance(X, tol)
        outcome[running & (res <= goal)] = Outcome.CONVERGED
        outcome[outcome == Outcome.RUNNING] = Outcome.MAX_ITER
    finally:
        if bar is not None:
            bar.close()
    last = int(n_iter.max()) if m else 0
    return NewtonRun(X=X, residual=res, outcome=outcome, n_iter=n_iter,
                     history=history[: last + 1])


def _directions(system, u, X, R, res, idx, force64, mixed_precision: bool
                ) -> tuple[np.ndarray, np.ndarray]:
    """Newton directions D for the starts ``idx`` and which of them came from a float32 solve
    (far from a root, n ≥ ``_FLOAT32_MIN_N``; one that came out non-finite is redone in
    float64)."""
    D = np.empty((idx.size,) + X.shape[1:])
    low = np.zeros(idx.size, dtype=bool)
    if mixed_precision and X.shape[2] >= _FLOAT32_MIN_N:
        scale = 1.0 + np.sqrt(np.einsum("mkn,mkn->m", X[idx], X[idx]))
        low = (res[idx] > _FLOAT32_ABOVE * scale) & ~force64[idx]
    if np.any(low):
        D[low] = newton_direction(system, u, X[idx[low]], R[idx[low]], np.float32)
        redo = ~np.all(np.isfinite(D), axis=(1, 2)) & low
        low &= ~redo
    if not np.all(low):
        D[~low] = newton_direction(system, u, X[idx[~low]], R[idx[~low]])
    return D, low


def _line_search(system, u, state, idx, D, reference, goal, box, max_halvings: int
                 ) -> np.ndarray:
    """Backtracking along D for the starts ``idx``: accepted steps are written into the
    iterates, residual vectors and norms ``state = (X, R, res)``; returns which starts found
    no acceptable step."""
    X, R, res = state
    alpha = np.ones(idx.size)
    pending = np.ones(idx.size, dtype=bool)
    for _ in range(max_halvings):
        p = np.flatnonzero(pending)
        if p.size == 0:
            break
        trial = X[idx[p]] + alpha[p, None, None] * D[p]
        if box is not None:
            trial = np.clip(trial, box[0], box[1])
        Rt, rt = orbit_residuals(system, u, trial)
        ok = rt <= (1.0 - 1e-4 * alpha[p]) * reference[p]
        # at the rounding floor no decrease is possible: accept a full step there
        ok |= (alpha[p] == 1.0) & (rt <= goal[idx[p]])
        acc = p[ok]
        X[idx[acc]] = trial[ok]
        R[idx[acc]] = Rt[ok]
        res[idx[acc]] = rt[ok]
        pending[acc] = False
        alpha[p[~ok]] *= 0.5
    return pending


def _mark_stalled(outcome, history, res, X, tol: float, it: int, stall_window: int) -> None:
    """Stalled: the best residual fell by under 1 % in the last ``stall_window`` iterations.
    Newton has then met a local minimum of ‖F(x) − x‖ that is not a root (a slow point): those
    starts stop with NO_PROGRESS."""
    live = np.flatnonzero(outcome == Outcome.RUNNING)
    best_before = np.nanmin(history[: it + 1 - stall_window, live], axis=0)
    best_now = np.nanmin(history[it + 1 - stall_window: it + 2, live], axis=0)
    stalled = best_now > 0.99 * best_before
    stalled &= res[live] > 1e3 * attainable_tolerance(X[live], tol)
    outcome[live[stalled]] = Outcome.NO_PROGRESS


# -- starts ---------------------------------------------------------------------------------------
def sample_starts(system, u, n_starts: int, rng: np.random.Generator, box, *,
                  trajectory_fraction: float = 0.5, max_steps: int = 50) -> np.ndarray:
    """Starts for a search: uniform in the box, and states sampled along trajectories.

    Without a box (an unbounded map), uniform in [−r, r]^n at the scales r = 1, 10 and 100 in
    turn, so that fixed points far from the origin get starts too. Trajectory samples that
    overflow are replaced by uniform ones. Returns shape (n_starts, n).
    """
    n = system.n_states
    lo, hi = (np.full(n, -1.0), np.full(n, 1.0)) if box is None else box
    uniform = lo + (hi - lo) * rng.random((n_starts, n))
    if box is None:
        uniform *= (10.0 ** (np.arange(n_starts) % 3))[:, None]
    n_traj = int(round(trajectory_fraction * n_starts))
    if n_traj == 0:
        return uniform
    x = lo + (hi - lo) * rng.random((n_traj, n))
    when = rng.integers(1, max_steps + 1, size=n_traj)
    sampled = x.copy()
    with np.errstate(all="ignore"):
        for t in range(1, max_steps + 1):
            x = system.step_unchecked(x, u)
            hit = when == t
            sampled[hit] = x[hit]
    out = uniform.copy()
    out[n_starts - n_traj:] = sampled
    finite = np.all(np.isfinite(out), axis=1)
    out[~finite] = uniform[~finite]
    return out


def initial_orbits(system, u, starts: np.ndarray, period: int) -> np.ndarray:
    """(m, k, n): each start followed by its first k − 1 images (the shooting unknowns)."""
    X = np.empty((starts.shape[0], period, starts.shape[1]))
    X[:, 0] = starts
    with np.errstate(all="ignore"):
        for j in range(1, period):
            X[:, j] = system.step_unchecked(X[:, j - 1], u)
    return X


# -- deduplication --------------------------------------------------------------------------------
def same_point(a: np.ndarray, b: np.ndarray, rtol: float) -> np.ndarray:
    """Whether points a (..., n) and b (..., n) agree to a relative tolerance (max norm)."""
    scale = 1.0 + np.maximum(np.max(np.abs(a), axis=-1), np.max(np.abs(b), axis=-1))
    return np.max(np.abs(a - b), axis=-1) <= rtol * scale


def minimal_period(orbit: np.ndarray, rtol: float) -> int:
    """Smallest divisor d of k with x_{1+d} = x_1 (so the orbit repeats with period d)."""
    k = orbit.shape[0]
    for d in range(1, k):
        if k % d == 0 and bool(np.all(same_point(orbit[d:], orbit[:-d], rtol))):
            return d
    return k


def canonical_rotation(orbit: np.ndarray) -> np.ndarray:
    """The cycle rotated to start at its lexicographically smallest point (rounded keys)."""
    k = orbit.shape[0]
    if k == 1:
        return orbit
    keys = np.round(orbit, 8)
    first = min(range(k), key=lambda j: tuple(keys[j]))
    return np.roll(orbit, -first, axis=0)


def deduplicate(orbits: np.ndarray, residuals: np.ndarray, rtol: float) -> list[int]:
    """Indices of distinct cycles among ``orbits`` (m, k, n), best residual first; cyclic shifts
    of a cycle count as the same cycle."""
    order = np.argsort(residuals, kind="stable")
    kept: list[int] = []
    if orbits.shape[0] == 0:
        return kept
    k = orbits.shape[1]
    bank = np.empty((0, k) + orbits.shape[2:])
    for i in order:
        c = orbits[i]
        if bank.shape[0]:
            dup = False
            for s in range(k):
                if np.any(np.all(same_point(bank, np.roll(c, s, axis=0)[None], rtol), axis=1)):
                    dup = True
                    break
            if dup:
                continue
        kept.append(int(i))
        bank = np.concatenate([bank, c[None]], axis=0)
    return kept
