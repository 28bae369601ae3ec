r"""Attractors and their basins from an ensemble of initial states: :func:`basins`.

.. math::

    \mathcal B(A) = \{x_0 : \operatorname{dist}(F^t(x_0), A) \to 0\}, \qquad
    f_A = \frac{\#\{x_0^{(i)} \in \mathcal B(A)\}}{N}

Every initial state of the ensemble is iterated as one vectorised batch (``step_unchecked`` on an
array of states, so any :class:`~dynrnn.RecurrentMap` works) until it settles: on a k-cycle
(‖x_t − x_{t−k}‖ below a tolerance for the least such k ≤ ``max_period``), off to infinity, or,
after ``max_steps``, on neither (a quasi-periodic or chaotic orbit). Settled states leave the batch
at once and the ensemble is processed in chunks, so memory stays bounded and the time is spent on
the states that are still moving. States are grouped into attractors by distance: a k-cycle is
refined by Newton (:func:`~dynrnn.find_cycles`), so its location and multipliers are exact; an
orbit that never settles is followed for a while to sample its attractor as a cloud of states,
whose largest Lyapunov exponent (:func:`~dynrnn.lyapunov_spectrum`) tells chaos (> 0) from
quasi-periodic motion (≈ 0). This is the recurrence/grouping approach of Attractors.jl (Datseris,
Rossi & Wagemakers 2023) in a batch form suited to numpy.

Basin boundaries are located by bisection along segments joining initial states of different
labels; for one-dimensional maps exactly, as the unstable fixed points and their preimages at
which the label changes. Saddles (fixed points with one unstable direction) are placed on the
boundary between the attractors their two unstable half-manifolds fall into; together with the
attractors they form :attr:`BasinsResult.graph` (networkx).
"""
from __future__ import annotations

import dataclasses
import enum
import math
from dataclasses import dataclass, field
from typing import Literal, Sequence

import numpy as np

from .._checks import check_count, check_executor, check_seed
from .._tables import TableSpec, Tabular
from ..errors import ConvergenceError, InvalidInputError, InvalidTypeError, ShapeError
from ..model.base import RecurrentMap, as_finite_array
from .cycles import find_cycles
from .fixed_points import find_fixed_points
from .lyapunov import lyapunov_spectrum
from .._signature_checks import checked_arguments

__all__ = ["basins", "BasinsResult", "BasinsStatus", "BasinsOptions", "Attractor",
           "AttractorKind", "wilson_interval"]

#: Label of an initial state that reached no identified attractor.
UNRESOLVED = -1
#: Label of an initial state that landed exactly on an unstable fixed point or cycle (a set of
#: measure zero on the basin boundaries, e.g. a grid point on the unstable fixed point).
ON_UNSTABLE = -2


class AttractorKind(str, enum.Enum):
    """What an attractor is."""

    FIXED_POINT = "fixed point"
    CYCLE = "cycle"
    QUASI_PERIODIC = "quasi-periodic"
    CHAOTIC = "chaotic"
    DIVERGENCE = "divergence"

    def __str__(self) -> str:
        return self.value


