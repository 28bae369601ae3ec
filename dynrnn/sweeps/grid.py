"""The grid of a sweep: the Cartesian product of named 1-D axes."""
from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InvalidInputError, InvalidTypeError

_AXIS_KINDS = "biufU"           # axis values may also be strings (e.g. an activation name)


def python_scalar(value: Any) -> Any:
    """A numpy scalar as the matching Python scalar, so points pickle small and hash stably."""
    return value.item() if isinstance(value, np.generic) else value


def axis_array(name: str, values: Any) -> np.ndarray:
    if isinstance(values, (str, bytes)):
        raise InvalidInputError(
            f"grid axis {name!r} must be a 1-D sequence of values, got the string {values!r}; "
            f"write [{values!r}] for a single value", argument="grid", value=values)
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"grid axis {name!r} could not be made an array: {exc}",
                                argument="grid", value=values) from None
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidInputError(
            f"grid axis {name!r} must be a non-empty 1-D sequence, got shape {arr.shape}",
            argument="grid", value=values)
    if arr.dtype.kind not in _AXIS_KINDS:
        raise InvalidTypeError(
            f"grid axis {name!r} must hold numbers, booleans or strings, got dtype {arr.dtype}",
            argument="grid", value=values)
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise InvalidInputError(f"grid axis {name!r} contains NaN or infinity",
                                argument="grid", value=values)
    arr = arr.copy()
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Grid:
    """The Cartesian product of named 1-D axes; each point is a dict ``{axis: value}``.

    Parameters
    ----------
    axes : tuple of str
        Axis names, in order; they are the keyword arguments the swept function receives.
    coordinates : tuple of ndarray
        ``coordinates[k]``, shape ``(shape[k],)``: the values along axis ``k`` (numbers, booleans
        or strings). Seeds are an axis like any other, e.g. ``{"gain": gains, "seed": range(10)}``.

    Examples
    --------
    >>> grid = Grid.from_axes({"w": [1.0, 2.0], "seed": range(3)})
    >>> grid.shape, grid.size
    ((2, 3), 6)
    >>> grid.point((1, 2))
    {'w': 2.0, 'seed': 2}
    """

    axes: tuple[str, ...]
    coordinates: tuple[np.ndarray, ...]

    def __post_init__(self):
        axes = tuple(self.axes)
        if len(axes) == 0:
            raise InvalidInputError("grid must have at least one axis", argument="grid",
                                    value=axes)
        for name in axes:
            if not isinstance(name, str) or not name.isidentifier():
                raise InvalidInputError(
                    f"grid axis names must be Python identifiers (they become keyword "
                    f"arguments), got {name!r}", argument="grid", value=name)
        if len(set(axes)) != len(axes):
            raise InvalidInputError(f"grid axis names must be distinct, got {axes}",
                                    argument="grid", value=axes)
        if len(self.coordinates) != len(axes):
            raise InvalidInputError(
                f"grid has {len(axes)} axis names but {len(self.coordinates)} coordinate arrays",
                argument="grid", value=self.coordinates)
        coords = tuple(axis_array(n, c) for n, c in zip(axes, self.coordinates))
        object.__setattr__(self, "axes", axes)
        object.__setattr__(self, "coordinates", coords)

    @classmethod
    def from_axes(cls, axes: Mapping[str, Sequence] | Grid) -> Grid:
        """A grid from a mapping axis name -> 1-D values (a :class:`Grid` is returned as is)."""
        if isinstance(axes, Grid):
            return axes
        if not isinstance(axes, Mapping):
            raise InvalidTypeError(
                f"grid must be a mapping of axis name -> values or a Grid, got "
                f"{type(axes).__name__}", argument="grid", value=axes)
        return cls(tuple(axes.keys()), tuple(np.asarray(v) for v in axes.values()))

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(c) for c in self.coordinates)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def ndim(self) -> int:
        return len(self.axes)

    def point(self, index: int | Sequence[int]) -> dict[str, Any]:
        """The point at a grid index (tuple) or flat (C-order) index, as ``{axis: value}``."""
        position: tuple[int, ...] = (
            tuple(int(i) for i in np.unravel_index(int(index), self.shape))
            if isinstance(index, (int, np.integer)) else tuple(int(i) for i in index))
        return {name: python_scalar(c[i]) for name, c, i in zip(self.axes, self.coordinates,
                                                                  position)}

    def points(self) -> Iterator[tuple[tuple[int, ...], dict[str, Any]]]:
        """Every ``(index, point)`` in C order (last axis fastest)."""
        for index in np.ndindex(*self.shape):
            yield index, self.point(index)

    def describe(self) -> list[dict[str, Any]]:
        """A JSON-ready description: one ``{"name", "dtype", "values"}`` per axis."""
        return [{"name": n, "dtype": c.dtype.str, "values": c.tolist()}
                for n, c in zip(self.axes, self.coordinates)]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Grid):
            return NotImplemented
        return self.describe() == other.describe()

    # defining __eq__ leaves __hash__ None: grids hold arrays and are not hashable
