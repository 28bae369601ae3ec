"""The options of :func:`~dynrnn.train`: one frozen dataclass, checked when it is built, so a
bad value is refused before the first training step."""
from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass
from typing import Literal

from .._checks import check_count
from ..errors import InvalidInputError, InvalidTypeError
from .regularizer import REGULARIZER_VARIANTS

__all__ = ["TrainingOptions"]

_NONFINITE_ACTIONS = ("stop", "raise", "skip", "shrink")
_HISTORY_MODES = ("auto", "full", "strided")


def _real(value, argument: str) -> float:
    """A finite real number (bools and strings refused), or a dynrnn error naming ``argument``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidTypeError(f"{argument} must be a real number, got {value!r} "
                               f"({type(value).__name__})", argument=argument, value=value)
    if not math.isfinite(float(value)):
        raise InvalidInputError(f"{argument} must be finite, got {value!r}", argument=argument,
                                value=value)
    return float(value)


def _length(value) -> int | tuple[int, int]:
    """A sequence length ``>= 1`` or a range ``(low, high)`` with ``1 <= low <= high``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise InvalidInputError(f"length must be an integer or a pair (low, high), got "
                                    f"{value!r}", argument="length", value=value)
        low, high = (check_count(v, "length", 1) for v in value)
        if low > high:
            raise InvalidInputError(f"length = {tuple(value)!r} is a reversed range; give "
                                    f"(low, high) with low <= high", argument="length",
                                    value=value)
        return low, high
    return check_count(value, "length", 1)


