r"""Gated recurrent networks with PyTorch's exact equations: :class:`GRU` and :class:`LSTM`.

One layer of ``torch.nn.GRU`` (gates in torch's order r, z, n)

.. math::

    r &= \sigma(W_{ir} v + b_{ir} + W_{hr} h + b_{hr}), \qquad
    z  = \sigma(W_{iz} v + b_{iz} + W_{hz} h + b_{hz}), \\
    n &= \tanh(W_{in} v + b_{in} + r \odot (W_{hn} h + b_{hn})), \qquad
    h' = (1 - z) \odot n + z \odot h,

and of ``torch.nn.LSTM`` (gates in torch's order i, f, g, o)

.. math::

    (a_i, a_f, a_g, a_o) &= W_{ih} v + b_{ih} + W_{hh} h + b_{hh}, \\
    c' &= \sigma(a_f) \odot c + \sigma(a_i) \odot \tanh(a_g), \qquad
    h' = \sigma(a_o) \odot \tanh(c'),

where ``v`` is the layer's input: the network input ``u`` for layer 0 and the *new* hidden state
of layer k − 1 for layer k (as ``torch.nn.GRU(num_layers=L)`` computes a time step).

**State convention.** A stack of L layers is one map whose state concatenates the layers:

* GRU: ``x = [h_l0, h_l1, ..., h_l(L-1)]`` — exactly torch's ``h_n.reshape(-1)``;
* LSTM: ``x = [h_l0, ..., h_l(L-1), c_l0, ..., c_l(L-1)]`` — torch's ``h_n.reshape(-1)`` followed by
  ``c_n.reshape(-1)``.

:meth:`GatedNetwork.to_torch_state` and :meth:`GatedNetwork.from_torch_state` convert between
this vector and torch's ``h`` (or ``(h, c)``) tensors of shape ``(num_layers, hidden_size)``.

The weights are torch's, by torch's names: arrays ``weight_ih_l0`` (G·H, n_inputs),
``weight_hh_l0`` (G·H, H), ``bias_ih_l0`` and ``bias_hh_l0`` (G·H,) with G = 3 (GRU) or 4
(LSTM), then ``_l1``, ... for higher layers, and ``u`` (n_inputs,), the constant input. Scalar
parameters are their entries: ``"weight_hh_l0[i,j]"``, ``"bias_ih_l1[i]"``, ``"u[j]"``.

References
----------
K. Cho et al., "Learning phrase representations using RNN encoder-decoder for statistical machine
translation", EMNLP 2014 (the GRU). S. Hochreiter, J. Schmidhuber, "Long short-term memory",
Neural Computation 9 (1997); F. Gers, J. Schmidhuber, F. Cummins, "Learning to forget", Neural
Computation 12 (2000) (the forget gate). PyTorch documentation of ``torch.nn.GRU`` and
``torch.nn.LSTM`` (the gate order and the placement of ``b_hn`` inside ``r ⊙ (·)``).
"""
from __future__ import annotations

from typing import final

import numpy as np

from .activations import Activation, get_activation
from .gated_network import GatedNetwork, sigmoid

__all__ = ["GatedNetwork", "GRU", "LSTM", "ElmanStack"]


