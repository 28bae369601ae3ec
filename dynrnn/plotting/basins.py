"""Plots of basins and global continuation: the basin image, fraction bars, stacked fractions
against the parameter, attractor positions over a bifurcation diagram, and the basin chart of a
training run under its loss and gradient norm. All take result objects and never recompute."""
from __future__ import annotations

import numpy as np

from ..errors import InvalidInputError, InvalidTypeError

__all__ = ["plot_basins", "plot_basin_fractions", "plot_fraction_areas",
           "plot_attractor_positions", "plot_training_basins", "figure_basins",
           "figure_global_continuation", "figure_training_basins"]

_UNSTABLE_COLOUR = "#ffffff"
_UNRESOLVED_COLOUR = "#bbbbbb"


def _colours(n: int) -> list:
    import matplotlib
    cmap = matplotlib.colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def _label(attractor, index: int) -> str:
    return f"A{index}: {attractor.description}"


def _check(result, cls_name: str, argument: str = "result"):
    if type(result).__name__ != cls_name:
        raise InvalidTypeError(f"{argument} must be a {cls_name}, got {type(result).__name__}",
                               argument=argument, value=type(result).__name__)


def _axes(result, cls_name: str, ax, figsize: tuple):
    """Check that ``result`` is a ``cls_name``, then ``ax`` or new axes of ``figsize``."""
    _check(result, cls_name)
    if ax is None:
        import matplotlib.pyplot as plt
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _xy(points: np.ndarray, n_states: int) -> tuple:
    """Plot coordinates of states (m, n): x_1 and x_2, or x_1 and 0 for a 1-D map."""
    return points[:, 0], points[:, 1] if n_states == 2 else np.zeros(points.shape[0])


def plot_basins(result, ax=None, *, saddles: bool = True, boundary: bool = True,
                legend: bool = True):
    """The basins of a 1-D or 2-D grid (colour per attractor), attractors and saddles marked.

    Parameters
    ----------
    result : BasinsResult
        Computed on a grid (``grid=``); for sampled states the initial states are scattered.
    ax : matplotlib Axes, optional
    saddles, boundary : bool
        Mark the saddles (×) and the bisection boundary points (small dots).
    legend : bool

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    .. plot::

       import dynrnn as dr
       net = dr.RNN([[2.0, 0.4], [0.4, 2.0]])      # tanh, 2 units: four stable points
       result = dr.basins(net, grid=120, progress=False)
       from dynrnn.plotting import plot_basins
       ax = plot_basins(result)
    """
    _check(result, "BasinsResult")
    n_states = (result.box.shape[1] if result.box is not None
                else result.initial_states.shape[1])
    if n_states > 2 and not result.grid:
        raise InvalidInputError(f"plot_basins draws 1-D or 2-D state spaces; this result has "
                                f"{n_states} states (plot_basin_fractions draws any)",
                                argument="result", value=n_states)
    ax = _axes(result, "BasinsResult", ax, (5, 4.5))
    colours = _colours(result.n_attractors)
    _draw_labels(ax, result, n_states, colours)
    for attractor in result.attractors:
        if attractor.states.shape[0] == 0:
            continue
        if attractor.period:
            ax.plot(*_xy(attractor.states, n_states), "o", color="black",
                    markerfacecolor="white", markersize=7, zorder=4)
        else:
            ax.plot(*_xy(attractor.states, n_states), ",", color="black", alpha=0.6, zorder=3)
    if boundary and result.boundary_points.size:
        ax.plot(*_xy(result.boundary_points, n_states), ".", color="black", markersize=2,
                zorder=3)
    if n_states == 1 and result.exact_boundary.size:
        for point in result.exact_boundary:
            ax.axvline(point, color="black", linewidth=0.8, linestyle=":")
    if saddles:
        for point in result.saddles:
            ax.plot(*_xy(point.x[None], n_states), "x", color="black", markersize=8,
                    markeredgewidth=2, zorder=5)
    ax.set_xlabel("$x_1$")
    if n_states == 2:
        ax.set_ylabel("$x_2$")
    if legend:
        _legend(ax, result, colours)
    return ax


