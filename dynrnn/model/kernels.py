r"""Compiled step and Jacobian kernels: the optional fast path of small maps.

A map may describe itself to the compiler by returning a :class:`MapKernel` from
:meth:`~dynrnn.model.base.RecurrentMap.compiled_kernel`. Sequential loops (trajectories in
:meth:`~dynrnn.model.base.RecurrentMap.run` and :meth:`~dynrnn.model.base.RecurrentMap.iterate`,
the QR loop of :func:`~dynrnn.lyapunov_spectrum`) then run in machine code through numba, one
step in well under a microsecond for a map of a few states instead of tens of microseconds of
numpy call overhead. A map that returns None (the default, and every third-party map) keeps the
generic numpy path, which computes the same thing.

Two families are described:

``"network"``
    :class:`~dynrnn.RNN`, :class:`~dynrnn.ElmanRNN` and :class:`~dynrnn.PLRNN`, as the arrays
    ``(A, B, c, d)`` of one of three update rules (``kind``) with an activation code:

    .. math::

        \text{RNN: } F(x) = A\,\sigma(x) + B u + c, \qquad
        \text{Elman: } F(h) = \sigma(A h + B u + c), \qquad
        \text{PLRNN: } F(z) = d \circ z + A\,\mathrm{relu}(z) + B u + c.

    and one-layer :class:`~dynrnn.GRU` and :class:`~dynrnn.LSTM` cells with torch's arrays
    (``kind`` ``"GRU"``, ``"LSTM"``). Their loops are compiled once and cached on disk (numba
    ``cache=True``).
``"sympy"``
    maps built by :meth:`~dynrnn.Map.from_sympy`: their lambdified F and ∂F/∂x are compiled by
    numba (once per map and session; the compiled kernel is shared by every
    :meth:`~dynrnn.RecurrentMap.with_params` copy, since parameters are passed as data).

This module is pure description (numpy only); the compilation lives in :mod:`dynrnn.model._jit`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["MapKernel", "NETWORK_KINDS", "ACTIVATION_CODES", "stack_kernels", "network_kernel",
           "gated_kernel"]

#: update rules of the "network" family
NETWORK_KINDS = {"RNN": 0, "ElmanRNN": 1, "PLRNN": 2, "GRU": 3, "LSTM": 4}
#: activations the compiled network kernels know (others keep the numpy path)
ACTIVATION_CODES = {"tanh": 0, "sigmoid": 1, "relu": 2, "identity": 3}


@dataclass(frozen=True, eq=False)
class MapKernel:
    """A map's description for the compiled loops.

    Attributes
    ----------
    family : str
        ``"network"`` or ``"sympy"``.
    key : tuple
        Kernels with equal keys differ only in their parameter values and can be stacked into
        one ensemble (:func:`stack_kernels`).
    params : tuple of ndarray
        The parameter arrays, each with a leading axis of length ``n_param_sets`` (1 for one map).
    n_states, n_inputs : int
    source : object
        For ``"sympy"``: the lambdified functions (compiled lazily by :mod:`dynrnn.model._jit`).
    """

    family: str
    key: tuple
    params: tuple
    n_states: int
    n_inputs: int
    source: Any = None
    compiled: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def n_param_sets(self) -> int:
        return int(self.params[1].shape[0]) if self.family == "network" else \
            int(self.params[0].shape[0])


def _writable(a, dtype=np.float64) -> np.ndarray:
    """A fresh C-contiguous writeable copy: numba types read-only arrays (the networks' frozen
    arrays) as a different signature, which would compile every loop once more."""
    return np.array(a, dtype=dtype, order="C", copy=True)


def network_kernel(kind: str, activation: str, A, B, c, d=None) -> MapKernel | None:
    """The kernel of a network of the ``"network"`` family, or None for an unknown activation."""
    if activation not in ACTIVATION_CODES:
        return None
    A = _writable(A, dtype=np.float64)
    n = A.shape[0]
    B = _writable(B, dtype=np.float64).reshape(n, -1)
    c = _writable(c, dtype=np.float64)
    d = np.zeros(n) if d is None else _writable(d, dtype=np.float64)
    codes = np.array([NETWORK_KINDS[kind], ACTIVATION_CODES[activation]], dtype=np.int64)
    return MapKernel("network", ("network", kind, activation, n, B.shape[1]),
                     (codes, A[None], B[None], c[None], d[None]), n, B.shape[1])


def gated_kernel(kind: str, weight_ih, weight_hh, bias_ih, bias_hh) -> MapKernel:
    """The kernel of a one-layer :class:`~dynrnn.GRU` (``kind="GRU"``) or :class:`~dynrnn.LSTM`
    (``"LSTM"``) with torch's arrays; its state has H (GRU) or 2 H (LSTM: [h, c]) entries.
    The parameter arrays are stored as ``(A, B, c, d) = (W_hh, W_ih, b_ih, b_hh)``, so the
    compiled loops are those of the network family."""
    W_hh = _writable(weight_hh, dtype=np.float64)
    hidden = W_hh.shape[1]
    W_ih = _writable(weight_ih, dtype=np.float64).reshape(W_hh.shape[0], -1)
    arrays = (W_hh, W_ih, _writable(bias_ih, dtype=np.float64),
              _writable(bias_hh, dtype=np.float64))
    codes = np.array([NETWORK_KINDS[kind], 0], dtype=np.int64)
    n_states = hidden * (2 if kind == "LSTM" else 1)
    return MapKernel("network", ("network", kind, n_states, W_ih.shape[1]),
                     (codes,) + tuple(a[None] for a in arrays), n_states, W_ih.shape[1])


def stack_kernels(kernels: list[MapKernel]) -> MapKernel:
    """One kernel holding the parameter sets of several maps of the same structure (an
    ensemble over parameter values); ``kernels`` must share one ``key``."""
    first = kernels[0]
    if any(k.key != first.key for k in kernels[1:]):
        raise ValueError("kernels of different structure cannot be stacked")
    if first.family == "network":
        params = (first.params[0],) + tuple(np.concatenate([k.params[i] for k in kernels])
                                            for i in range(1, 5))
    else:
        params = (np.concatenate([k.params[0] for k in kernels]),)
    return MapKernel(first.family, first.key, params, first.n_states, first.n_inputs,
                     first.source, first.compiled)


def sympy_kernel(source: Any, values: np.ndarray, n_states: int, n_inputs: int,
                 compiled: dict) -> MapKernel:
    """The kernel of a sympy map: ``source`` holds its lambdified functions, ``values`` its
    parameters in the functions' order; ``compiled`` is the cache shared by its copies."""
    return MapKernel("sympy", ("sympy", id(compiled)),
                     (np.asarray(values, dtype=np.float64).reshape(1, -1),),
                     n_states, n_inputs, source, compiled)

