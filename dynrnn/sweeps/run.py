"""Parameter and seed sweeps over any :class:`concurrent.futures.Executor`, resumable from a store.

A sweep evaluates ``function(**point)`` at every point of the Cartesian product of named axes
(a :class:`Grid`) and gathers the outputs into arrays shaped like the grid (a :class:`SweepResult`).
The points run on a local process pool by default, on any ``concurrent.futures`` executor
(including Dask distributed's ``Client.get_executor()``), on a Dask scheduler given by its address
(``"tcp://HOST:PORT"``), or in this process (``executor="serial"``, for debugging).

With ``store=DIR`` every finished point is written to its own file at once and atomically, so a
sweep that is killed loses only the points in flight; running the same sweep again loads what is
stored and evaluates only the rest.

Store layout
------------
``DIR/manifest.json``
    The grid (axis names, dtypes and values), the fixed arguments and the function's import path.
    A store is refused for any other grid or function.
``DIR/p<flat index>-<hash>.npz``
    One finished point: its outputs (``out/<name>``) and its coordinates (``point``, JSON). The
    hash is a SHA-256 of the point's coordinates, so file names are stable across runs and
    machines. A file that cannot be read, or whose coordinates do not match, is ignored and the
    point is evaluated again.
``DIR/.tmp-*``
    A file being written. It is renamed into place (``os.replace``) only after ``fsync``; a leftover
    one from a killed run is never read.

Failed points are not stored: a rerun retries them.
"""
from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from typing import Any

import numpy as np

from .._checks import check_count
from .._signature_checks import checked_arguments
from ..errors import DynrnnWarning, InvalidInputError, InvalidTypeError
from .executors import SerialExecutor, resolve_executor
from .grid import Grid, python_scalar
from .points import error_message, evaluate_chunk
from .result import PointStatus, SweepError, SweepInterrupted, SweepResult, SweepStatus
from .store import Store, function_id

__all__ = ["sweep"]

_WINDOW_PER_WORKER = 16


def _check_fixed(fixed: Mapping | None, grid: Grid) -> dict:
    if fixed is None:
        return {}
    if not isinstance(fixed, Mapping):
        raise InvalidTypeError(f"fixed must be a mapping of keyword -> value, got "
                               f"{type(fixed).__name__}", argument="fixed", value=fixed)
    out = {}
    for key, value in fixed.items():
        if not isinstance(key, str) or not key.isidentifier():
            raise InvalidInputError(f"fixed argument names must be identifiers, got {key!r}",
                                    argument="fixed", value=key)
        if key in grid.axes:
            raise InvalidInputError(f"{key!r} is both a grid axis and a fixed argument",
                                    argument="fixed", value=key)
        value = python_scalar(value)
        if not isinstance(value, (bool, int, float, str)):
            raise InvalidTypeError(
                f"fixed argument {key!r} must be a bool, int, float or str (it is recorded in the "
                f"store's manifest), got {type(value).__name__}; bind other objects with "
                f"functools.partial", argument="fixed", value=value)
        out[key] = value
    return out


class _Collector:
    """Gathers per-point outcomes and checks that every point returns the same outputs."""

    def __init__(self, grid: Grid):
        self.grid = grid
        self.status = np.full(grid.shape, PointStatus.PENDING.value, dtype="<U7")
        self.message = np.full(grid.size, "", dtype=object)
        self.seconds = np.full(grid.shape, np.nan)
        self.outputs: dict[int, dict[str, np.ndarray]] = {}
        self.layout: dict[str, tuple[tuple[int, ...], str]] | None = None

    def add(self, flat_index: int, ok: bool, payload, seconds: float, status: PointStatus):
        index = np.unravel_index(flat_index, self.grid.shape)
        self.seconds[index] = seconds
        if ok:
            layout = {k: (v.shape, v.dtype.kind) for k, v in payload.items()}
            if self.layout is None:
                self.layout = layout
            elif layout != self.layout:
                ok, payload = False, (
                    f"InvalidTypeError: this point returned outputs {_describe(layout)} but "
                    f"earlier points returned {_describe(self.layout)}; every point must return "
                    f"the same names and shapes")
        if ok:
            self.outputs[flat_index] = payload
            self.status[index] = status.value
        else:
            self.status[index] = PointStatus.FAILED.value
            self.message[flat_index] = payload
        return ok

    def data(self) -> dict[str, np.ndarray]:
        if self.layout is None:
            return {}
        data = {}
        for name, (shape, kind) in self.layout.items():
            dtype = np.complex128 if kind == "c" else np.float64
            arr = np.full((self.grid.size,) + shape, np.nan, dtype=dtype)
            for flat_index, outputs in self.outputs.items():
                arr[flat_index] = outputs[name]
            data[name] = arr.reshape(self.grid.shape + shape)
        return data


