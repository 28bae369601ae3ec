"""Issue 13 §1, the engine of dr.basins: one vectorised ensemble whose settled states leave the
batch at once (early stopping), processed in chunks so the working memory stays bounded
whatever the size of the ensemble."""
import tracemalloc

import numpy as np

import dynrnn as dr
from dynrnn.analysis.basins import Ensemble, chunk_size
from tests.analysis.finite_results import every_result_finite  # noqa: F401 (checks every result)

FOUR = dr.RNN([[2.0, 0.3], [-0.2, 2.0]], b=[0.1, -0.2], activation="tanh")
BOX = ([-3.0, -3.0], [3.0, 3.0])


def counting_map(batches: list) -> dr.Map:
    """x -> 5 σ(x) - 2.5 as a vectorised callable that records the batch size of every step
    (a callable, not a subclass of a network class: those are looked up by the file loaders)."""
    def step(x, p):
        batches.append(int(np.prod(np.shape(x)[:-1])))
        return p["w"] / (1 + np.exp(-x)) + p["b"]

    def jacobian(x, p):
        s = 1 / (1 + np.exp(-x))
        return (p["w"] * s * (1 - s))[..., None]
    return dr.Map(step, 1, {"w": 5.0, "b": -2.5}, jacobian, vectorized=True)


def test_settled_states_leave_the_batch():
    # x -> 5 σ(x) - 2.5 with stable points ±2.4929 (and the unstable 0); a state started on a
    # stable point settles at the first check, one started next to 0 needs many steps to leave it
    batches = []
    net = counting_map(batches)
    stable = dr.find_fixed_points(dr.RNN([[5.0]], b=[-2.5], activation="sigmoid"),
                                  box=([-5.0], [5.0])).stable_points[0].x[0]
    starts = np.array([[stable], [1e-9], [3.0], [-3.0]])
    options = dr.BasinsOptions()
    batches.clear()                                   # (dr.Map probes the callable once)
    final, period, steps = Ensemble(net, None, options).settle(starts)
    assert period.tolist() == [1, 1, 1, 1]
    first_check = options.n_transient + options.max_period
    assert steps[0] == first_check                    # settled and gone at the first check
    # next to the unstable point: log(distance)/log(slope) steps to leave, then the approach
    slope = 5 * 0.25
    assert steps[1] > np.log(1e-1 / 1e-9) / np.log(slope) > 2 * first_check
    # the batch shrank as the states settled: the last steps moved only the slow state
    assert batches[0] == 4 and batches[-1] == 1
    # every state was stepped exactly as often as its own count, not the slowest one's
    assert sum(batches) == steps.sum() < 0.6 * len(starts) * steps.max()
    result = dr.basins(net, initial_states=starts, boundaries=False, progress=False)
    assert result.mean_steps < result.n_steps == steps.max()


def test_grid_takes_fewer_steps_on_average_than_its_slowest_state():
    result = dr.basins(FOUR, grid=60, box=BOX, boundaries=False, progress=False)
    # what early stopping saves: the slowest state sets the steps of an iteration without it
    assert result.mean_steps < 0.6 * result.n_steps


def _peak_mib(**kwargs) -> tuple[float, dr.BasinsResult]:
    tracemalloc.start()
    try:
        result = dr.basins(FOUR, box=BOX, boundaries=False, progress=False, **kwargs)
        return tracemalloc.get_traced_memory()[1] / 2 ** 20, result
    finally:
        tracemalloc.stop()


def test_chunks_keep_the_working_memory_bounded():
    dr.basins(FOUR, grid=10, box=BOX, boundaries=False, progress=False)      # imports, caches
    small = dr.BasinsOptions(chunk_bytes=2 ** 20)
    assert chunk_size(small, 2) < 300 * 300 / 10
    peaks = {}
    for resolution in (150, 300):
        chunked, result = _peak_mib(grid=resolution, options=small)
        whole, whole_result = _peak_mib(grid=resolution,
                                        options=dr.BasinsOptions(chunk_size=resolution ** 2))
        np.testing.assert_array_equal(result.labels, whole_result.labels)
        stored = resolution ** 2 * (2 + 4) * 8 / 2 ** 20   # the states, labels, steps, ...
        assert chunked < stored + 4, (chunked, stored)     # + a few chunks of 1 MiB
        peaks[resolution] = (chunked, whole)
    # one array for the whole grid grows with the grid; the chunked run only by what it stores
    assert peaks[300][1] > 3 * peaks[150][1] and peaks[300][1] > 4 * peaks[300][0]


def test_gaussian_samples_lie_around_the_states_trajectories_visit():
    # x -> 0.1 x: trajectories from the box [-10, 10] are within 1 of 0 after one step, so
    # Gaussian samples (σ = spread × width = 0.2) around visited states crowd near 0, where
    # uniform samples are spread over the box
    net = dr.RNN([[0.1]], activation="identity")
    box = ([-10.0], [10.0])
    gaussian = dr.basins(net, n_samples=2000, box=box, sampling="gaussian", spread=0.01,
                         boundaries=False, progress=False).initial_states[:, 0]
    uniform = dr.basins(net, n_samples=2000, box=box, boundaries=False,
                        progress=False).initial_states[:, 0]
    near = 1.0 + 4 * 0.2
    assert np.mean(np.abs(gaussian) < near) > 15 / 16 - 0.03     # all but the starting states
    assert abs(np.mean(np.abs(uniform) < near) - near / 10) < 0.03
    assert np.all(np.abs(uniform) <= 10)
    # the spread sets the scale: twice the spread, twice the standard deviation near 0
    wider = dr.basins(net, n_samples=2000, box=box, sampling="gaussian", spread=0.02,
                      boundaries=False, progress=False).initial_states[:, 0]
    ratio = np.std(wider[np.abs(wider) < 3]) / np.std(gaussian[np.abs(gaussian) < 3])
    assert 1.3 < ratio < 2.5
