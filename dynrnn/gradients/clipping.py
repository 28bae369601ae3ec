r"""Gradient-norm clipping (Pascanu et al. 2013, Algorithm 1) and the authors' shrink step.

.. math::

    \hat g \leftarrow \frac{\partial E}{\partial\theta};\qquad
    \text{if } \|\hat g\| \ge c:\ \hat g \leftarrow \frac{c}{\|\hat g\|}\,\hat g
"""
from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .._signature_checks import checked_arguments
from .._tables import TableSpec, Tabular, compact_repr
from ..errors import InvalidInputError, InvalidTypeError, NonFiniteError

__all__ = ["ClipAction", "ClipResult", "clip_gradients", "global_norm"]


class ClipAction(str, enum.Enum):
    """What :func:`clip_gradients` did."""

    UNCHANGED = "the gradient norm was below the threshold; gradients unchanged"
    CLIPPED = "the gradient was rescaled to the threshold norm"
    SKIPPED = ("the gradient norm was not finite (or above `huge`); gradients set to zero "
               "(skip step)")
    SHRUNK = ("the gradient norm was not finite (or above `huge`); shrink step g_W_rec = "
              "shrink_factor * W_rec, other gradients zero")


@dataclass(frozen=True)
class ClipResult(Tabular):
    """Result of :func:`clip_gradients`.

    Attributes
    ----------
    grads : dict of str to ndarray, or ndarray
        The gradients to apply (same names, shapes and dtypes as the input; one array if one array
        was given).
    norm : float
        Global Euclidean norm of the input gradients, reduced in float64 (may be inf or nan).
    scale : float
        Factor applied (1.0 unchanged, c/‖g‖ clipped, 0.0 skipped/shrunk).
    clipped : bool
        True when the gradient was rescaled (or replaced).
    nonfinite : bool
        True when the norm was NaN, infinite or above ``huge``.
    action : ClipAction
    """

    grads: dict
    norm: float
    scale: float
    clipped: bool
    nonfinite: bool
    action: ClipAction

    # the table: one row per gradient array, with its norm after clipping
    _table_spec = TableSpec(columns=(("parameter", lambda r: list(_as_named(r.grads))),
                                     ("norm", lambda r: [global_norm(g) for g in
                                                         _as_named(r.grads).values()])))
    __repr__ = compact_repr


def _as_named(grads) -> dict:
    return dict(grads) if isinstance(grads, Mapping) else {"grads": grads}


def global_norm(grads: Mapping[str, np.ndarray] | np.ndarray) -> float:
    """‖g‖ over all arrays together, accumulated in float64 (safe for float32 gradients)."""
    arrays = grads.values() if isinstance(grads, Mapping) else [grads]
    total = 0.0
    for g in arrays:
        g = np.asarray(g)
        if g.dtype.kind not in "biuf":
            raise InvalidTypeError(f"grads must hold numeric arrays, got dtype {g.dtype}",
                                   argument="grads", value=g)
        total += float(np.sum(np.square(g, dtype=np.float64)))
    return float(np.sqrt(total))


