"""Save and load results and models.

Results
-------
:func:`save` writes any result object (a dataclass, typically frozen) to one ``.npz`` file and
:func:`load` reads it back. The dataclass is walked generically: every ndarray (real, complex,
integer, boolean or string) becomes an entry of the ``.npz``; everything else is described by a
JSON document stored in the same file as the 0-d string array ``"__meta__"``. Supported values:
None, bool, int, float (including NaN and ±inf), complex, str, numpy scalars, ndarrays (object
arrays element by element), lists, tuples, sets, dicts with any supported keys, enums, nested
dataclasses, networkx graphs (node-link data) and the maps :class:`~dynrnn.RNN`,
:class:`~dynrnn.ElmanRNN`, :class:`~dynrnn.PLRNN` and sympy-defined :class:`~dynrnn.Map`.
The JSON also records ``format_version``, the dynrnn version, the time of writing and optional
user metadata (parameters, seeds, timings), read with :func:`read_metadata`.

Which classes ``load`` reconstructs
-----------------------------------
Loading never imports or calls arbitrary code named in a file. A dataclass or enum is rebuilt only
when :func:`is_loadable_type` accepts its class: classes defined in the ``dynrnn`` package (module
``dynrnn`` or ``dynrnn.*``) and classes registered with :func:`register_result_type`.
:func:`save` applies the same rule, so it never writes a file that cannot be loaded. Dataclasses
are rebuilt by calling the class with their ``init`` fields (so ``__post_init__`` runs); fields with
``init=False`` are then restored as saved.

Models
------
:func:`save_model` writes a network as a plain ``.npz`` with its arrays under their own names
(``W_rec``, ``W_in``, ``b``, ``u`` and ``activation`` for :class:`~dynrnn.RNN`), readable without
dynrnn, or a sympy-defined map as TOML. :func:`load_model` reads those, a saved ``torch.nn.RNN``
state dict (``.pt``/``.pth``) and TOML files that define a custom map symbolically::

    [map]
    states = ["x", "y"]
    inputs = []            # optional
    [map.params]
    a = 1.4
    b = 0.3
    [map.equations]
    x = "1 - a*x**2 + y"
    y = "b*x"

All writes are atomic: the file is written to a temporary file in the same directory and moved
into place with :func:`os.replace`, so an interrupted save never leaves a half-written file.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import importlib
import io as _io
import json
import math
import os
import tempfile
import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from ._version import __version__
from .errors import (FileFormatError, InvalidInputError, InvalidTypeError, MissingDependencyError,
                     UnknownActivationError)
from ._signature_checks import checked_arguments

__all__ = ["save", "load", "read_metadata", "save_model", "load_model", "register_result_type",
           "is_loadable_type", "FORMAT_VERSION"]

#: Version of the file layout written by :func:`save` and :func:`save_model`. Files with a larger
#: number were written by a newer dynrnn and are refused with :class:`FileFormatError`.
FORMAT_VERSION = 1

_RESULT_FORMAT = "dynrnn-result"
_MODEL_FORMAT = "dynrnn-model"
_META_KEY = "__meta__"
_REGISTERED: dict[str, type] = {}


# -- which classes may be rebuilt --------------------------------------------------------------
def _type_name(cls: type) -> str:
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
    _REGISTERED[_type_name(cls)] = cls
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
    if _REGISTERED.get(_type_name(cls)) is cls:
        return True
    module = cls.__module__ or ""
    return (module == "dynrnn" or module.startswith("dynrnn.")) and "<locals>" not in \
        cls.__qualname__


def _resolve_type(name: str, where: str, path: Path) -> type:
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


# -- encoding ------------------------------------------------------------------------------------
_GRAPH_CLASSES = ("Graph", "DiGraph", "MultiGraph", "MultiDiGraph")


class _Encoder:
    """Turns an object tree into JSON-able nodes, collecting arrays under keys a0, a1, ..."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}

    def array(self, arr: np.ndarray, where: str):
        if arr.dtype.hasobject:
            return {"$objarray": list(arr.shape),
                    "items": [self.encode(v, f"{where}[{i}]") for i, v in
                              enumerate(arr.ravel().tolist())]}
        if arr.dtype.kind not in "biufcUSMm":
            raise InvalidTypeError(f"cannot save {where}: arrays of dtype {arr.dtype} are not "
                                   "supported", argument="obj", value=arr.dtype)
        key = f"a{len(self.arrays)}"
        self.arrays[key] = arr
        return {"$array": key}

    def encode(self, obj, where: str):
        if obj is None or isinstance(obj, (bool, str)) and not isinstance(obj, enum.Enum):
            return obj
        if isinstance(obj, enum.Enum):
            cls = type(obj)
            self._check_type(cls, where)
            return {"$enum": _type_name(cls), "name": obj.name}
        if isinstance(obj, np.ndarray):
            return self.array(obj, where)
        if isinstance(obj, np.generic):
            if isinstance(obj, (np.void, np.object_)):
                raise InvalidTypeError(f"cannot save {where}: numpy {obj.dtype} scalar",
                                       argument="obj", value=obj)
            return {"$scalar": obj.dtype.str, "value": self.encode(obj.item(), where)}
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            return float(obj) if math.isfinite(obj) else {"$float": repr(float(obj))}
        if isinstance(obj, complex):
            return {"$complex": [self.encode(obj.real, where), self.encode(obj.imag, where)]}
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            cls = type(obj)
            self._check_type(cls, where)
            return {"$dataclass": _type_name(cls),
                    "fields": {f.name: self.encode(getattr(obj, f.name), f"{where}.{f.name}")
                               for f in dataclasses.fields(obj)}}
        if isinstance(obj, list):
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            return {"$tuple": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}
        if isinstance(obj, (set, frozenset)):
            tag = "$frozenset" if isinstance(obj, frozenset) else "$set"
            items = sorted(obj, key=repr)
            return {tag: [self.encode(v, f"{where}{{}}") for v in items]}
        if isinstance(obj, Mapping) and not _is_graph(obj):
            return {"$dict": [[self.encode(k, f"{where} key {k!r}"),
                               self.encode(v, f"{where}[{k!r}]")] for k, v in obj.items()]}
        if _is_graph(obj):
            return self.graph(obj, where)
        from .model.base import RecurrentMap
        if isinstance(obj, RecurrentMap):
            return self.model(obj, where)
        raise InvalidTypeError(
            f"cannot save {where}: objects of type {type(obj).__name__} are not supported "
            "(use arrays, numbers, strings, enums, lists, tuples, dicts, dataclasses, networkx "
            "graphs or dynrnn networks)", argument="obj", value=type(obj).__name__)

    @staticmethod
    def _check_type(cls: type, where: str) -> None:
        if not is_loadable_type(cls):
            raise InvalidTypeError(
                f"cannot save {where}: {_type_name(cls)} is not a dynrnn class; decorate it "
                "with dynrnn.io.register_result_type so that load can rebuild it",
                argument="obj", value=_type_name(cls))

    def graph(self, G, where: str):
        kind = type(G).__name__
        if kind not in _GRAPH_CLASSES:
            raise InvalidTypeError(f"cannot save {where}: graph class {kind} (use one of "
                                   f"{', '.join(_GRAPH_CLASSES)})", argument="obj", value=kind)
        if G.is_multigraph():
            edges = [[self.encode(u, where), self.encode(v, where), self.encode(k, where),
                      self.encode(dict(d), f"{where} edge {u!r}-{v!r}")]
                     for u, v, k, d in G.edges(keys=True, data=True)]
        else:
            edges = [[self.encode(u, where), self.encode(v, where),
                      self.encode(dict(d), f"{where} edge {u!r}-{v!r}")]
                     for u, v, d in G.edges(data=True)]
        return {"$graph": kind, "graph": self.encode(dict(G.graph), f"{where}.graph"),
                "nodes": [[self.encode(n, where), self.encode(dict(d), f"{where} node {n!r}")]
                          for n, d in G.nodes(data=True)],
                "edges": edges}

    def model(self, net, where: str):
        kind, arrays, activation = _model_arrays(net, where)
        if kind == "SympyMap":
            return {"$model": kind, "spec": self.encode(arrays, where)}
        return {"$model": kind, "activation": activation,
                "arrays": {k: self.array(np.asarray(v), f"{where}.{k}")
                           for k, v in arrays.items()}}


