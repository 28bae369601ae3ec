"""The exceptions and warnings dynrnn raises.

Every exception subclasses both :class:`DynrnnError` and the built-in it refines, so callers can
catch either ``dynrnn.DynrnnError`` or the familiar ``ValueError``/``TypeError``/``RuntimeError``.
Exceptions carry the offending data as attributes, not only in their message.
"""
from __future__ import annotations

from typing import Any

__all__ = [
    "DynrnnError",
    "InvalidInputError",
    "ShapeError",
    "NonFiniteError",
    "ResourceLimitError",
    "UnknownParameterError",
    "UnknownActivationError",
    "UndeclaredSymbolError",
    "InvalidTypeError",
    "ConvergenceError",
    "MissingDependencyError",
    "FileFormatError",
    "MapEvaluationError",
    "DynrnnWarning",
    "DerivativeFallbackWarning",
]


class DynrnnError(Exception):
    """Base class of every exception raised by dynrnn."""


class InvalidInputError(DynrnnError, ValueError):
    """An argument has an invalid value. ``argument`` names it."""

    def __init__(self, message: str, *, argument: str | None = None, value: Any = None):
        super().__init__(message)
        self.argument = argument
        self.value = value


class ShapeError(InvalidInputError):
    """An array argument has the wrong shape."""

    def __init__(self, message: str, *, argument: str | None = None, expected: Any = None,
                 actual: Any = None):
        super().__init__(message, argument=argument, value=actual)
        self.expected = expected
        self.actual = actual


class ResourceLimitError(InvalidInputError):
    """A request whose memory or work is beyond what a run can do (e.g. ``n_starts=10**12``).

    Raised before any work starts; the message says how much was asked and the limit.
    ``estimate`` holds the estimate (bytes or operations) and ``limit`` the bound.
    """

    def __init__(self, message: str, *, argument: str | None = None, value: Any = None,
                 estimate: float | None = None, limit: float | None = None):
        super().__init__(message, argument=argument, value=value)
        self.estimate = estimate
        self.limit = limit


class NonFiniteError(InvalidInputError):
    """An argument (or a value computed from it) contains NaN or infinity. Raised during a run,
    it carries what was computed before: ``partial`` (an orbit) or ``result`` (a training run)."""

    partial: Any = None
    result: Any = None


class UnknownParameterError(InvalidInputError):
    """A parameter name that the system does not have. ``valid`` lists the names it does have."""

    def __init__(self, message: str, *, argument: str | None = None, value: Any = None,
                 valid: tuple[str, ...] = ()):
        super().__init__(message, argument=argument, value=value)
        self.valid = tuple(valid)


class UnknownActivationError(InvalidInputError):
    """An activation name that is not registered."""


class UndeclaredSymbolError(InvalidInputError):
    """A sympy expression uses symbols that were declared neither as states, inputs nor parameters."""

    def __init__(self, message: str, *, argument: str | None = None, symbols: tuple[str, ...] = ()):
        super().__init__(message, argument=argument, value=symbols)
        self.symbols = tuple(symbols)


class InvalidTypeError(DynrnnError, TypeError):
    """An argument has an unsupported type."""

    def __init__(self, message: str, *, argument: str | None = None, value: Any = None):
        super().__init__(message)
        self.argument = argument
        self.value = value


class ConvergenceError(DynrnnError, RuntimeError):
    """An iterative method did not converge; ``result`` holds what was computed."""

    def __init__(self, message: str, *, result: Any = None):
        super().__init__(message)
        self.result = result


class MissingDependencyError(DynrnnError, ImportError):
    """An optional dependency (PyTorch, Dask) is needed but not installed."""


class FileFormatError(InvalidInputError):
    """A saved file is corrupt, truncated, or written by a newer format version."""


class MapEvaluationError(InvalidInputError):
    """A map's own code failed at run time: its step (or Jacobian) raised, or returned values
    that are not real numbers. ``argument`` names the function ("step", "jacobian", ...) and
    ``state`` is the state it was called at."""

    def __init__(self, message: str, *, argument: str | None = None, value: Any = None,
                 state: Any = None):
        super().__init__(message, argument=argument, value=value)
        self.state = state


class DynrnnWarning(UserWarning):
    """Base class of dynrnn's warnings."""


class DerivativeFallbackWarning(DynrnnWarning):
    """A derivative is computed numerically because no analytic one was given."""
