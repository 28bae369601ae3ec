"""Import a single-layer ``torch.nn.RNN`` (a module or its saved state dict).

PyTorch computes the Elman form ``h_t = σ(W_ih u_t + b_ih + W_hh h_{t-1} + b_hh)``, so the import
gives :class:`~dynrnn.ElmanRNN` with ``W = W_hh``, ``U = W_ih``, ``b = b_ih + b_hh``;
:meth:`dynrnn.RNN.from_torch` returns its conjugate network of Pascanu et al. eq. (2)
(state x = W h + U u + b, h = σ(x)). PyTorch is imported only when these functions run.
"""
from __future__ import annotations

import re
from typing import Literal, Mapping

import numpy as np

from ..errors import InvalidInputError, InvalidTypeError, MissingDependencyError

__all__ = ["from_torch", "from_torch_state_dict", "elman_arrays_from_module",
           "elman_arrays_from_state_dict"]

_NONLINEARITIES = ("tanh", "relu")


def import_torch():
    """``import torch``, or :class:`MissingDependencyError` saying how to install it."""
    try:
        import torch
    except ImportError as exc:
        raise MissingDependencyError(
            "PyTorch is needed to import torch.nn.RNN modules and .pt files but is not "
            "installed; install the CPU build with `pip install torch==2.13.0` (the "
            "`dynrnn[torch]` extra)") from exc
    return torch


def _to_numpy(tensor) -> np.ndarray:
    return np.asarray(tensor.detach().cpu().double().numpy(), dtype=np.float64)


def elman_arrays_from_module(module) -> dict:
    """``dict(W=..., U=..., b=..., activation=...)`` from a single-layer ``torch.nn.RNN``."""
    torch = import_torch()
    if not isinstance(module, torch.nn.Module):
        hint = (" (for a state dict use from_torch_state_dict or dynrnn.load_model)"
                if isinstance(module, Mapping) else "")
        raise InvalidTypeError(
            f"module must be a torch.nn.RNN, got {type(module).__name__}{hint}",
            argument="module", value=module)
    if not isinstance(module, torch.nn.RNN):
        kind = type(module).__name__
        why = ("gated units (LSTM/GRU) are not Elman networks"
               if isinstance(module, (torch.nn.LSTM, torch.nn.GRU)) else "not an RNN layer")
        raise InvalidTypeError(
            f"module must be a torch.nn.RNN, got {kind}: {why}; only single-layer torch.nn.RNN "
            "with tanh or relu is supported", argument="module", value=kind)
    problems = []
    if module.num_layers != 1:
        problems.append(f"num_layers={module.num_layers} (only 1 is supported; import each "
                        "layer as its own network)")
    if module.bidirectional:
        problems.append("bidirectional=True (a bidirectional layer is not one recurrent map)")
    if getattr(module, "proj_size", 0):
        problems.append(f"proj_size={module.proj_size} (projections are not supported)")
    if module.nonlinearity not in _NONLINEARITIES:
        problems.append(f"nonlinearity={module.nonlinearity!r} (tanh or relu)")
    if problems:
        raise InvalidTypeError("unsupported torch.nn.RNN: " + "; ".join(problems),
                               argument="module", value=problems)
    W = _to_numpy(module.weight_hh_l0)
    U = _to_numpy(module.weight_ih_l0)
    b = np.zeros(W.shape[0])
    if module.bias:
        b = _to_numpy(module.bias_ih_l0) + _to_numpy(module.bias_hh_l0)
    return {"W": W, "U": U, "b": b, "activation": module.nonlinearity}


