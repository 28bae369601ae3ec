r"""Continuation of large networks: tracked leading multipliers, LUs kept from point to point,
and a guard of full decompositions.

A full eigendecomposition of the monodromy :math:`M = D_x F^k` costs about :math:`10 n^3` flops
(0.8–2 s at n = 1,024 on one core), the corrector's LU :math:`\tfrac23 n^3`, and only the
multipliers near the unit circle can cross it. So along a branch of a large network
(``ContinuationOptions.multipliers="leading"``, the default from :data:`LEADING_MIN_STATES`
states on; "all" keeps a full decomposition at every point, the reference):

* **leading multipliers** (:class:`LeadingMultipliers`): Ritz values of M on a subspace
  carried from point to point. The basis V (n × k) of the previous point's leading invariant
  subspace is extended to the block Krylov space :math:`[V, MV, M^2V]`; Rayleigh–Ritz on it
  gives the Ritz values and, from a sorted real Schur form of the projected matrix, the next
  basis. Passes repeat until the leading Ritz pair (θ, x) and every one with
  :math:`|θ| \ge 1 - \text{margin}` lie on a known side of the circle (the disc of radius
  :math:`2\|Mx - θx\|` around θ, a Bauer–Fike radius for a normal matrix, misses it); k
  doubles while the k-th Ritz value is not inside 1 − margin, and beyond n/3 vectors, or
  when the passes do not decide, the point gets a full decomposition, and so do the next 1,
  3, 7 or 15 points before the tracker tries again (near the edge of the disc-shaped spectrum
  of a random network the multipliers crowd the circle and Krylov methods cannot separate
  them: there the tracked path costs what the full one does). The counts of multipliers
  outside the circle (all, and complex ones) are taken among the Ritz values; the stored
  leading multipliers are these Ritz values (accurate to their residuals, exact at fully
  decomposed points);
* **the flip sign** :math:`\operatorname{sign}\det(M + I)` from the Ritz values, or from an
  LU of :math:`M + I` (:func:`flip_sign`) where a real one lies within ``margin`` of −1 (the
  untracked multipliers lie inside 1 − margin and cannot change it); folds and branch points
  come from the tangent and the bordered determinant as for small maps;
* **kept LUs** (:class:`KeptFactor`): the corrector's bordered systems and the tangent are
  solved by iterative refinement on the LU of an earlier point (O(n²) a step), with a new LU
  only where that does not converge.

The tracker is a heuristic, so its counts are checked by **the guard** (:func:`guard_points`,
run on the assembled branch before detection): a full decomposition at the first point, at
every ``guard_every``-th point and at the last one; where the tracked counts of a guard point
differ from the exact ones, every point since the previous guard point is recomputed in full
(a crossing was missed or invented there); every segment across which the counts change gets
full decompositions at both ends, until each such segment has exact counts at both ends; and
a segment across which several multipliers crossed (the tracker missed the step veto that
gives each its own segment) is split by corrected points in between. Location
(:mod:`.testfunctions`) then runs to the same accuracy as for small maps: LP and BP, and the
ends and located point of PD and NS, on full decompositions; the trial points of PD and NS on
the critical multiplier alone, by inverse iteration (:mod:`.critical`). What the guard cannot
see: a pair that leaves the circle and comes back between two guard points while the tracker
misses both crossings.

References
----------
.. [1] Y. Saad, *Numerical Methods for Large Eigenvalue Problems*, 2nd ed., SIAM, 2011,
   ch. 4–5 (Rayleigh–Ritz, block Krylov and subspace iteration).
.. [2] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
   §10.2 (test functions from determinants).
"""
from __future__ import annotations

import math

import numpy as np
import scipy.linalg
from scipy.linalg.lapack import dgesv, dgetrf, dgetrs

from ..stability import sort_eigenvalues, sorted_multipliers
from .engine import CorrectorSettings, Point, correct, evaluation_tangent, null_tangent
from .testfunctions import _is_complex, pd_sign

