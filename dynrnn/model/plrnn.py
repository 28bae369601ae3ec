r"""Piecewise-linear recurrent networks, :math:`z_t = A z_{t-1} + W \mathrm{relu}(z_{t-1}) + h`.

On each region of constant activation pattern (the set of units with :math:`z_i > 0`) the map is
affine, so its fixed points and k-cycles solve linear systems (Durstewitz 2017; Eisenmann et al.
2023). :meth:`PLRNN.piecewise_linear_form` exposes ``(A, W, c)`` for those solvers.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import final

import numpy as np

from ..errors import InvalidInputError, ShapeError
from ._arrays import ArrayNetwork, matrix_with_rows, vector
from .activations import get_activation
from .base import as_finite_array
from .rnn import RNN

__all__ = ["PLRNN"]

_RELU = get_activation("relu")


def _diagonal(A) -> np.ndarray:
    A = as_finite_array(A, "A")
    if A.ndim == 1 and A.shape[0] > 0:
        return A
    if A.ndim == 2 and A.shape[0] == A.shape[1] and A.shape[0] > 0:
        off = A - np.diag(np.diag(A))
        if np.any(off != 0):
            i, j = np.argwhere(off != 0)[0]
            raise InvalidInputError(
                f"A must be diagonal (a vector of its diagonal entries or a diagonal matrix); "
                f"got A[{i},{j}] = {A[i, j]!r}. Put couplings between units into W",
                argument="A", value=A)
        return np.diag(A).copy()
    raise ShapeError(f"A must be a vector (n_units,) or a diagonal matrix (n_units, n_units), "
                     f"got shape {A.shape}", argument="A", expected=("n_units",),
                     actual=A.shape)


@final
class PLRNN(ArrayNetwork):
    r"""A piecewise-linear recurrent network (PLRNN).

    .. math::

        z_t = A\,z_{t-1} + W\,\mathrm{relu}(z_{t-1}) + h + C\,u_t

    with :math:`A` diagonal. The state Jacobian is
    :math:`A + W\,\mathrm{diag}(\mathbb{1}[z > 0])` (ReLU' (0) = 0, as in PyTorch).

    Parameters
    ----------
    A : array_like, shape (n_units,) or (n_units, n_units)
        The diagonal of A, or A itself (which must then be diagonal).
    W : array_like, shape (n_units, n_units)
        Weights of the rectified units (often with zero diagonal, not required here).
    h : array_like, shape (n_units,), optional
        Bias; zeros by default.
    C : array_like, shape (n_units, n_inputs), optional
        Input weights; without them the network is autonomous.
    u : array_like, shape (n_inputs,), optional
        The constant input used when none is given (parameters ``"u[j]"``).

    Notes
    -----
    Scalar parameters are named ``"A[i]"``, ``"W[i,j]"``, ``"h[i]"``, ``"C[i,j]"``, ``"u[j]"``.
    ``"u[j]"`` is the constant input used when none is given; ``param_jacobian`` reports for it
    the derivative with respect to input j at the input in use.
    A ReLU :class:`~dynrnn.RNN` (x' = W_rec relu(x) + W_in u + b) is the PLRNN with A = 0
    (:meth:`from_rnn`).

    References
    ----------
    D. Durstewitz, "A state space approach for piecewise-linear recurrent neural networks for
    identifying computational dynamics from neural measurements", PLoS Comput. Biol. 13 (2017).
    L. Eisenmann, Z. Monfared, N. Göring, D. Durstewitz, "Bifurcations and loss jumps in RNN
    training", NeurIPS 2023.

    Examples
    --------
    >>> import dynrnn as dr
    >>> net = dr.PLRNN([0.5, 0.2], [[0.0, 1.0], [-1.0, 0.0]], h=[0.1, 0.0])
    >>> net.step([1.0, -1.0])
    array([ 0.6, -1.2])
    """

    ARRAYS = ("A", "W", "h", "C", "u")
    RECURRENT_ARRAY = "W"

    def __init__(self, A, W, h=None, C=None, u=None):
        A = _diagonal(A)
        n = A.shape[0]
        W = as_finite_array(W, "W")
        if W.shape != (n, n):
            raise ShapeError(f"W must have shape ({n}, {n}) to match A, got {W.shape}",
                             argument="W", expected=(n, n), actual=W.shape)
        h = vector(h, n, "h", "A")
        C = matrix_with_rows(C, n, "C", "A")
        u = vector(u, C.shape[1], "u", "C")
        self.store_arrays({"A": A, "W": W, "h": h, "C": C, "u": u})

    @classmethod
    def from_rnn(cls, net) -> PLRNN:
        """The PLRNN (A = 0) equal to a ReLU :class:`~dynrnn.RNN`."""
        if not isinstance(net, RNN) or net.activation.name != "relu":
            raise InvalidInputError("from_rnn needs an RNN with activation 'relu', got "
                                    f"{net!r}", argument="net", value=net)
        return cls(np.zeros(net.n_units), net.W_rec, net.b, net.W_in, net.u)

    # -- attributes ----------------------------------------------------------------------------
    @property
    def A(self) -> np.ndarray:
        """The diagonal of A, shape (n_units,)."""
        return self._arrays["A"]

    @property
    def W(self) -> np.ndarray:
        return self._arrays["W"]

    @property
    def h(self) -> np.ndarray:
        return self._arrays["h"]

    @property
    def C(self) -> np.ndarray:
        return self._arrays["C"]

    @property
    def u(self) -> np.ndarray:
        return self._arrays["u"]

    @property
    def activation(self):
        """ReLU (the only activation a PLRNN has)."""
        return _RELU

    @property
    def n_states(self) -> int:
        return self.A.shape[0]

    @property
    def n_units(self) -> int:
        return self.A.shape[0]

    @property
    def n_inputs(self) -> int:
        return self.C.shape[1]

    def __repr__(self) -> str:
        return f"PLRNN(n_units={self.n_units}, n_inputs={self.n_inputs})"

    def direction_derivative(self, delta: Mapping[str, np.ndarray], z) -> np.ndarray:
        """∂F/∂s along θ + s Δθ at this network: ΔA z + ΔW relu(z) + Δh + ΔC u + C Δu (exact:
        F is affine in the parameters), u this network's constant input."""
        z = np.asarray(z, dtype=np.float64)
        out = delta["A"] * z + np.maximum(z, 0.0) @ delta["W"].T + delta["h"]
        if self.n_inputs:
            out = out + delta["C"] @ self.u + self.C @ delta["u"]
        return out

    # -- the map -------------------------------------------------------------------------------
    def constant_input(self) -> np.ndarray:
        return self.u

    def _offset(self, u):
        return self.h + (u @ self.C.T if self.n_inputs else 0.0)

    def step_unchecked(self, x, u):
        return self.A * x + np.maximum(x, 0.0) @ self.W.T + self._offset(u)

    def jacobian_unchecked(self, x, u):
        J = self.W * (x > 0)[..., None, :]
        idx = np.arange(self.n_states)
        J[..., idx, idx] += self.A
        return J

    def compiled_kernel(self):
        from .kernels import network_kernel
        return network_kernel("PLRNN", "relu", self.W, self.C, self.h, self.A)

    def piecewise_linear_form(self, u=None):
        """``(diag(A), W, h + C u)``: F(z) = diag(A) z + W relu(z) + (h + C u)."""
        u = self.resolve_input(u)
        return np.diag(self.A), self.W.copy(), np.array(self._offset(u), dtype=np.float64)

    # -- parameters ----------------------------------------------------------------------------
    def stepper_over_param(self, name, values):
        # F is affine in every named parameter (A, W, h, C, u): with δ = values − θ,
        # F(z; θ + δ) = F(z; θ) + δ ∂F/∂θ(z) exactly, one batched step for the whole sweep
        key, index = self._arrays.entry(name)
        delta = np.asarray(values, dtype=np.float64) - float(self._arrays[key][index])

        def step(x, u):
            shift = delta.reshape(delta.shape + (1,) * (x.ndim - 1))
            return (self.step_unchecked(x, u)
                    + shift * self.param_jacobian_unchecked(x, [name], u)[..., 0])

        return step

    def param_jacobian_unchecked(self, x, names: Sequence[str], u):
        batch = x.shape[:-1]
        out = np.zeros(batch + (self.n_states, len(names)))
        r = None
        for col, name in enumerate(names):
            key, index = self._arrays.entry(name)
            i = index[0]
            if key == "A":
                out[..., i, col] = x[..., i]
            elif key == "W":
                if r is None:
                    r = np.maximum(x, 0.0)
                out[..., i, col] = r[..., index[1]]
            elif key == "h":
                out[..., i, col] = 1.0
            elif key == "C":
                out[..., i, col] = np.broadcast_to(u[..., index[1]], batch)
            else:  # "u": the constant input enters through C
                out[..., :, col] = self.C[:, i]
        return out
