"""Argument checks shared by the analysis functions (each error names the argument)."""
from __future__ import annotations

import numbers

import numpy as np

from .errors import InvalidInputError, InvalidTypeError, ShapeError

__all__ = ["check_count", "check_executor", "check_seed"]


def check_count(value, argument: str, minimum: int, *,
                non_integer: type[InvalidInputError] | type[InvalidTypeError] = InvalidTypeError,
                too_small: type[InvalidInputError] = InvalidInputError,
                label: str | None = None, remedy: str = "") -> int:
    """An integer count ``>= minimum`` (bools rejected), or a dynrnn error naming ``argument``.

    A value that is not an integer raises ``non_integer`` (InvalidTypeError; the functions
    that have always answered InvalidInputError, a ValueError, pass that to stay compatible);
    one below ``minimum`` raises ``too_small`` (InvalidInputError, or a subclass such as
    ShapeError for a dimension). ``label`` is how the message names the value (``argument`` by
    default, e.g. "options.max_points" for the argument "max_points"); ``remedy`` is appended
    to the message.
    """
    wanted = {0: "a non-negative integer (>= 0)", 1: "a positive integer (>= 1)"}.get(
        minimum, f"an integer >= {minimum}")
    shown = argument if label is None else label
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _error(non_integer, f"{shown} must be {wanted}, got {value!r:.60}{remedy}",
                     argument, value)
    if value < minimum:
        raise _error(too_small, f"{shown} must be {wanted}, got {value}{remedy}", argument, value)
    return int(value)


def _error(kind: type[InvalidInputError] | type[InvalidTypeError], message: str, argument: str,
           value) -> InvalidInputError | InvalidTypeError:
    """An error of class ``kind`` (a ShapeError reports the value as its ``actual`` shape)."""
    if issubclass(kind, ShapeError):
        return kind(message, argument=argument, actual=value)
    return kind(message, argument=argument, value=value)


def check_seed(seed, argument: str = "seed") -> np.random.Generator:
    """A random generator from ``seed`` (None, a non-negative integer, a SeedSequence or a numpy
    Generator), or a dynrnn error naming ``argument`` (numpy's own errors for a negative or
    text seed do not)."""
    if isinstance(seed, bool) or isinstance(seed, (str, bytes, float, complex)):
        raise InvalidTypeError(f"{argument} must be None, a non-negative integer or a numpy "
                               f"Generator, got {seed!r:.60}", argument=argument, value=seed)
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as exc:
        raise InvalidTypeError(f"{argument} must be None, a non-negative integer or a numpy "
                               f"Generator, got {seed!r:.60} ({exc})", argument=argument,
                               value=seed) from None


def check_executor(executor, argument: str = "executor"):
    """``executor`` as the parallel runs accept it (None, "pool", "serial", a scheduler address
    "tcp://HOST:PORT", a concurrent.futures.Executor or a Dask Client), checked before any work
    (an array or a number would otherwise fail deep inside, after the ensemble was built)."""
    if executor is None or hasattr(executor, "submit") or hasattr(executor, "get_executor"):
        return executor
    if isinstance(executor, str) and (executor in ("pool", "serial") or "://" in executor):
        return executor
    shown = f"{executor!r}"
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    error = InvalidInputError if isinstance(executor, str) else InvalidTypeError
    raise error(f"{argument} must be None, 'pool', 'serial', a scheduler address like "
                f"'tcp://HOST:PORT', a concurrent.futures.Executor or a Dask Client; got "
                f"{type(executor).__name__} {shown}", argument=argument, value=executor)