def _is_graph(obj) -> bool:
    return type(obj).__module__.startswith("networkx.") and hasattr(obj, "is_multigraph")


def _model_arrays(net, where: str) -> tuple[str, dict, str | None]:
    """(kind, arrays or sympy spec, activation name) of a saveable network."""
    from .model import ACTIVATIONS, ElmanRNN, Map, PLRNN, RNN
    if isinstance(net, (RNN, ElmanRNN)):
        act = net.activation
        if ACTIVATIONS.get(act.name) is not act:
            raise InvalidTypeError(f"cannot save {where}: custom activation {act.name!r} is not "
                                   "one of the registered ones", argument="net", value=act.name)
        return type(net).__name__, net.arrays(), act.name
    if isinstance(net, PLRNN):
        return "PLRNN", net.arrays(), None
    if isinstance(net, Map) and hasattr(net, "exprs"):
        states, inputs = [str(s) for s in net.states], [str(s) for s in net.inputs]
        equations = [_expression_text(e) for e in net.exprs]
        import sympy
        declared = {k: sympy.Symbol(k) for k in states + inputs + list(net.params)}
        for state, text in zip(states, equations):
            try:  # refuse now what load could not read back
                _safe_sympify(text, declared, f"equations.{state}", where)
            except FileFormatError as exc:
                raise InvalidTypeError(f"cannot save {where}: {exc}", argument="net",
                                       value=text) from None
        spec = {"name": net.name, "states": states, "inputs": inputs,
                "params": dict(net.params), "equations": equations,
                "box": None if net.invariant_box() is None else
                [np.asarray(b).tolist() for b in net.invariant_box()]}
        return "SympyMap", spec, None
    raise InvalidTypeError(
        f"cannot save {where}: {type(net).__name__} (a map defined by Python callables cannot be "
        "written to a file; define it with Map.from_sympy or save its parameters instead)",
        argument="net", value=type(net).__name__)


