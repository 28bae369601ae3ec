r"""The machinery shared by the gated stacks of :mod:`dynrnn.model.gated` (GRU, LSTM, Elman).

:class:`GatedNetwork` holds torch's per-layer arrays, the state convention (layers concatenated;
for the LSTM all h then all c), the conversions to and from torch's hidden state, and the
forward pass with its state and parameter Jacobians, written once for every cell: a subclass
gives only its ``_cell`` (one layer's update with its local derivatives) and its invariant box.
The equations of each cell are in :mod:`dynrnn.model.gated`.
"""
from __future__ import annotations

import abc
import re
from collections.abc import Mapping, Sequence

import numpy as np

from ..errors import InvalidInputError, ShapeError
from ._arrays import ArrayNetwork, NamedArrays
from .base import as_finite_array, as_state

__all__ = ["GatedNetwork"]

_KEY = re.compile(r"^(weight_ih|weight_hh|bias_ih|bias_hh)_l(\d+)$")


def _layer_key(key: str) -> tuple[str, str]:
    """``("weight_hh", "1")`` for ``"weight_hh_l1"`` (a validated array name)."""
    match = _KEY.match(key)
    assert match is not None, key
    return match.group(1), match.group(2)


def sigmoid(a):
    """The logistic function 1 / (1 + e^{-a}), written through tanh so that large |a| gives no
    overflow warning."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def _per_layer(value, ndim: int) -> list:
    """One entry per layer: a list/tuple whose entries are arrays of ``ndim`` dimensions (or
    None) is per-layer; anything else is layer 0's array."""
    if not isinstance(value, (list, tuple)) or len(value) == 0:
        return [value]
    if any(v is None for v in value):
        return list(value)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):   # ragged: layers of different shapes
        return list(value)
    return list(value) if arr.ndim == ndim + 1 else [value]


