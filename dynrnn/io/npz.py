"""The ``.npz`` container of dynrnn's files: arrays plus a JSON header under ``"__meta__"``,
written atomically, read back with the format version checked."""
from __future__ import annotations

import datetime as _dt
import json
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..errors import FileFormatError
from .atomic import atomic_write

__all__ = ["FORMAT_VERSION", "RESULT_FORMAT", "MODEL_FORMAT", "META_KEY", "write_npz",
           "read_npz", "read_dynrnn_npz", "check_version", "header"]

#: Version of the file layout written by :func:`dynrnn.save` and :func:`dynrnn.save_model`. Files
#: with a larger number were written by a newer dynrnn and are refused with FileFormatError.
FORMAT_VERSION = 1

RESULT_FORMAT = "dynrnn-result"
MODEL_FORMAT = "dynrnn-model"
META_KEY = "__meta__"


def write_npz(path: Path, arrays: dict[str, np.ndarray], meta: dict, compress: bool) -> None:
    text = json.dumps(meta, allow_nan=False, separators=(",", ":"))
    payload: dict[str, Any] = {**arrays, META_KEY: np.array(text)}
    saver = np.savez_compressed if compress else np.savez
    atomic_write(path, lambda fh: saver(fh, **payload))


def read_npz(path: Path, require_meta: bool = True
              ) -> tuple[dict | None, dict[str, np.ndarray]]:
    """(metadata, arrays) of a dynrnn .npz; FileFormatError naming ``path`` if unreadable.

    With ``require_meta=False`` a plain .npz (no metadata) gives ``(None, arrays)``.
    """
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        z = np.load(path, allow_pickle=False)
        if isinstance(z, np.ndarray):
            raise FileFormatError(f"{path} is a single .npy array, not a dynrnn .npz file",
                                  argument="path", value=str(path))
        with z:
            if META_KEY not in z.files and require_meta:
                raise FileFormatError(f"{path} is not a dynrnn file: it has no {META_KEY!r} "
                                      "entry", argument="path", value=str(path))
            arrays = {k: z[k] for k in z.files if k != META_KEY}
            if META_KEY not in z.files:
                return None, arrays
            meta = json.loads(str(z[META_KEY][()]))
    except FileFormatError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error,
            UnicodeDecodeError) as exc:
        raise FileFormatError(f"{path} is corrupt or truncated ({type(exc).__name__}: {exc})",
                              argument="path", value=str(path)) from exc
    if not isinstance(meta, dict):
        raise FileFormatError(f"{path}: metadata is not a JSON object", argument="path",
                              value=str(path))
    check_version(meta, path)
    return meta, arrays


def read_dynrnn_npz(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """(metadata, arrays) of a file written by dynrnn (FileFormatError if it has no metadata)."""
    meta, arrays = read_npz(path, require_meta=True)
    if meta is None:  # read_npz raised already; this states it for the type checker
        raise FileFormatError(f"{path} is not a dynrnn file", argument="path", value=str(path))
    return meta, arrays


def check_version(meta: dict, path: Path) -> None:
    version = meta.get("format_version")
    if not isinstance(version, int) or meta.get("format") not in (RESULT_FORMAT,
                                                                  MODEL_FORMAT):
        raise FileFormatError(f"{path}: not a dynrnn file (format {meta.get('format')!r}, "
                              f"format_version {version!r})", argument="path", value=str(path))
    if version > FORMAT_VERSION:
        raise FileFormatError(
            f"{path} was written in file format version {version} (by dynrnn "
            f"{meta.get('dynrnn_version', '?')}), newer than the version {FORMAT_VERSION} this "
            f"dynrnn {__version__} reads; upgrade dynrnn to load it", argument="path",
            value=str(path))


def header(fmt: str, root_type: str) -> dict:
    return {"format": fmt, "format_version": FORMAT_VERSION, "dynrnn_version": __version__,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "type": root_type}
