r"""Recordings of PyTorch training runs (made by :class:`dynrnn.torch.Recorder`): the on-disk
format, reading it back, and the maps θ_k it holds, without importing PyTorch.

A recording is a directory::

    recording.json        what was recorded: the module (kind, sizes, nonlinearity), the parameter
                          names and shapes, the spike definition, the stride, the constant input
    steps-NNNNNN.npz      per-step records of a chunk of steps (step, loss, gradient norms, lr,
                          whether clipping would bite, non-finite flags, batch-mean inputs)
    theta-NNNNNN.npz      parameter snapshots θ_k (steps, params) written in chunks

Every file is written to a temporary name, flushed to disk (fsync) and renamed, so a run killed
with SIGKILL leaves whole chunks and at most one temporary file, which readers ignore; chunks are
numbered in the order written and a later chunk's record of a step replaces an earlier one (a
restarted run appends). θ_k are the parameters *before* update k, as in :func:`~dynrnn.train`.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._tables import TableSpec, Tabular
from ..errors import FileFormatError, InvalidInputError, InvalidTypeError
from .spikes import SpikeDefinition

__all__ = ["Recording", "load_recording", "RECORDING_FORMAT", "RECORDING_VERSION"]

RECORDING_FORMAT = "dynrnn-recording"
RECORDING_VERSION = 1
META_FILE = "recording.json"
STEP_FIELDS = ("step", "loss", "grad_norm", "module_grad_norm", "lr", "clip_bites", "nonfinite")
_CHUNK = re.compile(r"^(steps|theta)-(\d{6,})\.npz$")


def atomic_write_bytes(path: Path, write) -> None:
    """Write through ``write(file)`` to a temporary file beside ``path``, fsync, then rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def chunk_numbers(directory: Path) -> list[int]:
    """Sequence numbers of the whole chunks in ``directory`` (temporary files excluded)."""
    return sorted({int(m.group(2)) for m in (_CHUNK.match(p.name) for p in directory.iterdir())
                   if m})


def read_meta(directory: Path, argument: str = "path") -> dict:
    """The header of the recording in ``directory`` (errors name ``argument``)."""
    path = directory / META_FILE
    try:
        meta = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise FileFormatError(f"{directory} is not a dynrnn recording: it has no {META_FILE} "
                              "(make one with dynrnn.torch.Recorder)", argument=argument,
                              value=str(directory)) from exc
    except (OSError, ValueError) as exc:
        raise FileFormatError(f"cannot read {path}: {exc}", argument=argument,
                              value=str(path)) from exc
    if not isinstance(meta, dict) or meta.get("format") != RECORDING_FORMAT:
        raise FileFormatError(f"{path} is not a dynrnn recording header", argument=argument,
                              value=str(path))
    version = meta.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version > RECORDING_VERSION:
        raise FileFormatError(f"{path} was written by recording format version {version!r}; this "
                              f"dynrnn reads versions up to {RECORDING_VERSION}: upgrade dynrnn",
                              argument=argument, value=version)
    return meta


def _load_chunk(path: Path) -> dict:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: np.array(data[k]) for k in data.files}
    except (OSError, ValueError, EOFError, KeyError) as exc:   # KeyError: a damaged zip member
        raise FileFormatError(f"chunk {path} is unreadable ({exc}); delete it to read the rest "
                              "of the recording", argument="path", value=str(path)) from exc