@checked_arguments
def clip_gradients(grads: Mapping[str, np.ndarray] | np.ndarray, threshold: float, *,
                   nonfinite: Literal["raise", "skip", "shrink"] = "raise",
                   weights: Mapping[str, np.ndarray] | None = None,
                   shrink_factor: float = 0.02, huge: float = 1e10,
                   compare: Literal[">=", ">"] = ">=",
                   exclude: tuple[str, ...] = ("x0",)) -> ClipResult:
    r"""Rescale the global gradient to norm ``threshold`` when its norm reaches it (Algorithm 1).

    .. math::

        \|\hat g\| \ge c \;\Rightarrow\; \hat g \leftarrow \frac{c}{\|\hat g\|}\hat g

    Parameters
    ----------
    grads : dict of str to ndarray, or ndarray
        Gradients by name (as in ``BPTTResult.grads``) or one array.
    threshold : float
        c > 0.
    nonfinite : {"raise", "skip", "shrink"}
        When the norm is NaN, infinite or above ``huge``: raise :class:`NonFiniteError`; return zero
        gradients (skip the step); or the authors' shrink step, ``g_W_rec = shrink_factor · W_rec``
        and every other gradient zero (needs ``weights`` with ``"W_rec"``), so that an SGD step
        θ ← θ − lr·g shrinks W_rec towards a region with smaller gradients.
    weights : dict of str to ndarray, optional
        The current parameters (for ``"shrink"``).
    shrink_factor, huge : float
        0.02 and 1e10 as in the authors' code.
    compare : {">=", ">"}
        Algorithm 1 clips when ‖g‖ ≥ c; the authors' code when ‖g‖ > c.
    exclude : tuple of str
        Names left out of the norm and returned unchanged (by default the initial-state gradient
        ``"x0"``, which is not a trained parameter).

    Returns
    -------
    ClipResult

    Notes
    -----
    How this differs from ``torch.nn.utils.clip_grad_norm_(params, max_norm)``: PyTorch always
    multiplies by ``min(1, max_norm / (norm + 1e-6))`` (so a gradient exactly at the threshold is
    shrunk slightly, and the result is only approximately at the threshold); a NaN or infinite norm
    silently yields NaN (or zero) gradients unless ``error_if_nonfinite=True``; and the norm is
    accumulated in the gradients' dtype. Here the rescaling is exactly c/‖g‖ and only when the
    condition holds, the norm is reduced in float64, and the non-finite case is an explicit policy
    that is reported in the result.

    References
    ----------
    Pascanu, Mikolov, Bengio (2013), §3.2, Algorithm 1.

    Examples
    --------
    >>> import numpy as np, dynrnn as dr
    >>> r = dr.clip_gradients({"W_rec": np.array([3.0, 4.0])}, 1.0)
    >>> r.grads["W_rec"], r.norm, r.clipped
    (array([0.6, 0.8]), 5.0, True)
    """
    single = not isinstance(grads, Mapping)
    named: Mapping[str, np.ndarray]
    if isinstance(grads, Mapping):
        named = grads
    else:
        try:
            named = {"g": np.asarray(grads)}
        except (TypeError, ValueError):      # a ragged list
            raise InvalidTypeError(f"grads must be a numeric array or a dict of them, got "
                                   f"{grads!r:.60}", argument="grads", value=grads) from None
    c = _check_clip_options(threshold, nonfinite, weights, shrink_factor, huge, compare,
                            exclude)
    counted = {}
    for name, value in named.items():
        if name in exclude:
            continue
        try:
            if np.iscomplexobj(value):
                raise TypeError("complex")
            counted[name] = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise InvalidTypeError(f"grads[{name!r}] must be a real numeric array, got "
                                   f"{value!r:.60}", argument="grads", value=value) from None
    with np.errstate(over="ignore", invalid="ignore"):
        norm = global_norm(counted)
    bad = not np.isfinite(norm) or norm > huge
    if bad:
        if nonfinite == "raise":
            raise NonFiniteError(f"grads: gradient norm is {norm} (NaN, inf or above "
                                 f"huge={huge}); use nonfinite='skip' or 'shrink' to continue",
                                 argument="grads", value=norm)
        out = {k: np.zeros_like(np.asarray(v)) for k, v in named.items()}
        action = ClipAction.SKIPPED
        if nonfinite == "shrink":
            assert weights is not None      # checked above: "shrink" needs W_rec
            W = np.asarray(weights["W_rec"])
            out["W_rec"] = (shrink_factor * W).astype(np.asarray(named["W_rec"]).dtype)
            action = ClipAction.SHRUNK
        res = ClipResult(out, norm, 0.0, True, True, action)
    elif (norm >= c) if compare == ">=" else (norm > c):
        scale = c / norm
        out = {k: (np.asarray(v) * np.asarray(scale, dtype=np.asarray(v).dtype)
                   if k not in exclude else np.asarray(v)) for k, v in named.items()}
        res = ClipResult(out, norm, scale, True, False, ClipAction.CLIPPED)
    else:
        res = ClipResult({k: np.asarray(v) for k, v in named.items()}, norm, 1.0, False, False,
                         ClipAction.UNCHANGED)
    if single:
        return ClipResult(res.grads["g"], res.norm, res.scale, res.clipped, res.nonfinite,
                          res.action)
    return res


def _check_clip_options(threshold, nonfinite, weights, shrink_factor, huge, compare,
                        exclude) -> float:
    """The options of :func:`clip_gradients` checked (each error names its argument); returns
    the threshold c as a float."""
    try:
        c = float(threshold)
    except (TypeError, ValueError):
        raise InvalidTypeError(f"threshold must be a number, got {threshold!r}",
                               argument="threshold", value=threshold) from None
    if not (np.isfinite(c) and c > 0):
        raise InvalidInputError(f"threshold must be finite and > 0, got {threshold!r}",
                                argument="threshold", value=threshold)
    for argument, number in (("shrink_factor", shrink_factor), ("huge", huge)):
        if isinstance(number, bool) or not isinstance(number, (int, float, np.integer,
                                                               np.floating)):
            raise InvalidTypeError(f"{argument} must be a real number, got {number!r}",
                                   argument=argument, value=number)
    if not (np.isfinite(shrink_factor) and shrink_factor > 0):
        # NaN would make NaN gradients, a negative factor would grow W_rec instead of
        # shrinking it, and 0 is nonfinite="skip"
        raise InvalidInputError(f"shrink_factor must be finite and > 0 (the shrink step is "
                                f"g_W_rec = shrink_factor · W_rec), got {shrink_factor!r}",
                                argument="shrink_factor", value=shrink_factor)
    if not huge > 0:
        raise InvalidInputError(f"huge must be > 0 (norms above it count as non-finite; inf "
                                f"turns that off), got {huge!r}", argument="huge", value=huge)
    if nonfinite not in ("raise", "skip", "shrink"):
        raise InvalidInputError(f"nonfinite must be 'raise', 'skip' or 'shrink', got "
                                f"{nonfinite!r}", argument="nonfinite", value=nonfinite)
    if compare not in (">=", ">"):
        raise InvalidInputError(f"compare must be '>=' or '>', got {compare!r}",
                                argument="compare", value=compare)
    if nonfinite == "shrink" and (weights is None or "W_rec" not in weights):
        raise InvalidInputError("nonfinite='shrink' needs weights={'W_rec': ...}",
                                argument="weights", value=None)
    if isinstance(exclude, str) or not isinstance(exclude, (tuple, list, set, frozenset)) \
            or not all(isinstance(name, str) for name in exclude):
        raise InvalidTypeError(f"exclude must be a tuple of gradient names, got {exclude!r:.60}",
                               argument="exclude", value=exclude)
    return c