__all__ = ["LEADING_MIN_STATES", "LeadingMultipliers", "flip_sign", "guard_points",
           "refined_tangent", "KeptFactor",
           "exact_data", "use_leading", "one_crossing", "curve_multipliers", "leading_tracker",
           "split_segment", "start_tangent"]

#: ``multipliers="auto"`` tracks the leading multipliers from this many states on
LEADING_MIN_STATES = 128


def use_leading(mode: str, n: int) -> bool:
    """Whether ``ContinuationOptions.multipliers == mode`` means the tracker at n states."""
    return mode == "leading" or (mode == "auto" and n >= LEADING_MIN_STATES)


def leading_tracker(opts, n: int) -> LeadingMultipliers | None:
    """The tracker that ``opts.multipliers`` (a ContinuationOptions) asks for at n states."""
    if not use_leading(opts.multipliers, n):
        return None
    return LeadingMultipliers(n, opts.n_leading)


def start_tangent(evaluation, large: bool) -> np.ndarray:
    """A unit null vector of [G_x G_p]: by SVD, or for a large network by one LU of the
    system bordered with the parameter direction (an SVD costs seconds at n = 1,024), with the
    SVD where that system is singular (at a fold) or its solution not accurate."""
    jacobian = evaluation.jacobian
    if large:
        row = np.zeros(jacobian.shape[1])
        row[-1] = 1.0
        try:
            t = evaluation_tangent(evaluation, row)[0]
            if np.all(np.isfinite(t)) and np.abs(jacobian @ t).max() <= 1e-9 * (
                    1.0 + np.abs(jacobian).max()):
                return t
        except np.linalg.LinAlgError:
            pass
    return null_tangent(jacobian)


def split_segment(problem, a: Point, b: Point, settings: CorrectorSettings) -> Point | None:
    """The branch point halfway (in the hyperplane coordinate along ``a.t``) between points
    a and b of ``problem`` (a FixedPointProblem), with multipliers from a full decomposition;
    None if the corrector fails."""
    half = 0.5 * float(a.t @ (b.z - a.z))
    corr = correct(problem, a.z + half * a.t, a.t, settings)
    if not corr.ok:
        return None
    try:
        t, sign = evaluation_tangent(corr.evaluation, a.t)
    except np.linalg.LinAlgError:
        return None
    return Point(corr.z, t, sign, corr.evaluation, corr.n_iter,
                 data=exact_data(corr.evaluation.monodromy))


def flip_sign(M: np.ndarray) -> float:
    """sign det(M + I) from an LU (0.0 when M + I is exactly singular)."""
    A = M + np.eye(M.shape[0])
    lu, piv, info = dgetrf(A, overwrite_a=True)
    if info > 0:
        return 0.0
    swaps = int(np.count_nonzero(piv != np.arange(piv.shape[0])))
    negative = int(np.count_nonzero(np.diagonal(lu) < 0))
    return -1.0 if (swaps + negative) % 2 else 1.0


class KeptFactor:
    r"""The corrector's linear solver for large networks (the engine's ``linear_solver``):
    :math:`A y = b` by iterative refinement :math:`y \leftarrow y + A_0^{-1}(b - A y)` on
    the LU of an earlier matrix :math:`A_0` of the same branch (O(N²) per step), and a new
    LU (kept for the next solves) when the residual does not fall below
    1e-14·(‖A‖‖y‖ + ‖b‖) within 8 steps or shrinks by less than half a step.

    The factor is returned with the solution, and its determinant sign is taken for that of
    A (the branch-point test of the bordered determinant). That holds when the iteration
    matrix :math:`I - A_0^{-1}A` has spectral radius below one (then
    :math:`\det A_0^{-1}A > 0`), which the fast contraction required here indicates but
    does not prove; near a sign change (a branch point) :math:`A_0^{-1}A` is nearly singular,
    the refinement stalls and a new LU is made.
    """

    def __init__(self):
        self.factor: tuple | None = None
        self.n_factorisations = 0

    def __call__(self, A: np.ndarray, b: np.ndarray):
        if self.factor is not None and self.factor[0].shape == A.shape:
            y = _refine(self.factor, A, b)
            if y is not None:
                return y, self.factor, 0
        lu, piv, y, info = dgesv(A, b)
        self.n_factorisations += 1
        if info == 0:
            self.factor = (lu, piv)
        return y, (lu, piv), info


