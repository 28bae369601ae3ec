"""Plots of parameter sweeps (:class:`dynrnn.SweepResult`): attractor counts over a parameter plane
with two-parameter bifurcation curves on top, and Lyapunov-exponent heat maps with the zero
contour. Every function takes results (computed, or loaded with :func:`dynrnn.load`) and never
recomputes; matplotlib is imported inside the functions only.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..errors import InvalidInputError, InvalidTypeError

__all__ = ["plot_attractor_counts", "plot_lyapunov_map", "figure_sweep_attractors",
           "figure_sweep_lyapunov"]

#: Grey levels of the attractor counts 0, 1, 2, 3, ... (light to dark, so they read in grey).
_COUNT_GREYS = ("1.0", "0.88", "0.62", "0.38", "0.2", "0.05")


def _check_sweep(sweep, outputs: Sequence[str], axes: Sequence[str]) -> None:
    from ..sweeps import SweepResult
    if not isinstance(sweep, SweepResult):
        raise InvalidTypeError(f"sweep must be a SweepResult, got {type(sweep).__name__}",
                               argument="sweep", value=sweep)
    for name in outputs:
        if name not in sweep.data:
            raise InvalidInputError(f"sweep has no output {name!r}; it has "
                                    f"{sorted(sweep.data)}", argument="sweep", value=name)
    for name in axes:
        if name not in sweep.axes:
            raise InvalidInputError(f"sweep has no axis {name!r}; its axes are {sweep.axes}",
                                    argument="sweep", value=name)


def _plane(sweep, output: str, x: str, y: str, select: Mapping[str, object] | None,
           reduce: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The output over the (x, y) plane, shape (len(y), len(x)): other axes are fixed by
    ``select`` (axis -> coordinate value) or averaged over (``reduce="mean"``)."""
    data = np.asarray(sweep.data[output], dtype=float)
    select = dict(select or {})
    order = list(sweep.axes)
    for name in list(order):
        if name in (x, y):
            continue
        coords = np.asarray(sweep.coordinates[name])
        axis = order.index(name)
        if name in select:
            hits = np.nonzero(coords == np.asarray(select[name], dtype=coords.dtype))[0]
            if hits.size == 0:
                raise InvalidInputError(f"{select[name]!r} is not a value of axis {name!r} "
                                        f"({list(coords)})", argument="select",
                                        value=select[name])
            data = np.take(data, hits[0], axis=axis)
        elif reduce == "mean":
            data = np.nanmean(data, axis=axis)
        elif coords.size == 1:
            data = np.take(data, 0, axis=axis)
        else:
            raise InvalidInputError(f"axis {name!r} has {coords.size} values: choose one with "
                                    f"select={{{name!r}: value}}", argument="select",
                                    value=select)
        order.remove(name)
    if order.index(x) < order.index(y):
        data = data.T
    return (np.asarray(sweep.coordinates[x], float), np.asarray(sweep.coordinates[y], float),
            data)


