r"""Gradient events: spikes of the gradient norm during training, each explained (or not) by the
bifurcation or basin-boundary crossing that the parameter update made.

For a spike at step k, every stored segment θ(s) = θ_a + s(θ_b − θ_a), s ∈ [0, 1], between the
steps around k is examined:

1. the attractors of the autonomous map x ↦ F(x; θ(s)) (fixed points and, with ``max_period > 1``,
   cycles) at s = 0 are continued along s, and every bifurcation met on [0, 1] is reported with its
   kind, s, state and multipliers;
2. the initial state x0 of training is iterated to convergence under θ(s): if the attractor it
   approaches changes between s = 0 and s = 1, the change is located by bisection in s (the
   asymptotic state jumps there); a basin change at the s of a bifurcation is attributed to that
   bifurcation (e.g. a fold that destroys the attractor x0 was following), otherwise to the basin
   boundary (e.g. the unstable fixed point passing through x0);
3. the loss jump E(θ_{k+1}) − E(θ_k) is recorded.

A spike with neither a bifurcation nor a basin change on its segments is "unexplained"; nothing is
forced. The paper argues (§2.2) that crossing a bifurcation is neither necessary nor sufficient for
an exploding gradient, while crossing a basin boundary (for the given x0) is sufficient.

References
----------
K. Doya, "Bifurcations of recurrent neural networks in gradient descent learning", IEEE TNN (1993).
Pascanu, Mikolov, Bengio (2013), §2.2-§2.3.
L. Eisenmann, Z. Monfared, N. Göring, D. Durstewitz, "Bifurcations and loss jumps in RNN
training", NeurIPS 2023.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .._tables import TableSpec, Tabular
from ..errors import InvalidInputError, InvalidTypeError
from ..model.rnn import RNN
from .training import TrainingHistory, TrainingResult

__all__ = ["Crossing", "BasinChange", "GradientEvent", "GradientEvents", "EventCause",
           "find_gradient_events", "detect_spikes"]


class EventCause(str, enum.Enum):
    BIFURCATION = "the initial state changed attractor at a bifurcation of that attractor"
    BASIN_BOUNDARY = "the initial state crossed a basin boundary (no bifurcation there)"
    BIFURCATION_NEARBY = ("a bifurcation was crossed on the segment but x0 kept its attractor")
    UNEXPLAINED = "no bifurcation and no basin change on the examined segments"
    NOT_ANALYSED = "the parameters around the spike were not stored (use history='full')"


@dataclass(frozen=True)
class Crossing:
    """A bifurcation met on the segment from step ``step_a`` to ``step_b`` at ``s``."""

    kind: str
    s: float
    step_a: int
    step_b: int
    x: np.ndarray
    eigenvalues: np.ndarray
    period: int = 1
    source: str = "library"


@dataclass(frozen=True)
class BasinChange:
    """The attractor reached from x0 changes at ``s`` on the segment ``step_a`` → ``step_b``.

    ``before``/``after`` are the asymptotic states (last ``n_tail`` iterates) just below and above
    ``s``; ``jump`` their Hausdorff distance.
    """

    s: float
    step_a: int
    step_b: int
    before: np.ndarray
    after: np.ndarray
    jump: float


@dataclass(frozen=True)
class GradientEvent:
    """One gradient spike and its explanation.

    Attributes
    ----------
    step : int
    grad_norm, ratio : float
        ‖g_k‖ and its ratio to the running median.
    loss_jump : float
        E(θ_{k+1}) − E(θ_k) (NaN at the end of the history).
    crossings : tuple of Crossing
    basin_changes : tuple of BasinChange
    cause : EventCause
    segments : tuple of (int, int)
        The segments examined.
    """

    step: int
    grad_norm: float
    ratio: float
    loss_jump: float
    crossings: tuple
    basin_changes: tuple
    cause: EventCause
    segments: tuple
    notes: tuple = ()

    @property
    def explained(self) -> bool:
        return self.cause in (EventCause.BIFURCATION, EventCause.BASIN_BOUNDARY,
                              EventCause.BIFURCATION_NEARBY)


@dataclass(frozen=True)
class GradientEvents(Tabular):
    """All detected spikes with their explanations.

    Attributes
    ----------
    events : tuple of GradientEvent
    spike_steps : ndarray of int
    ratios : ndarray, shape (n_steps,)
        ‖g_k‖ / running median for every step.
    threshold_ratio : float
    unexplained_fraction : float
        Share of analysed spikes without a crossing or basin change (NaN without spikes).
    success : bool
        True when every spike could be analysed (its parameters were stored).
    continuation : str
        "library" (dynrnn.analysis) or "fallback-1d" (the one-unit scan used before the library
        was available, folds only).
    """

    _table_spec = TableSpec(rows="events", columns=(
        "step", "grad_norm", "ratio", "loss_jump", "cause",
        ("n_crossings", lambda e: len(e.crossings)),
        ("n_basin_changes", lambda e: len(e.basin_changes))))

    events: tuple
    spike_steps: np.ndarray
    ratios: np.ndarray
    threshold_ratio: float
    unexplained_fraction: float
    success: bool
    continuation: str
    extra: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self):
        return iter(self.events)

    def summary(self) -> str:
        lines = [f"{len(self.events)} gradient spike(s); unexplained fraction "
                 f"{self.unexplained_fraction:.3g}"]
        for e in self.events:
            kinds = ", ".join(f"{c.kind}@s={c.s:.4g} ({c.step_a}->{c.step_b})" for c in e.crossings)
            basins = ", ".join(f"basin@s={b.s:.4g} ({b.step_a}->{b.step_b})"
                               for b in e.basin_changes)
            lines.append(f"step {e.step}: |g|={e.grad_norm:.3g} (x{e.ratio:.3g} median), "
                         f"dE={e.loss_jump:+.3g}: {e.cause.name}"
                         + (f"; {kinds}" if kinds else "") + (f"; {basins}" if basins else ""))
        return "\n".join(lines)


def detect_spikes(grad_norm, *, threshold_ratio: float = 10.0, window: int = 25,
                  nonfinite=None) -> tuple[np.ndarray, np.ndarray]:
    """Steps whose gradient norm exceeds ``threshold_ratio`` × the median of its neighbours.

    The median is taken over the finite norms at steps k − window … k + window without k itself,
    so a spike is judged against its surroundings, early spikes included, and a single huge value
    does not move the reference. Non-finite steps are always spikes.

    Returns
    -------
    (spike_steps, ratios)
    """
    g = np.asarray(grad_norm, dtype=np.float64)
    if g.ndim != 1 or g.size < 3:
        raise InvalidInputError(f"history too short to hold a spike: {g.size} step(s); need at "
                                "least 3", argument="history", value=g.size)
    if not threshold_ratio > 1:
        raise InvalidInputError(f"threshold_ratio must be > 1, got {threshold_ratio}",
                                argument="threshold_ratio", value=threshold_ratio)
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise InvalidInputError(f"window must be an integer >= 1 (neighbours on each side of "
                                f"the median), got {window!r}", argument="window", value=window)
    n = g.size
    ratios = np.full(n, np.nan)
    for k in range(n):
        lo, hi = max(0, k - window), min(n, k + window + 1)
        nb = np.concatenate([g[lo:k], g[k + 1:hi]])
        nb = nb[np.isfinite(nb)]
        if nb.size and np.isfinite(g[k]):
            med = np.median(nb)
            ratios[k] = g[k] / med if med > 0 else np.inf
    spikes = (ratios >= threshold_ratio) | ~np.isfinite(g)
    if nonfinite is not None:
        spikes |= np.asarray(nonfinite, dtype=bool)
    return np.flatnonzero(spikes), ratios


# ---------------------------------------------------------------------------------------------
# Attractors and their continuation along a segment
# ---------------------------------------------------------------------------------------------
def _tail(net: RNN, x0: np.ndarray, n_iter: int, n_tail: int) -> np.ndarray:
    """Last ``n_tail`` iterates of x0 (batched over a leading axis of networks is not needed)."""
    x = np.array(x0, dtype=np.float64)
    u = net.resolve_input(None)
    for _ in range(n_iter - n_tail):
        x = net.step_unchecked(x, u)
    out = np.empty((n_tail,) + x.shape)
    for i in range(n_tail):
        x = net.step_unchecked(x, u)
        out[i] = x
    return out


def _hausdorff(a: np.ndarray, b: np.ndarray) -> float:
    d = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=-1)
    return float(max(d.min(axis=1).max(), d.min(axis=0).max()))


def _basin_change(net_a: RNN, net_b: RNN, x0, step_a, step_b, *, n_iter, n_tail, jump_tol,
                  n_bisect=50) -> BasinChange | None:
    """Locate a jump of the asymptotic state of x0 along the segment by bisection in s."""
    def tail(s):
        return _tail(net_a.interpolate(net_b, s), x0, n_iter, n_tail)

    lo, hi = 0.0, 1.0
    tlo, thi = tail(lo), tail(hi)
    if not (np.all(np.isfinite(tlo)) and np.all(np.isfinite(thi))):
        return None
    if _hausdorff(tlo, thi) <= jump_tol:
        return None
    for _ in range(n_bisect):
        mid = 0.5 * (lo + hi)
        tm = tail(mid)
        # Keep the half across which the asymptotic state differs more: at a jump the difference
        # stays finite as the interval shrinks; where the state only moves, it shrinks to zero.
        if _hausdorff(tlo, tm) >= _hausdorff(tm, thi):
            hi, thi = mid, tm
        else:
            lo, tlo = mid, tm
    jump = _hausdorff(tlo, thi)
    if jump <= jump_tol:
        return None
    return BasinChange(0.5 * (lo + hi), step_a, step_b, tlo, thi, jump)


def _fixed_points_1d(net: RNN, n_grid: int = 4001) -> np.ndarray:
    """All fixed points of a one-unit map: sign changes of F(x) − x on a grid, then brentq."""
    from scipy.optimize import brentq
    u = net.resolve_input(None)
    box = net.invariant_box()
    if box is None:
        lo, hi = -50.0, 50.0
    else:
        lo, hi = float(box[0][0]) - 1e-9, float(box[1][0]) + 1e-9
    xs = np.linspace(lo, hi, n_grid)
    f = net.step_unchecked(xs[:, None], u)[:, 0] - xs
    roots = list(xs[f == 0.0])
    idx = np.flatnonzero(np.sign(f[:-1]) * np.sign(f[1:]) < 0)
    for i in idx:
        roots.append(brentq(lambda x: net.step_unchecked(np.array([x]), u)[0] - x, xs[i], xs[i + 1],
                            xtol=1e-14))
    return np.sort(np.array(roots))


def _refine_fold_1d(net_a: RNN, net_b: RNN, x: float, s: float, n_newton: int = 30):
    """Newton on the fold system F(x; s) = x, ∂F/∂x(x; s) = 1 of a one-unit net on the line.

    F(x; s) = w(s) σ(x) + c(s) with w, c affine in s, so every partial derivative is exact.
    """
    act = net_a.activation
    d = net_a.difference(net_b)
    dw = float(d["W_rec"][0, 0])
    ua = net_a.resolve_input(None)
    dc = float(d["b"][0] + (d["W_in"] @ ua + net_a.W_in @ d["u"])[0] if net_a.n_inputs
               else d["b"][0])
    w0 = float(net_a.W_rec[0, 0])
    c0 = float(net_a.b[0] + (net_a.W_in @ ua)[0] if net_a.n_inputs else net_a.b[0])
    for _ in range(n_newton):
        w, c = w0 + s * dw, c0 + s * dc
        sg, d1, d2 = (float(f(np.array(x))) for f in (act.function, act.derivative,
                                                      act.second_derivative))
        r = np.array([w * sg + c - x, w * d1 - 1.0])
        J = np.array([[w * d1 - 1.0, dw * sg + dc], [w * d2, dw * d1]])
        try:
            step = np.linalg.solve(J, r)
        except np.linalg.LinAlgError:
            break
        x, s = x - step[0], s - step[1]
        if np.max(np.abs(step)) < 1e-15 * max(1.0, abs(x)):
            break
    return np.array([x]), float(s)


def _crossings_fallback_1d(net_a: RNN, net_b: RNN, step_a, step_b, n_s=201) -> list[Crossing]:
    """One-unit fallback: folds are where the number of fixed points changes; s by bisection."""
    from ..analysis.special_points import BifurcationKind
    count = lambda s: _fixed_points_1d(net_a.interpolate(net_b, s)).size  # noqa: E731
    grid = np.linspace(0.0, 1.0, n_s)
    counts = np.array([count(s) for s in grid])
    out = []
    for i in np.flatnonzero(counts[:-1] != counts[1:]):
        lo, hi, clo = grid[i], grid[i + 1], counts[i]
        for _ in range(48):
            mid = 0.5 * (lo + hi)
            if count(mid) == clo:
                lo = mid
            else:
                hi = mid
        s = 0.5 * (lo + hi)
        side = net_a.interpolate(net_b, lo if counts[i] > counts[i + 1] else hi)
        fps = _fixed_points_1d(side)
        d = np.abs(np.asarray(side.jacobian(fps[:, None]))[:, 0, 0] - 1.0) if fps.size else None
        x = np.array([fps[np.argmin(d)]]) if fps.size else np.array([np.nan])
        x, s = _refine_fold_1d(net_a, net_b, float(x[0]), s)
        ev = np.asarray(net_a.interpolate(net_b, s).jacobian(x))
        out.append(Crossing(BifurcationKind.LP.value, float(s), step_a, step_b, x,
                            np.linalg.eigvals(ev), 1, "fallback-1d"))
    return out


def _crossings_library(net_a: RNN, net_b: RNN, step_a, step_b, max_period,
                       notes: list) -> list[Crossing]:
    """Continue every fixed point (and cycle up to ``max_period``) of θ_a along the segment."""
    from ..analysis import continuation, find_fixed_points  # lazily: analysis may be optional
    from ..errors import DynrnnError
    starts = [(np.asarray(fp.x), 1) for fp in find_fixed_points(net_a, seed=0)]
    if max_period > 1:
        from ..analysis import find_cycles
        for p in range(2, max_period + 1):
            for cyc in find_cycles(net_a, p, seed=0):
                if int(getattr(cyc, "period", p)) == p:
                    starts.append((np.asarray(cyc.x), p))
    out: list[Crossing] = []
    for x_star, period in starts:
        try:
            branch = continuation(net_a, ("line", net_b), start=x_star, bounds=(0.0, 1.0),
                                  p0=0.0, period=period)
        except DynrnnError as exc:  # a start that does not correct: say so, do not hide it
            notes.append(f"continuation from {np.round(x_star, 6).tolist()} (period {period}) "
                         f"on {step_a}->{step_b} failed: {exc}")
            continue
        if not getattr(branch, "success", True):
            notes.append(f"continuation on {step_a}->{step_b} (period {period}) stopped: "
                         f"{getattr(branch, 'status', '?')}")
        for bif in branch.bifurcations:
            s = float(bif.param)
            if not -1e-12 <= s <= 1 + 1e-12:
                continue
            kind = getattr(bif.kind, "value", str(bif.kind))
            if any(c.kind == kind and abs(c.s - s) < 1e-6 for c in out):
                continue  # the same point reached from two branches
            out.append(Crossing(kind, s, step_a, step_b, np.asarray(bif.x),
                                np.asarray(bif.eigenvalues), int(getattr(bif, "period", period)),
                                "library"))
    return out


def find_gradient_events(source: TrainingResult | TrainingHistory, *,
                         net_builder: Callable[[int], RNN] | None = None,
                         threshold_ratio: float = 10.0, median_window: int = 25,
                         window: int = 1, max_period: int = 1, n_iter: int = 2000,
                         n_tail: int = 12, jump_tol: float = 1e-3, s_tol: float = 1e-3,
                         max_events: int | None = None, progress: bool = False,
                         continuation_method: str = "auto", u=None) -> GradientEvents:
    r"""Detect gradient-norm spikes in a training history and explain each by the crossings made.

    Parameters
    ----------
    source : TrainingResult or TrainingHistory
    net_builder : callable, optional
        ``step -> RNN`` giving θ_step (defaults to ``history.network_at``; the readout is not part
        of the dynamics).
    threshold_ratio : float
        A spike is a norm ≥ threshold_ratio × the median of its neighbours (see
        :func:`detect_spikes`).
    median_window : int
        Neighbours on each side used for the median.
    window : int
        Segments θ_j → θ_{j+1} examined for j = k − window … k + window − 1 (window 0: only the
        spike's own update θ_k → θ_{k+1}).
    max_period : int
        Continue cycles up to this period too (needs the library's ``find_cycles``).
    n_iter, n_tail : int
        Iterations of x0 to reach its attractor, and the number of final iterates compared
        (``n_tail`` should be a multiple of every period of interest).
    jump_tol : float
        Minimum Hausdorff distance between the asymptotic states on the two sides of s for a
        basin change.
    s_tol : float
        A basin change within ``s_tol`` of a bifurcation is attributed to it.
    u : array_like, shape (n_inputs,), optional
        The constant input of the autonomous map analysed (default: each network's own ``u``,
        zeros for trained networks). Task inputs are not constant, so the analysis describes the
        network under this input; pass e.g. the mean input to study the driven regime.
    continuation_method : {"auto", "library", "fallback-1d"}
        "auto" and "library" continue every attractor with ``dynrnn.analysis.continuation``;
        "fallback-1d" (one-unit networks only) scans the fixed-point count instead (folds
        only), an independent route the tests compare with the library.

    Returns
    -------
    GradientEvents

    Raises
    ------
    InvalidInputError
        A history too short (fewer than 3 steps), or the 1-D fallback asked for an n-D net.

    References
    ----------
    Doya (1993); Pascanu, Mikolov, Bengio (2013), §2.2.

    Examples
    --------
    A plain gradient step from the wall of the Fig. 6 error surface:

    >>> import dynrnn as dr
    >>> from dynrnn.gradients import descent_paths
    >>> plain, = descent_paths((5.0, -2.61249), lr=0.01, steps=10, clips=(None,))
    >>> ev = dr.find_gradient_events(plain)
    >>> [(e.step, e.cause.name) for e in ev]
    [(0, 'BASIN_BOUNDARY')]
    """
    if isinstance(source, TrainingResult):
        hist = source.history
    elif isinstance(source, TrainingHistory):
        hist = source
    else:
        raise InvalidTypeError(f"source must be a TrainingResult or TrainingHistory, got "
                               f"{type(source).__name__}", argument="source", value=source)
    spikes, ratios = detect_spikes(hist.grad_norm, threshold_ratio=threshold_ratio,
                                   window=median_window, nonfinite=hist.nonfinite)
    base_builder = net_builder or (lambda k: hist.network_at(k)[0])
    builder = base_builder if u is None else (lambda k: base_builder(k).replace(u=u))
    has = (lambda k: True) if net_builder is not None else hist.has_params
    n_units = len(hist.x0)
    method = continuation_method
    if method == "auto":
        method = "library"
    if method == "fallback-1d" and n_units != 1:
        raise InvalidInputError(
            "continuation_method='fallback-1d' (a scan of the fixed-point count) handles "
            "one-unit networks only; use 'library' for this network", argument="continuation_method",
            value=continuation_method)
    if max_events is not None:
        spikes = spikes[:max_events]
    events = []
    iterator = spikes
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(spikes, desc="events", leave=False)
    n_steps = hist.n_steps
    for k in iterator:
        k = int(k)
        # Segments θ_j → θ_{j+1} for j = k − window … k + window − 1 (always the update k → k+1).
        segs = [(j, j + 1) for j in range(k - window, k + max(window, 1))
                if j >= 0 and j + 1 <= n_steps]
        crossings, basins, notes, analysed = [], [], [], []
        for a, b in segs:
            if not (has(a) and has(b)):
                notes.append(f"parameters of steps {a}, {b} not stored")
                continue
            net_a, net_b = builder(a), builder(b)
            analysed.append((a, b))
            if method == "library":
                crossings += _crossings_library(net_a, net_b, a, b, max_period, notes)
            else:
                crossings += _crossings_fallback_1d(net_a, net_b, a, b)
            bc = _basin_change(net_a, net_b, hist.x0, a, b, n_iter=n_iter, n_tail=n_tail,
                               jump_tol=jump_tol)
            if bc is not None:
                basins.append(bc)
        if not analysed:
            cause = EventCause.NOT_ANALYSED
        elif basins and any(abs(c.s - bc.s) <= s_tol and (c.step_a, c.step_b) ==
                            (bc.step_a, bc.step_b) for c in crossings for bc in basins):
            cause = EventCause.BIFURCATION
        elif basins:
            cause = EventCause.BASIN_BOUNDARY
        elif crossings:
            cause = EventCause.BIFURCATION_NEARBY
        else:
            cause = EventCause.UNEXPLAINED
        jump = (float(hist.loss[k + 1] - hist.loss[k]) if k + 1 < n_steps else float("nan"))
        events.append(GradientEvent(k, float(hist.grad_norm[k]), float(ratios[k]), jump,
                                    tuple(crossings), tuple(basins), cause, tuple(analysed),
                                    tuple(notes)))
    analysed_events = [e for e in events if e.cause is not EventCause.NOT_ANALYSED]
    frac = (float(np.mean([e.cause is EventCause.UNEXPLAINED for e in analysed_events]))
            if analysed_events else float("nan"))
    return GradientEvents(tuple(events), spikes, ratios, float(threshold_ratio), frac,
                          len(analysed_events) == len(events), method)
