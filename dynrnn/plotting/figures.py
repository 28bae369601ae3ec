"""The figures of the scripted analysis runs (``dynrnn reproduce``), composed from the per-area
plots. Every function takes result objects (computed, or loaded with :func:`dynrnn.load`) and
returns a :class:`matplotlib.figure.Figure`; nothing is recomputed. Figures are made with the
object-oriented API (no pyplot state), so they can be drawn in worker processes and without a
display. Lines are black and grey with distinct line styles and markers, so the figures read in
grey scale: stable branches solid, unstable dashed.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from ..io.atomic import atomic_write

__all__ = ["new_figure", "save_figure", "draw_diagram", "figure_diagram", "figure_fig3",
           "figure_fig6", "figure_training_atlas", "figure_success_rate",
           "figure_trained_network", "figure_custom_map"]


def new_figure(width: float, height: float,
               layout: Literal["constrained", "compressed", "tight"] | None = "constrained"):
    """A figure not registered with pyplot (no global state; closed by garbage collection)."""
    from matplotlib.figure import Figure
    return Figure(figsize=(width, height), layout=layout)


def save_figure(fig, path: str | os.PathLike, *, dpi: int = 150) -> Path:
    """Write ``fig`` (PNG by suffix) atomically, through ``dynrnn.io.atomic.atomic_write``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    png = path.suffix.lower() == ".png"
    return atomic_write(path, lambda fh: fig.savefig(
        fh, dpi=dpi, format=path.suffix.lstrip(".") or "png",
        metadata={"Software": None} if png else None))


def _point_label(ax, bif, param_name: str, side: int, period: int = 1) -> None:
    """A dotted vertical line at a special point, labelled with its kind and parameter value."""
    from matplotlib.transforms import blended_transform_factory

    kind = bif.kind.value if period == 1 else f"{bif.kind.value} (period {period})"
    ax.axvline(bif.param, color="0.35", ls=":", lw=0.8, zorder=1)
    ax.text(bif.param, 0.03, f"{kind}  {param_name} = {bif.param:.4f}", rotation=90,
            transform=blended_transform_factory(ax.transData, ax.transAxes),
            ha="right" if side < 0 else "left", va="bottom", fontsize=7,
            bbox=dict(boxstyle="square,pad=0.15", fc="white", ec="none", alpha=0.8))


def draw_diagram(ax, diagram, orbits=None, *, component: int = 0, label_points: bool = True,
                 legend: bool = True, orbit_markersize: float = 3.0) -> None:
    """Draw a :class:`~dynrnn.analysis.BifurcationDiagram` (continuation branches: stable solid,
    unstable dashed) over an :class:`~dynrnn.analysis.OrbitDiagram` (grey dots) on ``ax``;
    special points are marked and labelled with their parameter values."""
    from .diagrams import plot_bifurcation_diagram
    from .two_parameter import plot_orbit_diagram

    if orbits is not None:
        plot_orbit_diagram(orbits, ax=ax, component=None if orbits.component is not None
                           else component, color="0.72", markersize=orbit_markersize,
                           alpha=0.6)
        ax.plot([], [], ls="none", marker=".", ms=8, color="0.72",
                label="orbit diagram (attractors)")
    plot_bifurcation_diagram(diagram, ax=ax, component=component, annotate=False)
    ax.plot([], [], color="black", lw=1.6, ls="-", label="stable branch")
    ax.plot([], [], color="black", lw=1.6, ls="--", label="unstable branch")
    if label_points:
        unique: list = []   # the same point may end one branch and start a switched one
        for br in diagram.branches:
            for bif in br.bifurcations:
                if not any(abs(bif.param - b.param) < 1e-6 and bif.kind == b.kind
                           for b, _ in unique):
                    unique.append((bif, br.period))
        unique.sort(key=lambda item: item[0].param)
        for rank, (bif, period) in enumerate(unique):
            _point_label(ax, bif, diagram.param_name, -1 if rank % 2 == 0 else 1, period)
    ax.set_xlim(*diagram.bounds)
    ax.set_xlabel(diagram.param_name)
    ax.set_ylabel(f"x[{component}]" if diagram.branches and
                  diagram.branches[0].states.shape[1] > 1 else "x")
    if legend:
        handles, labels = ax.get_legend_handles_labels()
        keep = {}
        for h, lab in zip(handles, labels):
            if lab and not lab.startswith("_") and lab not in keep and lab != "fixed points":
                keep[lab] = h
        # below the axes, so that it hides neither data nor the labels of special points
        ax.legend(keep.values(), keep.keys(), fontsize=7, loc="upper center",
                  bbox_to_anchor=(0.5, -0.14), ncol=min(len(keep), 3), frameon=False)