def _refine(factor: tuple, A: np.ndarray, b: np.ndarray, steps: int = 8):
    lu, piv = factor
    y, info = dgetrs(lu, piv, b)
    scale = float(np.abs(A).max())
    last = math.inf
    for _ in range(steps):
        if info != 0 or not np.all(np.isfinite(y)):
            return None
        residual = b - A @ y
        size = float(np.abs(residual).max())
        if size <= 1e-14 * (scale * float(np.abs(y).max()) + float(np.abs(b).max())):
            return y
        if size > 0.5 * last:
            return None
        last = size
        step, info = dgetrs(lu, piv, residual)
        y = y + step
    return None


def refined_tangent(correction, previous: np.ndarray, solver: KeptFactor,
                    fallback) -> tuple[np.ndarray, float]:
    r"""The unit tangent t of :math:`[DH(z);\ \text{previous}^\top]\, t = e_N` at a converged
    correction, solved by ``solver`` (refinement on the kept LU, O(N²) a step, or a new LU),
    and the sign of the determinant from the factor used (see :class:`KeptFactor`);
    ``fallback(evaluation, previous)`` (a fresh LU) when the correction kept no matrix.
    Raises ``np.linalg.LinAlgError`` when the bordered matrix is singular.
    """
    A = correction.matrix
    if A is None:
        return fallback(correction.evaluation, previous)
    A[-1] = previous            # the correction's own matrix: its last row was the hyperplane
    rhs = np.zeros(A.shape[0])
    rhs[-1] = 1.0
    t, (lu, piv), info = solver(A, rhs)
    if info != 0 or not np.all(np.isfinite(t)):
        raise np.linalg.LinAlgError("singular bordered matrix")
    swaps = int(np.count_nonzero(piv != np.arange(piv.shape[0])))
    negative = int(np.count_nonzero(np.diagonal(lu) < 0))
    return t / math.sqrt(float(t @ t)), (-1.0 if (swaps + negative) % 2 else 1.0)


def exact_data(M: np.ndarray) -> tuple:
    """Point data from a full decomposition: (multipliers, signs, exact=True). The signs are
    those of :func:`~dynrnn.analysis.continuation.testfunctions.multiplier_signs` but for
    the bialternate sign, which detection does not read (0.0: its n²/2 products cost more
    than the decomposition's sort at n = 1,024)."""
    return _exact_from(sorted_multipliers(M))


def _exact_from(mu: np.ndarray) -> tuple:
    outside = np.abs(mu) > 1.0
    return mu, (pd_sign(mu), 0.0, int(np.count_nonzero(outside)),
                int(np.count_nonzero(outside & _is_complex(mu)))), True


def curve_multipliers(matrices: list) -> np.ndarray:
    """Multipliers at the points of a curve, one row per point (m, n) or (m, k): all, from a
    full decomposition each, below :data:`LEADING_MIN_STATES` states; from there on the
    leading ones tracked from point to point (:class:`LeadingMultipliers`), all of them at the
    first and the last point, every row cut to the count that all rows have."""
    n = matrices[0].shape[0]
    if n < LEADING_MIN_STATES:
        return sorted_multipliers(np.array(matrices))
    tracker = LeadingMultipliers(n, decide=False)
    last = len(matrices) - 1
    rows = [sorted_multipliers(M) if i in (0, last) else tracker.leading(M)[0]
            for i, M in enumerate(matrices)]
    kept = min(row.shape[0] for row in rows)
    return np.array([row[:kept] for row in rows])


def _counts(signs) -> tuple:
    return int(signs[2]), int(signs[3])


