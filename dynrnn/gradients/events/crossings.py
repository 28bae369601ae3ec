"""The crossings on one segment θ(s) = θ_a + s(θ_b − θ_a): bifurcations of the fixed points and
cycles continued along s (smooth maps), or border collisions (piecewise-linear maps: PLRNN and
ReLU networks, Eisenmann et al. 2023)."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from ...model.base import RecurrentMap

__all__ = ["CrossingFinder", "library_crossings"]

CrossingFinder = Callable[[RecurrentMap, RecurrentMap, int, int], list]


def library_crossings(net_a, net_b, step_a: int, step_b: int, max_period: int, notes: list,
                      starts_from=None) -> list:
    """The crossings of dynrnn.analysis on the segment (``param`` = s in [0, 1]): border
    collisions (kind "BC") for piecewise-linear maps, smooth bifurcations otherwise."""
    pieces = _piecewise_pair(net_a, net_b)
    if pieces is None:
        return smooth_crossings(net_a, net_b, step_a, step_b, max_period, notes, starts_from)
    return border_crossings(net_a, pieces[0], pieces[1], step_a, step_b, max_period, notes,
                            starts_from)


def _piecewise_pair(net_a, net_b):
    """``(map_a, map_b)`` on which border collisions are searched, or None for smooth maps.

    PLRNN and ReLU RNN are piecewise linear themselves; a ReLU Elman network h ↦ relu(W h + b)
    is searched on its Pascanu conjugate x ↦ W relu(x) + b (x = W h + b, h = relu(x)), which
    has the same border collisions at the same s.
    """
    from ...analysis.border_collisions import is_piecewise
    from ...model.elman import ElmanRNN
    if isinstance(net_a, ElmanRNN) and isinstance(net_b, ElmanRNN) \
            and net_a.activation.name == "relu" and net_b.activation.name == "relu":
        return net_a.to_pascanu(), net_b.to_pascanu()
    if is_piecewise(net_a) and is_piecewise(net_b):
        return net_a, net_b
    return None


def border_crossings(net_a, map_a, map_b, step_a: int, step_b: int, max_period: int,
                     notes: list, starts_from=None) -> list:
    """The border collisions met on the segment by the fixed points (and cycles up to
    ``max_period``) of θ_a, found from ``starts_from`` when given (else by the exact region
    search), through :func:`~dynrnn.analysis.border_collisions_between`. For an Elman network
    searched on its conjugate, each collision's state is mapped back, h = relu(x)."""
    from ...analysis.border_collisions import border_collisions_between
    from ...errors import DynrnnError
    starts = None
    if starts_from is not None and map_a is not net_a:   # Elman states h -> Pascanu x = W h + b
        starts = net_a.to_pascanu_state(starts_from)
    elif starts_from is not None:
        starts = starts_from
    try:
        collisions = border_collisions_between(map_a, map_b, max_period=max_period,
                                               starts=starts)
    except DynrnnError as exc:
        notes.append(f"border collisions on {step_a}->{step_b} not searched: {exc}")
        return []
    if map_a is net_a:
        return list(collisions)
    return [dataclasses.replace(c, x=np.maximum(np.asarray(c.x), 0.0)) for c in collisions]


def smooth_crossings(net_a, net_b, step_a, step_b, max_period, notes: list,
                       starts_from=None) -> list:
    """Continue the fixed points (and cycles up to ``max_period``) of θ_a along the segment; return
    the located :class:`~dynrnn.analysis.Bifurcation` objects with s in [0, 1].

    ``starts_from`` (shape (m, n)), when given, restricts the search to the fixed points and
    cycles that Newton reaches from those states (the attractors the trajectories visit).
    """
    from ...analysis import continuation, find_fixed_points  # lazily: analysis is heavier
    from ...errors import DynrnnError
    # Given starts stay the only starts (no invariant-box starts mixed in): the search is
    # restricted to what the visited states reach.
    kwargs = {"seed": 0} if starts_from is None else {"starts": starts_from, "seed": 0,
                                                      "box_fraction": 0.0}
    starts = [(np.asarray(fp.x), 1) for fp in find_fixed_points(net_a, **kwargs)]
    if max_period > 1:
        from ...analysis import find_cycles
        for p in range(2, max_period + 1):
            for cyc in find_cycles(net_a, p, **kwargs):
                if int(getattr(cyc, "period", p)) == p:
                    starts.append((np.asarray(cyc.x), p))
    out: list = []
    for x_star, period in starts:
        try:
            branch = continuation(net_a, ("line", net_b), start=x_star, bounds=(0.0, 1.0),
                                  p0=0.0, period=period)
        except DynrnnError as exc:  # a start that does not correct: say so, do not hide it
            notes.append(f"continuation from {np.round(x_star, 6).tolist()} (period {period}) "
                         f"on {step_a}->{step_b} failed: {exc}")
            continue
        if getattr(getattr(branch, "status", None), "name", "") == "INTERRUPTED":
            # The continuation keeps Ctrl-C as a status; here it must end the whole analysis
            # (find_gradient_events keeps the spikes already analysed).
            raise KeyboardInterrupt
        if not getattr(branch, "success", True):
            notes.append(f"continuation on {step_a}->{step_b} (period {period}) stopped: "
                         f"{getattr(branch, 'status', '?')}")
        for bif in branch.bifurcations:
            s = float(bif.param)
            if not -1e-12 <= s <= 1 + 1e-12:
                continue
            if any(b.kind == bif.kind and abs(float(b.param) - s) < 1e-6 for b in out):
                continue  # the same point reached from two branches
            out.append(bif)
    return out