def _draw_labels(ax, result, n_states: int, colours: list) -> None:
    """The label of every initial state: an image for a grid, a scatter for samples."""
    from matplotlib.colors import ListedColormap
    cmap = ListedColormap([_UNSTABLE_COLOUR, _UNRESOLVED_COLOUR] + colours)
    codes = np.asarray(result.labels) + 2          # -2 -> 0, -1 -> 1, attractor i -> i + 2
    scale = {"cmap": cmap, "vmin": -0.5, "vmax": result.n_attractors + 1.5}
    if result.grid and n_states == 2:
        x1, x2 = result.grid
        ax.imshow(codes, origin="lower", extent=(x1[0], x1[-1], x2[0], x2[-1]),
                  interpolation="nearest", aspect="auto", **scale)
    elif result.grid:
        x1 = result.grid[0]
        ax.imshow(codes[None], origin="lower", extent=(x1[0], x1[-1], -0.5, 0.5),
                  interpolation="nearest", aspect="auto", **scale)
        ax.set_yticks([])
    else:
        ax.scatter(*_xy(result.initial_states, n_states), c=codes, s=4, linewidths=0, **scale)


def _legend(ax, result, colours: list) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    handles: list = [Patch(color=c, label=_label(a, i))
                     for i, (a, c) in enumerate(zip(result.attractors, colours))]
    if result.saddles:
        handles.append(Line2D([], [], marker="x", color="black", linestyle="", label="saddle"))
    ax.legend(handles=handles, fontsize="small", loc="upper right", framealpha=0.85)


def plot_basin_fractions(result, ax=None):
    """Basin fractions as bars with their binomial (Wilson) confidence intervals.

    Parameters
    ----------
    result : BasinsResult
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    .. plot::

       import dynrnn as dr
       net = dr.RNN([[2.0, 0.4], [0.4, 2.0]])      # tanh, 2 units: four stable points
       result = dr.basins(net, grid=120, progress=False)
       from dynrnn.plotting import plot_basin_fractions
       ax = plot_basin_fractions(result)
    """
    ax = _axes(result, "BasinsResult", ax, (4, 3))
    n = result.n_attractors
    colours = _colours(n)
    f = result.fractions
    error = np.abs(result.intervals.T - f[None]) if n else np.zeros((2, 0))
    ax.bar(np.arange(n), f, color=colours, yerr=error, capsize=4, edgecolor="black")
    ax.set_xticks(np.arange(n), [f"A{i}\n{a.description}" for i, a in
                                 enumerate(result.attractors)], fontsize="small")
    ax.set_ylabel(f"basin fraction ({result.confidence:.0%} interval)")
    ax.set_ylim(0, 1)
    return ax