# -- decoding ------------------------------------------------------------------------------------
class _Decoder:
    def __init__(self, arrays: Mapping[str, np.ndarray], path: Path):
        self.arrays, self.path = arrays, path

    def fail(self, where: str, problem: str):
        return FileFormatError(f"{self.path}: {problem} at {where}", argument="path",
                               value=str(self.path))

    def decode(self, node, where: str = "root"):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(v, f"{where}[{i}]") for i, v in enumerate(node)]
        if not isinstance(node, dict) or len(node) == 0:
            raise self.fail(where, f"unexpected entry {node!r}")
        tag = next(iter(node))
        handler = _DECODERS.get(tag)
        if handler is None:
            raise self.fail(where, f"unknown tag {tag!r}")
        try:
            return handler(self, node, where)
        except FileFormatError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise self.fail(where, f"{type(exc).__name__}: {exc}") from exc

    def array(self, key, where):
        if key not in self.arrays:
            raise self.fail(where, f"missing array {key!r}")
        return self.arrays[key]


def _dec_dataclass(d: _Decoder, node, where):
    cls = _resolve_type(node["$dataclass"], where, d.path)
    if not dataclasses.is_dataclass(cls):
        raise d.fail(where, f"{node['$dataclass']} is not a dataclass")
    saved = node["fields"]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(saved) - set(fields)
    if unknown:
        raise d.fail(where, f"fields {sorted(unknown)} that {cls.__name__} does not have "
                            "(file from another dynrnn version?)")
    values = {k: d.decode(v, f"{where}.{k}") for k, v in saved.items()}
    try:
        obj = cls(**{k: v for k, v in values.items() if fields[k].init})
    except Exception as exc:
        raise d.fail(where, f"could not rebuild {cls.__name__}: {type(exc).__name__}: "
                            f"{exc}") from exc
    for k, v in values.items():
        if not fields[k].init:
            object.__setattr__(obj, k, v)
    return obj


def _dec_enum(d: _Decoder, node, where):
    cls = _resolve_type(node["$enum"], where, d.path)
    if not issubclass(cls, enum.Enum):
        raise d.fail(where, f"{node['$enum']} is not an Enum")
    return cls[node["name"]]


def _dec_scalar(d: _Decoder, node, where):
    dtype = np.dtype(node["$scalar"])
    if dtype.hasobject:
        raise d.fail(where, "object scalar")
    return dtype.type(d.decode(node["value"], where))


def _dec_float(d: _Decoder, node, where):
    text = node["$float"]
    if text not in ("nan", "inf", "-inf"):
        raise d.fail(where, f"bad float {text!r}")
    return float(text)


def _dec_objarray(d: _Decoder, node, where):
    items = [d.decode(v, f"{where}[{i}]") for i, v in enumerate(node["items"])]
    out = np.empty(len(items), dtype=object)
    out[:] = items if items else out
    return out.reshape(tuple(node["$objarray"]))


def _dec_dict(d: _Decoder, node, where):
    out = {}
    for k, v in node["$dict"]:
        key = d.decode(k, f"{where} key")
        out[key] = d.decode(v, f"{where}[{key!r}]")
    return out


def _dec_graph(d: _Decoder, node, where):
    import networkx as nx
    kind = node["$graph"]
    if kind not in _GRAPH_CLASSES:
        raise d.fail(where, f"unknown graph class {kind!r}")
    G = getattr(nx, kind)()
    G.graph.update(d.decode(node["graph"], where))
    for n, attrs in node["nodes"]:
        G.add_node(d.decode(n, where), **d.decode(attrs, where))
    for edge in node["edges"]:
        if G.is_multigraph():
            u, v, k, attrs = edge
            G.add_edge(d.decode(u, where), d.decode(v, where), key=d.decode(k, where),
                       **d.decode(attrs, where))
        else:
            u, v, attrs = edge
            G.add_edge(d.decode(u, where), d.decode(v, where), **d.decode(attrs, where))
    return G


