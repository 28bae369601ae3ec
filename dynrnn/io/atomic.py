"""The one atomic file write of dynrnn: results, models, sweep stores, training checkpoints and
figures all go through :func:`atomic_write`."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from ..errors import InvalidInputError

__all__ = ["atomic_write", "check_writable", "fsync_directory", "TMP_PREFIX"]

#: temporary files start with this prefix (readers of a directory skip them)
TMP_PREFIX = ".tmp-"


def check_writable(path: str | os.PathLike, argument: str = "path") -> Path:
    """``path`` as a Path if a file can be written there, else InvalidInputError naming
    ``argument``: the path is a directory, or its directory does not exist."""
    if isinstance(path, bool) or not isinstance(path, (str, os.PathLike)):
        raise InvalidInputError(f"{argument} must be a file path (str or path-like), got "
                                f"{path!r}", argument=argument, value=path)
    path = Path(path)
    if str(path) in ("", ".") or path.is_dir():
        raise InvalidInputError(f"{argument}={str(path)!r} is a directory; give a file name "
                                f"inside it", argument=argument, value=str(path))
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InvalidInputError(f"cannot write {path}: directory {directory} does not exist "
                                f"(create it first)", argument=argument, value=str(path))
    return path


def fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (where the platform allows it)."""
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


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], object], *,
                 sync_directory: bool = False, argument: str = "path") -> Path:
    """Write through ``write(binary_file)`` to a temporary file beside ``path``, fsync it, then
    rename it onto ``path``.

    The data are on disk before the rename, so ``path`` never names partial data, even after a
    power cut or Ctrl-C. ``sync_directory`` also makes the rename itself durable (about 10 ms;
    a sweep's per-point files skip it: a lost rename only means the point is evaluated again).

    Raises
    ------
    InvalidInputError
        ``path`` is a directory or its directory does not exist (naming ``argument``), checked
        before anything is written.
    """
    path = check_writable(path, argument)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=path.suffix, dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    if sync_directory:
        fsync_directory(directory)
    return path