@dataclass(frozen=True)
class TrainingOptions:
    r"""How :func:`~dynrnn.train` trains: SGD with momentum, clipping, the Ω regulariser, what is
    recorded and how often a checkpoint is written. Every field is checked when the options are
    built (``InvalidInputError``/``InvalidTypeError`` naming the field).

    Parameters
    ----------
    lr, momentum : float
        Learning rate η > 0 and momentum μ in [0, 1) (0.01 and 0 in the paper):
        :math:`v_{k+1} = \mu v_k - \eta \hat g_k`.
    batch_size : int
        Sequences per step (20 in the paper).
    length : int or (int, int)
        Sequence length, or a range ``(low, high)`` drawn per batch (mixed lengths).
    clip : float, optional
        Algorithm 1 threshold (1.0 in the paper); None for plain SGD.
    clip_compare : {">=", ">"}
        Clip when ‖g‖ >= clip (the paper) or only when ‖g‖ > clip.
    regularizer : (weight, variant), optional
        Add weight · Ω (``variant`` "ratio" = eq. 9, "squared" = eq. 10 / code), weight >= 0.
    record_omega : bool, optional
        Record Ω at every step (default: only with a regulariser).
    seed : int
        Non-negative; batches depend only on ``(seed, step)``, so a resumed run is exact.
    history : {"auto", "full", "strided"}
        "full" stores θ_k at every step; "strided" every ``param_stride`` steps plus the
        ``spike_window`` steps on each side of every gradient-norm spike (as defined by
        :class:`~dynrnn.gradients.spikes.SpikeDefinition` with ratio ``spike_ratio``: a norm at
        least that many times the median of the 50 finite norms before it; its start-up steps are
        always kept); "auto" is "full" up to ``max_dense_params``.
    param_stride, spike_window, max_dense_params : int
        >= 1, >= 0, >= 0.
    spike_ratio : float
        > 1 (a spike is a norm that many times the running median).
    checkpoint_every : int
        Steps between checkpoints, >= 1.
    on_nonfinite : {"stop", "raise", "skip", "shrink"}
        What to do when the loss or gradient norm is NaN, infinite or above 1e10.
    eval_batch_size : int
        With a task, the size of a fresh batch on which the final error rate is measured (>= 0).

    Examples
    --------
    >>> from dynrnn.gradients import TrainingOptions
    >>> TrainingOptions(lr=0.1, clip=1.0).momentum
    0.0
    >>> TrainingOptions(lr="0.1")
    Traceback (most recent call last):
    ...
    dynrnn.errors.InvalidTypeError: lr must be a real number, got '0.1' (str)
    """

    lr: float = 0.01
    momentum: float = 0.0
    batch_size: int = 20
    length: int | tuple[int, int] = 50
    clip: float | None = None
    clip_compare: Literal[">=", ">"] = ">="
    regularizer: tuple[float, str] | None = None
    record_omega: bool | None = None
    seed: int = 0
    history: Literal["auto", "full", "strided"] = "auto"
    param_stride: int = 100
    spike_window: int = 5
    spike_ratio: float = 10.0
    max_dense_params: int = 20_000
    checkpoint_every: int = 500
    on_nonfinite: Literal["stop", "raise", "skip", "shrink"] = "stop"
    eval_batch_size: int = 0

    def __post_init__(self):
        def put(name, value):
            object.__setattr__(self, name, value)

        put("lr", _real(self.lr, "lr"))
        if self.lr <= 0:
            raise InvalidInputError(f"lr must be > 0, got {self.lr!r}", argument="lr",
                                    value=self.lr)
        put("momentum", _real(self.momentum, "momentum"))
        if not 0.0 <= self.momentum < 1.0:
            raise InvalidInputError(f"momentum must be a number in [0, 1), got {self.momentum!r}",
                                    argument="momentum", value=self.momentum)
        for name, least in (("batch_size", 1), ("seed", 0), ("param_stride", 1),
                            ("spike_window", 0), ("max_dense_params", 0),
                            ("checkpoint_every", 1), ("eval_batch_size", 0)):
            put(name, check_count(getattr(self, name), name, least))
        put("length", _length(self.length))
        if self.clip is not None:
            put("clip", _real(self.clip, "clip"))
            if self.clip <= 0:
                raise InvalidInputError(f"clip must be > 0 or None, got {self.clip!r}",
                                        argument="clip", value=self.clip)
        if self.clip_compare not in (">=", ">"):
            raise InvalidInputError(f"clip_compare must be '>=' or '>', got "
                                    f"{self.clip_compare!r}", argument="clip_compare",
                                    value=self.clip_compare)
        self._check_regularizer()
        if self.record_omega is not None and not isinstance(self.record_omega, bool):
            raise InvalidTypeError(f"record_omega must be True, False or None, got "
                                   f"{self.record_omega!r}", argument="record_omega",
                                   value=self.record_omega)
        if self.history not in _HISTORY_MODES:
            raise InvalidInputError(f"history must be 'auto', 'full' or 'strided', got "
                                    f"{self.history!r}", argument="history", value=self.history)
        put("spike_ratio", _real(self.spike_ratio, "spike_ratio"))
        if not self.spike_ratio > 1:
            raise InvalidInputError(f"spike_ratio must be > 1, got {self.spike_ratio!r}",
                                    argument="spike_ratio", value=self.spike_ratio)
        if self.on_nonfinite not in _NONFINITE_ACTIONS:
            raise InvalidInputError(f"on_nonfinite must be 'stop', 'raise', 'skip' or 'shrink', "
                                    f"got {self.on_nonfinite!r}", argument="on_nonfinite",
                                    value=self.on_nonfinite)

    def _check_regularizer(self) -> None:
        reg = self.regularizer
        if reg is None:
            return
        if not (isinstance(reg, (tuple, list)) and len(reg) == 2
                and isinstance(reg[1], str) and reg[1] in REGULARIZER_VARIANTS):
            raise InvalidInputError(f"regularizer must be (weight, variant) with variant in "
                                    f"{REGULARIZER_VARIANTS}, got {reg!r}",
                                    argument="regularizer", value=reg)
        if isinstance(reg[0], bool) or not isinstance(reg[0], numbers.Real) \
                or not 0.0 <= float(reg[0]) < math.inf:
            raise InvalidInputError(f"regularizer weight must be finite and >= 0 (eq. 9 adds "
                                    f"weight * Ω to the loss), got {reg[0]!r}",
                                    argument="regularizer", value=reg)
        object.__setattr__(self, "regularizer", (float(reg[0]), reg[1]))

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    def with_overrides(self, overrides: dict) -> TrainingOptions:
        """These options with some fields replaced (unknown names refused, naming them)."""
        unknown = sorted(set(overrides) - set(self.field_names()))
        if unknown:
            raise InvalidInputError(f"train got unknown keyword argument(s) {unknown}; valid "
                                    f"options: {', '.join(self.field_names())}",
                                    argument=unknown[0], value=unknown)
        return dataclasses.replace(self, **overrides) if overrides else self