def _dec_model(d: _Decoder, node, where):
    kind = node["$model"]
    if kind == "SympyMap":
        return _sympy_map_from_spec(d.decode(node["spec"], where), f"{d.path} ({where})")
    arrays = {k: d.array(v["$array"], f"{where}.{k}") for k, v in node["arrays"].items()}
    return _build_model(kind, arrays, node.get("activation"), f"{d.path} ({where})")


_DECODERS: dict[str, Callable] = {
    "$array": lambda d, n, w: d.array(n["$array"], w),
    "$objarray": _dec_objarray,
    "$scalar": _dec_scalar,
    "$float": _dec_float,
    "$complex": lambda d, n, w: complex(d.decode(n["$complex"][0], w),
                                        d.decode(n["$complex"][1], w)),
    "$tuple": lambda d, n, w: tuple(d.decode(v, f"{w}[{i}]") for i, v in
                                    enumerate(n["$tuple"])),
    "$set": lambda d, n, w: {d.decode(v, w) for v in n["$set"]},
    "$frozenset": lambda d, n, w: frozenset(d.decode(v, w) for v in n["$frozenset"]),
    "$dict": _dec_dict,
    "$enum": _dec_enum,
    "$dataclass": _dec_dataclass,
    "$graph": _dec_graph,
    "$model": _dec_model,
}


