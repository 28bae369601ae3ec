r"""The forward pass of the RNN of Pascanu et al. (2013), eq. (2), for a batch of sequences:
checked sequences, σ and σ' in place, and the sequential products (optionally in column blocks
that keep OpenBLAS on one thread).

.. math::

    x_0 = x_0,\qquad x_t = W_{rec}\,\sigma(x_{t-1}) + W_{in}\,u_t + b
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidInputError, InvalidTypeError, NonFiniteError, ShapeError
from ..model.rnn import RNN

__all__ = ["ForwardPass", "forward", "prepare_sequences", "activation_and_derivative",
           "float_dtype", "as_real", "check_finite", "sequential_product"]


@dataclass(frozen=True)
class ForwardPass:
    """Internal forward pass: pre-activations X (T+1, B, n), hidden H, inputs U (T, B, m)."""

    X: np.ndarray
    H: np.ndarray
    U: np.ndarray


def as_real(value, argument: str, dtype=None) -> np.ndarray:
    """``value`` as a real array (of ``dtype`` if given), or a dynrnn error naming the argument:
    numpy would drop an imaginary part with only a warning and raise a bare error on text."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise InvalidTypeError(f"{argument} is not a rectangular numeric array: {exc}",
                               argument=argument, value=value) from None
    if arr.dtype.kind == "c":
        raise InvalidTypeError(f"{argument} must be real, got complex values {value!r:.60}",
                               argument=argument, value=value)
    if dtype is None and arr.dtype.kind in "fiub":
        return arr
    try:
        if arr.dtype.kind in "USVM":
            raise TypeError(arr.dtype)
        return arr.astype(dtype if dtype is not None else np.float64)
    except (TypeError, ValueError):
        raise InvalidTypeError(f"{argument} must be numeric, got {arr.dtype} {value!r:.60}",
                               argument=argument, value=value) from None


def check_finite(a: np.ndarray, argument: str) -> None:
    if not np.all(np.isfinite(a)):
        raise NonFiniteError(f"{argument} contains NaN or inf (first at index "
                             f"{tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])})",
                             argument=argument)


def prepare_sequences(net, x0, inputs, n_steps, dtype):
    """Validate and batch x0 (B, n) and inputs (T, B, m); return them and whether batched."""
    if not isinstance(net, RNN):
        raise InvalidTypeError(f"net must be a dynrnn.RNN, got {type(net).__name__}",
                               argument="net", value=net)
    n, m = net.n_units, net.n_inputs
    x0 = as_real(x0, "x0", dtype)
    if x0.ndim == 1:
        batched = False
        x0b = x0[None, :]
    elif x0.ndim == 2:
        batched = True
        x0b = x0
    else:
        raise ShapeError(f"x0 must have shape (n_units,) or (batch, n_units), got {x0.shape}",
                         argument="x0", expected=("batch", n), actual=x0.shape)
    if x0b.shape[-1] != n:
        raise ShapeError(f"x0 has {x0b.shape[-1]} units but the net has {n}", argument="x0",
                         expected=("batch", n), actual=x0.shape)
    check_finite(x0b, "x0")
    B = x0b.shape[0]
    if inputs is None:
        if n_steps is None:
            raise InvalidInputError("give inputs or n_steps", argument="n_steps", value=None)
        T = int(n_steps)
        if T < 1:
            raise InvalidInputError(f"n_steps must be >= 1, got {n_steps}", argument="n_steps",
                                    value=n_steps)
        U = np.broadcast_to(net.u.astype(dtype), (T, B, m))
    else:
        U = as_real(inputs, "inputs", dtype)
        if not batched:
            if U.ndim != 2:
                raise ShapeError(f"inputs must have shape (T, n_inputs) for an unbatched x0, got "
                                 f"{U.shape}", argument="inputs", expected=("T", m),
                                 actual=U.shape)
            U = U[:, None, :]
        if U.ndim != 3 or U.shape[1:] != (B, m):
            raise ShapeError(f"inputs must have shape (T, {B}, {m}) to match x0 and W_in, got "
                             f"{np.shape(inputs)}", argument="inputs", expected=("T", B, m),
                             actual=np.shape(inputs))
        if n_steps is not None and int(n_steps) != U.shape[0]:
            raise ShapeError(f"n_steps={n_steps} disagrees with inputs of length {U.shape[0]}",
                             argument="n_steps", expected=U.shape[0], actual=n_steps)
        if U.shape[0] < 1:
            raise ShapeError("inputs must have at least one step", argument="inputs",
                             expected=("T>=1", B, m), actual=U.shape)
        check_finite(U, "inputs")
    return x0b, U, batched


