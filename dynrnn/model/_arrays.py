"""Shared bookkeeping for maps whose scalar parameters are the entries of a few named arrays.

A network with arrays ``{"W": (n, n), "b": (n,)}`` has the parameters ``"W[i,j]"`` and ``"b[i]"``.
This module validates such arrays at construction (naming the argument) and translates between
parameter names and array entries, so each map class only states its arrays.

The ArrayNetwork contract
-------------------------
A subclass of :class:`ArrayNetwork` (:class:`~dynrnn.RNN`, :class:`~dynrnn.ElmanRNN`,
:class:`~dynrnn.PLRNN`, the gated cells) declares, as class attributes,

* ``ARRAYS``: the names of its weight arrays, in parameter order, e.g.
  ``("W_rec", "W_in", "b", "u")``. Its constructor takes each of them as a keyword argument
  (and ``activation=`` if it has an activation), validates them and stores them with
  :meth:`ArrayNetwork.store_arrays` in that order;
* ``RECURRENT_ARRAY`` (optional): the array that the family :class:`~dynrnn.model.families.Gain`
  scales (``"W_rec"`` for RNN); None (the default) if a gain makes no sense for the class;

and implements the map (``n_states``, ``step_unchecked``, ``jacobian_unchecked``,
``param_jacobian_unchecked``; see :class:`~dynrnn.model.base.RecurrentMap`). Everything else
follows from that declaration, with no table to edit elsewhere:

* the parameters ``"name[i]"``/``"name[i,j]"``, :meth:`ArrayNetwork.replace_params`,
  :meth:`ArrayNetwork.replace`, :meth:`ArrayNetwork.interpolate`, :meth:`ArrayNetwork.difference`;
* :meth:`ArrayNetwork.direction_derivative` (the derivative along θ + s Δθ, which
  :class:`~dynrnn.model.families.LineBetween` uses), exact through the parameter Jacobian;
  override it when the map has a cheaper closed form;
* :func:`dynrnn.save_model`/:func:`dynrnn.load_model` and :func:`dynrnn.save`/:func:`dynrnn.load`,
  which write the arrays under their names with the class name as the kind and rebuild the
  network through :meth:`ArrayNetwork.from_arrays` (override it if the constructor differs);
  every concrete subclass is listed by :func:`network_classes` once its module is imported.
"""
from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from ..errors import ShapeError, UnknownParameterError
from .base import RecurrentMap, as_finite_array

__all__ = ["ArrayNetwork", "frozen", "square_matrix", "matrix_with_rows", "vector", "NamedArrays",
           "check_same_shape", "network_classes"]

_NAME = re.compile(r"^([A-Za-z_]\w*)\[\s*(\d+)\s*(?:,\s*(\d+)\s*)?\]$")


def frozen(a) -> np.ndarray:
    """A read-only float64 copy of ``a``."""
    out = np.array(a, dtype=np.float64, copy=True)
    out.setflags(write=False)
    return out


def square_matrix(value, argument: str) -> np.ndarray:
    """A finite, non-empty square matrix, or :class:`ShapeError` naming ``argument``."""
    arr = as_finite_array(value, argument)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise ShapeError(f"{argument} must be a non-empty square matrix, got shape {arr.shape}",
                         argument=argument, expected=("n_units", "n_units"), actual=arr.shape)
    return arr


def matrix_with_rows(value, n: int, argument: str, reference: str) -> np.ndarray:
    """A finite matrix of shape ``(n, k)``; None gives ``(n, 0)`` (no inputs)."""
    if value is None:
        return np.zeros((n, 0))
    arr = as_finite_array(value, argument)
    if arr.ndim == 1 and n == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[0] != n:
        raise ShapeError(f"{argument} must have shape ({n}, n_inputs) to match {reference}, got "
                         f"{arr.shape}", argument=argument, expected=(n, "n_inputs"),
                         actual=arr.shape)
    return arr


def vector(value, n: int, argument: str, reference: str) -> np.ndarray:
    """A finite vector of shape ``(n,)``; None gives zeros."""
    if value is None:
        return np.zeros(n)
    arr = as_finite_array(value, argument)
    if arr.shape != (n,):
        raise ShapeError(f"{argument} must have shape ({n},) to match {reference}, got "
                         f"{arr.shape}", argument=argument, expected=(n,), actual=arr.shape)
    return arr


