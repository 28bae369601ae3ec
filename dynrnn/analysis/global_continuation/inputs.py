r"""What :func:`~dynrnn.global_continuation` runs along: the maps at every value (a named
parameter, a :class:`~dynrnn.model.families.ParameterFamily`, a sequence of maps, or the stored
networks θ_k of a training run), the tracked states and the matching threshold, all checked
before any work starts.

.. math::

    F_i = F(\,\cdot\,; p_i) \quad\text{or}\quad F_i = F(\,\cdot\,; \theta_{k_i})
"""
from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from ...errors import InvalidInputError, InvalidTypeError, ShapeError
from ...model.base import RecurrentMap, as_finite_array
from ...model.families import ParameterFamily
from ..basins import BasinsOptions, check_system, resolve_input

__all__ = ["MapsAlong", "MapsAt", "maps_along", "check_values", "check_tracked",
           "match_threshold_for", "check_continuation_memory", "default_box"]


class MapsAlong(NamedTuple):
    """The maps of a global continuation and what describes them.

    ``history`` is the training run (None otherwise), with ``steps``, ``loss`` and
    ``grad_norm`` of every training step; ``track`` is the default tracked state of a run.
    """

    systems: Sequence
    values: np.ndarray
    param_name: str
    family: ParameterFamily | None
    history: object
    track: object
    steps: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray


def maps_along(system, param, values, track) -> MapsAlong:
    """The maps at every value of ``system`` (see :func:`~dynrnn.global_continuation`)."""
    training = from_training(system) if not isinstance(system, RecurrentMap) else None
    if training is not None:
        return training if track is None else training._replace(track=track)
    none = (np.empty(0, np.int64), np.empty(0), np.empty(0))
    if isinstance(system, RecurrentMap):
        if param is None or values is None:
            raise InvalidInputError("global_continuation of one map needs param and values "
                                    "(or pass a sequence of maps with param=None)",
                                    argument="param", value=param)
        values = check_values(values)
        if isinstance(param, ParameterFamily):
            maps = MapsAt(param.at, values)
            family = param
        elif isinstance(param, str):
            system.check_param_names(param, argument="param")
            maps = MapsAt(functools.partial(_with_param, system, param), values)
            family = None
        else:
            raise InvalidTypeError(f"param must be a parameter name or a ParameterFamily, got "
                                   f"{param!r:.60}", argument="param", value=param)
        # the maps are built when computed; the ends of the (monotonic) range are built now,
        # so a value the map refuses is refused before any work
        _ends = (maps[0], maps[len(maps) - 1])
        return MapsAlong(maps, values, param if family is None else family.name, family, None,
                         track, *none)
    if isinstance(system, (list, tuple)):
        return MapsAlong(*_sequence(system, param, values), "index", None, None, track, *none)
    raise InvalidTypeError(f"system must be a RecurrentMap, a sequence of them, or a "
                           f"training result/history, got {type(system).__name__}",
                           argument="system", value=system)


class MapsAt(Sequence):
    """The maps at the values, each built when asked for (picklable when ``make`` is), so a
    long range costs nothing before its values are computed.

    Parameters
    ----------
    make : callable
        ``make(value) -> RecurrentMap``.
    values : ndarray, shape (n_values,)
    """

    def __init__(self, make: Callable[[float], RecurrentMap], values: np.ndarray):
        self.make = make
        self.values = values

    def __len__(self) -> int:
        return int(self.values.size)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return self.make(float(self.values[index]))


def _with_param(system: RecurrentMap, name: str, value: float) -> RecurrentMap:
    return system.with_params({name: value})


def _sequence(system, param, values) -> tuple[tuple, np.ndarray]:
    if param is not None:
        raise InvalidInputError("param must be None for a sequence of maps",
                                argument="param", value=param)
    systems = tuple(check_system(s) for s in system)
    values = check_values(np.arange(len(systems), dtype=np.float64) if values is None
                          else values)
    if len(values) != len(systems):
        raise ShapeError(f"values has {len(values)} entries for {len(systems)} maps",
                         argument="values", expected=len(systems), actual=len(values))
    if len({s.n_states for s in systems}) != 1:
        raise InvalidInputError("system: the maps of the sequence must have one state "
                                f"dimension, got {sorted({s.n_states for s in systems})}",
                                argument="system", value=len(systems))
    return systems, values


def from_training(source) -> MapsAlong | None:
    """The stored networks of a training run, or None if ``source`` is not one.

    A run is a :class:`~dynrnn.TrainingResult` or :class:`~dynrnn.TrainingHistory` from
    :func:`~dynrnn.train`, or a recording of a PyTorch training written by
    :class:`dynrnn.torch.Recorder` (a :class:`~dynrnn.gradients.recording.Recording` or the path
    of its directory). The values are the training steps of the stored θ_k.
    """
    # gradients is the layer above analysis (model -> analysis -> gradients): read from it
    # only here, when a training run is given, so analysis never loads it
    from ...gradients.recording import Recording, load_recording
    from ...gradients.training import TrainingHistory, TrainingResult
    if isinstance(source, (str, os.PathLike)):
        source = load_recording(source)
    if isinstance(source, Recording):
        if source.param_steps.size == 0:
            raise InvalidInputError(
                f"system: the recording {source.path!r} has no stored parameters θ_k: record "
                "with a smaller stride= (the Recorder stores θ every stride steps) so the "
                "networks along the run can be analysed", argument="system",
                value="Recording without params")
        steps = np.asarray(source.param_steps, dtype=np.int64)
        systems = tuple(source.network_at(int(step)) for step in steps)
        # the loss starts from h₀ = 0 (the torch modules' default initial state)
        track = np.zeros((1, systems[0].n_states))
        return _training_maps(source, systems, source.param_steps, track,
                              np.asarray(source.steps, dtype=np.int64),
                              np.asarray(source.loss, float), np.asarray(source.grad_norm, float))
    history = source.history if isinstance(source, TrainingResult) else source
    if not isinstance(history, TrainingHistory):
        return None
    if history.params.size == 0 or history.param_steps.size == 0:
        raise InvalidInputError(
            "system: the training history has no stored parameters θ_k: train with "
            "history='full' or 'strided' (param_stride=...) so the networks along the run can "
            "be analysed",
            argument="system", value="TrainingHistory without params")
    systems = tuple(history.network_at(int(step))[0] for step in history.param_steps)
    return _training_maps(history, systems, history.param_steps,
                          np.asarray(history.x0, dtype=np.float64)[None],
                          np.arange(history.n_steps), np.asarray(history.loss, float),
                          np.asarray(history.grad_norm, float))


