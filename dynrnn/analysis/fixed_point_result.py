"""The result of a fixed-point or cycle search: :class:`FixedPointResult`, its status and route.

Split from :mod:`dynrnn.analysis.fixed_points` (which re-exports every name here).
"""
from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from .._tables import TableSpec, Tabular
from .stability import FixedPoint

__all__ = ["FixedPointResult", "SearchStatus", "SearchMethod"]


class SearchStatus(str, enum.Enum):
    """Outcome of a fixed-point or cycle search; the value is the message."""

    COMPLETE = ("every point in the search region was found: the search is exhaustive "
                "(see FixedPointResult.note for the argument)")
    FOUND = ("points found from the starts; others may exist: raise n_starts or pass starts= "
             "to search further")
    NONE_FOUND = ("no start converged: raise n_starts or max_iter, pass starts= near the "
                  "suspected points, or loosen tol")
    DEGENERATE = ("points found, some of them degenerate: I − J is (nearly) singular at those "
                  "roots (non-hyperbolic, or part of a continuum of fixed points), so their "
                  "position is known only to result.degenerate_radius; each cluster of such "
                  "roots is reported once (result.degenerate); others may exist")

    def __str__(self) -> str:
        return self.value


class SearchMethod(str, enum.Enum):
    """The route a search took."""

    NEWTON = "newton"
    BRACKET = "bracket"
    PIECEWISE = "piecewise"
    PIECEWISE_RANDOM = "piecewise-random"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, eq=False)
