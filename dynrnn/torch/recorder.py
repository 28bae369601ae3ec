r"""A recorder for the user's own PyTorch training loop.

Three lines in the loop::

    rec = Recorder(model, out="run/", optimizer=opt, clip=1.0)   # before the loop
    ...
    loss.backward()
    rec.record(loss)               # after backward, before clipping and optimizer.step()
    ...
    rec.close()                    # or: with Recorder(...) as rec:

Per step it records the loss, the float64 norm of the gradients of every parameter of ``model``
before clipping (``grad_norm``, the quantity spikes are defined on) and of the recurrent module
alone, the learning rate (with ``optimizer``), and whether the clipping threshold ``clip`` would
bite. θ_k of the recurrent module (and of ``readout``) is copied every step into a ring of the
last ``window + 1`` steps in memory; the ring is written to disk around every spike (the one
definition of :mod:`dynrnn.gradients.spikes`, decided online at step k), together with the
``window + 1`` steps after it, every ``stride``-th step, and the start-up steps; so every spike
that :func:`dynrnn.find_gradient_events` finds in the recording has θ on both sides.

Memory: the ring holds (window + 1) × n_params values and at most ``chunk_snapshots`` pending
snapshots of n_params values, in the parameters' dtype (:attr:`Recorder.memory_bytes`).

Files are written in atomic chunks (see :mod:`dynrnn.gradients.recording`): a run killed with
SIGKILL loses at most the records since the last chunk (≤ ``chunk_steps`` steps); a Recorder
opened again on the same ``out`` appends. Failures to write (a full disk) are recorded in
:attr:`Recorder.status` and warned about once; they never stop the user's training.

PyTorch is imported only when a Recorder is made.
"""
from __future__ import annotations

import enum
import json
import math
import os
import warnings
import weakref
from pathlib import Path
from typing import Any

import numpy as np

from .._checks import check_count
from ..errors import DynrnnError, InvalidInputError, InvalidTypeError
from ..gradients.recording import (
    META_FILE,
    RECORDING_FORMAT,
    RECORDING_VERSION,
    atomic_write_bytes,
    chunk_numbers,
    read_meta,
)
from ..gradients.spikes import SpikeDefinition

__all__ = ["Recorder", "RecorderStatus", "RecorderError", "RecorderWarning"]


class RecorderStatus(str, enum.Enum):
    RECORDING = "recording"
    CLOSED = "closed; every record is on disk"
    WRITE_FAILED = ("writing to disk failed (full disk or permissions); records are kept in "
                    "memory and writing is retried at every chunk")


class RecorderError(InvalidInputError):
    """The recorder was used out of order (``record`` before ``backward``, twice in one step,
    after ``close``)."""


class RecorderWarning(UserWarning):
    """Something went wrong in the recorder; the training goes on."""


def _import_torch():
    from ..model.torch_import import import_torch
    return import_torch()


def find_recurrent_module(model, prefix: str | None = None):
    """``(prefix, module)`` of the one ``nn.RNN``/``nn.GRU``/``nn.LSTM`` in ``model``."""
    torch = _import_torch()
    if not isinstance(model, torch.nn.Module):
        raise InvalidTypeError(f"module must be a torch.nn.Module holding an nn.RNN, nn.GRU or "
                               f"nn.LSTM, got {type(model).__name__}", argument="module",
                               value=type(model).__name__)
    kinds = (torch.nn.RNN, torch.nn.GRU, torch.nn.LSTM)
    found = [(name, m) for name, m in model.named_modules() if isinstance(m, kinds)]
    if prefix is not None:
        found = [(n, m) for n, m in found if n == prefix.rstrip(".")]
    if len(found) != 1:
        names = [n or "<the module itself>" for n, _ in found]
        other = sorted({type(m).__name__ for _, m in model.named_modules()
                        if isinstance(m, torch.nn.RNNBase) and not isinstance(m, kinds)})
        hint = f" (unsupported recurrent kinds: {other})" if other else ""
        raise InvalidTypeError(f"module must hold exactly one nn.RNN, nn.GRU or nn.LSTM"
                               f"{' named ' + repr(prefix) if prefix else ''}; found "
                               f"{names or 'none'}{hint}; pass prefix= to choose",
                               argument="module", value=names)
    name, module = found[0]
    problems = []
    if module.bidirectional:
        problems.append("bidirectional=True (a bidirectional layer is not one recurrent map)")
    if getattr(module, "proj_size", 0):
        problems.append(f"proj_size={module.proj_size} (projections are not supported)")
    if isinstance(module, torch.nn.RNN) and module.num_layers != 1:
        problems.append(f"num_layers={module.num_layers} (nn.RNN: one layer; GRU/LSTM may stack)")
    if problems:
        raise InvalidTypeError(f"unsupported {type(module).__name__}: " + "; ".join(problems),
                               argument="module", value=problems)
    return name, module


