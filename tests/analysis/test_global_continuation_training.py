"""Issue 13 §2, along a training run of dr.train: a TrainingHistory works as its TrainingResult
does, a strided history gives the stored θ_k only, and each value is the network θ_k itself."""
import numpy as np
import pytest

import dynrnn as dr
from dynrnn.gradients.error_surface import fig6_problem
from tests.analysis.finite_results import every_result_finite  # noqa: F401 (checks every result)

BOX = ([-4.0], [8.0])


@pytest.fixture(scope="module")
def problem():
    return fig6_problem(5.0, -2.0)


def test_history_and_result_give_the_same_chart(problem):
    net, batch, x0 = problem
    run = dr.train(net, batch, steps=25, lr=0.3, x0=x0, history="full", progress=False)
    from_result = dr.global_continuation(run, box=BOX, n_samples=60, progress=False)
    from_history = dr.global_continuation(run.history, box=BOX, n_samples=60, progress=False)
    np.testing.assert_array_equal(from_result.fractions, from_history.fractions)
    np.testing.assert_array_equal(from_result.tracked_labels, from_history.tracked_labels)
    np.testing.assert_array_equal(from_history.tracked_states, [x0])     # the loss's x₀
    np.testing.assert_allclose(from_history.loss, run.history.loss)
    np.testing.assert_allclose(from_history.grad_norm, run.history.grad_norm)


def test_strided_history_uses_the_stored_networks(problem):
    net, batch, x0 = problem
    run = dr.train(net, batch, steps=30, lr=0.3, x0=x0, history="strided", param_stride=5,
                   progress=False)
    steps = run.history.param_steps
    assert steps.size < 31                                   # not every step is stored
    result = dr.global_continuation(run, box=BOX, n_samples=60, progress=False)
    np.testing.assert_array_equal(result.values, steps)
    assert result.loss.size == 30                            # the chart's loss is every step
    states = np.random.default_rng(0).uniform(*BOX, size=(60, 1))
    for i in (0, steps.size // 2, steps.size - 1):
        network, _ = run.history.network_at(int(steps[i]))
        # the attractors are the fixed points of θ_k itself: x = w σ(x) + b
        w = network.param_values()["W_rec[0,0]"]
        b = network.param_values()["b[0]"]
        present = [a for a in result.attractors[i] if a is not None]
        for a in present:
            x = a.x[0]
            assert x == pytest.approx(w / (1 + np.exp(-x)) + b, abs=1e-12)
        direct = dr.basins(network, initial_states=states, boundaries=False, progress=False)
        assert sorted(np.round(direct.fractions, 12)) == \
            sorted(np.round(result.fractions[i][result.present[i]], 12))
