"""Sweeps: results equal direct evaluation on every executor; the store survives SIGKILL."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import dynrnn as dr
from dynrnn.errors import InvalidInputError, InvalidTypeError, MissingDependencyError
from dynrnn.sweeps import Grid, PointStatus, SweepError, SweepInterrupted, SweepResult, SweepStatus

from . import sweep_functions as sf

ROOT = Path(__file__).resolve().parents[1]
GRID = {"x": [0.0, 1.0, 2.5], "y": [-1.0, 3.0]}


def direct(function, grid, **fixed):
    """Independent reference: nested loops calling the function."""
    names = list(grid)
    shape = tuple(len(v) for v in grid.values())
    out = {}
    for index in np.ndindex(*shape):
        value = function(**fixed, **{n: grid[n][i] for n, i in zip(names, index)})
        value = value if isinstance(value, dict) else {"value": value}
        for k, v in value.items():
            out.setdefault(k, np.empty(shape + np.shape(v)))[index] = v
    return out


def assert_equal_data(result: SweepResult, expected: dict) -> None:
    assert sorted(result.data) == sorted(expected)
    for k in expected:
        np.testing.assert_array_equal(result.data[k], expected[k])


def child_env(**variables: str):
    env = dict(os.environ, **variables)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


# -- executors -------------------------------------------------------------------------------------
def test_serial_sweep_equals_direct_evaluation():
    result = dr.sweep(sf.polynomial, GRID, executor="serial", progress=False,
                      fixed={"power": 3})
    assert_equal_data(result, direct(sf.polynomial, GRID, power=3))
    assert result.success and result.status is SweepStatus.COMPLETE
    assert (result.n_done, result.n_failed, result.n_skipped, result.n_pending) == (6, 0, 0, 0)
    assert result.axes == ("x", "y") and result.shape == (3, 2)
    np.testing.assert_array_equal(result.coordinates["y"], GRID["y"])
    assert np.all(result.point_status == PointStatus.DONE.value)
    assert result.function == "tests.sweep_functions:polynomial"


def test_process_pool_sweep_equals_direct_evaluation_with_array_outputs():
    grid = {"x": np.linspace(-1, 1, 7)}
    result = dr.sweep(sf.moments, grid, max_workers=2, progress=False)
    assert result.data["value"].shape == (7, 3)
    assert_equal_data(result, direct(sf.moments, grid))


def test_any_concurrent_futures_executor_and_chunks():
    grid = {"x": np.arange(5.0), "y": [0.5, 1.5, 2.5]}
    with ThreadPoolExecutor(2) as pool:
        result = dr.sweep(sf.polynomial, grid, executor=pool, chunksize=4, progress=False)
    assert_equal_data(result, direct(sf.polynomial, grid))


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        yield cluster


def test_dask_client_executor_equals_direct_evaluation(dask_cluster):
    from distributed import Client
    grid = {"x": [0.0, 1.0, 2.0, 3.0], "y": [1.0, -2.0]}
    with Client(dask_cluster) as client:
        result = dr.sweep(sf.polynomial, grid, executor=client.get_executor(), progress=False)
        assert_equal_data(result, direct(sf.polynomial, grid))
        # A Client itself is accepted too, and left open for the caller.
        result = dr.sweep(sf.moments, {"x": [1.0, 2.0]}, executor=client, progress=False)
        assert_equal_data(result, direct(sf.moments, {"x": [1.0, 2.0]}))
        assert client.status == "running"


def test_dask_scheduler_address_string(dask_cluster, tmp_path):
    grid = {"x": [0.5, 1.5, 2.5], "y": [0.0, 4.0]}
    result = dr.sweep(sf.polynomial, grid, executor=dask_cluster.scheduler_address,
                      store=tmp_path / "store", progress=False)
    assert_equal_data(result, direct(sf.polynomial, grid))
    assert len(list((tmp_path / "store").glob("p*.npz"))) == 6


def test_unreachable_scheduler_address_names_the_argument(monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr("dynrnn.sweeps.executors._CONNECT_TIMEOUT", 0.5)
    with pytest.raises(InvalidInputError, match="could not connect") as info:
        dr.sweep(sf.polynomial, GRID, executor="tcp://127.0.0.1:1", progress=False)
    assert info.value.argument == "executor"


def test_missing_dask_raises_missing_dependency_with_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)    # makes `import distributed` fail
    with pytest.raises(MissingDependencyError, match="pip install"):
        dr.sweep(sf.polynomial, GRID, executor="tcp://127.0.0.1:1", progress=False)


# -- the store -------------------------------------------------------------------------------------
SIGKILL_CHILD = """
import sys
import dynrnn as dr
from tests import sweep_functions as sf
if __name__ == "__main__":      # worker processes re-import this script
    dr.sweep(sf.slow_square, {{"i": list(range({n}))}}, store=sys.argv[1], max_workers=2,
             progress=False)