def plot_attractor_counts(sweep, curves=(), ax=None, *, x: str = "w", y: str = "b",
                          select: Mapping[str, object] | None = None,
                          output: str = "n_attractors", cycle_output: str | None =
                          "n_stable_fixed_points", colorbar: bool = True, legend: bool = True):
    r"""Draw the number of attractors over a parameter plane, with bifurcation curves on top.

    The count is a discrete grey map (darker per attractor) with an integer
    colour bar; where some attractor is a 2-cycle (``output > cycle_output``) the cells are
    hatched. Each curve (e.g. a fold curve from :func:`dynrnn.continue_bifurcation`) is a black
    line and its codimension-two points (cusps) are marked and labelled with their coordinates.

    Parameters
    ----------
    sweep : SweepResult
        With axes ``x`` and ``y`` (others fixed by ``select``) and integer outputs ``output``
        (and ``cycle_output``), e.g. from :func:`dynrnn.sweep_examples.one_unit_attractor_count`.
    curves : sequence of BifurcationCurve
        Drawn with the curve's second parameter on x and its first on y: a fold found in
        ``"b[0]"`` and continued in ``"W_rec[0,0]"`` has ``param_names = ("b[0]", "W_rec[0,0]")``
        and lands on the (w, b) axes.
    ax : matplotlib Axes, optional
    x, y : str
        Sweep axes on the horizontal and vertical axis.
    select : dict, optional
        Coordinate value of each other axis, e.g. ``{"activation": "tanh"}``.
    output, cycle_output : str
        The attractor count, and the count of stable fixed points (None: no hatching).
    colorbar, legend : bool

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    .. plot::

       import matplotlib.pyplot as plt
       import numpy as np
       import dynrnn as dr
       from dynrnn.plotting import plot_attractor_counts
       from dynrnn.sweep_examples import one_unit_attractor_count
       sweep = dr.sweep(one_unit_attractor_count,
                        {"w": np.linspace(0.0, 10.0, 12), "b": np.linspace(-8.0, 2.0, 12)},
                        fixed={"activation": "sigmoid", "n_grid": 401}, executor="serial",
                        progress=False)
       figure, ax = plt.subplots(figsize=(5, 4), layout="constrained")
       plot_attractor_counts(sweep, ax=ax)
    """
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    _check_sweep(sweep, [output] + ([cycle_output] if cycle_output else []), [x, y])
    if ax is None:
        from .figures import new_figure
        ax = new_figure(5.0, 4.0).add_subplot()
    xs, ys, counts = _plane(sweep, output, x, y, select, None)
    finite = counts[np.isfinite(counts)]
    bottom = int(finite.min()) if finite.size else 0
    top = max(int(finite.max()) if finite.size else 1, bottom + 1)
    greys = [_COUNT_GREYS[min(k, len(_COUNT_GREYS) - 1)] for k in range(bottom, top + 1)]
    cmap = ListedColormap(greys).with_extremes(bad="red")     # failed points stand out
    norm = BoundaryNorm(np.arange(bottom - 0.5, top + 1.5), cmap.N)
    mesh = ax.pcolormesh(xs, ys, np.ma.masked_invalid(counts), cmap=cmap, norm=norm,
                         shading="nearest", rasterized=True)
    handles = []
    if cycle_output:
        _, _, fixed = _plane(sweep, cycle_output, x, y, select, None)
        cycles = (counts > fixed).astype(float)
        if np.any(cycles > 0):
            ax.contourf(xs, ys, cycles, levels=[0.5, 1.5], colors="none", hatches=["////"])
            handles.append(Patch(facecolor="white", edgecolor="0.3", hatch="////",
                                 label="an attractor is a 2-cycle"))
    for curve in curves:
        names = tuple(curve.param_names)
        params = np.asarray(curve.params)
        col_x = 1 if len(names) > 1 else 0
        ax.plot(params[:, col_x], params[:, 1 - col_x], color="black", lw=1.6)
        for point in curve.codim2:
            px, py = (point.param2, point.param) if col_x == 1 else (point.param, point.param2)
            ax.plot(px, py, marker="*", ms=11, color="black", mec="white", mew=0.8, ls="none",
                    zorder=5)
            px, py = (0.0 if abs(v) < 1e-9 else v for v in (px, py))   # round-off at 0
            # Above and to the left: the two fold branches leave a cusp on the other side.
            ax.annotate(f"cusp ({x} = {px:.4g}, {y} = {py:.4g})", (px, py),
                        xytext=(-8, 8), textcoords="offset points", fontsize=8, ha="right",
                        bbox=dict(boxstyle="square,pad=0.2", fc="white", ec="none",
                                  alpha=0.85))
    if curves:
        handles.insert(0, ax.plot([], [], color="black", lw=1.6,
                                  label="fold curves (two-parameter continuation)")[0])
        if any(len(c.codim2) for c in curves):
            handles.insert(1, ax.plot([], [], marker="*", ms=11, color="black", ls="none",
                                      label="cusp (CP)")[0])
    ax.set_xlim(xs.min(), xs.max())
    ax.set_ylim(ys.min(), ys.max())
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    if colorbar:
        bar = ax.figure.colorbar(mesh, ax=ax, ticks=np.arange(bottom, top + 1), shrink=0.9)
        bar.set_label("number of attractors")
    if legend and handles:
        ax.legend(handles=handles, loc="lower left", fontsize=7, framealpha=0.9)
    return ax


