"""Issue 13 §2, along a training run: the label of the loss's initial state on the basin chart
changes exactly where the training atlas (dr.find_gradient_events, by bisection on the segment
θ_k → θ_{k+1}) finds x₀ crossing a basin boundary, and the chart is drawn under the atlas's
loss and gradient norm with its spikes and crossings."""
import numpy as np
import pytest

import dynrnn as dr
from dynrnn.gradients.error_surface import fig6_problem
from tests.analysis.finite_results import every_result_finite  # noqa: F401 (checks every result)


@pytest.fixture(scope="module")
def run_and_chart():
    net, batch, x0 = fig6_problem(5.0, -2.0)
    run = dr.train(net, batch, steps=30, lr=0.3, x0=x0, history="full", progress=False)
    chart = dr.global_continuation(run, box=([-4.0], [8.0]), n_samples=80, progress=False)
    return run, chart, dr.find_gradient_events(run)


def test_label_changes_are_the_atlas_basin_crossings(run_and_chart):
    run, chart, events = run_and_chart
    labels = chart.tracked_labels[:, 0]
    assert np.all(labels >= 0)
    np.testing.assert_array_equal(chart.values, np.arange(run.history.param_steps.size))
    changed = {int(chart.values[i - 1]) for i in np.flatnonzero(labels[1:] != labels[:-1]) + 1}
    crossed = {change.step_a for event in events for change in event.basin_changes}
    assert changed and changed == crossed
    # and every spike of the atlas lies on or next to such a step
    for event in events:
        assert any(abs(event.step - step) <= 1 for step in changed)


def test_chart_under_the_atlas_loss_and_gradient_norm(run_and_chart):
    import matplotlib.pyplot as plt
    from dynrnn.plotting import plot_training_basins
    run, chart, events = run_and_chart
    axes = plot_training_basins(chart, events=events)
    np.testing.assert_allclose(axes[0].lines[0].get_ydata(), run.history.loss)
    np.testing.assert_allclose(axes[1].lines[0].get_ydata(), run.history.grad_norm)
    circles = [line for line in axes[1].lines if line.get_marker() == "o"]
    assert sorted(float(line.get_xdata()[0]) for line in circles) == \
        sorted(float(e.step) for e in events)
    dashed = {round(float(line.get_xdata()[0]), 9) for line in axes[2].lines
              if line.get_linestyle() == "--"}
    assert dashed == {round(c.step_a + c.s, 9) for e in events for c in e.basin_changes}
    with pytest.raises(dr.InvalidTypeError, match="events"):
        plot_training_basins(chart, events=[1, 2])
    plt.close("all")


def test_attractor_positions_over_the_bifurcation_diagram():
    # the one-unit tanh network over b: the attractors found from the ensemble lie on the
    # stable parts of the continuation branch drawn underneath, and the linked folds are marked
    import matplotlib.pyplot as plt
    from dynrnn.plotting import plot_attractor_positions
    net = dr.RNN([[5.0]], b=[0.0], activation="tanh")
    result = dr.global_continuation(net, "b[0]", np.linspace(-5.0, 5.0, 11),
                                    box=([-7.0], [7.0]), n_samples=60, progress=False)
    start = dr.find_fixed_points(net).stable_points[0].x
    branch = dr.continuation(net, "b[0]", start, (-5.0, 5.0), direction="both")
    ax = plot_attractor_positions(result, diagram=[branch])
    dots = [line for line in ax.lines if line.get_marker() == "o"
            and str(line.get_label()).startswith("A")]
    assert len(dots) == result.n_ids
    for line in dots:
        for b, x in zip(line.get_xdata(), line.get_ydata()):
            # each attractor is a stable point of the branch at its b (x = 5 tanh x + b)
            assert x == pytest.approx(5 * np.tanh(x) + b, abs=1e-10)
            assert 5 * (1 - np.tanh(x) ** 2) < 1
    squares = [line for line in ax.lines if line.get_marker() == "s"]
    np.testing.assert_allclose(sorted(float(s.get_xdata()[0]) for s in squares),
                               [e.bifurcation.param for e in result.events], atol=1e-12)
    assert len(ax.lines) > len(dots) + len(squares)           # the branch underneath
    plt.close("all")