"""


def assert_no_process_mentions(text: str, timeout: float = 10.0) -> None:
    """The killed sweep's pool workers must exit by themselves (their command lines carry the
    child script's directory, which is on their sys.path)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return
    deadline = time.monotonic() + timeout
    while True:
        alive = []
        for entry in proc.iterdir():
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                try:
                    if text in (entry / "cmdline").read_bytes().decode(errors="replace"):
                        alive.append(int(entry.name))
                except OSError:
                    pass
        if not alive:
            return
        assert time.monotonic() < deadline, f"orphaned sweep workers still running: {alive}"
        time.sleep(0.1)


def test_sigkill_mid_sweep_then_rerun_completes_without_recomputing(tmp_path):
    n = 40                     # 2 s of work in the child: ample time to kill it half-way
    store = tmp_path / "store"
    script = tmp_path / "child.py"
    script.write_text(SIGKILL_CHILD.format(n=n))
    child = subprocess.Popen([sys.executable, str(script), str(store)], cwd=ROOT,
                             env=child_env(SWEEP_TEST_DELAY="0.1"))
    try:
        deadline = time.monotonic() + 30
        while len(list(store.glob("p*.npz"))) < 3:
            assert child.poll() is None, "the child sweep ended before it could be killed"
            assert time.monotonic() < deadline, "the child stored nothing in 30 s"
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
    assert child.returncode == -signal.SIGKILL
    assert_no_process_mentions(str(tmp_path))
    stored_before = {p.name for p in store.glob("p*.npz")}
    assert 3 <= len(stored_before) < n, "kill came too late to test a partial store"

    result = dr.sweep(sf.slow_square, {"i": list(range(n))}, store=store, executor="serial",
                      progress=False)
    assert result.success
    assert result.n_skipped == len(stored_before)
    assert result.n_done == n - len(stored_before)
    np.testing.assert_array_equal(result["value"], np.arange(n) ** 2.0)
    skipped = np.flatnonzero(result.point_status == PointStatus.SKIPPED.value)
    assert {f"p{i:07d}" for i in skipped} == {name[:8] for name in stored_before}
    # Every point exactly once, each a readable file with its own value.
    files = sorted(store.glob("p*.npz"))
    assert [f.name[:8] for f in files] == [f"p{i:07d}" for i in range(n)]
    for i, f in enumerate(files):
        with np.load(f) as npz:
            assert float(npz["out/value"]) == float(i * i)
    # A third run evaluates nothing.
    again = dr.sweep(sf.slow_square, {"i": list(range(n))}, store=store, executor="serial",
                     progress=False)
    assert (again.n_skipped, again.n_done) == (n, 0)
    assert np.all(again.point_status == PointStatus.SKIPPED.value)


