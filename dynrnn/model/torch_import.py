"""Read the weights of a PyTorch recurrent network: ``torch.nn.RNN``, ``GRU``, ``LSTM`` and their
``*Cell`` versions, from a module or a state dict, as float64 arrays under torch's names.

This module returns arrays only (:class:`TorchArrays`); :mod:`dynrnn.model.torch_network` builds
the dynrnn maps from them (:func:`dynrnn.from_torch`). PyTorch is imported only when a module
or tensor has to be read.

What a state dict cannot tell is never guessed: the nonlinearity of a ``torch.nn.RNN`` (tanh or
relu) must be given; the cell kind follows from the shape of ``weight_hh`` (square: RNN; three
stacked gates: GRU; four: LSTM) and an explicit ``kind`` is checked against it.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InvalidInputError, InvalidTypeError, MissingDependencyError, NonFiniteError

__all__ = ["TorchArrays", "read_torch_arrays", "flatten_state_dict", "import_torch",
           "KINDS", "NONLINEARITIES"]

KINDS = ("RNN", "GRU", "LSTM")
NONLINEARITIES = ("tanh", "relu")
_GATES = {1: "RNN", 3: "GRU", 4: "LSTM"}
_LAYER_KEY = re.compile(r"^(weight_ih|weight_hh|bias_ih|bias_hh)_l(\d+)(_reverse)?$")
_CELL_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def import_torch():
    """``import torch``, or :class:`MissingDependencyError` saying how to install it."""
    try:
        import torch
    except ImportError as exc:
        raise MissingDependencyError(
            "PyTorch is needed to import torch.nn.RNN/GRU/LSTM modules and .pt files but is not "
            "installed; install the CPU build with `pip install torch==2.13.0` (the "
            "`dynrnn[torch]` extra)") from exc
    return torch


def _to_numpy(value, where: str) -> np.ndarray:
    if hasattr(value, "detach"):
        value = value.detach().cpu().double().numpy()
    try:
        out = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidTypeError(f"{where} is not a numeric tensor/array, got "
                               f"{type(value).__name__}", argument="state_dict",
                               value=where) from None
    if not np.all(np.isfinite(out)):
        raise NonFiniteError(f"{where} contains NaN or infinite values", argument="state_dict",
                             value=where)
    return out


@dataclass(frozen=True)
class TorchArrays:
    """The weights of one PyTorch recurrent network, under torch's names, as float64 arrays.

    Attributes
    ----------
    kind : {"RNN", "GRU", "LSTM"}
    nonlinearity : {"tanh", "relu"} or None
        For ``kind == "RNN"``; None for gated networks.
    arrays : dict of str to ndarray
        ``weight_ih_l0`` (G·H, input_size), ``weight_hh_l0`` (G·H, H), ``bias_ih_l0``,
        ``bias_hh_l0`` (G·H,) and the same for ``_l1``, ...; a ``*Cell``'s keys are renamed to
        ``_l0``; absent biases (``bias=False``) are zeros.
    n_layers, hidden_size, input_size : int
    prefix : str
        Where the network was found: the key prefix in the state dict (``"rnn."``) or the
        submodule path; ``""`` for the network itself.
    readout : dict or None
        ``{"weight": (n_outputs, H), "bias": (n_outputs,)}`` of an ``nn.Linear`` on the top
        layer's hidden state, when one was asked for or found.
    readout_prefix : str or None
    has_bias : bool
        Whether the network had biases.
    """

    kind: str
    nonlinearity: str | None
    arrays: dict = field(repr=False)
    n_layers: int
    hidden_size: int
    input_size: int
    prefix: str = ""
    readout: dict | None = field(default=None, repr=False)
    readout_prefix: str | None = None
    has_bias: bool = True


def flatten_state_dict(state: Mapping, prefix: str = "") -> dict:
    """Nested checkpoint dicts (``{"model": {...}, "epoch": 3}``) -> one dict with dotted keys."""
    out = {}
    for k, v in state.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten_state_dict(v, key + "."))
        else:
            out[key] = v
    return out


def _check_choice(value, choices, argument):
    if value is not None and value not in choices:
        raise InvalidInputError(f"{argument} must be one of {', '.join(map(repr, choices))}, got "
                                f"{value!r}", argument=argument, value=value)


# -- modules -------------------------------------------------------------------------------------
def _recurrent_modules(torch, module) -> list[tuple[str, object]]:
    bases = (torch.nn.RNNBase, torch.nn.RNNCellBase)
    return [(name, m) for name, m in module.named_modules() if isinstance(m, bases)]


def _from_module(torch, module, kind, nonlinearity, prefix, readout) -> TorchArrays:
    name, rec, container = _recurrent_submodule(torch, module, prefix)
    cell = isinstance(rec, torch.nn.RNNCellBase)
    type_name = type(rec).__name__
    own_kind, own_nonlinearity = _module_kind(torch, rec, kind, nonlinearity)
    state = rec.state_dict()
    if cell:
        state = {f"{k}_l0": v for k, v in state.items()}
    out = _assemble({k: _to_numpy(v, f"{name + '.' if name else ''}{k}")
                     for k, v in state.items()}, own_kind, own_nonlinearity,
                    name, f"{type_name}")
    linear, readout_prefix = _module_readout(torch, container, readout, out.hidden_size,
                                             type_name)
    if linear is not None:
        weight = _to_numpy(linear.weight, "readout.weight")
        bias = (_to_numpy(linear.bias, "readout.bias") if linear.bias is not None
                else np.zeros(weight.shape[0]))
        return _with_readout(out, weight, bias, readout_prefix)
    return out


def _recurrent_submodule(torch, module, prefix) -> tuple[str, Any, Any]:
    """(name, recurrent layer, containing module or None): the one recurrent layer of
    ``module`` (named by ``prefix`` when there are several), or ``module`` itself."""
    if isinstance(module, (torch.nn.RNNBase, torch.nn.RNNCellBase)):
        return "", module, None
    found = _recurrent_modules(torch, module)
    if prefix is not None:
        wanted = prefix.rstrip(".")
        found = [(n, m) for n, m in found if n == wanted]
    if len(found) != 1:
        listed = ", ".join(repr(n) for n, _ in _recurrent_modules(torch, module)) or "none"
        what = (f"no recurrent submodule named {prefix!r}" if prefix is not None else
                "no recurrent layer (torch.nn.RNN, GRU, LSTM or a *Cell)" if not found else
                "several recurrent layers")
        raise InvalidTypeError(
            f"module {type(module).__name__}: {what}; recurrent submodules: {listed}"
            + ("; pass prefix= to choose one" if len(found) > 1 else ""),
            argument="module", value=type(module).__name__)
    name, rec = found[0]
    return name, rec, module


def _module_kind(torch, rec, kind, nonlinearity) -> tuple[str, str | None]:
    """(kind, nonlinearity) of a recurrent layer, checked against the ones asked for; layers
    that are not one dynamical system in time (bidirectional, projected) are refused."""
    type_name = type(rec).__name__
    own_kind = {"RNN": "RNN", "RNNCell": "RNN", "GRU": "GRU", "GRUCell": "GRU", "LSTM": "LSTM",
                "LSTMCell": "LSTM"}.get(type_name)
    if own_kind is None:   # a subclass: decide by torch's base classes
        own_kind = ("LSTM" if isinstance(rec, (torch.nn.LSTM, torch.nn.LSTMCell)) else
                    "GRU" if isinstance(rec, (torch.nn.GRU, torch.nn.GRUCell)) else "RNN")
    if kind is not None and kind != own_kind:
        raise InvalidInputError(f"kind={kind!r} but the module is a {type_name} ({own_kind})",
                                argument="kind", value=kind)
    problems = []
    if not isinstance(rec, torch.nn.RNNCellBase):
        if rec.bidirectional:
            problems.append("bidirectional=True (a bidirectional network reads the sequence "
                            "backwards as well: it is not one dynamical system in time)")
        if getattr(rec, "proj_size", 0):
            problems.append(f"proj_size={rec.proj_size} (LSTM projections are not supported)")
    own_nonlinearity = getattr(rec, "nonlinearity", None) if own_kind == "RNN" else None
    if own_kind == "RNN" and own_nonlinearity not in NONLINEARITIES:
        problems.append(f"nonlinearity={own_nonlinearity!r} (tanh or relu)")
    if problems:
        raise InvalidTypeError(f"unsupported {type_name}: " + "; ".join(problems),
                               argument="module", value=problems)
    if nonlinearity is not None and own_kind == "RNN" and nonlinearity != own_nonlinearity:
        raise InvalidInputError(f"nonlinearity={nonlinearity!r} but the module uses "
                                f"{own_nonlinearity!r}", argument="nonlinearity",
                                value=nonlinearity)
    return own_kind, own_nonlinearity


def _module_readout(torch, container, readout, hidden_size: int, type_name: str
                    ) -> tuple[Any, str | None]:
    """(the readout's nn.Linear or None, its submodule name) from ``readout``: a module, a
    submodule name of ``container``, "auto" (the one Linear reading the hidden state) or None."""
    if isinstance(readout, torch.nn.Linear):
        return readout, None
    if isinstance(readout, str) and readout != "auto":
        if container is None:
            raise InvalidInputError(f"readout={readout!r} names a submodule, but the module is "
                                    f"the {type_name} itself; pass the nn.Linear",
                                    argument="readout", value=readout)
        linear = dict(container.named_modules()).get(readout.rstrip("."))
        if not isinstance(linear, torch.nn.Linear):
            raise InvalidInputError(f"readout={readout!r}: no nn.Linear of that name; linear "
                                    f"submodules: {_linear_names(torch, container)}",
                                    argument="readout", value=readout)
        return linear, readout.rstrip(".")
    if readout == "auto" and container is not None:
        candidates = [(n, m) for n, m in container.named_modules()
                      if isinstance(m, torch.nn.Linear) and m.in_features == hidden_size]
        if len(candidates) == 1:
            return candidates[0][1], candidates[0][0]
        return None, None
    if readout not in (None, False, "auto"):
        raise InvalidTypeError(f"readout must be an nn.Linear, a submodule name, 'auto' or None, "
                               f"got {type(readout).__name__}", argument="readout",
                               value=readout)
    return None, None


def _linear_names(torch, module) -> str:
    names = [n for n, m in module.named_modules() if isinstance(m, torch.nn.Linear)]
    return ", ".join(map(repr, names)) or "none"


def _with_readout(out: TorchArrays, weight, bias, prefix) -> TorchArrays:
    if weight.ndim != 2 or weight.shape[1] != out.hidden_size or bias.shape != weight.shape[:1]:
        raise InvalidInputError(
            f"the readout's weight has shape {weight.shape}; it must read the top layer's "
            f"hidden state: (n_outputs, {out.hidden_size})", argument="readout",
            value=weight.shape)
    return TorchArrays(out.kind, out.nonlinearity, out.arrays, out.n_layers, out.hidden_size,
                       out.input_size, out.prefix, {"weight": weight, "bias": bias}, prefix,
                       out.has_bias)


# -- state dicts ---------------------------------------------------------------------------------
def _candidates(keys) -> list[tuple[str, bool]]:
    """(prefix, is_cell) of every recurrent layer in a state dict."""
    out = []
    for k in keys:
        if k.endswith("weight_hh_l0"):
            out.append((k[: -len("weight_hh_l0")], False))
        elif k.endswith("weight_hh") and (k == "weight_hh" or k.endswith(".weight_hh")):
            out.append((k[: -len("weight_hh")], True))
    return sorted(set(out))


def _from_state_dict(state_dict, kind, nonlinearity, prefix, readout, source) -> TorchArrays:
    flat = flatten_state_dict(state_dict)
    pre, arrays = _state_dict_layer(flat, prefix, source)
    own_kind = _state_dict_kind(arrays, kind, nonlinearity, pre, source)
    out = _assemble(arrays, own_kind, nonlinearity if own_kind == "RNN" else None,
                    pre, source)
    if readout in (None, False):
        return out
    return _state_dict_readout(flat, out, readout, pre, source)


def _state_dict_layer(flat: dict, prefix, source) -> tuple[str, dict[str, np.ndarray]]:
    """(key prefix, arrays by torch's layer key) of the one recurrent layer in a flattened
    state dict (the one under ``prefix`` when there are several)."""
    keys = [k for k in flat if isinstance(k, str)]
    found = _candidates(keys)
    if prefix is not None:
        chosen = [c for c in found if c[0] == prefix or c[0] == prefix.rstrip(".") + "."
                  or (prefix == "" and c[0] == "")]
        if not chosen:
            listed = ", ".join(repr(p) for p, _ in found) or "none"
            raise InvalidInputError(f"{source}: no recurrent layer with prefix {prefix!r}; "
                                    f"prefixes found: {listed}", argument="prefix",
                                    value=prefix)
        found = chosen
    if len(found) != 1:
        listed = ", ".join(repr(p) for p, _ in found) or "none"
        raise InvalidInputError(
            f"{source}: expected exactly one recurrent layer (keys ending in 'weight_hh_l0', or "
            f"'weight_hh' for a *Cell), found prefixes {listed}; "
            + ("pass prefix= (--prefix) to choose one. " if found else "")
            + f"Keys: {', '.join(keys[:10])}{' ...' if len(keys) > 10 else ''}",
            argument="state_dict", value=keys[:50])
    pre, cell = found[0]
    layer = {k[len(pre):]: v for k, v in flat.items() if isinstance(k, str)
             and k.startswith(pre) and "." not in k[len(pre):]}
    if cell:
        layer = {f"{k}_l0": v for k, v in layer.items() if k in _CELL_KEYS}
    reverse = sorted(k for k in layer if k.endswith("_reverse"))
    if reverse:
        raise InvalidInputError(
            f"{source}: keys {reverse[:2]} show a bidirectional network, which reads the "
            "sequence backwards as well and is not one dynamical system in time; not supported",
            argument="state_dict", value=reverse)
    projections = sorted(k for k in layer if k.startswith("weight_hr"))
    if projections:
        raise InvalidInputError(f"{source}: keys {projections[:2]} show an LSTM with proj_size "
                                "(projections are not supported)", argument="state_dict",
                                value=projections)
    return pre, {k: _to_numpy(v, f"{source}: {pre}{k}") for k, v in layer.items()
                 if _LAYER_KEY.match(k)}


def _state_dict_kind(arrays: dict, kind, nonlinearity, pre: str, source) -> str:
    """The layer's kind, told by the shape of weight_hh_l0 and checked against ``kind``; an
    nn.RNN needs ``nonlinearity`` (a state dict does not record it), the others refuse it."""
    W = arrays.get("weight_hh_l0")
    if W is None or W.ndim != 2 or W.shape[1] == 0 or W.shape[0] % W.shape[1] or \
            W.shape[0] // W.shape[1] not in _GATES:
        raise InvalidInputError(
            f"{source}: {pre}weight_hh_l0 has shape {None if W is None else W.shape}; expected "
            "(H, H) for an RNN, (3H, H) for a GRU or (4H, H) for an LSTM",
            argument="state_dict", value=None if W is None else W.shape)
    own_kind = _GATES[W.shape[0] // W.shape[1]]
    if kind is not None and kind != own_kind:
        raise InvalidInputError(
            f"{source}: kind={kind!r} but {pre}weight_hh_l0 has shape {W.shape}, which is "
            f"{W.shape[0] // W.shape[1]} stacked block(s): a {own_kind}", argument="kind",
            value=kind)
    if own_kind == "RNN":
        if nonlinearity is None:
            raise InvalidInputError(
                f"{source} holds a torch.nn.RNN state dict, which does not record its "
                "nonlinearity; pass nonlinearity='tanh' or 'relu' (--nonlinearity on the "
                "command line) rather than have it guessed", argument="nonlinearity",
                value=None)
    elif nonlinearity is not None:
        raise InvalidInputError(f"nonlinearity={nonlinearity!r} applies to torch.nn.RNN only; "
                                f"{source} holds a {own_kind}", argument="nonlinearity",
                                value=nonlinearity)
    return own_kind


def _state_dict_readout(flat: dict, out: TorchArrays, readout, pre: str, source
                        ) -> TorchArrays:
    """``out`` with the readout named by ``readout`` (a key prefix, or "auto": the one 2-D
    weight outside the layer that reads the hidden state, if there is exactly one)."""
    if not isinstance(readout, str):
        raise InvalidTypeError(f"readout must be a key prefix, 'auto' or None for a state dict, "
                               f"got {type(readout).__name__}", argument="readout",
                               value=readout)
    linears = {k[: -len("weight")]: v for k, v in flat.items() if isinstance(k, str)
               and k.endswith("weight") and not k.startswith(pre if pre else "\0")
               and "weight_" not in k and np.ndim(v) == 2}
    if readout == "auto":
        fits = [p for p, v in linears.items() if np.shape(v)[1] == out.hidden_size]
        if len(fits) != 1:
            return out
        readout_prefix = fits[0]
    else:
        readout_prefix = readout if readout.endswith(".") or readout == "" else readout + "."
        if readout_prefix not in linears:
            raise InvalidInputError(f"{source}: no readout weight {readout_prefix + 'weight'!r}; "
                                    f"2-D weights found: {sorted(linears)}", argument="readout",
                                    value=readout)
    weight = _to_numpy(linears[readout_prefix], f"{source}: {readout_prefix}weight")
    bias_value = flat.get(readout_prefix + "bias")
    bias = (np.zeros(weight.shape[0]) if bias_value is None else
            _to_numpy(bias_value, f"{source}: {readout_prefix}bias"))
    return _with_readout(out, weight, bias, readout_prefix.rstrip("."))


def _assemble(arrays, kind, nonlinearity, prefix, source) -> TorchArrays:
    """Check the per-layer shapes and fill absent biases with zeros."""
    G = {"RNN": 1, "GRU": 3, "LSTM": 4}[kind]
    layers = sorted({int(m.group(2)) for m in map(_LAYER_KEY.match, arrays) if m})
    if layers != list(range(len(layers))):
        raise InvalidInputError(f"{source}: layers {layers} are not 0, 1, ...",
                                argument="state_dict", value=layers)
    full = {}
    has_bias = True
    hidden = None
    input_size = None
    below = None
    for k in layers:
        W_hh = arrays.get(f"weight_hh_l{k}")
        W_ih = arrays.get(f"weight_ih_l{k}")
        if W_hh is None or W_ih is None:
            raise InvalidInputError(f"{source}: layer {k} lacks weight_hh_l{k} or "
                                    f"weight_ih_l{k}", argument="state_dict", value=sorted(arrays))
        H = W_hh.shape[1] if W_hh.ndim == 2 else -1
        if W_hh.shape != (G * H, H) or H <= 0:
            raise InvalidInputError(f"{source}: {prefix}weight_hh_l{k} has shape {W_hh.shape}, "
                                    f"expected ({G}·H, H) for a {kind}", argument="state_dict",
                                    value=W_hh.shape)
        expected_in = W_ih.shape[1] if k == 0 and W_ih.ndim == 2 else below
        if W_ih.ndim != 2 or W_ih.shape != (G * H, expected_in):
            raise InvalidInputError(f"{source}: {prefix}weight_ih_l{k} has shape {W_ih.shape}, "
                                    f"expected ({G * H}, {expected_in})", argument="state_dict",
                                    value=W_ih.shape)
        if k == 0:
            input_size = W_ih.shape[1]
        full[f"weight_ih_l{k}"], full[f"weight_hh_l{k}"] = W_ih, W_hh
        for name in ("bias_ih", "bias_hh"):
            b = arrays.get(f"{name}_l{k}")
            if b is None:
                has_bias = False
                b = np.zeros(G * H)
            elif b.shape != (G * H,):
                raise InvalidInputError(f"{source}: {prefix}{name}_l{k} has shape {b.shape}, "
                                        f"expected ({G * H},)", argument="state_dict",
                                        value=b.shape)
            full[f"{name}_l{k}"] = b
        below = hidden = H
    assert hidden is not None and input_size is not None   # at least layer 0 was read
    return TorchArrays(kind, nonlinearity, full, len(layers), int(hidden), int(input_size),
                       prefix.rstrip("."), has_bias=has_bias)


def read_torch_arrays(source, kind: str | None = None, nonlinearity: str | None = None,
                      prefix: str | None = None, readout=None,
                      name: str = "state_dict") -> TorchArrays:
    """The weights of a PyTorch recurrent network, from a module or a state dict.

    Parameters
    ----------
    source : torch.nn.Module or mapping
        ``nn.RNN``, ``nn.GRU``, ``nn.LSTM``, ``nn.RNNCell``, ``nn.GRUCell``, ``nn.LSTMCell``, a
        module containing exactly one of them (or name it with ``prefix``), or a state dict
        (possibly a nested checkpoint dict) holding one.
    kind : {"RNN", "GRU", "LSTM"}, optional
        Checked against what the source holds (a state dict tells by the shape of
        ``weight_hh_l0``).
    nonlinearity : {"tanh", "relu"}, optional
        Required for an ``nn.RNN`` state dict, which does not record it (refused rather than
        guessed); checked against a module's own.
    prefix : str, optional
        The key prefix (``"rnn."``) or submodule name of the recurrent layer when there are
        several.
    readout : nn.Linear, str, "auto" or None
        A linear readout of the top layer's hidden state: the module, its submodule name or key
        prefix, or "auto" (the one ``nn.Linear``/2-D weight whose input size is the hidden size,
        if there is exactly one).
    name : str
        What to call a state dict in messages (a file name).

    Raises
    ------
    InvalidTypeError
        Not a module or mapping; a bidirectional or projected network; an unsupported module.
    InvalidInputError
        A state dict that does not hold exactly one supported recurrent layer, a missing
        ``nonlinearity`` for an RNN state dict, or a ``kind``/``nonlinearity`` that contradicts
        the source; the message says which.
    """
    _check_choice(kind, KINDS, "kind")
    _check_choice(nonlinearity, NONLINEARITIES, "nonlinearity")
    if prefix is not None and not isinstance(prefix, str):
        raise InvalidTypeError(f"prefix must be a string, got {type(prefix).__name__}",
                               argument="prefix", value=prefix)
    if isinstance(source, Mapping):
        return _from_state_dict(source, kind, nonlinearity, prefix, readout, name)
    torch = import_torch()
    if isinstance(source, torch.nn.Module):
        return _from_module(torch, source, kind, nonlinearity, prefix, readout)
    raise InvalidTypeError(f"module must be a torch module (nn.RNN, nn.GRU, nn.LSTM, a *Cell or "
                           f"a module containing one) or a state dict, got "
                           f"{type(source).__name__}", argument="module",
                           value=type(source).__name__)
