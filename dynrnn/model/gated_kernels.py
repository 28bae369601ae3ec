r"""Compiled kernels of one-layer :class:`~dynrnn.GRU` and :class:`~dynrnn.LSTM` cells (plain
Python compiled by numba in :mod:`dynrnn.model._jit`; the equations are those of
:mod:`dynrnn.model.gated`, torch's).

The parameter sets are ``(codes, W_hh, W_ih, b_ih, b_hh)`` with a leading ensemble axis (see
:func:`dynrnn.model.kernels.gated_kernel`); gate rows are in torch's order (GRU: r, z, n;
LSTM: i, f, g, o). F and ∂F/∂x are computed in one pass per unit: the gates of unit i are
needed by row i of both, so nothing is stored between the two.
"""
from __future__ import annotations

import math


def _sigmoid(a):
    # as dynrnn.model.gated_network.sigmoid: no overflow for large |a|, the numpy path's rounding
    return 0.5 * (1.0 + math.tanh(0.5 * a))


def _gate_input(W_ih, b_ih, W_hh, b_hh, j, row, x, u, H):
    """(row of W_ih u + b_ih, row of W_hh h + b_hh) for parameter set j; h = x[:H]."""
    gi = 0.0
    for col in range(u.shape[0]):
        gi += W_ih[j, row, col] * u[col]
    gh = 0.0
    for col in range(H):
        gh += W_hh[j, row, col] * x[col]
    return gi + b_ih[j, row], gh + b_hh[j, row]


def _gate(params, j, x, u, row, H):
    """Row ``row`` of W_ih u + b_ih + W_hh h + b_hh (a gate's input)."""
    _, W_hh, W_ih, b_ih, b_hh = params
    gi, gh = _gate_input(W_ih, b_ih, W_hh, b_hh, j, row, x, u, H)
    return gi + gh


def _gru_unit(params, j, x, u, i, H):
    """The gates of GRU unit i: (new h_i, r, z, n, W_hn h + b_hn)."""
    _, W_hh, W_ih, b_ih, b_hh = params
    r = _sigmoid(_gate(params, j, x, u, i, H))
    z = _sigmoid(_gate(params, j, x, u, H + i, H))
    gi, gh_n = _gate_input(W_ih, b_ih, W_hh, b_hh, j, 2 * H + i, x, u, H)
    n = math.tanh(gi + r * gh_n)
    return (1.0 - z) * n + z * x[i], r, z, n, gh_n


def gru_step(x, u, params, j, out, J):
    r"""h' = (1 − z) n + z h; unless J is None also J = ∂h'/∂h: row i is
    ``s_r W_hr[i] + s_z W_hz[i] + s_n r W_hn[i] + z e_i`` (s as in :class:`~dynrnn.GRU`)."""
    W_hh = params[1]
    H = x.shape[0]
    for i in range(H):
        new, r, z, n, gh_n = _gru_unit(params, j, x, u, i, H)
        out[i] = new
        if J is not None:
            s_z = (x[i] - n) * z * (1.0 - z)
            s_n = (1.0 - z) * (1.0 - n * n)
            s_r = s_n * gh_n * r * (1.0 - r)
            s_nr = s_n * r
            for col in range(H):
                J[i, col] = (s_r * W_hh[j, i, col] + s_z * W_hh[j, H + i, col]
                             + s_nr * W_hh[j, 2 * H + i, col])
            J[i, i] += z


def _lstm_unit(params, j, x, u, i, H):
    """The gates of LSTM unit i: (i, f, g, o) with h = x[:H]."""
    return (_sigmoid(_gate(params, j, x, u, i, H)), _sigmoid(_gate(params, j, x, u, H + i, H)),
            math.tanh(_gate(params, j, x, u, 2 * H + i, H)),
            _sigmoid(_gate(params, j, x, u, 3 * H + i, H)))


def lstm_step(x, u, params, j, out, J):
    r"""x = [h, c] ↦ [o tanh(c'), c'] with c' = f c + i g; unless J is None also
    J = ∂x'/∂x: ∂c'_i/∂h = g i(1−i) W_hi + c f(1−f) W_hf + i(1−g²) W_hg, ∂c'_i/∂c_i = f,
    ∂h'_i/∂h = o(1−o) tanh(c') W_ho + κ ∂c'_i/∂h, ∂h'_i/∂c_i = κ f with κ = o(1 − tanh²c')."""
    W_hh = params[1]
    H = x.shape[0] // 2
    for i in range(H):
        in_gate, forget, cell, o = _lstm_unit(params, j, x, u, i, H)
        c_new = forget * x[H + i] + in_gate * cell
        tc = math.tanh(c_new)
        out[i] = o * tc
        out[H + i] = c_new
        if J is not None:
            kappa = o * (1.0 - tc * tc)
            d_i = cell * in_gate * (1.0 - in_gate)
            d_f = x[H + i] * forget * (1.0 - forget)
            d_g = in_gate * (1.0 - cell * cell)
            d_o = tc * o * (1.0 - o)
            for col in range(H):
                dc = (d_i * W_hh[j, i, col] + d_f * W_hh[j, H + i, col]
                      + d_g * W_hh[j, 2 * H + i, col])
                J[H + i, col] = dc
                J[i, col] = kappa * dc + d_o * W_hh[j, 3 * H + i, col]
            for col in range(H):
                J[H + i, H + col] = 0.0
                J[i, H + col] = 0.0
            J[H + i, H + i] = forget
            J[i, H + i] = kappa * forget


#: compiled in this order (callees first)
COMPILED = ("_sigmoid", "_gate_input", "_gate", "_gru_unit", "gru_step", "_lstm_unit", "lstm_step")
