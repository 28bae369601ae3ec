"""Evaluating a chunk of points on a worker: one point's failure never stops the others."""
from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..errors import InvalidTypeError

_DEFAULT_VARIABLE = "value"
_SCALAR_KINDS = "biuf"          # bool, signed/unsigned int, float: what a point may return


def normalise_output(output: Any) -> dict[str, np.ndarray]:
    """Check one point's return value and turn it into ``{name: float/complex array}``."""
    items = output.items() if isinstance(output, Mapping) else [(_DEFAULT_VARIABLE, output)]
    result = {}
    for name, value in items:
        if not isinstance(name, str) or not name or "/" in name:
            raise InvalidTypeError(f"output names must be non-empty strings without '/', got "
                                   f"{name!r}", argument="function", value=name)
        arr = np.asarray(value)
        if arr.dtype.kind == "c":
            arr = arr.astype(np.complex128)
        elif arr.dtype.kind in _SCALAR_KINDS:
            arr = arr.astype(np.float64)
        else:
            raise InvalidTypeError(
                f"output {name!r} must be a number or an array of numbers, got "
                f"{type(value).__name__} (dtype {arr.dtype})", argument="function", value=value)
        result[name] = arr
    if not result:
        raise InvalidTypeError("the function returned an empty dict", argument="function",
                               value=output)
    return result


def error_message(exc: BaseException) -> str:
    """``Type: message`` first (for tables), then the traceback (for debugging)."""
    head = f"{type(exc).__name__}: {exc}"
    tail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return f"{head}\n{tail}"


def evaluate_chunk(function: Callable, fixed: dict, points: list, retries: int,
                   blas_threads: int | None = None) -> list:
    """Evaluate ``function(**fixed, **point)`` for each ``(flat_index, point)``.

    Returns ``(flat_index, ok, outputs-or-message, seconds)`` per point. An exception in one point
    is caught (retried ``retries`` times) and reported, so the other points of the chunk still run.
    ``blas_threads``: BLAS threads while evaluating (1 in pool and Dask workers: the workers are
    the parallelism, and threads of several workers on the same cores wait for each other).
    """
    from .._threads import worker_blas_limit
    with worker_blas_limit(blas_threads):
        return _evaluate_points(function, fixed, points, retries)


def _evaluate_points(function: Callable, fixed: dict, points: list, retries: int) -> list:
    results: list[tuple[int, bool, Any, float]] = []
    for flat_index, point in points:
        start = time.perf_counter()
        for attempt in range(retries + 1):
            try:
                outputs = normalise_output(function(**fixed, **point))
            except Exception as exc:  # noqa: BLE001  (reported per point, never swallowed)
                if attempt == retries:
                    results.append((flat_index, False, error_message(exc),
                                    time.perf_counter() - start))
            else:
                results.append((flat_index, True, outputs, time.perf_counter() - start))
                break
    return results