def test_corrupt_truncated_and_temporary_files_are_redone_never_read(tmp_path):
    store = tmp_path / "store"
    grid = {"x": [1.0, 2.0, 3.0, 4.0]}
    first = dr.sweep(sf.fails_at, grid, fixed={"bad": -1.0}, store=store, executor="serial",
                     progress=False)
    files = sorted(store.glob("p*.npz"))
    assert len(files) == 4 and first.n_done == 4
    # Point 0 truncated, point 1 replaced by garbage, point 2 holding another point's data,
    # and a leftover temp file with a plausible name.
    data = files[0].read_bytes()
    files[0].write_bytes(data[: len(data) // 2])
    files[1].write_bytes(b"not an npz")
    files[2].write_bytes(files[3].read_bytes())
    (store / ".tmp-abc.npz").write_bytes(data[:10])
    rerun = dr.sweep(sf.fails_at, grid, fixed={"bad": -1.0}, store=store, executor="serial",
                     progress=False)
    assert (rerun.n_done, rerun.n_skipped) == (3, 1)
    np.testing.assert_array_equal(rerun["value"], [10.0, 20.0, 30.0, 40.0])
    assert list(rerun.point_status) == ["done", "done", "done", "skipped"]


def test_a_store_that_cannot_be_written_warns_and_keeps_the_results(tmp_path, monkeypatch):
    def disk_full(self, *args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("dynrnn.sweeps.store.Store.save", disk_full)
    with pytest.warns(dr.DynrnnWarning, match="3 finished point.*No space left"):
        result = dr.sweep(sf.moments, {"x": [1.0, 2.0, 3.0]}, executor="serial", store=tmp_path,
                          progress=False)
    assert result.success and result.n_done == 3
    assert_equal_data(result, direct(sf.moments, {"x": [1.0, 2.0, 3.0]}))


@pytest.mark.parametrize("change", ["grid", "function", "fixed"])
def test_store_made_for_another_sweep_is_refused(tmp_path, change):
    store = tmp_path / "store"
    dr.sweep(sf.polynomial, GRID, store=store, executor="serial", progress=False)
    function, grid, fixed = sf.polynomial, dict(GRID), None
    if change == "grid":
        grid["y"] = [-1.0, 3.0, 5.0]
    elif change == "function":
        function = sf.other_function
    else:
        fixed = {"power": 3}
    with pytest.raises(InvalidInputError, match=f"different {change}") as info:
        dr.sweep(function, grid, store=store, executor="serial", progress=False, fixed=fixed)
    assert info.value.argument == "store"


def test_store_must_be_a_sweep_store(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"format": "something else"}))
    with pytest.raises(InvalidInputError, match="not a dynrnn sweep store"):
        dr.sweep(sf.polynomial, GRID, store=tmp_path, executor="serial", progress=False)


# -- failures and interrupts -----------------------------------------------------------------------
def test_failing_point_is_recorded_and_the_rest_complete(tmp_path):
    grid = {"x": [0.0, 1.0, 2.0, 3.0]}
    result = dr.sweep(sf.fails_at, grid, max_workers=2, store=tmp_path, progress=False)
    assert result.status is SweepStatus.FAILED_POINTS and not result.success
    assert (result.n_done, result.n_failed) == (3, 1)
    assert list(result.point_status) == ["done", "done", "failed", "done"]
    assert result.point_message[2].startswith("ValueError: bad point x=2.0")
    assert np.isnan(result["value"][2])
    np.testing.assert_array_equal(result["value"][[0, 1, 3]], [0.0, 10.0, 30.0])
    assert set(result.failures) == {(2,)}
    assert len(list(tmp_path.glob("p*.npz"))) == 3        # failures are not stored

    with pytest.raises(SweepError, match="1 of 4 points failed") as info:
        dr.sweep(sf.fails_at, grid, executor="serial", store=tmp_path, progress=False,
                 raise_on_error=True)
    partial = info.value.result
    assert (partial.n_skipped, partial.n_done, partial.n_failed) == (3, 0, 1)
    assert isinstance(info.value, RuntimeError) and set(info.value.failures) == {(2,)}


def test_a_dying_worker_fails_its_tasks_and_the_rest_run_on_a_fresh_pool(tmp_path):
    n = 80                     # more than the 2 x 16 tasks kept in flight
    result = dr.sweep(sf.crash_at, {"x": np.arange(float(n))}, fixed={"at": 1.0, "delay": 0.005},
                      max_workers=2, chunksize=1, progress=False, store=tmp_path)
    assert result.status is SweepStatus.FAILED_POINTS
    assert result.point_status[1] == PointStatus.FAILED.value
    # Tasks in flight when the pool broke fail with it (those sent just before it was noticed
    # too); the rest completes on a new pool.
    assert result.n_done + result.n_failed == n and result.n_failed <= 2 * 16 + 4
    done = result.point_status == PointStatus.DONE.value
    np.testing.assert_array_equal(result["value"][done], np.arange(float(n))[done])
    # Which window fails depends on how many tasks the surviving worker finished before the
    # executor noticed the crash (scheduler timing, seen to shift it by up to 8 under load):
    # the failures are the crashing point plus one window in flight, and every point after
    # that window runs on the fresh pool. Point 0 may fail with it: the other worker can still
    # hold it when the pool breaks.
    failed = np.flatnonzero(~done)
    window = 2 * 16 + 4
    assert 1 in failed
    assert failed.max() < 2 * window and done[failed.max() + 1:].all()
    assert "a worker process died" in result.point_message[1]
    assert len(list(tmp_path.glob("p*.npz"))) == result.n_done      # what finished is stored


def test_retries_rerun_a_failing_point():
    sf._CALLS.clear()
    flaky = dr.sweep(sf.flaky, {"x": [1.0, 2.0]}, executor="serial", progress=False)
    assert flaky.n_failed == 2
    sf._CALLS.clear()
    retried = dr.sweep(sf.flaky, {"x": [1.0, 2.0]}, executor="serial", progress=False,
                       retries=1)
    assert retried.success
    np.testing.assert_array_equal(retried["value"], [-1.0, -2.0])


def test_keyboard_interrupt_returns_partial_result_and_keeps_the_store(tmp_path):
    grid = {"x": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]}
    with pytest.raises(SweepInterrupted) as info:
        dr.sweep(sf.interrupt_at, grid, executor="serial", store=tmp_path, progress=False)
    assert isinstance(info.value, KeyboardInterrupt)
    partial = info.value.result
    assert partial.status is SweepStatus.INTERRUPTED
    assert (partial.n_done, partial.n_pending) == (3, 3)
    np.testing.assert_array_equal(partial["value"][:3], [0.5, 1.5, 2.5])
    assert np.all(np.isnan(partial["value"][3:]))
    assert len(list(tmp_path.glob("p*.npz"))) == 3


