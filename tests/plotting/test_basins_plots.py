"""The basin plots draw from result objects (computed or loaded) and return their axes/figures."""
import numpy as np
import pytest

import dynrnn as dr
from dynrnn.plotting import basins as plots
from tests.problems import one_unit

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


@pytest.fixture(scope="module")
def grid_2d():
    net = dr.RNN([[2.0, 0.3], [-0.2, 2.0]], b=[0.1, -0.2], activation="tanh")
    return dr.basins(net, grid=40, box=([-3.0, -3.0], [3.0, 3.0]), progress=False)


@pytest.fixture(scope="module")
def along_b():
    return dr.global_continuation(one_unit(5.0, 0.0, "tanh"), "b[0]", np.linspace(-5, 5, 11),
                                  box=([-7.0], [7.0]), n_samples=60, progress=False)


def test_basin_image_marks_attractors_and_saddles(grid_2d):
    import matplotlib.pyplot as plt
    ax = plots.plot_basins(grid_2d)
    image = ax.images[0].get_array()
    np.testing.assert_array_equal(image, grid_2d.labels + 2)
    markers = [line for line in ax.lines if line.get_marker() == "x"]
    assert len(markers) == len(grid_2d.saddles) == 4
    plt.close("all")


def test_one_dimensional_and_sampled_basins():
    import matplotlib.pyplot as plt
    result = dr.basins(one_unit(5.0, -2.45), grid=50, box=([-6.0], [6.0]), progress=False)
    ax = plots.plot_basins(result)
    assert ax.images and any(abs(line.get_xdata()[0] - result.exact_boundary[0]) < 1e-12
                             for line in ax.lines if line.get_linestyle() == ":")
    sampled = dr.basins(one_unit(5.0, -2.45), n_samples=50, box=([-6.0], [6.0]),
                        progress=False, boundaries=False)
    assert plots.plot_basins(sampled).collections
    plt.close("all")


def test_fraction_bars_with_intervals(grid_2d):
    import matplotlib.pyplot as plt
    ax = plots.plot_basin_fractions(grid_2d)
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, grid_2d.fractions)
    plt.close("all")


def test_global_continuation_figures(along_b, tmp_path):
    import matplotlib.pyplot as plt
    loaded = dr.load(dr.save(along_b, tmp_path / "gc.npz"))
    ax = plots.plot_fraction_areas(loaded)
    assert len(ax.collections) == loaded.n_ids
    fig = plots.figure_global_continuation(loaded)
    assert len(fig.axes) == 2
    plt.close("all")


def test_training_chart_needs_a_training_run(along_b):
    with pytest.raises(dr.InvalidInputError, match="training"):
        plots.plot_training_basins(along_b)


def test_training_chart():
    import matplotlib.pyplot as plt
    from dynrnn.gradients.error_surface import fig6_problem
    net, batch, x0 = fig6_problem(5.0, -2.0)
    run = dr.train(net, batch, steps=25, lr=0.3, x0=x0, history="full", progress=False)
    result = dr.global_continuation(run, box=([-4.0], [8.0]), n_samples=50, progress=False)
    axes = plots.plot_training_basins(result)
    assert len(axes) == 3
    np.testing.assert_allclose(axes[0].lines[0].get_ydata(), run.history.loss)
    plt.close("all")
