"""The fixed-point plots draw from result objects (Agg backend)."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import dynrnn as dr  # noqa: E402
from dynrnn.plotting import plot_fixed_points  # noqa: E402
from tests import problems as P  # noqa: E402


@pytest.mark.parametrize("make", [
    lambda: dr.find_fixed_points(P.one_unit(5.0, -2.5, "sigmoid")),
    lambda: dr.find_fixed_points(P.henon_map(), n_starts=32, seed=0),
    lambda: dr.find_fixed_points(P.random_tanh_net(20, 2.5, seed=0, bias_scale=0.2),
                                 n_starts=100, seed=0),
    lambda: dr.find_cycles(P.henon_map(), period=2, n_starts=64, seed=0),
])
def test_plot_fixed_points_makes_a_figure(make, tmp_path):
    import matplotlib.pyplot as plt

    result = make()
    fig = plot_fixed_points(result)
    assert len(fig.axes) == 2
    # one marker per point (or per cycle point) in the state panel
    offsets = np.concatenate([c.get_offsets() for c in fig.axes[0].collections])
    assert len(offsets) == sum(p.period for p in result)
    # filled markers are exactly the stable points
    n_filled = sum(np.allclose(c.get_facecolor()[0][:3], 0) for c in fig.axes[0].collections)
    assert n_filled == len(result.stable_points)
    fig.savefig(tmp_path / "fp.png")
    plt.close(fig)


def test_plot_on_given_axes():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    out = plot_fixed_points(dr.find_fixed_points(P.henon_map(), n_starts=16, seed=0), ax,
                            eigenvalues=False)
    assert out is fig
    plt.close(fig)
