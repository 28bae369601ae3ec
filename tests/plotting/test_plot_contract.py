"""Every public plot function returns what it drew on and accepts an ``ax`` where one axes makes
sense; the figures shown in the plotting docstrings (``.. plot::``) run.

The functions are enumerated from ``dynrnn.plotting.__all__``: a new one must either take
``ax=`` or be listed in ``NO_AX`` with the reason, so a plot that cannot be composed into a
notebook cell's figure does not slip in unnoticed.
"""
from __future__ import annotations

import inspect
import re
import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import dynrnn as dr  # noqa: E402
import dynrnn.plotting as plotting  # noqa: E402

#: public plotting functions without an ``ax=``, and why (they draw several panels)
NO_AX = {
    "plot_training_atlas": "two or three panels on one step axis (takes fig=)",
    "plot_training_basins": ("three panels: loss, gradient norm and basin fractions "
                             "(axes=, a sequence of 3)"),
    "save_figure": "writes a figure to a file; draws nothing",
    **{name: "a whole multi-panel figure of a scripted run" for name in plotting.__all__
       if name.startswith("figure_")},
}
#: what each plot function draws from, built by a small computation (module-level cache)
_INPUTS: dict[str, tuple] = {}


def _inputs() -> dict[str, tuple]:
    if _INPUTS:
        return _INPUTS
    net = dr.RNN([[5.0]], b=[-2.5], activation="sigmoid")
    diagram = dr.bifurcation_diagram(net, "b[0]", (-4.0, -1.0), progress=False)
    branch = max(diagram.branches, key=lambda b: len(b.params))
    fold = branch.bifurcations[0]
    curve = dr.continue_bifurcation(net.with_params({"b[0]": fold.param}), fold, "W_rec[0,0]",
                                    (4.5, 5.5), options=dr.BifurcationCurveOptions(max_points=20))
    logistic = dr.Map.from_sympy(["r*x*(1 - x)"], ["x"], {"r": 3.0}, box=(0.0, 1.0))
    orbits = dr.orbit_diagram(logistic, "r", np.linspace(2.8, 3.6, 20), n_transient=50,
                              n_keep=10)
    points = dr.find_fixed_points(net, seed=0)
    surface = dr.error_surface(np.linspace(4.0, 6.0, 4), np.linspace(-3.0, -2.0, 4), n_steps=10)
    rnn3 = dr.RNN(0.9 * np.eye(3), W_in=np.ones((3, 1)))
    products = dr.jacobian_products(rnn3, np.zeros(3), np.zeros((8, 1)), pairs="all")
    parts = dr.gradient_by_distance(rnn3, np.zeros(3), np.ones((8, 1)), np.ones((8, 3)))
    from dynrnn.sweep_examples import largest_lyapunov_exponent, one_unit_attractor_count
    counts = dr.sweep(one_unit_attractor_count, {"w": [1.0, 5.0, 8.0], "b": [-4.0, -2.5, 0.0]},
                      fixed={"activation": "sigmoid", "n_grid": 201}, executor="serial",
                      progress=False)
    lyapunov = dr.sweep(largest_lyapunov_exponent, {"gain": [0.5, 2.0], "bias_scale": [0.0, 1.0]},
                        fixed={"n": 4, "n_steps": 50, "n_transient": 10}, executor="serial",
                        progress=False)
    basins = dr.basins(net, grid=40, box=([-5.0], [5.0]), progress=False)
    assert basins.success and len(basins.attractors) == 2
    tracked = dr.global_continuation(net, "b[0]", np.linspace(-3.0, -2.0, 3), n_samples=20,
                                     progress=False)
    _INPUTS.update({
        "plot_branch": (branch,), "plot_bifurcation_diagram": (diagram,),
        "plot_two_parameter": (curve,), "plot_orbit_diagram": (orbits,),
        "plot_fixed_points": (points,), "plot_eigenvalues": (points,),
        "plot_error_surface": (surface,), "plot_jacobian_norms": (products,),
        "plot_gradient_by_distance": (parts,), "plot_attractor_counts": (counts,),
        "plot_lyapunov_map": (lyapunov,), "plot_basins": (basins,),
        "plot_basin_fractions": (basins,), "plot_fraction_areas": (tracked,),
        "plot_attractor_positions": (tracked,)})
    return _INPUTS


AX_FUNCTIONS = [name for name in plotting.__all__ if name not in NO_AX]


def test_every_plot_function_takes_ax_or_says_why_not():
    for name in plotting.__all__:
        parameters = inspect.signature(getattr(plotting, name)).parameters
        if name in NO_AX:
            assert "ax" not in parameters, f"{name} takes ax=: remove it from NO_AX"
        else:
            assert "ax" in parameters, f"{name} has no ax=; add it or list it in NO_AX"
    assert set(AX_FUNCTIONS) <= set(_inputs()) | {"plot_fixed_points"}


