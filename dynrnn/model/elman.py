r"""The Elman form of a recurrent network, :math:`h_t = \sigma(W h_{t-1} + U u_t + b)`.

This is what ``torch.nn.RNN`` computes. It is conjugate to the network of Pascanu et al. (2013),
eq. (2), whose state is the pre-activation (their footnote 1): with

.. math::

    x_t = W h_{t-1} + U u_t + b

one has :math:`h_t = \sigma(x_t)` and :math:`x_{t+1} = W \sigma(x_t) + U u_{t+1} + b`, which is
:class:`~dynrnn.RNN` with ``W_rec = W``, ``W_in = U`` and the same ``b``. Hence

* trajectories correspond: if ``x`` is an orbit of the RNN then ``h = σ(x)`` is an orbit of the
  Elman network with the same inputs (:meth:`RNN.to_elman_state`), and conversely
  ``x = W h + U u + b`` maps Elman orbits to RNN orbits (:meth:`ElmanRNN.to_pascanu_state`);
* fixed points correspond: ``h* = σ(x*)`` and ``x* = W h* + U u + b``;
* multipliers are equal: the Jacobians are ``D W`` (Elman) and ``W D`` (Pascanu) with the same
  ``D = diag(σ'(x*))``, and ``D W`` and ``W D`` have the same eigenvalues. Singular values, and
  so the norms in the §2.1 bounds, differ.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import final

import numpy as np

from ._arrays import ArrayNetwork, matrix_with_rows, square_matrix, vector
from .activations import ACTIVATIONS, Activation, get_activation
from .base import as_state

__all__ = ["ElmanRNN"]


@final
class ElmanRNN(ArrayNetwork):
    r"""A recurrent network in Elman form (what ``torch.nn.RNN`` computes).

    .. math::

        h_t = \sigma(W\,h_{t-1} + U\,u_t + b)

    The state Jacobian is :math:`\mathrm{diag}(\sigma'(W h + U u + b))\,W`.

    Parameters
    ----------
    W : array_like, shape (n_units, n_units)
        Recurrent weights.
    U : array_like, shape (n_units, n_inputs), optional
        Input weights; without them the network is autonomous (``n_inputs == 0``).
    b : array_like, shape (n_units,), optional
        Bias; zeros by default.
    activation : str or Activation
        ``"tanh"``, ``"sigmoid"``, ``"relu"`` or ``"identity"``.
    u : array_like, shape (n_inputs,), optional
        The constant input used when none is given (parameters ``"u[j]"``); zeros by default.

    Notes
    -----
    Scalar parameters are named ``"W[i,j]"``, ``"U[i,j]"``, ``"b[i]"`` and ``"u[j]"``.
    ``"u[j]"`` is the constant input used when none is given; ``param_jacobian`` reports for it
    the derivative with respect to input j at the input in use.
    :meth:`to_pascanu` gives the conjugate :class:`~dynrnn.RNN` (see the module docstring for
    how states, fixed points and multipliers correspond).

    References
    ----------
    J. L. Elman, "Finding structure in time", Cognitive Science 14 (1990).
    R. Pascanu, T. Mikolov, Y. Bengio, "On the difficulty of training recurrent neural networks",
    ICML 2013, eq. (2) and footnote 1.

    Examples
    --------
    >>> import numpy as np, dynrnn as dr
    >>> net = dr.ElmanRNN([[0.5]], b=[0.1])
    >>> float(net.step([0.0])[0]) == float(np.tanh(0.1))
    True
    >>> x = net.to_pascanu_state([0.0])          # the conjugate RNN's state
    >>> bool(np.allclose(net.to_pascanu().step(x), 0.5 * np.tanh(0.1) + 0.1))
    True
    """

    ARRAYS = ("W", "U", "b", "u")
    RECURRENT_ARRAY = "W"
    _EXTRA_REPLACEABLE = ("activation",)

    def __init__(self, W, U=None, b=None, activation: str | Activation = "tanh", u=None):
        W = square_matrix(W, "W")
        n = W.shape[0]
        U = matrix_with_rows(U, n, "U", "W")
        b = vector(b, n, "b", "W")
        u = vector(u, U.shape[1], "u", "U")
        self._activation = get_activation(activation)
        self.store_arrays({"W": W, "U": U, "b": b, "u": u})

    # -- attributes ----------------------------------------------------------------------------
    @property
    def W(self) -> np.ndarray:
        return self._arrays["W"]

    @property
    def U(self) -> np.ndarray:
        return self._arrays["U"]

    @property
    def b(self) -> np.ndarray:
        return self._arrays["b"]

    @property
    def u(self) -> np.ndarray:
        return self._arrays["u"]

    @property
    def activation(self) -> Activation:
        return self._activation

    @property
    def n_states(self) -> int:
        return self.W.shape[0]

    @property
    def n_units(self) -> int:
        return self.W.shape[0]

    @property
    def n_inputs(self) -> int:
        return self.U.shape[1]

    def __repr__(self) -> str:
        return (f"ElmanRNN(n_units={self.n_units}, n_inputs={self.n_inputs}, "
                f"activation={self._activation.name!r})")

    def direction_derivative(self, delta: Mapping[str, np.ndarray], h) -> np.ndarray:
        """∂F/∂s along θ + s Δθ at this network: σ'(a) ⊙ (ΔW h + ΔU u + U Δu + Δb), with
        a = W h + U u + b and u this network's constant input."""
        h = np.asarray(h, dtype=np.float64)
        a = self._pre_activation(h, self.u)
        change = h @ delta["W"].T + delta["b"]
        if self.n_inputs:
            change = change + delta["U"] @ self.u + self.U @ delta["u"]
        return self._activation.derivative(a) * change

    # -- conjugacy with eq. (2) ----------------------------------------------------------------
    def to_pascanu(self):
        """The conjugate network of Pascanu et al. eq. (2): ``RNN(W_rec=W, W_in=U, b=b)``."""
        from .rnn import RNN  # here, not at the top: rnn.py imports elman.py (to_elman)
        return RNN(self.W, self.U, self.b, self._activation, self.u)

    def to_pascanu_state(self, h, u=None) -> np.ndarray:
        """The RNN state ``x = W h + U u + b`` that the Elman state ``h`` is mapped to.

        If ``h`` is an orbit point ``h_{t-1}`` and ``u`` the next input ``u_t``, the result is
        ``x_t`` with ``σ(x_t) = h_t``. Batched: ``h`` of shape ``(..., n_units)``.
        """
        h = as_state(h, self.n_states, "h")
        return self._pre_activation(h, self.resolve_input(u))

    # -- torch ---------------------------------------------------------------------------------
    @classmethod
    def from_torch(cls, module) -> ElmanRNN:
        """The Elman network with the weights of a single-layer ``torch.nn.RNN`` (or
        ``nn.RNNCell``); its state is PyTorch's hidden state h.

        ``W = weight_hh_l0``, ``U = weight_ih_l0``, ``b = bias_ih_l0 + bias_hh_l0`` (zero without
        biases), activation ``tanh`` or ``relu`` as the module's ``nonlinearity``; weights are
        converted to float64. ``batch_first`` does not affect the weights. For GRU, LSTM and
        several layers use :func:`dynrnn.from_torch`. Raises MissingDependencyError without
        PyTorch and InvalidTypeError for other modules.
        """
        from ..errors import InvalidTypeError
        from .torch_import import import_torch, read_torch_arrays
        torch = import_torch()
        if not isinstance(module, (torch.nn.RNN, torch.nn.RNNCell)):
            kind = type(module).__name__
            why = ("gated units are not Elman networks; use dynrnn.from_torch, which gives a "
                   "dynrnn.GRU or dynrnn.LSTM" if isinstance(
                       module, (torch.nn.LSTM, torch.nn.GRU, torch.nn.LSTMCell, torch.nn.GRUCell))
                   else "for a state dict use dynrnn.from_torch(state_dict, nonlinearity=...)"
                   if hasattr(module, "items") else "not an RNN layer")
            raise InvalidTypeError(f"module must be a torch.nn.RNN, got {kind}: {why}",
                                   argument="module", value=kind)
        if getattr(module, "num_layers", 1) != 1:
            raise InvalidTypeError(
                f"unsupported torch.nn.RNN: num_layers={module.num_layers} (ElmanRNN is one "
                "layer; dynrnn.from_torch gives the stack as one ElmanStack)",
                argument="module", value=module.num_layers)
        read = read_torch_arrays(module)
        a = read.arrays
        return cls(W=a["weight_hh_l0"], U=a["weight_ih_l0"],
                   b=a["bias_ih_l0"] + a["bias_hh_l0"], activation=str(read.nonlinearity))

    # -- the map -------------------------------------------------------------------------------
    def constant_input(self) -> np.ndarray:
        return self.u

    def _pre_activation(self, h, u):
        a = h @ self.W.T + self.b
        if self.n_inputs:
            a = a + u @ self.U.T
        return a

    def step_unchecked(self, x, u):
        return self._activation.function(self._pre_activation(x, u))

    def jacobian_unchecked(self, x, u):
        d = self._activation.derivative(self._pre_activation(x, u))
        return d[..., :, None] * self.W

    def compiled_kernel(self):
        from .kernels import network_kernel
        if ACTIVATIONS.get(self._activation.name) is not self._activation:
            return None         # a user-defined activation: only numpy knows it
        return network_kernel("ElmanRNN", self._activation.name, self.W, self.U, self.b)

    def multilinear_forms(self, x, u):
        # F = σ(a) with a = W h + ... affine in h: the k-th derivative is σ^(k)(a) times the
        # product of the k directions mapped by W
        act = self._activation
        if act.third_derivative is None:
            return None
        a = self._pre_activation(x, u)
        W, d2, d3 = self.W, act.second_derivative(a), act.third_derivative(a)
        return ((lambda v, w: d2 * (W @ v) * (W @ w)),
                (lambda v, w, y: d3 * (W @ v) * (W @ w) * (W @ y)))

    def invariant_box(self, u=None):
        act = self._activation
        if not act.bounded:
            return None
        return np.full(self.n_states, act.lower), np.full(self.n_states, act.upper)

    def piecewise_linear_form(self, u=None):
        """For the identity activation ``(W, 0, U u + b)``; otherwise None.

        A ReLU Elman network is not of the form A h + W relu(h) + c; its conjugate
        :meth:`to_pascanu` is (with A = 0).
        """
        if self._activation.name != "identity":
            return None
        u = self.resolve_input(u)
        c = self.b + (u @ self.U.T if self.n_inputs else 0.0)
        return self.W.copy(), np.zeros_like(self.W), c

    # -- parameters ----------------------------------------------------------------------------
    def stepper_over_param(self, name, values):
        # the pre-activation W h + U u + b is affine in every named parameter, so a whole sweep
        # is one batched step: shift the pre-activation by δ ∂a/∂θ, then apply σ
        key, index = self._arrays.entry(name)
        delta = np.asarray(values, dtype=np.float64) - float(self._arrays[key][index])

        def step(x, u):
            shift = delta.reshape(delta.shape + (1,) * (x.ndim - 2))
            a = self._pre_activation(x, u)
            i = index[0]
            if key == "W":
                a[..., i] += shift * x[..., index[1]]
            elif key == "U":
                a[..., i] += shift * u[..., index[1]]
            elif key == "b":
                a[..., i] += shift
            else:   # "u[j]" enters every unit through the column U[:, j]
                a += shift[..., None] * self.U[:, i]
            return self._activation.function(a)

        return step

    def param_jacobian_unchecked(self, x, names: Sequence[str], u):
        batch = x.shape[:-1]
        d = self._activation.derivative(self._pre_activation(x, u))
        out = np.zeros(batch + (self.n_states, len(names)))
        for col, name in enumerate(names):
            key, index = self._arrays.entry(name)
            i = index[0]
            if key == "W":
                out[..., i, col] = d[..., i] * x[..., index[1]]
            elif key == "U":
                out[..., i, col] = d[..., i] * u[..., index[1]]
            elif key == "b":
                out[..., i, col] = d[..., i]
            else:  # "u": the constant input enters every unit through U
                out[..., :, col] = d * self.U[:, i]
        return out
