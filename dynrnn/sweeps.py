"""Parameter and seed sweeps over any :class:`concurrent.futures.Executor`, resumable from a store.

A sweep evaluates ``function(**point)`` at every point of the Cartesian product of named axes
(a :class:`Grid`) and gathers the outputs into arrays shaped like the grid (a :class:`SweepResult`).
The points run on a local process pool by default, on any ``concurrent.futures`` executor
(including Dask distributed's ``Client.get_executor()``), on a Dask scheduler given by its address
(``"tcp://HOST:PORT"``), or in this process (``executor="serial"``, for debugging).

With ``store=DIR`` every finished point is written to its own file at once and atomically, so a
sweep that is killed loses only the points in flight; running the same sweep again loads what is
stored and evaluates only the rest.

Store layout
------------
``DIR/manifest.json``
    The grid (axis names, dtypes and values), the fixed arguments and the function's import path.
    A store is refused for any other grid or function.
``DIR/p<flat index>-<hash>.npz``
    One finished point: its outputs (``out/<name>``) and its coordinates (``point``, JSON). The
    hash is a SHA-256 of the point's coordinates, so file names are stable across runs and
    machines. A file that cannot be read, or whose coordinates do not match, is ignored and the
    point is evaluated again.
``DIR/.tmp-*``
    A file being written. It is renamed into place (``os.replace``) only after ``fsync``; a leftover
    one from a killed run is never read.

Failed points are not stored: a rerun retries them.
"""
from __future__ import annotations

import enum
import functools
import hashlib
import importlib
import json
import math
import multiprocessing
import os
import pickle
import tempfile
import threading
import time
import traceback
import warnings
import zipfile
from concurrent.futures import (FIRST_COMPLETED, BrokenExecutor, Executor, Future,
                                ProcessPoolExecutor, wait)
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from .errors import (DynrnnError, DynrnnWarning, InvalidInputError, InvalidTypeError,
                     MissingDependencyError)
from ._signature_checks import checked_arguments

__all__ = [
    "Grid",
    "SweepResult",
    "SweepStatus",
    "PointStatus",
    "SweepError",
    "SweepInterrupted",
    "sweep",
    "sweep_from_config",
]

_STORE_FORMAT = "dynrnn.sweep-store"
_STORE_VERSION = 1
_RESULT_FORMAT = "dynrnn.SweepResult"
_RESULT_VERSION = 1
_MANIFEST = "manifest.json"
_TMP_PREFIX = ".tmp-"
_DEFAULT_VARIABLE = "value"
_SCALAR_KINDS = "biuf"          # bool, signed/unsigned int, float: what a point may return
_AXIS_KINDS = "biufU"           # axis values may also be strings (e.g. an activation name)
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                     "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
_WINDOW_PER_WORKER = 16
_CONNECT_TIMEOUT = 10.0         # seconds to reach a Dask scheduler given by its address       # tasks in flight per worker: hides the round trip of each result


# -- statuses and errors ---------------------------------------------------------------------------
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

    def __init__(self, message: str, *, result: "SweepResult", failures: dict):
        super().__init__(message)
        self.result = result
        self.failures = failures


class SweepInterrupted(KeyboardInterrupt):
    """A sweep was interrupted (Ctrl-C); ``result`` holds every point finished before.

    A subclass of :class:`KeyboardInterrupt` (not of :class:`DynrnnError`) on purpose, so that an
    ``except Exception`` in user code does not swallow the user's request to stop.
    """

    def __init__(self, message: str, *, result: "SweepResult"):
        super().__init__(message)
        self.result = result


# -- the grid --------------------------------------------------------------------------------------
def _python_scalar(value: Any) -> Any:
    """A numpy scalar as the matching Python scalar, so points pickle small and hash stably."""
    return value.item() if isinstance(value, np.generic) else value


def _axis_array(name: str, values: Any) -> np.ndarray:
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
        coords = tuple(_axis_array(n, c) for n, c in zip(axes, self.coordinates))
        object.__setattr__(self, "axes", axes)
        object.__setattr__(self, "coordinates", coords)

    @classmethod
    def from_axes(cls, axes: "Mapping[str, Sequence] | Grid") -> "Grid":
        """A grid from a mapping axis name -> 1-D values (a :class:`Grid` is returned as is)."""
        if isinstance(axes, Grid):
            return axes
        if not isinstance(axes, Mapping):
            raise InvalidTypeError(
                f"grid must be a mapping of axis name -> values or a Grid, got "
                f"{type(axes).__name__}", argument="grid", value=axes)
        return cls(tuple(axes.keys()), tuple(axes.values()))

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(c) for c in self.coordinates)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def ndim(self) -> int:
        return len(self.axes)

    def point(self, index: "int | Sequence[int]") -> dict[str, Any]:
        """The point at a grid index (tuple) or flat (C-order) index, as ``{axis: value}``."""
        if isinstance(index, (int, np.integer)):
            index = np.unravel_index(int(index), self.shape)
        return {name: _python_scalar(c[i]) for name, c, i in zip(self.axes, self.coordinates,
                                                                  index)}

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

    __hash__ = None  # type: ignore[assignment]  (mutable-looking arrays: not hashable)


