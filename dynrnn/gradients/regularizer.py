r"""The vanishing-gradient regulariser Ω of Pascanu et al. (2013), eq. (9), and the squared-norm
variant of eq. (10) / the authors' code.

.. math::

    \Omega_{ratio} = \sum_k \left(\frac{\|g_{k+1}\,J_{k+1}\|}{\|g_{k+1}\|} - 1\right)^2,\qquad
    \Omega_{squared} = \frac{1}{f}\sum_{k:\ \|g_{k+1}\|^2 \ge 10^{-20}}
        \left(\frac{\|g_{k+1}\,J_{k+1}\|^2}{\|g_{k+1}\|^2} - 1\right)^2

with :math:`g_{k+1} = \partial E/\partial x_{k+1}` (a row vector, from BPTT),
:math:`J_{k+1} = \partial x_{k+1}/\partial x_k = W_{rec}\,\mathrm{diag}(\sigma'(x_k))` and f the
fraction of unmasked terms. The sum runs over all T transitions k = 0 … T − 1 of each sequence and
Ω is averaged over the sequences of the batch.

Gradient convention (the paper's): only the explicit W_rec in :math:`J_{k+1}` is differentiated;
:math:`g_{k+1}` and the states :math:`x_k` are held constant. With
:math:`q = (g W_{rec}) \odot \sigma'(x_k)`,

.. math::

    \frac{\partial \|q\|}{\partial W_{rec}} = \frac{g^\top (q \odot \sigma'(x_k))}{\|q\|},\qquad
    \frac{\partial \|q\|^2}{\partial W_{rec}} = 2\, g^\top (q\odot \sigma'(x_k)).

References
----------
Pascanu, Mikolov, Bengio (2013), §3.3, eqs. (9)-(10).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .._signature_checks import checked_arguments
from .._tables import Tabular, compact_repr
from ..errors import InvalidInputError, InvalidTypeError, ShapeError
from ..model.activations import get_activation
from ..model.base import as_finite_array
from ..model.rnn import RNN
from .bptt import BPTTResult

__all__ = ["OmegaVariant", "OmegaResult", "omega", "omega_terms", "REGULARIZER_VARIANTS"]


class OmegaVariant(str, enum.Enum):
    RATIO = "ratio"      #: eq. (9): ratio of norms
    SQUARED = "squared"  #: eq. (10) / the authors' code: ratio of squared norms, masked


REGULARIZER_VARIANTS = tuple(v.value for v in OmegaVariant)


@dataclass(frozen=True)
class OmegaResult(Tabular):
    """Ω and its gradient with respect to W_rec (paper's convention).

    Attributes
    ----------
    value : float
    grad_W_rec : ndarray, shape (n, n)
    ratios : ndarray, shape (T, B)
        ‖g J‖/‖g‖ (ratio variant) or ‖g J‖²/‖g‖² (squared variant) per transition; NaN where masked.
    n_masked : int
        Terms dropped because ‖g‖² < ``mask_threshold`` (squared) or ‖g‖ = 0 (ratio).
    variant : OmegaVariant
    """

    value: float
    grad_W_rec: np.ndarray
    ratios: np.ndarray
    n_masked: int
    variant: OmegaVariant

    __repr__ = compact_repr

    def _table_columns(self) -> dict[str, list]:
        """One row per transition and sequence (t, sequence): its ratio (NaN where masked)."""
        ratios = np.asarray(self.ratios).reshape(self.ratios.shape[0], -1)
        t, sequence = np.meshgrid(np.arange(ratios.shape[0]), np.arange(ratios.shape[1]),
                                  indexing="ij")
        return {"t": [int(v) for v in t.ravel()], "sequence": [int(v) for v in sequence.ravel()],
                "ratio": [float(v) for v in ratios.ravel()]}


def _variant(v) -> OmegaVariant:
    try:
        return OmegaVariant(v)
    except ValueError:
        raise InvalidInputError(f"unknown regulariser variant {v!r}; valid: "
                                f"{', '.join(REGULARIZER_VARIANTS)}", argument="variant",
                                value=v) from None


@checked_arguments
def omega_terms(W_rec, state_grads, states, activation="tanh", *,
                variant: Literal["ratio", "squared"] = "ratio",
                mask_threshold: float = 1e-20) -> OmegaResult:
    r"""Ω from given state gradients and states, as a function of ``W_rec`` alone.

    Parameters
    ----------
    W_rec : ndarray, shape (n, n)
    state_grads : ndarray, shape (T, B, n)
        g_{k+1} = ∂E/∂x_{k+1} for k = 0 … T − 1 (``BPTTResult.state_grads``).
    states : ndarray, shape (T + 1, B, n) (or at least T leading steps)
        x_0 … x_T (``BPTTResult.states``); x_0 … x_{T−1} are used.
    activation : str or Activation
    variant : {"ratio", "squared"}
    mask_threshold : float
        The squared variant drops terms with ‖g‖² below it (1e-20 as in the authors' code).

    Returns
    -------
    OmegaResult
    """
    v = _variant(variant)
    act = get_activation(activation)
    W = as_finite_array(W_rec, "W_rec")
    G = as_finite_array(state_grads, "state_grads")
    X = as_finite_array(states, "states")
    for argument, array in (("state_grads", G), ("states", X)):
        if array.ndim not in (2, 3) or array.size == 0:
            raise ShapeError(f"{argument} must be a non-empty array of shape (T, n) or "
                             f"(T, batch, n), got shape {array.shape}", argument=argument,
                             expected="(T, n) or (T, batch, n)", actual=array.shape)
    if G.ndim == 2:
        G = G[:, None, :]
    if X.ndim == 2:
        X = X[:, None, :]
    T, B, n = G.shape
    if W.shape != (n, n):
        raise ShapeError(f"W_rec must have shape ({n}, {n}) to match state_grads, got {W.shape}",
                         argument="W_rec", expected=(n, n), actual=W.shape)
    if X.shape[0] < T or X.shape[1:] != (B, n):
        raise ShapeError(f"states must have shape ({T + 1}, {B}, {n}), got {X.shape}",
                         argument="states", expected=(T + 1, B, n), actual=X.shape)
    d = act.derivative(X[:T])
    q = (G.reshape(T * B, n) @ W).reshape(T, B, n) * d
    g2 = np.einsum("tbi,tbi->tb", G, G)
    q2 = np.einsum("tbi,tbi->tb", q, q)
    if v is OmegaVariant.RATIO:
        keep = g2 > 0
        gn = np.sqrt(np.where(keep, g2, 1.0))
        qn = np.sqrt(q2)
        r = np.where(keep, qn / gn, np.nan)
        terms = np.where(keep, (r - 1.0) ** 2, 0.0)
        value = float(terms.sum() / B)
        with np.errstate(divide="ignore", invalid="ignore"):
            coef = np.where(keep & (qn > 0), 2.0 * (r - 1.0) / (qn * gn), 0.0) / B
    else:
        keep = g2 >= mask_threshold
        n_keep = int(keep.sum())
        frac = n_keep / keep.size
        safe = np.where(keep, g2, 1.0)
        r = np.where(keep, q2 / safe, np.nan)
        terms = np.where(keep, (r - 1.0) ** 2, 0.0)
        if n_keep == 0:
            return OmegaResult(0.0, np.zeros_like(W), r, int(keep.size), v)
        value = float(terms.sum() / B / frac)
        coef = np.where(keep, 4.0 * (r - 1.0) / safe, 0.0) / (B * frac)
    A = (G * coef[..., None]).reshape(T * B, n)
    grad = A.T @ (q * d).reshape(T * B, n)
    return OmegaResult(value, grad, r, int(keep.size - keep.sum()), v)


@checked_arguments
def omega(net: RNN, result: BPTTResult, variant: Literal["ratio", "squared"] = "ratio", *,
          mask_threshold: float = 1e-20) -> OmegaResult:
    r"""Ω (eq. 9 or the squared variant) for the BPTT pass ``result`` of ``net``.

    Parameters
    ----------
    net : RNN
        The network ``result`` was computed for.
    result : BPTTResult
    variant : {"ratio", "squared"}

    Returns
    -------
    OmegaResult

    References
    ----------
    Pascanu, Mikolov, Bengio (2013), eqs. (9)-(10).
    """
    if not isinstance(result, BPTTResult):
        raise InvalidTypeError(f"result must be the BPTTResult of net (from bptt), got "
                               f"{type(result).__name__}", argument="result", value=result)
    return omega_terms(net.W_rec, result.state_grads, result.states, net.activation,
                       variant=variant, mask_threshold=mask_threshold)
