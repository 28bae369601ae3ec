"""Plots of training and gradients: the training atlas (loss, gradient norm and the bifurcations
crossed on one step axis), the Fig. 6 error surface with descent paths, and Jacobian-product norms
against the temporal distance t − k. matplotlib is imported inside the functions only."""
from __future__ import annotations

import numpy as np

__all__ = ["plot_training_atlas", "plot_error_surface", "plot_jacobian_norms",
           "plot_gradient_by_distance"]

_KIND_COLOURS = {"LP": "tab:red", "PD": "tab:purple", "NS": "tab:green", "BP": "tab:orange",
                 "BC": "tab:brown",   # border collisions of ReLU networks
                 "basin": "tab:blue"}


def plot_training_atlas(result, events=None, *, surface=None, param_names=("W_rec", "b"),
                        fig=None, title: str | None = None):
    """Loss, gradient norm (log scale; clipped steps marked) and the crossings on one step axis.

    Parameters
    ----------
    result : TrainingResult, TrainingHistory or Recording
    events : GradientEvents, optional
        Spikes are marked, and every relevant bifurcation crossing (kind, at step a + s) and basin
        change is drawn as a vertical line labelled with its kind; irrelevant crossings dotted
        grey.
    surface : ErrorSurface, optional
        For one-unit networks: a third panel with the parameter path over the (w, b) error
        surface.
    param_names : (str, str)
        The two arrays (first entries) giving the path's axes.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    .. plot::

       import dynrnn as dr
       from dynrnn.gradients import fig6_problem
       from dynrnn.plotting import plot_training_atlas
       net, batch, x0 = fig6_problem(5.0, -2.6124)    # the one-unit problem of Fig. 6
       run = dr.train(net, batch, x0=x0, steps=30, lr=0.01, history="full", progress=False)
       fig = plot_training_atlas(run, dr.find_gradient_events(run, progress=False))
    """
    import matplotlib.pyplot as plt
    hist = getattr(result, "history", result)
    steps = np.arange(hist.n_steps)
    n_panels = 3 if surface is not None else 2
    if fig is None:
        fig = plt.figure(figsize=(8, 2.6 * n_panels + 0.5))
    axes = fig.subplots(n_panels, 1, squeeze=True) if n_panels > 1 else [fig.subplots()]
    ax_loss, ax_g = axes[0], axes[1]
    ax_loss.plot(steps, hist.loss, lw=1, color="k")
    ax_loss.set_ylabel("loss")
    g = np.where(np.isfinite(hist.grad_norm), hist.grad_norm, np.nan)
    ax_g.semilogy(steps, g, lw=1, color="0.3", label="‖g‖ before clipping")
    if hist.clipped.any():
        ax_g.semilogy(steps[hist.clipped], g[hist.clipped], "x", ms=4, color="tab:orange",
                      label="clipped")
    if hist.nonfinite.any():
        top = np.nanmax(g) if np.isfinite(np.nanmax(g)) else 1.0
        ax_g.semilogy(steps[hist.nonfinite], np.full(hist.nonfinite.sum(), top), "v",
                      color="tab:red", label="non-finite")
    ax_g.set_ylabel("gradient norm")
    ax_g.set_xlabel("step")
    if events is not None:
        seen = set()
        for e in events:
            ax_g.plot([e.step], [e.grad_norm], "o", mfc="none", color="tab:red", ms=8)
            for c in e.crossings:
                col = _KIND_COLOURS.get(c.kind, "tab:gray")
                lab = c.kind if c.kind not in seen else None
                seen.add(c.kind)
                for ax in (ax_loss, ax_g):
                    ax.axvline(c.step_a + c.s, color=col, lw=0.8, alpha=0.7,
                               label=lab if ax is ax_g else None)
            for c in getattr(e, "irrelevant_crossings", ()):
                lab = "irrelevant crossing" if "irrelevant" not in seen else None
                seen.add("irrelevant")
                for ax in (ax_loss, ax_g):
                    ax.axvline(c.step_a + c.s, color="0.6", ls=":", lw=0.8,
                               label=lab if ax is ax_g else None)
            for bc in e.basin_changes:
                lab = "basin change" if "basin" not in seen else None
                seen.add("basin")
                for ax in (ax_loss, ax_g):
                    ax.axvline(bc.step_a + bc.s, color=_KIND_COLOURS["basin"], ls="--", lw=0.8,
                               label=lab if ax is ax_g else None)
    ax_g.legend(fontsize=7, loc="upper right")
    if surface is not None:
        ax_s = axes[2]
        plot_error_surface(surface, [result], ax=ax_s, param_names=param_names)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _path(result, param_names):
    hist = getattr(result, "history", result)
    cols, i = {}, 0
    for name, shape in hist.layout:
        size = int(np.prod(shape)) if len(shape) else 1
        cols[name] = i
        i += size
    a, b = (cols[p] for p in param_names)
    return hist.params[:, a], hist.params[:, b]