def figure_diagram(diagram, orbits=None, *, component: int = 0, title: str | None = None):
    """One bifurcation diagram over its orbit diagram (``dynrnn diagram``).

    Returns
    -------
    matplotlib.figure.Figure
        A new figure (not registered with pyplot: save it, or show it in a notebook cell).
    """
    fig = new_figure(6.4, 4.8)
    ax = fig.add_subplot()
    draw_diagram(ax, diagram, orbits, component=component, orbit_markersize=1.5)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def figure_fig3(panels: Sequence[tuple]):
    """Fig. 3 of Pascanu et al. (2013): x_t = 5 σ(x_{t-1}) + b for several σ, side by side.

    Parameters
    ----------
    panels : sequence of (title, BifurcationDiagram, OrbitDiagram)

    Returns
    -------
    matplotlib.figure.Figure
        A new figure (not registered with pyplot: save it, or show it in a notebook cell).
    """
    fig = new_figure(5.2 * len(panels), 4.7)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (title, diagram, orbits) in zip(axes, panels):
        draw_diagram(ax, diagram, orbits)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("b")
        ax.set_ylabel("fixed points and attractors x*")
    fig.suptitle("One-unit network x → 5σ(x) + b: folds bound the bistable interval "
                 "(Pascanu et al. 2013, Fig. 3)", fontsize=10)
    return fig


def figure_fig6(surface, plain, clipped, *, zoom=None, wall_w: float | None = None):
    """Fig. 6 of Pascanu et al. (2013): the error surface of the one-unit model with its wall,
    and gradient descent with and without clipping from the same start.

    Parameters
    ----------
    surface : ErrorSurface
        The whole (w, b) window.
    plain, clipped : TrainingResult
        Descent paths (full histories) without and with clipping.
    zoom : ErrorSurface, optional
        A finer surface around the start, drawn as a second panel.
    wall_w : float, optional
        A third panel shows E and ‖∇E‖ along b at this w (the nearest grid column).

    Returns
    -------
    matplotlib.figure.Figure
        A new figure (not registered with pyplot: save it, or show it in a notebook cell).
    """
    from .training import plot_error_surface

    n = 1 + (zoom is not None) + (wall_w is not None)
    fig = new_figure(4.6 * n, 4.2)
    axes = list(fig.subplots(1, n, squeeze=False)[0])
    ax = axes.pop(0)
    plot_error_surface(surface, [], ax=ax)
    _draw_paths(ax, plain, clipped)
    ax.set_title("E = (σ(x₅₀) − 0.7)², x₀ = 0.5 (log colour)", fontsize=9)
    if zoom is not None:
        ax = axes.pop(0)
        plot_error_surface(zoom, [], ax=ax)
        _draw_paths(ax, plain, clipped)
        ax.set_title("near the start: the plain step jumps off the wall,\nthe clipped steps stay",
                     fontsize=9)
    if wall_w is not None:
        ax = axes.pop(0)
        i = int(np.argmin(np.abs(surface.w_values - wall_w)))
        b = surface.b_values
        ax.semilogy(b, surface.loss[i], color="black", lw=1.4, label="E")
        ax.semilogy(b, surface.grad_norm[i], color="0.5", lw=1.2, ls="--", label="‖∇E‖")
        ax.set_xlabel("b")
        ax.set_ylabel("E and ‖∇E‖ (log)")
        ax.set_title(f"a cut at w = {surface.w_values[i]:.3g}: the wall", fontsize=9)
        ax.legend(fontsize=8)
    fig.suptitle("The one-unit error surface and its wall (Pascanu et al. 2013, Fig. 6)",
                 fontsize=10)
    return fig


def _draw_paths(ax, plain, clipped) -> None:
    import matplotlib.patheffects as pe

    lim = ax.get_xlim(), ax.get_ylim()
    outline = [pe.Stroke(linewidth=3.2, foreground="black"), pe.Normal()]
    for result, colour, marker, label in (
            (plain, "white", "o", "plain gradient descent"),
            (clipped, "black", "s", f"clipped (threshold {clipped.history.clip:g})")):
        p = result.history.params
        ax.plot(p[:, 0], p[:, 1], color=colour, marker=marker, ms=3.5, lw=1.6, mec="black",
                mew=0.6, label=label, path_effects=outline if colour == "white" else None)
    ax.plot(p[0, 0], p[0, 1], marker="*", ms=13, color="white", mec="black", ls="none",
            label="start")
    ax.set_xlim(*lim[0])
    ax.set_ylim(*lim[1])
    ax.legend(fontsize=7, loc="lower left", framealpha=0.9, facecolor="0.85")


def figure_training_atlas(result, events=None, *, surface=None, title: str | None = None):
    """Loss, gradient norm and the bifurcations crossed, on one step axis (and, for a one-unit
    network, the parameter path over the error surface).

    Returns
    -------
    matplotlib.figure.Figure
        A new figure (not registered with pyplot: save it, or show it in a notebook cell).
    """
    from .training import plot_training_atlas

    n_panels = 3 if surface is not None else 2
    fig = new_figure(8.0, 2.5 * n_panels + 0.6, layout=None)   # the atlas uses tight_layout
    plot_training_atlas(result, events, surface=surface, fig=fig, title=title)
    return fig