@final
class GRU(GatedNetwork):
    r"""A (stacked) gated recurrent unit network with ``torch.nn.GRU``'s equations.

    .. math::

        r = \sigma(W_{ir} v + b_{ir} + W_{hr} h + b_{hr}), \quad
        z = \sigma(W_{iz} v + b_{iz} + W_{hz} h + b_{hz}), \\
        n = \tanh(W_{in} v + b_{in} + r \odot (W_{hn} h + b_{hn})), \quad
        h' = (1 - z) \odot n + z \odot h

    The state is ``h`` (layers concatenated, torch's ``h_n.reshape(-1)``); the state Jacobian of
    one layer is ``diag(s_r) W_hr + diag(s_z) W_hz + diag(s_n ⊙ r) W_hn + diag(z)`` with
    ``s_z = (h − n) z (1 − z)``, ``s_n = (1 − z)(1 − n²)``, ``s_r = s_n (W_hn h + b_hn) r (1 − r)``.

    Parameters
    ----------
    weight_ih : array_like, shape (3 H, n_inputs), or a list with one per layer
        torch's ``weight_ih_l0`` (rows r, z, n); None for an autonomous one-layer network.
        Layer k ≥ 1 has shape (3 H_k, H_{k-1}).
    weight_hh : array_like, shape (3 H, H), or a list with one per layer
    bias_ih, bias_hh : array_like, shape (3 H,), or lists; zeros by default
    u : array_like, shape (n_inputs,), optional
        The constant input used when none is given (parameters ``"u[j]"``).

    Notes
    -----
    Parameters ``"weight_ih_l0[i,j]"``, ``"weight_hh_l0[i,j]"``, ``"bias_ih_l0[i]"``,
    ``"bias_hh_l0[i]"`` (``_l1``, ... for higher layers) and ``"u[j]"``. Every fixed point and
    periodic orbit has h in (−1, 1)ⁿ (h' lies between n ∈ (−1, 1) and h), and the box
    [−1, 1]ⁿ is forward invariant: :meth:`invariant_box`.

    Examples
    --------
    >>> import numpy as np, dynrnn as dr
    >>> rng = np.random.default_rng(0)
    >>> net = dr.GRU(None, rng.standard_normal((6, 2)))
    >>> net
    GRU(hidden_size=2, n_inputs=0, num_layers=1)
    >>> net.step([0.0, 0.0])          # with zero biases the origin is a fixed point
    array([0., 0.])
    >>> net.param_names[:2]
    ('weight_hh_l0[0,0]', 'weight_hh_l0[0,1]')
    """

    N_GATES = 3
    N_PARTS = 1

    def _cell(self, k, h, v, derivatives, perturb=None):
        W_ih, W_hh, _, _ = self.layer(k)
        H = W_hh.shape[1]
        gi, gh = self._gate_inputs(k, h, v, perturb)
        r = sigmoid(gi[..., :H] + gh[..., :H])
        z = sigmoid(gi[..., H:2 * H] + gh[..., H:2 * H])
        gh_n = gh[..., 2 * H:]
        n = np.tanh(gi[..., 2 * H:] + r * gh_n)
        new = (1.0 - z) * n + z * h
        if not derivatives:
            return (new,)
        s_z = (h - n) * z * (1.0 - z)
        s_n = (1.0 - z) * (1.0 - n * n)
        s_r = s_n * gh_n * r * (1.0 - r)
        s_z, s_n, s_r, r = np.broadcast_arrays(s_z, s_n, s_r, r)
        sens_ih = np.concatenate([s_r, s_z, s_n], axis=-1)[..., None, :]
        sens_hh = np.concatenate([s_r, s_z, s_n * r], axis=-1)[..., None, :]
        A = self._contract(sens_hh, W_hh, H)
        idx = np.arange(H)
        A[..., idx, idx] += z
        B = self._contract(sens_ih, W_ih, H)
        return new, A, B, sens_ih, sens_hh

    def invariant_box(self, u=None):
        """``([−1]ⁿ, [1]ⁿ)``: forward invariant, and holding every fixed point and cycle."""
        return -np.ones(self.n_states), np.ones(self.n_states)


