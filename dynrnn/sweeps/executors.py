"""Where the points run: a local process pool (fork server), any ``concurrent.futures``
executor, a Dask scheduler by address, or this process."""
from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor

from .._checks import check_count
from ..errors import InvalidInputError, InvalidTypeError, MissingDependencyError
from .store import function_id

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                     "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
_CONNECT_TIMEOUT = 10.0         # seconds to reach a Dask scheduler given by its address


_DASK_INSTALL = "pip install 'dask[distributed]'  (or: pip install 'dynrnn[dask]')"


def dask_client(address: str):
    try:
        from distributed import Client
    except ImportError:
        raise MissingDependencyError(
            f"executor={address!r} needs Dask distributed, which is not installed; "
            f"{_DASK_INSTALL}") from None
    try:
        return Client(address, timeout=_CONNECT_TIMEOUT)
    except OSError as exc:
        raise InvalidInputError(
            f"could not connect to the Dask scheduler at {address!r} ({exc}); start one with "
            f"`dask scheduler` (and workers with `dask worker {address}`) or check the address",
            argument="executor", value=address) from None


def _is_cancellation_echo(record: logging.LogRecord) -> bool:
    """True for the log record distributed's ``ClientExecutor`` emits when a future the sweep
    cancelled (after Ctrl-C) is cancelled or finishes on the cluster anyway: its callback then
    sets the outcome of a cancelled ``concurrent.futures`` future, which raises inside the event
    loop, and tornado logs the traceback. The sweep already abandoned those points."""
    if record.exc_info is None or record.exc_info[1] is None:
        return False
    exc, tb = record.exc_info[1], record.exc_info[2]
    expected = (type(exc).__name__ in ("InvalidStateError", "FutureCancelledError",
                                       "CancelledError"))
    while tb is not None:
        if tb.tb_frame.f_code.co_name == "_cascade_future":
            return expected
        tb = tb.tb_next
    return False


class _CancellationEchoFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _is_cancellation_echo(record)


_ECHO_FILTER = _CancellationEchoFilter()


def quiet_cancellation_echoes() -> None:
    """Keep the tracebacks of futures cancelled by an interrupted sweep off stderr (Dask).

    Only records whose exception is a cancellation passing through distributed's
    ``_cascade_future`` are dropped; every other record of the logger is kept.
    """
    logger = logging.getLogger("tornado.application")
    if _ECHO_FILTER not in logger.filters:
        logger.addFilter(_ECHO_FILTER)


def default_mp_context():
    # forkserver: workers never inherit the threads (tqdm monitor, Dask) of the calling process,
    # which fork() would copy with their locks held; it is the default from Python 3.14 on.
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # The fork server imports dynrnn once and each worker forks from it with dynrnn loaded,
    # instead of importing numpy/scipy/sympy itself (about 1 s per worker on a busy machine).
    # The preload list is shared by the process's one fork server: add to it, keep the rest.
    from multiprocessing import forkserver
    preload = list(getattr(forkserver._forkserver, "_preload_modules", ["__main__"]))
    if "dynrnn" not in preload:
        context.set_forkserver_preload(preload + ["dynrnn"])
    # One BLAS/OpenMP thread per worker: n workers on n cores. Multithreaded BLAS in every worker
    # (OpenBLAS threads even a 100 x 100 matrix-vector product) made a 2-worker sweep slower
    # than a serial one here. The fork server reads these variables when it starts and its
    # workers inherit them; a value the user set is kept; nothing changes if it already runs.
    saved = {name: os.environ.get(name) for name in _THREAD_VARIABLES}
    try:
        for name in _THREAD_VARIABLES:
            os.environ.setdefault(name, "1")
        forkserver.ensure_running()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return context


def check_picklable(function: Callable) -> None:
    try:
        pickle.dumps(function)
    except Exception as exc:  # noqa: BLE001
        raise InvalidInputError(
            f"function {function_id(function)} cannot be sent to worker processes ({exc}); "
            f"define it at module level (not a lambda or a local function), or use "
            f"executor='serial'", argument="function", value=function) from None


def _exit_with_parent(connection) -> None:
    """Worker initializer: exit when the sweep's process dies, even by SIGKILL.

    ProcessPoolExecutor's workers would otherwise wait forever on their task queue (every worker
    holds that pipe's write end, so it never reports EOF). ``connection`` is the read end of a pipe
    whose only write end the sweep's process holds: the read sees EOF exactly when it is gone.
    """
    def watch():
        try:
            connection.recv_bytes()
        except (EOFError, OSError):
            pass
        os._exit(1)

    threading.Thread(target=watch, name="dynrnn-sweep-parent-watch", daemon=True).start()


class SerialExecutor:
    """Evaluates each chunk when it is submitted, in this process (``executor='serial'``)."""

    def submit(self, fn, *args):
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # noqa: BLE001
            future.set_exception(exc)
        return future


def resolve_executor(executor, max_workers, function):
    """Return ``(executor, cleanup, n_workers_hint)``."""
    if executor is None:
        n = (check_count(max_workers, "max_workers", 1, non_integer=InvalidInputError)
             if max_workers is not None else min(2, os.cpu_count() or 1))
        check_picklable(function)
        context = default_mp_context()
        parent_alive, keep_alive = context.Pipe(duplex=False)
        pool = ProcessPoolExecutor(max_workers=n, mp_context=context,
                                   initializer=_exit_with_parent, initargs=(parent_alive,))

        def shutdown(interrupted: bool) -> None:
            # After Ctrl-C do not wait for the running points: their results would be dropped.
            # Closing the pipe then makes the workers abandon them and exit at once.
            pool.shutdown(wait=not interrupted, cancel_futures=True)
            parent_alive.close()
            keep_alive.close()

        return pool, shutdown, n
    if isinstance(executor, str):
        if executor == "serial":
            return SerialExecutor(), lambda interrupted: None, 1
        if "://" in executor:
            client = dask_client(executor)
            n = max(1, sum(client.nthreads().values()))
            quiet_cancellation_echoes()
            return client.get_executor(), lambda interrupted: client.close(), n
        raise InvalidInputError(
            f"executor must be None, 'serial', a scheduler address like 'tcp://HOST:PORT', a "
            f"concurrent.futures.Executor or a Dask Client; got {executor!r}",
            argument="executor", value=executor)
    if hasattr(executor, "get_executor") and not isinstance(executor, Executor):
        # A dask.distributed.Client (duck-typed so dask stays optional).
        n = max(1, sum(executor.nthreads().values()))
        quiet_cancellation_echoes()
        return executor.get_executor(), lambda interrupted: None, n
    if isinstance(executor, Executor) or hasattr(executor, "submit"):
        if isinstance(executor, ProcessPoolExecutor):
            check_picklable(function)
        n = getattr(executor, "_max_workers", None) or max_workers or 2
        return executor, lambda interrupted: None, int(n)
    raise InvalidTypeError(
        f"executor must be None, 'serial', an address string, a concurrent.futures.Executor or "
        f"a Dask Client; got {type(executor).__name__}", argument="executor", value=executor)