def activation_and_derivative(act, X, H, out=None):
    """σ'(X) reusing σ(X) = H where the closed form allows (tanh, sigmoid)."""
    name = act.name
    if name == "tanh":
        D = np.multiply(H, H, out=out)
        np.subtract(1.0, D, out=D)
        return D
    if name == "sigmoid":
        D = np.multiply(H, H, out=out)
        np.subtract(H, D, out=D)
        return D
    if name == "relu":
        D = np.empty_like(X) if out is None else out
        np.greater(X, 0, out=D, casting="unsafe")
        return D
    if name == "identity":
        if out is None:
            return np.ones_like(X)
        out.fill(1.0)
        return out
    D = np.asarray(act.derivative(X), dtype=X.dtype)
    if out is not None:
        out[...] = D
        return out
    return D


def _tanh_via_exp(X, out):
    """tanh(x) = 1 − 2/(exp(2x) + 1): about twice as fast as np.tanh for float64 (exp is
    vectorised, tanh is not), absolute error below 5e-16 (so relative accuracy is lost only where
    |tanh(x)| is itself below ~1e-6, far under the rounding of the next matrix product)."""
    np.multiply(X, 2.0, out=out)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1.0
    np.divide(-2.0, out, out=out)
    out += 1.0
    return out


def _apply_activation(act, X, out, exact=True):
    name = act.name
    if name == "tanh":
        if not exact and X.dtype == np.float64:
            return _tanh_via_exp(X, out)
        return np.tanh(X, out=out)
    if name == "relu":
        return np.maximum(X, 0.0, out=out)
    out[...] = act.function(X)
    return out


def sequential_product(M: np.ndarray, batch: int, column_block: int | None):
    """``f(a, out)`` computing ``out = a @ M`` for a of shape (batch, n).

    With ``column_block`` the product is done block of columns by block of columns, each small
    enough that OpenBLAS runs it on one thread: slower on an idle machine, but it avoids waking the
    BLAS thread pool 2T times, which dominates when the cores are oversubscribed.
    """
    if not column_block or column_block >= M.shape[1]:
        return lambda a, out: np.matmul(a, M, out=out)
    slices = [slice(j, min(j + column_block, M.shape[1])) for j in range(0, M.shape[1],
                                                                         column_block)]
    blocks = [np.ascontiguousarray(M[:, sl]) for sl in slices]
    buffers = [np.empty((batch, sl.stop - sl.start), dtype=M.dtype) for sl in slices]

    def product(a, out):
        for sl, Mb, buf in zip(slices, blocks, buffers):
            np.matmul(a, Mb, out=buf)
            out[:, sl] = buf
        return out
    return product


def forward(net: RNN, x0b: np.ndarray, U: np.ndarray, dtype=np.float64,
            exact_tanh: bool = True, column_block: int | None = None) -> ForwardPass:
    """Run eq. (2) for all sequences at once.

    X[0] = x0, X[t] = W_rec σ(X[t-1]) + W_in U[t-1] + b.
    """
    T, B, m = U.shape
    n = net.n_units
    act = net.activation
    W_rec_T = np.ascontiguousarray(net.W_rec.T, dtype=dtype)
    product = sequential_product(W_rec_T, B, column_block)
    X = np.empty((T + 1, B, n), dtype=dtype)
    H = np.empty((T + 1, B, n), dtype=dtype)
    X[0] = x0b
    # The input drive is not sequential: one product over all steps.
    if m:
        np.matmul(U.reshape(T * B, m), net.W_in.T.astype(dtype), out=X[1:].reshape(T * B, n))
        X[1:] += net.b.astype(dtype)
    else:
        X[1:] = net.b.astype(dtype)
    tmp = np.empty((B, n), dtype=dtype)
    if act.name == "sigmoid":
        from scipy.special import expit
        for t in range(1, T + 1):
            expit(X[t - 1], out=H[t - 1])
            product(H[t - 1], tmp)
            X[t] += tmp
        expit(X[T], out=H[T])
    else:
        for t in range(1, T + 1):
            _apply_activation(act, X[t - 1], H[t - 1], exact_tanh)
            product(H[t - 1], tmp)
            X[t] += tmp
        _apply_activation(act, X[T], H[T], exact_tanh)
    return ForwardPass(X, H, U)


def float_dtype(dtype) -> np.dtype:
    """``dtype`` as float32 or float64, or a dynrnn error naming the argument."""
    try:
        dtype = np.dtype(dtype)
    except (TypeError, ValueError):
        raise InvalidTypeError(f"dtype must be float32 or float64, got {dtype!r:.60}",
                               argument="dtype", value=dtype) from None
    if dtype not in (np.float32, np.float64):
        raise InvalidInputError(f"dtype must be float32 or float64, got {dtype}", argument="dtype",
                                value=dtype)
    return dtype
