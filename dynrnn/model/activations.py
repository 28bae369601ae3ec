"""Activation functions σ with their first, second and third derivatives and γ = sup|σ'|.

γ enters the §2.1 condition of Pascanu et al. (2013): if the largest singular value of W_rec is
below 1/γ, the long-term gradient components vanish.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import expit

from .._signature_checks import checked_arguments
from ..errors import InvalidTypeError, UnknownActivationError

__all__ = ["Activation", "ACTIVATIONS", "get_activation"]

ArrayFunction = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Activation:
    """An elementwise nonlinearity σ and what the analysis needs to know about it.

    Attributes
    ----------
    name : str
    function, derivative, second_derivative : callable
        σ, σ' and σ'', vectorised over arrays of any shape.
    gamma : float
        ``sup |σ'(x)|`` over the real line.
    lower, upper : float
        The infimum and supremum of σ (±inf when unbounded). Used for invariant boxes.
    piecewise_linear : bool
        True for ReLU and identity: the map is affine on each region of constant σ'.
    third_derivative : callable or None
        σ''', vectorised (used by normal-form coefficients of flips and Neimark–Sacker points);
        None when unknown, in which case those coefficients fall back to finite differences.
    """

    name: str
    function: ArrayFunction
    derivative: ArrayFunction
    second_derivative: ArrayFunction
    gamma: float
    lower: float
    upper: float
    piecewise_linear: bool = False
    third_derivative: ArrayFunction | None = None

    @property
    def bounded(self) -> bool:
        return bool(np.isfinite(self.lower) and np.isfinite(self.upper))

    def __call__(self, x):
        return self.function(x)


def _tanh_d1(x):
    return 1.0 - np.tanh(x) ** 2


def _tanh_d2(x):
    t = np.tanh(x)
    return -2.0 * t * (1.0 - t * t)


def _tanh_d3(x):
    # d/dx of -2 t (1 - t^2) with t' = 1 - t^2: -2 (1 - t^2)(1 - 3 t^2)
    t = np.tanh(x)
    return -2.0 * (1.0 - t * t) * (1.0 - 3.0 * t * t)


def _sigmoid_d1(x):
    s = expit(x)
    return s * (1.0 - s)


def _sigmoid_d2(x):
    s = expit(x)
    return s * (1.0 - s) * (1.0 - 2.0 * s)


def _sigmoid_d3(x):
    # d/dx of s' (1 - 2 s) with s' = s (1 - s): s' (1 - 6 s + 6 s^2)
    s = expit(x)
    return s * (1.0 - s) * (1.0 - 6.0 * s + 6.0 * s * s)


def _relu(x):
    return np.maximum(x, 0.0)


def _relu_d1(x):
    # Convention: σ'(0) = 0, as in PyTorch's autograd. Fixed points exactly on a region boundary
    # are non-generic; the exact region solver treats each boundary as belonging to x <= 0.
    x = np.asarray(x)
    return (x > 0).astype(np.result_type(x.dtype, np.float64))


def _zeros_like(x):
    return np.zeros_like(np.asarray(x, dtype=np.result_type(np.asarray(x).dtype, np.float64)))


def _identity(x):
    return np.asarray(x) * 1.0


def _ones_like(x):
    return np.ones_like(np.asarray(x, dtype=np.result_type(np.asarray(x).dtype, np.float64)))


ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation("tanh", np.tanh, _tanh_d1, _tanh_d2, gamma=1.0, lower=-1.0, upper=1.0,
                       third_derivative=_tanh_d3),
    "sigmoid": Activation("sigmoid", expit, _sigmoid_d1, _sigmoid_d2, gamma=0.25, lower=0.0,
                          upper=1.0, third_derivative=_sigmoid_d3),
    "relu": Activation("relu", _relu, _relu_d1, _zeros_like, gamma=1.0, lower=0.0, upper=np.inf,
                       piecewise_linear=True, third_derivative=_zeros_like),
    "identity": Activation("identity", _identity, _ones_like, _zeros_like, gamma=1.0,
                           lower=-np.inf, upper=np.inf, piecewise_linear=True,
                           third_derivative=_zeros_like),
}
_ALIASES = {"logistic": "sigmoid", "linear": "identity"}


@checked_arguments
def get_activation(activation: str | Activation) -> Activation:
    """Return the :class:`Activation` named ``activation`` (or ``activation`` itself).

    Accepted names: ``"tanh"``, ``"sigmoid"`` (alias ``"logistic"``), ``"relu"``,
    ``"identity"`` (alias ``"linear"``).
    """
    if isinstance(activation, Activation):
        return activation
    if not isinstance(activation, str):
        raise InvalidTypeError(
            f"activation must be a name or an Activation, got {type(activation).__name__}",
            argument="activation", value=activation)
    key = _ALIASES.get(activation.lower(), activation.lower())
    if key not in ACTIVATIONS:
        valid = sorted(ACTIVATIONS) + sorted(_ALIASES)
        raise UnknownActivationError(
            f"unknown activation {activation!r}; valid names are {', '.join(valid)}",
            argument="activation", value=activation)
    return ACTIVATIONS[key]
