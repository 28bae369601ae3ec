r"""Exact backpropagation through time for the RNN of Pascanu et al. (2013), eq. (2).

.. math::

    x_t = W_{rec}\,\sigma(x_{t-1}) + W_{in}\,u_t + b, \qquad
    y_t = W_{out}\,\sigma(x_t) + b_{out}\ \text{(optional readout)}

The loss is :math:`E = \frac{1}{B}\sum_b \sum_{t \in S} m_{t,b}\,L(y^b_t, z^b_t)` with S every
step (``where="all"``) or the last step only (``where="last"``), an optional mask m, and L the
squared error :math:`\sum_i (y_i - z_i)^2` (no factor ½) or the softmax cross-entropy. Without a
readout the output is the hidden state :math:`h_t = \sigma(x_t)` (not the pre-activation
``x_t``); a readout of the pre-activation is not offered.

The backward recursion (total derivative :math:`g_t = \partial E/\partial x_t`, row vectors):

.. math::

    g_t = e_t + (g_{t+1} W_{rec}) \odot \sigma'(x_t), \qquad
    \frac{\partial E}{\partial W_{rec}} = \sum_{t=1}^{T} g_t^\top \sigma(x_{t-1}),

where :math:`e_t = \partial E_t / \partial x_t` is the immediate term. Only the 2T products
``σ(x) @ W_recᵀ`` (forward) and ``g @ W_rec`` (backward) are sequential; everything else is one
large matrix product over all steps and sequences.

References
----------
R. Pascanu, T. Mikolov, Y. Bengio, "On the difficulty of training recurrent neural networks",
ICML 2013, eqs. (2)-(5).
P. J. Werbos, "Backpropagation through time: what it does and how to do it", Proc. IEEE 78 (1990).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .._checks import check_count
from .._signature_checks import checked_arguments
from .._tables import TableSpec, Tabular, compact_repr
from ..errors import (
    InvalidInputError,
    InvalidTypeError,
    NonFiniteError,
    ShapeError,
    UnknownParameterError,
)
from ..model.rnn import RNN
from .forward_pass import (
    ForwardPass,
    activation_and_derivative,
    as_real,
    check_finite,
    float_dtype,
    forward,
    prepare_sequences,
    sequential_product,
)

__all__ = ["Readout", "BPTTResult", "bptt", "LOSSES", "forward", "ForwardPass"]

LOSSES = ("mse", "cross_entropy")
_LOSS_ALIASES = {"mse": "mse", "squared_error": "mse", "se": "mse",
                 "cross_entropy": "cross_entropy", "ce": "cross_entropy",
                 "crossentropy": "cross_entropy", "xent": "cross_entropy"}


@dataclass(frozen=True)
class Readout:
    r"""A linear readout :math:`y_t = W_{out}\,\sigma(x_t) + b_{out}`.

    Attributes
    ----------
    W_out : ndarray, shape (n_outputs, n_units)
    b_out : ndarray, shape (n_outputs,)
    """

    W_out: np.ndarray
    b_out: np.ndarray

    def __post_init__(self):
        W = np.asarray(self.W_out, dtype=np.float64)
        if W.ndim != 2:
            raise ShapeError(f"W_out must be 2-D (n_outputs, n_units), got shape {W.shape}",
                             argument="W_out", expected=("n_outputs", "n_units"), actual=W.shape)
        b = np.zeros(W.shape[0]) if self.b_out is None else np.asarray(self.b_out, dtype=np.float64)
        if b.shape != (W.shape[0],):
            raise ShapeError(f"b_out must have shape ({W.shape[0]},), got {b.shape}",
                             argument="b_out", expected=(W.shape[0],), actual=b.shape)
        if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
            raise NonFiniteError("readout weights contain NaN or inf", argument="readout")
        object.__setattr__(self, "W_out", W)
        object.__setattr__(self, "b_out", b)

    @property
    def n_outputs(self) -> int:
        return self.W_out.shape[0]


@dataclass(frozen=True)
class BPTTResult(Tabular):
    """Loss, gradients and states of one BPTT pass.

    Attributes
    ----------
    loss : float
        E, summed over the selected steps and averaged over the batch.
    grads : dict of str to ndarray
        ∂E/∂θ by array name: ``"W_rec"`` (n, n), ``"W_in"`` (n, m), ``"b"`` (n,), ``"x0"``
        (B, n) or (n,), and with a readout ``"W_out"`` (k, n), ``"b_out"`` (k,).
    states : ndarray, shape (T + 1, B, n) or (T + 1, n)
        The pre-activations x_0 … x_T.
    outputs : ndarray, shape (T_sel, B, k) or (T_sel, k)
        The outputs at the selected steps (T_sel = T for ``where="all"``, 1 for ``"last"``):
        y_t, or the hidden states σ(x_t) without a readout.
    state_grads : ndarray, shape (T, B, n) or (T, n)
        The total derivatives g_t = ∂E/∂x_t for t = 1 … T (what the Ω regulariser needs).
    losses : ndarray, shape (T_sel, B)
        Per-step, per-sequence loss terms (masked, before the batch mean).
    loss_name, where : str
    grad_norm : float
        Euclidean norm of all parameter gradients together (x0 excluded), reduced in float64.
    """

    loss: float
    grads: dict
    states: np.ndarray
    outputs: np.ndarray
    state_grads: np.ndarray
    losses: np.ndarray
    loss_name: str
    where: str
    grad_norm: float
    batched: bool = True
    extra: dict = field(default_factory=dict)

    # the table: one row per scalar parameter, its gradient
    _table_spec = TableSpec(columns=(("parameter", lambda r: list(r.by_param_name())),
                                     ("gradient", lambda r: list(r.by_param_name().values()))))
    __repr__ = compact_repr

    def by_param_name(self) -> dict[str, float]:
        """∂E/∂p for every scalar parameter, named as in ``RNN.params`` (``"W_rec[i,j]"``,
        ``"W_in[i,j]"``, ``"b[i]"``) plus ``"W_out[i,j]"`` and ``"b_out[i]"`` with a readout."""
        out: dict[str, float] = {}
        for key in ("W_rec", "W_in", "b", "W_out", "b_out"):
            if key not in self.grads:
                continue
            g = np.asarray(self.grads[key])
            for idx in np.ndindex(g.shape):
                out[f"{key}[{','.join(str(i) for i in idx)}]"] = float(g[idx])
        return out


def _canonical_loss(loss) -> str:
    if not isinstance(loss, str):
        raise InvalidTypeError(f"loss must be a name, got {type(loss).__name__}", argument="loss",
                               value=loss)
    key = _LOSS_ALIASES.get(loss.lower())
    if key is None:
        raise UnknownParameterError(f"unknown loss {loss!r}; valid: {', '.join(LOSSES)}",
                                    argument="loss", value=loss, valid=LOSSES)
    return key


def as_readout(readout) -> Readout | None:
    """A :class:`Readout` from None, a Readout or a dict with ``W_out`` (and ``b_out``)."""
    if readout is None or isinstance(readout, Readout):
        return readout
    if isinstance(readout, Mapping):
        if "W_out" not in readout:
            raise InvalidInputError(f"readout given as a dict needs the key 'W_out' (and "
                                    f"optionally 'b_out'), got the keys {sorted(readout)}",
                                    argument="readout", value=readout)
        return Readout(readout["W_out"], _bias_or_zeros(readout["W_out"], readout.get("b_out")))
    if isinstance(readout, (tuple, list)) and len(readout) == 2:
        return Readout(readout[0], readout[1])
    W = np.asarray(readout)
    if W.ndim == 2:
        return Readout(W, np.zeros(W.shape[0]))
    raise InvalidTypeError("readout must be a Readout, (W_out, b_out), a dict or a matrix, got "
                           f"{type(readout).__name__}", argument="readout", value=readout)


def _bias_or_zeros(W_out, b_out) -> np.ndarray:
    """``b_out``, or no bias (zeros, one per row of ``W_out``) when it is None; Readout checks
    both shapes."""
    if b_out is not None:
        return b_out
    try:
        return np.zeros(np.shape(W_out)[:1])
    except ValueError:      # a ragged W_out: Readout reports it
        return np.zeros(0)


def _softmax(Y):
    Z = Y - Y.max(axis=-1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=-1, keepdims=True)
    return Z


def _prepare_targets(targets, loss, where, T_sel, B, k, batched, dtype):
    """Targets as (T_sel, B, k) floats (soft/one-hot for CE) or (T_sel, B) class labels."""
    z = as_real(targets, "targets")
    if not batched:
        is_labels = loss == "cross_entropy" and np.issubdtype(z.dtype, np.integer)
        z = z[..., None] if is_labels else z[..., None, :] if z.ndim else z
    if where == "last":
        z = z[None]
    if loss == "cross_entropy" and np.issubdtype(z.dtype, np.integer):
        if z.shape != (T_sel, B):
            shape = (T_sel, B) if where == 'all' else (B,)
            raise ShapeError(f"class-label targets must have shape {shape}"
                             f", got {np.shape(targets)}", argument="targets",
                             expected=(T_sel, B), actual=np.shape(targets))
        if z.size and (z.min() < 0 or z.max() >= k):
            raise InvalidInputError(f"targets: class labels must lie in [0, {k}), got range "
                                    f"[{z.min()}, {z.max()}]", argument="targets",
                                    value=(int(z.min()), int(z.max())))
        return z, True
    z = np.asarray(z, dtype=dtype)
    if z.shape != (T_sel, B, k):
        exp = (T_sel, B, k) if where == "all" else (B, k)
        if not batched:
            exp = exp[:-2] + (k,) if where == "all" else (k,)
        raise ShapeError(f"targets must have shape {exp} (where={where!r}, {k} outputs), got "
                         f"{np.shape(targets)}", argument="targets", expected=exp,
                         actual=np.shape(targets))
    check_finite(z, "targets")
    return z, False


@checked_arguments
def bptt(net: RNN, x0, inputs, targets, loss: str = "mse", *, readout=None,
         where: Literal["all", "last"] = "all", mask=None, n_steps: int | None = None,
         dtype=np.float64, exact_tanh: bool = False,
         column_block: int | Literal["auto"] | None = None) -> BPTTResult:
    r"""Loss and exact gradients of eq. (2) by backpropagation through time.

    .. math::

        E = \frac{1}{B}\sum_{b=1}^{B}\sum_{t\in S} m_{t,b}\, L(y^b_t, z^b_t),\qquad
        \frac{\partial E}{\partial \theta} = \sum_t\sum_{k\le t}
        \frac{\partial E_t}{\partial x_t}\frac{\partial x_t}{\partial x_k}
        \frac{\partial^+ x_k}{\partial\theta}

    Parameters
    ----------
    net : RNN
    x0 : array_like, shape (B, n_units) or (n_units,)
        Initial pre-activation states (one per sequence). Unbatched input gives unbatched output.
    inputs : array_like, shape (T, B, n_inputs) or (T, n_inputs), or None
        None runs the network with its constant input ``net.u`` for ``n_steps`` steps.
    targets : array_like
        ``where="all"``: shape (T, B, k); ``where="last"``: (B, k). For cross-entropy also integer
        class labels of shape (T, B) or (B,). (Drop the B axis for an unbatched x0.)
    loss : {"mse", "cross_entropy"}
        ``"mse"`` is the squared error :math:`\sum_i (y_i - z_i)^2` without ½ (so the Fig. 6 loss
        :math:`(\sigma(x_{50}) - 0.7)^2` is ``where="last"``); ``"cross_entropy"`` is
        :math:`-\sum_i z_i \log\mathrm{softmax}(y)_i`.
    readout : Readout or (W_out, b_out), optional
        Linear readout :math:`y_t = W_{out}\sigma(x_t) + b_{out}`; without it
        :math:`y_t = \sigma(x_t)`.
    where : {"all", "last"}
        Loss at every step or at the last step only.
    mask : array_like, shape (T_sel, B) or (T_sel,) unbatched, optional
        Non-negative weights of the per-step losses (0 drops a step).
    n_steps : int, optional
        Number of steps when ``inputs`` is None.
    dtype : numpy dtype
        float64 (default) or float32 arithmetic.
    exact_tanh : bool
        For tanh in float64 the forward pass computes tanh(x) = 1 − 2/(exp(2x) + 1), about twice
        as fast as ``np.tanh`` with an absolute error below 5e-16; True uses ``np.tanh``.
    column_block : int, "auto" or None
        Split the 2T sequential products ``(B, n) @ (n, n)`` into blocks of this many columns
        ("auto": blocks small enough for OpenBLAS to run each on one thread). Leave None on an
        idle machine (BLAS threads help); use "auto" when the cores are oversubscribed, where
        waking the BLAS thread pool at every step costs more than the product itself.

    Returns
    -------
    BPTTResult

    Raises
    ------
    ShapeError, NonFiniteError, UnknownParameterError (unknown ``loss``), InvalidTypeError

    References
    ----------
    Pascanu, Mikolov, Bengio (2013), eqs. (2)-(5); Werbos (1990).

    Examples
    --------
    >>> import numpy as np, dynrnn as dr
    >>> net = dr.RNN([[5.0]], b=[-2.5], activation="sigmoid")
    >>> r = dr.bptt(net, [0.5], None, [0.7], where="last", n_steps=50)
    >>> sorted(r.grads)
    ['W_in', 'W_rec', 'b', 'x0']
    """
    loss_name = _canonical_loss(loss)
    if where not in ("all", "last"):
        raise InvalidInputError(f"where must be 'all' or 'last', got {where!r}", argument="where",
                                value=where)
    dtype = float_dtype(dtype)
    ro = as_readout(readout)
    if ro is not None and ro.W_out.shape[1] != net.n_units:
        raise ShapeError(f"readout W_out must have {net.n_units} columns to match the net, got "
                         f"{ro.W_out.shape}", argument="readout",
                         expected=("n_outputs", net.n_units), actual=ro.W_out.shape)
    x0b, U, batched = prepare_sequences(net, x0, inputs, n_steps, dtype)
    T, B, m = U.shape
    n = net.n_units
    k = ro.n_outputs if ro is not None else n
    T_sel = T if where == "all" else 1
    z, labels = _prepare_targets(targets, loss_name, where, T_sel, B, k, batched, dtype)
    mk = _prepare_mask(mask, where, T_sel, B, batched, dtype)
    block = _column_block(column_block, B, n)
    fp = forward(net, x0b, U, dtype, exact_tanh, block)
    X, H = fp.X, fp.H
    Hsel = H[1:] if where == "all" else H[T:]  # (T_sel, B, n)

    # Outputs and dE/dy (T_sel, B, k); the batch mean is folded into dE/dy.
    if ro is not None:
        W_out = ro.W_out.astype(dtype)
        Y = (Hsel.reshape(T_sel * B, n) @ W_out.T).reshape(T_sel, B, k) + ro.b_out.astype(dtype)
    else:
        Y = Hsel
    per, dY = _loss_and_output_gradient(Y, z, labels, loss_name, dtype)
    if mk is not None:
        per = per * mk
        dY = dY * mk[..., None]
    dY *= 1.0 / B
    loss_value = float(per.sum(dtype=np.float64) / B)

    # Immediate terms e_t = dE/dh_t * σ'(x_t), written into the buffer that becomes g_t.
    D = activation_and_derivative(net.activation, X, H)  # (T+1, B, n)
    dH = dY @ W_out if ro is not None else dY
    if where == "all":
        G = np.multiply(dH, D[1:], out=dH if dH is not Y else None)
    else:
        G = np.zeros((T, B, n), dtype=dtype)
        np.multiply(dH[0], D[T], out=G[T - 1])
    W_rec = np.ascontiguousarray(net.W_rec, dtype=dtype)
    _accumulate_backwards(G, D, W_rec, block)
    g0 = (G[0] @ W_rec) * D[0]

    Gf = G.reshape(T * B, n)
    grads = {"W_rec": Gf.T @ H[:-1].reshape(T * B, n),
             "W_in": Gf.T @ U.reshape(T * B, m) if m else np.zeros((n, 0), dtype=dtype),
             "b": Gf.sum(axis=0)}
    if ro is not None:
        grads["W_out"] = dY.reshape(T_sel * B, k).T @ Hsel.reshape(T_sel * B, n)
        grads["b_out"] = dY.reshape(T_sel * B, k).sum(axis=0)
    gnorm = float(np.sqrt(sum(np.sum(np.square(g, dtype=np.float64)) for g in grads.values())))
    grads["x0"] = g0 if batched else g0[0]

    outputs = Y
    if not batched:
        return BPTTResult(loss_value, grads, X[:, 0], outputs[:, 0], G[:, 0], per[:, 0], loss_name,
                          where, gnorm, batched=False)
    return BPTTResult(loss_value, grads, X, outputs, G, per, loss_name, where, gnorm, batched=True)


def _prepare_mask(mask, where: str, T_sel: int, B: int, batched: bool,
                  dtype) -> np.ndarray | None:
    """The per-step loss weights as an array (T_sel, B), or None without a mask."""
    if mask is None:
        return None
    mk = as_real(mask, "mask", dtype)
    if not batched:
        mk = mk[..., None]
    if where == "last" and mk.ndim == 1:
        mk = mk[None]
    if mk.shape != (T_sel, B):
        raise ShapeError(f"mask must have shape {(T_sel, B)}, got {np.shape(mask)}",
                         argument="mask", expected=(T_sel, B), actual=np.shape(mask))
    check_finite(mk, "mask")
    if np.any(mk < 0):
        raise InvalidInputError("mask must hold non-negative weights (0 drops a step), got "
                                f"a minimum of {float(mk.min())}", argument="mask",
                                value=float(mk.min()))
    return mk


def _column_block(column_block, B: int, n: int) -> int | None:
    """The number of columns per block of the sequential products (None: one product)."""
    if column_block is None:
        return None
    if isinstance(column_block, str) and column_block == "auto":
        # OpenBLAS runs a product single-threaded below M·N·K = 4·65536.
        return max(1, (4 * 65536) // (B * n))
    # a negative block made empty column slices (a wrong loss), a float a raw TypeError
    return check_count(column_block, "column_block", 1)


def _loss_and_output_gradient(Y: np.ndarray, z: np.ndarray, labels: bool, loss_name: str,
                              dtype) -> tuple[np.ndarray, np.ndarray]:
    """Per-step losses (T_sel, B) and dE/dy (T_sel, B, k), before the mask and batch mean."""
    if loss_name == "mse":
        R = np.subtract(Y, z)
        per = np.einsum("tbk,tbk->tb", R, R)
        dY = R
        dY *= 2.0
        return per, dY
    P = _softmax(np.array(Y, dtype=dtype))
    Ymax = Y.max(axis=-1, keepdims=True)
    logZ = np.log(np.exp(Y - Ymax).sum(axis=-1, keepdims=True)) + Ymax
    if labels:
        per = (logZ[..., 0] - np.take_along_axis(Y, z[..., None], axis=-1)[..., 0])
        dY = P
        np.put_along_axis(dY, z[..., None],
                          np.take_along_axis(dY, z[..., None], axis=-1) - 1.0, axis=-1)
    else:
        zsum = z.sum(axis=-1)
        per = zsum * logZ[..., 0] - np.einsum("tbk,tbk->tb", z, Y)
        dY = P * zsum[..., None] - z
    return per, dY


def _accumulate_backwards(G: np.ndarray, D: np.ndarray, W_rec: np.ndarray,
                          column_block: int | None) -> None:
    """g_t = e_t + (g_{t+1} W_rec) σ'(x_t) in place, from the last step back (G (T, B, n) holds
    the immediate terms e_t on entry; G[t] is g_{t+1})."""
    T, B, n = G.shape
    product = sequential_product(W_rec, B, column_block)
    tmp = np.empty((B, n), dtype=G.dtype)
    for t in range(T - 2, -1, -1):  # G[t] holds g_{t+1}
        product(G[t + 1], tmp)
        tmp *= D[t + 1]
        G[t] += tmp