def plot_lyapunov_map(sweep, ax=None, *, x: str = "gain", y: str = "bias_scale",
                      output: str = "value", select: Mapping[str, object] | None = None,
                      colorbar: bool = True, legend: bool = True, xlabel: str | None = None,
                      ylabel: str | None = None):
    r"""Heat map of the largest Lyapunov exponent λ₁ over a parameter plane, with λ₁ = 0 drawn.

    A diverging colour map centred at 0 (blue: contracting, λ₁ < 0; red: chaotic, λ₁ > 0; each
    side scaled to its own extreme, so the colour bar is not symmetric); the
    zero contour (the edge of chaos) is a thick black line. Axes of the sweep other than ``x``
    and ``y`` (typically the seed) are averaged unless fixed by ``select``.

    Parameters
    ----------
    sweep : SweepResult
        E.g. from :func:`dynrnn.sweep_examples.largest_lyapunov_exponent`.
    ax : matplotlib Axes, optional
    x, y, output : str
        Sweep axes on the horizontal and vertical axis, and the output holding λ₁.
    select : dict, optional
        Coordinate values fixing other axes (the rest are averaged).
    colorbar, legend : bool
    xlabel, ylabel : str, optional
        Axis labels (default: the sweep's axis names).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    .. plot::

       import matplotlib.pyplot as plt
       import numpy as np
       import dynrnn as dr
       from dynrnn.plotting import plot_lyapunov_map
       from dynrnn.sweep_examples import largest_lyapunov_exponent
       sweep = dr.sweep(largest_lyapunov_exponent,
                        {"gain": np.linspace(0.5, 3.0, 8), "bias_scale": [0.0, 0.5, 1.0]},
                        fixed={"n": 10, "n_steps": 200, "n_transient": 50}, executor="serial",
                        progress=False)
       figure, ax = plt.subplots(figsize=(5, 4), layout="constrained")
       plot_lyapunov_map(sweep, ax=ax)     # λ₁ = 0, the edge of chaos, as a black line
    """
    from matplotlib.colors import TwoSlopeNorm

    _check_sweep(sweep, [output], [x, y])
    if ax is None:
        from .figures import new_figure
        ax = new_figure(5.5, 4.0).add_subplot()
    xs, ys, values = _plane(sweep, output, x, y, select, "mean")
    finite = values[np.isfinite(values)]
    # Each side spans its own range, so a weakly chaotic region (λ₁ ~ 0.1 next to λ₁ ~ -2 in
    # the contracting corner) still shows its colour; white stays at λ₁ = 0.
    low = min(float(finite.min()), -1e-3) if finite.size else -1.0
    high = max(float(finite.max()), 1e-3) if finite.size else 1.0
    norm = TwoSlopeNorm(vmin=low, vcenter=0.0, vmax=high)
    mesh = ax.pcolormesh(xs, ys, np.ma.masked_invalid(values), cmap="RdBu_r", norm=norm,
                         shading="nearest", rasterized=True)
    if finite.size and finite.min() < 0 < finite.max():
        ax.contour(xs, ys, values, levels=[0.0], colors="black", linewidths=2.0)
        if legend:
            ax.plot([], [], color="black", lw=2.0, label="λ₁ = 0 (edge of chaos)")
            ax.legend(loc="lower right", fontsize=8, framealpha=0.9)
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(ylabel or y)
    if colorbar:
        # Ticks on both sides (the default locator leaves the shorter side bare).
        from matplotlib.ticker import MaxNLocator
        ticks = np.r_[MaxNLocator(4).tick_values(low, 0.0), MaxNLocator(4).tick_values(0.0, high)]
        ticks = np.unique(ticks[(ticks >= low) & (ticks <= high)])
        bar = ax.figure.colorbar(mesh, ax=ax, shrink=0.9, ticks=ticks)
        bar.set_label("largest Lyapunov exponent λ₁ (nats / step)")
    return ax


def figure_sweep_attractors(sweep, curves: Mapping[str, Sequence] | None = None, *,
                            activations: Sequence[str] = ("sigmoid", "tanh"),
                            title: str | None = None):
    """Two panels (one per activation) of :func:`plot_attractor_counts` for the one-unit
    networks x → w σ(x) + b, with each activation's fold curves from ``curves[activation]``.

    Returns
    -------
    matplotlib.figure.Figure
        A new figure (not registered with pyplot: save it, or show it in a notebook cell).
    """
    from .figures import new_figure

    curves = dict(curves or {})
    fig = new_figure(11.0, 4.6)
    axes = fig.subplots(1, len(activations), sharey=False)
    axes = np.atleast_1d(axes)
    for k, (ax, activation) in enumerate(zip(axes, activations)):
        plot_attractor_counts(sweep, curves.get(activation, ()), ax=ax,
                              select={"activation": activation},
                              colorbar=k == len(activations) - 1, legend=k == 0)
        name = "logistic sigmoid" if activation == "sigmoid" else activation
        ax.set_title(f"x → w σ(x) + b, σ = {name}", fontsize=10)
    fig.suptitle(title or "Number of attractors of the one-unit network, with its fold curves",
                 fontsize=11)
    return fig


def figure_sweep_lyapunov(sweep, *, title: str | None = None):
    """One panel of :func:`plot_lyapunov_map` (averaged over the other axes, e.g. seeds).

    Returns
    -------
    matplotlib.figure.Figure
        A new figure (not registered with pyplot: save it, or show it in a notebook cell).
    """
    from .figures import new_figure

    fig = new_figure(6.5, 4.8)
    plot_lyapunov_map(sweep, ax=fig.add_subplot(),
                      xlabel="gain g   (W_ij ~ N(0, g²/n))" if "gain" in sweep.axes else None,
                      ylabel="bias scale s   (b_i ~ N(0, s²))" if "bias_scale" in sweep.axes
                      else None)
    fig.suptitle(title or "Largest Lyapunov exponent of random tanh networks", fontsize=11)
    return fig
