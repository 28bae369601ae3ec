"""The shared vocabulary of every continuation: statuses, directions, interval and size checks,
and deprecated option names."""
from __future__ import annotations

import enum
import math
import warnings
from typing import Literal, cast

from ...errors import InvalidInputError

__all__ = ["ContinuationStatus", "DIRECTIONS", "as_direction", "check_interval", "check_work",
           "deprecated_options"]

#: The one direction vocabulary: "forward" starts with the (first bounded) parameter increasing.
DIRECTIONS = ("forward", "backward", "both")
Direction = Literal["forward", "backward", "both"]
_OLD_DIRECTIONS = {1: "forward", -1: "backward", "up": "forward", "down": "backward"}


class ContinuationStatus(str, enum.Enum):
    """Why one end of a branch or curve stopped. The values are readable messages.

    One vocabulary for every continuation; the former names of two-parameter curves remain as
    aliases (``COMPLETED`` is ``REACHED_BOUND``, ``CLOSED`` is ``CLOSED_LOOP``, ``MAX_STEPS`` is
    ``MAX_POINTS``, ``STOPPED`` is ``STOPPED_BY_CALLBACK``).
    """

    START = "the branch starts here (the corrected start point or a branch-switching point)"
    REACHED_BOUND = "reached a parameter bound"
    MAX_POINTS = ("stopped after options.max_points points; raise max_points or ds_max to go "
                  "further")
    CORRECTOR_FAILED = ("the corrector did not converge even with the smallest step ds_min "
                        "(a singularity, a non-finite map value, or too few Newton iterations: "
                        "try a smaller ds_min or a larger max_newton_iter)")
    STEP_TOO_SMALL = ("the step fell below ds_min because every step turned the tangent too "
                      "sharply or jumped off the branch (a cusp or a branch point?); try a "
                      "smaller ds_min or a larger max_turn_angle")
    STOPPED_BY_CALLBACK = "the callback returned False"
    CLOSED_LOOP = "the branch returned to its start point (a closed curve)"
    INTERRUPTED = "interrupted (KeyboardInterrupt); the points computed so far are kept"
    COLLAPSED = ("the doubled cycle collapsed back onto a cycle of half its period (the branch "
                 "ends at another flip of the branch it was switched from)")
    START_FAILED = ("the bifurcation record does not satisfy the defining system: Newton from "
                    "its (param, x) did not converge; locate the bifurcation more accurately or "
                    "check its period and param_name")
    NON_FINITE = "the map or its Jacobian returned NaN or infinity on the curve"
    # former names of the two-parameter statuses (aliases: same members)
    COMPLETED = "reached a parameter bound"
    CLOSED = "the branch returned to its start point (a closed curve)"
    MAX_STEPS = ("stopped after options.max_points points; raise max_points or ds_max to go "
                 "further")
    STOPPED = "the callback returned False"

    @property
    def is_failure(self) -> bool:
        """A corrector failure, a too small step, non-finite values, a failed start or an
        interrupt (the points computed so far are still returned)."""
        return self in _FAILURES

    def __str__(self) -> str:
        return self.value


_FAILURES = frozenset({ContinuationStatus.CORRECTOR_FAILED, ContinuationStatus.STEP_TOO_SMALL,
                       ContinuationStatus.INTERRUPTED, ContinuationStatus.START_FAILED,
                       ContinuationStatus.NON_FINITE})


