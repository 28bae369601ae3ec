r"""The vocabulary and results of :func:`~dynrnn.basins`: the kinds of attractor, the status,
the options, :class:`Attractor`, :class:`BasinsResult` and the binomial intervals of the fractions.

.. math::

    f_A = \frac{\#\{x_0^{(i)} \in \mathcal B(A)\}}{N}, \qquad
    f_A \in [p_-, p_+] \text{ (Wilson score interval at level } 1 - \alpha)
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np

from ..._checks import check_count
from ..._tables import TableSpec, Tabular
from ...errors import InvalidInputError, InvalidTypeError

__all__ = ["MessageEnum", "AttractorKind", "BasinsStatus", "BasinsOptions", "check_options",
           "Attractor",
           "BasinsResult", "wilson_interval", "UNRESOLVED", "ON_UNSTABLE"]


class MessageEnum(str, enum.Enum):
    """An enum whose value is a readable word or message, and prints as that value.

    The one base of the kinds and statuses of :func:`~dynrnn.basins` and
    :func:`~dynrnn.global_continuation` (``str(member)`` is ``member.value``).
    """

    def __str__(self) -> str:
        return self.value


#: Label of an initial state that reached no identified attractor.
UNRESOLVED = -1
#: Label of an initial state whose orbit landed on an unstable fixed point or cycle and stays
#: there: it returns to the same state bit for bit (a grid point on the unstable fixed point;
#: 0.5 -> 1 -> 0 of the logistic map at r = 4) or stays within ``match_tol`` for
#: ``max_steps`` more steps (a set of measure zero on the basin boundaries). An orbit that only
#: passes near one goes on to its attractor.
ON_UNSTABLE = -2


class AttractorKind(MessageEnum):
    """What an attractor is.

    FIXED_POINT and CYCLE are refined by Newton (exact points and multipliers): a cycle of
    period ≤ ``max_period`` from the settled states, and a longer stable cycle from a cloud
    whose largest Lyapunov exponent λ₁ is below −``chaos_threshold`` (or at most
    ``chaos_threshold`` for a map with one state, which has no quasi-periodic attractor); such
    a cycle that Newton does not resolve leaves its states unresolved, with a note. A cloud is
    CHAOTIC when λ₁ > ε = ``chaos_threshold`` and QUASI_PERIODIC when −ε ≤ λ₁ ≤ ε, the map
    has two or more states and Newton finds no stable cycle in the cloud (which is then a
    CYCLE with a multiplier near 1). DIVERGENCE: the orbits leave every bounded region.
    """

    FIXED_POINT = "fixed point"
    CYCLE = "cycle"
    QUASI_PERIODIC = "quasi-periodic"
    CHAOTIC = "chaotic"
    DIVERGENCE = "divergence"


class BasinsStatus(MessageEnum):
    """Outcome of :func:`~dynrnn.basins`; the value is the message."""

    COMPLETE = "every initial state reached an identified attractor"
    UNRESOLVED = ("some initial states reached no identified attractor (label -1): raise "
                  "options.max_steps or options.max_attractors, or loosen options.match_tol")
    ALL_DIVERGED = ("every initial state diverged: the map has no bounded attractor in this "
                    "region; choose a smaller box or other initial states")
    INTERRUPTED = ("interrupted (or a chunk failed on a worker): the labels of the states not "
                   "processed are -1; rerun to finish")


@dataclass(frozen=True)
class BasinsOptions:
    """Numerical settings of :func:`~dynrnn.basins` (all checked against each other).

    Attributes
    ----------
    max_steps : int
        Steps after which a state that has not settled is treated as quasi-periodic/chaotic.
    n_transient : int
        Steps before the first settling check.
    max_period : int
        Largest period k detected as a k-cycle while settling; a longer stable cycle is
        found from its cloud (see ``chaos_threshold``).
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
        Steps averaged along each orbit for a cloud's largest Lyapunov exponent.
    lyapunov_orbits : int
        Orbits averaged for that exponent: started at states spread along the cloud, each
        nudged by 1e-6 of the cloud's extent so that, on a chaotic attractor, they part from
        the sampled orbit after a few dozen steps (the first ``lyapunov_transient`` steps are
        not averaged) and the estimate averages ``lyapunov_orbits × lyapunov_steps`` nearly
        independent steps (Hénon a = 1.4, b = 0.3: 0.419 ± 0.002 by default).
    lyapunov_transient : int
        Steps of each of those orbits not averaged.
    chaos_threshold : float
        The accuracy asked of a cloud's largest exponent λ₁: a cloud with λ₁ above this is
        chaotic, with λ₁ within ± this quasi-periodic (maps with two or more states; unless
        Newton finds a stable cycle in the cloud, see :class:`AttractorKind`), and
        with λ₁ below minus this (or at most this, for a map with one state) a stable cycle
        longer than ``max_period``, found and refined by Newton (see
        :class:`AttractorKind`).
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
    lyapunov_steps: int = 1000
    lyapunov_orbits: int = 64
    lyapunov_transient: int = 50
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
                              ("n_cloud", 10), ("lyapunov_steps", 1), ("lyapunov_orbits", 1),
                              ("lyapunov_transient", 0), ("max_attractors", 1),
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


