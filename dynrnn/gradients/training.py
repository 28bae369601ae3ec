r"""Stochastic gradient descent for the RNN of eq. (2), with Algorithm 1 clipping, the Ω
regulariser, a step-by-step history for gradient-event analysis, checkpoints and resumption.

One step k:

.. math::

    g_k = \nabla_\theta\big(E(\theta_k) + \alpha\,\Omega(\theta_k)\big),\quad
    \hat g_k = \mathrm{clip}(g_k),\quad
    v_{k+1} = \mu v_k - \eta\,\hat g_k,\quad \theta_{k+1} = \theta_k + v_{k+1}.

The history stores θ_k (the parameters *before* step k), the loss E(θ_k), ‖g_k‖ before clipping,
whether step k was clipped, Ω(θ_k) and what was done about non-finite values.

References
----------
Pascanu, Mikolov, Bengio (2013), §3-§4.
"""
from __future__ import annotations

import collections
import enum
import json
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, cast

import numpy as np

from .._checks import check_count
from .._signature_checks import checked_arguments
from .._tables import TableSpec, Tabular
from ..errors import (
    DynrnnWarning,
    FileFormatError,
    InvalidInputError,
    InvalidTypeError,
    NonFiniteError,
    ShapeError,
)
from ..io.atomic import atomic_write, check_writable
from ..model.base import as_finite_array
from ..model.rnn import RNN
from .bptt import Readout, as_readout, bptt
from .clipping import ClipAction, clip_gradients, global_norm
from .regularizer import omega
from .spikes import SpikeDefinition
from .tasks import Batch, Task, error_rate, get_task
from .training_options import TrainingOptions

__all__ = ["TrainingStatus", "TrainingHistory", "TrainingResult", "train", "pack_params",
           "unpack_params"]

_CHECKPOINT_VERSION = 1


class TrainingStatus(str, enum.Enum):
    COMPLETED = "all requested steps were taken"
    INTERRUPTED = "interrupted (KeyboardInterrupt or callback); resume from the checkpoint"
    NONFINITE = ("stopped at a non-finite loss or gradient (on_nonfinite='stop'); the parameters "
                 "are those before that step; use on_nonfinite='skip' or 'shrink' to continue")


def _layout(net: RNN, readout: Readout | None) -> tuple[tuple[str, tuple[int, ...]], ...]:
    out = [("W_rec", net.W_rec.shape), ("W_in", net.W_in.shape), ("b", net.b.shape)]
    if readout is not None:
        out += [("W_out", readout.W_out.shape), ("b_out", readout.b_out.shape)]
    return tuple((k, tuple(int(s) for s in v)) for k, v in out)


def pack_params(arrays: dict, layout) -> np.ndarray:
    """Concatenate arrays (by name, in ``layout`` order) into one flat float64 vector."""
    return np.concatenate([np.asarray(arrays[k], dtype=np.float64).ravel() for k, _ in layout])


def unpack_params(vector: np.ndarray, layout) -> dict:
    """Inverse of :func:`pack_params`."""
    out, i = {}, 0
    for k, shape in layout:
        size = int(np.prod(shape)) if len(shape) else 1
        out[k] = np.asarray(vector[i:i + size]).reshape(shape)
        i += size
    return out


