r"""dynrnn maps from PyTorch networks, and their state conventions.

:func:`from_torch` turns an ``nn.RNN``/``GRU``/``LSTM`` (or ``*Cell``, or a state dict) into a map;
:func:`read_torch` also returns the linear readout and what was read. One state convention per
map, converted both ways by :func:`to_torch_state` / :func:`from_torch_state`:

========================  =====================================  ===============================
map                       dynrnn state x                          torch hidden state
========================  =====================================  ===============================
:class:`~dynrnn.RNN`      pre-activation x (Pascanu et al. eq. 2)  h = σ(x); x = σ⁻¹(h) (tanh)
:class:`~dynrnn.ElmanRNN` h                                       h
:class:`ElmanStack`       [h_l0, h_l1, ...]                        h_n of shape (L, H)
:class:`~dynrnn.GRU`      [h_l0, h_l1, ...]                        h_n of shape (L, H)
:class:`~dynrnn.LSTM`     [h_l0, ..., c_l0, ...]                   (h_n, c_n), each (L, H)
========================  =====================================  ===============================

Fixed points, eigenvalues and stability are the same in either convention (for the RNN the
Jacobians W D and D W are similar), so results can be reported in torch's hidden-state space by
converting their points with :func:`to_torch_state`.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._signature_checks import checked_arguments
from ..errors import FileFormatError, InvalidInputError, InvalidTypeError
from .base import RecurrentMap, as_finite_array, as_state
from .elman import ElmanRNN
from .gated import GRU, LSTM, ElmanStack, GatedNetwork
from .rnn import RNN
from .torch_import import TorchArrays, flatten_state_dict, import_torch, read_torch_arrays

__all__ = ["TorchNetwork", "from_torch", "read_torch", "read_torch_file", "from_torch_state_dict",
           "to_torch_state", "from_torch_state", "network_from_arrays"]


@dataclass(frozen=True)
class TorchNetwork:
    """A PyTorch recurrent network read into dynrnn: the map, its readout and what was read.

    Attributes
    ----------
    network : RecurrentMap
        :class:`~dynrnn.RNN` (one-layer ``nn.RNN``, default form), :class:`~dynrnn.ElmanRNN`
        (``form="elman"``), :class:`ElmanStack` (several ``nn.RNN`` layers),
        :class:`~dynrnn.GRU` or :class:`~dynrnn.LSTM`.
    kind : {"RNN", "GRU", "LSTM"}
    nonlinearity : {"tanh", "relu"} or None
    readout_weight, readout_bias : ndarray or None
        The ``nn.Linear`` on the top layer's hidden state: y = W h_top + b (shapes
        (n_outputs, H), (n_outputs,)).
    prefix, readout_prefix : str or None
        Where the network and its readout were found.
    n_layers, hidden_size, input_size : int
    """

    network: RecurrentMap
    kind: str
    nonlinearity: str | None
    n_layers: int
    hidden_size: int
    input_size: int
    prefix: str = ""
    readout_weight: np.ndarray | None = field(default=None, repr=False)
    readout_bias: np.ndarray | None = field(default=None, repr=False)
    readout_prefix: str | None = None

    @property
    def has_readout(self) -> bool:
        return self.readout_weight is not None

    def to_torch_state(self, x):
        """torch's hidden state of dynrnn state(s) ``x`` (see :func:`to_torch_state`)."""
        return to_torch_state(self.network, x)

    def from_torch_state(self, hidden, u=None):
        """dynrnn's state from torch's hidden state (see :func:`from_torch_state`)."""
        return from_torch_state(self.network, hidden, u)

    def top_hidden(self, x) -> np.ndarray:
        """The top layer's hidden state h (what the readout reads), shape (..., hidden_size)."""
        return _top_hidden(self.network, x)

    def outputs(self, x) -> np.ndarray:
        """The readout y = W h_top + b at dynrnn state(s) ``x``, shape (..., n_outputs)."""
        if self.readout_weight is None:
            raise InvalidInputError("this network was read without a readout; pass readout= to "
                                    "read_torch", argument="readout")
        return self.top_hidden(x) @ self.readout_weight.T + self.readout_bias