def check_options(options) -> BasinsOptions:
    """``options``, or the default :class:`BasinsOptions` for None; else an InvalidTypeError."""
    options = BasinsOptions() if options is None else options
    if not isinstance(options, BasinsOptions):
        raise InvalidTypeError(f"options must be a BasinsOptions, got {type(options).__name__}",
                               argument="options", value=options)
    return options


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
        """A few words: "fixed point", "3-cycle", "chaotic (λ₁ = 0.42)", ..."""
        if self.kind is AttractorKind.CYCLE:
            return f"{self.period}-cycle"
        if self.kind in (AttractorKind.CHAOTIC, AttractorKind.QUASI_PERIODIC):
            if self.lyapunov is None:
                return f"{self.kind.value} (λ₁ unknown)"
            return f"{self.kind.value} (λ₁ = {self.lyapunov:.3g})"
        return self.kind.value

    def __repr__(self) -> str:
        where = "" if self.states.shape[0] == 0 else \
            f" at {np.round(self.states[0], 4).tolist()}"
        return f"Attractor({self.description}{where})"


@dataclass(frozen=True, eq=False)
class BasinsResult(Tabular):
    """Attractors, the label of every initial state, and the basin fractions.

    Attributes
    ----------
    attractors : tuple of Attractor
    labels : ndarray of int
        Attractor index of every initial state (-1: unresolved; -2: landed on an unstable
        fixed point or cycle and stays there, a boundary point of measure zero: see
        ``ON_UNSTABLE`` and ``on_unstable_fraction``). Shape ``(n_initial,)`` for
        sampled states, the grid's shape ``(n_1,)`` or ``(n_2, n_1)`` (rows along x_2, as an
        image) for a grid.
    fractions : ndarray, shape (n_attractors,)
        Share of the initial states in each basin.
    intervals : ndarray, shape (n_attractors, 2)
        Wilson score intervals of the fractions at level ``confidence``.
    confidence : float
    unresolved_fraction : float
        Share of label -1 (label -2 is neither counted here nor in ``fractions``: it is
        :attr:`on_unstable_fraction`; the three add up to 1).
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

    _table_spec = TableSpec(rows="attractors", columns=(
        "kind", "period", "x", "lyapunov", "fraction=self.fractions",
        "fraction_lower=self._fraction_lower", "fraction_upper=self._fraction_upper"))

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
    def _fraction_lower(self) -> np.ndarray:
        """Lower ends of the Wilson intervals (a column of the table)."""
        return np.asarray(self.intervals).reshape(-1, 2)[:, 0]

    @property
    def _fraction_upper(self) -> np.ndarray:
        """Upper ends of the Wilson intervals (a column of the table)."""
        return np.asarray(self.intervals).reshape(-1, 2)[:, 1]

    @property
    def on_unstable_fraction(self) -> float:
        """Share of label -2: initial states whose orbits landed on an unstable fixed point or
        cycle and stay there (exactly, in floating point). ``fractions.sum() +
        unresolved_fraction + on_unstable_fraction`` is 1."""
        labels = np.asarray(self.labels)
        return float(np.mean(labels == ON_UNSTABLE)) if labels.size else 0.0

    @property
    def n_attractors(self) -> int:
        return len(self.attractors)

    @property
    def kinds(self) -> tuple:
        return tuple(a.kind for a in self.attractors)

    @property
    def exhaustive(self) -> bool:
        """Always False: the attractors are those the ``n_initial`` initial states reach, and an
        attractor whose basin holds none of them is not found (nor are saddles that
        :func:`~dynrnn.find_fixed_points` misses); ``note`` says so."""
        return False

    def boundary_between(self, first: int, second: int) -> np.ndarray:
        """The bisection points on the common boundary of the basins of attractors ``first``
        and ``second``, shape (n_points, n_states) (empty when none was found: the basins do
        not touch in the ensemble, or boundaries were not asked for).

        >>> import dynrnn as dr
        >>> net = dr.RNN([[5.0]], b=[-2.5], activation="sigmoid")
        >>> result = dr.basins(net, grid=100, box=([-5.0], [5.0]), progress=False)
        >>> bool(abs(result.boundary_between(0, 1)).max() < 1e-9)
        True
        """
        for name, index in (("first", first), ("second", second)):
            if isinstance(index, bool) or not isinstance(index, (int, np.integer)) \
                    or not 0 <= index < self.n_attractors:
                raise InvalidInputError(
                    f"{name} must be an attractor index in [0, {self.n_attractors}), got "
                    f"{index!r}", argument=name, value=index)
        pairs = np.sort(np.asarray(self.boundary_labels).reshape(-1, 2), axis=1)
        wanted = sorted((int(first), int(second)))
        return self.boundary_points[np.all(pairs == wanted, axis=1)]

    def __len__(self) -> int:
        return len(self.attractors)

    def __iter__(self):
        return iter(self.attractors)

    def __getitem__(self, index: int) -> Attractor:
        return self.attractors[index]

    def __repr__(self) -> str:
        shares = ", ".join(f"{a.description} {f:.3f}" for a, f in
                           zip(self.attractors, self.fractions))
        # the share that landed on unstable sets, when there is one, so the shares add up to 1
        n_on = int(np.count_nonzero(np.asarray(self.labels) == ON_UNSTABLE))
        on_unstable = (f"on unstable sets {self.on_unstable_fraction:.3f} ({n_on} state(s)); "
                       if n_on else "")
        return (f"BasinsResult({self.n_attractors} attractor(s) from {self.n_initial} initial "
                f"states: {shares}; unresolved {self.unresolved_fraction:.3f}; {on_unstable}"
                f"{len(self.saddles)} saddle(s), {len(self.boundary_points)} boundary points; "
                f"status={self.status.name})")

    __str__ = __repr__


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

