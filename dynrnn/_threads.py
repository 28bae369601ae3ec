"""BLAS threads chosen on purpose (threadpoolctl).

OpenBLAS starts one thread per core for every call. On a machine where another process is busy
(training beside an analysis, the other workers of a sweep), those threads wait for each other:
one ``np.linalg.eig`` of a 256 × 256 matrix took 1.95 s instead of 68 ms single-threaded on the
2-core development machine. dynrnn therefore sets the number of BLAS threads itself:

- **the library's heavy calls** (continuation, fixed-point searches, Lyapunov spectra) run with
  ``blas_threads()`` threads: **1 by default**, changed with :func:`set_blas_threads` (``None``
  leaves BLAS's own setting, e.g. for a large network on an idle many-core machine), or for one
  block with the :func:`blas_threads` context manager;
- **sweep workers** (process pools and Dask workers of :func:`dynrnn.sweep`) always run with
  one BLAS thread each: the parallelism is the workers.

The limit applies only inside those calls; the previous setting is restored after them, so
torch or the user's own numpy code are not affected.
"""
from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable
from typing import TypeVar

from ._checks import check_count
from .errors import InvalidInputError

__all__ = ["set_blas_threads", "get_blas_threads", "blas_threads", "limited_blas"]

_DEFAULT = 1
_setting: list = [_DEFAULT]
_local = threading.local()
F = TypeVar("F", bound=Callable)


def _check(n, argument: str = "n"):
    if n is None:
        return None
    return check_count(n, argument, 1, non_integer=InvalidInputError,
                       remedy="; None means BLAS's own setting")


def set_blas_threads(n: int | None) -> None:
    """Set the number of BLAS threads of dynrnn's heavy calls (default 1; None: BLAS's own).

    Examples
    --------
    >>> import dynrnn as dr
    >>> dr.set_blas_threads(2); dr.get_blas_threads()
    2
    >>> dr.set_blas_threads(1)
    """
    _setting[0] = _check(n)


def get_blas_threads() -> int | None:
    """The number of BLAS threads dynrnn's heavy calls use (None: BLAS's own setting)."""
    return _setting[0]


@contextlib.contextmanager
def blas_threads(n: int | None):
    """Within the block, dynrnn's heavy calls *and* any other BLAS call use ``n`` threads.

    >>> import numpy as np, dynrnn as dr
    >>> with dr.blas_threads(1):
    ...     _ = np.linalg.eigvals(np.eye(3))
    """
    n = _check(n)
    previous = _setting[0]
    _setting[0] = n
    try:
        if n is None:
            yield
        else:
            with _controller().limit(limits=n, user_api="blas"):
                yield
    finally:
        _setting[0] = previous


_CONTROLLER: list = []


def _controller():
    """One threadpoolctl controller (listing the loaded BLAS libraries costs about a ms)."""
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


@contextlib.contextmanager
def _limit(n):
    # nested heavy calls (a continuation calling a fixed-point search) set the limit once
    if n is None or getattr(_local, "depth", 0):
        yield
        return
    _local.depth = 1
    try:
        with _controller().limit(limits=n, user_api="blas"):
            yield
    finally:
        _local.depth = 0


def limited_blas(function: F) -> F:
    """Decorator for a heavy public call: run it with :func:`get_blas_threads` BLAS threads."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with _limit(_setting[0]):
            return function(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


def worker_blas_limit(n: int | None):
    """The context a sweep worker evaluates its chunk in (one thread per worker)."""
    return _limit(n)