class _EagerExecutor(Executor):
    """Runs each task on submit and hands back a finished future, exception and all, as a
    process pool does once its workers have been hit by the same Ctrl-C as the parent."""

    def submit(self, fn, /, *args, **kwargs):
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001  (KeyboardInterrupt too, as a pool does)
            future.set_exception(exc)
        return future


def test_ctrl_c_in_the_workers_too_still_returns_the_partial_result(tmp_path):
    # Several tasks already finished with KeyboardInterrupt when the first is collected: the
    # sweep must abandon them, not re-raise the workers' interrupt out of its own handler.
    grid = {"x": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}
    with pytest.raises(SweepInterrupted) as info:
        dr.sweep(sf.interrupt_from, grid, executor=_EagerExecutor(), store=tmp_path,
                 progress=False, chunksize=1)
    partial = info.value.result
    assert (partial.n_done, partial.n_pending) == (3, 4)
    np.testing.assert_array_equal(partial["value"][:3], [0.5, 1.5, 2.5])
    assert len(list(tmp_path.glob("p*.npz"))) == 3


def test_ctrl_c_inside_a_store_write_still_stores_that_point(tmp_path, monkeypatch):
    # A point counted as done must have its file: an interrupt that lands while the second
    # point is being written finishes that write before the sweep reports the interruption.
    from dynrnn.sweeps.store import Store
    real_save, calls = Store.save, []

    def save_interrupted_once(self, flat_index, outputs, seconds):
        calls.append(flat_index)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_save(self, flat_index, outputs, seconds)

    monkeypatch.setattr(Store, "save", save_interrupted_once)
    grid = {"x": [0.0, 1.0, 2.0, 3.0]}
    with pytest.raises(SweepInterrupted) as info:
        dr.sweep(sf.interrupt_at, grid, executor="serial", store=tmp_path, progress=False,
                 fixed={"at": 10.0})
    partial = info.value.result
    assert partial.n_done == 2
    assert len(list(tmp_path.glob("p*.npz"))) == partial.n_done == 2
    monkeypatch.setattr(Store, "save", real_save)
    resumed = dr.sweep(sf.interrupt_at, grid, executor="serial", store=tmp_path,
                       progress=False, fixed={"at": 10.0})
    assert (resumed.n_skipped, resumed.n_done) == (2, 2)
    np.testing.assert_array_equal(resumed["value"], [0.5, 1.5, 2.5, 3.5])