@dataclass(frozen=True)
class TrainingHistory(Tabular):
    """What happened at every step.

    Attributes
    ----------
    loss, grad_norm, omega : ndarray, shape (n_steps,)
        E(θ_k), ‖g_k‖ before clipping (the E + αΩ gradient; x0 excluded), Ω(θ_k) (NaN when not
        recorded).
    clipped, nonfinite : ndarray of bool, shape (n_steps,)
    actions : ndarray of str, shape (n_steps,)
        ``ClipAction`` name of each step ("UNCHANGED", "CLIPPED", "SKIPPED", "SHRUNK"), or
        "STOPPED" for the non-finite step at which ``on_nonfinite="stop"``/"raise" ended the run.
    param_steps : ndarray of int, shape (P,)
        Steps k whose parameters θ_k are stored (θ_{n_steps} is the final network).
    params : ndarray, shape (P, n_params)
        The stored θ_k, flat in ``layout`` order.
    layout : tuple of (name, shape)
    activation : str
    lr, momentum : float
    clip : float or None (NaN-free: 0.0 means no clipping)
    x0 : ndarray, shape (n_units,)
        The initial state used for every sequence.
    """

    loss: np.ndarray
    grad_norm: np.ndarray
    omega: np.ndarray
    clipped: np.ndarray
    nonfinite: np.ndarray
    actions: np.ndarray
    param_steps: np.ndarray
    params: np.ndarray
    layout: tuple
    activation: str
    lr: float
    momentum: float
    clip: float
    x0: np.ndarray

    # the table: one row per training step
    _table_spec = TableSpec(columns=(("step", lambda r: range(len(r.loss))), "loss",
                                     "grad_norm", "clipped", "action=actions"))

    def __repr__(self) -> str:
        if not self.n_steps:
            return f"TrainingHistory(no steps; θ stored at {self.param_steps.size} step(s))"
        finite = np.isfinite(self.grad_norm)
        largest = (f"max |g| {float(np.max(self.grad_norm[finite])):.4g} at step "
                   f"{int(np.flatnonzero(finite)[np.argmax(self.grad_norm[finite])])}"
                   if finite.any() else "no finite gradient")
        return (f"TrainingHistory({self.n_steps} step(s), {self.activation}: loss "
                f"{self.loss[0]:.4g} -> {self.loss[-1]:.4g}; {largest}; clipped "
                f"{int(self.clipped.sum())}; non-finite {int(self.nonfinite.sum())}; θ stored "
                f"at {self.param_steps.size} step(s))")

    __str__ = __repr__

    @property
    def n_steps(self) -> int:
        return int(self.loss.shape[0])

    def has_params(self, step: int) -> bool:
        return bool(np.any(self.param_steps == step))

    def arrays_at(self, step: int) -> dict:
        """θ_step by array name (raises if that step's parameters were not stored)."""
        idx = np.flatnonzero(self.param_steps == step)
        if idx.size == 0:
            raise InvalidInputError(f"parameters of step {step} were not stored (stored: "
                                    f"{self.param_steps.size} steps); use history='full' or a "
                                    "denser stride", argument="step", value=step)
        return unpack_params(self.params[idx[0]], self.layout)

    def network_at(self, step: int) -> tuple[RNN, Readout | None]:
        """The network (and readout) θ_step."""
        a = self.arrays_at(step)
        net = RNN(a["W_rec"], a["W_in"], a["b"], self.activation)
        ro = Readout(a["W_out"], a["b_out"]) if "W_out" in a else None
        return net, ro


@dataclass(frozen=True)
class TrainingResult(Tabular):
    """Outcome of :func:`train`.

    Attributes
    ----------
    net : RNN
        The final network θ_{n_steps}.
    readout : Readout or None
    history : TrainingHistory
    status : TrainingStatus
    success : bool
        True when all requested steps were taken.
    n_steps : int
        Steps taken (including those of a resumed run).
    n_nonfinite : int
    error_rate : float
        Task error rate on a fresh evaluation batch at the end (NaN without a task).
    checkpoint : str
    """

    _table_spec = TableSpec(columns=(("step", lambda r: range(len(r.history.loss))),
                                     "loss=history.loss", "grad_norm=history.grad_norm",
                                     "clipped=history.clipped", "action=history.actions"))

    net: RNN
    readout: Readout | None
    history: TrainingHistory
    status: TrainingStatus
    success: bool
    n_steps: int
    n_nonfinite: int
    error_rate: float = float("nan")
    checkpoint: str = ""
    extra: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        h = self.history
        loss = (f"loss {h.loss[0]:.4g} -> {h.loss[-1]:.4g}" if h.n_steps else "no steps")
        gmax = float(np.nanmax(h.grad_norm)) if h.n_steps and np.any(np.isfinite(h.grad_norm)) \
            else float("nan")
        err = f"; error rate {self.error_rate:.4g}" if np.isfinite(self.error_rate) else ""
        return (f"TrainingResult({self.net.n_units}-unit {h.activation} RNN, {self.n_steps} "
                f"step(s), status {self.status.name}: {self.status.value}\n  {loss}; max |g| "
                f"{gmax:.4g}; clipped {int(h.clipped.sum())}; non-finite {self.n_nonfinite}; "
                f"θ stored at {h.param_steps.size} step(s){err})")

    __str__ = __repr__


