"""Argument checks shared by the analysis functions (each error names the argument)."""
from __future__ import annotations

import numbers

from .errors import InvalidInputError, InvalidTypeError

__all__ = ["check_count"]


def check_count(value, argument: str, minimum: int, *,
                non_integer: type[InvalidInputError] | type[InvalidTypeError] = InvalidTypeError
                ) -> int:
    """An integer count ``>= minimum`` (bools rejected), or a dynrnn error naming ``argument``.

    A value that is not an integer raises ``non_integer`` (InvalidTypeError; the functions
    that have always answered InvalidInputError, a ValueError, pass that to stay compatible);
    one below ``minimum`` raises InvalidInputError.
    """
    wanted = {0: "a non-negative integer (>= 0)", 1: "a positive integer (>= 1)"}.get(
        minimum, f"an integer >= {minimum}")
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise non_integer(f"{argument} must be {wanted}, got {value!r}",
                          argument=argument, value=value)
    if value < minimum:
        raise InvalidInputError(f"{argument} must be {wanted}, got {value}",
                                argument=argument, value=value)
    return int(value)
