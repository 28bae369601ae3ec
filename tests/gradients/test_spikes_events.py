"""One spike definition (online = offline), typed crossings, relevance of crossings, argument
checks of find_gradient_events and readable summaries."""
import numpy as np
import pytest

import dynrnn as dr
from dynrnn.analysis import Bifurcation, BifurcationKind
from dynrnn.gradients import (Batch, CrossingRole, EventCause, EventsStatus, SpikeDefinition,
                              crossing_relevance, find_gradient_events, train)
from tests.gradients.oracle_1d import scan_1d
from tests.gradients.test_training import small_problem


def spiky_run(spike_steps, steps=40, history="strided"):
    """A short training run whose gradient norm spikes at ``spike_steps`` (large targets)."""
    net, ro, batch = small_problem()
    big = Batch(batch.inputs, batch.targets * 1e3, "last", None, "mse")
    data = lambda k, rng: big if k in spike_steps else batch  # noqa: E731
    return train(net, data, readout=ro, steps=steps, lr=1e-6, history=history,
                 param_stride=100, spike_window=1, spike_ratio=10, progress=False)


def test_strided_history_stores_every_spike_the_analysis_finds():
    # A spike at step 2 (the start-up, where the recorder of old had no running median yet and
    # kept nothing, while the analysis flagged it) and one at step 30.
    res = spiky_run({2, 30})
    ev = find_gradient_events(res, window=1)
    assert set(ev.spike_steps.tolist()) == {2, 30}
    assert ev.success and ev.status is EventsStatus.COMPLETE
    assert all(e.cause is not EventCause.NOT_ANALYSED for e in ev)
    stored = set(res.history.param_steps.tolist())
    for k in (2, 30):
        assert {k - 1, k, k + 1} <= stored


def test_online_monitor_equals_offline_definition():
    rng = np.random.default_rng(3)
    g = np.exp(rng.normal(size=400))
    g[[3, 60, 61, 200, 390]] = 100.0
    g[150] = np.nan
    definition = SpikeDefinition(ratio=8.0, window=20, min_history=5)
    spikes, ratios = definition.detect(g)
    mon = definition.monitor()
    online = [mon.update(v) for v in g]
    for k, (flag, ratio) in enumerate(online):
        if k >= 5:
            # The reference is the median of the last 20 finite norms before k.
            prev = g[:k][np.isfinite(g[:k])][-20:]
            if np.isfinite(g[k]):
                assert ratio == pytest.approx(g[k] / np.median(prev), rel=1e-12)
                assert ratios[k] == pytest.approx(ratio, rel=1e-12)
            assert flag == (k in spikes)
    assert {3, 60, 150, 200, 390} <= set(spikes.tolist())
    # The start-up step 3 is judged against steps 0..5 without itself.
    assert ratios[3] == pytest.approx(g[3] / np.median(np.delete(g[:6], 3)))


@pytest.mark.parametrize("kwargs, argument", [
    ({"continuation_method": "bogus"}, "continuation_method"),
    ({"continuation_method": "fallback-1d"}, "continuation_method"),
    ({"max_events": -1}, "max_events"),
    ({"n_iter": -1}, "n_iter"),
    ({"max_period": 0}, "max_period"),
    ({"n_tail": 0}, "n_tail"),
    ({"n_iter": 5, "n_tail": 6}, "n_tail"),
    ({"relevance_radius": float("nan")}, "relevance_radius"),
    ({"follow": "some"}, "follow"),
    ({"window": -1}, "window"),
    ({"threshold_ratio": 1.0}, "threshold_ratio"),
])
def test_bad_arguments_named_before_any_work(kwargs, argument):
    res = spiky_run({10}, steps=20, history="full")
    calls = []

    def builder(k):
        calls.append(k)
        return res.history.network_at(k)[0]

    with pytest.raises(dr.InvalidInputError) as info:
        find_gradient_events(res, net_builder=builder, **kwargs)
    assert info.value.argument == argument and argument in str(info.value)
    assert calls == []


def test_max_events_keeps_the_last_event_and_says_when_truncated():
    res = spiky_run({10, 25}, steps=40, history="full")
    every = find_gradient_events(res, continuation_method=scan_1d_like(res))
    assert [e.step for e in every] == [10, 25] and every.status is EventsStatus.COMPLETE
    one = find_gradient_events(res, max_events=1, continuation_method=scan_1d_like(res))
    assert [e.step for e in one] == [10]
    assert one.status is EventsStatus.TRUNCATED and not one.success
    assert one.spike_steps.tolist() == [10, 25]


def scan_1d_like(res):
    """A finder that finds nothing (the multi-unit small problem has no 1-D scan)."""
    def nothing(net_a, net_b, a, b):
        return []
    return nothing