@final
class LSTM(GatedNetwork):
    r"""A (stacked) long short-term memory network with ``torch.nn.LSTM``'s equations.

    .. math::

        (a_i, a_f, a_g, a_o) = W_{ih} v + b_{ih} + W_{hh} h + b_{hh}, \quad
        c' = \sigma(a_f) \odot c + \sigma(a_i) \odot \tanh(a_g), \quad
        h' = \sigma(a_o) \odot \tanh(c')

    The state is ``[h, c]``: the hidden states of all layers, then their cell states (torch's
    ``h_n.reshape(-1)`` then ``c_n.reshape(-1)``), so ``n_states = 2 · n_hidden``.

    Parameters
    ----------
    weight_ih : array_like, shape (4 H, n_inputs), or a list with one per layer
        torch's ``weight_ih_l0`` (rows i, f, g, o); None for an autonomous one-layer network.
    weight_hh : array_like, shape (4 H, H), or a list with one per layer
    bias_ih, bias_hh : array_like, shape (4 H,), or lists; zeros by default
    u : array_like, shape (n_inputs,), optional
        The constant input used when none is given (parameters ``"u[j]"``).

    Notes
    -----
    Parameters as for :class:`GRU`. h' = o tanh(c') lies in (−1, 1); with h in [−1, 1] the forget
    gate is at most f_max = σ(max a_f), so ``|c'| ≤ f_max |c| + 1`` and the box
    ``|c| ≤ 1 / (1 − f_max)`` is forward invariant and holds every fixed point and cycle
    (:meth:`invariant_box`).

    Examples
    --------
    >>> import numpy as np, dynrnn as dr
    >>> net = dr.LSTM(None, np.zeros((8, 2)), bias_hh=np.full(8, 0.5))
    >>> net.n_states                   # [h, c]
    4
    >>> h, c = net.to_torch_state(net.step(np.zeros(4)))
    >>> h.shape, c.shape               # (num_layers, hidden_size) each, as torch's h_n, c_n
    ((1, 2), (1, 2))
    """

    N_GATES = 4
    N_PARTS = 2

    def _cell(self, k, local, v, derivatives, perturb=None):
        W_ih, W_hh, _, _ = self.layer(k)
        H = W_hh.shape[1]
        h, c = local[..., :H], local[..., H:]
        gi, gh = self._gate_inputs(k, h, v, perturb)
        a = gi + gh
        i = sigmoid(a[..., :H])
        f = sigmoid(a[..., H:2 * H])
        g = np.tanh(a[..., 2 * H:3 * H])
        o = sigmoid(a[..., 3 * H:])
        c_new = f * c + i * g
        tc = np.tanh(c_new)
        h_new = o * tc
        new = np.concatenate([h_new, c_new], axis=-1)
        if not derivatives:
            return (new,)
        kappa = o * (1.0 - tc * tc)           # ∂h'/∂c'
        dc = np.concatenate([g * i * (1.0 - i), c * f * (1.0 - f), i * (1.0 - g * g),
                             np.zeros_like(o)], axis=-1)
        dh = np.concatenate([kappa * dc[..., :H], kappa * dc[..., H:2 * H],
                             kappa * dc[..., 2 * H:3 * H], tc * o * (1.0 - o)], axis=-1)
        sens = np.stack([dh, dc], axis=-2)
        A = np.zeros(sens.shape[:-2] + (2 * H, 2 * H))
        A[..., :, :H] = self._contract(sens, W_hh, H)
        idx = np.arange(H)
        A[..., idx, H + idx] += kappa * f
        A[..., H + idx, H + idx] += f
        B = self._contract(sens, W_ih, H)
        return new, A, B, sens, sens

    def invariant_box(self, u=None):
        """h in [−1, 1]; c in [−C, C] with C = 1 / (1 − f_max) per unit, f_max the largest
        forget gate over h in [−1, 1] (and the inputs of the layers above in [−1, 1])."""
        u = self.resolve_input(u)
        highs_h, highs_c = [], []
        for k, H in enumerate(self.hidden_sizes):
            W_ih, W_hh, b_ih, b_hh = self.layer(k)
            rows = slice(H, 2 * H)
            top = b_ih[rows] + b_hh[rows] + np.abs(W_hh[rows]).sum(axis=1)
            if k == 0:
                if self.n_inputs:
                    top = top + W_ih[rows] @ u
            else:
                top = top + np.abs(W_ih[rows]).sum(axis=1)
            # 1 − σ(a) = σ(−a) keeps digits when the gate saturates
            highs_c.append(1.0 / np.maximum(sigmoid(-top), np.finfo(float).tiny))
            highs_h.append(np.ones(H))
        high = np.concatenate(highs_h + highs_c)
        if not np.all(np.isfinite(high)):
            return None
        return -high, high


@final
class ElmanStack(GatedNetwork):
    r"""A multi-layer ``torch.nn.RNN`` as one map (torch's names and state; one layer is
    :class:`~dynrnn.ElmanRNN`).

    .. math::

        h_k' = \sigma(W_{ih,k}\,v_k + b_{ih,k} + W_{hh,k}\,h_k + b_{hh,k}),
        \qquad v_0 = u,\; v_k = h_{k-1}'

    The state is ``[h_l0, h_l1, ...]`` (torch's ``h_n.reshape(-1)``).

    Parameters
    ----------
    weight_ih, weight_hh, bias_ih, bias_hh : lists of arrays, one per layer
        Shapes (H, n_inputs) for layer 0, (H_k, H_{k-1}) above; (H, H); (H,).
    u : array_like, shape (n_inputs,), optional
    activation : {"tanh", "relu"} or Activation
    """

    N_GATES = 1
    N_PARTS = 1
    _TAKES_ACTIVATION = True

    def __init__(self, weight_ih, weight_hh, bias_ih=None, bias_hh=None, u=None,
                 activation: str | Activation = "tanh"):
        super().__init__(weight_ih, weight_hh, bias_ih, bias_hh, u)
        self._activation = get_activation(activation)

    @property
    def activation(self) -> Activation:
        return self._activation

    def _options(self):
        return {"activation": self._activation.name}

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", activation={self._activation.name!r})"

    def _cell(self, k, h, v, derivatives, perturb=None):
        W_ih, W_hh, _, _ = self.layer(k)
        gi, gh = self._gate_inputs(k, h, v, perturb)
        a = gi + gh
        new = self._activation.function(a)
        if not derivatives:
            return (new,)
        d = self._activation.derivative(a)
        sens = d[..., None, :]
        return new, d[..., :, None] * W_hh, d[..., :, None] * W_ih, sens, sens

    def invariant_box(self, u=None):
        act = self._activation
        if not act.bounded:
            return None
        return np.full(self.n_states, act.lower), np.full(self.n_states, act.upper)
