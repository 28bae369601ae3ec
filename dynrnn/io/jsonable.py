"""Plain JSON for display (the command line's ``--json``): results as nested dicts, lists, numbers
and strings. Unlike the result codec (:mod:`dynrnn.io.codec`), which tags every type so that
:func:`dynrnn.load` rebuilds the object exactly, this output is for reading, not for loading."""
from __future__ import annotations

import dataclasses
import enum
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["to_jsonable"]


def to_jsonable(value: Any) -> Any:
    """Turn results (dataclasses, arrays, enums, complex numbers) into JSON-compatible data.

    Dataclass fields marked ``metadata={"transient": True}`` (such as a branch's parameter
    family) and private fields are left out; networkx graphs become node-link dicts.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)
                if not f.name.startswith("_") and not f.metadata.get("transient", False)}
    if isinstance(value, enum.Enum):
        return value.value if not isinstance(value.value, tuple) else value.name
    if isinstance(value, np.ndarray):
        if np.iscomplexobj(value):
            return {"real": to_jsonable(value.real.tolist()),
                    "imag": to_jsonable(value.imag.tolist())}
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            return to_jsonable(value.tolist())
        return value.tolist()
    if isinstance(value, (complex, np.complexfloating)):
        return {"real": to_jsonable(float(value.real)), "imag": to_jsonable(float(value.imag))}
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Path):
        return str(value)
    if type(value).__module__.startswith("networkx") and hasattr(value, "nodes"):
        return {"nodes": [[to_jsonable(n), to_jsonable(d)] for n, d in value.nodes(data=True)],
                "edges": [[to_jsonable(a), to_jsonable(b), to_jsonable(d)]
                          for a, b, d in value.edges(data=True)]}
    return repr(value)