def test_every_plot_function_documents_what_it_returns():
    for name in plotting.__all__:
        doc = inspect.getdoc(getattr(plotting, name)) or ""
        returns = doc.split("Returns\n-------\n")[1] if "Returns\n-------\n" in doc else ""
        if name == "save_figure":
            continue
        assert "Axes" in returns or "Figure" in returns, f"{name}: no Returns of Axes/Figure"


@pytest.mark.parametrize("name", AX_FUNCTIONS)
def test_plot_draws_into_the_given_axes_and_returns_it(name):
    function = getattr(plotting, name)
    arguments = _inputs()[name]
    figure, axes = plt.subplots(1, 2)
    try:
        if name == "plot_fixed_points":   # states and multipliers: a pair of axes
            returned = function(*arguments, ax=axes)
            assert returned is figure
            assert axes[0].lines or axes[0].collections
            assert axes[1].lines or axes[1].collections
            return
        returned = function(*arguments, ax=axes[0])
        assert returned is axes[0], f"{name} returned {returned!r}, not the axes it was given"
        assert axes[0].lines or axes[0].collections or axes[0].images or axes[0].patches
        assert not (axes[1].lines or axes[1].collections), f"{name} drew outside its axes"
    finally:
        plt.close(figure)


@pytest.mark.parametrize("name", AX_FUNCTIONS)
def test_plot_without_ax_makes_a_figure(name):
    before = [plt.figure(number) for number in plt.get_fignums()]
    returned = getattr(plotting, name)(*_inputs()[name])
    try:
        owner = returned if isinstance(returned, matplotlib.figure.Figure) else returned.figure
        assert isinstance(owner, matplotlib.figure.Figure)
        assert all(owner is not figure for figure in before)
    finally:
        plt.close("all")


def test_multi_panel_plots_return_their_figure():
    from dynrnn.gradients import fig6_problem
    net, batch, x0 = fig6_problem(5.0, -2.6124)
    run = dr.train(net, batch, x0=x0, steps=6, lr=0.01, history="full", progress=False)
    events = dr.find_gradient_events(run, progress=False)
    try:
        figure = plotting.plot_training_atlas(run, events)
        assert isinstance(figure, matplotlib.figure.Figure) and len(figure.axes) >= 2
        for draw, args in ((plotting.figure_training_atlas, (run, events)),
                           (plotting.figure_diagram, (_inputs()["plot_bifurcation_diagram"][0],)),
                           (plotting.figure_basins, _inputs()["plot_basins"]),
                           (plotting.figure_global_continuation,
                            _inputs()["plot_fraction_areas"])):
            assert isinstance(draw(*args), matplotlib.figure.Figure), draw.__name__
    finally:
        plt.close("all")


def _docstring_figures() -> list[tuple[str, str]]:
    blocks = []
    for name in plotting.__all__:
        doc = inspect.getdoc(getattr(plotting, name)) or ""
        for match in re.finditer(r"^\.\. plot::\n\n((?:   .*\n|\n)+)", doc + "\n", re.M):
            blocks.append((name, textwrap.dedent(match.group(1))))
    return blocks


def test_plot_docstrings_show_figures():
    """The main plot functions show a figure in their docstring (rendered by the docs build)."""
    shown = {name for name, _ in _docstring_figures()}
    expected = {"plot_branch", "plot_bifurcation_diagram", "plot_two_parameter",
                "plot_orbit_diagram", "plot_fixed_points", "plot_eigenvalues",
                "plot_training_atlas", "plot_error_surface", "plot_jacobian_norms",
                "plot_gradient_by_distance", "plot_attractor_counts", "plot_lyapunov_map",
                "plot_basins", "plot_basin_fractions", "plot_fraction_areas",
                "plot_attractor_positions", "plot_training_basins"}
    assert expected <= shown, f"no figure in the docstring of {sorted(expected - shown)}"


@pytest.mark.parametrize("name, code", _docstring_figures(), ids=lambda v: v if
                         isinstance(v, str) and v.startswith("plot") else "")
def test_docstring_figure_runs(name, code):
    """Each ``.. plot::`` example runs and leaves a figure with something drawn."""
    plt.close("all")
    try:
        exec(compile(code, f"<{name} docstring>", "exec"), {})
        figure = plt.gcf()
        assert any(ax.lines or ax.collections or ax.images or ax.patches for ax in figure.axes)
    finally:
        plt.close("all")