# -- files ---------------------------------------------------------------------------------------
def _atomic_write(path: Path, write: Callable[[Any], None]) -> None:
    """Write through ``write(file)`` to a temporary file beside ``path``, then replace it."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InvalidInputError(f"cannot write {path}: directory {directory} does not exist",
                                argument="path", value=str(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
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


def _write_npz(path: Path, arrays: dict[str, np.ndarray], meta: dict, compress: bool) -> None:
    text = json.dumps(meta, allow_nan=False, separators=(",", ":"))
    payload = {**arrays, _META_KEY: np.array(text)}
    saver = np.savez_compressed if compress else np.savez
    _atomic_write(path, lambda fh: saver(fh, **payload))


def _read_npz(path: Path, require_meta: bool = True
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
            if _META_KEY not in z.files and require_meta:
                raise FileFormatError(f"{path} is not a dynrnn file: it has no {_META_KEY!r} "
                                      "entry", argument="path", value=str(path))
            arrays = {k: z[k] for k in z.files if k != _META_KEY}
            if _META_KEY not in z.files:
                return None, arrays
            meta = json.loads(str(z[_META_KEY][()]))
    except FileFormatError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error,
            UnicodeDecodeError) as exc:
        raise FileFormatError(f"{path} is corrupt or truncated ({type(exc).__name__}: {exc})",
                              argument="path", value=str(path)) from exc
    if not isinstance(meta, dict):
        raise FileFormatError(f"{path}: metadata is not a JSON object", argument="path",
                              value=str(path))
    _check_version(meta, path)
    return meta, arrays


def _check_version(meta: dict, path: Path) -> None:
    version = meta.get("format_version")
    if not isinstance(version, int) or meta.get("format") not in (_RESULT_FORMAT,
                                                                  _MODEL_FORMAT):
        raise FileFormatError(f"{path}: not a dynrnn file (format {meta.get('format')!r}, "
                              f"format_version {version!r})", argument="path", value=str(path))
    if version > FORMAT_VERSION:
        raise FileFormatError(
            f"{path} was written in file format version {version} (by dynrnn "
            f"{meta.get('dynrnn_version', '?')}), newer than the version {FORMAT_VERSION} this "
            f"dynrnn {__version__} reads; upgrade dynrnn to load it", argument="path",
            value=str(path))


def _header(fmt: str, root_type: str) -> dict:
    return {"format": fmt, "format_version": FORMAT_VERSION, "dynrnn_version": __version__,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "type": root_type}


@checked_arguments
def save(obj, path: str | os.PathLike, metadata: Mapping | None = None, *,
         compress: bool = True) -> Path:
    """Write a result object (or a network) to one ``.npz`` file, atomically.

    Parameters
    ----------
    obj : dataclass, network or any supported value
        See the module docstring for what is supported.
    path : str or path-like
        The file to write (conventionally ``*.npz``; the name is used as given).
    metadata : mapping, optional
        User metadata stored alongside (parameters, seeds, timings); any supported values.
    compress : bool
        Deflate the arrays (smaller files, slower writes).

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    InvalidTypeError
        Something in ``obj`` cannot be saved; the message gives its place, e.g.
        ``obj.branches[2].system``.

    Examples
    --------
    >>> import os, tempfile, numpy as np, dynrnn as dr
    >>> from dynrnn.analysis import Bifurcation, BifurcationKind
    >>> bif = Bifurcation(BifurcationKind.LP, -2.5, np.array([1.0]), np.array([1.0]), (-2.6, -2.4))
    >>> path = os.path.join(tempfile.mkdtemp(), "bif.npz")
    >>> _ = dr.save(bif, path, metadata={"seed": 0})
    >>> dr.load(path).kind
    <BifurcationKind.LP: 'LP'>
    """
    path = Path(path)
    enc = _Encoder()
    root = enc.encode(obj, "obj")
    user = enc.encode(dict(metadata), "metadata") if metadata is not None else None
    meta = _header(_RESULT_FORMAT, type(obj).__name__)
    meta["user"] = user
    meta["root"] = root
    _write_npz(path, enc.arrays, meta, compress)
    return path


@checked_arguments
def load(path: str | os.PathLike, *, return_metadata: bool = False):
    """Read an object written by :func:`save` (or a model written by :func:`save_model`).

    Parameters
    ----------
    path : str or path-like
    return_metadata : bool
        Also return the metadata (as :func:`read_metadata`).

    Returns
    -------
    object, or (object, dict) with ``return_metadata``

    Raises
    ------
    FileFormatError
        The file is corrupt or truncated, was written by a newer format version, or names a
        class that :func:`is_loadable_type` rejects. The message names the path.
    FileNotFoundError
        No file at ``path``.
    """
    path = Path(path)
    meta, arrays = _read_npz(path)
    if meta["format"] == _MODEL_FORMAT:
        obj = _model_from_npz(meta, arrays, path)
    else:
        if "root" not in meta:
            raise FileFormatError(f"{path}: metadata has no 'root' entry", argument="path",
                                  value=str(path))
        obj = _Decoder(arrays, path).decode(meta["root"])
    if return_metadata:
        return obj, _public_metadata(meta, arrays, path)
    return obj


def read_metadata(path: str | os.PathLike) -> dict:
    """The metadata of a file written by :func:`save` or :func:`save_model`.

    Returns
    -------
    dict
        ``format``, ``format_version``, ``dynrnn_version``, ``created`` (UTC, ISO 8601),
        ``type`` (class name of the saved object) and ``user`` (the ``metadata`` given to
        :func:`save`, or None).
    """
    path = Path(path)
    meta, arrays = _read_npz(path)
    return _public_metadata(meta, arrays, path)


def _public_metadata(meta: dict, arrays, path: Path) -> dict:
    out = {k: v for k, v in meta.items() if k not in ("root", "user")}
    user = meta.get("user")
    out["user"] = None if user is None else _Decoder(arrays, path).decode(user, "metadata")
    return out


# -- models --------------------------------------------------------------------------------------
def _build_model(kind: str, arrays: Mapping[str, np.ndarray], activation, source: str):
    from .model import ElmanRNN, PLRNN, RNN
    names = {"RNN": ("W_rec", "W_in", "b", "u"), "ElmanRNN": ("W", "U", "b", "u"),
             "PLRNN": ("A", "W", "h", "C", "u")}
    if kind not in names:
        raise FileFormatError(f"{source}: unknown model kind {kind!r} (expected one of "
                              f"{', '.join(names)})", argument="path", value=source)
    missing = [k for k in names[kind] if k not in arrays]
    if missing:
        raise FileFormatError(f"{source}: {kind} file lacks the array(s) {missing}",
                              argument="path", value=source)
    args = [arrays[k] for k in names[kind]]
    try:
        if kind == "PLRNN":
            return PLRNN(*args)
        cls = RNN if kind == "RNN" else ElmanRNN
        return cls(args[0], args[1], args[2], str(activation), args[3])
    except (InvalidInputError, InvalidTypeError) as exc:
        raise FileFormatError(f"{source}: the stored {kind} is invalid: {exc}",
                              argument="path", value=source) from exc


def _model_from_npz(meta: dict | None, arrays: dict, path: Path):
    if meta is not None:
        return _build_model(meta.get("kind"), arrays, meta.get("activation"), str(path))
    # a plain .npz written by other tools: the kind follows from the array names
    if "W_rec" in arrays:
        kind = "RNN"
    elif "U" in arrays or ("W" in arrays and "A" not in arrays):
        kind = "ElmanRNN"
    elif "A" in arrays:
        kind = "PLRNN"
    else:
        raise FileFormatError(f"{path}: neither dynrnn metadata nor model arrays (W_rec for an "
                              f"RNN, W for an ElmanRNN, A and W for a PLRNN); found "
                              f"{sorted(arrays)}", argument="path", value=str(path))
    first = "W_rec" if kind == "RNN" else "W"
    n = np.shape(arrays[first])[0] if np.ndim(arrays[first]) else 0
    defaults = {"RNN": {"W_in": np.zeros((n, 0)), "b": np.zeros(n)},
                "ElmanRNN": {"U": np.zeros((n, 0)), "b": np.zeros(n)},
                "PLRNN": {"h": np.zeros(n), "C": np.zeros((n, 0))}}[kind]
    full = {**defaults, **arrays}
    inputs = full["W_in" if kind == "RNN" else "U" if kind == "ElmanRNN" else "C"]
    full.setdefault("u", np.zeros(np.shape(inputs)[-1] if np.ndim(inputs) == 2 else 0))
    activation = str(full["activation"]) if "activation" in full else "tanh"
    return _build_model(kind, full, activation, str(path))


@checked_arguments
def save_model(net, path: str | os.PathLike, metadata: Mapping | None = None) -> Path:
    """Write a network to ``path``: ``.npz`` for RNN, ElmanRNN and PLRNN; ``.toml`` for a
    sympy-defined :class:`~dynrnn.Map`.

    The ``.npz`` holds the arrays under their names (RNN: ``W_rec``, ``W_in``, ``b``, ``u``;
    ElmanRNN: ``W``, ``U``, ``b``, ``u``; PLRNN: ``A``, ``W``, ``h``, ``C``, ``u``) plus
    ``activation`` and ``kind`` as 0-d strings, so other tools can read it with ``numpy.load``.
    The write is atomic.

    Raises
    ------
    InvalidTypeError
        ``net`` cannot be written in the format the suffix asks for.
    """
    path = Path(path)
    kind, arrays, activation = _model_arrays(net, "net")
    suffix = path.suffix.lower()
    if kind == "SympyMap":
        if suffix != ".toml":
            raise InvalidTypeError(f"a sympy-defined Map is saved as TOML; give a path ending "
                                   f"in .toml, got {path.name!r}", argument="path",
                                   value=str(path))
        text = _sympy_spec_to_toml(arrays)
        _atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))
        return path
    if suffix == ".toml":
        raise InvalidTypeError(f"{kind} is saved as .npz, not TOML (TOML is for sympy-defined "
                               "maps)", argument="path", value=str(path))
    meta = _header(_MODEL_FORMAT, kind)
    meta.update(kind=kind, activation=activation)
    enc = _Encoder()
    meta["user"] = enc.encode(dict(metadata), "metadata") if metadata is not None else None
    if enc.arrays:
        raise InvalidTypeError("metadata of save_model must not contain arrays",
                               argument="metadata", value=list(enc.arrays))
    payload = {k: np.asarray(v) for k, v in arrays.items()}
    payload["kind"] = np.array(kind)
    payload["activation"] = np.array(activation or "relu")
    _write_npz(path, payload, meta, compress=False)
    return path


@checked_arguments
def load_model(path: str | os.PathLike, *, nonlinearity: str = "tanh", form: str | None = None,
               prefix: str | None = None):
    """Read a network or map from ``path``, by suffix.

    Parameters
    ----------
    path : str or path-like
        ``.npz`` written by :func:`save_model` (or by :func:`save` with a network at the root);
        ``.pt``/``.pth``: a ``torch.nn.RNN`` state dict (``torch.save(module.state_dict())``,
        possibly nested in a checkpoint dict or under a prefix such as ``"rnn."``), read with
        ``torch.load(weights_only=True)``; ``.toml``: a map defined symbolically (see the module
        docstring), returned as :meth:`Map.from_sympy <dynrnn.Map.from_sympy>`.
    nonlinearity : {"tanh", "relu"}
        For ``.pt`` files, which do not record it.
    form : {"pascanu", "rnn", "elman"}, optional
        For ``.pt`` files, which form to return (default: :class:`~dynrnn.RNN`, the form of
        Pascanu et al. eq. (2)); for ``.npz`` files, convert an RNN/ElmanRNN to this form
        (default: as stored).
    prefix : str, optional
        For ``.pt`` files holding several RNN layers: the key prefix of the one to import.

    Raises
    ------
    FileFormatError
        The file is corrupt, of a newer format version, or does not describe a supported
        network; the message names the file and the problem.
    MissingDependencyError
        A ``.pt`` file without PyTorch installed.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if form not in (None, "pascanu", "rnn", "elman"):
        raise InvalidInputError(f"form must be 'pascanu', 'rnn' or 'elman', got {form!r}",
                                argument="form", value=form)
    if nonlinearity not in ("tanh", "relu"):
        # checked for every suffix, so a misspelt name is not silently ignored for .npz files
        raise UnknownActivationError(f"nonlinearity must be 'tanh' or 'relu' (the units of "
                                     f"torch.nn.RNN), got {nonlinearity!r}",
                                     argument="nonlinearity", value=nonlinearity)
    if suffix in (".pt", ".pth"):
        return _load_torch(path, nonlinearity, form or "pascanu", prefix)
    if suffix == ".toml":
        return _load_toml(path)
    if suffix != ".npz":
        raise FileFormatError(f"{path}: unknown model file type {suffix!r}; expected .npz, "
                              ".pt, .pth or .toml", argument="path", value=str(path))
    meta, arrays = _read_npz(path, require_meta=False)
    if meta is None or meta["format"] == _MODEL_FORMAT:
        net = _model_from_npz(meta, arrays, path)
    else:
        net = load(path)
    from .model import ElmanRNN, RNN
    from .model.base import RecurrentMap
    if not isinstance(net, RecurrentMap):
        raise FileFormatError(f"{path} holds a {type(net).__name__}, not a network",
                              argument="path", value=str(path))
    if form in ("pascanu", "rnn") and isinstance(net, ElmanRNN):
        return net.to_pascanu()
    if form == "elman" and isinstance(net, RNN):
        return net.to_elman()
    if form is not None and not isinstance(net, (RNN, ElmanRNN)):
        raise InvalidInputError(f"form={form!r} applies to RNN and ElmanRNN files; {path} holds "
                                f"a {type(net).__name__}", argument="form", value=form)
    return net


