"""What a sweep returns: :class:`SweepResult`, its statuses and errors, and its plain ``.npz``."""
from __future__ import annotations

import enum
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._tables import Tabular
from ..errors import DynrnnError, FileFormatError, InvalidInputError
from ..io.atomic import atomic_write
from .grid import Grid

_RESULT_FORMAT = "dynrnn.SweepResult"
_RESULT_VERSION = 1


class SweepStatus(enum.Enum):
    """How a sweep ended. The values are the messages, each saying what to do next."""

    COMPLETE = "every point was evaluated or loaded from the store"
    FAILED_POINTS = ("some points raised an exception (see point_message); fix the function and "
                     "rerun with the same store to evaluate only those")
    INTERRUPTED = ("the sweep was interrupted before every point finished; rerun with the same "
                   "store to evaluate only the remaining points")


class PointStatus(str, enum.Enum):
    """The state of one grid point in a :class:`SweepResult` (stored as its string value)."""

    DONE = "done"           # evaluated in this run
    SKIPPED = "skipped"     # loaded from the store, not evaluated again
    FAILED = "failed"       # raised (message in point_message); outputs are NaN
    PENDING = "pending"     # not finished: the sweep was interrupted; outputs are NaN


class SweepError(DynrnnError, RuntimeError):
    """Some points of a sweep failed (``raise_on_error=True``).

    Attributes
    ----------
    result : SweepResult
        Everything computed, with the failed points marked in ``result.point_status``.
    failures : dict
        Grid index (tuple) -> error message, for every failed point.
    """

    def __init__(self, message: str, *, result: SweepResult, failures: dict):
        super().__init__(message)
        self.result = result
        self.failures = failures


class SweepInterrupted(KeyboardInterrupt):
    """A sweep was interrupted (Ctrl-C); ``result`` holds every point finished before.

    A subclass of :class:`KeyboardInterrupt` (not of :class:`DynrnnError`) on purpose, so that an
    ``except Exception`` in user code does not swallow the user's request to stop.
    """

    def __init__(self, message: str, *, result: SweepResult):
        super().__init__(message)
        self.result = result