def plot_error_surface(surface, paths=(), *, ax=None, labels=None, log=True,
                       param_names=("W_rec", "b")):
    """The Fig. 6 loss over (w, b) with descent paths (TrainingResults with full history).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    .. plot::

       import numpy as np
       import dynrnn as dr
       from dynrnn.plotting import plot_error_surface
       surface = dr.error_surface(np.linspace(0.0, 10.0, 40), np.linspace(-8.0, 2.0, 40))
       paths = dr.descent_paths((5.0, -2.6), lr=0.01, steps=15, clips=(None, 1.0))
       ax = plot_error_surface(surface, paths=paths, labels=("plain", "clipped"))
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    L = surface.loss.T
    norm = LogNorm(vmin=max(np.nanmin(L[L > 0]) if np.any(L > 0) else 1e-12, 1e-12),
                   vmax=np.nanmax(L)) if log else None
    mesh = ax.pcolormesh(surface.w_values, surface.b_values, L, shading="auto", norm=norm,
                         cmap="viridis")
    ax.figure.colorbar(mesh, ax=ax, label="E")
    colours = ["w", "tab:red", "tab:orange", "tab:pink"]
    for i, res in enumerate(paths):
        w, b = _path(res, param_names)
        lab = labels[i] if labels is not None else (
            f"clip {res.history.clip:g}" if getattr(res.history, "clip", 0) else "plain SGD")
        ax.plot(w, b, "-o", ms=2.5, lw=1, color=colours[i % len(colours)], label=lab)
    ax.set_xlim(surface.w_values[0], surface.w_values[-1])
    ax.set_ylim(surface.b_values[0], surface.b_values[-1])
    ax.set_xlabel("w")
    ax.set_ylabel("b")
    if paths:
        ax.legend(fontsize=8)
    return ax


def plot_jacobian_norms(products, *, ax=None, show_bound: bool = True):
    """log₁₀‖∂x_t/∂x_k‖ against t − k (all pairs as points, their median as a line), with the §2.1
    bound (γλ₁)^(t−k).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    .. plot::

       import numpy as np
       import dynrnn as dr
       from dynrnn.plotting import plot_jacobian_norms
       net = dr.RNN(0.9 * np.eye(3), W_in=np.ones((3, 1)))
       products = dr.jacobian_products(net, np.zeros(3), np.zeros((30, 1)), pairs="all")
       ax = plot_jacobian_norms(products)          # the §2.1 bound (γλ₁)^(t−k) as a line
    """
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    ln10 = np.log(10.0)
    if products.pairs == "last":
        d, v = products.by_distance()
        ax.plot(d, v / ln10, lw=1.2, label=f"‖∂x_T/∂x_k‖ ({products.norm})")
    else:
        d, per = products.by_distance()
        for di, v in zip(d, per):
            if v.size:
                ax.plot(np.full(v.size, di), v / ln10, ".", ms=1.5, color="0.6", alpha=0.5)
        med = np.array([np.median(v) if v.size else np.nan for v in per])
        ax.plot(d, med / ln10, lw=1.5, color="k", label=f"median ‖∂x_t/∂x_k‖ ({products.norm})")
    if show_bound:
        T = products.log_norms.shape[0] - 1
        dd = np.arange(T + 1)
        base = products.gamma * products.lambda1
        ax.plot(dd, dd * np.log10(base), "--", color="tab:red",
                label=f"(γλ₁)^(t−k), γλ₁ = {base:.3g}")
    ax.set_xlabel("t − k")
    ax.set_ylabel("log₁₀ norm")
    ax.legend(fontsize=8)
    return ax


def plot_gradient_by_distance(decomposition, *, ax=None, names=("W_rec", "W_in", "b")):
    """Norms of the eq. (4) contributions to ∂E/∂θ by temporal distance (log scale).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    .. plot::

       import numpy as np
       import dynrnn as dr
       from dynrnn.plotting import plot_gradient_by_distance
       rng = np.random.default_rng(0)
       net = dr.RNN(rng.normal(scale=0.4, size=(3, 3)), W_in=np.ones((3, 1)))
       parts = dr.gradient_by_distance(net, np.zeros(3), rng.normal(size=(30, 1)),
                                       rng.normal(size=(30, 3)))
       ax = plot_gradient_by_distance(parts)
    """
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    for name in names:
        v = decomposition.norms[name]
        if np.any(v > 0):
            ax.semilogy(decomposition.distances, np.where(v > 0, v, np.nan), lw=1.2,
                        label=f"∂E/∂{name}")
    ax.set_xlabel("temporal distance t − k")
    ax.set_ylabel("norm of contribution")
    ax.legend(fontsize=8)
    return ax
