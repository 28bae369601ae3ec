"""The training plots render (Agg) from result objects."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from scipy.special import expit  # noqa: E402

import dynrnn as dr
from tests.gradients.oracle_1d import scan_1d  # noqa: E402
from dynrnn.gradients import (descent_paths, error_surface, find_gradient_events,  # noqa: E402
                              gradient_by_distance, jacobian_products)
from dynrnn.plotting import (plot_error_surface, plot_gradient_by_distance,  # noqa: E402
                             plot_jacobian_norms, plot_training_atlas)


def test_atlas_and_surface_render(tmp_path):
    import matplotlib.pyplot as plt
    b_wall = 0.5 - 5 * expit(0.5)
    plain, clipped = descent_paths((5.0, b_wall - 1e-4), lr=0.01, steps=20)
    ev = find_gradient_events(plain, continuation_method=scan_1d)
    surf = error_surface(np.linspace(3, 11, 60), np.linspace(-5, 6, 60))
    fig = plot_training_atlas(plain, ev, surface=surf, title="Fig. 6")
    assert len(fig.axes) >= 3
    # the crossings are drawn as vertical lines on the gradient panel
    assert len(fig.axes[1].lines) >= 3
    fig.savefig(tmp_path / "atlas.png")
    ax = plot_error_surface(surf, [plain, clipped])
    assert len(ax.lines) == 2
    plt.close("all")


def test_jacobian_plots_render(tmp_path):
    import matplotlib.pyplot as plt
    rng = np.random.default_rng(0)
    net = dr.RNN(rng.normal(0, 0.4, (5, 5)), rng.normal(size=(5, 1)))
    U = rng.normal(size=(30, 1))
    for pairs in ("all", "last"):
        ax = plot_jacobian_norms(jacobian_products(net, np.zeros(5), U, pairs=pairs))
        assert len(ax.lines) >= 2
    dec = gradient_by_distance(net, np.zeros((2, 5)), rng.normal(size=(30, 2, 1)),
                               rng.normal(size=(30, 2, 5)))
    ax = plot_gradient_by_distance(dec)
    assert len(ax.lines) == 3
    ax.figure.savefig(tmp_path / "dist.png")
    plt.close("all")