class GatedNetwork(ArrayNetwork):
    """Abstract base of :class:`GRU` and :class:`LSTM`: a stack of gated layers as one map.

    Subclasses set ``N_GATES``, ``N_PARTS`` (state vectors per layer: 1 for h, 2 for
    (h, c)) and implement ``_cell``.
    """

    N_GATES: int
    N_PARTS: int

    def __init__(self, weight_ih, weight_hh, bias_ih=None, bias_hh=None, u=None):
        weights_hh = _per_layer(weight_hh, 2)
        n_layers = len(weights_hh)
        weights_ih = _per_layer(weight_ih, 2)
        biases_ih = [None] * n_layers if bias_ih is None else _per_layer(bias_ih, 1)
        biases_hh = [None] * n_layers if bias_hh is None else _per_layer(bias_hh, 1)
        for name, lst in (("weight_ih", weights_ih), ("bias_ih", biases_ih),
                          ("bias_hh", biases_hh)):
            if len(lst) != n_layers:
                raise ShapeError(f"{name} must have one array per layer ({n_layers}, as "
                                 f"weight_hh), got {len(lst)}", argument=name,
                                 expected=n_layers, actual=len(lst))
        arrays = {}
        G = self.N_GATES
        previous = None
        for k in range(n_layers):
            W_hh = as_finite_array(weights_hh[k], f"weight_hh_l{k}")
            if W_hh.ndim != 2 or W_hh.shape[1] == 0 or W_hh.shape[0] != G * W_hh.shape[1]:
                raise ShapeError(
                    f"weight_hh_l{k} must have shape ({G}*hidden_size, hidden_size) (the "
                    f"{G} gates of a {type(self).__name__} stacked in torch's order), got "
                    f"{np.shape(W_hh)}", argument=f"weight_hh_l{k}",
                    expected=(f"{G}*hidden_size", "hidden_size"), actual=np.shape(W_hh))
            H = W_hh.shape[1]
            if weights_ih[k] is None:
                if k > 0:
                    raise ShapeError(f"weight_ih_l{k} is required for layer {k} (its input is "
                                     "the hidden state of the layer below)",
                                     argument=f"weight_ih_l{k}")
                W_ih = np.zeros((G * H, 0))
            else:
                W_ih = as_finite_array(weights_ih[k], f"weight_ih_l{k}")
            n_in = None if k == 0 else previous
            if W_ih.ndim != 2 or W_ih.shape[0] != G * H or (n_in is not None
                                                              and W_ih.shape[1] != n_in):
                expected = (G * H, "n_inputs" if n_in is None else n_in)
                raise ShapeError(f"weight_ih_l{k} must have shape {expected} to match "
                                 f"weight_hh_l{k}, got {W_ih.shape}",
                                 argument=f"weight_ih_l{k}", expected=expected,
                                 actual=W_ih.shape)
            arrays[f"weight_ih_l{k}"] = W_ih
            arrays[f"weight_hh_l{k}"] = W_hh
            for name, lst in (("bias_ih", biases_ih), ("bias_hh", biases_hh)):
                b = np.zeros(G * H) if lst[k] is None else as_finite_array(lst[k],
                                                                          f"{name}_l{k}")
                if b.shape != (G * H,):
                    raise ShapeError(f"{name}_l{k} must have shape ({G * H},) to match "
                                     f"weight_hh_l{k}, got {b.shape}", argument=f"{name}_l{k}",
                                     expected=(G * H,), actual=b.shape)
                arrays[f"{name}_l{k}"] = b
            previous = H
        m = arrays["weight_ih_l0"].shape[1]
        u = np.zeros(m) if u is None else as_finite_array(u, "u")
        if u.shape != (m,):
            raise ShapeError(f"u must have shape ({m},) to match weight_ih_l0, got {u.shape}",
                             argument="u", expected=(m,), actual=u.shape)
        arrays["u"] = u
        self._arrays = NamedArrays(arrays)
        # shapes never change (replace_params keeps them): computed once
        self._sizes = tuple(arrays[f"weight_hh_l{k}"].shape[1] for k in range(n_layers))
        self._indices = tuple(self._compute_state_index(k) for k in range(n_layers))

    #: the arrays of a one-layer network (layer k ≥ 1 adds the same names with ``_lk``); every
    #: saved network has these
    ARRAYS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "u")

    @classmethod
    def required_arrays(cls) -> tuple[str, ...]:
        """The arrays a network cannot do without (biases, ``weight_ih_l0`` and ``u`` have
        defaults)."""
        return ("weight_hh_l0",)

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], activation=None) -> GatedNetwork:
        """Build from torch-named arrays ``{"weight_ih_l0": ..., "weight_hh_l0": ..., "bias_ih_l0":
        ..., "bias_hh_l0": ..., ..., "u": ...}`` (biases, ``weight_ih_l0`` and ``u`` optional);
        ``activation`` is :class:`ElmanStack`'s (ignored by GRU and LSTM, which have none). The
        entries ``"kind"`` and ``"activation"`` of a model file are skipped."""
        arrays = {k: v for k, v in arrays.items() if k not in ("kind", "activation")}
        layers = sorted({int(m.group(2)) for m in (_KEY.match(k) for k in arrays) if m})
        if not layers or layers != list(range(len(layers))):
            raise InvalidInputError(
                f"arrays must hold weight_hh_l0, weight_hh_l1, ... for consecutive layers, got "
                f"keys {sorted(arrays)}", argument="arrays", value=sorted(arrays))
        unknown = sorted(k for k in arrays if k != "u" and not _KEY.match(k))
        if unknown:
            raise InvalidInputError(f"unknown array(s) {unknown} for a {cls.__name__}",
                                    argument="arrays", value=unknown)
        missing = [f"weight_hh_l{k}" for k in layers if f"weight_hh_l{k}" not in arrays]
        if missing:
            raise InvalidInputError(f"arrays lack {missing}", argument="arrays", value=missing)
        get = arrays.get
        options = {} if activation is None or not cls._TAKES_ACTIVATION else \
            {"activation": activation}
        return cls([get(f"weight_ih_l{k}") for k in layers],
                   [arrays[f"weight_hh_l{k}"] for k in layers],
                   [get(f"bias_ih_l{k}") for k in layers],
                   [get(f"bias_hh_l{k}") for k in layers], get("u"), **options)

    _TAKES_ACTIVATION = False

    def _options(self) -> dict:
        """The keywords besides the arrays that rebuild this network."""
        return {}

    def _rebuild(self, arrays):
        return type(self).from_arrays(arrays, **self._options())

    # -- attributes ----------------------------------------------------------------------------
    @property
    def n_layers(self) -> int:
        return len(self._sizes)

    @property
    def hidden_sizes(self) -> tuple[int, ...]:
        return self._sizes

    @property
    def hidden_size(self) -> int:
        """The hidden size of the top layer (torch's ``hidden_size`` when all layers agree)."""
        return self.hidden_sizes[-1]

    @property
    def n_hidden(self) -> int:
        """Length of the hidden part h of the state (all layers)."""
        return sum(self.hidden_sizes)

    @property
    def n_states(self) -> int:
        return self.N_PARTS * self.n_hidden

    @property
    def n_inputs(self) -> int:
        return self._arrays["weight_ih_l0"].shape[1]

    @property
    def u(self) -> np.ndarray:
        return self._arrays["u"]

    def layer(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(weight_ih, weight_hh, bias_ih, bias_hh)`` of layer ``k``."""
        a = self._arrays
        return (a[f"weight_ih_l{k}"], a[f"weight_hh_l{k}"], a[f"bias_ih_l{k}"],
                a[f"bias_hh_l{k}"])

    def __repr__(self) -> str:
        sizes = self.hidden_sizes
        size = sizes[0] if len(set(sizes)) == 1 else list(sizes)
        return (f"{type(self).__name__}(hidden_size={size}, n_inputs={self.n_inputs}, "
                f"num_layers={self.n_layers})")

    def _state_index(self, k: int) -> np.ndarray:
        """Positions of layer k's local state ([h] or [h, c]) in the map's state vector."""
        return self._indices[k]

    def _compute_state_index(self, k: int) -> np.ndarray:
        sizes = self._sizes
        start, total = sum(sizes[:k]), sum(sizes)
        return np.concatenate([np.arange(p * total + start, p * total + start + sizes[k])
                               for p in range(self.N_PARTS)])

    # -- torch's hidden state ------------------------------------------------------------------
    def hidden_part(self, x) -> np.ndarray:
        """The hidden state h (all layers concatenated) of states ``x``, shape (..., n_hidden)."""
        x = as_state(x, self.n_states, "x")
        return x[..., : self.n_hidden]

    def to_torch_state(self, x):
        """torch's hidden state of the state(s) ``x`` (shape ``(..., n_states)``).

        Returns ``h`` of shape ``(..., num_layers, hidden_size)`` for a GRU and ``(h, c)`` for an
        LSTM, as numpy arrays (``torch.as_tensor`` them to feed a module; for a batch put the
        layer axis first, as torch's ``h_0`` has shape ``(num_layers, batch, hidden_size)``).
        Layers of different sizes give a list of arrays per part instead.
        """
        x = as_state(x, self.n_states, "x")
        sizes = self.hidden_sizes
        parts = []
        for p in range(self.N_PARTS):
            block = x[..., p * self.n_hidden:(p + 1) * self.n_hidden]
            if len(set(sizes)) == 1:
                parts.append(block.reshape(block.shape[:-1] + (len(sizes), sizes[0])).copy())
            else:
                edges = np.cumsum((0,) + sizes)
                parts.append([block[..., a:b].copy() for a, b in zip(edges[:-1], edges[1:])])
        return parts[0] if self.N_PARTS == 1 else tuple(parts)

    def from_torch_state(self, hidden) -> np.ndarray:
        """dynrnn's state from torch's hidden state: ``h`` (GRU) or ``(h, c)`` (LSTM), each of
        shape ``(num_layers, hidden_size)`` or ``(..., num_layers, hidden_size)`` (tensors or
        arrays). Inverse of :meth:`to_torch_state`."""
        if self.N_PARTS == 2:
            if not (isinstance(hidden, (tuple, list)) and len(hidden) == 2):
                raise InvalidInputError("an LSTM's torch state is a pair (h, c)",
                                        argument="hidden", value=type(hidden).__name__)
            parts = list(hidden)
        else:
            parts = [hidden]
        blocks = []
        for part in parts:
            if hasattr(part, "detach"):
                part = part.detach().cpu().double().numpy()
            arr = as_finite_array(part, "hidden")
            L, H = self.n_layers, self.hidden_size
            if len(set(self.hidden_sizes)) != 1:
                raise InvalidInputError("layers of different sizes: pass dynrnn's state",
                                        argument="hidden")
            if arr.ndim == 1 and L == 1 and arr.shape == (H,):
                arr = arr[None, :]
            if arr.ndim < 2 or arr.shape[-2:] != (L, H):
                raise ShapeError(f"hidden must have shape (..., {L}, {H}) (num_layers, "
                                 f"hidden_size), got {arr.shape}", argument="hidden",
                                 expected=(..., L, H), actual=arr.shape)
            blocks.append(arr.reshape(arr.shape[:-2] + (L * H,)))
        return np.concatenate(np.broadcast_arrays(*blocks), axis=-1)

    # -- one layer (subclasses) ----------------------------------------------------------------
    @abc.abstractmethod
    def _cell(self, k: int, local: np.ndarray, v, derivatives: bool, perturb=None):
        """Layer k at local state ``local`` (..., N_PARTS·H) with input ``v`` (..., m) or None.

        Returns ``new`` (..., N_PARTS·H), and with ``derivatives``: ``A`` = ∂new/∂local
        (..., S, S), ``B`` = ∂new/∂v (..., S, m), and the sensitivities ``sens_ih``,
        ``sens_hh`` (..., N_PARTS, G·H): ∂new[p·H + (r mod H)]/∂(row r of W_ih v + b_ih, resp.
        W_hh h + b_hh); every other entry of new does not depend on that row.
        """

    def _gate_inputs(self, k, h, v, perturb=None):
        """``(W_ih v + b_ih, W_hh h + b_hh)`` of layer k; ``perturb = (kind, r, j, shift)`` adds
        ``shift`` (batched, one value per leading row) to one weight or bias entry (used by
        :meth:`stepper_over_param`)."""
        W_ih, W_hh, b_ih, b_hh = self.layer(k)
        gi = b_ih if v is None or W_ih.shape[1] == 0 else v @ W_ih.T + b_ih
        gh = h @ W_hh.T + b_hh
        if perturb is not None:
            kind, r, j, shift = perturb
            batch = np.broadcast_shapes(h.shape[:-1], np.shape(shift))
            if kind.endswith("_ih"):
                gi = np.array(np.broadcast_to(gi, batch + gi.shape[-1:]))
                gi[..., r] += shift * (v[..., j] if kind == "weight_ih" else 1.0)
            else:
                gh = np.array(np.broadcast_to(gh, batch + gh.shape[-1:]))
                gh[..., r] += shift * (h[..., j] if kind == "weight_hh" else 1.0)
        return gi, gh

    def _contract(self, sens, W, H):
        """Σ_g sens[..., p, g·H + i] W[g·H + i, j] -> (..., N_PARTS·H, ncols)."""
        G = self.N_GATES
        s = sens.reshape(sens.shape[:-1] + (G, H))
        out = np.einsum("...pgi,gij->...pij", s, W.reshape(G, H, W.shape[1]))
        return out.reshape(out.shape[:-3] + (self.N_PARTS * H, W.shape[1]))

    # -- the map -------------------------------------------------------------------------------
    def constant_input(self) -> np.ndarray:
        return self.u

    def _forward(self, x, u, derivatives: bool, perturb=None):
        batch = x.shape[:-1] if u is None else np.broadcast_shapes(x.shape[:-1], u.shape[:-1])
        out = np.empty(batch + (self.n_states,))
        v = u if self.n_inputs else None
        cells = []
        for k, H in enumerate(self.hidden_sizes):
            index = self._state_index(k)
            result = self._cell(k, x[..., index], v, derivatives,
                                perturb[1:] if perturb is not None and perturb[0] == k else None)
            new = result[0]
            out[..., index] = new
            cells.append((index, H, v) + tuple(result))
            v = new[..., :H]
        return out, cells

    def step_unchecked(self, x, u):
        return self._forward(x, u, False)[0]

    def compiled_kernel(self):
        # one-layer GRU and LSTM cells have numba kernels (model/gated_kernels.py)
        from .kernels import gated_kernel
        kind = type(self).__name__
        return gated_kernel(kind, *self.layer(0)) if self.n_layers == 1 and kind in (
            "GRU", "LSTM") else None

    def jacobian_unchecked(self, x, u):
        out, cells = self._forward(x, u, True)
        n = self.n_states
        J = np.zeros(out.shape[:-1] + (n, n))
        below = None  # ∂h'_{k-1}/∂x, shape (..., H_{k-1}, n)
        for k, (index, H, _, _, A, B, _, _) in enumerate(cells):
            rows = np.zeros(out.shape[:-1] + (len(index), n))
            rows[..., index] = A
            if k > 0:
                rows = rows + B @ below
            J[..., index, :] = rows
            below = rows[..., :H, :]
        return J

    def multilinear_forms(self, x, u):
        # analytic B and C by Taylor arithmetic through the cell (model/gated_forms.py)
        from .gated_forms import gated_multilinear_forms
        return gated_multilinear_forms(self, x, u)

    def _propagate(self, cells, local_columns, batch):
        """Columns of ∂F/∂θ from each layer's own columns: layer k's change enters layer k + 1
        through its new hidden state (``B``)."""
        ncols = local_columns[0].shape[-1]
        out = np.zeros(batch + (self.n_states, ncols))
        below = None
        for k, (index, H, _, _, _, B, _, _) in enumerate(cells):
            cols = np.broadcast_to(local_columns[k], batch + local_columns[k].shape[-2:])
            if k > 0:
                cols = cols + B @ below
            out[..., index, :] = cols
            below = cols[..., :H, :]
        return out

    def stepper_over_param(self, name, values):
        # the gate pre-activations are affine in every weight, bias and input entry: a whole
        # sweep is one batched step with that entry shifted row by row (no map is built)
        located = self._arrays.locate(name)
        assert located is not None, name     # validated by the caller
        key, index = located
        delta = np.asarray(values, dtype=np.float64) - float(self._arrays[key][index])

        def step(x, u):
            shift = delta.reshape(delta.shape + (1,) * (x.ndim - 2))
            if key == "u":
                moved = np.array(np.broadcast_to(u, x.shape[:-1] + u.shape[-1:]))
                moved[..., index[0]] += shift
                return self._forward(x, moved, False)[0]
            kind, layer = _layer_key(key)
            column = index[1] if len(index) == 2 else None
            return self._forward(x, u, False, (int(layer), kind, index[0], column, shift))[0]

        return step

    def param_jacobian_unchecked(self, x, names: Sequence[str], u):
        out, cells = self._forward(x, u, True)
        batch = out.shape[:-1]
        locals_ = [np.zeros(batch + (len(index), len(names))) for index, *_ in cells]
        groups: dict = {}
        for col, name in enumerate(names):
            located = self._arrays.locate(name)
            assert located is not None, name   # names are validated by the caller
            groups.setdefault(located[0], []).append((col, located[1]))
        for key, entries in groups.items():
            cols = np.array([c for c, _ in entries])
            if key == "u":
                B0 = cells[0][5]
                j = np.array([ix[0] for _, ix in entries])
                locals_[0][..., :, cols] += B0[..., :, j]
                continue
            kind, layer = _layer_key(key)
            k = int(layer)
            index, H, v, new, A, B, sens_ih, sens_hh = cells[k]
            sens = sens_ih if kind.endswith("_ih") else sens_hh
            r = np.array([ix[0] for _, ix in entries])
            if kind.startswith("weight"):
                j = np.array([ix[1] for _, ix in entries])
                source = v if kind.endswith("_ih") else x[..., index[:H]]
                factor = source[..., j]
            else:
                factor = 1.0
            for p in range(self.N_PARTS):
                locals_[k][..., p * H + r % H, cols] = sens[..., p, r] * factor
        return self._propagate(cells, locals_, batch)

    def direction_derivative(self, delta: Mapping[str, np.ndarray], x) -> np.ndarray:
        """∂F/∂s along θ + s Δθ at this network (``delta`` = Δθ by array name), at states ``x``
        and this network's constant input: Σ over rows of ∂F/∂(gate row)·(ΔW v + Δb), chained
        through the layers."""
        x = np.asarray(x, dtype=np.float64)
        u = self.u if self.n_inputs else None
        out, cells = self._forward(x, u, True)
        batch = out.shape[:-1]
        G = self.N_GATES
        locals_ = []
        for k, (index, H, v, _, _, B, sens_ih, sens_hh) in enumerate(cells):
            h = x[..., index[:H]]
            dgh = h @ delta[f"weight_hh_l{k}"].T + delta[f"bias_hh_l{k}"]
            dgi = delta[f"bias_ih_l{k}"]
            if v is not None:
                dgi = dgi + v @ delta[f"weight_ih_l{k}"].T
            total = sens_ih * dgi[..., None, :] + sens_hh * dgh[..., None, :]
            local = total.reshape(total.shape[:-1] + (G, H)).sum(axis=-2)
            local = local.reshape(local.shape[:-2] + (self.N_PARTS * H,))
            if k == 0 and self.n_inputs:
                local = local + B @ delta["u"]
            locals_.append(local[..., None])
        return self._propagate(cells, locals_, batch)[..., 0]

    def difference(self, other: ArrayNetwork) -> dict[str, np.ndarray]:
        """Δθ = θ_other − θ_self by array name (networks of one class and shape)."""
        if type(other) is not type(self):
            raise ShapeError(f"expected another {type(self).__name__}, got "
                             f"{type(other).__name__}", argument="other")
        assert isinstance(other, GatedNetwork)
        if self._options() != other._options():
            raise ShapeError(f"networks differ: {self._options()} vs {other._options()}",
                             argument="other")
        mine, theirs = self.arrays(), other.arrays()
        if set(mine) != set(theirs):
            raise ShapeError(f"networks differ in their arrays: {sorted(mine)} vs "
                             f"{sorted(theirs)}", argument="other")
        for key, a in mine.items():
            if theirs[key].shape != a.shape:
                raise ShapeError(f"networks differ in the shape of {key}: {a.shape} vs "
                                 f"{theirs[key].shape}", argument="other", expected=a.shape,
                                 actual=theirs[key].shape)
        return {key: theirs[key] - a for key, a in mine.items()}