@dataclass(frozen=True)
class Recording(Tabular):
    """A recorded PyTorch training run (see the module docstring for the format).

    Attributes
    ----------
    path : str
    meta : dict
        The header (module kind, sizes, parameter names and shapes, spike definition, ...).
    steps : ndarray of int, shape (n,)
        Recorded steps, increasing.
    loss, grad_norm, module_grad_norm, lr : ndarray, shape (n,)
        ``grad_norm`` is the float64 norm of the gradients of every parameter of the model
        before clipping; ``module_grad_norm`` that of the recurrent module alone; ``lr`` NaN
        without an optimiser.
    clip_bites : ndarray of int, shape (n,)
        1 if the user's clipping threshold would bite, 0 if not, −1 without a threshold.
    nonfinite : ndarray of bool, shape (n,)
    input_mean : ndarray, shape (n, n_inputs)
        The mean input of each batch (NaN when not given to ``record``).
    param_steps : ndarray of int, shape (P,)
    params : ndarray, shape (P, n_params)
        θ at ``param_steps``, flat in the order of ``meta["names"]`` then ``meta["readout"]``.
    gaps : int
        Steps missing between the first and the last recorded one (a chunk lost to a kill).
    """

    path: str
    meta: dict
    steps: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    module_grad_norm: np.ndarray
    lr: np.ndarray
    clip_bites: np.ndarray
    nonfinite: np.ndarray
    input_mean: np.ndarray
    param_steps: np.ndarray
    params: np.ndarray
    gaps: int = 0
    notes: tuple = field(default=())

    # the table: one row per recorded step
    _table_spec = TableSpec(columns=("step=steps", "loss", "grad_norm", "lr", "clip_bites",
                                     "nonfinite"))

    @property
    def n_steps(self) -> int:
        return int(self.steps.size)

    @property
    def clipped(self) -> np.ndarray:
        """Steps at which the user's clipping threshold bit (False without a threshold)."""
        return self.clip_bites == 1

    @property
    def kind(self) -> str:
        return str(self.meta["kind"])

    @property
    def spike_definition(self) -> SpikeDefinition:
        d = self.meta.get("spike", {})
        return SpikeDefinition(ratio=float(d.get("ratio", 10.0)), window=int(d.get("window", 50)),
                               min_history=int(d.get("min_history", 5)))

    def __repr__(self) -> str:
        m = self.meta
        return (f"Recording({m['kind']} hidden_size={m['hidden_size']} "
                f"num_layers={m.get('num_layers', 1)}; {self.n_steps} step(s) "
                f"[{int(self.steps[0]) if self.n_steps else 0}..."
                f"{int(self.steps[-1]) if self.n_steps else 0}], θ stored at "
                f"{self.param_steps.size} step(s), {int(self.nonfinite.sum())} non-finite, "
                f"{self.gaps} missing; {self.path})")

    __str__ = __repr__

    # -- parameters and maps -------------------------------------------------------------------
    def arrays_at(self, step: int) -> dict:
        """θ_step as ``{torch name: float64 array}`` (recurrent module first, then readout)."""
        idx = np.flatnonzero(self.param_steps == step)
        if idx.size == 0:
            raise InvalidInputError(f"parameters of step {step} were not recorded (recorded at "
                                    f"{self.param_steps.size} steps)", argument="step",
                                    value=step)
        flat = np.asarray(self.params[idx[-1]], dtype=np.float64)
        out, i = {}, 0
        for name, shape in list(self.meta["names"]) + list(self.meta.get("readout", [])):
            size = int(np.prod(shape)) if len(shape) else 1
            out[name] = flat[i:i + size].reshape(shape)
            i += size
        return out

    def constant_input(self) -> np.ndarray:
        """The constant input u of the autonomous maps: zeros, the given vector, or the mean
        over the recorded batch means (``constant_input="batch_mean"``)."""
        mode = self.meta.get("constant_input", "zero")
        m = int(self.meta["input_size"])
        if mode == "zero":
            return np.zeros(m)
        if mode == "batch_mean":
            finite = self.input_mean[np.all(np.isfinite(self.input_mean), axis=1)] \
                if self.input_mean.size else np.zeros((0, m))
            return finite.mean(axis=0) if finite.size else np.zeros(m)
        return np.asarray(mode, dtype=np.float64).reshape(m)

    def network_at(self, step: int, form: str = "elman", u=None):
        """The autonomous map θ_step under the constant input ``u`` (default
        :meth:`constant_input`): ElmanRNN (``form="elman"``) or its Pascanu conjugate
        :class:`~dynrnn.RNN` (``form="pascanu"``) for ``nn.RNN``; GRU or LSTM otherwise."""
        a = self.arrays_at(step)
        uu = self.constant_input() if u is None else np.asarray(u, dtype=np.float64)
        kind = self.kind
        if kind == "RNN":
            from ..model.elman import ElmanRNN
            b = a.get("bias_ih_l0", 0.0) + a.get("bias_hh_l0", 0.0)
            W = a["weight_hh_l0"]
            net = ElmanRNN(W, a["weight_ih_l0"], np.broadcast_to(b, (W.shape[0],)).copy(),
                           self.meta.get("nonlinearity", "tanh"), u=uu)
            if form in ("pascanu", "rnn"):
                return net.to_pascanu()
            if form != "elman":
                raise InvalidInputError(f"form must be 'elman' or 'pascanu', got {form!r}",
                                        argument="form", value=form)
            return net
        from ..model.gated import GRU, LSTM
        cls = {"GRU": GRU, "LSTM": LSTM}[kind]
        arrays = {k: v for k, v in a.items() if k in dict(self.meta["names"])}
        return cls.from_arrays({**arrays, "u": uu})

    def event_source(self, form: str = "elman"):
        """The adapter :func:`~dynrnn.gradients.find_gradient_events` reads."""
        return _RecordingSource(self, form)


class _RecordingSource:
    """Positions 0..n−1 of the recorded steps; θ at a position is θ of its step."""

    def __init__(self, recording: Recording, form: str):
        if form not in ("elman", "pascanu", "rnn"):
            raise InvalidInputError(f"form must be 'elman' or 'pascanu', got {form!r}",
                                    argument="form", value=form)
        self.recording, self.form = recording, form
        self.grad_norm = recording.grad_norm
        self.nonfinite = recording.nonfinite
        self.loss = recording.loss
        self.n_steps = recording.n_steps
        self.steps = recording.steps
        stored = set(recording.param_steps.tolist())
        # Positions whose θ is stored; the last position may use θ of the step after it (the
        # parameters at close).
        self._stored = stored
        net0 = None
        if recording.param_steps.size:
            net0 = recording.network_at(int(recording.param_steps[0]), form)
        n_states = net0.n_states if net0 is not None else int(recording.meta["hidden_size"])
        self.x0 = np.zeros(n_states)

    def _step(self, position: int) -> int:
        if position < self.n_steps:
            return int(self.steps[position])
        return int(self.steps[-1]) + (position - self.n_steps + 1)

    def has_params(self, position: int) -> bool:
        if position > 0 and position < self.n_steps and \
                self._step(position) != self._step(position - 1) + 1:
            return False  # a gap: θ of this position is not the update of the previous one
        return self._step(position) in self._stored

    def network_at(self, position: int):
        return self.recording.network_at(self._step(position), self.form)


