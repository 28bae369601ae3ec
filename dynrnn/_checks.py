"""Argument checks shared by the analysis functions (each error names the argument)."""
from __future__ import annotations

import numbers

from .errors import InvalidInputError, InvalidTypeError

__all__ = ["check_count"]


def check_count(value, argument: str, minimum: int) -> int:
    """An integer count ``>= minimum`` (bools rejected), or a dynrnn error naming ``argument``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidTypeError(f"{argument} must be an integer, got {value!r}",
                               argument=argument, value=value)
    if value < minimum:
        raise InvalidInputError(f"{argument} must be >= {minimum}, got {value}",
                                argument=argument, value=value)
    return int(value)
