"""dr.global_continuation against closed-form folds and flips, along a parameter, a line between
networks, a sequence of networks and a training run."""
import numpy as np
import pytest
from scipy.optimize import brentq

import dynrnn as dr
from tests.analysis.finite_results import every_result_finite  # noqa: F401 (checks every result)
from tests.problems import TANH_FOLDS_W5, logistic_map, one_unit, one_unit_folds

BOX = ([-7.0], [7.0])


@pytest.fixture(scope="module")
def tanh_run():
    values = np.linspace(-5.0, 5.0, 21)
    return dr.global_continuation(one_unit(5.0, 0.0, "tanh"), "b[0]", values, box=BOX,
                                  n_samples=300, progress=False)


def test_tanh_one_two_one_attractors_with_folds(tanh_run):
    result = tanh_run
    lower, upper = one_unit_folds(5.0, "tanh")            # closed form
    np.testing.assert_allclose((lower, upper), TANH_FOLDS_W5, atol=1e-9)
    expected = np.where((result.values > lower) & (result.values < upper), 2, 1)
    np.testing.assert_array_equal(result.n_attractors, expected)
    assert result.success and result.n_ids == 2
    births = [e for e in result.events if e.kind is dr.AttractorEventKind.BIRTH]
    deaths = [e for e in result.events if e.kind is dr.AttractorEventKind.DEATH]
    assert len(births) == len(deaths) == 1
    assert births[0].cause is deaths[0].cause is dr.AttractorEventCause.FOLD
    np.testing.assert_allclose(births[0].param, lower, atol=1e-8)
    np.testing.assert_allclose(deaths[0].param, upper, atol=1e-8)
    assert births[0].interval[0] < lower < births[0].interval[1]
    # the attractor born at the lower fold is the upper fixed point, the one that dies the lower
    assert result.attractors[-1][births[0].attractor].x[0] > 0


def test_tanh_fractions_are_the_share_below_the_unstable_point(tanh_run):
    result = tanh_run
    states = dr.global_continuation  # noqa: F841  (the ensemble is the seeded uniform one)
    rng = np.random.default_rng(0)
    samples = rng.uniform(-7.0, 7.0, size=(300, 1))[:, 0]
    for i, b in enumerate(result.values):
        if result.n_attractors[i] != 2:
            continue
        g = lambda x, b=b: 5 * np.tanh(x) + b - x           # noqa: E731
        xs = np.linspace(-1.4436, 1.4436, 2001)       # the unstable root lies between the folds' x
        v = g(xs)
        k = np.flatnonzero(v[:-1] * v[1:] <= 0)[0]
        middle = brentq(g, xs[k], xs[k + 1], xtol=1e-15)
        low_id = min((j for j in range(result.n_ids) if result.present[i, j]),
                     key=lambda j: result.attractors[i][j].x[0])
        assert result.fractions[i, low_id] == np.count_nonzero(samples < middle) / 300


def test_logistic_flip_is_a_period_change_linked_to_pd():
    # (r = 3 itself is avoided: at the flip the convergence is algebraic, not geometric)
    result = dr.global_continuation(logistic_map(), "r", np.linspace(2.81, 3.21, 9),
                                    box=([0.01], [0.99]), n_samples=100, progress=False)
    assert result.n_ids == 1 and np.all(result.n_attractors == 1)
    periods = [row[0].period for row in result.attractors]
    assert periods == [1] * 4 + [2] * 5             # r = 2.81, ..., 2.96 | 3.01, ..., 3.21
    (event,) = result.events
    assert event.kind is dr.AttractorEventKind.PERIOD_CHANGE
    assert event.cause is dr.AttractorEventCause.FLIP
    np.testing.assert_allclose(event.param, 3.0, atol=1e-8)     # r = 3, closed form


def test_along_a_line_between_networks():
    start, end = one_unit(5.0, -5.0, "tanh"), one_unit(5.0, 0.0, "tanh")
    line = dr.LineBetween(start, end)
    result = dr.global_continuation(start, line, np.linspace(0.0, 1.0, 11), box=BOX,
                                    n_samples=100, progress=False)
    (event,) = result.events
    s_fold = (TANH_FOLDS_W5[0] + 5.0) / 5.0                   # b(s) = -5 + 5 s
    assert event.kind is dr.AttractorEventKind.BIRTH and event.cause is dr.AttractorEventCause.FOLD
    np.testing.assert_allclose(event.param, s_fold, atol=1e-8)


def test_along_a_sequence_of_networks():
    nets = [one_unit(5.0, b, "tanh") for b in (-5.0, -4.0, -3.0, -2.0)]
    result = dr.global_continuation(nets, box=BOX, n_samples=100, progress=False)
    np.testing.assert_array_equal(result.values, [0, 1, 2, 3])
    np.testing.assert_array_equal(result.n_attractors, [1, 1, 2, 2])
    (event,) = result.events
    # located on the straight line between networks 1 and 2: b = -4 + s
    np.testing.assert_allclose(event.param, 1 + (TANH_FOLDS_W5[0] + 4.0), atol=1e-8)
    assert event.cause is dr.AttractorEventCause.FOLD


