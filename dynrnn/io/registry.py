"""Which classes :func:`dynrnn.load` may rebuild: dynrnn's own dataclasses and enums, and those
registered with :func:`register_result_type`. Loading never imports or calls code a file names."""
from __future__ import annotations

import dataclasses
import enum
import importlib
from pathlib import Path
from typing import Any

from ..errors import FileFormatError, InvalidTypeError

__all__ = ["register_result_type", "is_loadable_type", "resolve_type", "type_name"]

_REGISTERED: dict[str, type] = {}


def type_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def register_result_type(cls: type) -> type:
    """Class decorator: let :func:`load` rebuild ``cls`` (a dataclass or an Enum).

    Classes from the ``dynrnn`` package are accepted without registration; register your own
    result classes (defined outside dynrnn) before saving or loading them.

    Examples
    --------
    >>> import dataclasses, dynrnn.io as dio
    >>> @dio.register_result_type
    ... @dataclasses.dataclass(frozen=True)
    ... class Sweep:
    ...     values: tuple
    >>> dio.is_loadable_type(Sweep)
    True
    """
    if not isinstance(cls, type) or not (dataclasses.is_dataclass(cls)
                                         or issubclass(cls, enum.Enum)):
        raise InvalidTypeError(f"register_result_type takes a dataclass or Enum class, got "
                               f"{cls!r}", argument="cls", value=cls)
    _REGISTERED[type_name(cls)] = cls
    return cls


def is_loadable_type(cls: type) -> bool:
    """Whether :func:`load` may rebuild instances of ``cls``.

    True for dataclasses and enums defined in the ``dynrnn`` package (module ``dynrnn`` or
    ``dynrnn.*``) and for classes registered with :func:`register_result_type`; False otherwise.
    """
    if not isinstance(cls, type):
        return False
    if not (dataclasses.is_dataclass(cls) or issubclass(cls, enum.Enum)):
        return False
    if _REGISTERED.get(type_name(cls)) is cls:
        return True
    module = cls.__module__ or ""
    return (module == "dynrnn" or module.startswith("dynrnn.")) and "<locals>" not in \
        cls.__qualname__


def resolve_type(name: str, where: str, path: Path) -> type:
    """The class recorded as ``name`` ("module:qualname"), if the allow-list admits it."""
    if not isinstance(name, str) or ":" not in name:
        raise FileFormatError(f"{path}: bad class name {name!r} at {where}", argument="path",
                              value=str(path))
    if name in _REGISTERED:
        return _REGISTERED[name]
    module, qualname = name.split(":", 1)
    if not (module == "dynrnn" or module.startswith("dynrnn.")):
        raise FileFormatError(
            f"{path}: refusing to rebuild {name} at {where}: only classes from the dynrnn "
            "package or registered with dynrnn.io.register_result_type are loaded (register "
            "it, then load again)", argument="path", value=str(path))
    try:
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise FileFormatError(f"{path}: class {name} at {where} does not exist in this dynrnn "
                              f"({exc})", argument="path", value=str(path)) from exc
    if not is_loadable_type(obj):
        raise FileFormatError(f"{path}: {name} at {where} is not a dataclass or Enum",
                              argument="path", value=str(path))
    return obj