def _training_maps(run, systems: tuple, param_steps, track, steps, loss, grad_norm
                   ) -> MapsAlong:
    values = np.asarray(param_steps, dtype=np.float64)
    if values.size < 2:
        raise InvalidInputError(f"system: the training run stores θ at {values.size} "
                                "step(s); global continuation needs at least two",
                                argument="system", value=int(values.size))
    return MapsAlong(systems, values, "training step", None, run, track, steps, loss, grad_norm)


def check_values(values) -> np.ndarray:
    """At least two finite parameter values, strictly monotonic, as an array (n_values,)."""
    values = as_finite_array(values, "values")
    if values.ndim != 1:
        raise ShapeError(f"values must be one-dimensional, got shape {values.shape}",
                         argument="values", expected=("n_values",), actual=values.shape)
    if values.size < 2:
        raise InvalidInputError(f"values must hold at least two parameter values to continue "
                                f"across, got {values.size}; use dr.basins for one value",
                                argument="values", value=values.tolist())
    steps = np.diff(values)
    if not (np.all(steps > 0) or np.all(steps < 0)):
        raise InvalidInputError("values must be strictly increasing or strictly decreasing",
                                argument="values", value=values.tolist())
    return values


def check_tracked(track, n_states: int) -> np.ndarray:
    """The tracked states as an array (n_tracked, n_states); empty for None."""
    tracked = np.empty((0, n_states)) if track is None else as_finite_array(track, "track")
    if tracked.ndim == 1:
        tracked = tracked[None]
    if tracked.ndim != 2 or tracked.shape[1] != n_states:
        raise ShapeError(f"track must have shape (n_tracked, {n_states}), got "
                         f"{tracked.shape}", argument="track",
                         expected=("n_tracked", n_states), actual=tracked.shape)
    return tracked


def match_threshold_for(match_threshold, region: np.ndarray, states: np.ndarray) -> float:
    """δ: the given one (checked positive), or half the largest box width (or of the spread of
    the initial states when there is no box)."""
    if match_threshold is None:
        widths = (region[1] - region[0]) if np.all(np.isfinite(region)) else np.ptp(states, 0)
        return 0.5 * float(max(np.max(widths), 1e-12))
    match_threshold = float(as_finite_array(match_threshold, "match_threshold"))
    if not match_threshold > 0:
        raise InvalidInputError(f"match_threshold must be positive, got {match_threshold}; "
                                "it is the largest distance between the state sets of one "
                                "attractor at neighbouring values", argument="match_threshold",
                                value=match_threshold)
    return match_threshold


def check_continuation_memory(n_values: int, n_initial: int, n_tracked: int, n_states: int,
                              options: BasinsOptions, sample_size: int) -> None:
    """Refuse, up front and with the size, a continuation whose per-value labels and attractor
    samples (kept for every value) need more than ``options.max_bytes``."""
    per_value = (n_initial + n_tracked) * 8 \
        + (options.max_attractors + 1) * (sample_size + 2) * n_states * 8
    needed = n_values * per_value
    if needed > options.max_bytes:
        raise InvalidInputError(
            f"values: {n_values:,} parameter values x {n_initial:,} initial states in "
            f"{n_states} dimensions need {needed / 2 ** 30:.2f} GiB for the labels and "
            f"attractor samples kept per value, above options.max_bytes = "
            f"{options.max_bytes / 2 ** 30:.2f} GiB: use fewer values or initial states (or "
            "raise max_bytes if the machine has the memory)", argument="values",
            value=n_values)


def default_box(along: MapsAlong, u) -> np.ndarray | None:
    """The default box of the ensemble: the hull of the invariant boxes of the maps at the two
    ends of a parameter range (of every map for a sequence or a training run, whose maps are
    built anyway), shape (2, n_states); None if one of them has no invariant box (then
    :func:`~dynrnn.basins` asks for ``box=``)."""
    systems = along.systems
    ends = [systems[0], systems[len(systems) - 1]] if isinstance(systems, MapsAt) \
        else list(systems)
    boxes = []
    for system in ends:
        box = system.invariant_box(resolve_input(system, u))
        if box is None:
            return None
        boxes.append(np.asarray(box, dtype=np.float64).reshape(2, system.n_states))
    stacked = np.stack(boxes)
    return np.stack([stacked[:, 0].min(axis=0), stacked[:, 1].max(axis=0)])
