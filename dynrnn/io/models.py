"""Model files: a network's arrays as a plain ``.npz`` readable without dynrnn, a sympy map as
TOML, and PyTorch ``nn.RNN``/``GRU``/``LSTM`` state dicts and modules (``.pt``/``.pth``, read
only, through :func:`dynrnn.model.torch_network.read_torch_file`)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import numpy as np

from .._signature_checks import checked_arguments
from ..errors import FileFormatError, InvalidInputError, InvalidTypeError, UnknownActivationError
from ..model import RNN, ElmanRNN
from ..model.base import RecurrentMap
from ..model.toml_maps import load_map_toml, map_spec_to_toml
from ..model.torch_network import read_torch_file  # imports torch lazily
from .atomic import atomic_write, check_writable
from .codec import Encoder
from .networks import SYMPY_KIND, model_arrays, model_from_npz
from .npz import MODEL_FORMAT, header, read_npz, write_npz
from .results import load

__all__ = ["save_model", "load_model"]


@checked_arguments
def save_model(net, path: str | os.PathLike, metadata: Mapping | None = None) -> Path:
    """Write a network to ``path``: ``.npz`` for an array network (RNN, ElmanRNN, PLRNN or any
    :class:`~dynrnn.model._arrays.ArrayNetwork`); ``.toml`` for a sympy-defined
    :class:`~dynrnn.Map`. Any other suffix is refused (``.pt`` too: dynrnn reads PyTorch state
    dicts but does not write them), so every file written can be read by :func:`load_model`.

    The ``.npz`` holds the arrays under the names the class declares in ``ARRAYS`` (RNN:
    ``W_rec``, ``W_in``, ``b``, ``u``; ElmanRNN: ``W``, ``U``, ``b``, ``u``; PLRNN: ``A``,
    ``W``, ``h``, ``C``, ``u``) plus
    ``activation`` and ``kind`` as 0-d strings, so other tools can read it with ``numpy.load``.
    The write is atomic.

    Raises
    ------
    InvalidTypeError
        ``net`` cannot be written in the format the suffix asks for.
    InvalidInputError
        ``path`` is a directory, in a missing directory, or has a suffix :func:`load_model`
        would not read back.
    """
    path = check_writable(path, "path")
    kind, arrays, activation = model_arrays(net, "net")
    suffix = path.suffix.lower()
    if kind == SYMPY_KIND:
        if suffix != ".toml":
            raise InvalidTypeError(f"a sympy-defined Map is saved as TOML; give a path ending "
                                   f"in .toml, got {path.name!r}", argument="path",
                                   value=str(path))
        text = map_spec_to_toml(arrays)
        atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))
        return path
    if suffix == ".toml":
        raise InvalidTypeError(f"{kind} is saved as .npz, not TOML (TOML is for sympy-defined "
                               "maps)", argument="path", value=str(path))
    if suffix != ".npz":
        # save refuses what load_model cannot read back: it reads .pt/.pth as torch state
        # dicts and refuses other suffixes
        raise InvalidInputError(f"save_model writes a {kind} as .npz; give a path ending in "
                                f".npz, got {path.name!r} (load_model reads a file by its "
                                f"suffix and could not read this one back)", argument="path",
                                value=str(path))
    meta = header(MODEL_FORMAT, kind)
    meta.update(kind=kind, activation=activation)
    enc = Encoder()
    meta["user"] = enc.encode(dict(metadata), "metadata") if metadata is not None else None
    if enc.arrays:
        raise InvalidTypeError("metadata of save_model must not contain arrays",
                               argument="metadata", value=list(enc.arrays))
    payload = {k: np.asarray(v) for k, v in arrays.items()}
    payload["kind"] = np.array(kind)
    payload["activation"] = np.array(activation or "relu")
    write_npz(path, payload, meta, compress=False)
    return path


@checked_arguments
def load_model(path: str | os.PathLike, *, nonlinearity: str | None = None,
               form: Literal["pascanu", "rnn", "elman"] | None = None,
               prefix: str | None = None, kind: str | None = None):
    """Read a network or map from ``path``, by suffix.

    Parameters
    ----------
    path : str or path-like
        ``.npz`` written by :func:`save_model` (or by :func:`save` with a network at the root);
        ``.pt``/``.pth``: a ``torch.nn.RNN``/``GRU``/``LSTM`` (or ``*Cell``) state dict
        (``torch.save(module.state_dict())``, possibly nested in a checkpoint dict or under a
        prefix such as ``"rnn."``) or a whole saved module of ``torch.nn`` layers, read with
        ``torch.load(weights_only=True)`` (see :func:`dynrnn.from_torch`); ``.toml``: a map
        defined symbolically (see the module docstring), returned as
        :meth:`Map.from_sympy <dynrnn.Map.from_sympy>`.
    nonlinearity : {"tanh", "relu"}, optional
        Required for ``.pt`` files holding an ``nn.RNN`` state dict, which does not record it
        (refused, never guessed).
    form : {"pascanu", "rnn", "elman"}, optional
        For ``.pt`` files, which form to return (default: :class:`~dynrnn.RNN`, the form of
        Pascanu et al. eq. (2)); for ``.npz`` files, convert an RNN/ElmanRNN to this form
        (default: as stored).
    prefix : str, optional
        For ``.pt`` files holding several recurrent networks: the key prefix of the one to
        import.
    kind : {"RNN", "GRU", "LSTM"}, optional
        For ``.pt`` files: checked against the file.

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
    if nonlinearity not in (None, "tanh", "relu"):
        # checked for every suffix, so a misspelt name is not silently ignored for .npz files
        raise UnknownActivationError(f"nonlinearity must be 'tanh' or 'relu' (the units of "
                                     f"torch.nn.RNN), got {nonlinearity!r}",
                                     argument="nonlinearity", value=nonlinearity)
    if suffix in (".pt", ".pth"):
        return read_torch_file(path, kind, nonlinearity, prefix, form=form, readout=None).network
    if suffix == ".toml":
        return load_map_toml(path)
    if suffix != ".npz":
        raise FileFormatError(f"{path}: unknown model file type {suffix!r}; expected .npz, "
                              ".pt, .pth or .toml", argument="path", value=str(path))
    meta, arrays = read_npz(path, require_meta=False)
    if meta is None or meta["format"] == MODEL_FORMAT:
        net = model_from_npz(meta, arrays, path)
    else:
        net = load(path)
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