def elman_arrays_from_state_dict(state_dict: Mapping, nonlinearity: str = "tanh",
                                 prefix: str | None = None, source: str = "state_dict") -> dict:
    """``dict(W=..., U=..., b=..., activation=...)`` from a ``torch.nn.RNN`` state dict.

    Parameters
    ----------
    state_dict : mapping of str to tensor or array
        Holds ``weight_ih_l0``, ``weight_hh_l0`` and optionally ``bias_ih_l0``, ``bias_hh_l0``,
        all with the same prefix (e.g. ``"rnn."`` when saved from a larger model).
    nonlinearity : {"tanh", "relu"}
        A state dict does not record it.
    prefix : str, optional
        The key prefix of the RNN layer; found automatically when there is exactly one.
    source : str
        What to call the state dict in error messages (a file name).
    """
    if not isinstance(state_dict, Mapping):
        raise InvalidTypeError(f"{source} must be a mapping of parameter names to tensors, "
                               f"got {type(state_dict).__name__}", argument="state_dict",
                               value=type(state_dict).__name__)
    if nonlinearity not in _NONLINEARITIES:
        raise InvalidInputError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}",
                                argument="nonlinearity", value=nonlinearity)
    keys = [k for k in state_dict if isinstance(k, str)]
    prefixes = sorted({k[: -len("weight_hh_l0")] for k in keys if k.endswith("weight_hh_l0")})
    if prefix is None:
        if len(prefixes) != 1:
            found = ", ".join(repr(p) for p in prefixes) or "none"
            raise InvalidInputError(
                f"{source}: expected exactly one RNN layer (a key ending in 'weight_hh_l0'), "
                f"found prefixes {found}; pass prefix= to choose one. Keys: "
                f"{', '.join(keys[:10])}", argument="state_dict", value=keys)
        prefix = prefixes[0]
    layer = {k[len(prefix):]: v for k, v in state_dict.items()
             if isinstance(k, str) and k.startswith(prefix)}
    extra = sorted(k for k in layer if re.search(r"_l[1-9]\d*$|_reverse$|weight_hr", k))
    if extra:
        raise InvalidInputError(
            f"{source}: keys {extra} show a multi-layer, bidirectional or projected RNN; only "
            "single-layer unidirectional torch.nn.RNN is supported", argument="state_dict",
            value=extra)
    for key in ("weight_ih_l0", "weight_hh_l0"):
        if key not in layer:
            raise InvalidInputError(f"{source}: missing {prefix + key!r}", argument="state_dict",
                                    value=keys)

    def array(key):
        v = layer[key]
        return _to_numpy(v) if hasattr(v, "detach") else np.asarray(v, dtype=np.float64)

    W, U = array("weight_hh_l0"), array("weight_ih_l0")
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        gates = ""
        if W.ndim == 2 and W.shape[0] in (3 * W.shape[1], 4 * W.shape[1]):
            gates = f" ({W.shape[0] // W.shape[1]} gates: a GRU or LSTM, not supported)"
        raise InvalidInputError(f"{source}: {prefix}weight_hh_l0 has shape {W.shape}, not "
                                f"square{gates}", argument="state_dict", value=W.shape)
    n = W.shape[0]
    if U.ndim != 2 or U.shape[0] != n:
        raise InvalidInputError(f"{source}: {prefix}weight_ih_l0 has shape {U.shape}, expected "
                                f"({n}, input_size)", argument="state_dict", value=U.shape)
    b = np.zeros(n)
    for key in ("bias_ih_l0", "bias_hh_l0"):
        if key in layer:
            bk = array(key)
            if bk.shape != (n,):
                raise InvalidInputError(f"{source}: {prefix}{key} has shape {bk.shape}, "
                                        f"expected ({n},)", argument="state_dict",
                                        value=bk.shape)
            b = b + bk
    return {"W": W, "U": U, "b": b, "activation": nonlinearity}


def from_torch(module, form: Literal["pascanu", "rnn", "elman"] = "pascanu"):
    """A dynrnn network with the weights of a single-layer ``torch.nn.RNN``.

    Parameters
    ----------
    module : torch.nn.RNN
        One layer, unidirectional, ``nonlinearity`` "tanh" or "relu", with or without biases,
        ``batch_first`` either way.
    form : {"pascanu", "rnn", "elman"}
        ``"pascanu"``/``"rnn"`` gives :class:`~dynrnn.RNN` (state = pre-activation x, the
        form of Pascanu et al. eq. (2) that the rest of dynrnn is written for); ``"elman"``
        gives :class:`~dynrnn.ElmanRNN` (state = PyTorch's hidden state h = σ(x)).

    Raises
    ------
    MissingDependencyError
        PyTorch is not installed.
    InvalidTypeError
        ``module`` is not a torch module, or an LSTM, GRU, multi-layer, bidirectional or
        projected RNN; the message says which.
    """
    from .elman import ElmanRNN
    net = ElmanRNN.from_torch(module)
    return _in_form(net, form)


def from_torch_state_dict(state_dict: Mapping, nonlinearity: str = "tanh",
                          form: Literal["pascanu", "rnn", "elman"] = "pascanu",
                          prefix: str | None = None):
    """As :func:`from_torch`, from a state dict (``module.state_dict()``)."""
    from .elman import ElmanRNN
    net = ElmanRNN(**elman_arrays_from_state_dict(state_dict, nonlinearity, prefix))
    return _in_form(net, form)


def _in_form(net, form):
    if form in ("pascanu", "rnn"):
        return net.to_pascanu()
    if form == "elman":
        return net
    raise InvalidInputError(f"form must be 'pascanu', 'rnn' or 'elman', got {form!r}",
                            argument="form", value=form)
