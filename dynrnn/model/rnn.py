"""The recurrent network of Pascanu, Mikolov and Bengio (2013), eq. (2)."""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import final

import numpy as np

from ._arrays import ArrayNetwork, matrix_with_rows, square_matrix, vector
from .activations import ACTIVATIONS, Activation, get_activation
from .base import as_state

__all__ = ["RNN", "parse_param_name"]

_MATRIX_NAME = re.compile(r"^(W_rec|W_in)\[\s*(\d+)\s*,\s*(\d+)\s*\]$")
_VECTOR_NAME = re.compile(r"^(b|u)\[\s*(\d+)\s*\]$")


def parse_param_name(name: str) -> tuple[str, tuple[int, ...]] | None:
    """Split ``"W_rec[1,2]"`` into ``("W_rec", (1, 2))``; None for a name of another form."""
    m = _MATRIX_NAME.match(name)
    if m:
        return m.group(1), (int(m.group(2)), int(m.group(3)))
    m = _VECTOR_NAME.match(name)
    if m:
        return m.group(1), (int(m.group(2)),)
    return None


@final
class RNN(ArrayNetwork):
    r"""The recurrent network of Pascanu et al. (2013), eq. (2).

    .. math::

        x_t = W_{rec}\,\sigma(x_{t-1}) + W_{in}\,u_t + b

    The state ``x`` is the pre-activation; the familiar hidden state is ``h = σ(x)``. The state
    Jacobian is :math:`W_{rec}\,\mathrm{diag}(\sigma'(x))`.

    Parameters
    ----------
    W_rec : array_like, shape (n_units, n_units)
    W_in : array_like, shape (n_units, n_inputs), optional
        Input weights; without them the network is autonomous (``n_inputs == 0``).
    b : array_like, shape (n_units,), optional
        Bias; zeros by default.
    activation : str or Activation
        ``"tanh"``, ``"sigmoid"``, ``"relu"`` or ``"identity"``.
    u : array_like, shape (n_inputs,), optional
        The constant input used when :meth:`step` gets none (parameters ``"u[j]"``); zeros by
        default.

    Notes
    -----
    Scalar parameters are named ``"W_rec[i,j]"``, ``"W_in[i,j]"``, ``"b[i]"`` and ``"u[j]"``.
    ``"u[j]"`` is the constant input used when none is given; ``param_jacobian`` reports for it
    the derivative with respect to input j at the input in use.
    Objects are immutable; :meth:`with_params` returns a new network.

    References
    ----------
    R. Pascanu, T. Mikolov, Y. Bengio, "On the difficulty of training recurrent neural networks",
    ICML 2013, eq. (2).

    Examples
    --------
    >>> import numpy as np, dynrnn as dr
    >>> net = dr.RNN([[5.0]], b=[-2.5], activation="sigmoid")
    >>> net.step(np.array([0.0]))
    array([0.])
    >>> float(net.jacobian(np.array([0.0]))[0, 0])
    1.25
    """

    ARRAYS = ("W_rec", "W_in", "b", "u")
    RECURRENT_ARRAY = "W_rec"
    _EXTRA_REPLACEABLE = ("activation",)

    def __init__(self, W_rec, W_in=None, b=None, activation: str | Activation = "tanh", u=None):
        W_rec = square_matrix(W_rec, "W_rec")
        n = W_rec.shape[0]
        W_in = matrix_with_rows(W_in, n, "W_in", "W_rec")
        b = vector(b, n, "b", "W_rec")
        u = vector(u, W_in.shape[1], "u", "W_in")
        self._activation = get_activation(activation)
        self.store_arrays({"W_rec": W_rec, "W_in": W_in, "b": b, "u": u})

    # -- attributes ----------------------------------------------------------------------------
    @property
    def W_rec(self) -> np.ndarray:
        return self._arrays["W_rec"]

    @property
    def W_in(self) -> np.ndarray:
        return self._arrays["W_in"]

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
        return self.W_rec.shape[0]

    @property
    def n_units(self) -> int:
        return self.W_rec.shape[0]

    @property
    def n_inputs(self) -> int:
        return self.W_in.shape[1]

    def __repr__(self) -> str:
        return (f"RNN(n_units={self.n_units}, n_inputs={self.n_inputs}, "
                f"activation={self._activation.name!r})")

    # -- the Elman form and PyTorch -----------------------------------------------------------
    def to_elman(self):
        """The conjugate Elman network h' = σ(W_rec h + W_in u + b) (:class:`~dynrnn.ElmanRNN`).

        Orbits correspond through h = σ(x), fixed points through h* = σ(x*), and the
        multipliers are equal (see :mod:`dynrnn.model.elman`).
        """
        from .elman import ElmanRNN  # here, not at the top: elman.py imports rnn.py
        return ElmanRNN(self.W_rec, self.W_in, self.b, self._activation, self.u)

    def to_elman_state(self, x) -> np.ndarray:
        """The Elman hidden state h = σ(x) of the RNN state ``x``, shape ``(..., n_units)``."""
        return self._activation.function(as_state(x, self.n_states, "x"))

    @classmethod
    def from_torch(cls, module) -> RNN:
        """The network of eq. (2) conjugate to a single-layer ``torch.nn.RNN``.

        PyTorch's hidden state is h = σ(x): ``W_rec = weight_hh_l0``, ``W_in = weight_ih_l0``,
        ``b = bias_ih_l0 + bias_hh_l0``. Use :meth:`ElmanRNN.from_torch` to keep PyTorch's
        state; :func:`dynrnn.from_torch` for GRU, LSTM and several layers, and
        :func:`dynrnn.to_torch_state`/:func:`dynrnn.from_torch_state` to convert states. Raises
        MissingDependencyError without PyTorch and InvalidTypeError for modules of other kinds
        (LSTM, GRU, several layers, bidirectional, projections).
        """
        from .elman import ElmanRNN  # here, not at the top: elman.py imports rnn.py
        return ElmanRNN.from_torch(module).to_pascanu()

    # -- the map -------------------------------------------------------------------------------
    def constant_input(self) -> np.ndarray:
        return self.u

    def step_unchecked(self, x, u):
        arrays = self._arrays.by_name     # this runs millions of times: plain dict lookups
        out = self._activation.function(x) @ arrays["W_rec"].T + arrays["b"]
        W_in = arrays["W_in"]
        if W_in.shape[1]:
            out = out + u @ W_in.T
        return out

    def jacobian_unchecked(self, x, u):
        return self._arrays.by_name["W_rec"] * self._activation.derivative(x)[..., None, :]

    def compiled_kernel(self):
        from .kernels import network_kernel
        if ACTIVATIONS.get(self._activation.name) is not self._activation:
            return None         # a user-defined activation: only numpy knows it
        return network_kernel("RNN", self._activation.name, self.W_rec, self.W_in, self.b)

    def multilinear_forms(self, x, u):
        # F = W σ(x) + ...: every higher derivative is W diag(σ^(k)(x)) applied componentwise
        act = self._activation
        if act.third_derivative is None:
            return None
        W, d2, d3 = self.W_rec, act.second_derivative(x), act.third_derivative(x)
        return (lambda v, w: W @ (d2 * v * w)), (lambda v, w, y: W @ (d3 * v * w * y))

    def invariant_box(self, u=None):
        act = self._activation
        if not act.bounded:
            return None
        u = self.resolve_input(u)
        shift = self.b + (u @ self.W_in.T if self.n_inputs else 0.0)
        W = self.W_rec
        low = np.where(W > 0, W * act.lower, W * act.upper).sum(axis=-1)
        high = np.where(W > 0, W * act.upper, W * act.lower).sum(axis=-1)
        return low + shift, high + shift

    def piecewise_linear_form(self, u=None):
        name = self._activation.name
        if name not in ("relu", "identity"):
            return None
        u = self.resolve_input(u)
        c = self.b + (u @ self.W_in.T if self.n_inputs else 0.0)
        zero = np.zeros_like(self.W_rec)
        if name == "relu":
            return zero, self.W_rec.copy(), c
        return self.W_rec.copy(), zero, c

    # -- parameters ----------------------------------------------------------------------------
    def param_jacobian_unchecked(self, x, names: Sequence[str], u):
        batch = x.shape[:-1]
        n = self.n_states
        out = np.zeros(batch + (n, len(names)))
        s = None
        for col, name in enumerate(names):
            key, index = self._arrays.entry(name)
            if key == "W_rec":
                if s is None:
                    s = self._activation.function(x)
                out[..., index[0], col] = s[..., index[1]]
            elif key == "W_in":
                out[..., index[0], col] = np.broadcast_to(u[..., index[1]], batch)
            elif key == "b":
                out[..., index[0], col] = 1.0
            else:  # "u": only moves the state through W_in
                out[..., :, col] = self.W_in[:, index[0]]
        return out

    def derivatives_along(self, name, u):
        key, index = self._arrays.entry(name)
        if key == "u":   # the constant input moves only when no input is given: keep it exact
            return super().derivatives_along(name, u)
        # private copies whose one entry is overwritten per call: no network is built
        arrays = {"W_rec": self.W_rec.copy(), "W_in": self.W_in.copy(), "b": self.b.copy()}
        W, W_in, b = arrays["W_rec"], arrays["W_in"], arrays["b"]
        target = arrays[key]
        sigma, dsigma = self._activation.function, self._activation.derivative
        u_vec = (self.u if u is None else u) if self.n_inputs else None
        n = self.n_states
        row = index[0]

        def evaluate(x, value):
            target[index] = value
            s = sigma(x)
            F = W @ s + b
            if u_vec is not None:
                F += W_in @ u_vec
            dp = np.zeros(n)
            if key == "W_rec":
                dp[row] = s[index[1]]
            elif key == "b":
                dp[row] = 1.0
            else:   # W_in
                dp[row] = u_vec[index[1]]
            return F, W * dsigma(x), dp

        return evaluate

    def stepper_over_param(self, name, values):
        # F is affine in every named parameter (W_rec, W_in, b, u): with δ = values − θ,
        # F(x; θ + δ) = F(x; θ) + δ ∂F/∂θ(x) exactly, one batched step for the whole sweep.
        key, index = self._arrays.entry(name)
        delta = np.asarray(values, dtype=np.float64) - float(self._arrays[key][index])
        sigma = self._activation.function
        W_rec_t, b = self.W_rec.T, self.b

        def step(x, u):
            shift = delta.reshape(delta.shape + (1,) * (x.ndim - 2))
            s = sigma(x)
            # one 2-D product (BLAS) instead of a stacked matmul over the batch axes
            out = (s.reshape(-1, s.shape[-1]) @ W_rec_t).reshape(s.shape) + b
            if self.n_inputs:
                out = out + u @ self.W_in.T
            if key == "W_rec":
                out[..., index[0]] += shift * s[..., index[1]]
            elif key == "b":
                out[..., index[0]] += shift
            elif key == "W_in":
                out[..., index[0]] += shift * u[..., index[1]]
            else:   # "u[j]" moves the state through the column W_in[:, j]
                out += shift[..., None] * self.W_in[:, index[0]]
            return out

        return step

    # -- families of networks ------------------------------------------------------------------
    def direction_derivative(self, delta: Mapping[str, np.ndarray], x) -> np.ndarray:
        """∂F/∂s at this network along the direction θ + s Δθ, with ``delta`` = Δθ by array name.

        F is affine in W_rec, b and W_in u, so this is exact:
        ΔW_rec σ(x) + ΔW_in u + W_in Δu + Δb (u is this network's constant input).
        """
        x = np.asarray(x, dtype=np.float64)
        out = self._activation.function(x) @ delta["W_rec"].T + delta["b"]
        if self.n_inputs:
            out = out + delta["W_in"] @ self.u + self.W_in @ delta["u"]
        return out