class _Recorder:
    """Accumulates the per-step history and the parameter snapshots (dense or strided+windows).

    Spikes are judged by the one definition in :mod:`dynrnn.gradients.spikes` (the same one
    :func:`~dynrnn.gradients.find_gradient_events` applies afterwards), so every spike the analysis
    finds has θ stored ``window`` steps on both sides.
    """

    def __init__(self, dense: bool, stride: int, window: int, spike_ratio: float):
        self.rows: dict[str, list] = {k: [] for k in ("loss", "grad_norm", "omega", "clipped",
                                                      "nonfinite", "actions")}
        self.snapshots: dict[int, np.ndarray] = {}
        self.dense, self.stride, self.window = dense, stride, window
        definition = SpikeDefinition(ratio=spike_ratio)
        self.monitor = definition.monitor()
        self.keep_always = definition.keep_always(window)
        self.recent: collections.deque = collections.deque(maxlen=max(window, 1) + 1)
        self.keep_until = -1

    def before_step(self, k: int, theta: np.ndarray) -> None:
        if self.dense or k % self.stride == 0 or k <= self.keep_until or k < self.keep_always:
            self.snapshots[k] = theta.copy()
        else:
            self.recent.append((k, theta.copy()))

    def after_step(self, k: int, loss, gnorm, om, clipped, nonfinite, action) -> None:
        for key, v in zip(self.rows, (loss, gnorm, om, clipped, nonfinite, action)):
            self.rows[key].append(v)
        is_spike, _ = self.monitor.update(gnorm, bool(nonfinite))
        if not self.dense and is_spike:
            for kk, th in self.recent:  # the window before the spike
                self.snapshots[kk] = th
            self.recent.clear()
            self.keep_until = k + 1 + self.window

    def finish(self, k_final: int, theta: np.ndarray):
        self.snapshots[k_final] = theta.copy()
        steps = np.array(sorted(self.snapshots), dtype=np.int64)
        params = (np.stack([self.snapshots[s] for s in steps]) if steps.size
                  else np.zeros((0, theta.size)))
        cols = {k: np.asarray(v) for k, v in self.rows.items()}
        return cols, steps, params

    # -- checkpoint round trip -----------------------------------------------------------------
    def state(self) -> dict:
        steps = np.array(sorted(self.snapshots), dtype=np.int64)
        return {"h_" + k: np.asarray(v) for k, v in self.rows.items()} | {
            "snap_steps": steps,
            "snap_params": (np.stack([self.snapshots[s] for s in steps]) if steps.size
                            else np.zeros((0, 0))),
            "norms": self.monitor.state()["spike_norms"],
            "keep_until": np.asarray(self.keep_until)}

    def restore(self, data) -> None:
        for k in self.rows:
            self.rows[k] = list(data["h_" + k])
        self.snapshots = {int(s): p for s, p in zip(data["snap_steps"], data["snap_params"])}
        self.monitor.restore(data["norms"], len(self.rows["loss"]))
        self.keep_until = int(data["keep_until"])


def _batch_source(task, batch_size, length, seed):
    """A function step -> Batch; batches depend only on (seed, step), so resuming is exact."""
    if isinstance(task, Batch):
        return (lambda k: task), None
    if callable(task) and not isinstance(task, (Task, str)):
        def from_callable(k):
            batch = task(k, np.random.default_rng([seed, k]))
            if not isinstance(batch, Batch):
                raise InvalidTypeError(f"task, a callable, must return a Batch for step {k}, "
                                       f"got {type(batch).__name__}", argument="task",
                                       value=task)
            return batch
        return from_callable, None
    t = get_task(task)
    return (lambda k: t.sample(batch_size, length, seed=np.random.default_rng([seed, k]))), t