def test_interrupt_then_resume(tmp_path):
    grid = {"x": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]}
    with pytest.raises(SweepInterrupted):
        dr.sweep(sf.interrupt_at, grid, executor="serial", store=tmp_path, progress=False,
                 fixed={"at": 3.0})
    # The rerun loads the three stored points and is interrupted again at the same point,
    # without evaluating anything twice.
    with pytest.raises(SweepInterrupted) as info:
        dr.sweep(sf.interrupt_at, grid, executor="serial", store=tmp_path, progress=False,
                 fixed={"at": 3.0})
    assert (info.value.result.n_skipped, info.value.result.n_done) == (3, 0)


# -- results and validation ------------------------------------------------------------------------
def test_result_round_trips_through_npz(tmp_path):
    result = dr.sweep(sf.labelled, {"x": [1.0, 2.0], "label": ["a", "bb"]},
                      executor="serial", progress=False)
    path = result.to_npz(tmp_path / "result")
    loaded = SweepResult.from_npz(path)
    assert loaded.axes == result.axes and loaded.status is result.status
    assert (loaded.n_done, loaded.n_failed) == (result.n_done, result.n_failed)
    np.testing.assert_array_equal(loaded["value"], result["value"])
    np.testing.assert_array_equal(loaded.coordinates["label"], ["a", "bb"])
    np.testing.assert_array_equal(loaded.point_message, result.point_message)
    assert loaded.grid == result.grid
    with np.load(path, allow_pickle=False) as npz:         # a plain npz, no pickles
        assert "data/value" in npz.files and "coord/x" in npz.files
    (tmp_path / "bad.npz").write_bytes(b"xx")
    with pytest.raises(dr.FileFormatError):
        SweepResult.from_npz(tmp_path / "bad.npz")


def test_result_saves_with_the_generic_dynrnn_save(tmp_path):
    result = dr.sweep(sf.labelled, {"x": [1.0, 2.0], "label": ["a", "bb"]}, executor="serial",
                      progress=False)
    dr.save(result, tmp_path / "result.npz")
    loaded = dr.load(tmp_path / "result.npz")
    assert isinstance(loaded, SweepResult) and loaded.status is SweepStatus.FAILED_POINTS
    np.testing.assert_array_equal(loaded["value"], result["value"])
    np.testing.assert_array_equal(loaded.point_status, result.point_status)
    assert loaded.grid == result.grid and loaded.fixed == result.fixed


def test_select_slices_outputs_by_coordinate_values():
    grid = {"x": [0.0, 0.1 + 0.2, 2.5], "y": [-1.0, 3.0]}
    result = dr.sweep(sf.polynomial, grid, executor="serial", progress=False)
    x = 0.1 + 0.2                                  # 0.30000000000000004: found by x=0.3
    np.testing.assert_array_equal(result.select(x=0.3)["sum"], [x - 1.0, x + 3.0])
    assert result.select(x=2.5, y=3.0)["power"] == 2.5 ** 2 - 3.0
    with pytest.raises(InvalidInputError, match="not on the grid"):
        result.select(x=7.0)
    with pytest.raises(InvalidInputError, match="no axis"):
        result.select(z=1.0)


def test_grid_object_and_its_points():
    grid = Grid.from_axes({"gain": [0.5, 1.5], "seed": range(3), "act": ["tanh", "sigmoid"]})
    assert grid.shape == (2, 3, 2) and grid.size == 12
    assert grid.point(7) == {"gain": 1.5, "seed": 0, "act": "sigmoid"}
    assert grid.point((1, 0, 1)) == grid.point(7)
    assert [p for _, p in grid.points()][7] == grid.point(7)
    result = dr.sweep(sf.polynomial, Grid(("x", "y"), ([1.0, 2.0], [0.0])), executor="serial",
                      progress=False)
    assert_equal_data(result, direct(sf.polynomial, {"x": [1.0, 2.0], "y": [0.0]}))


