"""A network as named arrays and back: what :func:`dynrnn.save_model` and :func:`dynrnn.save`
write for a model. Array networks are read through the
:class:`~dynrnn.model._arrays.ArrayNetwork` contract (their ``ARRAYS`` and
:meth:`~dynrnn.model._arrays.ArrayNetwork.from_arrays`), sympy maps through their TOML spec."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..errors import FileFormatError, InvalidInputError, InvalidTypeError
from ..model import ACTIVATIONS, Map
from ..model._arrays import ArrayNetwork, network_classes
from ..model.toml_maps import map_spec

__all__ = ["model_arrays", "build_model", "model_from_npz", "SYMPY_KIND"]

#: the kind recorded for a sympy-defined map (its spec is stored, not arrays)
SYMPY_KIND = "SympyMap"


def model_arrays(net, where: str) -> tuple[str, dict, str | None]:
    """(kind, arrays or sympy spec, activation name) of a saveable network."""
    if isinstance(net, ArrayNetwork) and type(net).__name__ in network_classes():
        act = getattr(net, "activation", None)
        if act is not None and ACTIVATIONS.get(act.name) is not act:
            raise InvalidTypeError(f"cannot save {where}: custom activation {act.name!r} is not "
                                   "one of the registered ones", argument="net", value=act.name)
        return type(net).__name__, net.arrays(), None if act is None else act.name
    if isinstance(net, Map) and hasattr(net, "exprs"):
        try:  # refuse now what load could not read back
            return SYMPY_KIND, map_spec(net, where), None
        except FileFormatError as exc:
            raise InvalidTypeError(f"cannot save {where}: {exc}", argument="net",
                                   value=type(net).__name__) from None
    raise InvalidTypeError(
        f"cannot save {where}: {type(net).__name__} (a map defined by Python callables cannot be "
        "written to a file; define it with Map.from_sympy or save its parameters instead)",
        argument="net", value=type(net).__name__)


def build_model(kind, arrays: Mapping[str, np.ndarray], activation, source: str, *,
                complete: bool = True):
    """The network of class ``kind`` (a name in :func:`network_classes`) from its arrays: all of
    them (a dynrnn file), or with ``complete=False`` at least the required ones (a plain .npz
    written by other tools; the others take the constructor's defaults)."""
    classes = network_classes()
    if kind not in classes:
        raise FileFormatError(f"{source}: unknown model kind {kind!r} (expected one of "
                              f"{', '.join(classes)})", argument="path", value=source)
    cls = classes[kind]
    missing = [k for k in (cls.ARRAYS if complete else cls.required_arrays())
               if k not in arrays]
    if missing:
        raise FileFormatError(f"{source}: {kind} file lacks the array(s) {missing}",
                              argument="path", value=source)
    try:
        return cls.from_arrays(arrays, None if activation is None else str(activation))
    except (InvalidInputError, InvalidTypeError) as exc:
        raise FileFormatError(f"{source}: the stored {kind} is invalid: {exc}",
                              argument="path", value=source) from exc


def _kind_from_names(names: set[str]) -> str | None:
    """The network class whose required arrays are all present and that names most of the
    arrays found, the first defined on a tie (a plain .npz written by other tools records no
    kind)."""
    candidates = [(len(names & set(cls.ARRAYS)), -order, kind)
                  for order, (kind, cls) in enumerate(network_classes().items())
                  if set(cls.required_arrays()) <= names]
    return max(candidates)[2] if candidates else None


def model_from_npz(meta: dict | None, arrays: dict, path: Path):
    """The network in a model ``.npz``: by its recorded kind, or by its array names."""
    if meta is not None:
        return build_model(meta.get("kind"), arrays, meta.get("activation"), str(path))
    kind = _kind_from_names(set(arrays) - {"activation", "kind"})
    if kind is None:
        expected = "; ".join(f"{k}: {', '.join(c.required_arrays())}"
                             for k, c in network_classes().items())
        raise FileFormatError(f"{path}: neither dynrnn metadata nor model arrays (required "
                              f"arrays by kind: {expected}); found {sorted(arrays)}",
                              argument="path", value=str(path))
    activation = str(arrays["activation"]) if "activation" in arrays else "tanh"
    return build_model(kind, arrays, activation, str(path), complete=False)
