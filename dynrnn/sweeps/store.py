"""The on-disk store of a sweep: a manifest and one file per finished point, each written
atomically, so a killed sweep loses only the points in flight (layout: :mod:`dynrnn.sweeps.run`)."""
from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidInputError
from ..io.atomic import atomic_write
from .grid import Grid

_STORE_FORMAT = "dynrnn.sweep-store"
_STORE_VERSION = 1
_MANIFEST = "manifest.json"


def point_key(point: Mapping[str, Any]) -> str:
    """Stable hash of a point's coordinates (JSON of name/value pairs; floats by repr)."""
    text = json.dumps([[k, v] for k, v in point.items()], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def point_filename(flat_index: int, point: Mapping[str, Any]) -> str:
    return f"p{flat_index:07d}-{point_key(point)}.npz"


def function_id(function: Callable) -> str:
    """``module:qualname`` (with the bound arguments of a ``functools.partial``)."""
    if isinstance(function, functools.partial):
        bound = [repr(a) for a in function.args]
        bound += [f"{k}={v!r}" for k, v in sorted(function.keywords.items())]
        return f"{function_id(function.func)}({', '.join(bound)})"
    module = getattr(function, "__module__", None) or "?"
    qualname = getattr(function, "__qualname__", None) or type(function).__qualname__
    return f"{module}:{qualname}"


class Store:
    """One directory of per-point npz files plus a manifest (see the module docstring)."""

    def __init__(self, directory: str | os.PathLike, grid: Grid, function_id: str,
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
            atomic_write(path, lambda fh: fh.write(text), sync_directory=True)
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
                    f"  stored: {short(existing.get(key))}\n"
                    f"  now:    {short(self.manifest[key])}\n"
                    f"use a new store directory for a different sweep",
                    argument="store", value=str(self.directory))

    def path(self, flat_index: int) -> Path:
        return self.directory / point_filename(flat_index, self.grid.point(flat_index))

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
        arrays: dict[str, Any] = {f"out/{k}": v for k, v in outputs.items()}
        arrays["point"] = np.array(json.dumps([[k, v] for k, v in point.items()]))
        arrays["seconds"] = np.array(seconds)
        atomic_write(self.path(flat_index), lambda fh: np.savez(fh, **arrays))


def short(value: Any, limit: int = 300) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit] + " ..."
