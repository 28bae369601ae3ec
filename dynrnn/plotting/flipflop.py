"""The flip-flop picture: trajectories of a trained network on its first three principal
components, its stable points and saddles, and the saddles' unstable manifolds."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["figure_flipflop", "plot_flipflop"]

_NAMES = {"rnn": "nn.RNN (tanh)", "gru": "nn.GRU", "lstm": "nn.LSTM"}
_COLOURS = {0: "black", 1: "tab:red", 2: "tab:orange", 3: "tab:purple"}


def _principal_axes(states: np.ndarray, n: int = 3):
    mean = states.mean(axis=0)
    _, _, vt = np.linalg.svd(states - mean, full_matrices=False)
    return mean, vt[:n]


def plot_flipflop(study, ax=None):
    """Draw one :class:`~dynrnn.scripts.flipflop.FlipFlopStudy` on a 3-D axes.

    Trajectories (grey), unstable manifolds of the saddles (red), stable points (black dots) and
    saddles (crosses coloured by their number of unstable directions), all projected on the
    first three principal components of the trajectories. Returns the axes.
    """
    if ax is None:
        from .figures import new_figure
        fig = new_figure(5.0, 4.5)
        ax = fig.add_subplot(projection="3d")
    paths = study.trajectories
    mean, axes = _principal_axes(paths.reshape(-1, paths.shape[-1]))

    def project(x):
        return (np.asarray(x) - mean) @ axes.T

    for trial in paths:
        p = project(trial)
        ax.plot(p[:, 0], p[:, 1], p[:, 2], color="0.75", lw=0.4, alpha=0.7)
    for curve in study.manifolds:
        p = project(curve)
        ax.plot(p[:, 0], p[:, 1], p[:, 2], color="tab:red", lw=1.0, alpha=0.9)
    for k in sorted({pt.n_unstable for pt in study.fixed_points}):
        pts = np.array([pt.x for pt in study.fixed_points if pt.n_unstable == k])
        p = project(pts)
        label = "stable" if k == 0 else f"{k} unstable dir."
        ax.scatter(p[:, 0], p[:, 1], p[:, 2], color=_COLOURS.get(k, "tab:brown"),
                   marker="o" if k == 0 else "x", s=40 if k == 0 else 44, label=label,
                   depthshade=False)
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.set_zlabel("PC 3")
    ax.set_title(f"{_NAMES.get(study.kind, study.kind)}, {study.n_hidden} units: "
                 f"{len(study.fixed_points)} fixed points", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    return ax


def figure_flipflop(studies: Sequence):
    """One 3-D panel per cell type, with a table of counts below. Returns the figure."""
    from .figures import new_figure
    fig = new_figure(4.2 * len(studies), 4.8, layout=None)
    for i, study in enumerate(studies):
        ax = fig.add_subplot(1, len(studies), i + 1, projection="3d")
        plot_flipflop(study, ax=ax)
    rows = []
    for s in studies:
        c = s.counts
        rows.append(f"{_NAMES.get(s.kind, s.kind)}: " + ", ".join(
            f"{v} {'stable' if k == 0 else f'with {k} unstable'}" for k, v in c.items())
            + f"  (max residual {max((p.residual for p in s.fixed_points), default=0):.0e}, "
            f"{s.seconds:.2f} s)")
    fig.text(0.5, 0.02, "\n".join(rows), ha="center", va="bottom", fontsize=8)
    fig.suptitle("3-bit flip-flop (Sussillo & Barak 2013): fixed points of trained networks "
                 "under zero input, trajectories and unstable manifolds on the first principal "
                 "components", fontsize=9)
    fig.subplots_adjust(left=0.02, right=0.98, top=0.9, bottom=0.16, wspace=0.05)
    return fig
