"""Sweeps described in a TOML file (the command line's ``dynrnn sweep CONFIG``)."""
from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .._checks import check_count
from .._signature_checks import checked_arguments
from ..errors import InvalidInputError, MissingDependencyError
from .grid import Grid, axis_array
from .result import SweepResult
from .run import sweep

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
        return axis_array(name, spec)
    if isinstance(spec, dict):
        keys = set(spec)
        if keys == {"start", "stop", "num"} or keys == {"start", "stop", "num", "endpoint"}:
            num = check_count(spec["num"], "grid", 1, non_integer=InvalidInputError,
                              label=f"grid axis {name!r}: num")
            return np.linspace(float(spec["start"]), float(spec["stop"]), num,
                               endpoint=bool(spec.get("endpoint", True)))
        if keys == {"range"}:
            return np.arange(int(spec["range"]))
    raise InvalidInputError(
        f"grid axis {name!r} must be a list of values, {{start, stop, num}} (linspace) or "
        f"{{range = N}} (0..N-1, e.g. seeds); got {spec!r}", argument="grid", value=spec)


@checked_arguments
def sweep_from_config(config_path: str | os.PathLike, scheduler: str | None = None,
                      store: str | os.PathLike | None = None, *,
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
            import tomli as tomllib
        except ImportError:
            raise MissingDependencyError("reading a sweep config needs Python >= 3.11 or the "
                                         "tomli package: pip install tomli") from None

    config_path = Path(config_path)
    try:
        config = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InvalidInputError(f"sweep config {str(config_path)!r} is not a text file (TOML is "
                                f"UTF-8 text)", argument="config_path",
                                value=str(config_path)) from None
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
