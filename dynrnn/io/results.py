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
state dict (``.pt``/``.pth``) and TOML files that define a custom map symbolically (the format,
with an example, is in ``dynrnn/model/toml_maps.py``).

All writes are atomic: the file is written to a temporary file in the same directory and moved
into place with :func:`os.replace`, so an interrupted save never leaves a half-written file.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from .._signature_checks import checked_arguments
from ..errors import FileFormatError
from .atomic import check_writable
from .codec import Decoder, Encoder
from .networks import model_from_npz
from .npz import FORMAT_VERSION, MODEL_FORMAT, RESULT_FORMAT, header, read_dynrnn_npz, write_npz
from .registry import is_loadable_type, register_result_type

__all__ = ["save", "load", "read_metadata", "register_result_type", "is_loadable_type",
           "FORMAT_VERSION"]


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
    InvalidInputError
        ``path`` is not a file path (None, a directory, a missing directory), before anything
        is encoded.

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
    path = check_writable(path, "path")
    enc = Encoder()
    root = enc.encode(obj, "obj")
    user = enc.encode(dict(metadata), "metadata") if metadata is not None else None
    meta = header(RESULT_FORMAT, type(obj).__name__)
    meta["user"] = user
    meta["root"] = root
    write_npz(path, enc.arrays, meta, compress)
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
    meta, arrays = read_dynrnn_npz(path)
    if meta["format"] == MODEL_FORMAT:
        obj = model_from_npz(meta, arrays, path)
    else:
        if "root" not in meta:
            raise FileFormatError(f"{path}: metadata has no 'root' entry", argument="path",
                                  value=str(path))
        obj = Decoder(arrays, path).decode(meta["root"])
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
    meta, arrays = read_dynrnn_npz(path)
    return _public_metadata(meta, arrays, path)


def _public_metadata(meta: dict, arrays, path: Path) -> dict:
    out = {k: v for k, v in meta.items() if k not in ("root", "user")}
    user = meta.get("user")
    out["user"] = None if user is None else Decoder(arrays, path).decode(user, "metadata")
    return out