@pytest.mark.parametrize("grid, error", [
    ({"x": [[1.0, 2.0]]}, InvalidInputError),
    ({"x": []}, InvalidInputError),
    ({"x": "abc"}, InvalidInputError),
    ({"x": [object()]}, InvalidTypeError),
    ({"x": [1.0, np.nan]}, InvalidInputError),
    ({"not an identifier": [1.0]}, InvalidInputError),
    ({}, InvalidInputError),
    ([1.0, 2.0], InvalidTypeError),
])
def test_bad_grids_raise_naming_the_argument(grid, error):
    with pytest.raises(error) as info:
        dr.sweep(sf.moments, grid, executor="serial", progress=False)
    assert info.value.argument == "grid"


def test_bad_arguments_raise():
    with pytest.raises(InvalidInputError, match="executor"):
        dr.sweep(sf.moments, {"x": [1.0]}, executor="threads", progress=False)
    with pytest.raises(InvalidInputError, match="module level"):
        dr.sweep(lambda x: x, {"x": [1.0]}, progress=False)
    with pytest.raises(InvalidInputError, match="chunksize"):
        dr.sweep(sf.moments, {"x": [1.0]}, executor="serial", chunksize=0, progress=False)
    with pytest.raises(InvalidInputError, match="both a grid axis and a fixed"):
        dr.sweep(sf.moments, {"x": [1.0]}, executor="serial", fixed={"x": 1.0}, progress=False)


def test_inconsistent_output_shapes_fail_those_points():
    result = dr.sweep(np.zeros, {"shape": [1, 2]}, executor="serial", progress=False)
    assert list(result.point_status) == ["done", "failed"]
    assert "same names and shapes" in result.point_message[1]
    # A lambda is fine in this process.
    result = dr.sweep(lambda x: "text", {"x": [1.0]}, executor="serial", progress=False)
    assert result.n_failed == 1 and "number" in result.point_message[0]


# -- the TOML config (what `dynrnn sweep CONFIG` runs) ---------------------------------------------
def test_sweep_from_config_equals_direct_evaluation(tmp_path):
    config = tmp_path / "sweep.toml"
    config.write_text(textwrap.dedent("""
        function = "tests.sweep_functions:polynomial"

        [grid]
        x = {start = 0.0, stop = 1.0, num = 5}
        y = [-1.0, 3.0]

        [fixed]
        power = 3

        [sweep]
        store = "store"
        output = "out/result.npz"
        progress = false
    """))
    result = dr.sweep_from_config(config, scheduler="serial")
    grid = {"x": np.linspace(0, 1, 5), "y": [-1.0, 3.0]}
    assert_equal_data(result, direct(sf.polynomial, grid, power=3))
    assert len(list((tmp_path / "store").glob("p*.npz"))) == 10      # relative to the config
    loaded = SweepResult.from_npz(tmp_path / "out" / "result.npz")
    assert_equal_data(loaded, direct(sf.polynomial, grid, power=3))
    # --store overrides the config's; a rerun with the config's store loads everything.
    other = dr.sweep_from_config(config, scheduler="serial", store=tmp_path / "elsewhere")
    assert other.n_done == 10 and (tmp_path / "elsewhere" / "manifest.json").exists()
    again = dr.sweep_from_config(config, scheduler="serial")
    assert again.n_skipped == 10


def test_sweep_from_config_seed_range_on_dask(dask_cluster, tmp_path):
    config = tmp_path / "sweep.toml"
    config.write_text('function = "tests.sweep_functions:polynomial"\n'
                      '[grid]\nx = {range = 4}\ny = [2.0]\n[sweep]\nprogress = false\n')
    result = dr.sweep_from_config(config, scheduler=dask_cluster.scheduler_address)
    assert_equal_data(result, direct(sf.polynomial, {"x": np.arange(4), "y": [2.0]}))
    assert result.coordinates["x"].dtype.kind == "i"


