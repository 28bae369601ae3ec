r"""Border collisions of piecewise-linear maps (PLRNN, ReLU networks): detect, locate,
classify and continue through them.

A piecewise-linear map :math:`F(x) = A x + W\,\mathrm{relu}(x) + c` is affine on each region
:math:`D \in \{0,1\}^n` of active units, :math:`F(x) = M_D x + c` with
:math:`M_D = A + W\,\mathrm{diag}(D)`. A k-cycle visiting the regions :math:`D_1, \dots, D_k` is
the solution of one linear system (:mod:`dynrnn.analysis.piecewise`), so along a parameter p it
is an explicit function :math:`x(p)` (affine in p when p is a bias or input, rational when it is
a weight) for as long as every point stays in its region. It changes at a **border
collision**: a point of the orbit reaches a switching boundary :math:`x_{j,i}(p^*) = 0` and the
Jacobian jumps from :math:`P_D` to :math:`P_{D'}` (the products of the :math:`M` along the
cycle, before and after the unit switches).

Location is a bracketed root of the scalar :math:`x_{j,i}(p)` computed from exact region
solves (Brent's method to ``4 ε |p| + 1e-14``; a single secant step when x is affine in p).
Classification follows Feigin's rule as stated by di Bernardo, Feigin, Hogan & Homer (1999):
with :math:`\sigma^\pm_D` the number of real multipliers of :math:`P_D` above +1 (below −1),

- :math:`\sigma^+_D + \sigma^+_{D'}` odd: **non-smooth fold**, the cycle of region D and the one
  of region D' exist on the same side of :math:`p^*` and meet and vanish there; continuation
  turns back (like at an LP);
- otherwise the cycle **persists** across the border; if moreover
  :math:`\sigma^-_D + \sigma^-_{D'}` is odd it is a **non-smooth flip**: a cycle of twice the
  period, visiting both regions, is born at :math:`p^*`;
- a persistence whose stability differs on the two sides is reported as **persistence with a
  change of stability** (the jump of the multipliers across the unit circle is what BPTT sees:
  Eisenmann et al. 2023).

References
----------
.. [1] M. di Bernardo, M. I. Feigin, S. J. Hogan, M. E. Homer, "Local analysis of
   C-bifurcations in n-dimensional piecewise-smooth dynamical systems", Chaos, Solitons &
   Fractals 10 (1999) 1881–1908.
.. [2] L. Eisenmann, Z. Monfared, N. Göring, D. Durstewitz, "Bifurcations and loss jumps in RNN
   training", NeurIPS 2023.
.. [3] H. E. Nusse, J. A. Yorke, "Border-collision bifurcations including 'period two to
   period three' for piecewise smooth systems", Physica D 57 (1992) 39–57.
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq

from .._checks import check_count
from .._signature_checks import checked_arguments
from .._tables import TableSpec, Tabular
from ..errors import InvalidInputError, InvalidTypeError, ResourceLimitError
from ..model.base import RecurrentMap, as_state
from ..model.families import ParameterFamily, as_family
from .piecewise import solve_patterns
from .special_points import Bifurcation, BifurcationKind

__all__ = [
    "BorderCollisionType",
    "PiecewiseBranch",
    "PiecewiseStatus",
    "border_collisions_between",
    "classify_border_collision",
    "continue_piecewise",
]


class BorderCollisionType(str, enum.Enum):
    PERSISTENCE = "persistence: the cycle crosses the border, its stability unchanged"
    PERSISTENCE_STABILITY_CHANGE = ("persistence with a change of stability: the multipliers "
                                    "jump across the unit circle at the border")
    NONSMOOTH_FOLD = "non-smooth fold: two cycles meet on the border and vanish"
    NONSMOOTH_FLIP = ("non-smooth flip: the cycle persists and a cycle of twice the period is "
                      "born at the border")

    def __str__(self) -> str:
        return self.value


class PiecewiseStatus(str, enum.Enum):
    REACHED_BOUND = "the branch reached the parameter bound"
    SINGULAR = ("a multiplier of the cycle reached +1 inside a region (I - P_D singular): the "
                "cycle runs off to infinity or a continuum of cycles exists")
    AMBIGUOUS_BORDER = ("the cycle met several borders at once or no region continues it past "
                        "the border (a codimension-two border collision)")
    MAX_COLLISIONS = "stopped after max_collisions border collisions"
    INTERRUPTED = "interrupted (Ctrl-C); the branch so far is kept"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class PiecewiseBranch(Tabular):
    """A branch of a piecewise-linear map's cycle, continued region by region.

    Attributes
    ----------
    param_name : str
    period : int
    params : ndarray, shape (m,)
        The parameter at each stored point (including both sides of every border collision).
    states : ndarray, shape (m, n_states)
        The first point of the cycle at each.
    patterns : ndarray of bool, shape (m, period, n_states)
        The region (active units) of each cycle point.
    eigenvalues : ndarray, shape (m, n_states)
        Multipliers of the k-fold map (sorted by decreasing modulus).
    stable : ndarray of bool, shape (m,)
    collisions : tuple of Bifurcation
        The border collisions (kind BC), in the order met; ``extra["type"]`` is a
        :class:`BorderCollisionType`.
    status : PiecewiseStatus
    """

    param_name: str
    period: int
    params: np.ndarray
    states: np.ndarray
    patterns: np.ndarray
    eigenvalues: np.ndarray
    stable: np.ndarray
    collisions: tuple
    status: PiecewiseStatus
    message: str = ""
    extra: dict = field(default_factory=dict)

    # the table: one row per branch point (the first point of the cycle)
    _table_spec = TableSpec(columns=("param=params", "states", "stable"))

    @property
    def success(self) -> bool:
        return self.status == PiecewiseStatus.REACHED_BOUND

    @property
    def n_points(self) -> int:
        return int(self.params.shape[0])

    def __repr__(self) -> str:
        kinds = ", ".join(f"{c.extra['type'].name}@{c.param:.6g}" for c in self.collisions)
        lo, hi = (float(np.min(self.params)), float(np.max(self.params))) if self.n_points \
            else (math.nan, math.nan)
        return (f"PiecewiseBranch({self.param_name} in [{lo:.6g}, {hi:.6g}], {self.n_points} "
                f"points, period={self.period}, status={self.status.name}, "
                f"collisions=[{kinds}])")

    __str__ = __repr__


# ---------------------------------------------------------------------------------------------
def _sorted(mu: np.ndarray) -> np.ndarray:
    return mu[np.argsort(-np.abs(mu), kind="stable")]


def _cycle_matrix(A, W, patterns):
    P = np.eye(A.shape[0])
    for D in patterns:
        P = (A + W * D[None, :]) @ P
    return P


def _counts(P: np.ndarray) -> tuple[int, int, bool, np.ndarray]:
    mu = np.linalg.eigvals(P)
    real = np.abs(mu.imag) <= 1e-12 * np.maximum(1.0, np.abs(mu))
    return (int(np.count_nonzero(real & (mu.real > 1.0))),
            int(np.count_nonzero(real & (mu.real < -1.0))),
            bool(np.max(np.abs(mu)) < 1.0), _sorted(mu))


def classify_border_collision(P_before: np.ndarray, P_after: np.ndarray
                              ) -> BorderCollisionType:
    """Feigin's classification from the k-fold Jacobians on the two sides of the border.

    Parameters
    ----------
    P_before, P_after : ndarray, shape (n, n)
        :math:`P_D` and :math:`P_{D'}`.

    Examples
    --------
    The 1-D map z ↦ a z + w relu(z) + h at h = 0 with a = 0.5: w = −2 keeps one fixed point
    (slopes 0.5 and −1.5, a non-smooth flip), w = 1 gives a fold (slopes 0.5 and 1.5).

    >>> import numpy as np
    >>> classify_border_collision(np.array([[0.5]]), np.array([[-1.5]])).name
    'NONSMOOTH_FLIP'
    >>> classify_border_collision(np.array([[0.5]]), np.array([[1.5]])).name
    'NONSMOOTH_FOLD'
    """
    plus_a, minus_a, stable_a, _ = _counts(np.asarray(P_before, dtype=float))
    plus_b, minus_b, stable_b, _ = _counts(np.asarray(P_after, dtype=float))
    if (plus_a + plus_b) % 2:
        return BorderCollisionType.NONSMOOTH_FOLD
    if (minus_a + minus_b) % 2:
        return BorderCollisionType.NONSMOOTH_FLIP
    if stable_a != stable_b:
        return BorderCollisionType.PERSISTENCE_STABILITY_CHANGE
    return BorderCollisionType.PERSISTENCE


class _Problem:
    """Exact region solves of the k-cycle equations at parameter p."""

    def __init__(self, family: ParameterFamily, u, period: int):
        self.family, self.u, self.period = family, u, period
        self._cache: dict = {}

    def form(self, p: float):
        hit = self._cache.get(p)
        if hit is None:
            form = self.family.at(p).piecewise_linear_form(self.u)
            if form is None:
                raise InvalidTypeError(
                    f"the map at {self.family.name} = {p} is not piecewise linear (no "
                    "piecewise_linear_form); border collisions exist only for ReLU/PLRNN maps",
                    argument="system", value=repr(self.family.at(p)))
            if len(self._cache) > 64:
                self._cache.clear()
            hit = self._cache[p] = tuple(np.asarray(a, dtype=float) for a in form)
        return hit

    def orbit(self, p: float, patterns: np.ndarray):
        """(orbit (k, n), singular, det sign of P - I) assuming the regions ``patterns``."""
        A, W, c = self.form(p)
        sol = solve_patterns(A, W, c, patterns[None], need_eigs=False)
        P = _cycle_matrix(A, W, patterns)
        sign = float(np.sign(np.linalg.det(P - np.eye(A.shape[0]))))
        return sol.orbits[0], bool(sol.singular[0]), sign

    def settle(self, x0: np.ndarray, p: float, max_iter: int = 64):
        """The pattern sequence of the cycle near ``x0`` (SCYFI-style iteration)."""
        A, W, c = self.form(p)
        orbit = [x0]
        for _ in range(self.period - 1):
            orbit.append(A @ orbit[-1] + W @ np.maximum(orbit[-1], 0.0) + c)
        patterns = np.array(orbit) > 0
        seen = set()
        for _ in range(max_iter):
            sol = solve_patterns(A, W, c, patterns[None], need_eigs=False)
            if sol.singular[0]:
                return None
            if sol.consistent[0]:
                return patterns
            key = sol.actual[0].tobytes()
            if key in seen:
                return None
            seen.add(key)
            patterns = sol.actual[0]
        return None


def _scale(orbit):
    return 1e-9 * max(1.0, float(np.max(np.abs(orbit))))


def _consistent(orbit, patterns, tol):
    """Every point in its region, points within ``tol`` of a border counting as in both."""
    return bool(np.all(((orbit > 0) == patterns) | (np.abs(orbit) <= tol)))


def _check_inputs(system, bounds, p0, period, ds, max_collisions):
    if not isinstance(system, RecurrentMap):
        raise InvalidTypeError(f"system must be a RecurrentMap, got {type(system).__name__}",
                               argument="system", value=system)
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise InvalidInputError(f"bounds must be two numbers (lo, hi), got {bounds!r}",
                                argument="bounds", value=bounds) from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise InvalidInputError(f"bounds must be finite with lo < hi, got {bounds!r}",
                                argument="bounds", value=bounds)
    if not lo <= p0 <= hi:
        raise InvalidInputError(f"p0 = {p0} lies outside bounds [{lo}, {hi}]", argument="p0",
                                value=p0)
    check_count(period, "period", 1, non_integer=InvalidInputError)
    n = system.n_states
    if n * int(period) > 10_000_000:
        raise InvalidInputError(f"period {period} with {n} states would need {n * period} "
                                "stored coordinates per point; use a shorter period",
                                argument="period", value=period)
    if ds is not None and not (isinstance(ds, (int, float)) and ds > 0 and math.isfinite(ds)):
        raise InvalidInputError(f"ds must be a positive number, got {ds!r}", argument="ds",
                                value=ds)
    check_count(max_collisions, "max_collisions", 0, non_integer=InvalidInputError)
    return lo, hi


@checked_arguments
def continue_piecewise(system: RecurrentMap, param, start, bounds: tuple[float, float], *,
                       p0: float | None = None, period: int = 1, u=None,
                       direction: str = "forward",
                       ds: float | None = None, max_collisions: int = 200,
                       locate_tol: float = 1e-14) -> PiecewiseBranch:
    r"""Follow a fixed point (k-cycle) of a piecewise-linear map through its border collisions.

    Within a region the cycle solves :math:`(P_D(p) - I)x_1 = -s_D(p)` exactly; at each border
    collision :math:`x_{j,i}(p^*) = 0` (located by Brent's method on the exact solution) the
    unit is switched, the collision classified (``classify_border_collision``), and the
    branch continued in the new region, backwards after a non-smooth fold.

    Parameters
    ----------
    system : RecurrentMap
        A map with a :meth:`~dynrnn.model.base.RecurrentMap.piecewise_linear_form` (PLRNN,
        ReLU RNN, identity networks).
    param : str, ("line", net), "gain" or ParameterFamily
        What varies, as for :func:`~dynrnn.continuation`.
    start : array_like, shape (n_states,)
        A state near a point of the cycle at ``p0``.
    bounds : (float, float)
    p0 : float, optional
        Start parameter (default: the family's current value).
    period : int
    u : array_like, optional
    direction : {"forward", "backward"}
        Initial direction of the parameter (increasing or decreasing).
    ds : float, optional
        Sampling step in the parameter inside a region (default (hi − lo)/200): a border is
        found when a coordinate changes sign between samples (two crossings of the same
        coordinate within one step, possible only when p is a weight, would be missed).
    max_collisions : int
    locate_tol : float
        Absolute tolerance of the parameter at a collision (besides 4ε|p*|).

    Returns
    -------
    PiecewiseBranch

    Examples
    --------
    z ↦ 0.5 z − 2 relu(z) + h: one fixed point, h/(1 − 0.5) for h ≤ 0 and h/(1 + 1.5) for
    h > 0; at h = 0 the slope jumps from 0.5 to −1.5 (a non-smooth flip).

    >>> import dynrnn as dr
    >>> net = dr.PLRNN([0.5], [[-2.0]], h=[-0.5])
    >>> br = continue_piecewise(net, "h[0]", [-1.0], (-0.5, 0.5))
    >>> (bc,) = br.collisions
    >>> round(bc.param, 12), bc.extra["type"].name
    (0.0, 'NONSMOOTH_FLIP')
    """
    family = as_family(system, param)
    p0 = family.current_value() if p0 is None else p0
    if p0 is None:
        raise InvalidInputError("p0 is required for this parameter family", argument="p0",
                                value=None)
    p0 = float(p0)
    lo, hi = _check_inputs(system, bounds, p0, period, ds, max_collisions)
    from .continuation.vocabulary import as_direction  # lazily: continuation imports us
    sense = 1 if as_direction(direction, allow_both=False) == "forward" else -1
    period = int(period)
    x0 = as_state(start, system.n_states, "start")
    problem = _Problem(family, u, period)
    if system.piecewise_linear_form(u) is None:
        raise InvalidTypeError(
            f"system ({type(system).__name__}) is not piecewise linear: border collisions exist "
            "only for maps with a piecewise_linear_form (PLRNN, ReLU or identity RNN); use "
            "dynrnn.continuation for smooth maps", argument="system", value=repr(system))
    patterns = problem.settle(x0, p0)
    if patterns is None:
        raise InvalidInputError(f"start is not near a {period}-cycle of the map at "
                                f"{family.name} = {p0}: no consistent region sequence was "
                                "reached from it", argument="start", value=x0)
    step = (hi - lo) / 200.0 if ds is None else float(ds)
    records: list = []
    collisions: list = []
    status = PiecewiseStatus.REACHED_BOUND

    def record(p, orbit, pats):
        A, W, _ = problem.form(p)
        _, _, stable, mu = _counts(_cycle_matrix(A, W, pats))
        records.append((p, orbit[0].copy(), pats.copy(), mu, stable))

    p, d = p0, sense
    orbit, _, det_sign = problem.orbit(p, patterns)
    record(p, orbit, patterns)
    try:
        while True:
            target = min(hi, max(lo, p + d * step))
            if target == p:
                break
            new_orbit, singular, new_sign = problem.orbit(target, patterns)
            if singular or new_sign != det_sign:
                status = PiecewiseStatus.SINGULAR
                break
            tol = _scale(new_orbit)
            if _consistent(new_orbit, patterns, tol):
                p, orbit = target, new_orbit
                record(p, orbit, patterns)
                continue
            # a border was crossed between p and target: the earliest sign change
            p_star, idx = _first_crossing(problem, patterns, p, target, orbit, new_orbit,
                                          locate_tol)
            if p_star == p and collisions and collisions[-1].param == p:
                # leaves the new region at once: several borders meet here
                status = PiecewiseStatus.AMBIGUOUS_BORDER
                break
            orbit_star, _, _ = problem.orbit(p_star, patterns)
            if len(collisions) >= max_collisions:
                status = PiecewiseStatus.MAX_COLLISIONS
                break
            collision, after, new_d, continues = _collision_at(
                problem, family, patterns, idx, (p, target), p_star, orbit_star, d, step,
                (lo, hi), len(records) - 1)
            collisions.append(collision)
            record(p_star, orbit_star, patterns)
            if not continues:
                status = PiecewiseStatus.AMBIGUOUS_BORDER
                break
            patterns, d, p = after, new_d, p_star
            orbit, _, det_sign = problem.orbit(p, patterns)
            record(p, orbit, patterns)
    except KeyboardInterrupt:
        status = PiecewiseStatus.INTERRUPTED
    params = np.array([r[0] for r in records])
    n = system.n_states
    return PiecewiseBranch(
        param_name=family.name, period=period, params=params,
        states=np.array([r[1] for r in records]).reshape(-1, n),
        patterns=np.array([r[2] for r in records]).reshape(-1, period, n),
        eigenvalues=np.array([r[3] for r in records]).reshape(-1, n),
        stable=np.array([r[4] for r in records], dtype=bool), collisions=tuple(collisions),
        status=status, message=str(status))


def _collision_at(problem, family, patterns, idx, segment, p_star, orbit_star, d, step, bounds,
                  index):
    """The border collision where cycle coordinate ``idx`` changes sign at ``p_star``: the
    typed :class:`Bifurcation`, the region pattern after it, the direction in which the branch
    goes on (reversed at a non-smooth fold) and whether the new region does continue it just
    past the border."""
    period = patterns.shape[0]
    after = patterns.copy()
    after[idx] = ~after[idx]
    A, W, _ = problem.form(p_star)
    P_before, P_after = _cycle_matrix(A, W, patterns), _cycle_matrix(A, W, after)
    kind = classify_border_collision(P_before, P_after)
    new_d = -d if kind == BorderCollisionType.NONSMOOTH_FOLD else d
    probe = p_star + new_d * min(step, 1e-6 * max(1.0, abs(p_star)))
    probe = min(bounds[1], max(bounds[0], probe))
    probe_orbit, probe_singular, _ = problem.orbit(probe, after)
    _, _, stable_b, mu_b = _counts(P_after)
    _, _, stable_a, mu_a = _counts(P_before)
    collision = Bifurcation(
        kind=BifurcationKind.BC, param=float(p_star), x=orbit_star[0].copy(),
        eigenvalues=mu_a, bracket=(float(min(segment)), float(max(segment))),
        param_name=family.name, period=period, index=index,
        test_value=float(orbit_star[idx]),
        extra={"type": kind, "eigenvalues_after": mu_b, "stable_before": stable_a,
               "stable_after": stable_b, "cycle_point": int(idx[0]),
               "unit": int(idx[1]), "pattern_before": patterns.copy(),
               "pattern_after": after.copy(), "orbit": orbit_star.copy()})
    continues = not probe_singular and _consistent(probe_orbit, after, _scale(probe_orbit))
    return collision, after, new_d, continues


def _first_crossing(problem, patterns, p_a, p_b, orbit_a, orbit_b, locate_tol):
    """Earliest parameter in (p_a, p_b] where a cycle coordinate leaves its region."""
    wrong = (orbit_b > 0) != patterns
    tol_a = _scale(orbit_a)
    best = None
    for j, i in zip(*np.nonzero(wrong)):
        def g(p, j=j, i=i):
            return float(problem.orbit(p, patterns)[0][j, i])
        ga = float(orbit_a[j, i])
        gb = float(orbit_b[j, i])
        if ga * gb < 0:
            root = brentq(g, p_a, p_b, xtol=locate_tol, rtol=4 * np.finfo(float).eps,
                          maxiter=200)
        elif abs(ga) <= tol_a:      # p_a is on this border already (to rounding)
            root = p_a
        else:                       # gb == 0: p_b is the border (0 counts as inactive)
            root = p_b
        if best is None or abs(root - p_a) < abs(best[0] - p_a):
            best = (root, (int(j), int(i)))
    return best


#: the largest period border_collisions_between searches cycles of
MAX_COLLISION_PERIOD = 64


@checked_arguments
def border_collisions_between(net_a: RecurrentMap, net_b: RecurrentMap, *, max_period: int = 1,
                              u=None, starts=None) -> tuple:
    """Border collisions met by every cycle of ``net_a`` on the straight line to ``net_b``.

    For gradient-spike attribution in ReLU networks: along θ(s) = θ_a + s(θ_b − θ_a),
    s ∈ [0, 1], each fixed point (and cycle up to ``max_period``) of ``net_a``, found by exact
    region enumeration, is continued with :func:`continue_piecewise`; the collisions (kind
    BC, ``param`` = s, ``extra["type"]`` its :class:`BorderCollisionType`) are returned sorted
    by s, each once.

    Parameters
    ----------
    net_a, net_b : PLRNN or RNN with ReLU units (the same class and shape)
    max_period : int
    u : array_like, optional
    starts : array_like, shape (m, n_states), optional
        Only the fixed points and cycles that the search reaches from these states (e.g. the
        states a trajectory visits) are continued; default: all that the search finds.

    Returns
    -------
    tuple of Bifurcation
    """
    from .cycles import find_cycles
    from .fixed_points import find_fixed_points
    check_count(max_period, "max_period", 1, non_integer=InvalidInputError)
    if max_period > MAX_COLLISION_PERIOD:
        # one cycle search per period, each over up to 2^(n·k) linear regions: refuse up front
        raise ResourceLimitError(
            f"max_period={max_period} asks for {max_period - 1} cycle searches, above the limit "
            f"of {MAX_COLLISION_PERIOD} periods: use a smaller max_period",
            argument="max_period", value=max_period, estimate=float(max_period),
            limit=float(MAX_COLLISION_PERIOD))
    if net_a.piecewise_linear_form(u) is None:
        raise InvalidTypeError(f"net_a ({type(net_a).__name__}) is not piecewise linear",
                               argument="net_a", value=repr(net_a))
    search: dict = {"seed": 0} if starts is None else {"seed": 0, "starts": starts}
    points = [(np.asarray(fp.x), 1) for fp in find_fixed_points(net_a, **search)]
    for k in range(2, int(max_period) + 1):
        for cyc in find_cycles(net_a, k, **search):
            if int(getattr(cyc, "period", k)) == k:
                points.append((np.asarray(cyc.x), k))
    out: list = []
    for x_star, k in points:
        branch = continue_piecewise(net_a, ("line", net_b), x_star, (0.0, 1.0), p0=0.0,
                                    period=k, u=u)
        for c in branch.collisions:
            if any(o.period == c.period and abs(o.param - c.param) < 1e-9 and
                   np.allclose(o.x, c.x, atol=1e-8) for o in out):
                continue
            out.append(c)
    return tuple(sorted(out, key=lambda c: c.param))


def is_piecewise(system: RecurrentMap, u=None) -> bool:
    """Whether ``system`` has switching borders: a piecewise-linear form with some ReLU unit."""
    form = system.piecewise_linear_form(u)
    return form is not None and bool(np.any(np.asarray(form[1]) != 0))


def piecewise_branch(family: ParameterFamily, start: np.ndarray, p0: float,
                     bounds: tuple[float, float], period: int, u, direction, *,
                     raise_on_failure: bool = False):
    """:func:`continue_piecewise` in one or both directions, as a
    :class:`~dynrnn.analysis.Branch` whose ``bifurcations`` are the border collisions (kind
    BC). This is what :func:`dynrnn.continuation` returns for piecewise-linear maps."""
    from ..errors import ConvergenceError
    from .continuation import (  # lazily: continuation imports us
        Branch,
        ContinuationStatus,
    )
    system = family.at(p0)
    runs = []
    signs = {"forward": (1,), "backward": (-1,), "both": (-1, 1), 1: (1,), -1: (-1,)}
    for d in signs[direction]:
        runs.append((d, continue_piecewise(system, family, start, bounds, p0=p0, period=period,
                                           u=u, direction="forward" if d == 1 else "backward")))
    params: list = []
    states: list = []
    eigs: list = []
    stable: list = []
    collisions: list = []
    for d, run in runs:
        reverse = direction == "both" and d == -1
        order = list(range(run.n_points - 1, -1, -1) if reverse else range(run.n_points))
        position = {}
        for i in order:
            if i == 0 and params and not reverse:   # the start point, shared by both runs
                position[0] = len(params) - 1
                continue
            position[i] = len(params)
            params.append(run.params[i])
            states.append(run.states[i])
            eigs.append(run.eigenvalues[i])
            stable.append(run.stable[i])
        for c in run.collisions:
            # between run points c.index and c.index + 1: the lower combined position
            collisions.append((position[c.index + 1] if reverse else position[c.index], c))
    param_arr, state_arr = np.array(params), np.array(states)
    eig_arr, stable_arr = np.array(eigs), np.array(stable, dtype=bool)
    z = np.column_stack([state_arr, param_arr])
    steps = np.linalg.norm(np.diff(z, axis=0), axis=1)
    arclength = np.concatenate([[0.0], np.cumsum(steps)])
    tangents = np.zeros_like(z)
    for i in range(z.shape[0]):
        for j in list(range(i, z.shape[0] - 1)) + list(range(i - 1, -1, -1)):
            step = z[j + 1] - z[j]
            norm = float(np.linalg.norm(step))
            if norm > 0:
                tangents[i] = step / norm
                break
    bifurcations = tuple(c.__class__(**{**c.__dict__, "index": int(i)})
                         for i, c in sorted(collisions, key=lambda ic: ic[0]))
    statuses = [run.status for _, run in runs]
    failed = [s for s in statuses if s not in (PiecewiseStatus.REACHED_BOUND,)]
    mapped = {PiecewiseStatus.REACHED_BOUND: ContinuationStatus.REACHED_BOUND,
              PiecewiseStatus.INTERRUPTED: ContinuationStatus.INTERRUPTED,
              PiecewiseStatus.MAX_COLLISIONS: ContinuationStatus.MAX_POINTS}
    ends = tuple(mapped.get(s, ContinuationStatus.CORRECTOR_FAILED) for s in statuses)
    if len(ends) == 1:
        ends = (ContinuationStatus.START, ends[0])
    success = not failed
    message = (f"{len(params)} points, exact region-by-region continuation of a piecewise-"
               f"linear map; {len(bifurcations)} border collision(s)" if success else
               f"stopped: {failed[0].value}; every point computed so far is kept")
    branch = Branch(
        params=param_arr, states=state_arr, stable=stable_arr, eigenvalues=eig_arr,
        n_unstable=np.count_nonzero(np.abs(eig_arr) > 1.0, axis=1), arclength=arclength,
        tangents=tangents, bifurcations=bifurcations, param_name=family.name, period=period,
        status=ends[-1] if success else next(e for e in ends if e.is_failure or
                                             e == ContinuationStatus.MAX_POINTS),
        end_statuses=ends, success=success, message=message,
        n_newton=np.zeros(len(params), dtype=int), family=family, u=u)
    if raise_on_failure and not success:
        raise ConvergenceError(message, result=branch)
    return branch