class NamedArrays:
    """Read-only named arrays and the scalar parameters ``"key[i]"``/``"key[i,j]"`` they hold.

    Parameters
    ----------
    arrays : mapping of str to ndarray
        In the order the parameters should be listed; 1-d and 2-d arrays only.
    """

    __slots__ = ("_arrays", "by_name")

    def __init__(self, arrays: Mapping[str, np.ndarray]):
        self._arrays = {k: frozen(v) for k, v in arrays.items()}
        #: the read-only arrays in a plain dict (for hot loops: one dict lookup per array)
        self.by_name: Mapping[str, np.ndarray] = self._arrays

    def __getitem__(self, key: str) -> np.ndarray:
        return self._arrays[key]

    def as_dict(self) -> dict[str, np.ndarray]:
        return dict(self._arrays)

    def values(self) -> dict[str, float]:
        """Every scalar parameter and its value, array by array, row-major."""
        out: dict[str, float] = {}
        for key, arr in self._arrays.items():
            if arr.ndim == 1:
                for i, v in enumerate(arr.tolist()):
                    out[f"{key}[{i}]"] = v
            else:
                for (i, j), v in np.ndenumerate(arr):
                    out[f"{key}[{i},{j}]"] = float(v)
        return out

    def locate(self, name: str) -> tuple[str, tuple[int, ...]] | None:
        """``("W", (1, 2))`` for ``"W[1,2]"``; None if ``name`` is not one of the parameters."""
        if not isinstance(name, str):
            return None
        m = _NAME.match(name)
        if m is None or m.group(1) not in self._arrays:
            return None
        index = tuple(int(g) for g in m.groups()[1:] if g is not None)
        arr = self._arrays[m.group(1)]
        if len(index) != arr.ndim or any(i >= s for i, s in zip(index, arr.shape)):
            return None
        return m.group(1), index

    def entry(self, name: str) -> tuple[str, tuple[int, ...]]:
        """Like :meth:`locate` for a name already validated (UnknownParameterError otherwise)."""
        located = self.locate(name)
        if located is None:
            raise UnknownParameterError(f"no parameter {name!r}", argument="name", value=name,
                                        valid=tuple(self.values()))
        return located

    def replaced(self, updates: Mapping[str, float]) -> dict[str, np.ndarray]:
        """Writable copies of the arrays with the (valid) named entries changed."""
        arrays = {k: np.array(v) for k, v in self._arrays.items()}
        for name, value in updates.items():
            located = self.locate(name)
            if located is None:  # callers validate first; this guards internal misuse
                raise UnknownParameterError(f"no parameter {name!r}", argument="updates",
                                            value=name, valid=tuple(self.values()))
            arrays[located[0]][located[1]] = value
        return arrays


def check_same_shape(net, other) -> None:
    """Raise :class:`ShapeError` unless ``other`` is a network of ``net``'s class with arrays of
    the same shapes (and the same activation), as paths between two checkpoints need."""
    if type(other) is not type(net):
        raise ShapeError(f"expected another {type(net).__name__}, got {type(other).__name__}",
                         argument="other")
    for k, a in net.arrays().items():
        b = other.arrays()[k]
        if b.shape != a.shape:
            raise ShapeError(f"networks differ in the shape of {k}: {a.shape} vs {b.shape}",
                             argument="other", expected=a.shape, actual=b.shape)
    mine, theirs = getattr(net, "activation", None), getattr(other, "activation", None)
    if mine is not None and theirs is not None and theirs.name != mine.name:
        raise ShapeError(f"networks differ in activation: {mine.name} vs {theirs.name}",
                         argument="other")


_NETWORK_CLASSES: dict[str, type[ArrayNetwork]] = {}


def network_classes() -> dict[str, type[ArrayNetwork]]:
    """Every concrete :class:`ArrayNetwork` subclass defined so far, by class name, in the order
    of definition (the kinds :func:`dynrnn.save_model` writes and :func:`dynrnn.load_model`
    reads)."""
    return dict(_NETWORK_CLASSES)