def network_from_arrays(read: TorchArrays, form: str | None = None, u=None) -> RecurrentMap:
    """The dynrnn map of weights read by :func:`~dynrnn.model.torch_import.read_torch_arrays`."""
    if form not in (None, "pascanu", "rnn", "elman"):
        raise InvalidInputError(f"form must be 'pascanu', 'rnn' or 'elman', got {form!r}",
                                argument="form", value=form)
    arrays = dict(read.arrays)
    if u is not None:
        arrays["u"] = u
    if read.kind == "RNN" and read.n_layers == 1:
        net = ElmanRNN(arrays["weight_hh_l0"], arrays["weight_ih_l0"],
                       arrays["bias_ih_l0"] + arrays["bias_hh_l0"], str(read.nonlinearity),
                       arrays.get("u"))
        return net if form == "elman" else net.to_pascanu()
    if form in ("pascanu", "rnn"):
        raise InvalidInputError(
            f"form={form!r} (the pre-activation state of Pascanu et al.) exists for one-layer "
            f"nn.RNN only; this is a {read.n_layers}-layer {read.kind}, whose state is torch's "
            "hidden state", argument="form", value=form)
    if read.kind == "RNN":
        return ElmanStack.from_arrays(arrays, activation=read.nonlinearity)
    return (GRU if read.kind == "GRU" else LSTM).from_arrays(arrays)


@checked_arguments
def read_torch(source, kind: str | None = None,
               nonlinearity: str | None = None, prefix: str | None = None,
               *, form: str | None = None, u=None,
               readout="auto", name: str = "state_dict") -> TorchNetwork:
    """Read a PyTorch recurrent network (and its linear readout) into dynrnn.

    As :func:`from_torch`, plus ``readout``: an ``nn.Linear``, its submodule name or key
    prefix, ``"auto"`` (default: the one linear layer reading the hidden state, if there is
    exactly one) or None. Returns a :class:`TorchNetwork`.

    Examples
    --------
    >>> import torch, dynrnn as dr
    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.ModuleDict({"rnn": torch.nn.GRU(2, 8), "out": torch.nn.Linear(8, 1)})
    >>> read = dr.read_torch(model)
    >>> read.network, read.readout_prefix
    (GRU(hidden_size=8, n_inputs=2, num_layers=1), 'out')
    """
    if not (readout is None or readout is False or isinstance(readout, str)
            or hasattr(readout, "weight")):
        # an array here would fail deep inside with numpy's "truth value is ambiguous"
        raise InvalidTypeError(f"readout must be an nn.Linear, a submodule name, 'auto' or None, "
                               f"got {type(readout).__name__}", argument="readout",
                               value=readout)
    arrays = read_torch_arrays(source, kind, nonlinearity, prefix, readout, name)
    net = network_from_arrays(arrays, form, u)
    ro = arrays.readout or {}
    return TorchNetwork(net, arrays.kind, arrays.nonlinearity, arrays.n_layers,
                        arrays.hidden_size, arrays.input_size, arrays.prefix,
                        ro.get("weight"), ro.get("bias"), arrays.readout_prefix)


@checked_arguments
def from_torch(source, kind: str | None = None,
               nonlinearity: str | None = None, prefix: str | None = None,
               *, form: str | None = None, u=None,
               name: str = "state_dict") -> RecurrentMap:
    """A dynrnn map with the weights (and equations) of a PyTorch recurrent network.

    Parameters
    ----------
    source : torch.nn.Module or mapping
        ``nn.RNN`` (tanh or relu), ``nn.GRU``, ``nn.LSTM``, their ``*Cell`` versions, a module
        containing exactly one of them, or a state dict (``module.state_dict()``, possibly
        nested in a checkpoint dict). ``batch_first`` does not matter. Bidirectional networks
        and LSTM projections are refused.
    kind : {"RNN", "GRU", "LSTM"}, optional
        Checked against the source.
    nonlinearity : {"tanh", "relu"}, optional
        Required for an ``nn.RNN`` state dict (which does not record it); never guessed.
    prefix : str, optional
        Key prefix or submodule name of the recurrent layer when there are several.
    form : {"pascanu", "rnn", "elman"}, optional
        For a one-layer ``nn.RNN``: :class:`~dynrnn.RNN` (default; state = pre-activation x,
        h = σ(x)) or :class:`~dynrnn.ElmanRNN` (state = torch's h). Other networks have torch's
        hidden state as their state (see the module docstring).
    u : array_like, shape (input_size,), optional
        The constant input (parameters ``"u[j]"``); zeros by default.
    name : str
        What to call a state dict in messages.

    Returns
    -------
    RecurrentMap
        ``RNN``/``ElmanRNN`` (one ``nn.RNN`` layer), ``ElmanStack`` (several), ``GRU``, ``LSTM``.

    Raises
    ------
    MissingDependencyError
        PyTorch is needed (a module) but not installed.
    InvalidTypeError, InvalidInputError
        See ``dynrnn.model.torch_import.read_torch_arrays``.

    Examples
    --------
    >>> import torch, dynrnn as dr
    >>> dr.from_torch(torch.nn.LSTM(3, 5, num_layers=2))
    LSTM(hidden_size=5, n_inputs=3, num_layers=2)
    >>> dr.from_torch(torch.nn.RNN(3, 5).state_dict(), nonlinearity="relu")
    RNN(n_units=5, n_inputs=3, activation='relu')
    """
    return read_torch(source, kind, nonlinearity, prefix, form=form, u=u, readout=None,
                      name=name).network


