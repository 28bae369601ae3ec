"""Stability of fixed points and cycles of maps: the record of one point and its classification.

A fixed point x* = F(x*) of a map is asymptotically stable when every eigenvalue λ of the Jacobian
∂F/∂x(x*) lies strictly inside the unit circle, |λ| < 1, and unstable when one lies outside. For a
k-cycle (x_1, ..., x_k) the same holds for the multipliers, the eigenvalues of the Jacobian of the
k-fold map, J(x_k) ⋯ J(x_1), which do not depend on the point of the cycle one starts from.
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np

from .._signature_checks import checked_arguments
from .._tables import TableSpec, Tabular
from ..errors import InvalidInputError, InvalidTypeError, NonFiniteError, ShapeError

__all__ = ["PointKind", "FixedPoint", "classify", "count_unstable", "sort_eigenvalues",
           "sorted_multipliers"]


class PointKind(str, enum.Enum):
    """Kinds of hyperbolic (and non-hyperbolic) fixed points of a map.

    "node" and "focus" describe the leading multiplier (largest modulus): real for a node,
    a complex pair for a focus (orbits spiral in or out). A saddle has multipliers on both sides
    of the unit circle; its number of unstable directions is ``FixedPoint.n_unstable``.
    """

    STABLE_NODE = "stable node"
    STABLE_FOCUS = "stable focus"
    SADDLE = "saddle"
    UNSTABLE_NODE = "unstable node"
    UNSTABLE_FOCUS = "unstable focus"
    NON_HYPERBOLIC = "non-hyperbolic"

    def __str__(self) -> str:
        return self.value


def sort_eigenvalues(eigenvalues) -> np.ndarray:
    """Eigenvalues as complex numbers, by decreasing modulus, ties by decreasing real, then
    imaginary part (a deterministic order, so results compare across runs). Any shape is
    flattened. This is the one ordering rule of dynrnn (:func:`sorted_multipliers` uses it too).
    """
    return _sort_last_axis(np.asarray(eigenvalues, dtype=np.complex128).ravel())


def _sort_last_axis(lam: np.ndarray) -> np.ndarray:
    # Round the keys so that rounding noise does not reorder a conjugate pair.
    mod = np.round(np.abs(lam), 12)
    order = np.lexsort((-np.round(lam.imag, 12), -np.round(lam.real, 12), -mod), axis=-1)
    return np.take_along_axis(lam, order, axis=-1)


def sorted_multipliers(M: np.ndarray) -> np.ndarray:
    """Eigenvalues of a square matrix (n, n), or of a stack (m, n, n), in the order of
    :func:`sort_eigenvalues`.

    1×1 and 2×2 matrices use closed forms in plain Python floats (continuation calls this at
    every point of a branch, and numpy's per-call overhead would dominate); the 2×2 roots are
    computed in the cancellation-free order (Vieta for the smaller one).
    """
    if type(M) is not np.ndarray or M.dtype is not _FLOAT64:
        M = np.asarray(M, dtype=float)
    shape = M.shape
    if shape == (2, 2):
        return _multipliers_2x2(M)
    if shape == (1, 1):
        return M[0].astype(complex)
    return _sort_last_axis(np.linalg.eigvals(M).astype(np.complex128, copy=False))


_FLOAT64 = np.dtype(np.float64)


def _multipliers_2x2(M: np.ndarray) -> np.ndarray:
    (m00, m01), (m10, m11) = M.tolist()
    half_trace = 0.5 * (m00 + m11)
    det = m00 * m11 - m01 * m10
    disc = half_trace * half_trace - det
    if disc >= 0:
        big = half_trace + math.copysign(math.sqrt(disc), half_trace)
        small = det / big if big != 0 else 0.0
        # equal moduli (to rounding) are ordered by decreasing real part, as the sort does
        if abs(small) > abs(big) or (small > big and abs(abs(small) - abs(big)) < 1e-12):
            big, small = small, big
        return np.array([big, small], dtype=complex)
    # a complex pair: equal moduli and real parts, +imag first
    root = math.sqrt(-disc)
    return np.array([complex(half_trace, root), complex(half_trace, -root)])


def count_unstable(eigenvalues, tol: float = 1e-8) -> int:
    """Number of eigenvalues with modulus above 1 + ``tol`` (unstable directions)."""
    return int(np.count_nonzero(np.abs(np.asarray(eigenvalues)) > 1.0 + tol))


@checked_arguments
def classify(eigenvalues, tol: float = 1e-8) -> PointKind:
    r"""Classify a fixed point of a map by the eigenvalues of its Jacobian.

    Parameters
    ----------
    eigenvalues : array_like, shape (n,)
        Eigenvalues of ∂F/∂x at the point (for a cycle, its multipliers).
    tol : float
        A point is non-hyperbolic when some :math:`\big||\lambda| - 1\big| < tol`.

    Returns
    -------
    PointKind
        Non-hyperbolic if a multiplier is within ``tol`` of the unit circle; else a stable node or
        focus (all ``|λ| < 1``), an unstable node or focus (all ``|λ| > 1``), or a saddle (both).
        Node or focus follows the leading multiplier: real for a node, a complex pair for a focus.

    Examples
    --------
    >>> classify([0.5, -0.2])
    <PointKind.STABLE_NODE: 'stable node'>
    >>> classify([2.0, 0.5]).value
    'saddle'
    >>> classify([0.6 + 0.6j, 0.6 - 0.6j]).value
    'stable focus'
    >>> classify([1.0, 0.3]).value
    'non-hyperbolic'
    """
    try:
        lam = sort_eigenvalues(eigenvalues)
    except (TypeError, ValueError) as exc:
        raise InvalidTypeError(f"eigenvalues must be numbers, got {eigenvalues!r} ({exc})",
                               argument="eigenvalues", value=eigenvalues) from None
    if lam.size == 0:
        raise ShapeError("classify needs at least one eigenvalue, got an empty eigenvalues",
                         argument="eigenvalues", expected="(n,) with n >= 1", actual=lam.shape)
    if not np.all(np.isfinite(lam)):
        # NaN compares False with everything and would read as a stable node
        raise NonFiniteError(f"eigenvalues contain NaN or infinite values: {lam}",
                             argument="eigenvalues", value=lam)
    if isinstance(tol, bool) or not isinstance(tol, (int, float, np.integer, np.floating)) \
            or not 0.0 <= tol < 1.0:
        raise InvalidInputError(f"tol must be a number in [0, 1), got {tol!r}", argument="tol",
                                value=tol)
    return _classify(lam, tol)


def _classify(lam: np.ndarray, tol: float) -> PointKind:
    """:func:`classify` without the checks, for sorted finite eigenvalues."""
    mod = np.abs(lam)
    if np.any(np.abs(mod - 1.0) < tol):
        return PointKind.NON_HYPERBOLIC
    n_out = int(np.count_nonzero(mod > 1.0))
    if 0 < n_out < lam.size:
        return PointKind.SADDLE
    leading = lam[0]
    complex_leading = abs(leading.imag) > tol * max(1.0, abs(leading))
    if n_out == 0:
        return PointKind.STABLE_FOCUS if complex_leading else PointKind.STABLE_NODE
    return PointKind.UNSTABLE_FOCUS if complex_leading else PointKind.UNSTABLE_NODE


@dataclass(frozen=True, eq=False)
class FixedPoint(Tabular):
    r"""A fixed point :math:`x^* = F(x^*)`, or a k-cycle :math:`x = F^k(x)`, with its stability.

    Attributes
    ----------
    x : ndarray, shape (n_states,)
        The point (for a cycle, its first point ``orbit[0]``).
    eigenvalues : ndarray, shape (n_states,), complex
        Eigenvalues of ∂F/∂x(x) (for a cycle the multipliers, eigenvalues of J(x_k)⋯J(x_1)),
        by decreasing modulus.
    stable : bool
        ``max |λ| < 1``.
    kind : PointKind
    n_unstable : int
        Number of multipliers with ``|λ| > 1`` (the saddle index; 0 for a stable point).
    residual : float
        ‖F(x) − x‖₂ (for a cycle ‖F^k(x) − x‖₂).
    period : int
        1 for a fixed point, k for a k-cycle (its minimal period).
    orbit : ndarray, shape (period, n_states)
        The points of the cycle in the order the map visits them; ``x[None]`` for a fixed point.
    q : float
        :math:`q = \tfrac12\|F^k(x) - x\|^2`, the speed of Sussillo & Barak (2013); tiny for a
        fixed point, small but not negligible for a slow point.
    """

    x: np.ndarray
    eigenvalues: np.ndarray
    stable: bool
    kind: PointKind
    n_unstable: int
    residual: float
    period: int = 1
    orbit: np.ndarray | None = None
    q: float = 0.0

    # the table: one row (a search's table, FixedPointResult.to_records, has one per point)
    _table_spec = TableSpec(one_row=True, columns=("x", "kind", "stable", "n_unstable",
                                                   "spectral_radius", "residual", "period"))

    def __post_init__(self):
        x = np.array(self.x, dtype=np.float64)
        x.setflags(write=False)
        object.__setattr__(self, "x", x)
        lam = np.array(self.eigenvalues, dtype=np.complex128)
        lam.setflags(write=False)
        object.__setattr__(self, "eigenvalues", lam)
        orbit = x[None, :].copy() if self.orbit is None else np.array(self.orbit, dtype=float)
        orbit.setflags(write=False)
        object.__setattr__(self, "orbit", orbit)
        object.__setattr__(self, "kind", PointKind(self.kind))

    @property
    def spectral_radius(self) -> float:
        """``max |λ|``."""
        return float(np.max(np.abs(self.eigenvalues)))

    @property
    def description(self) -> str:
        """The kind in words, with the number of unstable directions of a saddle."""
        if self.kind is PointKind.SADDLE:
            s = "" if self.n_unstable == 1 else "s"
            return f"saddle with {self.n_unstable} unstable direction{s}"
        return self.kind.value

    def __repr__(self) -> str:
        x = np.array2string(self.x, precision=6, threshold=6)
        cyc = f"{self.period}-cycle, " if self.period > 1 else ""
        return (f"FixedPoint({cyc}{self.description}, max|λ|={self.spectral_radius:.6g}, "
                f"residual={self.residual:.2e}, x={x})")


def make_point(system, u, orbit: np.ndarray, *, eig_tol: float = 1e-8,
               eigenvalues: np.ndarray | None = None) -> FixedPoint:
    """Build the :class:`FixedPoint` record of a cycle (or fixed point) ``orbit`` (k, n).

    ``u`` must already be resolved. The multipliers are the eigenvalues of J(x_k)⋯J(x_1) unless
    given (the piecewise-linear solver knows the exact region Jacobians).
    """
    orbit = np.asarray(orbit, dtype=np.float64)
    k = orbit.shape[0]
    if eigenvalues is None:
        J = system.jacobian_unchecked(orbit, u)
        P = J[0]
        for j in range(1, k):
            P = J[j] @ P
        eigenvalues = np.linalg.eigvals(P)
    lam = sort_eigenvalues(eigenvalues)
    x = orbit[0]
    with np.errstate(all="ignore"):
        y = x
        for _ in range(k):
            y = system.step_unchecked(y, u)
    residual = float(np.linalg.norm(y - x))
    n_unstable = count_unstable(lam, eig_tol)
    return FixedPoint(x=x, eigenvalues=lam, stable=bool(np.max(np.abs(lam)) < 1.0),
                      kind=_classify(lam, eig_tol), n_unstable=n_unstable, residual=residual,
                      period=k, orbit=orbit, q=0.5 * residual * residual)