@pytest.mark.parametrize("text, match", [
    ('[grid]\nx = [1.0]\n', "has no 'function'"),
    ('function = "tests.sweep_functions"\n[grid]\nx = [1.0]\n', "module:function"),
    ('function = "tests.sweep_functions:nope"\n[grid]\nx = [1.0]\n', "has no 'nope'"),
    ('function = "no_such_module_xyz:f"\n[grid]\nx = [1.0]\n', "cannot import"),
    ('function = "tests.sweep_functions:moments"\n[grid]\nx = {start = 0}\n', "linspace"),
    ('function = "tests.sweep_functions:moments"\n[grid]\nx = [1.0]\n[sweep]\nworkers = 2\n',
     "unknown key"),
    ('function = "tests.sweep_functions:moments"\ngrid = 3\n', "table"),
    ('function = = 3', "not valid TOML"),
])
def test_bad_configs_raise_clearly(tmp_path, text, match):
    config = tmp_path / "bad.toml"
    config.write_text(text)
    with pytest.raises(InvalidInputError, match=match):
        dr.sweep_from_config(config, scheduler="serial")


SIGINT_CHILD = """
import sys
import dynrnn as dr
from tests import sweep_functions as sf
if __name__ == "__main__":
    try:
        dr.sweep(sf.slow_square, {"i": list(range(40))}, store=sys.argv[1], max_workers=2,
                 progress=False)
    except dr.SweepInterrupted as exc:
        print("INTERRUPTED", exc.result.n_done, exc.result.n_pending, flush=True)
        sys.exit(130)
"""


@pytest.mark.slow
def test_ctrl_c_on_a_process_pool_sweep_keeps_the_store_and_reports_partial_result(tmp_path):
    store = tmp_path / "store"
    script = tmp_path / "child.py"
    script.write_text(SIGINT_CHILD)
    # Its own session, so that Ctrl-C reaches the child and its workers as in a terminal.
    child = subprocess.Popen([sys.executable, str(script), str(store)], cwd=ROOT,
                             env=child_env(SWEEP_TEST_DELAY="0.1"), start_new_session=True,
                             stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while len(list(store.glob("p*.npz"))) < 4:
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        os.killpg(child.pid, signal.SIGINT)
        out, _ = child.communicate(timeout=20)
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
    assert child.returncode == 130
    _, n_done, n_pending = out.split()
    stored = len(list(store.glob("p*.npz")))
    assert int(n_done) == stored and int(n_done) + int(n_pending) == 40 and stored < 40
    assert_no_process_mentions(str(tmp_path))


def test_dask_cancellation_echoes_are_dropped_and_nothing_else():
    # distributed's ClientExecutor logs a traceback through tornado for each future the sweep
    # cancels after Ctrl-C; that record (and only that one) is kept off stderr.
    import logging
    from concurrent.futures import InvalidStateError

    from dynrnn.sweeps.executors import _ECHO_FILTER, quiet_cancellation_echoes

    def _cascade_future():      # the name of distributed's callback
        raise InvalidStateError("CANCELLED: <Future state=cancelled>")

    def elsewhere():
        raise InvalidStateError("CANCELLED: <Future state=cancelled>")

    def record_of(function, exc_type=None):
        try:
            if exc_type is None:
                function()
            else:
                raise exc_type("boom")
        except Exception:   # noqa: BLE001
            return logging.LogRecord("tornado.application", logging.ERROR, __file__, 1,
                                     "Exception in callback", None, sys.exc_info())

    quiet_cancellation_echoes()
    quiet_cancellation_echoes()     # installed once
    logger = logging.getLogger("tornado.application")
    assert logger.filters.count(_ECHO_FILTER) == 1
    assert not logger.filter(record_of(_cascade_future))
    assert logger.filter(record_of(elsewhere))                  # same error, another origin
    assert logger.filter(record_of(None, RuntimeError))         # any other error
    assert logger.filter(logging.LogRecord("tornado.application", logging.ERROR, __file__, 1,
                                           "no exception", None, None))
