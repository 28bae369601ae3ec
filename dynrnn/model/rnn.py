"""The recurrent network of Pascanu, Mikolov and Bengio (2013), eq. (2)."""
from __future__ import annotations

import re
from typing import Sequence, final

import numpy as np

from ..errors import ShapeError, UnknownParameterError
from ._arrays import check_same_shape
from .activations import Activation, get_activation
from .base import RecurrentMap, as_finite_array, as_state

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


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float64, copy=True)
    a.setflags(write=False)
    return a


@final
class RNN(RecurrentMap):
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

    def __init__(self, W_rec, W_in=None, b=None, activation: str | Activation = "tanh", u=None):
        W_rec = as_finite_array(W_rec, "W_rec")
        if W_rec.ndim != 2 or W_rec.shape[0] != W_rec.shape[1] or W_rec.shape[0] == 0:
            raise ShapeError(f"W_rec must be a non-empty square matrix, got shape {W_rec.shape}",
                             argument="W_rec", expected=("n_units", "n_units"),
                             actual=W_rec.shape)
        n = W_rec.shape[0]
        if W_in is None:
            W_in = np.zeros((n, 0))
        W_in = as_finite_array(W_in, "W_in")
        if W_in.ndim == 1 and n == 1:
            W_in = W_in[None, :]
        if W_in.ndim != 2 or W_in.shape[0] != n:
            raise ShapeError(f"W_in must have shape ({n}, n_inputs) to match W_rec, got "
                             f"{W_in.shape}", argument="W_in", expected=(n, "n_inputs"),
                             actual=W_in.shape)
        b = np.zeros(n) if b is None else as_finite_array(b, "b")
        if b.shape != (n,):
            raise ShapeError(f"b must have shape ({n},) to match W_rec, got {b.shape}",
                             argument="b", expected=(n,), actual=b.shape)
        m = W_in.shape[1]
        u = np.zeros(m) if u is None else as_finite_array(u, "u")
        if u.shape != (m,):
            raise ShapeError(f"u must have shape ({m},) to match W_in, got {u.shape}",
                             argument="u", expected=(m,), actual=u.shape)
        self._activation = get_activation(activation)
        self._W_rec, self._W_in, self._b, self._u = (_frozen(W_rec), _frozen(W_in), _frozen(b),
                                                     _frozen(u))

    # -- attributes ----------------------------------------------------------------------------
    @property
    def W_rec(self) -> np.ndarray:
        return self._W_rec

    @property
    def W_in(self) -> np.ndarray:
        return self._W_in

    @property
    def b(self) -> np.ndarray:
        return self._b

    @property
    def u(self) -> np.ndarray:
        return self._u

    @property
    def activation(self) -> Activation:
        return self._activation

    @property
    def n_states(self) -> int:
        return self._W_rec.shape[0]

    @property
    def n_units(self) -> int:
        return self._W_rec.shape[0]

    @property
    def n_inputs(self) -> int:
        return self._W_in.shape[1]

    def __repr__(self) -> str:
        return (f"RNN(n_units={self.n_units}, n_inputs={self.n_inputs}, "
                f"activation={self._activation.name!r})")

    def arrays(self) -> dict[str, np.ndarray]:
        """The weight arrays by name: ``W_rec``, ``W_in``, ``b``, ``u``."""
        return {"W_rec": self._W_rec, "W_in": self._W_in, "b": self._b, "u": self._u}

    def replace(self, **arrays) -> "RNN":
        """A new network with whole arrays replaced, e.g. ``net.replace(W_rec=2 * net.W_rec)``."""
        unknown = set(arrays) - {"W_rec", "W_in", "b", "u", "activation"}
        if unknown:
            raise UnknownParameterError(
                f"RNN.replace got unknown array(s) {sorted(unknown)}; valid: W_rec, W_in, b, u, "
                "activation", argument="arrays", value=sorted(unknown),
                valid=("W_rec", "W_in", "b", "u", "activation"))
        kw = {**self.arrays(), "activation": self._activation, **arrays}
        return RNN(kw["W_rec"], kw["W_in"], kw["b"], kw["activation"], kw["u"])

    # -- the Elman form and PyTorch -----------------------------------------------------------
    def to_elman(self):
        """The conjugate Elman network h' = σ(W_rec h + W_in u + b) (:class:`~dynrnn.ElmanRNN`).

        Orbits correspond through h = σ(x), fixed points through h* = σ(x*), and the
        multipliers are equal (see :mod:`dynrnn.model.elman`).
        """
        from .elman import ElmanRNN
        return ElmanRNN(self._W_rec, self._W_in, self._b, self._activation, self._u)

    def to_elman_state(self, x) -> np.ndarray:
        """The Elman hidden state h = σ(x) of the RNN state ``x``, shape ``(..., n_units)``."""
        return self._activation.function(as_state(x, self.n_states, "x"))

    @classmethod
    def from_torch(cls, module) -> "RNN":
        """The network of eq. (2) conjugate to a single-layer ``torch.nn.RNN``.

        PyTorch's hidden state is h = σ(x): ``W_rec = weight_hh_l0``, ``W_in = weight_ih_l0``,
        ``b = bias_ih_l0 + bias_hh_l0``. Use :meth:`ElmanRNN.from_torch` to keep PyTorch's
        state; :func:`dynrnn.from_torch` for GRU, LSTM and several layers, and
        :func:`dynrnn.to_torch_state`/:func:`dynrnn.from_torch_state` to convert states. Raises
        MissingDependencyError without PyTorch and InvalidTypeError for modules of other kinds
        (LSTM, GRU, several layers, bidirectional, projections).
        """
        from .elman import ElmanRNN
        return ElmanRNN.from_torch(module).to_pascanu()

    # -- the map -------------------------------------------------------------------------------
    def constant_input(self) -> np.ndarray:
        return self._u

    def step_unchecked(self, x, u):
        out = self._activation.function(x) @ self._W_rec.T + self._b
        if self.n_inputs:
            out = out + u @ self._W_in.T
        return out

    def jacobian_unchecked(self, x, u):
        return self._W_rec * self._activation.derivative(x)[..., None, :]

    def invariant_box(self, u=None):
        act = self._activation
        if not act.bounded:
            return None
        u = self.resolve_input(u)
        shift = self._b + (u @ self._W_in.T if self.n_inputs else 0.0)
        W = self._W_rec
        low = np.where(W > 0, W * act.lower, W * act.upper).sum(axis=-1)
        high = np.where(W > 0, W * act.upper, W * act.lower).sum(axis=-1)
        return low + shift, high + shift

    def piecewise_linear_form(self, u=None):
        name = self._activation.name
        if name not in ("relu", "identity"):
            return None
        u = self.resolve_input(u)
        c = self._b + (u @ self._W_in.T if self.n_inputs else 0.0)
        zero = np.zeros_like(self._W_rec)
        if name == "relu":
            return zero, self._W_rec.copy(), c
        return self._W_rec.copy(), zero, c

    # -- parameters ----------------------------------------------------------------------------
    def param_values(self) -> dict[str, float]:
        out: dict[str, float] = {}
        n, m = self._W_in.shape
        for i in range(n):
            for j in range(n):
                out[f"W_rec[{i},{j}]"] = float(self._W_rec[i, j])
        for i in range(n):
            for j in range(m):
                out[f"W_in[{i},{j}]"] = float(self._W_in[i, j])
        for i in range(n):
            out[f"b[{i}]"] = float(self._b[i])
        for j in range(m):
            out[f"u[{j}]"] = float(self._u[j])
        return out

    def _locate(self, name: str) -> tuple[str, tuple[int, ...]] | None:
        parsed = parse_param_name(name)
        if parsed is None:
            return None
        array = getattr(self, "_" + parsed[0])
        if any(i >= s for i, s in zip(parsed[1], array.shape)):
            return None
        return parsed

    def has_param(self, name: str) -> bool:
        return self._locate(name) is not None

    def replace_params(self, updates):
        arrays = {k: np.array(v) for k, v in self.arrays().items()}
        for name, value in updates.items():
            key, index = self._locate(name)
            arrays[key][index] = value
        new = object.__new__(RNN)
        new._activation = self._activation
        new._W_rec, new._W_in, new._b, new._u = (_frozen(arrays[k]) for k in ("W_rec", "W_in",
                                                                               "b", "u"))
        return new

    def param_jacobian_unchecked(self, x, names: Sequence[str], u):
        batch = x.shape[:-1]
        n = self.n_states
        out = np.zeros(batch + (n, len(names)))
        s = None
        for col, name in enumerate(names):
            key, index = self._locate(name)
            if key == "W_rec":
                if s is None:
                    s = self._activation.function(x)
                out[..., index[0], col] = s[..., index[1]]
            elif key == "W_in":
                out[..., index[0], col] = np.broadcast_to(u[..., index[1]], batch)
            elif key == "b":
                out[..., index[0], col] = 1.0
            else:  # "u": only moves the state through W_in
                out[..., :, col] = self._W_in[:, index[0]]
        return out

    def derivatives_along(self, name, u):
        key, index = self._locate(name)
        if key == "u":   # the constant input moves only when no input is given: keep it exact
            return super().derivatives_along(name, u)
        # private copies whose one entry is overwritten per call: no network is built
        arrays = {"W_rec": self._W_rec.copy(), "W_in": self._W_in.copy(), "b": self._b.copy()}
        W, W_in, b = arrays["W_rec"], arrays["W_in"], arrays["b"]
        target = arrays[key]
        sigma, dsigma = self._activation.function, self._activation.derivative
        u_vec = (self._u if u is None else u) if self.n_inputs else None
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
        key, index = self._locate(name)
        delta = np.asarray(values, dtype=np.float64) - float(getattr(self, "_" + key)[index])
        sigma = self._activation.function
        W_rec_t, b = self._W_rec.T, self._b

        def step(x, u):
            shift = delta.reshape(delta.shape + (1,) * (x.ndim - 2))
            s = sigma(x)
            # one 2-D product (BLAS) instead of a stacked matmul over the batch axes
            out = (s.reshape(-1, s.shape[-1]) @ W_rec_t).reshape(s.shape) + b
            if self.n_inputs:
                out = out + u @ self._W_in.T
            if key == "W_rec":
                out[..., index[0]] += shift * s[..., index[1]]
            elif key == "b":
                out[..., index[0]] += shift
            elif key == "W_in":
                out[..., index[0]] += shift * u[..., index[1]]
            else:   # "u[j]" moves the state through the column W_in[:, j]
                out += shift[..., None] * self._W_in[:, index[0]]
            return out

        return step

    # -- families of networks ------------------------------------------------------------------
    def interpolate(self, other: "RNN", s: float) -> "RNN":
        """The network θ(s) = θ_self + s (θ_other − θ_self), e.g. between two checkpoints."""
        check_same_shape(self, other)
        kw = {k: a + s * (other.arrays()[k] - a) for k, a in self.arrays().items()}
        return self.replace(**kw)

    def difference(self, other: "RNN") -> dict[str, np.ndarray]:
        """Δθ = θ_other − θ_self by array name, for paths between two networks."""
        check_same_shape(self, other)
        return {k: other.arrays()[k] - a for k, a in self.arrays().items()}

    def direction_derivative(self, delta: dict[str, np.ndarray], x) -> np.ndarray:
        """∂F/∂s at this network along the direction θ + s Δθ, with ``delta`` = Δθ by array name.

        F is affine in W_rec, b and W_in u, so this is exact:
        ΔW_rec σ(x) + ΔW_in u + W_in Δu + Δb (u is this network's constant input).
        """
        x = np.asarray(x, dtype=np.float64)
        out = self._activation.function(x) @ delta["W_rec"].T + delta["b"]
        if self.n_inputs:
            out = out + delta["W_in"] @ self._u + self._W_in @ delta["u"]
        return out
