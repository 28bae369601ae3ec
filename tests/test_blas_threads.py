"""BLAS threads chosen on purpose: the library's heavy calls use the documented setting (1 by
default), sweep workers one thread each, and the caller's setting is restored afterwards."""
import numpy as np
import pytest
from threadpoolctl import threadpool_info

import dynrnn as dr


def blas_threads_now() -> int:
    """The number of threads of the first BLAS library numpy loaded (observed, not assumed)."""
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"][0]


def observed_threads(x: float) -> float:
    """Swept in worker processes: the BLAS threads seen while a point is evaluated."""
    return float(blas_threads_now())


def _recording_map(seen: list):
    def step(x, p):
        seen.append(blas_threads_now())
        return np.tanh(p["w"] * x)

    return dr.Map(step, 1, {"w": 0.5}, lambda x, p: (p["w"] * (1 - np.tanh(p["w"] * x) ** 2))
                  [..., None], vectorized=True)


@pytest.fixture
def restore_setting():
    previous = dr.get_blas_threads()
    yield
    dr.set_blas_threads(previous)


def test_heavy_calls_use_the_setting_and_restore_the_callers(restore_setting):
    outside = blas_threads_now()
    seen: list = []
    system = _recording_map(seen)
    seen.clear()                               # Map checks its callables when built
    dr.set_blas_threads(2)
    dr.find_fixed_points(system, n_starts=4, progress=False)
    assert seen and set(seen) == {2}
    assert blas_threads_now() == outside
    seen.clear()
    dr.set_blas_threads(1)
    dr.continuation(system, "w", [0.0], (0.5, 0.8), progress=False)
    assert seen and set(seen) == {1}
    assert blas_threads_now() == outside
    assert dr.get_blas_threads() == 1


def test_context_manager_and_none(restore_setting):
    outside = blas_threads_now()
    with dr.blas_threads(2):
        assert dr.get_blas_threads() == 2 and blas_threads_now() == 2
    assert dr.get_blas_threads() == 1 and blas_threads_now() == outside
    dr.set_blas_threads(None)                # leave BLAS's own setting
    seen: list = []
    system = _recording_map(seen)
    seen.clear()
    dr.find_fixed_points(system, n_starts=2, progress=False)
    assert set(seen) == {outside}


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_bad_setting(bad):
    with pytest.raises(dr.errors.InvalidInputError, match="positive integer"):
        dr.set_blas_threads(bad)
    with pytest.raises(dr.errors.InvalidInputError, match="positive integer"):
        with dr.blas_threads(bad):
            pass


def test_sweep_workers_run_with_one_blas_thread(monkeypatch, restore_setting):
    # workers started with two BLAS threads in their environment still evaluate with one
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    result = dr.sweep(observed_threads, {"x": [0.0, 1.0]}, max_workers=1, progress=False)
    np.testing.assert_array_equal(result["value"], [1.0, 1.0])
    # the serial executor runs in this process, with the caller's setting
    with dr.blas_threads(2):
        serial = dr.sweep(observed_threads, {"x": [0.0]}, executor="serial", progress=False)
    np.testing.assert_array_equal(serial["value"], [2.0])