def test_along_a_training_run():
    from dynrnn.gradients.error_surface import fig6_problem
    net, batch, x0 = fig6_problem(5.0, -2.0)
    run = dr.train(net, batch, steps=30, lr=0.3, x0=x0, history="full", progress=False)
    result = dr.global_continuation(run, box=([-4.0], [8.0]), n_samples=100, progress=False)
    np.testing.assert_array_equal(result.values, run.history.param_steps)
    assert result.loss.size == run.history.n_steps
    labels = result.tracked_labels[:, 0]
    # independently: iterate each stored network from x0 and find the attractor it ends on
    for k, step in enumerate(run.history.param_steps):
        network, _ = run.history.network_at(int(step))
        end = network.iterate(x0, 3000)
        row = result.attractors[k]
        nearest = min((j for j in range(result.n_ids) if row[j] is not None),
                      key=lambda j: abs(row[j].x[0] - end[0]))
        assert labels[k] == nearest
    # the gradient spike is the step where x0 changes basin
    spike = int(np.argmax(run.history.grad_norm))
    changes = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    assert spike in changes or spike + 1 in changes


def test_sweep_executor_gives_the_same_result(tanh_run):
    serial = dr.global_continuation(one_unit(5.0, 0.0, "tanh"), "b[0]", tanh_run.values,
                                    box=BOX, n_samples=300, progress=False, executor="serial")
    np.testing.assert_array_equal(serial.fractions, tanh_run.fractions)
    assert [e.param for e in serial.events] == [e.param for e in tanh_run.events]


def test_saves_loads_and_prints(tanh_run, tmp_path):
    loaded = dr.load(dr.save(tanh_run, tmp_path / "gc.npz"))
    np.testing.assert_array_equal(loaded.fractions, tanh_run.fractions)
    assert loaded.events[0].bifurcation.kind.value == "LP"
    text = str(loaded)
    assert "1 birth(s), 1 death(s)" in text and len(text) < 400
    assert not loaded.exhaustive and loaded.note.startswith("not exhaustive")
    assert f"distance ≤ {loaded.match_threshold:.3g}" in loaded.note


def test_a_jump_beyond_the_threshold_is_repaired_by_continuation():
    # with a tiny matching threshold the moving fixed point is not recognised from one value
    # to the next by distance; local continuation crosses the interval without a bifurcation,
    # so it is the same point: one identity, no event (it used to be a "global" death + birth)
    net = one_unit(5.0, 0.0, "tanh")
    result = dr.global_continuation(net, "b[0]", [4.0, 4.5], box=BOX, n_samples=50,
                                    match_threshold=1e-3, progress=False)
    assert result.n_ids == 1 and result.present.all() and not result.events
    for b, row in zip((4.0, 4.5), result.attractors):
        x = brentq(lambda x, b=b: 5 * np.tanh(x) + b - x, 1.5, 10.0)   # the only fixed point
        assert row[0].x[0] == pytest.approx(x, abs=1e-10)
    # without local continuation the distance matching stands, and nothing is claimed
    unlinked = dr.global_continuation(net, "b[0]", [4.0, 4.5], box=BOX, n_samples=50,
                                      match_threshold=1e-3, local=False, progress=False)
    assert sorted(e.kind.value for e in unlinked.events) == ["birth", "death"]
    assert all(e.cause is dr.AttractorEventCause.UNKNOWN for e in unlinked.events)


@pytest.mark.slow
def test_henon_cascade_into_chaos_keeps_one_identity():
    from tests.problems import henon_map
    values = np.linspace(1.0, 1.4, 9)
    result = dr.global_continuation(henon_map(1.0), "a", values, n_samples=300,
                                    box=([-2.0, -2.0], [2.0, 2.0]), progress=False)
    assert result.n_ids == 2 and np.all(result.n_attractors == 1)   # plus divergence
    bounded = next(j for j in range(2) if result.kind_of(j) is not dr.AttractorKind.DIVERGENCE)
    row = [r[bounded] for r in result.attractors]
    assert [a.period for a in row[:2]] == [4, 8]
    assert row[-1].kind is dr.AttractorKind.CHAOTIC and abs(row[-1].lyapunov - 0.419) < 0.03
    flips = [e for e in result.events if e.cause is dr.AttractorEventCause.FLIP]
    # the 2 -> 4 flip of the Hénon map at b = 0.3 lies below a = 1; the 4 -> 8 one in (1, 1.05)
    assert flips and 1.0 < flips[0].param < 1.05
    # independently: the stable 4-cycle's multiplier crosses -1 there (find_cycles by Newton)
    for offset, below in ((-1e-5, True), (1e-5, False)):
        a = flips[0].param + offset
        cycles = dr.find_cycles(henon_map(a), 4, starts=row[0].states[:1], method="newton")
        multiplier = min(np.real(cycles[0].eigenvalues))
        assert (multiplier > -1) == below
