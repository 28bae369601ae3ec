r"""Attractor identification: the catalogue of attractors found so far, and how settled states
are matched to them or start a new one.

.. math::

    \ell(x) = \arg\min_A \operatorname{dist}_\infty(x, A) \quad \text{if }
    \operatorname{dist}_\infty(x, A) \le r_A, \text{ else a new attractor through } x

A state settled on a k-cycle starts a cycle refined by Newton (:func:`~dynrnn.find_cycles`), so
its location and multipliers are exact; a state that never settled starts a cloud sampled along
its orbit, chaotic or quasi-periodic by its largest Lyapunov exponent λ₁
(:func:`~dynrnn.lyapunov_spectrum`). Two samples of one chaotic attractor are joined.

The kind of a cloud, with ε = ``options.chaos_threshold`` (the accuracy of the λ₁ estimate):

- λ₁ > ε: chaotic.
- λ₁ < −ε, or, for a map with one state (a 1-D map has no quasi-periodic attractor), λ₁ ≤ ε
  or not estimated: not a cloud but a stable cycle longer than ``options.max_period`` (the
  cascades inside the periodic windows of the logistic map: r = 3.634 gives an 18-cycle,
  λ₁ ≈ −0.006, r = 3.633 a 72-cycle, λ₁ ≈ −0.027). Its least
  period k is read off the cloud: the least k ≤ ``n_cloud``/4 for which
  :math:`\max_j |x_{t+k,j} - x_{t,j}|` over the last half of the cloud is at most
  ``cloud_resolution`` × the cloud's extent and either below ``match_tol`` or falling, and for
  which Newton (multiple shooting, :func:`~dynrnn.find_cycles`) finds a stable k-cycle there,
  so its points and multipliers are exact. When no period is found or Newton fails, the
  states that reach the cloud are left unresolved (label −1) and the result's ``note`` says
  so: a stable cycle longer than ``max_period`` was not resolved; raise
  ``options.max_period``.
- otherwise (−ε ≤ λ₁ ≤ ε, n ≥ 2): a long cycle with a multiplier near 1 if the same search
  finds a stable one by Newton, else quasi-periodic (λ₁ = 0 on an invariant circle or torus).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ...errors import ConvergenceError, InvalidInputError
from ..cycles import find_cycles
from ..fixed_points import find_fixed_points
from ..lyapunov import lyapunov_spectrum
from ..stability import FixedPoint
from .ensemble import Ensemble, nearest_distance
from .results import UNRESOLVED, Attractor, AttractorKind

__all__ = ["Catalogue", "still_converging"]

#: Label, inside :meth:`Catalogue.assign`, of a state on the trail of a still converging orbit.
_CONVERGING = -3

#: Label, inside :meth:`Catalogue.assign`, of a state on a cloud that is a stable cycle longer
#: than ``max_period`` which Newton did not resolve.
_LONG_CYCLE = -4

#: Candidate periods Newton is tried at when a cycle is looked for in a cloud: enough for the
#: unstable parents a doubled cycle shadows (k/2, k/4, ...), while a rotation close to a
#: rational one (every multiple of its denominator a candidate) costs little.
_MAX_NEWTON_TRIES = 8

#: Times a state that passed near an unstable cycle is iterated on before it is left unresolved.
_MAX_PASSES = 4

#: How far inside the unit circle the multipliers of the cycle a slowly converging orbit heads
#: for must be (1 - max |μ|) for the orbit to be labelled by it: below this the cycle is taken
#: as non-hyperbolic, where convergence is algebraic and the orbit's fate is not decided yet.
_HYPERBOLIC_MARGIN = 1e-6


@dataclass(frozen=True)
class _Converging:
    """A sampled orbit that is still converging (see :func:`still_converging`), and the
    attracting fixed point or cycle it is heading for when Newton finds one (else None)."""

    states: np.ndarray
    target: Attractor | None = None
    long_cycle: bool = False     # a stable cycle longer than max_period that was not resolved


def still_converging(orbit: np.ndarray, max_period: int, n_blocks: int = 8) -> bool:
    r"""Whether ``orbit`` (T, n) is still converging onto a point or a k-cycle, k ≤
    ``max_period``: for some k the distance :math:`d_t = \max_j |x_{t+k,j} - x_{t,j}|`,
    maximised over each of ``n_blocks`` consecutive blocks, never grows and falls by half or
    more from the first block to the last.

    A quasi-periodic orbit keeps its distances (they return near their earlier values) and a
    chaotic one has block maxima of the attractor's size; an orbit that approaches a
    non-hyperbolic fixed point algebraically (x → tanh x: :math:`x_t \approx
    \sqrt{3/(2t)}`) or an attracting one with a multiplier near 1 meets the test.
    """
    for k in range(1, min(max_period, orbit.shape[0] // (2 * n_blocks)) + 1):
        d = np.abs(orbit[k:] - orbit[:-k]).max(axis=1)
        usable = d.size // n_blocks * n_blocks
        peaks = d[d.size - usable:].reshape(n_blocks, -1).max(axis=1)
        if np.all(np.diff(peaks) <= 0) and peaks[-1] <= 0.5 * peaks[0]:
            return True
    return False


@dataclass
class Catalogue:
    """The attractors identified so far and the rules that match states to them.

    Attributes
    ----------
    ensemble : Ensemble
        The map, its input and the options; settles the probes of new attractors.
    attractors : list of Attractor
        In the order found (their index is the label).
    radii : list of float
        Matching distance (∞-norm) of each attractor: ``options.match_tol`` for a cycle, a
        multiple of the sample's spacing for a cloud.
    full_clouds : bool
        Keep every sampled cloud state (False: a subsample of about 256, enough for matching).
    converging : list of (ndarray, float, int or None)
        Orbits that had not settled but were still converging onto a point or cycle: their
        sampled trail, matching radius, and the index of the attractor they head for. That is
        an attracting (hyperbolic) fixed point or cycle found by Newton from the trail, when
        the orbit merely converges slowly (a multiplier of modulus near 1), or a stable cycle
        longer than ``max_period`` found in a cloud; None when there is none (algebraic
        convergence, as at a non-hyperbolic fixed point), and then the states that reach the
        trail stay unresolved; ``_LONG_CYCLE`` (−4) for a long cycle Newton did not resolve
        (unresolved too, counted in ``n_long_cycle``).
    n_converging : int
        Initial states left unresolved for that reason (counted in runs that create
        attractors).
    n_long_cycle : int
        Initial states left unresolved because they reached a cloud whose largest exponent
        says it is a stable cycle longer than ``max_period`` (see the module docstring) that
        was not resolved (its trail is in ``converging`` with target ``_LONG_CYCLE``).
    """

    ensemble: Ensemble
    attractors: list = field(default_factory=list)
    radii: list = field(default_factory=list)         # matching distance of each attractor
    full_clouds: bool = True
    converging: list = field(default_factory=list)    # (trail, radius, target) of slow orbits
    n_converging: int = 0        # states left unresolved because their orbits still converge
    n_long_cycle: int = 0        # states left unresolved on a long cycle Newton did not resolve

    def divergence_index(self) -> int:
        """Index of the divergence "attractor", added on first use."""
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
            d = nearest_distance(states, a.states)
            hit = (d <= radius) & (d < best)
            labels[hit] = i
            best[hit] = d[hit]
        return labels

    def assign(self, final: np.ndarray, period: np.ndarray, create: bool = True,
               depth: int = 0) -> np.ndarray:
        """Labels of settled states, creating new attractors (when ``create``) as needed.

        A state matched to an unstable cycle keeps that label only if its orbit stays there
        (:meth:`_stays_on_unstable`); the others are iterated on (at most ``_MAX_PASSES``
        times) and labelled by where they settle then.
        """
        opts = self.ensemble.options
        labels = np.full(final.shape[0], UNRESOLVED)
        diverged = period < 0
        if np.any(diverged):
            labels[diverged] = self.divergence_index() if create or any(
                a.kind is AttractorKind.DIVERGENCE for a in self.attractors) else UNRESOLVED
        todo = np.flatnonzero(~diverged)
        if todo.size:
            labels[todo] = self.match(final[todo])
            self._mark_converging(final, period, todo, labels)
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
            if isinstance(new[0], _Converging):
                target = _LONG_CYCLE if new[0].long_cycle else \
                    None if new[0].target is None else self._add(new[0].target)
                self.converging.append((new[0].states, new[1], target))
                labels[first] = _CONVERGING if target is None else target
                self._mark_converging(final, period, todo, labels)
                if target is None or target == _LONG_CYCLE:
                    continue
                index = target
            else:
                merged = self._merge_cloud(*new)
                if merged is None:
                    self.attractors.append(new[0])
                    self.radii.append(new[1])
                    merged = len(self.attractors) - 1
                index = merged
            rest = todo[labels[todo] == UNRESOLVED]
            d = nearest_distance(final[rest], self.attractors[index].states)
            labels[rest[d <= self.radii[index]]] = index
            if labels[first] == UNRESOLVED:
                # a state that started the attractor belongs to it (guards cloud sampling gaps)
                labels[first] = index
        converging = labels == _CONVERGING
        long_cycle = labels == _LONG_CYCLE
        if create:
            self.n_converging += int(np.count_nonzero(converging))
            self.n_long_cycle += int(np.count_nonzero(long_cycle))
        labels[converging | long_cycle] = UNRESOLVED
        return self._recheck_unstable(final, labels, create, depth)

    def _mark_converging(self, final: np.ndarray, period: np.ndarray, todo: np.ndarray,
                         labels: np.ndarray) -> None:
        """Label (in place) the unsettled states of ``todo`` that no attractor took and that
        lie on the trail of an orbit found still converging: by the attractor it heads for, or
        ``_CONVERGING`` when it heads for none."""
        for trail, radius, target in self.converging:
            open_ = todo[(labels[todo] == UNRESOLVED) & (period[todo] == 0)]
            if not open_.size:
                return
            near = nearest_distance(final[open_], trail) <= radius
            labels[open_[near]] = _CONVERGING if target is None else target

    def _add(self, cycle: Attractor) -> int:
        """Index of ``cycle`` in the catalogue: an attractor already there with the same period
        and points (within ``match_tol``), else ``cycle`` added."""
        tol = self.ensemble.options.match_tol
        for i, old in enumerate(self.attractors):
            if old.period == cycle.period and old.period > 0 and \
                    float(nearest_distance(cycle.states, old.states).max()) <= tol:
                return i
        self.attractors.append(cycle)
        self.radii.append(tol)
        return len(self.attractors) - 1

    def _recheck_unstable(self, final: np.ndarray, labels: np.ndarray, create: bool,
                          depth: int) -> np.ndarray:
        """Labels with the states that only passed near an unstable cycle relabelled by where
        their orbits go on to settle."""
        unstable = [i for i, a in enumerate(self.attractors) if a.period > 0 and not a.stable]
        on = np.flatnonzero(np.isin(labels, unstable)) if unstable else np.empty(0, int)
        if not on.size:
            return labels
        left, where = self._stays_on_unstable(final[on], labels[on])
        if np.any(left):
            moved = on[left]
            if depth + 1 >= _MAX_PASSES:
                labels[moved] = UNRESOLVED
            else:
                again, period, _ = self.ensemble.settle(where[left])
                labels[moved] = self.assign(again, period, create, depth + 1)
        return labels

    def _stays_on_unstable(self, states: np.ndarray, labels: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray]:
        """Which of ``states`` (m, n), each matched to the unstable cycle ``labels`` (m,),
        leave it: True for an orbit that moves farther than ``match_tol`` from the cycle
        within ``max_steps`` steps. An orbit that returns bit for bit to a state it had a
        period earlier (it landed exactly on the cycle, e.g. 0.5 -> 1 -> 0 for the logistic
        map at r = 4) stays forever. Also returns where each orbit was last."""
        opts = self.ensemble.options
        m = states.shape[0]
        periods = np.array([self.attractors[i].period for i in labels], dtype=np.int64)
        history = [np.array(states, dtype=np.float64)]
        left = np.zeros(m, bool)
        where = history[0].copy()
        active = np.arange(m)
        with np.errstate(all="ignore"):
            for t in range(1, opts.max_steps + 1):
                x = self.ensemble.step(history[-1])
                history.append(x)
                del history[:-(int(periods.max()) + 1)]
                where[active] = x
                far = np.zeros(active.size, bool)
                for i in np.unique(labels):
                    rows = labels == i
                    far[rows] = ~(nearest_distance(x[rows], self.attractors[i].states)
                                  <= opts.match_tol)
                exact = np.zeros(active.size, bool)
                for k in np.unique(periods[periods <= t]):
                    rows = periods == k
                    exact[rows] = np.all(x[rows] == history[-1 - k][rows], axis=1)
                left[active[far]] = True
                done = far | exact
                if np.all(done):
                    break
                keep = ~done
                active, labels, periods = active[keep], labels[keep], periods[keep]
                history = [h[keep] for h in history]
        return left, where

    def _merge_cloud(self, cloud: Attractor, radius: float) -> int | None:
        """Index of an existing cloud that ``cloud`` samples again (then the two samples are
        joined), or None. Two samples of one chaotic attractor interleave: the median distance
        from the new states to the old sample is of the order of the old sample's spacing."""
        if cloud.period:
            return None
        for i, old in enumerate(self.attractors):
            if old.period or old.kind is AttractorKind.DIVERGENCE:
                continue
            if float(np.median(nearest_distance(cloud.states, old.states))) <= self.radii[i]:
                cap = 4 * self.ensemble.options.n_cloud
                joined = np.concatenate([old.states, cloud.states])[-cap:]
                self.attractors[i] = dataclasses.replace(old, states=joined)
                self.radii[i] = max(self.radii[i], radius)
                return i
        return None

    def _identify(self, x: np.ndarray, period: int):
        """A new attractor through ``x`` and its matching radius: a Newton-refined cycle, or a
        sampled cloud; None when the probe diverges."""
        if period > 0:
            return self._cycle(self._least_orbit(x, period)), self.ensemble.options.match_tol
        return self._cloud(x)

    def _least_orbit(self, x: np.ndarray, period: int) -> np.ndarray:
        """The ``period`` points of the orbit from ``x``, cut to the least period that closes."""
        ens = self.ensemble
        orbit = np.empty((period, x.size))
        orbit[0] = x
        for j in range(1, period):
            orbit[j] = ens.step(orbit[j - 1][None])[0]
        # an orbit converging with an oscillation (multiplier near -1) meets the 2k-step
        # test before the k-step one: keep the least period within the matching distance
        for divisor in range(1, period):
            if period % divisor == 0 and \
                    np.abs(orbit[divisor] - orbit[0]).max() <= ens.options.match_tol:
                return orbit[:divisor]
        return orbit

    def _cloud(self, x: np.ndarray):
        """A cloud sampled along the orbit from ``x`` (chaotic or quasi-periodic by its largest
        Lyapunov exponent) and its matching radius, or None when the orbit diverges."""
        ens = self.ensemble
        opts = ens.options
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
        spacing = nearest_distance(cloud[half:], cloud[:half])
        extent = float(np.ptp(cloud, axis=0).max())
        radius = max(opts.match_tol, opts.cloud_factor * float(np.quantile(spacing, 0.95)),
                     opts.cloud_resolution * extent)
        if float(np.ptp(cloud, axis=0).max()) <= opts.match_tol:
            # a slowly converging orbit: really a fixed point or short cycle
            return self._cycle(cloud[-1:]), opts.match_tol
        if still_converging(cloud, opts.max_period):
            return _Converging(cloud, self._spiral_target(cloud)[1]), radius
        lam = self._largest_exponent(cloud)
        if (lam is not None and lam < -opts.chaos_threshold) or \
                (x.size == 1 and (lam is None or lam <= opts.chaos_threshold)):
            # not quasi-periodic (λ₁ = 0) nor chaotic: a stable cycle too long to settle
            cycle = self._long_cycle(cloud)
            return _Converging(cloud, cycle, long_cycle=cycle is None), radius
        if lam is not None and lam <= opts.chaos_threshold:
            # λ₁ within the estimate's accuracy of 0: an orbit spiralling slowly onto a short
            # cycle (a focus with |μ| near 1: just before a Neimark-Sacker point), or a long
            # cycle with a multiplier near 1, if Newton finds one; else quasi-periodic
            decaying, target = self._spiral_target(cloud)
            if decaying:
                return _Converging(cloud, target), radius
            cycle = self._long_cycle(cloud)
            if cycle is not None:
                return _Converging(cloud, cycle), radius
        kind = AttractorKind.CHAOTIC if lam is not None and lam > opts.chaos_threshold else \
            AttractorKind.QUASI_PERIODIC
        states = cloud if self.full_clouds else cloud[:: max(1, opts.n_cloud // 256)]
        return Attractor(kind, states, 0, np.empty(0, complex), lam), radius

    def long_cycle_note(self) -> str:
        """Why some states were left unresolved on an unresolved long cycle, or ''."""
        if not self.n_long_cycle:
            return ""
        return (f"{self.n_long_cycle:,} initial state(s) unresolved: they reached a stable "
                f"cycle longer than options.max_period = {self.ensemble.options.max_period} "
                "that was not resolved (a cloud neither chaotic nor quasi-periodic: largest "
                "Lyapunov exponent below -options.chaos_threshold, or at most it for a 1-D map; "
                "at the end of a period-doubling cascade the cycles grow without bound); "
                "raise options.max_period")

    def _long_cycle(self, cloud: np.ndarray) -> Attractor | None:
        r"""The stable cycle the cloud (T, n) samples, refined by Newton, or None.

        Its least period k is the least k ≤ T/4 for which :math:`d_t = \max_j |x_{t+k,j} -
        x_{t,j}|` over the last half of the cloud is at most ``cloud_resolution`` × the
        cloud's extent and is either below ``match_tol`` or falling (its maximum over the
        second half of that stretch at most half that over the first), and for which Newton
        (multiple shooting from the last k states) converges to a stable cycle of least
        period k within that share of the extent from the last state. A smaller candidate
        for which Newton finds none (the unstable parent of a doubled cycle, which the orbit
        shadows closely) is passed over; Newton is tried at ``_MAX_NEWTON_TRIES`` candidates
        at most.
        """
        opts = self.ensemble.options
        extent = float(np.ptp(cloud, axis=0).max())
        small = opts.cloud_resolution * extent
        tail = cloud[cloud.shape[0] // 2:]
        tries = 0
        for period in range(1, cloud.shape[0] // 4 + 1):
            d = np.abs(tail[period:] - tail[:-period]).max(axis=1)
            early, late = float(d[:d.size // 2].max()), float(d[d.size // 2:].max())
            if late > small or late > max(0.5 * early, opts.match_tol):
                continue
            # a candidate may be half the period (the unstable parent of a doubled cycle,
            # which the orbit shadows closely): Newton then finds no stable cycle; go on
            refined = self._newton(cloud[-period], period)
            if refined is not None and refined[0].stable and \
                    nearest_distance(cloud[-1:], refined[1])[0] <= small:
                return self._attractor(*refined)
            tries += 1
            if tries >= _MAX_NEWTON_TRIES:
                break
        return None

    def _spiral_target(self, cloud: np.ndarray) -> tuple[bool, Attractor | None]:
        r"""Whether the cloud (T, n) is an orbit still converging (straight or spiralling) onto
        a fixed point or short cycle, and that cycle when it is a hyperbolic attracting one.

        Newton from the last state for each period k ≤ ``max_period``; for the cycle found,
        the distances :math:`d_t` of the cloud's states to it are compared over 8 blocks: the
        orbit decays onto it when the block medians never grow and the last is at most 0.98
        of the first. A quasi-periodic orbit on an invariant circle keeps its distance to the
        fixed point inside it, so it does not qualify. Returns ``(True, cycle)`` for a
        hyperbolic stable cycle (:math:`\max|\mu| \le 1 - 10^{-6}`), ``(True, None)`` when
        the orbit decays onto a non-hyperbolic one (a value exactly on the bifurcation: left
        unresolved, still converging), ``(False, None)`` otherwise.
        """
        opts = self.ensemble.options
        last = cloud[-1]
        for period in range(1, min(opts.max_period, cloud.shape[0] // 16) + 1):
            refined = self._newton(last, period)
            if refined is None:
                continue
            point, cycle = refined
            d = nearest_distance(cloud, cycle)
            usable = d.size // 8 * 8
            blocks = np.median(d[d.size - usable:].reshape(8, -1), axis=1)
            if not (np.all(np.diff(blocks) <= 0) and blocks[-1] <= 0.98 * blocks[0]):
                continue
            rho = float(np.abs(point.eigenvalues).max()) if np.size(point.eigenvalues) else 1.0
            if point.stable and rho <= 1.0 - _HYPERBOLIC_MARGIN:
                return True, self._attractor(point, cycle)
            return True, None
        return False, None

    def _largest_exponent(self, cloud: np.ndarray) -> float | None:
        """The largest Lyapunov exponent of the attractor ``cloud`` (T, n) samples, averaged
        over ``options.lyapunov_orbits`` orbits from states spread along it, each nudged off
        the sampled orbit (deterministically) so the orbits are nearly independent; one orbit
        from the cloud's last state when a nudged orbit does not stay finite. None when the
        estimate fails."""
        ens = self.ensemble
        opts = ens.options
        m = opts.lyapunov_orbits
        starts = cloud[np.linspace(0, cloud.shape[0] - 1, m).astype(np.int64)]
        nudge = 1e-6 * np.maximum(np.ptp(cloud, axis=0), np.finfo(float).tiny)
        starts = starts + nudge * np.random.default_rng(0).standard_normal(starts.shape)
        for begin, transient in ((starts, opts.lyapunov_transient), (cloud[-1:], 0)):
            # numpy, not the compiled loop: one exponent costs a normalisation per step,
            # while compiling the kernel of a new sympy map takes seconds (paid per map)
            lyap = lyapunov_spectrum(ens.system, begin, opts.lyapunov_steps,
                                     n_transient=transient, u=ens.u, n_exponents=1,
                                     record_every=opts.lyapunov_steps, backend="numpy")
            largest = np.asarray(lyap.largest, dtype=np.float64)
            if lyap.success and np.all(np.isfinite(largest)):
                return float(largest.mean())
        return None

    def _cycle(self, orbit: np.ndarray) -> Attractor:
        """The fixed point or cycle through ``orbit`` (its points in order): refined by Newton,
        or, where Newton fails (a non-hyperbolic cycle), the iterated points and their
        multipliers."""
        ens = self.ensemble
        period = orbit.shape[0]
        kind = AttractorKind.FIXED_POINT if period == 1 else AttractorKind.CYCLE
        refined = self._refine(orbit)
        if refined is not None:
            return self._attractor(*refined)
        product = np.eye(orbit.shape[1])
        for state in orbit:
            product = ens.system.jacobian_unchecked(state, ens.u) @ product
        multipliers = np.linalg.eigvals(product)
        order = np.argsort(-np.abs(multipliers))
        lam = float(np.log(max(np.abs(multipliers).max(), 1e-300)) / period)
        return Attractor(kind, orbit.copy(), period, multipliers[order], lam, refined=False,
                         stable=bool(np.abs(multipliers).max() < 1))

    @staticmethod
    def _attractor(point: FixedPoint, cycle: np.ndarray) -> Attractor:
        """The Newton-refined fixed point or cycle ``point`` with its orbit ``cycle``."""
        period = cycle.shape[0]
        kind = AttractorKind.FIXED_POINT if period == 1 else AttractorKind.CYCLE
        multipliers = np.asarray(point.eigenvalues)
        lam = float(np.log(np.abs(multipliers).max()) / period) if multipliers.size \
            and np.abs(multipliers).max() > 0 else None
        return Attractor(kind, cycle, period, multipliers, lam, refined=True,
                         residual=float(point.residual), stable=bool(point.stable))

    def _refine(self, orbit: np.ndarray) -> tuple[FixedPoint, np.ndarray] | None:
        """The point Newton finds from ``orbit[0]`` whose orbit has the same period and passes
        within the matching distance, with that orbit; None when there is none."""
        refined = self._newton(orbit[0], orbit.shape[0])
        if refined is not None and \
                nearest_distance(orbit[:1], refined[1])[0] <= self.ensemble.options.match_tol:
            return refined
        return None

    def _newton(self, x: np.ndarray, period: int) -> tuple[FixedPoint, np.ndarray] | None:
        """The fixed point or ``period``-cycle Newton finds from ``x`` (least period exactly
        ``period``), with its orbit; None when Newton finds none."""
        ens = self.ensemble
        try:
            if period == 1:
                found = find_fixed_points(ens.system, ens.u, starts=x[None], method="newton",
                                          max_iter=40, box_fraction=0.0)
            else:
                found = find_cycles(ens.system, period, ens.u, starts=x[None],
                                    method="newton", max_iter=40)
        except (ConvergenceError, InvalidInputError):
            return None
        for point in found:
            cycle = np.asarray(point.orbit if point.orbit is not None else point.x[None])
            if cycle.shape[0] == period:
                return point, cycle
        return None
