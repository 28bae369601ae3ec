"""The one JSON encoder of dynrnn: an object tree <-> JSON-able nodes plus a dict of arrays.

:class:`Encoder` walks dataclasses, enums, containers, numpy values, networkx graphs and networks;
every ndarray goes to ``arrays`` under a key ``a0, a1, ...``, everything else becomes a tagged
JSON node (``{"$dataclass": ...}``, ``{"$tuple": [...]}``, ...). :class:`Decoder` reverses it,
rebuilding only the classes :func:`~dynrnn.io.is_loadable_type` admits. :meth:`Encoder.plain`
(:func:`to_jsonable`) writes the same walk untagged, for reading rather than loading (the
command line's ``--json``).
"""
from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FileFormatError, InvalidTypeError
from ..model.base import RecurrentMap
from ..model.toml_maps import map_from_spec
from .networks import SYMPY_KIND, build_model, model_arrays
from .registry import is_loadable_type, resolve_type, type_name

__all__ = ["Encoder", "Decoder", "to_jsonable"]

_GRAPH_CLASSES = ("Graph", "DiGraph", "MultiGraph", "MultiDiGraph")


class Encoder:
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
            self._check_type(type(obj), where)
            return {"$enum": type_name(type(obj)), "name": obj.name}
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
            return {"$dataclass": type_name(cls),
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
        if isinstance(obj, RecurrentMap):
            return self.model(obj, where)
        raise InvalidTypeError(
            f"cannot save {where}: objects of type {type(obj).__name__} are not supported "
            "(use arrays, numbers, strings, enums, lists, tuples, dicts, dataclasses, networkx "
            "graphs or dynrnn networks)", argument="obj", value=type(obj).__name__)

    def plain(self, value: Any) -> Any:
        """``value`` as plain JSON data (no tags, arrays inline, never raises): dataclasses as
        dicts of their public, non-transient fields, enums as their values, complex numbers as
        ``{"real", "imag"}``, non-finite floats as strings, graphs as node and edge lists, and
        anything else as its ``repr``."""
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: self.plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                    if not f.name.startswith("_") and not f.metadata.get("transient", False)}
        if isinstance(value, enum.Enum):
            return value.value if not isinstance(value.value, tuple) else value.name
        if isinstance(value, np.ndarray):
            if np.iscomplexobj(value):
                return {"real": self.plain(value.real.tolist()),
                        "imag": self.plain(value.imag.tolist())}
            if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
                return self.plain(value.tolist())
            return value.tolist()
        if isinstance(value, (complex, np.complexfloating)):
            return {"real": self.plain(float(value.real)), "imag": self.plain(float(value.imag))}
        if isinstance(value, np.generic):
            return self.plain(value.item())
        if isinstance(value, dict):
            return {str(k): self.plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self.plain(v) for v in value]
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)
        if isinstance(value, (str, int, float, bool)) or value is None:
            return value
        if isinstance(value, Path):
            return str(value)
        if _is_graph(value):
            return {"nodes": [[self.plain(n), self.plain(d)] for n, d in value.nodes(data=True)],
                    "edges": [[self.plain(a), self.plain(b), self.plain(d)]
                              for a, b, d in value.edges(data=True)]}
        return repr(value)

    @staticmethod
    def _check_type(cls: type, where: str) -> None:
        if not is_loadable_type(cls):
            raise InvalidTypeError(
                f"cannot save {where}: {type_name(cls)} is not a dynrnn class; decorate it "
                "with dynrnn.io.register_result_type so that load can rebuild it",
                argument="obj", value=type_name(cls))

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
        kind, arrays, activation = model_arrays(net, where)
        if kind == SYMPY_KIND:
            return {"$model": kind, "spec": self.encode(arrays, where)}
        return {"$model": kind, "activation": activation,
                "arrays": {k: self.array(np.asarray(v), f"{where}.{k}")
                           for k, v in arrays.items()}}


def to_jsonable(value: Any) -> Any:
    """Results (dataclasses, arrays, enums, complex numbers) as plain JSON data; see
    :meth:`Encoder.plain`."""
    return Encoder().plain(value)


def _is_graph(obj) -> bool:
    return type(obj).__module__.startswith("networkx.") and hasattr(obj, "is_multigraph")


class Decoder:
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


def _dec_dataclass(d: Decoder, node, where):
    cls = resolve_type(node["$dataclass"], where, d.path)
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


def _dec_enum(d: Decoder, node, where):
    cls = resolve_type(node["$enum"], where, d.path)
    if not issubclass(cls, enum.Enum):
        raise d.fail(where, f"{node['$enum']} is not an Enum")
    return cls[node["name"]]


def _dec_scalar(d: Decoder, node, where):
    dtype = np.dtype(node["$scalar"])
    if dtype.hasobject:
        raise d.fail(where, "object scalar")
    return dtype.type(d.decode(node["value"], where))


def _dec_float(d: Decoder, node, where):
    text = node["$float"]
    if text not in ("nan", "inf", "-inf"):
        raise d.fail(where, f"bad float {text!r}")
    return float(text)


def _dec_objarray(d: Decoder, node, where):
    items = [d.decode(v, f"{where}[{i}]") for i, v in enumerate(node["items"])]
    out = np.empty(len(items), dtype=object)
    out[:] = items if items else out
    return out.reshape(tuple(node["$objarray"]))


def _dec_dict(d: Decoder, node, where):
    out = {}
    for k, v in node["$dict"]:
        key = d.decode(k, f"{where} key")
        out[key] = d.decode(v, f"{where}[{key!r}]")
    return out


def _dec_graph(d: Decoder, node, where):
    import networkx as nx  # networkx imports slowly: only graphs need it
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


def _dec_model(d: Decoder, node, where):
    kind = node["$model"]
    if kind == SYMPY_KIND:
        return map_from_spec(d.decode(node["spec"], where), f"{d.path} ({where})")
    arrays = {k: d.array(v["$array"], f"{where}.{k}") for k, v in node["arrays"].items()}
    return build_model(kind, arrays, node.get("activation"), f"{d.path} ({where})")


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