def _load_torch(path: Path, nonlinearity: str, form: str, prefix: str | None):
    from .model.torch_import import from_torch_state_dict, import_torch
    torch = import_torch()
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        state = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as exc:  # torch raises many kinds (UnpicklingError, RuntimeError, EOF)
        raise FileFormatError(
            f"{path} could not be read as a PyTorch state dict ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); save the module with "
            "torch.save(module.state_dict(), path)", argument="path", value=str(path)) from exc
    if not isinstance(state, Mapping):
        raise FileFormatError(f"{path} holds a {type(state).__name__}, not a state dict",
                              argument="path", value=str(path))
    flat = _flatten(state)
    try:
        return from_torch_state_dict(flat, nonlinearity, form, prefix)
    except InvalidInputError as exc:
        if exc.argument in ("nonlinearity", "form"):
            raise
        raise FileFormatError(str(exc) if str(path) in str(exc) else f"{path}: {exc}",
                              argument="path", value=str(path)) from exc


def _flatten(state: Mapping, prefix: str = "") -> dict:
    """Nested checkpoint dicts -> one dict with dotted keys."""
    out = {}
    for k, v in state.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


# -- symbolic maps (TOML) ------------------------------------------------------------------------
def _expression_text(expr) -> str:
    """``str(expr)`` with floats printed by ``repr`` (shortest exact round trip), where sympy
    prints 15 digits and would change the map by ~1e-16."""
    from sympy.printing.str import StrPrinter

    class _ExactFloatPrinter(StrPrinter):
        def _print_Float(self, expr):
            return repr(float(expr))

    return _ExactFloatPrinter().doprint(expr)


