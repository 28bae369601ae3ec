"""One-parameter families of maps: what continuation and parameter sweeps move along.

A family turns a scalar p into a map F(·; p) and gives ∂F/∂p. Three kinds cover what users ask:
a named scalar parameter ("b[0]", "W_rec[1,2]", a sympy map's "a"), the straight line between two
networks of the same shape (two training checkpoints), and a gain s·W_rec. The last two work for
every :class:`~dynrnn.model._arrays.ArrayNetwork` (:class:`RNN`, :class:`ElmanRNN`,
:class:`PLRNN`, the gated cells, a user's own): the line through the arrays the class declares,
the gain on the array it names ``RECURRENT_ARRAY`` (``W_rec`` for RNN, ``W`` for ElmanRNN and
PLRNN).
"""
from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import cast, final

import numpy as np

from ..errors import InvalidTypeError
from ._arrays import ArrayNetwork
from .base import RecurrentMap

#: the network classes LineBetween and Gain accept: every ArrayNetwork (kept for old imports)
NETWORKS: tuple[type, ...] = (ArrayNetwork,)

__all__ = ["ParameterFamily", "NamedParameter", "LineBetween", "Gain", "as_family"]


class ParameterFamily(abc.ABC):
    """A one-parameter family p -> F(·; p) of maps with the same state dimension."""

    #: label used in results and plots
    name: str

    @abc.abstractmethod
    def at(self, value: float) -> RecurrentMap:
        """The map at parameter value ``value``."""

    @abc.abstractmethod
    def derivative(self, system: RecurrentMap, x: np.ndarray, u=None) -> np.ndarray:
        """∂F/∂p at state(s) ``x`` for ``system = self.at(p)``, shape ``(..., n_states)``."""

    @abc.abstractmethod
    def current_value(self) -> float | None:
        """The parameter value of the map the family was built from (None if not defined)."""

    def evaluator(self, u):
        """``evaluate(x, p) -> (F, ∂F/∂x, ∂F/∂p)`` for one state ``x`` (n_states,) on the map
        at ``p`` (the fast path of continuation's corrector). ``u`` is a resolved input or
        None for each map's constant input. The default calls :meth:`at` once per new ``p``."""
        last: list = [None, None, None]

        def evaluate(x, p):
            if p != last[0]:
                system = self.at(p)
                last[:] = [p, system, u if u is not None else system.resolve_input(None)]
            system, u_p = last[1], last[2]
            return (system.step_unchecked(x, u_p), system.jacobian_unchecked(x, u_p),
                    np.asarray(self.derivative(system, x, u_p), dtype=float))

        return evaluate

    def _evaluator(self, u):
        # the name continuation.py used before evaluator became public; kept until it moves
        return self.evaluator(u)


def _check_family_name(name) -> None:
    """A family's parameter name is text (it labels branches and files)."""
    if not isinstance(name, str) or not name:
        raise InvalidTypeError(f"name must be non-empty text, got {name!r:.60}", argument="name",
                               value=name)


@final
@dataclass(frozen=True, eq=False)
class NamedParameter(ParameterFamily):
    """Vary one named scalar parameter of ``system``; the others stay fixed."""

    system: RecurrentMap
    name: str

    def __post_init__(self):
        if not isinstance(self.system, RecurrentMap):
            raise InvalidTypeError(f"NamedParameter needs a RecurrentMap, got "
                                   f"{type(self.system).__name__}", argument="system",
                                   value=self.system)
        self.system.check_param_names(self.name, argument="param")

    def at(self, value):
        return self.system.replace_params({self.name: float(value)})

    def derivative(self, system, x, u=None):
        return system.param_jacobian_unchecked(np.asarray(x, dtype=float), [self.name],
                                      system.resolve_input(u))[..., 0]

    def current_value(self):
        return self.system.params[self.name]

    def evaluator(self, u):
        return self.system.derivatives_along(self.name, u)


@final
@dataclass(frozen=True, eq=False)
class LineBetween(ParameterFamily):
    """θ(s) = θ_a + s (θ_b − θ_a) between two networks of the same shape (s = 0 gives ``start``).

    ``start`` and ``end`` are two :class:`~dynrnn.model._arrays.ArrayNetwork` of one class
    (both RNN, both ElmanRNN, ...).
    """

    start: ArrayNetwork
    end: ArrayNetwork
    name: str = "s"

    def __post_init__(self):
        if not isinstance(self.start, ArrayNetwork) or not isinstance(self.end, ArrayNetwork):
            raise InvalidTypeError(
                "LineBetween needs two networks of one class (RNN, ElmanRNN, PLRNN or another "
                "ArrayNetwork), got "
                f"{type(self.start).__name__} and {type(self.end).__name__}", argument="param")
        _check_family_name(self.name)
        object.__setattr__(self, "_delta", self.start.difference(self.end))

    def at(self, value):
        return self.start.interpolate(self.end, float(value))

    def derivative(self, system, x, u=None):
        return system.direction_derivative(self._delta, x)

    def current_value(self):
        return 0.0


@final
@dataclass(frozen=True, eq=False)
class Gain(ParameterFamily):
    """W(g) = g · W of ``system``, W its class's ``RECURRENT_ARRAY`` (``W_rec`` for an RNN, ``W``
    for ElmanRNN and PLRNN); g = 1 is the network itself."""

    system: ArrayNetwork
    name: str = "gain"

    def __post_init__(self):
        if not _has_gain(self.system):
            raise InvalidTypeError(f"Gain needs a network with a recurrent matrix (an RNN, "
                                   f"ElmanRNN, PLRNN or an ArrayNetwork declaring "
                                   f"RECURRENT_ARRAY), got {type(self.system).__name__}",
                                   argument="param")
        _check_family_name(self.name)
        key = self.system.RECURRENT_ARRAY
        # ∂F/∂g is the derivative along the direction ΔW = W (everything else fixed)
        delta = {k: (a if k == key else np.zeros_like(a))
                 for k, a in self.system.arrays().items()}
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_delta", delta)

    def at(self, value):
        return self.system.replace(**{self._key: float(value) * self._delta[self._key]})

    def derivative(self, system, x, u=None):
        return system.direction_derivative(self._delta, x)

    def current_value(self):
        return 1.0


def _has_gain(system) -> bool:
    return isinstance(system, ArrayNetwork) and system.RECURRENT_ARRAY is not None


def as_family(system: RecurrentMap, param) -> ParameterFamily:
    """Turn what a user passes as ``param`` into a family: a name, ``("line", other_net)``,
    ``"gain"``, or a :class:`ParameterFamily` (returned unchanged)."""
    if isinstance(param, ParameterFamily):
        return param
    if isinstance(param, str):
        if (param == "gain" and isinstance(system, ArrayNetwork) and _has_gain(system)
                and not system.has_param("gain")):
            return Gain(system)
        return NamedParameter(system, param)
    if isinstance(param, tuple) and len(param) == 2 and param[0] == "line":
        return LineBetween(cast(ArrayNetwork, system), param[1])  # checked in __post_init__
    raise InvalidTypeError(
        f"param must be a parameter name, 'gain', ('line', other_network) or a ParameterFamily; "
        f"got {param!r}", argument="param", value=param)
