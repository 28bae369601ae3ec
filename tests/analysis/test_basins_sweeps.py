"""Issue 13 §3: sweeps over ensembles (the chunks of dr.basins) and over parameter values (the
values of dr.global_continuation) run on dynrnn.sweep when asked, in worker processes of its
local pool or on a Dask cluster, with exactly the serial answer; and the defaults are
deterministic (the same call twice gives the same answer)."""
import numpy as np
import pytest

import dynrnn as dr
from tests.analysis.finite_results import every_result_finite  # noqa: F401 (checks every result)
from tests.problems import one_unit

FOUR = dr.RNN([[2.0, 0.3], [-0.2, 2.0]], b=[0.1, -0.2], activation="tanh")
BOX = ([-3.0, -3.0], [3.0, 3.0])


def _same_basins(a: dr.BasinsResult, b: dr.BasinsResult) -> None:
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.fractions, b.fractions)
    np.testing.assert_array_equal(a.intervals, b.intervals)
    assert [x.kind for x in a] == [x.kind for x in b]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.states, y.states)
    np.testing.assert_array_equal(a.boundary_points, b.boundary_points)


def _same_continuation(a, b) -> None:
    np.testing.assert_array_equal(a.fractions, b.fractions)
    np.testing.assert_array_equal(a.tracked_labels, b.tracked_labels)
    np.testing.assert_array_equal(a.n_attractors, b.n_attractors)
    assert [(e.kind, e.attractor, e.cause, e.param) for e in a.events] == \
        [(e.kind, e.attractor, e.cause, e.param) for e in b.events]
    for row_a, row_b in zip(a.attractors, b.attractors):
        for x, y in zip(row_a, row_b):
            assert (x is None) == (y is None)
            if x is not None:
                np.testing.assert_array_equal(x.states, y.states)


def test_basins_chunks_on_the_local_process_pool_equal_the_serial_run():
    options = dr.BasinsOptions(chunk_size=400)                 # 7 chunks of the 50 x 50 grid
    here = dr.basins(FOUR, grid=50, box=BOX, options=options, progress=False)
    pooled = dr.basins(FOUR, grid=50, box=BOX, options=options, executor="pool",
                       progress=False)
    assert here.n_attractors == 4 and pooled.status is dr.BasinsStatus.COMPLETE
    _same_basins(here, pooled)


def test_global_continuation_values_on_the_local_process_pool_equal_the_serial_run():
    net = one_unit(5.0, 0.0, "tanh")
    values = np.linspace(-5.0, 5.0, 11)
    serial = dr.global_continuation(net, "b[0]", values, box=([-7.0], [7.0]), n_samples=120,
                                    track=[[0.5]], progress=False)
    pooled = dr.global_continuation(net, "b[0]", values, box=([-7.0], [7.0]), n_samples=120,
                                    track=[[0.5]], executor="pool", progress=False)
    assert serial.n_attractors.tolist() == [1, 1, 2, 2, 2, 2, 2, 2, 2, 1, 1]
    _same_continuation(serial, pooled)


@pytest.mark.slow
def test_basins_and_global_continuation_on_a_dask_cluster_equal_the_serial_run():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        options = dr.BasinsOptions(chunk_size=400)
        _same_basins(dr.basins(FOUR, grid=40, box=BOX, options=options, progress=False),
                     dr.basins(FOUR, grid=40, box=BOX, options=options, executor=client,
                               progress=False))
        net = one_unit(5.0, 0.0, "tanh")
        values = np.linspace(-5.0, 5.0, 6)
        _same_continuation(
            dr.global_continuation(net, "b[0]", values, box=([-7.0], [7.0]), n_samples=80,
                                   progress=False),
            dr.global_continuation(net, "b[0]", values, box=([-7.0], [7.0]), n_samples=80,
                                   executor=cluster.scheduler_address, progress=False))


# -- deterministic defaults ----------------------------------------------------------------------
def henon_callable() -> dr.Map:
    """The Hénon map (a = 1.4, b = 0.3) as a vectorised callable with its Jacobian."""
    def step(x, p):
        return np.stack([1 - p["a"] * x[..., 0] ** 2 + x[..., 1], p["b"] * x[..., 0]], axis=-1)

    def jacobian(x, p):
        out = np.zeros(x.shape + (2,))
        out[..., 0, 0] = -2 * p["a"] * x[..., 0]
        out[..., 0, 1] = 1.0
        out[..., 1, 0] = p["b"]
        return out
    return dr.Map(step, 2, {"a": 1.4, "b": 0.3}, jacobian, vectorized=True)


def test_basins_defaults_give_the_same_answer_twice():
    # sampled (uniform and Gaussian) states, the saddle search and the boundary segments all
    # draw from the default seed
    for sampling in ("uniform", "gaussian"):
        first = dr.basins(FOUR, n_samples=300, box=BOX, sampling=sampling, progress=False)
        second = dr.basins(FOUR, n_samples=300, box=BOX, sampling=sampling, progress=False)
        np.testing.assert_array_equal(first.initial_states, second.initial_states)
        _same_basins(first, second)
        assert [s.x.tolist() for s in first.saddles] == [s.x.tolist() for s in second.saddles]
    # a chaotic attractor (a cloud and its Lyapunov exponent) too
    options = dr.BasinsOptions(max_steps=300, n_cloud=500, lyapunov_steps=500)
    first, second = (dr.basins(henon_callable(), n_samples=100, box=([-2, -2], [2, 2]),
                               options=options, boundaries=False, progress=False)
                     for _ in range(2))
    assert sorted(a.kind.value for a in first) == ["chaotic", "divergence"]
    _same_basins(first, second)
    assert [a.lyapunov for a in first] == [a.lyapunov for a in second]
    # and another seed gives other samples
    other = dr.basins(FOUR, n_samples=300, box=BOX, seed=1, progress=False)
    assert not np.array_equal(other.initial_states,
                              dr.basins(FOUR, n_samples=300, box=BOX,
                                        progress=False).initial_states)


def test_global_continuation_defaults_give_the_same_answer_twice():
    net = one_unit(5.0, 0.0, "tanh")
    values = np.linspace(-5.0, 5.0, 6)
    first, second = (dr.global_continuation(net, "b[0]", values, box=([-7.0], [7.0]),
                                            n_samples=100, progress=False) for _ in range(2))
    _same_continuation(first, second)