def from_torch_state_dict(state_dict, nonlinearity: str | None = None,
                          form: str | None = None,
                          prefix: str | None = None, kind: str | None = None):
    """As :func:`from_torch`, from a state dict (kept for the earlier signature)."""
    if not isinstance(state_dict, dict) and not hasattr(state_dict, "items"):
        raise InvalidTypeError(f"state_dict must be a mapping of parameter names to tensors, "
                               f"got {type(state_dict).__name__}", argument="state_dict",
                               value=type(state_dict).__name__)
    return from_torch(state_dict, kind, nonlinearity, prefix, form=form)


def _torch_classes_safe_to_load(torch) -> list:
    """The torch.nn classes a whole saved module may consist of; torch.load(weights_only=True)
    rebuilds these and nothing else (no code from the file runs)."""
    nn = torch.nn
    return [nn.RNN, nn.GRU, nn.LSTM, nn.RNNCell, nn.GRUCell, nn.LSTMCell, nn.Linear,
            nn.Sequential, nn.ModuleDict, nn.ModuleList, nn.Identity, nn.Dropout, nn.Tanh,
            nn.ReLU, nn.Sigmoid]


def read_torch_file(path: str | os.PathLike, kind: str | None = None,
                    nonlinearity: str | None = None, prefix: str | None = None, *,
                    form: str | None = None, u=None, readout="auto") -> TorchNetwork:
    """Read a ``.pt``/``.pth`` file: a state dict (possibly nested in a checkpoint dict) or a
    whole saved module made of ``torch.nn`` layers (``torch.save(module)``), loaded with
    ``torch.load(weights_only=True)`` so no code from the file runs. Arguments as
    :func:`read_torch`.

    Raises
    ------
    FileFormatError
        Unreadable, or not holding exactly one supported recurrent network; the message names
        the file. Missing or contradicting ``kind``/``nonlinearity``/``prefix`` raise
        :class:`InvalidInputError` naming that argument.
    """
    torch = import_torch()
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        with torch.serialization.safe_globals(_torch_classes_safe_to_load(torch)):
            content = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as exc:  # torch raises many kinds (UnpicklingError, RuntimeError, EOF)
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise FileFormatError(
            f"{path} could not be read as a PyTorch state dict or module ({type(exc).__name__}: "
            f"{first[:200]}); save the network with torch.save(module.state_dict(), path) "
            "(a whole module of your own class cannot be loaded without its code)",
            argument="path", value=str(path)) from exc
    if not isinstance(content, (Mapping, torch.nn.Module)):
        raise FileFormatError(f"{path} holds a {type(content).__name__}, not a state dict or "
                              "module", argument="path", value=str(path))
    if isinstance(content, Mapping):
        content = flatten_state_dict(content)
    try:
        return read_torch(content, kind, nonlinearity, prefix, form=form, u=u, readout=readout,
                          name=str(path))
    except (InvalidInputError, InvalidTypeError) as exc:
        if getattr(exc, "argument", None) in ("nonlinearity", "form", "kind", "prefix", "u",
                                              "readout"):
            raise
        raise FileFormatError(str(exc) if str(path) in str(exc) else f"{path}: {exc}",
                              argument="path", value=str(path)) from exc