def as_direction(direction, *, argument: str = "direction", allow_both: bool = True,
                 legacy: bool = True) -> Direction:
    """Normalise a direction to "forward", "backward" or "both".

    The former spellings 1 / -1 (one-parameter continuation) and "up" / "down" (the command
    line) are accepted with a :class:`DeprecationWarning` when ``legacy`` is true.
    """
    allowed = DIRECTIONS if allow_both else DIRECTIONS[:2]
    if isinstance(direction, str) and direction in allowed:
        return cast(Direction, direction)
    if legacy and not isinstance(direction, bool):
        try:
            new = _OLD_DIRECTIONS.get(direction)
        except TypeError:          # unhashable
            new = None
        if new is not None:
            warnings.warn(f"{argument}={direction!r} is deprecated; use {new!r} (directions "
                          f"are {', '.join(map(repr, allowed))})", DeprecationWarning,
                          stacklevel=3)
            return cast(Direction, new)
    raise InvalidInputError(f"{argument} must be {', '.join(map(repr, allowed[:-1]))} or "
                            f"{allowed[-1]!r}, got {direction!r}", argument=argument,
                            value=direction)


def check_interval(bounds, argument: str, value: float | None = None, *,
                   allow_infinite: bool = False, value_name: str = "value"
                   ) -> tuple[float, float]:
    """Check a parameter interval ``(lo, hi)``: numbers, lo < hi, finite unless
    ``allow_infinite``, containing ``value`` when given. Returns ``(lo, hi)`` as floats."""
    try:
        lo, hi = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{argument} must be a pair (lo, hi) of numbers, got "
                                f"{bounds!r}", argument=argument, value=bounds) from None
    finite = math.isfinite(lo) and math.isfinite(hi)
    if math.isnan(lo) or math.isnan(hi) or not lo < hi or (not allow_infinite and not finite):
        both = "" if allow_infinite else ", both finite"
        raise InvalidInputError(f"{argument} must satisfy lo < hi (low < high{both}), got "
                                f"({lo}, {hi})", argument=argument, value=bounds)
    if value is not None and not lo <= value <= hi:
        raise InvalidInputError(f"{argument} ({lo}, {hi}) does not contain the start "
                                f"{value_name}={value}; widen it to contain the start, or "
                                "start elsewhere",
                                argument=argument, value=bounds)
    return lo, hi


def check_work(argument: str, value, n_operations: float, limit: float, unit: str,
               remedy: str) -> None:
    """Refuse, before any work starts, a request whose estimated size exceeds ``limit``.

    ``n_operations`` is the estimate (e.g. map evaluations per Newton iteration, or bytes);
    the message says how much was asked and what to do instead.
    """
    if n_operations > limit:
        raise InvalidInputError(
            f"{argument}={value!r} asks for about {n_operations:.3g} {unit}, more than the "
            f"{limit:.3g} this function accepts; {remedy}", argument=argument, value=value)


def deprecated_options(renamed: dict):
    """Class decorator for a frozen options dataclass: accept former keyword names.

    ``renamed`` maps an old name to ``(new name, converter)``; an old keyword is converted,
    passed on under its new name, and warned about with a :class:`DeprecationWarning`. The old
    name also reads (converted back) as a deprecated attribute.
    """
    def decorate(cls):
        init = cls.__init__

        def __init__(self, *args, **kwargs):
            for old, (new, to_new, _) in renamed.items():
                if old in kwargs:
                    value = kwargs.pop(old)
                    if new in kwargs:
                        raise InvalidInputError(f"{cls.__name__}: pass {new}= only ({old}= is "
                                                "its deprecated name)", argument=old,
                                                value=value)
                    warnings.warn(f"{cls.__name__}({old}=...) is deprecated; use {new}=",
                                  DeprecationWarning, stacklevel=2)
                    kwargs[new] = to_new(value, old)
            init(self, *args, **kwargs)

        __init__.__doc__ = init.__doc__
        cls.__init__ = __init__
        for old, (new, _, to_old) in renamed.items():
            def getter(self, old=old, new=new, to_old=to_old):
                warnings.warn(f"{cls.__name__}.{old} is deprecated; use .{new}",
                              DeprecationWarning, stacklevel=2)
                return to_old(getattr(self, new))
            setattr(cls, old, property(getter, doc=f"Deprecated name of ``{new}``."))
        return cls
    return decorate