def _describe(layout) -> str:
    return "{" + ", ".join(f"{k}: shape {s}" for k, (s, _) in sorted(layout.items())) + "}"


@checked_arguments
def sweep(function: Callable[..., Any], grid: Mapping[str, Sequence] | Grid, *,
          executor: Executor | str | None = None, store: str | os.PathLike | None = None,
          max_workers: int | None = None, progress: bool = True, chunksize: int | None = None,
          retries: int = 0, raise_on_error: bool = False,
          fixed: Mapping[str, Any] | None = None) -> SweepResult:
    r"""Evaluate ``function(**fixed, **point)`` at every point of a grid, in parallel.

    .. math::

        \mathrm{data}[k](i_1, \dots, i_d) = f\big(a_1 = c_1[i_1], \dots, a_d = c_d[i_d]\big)[k]

    Parameters
    ----------
    function : callable
        Called with one keyword argument per axis (plus ``fixed``). Returns a number, an array of
        a fixed shape, or a dict of those (one output per key). For worker processes it must be
        picklable: a module-level function or a ``functools.partial`` of one.
    grid : mapping of str to 1-D sequence, or Grid
        The axes; their Cartesian product is evaluated (C order, last axis fastest). A seed is an
        axis like any other.
    executor : None, "serial", str, concurrent.futures.Executor or dask Client, optional
        None: a local process pool of ``max_workers`` (default 2) processes, shut down at the end.
        ``"serial"``: this process, one point after the other (for debugging).
        ``"tcp://HOST:PORT"``: a Dask scheduler; a ``distributed.Client`` is connected and closed
        at the end (needs
        ``pip install 'dask[distributed]'``). An executor or a Client you pass is used and left
        running.
    store : path, optional
        Directory holding one file per finished point (see the module docstring). Points already
        stored are loaded, not evaluated; a store made for another grid or function is refused.
    max_workers : int, optional
        Processes of the default pool.
    progress : bool
        Show a tqdm progress bar as points complete.
    chunksize : int, optional
        Points sent to a worker per task. Larger chunks cut the per-task overhead of cheap
        functions; smaller ones balance slow points and lose less when killed. Default: 1 up to
        512 points, then ``ceil(n / 512)`` capped at 64.
    retries : int
        Extra attempts for a point that raises, and for a task whose worker was lost.
    raise_on_error : bool
        If True and some points failed, raise :class:`SweepError` (carrying the result) after
        every point has been tried.
    fixed : mapping, optional
        Keyword arguments (bool, int, float or str) passed unchanged to every point and recorded in
        the store's manifest.

    Returns
    -------
    SweepResult
        Outputs as arrays of shape ``grid.shape + output_shape``, with per-point status.

    Notes
    -----
    The default pool starts its workers through a fork server (a spawn on platforms without one),
    never by forking the calling process with its threads. The workers import the function by
    name, so a script that sweeps a function of its own must guard its entry point with
    ``if __name__ == "__main__":``. They exit on their own if the calling process dies.

    Measured on 2 shared cores (``python benchmarks/bench_sweeps.py``): tens of µs per point in
    serial mode, a few hundred µs per task on the process pool, a few ms per task on a Dask
    LocalCluster; use ``chunksize`` for functions cheaper than that. Writing a point to the store
    costs one fsync (several ms here).

    Raises
    ------
    SweepError
        With ``raise_on_error=True``, if any point failed.
    SweepInterrupted
        On KeyboardInterrupt; ``.result`` holds what finished (and is in the store).
    InvalidInputError
        For a bad grid, a store made for a different sweep, or an unknown executor.

    Examples
    --------
    >>> from dynrnn.sweep_examples import one_unit_attractor_count
    >>> result = sweep(one_unit_attractor_count, {"w": [1.0, 5.0], "b": [-2.5, 0.0]},
    ...                fixed={"activation": "sigmoid"}, executor="serial", progress=False)
    >>> result["n_attractors"]
    array([[1., 1.],
           [2., 1.]])
    """
    start = time.perf_counter()
    if not callable(function):
        raise InvalidTypeError(f"function must be callable, got {type(function).__name__}",
                               argument="function", value=function)
    grid = Grid.from_axes(grid)
    fixed = _check_fixed(fixed, grid)
    retries = check_count(retries, "retries", 0)
    if chunksize is not None:
        chunksize = check_count(chunksize, "chunksize", 1)
    function_name = function_id(function)
    stored = Store(store, grid, function_name, fixed) if store is not None else None

    if isinstance(executor, str) and executor != "serial" and "://" not in executor:
        resolve_executor(executor, max_workers, function)      # raises, naming the argument
    collector = _Collector(grid)
    todo = _load_stored(stored, collector)
    n_skipped = grid.size - len(todo)
    if chunksize is None:
        chunksize = 1 if len(todo) <= 512 else min(64, math.ceil(len(todo) / 512))
    chunks = [todo[i:i + chunksize] for i in range(0, len(todo), chunksize)]
    dispatcher = _Dispatcher(function, fixed, grid, collector, stored, retries, executor,
                             max_workers)
    if chunks:
        bar = None
        if progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=grid.size, initial=n_skipped, desc=f"sweep {function_name}",
                       unit="pt", smoothing=0.05)
        dispatcher.run(chunks, bar)
    interrupted, n_done = dispatcher.interrupted, dispatcher.n_done
    if dispatcher.store_errors:
        warnings.warn(f"{len(dispatcher.store_errors)} finished point(s) could not be written "
                      f"to the store (they are in the returned result; a rerun evaluates them "
                      f"again); first: {dispatcher.store_errors[0]}", DynrnnWarning,
                      stacklevel=2)

    n_failed = int(np.count_nonzero(collector.status == PointStatus.FAILED.value))
    n_pending = int(np.count_nonzero(collector.status == PointStatus.PENDING.value))
    status = (SweepStatus.INTERRUPTED if n_pending else
              SweepStatus.FAILED_POINTS if n_failed else SweepStatus.COMPLETE)
    result = SweepResult(
        axes=grid.axes, coordinates=dict(zip(grid.axes, grid.coordinates)),
        data=collector.data(), point_status=collector.status,
        point_message=collector.message.astype(str).reshape(grid.shape),
        point_elapsed=collector.seconds, status=status, function=function_name, fixed=fixed,
        n_done=n_done, n_failed=n_failed, n_skipped=n_skipped, n_pending=n_pending,
        elapsed=time.perf_counter() - start, store=str(store) if store is not None else "")
    if interrupted:
        raise SweepInterrupted(
            f"sweep interrupted after {n_done} new points ({n_skipped} loaded, {n_pending} not "
            f"finished)" + (f"; finished points are in {str(store)!r}" if store else ""),
            result=result)
    if raise_on_error and n_failed:
        failures = result.failures
        first = next(iter(failures.items()))
        raise SweepError(
            f"{n_failed} of {grid.size} points failed; first at index {first[0]} "
            f"({grid.point(first[0])}): {first[1].splitlines()[0]}",
            result=result, failures=failures)
    return result


