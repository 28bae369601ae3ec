r"""Analytic second and third derivatives of the gated cells (GRU, LSTM, Elman stacks).

The normal-form coefficients of :mod:`dynrnn.analysis.normal_forms` need the multilinear forms

.. math:: B(v, w) = D^2F(x)[v, w], \qquad C(v, w, y) = D^3F(x)[v, w, y].

For a gated cell F is built from affine maps, elementwise σ and tanh of the gate
pre-activations, and elementwise products of gates (:math:`r \odot (W_{hn}h + b_{hn})`,
:math:`z \odot h`, :math:`f \odot c`, :math:`i \odot g`, :math:`o \odot \tanh c'`). Along a
line :math:`x + t d` every intermediate quantity is a cubic Taylor polynomial
:math:`a_0 + a_1 t + a_2 t^2 + a_3 t^3`, propagated exactly:

* affine maps act on each coefficient (the bias on :math:`a_0` only);
* an elementwise :math:`\varphi` gives
  :math:`(\varphi(a_0),\ \varphi' a_1,\ \varphi' a_2 + \tfrac12\varphi'' a_1^2,\
  \varphi' a_3 + \varphi'' a_1 a_2 + \tfrac16\varphi''' a_1^3)` with
  :math:`\sigma' = \sigma(1-\sigma)`, :math:`\sigma'' = \sigma'(1-2\sigma)`,
  :math:`\sigma''' = \sigma'(1 - 6\sigma')` and :math:`\tanh' = 1-\tanh^2`,
  :math:`\tanh'' = -2\tanh\tanh'`, :math:`\tanh''' = -2\tanh'(1 - 3\tanh^2)`;
* a product of gates is the truncated Cauchy product :math:`c_k = \sum_{i+j=k} a_i b_j`.

The output's coefficients are :math:`F(x)`, :math:`J d`, :math:`\tfrac12 B(d, d)` and
:math:`\tfrac16 C(d, d, d)`; the mixed forms follow exactly by polarisation,

.. math::

    B(v, w) = \tfrac14\,[Q(v + w) - Q(v - w)], \qquad
    C(v, w, y) = \tfrac1{24} \textstyle\sum_{\beta, \gamma = \pm1} \beta\gamma\,
    P(v + \beta w + \gamma y),

with :math:`Q(d) = B(d, d)` and :math:`P(d) = C(d, d, d)` (valid for complex vectors too:
the forms are complex-bilinear and -trilinear). Stacked layers pass their new hidden state's
polynomial on as the next layer's input.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .gated import GatedNetwork

__all__ = ["gated_multilinear_forms"]


def _sigmoid_derivatives(a):
    s = 0.5 * (1.0 + np.tanh(0.5 * a))
    d1 = s * (1.0 - s)
    return s, d1, d1 * (1.0 - 2.0 * s), d1 * (1.0 - 6.0 * d1)


def _tanh_derivatives(a):
    t = np.tanh(a)
    d1 = 1.0 - t * t
    return t, d1, -2.0 * t * d1, -2.0 * d1 * (1.0 - 3.0 * t * t)


def _apply(derivatives: Callable, a: list) -> list:
    """φ of a cubic Taylor polynomial ``a`` (a list of 4 coefficient arrays)."""
    f0, d1, d2, d3 = derivatives(a[0].real)
    return [f0 + 0 * a[0], d1 * a[1], d1 * a[2] + 0.5 * d2 * a[1] ** 2,
            d1 * a[3] + d2 * a[1] * a[2] + d3 * a[1] ** 3 / 6.0]


def _mul(a: list, b: list) -> list:
    return [sum(a[i] * b[k - i] for i in range(k + 1)) for k in range(4)]


def _add(a: list, b: list) -> list:
    return [x + y for x, y in zip(a, b)]


def _affine(W: np.ndarray, bias: np.ndarray, a: list | None, like) -> list:
    """W a + bias for a polynomial input ``a`` (None: no input, just the bias), batched over
    the leading axes of the coefficients."""
    if a is None or W.shape[1] == 0:
        zero = np.zeros(like.shape[:-1] + (W.shape[0],), dtype=like.dtype)
        return [bias + zero, zero, zero, zero]
    return [a[0] @ W.T + bias] + [a[k] @ W.T for k in range(1, 4)]


def _gru_cell(W_ih, W_hh, b_ih, b_hh, h: list, v: list | None) -> list:
    H = W_hh.shape[1]
    gi = _affine(W_ih, b_ih, v, h[0])
    gh = _affine(W_hh, b_hh, h, h[0])

    def part(p, k):
        return [c[..., k * H:(k + 1) * H] for c in p]

    r = _apply(_sigmoid_derivatives, _add(part(gi, 0), part(gh, 0)))
    z = _apply(_sigmoid_derivatives, _add(part(gi, 1), part(gh, 1)))
    n = _apply(_tanh_derivatives, _add(part(gi, 2), _mul(r, part(gh, 2))))
    # h' = n + z (h − n)
    return _add(n, _mul(z, [hk - nk for hk, nk in zip(h, n)]))


def _lstm_cell(W_ih, W_hh, b_ih, b_hh, local: list, v: list | None) -> list:
    H = W_hh.shape[1]
    h, c = [p[..., :H] for p in local], [p[..., H:] for p in local]
    a = _add(_affine(W_ih, b_ih, v, h[0]), _affine(W_hh, b_hh, h, h[0]))

    def part(k):
        return [p[..., k * H:(k + 1) * H] for p in a]

    i, f = _apply(_sigmoid_derivatives, part(0)), _apply(_sigmoid_derivatives, part(1))
    g, o = _apply(_tanh_derivatives, part(2)), _apply(_sigmoid_derivatives, part(3))
    c_new = _add(_mul(f, c), _mul(i, g))
    h_new = _mul(o, _apply(_tanh_derivatives, c_new))
    return [np.concatenate([hk, ck], axis=-1) for hk, ck in zip(h_new, c_new)]


def _elman_cell(activation, W_ih, W_hh, b_ih, b_hh, h: list, v: list | None) -> list:
    def derivatives(x):
        return (activation.function(x), activation.derivative(x),
                activation.second_derivative(x), activation.third_derivative(x))

    return _apply(derivatives, _add(_affine(W_ih, b_ih, v, h[0]), _affine(W_hh, b_hh, h, h[0])))


def _cell_function(network: GatedNetwork) -> Callable | None:
    from .gated import GRU, LSTM, ElmanStack
    if isinstance(network, GRU):
        return _gru_cell
    if isinstance(network, LSTM):
        return _lstm_cell
    if isinstance(network, ElmanStack):
        activation = network.activation
        if activation.third_derivative is None:
            return None
        return lambda *args: _elman_cell(activation, *args)
    return None


def _taylor(network: GatedNetwork, cell: Callable, x: np.ndarray, u, d: np.ndarray) -> list:
    """Taylor coefficients (F, J d, B(d,d)/2, C(d,d,d)/6) of t ↦ F(x + t d), for directions
    ``d`` of shape (m, n) at once."""
    dtype = np.result_type(d, float)
    out = [np.zeros(d.shape, dtype=dtype) for _ in range(4)]
    v = None
    if network.n_inputs:
        constant = np.asarray(u, dtype=float)
        zero = np.zeros(d.shape[:-1] + constant.shape, dtype=dtype)
        v = [constant + zero, zero, zero, zero]
    for k, H in enumerate(network.hidden_sizes):
        index = network._state_index(k)
        zero = np.zeros(d.shape[:-1] + (len(index),), dtype=dtype)
        local = [x[index] + zero, d[..., index] + zero, zero, zero]
        new = cell(*network.layer(k), local, v)
        for j in range(4):
            out[j][..., index] = new[j]
        v = [p[..., :H] for p in new]
    return out


def gated_multilinear_forms(network: GatedNetwork, x: np.ndarray, u
                            ) -> tuple[Callable, Callable] | None:
    """``(B, C)`` of a GRU, LSTM or Elman stack at ``x`` (see the module docstring), or None
    for an activation without a third derivative."""
    cell = _cell_function(network)
    if cell is None:
        return None
    x = np.asarray(x, dtype=float)

    def B(v, w):        # Q(d) = B(d, d) along v ± w, in one batched pass
        v, w = np.asarray(v), np.asarray(w)
        Q = 2.0 * _taylor(network, cell, x, u, np.stack([v + w, v - w]))[2]
        return 0.25 * (Q[0] - Q[1])

    def C(v, w, y):     # P(d) = C(d, d, d) along v ± w ± y, in one batched pass
        v, w, y = np.asarray(v), np.asarray(w), np.asarray(y)
        P = 6.0 * _taylor(network, cell, x, u,
                          np.stack([v + w + y, v + w - y, v - w + y, v - w - y]))[3]
        return (P[0] - P[1] - P[2] + P[3]) / 24.0

    return B, C