def plot_fraction_areas(result, ax=None, *, legend: bool = True, step: str | None = None):
    """Basin fractions against the parameter as stacked areas (one colour per identity).

    Parameters
    ----------
    result : GlobalContinuationResult
    ax : matplotlib Axes, optional
    legend : bool
    step : None, "pre", "post" or "mid"
        Draw the areas as steps (for discrete values such as training steps).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    .. plot::

       import numpy as np
       import dynrnn as dr
       net = dr.RNN([[5.0]], b=[-2.5], activation="sigmoid")
       tracked = dr.global_continuation(net, "b[0]", np.linspace(-3.0, -2.0, 21), n_samples=200,
                                        progress=False)     # through the bistable interval
       from dynrnn.plotting import plot_fraction_areas
       ax = plot_fraction_areas(tracked)
    """
    ax = _axes(result, "GlobalContinuationResult", ax, (6, 3))
    colours = _colours(result.n_ids)
    fractions = np.nan_to_num(result.fractions)
    labels = [f"A{j}: {result.kind_of(j).value}" for j in range(result.n_ids)]
    ax.stackplot(result.values, fractions.T, colors=colours, labels=labels, step=step)
    for event in result.events:
        style = {"FOLD": "-", "FLIP": "--"}.get(event.cause.name, ":")
        ax.axvline(event.param, color="black", linewidth=0.8, linestyle=style)
    ax.set_xlim(result.values.min(), result.values.max())
    ax.set_ylim(0, 1)
    ax.set_xlabel(result.param_name)
    ax.set_ylabel("basin fraction")
    if legend and result.n_ids:
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def plot_attractor_positions(result, ax=None, *, component: int = 0, diagram=None):
    """Attractor positions (state ``component``) against the parameter, one colour per identity,
    optionally over an orbit diagram or bifurcation branches.

    Parameters
    ----------
    result : GlobalContinuationResult
    ax : matplotlib Axes, optional
    component : int
    diagram : OrbitDiagram, Branch or sequence of Branch, optional
        Drawn underneath (grey orbit diagram; branches solid/dashed by stability).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    .. plot::

       import numpy as np
       import dynrnn as dr
       net = dr.RNN([[5.0]], b=[-2.5], activation="sigmoid")
       tracked = dr.global_continuation(net, "b[0]", np.linspace(-3.0, -2.0, 21), n_samples=200,
                                        progress=False)     # through the bistable interval
       from dynrnn.plotting import plot_attractor_positions
       ax = plot_attractor_positions(tracked)
    """
    ax = _axes(result, "GlobalContinuationResult", ax, (6, 3.5))
    if diagram is not None:
        from .diagrams import plot_branch
        from .two_parameter import plot_orbit_diagram
        items = diagram if isinstance(diagram, (list, tuple)) else [diagram]
        for item in items:
            if type(item).__name__ == "OrbitDiagram":
                plot_orbit_diagram(item, ax=ax, component=component, color="0.6")
            else:
                plot_branch(item, ax=ax, component=component, color="0.5", annotate=True)
    colours = _colours(result.n_ids)
    for j in range(result.n_ids):
        xs, ys = [], []
        for value, row in zip(result.values, result.attractors):
            attractor = row[j]
            if attractor is None or attractor.states.shape[0] == 0:
                continue
            xs.extend([value] * attractor.states.shape[0])
            ys.extend(attractor.states[:, component])
        if xs:
            ax.plot(xs, ys, "o", color=colours[j], markersize=3.5,
                    label=f"A{j}: {result.kind_of(j).value}")
    for event in result.events:
        if event.bifurcation is not None:
            ax.plot(event.bifurcation.param, event.bifurcation.x[component], "s",
                    markerfacecolor="none", markeredgecolor="black", markersize=8)
    ax.set_xlabel(result.param_name)
    ax.set_ylabel(f"$x_{{{component + 1}}}$")
    if result.n_ids:
        ax.legend(fontsize="small", loc="best")
    return ax


