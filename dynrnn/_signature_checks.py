"""Argument checks read from a public function's type hints, before any work.

``@checked_arguments`` compares each argument with its annotation: an ``int`` must be an integer
(not a bool), a ``float`` a real number that is not NaN, a ``str`` text, a ``Literal[...]`` one of
its values, a class an instance of it, a ``Callable`` callable, a path text or ``os.PathLike``.
A mismatch raises :class:`~dynrnn.errors.InvalidTypeError` (or :class:`InvalidInputError` for a
value outside a ``Literal``) naming the argument, the value and what was expected. Annotations
it cannot read (containers, arrays, unresolvable names) are left to the function's own checks,
which still follow; so do ranges (``n_steps >= 1``) and shapes.

The point is the promise of the library's errors: a wrong type anywhere in the public API gives
a sentence naming the argument, not numpy's "truth value of an array is ambiguous" from deep
inside.
"""
from __future__ import annotations

import collections.abc
import functools
import inspect
import math
import numbers
import os
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from .errors import InvalidInputError, InvalidTypeError, NonFiniteError

__all__ = ["checked_arguments"]

F = TypeVar("F", bound=Callable[..., Any])

_UNKNOWN = object()     # an annotation that is not checked here


def _resolve(function) -> dict[str, Any]:
    """The function's annotations as objects; one that cannot be resolved is skipped."""
    hints: dict[str, Any] = {}
    namespace = dict(vars(typing))
    namespace.update(function.__globals__)
    for name, annotation in getattr(function, "__annotations__", {}).items():
        if name == "return":
            continue
        # twice: a quoted hint under `from __future__ import annotations` is a string of a string
        for _ in range(2):
            if isinstance(annotation, str):
                try:
                    annotation = eval(annotation, namespace)   # noqa: S307 - the library's hints
                except Exception:   # a name only imported for type checkers: left unchecked
                    annotation = None
        if annotation is None:
            continue
        hints[name] = annotation
    return hints


def _matches(value, hint) -> bool | object:
    """Whether ``value`` fits ``hint``; ``_UNKNOWN`` when the hint is not checked here."""
    if hint is Any or hint is inspect.Parameter.empty:
        return _UNKNOWN
    if hint is None or hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        outcomes = [_matches(value, h) for h in typing.get_args(hint)]
        if any(o is True for o in outcomes):
            return True
        return _UNKNOWN if any(o is _UNKNOWN for o in outcomes) else False
    if origin is typing.Literal:
        if isinstance(value, numbers.Number) and not isinstance(value, bool) and not any(
                isinstance(choice, numbers.Number) for choice in typing.get_args(hint)):
            # a number for a choice of words: the function may read old spellings
            # (continuation's direction=1/-1, deprecated); it checks the value itself
            return _UNKNOWN
        return (isinstance(value, (str, numbers.Number)) and not isinstance(value, bool)
                and any(type(value) is type(choice) or (isinstance(value, numbers.Number)
                                                          and isinstance(choice, numbers.Number))
                        for choice in typing.get_args(hint) if choice == value))
    if origin in (collections.abc.Callable,) or hint is collections.abc.Callable \
            or hint is typing.Callable:
        return callable(value)
    if origin is not None:
        if origin in (collections.abc.Mapping, dict) or hint is typing.Mapping:
            return isinstance(value, collections.abc.Mapping)
        return _UNKNOWN         # tuple[...], Sequence[...], list[...]: the function checks them
    if hint is bool:
        # flags are read by truthiness, but an array or a container has no single truth value
        return not isinstance(value, (np.ndarray, list, tuple, dict, set, str, bytes))
    if hint is int:
        return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if hint is float:
        return (isinstance(value, (int, float, np.integer, np.floating))
                and not isinstance(value, (bool, np.bool_)) and not math.isnan(value))
    if hint is str:
        return isinstance(value, str)
    if hint is os.PathLike:
        return isinstance(value, os.PathLike)
    if hint is np.ndarray or not isinstance(hint, type):
        return _UNKNOWN
    if hint in (collections.abc.Mapping, typing.Mapping):
        return isinstance(value, collections.abc.Mapping)
    if hint.__module__.split(".")[0] in ("dynrnn", "numpy"):
        return isinstance(value, hint)
    return _UNKNOWN


def _describe(hint) -> str:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(h) for h in typing.get_args(hint))
    if origin is typing.Literal:
        choices = [repr(c) for c in typing.get_args(hint)]
        return choices[0] if len(choices) == 1 else ", ".join(choices[:-1]) + " or " + choices[-1]
    if hint is type(None) or hint is None:
        return "None"
    if hint is int:
        return "an integer"
    if hint is bool:
        return "True or False"
    if hint is float:
        return "a real number (not NaN)"
    if hint is str:
        return "text (str)"
    if origin is collections.abc.Callable or hint in (collections.abc.Callable, typing.Callable):
        return "callable"
    if hint is os.PathLike:
        return "a path"
    if origin in (collections.abc.Mapping, dict) or hint in (collections.abc.Mapping, dict):
        return "a mapping"
    return getattr(hint, "__name__", str(hint))


def _literals(hint) -> list:
    """The values of the Literal parts of a hint."""
    if typing.get_origin(hint) is typing.Literal:
        return list(typing.get_args(hint))
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [v for h in typing.get_args(hint) for v in _literals(h)]
    return []


def _mismatch(name: str, value, hint) -> Exception:
    """The error for a value that does not fit its hint: NaN is a non-finite value, text
    outside a Literal an invalid value, anything else a wrong type."""
    shown = f"{value!r}"
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    message = f"{name} must be {_describe(hint)}, got {type(value).__name__} {shown}"
    if value is None and "PathLike" in repr(hint):
        # a missing path is a missing value (as dynrnn.save has always said), not a wrong type
        return InvalidInputError(f"{name} must be a file path, got None", argument=name,
                                 value=value)
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return NonFiniteError(f"{name} must be finite, got NaN", argument=name, value=value)
    literals = _literals(hint)
    members = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union,
                                                                    types.UnionType) else (hint,)
    numeric_member = any(m in (int, float) for m in members)
    if literals and (isinstance(value, str) or (
            isinstance(value, numbers.Number) and not isinstance(value, bool)
            and not numeric_member)):
        # a word or number outside the choices is a wrong value; a float where an integer or
        # one of the words is expected (column_block=1.5) stays a wrong type
        return InvalidInputError(message, argument=name, value=value)
    return InvalidTypeError(message, argument=name, value=value)


def checked_arguments(function: F) -> F:
    """Check a public function's arguments against its type hints before calling it."""
    signature = inspect.signature(function)
    hints: dict[str, Any] | None = None

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        nonlocal hints
        if hints is None:
            hints = _resolve(function)
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            return function(*args, **kwargs)   # Python's own message names the argument
        for name, value in bound.arguments.items():
            hint = hints.get(name)
            if hint is None or signature.parameters[name].default is value:
                continue
            try:
                ok = _matches(value, hint)
            except Exception:   # a value whose comparison itself fails (an array in a Literal)
                ok = False
            if ok is False:
                raise _mismatch(name, value, hint)
        return function(*args, **kwargs)

    return typing.cast(F, wrapper)