@checked_arguments
def train(net: RNN, task: Task | str | Batch | Callable, *, steps: int, readout=None, x0=None,
          options: TrainingOptions | None = None, checkpoint: str | os.PathLike | None = None,
          resume: bool = False, progress: bool = True,
          callback: Callable[[int, float, float], bool] | None = None,
          **option_values) -> TrainingResult:
    r"""Train ``net`` (and ``readout``) by SGD on a task, recording a history of every step.

    Parameters
    ----------
    net : RNN
    task : Task, task name, Batch or callable
        A task (a fresh batch per step, seeded by ``(seed, step)``), a fixed :class:`Batch`
        (full-batch descent, e.g. the Fig. 6 problem), or ``f(step, rng) -> Batch``.
    steps : int
        Total number of steps (a resumed run continues up to it).
    readout : Readout or (W_out, b_out), optional
        Trained together with the net; without it the loss is on σ(x_t).
    x0 : array_like, shape (n_units,), optional
        The initial state of every sequence (zeros by default).
    options : TrainingOptions, optional
        Learning rate, momentum, batch size, sequence length, clipping, regulariser, seed,
        history mode, checkpoint interval, ... (see :class:`TrainingOptions`).
    **option_values
        Any field of :class:`TrainingOptions` as a keyword (``lr=0.1, clip=1.0``), applied on
        top of ``options``.
    checkpoint : str or path-like, optional
        Path of an npz checkpoint, written atomically every ``options.checkpoint_every`` steps,
        at an interruption and at the end. A checkpoint that cannot be written (disk full, the
        directory removed) gives a :class:`~dynrnn.errors.DynrnnWarning` and the trained result
        is still returned.
    resume : bool
        Continue from ``checkpoint`` if it exists.
    progress : bool
        Show a tqdm progress bar.
    callback : callable, optional
        ``callback(step, loss, grad_norm) -> bool``; returning False stops (status INTERRUPTED).

    Returns
    -------
    TrainingResult

    Raises
    ------
    InvalidInputError, InvalidTypeError
        A bad argument or option, before the first step (naming it).

    References
    ----------
    Pascanu, Mikolov, Bengio (2013), §3-§4, Algorithm 1.

    Examples
    --------
    Gradient descent on the Fig. 6 loss with clipping:

    >>> import dynrnn as dr
    >>> from dynrnn.gradients import fig6_problem
    >>> net, batch, x0 = fig6_problem(5.0, -2.6)
    >>> res = dr.train(net, batch, steps=20, lr=0.1, clip=1.0, x0=x0, progress=False)
    >>> res.status.name, res.history.params.shape
    ('COMPLETED', (21, 2))
    """
    steps, opts, checkpoint_path, x0v = _check_arguments(net, steps, x0, options, option_values,
                                                         checkpoint, resume, callback)
    ro = as_readout(readout)
    layout = _layout(net, ro)
    get_batch, task_obj = _batch_source(task, opts.batch_size, opts.length, opts.seed)
    arrays = {k: np.array(v, dtype=np.float64) for k, v in
              {**net.arrays(), **({"W_out": ro.W_out, "b_out": ro.b_out} if ro else {})}.items()
              if k in dict(layout)}
    theta = pack_params(arrays, layout)
    velocity = np.zeros_like(theta)
    dense = opts.history == "full" or (opts.history == "auto"
                                       and theta.size <= opts.max_dense_params)
    rec = _Recorder(dense, opts.param_stride, opts.spike_window, opts.spike_ratio)
    store = _Checkpoint(checkpoint_path, layout, opts, net.activation.name)
    start = 0
    if resume:
        theta, velocity, start = store.restore(theta, velocity, rec)

    pbar = None
    if progress:
        from tqdm.auto import tqdm
        pbar = tqdm(total=steps, initial=start, desc="train", leave=False)
    try:
        theta, velocity, status, raise_exc = _descend(
            net, layout, get_batch, x0v, opts, rec, store, (theta, velocity), (start, steps),
            pbar, callback)
    finally:
        if pbar is not None:
            pbar.close()
    result = _finish(net, layout, theta, velocity, status, rec, store, opts, x0v, task_obj,
                     checkpoint_path)
    if raise_exc is not None:
        raise_exc.result = result
        raise raise_exc
    return result


def _build(net: RNN, layout, theta: np.ndarray):
    """The network, readout and arrays of the packed parameters ``theta``."""
    a = unpack_params(theta, layout)
    net_k = net.replace(W_rec=a["W_rec"], W_in=a["W_in"], b=a["b"])
    ro_k = Readout(a["W_out"], a["b_out"]) if "W_out" in a else None
    return net_k, ro_k, a