# -- state conventions ---------------------------------------------------------------------------
def _top_hidden(net, x):
    if isinstance(net, RNN):
        return net.to_elman_state(x)
    if isinstance(net, ElmanRNN):
        return as_state(x, net.n_states, "x")
    if isinstance(net, GatedNetwork):
        h = net.hidden_part(x)
        return h[..., net.n_hidden - net.hidden_sizes[-1]:]
    raise InvalidTypeError(f"{type(net).__name__} is not a network imported from PyTorch",
                           argument="net", value=type(net).__name__)


@checked_arguments
def to_torch_state(net: RecurrentMap, x):
    """torch's hidden state of dynrnn state(s) ``x`` of shape ``(..., n_states)``.

    RNN: h = σ(x), shape (..., n_units); ElmanRNN: x itself; ElmanStack and GRU: h of shape
    (..., num_layers, hidden_size); LSTM: the pair (h, c) of such arrays.

    Examples
    --------
    >>> import numpy as np, dynrnn as dr
    >>> net = dr.RNN([[0.5]])
    >>> dr.to_torch_state(net, [0.5]) == np.tanh(0.5)
    array([ True])
    """
    if isinstance(net, RNN):
        return net.to_elman_state(x)
    if isinstance(net, ElmanRNN):
        return np.array(as_state(x, net.n_states, "x"))
    if isinstance(net, GatedNetwork):
        return net.to_torch_state(x)
    raise _no_torch_state(net)


@checked_arguments
def from_torch_state(net: RecurrentMap, hidden, u=None) -> np.ndarray:
    """dynrnn's state from torch's hidden state ``hidden`` (the inverse of
    :func:`to_torch_state`).

    For :class:`~dynrnn.RNN` the state is the pre-activation x with σ(x) = h: x = atanh(h) for
    tanh, which needs every entry strictly inside (−1, 1) (an :class:`InvalidInputError` says
    which entry is not). ReLU is not invertible at 0; for a ReLU RNN use ``ElmanRNN``
    (``form="elman"``), or :meth:`ElmanRNN.to_pascanu_state` (x = W h + U u + b, the next
    pre-activation, equal to the inverse at fixed points). ``u`` is unused by the other maps.
    """
    if isinstance(net, RNN):
        h = as_finite_array(hidden.detach().cpu().double().numpy() if hasattr(hidden, "detach")
                            else hidden, "hidden")
        h = as_state(h, net.n_states, "hidden")
        name = net.activation.name
        if name == "tanh":
            bad = np.argwhere(np.abs(h) >= 1.0)
            if bad.size:
                index = tuple(int(i) for i in bad[0])
                raise InvalidInputError(
                    f"hidden{list(index)} = {float(h[index])!r} is not inside (-1, 1), so no "
                    "pre-activation x has tanh(x) = h; saturated states have no RNN state "
                    "(use ElmanRNN, whose state is h)", argument="hidden", value=h[index])
            return np.arctanh(h)
        if name == "sigmoid":
            if np.any((h <= 0) | (h >= 1)):
                raise InvalidInputError("hidden must lie inside (0, 1) to invert the sigmoid",
                                        argument="hidden", value=h)
            return np.log(h) - np.log1p(-h)
        if name == "identity":
            return np.array(h)
        raise InvalidInputError(
            f"activation {name!r} is not invertible (relu is 0 on all x <= 0); use "
            "net.to_elman() (state h) or net.to_elman().to_pascanu_state(h, u) (the next "
            "pre-activation W h + U u + b)", argument="net", value=name)
    if isinstance(net, ElmanRNN):
        h = hidden.detach().cpu().double().numpy() if hasattr(hidden, "detach") else hidden
        return np.array(as_state(h, net.n_states, "hidden"))
    if isinstance(net, GatedNetwork):
        return net.from_torch_state(hidden)
    raise _no_torch_state(net)


def _no_torch_state(net) -> InvalidTypeError:
    """The error for a map that is not a PyTorch network (no torch hidden state)."""
    return InvalidTypeError(f"{type(net).__name__} has no torch hidden state (expected RNN, "
                            "ElmanRNN, ElmanStack, GRU or LSTM)", argument="net",
                            value=type(net).__name__)