class BasinsStatus(str, enum.Enum):
    """Outcome of :func:`basins`; the value is the message."""

    COMPLETE = "every initial state reached an identified attractor"
    UNRESOLVED = ("some initial states reached no identified attractor (label -1): raise "
                  "options.max_steps or options.max_attractors, or loosen options.match_tol")
    ALL_DIVERGED = ("every initial state diverged: the map has no bounded attractor in this "
                    "region; choose a smaller box or other initial states")
    INTERRUPTED = ("interrupted (or a chunk failed on a worker): the labels of the states not "
                   "processed are -1; rerun to finish")

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class BasinsOptions:
    """Numerical settings of :func:`basins` (all checked against each other).

    Attributes
    ----------
    max_steps : int
        Steps after which a state that has not settled is treated as quasi-periodic/chaotic.
    n_transient : int
        Steps before the first settling check.
    max_period : int
        Largest period k detected as a k-cycle.
    settle_tol : float
        A state has settled on a k-cycle when max|x_t − x_{t−k}| ≤ settle_tol (1 + max|x_t|).
    match_tol : float
        A settled state belongs to a cycle when it is within this distance (∞-norm) of one of
        its points; the threshold that tells two attractors apart.
    divergence_threshold : float
        A state with max|x| above this (or non-finite) has diverged.
    n_cloud : int
        States sampled along an unsettled orbit to represent its attractor.
    cloud_factor : float
        An unsettled state belongs to a cloud when its distance to the nearest cloud state is at
        most ``cloud_factor`` times the 95th percentile of the distances from the second half
        of the cloud's orbit to the nearest state of its first half, or ``cloud_resolution``
        times the cloud's extent (largest coordinate range) if that is larger.
    cloud_resolution : float
        See ``cloud_factor``: two clouds closer than this share of their extent are one.
    lyapunov_steps : int
        Steps averaged for a cloud's largest Lyapunov exponent.
    chaos_threshold : float
        A cloud with largest exponent above this is chaotic, otherwise quasi-periodic.
    max_attractors : int
        At most this many attractors are identified; further states stay unresolved.
    chunk_size : int or None
        States iterated at once (None: as many as fit ``chunk_bytes``).
    chunk_bytes : int
        Working memory per chunk.
    max_bytes : int
        Ensembles whose stored initial states and labels need more are refused up front.
    n_bisect : int
        Bisection steps per boundary segment.
    n_boundary : int
        Boundary points per pair of attractors (0: none).
    preimage_depth : int
        For 1-D maps: preimages of the unstable fixed points up to this depth.
    confidence : float
        Level of the binomial (Wilson) intervals of the fractions.
    """

    max_steps: int = 2000
    n_transient: int = 16
    max_period: int = 16
    settle_tol: float = 1e-9
    match_tol: float = 1e-4
    divergence_threshold: float = 1e8
    n_cloud: int = 3000
    cloud_factor: float = 5.0
    cloud_resolution: float = 0.01
    lyapunov_steps: int = 3000
    chaos_threshold: float = 0.01
    max_attractors: int = 32
    chunk_size: int | None = None
    chunk_bytes: int = 64 * 2 ** 20
    max_bytes: int = 2 * 2 ** 30
    n_bisect: int = 40
    n_boundary: int = 16
    preimage_depth: int = 3
    confidence: float = 0.95

    def __post_init__(self):
        for name, minimum in (("max_steps", 1), ("n_transient", 0), ("max_period", 1),
                              ("n_cloud", 10), ("lyapunov_steps", 1), ("max_attractors", 1),
                              ("chunk_bytes", 1), ("max_bytes", 1), ("n_bisect", 1),
                              ("n_boundary", 0), ("preimage_depth", 0)):
            check_count(getattr(self, name), f"options.{name}", minimum)
        if self.chunk_size is not None:
            check_count(self.chunk_size, "options.chunk_size", 1)
        for name in ("settle_tol", "match_tol", "divergence_threshold", "cloud_factor",
                     "cloud_resolution"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise InvalidInputError(f"options.{name} must be a positive number, got "
                                        f"{value!r}", argument=f"options.{name}", value=value)
        if not self.settle_tol < self.match_tol:
            raise InvalidInputError(
                f"options.settle_tol = {self.settle_tol} must be below options.match_tol = "
                f"{self.match_tol}: a settled state must lie within the matching distance",
                argument="options.settle_tol", value=self.settle_tol)
        if not 0 < self.confidence < 1:
            raise InvalidInputError(f"options.confidence must be in (0, 1), got "
                                    f"{self.confidence!r}", argument="options.confidence",
                                    value=self.confidence)
        if self.max_period >= self.max_steps:
            raise InvalidInputError(f"options.max_period = {self.max_period} must be below "
                                    f"options.max_steps = {self.max_steps}",
                                    argument="options.max_period", value=self.max_period)


@dataclass(frozen=True, eq=False)
class Attractor:
    """One attractor found from the ensemble.

    Attributes
    ----------
    kind : AttractorKind
    states : ndarray, shape (n_points, n_states)
        The points of a cycle in the order visited (one point for a fixed point), a sample of a
        cloud, or empty for divergence.
    period : int
        k for a fixed point (1) or a k-cycle; 0 for clouds and divergence.
    multipliers : ndarray, shape (n_states,), complex
        Eigenvalues of the k-step Jacobian (cycles); empty otherwise.
    lyapunov : float or None
        Largest Lyapunov exponent: log max|multiplier| / k for a cycle, the QR estimate for a
        cloud; None where it does not apply or is not finite (divergence, a superstable cycle
        with a zero multiplier, a cloud whose estimate failed).
    refined : bool
        A cycle that Newton converged on (to ``residual``).
    residual : float or None
        ‖F^k(x) − x‖₂ of the refined cycle (None when not refined or not a cycle).
    stable : bool
        All multipliers inside the unit circle (cycles); True for clouds (they attract the
        states that reached them) and divergence.
    """

    kind: AttractorKind
    states: np.ndarray
    period: int
    multipliers: np.ndarray
    lyapunov: float | None
    refined: bool = False
    residual: float | None = None
    stable: bool = True

    def __post_init__(self):
        # "not applicable" is None, never a non-finite number (files written before this
        # convention held NaN or ±inf there: they load as None)
        for name in ("lyapunov", "residual"):
            value = getattr(self, name)
            if value is not None:
                value = float(value)
                object.__setattr__(self, name, value if math.isfinite(value) else None)

    @property
    def x(self) -> np.ndarray | None:
        """A representative state (the first point; None for divergence)."""
        if self.states.shape[0] == 0:
            return None
        return self.states[0]

    @property
    def description(self) -> str:
        if self.kind is AttractorKind.CYCLE:
            return f"{self.period}-cycle"
        if self.kind in (AttractorKind.CHAOTIC, AttractorKind.QUASI_PERIODIC):
            if self.lyapunov is None:
                return f"{self.kind.value} (λ₁ unknown)"
            return f"{self.kind.value} (λ₁ = {self.lyapunov:.3g})"
        return self.kind.value

    def __repr__(self) -> str:
        where = "" if self.states.shape[0] == 0 else f" at {np.round(self.x, 4).tolist()}"
        return f"Attractor({self.description}{where})"


@dataclass(frozen=True, eq=False)
class BasinsResult(Tabular):
    """Attractors, the label of every initial state, and the basin fractions.

    Attributes
    ----------
    attractors : tuple of Attractor
    labels : ndarray of int
        Attractor index of every initial state (-1: unresolved; -2: landed exactly on an
        unstable fixed point or cycle, a boundary point of measure zero). Shape ``(n_initial,)`` for
        sampled states, the grid's shape ``(n_1,)`` or ``(n_2, n_1)`` (rows along x_2, as an
        image) for a grid.
    fractions : ndarray, shape (n_attractors,)
        Share of the initial states in each basin.
    intervals : ndarray, shape (n_attractors, 2)
        Wilson score intervals of the fractions at level ``confidence``.
    confidence : float
    unresolved_fraction : float
        Share of label -1 (label -2 is neither counted here nor in ``fractions``).
    initial_states : ndarray, shape (n_initial, n_states)
        The ensemble (empty for a grid: see ``grid``).
    grid : tuple of ndarray
        The grid axes (x_1 values, then x_2 values) for a grid; empty otherwise.
    box : ndarray, shape (2, n_states), or None
        Lower and upper corners of the region sampled (None for user-given states).
    boundary_points : ndarray, shape (n_boundary, n_states)
        Points on the common boundary of two basins, by bisection.
    boundary_labels : ndarray of int, shape (n_boundary, 2)
        The two attractors each boundary point separates.
    boundary_width : float or None
        Largest length of the final bisection segments (the accuracy of ``boundary_points``);
        None when no boundary was bisected.
    exact_boundary : ndarray, shape (n_exact,)
        1-D maps: the boundary points inside the box, exactly (unstable fixed points and their
        preimages at which the label changes); empty otherwise.
    saddles : tuple of FixedPoint
        Fixed points with one unstable direction (and unstable fixed points of 1-D maps).
    graph : networkx.Graph
        Nodes "A<i>" (attractors) and "S<j>" (saddles); an edge joins a saddle to each attractor
        one of its unstable half-manifolds falls into, and two attractors whose basins share
        bisection boundary points.
    success : bool
    status : BasinsStatus
    n_initial : int
    n_steps : int
        Steps of the slowest state.
    mean_steps : float
        Mean steps until a state settled.
    note : str
    """

    _table_spec = TableSpec(rows="attractors", columns=("kind", "period", "x", "lyapunov",
                                                        "fraction=self.fractions"))

    attractors: tuple
    labels: np.ndarray
    fractions: np.ndarray
    intervals: np.ndarray
    confidence: float
    unresolved_fraction: float
    initial_states: np.ndarray
    grid: tuple
    box: np.ndarray | None
    boundary_points: np.ndarray
    boundary_labels: np.ndarray
    boundary_width: float | None
    exact_boundary: np.ndarray
    saddles: tuple
    graph: object
    success: bool
    status: BasinsStatus
    n_initial: int
    n_steps: int
    mean_steps: float
    note: str = ""

    def __post_init__(self):
        # files written before None meant "not applicable" held NaN there
        if self.box is not None and not np.all(np.isfinite(self.box)):
            object.__setattr__(self, "box", None)
        if self.boundary_width is not None and not math.isfinite(self.boundary_width):
            object.__setattr__(self, "boundary_width", None)

    @property
    def n_attractors(self) -> int:
        return len(self.attractors)

    @property
    def kinds(self) -> tuple:
        return tuple(a.kind for a in self.attractors)

    def __len__(self) -> int:
        return len(self.attractors)

    def __iter__(self):
        return iter(self.attractors)

    def __getitem__(self, index: int) -> Attractor:
        return self.attractors[index]

    def __repr__(self) -> str:
        shares = ", ".join(f"{a.description} {f:.3f}" for a, f in
                           zip(self.attractors, self.fractions))
        return (f"BasinsResult({self.n_attractors} attractor(s) from {self.n_initial} initial "
                f"states: {shares}; unresolved {self.unresolved_fraction:.3f}; "
                f"{len(self.saddles)} saddle(s), {len(self.boundary_points)} boundary points; "
                f"status={self.status.name})")

    __str__ = __repr__


# -- statistics ----------------------------------------------------------------------------------
def wilson_interval(count, total: int, confidence: float = 0.95) -> np.ndarray:
    r"""Wilson score interval of a binomial proportion, shape ``(..., 2)``.

    .. math::

        \frac{\hat p + \frac{z^2}{2N} \pm z\sqrt{\frac{\hat p(1-\hat p)}{N} + \frac{z^2}{4N^2}}}
             {1 + z^2/N}

    References
    ----------
    E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
    J. Amer. Statist. Assoc. 22 (1927) 209–212.

    Examples
    --------
    >>> import numpy as np
    >>> np.round(wilson_interval(50, 100), 4)
    array([0.4038, 0.5962])
    """
    from scipy.special import ndtri
    count = np.asarray(count, dtype=np.float64)
    if total <= 0:
        return np.full(count.shape + (2,), np.nan)
    z = float(ndtri(0.5 + confidence / 2))
    p = count / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * np.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return np.clip(np.stack([centre - half, centre + half], axis=-1), 0.0, 1.0)


# -- the vectorised ensemble ----------------------------------------------------------------------
class _Ensemble:
    """Iterates batches of states until they settle; knows the map, its input and the options."""

    def __init__(self, system: RecurrentMap, u, options: BasinsOptions):
        self.system = system
        self.u = u
        self.options = options

    def step(self, x: np.ndarray) -> np.ndarray:
        return self.system.step_unchecked(x, self.u)

    def settle(self, x0: np.ndarray, max_steps: int | None = None):
        """Iterate ``x0`` (m, n) until every state settles.

        Returns ``(final, period, steps)``: the last states, the detected period (k ≥ 1: a
        k-cycle, 0: not settled within ``max_steps``, -1: diverged) and the steps taken.
        """
        opts = self.options
        max_steps = opts.max_steps if max_steps is None else max_steps
        m, n = x0.shape
        final = np.array(x0, dtype=np.float64)
        period = np.zeros(m, dtype=np.int64)
        steps = np.zeros(m, dtype=np.int64)
        active = np.arange(m)
        xa = final.copy()
        taken = 0
        P = opts.max_period
        block = max(opts.n_transient, 1)
        with np.errstate(all="ignore"):
            while active.size and taken < max_steps:
                for _ in range(min(block, max_steps - taken)):
                    xa = self.step(xa)
                taken += min(block, max_steps - taken)
                history = np.empty((P + 1,) + xa.shape)
                history[0] = xa
                for k in range(1, P + 1):
                    history[k] = self.step(history[k - 1])
                taken += P
                newest = history[P]
                # overflow propagates (inf, then NaN), so the newest state shows a divergence
                size = np.abs(newest).max(axis=1)
                diverged = ~(size <= opts.divergence_threshold)
                scale = opts.settle_tol * (1.0 + size)
                # the least k with x_{t+P} = x_{t+P-k}, compared only for states not yet
                # settled at a smaller k (most settle at k = 1 once they have converged)
                least = np.zeros(newest.shape[0], dtype=np.int64)
                open_ = np.flatnonzero(~diverged)
                for k in range(1, P + 1):
                    if not open_.size:
                        break
                    close = np.abs(history[P - k, open_] - newest[open_]).max(axis=1) \
                        <= scale[open_]
                    least[open_[close]] = k
                    open_ = open_[~close]
                has = least > 0
                done = has | diverged
                if np.any(done):
                    idx = active[done]
                    period[idx] = np.where(diverged[done], -1, least[done])
                    final[idx] = history[P][done]
                    steps[idx] = taken
                xa = history[P][~done]
                active = active[~done]
                block = P
        if active.size:
            final[active] = xa
            steps[active] = taken
        return final, period, steps


def _nearest_distance(points: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """∞-norm distance from each of ``points`` (m, n) to the nearest of ``reference`` (r, n)."""
    if reference.shape[0] <= 64:
        out = np.full(points.shape[0], np.inf)
        for row in reference:
            np.minimum(out, np.abs(points - row).max(axis=1), out=out)
        return out
    from scipy.spatial import cKDTree
    return cKDTree(reference).query(points, k=1, p=np.inf)[0]


@dataclass
class _Catalogue:
    """The attractors identified so far and the rules that match states to them."""

    ensemble: _Ensemble
    attractors: list = field(default_factory=list)
    radii: list = field(default_factory=list)         # matching distance of each attractor
    full_clouds: bool = True

    def divergence_index(self) -> int:
        for i, a in enumerate(self.attractors):
            if a.kind is AttractorKind.DIVERGENCE:
                return i
        n = self.ensemble.system.n_states
        self.attractors.append(Attractor(AttractorKind.DIVERGENCE, np.empty((0, n)), 0,
                                         np.empty(0, complex), None))
        self.radii.append(0.0)
        return len(self.attractors) - 1

    def match(self, states: np.ndarray) -> np.ndarray:
        """Index of the attractor each state (m, n) lies on, or -1."""
        labels = np.full(states.shape[0], UNRESOLVED)
        best = np.full(states.shape[0], np.inf)
        for i, (a, radius) in enumerate(zip(self.attractors, self.radii)):
            if a.kind is AttractorKind.DIVERGENCE or not states.shape[0]:
                continue
            d = _nearest_distance(states, a.states)
            hit = (d <= radius) & (d < best)
            labels[hit] = i
            best[hit] = d[hit]
        return labels

    def assign(self, final: np.ndarray, period: np.ndarray, create: bool = True) -> np.ndarray:
        """Labels of settled states, creating new attractors (when ``create``) as needed."""
        opts = self.ensemble.options
        labels = np.full(final.shape[0], UNRESOLVED)
        diverged = period < 0
        if np.any(diverged):
            labels[diverged] = self.divergence_index() if create or any(
                a.kind is AttractorKind.DIVERGENCE for a in self.attractors) else UNRESOLVED
        todo = np.flatnonzero(~diverged)
        if todo.size:
            labels[todo] = self.match(final[todo])
        while create and len(self.attractors) < opts.max_attractors + (
                1 if any(a.kind is AttractorKind.DIVERGENCE for a in self.attractors) else 0):
            open_ = todo[labels[todo] == UNRESOLVED]
            # settled states first: a cycle is cheap to identify and often absorbs the others
            settled = open_[period[open_] > 0]
            first = settled[0] if settled.size else (open_[0] if open_.size else None)
            if first is None:
                break
            new = self._identify(final[first], int(period[first]))
            if new is None:                      # the probe diverged after all
                labels[first] = self.divergence_index()
                continue
            index = self._merge_cloud(*new)
            if index is None:
                self.attractors.append(new[0])
                self.radii.append(new[1])
                index = len(self.attractors) - 1
            rest = todo[labels[todo] == UNRESOLVED]
            d = _nearest_distance(final[rest], self.attractors[index].states)
            labels[rest[d <= self.radii[index]]] = index
            if labels[first] == UNRESOLVED:
                # a state that started the attractor belongs to it (guards cloud sampling gaps)
                labels[first] = index
        return labels

    def _merge_cloud(self, cloud: Attractor, radius: float) -> int | None:
        """Index of an existing cloud that ``cloud`` samples again (then the two samples are
        joined), or None. Two samples of one chaotic attractor interleave: the median distance
        from the new states to the old sample is of the order of the old sample's spacing."""
        if cloud.period:
            return None
        for i, old in enumerate(self.attractors):
            if old.period or old.kind is AttractorKind.DIVERGENCE:
                continue
            if float(np.median(_nearest_distance(cloud.states, old.states))) <= self.radii[i]:
                cap = 4 * self.ensemble.options.n_cloud
                joined = np.concatenate([old.states, cloud.states])[-cap:]
                self.attractors[i] = dataclasses.replace(old, states=joined)
                self.radii[i] = max(self.radii[i], radius)
                return i
        return None

    def _identify(self, x: np.ndarray, period: int):
        """A new attractor through ``x``: a Newton-refined cycle, or a sampled cloud."""
        ens = self.ensemble
        opts = ens.options
        system, u = ens.system, ens.u
        if period > 0:
            orbit = np.empty((period, x.size))
            orbit[0] = x
            for j in range(1, period):
                orbit[j] = ens.step(orbit[j - 1][None])[0]
            # an orbit converging with an oscillation (multiplier near -1) meets the 2k-step
            # test before the k-step one: keep the least period within the matching distance
            for divisor in range(1, period):
                if period % divisor == 0 and \
                        np.abs(orbit[divisor] - orbit[0]).max() <= opts.match_tol:
                    orbit = orbit[:divisor]
                    break
            return self._cycle(orbit), opts.match_tol
        with np.errstate(all="ignore"):
            cloud = np.empty((opts.n_cloud, x.size))
            state = x[None]
            for j in range(opts.n_cloud):
                state = ens.step(state)
                cloud[j] = state[0]
        if not np.all(np.isfinite(cloud)) or np.abs(cloud).max() > opts.divergence_threshold:
            return None
        # How far a fresh sample of the attractor may lie from this one: a multiple of the
        # spacing of the sample, and at least a share of its extent, because one orbit can
        # clump (an irrational rotation by 1 rad visits 710 clumps first: three-gap theorem)
        half = cloud.shape[0] // 2
        spacing = _nearest_distance(cloud[half:], cloud[:half])
        extent = float(np.ptp(cloud, axis=0).max())
        radius = max(opts.match_tol, opts.cloud_factor * float(np.quantile(spacing, 0.95)),
                     opts.cloud_resolution * extent)
        if float(np.ptp(cloud, axis=0).max()) <= opts.match_tol:
            # a slowly converging orbit: really a fixed point or short cycle
            return self._cycle(cloud[-1:]), opts.match_tol
        lyap = lyapunov_spectrum(system, cloud[-1], opts.lyapunov_steps, n_transient=0, u=u,
                                 n_exponents=1, record_every=opts.lyapunov_steps)
        lam = float(lyap.largest) if lyap.success and np.isfinite(lyap.largest) else None
        kind = AttractorKind.CHAOTIC if lam is not None and lam > opts.chaos_threshold else \
            AttractorKind.QUASI_PERIODIC
        states = cloud if self.full_clouds else cloud[:: max(1, opts.n_cloud // 256)]
        return Attractor(kind, states, 0, np.empty(0, complex), lam), radius

    def _cycle(self, orbit: np.ndarray) -> Attractor:
        ens = self.ensemble
        period = orbit.shape[0]
        search = find_fixed_points if period == 1 else \
            (lambda system, u, **kw: find_cycles(system, period, u, **kw))
        try:
            found = search(ens.system, ens.u, starts=orbit[:1], method="newton",
                           max_iter=40)
        except (ConvergenceError, InvalidInputError):
            found = ()
        for point in found:
            cycle = np.asarray(point.orbit if point.orbit is not None else point.x[None])
            if _nearest_distance(orbit[:1], cycle)[0] <= ens.options.match_tol \
                    and cycle.shape[0] == period:
                multipliers = np.asarray(point.eigenvalues)
                lam = float(np.log(np.abs(multipliers).max()) / period) if multipliers.size \
                    and np.abs(multipliers).max() > 0 else None
                return Attractor(AttractorKind.FIXED_POINT if period == 1 else
                                 AttractorKind.CYCLE, cycle, period, multipliers, lam,
                                 refined=True, residual=float(point.residual),
                                 stable=bool(point.stable))
        # Newton failed (a non-hyperbolic cycle): keep the iterated points and their multipliers
        product = np.eye(orbit.shape[1])
        for state in orbit:
            product = ens.system.jacobian_unchecked(state, ens.u) @ product
        multipliers = np.linalg.eigvals(product)
        order = np.argsort(-np.abs(multipliers))
        lam = float(np.log(max(np.abs(multipliers).max(), 1e-300)) / period)
        return Attractor(AttractorKind.FIXED_POINT if period == 1 else AttractorKind.CYCLE,
                         orbit.copy(), period, multipliers[order], lam, refined=False,
                         stable=bool(np.abs(multipliers).max() < 1))


# -- input checking ------------------------------------------------------------------------------
def _check_system(system) -> RecurrentMap:
    if not isinstance(system, RecurrentMap):
        raise InvalidTypeError(f"system must be a dynrnn RecurrentMap (RNN, Map, GRU, ...), got "
                               f"{type(system).__name__}", argument="system", value=system)
    return system


def _resolve_input(system: RecurrentMap, u):
    u = system.resolve_input(u)
    if u is not None and u.ndim != 1:
        raise ShapeError(f"u must be one constant input of shape ({system.n_inputs},), got "
                         f"{u.shape}", argument="u", expected=(system.n_inputs,),
                         actual=u.shape)
    return u


def check_box(system: RecurrentMap, box, u) -> np.ndarray:
    """``box`` as an array (2, n_states) of positive width; default the map's invariant box."""
    n = system.n_states
    if box is None:
        invariant = system.invariant_box(u)
        if invariant is None:
            raise InvalidInputError(
                f"box is required: {type(system).__name__} has no invariant box; pass box=(lower, "
                "upper) bounding the initial states", argument="box", value=None)
        box = invariant
    try:
        lower, upper = box
    except (TypeError, ValueError):
        raise ShapeError(f"box must be a pair (lower, upper), got {box!r:.80}", argument="box",
                         actual=box) from None
    lower = as_finite_array(lower, "box") * np.ones(n)
    upper = as_finite_array(upper, "box") * np.ones(n)
    if lower.shape != (n,) or upper.shape != (n,):
        raise ShapeError(f"box bounds must have shape ({n},), got {lower.shape} and "
                         f"{upper.shape}", argument="box", expected=(n,),
                         actual=(lower.shape, upper.shape))
    if np.any(upper <= lower):
        bad = int(np.flatnonzero(upper <= lower)[0])
        raise InvalidInputError(
            f"box has zero or negative width along x[{bad}]: lower {lower[bad]} >= upper "
            f"{upper[bad]}; give upper > lower in every coordinate", argument="box", value=box)
    return np.stack([lower, upper])


def _check_memory(n_initial: int, n_states: int, options: BasinsOptions, argument: str
                  ) -> None:
    needed = n_initial * (n_states + 2) * 8
    if needed > options.max_bytes:
        raise InvalidInputError(
            f"{argument}: the ensemble of {n_initial:,} initial states in {n_states} dimensions "
            f"needs "
            f"{needed / 2 ** 30:.2f} GiB for its states and labels, above options.max_bytes = "
            f"{options.max_bytes / 2 ** 30:.2f} GiB: use fewer states (or raise max_bytes if "
            "the machine has the memory)", argument=argument, value=n_initial)


def initial_ensemble(system: RecurrentMap, u, *, initial_states=None, grid=None, box=None,
                     n_samples: int = 1000, sampling: str = "uniform", spread: float = 0.1,
                     seed=0, options: BasinsOptions):
    """The initial states (m, n), the grid axes (or ()), and the box (2, n)."""
    n = system.n_states
    if initial_states is not None:
        if grid is not None:
            raise InvalidInputError("give either initial_states or grid, not both (grid given)",
                                    argument="grid", value=grid)
        states = as_finite_array(initial_states, "initial_states")
        if states.ndim == 1 and n == 1:
            states = states[:, None]
        if states.ndim != 2 or states.shape[1] != n:
            raise ShapeError(f"initial_states must have shape (n_initial, {n}), got "
                             f"{states.shape}", argument="initial_states",
                             expected=("n_initial", n), actual=states.shape)
        if states.shape[0] == 0:
            raise InvalidInputError("initial_states is empty: give at least one initial state",
                                    argument="initial_states", value=states.shape)
        _check_memory(states.shape[0], n, options, "initial_states")
        return states, (), np.full((2, n), np.nan)
    if grid is not None:
        if n > 2:
            raise InvalidInputError(
                f"grid is for maps with 1 or 2 states (pictures); this map has {n}: use sampled "
                "initial states (n_samples=..., sampling='uniform' or 'gaussian')",
                argument="grid", value=grid)
        resolution = [grid] * n if isinstance(grid, (int, np.integer)) and not isinstance(
            grid, bool) else list(grid) if isinstance(grid, (list, tuple)) else None
        if resolution is None or len(resolution) != n:
            raise InvalidInputError(f"grid must be a number of points per axis (an int, or {n} "
                                    f"ints), got {grid!r:.80}", argument="grid", value=grid)
        resolution = [check_count(r, "grid", 1) for r in resolution]
        box = check_box(system, box, u)
        _check_memory(int(np.prod(resolution, dtype=np.float64)), n, options, "grid")
        # an exactly antisymmetric unit grid, so a box symmetric about 0 gives a grid with
        # x and -x both on it bit for bit (symmetric maps then have exactly symmetric basins)
        units = [np.linspace(-1.0, 1.0, r) for r in resolution]
        units = [(t - t[::-1]) / 2 for t in units]
        axes = tuple((box[0, i] + box[1, i]) / 2 + (box[1, i] - box[0, i]) / 2 * units[i]
                     for i in range(n))
        if n == 1:
            states = axes[0][:, None]
        else:
            x1, x2 = np.meshgrid(axes[0], axes[1])     # rows along x_2: an image
            states = np.stack([x1.ravel(), x2.ravel()], axis=1)
        return states, axes, box
    n_samples = check_count(n_samples, "n_samples", 1)
    box = check_box(system, box, u)
    _check_memory(n_samples, n, options, "n_samples")
    rng = check_seed(seed)
    if sampling == "uniform":
        states = rng.uniform(box[0], box[1], size=(n_samples, n))
    elif sampling == "gaussian":
        spread = float(as_finite_array(spread, "spread"))
        if not spread > 0:
            raise InvalidInputError(f"spread must be positive, got {spread}", argument="spread",
                                    value=spread)
        # states along trajectories from the box, perturbed: the region the dynamics visits
        starts = rng.uniform(box[0], box[1], size=(max(1, n_samples // 16), n))
        with np.errstate(all="ignore"):
            visited = [starts]
            for _ in range(15):
                visited.append(system.step_unchecked(visited[-1], u))
        visited = np.concatenate(visited)
        visited = visited[np.all(np.isfinite(visited), axis=1)]
        if visited.shape[0] == 0:
            visited = starts
        centres = visited[rng.integers(0, visited.shape[0], n_samples)]
        states = centres + spread * (box[1] - box[0]) * rng.standard_normal((n_samples, n))
    else:
        raise InvalidInputError(f"sampling must be 'uniform' or 'gaussian', got {sampling!r}",
                                argument="sampling", value=sampling)
    return states, (), box


# -- boundaries and saddles ----------------------------------------------------------------------
def _classify(catalogue: _Catalogue, states: np.ndarray) -> np.ndarray:
    final, period, _ = catalogue.ensemble.settle(states)
    return catalogue.assign(final, period, create=False)


def _boundary_segments(states: np.ndarray, labels: np.ndarray, grid: tuple, n_per_pair: int,
                       rng: np.random.Generator):
    """Pairs of initial states (i, j) with different resolved labels, near each other."""
    flat = labels.ravel()
    pairs = []
    if grid:
        shape = labels.shape
        index = np.arange(flat.size).reshape(shape)
        for axis in range(len(shape)):
            a = np.take(index, np.arange(shape[axis] - 1), axis=axis).ravel()
            b = np.take(index, np.arange(1, shape[axis]), axis=axis).ravel()
            keep = (flat[a] != flat[b]) & (flat[a] >= 0) & (flat[b] >= 0)
            pairs.append(np.stack([a[keep], b[keep]], axis=1))
        pairs = np.concatenate(pairs) if pairs else np.empty((0, 2), int)
    else:
        from scipy.spatial import cKDTree
        found = []
        kinds = [k for k in np.unique(flat) if k >= 0]
        for i, ka in enumerate(kinds):
            for kb in kinds[i + 1:]:
                ia, ib = np.flatnonzero(flat == ka), np.flatnonzero(flat == kb)
                sub = ia[rng.permutation(ia.size)[:max(4 * n_per_pair, 64)]]
                dist, nearest = cKDTree(states[ib]).query(states[sub], k=1)
                order = np.argsort(dist)[:n_per_pair]
                found.append(np.stack([sub[order], ib[nearest[order]]], axis=1))
        pairs = np.concatenate(found) if found else np.empty((0, 2), int)
    if pairs.size == 0:
        return pairs
    # at most n_per_pair segments per pair of attractors, spread over the boundary
    key = np.sort(np.stack([flat[pairs[:, 0]], flat[pairs[:, 1]]], axis=1), axis=1)
    chosen = []
    for pair in np.unique(key, axis=0):
        rows = np.flatnonzero(np.all(key == pair, axis=1))
        chosen.append(rows[np.linspace(0, rows.size - 1, min(n_per_pair, rows.size)).astype(int)])
    return pairs[np.unique(np.concatenate(chosen))]


def _bisect(catalogue: _Catalogue, a: np.ndarray, b: np.ndarray, label_a: np.ndarray,
            label_b: np.ndarray, n_bisect: int):
    """Bisection on the segments [a_i, b_i] whose ends lie in different basins."""
    a, b = a.copy(), b.copy()
    alive = np.ones(a.shape[0], bool)
    for _ in range(n_bisect):
        idx = np.flatnonzero(alive)
        if not idx.size:
            break
        mid = 0.5 * (a[idx] + b[idx])
        if np.all(np.abs(a[idx] - b[idx]) <= 4 * np.finfo(float).eps * (1 + np.abs(mid))):
            break
        lab = _classify(catalogue, mid)
        to_a = lab == label_a[idx]
        to_b = lab == label_b[idx]
        a[idx[to_a]] = mid[to_a]
        b[idx[to_b]] = mid[to_b]
        alive[idx[~(to_a | to_b)]] = False     # a third basin in between: not this boundary
    keep = alive
    width = float(np.abs(a[keep] - b[keep]).max()) if np.any(keep) else None
    return 0.5 * (a[keep] + b[keep]), np.stack([label_a[keep], label_b[keep]], axis=1), width


def _preimages(system: RecurrentMap, u, target: float, lower: float, upper: float,
               n_grid: int = 4001) -> list:
    """All x in [lower, upper] with F(x) = target (sign changes on a fine grid, then Brent)."""
    from scipy.optimize import brentq
    xs = np.linspace(lower, upper, n_grid)
    with np.errstate(all="ignore"):
        g = system.step_unchecked(xs[:, None], u)[:, 0] - target
    out = [float(x) for x, v in zip(xs, g) if v == 0]
    for i in np.flatnonzero(np.sign(g[:-1]) * np.sign(g[1:]) < 0):
        out.append(brentq(lambda s: float(system.step_unchecked(np.array([[s]]), u)[0, 0])
                          - target, xs[i], xs[i + 1], xtol=1e-15, rtol=4 * np.finfo(float).eps))
    return out


def _exact_boundary_1d(catalogue: _Catalogue, saddles, box: np.ndarray, depth: int
                       ) -> np.ndarray:
    ens = catalogue.ensemble
    lower, upper = float(box[0, 0]), float(box[1, 0])
    candidates = {float(p.x[0]) for p in saddles}
    frontier = list(candidates)
    for _ in range(depth):
        new = []
        for target in frontier:
            for x in _preimages(ens.system, ens.u, target, lower, upper):
                if all(abs(x - c) > 1e-12 * (1 + abs(x)) for c in candidates):
                    candidates.add(x)
                    new.append(x)
        frontier = new
    points = np.array(sorted(c for c in candidates if lower <= c <= upper))
    if points.size == 0:
        return points
    delta = 1e-7 * max(1.0, upper - lower)
    sides = _classify(catalogue, np.concatenate([points - delta, points + delta])[:, None])
    left, right = sides[:points.size], sides[points.size:]
    return points[(left != right) & (left >= 0) & (right >= 0)]


def _saddles_and_graph(catalogue: _Catalogue, seed, boundary_labels: np.ndarray):
    import networkx as nx
    ens = catalogue.ensemble
    graph = nx.Graph()
    for i, a in enumerate(catalogue.attractors):
        graph.add_node(f"A{i}", role="attractor", kind=a.kind.value, period=int(a.period),
                       x=None if a.x is None else [float(v) for v in a.x])
    try:
        found = find_fixed_points(ens.system, ens.u, seed=seed)
    except (ConvergenceError, InvalidInputError):
        found = ()
    saddles = tuple(p for p in found if p.n_unstable == 1)
    scale = 1e-6
    for j, point in enumerate(saddles):
        graph.add_node(f"S{j}", role="saddle", kind="saddle", period=1,
                       x=[float(v) for v in point.x])
        vector = None
        try:
            values, vectors = np.linalg.eig(ens.system.jacobian_unchecked(point.x, ens.u))
            k = int(np.argmax(np.abs(values)))
            if abs(values[k].imag) < 1e-12:
                vector = np.real(vectors[:, k])
        except np.linalg.LinAlgError:
            vector = None
        if vector is None:
            continue
        probes = point.x[None] + scale * (1 + np.abs(point.x).max()) * np.stack(
            [vector, -vector])
        sides = _classify(catalogue, probes)
        for side in set(int(s) for s in sides if s >= 0):
            graph.add_edge(f"S{j}", f"A{side}", relation="unstable manifold")
        if sides[0] >= 0 and sides[1] >= 0 and sides[0] != sides[1]:
            graph.nodes[f"S{j}"]["separates"] = [int(sides[0]), int(sides[1])]
    if boundary_labels.size:
        pairs, counts = np.unique(np.sort(boundary_labels, axis=1), axis=0, return_counts=True)
        for (i, k), count in zip(pairs, counts):
            graph.add_edge(f"A{i}", f"A{k}", relation="common boundary",
                           n_points=int(count))
    return saddles, graph


# -- the public function -------------------------------------------------------------------------
@checked_arguments
def basins(system: RecurrentMap, initial_states=None, *, grid: int | Sequence[int] | None = None,
           box=None, n_samples: int = 1000,
           sampling: Literal["uniform", "gaussian"] = "uniform", spread: float = 0.1,
           u=None, seed: int | None = 0, options: BasinsOptions | None = None,
           boundaries: bool = True, executor=None, raise_on_failure: bool = False,
           progress: bool = True) -> BasinsResult:
    r"""Find the attractors of a map from an ensemble of initial states, and their basins.

    .. math::

        \ell(x_0) = A \iff \operatorname{dist}(F^t(x_0, u), A) \to 0, \qquad
        f_A = \frac{\#\{i : \ell(x_0^{(i)}) = A\}}{N}

    Parameters
    ----------
    system : RecurrentMap
        Any map; only its batched ``step_unchecked`` (and Jacobians, for refinement) are used.
    initial_states : array_like, shape (n_initial, n_states), optional
        User-given initial states.
    grid : int or sequence of int, optional
        A regular grid of this many points per axis over ``box`` (maps with 1 or 2 states).
    box : (lower, upper), optional
        Region of the grid or of the samples; default the map's invariant box.
    n_samples : int
        Initial states sampled when neither ``initial_states`` nor ``grid`` is given.
    sampling : "uniform" or "gaussian"
        Uniform in ``box``, or Gaussian (standard deviation ``spread`` times the box width)
        around states visited by trajectories started in the box.
    u : array_like, shape (n_inputs,), optional
        The constant input; default the map's own.
    seed : int, optional
        Randomness of the samples and of the saddle search (fixed by default).
    options : BasinsOptions, optional
    boundaries : bool
        Locate boundary points by bisection, exact 1-D boundaries, saddles and the graph.
    executor : None, "pool", "serial", str, Executor or dask Client
        None: the chunks one after the other in this process. Otherwise the chunks are settled
        through :func:`dynrnn.sweep` ("pool": its local process pool; a Dask address or client)
        and the attractors identified here, so the labels are the same; the map must be
        picklable. A chunk that fails leaves its states unresolved (status INTERRUPTED).
    raise_on_failure : bool
        Raise :class:`~dynrnn.ConvergenceError` (carrying the result) unless ``success``.
    progress : bool
        Show a tqdm bar over the chunks of the ensemble.

    Returns
    -------
    BasinsResult

    References
    ----------
    G. Datseris, K. L. Rossi, A. Wagemakers, "Framework for global stability analysis of
    dynamical systems", Chaos 33 (2023) 073151 (Attractors.jl).
    R. Pascanu, T. Mikolov, Y. Bengio, "On the difficulty of training recurrent neural
    networks", ICML 2013, §2.3 (basin boundaries and exploding gradients).

    Examples
    --------
    The bistable one-unit network x → 5σ(x) − 2.5: two fixed points, split at the unstable one.

    >>> import dynrnn as dr
    >>> net = dr.RNN([[5.0]], b=[-2.5], activation="sigmoid")
    >>> result = dr.basins(net, grid=100, box=([-5.0], [5.0]), progress=False)
    >>> [kind.value for kind in result.kinds], result.fractions.tolist()
    (['fixed point', 'fixed point'], [0.5, 0.5])
    >>> result.exact_boundary.shape, bool(abs(result.exact_boundary[0]) < 1e-12)
    ((1,), True)
    """
    system = _check_system(system)
    check_seed(seed)
    check_executor(executor)
    options = BasinsOptions() if options is None else options
    if not isinstance(options, BasinsOptions):
        raise InvalidTypeError(f"options must be a BasinsOptions, got {type(options).__name__}",
                               argument="options", value=options)
    u = _resolve_input(system, u)
    states, axes, region = initial_ensemble(system, u, initial_states=initial_states, grid=grid,
                                            box=box, n_samples=n_samples, sampling=sampling,
                                            spread=spread, seed=seed, options=options)
    catalogue = _Catalogue(_Ensemble(system, u, options))
    if executor is None:
        labels, steps, interrupted = run_ensemble(catalogue, states, progress=progress)
    else:
        labels, steps, interrupted = run_ensemble_on(executor, catalogue, states,
                                                     progress=progress)
    return summarise(catalogue, states, labels, steps, axes, region, interrupted=interrupted,
                     boundaries=boundaries, seed=seed, raise_on_failure=raise_on_failure)


@dataclass(frozen=True)
class _ChunkContext:
    """What a worker needs to settle one chunk of the ensemble (picklable)."""

    system: RecurrentMap
    u: object
    options: BasinsOptions
    states: np.ndarray
    chunk: int


def settle_chunk(index: int, *, context: _ChunkContext) -> dict:
    """Settle chunk ``index`` of the ensemble; arrays padded to the chunk size (for a sweep)."""
    c = context
    block = c.states[int(index) * c.chunk:(int(index) + 1) * c.chunk]
    final, period, steps = _Ensemble(c.system, c.u, c.options).settle(block)
    pad = c.chunk - block.shape[0]
    return {"final": np.pad(final, ((0, pad), (0, 0))), "period": np.pad(period, (0, pad)),
            "steps": np.pad(steps, (0, pad))}


def _chunk_size(options: BasinsOptions, n: int) -> int:
    return options.chunk_size or max(256, options.chunk_bytes // ((options.max_period + 4) * n * 8))


def run_ensemble_on(executor, catalogue: _Catalogue, states: np.ndarray, *, progress: bool):
    """As :func:`run_ensemble`, with the chunks settled through :func:`dynrnn.sweep` (a local
    process pool, a Dask cluster, ...); the attractors are identified here, in chunk order, so
    the labels are the same as in one process."""
    import functools
    from ..sweeps import sweep
    ens = catalogue.ensemble
    m, n = states.shape
    chunk = _chunk_size(ens.options, n)
    n_chunks = -(-m // chunk)
    context = _ChunkContext(ens.system, ens.u, ens.options, states, chunk)
    result = sweep(functools.partial(settle_chunk, context=context),
                   {"index": np.arange(n_chunks)}, executor=None if executor == "pool"
                   else executor, progress=progress)
    labels = np.full(m, UNRESOLVED)
    steps = np.zeros(m, dtype=np.int64)
    done = np.asarray(result.point_status).ravel() == "done"
    for i in range(n_chunks):
        if not done[i]:
            continue
        size = min(chunk, m - i * chunk)
        final = np.asarray(result.data["final"][i])[:size]
        period = np.asarray(result.data["period"][i])[:size].astype(np.int64)
        labels[i * chunk:i * chunk + size] = catalogue.assign(final, period)
        steps[i * chunk:i * chunk + size] = np.asarray(result.data["steps"][i])[:size]
    return labels, steps, not bool(done.all())


def run_ensemble(catalogue: _Catalogue, states: np.ndarray, *, progress: bool):
    """Labels of every initial state, chunk by chunk; an interruption keeps what is done."""
    options = catalogue.ensemble.options
    m, n = states.shape
    chunk = _chunk_size(options, n)
    labels = np.full(m, UNRESOLVED)
    steps = np.zeros(m, dtype=np.int64)
    starts = range(0, m, chunk)
    bar = None
    if progress and len(starts) > 1:
        from tqdm.auto import tqdm
        bar = tqdm(total=m, desc="basins", unit="state", leave=False)
    interrupted = False
    try:
        for start in starts:
            block = states[start:start + chunk]
            final, period, taken = catalogue.ensemble.settle(block)
            labels[start:start + chunk] = catalogue.assign(final, period)
            steps[start:start + chunk] = taken
            if bar is not None:
                bar.update(block.shape[0])
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if bar is not None:
            bar.close()
    return labels, steps, interrupted


def summarise(catalogue: _Catalogue, states, labels, steps, axes, region, *, interrupted: bool,
              boundaries: bool, seed, raise_on_failure: bool) -> BasinsResult:
    """Fractions, intervals, boundaries, saddles and the graph, as a :class:`BasinsResult`."""
    import networkx as nx
    options = catalogue.ensemble.options
    n_states = states.shape[1]
    m = states.shape[0]
    # unstable cycles reached exactly (measure zero) are boundary points, not attractors
    keep = [i for i, a in enumerate(catalogue.attractors) if a.stable]
    mapping = np.full(len(catalogue.attractors) + 2, UNRESOLVED)
    mapping[np.array(keep, dtype=np.int64)] = np.arange(len(keep))
    for i, a in enumerate(catalogue.attractors):
        if not a.stable:
            mapping[i] = ON_UNSTABLE
    labels = np.where(labels >= 0, mapping[np.maximum(labels, 0)], labels)
    catalogue.attractors = [catalogue.attractors[i] for i in keep]
    catalogue.radii = [catalogue.radii[i] for i in keep]
    attractors = tuple(catalogue.attractors)
    counts = np.bincount(labels[labels >= 0], minlength=len(attractors))[:len(attractors)]
    fractions = counts / m
    intervals = wilson_interval(counts, m, options.confidence).reshape(len(attractors), 2)
    unresolved = float(np.mean(labels == UNRESOLVED))
    only_divergence = bool(attractors) and all(
        a.kind is AttractorKind.DIVERGENCE for a in attractors) and unresolved == 0
    if interrupted:
        status = BasinsStatus.INTERRUPTED
    elif only_divergence:
        status = BasinsStatus.ALL_DIVERGED
    elif unresolved > 0:
        status = BasinsStatus.UNRESOLVED
    else:
        status = BasinsStatus.COMPLETE
    shaped = labels.reshape(tuple(a.size for a in axes)[::-1]) if axes else labels
    boundary_points = np.empty((0, n_states))
    boundary_labels = np.empty((0, 2), dtype=np.int64)
    width = None
    exact = np.empty(0)
    saddles: tuple = ()
    graph = nx.Graph()
    note = ""
    if boundaries and not interrupted and not only_divergence and options.n_boundary > 0:
        rng = np.random.default_rng(seed)
        pairs = _boundary_segments(states, shaped, axes, options.n_boundary, rng)
        if pairs.size:
            boundary_points, boundary_labels, width = _bisect(
                catalogue, states[pairs[:, 0]], states[pairs[:, 1]], labels[pairs[:, 0]],
                labels[pairs[:, 1]], options.n_bisect)
        saddles, graph = _saddles_and_graph(catalogue, seed, boundary_labels)
        if n_states == 1 and np.all(np.isfinite(region)):
            exact = _exact_boundary_1d(catalogue, saddles, region, options.preimage_depth)
        note = ("saddles: fixed points with one unstable direction found by "
                "find_fixed_points (not exhaustive unless that search is)")
    else:
        for i, a in enumerate(attractors):
            graph.add_node(f"A{i}", role="attractor", kind=a.kind.value, period=int(a.period),
                           x=None if a.x is None else [float(v) for v in a.x])
    result = BasinsResult(
        attractors=attractors, labels=shaped, fractions=fractions, intervals=intervals,
        confidence=options.confidence, unresolved_fraction=unresolved,
        initial_states=np.empty((0, n_states)) if axes else states, grid=tuple(axes),
        box=region if np.all(np.isfinite(region)) else None, boundary_points=boundary_points, boundary_labels=boundary_labels,
        boundary_width=width, exact_boundary=exact, saddles=tuple(saddles), graph=graph,
        success=status in (BasinsStatus.COMPLETE, BasinsStatus.UNRESOLVED) and unresolved < 1,
        status=status, n_initial=m, n_steps=int(steps.max()) if m else 0,
        mean_steps=float(steps.mean()) if m else 0.0, note=note)
    if raise_on_failure and not result.success:
        raise ConvergenceError(f"basins: {status.value}", result=result)
    return result