def _descend(net: RNN, layout, get_batch, x0v, opts: TrainingOptions, rec: _Recorder,
             store: _Checkpoint, state: tuple[np.ndarray, np.ndarray], span: tuple[int, int],
             pbar, callback):
    """SGD with momentum from step ``span[0]`` to ``span[1]`` (or a stop): returns the final
    (θ, velocity), the status and the NonFiniteError to raise (or None). Ctrl-C stops it with
    the steps done so far kept."""
    theta, velocity = state
    k, steps = span
    status = TrainingStatus.COMPLETED
    raise_exc = None
    try:
        while k < steps:
            net_k, ro_k, a = _build(net, layout, theta)
            r, grads, om_value = _gradient(net_k, ro_k, get_batch(k), x0v, layout, opts)
            rec.before_step(k, theta)
            with np.errstate(over="ignore", invalid="ignore"):
                gnorm = global_norm(grads)
            bad = not (np.isfinite(r.loss) and np.isfinite(gnorm) and gnorm <= 1e10)
            if bad and opts.on_nonfinite in ("stop", "raise"):
                rec.after_step(k, r.loss, gnorm, om_value, False, True, "STOPPED")
                status = TrainingStatus.NONFINITE
                if opts.on_nonfinite == "raise":
                    raise_exc = NonFiniteError(
                        f"non-finite loss or gradient at step {k} (loss={r.loss}, "
                        f"|g|={gnorm}); the parameters before the step are kept in the "
                        "result (exception.result)", argument="on_nonfinite", value=k)
                break       # θ is unchanged: the history's final θ is the last finite one
            g_apply, clipped, action = _clipped(grads, a, bad, opts)
            velocity *= opts.momentum
            velocity -= opts.lr * pack_params(g_apply, layout)
            theta = theta + velocity
            rec.after_step(k, r.loss, gnorm, om_value, clipped, bad, action)
            k += 1
            if pbar is not None:
                pbar.update(1)
                if k % 10 == 0:
                    pbar.set_postfix(loss=f"{r.loss:.4g}", gnorm=f"{gnorm:.3g}")
            if k % opts.checkpoint_every == 0:
                store.save(k, theta, velocity, rec)
            if callback is not None and callback(k - 1, r.loss, gnorm) is False:
                status = TrainingStatus.INTERRUPTED
                break
    except KeyboardInterrupt:
        status = TrainingStatus.INTERRUPTED
    return theta, velocity, status, raise_exc


def _finish(net: RNN, layout, theta, velocity, status: TrainingStatus, rec: _Recorder,
            store: _Checkpoint, opts: TrainingOptions, x0v, task_obj, checkpoint_path
            ) -> TrainingResult:
    """The final checkpoint, the history and the result of a run that ended with ``status``."""
    # The final θ belongs to the number of completed updates (a stopped step made none).
    n_done = len(rec.rows["loss"])
    k_final = n_done if status is not TrainingStatus.NONFINITE else n_done - 1
    store.save(k_final, theta, velocity, rec)
    cols, psteps, params = rec.finish(k_final, theta)
    hist = TrainingHistory(cols["loss"].astype(float), cols["grad_norm"].astype(float),
                           cols["omega"].astype(float), cols["clipped"].astype(bool),
                           cols["nonfinite"].astype(bool), cols["actions"].astype(str), psteps,
                           params, layout, net.activation.name, float(opts.lr),
                           float(opts.momentum),
                           float(opts.clip) if opts.clip is not None else 0.0, x0v)
    final_net, final_ro, _ = _build(net, layout, theta)
    err = _final_error_rate(task_obj, final_net, final_ro, x0v, opts)
    return TrainingResult(final_net, final_ro, hist, status,
                          status is TrainingStatus.COMPLETED, n_done,
                          int(hist.nonfinite.sum()), float(err), checkpoint_path or "",
                          {"checkpoint_errors": store.errors} if store.errors else {})


def _check_arguments(net, steps, x0, options, option_values, checkpoint, resume, callback
                     ) -> tuple[int, TrainingOptions, str | None, np.ndarray]:
    """Everything train checks before its first step: (steps, options, checkpoint, x0)."""
    if not isinstance(net, RNN):
        raise InvalidTypeError(f"net must be a dynrnn.RNN, got {type(net).__name__}",
                               argument="net", value=net)
    steps = check_count(steps, "steps", 0)
    if options is not None and not isinstance(options, TrainingOptions):
        raise InvalidTypeError(f"options must be a TrainingOptions, got "
                               f"{type(options).__name__}", argument="options", value=options)
    opts = (options or TrainingOptions()).with_overrides(option_values)
    if resume and checkpoint is None:
        raise InvalidInputError("resume=True needs checkpoint=path", argument="checkpoint",
                                value=None)
    path = None if checkpoint is None else str(check_writable(checkpoint, "checkpoint"))
    if callback is not None and not callable(callback):
        raise InvalidTypeError(f"callback must be callable, got {callback!r}",
                               argument="callback", value=callback)
    n = net.n_units
    x0v = np.zeros(n) if x0 is None else as_finite_array(x0, "x0")
    if x0v.shape != (n,):
        raise ShapeError(f"x0 must have shape ({n},), got {x0v.shape}", argument="x0",
                         expected=(n,), actual=x0v.shape)
    return steps, opts, path, x0v