class Recorder:
    r"""Record a PyTorch training run for gradient-event analysis (see the module docstring).

    Parameters
    ----------
    module : torch.nn.Module
        An ``nn.RNN`` (one layer, tanh/relu), ``nn.GRU`` or ``nn.LSTM`` (stacked allowed),
        unidirectional, or a model holding exactly one of them (or choose with ``prefix``).
        ``grad_norm`` is over all of this module's parameters.
    out : str or path-like
        Directory of the recording (created; an existing recording is appended to).
    optimizer : torch.optim.Optimizer, optional
        Its first parameter group's learning rate is recorded.
    clip : float, optional
        The user's clipping threshold: records whether ``grad_norm > clip``.
    readout : torch.nn.Module or str, optional
        A readout (or its name in ``module``) whose θ is stored with the recurrent module's.
    prefix : str, optional
        Name of the recurrent module inside ``module``.
    stride : int
        Store θ every ``stride`` steps (≥ 1).
    window : int
        Steps of θ stored on each side of a spike (≥ 1).
    spikes : SpikeDefinition, optional
    constant_input : "zero", "batch_mean" or array_like, shape (input_size,)
        The constant input of the autonomous maps analysed later; "batch_mean" averages the
        ``inputs`` passed to :meth:`record`.
    chunk_steps, chunk_snapshots : int
        Step records and snapshots per file.

    Raises
    ------
    InvalidTypeError
        Unsupported or bidirectional module.
    InvalidInputError
        ``out`` is a file or a recording of another module; an option out of range.

    Examples
    --------
    >>> import torch, tempfile
    >>> from dynrnn.torch import Recorder
    >>> rnn = torch.nn.RNN(2, 4)
    >>> with Recorder(rnn, out=tempfile.mkdtemp()) as rec:
    ...     for step in range(3):
    ...         rnn.zero_grad()
    ...         out, _ = rnn(torch.randn(5, 1, 2))
    ...         loss = out.pow(2).mean()
    ...         loss.backward()
    ...         rec.record(loss)
    >>> rec.n_recorded
    3
    """

    def __init__(self, module, out, *, optimizer=None, clip: float | None = None, readout=None,
                 prefix: str | None = None, stride: int = 100, window: int = 2,
                 spikes: SpikeDefinition | None = None, constant_input="zero",
                 chunk_steps: int = 100, chunk_snapshots: int = 8):
        torch = _import_torch()
        self._torch = torch
        for name, value in (("stride", stride), ("window", window),
                            ("chunk_steps", chunk_steps), ("chunk_snapshots", chunk_snapshots)):
            check_count(value, name, 1, non_integer=InvalidInputError)
        if clip is not None and not (isinstance(clip, (int, float)) and 0 < clip < math.inf):
            raise InvalidInputError(f"clip must be a finite number > 0 or None, got {clip!r}",
                                    argument="clip", value=clip)
        if spikes is not None and not isinstance(spikes, SpikeDefinition):
            raise InvalidTypeError(f"spikes must be a SpikeDefinition, got "
                                   f"{type(spikes).__name__}", argument="spikes", value=spikes)
        self.definition = spikes or SpikeDefinition()
        self.model = module
        self.prefix, self.module = find_recurrent_module(module, prefix)
        self.readout = self._resolve_readout(module, readout)
        if optimizer is not None and not hasattr(optimizer, "param_groups"):
            raise InvalidTypeError(f"optimizer must be a torch optimizer, got "
                                   f"{type(optimizer).__name__}", argument="optimizer",
                                   value=type(optimizer).__name__)
        self.optimizer, self.clip = optimizer, clip
        self.stride, self.window = int(stride), int(window)
        self.chunk_steps, self.chunk_snapshots = int(chunk_steps), int(chunk_snapshots)
        self.input_size = int(self.module.input_size)
        self.constant_input = self._check_constant_input(constant_input)
        self.all_params = [p for p in module.parameters() if p.requires_grad]
        self.module_params = list(self.module.parameters())
        self.names = [(n, list(p.shape)) for n, p in self.module.named_parameters()]
        self.readout_names = ([(n, list(p.shape)) for n, p in self.readout.named_parameters()]
                              if self.readout is not None else [])
        self._theta_params = self.module_params + (list(self.readout.parameters())
                                                   if self.readout is not None else [])
        self.n_params = int(sum(p.numel() for p in self._theta_params))
        dtype = self._theta_params[0].detach().cpu().numpy().dtype
        self.out = Path(os.fspath(out))
        self.monitor = self.definition.monitor()
        self._open_directory()
        self.keep_always = self.definition.keep_always(self.window)
        self.ring = np.empty((self.window + 1, self.n_params), dtype=dtype)
        self.ring_steps = np.full(self.window + 1, -1, dtype=np.int64)
        self.pending_theta: list[tuple[int, np.ndarray]] = []
        self.pending_steps: list[tuple] = []
        self.keep_until = -1
        self.status = RecorderStatus.RECORDING
        self.closed = False
        self.n_recorded = 0
        self.n_write_failures = 0
        self._last_signature = None
        self._warned = False

    # -- setup -----------------------------------------------------------------------------------
    def _resolve_readout(self, model, readout):
        torch = self._torch
        if readout is None:
            return None
        if isinstance(readout, str):
            modules = dict(model.named_modules())
            if readout not in modules:
                raise InvalidInputError(f"readout {readout!r} is not a submodule of the model; "
                                        f"submodules: {sorted(m for m in modules if m)}",
                                        argument="readout", value=readout)
            return modules[readout]
        if not isinstance(readout, torch.nn.Module):
            raise InvalidTypeError(f"readout must be a torch module or its name, got "
                                   f"{type(readout).__name__}", argument="readout",
                                   value=type(readout).__name__)
        return readout

    def _check_constant_input(self, value):
        if isinstance(value, str):
            if value not in ("zero", "batch_mean"):
                raise InvalidInputError(f"constant_input must be 'zero', 'batch_mean' or a "
                                        f"vector of length {self.input_size}, got {value!r}",
                                        argument="constant_input", value=value)
            return value
        arr = np.asarray(value, dtype=np.float64)
        if arr.shape != (self.input_size,) or not np.all(np.isfinite(arr)):
            raise InvalidInputError(f"constant_input must be 'zero', 'batch_mean' or a finite "
                                    f"vector of length {self.input_size}, got shape {arr.shape}",
                                    argument="constant_input", value=arr.shape)
        return arr.tolist()

    def _header(self) -> dict:
        m = self.module
        return {"format": RECORDING_FORMAT, "version": RECORDING_VERSION,
                "kind": type(m).__name__ if type(m).__name__ in ("RNN", "GRU", "LSTM") else
                next(k for k in ("LSTM", "GRU", "RNN")
                     if isinstance(m, getattr(self._torch.nn, k))),
                "nonlinearity": getattr(m, "nonlinearity", None),
                "hidden_size": int(m.hidden_size), "input_size": int(m.input_size),
                "num_layers": int(m.num_layers), "prefix": self.prefix,
                "names": self.names, "readout": self.readout_names,
                "spike": {"ratio": float(self.definition.ratio),
                          "window": int(self.definition.window),
                          "min_history": int(self.definition.min_history)},
                "stride": self.stride, "window": self.window,
                "constant_input": self.constant_input,
                "dtype": str(self._theta_params[0].dtype).replace("torch.", "")}

    def _open_directory(self) -> None:
        out = self.out
        if out.exists() and not out.is_dir():
            raise InvalidInputError(f"out={str(out)!r} is a file; the recorder writes a "
                                    "directory: give a new or existing directory",
                                    argument="out", value=str(out))
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InvalidInputError(f"cannot create the recording directory {str(out)!r}: "
                                    f"{exc.strerror or exc}", argument="out",
                                    value=str(out)) from exc
        header = json.loads(json.dumps(self._header()))  # lists, as they are read back
        self.first_step, self.seq = 0, 0
        if (out / META_FILE).exists():
            old = read_meta(out, argument="out")
            for key in ("kind", "names", "readout", "hidden_size", "input_size", "num_layers"):
                if old.get(key) != header[key]:
                    raise InvalidInputError(
                        f"out={str(out)!r} holds a recording of another module ({key}: "
                        f"{old.get(key)!r}, not {header[key]!r}); use a new directory",
                        argument="out", value=str(out))
            numbers = chunk_numbers(out)
            self.seq = numbers[-1] if numbers else 0
            from ..gradients.recording import load_recording
            previous = load_recording(out)
            # The spike monitor continues over the recorded norms, so online decisions after a
            # restart equal the offline definition over the whole recording.
            for g, bad in zip(previous.grad_norm, previous.nonfinite):
                self.monitor.update(g, bool(bad))
            self.first_step = int(previous.steps[-1]) + 1 if previous.n_steps else 0
        for tmp in out.glob(".*.tmp"):  # left by a killed run
            try:
                tmp.unlink()
            except OSError:
                pass
        text = json.dumps(header, indent=1).encode()
        try:
            atomic_write_bytes(out / META_FILE, lambda fh: fh.write(text))
        except OSError as exc:
            raise InvalidInputError(f"cannot write to {str(out)!r}: {exc.strerror or exc}",
                                    argument="out", value=str(out)) from exc
        self.next_step = self.first_step

    @property
    def memory_bytes(self) -> int:
        """Upper bound of the memory held for θ: (window + 1 + chunk_snapshots) × n_params ×
        itemsize (the step records of one chunk add 64 bytes a step)."""
        return int((self.window + 1 + self.chunk_snapshots) * self.n_params
                   * self.ring.itemsize + 64 * self.chunk_steps)

    def __repr__(self) -> str:
        return (f"Recorder({type(self.module).__name__} hidden_size={self.module.hidden_size}, "
                f"{self.n_params} parameters in θ, {self.n_recorded} step(s) recorded, "
                f"memory ≤ {self.memory_bytes / 2**20:.3g} MiB, status {self.status.name}; "
                f"{self.out})")

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- recording -------------------------------------------------------------------------------
    def _signature(self):
        # Weak references: a gradient freed by zero_grad(set_to_none=True) never compares equal,
        # even if Python reuses its id.
        return [(p._version, None if p.grad is None else weakref.ref(p.grad),
                 None if p.grad is None else p.grad._version) for p in self.module_params]

    def _same_step(self, old, new) -> bool:
        if old is None:
            return False
        for (pv0, g0, gv0), (pv1, g1, gv1) in zip(old, new):
            if pv0 != pv1 or gv0 != gv1 or (g0 is None) != (g1 is None):
                return False
            if g0 is not None and (g0() is None or g0() is not g1()):
                return False
        return True

    def record(self, loss, inputs=None, step: int | None = None) -> None:
        """Record one step: call after ``loss.backward()`` and before clipping and
        ``optimizer.step()``.

        Parameters
        ----------
        loss : tensor or float
        inputs : tensor, optional
            The batch's inputs (last axis = input_size), for ``constant_input="batch_mean"``.
        step : int, optional
            The step number (default: one after the last recorded).

        Raises
        ------
        RecorderError
            After :meth:`close`; before ``backward`` (the recurrent module has no gradients);
            twice in one step (neither θ nor the gradients changed since the last record).
        """
        if self.closed:
            raise RecorderError("record() called after close(); make a new Recorder on the "
                                "same out= to append", argument="record", value="closed")
        if all(p.grad is None for p in self.module_params):
            raise RecorderError("record() called before loss.backward(): the recurrent module "
                                "has no gradients; call it after backward and before "
                                "optimizer.step()", argument="record", value="no gradients")
        signature = self._signature()
        if self._same_step(self._last_signature, signature):
            raise RecorderError("record() called twice in one step (neither the parameters nor "
                                "the gradients changed since the last call)", argument="record",
                                value="twice")
        self._last_signature = signature
        k = self.next_step if step is None else int(step)
        try:
            self._record(k, loss, inputs)
        except DynrnnError:
            raise
        except Exception as exc:  # never let the recorder stop the user's training
            self._fail(f"step {k} could not be recorded: {exc!r}")
        self.next_step = k + 1

    def _record(self, k: int, loss, inputs) -> None:
        torch = self._torch
        with torch.no_grad():
            loss_value = float(loss.detach()) if hasattr(loss, "detach") else float(loss)
            squares = {}
            for p in self.all_params:
                if p.grad is not None:
                    squares[id(p)] = float(torch.linalg.vector_norm(
                        p.grad.detach(), dtype=torch.float64)) ** 2
            total = math.sqrt(sum(squares.values()))
            own = math.sqrt(sum(squares.get(id(p), 0.0) for p in self.module_params))
            mean = np.full(self.input_size, np.nan)
            if inputs is not None and self.input_size:
                x = inputs.detach() if hasattr(inputs, "detach") else torch.as_tensor(inputs)
                mean = x.reshape(-1, x.shape[-1]).to(torch.float64).mean(0).cpu().numpy()
            slot = k % (self.window + 1)
            offset = 0
            row = self.ring[slot]
            for p in self._theta_params:
                flat = p.detach().reshape(-1).cpu().numpy()
                row[offset:offset + flat.size] = flat
                offset += flat.size
            self.ring_steps[slot] = k
        lr = float(self.optimizer.param_groups[0]["lr"]) if self.optimizer is not None \
            else float("nan")
        bites = -1 if self.clip is None else int(total > self.clip)
        nonfinite = not (math.isfinite(total) and math.isfinite(loss_value))
        is_spike, _ = self.monitor.update(total, nonfinite)
        if self.monitor.n_seen <= self.keep_always or k % self.stride == 0 \
                or k <= self.keep_until:
            self._keep(k, row)
        if is_spike:
            for s in np.sort(self.ring_steps[self.ring_steps >= 0]):
                if s >= k - self.window:
                    self._keep(int(s), self.ring[int(s) % (self.window + 1)])
            self.keep_until = k + 1 + self.window
        self.pending_steps.append((k, loss_value, total, own, lr, bites, nonfinite, mean))
        self.n_recorded += 1
        if len(self.pending_steps) >= self.chunk_steps or \
                len(self.pending_theta) >= self.chunk_snapshots:
            self.flush()

    def _keep(self, k: int, row: np.ndarray) -> None:
        if not any(s == k for s, _ in self.pending_theta):
            self.pending_theta.append((k, row.copy()))

    def _fail(self, message: str) -> None:
        self.n_write_failures += 1
        self.status = RecorderStatus.WRITE_FAILED
        if not self._warned:
            self._warned = True
            warnings.warn(f"dynrnn Recorder ({self.out}): {message}; training continues",
                          RecorderWarning, stacklevel=3)

    def flush(self) -> None:
        """Write the pending step records and snapshots as one chunk (atomically)."""
        if not self.pending_steps and not self.pending_theta:
            return
        seq = self.seq + 1
        try:
            if self.pending_steps:
                cols = list(zip(*self.pending_steps))
                arrays: dict[str, np.ndarray] = {
                          "step": np.array(cols[0], dtype=np.int64),
                          "loss": np.array(cols[1], dtype=np.float64),
                          "grad_norm": np.array(cols[2], dtype=np.float64),
                          "module_grad_norm": np.array(cols[3], dtype=np.float64),
                          "lr": np.array(cols[4], dtype=np.float64),
                          "clip_bites": np.array(cols[5], dtype=np.int8),
                          "nonfinite": np.array(cols[6], dtype=bool),
                          "input_mean": np.stack(cols[7]).reshape(len(cols[0]),
                                                                  self.input_size)}
                savez: Any = np.savez  # numpy's stub types **arrays as its bool keyword
                atomic_write_bytes(self.out / f"steps-{seq:06d}.npz",
                                   lambda fh: savez(fh, **arrays))
            if self.pending_theta:
                steps = np.array([s for s, _ in self.pending_theta], dtype=np.int64)
                params = np.stack([r for _, r in self.pending_theta])
                atomic_write_bytes(self.out / f"theta-{seq:06d}.npz",
                                   lambda fh: np.savez(fh, steps=steps, params=params))
        except (OSError, ValueError) as exc:
            # Keep everything in memory and retry at the next chunk (a full disk may free up).
            self._fail(f"writing chunk {seq} failed: {exc!r}")
            if self.status is RecorderStatus.WRITE_FAILED and (self.out / f"steps-{seq:06d}.npz"
                                                               ).exists():
                try:  # a half-written pair: the steps file alone would be read without θ
                    (self.out / f"steps-{seq:06d}.npz").unlink()
                except OSError:
                    pass
            return
        self.seq = seq
        self.pending_steps.clear()
        self.pending_theta.clear()
        if self.status is RecorderStatus.WRITE_FAILED:
            self.status = RecorderStatus.RECORDING

    def close(self) -> None:
        """Store θ after the last update (the parameters now) and write what is pending."""
        if self.closed:
            return
        if self.n_recorded:
            try:
                theta = np.concatenate([p.detach().reshape(-1).cpu().numpy()
                                        for p in self._theta_params]).astype(self.ring.dtype)
                self._keep(self.next_step, theta)
            except Exception as exc:  # noqa: BLE001 - never crash the user's program
                self._fail(f"the final parameters could not be read: {exc!r}")
        self.flush()
        self.closed = True
        if self.status is RecorderStatus.RECORDING:
            self.status = RecorderStatus.CLOSED
