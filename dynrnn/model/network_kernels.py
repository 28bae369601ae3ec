r"""Compiled kernels of the ``"network"`` family of :mod:`dynrnn.model.kernels` (plain Python
compiled by numba in :mod:`dynrnn.model._jit`).

A parameter set is ``(codes, A, B, c, d)`` with a leading ensemble axis on the arrays;
``codes = [kind, activation]`` with the kinds of :data:`dynrnn.model.kernels.NETWORK_KINDS`:

.. math::

    \text{RNN: } F(x) = A\,\sigma(x) + B u + c, \qquad
    \text{Elman: } F(h) = \sigma(A h + B u + c), \qquad
    \text{PLRNN: } F(z) = d \circ z + A\,\mathrm{relu}(z) + B u + c,

and the one-layer GRU and LSTM cells of :mod:`dynrnn.model.gated_kernels` (``A`` = W_hh,
``B`` = W_ih, ``c`` = b_ih, ``d`` = b_hh). :func:`network_step_jacobian` computes F and ∂F/∂x in
one pass, so each activation is evaluated once per step.
"""
from __future__ import annotations

import math

from .gated_kernels import gru_step, lstm_step


def _activate(code, v):
    """σ(v) and σ'(v) for the activation ``code`` (tanh, sigmoid, relu, identity)."""
    if code == 0:
        t = math.tanh(v)
        return t, 1.0 - t * t
    if code == 1:
        if v >= 0.0:
            s = 1.0 / (1.0 + math.exp(-v))
        else:
            e = math.exp(v)
            s = e / (1.0 + e)
        return s, s * (1.0 - s)
    if code == 2:
        return (v, 1.0) if v > 0.0 else (0.0, 0.0)
    return v, 1.0


def _affine(x, u, params, j, i, with_state):
    """Row i of B u + c, plus A x when ``with_state`` (Elman's pre-activation)."""
    _, A, B, c, _ = params
    s = c[j, i]
    if with_state:
        for col in range(x.shape[0]):
            s += A[j, i, col] * x[col]
    for col in range(u.shape[0]):
        s += B[j, i, col] * u[col]
    return s


def _rnn_or_plrnn(x, u, params, j, out, J, scratch):
    """F(x) = A g(x) + B u + c (+ d ∘ x for the PLRNN), g = σ (RNN) or relu (PLRNN), and
    unless J is None ∂F/∂x = A diag(g'(x)) (+ diag(d)). With ``scratch`` (2 n) the activations
    are stored once and F, J are computed row by row (contiguous); without, F column by column."""
    codes, A, _, _, d = params
    code = 2 if codes[0] == 2 else codes[1]
    n = x.shape[0]
    for i in range(n):
        out[i] = _affine(x, u, params, j, i, False)
    if scratch is None:
        for col in range(n):
            g = _activate(code, x[col])[0]
            if g != 0.0:
                for i in range(n):
                    out[i] += A[j, i, col] * g
    else:
        for col in range(n):
            scratch[col], scratch[n + col] = _activate(code, x[col])
        for i in range(n):
            s = out[i]
            for col in range(n):
                s += A[j, i, col] * scratch[col]
            out[i] = s
            if J is not None:
                for col in range(n):
                    J[i, col] = A[j, i, col] * scratch[n + col]
    if codes[0] == 2:
        for i in range(n):
            out[i] += d[j, i] * x[i]
            if J is not None:
                J[i, i] += d[j, i]


def _elman(x, u, params, j, out, J):
    """F(h) = σ(A h + B u + c), unless J is None ∂F/∂h = diag(σ'(·)) A."""
    codes, A, _, _, _ = params
    n = x.shape[0]
    for i in range(n):
        value, slope = _activate(codes[1], _affine(x, u, params, j, i, True))
        out[i] = value
        if J is not None:
            for col in range(n):
                J[i, col] = slope * A[j, i, col]


def network_step_jacobian(x, u, params, j, out, J, scratch):
    """out = F(x) and, unless J is None, J = ∂F/∂x, for parameter set j; ``scratch`` (2 n or
    None) holds the activations between the two."""
    kind = params[0][0]
    if kind == 1:
        _elman(x, u, params, j, out, J)
    elif kind == 3:
        gru_step(x, u, params, j, out, J)
    elif kind == 4:
        lstm_step(x, u, params, j, out, J)
    else:
        _rnn_or_plrnn(x, u, params, j, out, J, scratch)


def network_step(x, u, params, j, out):
    network_step_jacobian(x, u, params, j, out, None, None)


#: compiled in this order (callees first)
COMPILED = ("_activate", "_affine", "_rnn_or_plrnn", "_elman", "network_step_jacobian",
            "network_step")