def _gradient(net_k, ro_k, batch, x0v, layout, opts: TrainingOptions):
    """(BPTT result, gradient by array name including the regulariser's, Ω or NaN) at θ_k."""
    X0 = np.broadcast_to(x0v, (batch.batch_size, net_k.n_units))
    with np.errstate(over="ignore", invalid="ignore"):
        r = bptt(net_k, X0, batch.inputs, batch.targets, batch.loss, readout=ro_k,
                 where=batch.where, mask=batch.mask)
    grads = {name: r.grads[name] for name, _ in layout}
    regularizer = opts.regularizer
    record_omega = regularizer is not None if opts.record_omega is None else opts.record_omega
    om_value = np.nan
    if record_omega or regularizer is not None:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            om = omega(net_k, r, cast(Literal["ratio", "squared"],
                                      regularizer[1] if regularizer else "ratio"))
        om_value = om.value
        if regularizer is not None:
            grads["W_rec"] = grads["W_rec"] + regularizer[0] * om.grad_W_rec
    return r, grads, om_value


def _clipped(grads, weights, bad: bool, opts: TrainingOptions):
    """(gradient to apply, clipped?, action name): Algorithm 1, or the non-finite policy."""
    if bad:
        cr = clip_gradients(grads, opts.clip or 1.0, weights=weights,
                            nonfinite=cast(Literal["skip", "shrink"], opts.on_nonfinite))
        return cr.grads, True, cr.action.name
    if opts.clip is not None:
        cr = clip_gradients(grads, opts.clip, compare=opts.clip_compare)
        return cr.grads, cr.clipped, cr.action.name
    return grads, False, ClipAction.UNCHANGED.name


def _final_error_rate(task_obj, net, readout, x0v, opts: TrainingOptions) -> float:
    """With a task: the error rate on a fresh evaluation batch (seed (seed, 2^62)); else NaN."""
    if task_obj is None or opts.eval_batch_size == 0:
        return float("nan")
    batch = task_obj.sample(opts.eval_batch_size, opts.length,
                            seed=np.random.default_rng([opts.seed, 2**62]))
    r = bptt(net, np.broadcast_to(x0v, (batch.batch_size, net.n_units)), batch.inputs,
             batch.targets, batch.loss, readout=readout, where=batch.where, mask=batch.mask)
    return error_rate(task_obj, batch, r.outputs)


class _Checkpoint:
    """The checkpoint file of a run: written atomically; a write that fails is a warning (the
    trained parameters are worth more than the file), kept in ``errors``."""

    def __init__(self, path: str | None, layout, opts: TrainingOptions, activation: str):
        self.path, self.layout = path, layout
        self.errors: list[str] = []
        self.config = json.dumps({"layout": [[k, list(s)] for k, s in layout], "lr": opts.lr,
                                  "momentum": opts.momentum, "clip": opts.clip,
                                  "seed": opts.seed, "activation": activation,
                                  "version": _CHECKPOINT_VERSION})

    def save(self, step_next: int, theta, velocity, rec: _Recorder) -> None:
        if self.path is None:
            return
        arrays = dict(theta=theta, velocity=velocity, step=np.asarray(step_next),
                      config=np.asarray(self.config), **rec.state())
        try:
            atomic_write(self.path, lambda fh: np.savez(fh, **arrays), argument="checkpoint")
        except (OSError, InvalidInputError) as exc:
            self.errors.append(f"step {step_next}: {type(exc).__name__}: {exc}")
            warnings.warn(f"could not write the checkpoint {self.path!r} at step {step_next} "
                          f"({type(exc).__name__}: {exc}); training goes on and the result is "
                          "returned", DynrnnWarning, stacklevel=3)

    def restore(self, theta, velocity, rec: _Recorder):
        """(θ, velocity, next step) from the file if it exists, else the given start."""
        if self.path is None or not os.path.exists(self.path):
            return theta, velocity, 0
        try:
            with np.load(self.path, allow_pickle=False) as data:
                saved = json.loads(str(data["config"]))
                if saved["layout"] != json.loads(self.config)["layout"]:
                    raise FileFormatError(
                        f"checkpoint {self.path!r} was written for parameter layout "
                        f"{saved['layout']}, not {self.layout}", argument="checkpoint",
                        value=self.path)
                theta, velocity = np.array(data["theta"]), np.array(data["velocity"])
                start = int(data["step"])
                rec.restore(data)
        except (KeyError, ValueError, OSError) as exc:
            raise FileFormatError(f"cannot resume from checkpoint {self.path!r}: {exc}",
                                  argument="checkpoint", value=self.path) from exc
        return theta, velocity, start