class FixedPointResult(Tabular):
    """The fixed points (or k-cycles) of a map found by one search.

    Iterating the result yields its :class:`FixedPoint` records, sorted by number of unstable
    directions (stable first), then lexicographically by state.

    Attributes
    ----------
    points : tuple of FixedPoint
    slow_points : tuple of FixedPoint
        Local minima of q(x) = ½‖F(x) − x‖² with q below the threshold that are not fixed points
        (only with ``slow_points=True``); each carries its q.
    period : int
        1 for fixed points, k for k-cycles.
    method : SearchMethod
    success : bool
        False only when nothing converged (status NONE_FOUND) and the search was not exhaustive.
    status : SearchStatus
    exhaustive : bool
        True when the method proves that every point (of minimal period ``period``) in the search
        region was found; ``note`` says why.
    n_starts : int
        Starts (Newton), candidate brackets (bracket), or regions/restarts (piecewise) tried.
    n_converged : int
        Starts that reached the tolerance (including duplicates and, for cycles, points of a
        lower period).
    n_failed : int
        ``n_starts - n_converged``; ``failures`` breaks it down by reason.
    n_duplicates : int
        Converged starts that found a point already found (cyclic shifts count as the same cycle).
    n_iter : int
        Newton iterations of the longest run, bisection passes plus Brent iterations, or
        region-search iterations.
    n_lower_period : int
        Converged cycles whose minimal period divides ``period`` but is smaller (discarded).
    failures : dict of str to int
        Failed starts by reason: "singular", "non-finite", "no progress", "max_iter", and for
        piecewise searches "singular region" and "pattern cycle".
    residual_history : ndarray, shape (n_iter + 1, n_starts)
        Newton residuals per iteration and start (NaN after a start stopped); empty otherwise.
    note : str
        How exhaustiveness is justified, or why the search is not exhaustive.
    n_states : int
        Dimension of the map's state.
    degenerate : tuple of FixedPoint
        The points (also in ``points``) that stand for a cluster of degenerate roots: roots where
        I − J is so close to singular that the Newton error bound ‖(J − I)⁻¹ r‖ exceeds
        ``dedupe_tol`` even after refinement (a non-hyperbolic or non-isolated root). Each
        cluster is reported once, by its member with the smallest residual.
    degenerate_radius : tuple of float
        For each degenerate point, the radius (max norm) of its cluster of roots.
    slow_point_reasons : tuple of str
        Why each slow point is not a fixed point.
    rounds_new : tuple of int
        New distinct points found by each round of the search (round 1: the starts; later
        rounds: deflated Newton from midpoints of found points and from edge states between
        pairs of stable points). The search stops when a round finds nothing new (``max_rounds``
        bounds it); a last entry 0 is the stopping rule met.
    inputs : ndarray, shape (n_points, n_inputs)
        The constant input each point is fixed for (the search's u on every row, unless
        ``find_fixed_points`` was given one input per start); n_inputs is 0 for a map without
        inputs.
    """

    _table_spec = TableSpec(rows="points", columns=("x", "kind", "stable", "n_unstable",
                                                    "spectral_radius", "residual", "period"))

    points: tuple[FixedPoint, ...]
    slow_points: tuple[FixedPoint, ...]
    period: int
    method: SearchMethod
    success: bool
    status: SearchStatus
    exhaustive: bool
    n_starts: int
    n_converged: int
    n_failed: int
    n_duplicates: int
    n_iter: int
    n_lower_period: int = 0
    failures: dict = field(default_factory=dict)
    residual_history: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    note: str = ""
    n_states: int = 0
    degenerate: tuple[FixedPoint, ...] = ()
    degenerate_radius: tuple[float, ...] = ()
    slow_point_reasons: tuple[str, ...] = ()
    rounds_new: tuple[int, ...] = ()
    inputs: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))

    def __iter__(self) -> Iterator[FixedPoint]:
        return iter(self.points)

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, index: int) -> FixedPoint:
        return self.points[index]

    @property
    def states(self) -> np.ndarray:
        """The points stacked, shape (n_points, n_states) (first point of each cycle)."""
        if not self.points:
            return np.empty((0, self.n_states))
        return np.stack([p.x for p in self.points])

    @property
    def stable_points(self) -> tuple[FixedPoint, ...]:
        return tuple(p for p in self.points if p.stable)

    def __repr__(self) -> str:
        what = "fixed point" if self.period == 1 else f"{self.period}-cycle"
        n_st = len(self.stable_points)
        extra = f", {len(self.degenerate)} degenerate" if self.degenerate else ""
        return (f"FixedPointResult({len(self.points)} {what}(s), {n_st} stable{extra}, "
                f"method={self.method.value!r}, exhaustive={self.exhaustive}, "
                f"n_starts={self.n_starts}, n_converged={self.n_converged}, "
                f"n_failed={self.n_failed}, n_duplicates={self.n_duplicates})")

    def __str__(self) -> str:
        """A short summary: counts by number of unstable directions, status, main numbers."""
        what = "fixed point" if self.period == 1 else f"{self.period}-cycle"
        lines = [f"{len(self.points)} {what}(s) of a {self.n_states}-state map "
                 f"({self.method.value}, {'exhaustive' if self.exhaustive else 'not exhaustive'})"]
        if self.points:
            counts: dict[int, int] = {}
            for p in self.points:
                key = -1 if p.kind.value == "non-hyperbolic" else p.n_unstable
                counts[key] = counts.get(key, 0) + 1
            parts = [f"{c} non-hyperbolic" if k < 0 else f"{c} stable" if k == 0
                     else f"{c} with {k} unstable direction" + ("s" if k != 1 else "")
                     for k, c in sorted(counts.items())]
            worst = max(p.residual for p in self.points)
            lines.append("  " + ", ".join(parts) + f"; max residual {worst:.1e}")
        if self.degenerate:
            lines.append(f"  {len(self.degenerate)} degenerate (clusters of radius up to "
                         f"{max(self.degenerate_radius):.1e})")
        if self.slow_points:
            lines.append(f"  {len(self.slow_points)} slow point(s), not fixed points")
        lines.append(f"  starts {self.n_starts}: {self.n_converged} converged, "
                     f"{self.n_duplicates} duplicate(s), {self.n_failed} failed")
        if self.inputs.shape[0] > 1 and np.unique(self.inputs, axis=0).shape[0] > 1:
            lines.append(f"  fixed for {np.unique(self.inputs, axis=0).shape[0]} distinct "
                         "inputs (result.inputs)")
        if len(self.rounds_new) > 1:
            lines.append("  new points per round: "
                         + ", ".join(str(k) for k in self.rounds_new))
        lines.append(f"  status: {self.status.value}")
        return "\n".join(lines)