class ArrayNetwork(RecurrentMap):
    """Abstract base of the networks whose parameters are the entries of named weight arrays
    (:class:`~dynrnn.RNN`, :class:`~dynrnn.ElmanRNN`, :class:`~dynrnn.PLRNN`): the parameter
    bookkeeping, the paths between two networks and the file format, written once. See the
    module docstring for what a subclass declares (``ARRAYS``, ``RECURRENT_ARRAY``)."""

    _arrays: NamedArrays
    #: the weight arrays by name, in parameter order; each is a keyword of the constructor
    ARRAYS: ClassVar[tuple[str, ...]] = ()
    #: the array a gain g scales (:class:`~dynrnn.model.families.Gain`); None: no gain family
    RECURRENT_ARRAY: ClassVar[str | None] = None
    #: keywords :meth:`replace` takes besides the array names
    _EXTRA_REPLACEABLE: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not inspect.isabstract(cls) and cls.ARRAYS:
            _NETWORK_CLASSES.setdefault(cls.__name__, cls)

    @classmethod
    def required_arrays(cls) -> tuple[str, ...]:
        """The arrays the constructor cannot do without (the others have defaults)."""
        parameters = inspect.signature(cls).parameters
        return tuple(k for k in cls.ARRAYS if k in parameters
                     and parameters[k].default is inspect.Parameter.empty)

    @classmethod
    def takes_activation(cls) -> bool:
        """Whether the constructor takes ``activation=``."""
        return "activation" in inspect.signature(cls).parameters

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], activation=None) -> ArrayNetwork:
        """A validated network from its arrays by name (missing optional arrays take the
        constructor's defaults) and, for classes with one, its activation."""
        kwargs = {k: arrays[k] for k in cls.ARRAYS if k in arrays}
        if activation is not None and cls.takes_activation():
            kwargs["activation"] = activation
        return cls(**kwargs)

    def store_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        """Store the validated arrays (read-only float64 copies), in ``ARRAYS`` order; called
        once, by the constructor."""
        if tuple(arrays) != self.ARRAYS:
            raise ShapeError(f"{type(self).__name__} stores the arrays {self.ARRAYS} in that "
                             f"order (its ARRAYS), got {tuple(arrays)}", argument="arrays")
        self._arrays = NamedArrays(arrays)

    def _rebuild(self, arrays: dict) -> ArrayNetwork:
        """A new network, validated, from whole arrays (and the extra keywords) by name."""
        activation = arrays.get("activation", getattr(self, "activation", None))
        return type(self).from_arrays(arrays, activation)
    def arrays(self) -> dict[str, np.ndarray]:
        """The weight arrays by name."""
        return self._arrays.as_dict()

    def replace(self, **arrays) -> ArrayNetwork:
        """A new network with whole arrays replaced, e.g. ``net.replace(W=2 * net.W)``."""
        valid = tuple(self._arrays.as_dict()) + self._EXTRA_REPLACEABLE
        unknown = set(arrays) - set(valid)
        if unknown:
            raise UnknownParameterError(
                f"{type(self).__name__}.replace got unknown array(s) {sorted(unknown)}; valid: "
                f"{', '.join(valid)}", argument="arrays", value=sorted(unknown), valid=valid)
        return self._rebuild({**self.arrays(), **arrays})

    def interpolate(self, other: ArrayNetwork, s: float) -> ArrayNetwork:
        """The network θ(s) = θ_self + s (θ_other − θ_self), e.g. between two checkpoints."""
        return self.replace(**{k: a + s * d for (k, a), d in
                               zip(self.arrays().items(), self.difference(other).values())})

    def difference(self, other: ArrayNetwork) -> dict[str, np.ndarray]:
        """Δθ = θ_other − θ_self by array name."""
        check_same_shape(self, other)
        return {k: other.arrays()[k] - a for k, a in self.arrays().items()}

    def direction_derivative(self, delta: Mapping[str, np.ndarray], x) -> np.ndarray:
        """∂F/∂s at this network along θ + s Δθ, ``delta`` = Δθ by array name, shape like ``x``.

        The default is exact for any network: Σ_k ∂F/∂θ_k Δθ_k through the parameter
        Jacobian at this network's constant input. Subclasses override it with a closed form.
        """
        x = np.asarray(x, dtype=np.float64)
        names = list(self._arrays.values())
        weights = np.concatenate([np.ravel(np.asarray(delta[k], dtype=np.float64))
                                  for k in self._arrays.as_dict()])
        jac = self.param_jacobian_unchecked(x, names, self.resolve_input(None))
        return jac @ weights

    def param_values(self):
        return self._arrays.values()

    def has_param(self, name):
        return self._arrays.locate(name) is not None

    def replace_params(self, updates):
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._arrays = NamedArrays(self._arrays.replaced(updates))
        return new
