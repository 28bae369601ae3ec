"""The two-parameter and orbit-diagram plots render (Agg) from result objects."""
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import dynrnn as dr  # noqa: E402
from dynrnn.plotting import plot_orbit_diagram, plot_two_parameter  # noqa: E402
from tests import problems as P  # noqa: E402
from tests.analysis.test_two_parameter import henon_lp, henon_pd  # noqa: E402


def render(ax) -> int:
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png", dpi=60)
    plt.close(ax.figure)
    return buf.tell()


def test_two_parameter_diagram_renders_curves_and_labelled_points():
    henon, lp = henon_lp(0.3)
    fold = dr.continue_bifurcation(henon, lp, "b", (-1.5, 0.9))
    henon, pd = henon_pd(0.3)
    flip = dr.continue_bifurcation(henon, pd, "b", (-1.5, 0.9))
    ax = plot_two_parameter([fold, flip])
    assert ax.get_xlabel() == "a" and ax.get_ylabel() == "b"
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == ["R1", "R2"]
    lines = ax.get_lines()
    assert len(lines) == 4                                  # two curves, two points
    np.testing.assert_allclose(lines[0].get_xdata(), fold.params[:, 0])
    assert lines[0].get_linestyle() != lines[2].get_linestyle()   # LP vs PD, readable in grey
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "fold (LP)" in legend and "flip (PD)" in legend
    assert render(ax) > 1000


def test_orbit_diagram_renders_dots_without_diverged_orbits():
    d = dr.orbit_diagram(P.logistic_map(), "r", np.linspace(2.8, 4.0, 50),
                         x0s=[[0.3], [-0.5]], n_transient=100, n_keep=30)
    ax = plot_orbit_diagram(d)
    (line,) = ax.get_lines()
    assert line.get_xdata().size == 50 * 30                 # the bounded orbit only
    assert "diverged" in ax.get_title()
    assert ax.get_xlabel() == "r"
    assert render(ax) > 1000
    full = dr.orbit_diagram(P.henon_map(), "a", np.linspace(1.0, 1.4, 10), x0s=[[0.1, 0.1]],
                            component=None, n_keep=20)
    ax = plot_orbit_diagram(full, component=1)
    assert ax.get_ylabel() == "x[1]"
    render(ax)
    with pytest.raises(dr.InvalidInputError):
        plot_orbit_diagram(full, component=2)


def test_ns_curve_draws_neutral_saddles_apart_and_shared_points_once():
    import math
    q0 = 0.5
    p0 = math.sqrt(1 - q0**2 - q0 / 2)
    m = P.closed_ns_map(p0, q0)
    mu = np.linalg.eigvals(m.jacobian(np.zeros(2)))
    record = dr.Bifurcation(dr.BifurcationKind.NS, p0, np.zeros(2), mu, (p0, p0),
                            param_name="p")
    curve = dr.continue_bifurcation(m, record, "q", (-3.0, 3.0))
    ax = plot_two_parameter([curve, curve])                  # the same points twice
    assert sorted(t.get_text() for t in ax.texts) == ["R1", "R1", "R2", "R2"]
    saddle, ns = ax.get_lines()[0], ax.get_lines()[1]
    ys = np.asarray(saddle.get_ydata(), dtype=float)
    # the dotted arc holds exactly the neutral saddles: −1/2 < q < 0
    finite = ys[np.isfinite(ys)]
    assert finite.size > 0 and np.all((finite > -0.5 - 1e-9) & (finite < 1e-9))
    assert saddle.get_linestyle() == ":" and ns.get_linestyle() == "-."
    render(ax)
    with pytest.raises(dr.InvalidTypeError):
        plot_two_parameter([])