_SYMPY_FUNCTIONS = ("sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh",
                    "tanh", "asinh", "acosh", "atanh", "exp", "log", "sqrt", "Abs", "sign",
                    "Max", "Min", "Heaviside", "floor", "ceiling", "pi", "E")
_ALLOWED_OPS = {"+", "-", "*", "/", "**", "(", ")", ","}


def _safe_sympify(text, declared: dict, where: str, source: str):
    """Parse an expression read from a file, admitting only arithmetic, the declared symbols
    and the functions in ``_SYMPY_FUNCTIONS`` (sympify evaluates Python; a file must not)."""
    import sympy
    if not isinstance(text, str):
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            return sympy.Float(text)
        raise FileFormatError(f"{source}: {where} must be a string expression, got {text!r}",
                              argument="path", value=source)
    try:
        tokens = list(tokenize.generate_tokens(_io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError) as exc:
        raise FileFormatError(f"{source}: {where} = {text!r} is not an expression ({exc})",
                              argument="path", value=source) from exc
    undeclared = []
    for tok in tokens:
        if tok.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.NUMBER):
            continue
        if tok.type == tokenize.NAME:
            if tok.string not in declared and tok.string not in _SYMPY_FUNCTIONS:
                undeclared.append(tok.string)
            continue
        if tok.type == tokenize.OP and tok.string in _ALLOWED_OPS:
            continue
        raise FileFormatError(f"{source}: {where} = {text!r} contains {tok.string!r}; only "
                              "numbers, + - * / ** ( ), declared symbols and the functions "
                              f"{', '.join(_SYMPY_FUNCTIONS)} are allowed", argument="path",
                              value=source)
    if undeclared:
        raise FileFormatError(
            f"{source}: {where} = {text!r} uses undeclared symbol(s) "
            f"{', '.join(sorted(set(undeclared)))}; declare each under states, inputs or params",
            argument="path", value=source)
    namespace = {name: getattr(sympy, name) for name in _SYMPY_FUNCTIONS}
    namespace.update(declared)
    try:
        return sympy.sympify(text, locals=namespace)
    except (sympy.SympifyError, TypeError, SyntaxError, ValueError) as exc:
        raise FileFormatError(f"{source}: {where} = {text!r} could not be read: {exc}",
                              argument="path", value=source) from exc