_INIT_MARKERS = {"sigmoid": "o", "basic_tanh": "s", "smart_tanh": "^"}


def figure_success_rate(sweep, *, title: str | None = None):
    """Success rate against sequence length (scaled-down Fig. 7 of Pascanu et al. 2013).

    Parameters
    ----------
    sweep : SweepResult
        Axes ``init``, ``method``, ``length``, ``seed`` and the output ``success`` (0 or 1).

    Returns
    -------
    matplotlib.figure.Figure
        A new figure (not registered with pyplot: save it, or show it in a notebook cell).
    """
    rate = np.nanmean(sweep.data["success"], axis=sweep.axes.index("seed"))
    inits = [str(v) for v in sweep.coordinates["init"]]
    methods = [str(v) for v in sweep.coordinates["method"]]
    lengths = np.asarray(sweep.coordinates["length"], dtype=float)
    n_seeds = len(sweep.coordinates["seed"])
    fig = new_figure(6.4, 5.2)
    ax = fig.add_subplot()
    styles = {"sgd": ("--", "0.45", "SGD"), "clip+reg": ("-", "black", "clipping + Ω")}
    offsets = np.linspace(-0.015, 0.015, len(inits) * len(methods)).reshape(len(inits), -1)
    for i, init in enumerate(inits):
        for j, method in enumerate(methods):
            ls, colour, name = styles.get(method, ("-.", "0.3", method))
            ax.plot(lengths, rate[i, j] + offsets[i, j], ls=ls, color=colour,
                    marker=_INIT_MARKERS.get(init, "x"), mfc="white" if method == "sgd" else
                    colour, label=f"{init}, {name}")
    ax.set_ylim(-0.05, 1.05)
    ax.set_xticks(lengths)
    ax.set_xlabel("sequence length")
    ax.set_ylabel(f"success rate over {n_seeds} seeds")
    ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.14),
              title="initialisation, training (SGD: dashed, open markers)", title_fontsize=7)
    ax.set_title(title or "Temporal-order task", fontsize=9)
    return fig


def figure_trained_network(training, points, diagram, *, title: str | None = None):
    """A trained network: its training loss, the fixed points of the final network (eigenvalues
    against the unit circle) and the branches along the last training segment.

    Parameters
    ----------
    training : object with ``loss`` (n_steps,) and ``checkpoint_steps``
    points : FixedPointResult
    diagram : BifurcationDiagram
        Continuation in s along the segment θ(s) = (1 − s) θ_a + s θ_b.

    Returns
    -------
    matplotlib.figure.Figure
        A new figure (not registered with pyplot: save it, or show it in a notebook cell).
    """
    from .fixed_points import plot_eigenvalues

    fig = new_figure(13.5, 4.4)
    ax_loss, ax_eig, ax_br = fig.subplots(1, 3)
    steps = np.arange(1, len(training.loss) + 1)
    ax_loss.semilogy(steps, training.loss, color="black", lw=1)
    for k in training.checkpoint_steps:
        ax_loss.axvline(k, color="0.5", ls=":", lw=1)
    ax_loss.set_xlabel("training step (dotted: the last two checkpoints)")
    ax_loss.set_ylabel("training loss (log)")
    ax_loss.set_title("torch.nn.RNN training", fontsize=9)
    plot_eigenvalues(points, ax=ax_eig)
    ax_eig.set_title(f"{len(points.points)} fixed point(s) of the final network "
                     f"({len(points.stable_points)} stable)", fontsize=9)
    draw_diagram(ax_br, diagram, None, component=0)
    ax_br.set_xlabel("s on the last training segment (0: checkpoint a, 1: final)")
    ax_br.set_title("fixed points continued along the segment", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def figure_custom_map(diagram, orbits, curves, *, title: str | None = None):
    """A custom map: bifurcation diagram over the orbit diagram, and the two-parameter diagram
    (curves of folds, flips, Neimark–Sacker points with their codimension-two points).

    Returns
    -------
    matplotlib.figure.Figure
        A new figure (not registered with pyplot: save it, or show it in a notebook cell).
    """
    from .two_parameter import plot_two_parameter

    fig = new_figure(11.5, 4.8)
    ax_d, ax_c = fig.subplots(1, 2)
    draw_diagram(ax_d, diagram, orbits, component=0, orbit_markersize=1.0)
    ax_d.set_title("one parameter: branches over the orbit diagram", fontsize=9)
    plot_two_parameter(list(curves), ax=ax_c)
    ax_c.set_title("two parameters: bifurcation curves", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
