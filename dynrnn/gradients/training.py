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
import tempfile
from dataclasses import dataclass, field
from typing import Callable, Literal

import numpy as np

from ..errors import FileFormatError, InvalidInputError, InvalidTypeError, NonFiniteError, \
    ShapeError
from ..model.rnn import RNN
from .bptt import Readout, _as_readout, bptt
from .clipping import ClipAction, clip_gradients, global_norm
from .regularizer import REGULARIZER_VARIANTS, omega
from .tasks import Batch, Task, error_rate, get_task
from .._signature_checks import checked_arguments

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
class TrainingHistory:
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
class TrainingResult:
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


def _atomic_savez(path: str, **arrays) -> None:
    directory = os.path.dirname(os.path.abspath(path)) or "."
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class _Recorder:
    """Accumulates the per-step history and the parameter snapshots (dense or strided+windows)."""

    def __init__(self, dense: bool, stride: int, window: int, spike_ratio: float,
                 median_window: int = 50):
        self.rows: dict[str, list] = {k: [] for k in ("loss", "grad_norm", "omega", "clipped",
                                                      "nonfinite", "actions")}
        self.snapshots: dict[int, np.ndarray] = {}
        self.dense, self.stride, self.window, self.ratio = dense, stride, window, spike_ratio
        self.recent: collections.deque = collections.deque(maxlen=max(window, 1) + 1)
        self.norms: collections.deque = collections.deque(maxlen=median_window)
        self.keep_until = -1

    def before_step(self, k: int, theta: np.ndarray) -> None:
        if self.dense or k % self.stride == 0 or k <= self.keep_until:
            self.snapshots[k] = theta.copy()
        else:
            self.recent.append((k, theta.copy()))

    def after_step(self, k: int, loss, gnorm, om, clipped, nonfinite, action) -> None:
        for key, v in zip(self.rows, (loss, gnorm, om, clipped, nonfinite, action)):
            self.rows[key].append(v)
        if not self.dense:
            med = np.median(self.norms) if len(self.norms) >= 5 else np.inf
            if nonfinite or (np.isfinite(gnorm) and gnorm > self.ratio * med):
                for kk, th in self.recent:  # the window before the spike
                    self.snapshots[kk] = th
                self.recent.clear()
                self.keep_until = k + 1 + self.window
        if np.isfinite(gnorm):
            self.norms.append(gnorm)

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
            "norms": np.asarray(self.norms, dtype=np.float64),
            "keep_until": np.asarray(self.keep_until)}

    def restore(self, data) -> None:
        for k in self.rows:
            self.rows[k] = list(data["h_" + k])
        self.snapshots = {int(s): p for s, p in zip(data["snap_steps"], data["snap_params"])}
        self.norms.extend(float(v) for v in data["norms"])
        self.keep_until = int(data["keep_until"])


def _batch_source(task, batch_size, length, seed):
    """A function step -> Batch; batches depend only on (seed, step), so resuming is exact."""
    if isinstance(task, Batch):
        return (lambda k: task), None
    if callable(task) and not isinstance(task, (Task, str)):
        return (lambda k: task(k, np.random.default_rng([seed, k]))), None
    t = get_task(task)
    return (lambda k: t.sample(batch_size, length, seed=np.random.default_rng([seed, k]))), t