def _load_stored(stored: Store | None, collector: _Collector) -> list[int]:
    """Load every point the store holds into ``collector``; the flat indices still to do."""
    todo = []
    present = stored.listing() if stored is not None else set()
    for flat_index in range(collector.grid.size):
        loaded = stored.load(flat_index, present) if stored is not None else None
        if loaded is None or not collector.add(flat_index, True, loaded[0], loaded[1],
                                               PointStatus.SKIPPED):
            if loaded is not None:   # stored with another layout: evaluate again
                collector.status.flat[flat_index] = PointStatus.PENDING.value
                collector.message[flat_index] = ""
            todo.append(flat_index)
    return todo


class _Dispatcher:
    """Sends chunks of points to the executor and collects their outcomes.

    A bounded window of tasks is in flight: workers never idle, yet a huge grid does not become
    millions of futures, and an interrupt has little to cancel. The serial executor evaluates
    on submit, so its window is one chunk (each point stored at once).
    """

    def __init__(self, function, fixed, grid: Grid, collector: _Collector,
                 stored: Store | None, retries: int, executor, max_workers):
        self.function, self.fixed, self.grid = function, fixed, grid
        self.collector, self.stored, self.retries = collector, stored, retries
        self.executor, self.max_workers = executor, max_workers
        self.pending: dict[Future, tuple[list[int], int]] = {}
        self.store_errors: list[str] = []
        self.n_done = 0
        self.interrupted = False
        self.bar = None

    def run(self, chunks: list[list[int]], bar) -> None:
        pool, cleanup, n_workers = resolve_executor(self.executor, self.max_workers,
                                                    self.function)
        self.pool, self.cleanup, self.bar = pool, cleanup, bar
        window = 1 if isinstance(pool, SerialExecutor) else _WINDOW_PER_WORKER * n_workers
        queue = iter(chunks)
        try:
            self.fill(queue, window)
            while self.pending:
                finished, _ = wait(list(self.pending), return_when=FIRST_COMPLETED)
                for future in finished:
                    self.collect(future)
                self.fill(queue, window)
        except KeyboardInterrupt:
            self.interrupted = True
            # Keep what has already arrived; abandon the rest (it is in no store yet).
            # The same Ctrl-C reaches the workers too: a task that died of it carries a
            # KeyboardInterrupt (not an Exception) and is abandoned like the unfinished ones.
            for future in list(self.pending):
                if (future.done() and not future.cancelled()
                        and future.exception() is None):
                    try:
                        self.collect(future)
                    except Exception:  # noqa: BLE001
                        pass
                else:
                    future.cancel()
        finally:
            self.cleanup(self.interrupted)
            if self.bar is not None:
                self.bar.close()

    @property
    def worker_blas_threads(self) -> int | None:
        """One BLAS thread in each worker; the serial executor keeps the library's setting."""
        return None if isinstance(self.pool, SerialExecutor) else 1

    def submit(self, chunk: list[int], attempt: int) -> None:
        points = [(i, self.grid.point(i)) for i in chunk]
        try:
            future = self.pool.submit(evaluate_chunk, self.function, self.fixed, points,
                                      self.retries, self.worker_blas_threads)
        except BrokenExecutor:
            if self.executor is not None:       # not ours to replace
                raise
            # A worker of our pool died (os._exit, a crash in an extension): every task in
            # flight has failed with it, but the points not yet sent get a fresh pool.
            self.cleanup(False)
            self.pool, self.cleanup, _ = resolve_executor(None, self.max_workers, self.function)
            future = self.pool.submit(evaluate_chunk, self.function, self.fixed, points,
                                      self.retries, self.worker_blas_threads)
        self.pending[future] = (chunk, attempt)

    def record(self, outcomes: list) -> None:
        for flat_index, ok, payload, seconds in outcomes:
            if self.collector.add(flat_index, ok, payload, seconds, PointStatus.DONE):
                self.n_done += 1
                if self.stored is not None:
                    self._store(self.stored, flat_index, payload, seconds)
        if self.bar is not None:
            self.bar.update(len(outcomes))

    def _store(self, stored: Store, flat_index: int, payload, seconds: float) -> None:
        # The point already counts as done, so a Ctrl-C that lands inside the write must not
        # leave it without its file: the write (atomic, so never half a file) is finished
        # before the interrupt goes on to the sweep's handler.
        try:
            try:
                stored.save(flat_index, payload, seconds)
            except KeyboardInterrupt:
                stored.save(flat_index, payload, seconds)
                raise
        except OSError as exc:    # disk full, permissions: keep it in memory
            self.store_errors.append(f"{stored.path(flat_index).name}: {exc}")

    def task_failed(self, chunk: list[int], exc: BaseException) -> None:
        hint = (" (a worker process died, in one of these points or in another task of the "
                "same pool; rerun with the store to retry)"
                if isinstance(exc, BrokenExecutor) else "")
        message = f"task failed{hint}: {error_message(exc)}"
        self.record([(i, False, message, math.nan) for i in chunk])

    def fill(self, queue, window: int) -> None:
        while len(self.pending) < window:
            chunk = next(queue, None)
            if chunk is None:
                return
            try:
                self.submit(chunk, 0)
            except Exception as exc:  # noqa: BLE001  (an executor that refuses work)
                self.task_failed(chunk, exc)

    def collect(self, future: Future) -> None:
        chunk, attempt = self.pending.pop(future)
        try:
            outcomes = future.result()
        except Exception as exc:  # noqa: BLE001  (lost worker, unpicklable output, ...)
            if attempt < self.retries:
                try:
                    self.submit(chunk, attempt + 1)
                    return
                except Exception:  # noqa: BLE001  (executor broken: recorded below)
                    pass
            self.task_failed(chunk, exc)
            return
        self.record(outcomes)