def _sympy_map_from_spec(spec: Mapping, source: str):
    """Build Map.from_sympy from {"states", "inputs", "params", "equations", "box", "name"}."""
    import sympy
    from .model import Map

    def names(key):
        value = spec.get(key, [])
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and
                                                           v.isidentifier() for v in value):
            raise FileFormatError(f"{source}: {key} must be a list of names (identifiers), got "
                                  f"{value!r}", argument="path", value=source)
        return list(value)

    states, inputs = names("states"), names("inputs")
    if not states:
        raise FileFormatError(f"{source}: states is missing or empty", argument="path",
                              value=source)
    params = spec.get("params", {})
    if not isinstance(params, Mapping):
        raise FileFormatError(f"{source}: params must be a table of name = value",
                              argument="path", value=source)
    for k, v in params.items():
        if not (isinstance(k, str) and k.isidentifier()):
            raise FileFormatError(f"{source}: parameter name {k!r} is not an identifier",
                                  argument="path", value=source)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise FileFormatError(f"{source}: parameter {k} = {v!r} must be a finite number",
                                  argument="path", value=source)
    all_names = states + inputs + list(params)
    dupes = sorted({n for n in all_names if all_names.count(n) > 1})
    if dupes:
        raise FileFormatError(f"{source}: {', '.join(dupes)} declared more than once among "
                              "states, inputs and params", argument="path", value=source)
    declared = {n: sympy.Symbol(n) for n in all_names}
    equations = spec.get("equations")
    if isinstance(equations, Mapping):
        missing = [s for s in states if s not in equations]
        extra = [k for k in equations if k not in states]
        if missing or extra:
            raise FileFormatError(
                f"{source}: equations must give one expression per state; "
                + (f"missing for {missing}" if missing else "")
                + ("; " if missing and extra else "")
                + (f"{extra} are not states" if extra else ""), argument="path", value=source)
        texts = [equations[s] for s in states]
    elif isinstance(equations, (list, tuple)) and len(equations) == len(states):
        texts = list(equations)
    else:
        raise FileFormatError(f"{source}: equations must be a table state = \"expression\" "
                              f"with one entry per state {states}", argument="path",
                              value=source)
    exprs = [_safe_sympify(t, declared, f"equations.{s}", source) for s, t in zip(states, texts)]
    box = spec.get("box")
    if box is not None:
        if isinstance(box, Mapping):
            box = (box.get("lower"), box.get("upper"))
        if not (isinstance(box, (list, tuple)) and len(box) == 2
                and all(b is not None for b in box)):
            raise FileFormatError(f"{source}: box must have lower and upper", argument="path",
                                  value=source)
    try:
        return Map.from_sympy(exprs, [declared[s] for s in states],
                              {declared[k]: float(v) for k, v in params.items()},
                              [declared[s] for s in inputs] or None, box=box,
                              name=spec.get("name") or None)
    except (InvalidInputError, InvalidTypeError) as exc:
        raise FileFormatError(f"{source}: {exc}", argument="path", value=source) from exc


def _load_toml(path: Path):
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError as exc:
            raise MissingDependencyError("reading TOML needs Python >= 3.11 or the tomli "
                                         "package") from exc
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FileFormatError(f"{path} is not valid TOML: {exc}", argument="path",
                              value=str(path)) from exc
    spec = doc.get("map")
    if not isinstance(spec, Mapping):
        raise FileFormatError(f"{path}: no [map] table (expected [map] with states, "
                              "[map.params] and [map.equations])", argument="path",
                              value=str(path))
    unknown = set(spec) - {"states", "inputs", "params", "equations", "box", "name"}
    if unknown:
        raise FileFormatError(f"{path}: unknown key(s) {sorted(unknown)} in [map]; valid: "
                              "states, inputs, params, equations, box, name", argument="path",
                              value=str(path))
    return _sympy_map_from_spec({"name": path.stem, **spec}, str(path))


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _sympy_spec_to_toml(spec: Mapping) -> str:
    lines = [f"# dynrnn {__version__} symbolic map (file format {FORMAT_VERSION})", "[map]"]
    if spec.get("name"):
        lines.append(f"name = {_toml_string(spec['name'])}")
    lines.append("states = [" + ", ".join(_toml_string(s) for s in spec["states"]) + "]")
    if spec["inputs"]:
        lines.append("inputs = [" + ", ".join(_toml_string(s) for s in spec["inputs"]) + "]")
    if spec.get("box") is not None:
        lo, hi = spec["box"]
        lines.append(f"box = {{ lower = {[float(v) for v in lo]!r}, "
                     f"upper = {[float(v) for v in hi]!r} }}")
    lines.append("")
    lines.append("[map.params]")
    for k, v in spec["params"].items():
        lines.append(f"{_toml_string(k)} = {float(v)!r}")
    lines.append("")
    lines.append("[map.equations]")
    for s, e in zip(spec["states"], spec["equations"]):
        lines.append(f"{_toml_string(s)} = {_toml_string(e)}")
    return "\n".join(lines) + "\n"