@checked_arguments
def train(net: RNN, task: Task | str | Batch | Callable, *, steps: int, readout=None,
          lr: float = 0.01, momentum: float = 0.0, batch_size: int = 20,
          length: int | tuple[int, int] = 50, clip: float | None = None,
          clip_compare: Literal[">=", ">"] = ">=",
          regularizer: tuple[float, str] | None = None, record_omega: bool | None = None,
          seed: int = 0, x0=None, history: Literal["auto", "full", "strided"] = "auto",
          param_stride: int = 100, spike_window: int = 5, spike_ratio: float = 10.0,
          max_dense_params: int = 20_000, checkpoint: str | None = None,
          checkpoint_every: int = 500, resume: bool = False, progress: bool = True,
          on_nonfinite: Literal["stop", "raise", "skip", "shrink"] = "stop",
          eval_batch_size: int = 0,
          callback: Callable[[int, float, float], bool] | None = None) -> TrainingResult:
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
    lr, momentum : float
        Learning rate η and momentum μ (0.01 and 0 in the paper).
    batch_size : int
        Sequences per step (20 in the paper).
    length : int or (int, int)
        Sequence length, or a range drawn per batch (mixed lengths).
    clip : float, optional
        Algorithm 1 threshold (1.0 in the paper); None for plain SGD.
    regularizer : (weight, variant), optional
        Add weight · Ω (``variant`` "ratio" = eq. 9, "squared" = eq. 10 / code).
    record_omega : bool, optional
        Record Ω at every step (default: only with a regulariser).
    seed : int
    x0 : array_like, shape (n_units,), optional
        The initial state of every sequence (zeros by default).
    history : {"auto", "full", "strided"}
        "full" stores θ_k at every step; "strided" every ``param_stride`` steps plus the
        ``spike_window`` steps on each side of every gradient-norm spike (norm above
        ``spike_ratio`` × the running median); "auto" is "full" up to ``max_dense_params``
        parameters.
    checkpoint : str, optional
        Path of an npz checkpoint, written atomically every ``checkpoint_every`` steps, at an
        interruption and at the end.
    resume : bool
        Continue from ``checkpoint`` if it exists.
    progress : bool
        Show a tqdm progress bar.
    on_nonfinite : {"stop", "raise", "skip", "shrink"}
        What to do when the loss or the gradient norm is NaN, infinite or above 1e10: stop and
        return (status NONFINITE), raise :class:`NonFiniteError` (with the partial result as its
        ``result`` attribute), skip the step, or take the authors' shrink step. Always recorded.
    eval_batch_size : int
        With a task, the size of a fresh batch on which the final error rate is measured.
    callback : callable, optional
        ``callback(step, loss, grad_norm) -> bool``; returning False stops (status INTERRUPTED).

    Returns
    -------
    TrainingResult

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
    if not isinstance(net, RNN):
        raise InvalidTypeError(f"net must be a dynrnn.RNN, got {type(net).__name__}",
                               argument="net", value=net)
    if int(steps) < 0:
        raise InvalidInputError(f"steps must be >= 0, got {steps}", argument="steps", value=steps)
    if not (lr > 0 and np.isfinite(lr)):
        raise InvalidInputError(f"lr must be finite and > 0, got {lr}", argument="lr", value=lr)
    if on_nonfinite not in ("stop", "raise", "skip", "shrink"):
        raise InvalidInputError(f"on_nonfinite must be 'stop', 'raise', 'skip' or 'shrink', got "
                                f"{on_nonfinite!r}", argument="on_nonfinite", value=on_nonfinite)
    if history not in ("auto", "full", "strided"):
        raise InvalidInputError(f"history must be 'auto', 'full' or 'strided', got {history!r}",
                                argument="history", value=history)
    if regularizer is not None:
        if not (isinstance(regularizer, (tuple, list)) and len(regularizer) == 2
                and regularizer[1] in REGULARIZER_VARIANTS):
            raise InvalidInputError(f"regularizer must be (weight, variant) with variant in "
                                    f"{REGULARIZER_VARIANTS}, got {regularizer!r}",
                                    argument="regularizer", value=regularizer)
    if not (isinstance(momentum, (int, float, np.integer, np.floating))
            and 0.0 <= momentum < 1.0):
        raise InvalidInputError(f"momentum must be a number in [0, 1), got {momentum!r}",
                                argument="momentum", value=momentum)
    if regularizer is not None and not (isinstance(regularizer[0], (int, float, np.integer,
                                                                    np.floating))
                                        and 0.0 <= regularizer[0] < np.inf):
        raise InvalidInputError(f"regularizer weight must be finite and >= 0 (eq. 9 adds "
                                f"weight * Ω to the loss), got {regularizer[0]!r}",
                                argument="regularizer", value=regularizer)
    if clip is not None and not (clip > 0):
        raise InvalidInputError(f"clip must be > 0 or None, got {clip}", argument="clip",
                                value=clip)
    if resume and checkpoint is None:
        raise InvalidInputError("resume=True needs checkpoint=path", argument="checkpoint",
                                value=None)
    steps = int(steps)
    ro = _as_readout(readout)
    layout = _layout(net, ro)
    n = net.n_units
    x0v = np.zeros(n) if x0 is None else np.asarray(x0, dtype=np.float64)
    if x0v.shape != (n,):
        raise ShapeError(f"x0 must have shape ({n},), got {x0v.shape}", argument="x0",
                         expected=(n,), actual=x0v.shape)
    get_batch, task_obj = _batch_source(task, batch_size, length, seed)
    record_omega = (regularizer is not None) if record_omega is None else record_omega
    arrays = {k: np.array(v, dtype=np.float64) for k, v in
              {**net.arrays(), **({"W_out": ro.W_out, "b_out": ro.b_out} if ro else {})}.items()
              if k in dict(layout)}
    theta = pack_params(arrays, layout)
    velocity = np.zeros_like(theta)
    dense = history == "full" or (history == "auto" and theta.size <= max_dense_params)
    rec = _Recorder(dense, max(int(param_stride), 1), max(int(spike_window), 0), spike_ratio)
    start = 0
    config = json.dumps({"layout": [[k, list(s)] for k, s in layout], "lr": lr,
                         "momentum": momentum, "clip": clip, "seed": seed,
                         "activation": net.activation.name, "version": _CHECKPOINT_VERSION})
    if resume and os.path.exists(checkpoint):
        try:
            with np.load(checkpoint, allow_pickle=False) as data:
                saved = json.loads(str(data["config"]))
                if saved["layout"] != json.loads(config)["layout"]:
                    raise FileFormatError(f"checkpoint {checkpoint!r} was written for parameter "
                                          f"layout {saved['layout']}, not {layout}",
                                          argument="checkpoint", value=checkpoint)
                theta = np.array(data["theta"])
                velocity = np.array(data["velocity"])
                start = int(data["step"])
                rec.restore(data)
        except (KeyError, ValueError, OSError) as exc:
            raise FileFormatError(f"cannot resume from checkpoint {checkpoint!r}: {exc}",
                                  argument="checkpoint", value=checkpoint) from exc

    def save(step_next):
        if checkpoint is not None:
            _atomic_savez(checkpoint, theta=theta, velocity=velocity,
                          step=np.asarray(step_next), config=np.asarray(config), **rec.state())

    def build(th):
        a = unpack_params(th, layout)
        net_k = net.replace(W_rec=a["W_rec"], W_in=a["W_in"], b=a["b"])
        ro_k = Readout(a["W_out"], a["b_out"]) if "W_out" in a else None
        return net_k, ro_k, a

    status = TrainingStatus.COMPLETED
    pbar = None
    if progress:
        from tqdm.auto import tqdm
        pbar = tqdm(total=steps, initial=start, desc="train", leave=False)
    k = start
    n_nonfinite = 0
    raise_exc = None
    try:
        while k < steps:
            net_k, ro_k, a = build(theta)
            batch = get_batch(k)
            X0 = np.broadcast_to(x0v, (batch.batch_size, n))
            with np.errstate(over="ignore", invalid="ignore"):
                r = bptt(net_k, X0, batch.inputs, batch.targets, batch.loss, readout=ro_k,
                         where=batch.where, mask=batch.mask)
            grads = {name: r.grads[name] for name, _ in layout}
            om_value = np.nan
            if record_omega or regularizer is not None:
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    om = omega(net_k, r, regularizer[1] if regularizer else "ratio")
                om_value = om.value
                if regularizer is not None:
                    grads["W_rec"] = grads["W_rec"] + regularizer[0] * om.grad_W_rec
            rec.before_step(k, theta)
            with np.errstate(over="ignore", invalid="ignore"):
                gnorm = global_norm(grads)
            bad = not (np.isfinite(r.loss) and np.isfinite(gnorm) and gnorm <= 1e10)
            if bad:
                n_nonfinite += 1
                if on_nonfinite in ("stop", "raise"):
                    rec.after_step(k, r.loss, gnorm, om_value, False, True, "STOPPED")
                    status = TrainingStatus.NONFINITE
                    if on_nonfinite == "raise":
                        raise_exc = NonFiniteError(
                            f"non-finite loss or gradient at step {k} (loss={r.loss}, "
                            f"|g|={gnorm}); the parameters before the step are kept in the "
                            "result (exception.result)", argument="on_nonfinite", value=k)
                    # θ is unchanged: the history's final θ is the last finite one.
                    break
                cr = clip_gradients(grads, clip or 1.0, nonfinite=on_nonfinite, weights=a)
                g_apply, clipped, action = cr.grads, True, cr.action.name
            elif clip is not None:
                cr = clip_gradients(grads, clip, compare=clip_compare)
                g_apply, clipped, action = cr.grads, cr.clipped, cr.action.name
            else:
                g_apply, clipped, action = grads, False, ClipAction.UNCHANGED.name
            velocity *= momentum
            velocity -= lr * pack_params(g_apply, layout)
            theta = theta + velocity
            rec.after_step(k, r.loss, gnorm, om_value, clipped, bad, action)
            k += 1
            if pbar is not None:
                pbar.update(1)
                if k % 10 == 0:
                    pbar.set_postfix(loss=f"{r.loss:.4g}", gnorm=f"{gnorm:.3g}")
            if checkpoint is not None and k % checkpoint_every == 0:
                save(k)
            if callback is not None and callback(k - 1, r.loss, gnorm) is False:
                status = TrainingStatus.INTERRUPTED
                break
    except KeyboardInterrupt:
        status = TrainingStatus.INTERRUPTED
    finally:
        if pbar is not None:
            pbar.close()
    # The final θ belongs to the number of completed updates (a stopped step made none).
    n_done = len(rec.rows["loss"])
    k_final = n_done if status is not TrainingStatus.NONFINITE else n_done - 1
    if status is TrainingStatus.INTERRUPTED or status is TrainingStatus.COMPLETED:
        save(n_done)
    elif checkpoint is not None:
        save(k_final)
    cols, psteps, params = rec.finish(k_final, theta)
    hist = TrainingHistory(cols["loss"].astype(float), cols["grad_norm"].astype(float),
                           cols["omega"].astype(float), cols["clipped"].astype(bool),
                           cols["nonfinite"].astype(bool), cols["actions"].astype(str), psteps,
                           params, layout, net.activation.name, float(lr), float(momentum),
                           float(clip) if clip is not None else 0.0, x0v)
    final_net, final_ro, _ = build(theta)
    err = np.nan
    if task_obj is not None and eval_batch_size > 0:
        eb = task_obj.sample(eval_batch_size, length, seed=np.random.default_rng([seed, 2**62]))
        r = bptt(final_net, np.broadcast_to(x0v, (eb.batch_size, n)), eb.inputs, eb.targets,
                 eb.loss, readout=final_ro, where=eb.where, mask=eb.mask)
        err = error_rate(task_obj, eb, r.outputs)
    result = TrainingResult(final_net, final_ro, hist, status,
                            status is TrainingStatus.COMPLETED, n_done,
                            int(hist.nonfinite.sum()), float(err), checkpoint or "")
    if raise_exc is not None:
        raise_exc.result = result
        raise raise_exc
    return result