def load_recording(path, *, names=None) -> Recording:
    """Read a recording directory written by :class:`dynrnn.torch.Recorder`.

    Parameters
    ----------
    path : str or path-like
    names : sequence of str, optional
        The recurrent module's parameter names the caller expects; a mismatch raises.

    Raises
    ------
    InvalidTypeError
        ``path`` not a str or path-like, ``names`` not a sequence of str.
    FileFormatError
        Not a directory, not a recording, a newer format version, a damaged header or chunk, or
        parameter names that do not match ``names``.
    """
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise InvalidTypeError(f"path must be the path of a recording directory (str or "
                               f"path-like), got {type(path).__name__}", argument="path",
                               value=path)
    if names is not None and (isinstance(names, (str, bytes)) or not _is_sequence(names)
                              or not all(isinstance(n, str) for n in names)):
        raise InvalidTypeError(f"names must be a sequence of parameter names (str), e.g. "
                               f"['weight_ih_l0', 'weight_hh_l0'], got {names!r}",
                               argument="names", value=names)
    directory = Path(os.fspath(path))
    if not directory.is_dir():
        raise FileFormatError(f"recording {str(directory)!r} is not a directory (a Recorder "
                              "writes a directory)", argument="path", value=str(directory))
    meta = read_meta(directory)
    try:
        return _read(directory, meta, names)
    except FileFormatError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, OSError) as exc:
        # a header or chunk with the right format tag but missing or malformed fields
        why = f"{type(exc).__name__}: {exc}"
        raise FileFormatError(f"recording {directory} is damaged or incomplete ({why}); record "
                              "it again or delete the damaged chunk",
                              argument="path", value=str(directory)) from exc


def _is_sequence(value) -> bool:
    return isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim == 1)


def _read(directory: Path, meta: dict, names) -> Recording:
    """The records of ``directory`` (its header ``meta`` already checked)."""
    if names is not None:
        have = [n for n, _ in meta["names"]]
        if list(names) != have:
            raise FileFormatError(f"recording {directory} holds parameters {have}, not "
                                  f"{list(names)}: it was made for another module",
                                  argument="names", value=list(names))
    step_rows: dict[int, dict] = {}
    theta_rows: dict[int, np.ndarray] = {}
    n_inputs = int(meta["input_size"])
    for seq in chunk_numbers(directory):
        sp = directory / f"steps-{seq:06d}.npz"
        if sp.exists():
            c = _load_chunk(sp)
            mean = c.get("input_mean", np.full((c["step"].size, n_inputs), np.nan))
            for i, s in enumerate(c["step"].tolist()):
                step_rows[int(s)] = {k: c[k][i] for k in STEP_FIELDS} | {"input_mean": mean[i]}
        tp = directory / f"theta-{seq:06d}.npz"
        if tp.exists():
            c = _load_chunk(tp)
            for s, p in zip(c["steps"].tolist(), c["params"]):
                theta_rows[int(s)] = p
    steps = np.array(sorted(step_rows), dtype=np.int64)
    col = {k: np.array([step_rows[s][k] for s in steps.tolist()]) for k in STEP_FIELDS}
    n_params = sum(int(np.prod(s)) for _, s in list(meta["names"]) + list(meta.get("readout",
                                                                                    [])))
    psteps = np.array(sorted(theta_rows), dtype=np.int64)
    params = (np.stack([theta_rows[s] for s in psteps.tolist()]) if psteps.size
              else np.zeros((0, n_params)))
    gaps = int(steps[-1] - steps[0] + 1 - steps.size) if steps.size else 0
    return Recording(str(directory), meta, steps,
                     col["loss"].astype(float) if steps.size else np.zeros(0),
                     col["grad_norm"].astype(float) if steps.size else np.zeros(0),
                     col["module_grad_norm"].astype(float) if steps.size else np.zeros(0),
                     col["lr"].astype(float) if steps.size else np.zeros(0),
                     col["clip_bites"].astype(np.int8) if steps.size else np.zeros(0, np.int8),
                     col["nonfinite"].astype(bool) if steps.size else np.zeros(0, bool),
                     (np.stack([step_rows[s]["input_mean"] for s in steps.tolist()])
                      if steps.size else np.zeros((0, n_inputs))),
                     psteps, params, gaps)
