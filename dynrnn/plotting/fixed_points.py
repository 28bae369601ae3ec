"""Plots of fixed-point and cycle searches (:class:`~dynrnn.FixedPointResult`).

matplotlib is imported inside the functions, so ``import dynrnn`` needs no display.
"""
from __future__ import annotations

import numpy as np

__all__ = ["plot_fixed_points", "plot_eigenvalues"]


def _projection(states: np.ndarray, projection: str) -> tuple[np.ndarray, tuple[str, str]]:
    """Coordinates (m, 2) of the points, and the axis labels."""
    n = states.shape[1]
    if n == 1:
        return np.column_stack([states[:, 0], np.zeros(len(states))]), ("x[0]", "")
    if projection == "pca" and len(states) >= 2:
        centred = states - states.mean(axis=0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        basis = vt[:2].T if vt.shape[0] >= 2 else np.eye(n)[:, :2]
        return centred @ basis, ("PC 1", "PC 2")
    return states[:, :2], ("x[0]", "x[1]")


def plot_eigenvalues(result, ax=None):
    """The eigenvalues (multipliers) of every point in the complex plane, with the unit circle.

    Parameters
    ----------
    result : FixedPointResult
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    .. plot::

       import dynrnn as dr
       from dynrnn.plotting import plot_eigenvalues
       net = dr.RNN([[5.0]], b=[-2.5], activation="sigmoid")   # x -> 5σ(x) - 2.5
       ax = plot_eigenvalues(dr.find_fixed_points(net, seed=0))
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    t = np.linspace(0, 2 * np.pi, 400)
    ax.plot(np.cos(t), np.sin(t), color="0.5", lw=1, label="|λ| = 1")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, p in enumerate(result):
        lam = p.eigenvalues
        ax.scatter(lam.real, lam.imag, s=18, color=colors[i % len(colors)],
                   facecolors=colors[i % len(colors)] if p.stable else "none",
                   label=f"#{i} {p.description}")
    ax.set_aspect("equal", adjustable="datalim")
    ax.axhline(0, color="0.85", lw=0.5)
    ax.axvline(0, color="0.85", lw=0.5)
    ax.set_xlabel("Re λ")
    ax.set_ylabel("Im λ")
    what = "multipliers" if result.period > 1 else "eigenvalues"
    ax.set_title(f"{what} (filled: stable point)")
    if len(result) <= 8:
        ax.legend(fontsize="x-small", loc="best")
    return ax


def plot_fixed_points(result, ax=None, *, projection: str = "auto", eigenvalues: bool = True):
    """The points of a search (stable filled, unstable open) and, optionally, their eigenvalues.

    Parameters
    ----------
    result : FixedPointResult
    ax : matplotlib Axes or pair of Axes, optional
        One Axes for the states; a pair (states, eigenvalues) when ``eigenvalues`` is True.
        A new figure is made when omitted.
    projection : {"auto", "pca", "coordinates"}
        States on their first two coordinates, or on the first two principal components of
        the points ("auto": PCA when the state has more than 2 dimensions). Cycles are drawn as
        closed polygons through their points.
    eigenvalues : bool
        Also draw the eigenvalues (multipliers) in the complex plane with the unit circle.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    .. plot::

       import dynrnn as dr
       from dynrnn.plotting import plot_fixed_points
       net = dr.RNN([[1.5, -0.5], [0.5, 1.5]], b=[0.1, -0.1])     # tanh, 2 units
       points = dr.find_fixed_points(net, seed=0)
       fig = plot_fixed_points(points)   # states (left) and multipliers (right)
    """
    import matplotlib.pyplot as plt

    if ax is None:
        if eigenvalues:
            fig, (ax_x, ax_l) = plt.subplots(1, 2, figsize=(9, 4))
        else:
            fig, ax_x = plt.subplots(figsize=(4.5, 4))
            ax_l = None
    else:
        if eigenvalues:
            ax_x, ax_l = ax
        else:
            ax_x, ax_l = ax, None
        fig = ax_x.figure
    points = list(result)
    if points:
        n = result.n_states or points[0].x.size
        mode = projection
        if projection == "auto":
            mode = "pca" if n > 2 else "coordinates"
        orbits = [p.orbit for p in points]
        all_states = np.concatenate(orbits, axis=0)
        coords, labels = _projection(all_states, mode)
        start = 0
        for i, p in enumerate(points):
            c = coords[start:start + p.period]
            start += p.period
            style = dict(s=40, edgecolors="k", linewidths=1,
                         facecolors="k" if p.stable else "white", zorder=3)
            ax_x.scatter(c[:, 0], c[:, 1], **style)
            if p.period > 1:
                loop = np.vstack([c, c[:1]])
                ax_x.plot(loop[:, 0], loop[:, 1], color="0.6", lw=0.8, zorder=2)
            ax_x.annotate(str(i), c[0], textcoords="offset points", xytext=(4, 4),
                          fontsize="x-small")
        ax_x.set_xlabel(labels[0])
        ax_x.set_ylabel(labels[1])
    what = "fixed points" if result.period == 1 else f"{result.period}-cycles"
    ax_x.set_title(f"{len(points)} {what} (filled: stable)"
                   + (", all of them" if result.exhaustive else ""))
    if ax_l is not None:
        plot_eigenvalues(result, ax_l)
    return fig
