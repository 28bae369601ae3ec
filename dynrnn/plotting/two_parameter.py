"""Two-parameter bifurcation diagrams and orbit diagrams.

Both functions take computed (or loaded) results and never recompute. Styles differ by line
pattern and marker shape as well as by colour, so the figures stay readable in grey.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..analysis.orbits import OrbitDiagram
from ..analysis.special_points import BifurcationKind
from ..analysis.two_parameter import BifurcationCurve
from ..errors import InvalidInputError, InvalidTypeError

__all__ = ["plot_two_parameter", "plot_orbit_diagram"]

#: line style per kind of curve: (colour, dash pattern, label)
CURVE_STYLES = {
    BifurcationKind.LP: ("#1f4e9c", "-", "fold (LP)"),
    BifurcationKind.PD: ("#b2182b", "--", "flip (PD)"),
    BifurcationKind.NS: ("#1b7837", "-.", "Neimark–Sacker (NS)"),
}
#: marker per kind of codimension-two point
POINT_MARKERS = {
    BifurcationKind.CP: "^",
    BifurcationKind.R1: "s",
    BifurcationKind.R2: "D",
    BifurcationKind.LPPD: "*",
    BifurcationKind.GPD: "P",
}


def plot_two_parameter(curves: BifurcationCurve | Sequence[BifurcationCurve], ax=None, *,
                       label_points: bool = True, legend: bool = True, linewidth: float = 1.6):
    """Draw curves of codimension-one bifurcations in the parameter plane.

    Parameters
    ----------
    curves : BifurcationCurve or sequence of them
        Curves in the same two parameters (the axes are labelled by the first curve's names:
        ``param_names[0]`` on x, ``param_names[1]`` on y).
    ax : matplotlib Axes, optional
        Drawn into a new figure when not given.
    label_points : bool
        Mark codimension-two points (marker by kind) and write their kind next to them.
    legend : bool
    linewidth : float

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    .. plot::

       import dynrnn as dr
       from dynrnn.plotting import plot_two_parameter
       net = dr.RNN([[5.0]], b=[-2.5], activation="sigmoid")   # x -> 5σ(x) - 2.5
       fold = dr.continuation(net, "b[0]", [-1.776], (-4.0, -1.0)).bifurcations[0]
       curve = dr.continue_bifurcation(net.with_params({"b[0]": fold.param}), fold,
                                       "W_rec[0,0]", (4.0, 8.0))
       ax = plot_two_parameter(curve)    # the fold curve: b against w
    """
    import matplotlib.pyplot as plt

    if isinstance(curves, BifurcationCurve):
        curves = [curves]
    curves = list(curves)
    if not curves or not all(isinstance(c, BifurcationCurve) for c in curves):
        raise InvalidTypeError("curves must be a BifurcationCurve or a non-empty sequence of "
                               "them", argument="curves", value=curves)
    names = curves[0].param_names
    for c in curves[1:]:
        if set(c.param_names) != set(names):
            raise InvalidInputError(f"all curves must be in the parameters {names}, got "
                                    f"{c.param_names}", argument="curves", value=c.param_names)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5))
    labelled_kinds: set = set()
    labelled_points: set = set()
    drawn: list = []
    for curve in curves:
        # a curve continued in (p2, p1) is drawn with swapped columns
        cols = [0, 1] if curve.param_names == names else [1, 0]
        colour, dash, label = CURVE_STYLES[curve.kind]
        px, py = curve.params[:, cols[0]], curve.params[:, cols[1]]
        if curve.kind is BifurcationKind.NS:
            # neutral saddles (|κ| > 1: real multipliers with product 1) are not bifurcations:
            # thin dotted grey, NaN-separated from the true NS arcs
            saddle = np.abs(curve.kappa) > 1
            if saddle.any():
                ax.plot(np.where(saddle, px, np.nan), np.where(saddle, py, np.nan),
                        color="0.55", ls=":", lw=0.9 * linewidth,
                        label=None if "saddle" in labelled_kinds else "neutral saddle")
                labelled_kinds.add("saddle")
            # keep the points next to each saddle arc so the NS arcs reach R1/R2
            edge = saddle & ~(np.roll(saddle, 1) & np.roll(saddle, -1))
            keep = ~saddle | edge
            px, py = np.where(keep, px, np.nan), np.where(keep, py, np.nan)
        ax.plot(px, py, color=colour, ls=dash, lw=linewidth,
                label=None if curve.kind in labelled_kinds else label)
        labelled_kinds.add(curve.kind)
        if not label_points:
            continue
        for point in curve.codim2:
            xy = np.array((point.param, point.param2) if cols == [0, 1]
                          else (point.param2, point.param), dtype=float)
            kind = point.kind
            # the same point found on several curves (R1 on a fold and on an NS curve) is
            # drawn and labelled once
            if any(k is kind and np.allclose(xy, seen, atol=1e-6) for k, seen in drawn):
                continue
            drawn.append((kind, xy))
            ax.plot(*xy, marker=POINT_MARKERS.get(kind, "o"), ms=8, mfc="white", mec="black",
                    mew=1.3, ls="none", zorder=5,
                    label=None if kind in labelled_points else kind.value)
            labelled_points.add(kind)
            ax.annotate(kind.value, xy, xytext=(6, 6), textcoords="offset points", fontsize=9)
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    if legend:
        ax.legend(fontsize=8, frameon=False)
    return ax


def plot_orbit_diagram(diagram: OrbitDiagram, ax=None, *, component: int | None = None,
                       markersize: float = 0.3, color: str = "black", alpha: float = 0.6,
                       rasterized: bool = True):
    """Draw an orbit diagram: every kept state as a small dot above its parameter value.

    Parameters
    ----------
    diagram : OrbitDiagram
    ax : matplotlib Axes, optional
    component : int, optional
        Which state component to draw when the diagram holds full states.
    markersize, color, alpha : plot style (small black dots read well in grey)
    rasterized : bool
        Rasterise the dots (keeps vector files small for thousands of values).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    .. plot::

       import numpy as np
       import dynrnn as dr
       from dynrnn.plotting import plot_orbit_diagram
       logistic = dr.Map.from_sympy(["r*x*(1 - x)"], ["x"], {"r": 3.0}, box=(0.0, 1.0))
       orbits = dr.orbit_diagram(logistic, "r", np.linspace(2.8, 4.0, 300), n_transient=300,
                                 n_keep=100)
       ax = plot_orbit_diagram(orbits)
    """
    import matplotlib.pyplot as plt

    if not isinstance(diagram, OrbitDiagram):
        raise InvalidTypeError(f"diagram must be an OrbitDiagram, got {type(diagram).__name__}",
                               argument="diagram", value=diagram)
    samples = diagram.samples
    label = "x" if diagram.component is None else f"x[{diagram.component}]"
    if diagram.component is None:
        n = samples.shape[-1]
        component = 0 if component is None else component
        if not isinstance(component, (int, np.integer)) or not 0 <= component < n:
            raise InvalidInputError(f"component must be an integer in [0, {n}), got "
                                    f"{component!r}", argument="component", value=component)
        samples = samples[..., component]
        label = f"x[{component}]"
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4.0))
    P = diagram.values.size
    xs = np.broadcast_to(diagram.values[:, None, None], samples.shape).reshape(-1)
    ys = samples.reshape(-1)
    keep = np.isfinite(ys)
    ax.plot(xs[keep], ys[keep], ls="none", marker=".", ms=markersize, color=color, alpha=alpha,
            rasterized=rasterized)
    ax.set_xlabel(diagram.param_name)
    ax.set_ylabel(label)
    if diagram.n_diverged:
        ax.set_title(f"{diagram.n_diverged} of {P * diagram.x0s.shape[0]} orbits diverged "
                     "(not drawn)", fontsize=8)
    return ax
