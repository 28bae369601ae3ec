"""Plots of continuation results: branches and bifurcation diagrams.

Stable parts are drawn solid, unstable parts dashed, and special points are marked with a shape
per kind and labelled (LP, PD, NS, BP), so the figure reads in grey scale too. A flip or
Neimark–Sacker marker is filled when the point is supercritical (a stable cycle or invariant
curve is born: a soft crossing), open when subcritical (a jump), and half-filled when its
criticality is unknown or degenerate and for LP and BP points.
"""
from __future__ import annotations

import numpy as np

__all__ = ["plot_branch", "plot_bifurcation_diagram"]

_MARKERS = {"LP": "o", "PD": "s", "NS": "D", "BP": "^"}


def _fill(bifurcation, color: str) -> dict:
    """Marker fill by criticality: filled supercritical, open subcritical, else half."""
    criticality = getattr(bifurcation, "criticality", None)
    if criticality == "supercritical":
        return {"markerfacecolor": color}
    if criticality == "subcritical":
        return {"markerfacecolor": "white"}
    return {"markerfacecolor": color, "fillstyle": "left", "markerfacecoloralt": "white"}


def _runs(mask: np.ndarray):
    """Maximal runs [start, stop] of equal values in a boolean array (stop inclusive)."""
    edges = np.flatnonzero(mask[1:] != mask[:-1]) + 1
    starts = np.concatenate([[0], edges])
    stops = np.concatenate([edges, [mask.size]])
    return [(int(a), int(b)) for a, b in zip(starts, stops)]


def plot_branch(branch, ax=None, component: int = 0, *, color: str = "black",
                label: str | None = None, annotate: bool = True, marker_size: float = 6.0):
    """Draw one branch: state ``component`` against the parameter.

    Parameters
    ----------
    branch : Branch
    ax : matplotlib Axes, optional
        Default: a new figure's axes.
    component : int
        Which state coordinate to plot (of the first cycle point for k-cycles).
    color : str
    label : str, optional
        Legend label of the branch.
    annotate : bool
        Write the kind next to each special point.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    .. plot::

       import dynrnn as dr
       from dynrnn.plotting import plot_branch
       net = dr.RNN([[5.0]], b=[-2.5], activation="sigmoid")   # x -> 5σ(x) - 2.5
       branch = dr.continuation(net, "b[0]", [-1.776], (-4.0, -1.0))
       ax = plot_branch(branch)          # stable solid, unstable dashed, folds marked
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    n = branch.states.shape[1]
    if not -n <= component < n:
        from ..errors import InvalidInputError
        raise InvalidInputError(f"component must be in [0, {n}), got {component}",
                                argument="component", value=component)
    p = branch.params
    x = branch.states[:, component]
    if label is not None:   # a solid legend entry whatever the stability of the first run
        ax.plot([], [], color=color, linewidth=1.6, linestyle="-", label=label)
    for a, b in _runs(np.asarray(branch.stable, dtype=bool)):
        stop = min(b + 1, p.size)   # join to the next run
        ax.plot(p[a:stop], x[a:stop], color=color, linewidth=1.6,
                linestyle="-" if branch.stable[a] else "--")
    for bif in branch.bifurcations:
        kind = bif.kind.value
        ax.plot([bif.param], [bif.x[component]], linestyle="none",
                marker=_MARKERS.get(kind, "*"), markersize=marker_size,
                markeredgecolor=color, **_fill(bif, color))
        if annotate:
            text = kind if branch.period == 1 else f"{kind}{branch.period}"
            ax.annotate(text, (bif.param, bif.x[component]), textcoords="offset points",
                        xytext=(4, 4), fontsize=8, color=color)
    ax.set_xlabel(branch.param_name)
    ax.set_ylabel(f"x[{component}]")
    return ax


def plot_bifurcation_diagram(result, ax=None, component: int = 0, *, annotate: bool = True):
    """Draw every branch of a :class:`~dynrnn.analysis.BifurcationDiagram` (or one Branch).

    Fixed-point branches are black, cycles a darker-to-lighter grey by period; stable solid,
    unstable dashed; special points marked and labelled.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    .. plot::

       import dynrnn as dr
       from dynrnn.plotting import plot_bifurcation_diagram
       net = dr.RNN([[5.0]], b=[-2.5], activation="sigmoid")   # x -> 5σ(x) - 2.5
       diagram = dr.bifurcation_diagram(net, "b[0]", (-4.0, -1.0), progress=False)
       ax = plot_bifurcation_diagram(diagram)
    """
    import matplotlib.pyplot as plt

    if hasattr(result, "params") and hasattr(result, "states"):
        return plot_branch(result, ax=ax, component=component, annotate=annotate)
    if ax is None:
        _, ax = plt.subplots()
    periods = sorted({br.period for br in result.branches})
    shades = {k: str(0.55 * i / max(1, len(periods) - 1)) for i, k in enumerate(periods)}
    labelled = set()
    for br in result.branches:
        label = None
        if br.period not in labelled:
            label = "fixed points" if br.period == 1 else f"period {br.period}"
            labelled.add(br.period)
        plot_branch(br, ax=ax, component=component, color=shades[br.period], label=label,
                    annotate=annotate)
    if result.branches:
        ax.legend(fontsize=8)
    ax.set_xlabel(result.param_name)
    return ax