def test_crossing_is_typed_and_summaries_are_short():
    from dynrnn.gradients import descent_paths
    from scipy.special import expit
    plain, = descent_paths((5.0, 0.5 - 5.0 * expit(0.5) - 1e-4), lr=0.01, steps=30,
                           clips=(None,))
    ev = find_gradient_events(plain, continuation_method=scan_1d)
    crossing = [c for e in ev for c in e.crossings + e.irrelevant_crossings][0]
    assert isinstance(crossing.bifurcation, Bifurcation)
    assert crossing.kind is BifurcationKind.LP and crossing.kind == "LP"
    assert crossing.s == crossing.bifurcation.param
    text = repr(ev)
    assert "spike" in text and "COMPLETE" in text and "\n" not in text and "array" not in text
    assert ev.continuation == "scan_1d"
    text = repr(plain)
    assert text.startswith("TrainingResult(1-unit sigmoid RNN, 30 step(s)")
    assert len(text.splitlines()) == 2 and "array" not in text


def test_events_save_and_load(tmp_path):
    res = spiky_run({10}, steps=20, history="full")
    ev = find_gradient_events(res, continuation_method=scan_1d_like(res))
    path = tmp_path / "ev.npz"
    dr.save(ev, path)
    back = dr.load(path)
    assert [e.step for e in back] == [10] and back.definition == ev.definition
    assert back.status is ev.status


# ---------------------------------------------------------------------------------------------
# Relevance: explicit thresholds
# ---------------------------------------------------------------------------------------------
def test_relevance_threshold_is_explicit():
    net = dr.RNN(np.diag([0.5, 0.5]))           # tanh; every state tends to the origin
    states = np.zeros((4, 2))
    traj = np.zeros((10, 2))
    eig = np.array([1.0, 0.5])                 # a non-hyperbolic attractor-type point
    near = crossing_relevance(net, [0.09, 0.0], 1, eig, states, traj, relevance_radius=0.1)
    assert near.radius == pytest.approx(0.1)   # 0.1 × max(1, RMS norm of the states)
    assert near.relevant and near.role is CrossingRole.ATTRACTOR
    assert near.distance_to_states == pytest.approx(0.09)
    far = crossing_relevance(net, [0.11, 0.0], 1, eig, states, traj, relevance_radius=0.1)
    assert not far.relevant and far.role is CrossingRole.NEITHER
    moved = crossing_relevance(net, [5.0, 0.0], 1, eig, states, traj)
    assert not moved.relevant and moved.distance_to_trajectory == pytest.approx(5.0)


def test_saddle_on_the_basin_boundary_is_relevant_far_saddle_is_not():
    a = 1.9150080  # the stable fixed points of x = 2 tanh(x) are ±a
    one = dr.RNN([[2.0]])
    states = np.full((3, 1), a)
    rel = crossing_relevance(one, [0.0], 1, [2.0], states, states)
    # The origin separates the basins of ±a: on the boundary of the states' basin, though
    # farther than the radius from them.
    assert rel.distance_to_states > rel.radius
    assert rel.role is CrossingRole.BASIN_SADDLE and rel.relevant
    two = dr.RNN(np.diag([2.0, 2.0]))
    states2 = np.full((3, 2), a)
    sad = np.array([0.0, -a])
    mult = np.array([2.0, 2.0 / np.cosh(a) ** 2])
    rel2 = crossing_relevance(two, sad, 1, mult, states2, states2)
    # (0, -a) separates (a, -a) from (-a, -a), neither of them the states' attractor (a, a).
    assert rel2.role is CrossingRole.NEITHER and not rel2.relevant


def planted_finder(x):
    def finder(net_a, net_b, a, b):
        return [Bifurcation(BifurcationKind.LP, 0.5, np.asarray(x, dtype=float),
                            np.array([1.0, 0.5]), (0.4, 0.6), param_name="s")]
    return finder


def test_planted_crossing_counts_near_the_trajectory_not_far_away():
    # Two decoupled contracting units: the trajectory of x0 = 0 stays at the origin.
    net = dr.RNN(np.diag([0.5, 0.5]), b=[0.0, 0.0])
    from dataclasses import replace
    res = train(net, Batch(np.zeros((5, 1, 0)), np.zeros((1, 2)), "last", None, "mse"), steps=30,
                lr=1e-3, progress=False)
    g = res.history.grad_norm.copy()
    g[12] = 1e3 * max(np.max(g), 1e-12)
    hist = replace(res.history, grad_norm=g)
    near = find_gradient_events(hist, continuation_method=planted_finder([0.05, 0.0]),
                                window=0)
    e = near.events[0]
    assert e.step == 12 and e.cause is EventCause.BIFURCATION_NEARBY and len(e.crossings) == 1
    assert near.unexplained_fraction == 0.0
    far = find_gradient_events(hist, continuation_method=planted_finder([8.0, 0.0]),
                               window=0)
    e = far.events[0]
    assert e.cause is EventCause.IRRELEVANT_ONLY and not e.crossings
    assert len(e.irrelevant_crossings) == 1 and far.unexplained_fraction == 1.0
    assert e.irrelevant_crossings[0].relevance.distance_to_states == pytest.approx(8.0)