class LeadingMultipliers:
    """The tracker of one continuation: the leading invariant subspace, carried from point to
    point (see the module docstring).

    Parameters
    ----------
    n : int
        Number of states.
    k : int
        Initial number of tracked multipliers (doubles when too few).
    margin : float
        The subspace must reach inside modulus ``1 - margin``.
    seed : int
        Seed of the random first basis.
    decide : bool
        Require every pair near the circle to be on a known side of it (counts for detection);
        False: only that those pairs converge (residual ≤ 1e-8), for curves, whose critical
        multiplier stays on the circle.
    """

    def __init__(self, n: int, k: int = 8, margin: float = 0.05, seed: int = 0,
                 decide: bool = True):
        self.n = n
        self.decide = decide
        self.k = self.k_first = max(2, min(k, n))
        self.margin = margin
        self.basis: np.ndarray | None = None
        self._rng = np.random.default_rng(seed)
        self.n_full = 0
        self.reach = math.inf
        self._skip = self._backoff = 0

    def describe(self, M: np.ndarray) -> tuple:
        """(leading multipliers by decreasing modulus, signs, exact) at one point; signs as
        :func:`~dynrnn.analysis.continuation.testfunctions.multiplier_signs` (the second, the
        bialternate sign, is not computed: 0.0), the first from :func:`flip_sign`."""
        values, exact = self.leading(M)
        if exact:
            return _exact_from(values)
        outside = np.abs(values) > 1.0
        real = ~_is_complex(values)
        # sign det(M + I) = (-1)^(real multipliers below -1): from the Ritz values, or from an
        # LU where a real one is near -1 (the multipliers not tracked lie inside 1 - margin)
        near = real & (np.abs(values + 1.0) < self.margin)
        if np.any(near):
            flip = flip_sign(M)
        else:
            flip = -1.0 if np.count_nonzero(real & (values.real < -1.0)) % 2 else 1.0
        signs = (flip, 0.0, int(np.count_nonzero(outside)),
                 int(np.count_nonzero(outside & ~real)))
        return values, signs, False

    def leading(self, M: np.ndarray) -> tuple[np.ndarray, bool]:
        """(multipliers by decreasing modulus, exact): the tracked leading ones, or all from a
        full decomposition (exact=True) where the tracker needs more than n/3 vectors or its
        Ritz pairs near the circle do not converge."""
        if self._skip > 0:        # the tracker failed recently: do not pay for it again yet
            self._skip -= 1
        else:
            while 3 * self.k < self.n:
                theta = self._track(M)
                if theta is None:
                    break
                if self.reach < 1.0 - self.margin:
                    self._backoff = 0
                    return theta, False
                self.k *= 2          # too many multipliers near or outside the circle
                self.basis = None
            # undecided, or too many near the circle: retry after 1, 3, 7, 15 points
            self._backoff = min(2 * self._backoff + 1, 15)
            self._skip = self._backoff
            if 3 * self.k >= self.n:
                self.k, self.basis = self.k_first, None
        self.n_full += 1
        return sorted_multipliers(M), True

    def _track(self, M: np.ndarray) -> np.ndarray | None:
        """Rayleigh–Ritz passes on [V, MV, M²V] until the leading Ritz pair and every one near
        the circle (|θ| ≥ 1 − margin) is decided: its disc of radius 2·residual
        (Bauer–Fike for a normal matrix) does not meet the unit circle (at most 4 passes from
        a warm basis, 10 from a random one); None when some stay undecided (the basis is kept
        as the next point's start)."""
        fresh = self.basis is None or self.basis.shape[1] < self.k
        if fresh:
            self.basis = np.linalg.qr(self._rng.standard_normal((self.n, self.k)))[0]
        for _ in range(10 if fresh else 4):
            theta, residuals = self._pass(M)
            if not np.all(np.isfinite(theta)) or not np.all(np.isfinite(residuals)):
                self.basis = None
                return None
            modulus = np.abs(theta)
            self.reach = float(modulus[-1])
            near = modulus >= 1.0 - self.margin
            near[0] = True          # the leading pair too: a fresh basis has not found it
            if np.all(np.abs(modulus[near] - 1.0) > 2.0 * residuals[near]) or (
                    not self.decide and np.all(residuals[near] <= 1e-8)):
                return theta
        return None

    def _pass(self, M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One Rayleigh–Ritz pass: the leading Ritz values (by decreasing modulus) and the
        residual norm ||M x − θ x|| of each unit Ritz vector x; updates the basis."""
        V = self.basis
        assert V is not None
        blocks = [V, M @ V]
        blocks.append(M @ blocks[-1])
        Q = scipy.linalg.qr(np.hstack(blocks), mode="economic", check_finite=False)[0]
        MQ = M @ Q
        H = Q.T @ MQ
        values = sort_eigenvalues(scipy.linalg.eigvals(H, check_finite=False))
        k = min(self.k, values.shape[0])
        cut = abs(values[k - 1]) * (1.0 - 1e-10)
        T, Z, sdim = scipy.linalg.schur(H, output="real", check_finite=False,
                                        sort=lambda re, im: math.hypot(re, im) >= cut)
        sdim = max(int(sdim), 1)
        self.basis = Q @ Z[:, :sdim]
        # M B − B T = R on the new basis B; for T y = θ y, M (B y) − θ (B y) = R y
        R = MQ @ Z[:, :sdim] - self.basis @ T[:sdim, :sdim]
        theta, Y = scipy.linalg.eig(T[:sdim, :sdim], check_finite=False)
        Y = Y / np.linalg.norm(Y, axis=0)
        residuals = np.linalg.norm(R @ Y, axis=0)
        order = np.argsort(-np.abs(theta), kind="stable")
        theta = sort_eigenvalues(theta)
        return theta, residuals[order]


def guard_points(points: list, every: int, split=None) -> int:
    """Make the data of a branch's points exact where the tracker's counts could be wrong
    (the guard of the module docstring). Returns the number of full decompositions made.

    points : list of engine Points ordered along the branch, whose ``data`` is
    (multipliers, signs[, exact]) and whose ``evaluation.monodromy`` is M; changed in place.
    split : callable, optional
        ``split(a, b)`` -> a point between points a and b with exact data, or None: called
        where the exact counts show more than one crossing across one segment (the tracker
        missed the step veto that gives each crossing a segment of its own), up to 8 times
        per segment, so that detection sees each crossing alone.
    """
    made = [0]

    def make_exact(i):
        data = points[i].data
        if len(data) > 2 and not data[2]:
            points[i].data = exact_data(points[i].evaluation.monodromy)
            made[0] += 1

    last = len(points) - 1
    previous = None
    for g in sorted(set(range(0, last + 1, max(1, every))) | {last}):
        tracked = _counts(points[g].data[1])
        make_exact(g)
        if previous is not None and tracked != _counts(points[g].data[1]):
            for i in range(previous + 1, g):
                make_exact(i)
        previous = g
    while True:
        pending = sorted({j for i in range(len(points) - 1)
                          if _counts(points[i].data[1]) != _counts(points[i + 1].data[1])
                          for j in (i, i + 1) if not _exact(points[j])})
        if not pending:
            break
        for j in pending:
            make_exact(j)
    if split is not None:
        made[0] += _split_crowded(points, split)
    return made[0]


def _exact(point) -> bool:
    return len(point.data) < 3 or bool(point.data[2])


def one_crossing(signs_a, signs_b) -> bool:
    """At most one real multiplier or one complex pair crossed the circle between two points
    (from the counts of :func:`~dynrnn.analysis.continuation.testfunctions.multiplier_signs`)."""
    d_unstable = signs_b[2] - signs_a[2]
    d_complex = signs_b[3] - signs_a[3]
    return abs(d_unstable) <= 1 or (abs(d_unstable) == 2 and d_complex == d_unstable)


def _split_crowded(points: list, split) -> int:
    """Insert points (exact data) into segments across which several crossings happened."""
    inserted = 0
    i = 0
    budget: dict = {}
    while i < len(points) - 1:
        a, b = points[i], points[i + 1]
        key = id(a)
        if one_crossing(a.data[1], b.data[1]) or budget.get(key, 0) >= 8:
            i += 1
            continue
        middle = split(a, b)
        if middle is None:
            i += 1
            continue
        budget[key] = budget.get(key, 0) + 1
        budget[id(middle)] = budget[key]
        points.insert(i + 1, middle)
        inserted += 1
    return inserted