def _point_key(point: Mapping[str, Any]) -> str:
    """Stable hash of a point's coordinates (JSON of name/value pairs; floats by repr)."""
    text = json.dumps([[k, v] for k, v in point.items()], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _point_filename(flat_index: int, point: Mapping[str, Any]) -> str:
    return f"p{flat_index:07d}-{_point_key(point)}.npz"


# -- the result ------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SweepResult:
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
    def to_npz(self, path: "str | os.PathLike") -> Path:
        """Save to a plain ``.npz``: ``coord/<axis>``, ``data/<name>``, ``point_status``,
        ``point_message``, ``point_elapsed`` and ``meta`` (JSON). Written atomically."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        meta = {"format": _RESULT_FORMAT, "version": _RESULT_VERSION, "axes": list(self.axes),
                "status": self.status.name, "function": self.function, "fixed": self.fixed,
                "n_done": self.n_done, "n_failed": self.n_failed, "n_skipped": self.n_skipped,
                "n_pending": self.n_pending, "elapsed": self.elapsed, "store": self.store}
        arrays = {f"coord/{a}": self.coordinates[a] for a in self.axes}
        arrays.update({f"data/{k}": v for k, v in self.data.items()})
        arrays.update(point_status=self.point_status, point_message=self.point_message,
                      point_elapsed=self.point_elapsed, meta=np.array(json.dumps(meta)))
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_savez(path, arrays)
        return path

    @classmethod
    def from_npz(cls, path: "str | os.PathLike") -> "SweepResult":
        """Load what :meth:`to_npz` wrote; :class:`~dynrnn.errors.FileFormatError` if it is not
        such a file."""
        from .errors import FileFormatError
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


# -- evaluating points (runs on the workers) -------------------------------------------------------
def _normalise_output(output: Any) -> dict[str, np.ndarray]:
    """Check one point's return value and turn it into ``{name: float/complex array}``."""
    items = output.items() if isinstance(output, Mapping) else [(_DEFAULT_VARIABLE, output)]
    result = {}
    for name, value in items:
        if not isinstance(name, str) or not name or "/" in name:
            raise InvalidTypeError(f"output names must be non-empty strings without '/', got "
                                   f"{name!r}", argument="function", value=name)
        arr = np.asarray(value)
        if arr.dtype.kind == "c":
            arr = arr.astype(np.complex128)
        elif arr.dtype.kind in _SCALAR_KINDS:
            arr = arr.astype(np.float64)
        else:
            raise InvalidTypeError(
                f"output {name!r} must be a number or an array of numbers, got "
                f"{type(value).__name__} (dtype {arr.dtype})", argument="function", value=value)
        result[name] = arr
    if not result:
        raise InvalidTypeError("the function returned an empty dict", argument="function",
                               value=output)
    return result


def _error_message(exc: BaseException) -> str:
    """``Type: message`` first (for tables), then the traceback (for debugging)."""
    head = f"{type(exc).__name__}: {exc}"
    tail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return f"{head}\n{tail}"


def _evaluate_chunk(function: Callable, fixed: dict, points: list, retries: int) -> list:
    """Evaluate ``function(**fixed, **point)`` for each ``(flat_index, point)``.

    Returns ``(flat_index, ok, outputs-or-message, seconds)`` per point. An exception in one point
    is caught (retried ``retries`` times) and reported, so the other points of the chunk still run.
    """
    results = []
    for flat_index, point in points:
        start = time.perf_counter()
        for attempt in range(retries + 1):
            try:
                outputs = _normalise_output(function(**fixed, **point))
            except Exception as exc:  # noqa: BLE001  (reported per point, never swallowed)
                if attempt == retries:
                    results.append((flat_index, False, _error_message(exc),
                                    time.perf_counter() - start))
            else:
                results.append((flat_index, True, outputs, time.perf_counter() - start))
                break
    return results


# -- the store -------------------------------------------------------------------------------------
def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:     # not possible on every platform (e.g. Windows); the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _atomic_write(path: Path, write: Callable[[Any], None], *,
                  sync_directory: bool = False) -> None:
    """Write through ``write(fileobj)`` to a temp file in the same directory, fsync, rename.

    The data are fsynced before the rename, so the name never points at partial data, even after
    a power cut. Syncing the directory as well (``sync_directory``) makes the rename itself
    durable; per-point files skip it (about 10 ms here): a lost rename only means that point is
    evaluated again.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TMP_PREFIX, suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if sync_directory:
        _fsync_directory(path.parent)


def _atomic_savez(path: Path, arrays: dict[str, np.ndarray]) -> None:
    _atomic_write(path, lambda fh: np.savez(fh, **arrays))


def _function_id(function: Callable) -> str:
    """``module:qualname`` (with the bound arguments of a ``functools.partial``)."""
    if isinstance(function, functools.partial):
        bound = [repr(a) for a in function.args]
        bound += [f"{k}={v!r}" for k, v in sorted(function.keywords.items())]
        return f"{_function_id(function.func)}({', '.join(bound)})"
    module = getattr(function, "__module__", None) or "?"
    qualname = getattr(function, "__qualname__", None) or type(function).__qualname__
    return f"{module}:{qualname}"


class _Store:
    """One directory of per-point npz files plus a manifest (see the module docstring)."""

    def __init__(self, directory: "str | os.PathLike", grid: Grid, function_id: str,
                 fixed: dict):
        self.directory = Path(directory)
        self.grid = grid
        self.manifest = {"format": _STORE_FORMAT, "version": _STORE_VERSION,
                         "function": function_id, "fixed": fixed, "axes": grid.describe()}
        if self.directory.exists() and not self.directory.is_dir():
            raise InvalidInputError(f"store {str(self.directory)!r} exists and is not a directory",
                                    argument="store", value=str(self.directory))
        self.directory.mkdir(parents=True, exist_ok=True)
        self._check_or_write_manifest()

    def _check_or_write_manifest(self) -> None:
        path = self.directory / _MANIFEST
        if not path.exists():
            text = json.dumps(self.manifest, indent=1).encode()
            _atomic_write(path, lambda fh: fh.write(text), sync_directory=True)
            return
        try:
            existing = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise InvalidInputError(
                f"store {str(self.directory)!r} has an unreadable manifest ({exc}); use an empty "
                f"directory", argument="store", value=str(self.directory)) from None
        if existing.get("format") != _STORE_FORMAT:
            raise InvalidInputError(
                f"{str(self.directory)!r} is not a dynrnn sweep store; use an empty directory",
                argument="store", value=str(self.directory))
        for key, what in (("function", "function"), ("fixed", "fixed arguments"),
                          ("axes", "grid")):
            if existing.get(key) != self.manifest[key]:
                raise InvalidInputError(
                    f"store {str(self.directory)!r} was made for a different {what}:\n"
                    f"  stored: {_short(existing.get(key))}\n"
                    f"  now:    {_short(self.manifest[key])}\n"
                    f"use a new store directory for a different sweep",
                    argument="store", value=str(self.directory))

    def path(self, flat_index: int) -> Path:
        return self.directory / _point_filename(flat_index, self.grid.point(flat_index))

    def listing(self) -> set[str]:
        """Names of the point files present now (one directory read instead of one per point)."""
        return {name for name in os.listdir(self.directory) if name.startswith("p")}

    def load(self, flat_index: int, present: set[str] | None = None
             ) -> tuple[dict[str, np.ndarray], float] | None:
        """The stored outputs and seconds of a point, or None if absent or unreadable."""
        path = self.path(flat_index)
        if (path.name not in present) if present is not None else not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as npz:
                if json.loads(str(npz["point"])) != [[k, v] for k, v in
                                                     self.grid.point(flat_index).items()]:
                    return None
                outputs = {k[4:]: npz[k] for k in npz.files if k.startswith("out/")}
                seconds = float(npz["seconds"])
        except Exception:  # noqa: BLE001  (truncated/corrupt: any failure means "redo the point")
            return None
        return (outputs, seconds) if outputs else None

    def save(self, flat_index: int, outputs: dict[str, np.ndarray], seconds: float) -> None:
        point = self.grid.point(flat_index)
        arrays = {f"out/{k}": v for k, v in outputs.items()}
        arrays["point"] = np.array(json.dumps([[k, v] for k, v in point.items()]))
        arrays["seconds"] = np.array(seconds)
        _atomic_savez(self.path(flat_index), arrays)


def _short(value: Any, limit: int = 300) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit] + " ..."


# -- executors -------------------------------------------------------------------------------------
_DASK_INSTALL = "pip install 'dask[distributed]'  (or: pip install 'dynrnn[dask]')"


def _dask_client(address: str):
    try:
        from distributed import Client
    except ImportError:
        raise MissingDependencyError(
            f"executor={address!r} needs Dask distributed, which is not installed; "
            f"{_DASK_INSTALL}") from None
    try:
        return Client(address, timeout=_CONNECT_TIMEOUT)
    except OSError as exc:
        raise InvalidInputError(
            f"could not connect to the Dask scheduler at {address!r} ({exc}); start one with "
            f"`dask scheduler` (and workers with `dask worker {address}`) or check the address",
            argument="executor", value=address) from None


def _default_mp_context():
    # forkserver: workers never inherit the threads (tqdm monitor, Dask) of the calling process,
    # which fork() would copy with their locks held; it is the default from Python 3.14 on.
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # The fork server imports dynrnn once and each worker forks from it with dynrnn loaded,
    # instead of importing numpy/scipy/sympy itself (about 1 s per worker on a busy machine).
    # The preload list is shared by the process's one fork server: add to it, keep the rest.
    from multiprocessing import forkserver
    preload = list(getattr(forkserver._forkserver, "_preload_modules", ["__main__"]))
    if "dynrnn" not in preload:
        context.set_forkserver_preload(preload + ["dynrnn"])
    # One BLAS/OpenMP thread per worker: n workers on n cores. Multithreaded BLAS in every worker
    # (OpenBLAS threads even a 100 x 100 matrix-vector product) made a 2-worker sweep slower
    # than a serial one here. The fork server reads these variables when it starts and its
    # workers inherit them; a value the user set is kept; nothing changes if it already runs.
    saved = {name: os.environ.get(name) for name in _THREAD_VARIABLES}
    try:
        for name in _THREAD_VARIABLES:
            os.environ.setdefault(name, "1")
        forkserver.ensure_running()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return context


def _check_picklable(function: Callable) -> None:
    try:
        pickle.dumps(function)
    except Exception as exc:  # noqa: BLE001
        raise InvalidInputError(
            f"function {_function_id(function)} cannot be sent to worker processes ({exc}); "
            f"define it at module level (not a lambda or a local function), or use "
            f"executor='serial'", argument="function", value=function) from None


def _exit_with_parent(connection) -> None:
    """Worker initializer: exit when the sweep's process dies, even by SIGKILL.

    ProcessPoolExecutor's workers would otherwise wait forever on their task queue (every worker
    holds that pipe's write end, so it never reports EOF). ``connection`` is the read end of a pipe
    whose only write end the sweep's process holds: the read sees EOF exactly when it is gone.
    """
    def watch():
        try:
            connection.recv_bytes()
        except (EOFError, OSError):
            pass
        os._exit(1)

    threading.Thread(target=watch, name="dynrnn-sweep-parent-watch", daemon=True).start()


class _SerialExecutor:
    """Evaluates each chunk when it is submitted, in this process (``executor='serial'``)."""

    def submit(self, fn, *args):
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # noqa: BLE001
            future.set_exception(exc)
        return future


def _resolve_executor(executor, max_workers, function):
    """Return ``(executor, cleanup, n_workers_hint)``."""
    if executor is None:
        if max_workers is not None and (not isinstance(max_workers, (int, np.integer))
                                        or max_workers < 1):
            raise InvalidInputError(f"max_workers must be a positive integer, got {max_workers!r}",
                                    argument="max_workers", value=max_workers)
        n = int(max_workers) if max_workers is not None else min(2, os.cpu_count() or 1)
        _check_picklable(function)
        context = _default_mp_context()
        parent_alive, keep_alive = context.Pipe(duplex=False)
        pool = ProcessPoolExecutor(max_workers=n, mp_context=context,
                                   initializer=_exit_with_parent, initargs=(parent_alive,))

        def shutdown(interrupted: bool) -> None:
            # After Ctrl-C do not wait for the running points: their results would be dropped.
            # Closing the pipe then makes the workers abandon them and exit at once.
            pool.shutdown(wait=not interrupted, cancel_futures=True)
            parent_alive.close()
            keep_alive.close()

        return pool, shutdown, n
    if isinstance(executor, str):
        if executor == "serial":
            return _SerialExecutor(), lambda interrupted: None, 1
        if "://" in executor:
            client = _dask_client(executor)
            n = max(1, sum(client.nthreads().values()))
            return client.get_executor(), lambda interrupted: client.close(), n
        raise InvalidInputError(
            f"executor must be None, 'serial', a scheduler address like 'tcp://HOST:PORT', a "
            f"concurrent.futures.Executor or a Dask Client; got {executor!r}",
            argument="executor", value=executor)
    if hasattr(executor, "get_executor") and not isinstance(executor, Executor):
        # A dask.distributed.Client (duck-typed so dask stays optional).
        n = max(1, sum(executor.nthreads().values()))
        return executor.get_executor(), lambda interrupted: None, n
    if isinstance(executor, Executor) or hasattr(executor, "submit"):
        if isinstance(executor, ProcessPoolExecutor):
            _check_picklable(function)
        n = getattr(executor, "_max_workers", None) or max_workers or 2
        return executor, lambda interrupted: None, int(n)
    raise InvalidTypeError(
        f"executor must be None, 'serial', an address string, a concurrent.futures.Executor or "
        f"a Dask Client; got {type(executor).__name__}", argument="executor", value=executor)


# -- the sweep -------------------------------------------------------------------------------------
def _check_fixed(fixed: Mapping | None, grid: Grid) -> dict:
    if fixed is None:
        return {}
    if not isinstance(fixed, Mapping):
        raise InvalidTypeError(f"fixed must be a mapping of keyword -> value, got "
                               f"{type(fixed).__name__}", argument="fixed", value=fixed)
    out = {}
    for key, value in fixed.items():
        if not isinstance(key, str) or not key.isidentifier():
            raise InvalidInputError(f"fixed argument names must be identifiers, got {key!r}",
                                    argument="fixed", value=key)
        if key in grid.axes:
            raise InvalidInputError(f"{key!r} is both a grid axis and a fixed argument",
                                    argument="fixed", value=key)
        value = _python_scalar(value)
        if not isinstance(value, (bool, int, float, str)):
            raise InvalidTypeError(
                f"fixed argument {key!r} must be a bool, int, float or str (it is recorded in the "
                f"store's manifest), got {type(value).__name__}; bind other objects with "
                f"functools.partial", argument="fixed", value=value)
        out[key] = value
    return out


def _check_count(value, argument: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InvalidInputError(f"{argument} must be an integer >= {minimum}, got {value!r}",
                                argument=argument, value=value)
    return int(value)


class _Collector:
    """Gathers per-point outcomes and checks that every point returns the same outputs."""

    def __init__(self, grid: Grid):
        self.grid = grid
        self.status = np.full(grid.shape, PointStatus.PENDING.value, dtype="<U7")
        self.message = np.full(grid.size, "", dtype=object)
        self.seconds = np.full(grid.shape, np.nan)
        self.outputs: dict[int, dict[str, np.ndarray]] = {}
        self.layout: dict[str, tuple[tuple[int, ...], str]] | None = None

    def add(self, flat_index: int, ok: bool, payload, seconds: float, status: PointStatus):
        index = np.unravel_index(flat_index, self.grid.shape)
        self.seconds[index] = seconds
        if ok:
            layout = {k: (v.shape, v.dtype.kind) for k, v in payload.items()}
            if self.layout is None:
                self.layout = layout
            elif layout != self.layout:
                ok, payload = False, (
                    f"InvalidTypeError: this point returned outputs {_describe(layout)} but "
                    f"earlier points returned {_describe(self.layout)}; every point must return "
                    f"the same names and shapes")
        if ok:
            self.outputs[flat_index] = payload
            self.status[index] = status.value
        else:
            self.status[index] = PointStatus.FAILED.value
            self.message[flat_index] = payload
        return ok

    def data(self) -> dict[str, np.ndarray]:
        if self.layout is None:
            return {}
        data = {}
        for name, (shape, kind) in self.layout.items():
            dtype = np.complex128 if kind == "c" else np.float64
            arr = np.full((self.grid.size,) + shape, np.nan, dtype=dtype)
            for flat_index, outputs in self.outputs.items():
                arr[flat_index] = outputs[name]
            data[name] = arr.reshape(self.grid.shape + shape)
        return data


def _describe(layout) -> str:
    return "{" + ", ".join(f"{k}: shape {s}" for k, (s, _) in sorted(layout.items())) + "}"


@checked_arguments
def sweep(function: Callable[..., Any], grid: "Mapping[str, Sequence] | Grid", *,
          executor: "Executor | str | None" = None, store: "str | os.PathLike | None" = None,
          max_workers: int | None = None, progress: bool = True, chunksize: int | None = None,
          retries: int = 0, raise_on_error: bool = False,
          fixed: Mapping[str, Any] | None = None) -> SweepResult:
    r"""Evaluate ``function(**fixed, **point)`` at every point of a grid, in parallel.

    .. math::

        \mathrm{data}[k](i_1, \dots, i_d) = f\big(a_1 = c_1[i_1], \dots, a_d = c_d[i_d]\big)[k]

    Parameters
    ----------
    function : callable
        Called with one keyword argument per axis (plus ``fixed``). Returns a number, an array of
        a fixed shape, or a dict of those (one output per key). For worker processes it must be
        picklable: a module-level function or a ``functools.partial`` of one.
    grid : mapping of str to 1-D sequence, or Grid
        The axes; their Cartesian product is evaluated (C order, last axis fastest). A seed is an
        axis like any other.
    executor : None, "serial", str, concurrent.futures.Executor or dask Client, optional
        None: a local process pool of ``max_workers`` (default 2) processes, shut down at the end.
        ``"serial"``: this process, one point after the other (for debugging).
        ``"tcp://HOST:PORT"``: a Dask scheduler; a ``distributed.Client`` is connected and closed at the end (needs
        ``pip install 'dask[distributed]'``). An executor or a Client you pass is used and left
        running.
    store : path, optional
        Directory holding one file per finished point (see the module docstring). Points already
        stored are loaded, not evaluated; a store made for another grid or function is refused.
    max_workers : int, optional
        Processes of the default pool.
    progress : bool
        Show a tqdm progress bar as points complete.
    chunksize : int, optional
        Points sent to a worker per task. Larger chunks cut the per-task overhead of cheap
        functions; smaller ones balance slow points and lose less when killed. Default: 1 up to
        512 points, then ``ceil(n / 512)`` capped at 64.
    retries : int
        Extra attempts for a point that raises, and for a task whose worker was lost.
    raise_on_error : bool
        If True and some points failed, raise :class:`SweepError` (carrying the result) after
        every point has been tried.
    fixed : mapping, optional
        Keyword arguments (bool, int, float or str) passed unchanged to every point and recorded in
        the store's manifest.

    Returns
    -------
    SweepResult
        Outputs as arrays of shape ``grid.shape + output_shape``, with per-point status.

    Notes
    -----
    The default pool starts its workers through a fork server (a spawn on platforms without one),
    never by forking the calling process with its threads. The workers import the function by
    name, so a script that sweeps a function of its own must guard its entry point with
    ``if __name__ == "__main__":``. They exit on their own if the calling process dies.

    Measured on 2 shared cores (``python benchmarks/bench_sweeps.py``): tens of µs per point in
    serial mode, a few hundred µs per task on the process pool, a few ms per task on a Dask
    LocalCluster; use ``chunksize`` for functions cheaper than that. Writing a point to the store
    costs one fsync (several ms here).

    Raises
    ------
    SweepError
        With ``raise_on_error=True``, if any point failed.
    SweepInterrupted
        On KeyboardInterrupt; ``.result`` holds what finished (and is in the store).
    InvalidInputError
        For a bad grid, a store made for a different sweep, or an unknown executor.

    Examples
    --------
    >>> from dynrnn.sweep_examples import one_unit_attractor_count
    >>> result = sweep(one_unit_attractor_count, {"w": [1.0, 5.0], "b": [-2.5, 0.0]},
    ...                fixed={"activation": "sigmoid"}, executor="serial", progress=False)
    >>> result["n_attractors"]
    array([[1., 1.],
           [2., 1.]])
    """
    start = time.perf_counter()
    if not callable(function):
        raise InvalidTypeError(f"function must be callable, got {type(function).__name__}",
                               argument="function", value=function)
    grid = Grid.from_axes(grid)
    fixed = _check_fixed(fixed, grid)
    retries = _check_count(retries, "retries", 0)
    if chunksize is not None:
        chunksize = _check_count(chunksize, "chunksize", 1)
    function_id = _function_id(function)
    stored = _Store(store, grid, function_id, fixed) if store is not None else None

    if isinstance(executor, str) and executor != "serial" and "://" not in executor:
        _resolve_executor(executor, max_workers, function)      # raises, naming the argument
    collector = _Collector(grid)
    todo = []
    present = stored.listing() if stored is not None else set()
    for flat_index in range(grid.size):
        loaded = stored.load(flat_index, present) if stored is not None else None
        if loaded is None or not collector.add(flat_index, True, loaded[0], loaded[1],
                                               PointStatus.SKIPPED):
            if loaded is not None:   # stored with another layout: evaluate again
                collector.status.flat[flat_index] = PointStatus.PENDING.value
                collector.message[flat_index] = ""
            todo.append(flat_index)
    n_skipped = grid.size - len(todo)
    if chunksize is None:
        chunksize = 1 if len(todo) <= 512 else min(64, math.ceil(len(todo) / 512))
    chunks = [todo[i:i + chunksize] for i in range(0, len(todo), chunksize)]

    interrupted = False
    n_done = 0
    bar = None
    store_errors: list[str] = []
    if chunks:
        pool, cleanup, n_workers = _resolve_executor(executor, max_workers, function)
        executors = {"pool": pool, "cleanup": cleanup}
        if progress:
            from tqdm.auto import tqdm
            bar = tqdm(total=grid.size, initial=n_skipped, desc=f"sweep {function_id}",
                       unit="pt", smoothing=0.05)
        # A bounded window of tasks in flight: workers never idle, yet a huge grid does not
        # become millions of futures, and an interrupt has little to cancel. The serial
        # executor evaluates on submit, so its window is one chunk (each point stored at once).
        window = 1 if isinstance(pool, _SerialExecutor) else _WINDOW_PER_WORKER * n_workers
        queue = iter(chunks)
        pending: dict[Future, tuple[list[int], int]] = {}

        def submit(chunk: list[int], attempt: int) -> None:
            points = [(i, grid.point(i)) for i in chunk]
            try:
                future = executors["pool"].submit(_evaluate_chunk, function, fixed, points,
                                                  retries)
            except BrokenExecutor:
                if executor is not None:       # not ours to replace
                    raise
                # A worker of our pool died (os._exit, a crash in an extension): every task in
                # flight has failed with it, but the points not yet sent get a fresh pool.
                executors["cleanup"](False)
                executors["pool"], executors["cleanup"], _ = _resolve_executor(
                    None, max_workers, function)
                future = executors["pool"].submit(_evaluate_chunk, function, fixed, points,
                                                  retries)
            pending[future] = (chunk, attempt)

        def record(outcomes: list) -> None:
            nonlocal n_done
            for flat_index, ok, payload, seconds in outcomes:
                if collector.add(flat_index, ok, payload, seconds, PointStatus.DONE):
                    n_done += 1
                    if stored is not None:
                        try:
                            stored.save(flat_index, payload, seconds)
                        except OSError as exc:    # disk full, permissions: keep it in memory
                            store_errors.append(f"{stored.path(flat_index).name}: {exc}")
            if bar is not None:
                bar.update(len(outcomes))

        def task_failed(chunk: list[int], exc: BaseException) -> None:
            hint = (" (a worker process died, in one of these points or in another task of the "
                    "same pool; rerun with the store to retry)"
                    if isinstance(exc, BrokenExecutor) else "")
            message = f"task failed{hint}: {_error_message(exc)}"
            record([(i, False, message, math.nan) for i in chunk])

        def fill() -> None:
            while len(pending) < window:
                chunk = next(queue, None)
                if chunk is None:
                    return
                try:
                    submit(chunk, 0)
                except Exception as exc:  # noqa: BLE001  (an executor that refuses work)
                    task_failed(chunk, exc)

        def collect(future: Future) -> None:
            chunk, attempt = pending.pop(future)
            try:
                outcomes = future.result()
            except Exception as exc:  # noqa: BLE001  (lost worker, unpicklable output, ...)
                if attempt < retries:
                    try:
                        submit(chunk, attempt + 1)
                        return
                    except Exception:  # noqa: BLE001  (executor broken: recorded below)
                        pass
                task_failed(chunk, exc)
                return
            record(outcomes)

        try:
            fill()
            while pending:
                finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for future in finished:
                    collect(future)
                fill()
        except KeyboardInterrupt:
            interrupted = True
            # Keep what has already arrived; abandon the rest (it is in no store yet).
            for future in list(pending):
                if future.done() and not future.cancelled():
                    try:
                        collect(future)
                    except Exception:  # noqa: BLE001
                        pass
                else:
                    future.cancel()
        finally:
            executors["cleanup"](interrupted)
            if bar is not None:
                bar.close()
    if store_errors:
        warnings.warn(f"{len(store_errors)} finished point(s) could not be written to the store "
                      f"(they are in the returned result; a rerun evaluates them again); first: "
                      f"{store_errors[0]}", DynrnnWarning, stacklevel=2)

    n_failed = int(np.count_nonzero(collector.status == PointStatus.FAILED.value))
    n_pending = int(np.count_nonzero(collector.status == PointStatus.PENDING.value))
    status = (SweepStatus.INTERRUPTED if n_pending else
              SweepStatus.FAILED_POINTS if n_failed else SweepStatus.COMPLETE)
    result = SweepResult(
        axes=grid.axes, coordinates=dict(zip(grid.axes, grid.coordinates)),
        data=collector.data(), point_status=collector.status,
        point_message=collector.message.astype(str).reshape(grid.shape),
        point_elapsed=collector.seconds, status=status, function=function_id, fixed=fixed,
        n_done=n_done, n_failed=n_failed, n_skipped=n_skipped, n_pending=n_pending,
        elapsed=time.perf_counter() - start, store=str(store) if store is not None else "")
    if interrupted:
        raise SweepInterrupted(
            f"sweep interrupted after {n_done} new points ({n_skipped} loaded, {n_pending} not "
            f"finished)" + (f"; finished points are in {str(store)!r}" if store else ""),
            result=result)
    if raise_on_error and n_failed:
        failures = result.failures
        first = next(iter(failures.items()))
        raise SweepError(
            f"{n_failed} of {grid.size} points failed; first at index {first[0]} "
            f"({grid.point(first[0])}): {first[1].splitlines()[0]}",
            result=result, failures=failures)
    return result


# -- sweeps described in a TOML file (the CLI's `dynrnn sweep CONFIG`) -----------------------------
_CONFIG_KEYS = {"function", "grid", "fixed", "sweep"}
_SWEEP_KEYS = {"store", "scheduler", "max_workers", "chunksize", "retries", "output", "progress"}


def _import_function(spec: Any) -> Callable:
    if not isinstance(spec, str) or spec.count(":") != 1:
        raise InvalidInputError(f"config 'function' must be 'module:function', got {spec!r}",
                                argument="function", value=spec)
    module_name, attr = spec.split(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise InvalidInputError(f"config 'function': cannot import module {module_name!r} "
                                f"({exc})", argument="function", value=spec) from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise InvalidInputError(f"config 'function': module {module_name!r} has no "
                                    f"{attr!r}", argument="function", value=spec) from None
    if not callable(obj):
        raise InvalidInputError(f"config 'function': {spec!r} is not callable",
                                argument="function", value=spec)
    return obj


def _config_axis(name: str, spec: Any) -> np.ndarray:
    if isinstance(spec, list):
        return _axis_array(name, spec)
    if isinstance(spec, dict):
        keys = set(spec)
        if keys == {"start", "stop", "num"} or keys == {"start", "stop", "num", "endpoint"}:
            num = spec["num"]
            if isinstance(num, bool) or not isinstance(num, int) or num < 1:
                raise InvalidInputError(f"grid axis {name!r}: num must be a positive integer, "
                                        f"got {num!r}", argument="grid", value=spec)
            return np.linspace(float(spec["start"]), float(spec["stop"]), num,
                               endpoint=bool(spec.get("endpoint", True)))
        if keys == {"range"}:
            return np.arange(int(spec["range"]))
    raise InvalidInputError(
        f"grid axis {name!r} must be a list of values, {{start, stop, num}} (linspace) or "
        f"{{range = N}} (0..N-1, e.g. seeds); got {spec!r}", argument="grid", value=spec)


@checked_arguments
def sweep_from_config(config_path: "str | os.PathLike", scheduler: str | None = None,
                      store: "str | os.PathLike | None" = None, *,
                      progress: bool | None = None) -> SweepResult:
    """Run the sweep described by a TOML file (what ``dynrnn sweep CONFIG`` does).

    The file names the function and the axes::

        function = "dynrnn.sweep_examples:one_unit_attractor_count"

        [grid]
        w = {start = 0.5, stop = 8.0, num = 16}     # numpy.linspace
        b = [-4.0, -2.5, 0.0]                        # explicit values
        seed = {range = 4}                           # 0, 1, 2, 3

        [fixed]                                      # optional: same for every point
        activation = "tanh"

        [sweep]                                      # optional
        store = "attractors.store"    # resumable store; relative paths are relative to this file
        output = "attractors.npz"     # also save the SweepResult there
        scheduler = "tcp://HOST:PORT" # or "serial"; default: a local process pool
        max_workers = 2
        chunksize = 1
        retries = 0
        progress = true

    Parameters
    ----------
    config_path : path
        The TOML file.
    scheduler : str, optional
        Overrides ``[sweep] scheduler``: ``"tcp://HOST:PORT"`` of a Dask scheduler, or ``"serial"``.
    store : path, optional
        Overrides ``[sweep] store``.
    progress : bool, optional
        Overrides ``[sweep] progress`` (default True).

    Returns
    -------
    SweepResult
        Also written to ``[sweep] output`` when given.
    """
    try:
        import tomllib
    except ImportError:          # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            raise MissingDependencyError("reading a sweep config needs Python >= 3.11 or the "
                                         "tomli package: pip install tomli") from None

    config_path = Path(config_path)
    try:
        config = tomllib.loads(config_path.read_text())
    except OSError as exc:
        raise InvalidInputError(f"cannot read sweep config {str(config_path)!r}: {exc}",
                                argument="config_path", value=str(config_path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(f"sweep config {str(config_path)!r} is not valid TOML: {exc}",
                                argument="config_path", value=str(config_path)) from None
    unknown = set(config) - _CONFIG_KEYS
    if unknown:
        raise InvalidInputError(f"unknown key(s) {sorted(unknown)} in {str(config_path)!r}; "
                                f"valid: {sorted(_CONFIG_KEYS)}", argument="config_path",
                                value=sorted(unknown))
    for required in ("function", "grid"):
        if required not in config:
            raise InvalidInputError(f"sweep config {str(config_path)!r} has no {required!r}",
                                    argument="config_path", value=str(config_path))
    function = _import_function(config["function"])
    if not isinstance(config["grid"], dict) or not config["grid"]:
        raise InvalidInputError("config [grid] must be a table of axis = values",
                                argument="grid", value=config["grid"])
    grid = Grid(tuple(config["grid"]), tuple(_config_axis(k, v) for k, v in
                                             config["grid"].items()))
    options = config.get("sweep", {})
    unknown = set(options) - _SWEEP_KEYS
    if unknown:
        raise InvalidInputError(f"unknown key(s) {sorted(unknown)} in [sweep]; valid: "
                                f"{sorted(_SWEEP_KEYS)}", argument="config_path",
                                value=sorted(unknown))
    base = config_path.resolve().parent

    def relative(p):
        return None if p is None else (base / p if not Path(p).is_absolute() else Path(p))

    store_path = Path(store) if store is not None else relative(options.get("store"))
    result = sweep(function, grid, executor=scheduler or options.get("scheduler"),
                   store=store_path, max_workers=options.get("max_workers"),
                   chunksize=options.get("chunksize"), retries=options.get("retries", 0),
                   progress=options.get("progress", True) if progress is None else progress,
                   fixed=config.get("fixed"))
    if options.get("output"):
        result.to_npz(relative(options["output"]))
    return result
