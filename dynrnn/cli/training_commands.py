"""The subcommands of training and gradient events: train, events."""
from __future__ import annotations

import numpy as np

from ..errors import InvalidInputError, UnknownParameterError
from .common import EXIT_OK, AnalysisFailed, emit, save_to_out, show_progress


def cmd_train(args) -> int:
    from .. import gradients as g

    tasks = tuple(g.TASKS) + ("fig6",)
    if args.task not in tasks:
        raise UnknownParameterError(f"unknown task {args.task!r}; valid tasks are: "
                                    f"{', '.join(tasks)}", argument="TASK", value=args.task,
                                    valid=tasks)
    common = dict(steps=args.steps, lr=args.lr, clip=args.clip, seed=args.seed,
                  progress=show_progress(args), history="full" if args.full_history else "auto")
    if args.regularizer:
        common["regularizer"] = (args.regularizer, "ratio")
    if args.task == "fig6":
        net, batch, x0 = g.fig6_problem(args.w, args.b)
        result = g.train(net, batch, x0=x0, **common)
    else:
        task = g.get_task(args.task)
        scheme = args.init
        net, readout = g.initialise(scheme, args.units, task.n_inputs, task.n_outputs,
                                    seed=args.seed)
        result = g.train(net, task, readout=readout, length=args.length,
                         batch_size=args.batch_size, eval_batch_size=args.eval_batch_size,
                         **common)
    hist = result.history

    def text() -> str:
        lines = [f"trained {args.task} for {result.n_steps} step(s): {result.status.name.lower()}",
                 f"  loss {hist.loss[0]:.6g} -> {hist.loss[-1]:.6g}" if hist.n_steps else
                 "  no steps",
                 f"  max gradient norm {np.nanmax(hist.grad_norm) if hist.n_steps else 0:.4g}, "
                 f"clipped {int(hist.clipped.sum())}, non-finite {result.n_nonfinite}"]
        if np.isfinite(result.error_rate):
            lines.append(f"  error rate on fresh sequences {result.error_rate:.4f}")
        return "\n".join(lines)

    emit(args, {"task": args.task, "status": result.status, "success": result.success,
                 "n_steps": result.n_steps, "error_rate": result.error_rate,
                 "loss": hist.loss, "grad_norm": hist.grad_norm, "clipped": hist.clipped},
          text)
    save_to_out(args, result, "training.npz", {"task": args.task, "seed": args.seed})
    if not result.success:
        raise AnalysisFailed(f"training stopped: {result.status.value}")
    return EXIT_OK


def _events_executor(scheduler: str | None):
    """``--scheduler`` of `dynrnn events`: None (this process), 'pool', 'serial' or an address."""
    if scheduler is None or scheduler in ("pool", "serial") or scheduler.startswith(
            ("tcp://", "tls://")):
        return scheduler
    raise InvalidInputError(f"--scheduler must be 'pool', 'serial' or tcp://HOST:PORT, got "
                            f"{scheduler!r}", argument="--scheduler", value=scheduler)


def cmd_events(args) -> int:
    from pathlib import Path

    from .. import gradients as g
    from ..io import load

    if Path(args.history).is_dir():
        # A recording of a PyTorch loop (dynrnn.torch.Recorder): read without torch.
        from ..gradients.recording import load_recording
        source = load_recording(args.history)
        hint = "record with a smaller stride or a larger window"
    else:
        source = load(args.history)
        hint = "train with --full-history"
        if not isinstance(source, (g.TrainingResult, g.TrainingHistory)):
            raise InvalidInputError(f"{args.history} holds a {type(source).__name__}, not a "
                                    "training result (save one with `dynrnn train ... --out DIR`)"
                                    " or a recording directory", argument="HISTORY",
                                    value=args.history)
    events = g.find_gradient_events(source, threshold_ratio=args.threshold,
                                    window=args.window, form=args.form,
                                    relevance_radius=args.relevance_radius,
                                    follow=args.follow, max_events=args.max_events,
                                    progress=show_progress(args),
                                    executor=_events_executor(args.scheduler))
    emit(args, {"history": str(args.history), "events": events}, events.summary)
    save_to_out(args, events, "events.npz", {"history": str(args.history)})
    if not events.success:
        raise AnalysisFailed(f"{events.status.value} ({hint})")
    return EXIT_OK