@dataclass(frozen=True, eq=False)
class SweepResult(Tabular):
    """The outputs of a sweep, as arrays shaped like the grid.

    Attributes
    ----------
    axes : tuple of str
        Axis names, in grid order.
    coordinates : dict of str to ndarray
        Axis name -> values, shape ``(shape[k],)``.
    data : dict of str to ndarray
        Output name -> array, shape ``grid.shape + output_shape``, float64 (complex128 for complex
        outputs); NaN where the point failed or did not finish. A function returning a scalar or an
        array gives one output named ``"value"``; one returning a dict gives one per key.
    point_status : ndarray of str, shape ``grid.shape``
        :class:`PointStatus` value of each point (``"done"``, ``"skipped"``, ``"failed"``,
        ``"pending"``).
    point_message : ndarray of str, shape ``grid.shape``
        The error of each failed point (last line of its traceback first), ``""`` elsewhere.
    point_elapsed : ndarray, shape ``grid.shape``
        Seconds spent evaluating each point (also for points loaded from the store); NaN if unknown.
    status : SweepStatus
    function : str
        Import path ``"module:qualname"`` of the swept function.
    fixed : dict
        Keyword arguments passed unchanged to every point.
    n_done, n_failed, n_skipped, n_pending : int
        Points evaluated now, failed, loaded from the store, and not finished.
    elapsed : float
        Wall-clock seconds of the whole sweep.
    store : str
        The store directory, or ``""``.
    """

    axes: tuple[str, ...]
    coordinates: dict[str, np.ndarray]
    data: dict[str, np.ndarray]
    point_status: np.ndarray
    point_message: np.ndarray
    point_elapsed: np.ndarray
    status: SweepStatus
    function: str
    fixed: dict[str, Any] = field(default_factory=dict)
    n_done: int = 0
    n_failed: int = 0
    n_skipped: int = 0
    n_pending: int = 0
    elapsed: float = 0.0
    store: str = ""

    @property
    def success(self) -> bool:
        """True if every point has a value (evaluated now or loaded from the store)."""
        return self.status is SweepStatus.COMPLETE

    @property
    def grid(self) -> Grid:
        return Grid(self.axes, tuple(self.coordinates[a] for a in self.axes))

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(self.coordinates[a]) for a in self.axes)

    @property
    def failures(self) -> dict[tuple[int, ...], str]:
        """Grid index -> message of every failed point."""
        idx = np.argwhere(self.point_status == PointStatus.FAILED.value)
        return {tuple(int(i) for i in k): str(self.point_message[tuple(k)]) for k in idx}

    def _table_columns(self) -> dict[str, list]:
        """One row per grid point (C order): its coordinates, outputs and status."""
        index = np.indices(self.shape).reshape(len(self.shape), -1)
        columns: dict[str, list] = {axis: np.asarray(self.coordinates[axis])[k].tolist()
                                    for axis, k in zip(self.axes, index)}
        n_points = index.shape[1]
        for name, values in self.data.items():
            flat = np.asarray(values).reshape(n_points, -1)
            if flat.shape[1] == 1:
                columns[name] = [v.item() for v in flat[:, 0]]
            else:
                columns.update({f"{name}[{i}]": [v.item() for v in flat[:, i]]
                                for i in range(flat.shape[1])})
        columns["status"] = [str(s) for s in self.point_status.reshape(-1)]
        return columns

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.data[name]
        except KeyError:
            raise InvalidInputError(f"no output named {name!r}; outputs are {sorted(self.data)}",
                                    argument="name", value=name) from None

    def select(self, **coordinates: Any) -> dict[str, np.ndarray]:
        """Every output at the given axis values, those axes removed.

        Floats match within ``1e-12`` relative; other values exactly.

        Examples
        --------
        ``result.select(activation="tanh")["n_attractors"]`` has shape ``(n_w, n_b)`` for a
        sweep over ``(activation, w, b)``.
        """
        index: list[Any] = [slice(None)] * len(self.axes)
        for name, value in coordinates.items():
            if name not in self.axes:
                raise InvalidInputError(f"no axis named {name!r}; axes are {self.axes}",
                                        argument=name, value=value)
            values = self.coordinates[name]
            if values.dtype.kind == "f":
                hits = np.flatnonzero(np.isclose(values, value, rtol=1e-12, atol=0.0))
            else:
                hits = np.flatnonzero(values == value)
            if hits.size == 0:
                raise InvalidInputError(f"{name}={value!r} is not on the grid; values are "
                                        f"{values.tolist()}", argument=name, value=value)
            index[self.axes.index(name)] = int(hits[0])
        return {k: v[tuple(index)] for k, v in self.data.items()}

    def __repr__(self) -> str:
        dims = ", ".join(f"{a}={len(self.coordinates[a])}" for a in self.axes)
        return (f"SweepResult({self.function}, grid=({dims}), outputs={sorted(self.data)}, "
                f"done={self.n_done}, skipped={self.n_skipped}, failed={self.n_failed}, "
                f"pending={self.n_pending}, status={self.status.name}, "
                f"elapsed={self.elapsed:.3g}s)")

    # -- saving as a plain npz ------------------------------------------------------------------
    def to_npz(self, path: str | os.PathLike) -> Path:
        """Save to a plain ``.npz``: ``coord/<axis>``, ``data/<name>``, ``point_status``,
        ``point_message``, ``point_elapsed`` and ``meta`` (JSON). Written atomically."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        meta = {"format": _RESULT_FORMAT, "version": _RESULT_VERSION, "axes": list(self.axes),
                "status": self.status.name, "function": self.function, "fixed": self.fixed,
                "n_done": self.n_done, "n_failed": self.n_failed, "n_skipped": self.n_skipped,
                "n_pending": self.n_pending, "elapsed": self.elapsed, "store": self.store}
        arrays: dict[str, Any] = {f"coord/{a}": self.coordinates[a] for a in self.axes}
        arrays.update({f"data/{k}": v for k, v in self.data.items()})
        arrays.update(point_status=self.point_status, point_message=self.point_message,
                      point_elapsed=self.point_elapsed, meta=np.array(json.dumps(meta)))
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda fh: np.savez(fh, **arrays))
        return path

    @classmethod
    def from_npz(cls, path: str | os.PathLike) -> SweepResult:
        """Load what :meth:`to_npz` wrote; :class:`~dynrnn.errors.FileFormatError` if it is not
        such a file."""
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            meta = json.loads(str(arrays.pop("meta")))
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
            raise FileFormatError(f"{path} is not a readable SweepResult npz: {exc}",
                                  argument="path", value=str(path)) from None
        if meta.get("format") != _RESULT_FORMAT:
            raise FileFormatError(f"{path} is not a SweepResult file (format "
                                  f"{meta.get('format')!r})", argument="path", value=str(path))
        if meta.get("version", 0) > _RESULT_VERSION:
            raise FileFormatError(f"{path} was written by a newer dynrnn (format version "
                                  f"{meta['version']} > {_RESULT_VERSION}); upgrade dynrnn",
                                  argument="path", value=str(path))
        axes = tuple(meta["axes"])
        return cls(axes=axes,
                   coordinates={a: arrays[f"coord/{a}"] for a in axes},
                   data={k[5:]: v for k, v in arrays.items() if k.startswith("data/")},
                   point_status=arrays["point_status"], point_message=arrays["point_message"],
                   point_elapsed=arrays["point_elapsed"], status=SweepStatus[meta["status"]],
                   function=meta["function"], fixed=meta["fixed"], n_done=meta["n_done"],
                   n_failed=meta["n_failed"], n_skipped=meta["n_skipped"],
                   n_pending=meta["n_pending"], elapsed=meta["elapsed"], store=meta["store"])