def plot_training_basins(result, axes=None, *, events=None):
    """The training run's basin chart: loss and gradient norm above, the basin fractions of the
    autonomous network at each stored θ_k below, with the attractor of the loss's initial state.

    Parameters
    ----------
    result : GlobalContinuationResult
        From :func:`dynrnn.global_continuation` on a training result or history.
    axes : sequence of 3 matplotlib Axes, optional
    events : GradientEvents, optional
        The training atlas's annotations (:func:`dynrnn.find_gradient_events` on the same
        run): spikes circled on the gradient norm, and on every panel each bifurcation
        crossing (solid, coloured by kind) and basin change of x₀ (dashed) at step a + s.

    Returns
    -------
    ndarray of matplotlib Axes

    Examples
    --------
    .. plot::

       import dynrnn as dr
       from dynrnn.gradients import fig6_problem
       from dynrnn.plotting import plot_training_basins
       net, batch, x0 = fig6_problem(5.0, -2.6124)     # the first step crosses the basin boundary
       run = dr.train(net, batch, x0=x0, steps=30, lr=0.01, history="full", progress=False)
       axes = plot_training_basins(dr.global_continuation(run, n_samples=50, progress=False))
    """
    import matplotlib.pyplot as plt

    _check(result, "GlobalContinuationResult")
    if result.loss.size == 0:
        raise InvalidInputError("plot_training_basins needs a global continuation along a "
                                "training run (dr.global_continuation(training_result))",
                                argument="result", value=result.param_name)
    if axes is None:
        _, axes = plt.subplots(3, 1, figsize=(7, 7), sharex=True,
                               gridspec_kw={"height_ratios": [1, 1, 1.6]})
    axes = np.asarray(axes).ravel()
    axes[0].semilogy(result.steps, result.loss, color="black", linewidth=1)
    axes[0].set_ylabel("loss")
    axes[1].semilogy(result.steps, result.grad_norm, color="tab:red", linewidth=1)
    axes[1].set_ylabel("‖∇E‖")
    plot_fraction_areas(result, ax=axes[2], step="post")
    axes[2].set_xlabel("training step")
    colours = _colours(result.n_ids)
    labels = result.tracked_labels
    if labels.size:
        for k in range(labels.shape[1]):
            for j in np.unique(labels[:, k]):
                on = labels[:, k] == j
                colour = colours[j] if j >= 0 else _UNRESOLVED_COLOUR
                axes[2].plot(result.values[on], np.full(on.sum(), 1.02 + 0.03 * k), "s",
                             color=colour, markersize=3, clip_on=False,
                             markeredgecolor="black", markeredgewidth=0.3)
        axes[2].set_title("basin fractions; squares above: the attractor of x₀", fontsize="small")
        changes = np.flatnonzero(np.any(labels[1:] != labels[:-1], axis=1)) + 1
        for index in changes:
            for ax in axes:
                ax.axvline(result.values[index], color="tab:purple", linewidth=0.8, alpha=0.7)
    if events is not None:
        _draw_gradient_events(axes, events)
    return axes


#: Colours of the bifurcation kinds crossed (as in the training atlas).
_CROSSING_COLOURS = {"LP": "tab:red", "PD": "tab:purple", "NS": "tab:green",
                     "BC": "tab:brown"}


def _draw_gradient_events(axes, events) -> None:
    """Spikes (circles on the gradient norm), crossings and basin changes (vertical lines)."""
    if type(events).__name__ != "GradientEvents":
        raise InvalidTypeError(f"events must be the GradientEvents of dr.find_gradient_events, "
                               f"got {type(events).__name__}", argument="events",
                               value=type(events).__name__)
    for event in events:
        axes[1].plot([event.step], [event.grad_norm], "o", markerfacecolor="none",
                     markeredgecolor="tab:red", markersize=8)
        for crossing in event.crossings:
            kind = getattr(crossing.kind, "value", str(crossing.kind))
            for ax in axes:
                ax.axvline(crossing.step_a + crossing.s, linewidth=0.9,
                           color=_CROSSING_COLOURS.get(kind, "tab:gray"))
        for change in event.basin_changes:
            for ax in axes:
                ax.axvline(change.step_a + change.s, color="tab:blue", linestyle="--",
                           linewidth=0.9)


# -- figures of the scripted run ------------------------------------------------------------------
def figure_basins(result):
    """Basin image and fraction bars of one :class:`BasinsResult`, side by side.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2),
                                      gridspec_kw={"width_ratios": [1.6, 1]})
    plot_basins(result, ax=left)
    left.set_title("basins (× saddles, · boundary points)")
    plot_basin_fractions(result, ax=right)
    right.set_title("basin fractions")
    fig.tight_layout()
    return fig


def figure_global_continuation(result, diagram=None):
    """Attractor positions over the bifurcation diagram, and stacked basin fractions.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    plot_attractor_positions(result, ax=top, diagram=diagram)
    top.set_title("attractors found from the ensemble (□ linked bifurcation) over the branches")
    plot_fraction_areas(result, ax=bottom)
    bottom.set_title("basin fractions (lines: births and deaths; solid: fold)")
    fig.tight_layout()
    return fig


def figure_training_basins(result, events=None):
    """The training-run basin chart (see :func:`plot_training_basins`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    axes = plot_training_basins(result, events=events)
    fig = axes[0].figure
    fig.tight_layout()
    return fig
