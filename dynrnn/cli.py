"""The ``dynrnn`` command.

Exit codes: 0 done, 1 the analysis failed (the reason is printed), 2 bad input. Errors print one
line on stderr; ``--debug`` shows the traceback. ``--json`` prints machine-readable results on
stdout.
Progress bars go to stderr (``--quiet`` turns them off).

Subcommands::

    dynrnn fixed-points MODEL                     all fixed points and their stability
    dynrnn cycles MODEL --period K                k-cycles and their multipliers
    dynrnn continue MODEL --param P --bounds LO HI [--start X ...]
    dynrnn diagram MODEL --param P --bounds LO HI   bifurcation diagram over the orbit diagram
    dynrnn train TASK                             SGD on a task of Pascanu et al. §4 (or fig6)
    dynrnn events HISTORY|RECORDING/              gradient spikes of a training run or recording
    dynrnn run SCRIPT_OR_CONFIG [ARGS ...]        an analysis script, or a sweep TOML config
    dynrnn reproduce [NAME ...] [--all]           the paper's figures
    dynrnn sweep CONFIG [--scheduler tcp://HOST:PORT]

MODEL is a ``.npz`` (:func:`dynrnn.save_model`), a PyTorch ``nn.RNN``/``GRU``/``LSTM`` state dict
or saved module (``.pt``, ``.pth``; ``--kind``, ``--nonlinearity``, ``--prefix`` say what the file
cannot) or a TOML map definition (see :func:`dynrnn.load_model`).
"""
from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from . import __version__
from .errors import (
    ConvergenceError,
    DynrnnError,
    InvalidInputError,
    InvalidTypeError,
    MissingDependencyError,
    UnknownParameterError,
)
from .io.codec import to_jsonable

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class AnalysisFailed(Exception):
    """Raised by a subcommand when the analysis ran but did not succeed (exit code 1)."""


def _emit(args: argparse.Namespace, payload: dict, text: Callable[[], str]) -> None:
    args.emitted = True
    if args.json:
        print(json.dumps(to_jsonable(payload), indent=2))
    else:
        print(text())


def _progress(args) -> bool:
    return not getattr(args, "quiet", False)


def _out_dir(args, default: str | None = None) -> Path | None:
    out = args.out if args.out is not None else default
    if out is None:
        return None
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise InvalidInputError(f"--out must be a directory, got the file {str(path)!r}",
                                argument="--out", value=str(path))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _save(args, obj, name: str, metadata: dict | None = None) -> Path | None:
    """Save ``obj`` as ``--out/name`` when --out is given; report the path on stderr."""
    out = _out_dir(args)
    if out is None:
        return None
    from .io import save
    path = save(obj, out / name, metadata=metadata)
    print(f"saved {path}", file=sys.stderr)
    return path


# -- argument checks, all before any work -------------------------------------------------------
#: option -> (smallest value, whether the smallest is allowed, type); checked when present
_NUMERIC_OPTIONS: dict[str, tuple[float, bool, type]] = {
    "starts": (1, True, int), "seed": (0, True, int), "period": (1, True, int),
    "max_points": (1, True, int), "ds_max": (0.0, False, float), "values": (2, True, int),
    "transient": (0, True, int), "keep": (1, True, int), "component": (0, True, int),
    "period_doublings": (0, True, int), "steps": (0, True, int), "units": (1, True, int),
    "length": (1, True, int), "batch_size": (1, True, int), "lr": (0.0, False, float),
    "clip": (0.0, False, float), "regularizer": (0.0, True, float),
    "eval_batch_size": (1, True, int), "threshold": (0.0, False, float),
    "window": (1, True, int),
}
#: options that only need to be finite numbers
_FINITE_OPTIONS = ("p0", "w", "b", "start", "bounds")


def _check_args(args) -> None:
    """Every option checked before the first computation, so a typo never costs a long run:
    counts and step sizes in range, numbers finite, --out not an existing file."""
    for name, (least, inclusive, kind) in _NUMERIC_OPTIONS.items():
        value = getattr(args, name, None)
        if value is None or isinstance(value, (list, tuple, str)):
            continue
        flag = "--" + name.replace("_", "-")
        if not np.isfinite(value) or (value < least if inclusive else value <= least):
            bound = f">= {least}" if inclusive else f"> {least}"
            raise InvalidInputError(f"{flag} must be {'an integer' if kind is int else 'a number'}"
                                    f" {bound}, got {value}", argument=flag, value=value)
    for name in _FINITE_OPTIONS:
        value = getattr(args, name, None)
        values = value if isinstance(value, (list, tuple)) else [value]
        if value is not None and not all(isinstance(v, (int, float)) and np.isfinite(v)
                                         for v in values):
            flag = "--" + name.replace("_", "-")
            raise InvalidInputError(f"{flag} must be finite, got {value}", argument=flag,
                                    value=value)
    out = getattr(args, "out", None)
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise InvalidInputError(f"--out must be a directory, got the file {str(out)!r}",
                                argument="--out", value=str(out))


def _check_component(args, system) -> None:
    """--component must index a state of the model (known once it is loaded)."""
    component = getattr(args, "component", None)
    if component is not None and not 0 <= component < system.n_states:
        raise InvalidInputError(f"--component must be in [0, {system.n_states}) for a model "
                                f"with {system.n_states} state(s), got {component}",
                                argument="--component", value=component)


def _status_line(result) -> str:
    """The search's status when it was not exhaustive ('others may exist'), else ''."""
    if getattr(result, "exhaustive", True):
        return ""
    return f"\n  status: {result.status} ({result.note})" if getattr(result, "note", "") \
        else f"\n  status: {result.status}"


_TORCH_SUFFIXES = (".pt", ".pth")


def _load_model(path: str, args: argparse.Namespace | None = None):
    """The map in ``path``; for PyTorch files with ``--kind``/``--nonlinearity``/``--prefix``
    (a state dict does not record an nn.RNN's nonlinearity: it is required, never guessed).
    What was read from a PyTorch file is kept in ``args.torch_network``."""
    kind = getattr(args, "kind", None)
    nonlinearity = getattr(args, "nonlinearity", None)
    prefix = getattr(args, "prefix", None)
    if Path(path).suffix.lower() in _TORCH_SUFFIXES:
        from .model.torch_network import read_torch_file
        read = read_torch_file(path, kind, nonlinearity, prefix, readout=None)
        if args is not None:
            args.torch_network = read
        return read.network
    given = [flag for flag, value in (("--kind", kind), ("--nonlinearity", nonlinearity),
                                      ("--prefix", prefix)) if value is not None]
    if given:
        raise InvalidInputError(f"{', '.join(given)} appl{'ies' if len(given) == 1 else 'y'} "
                                f"to PyTorch files (.pt, .pth) only; {path} is a "
                                f"{Path(path).suffix or 'file without suffix'} file "
                                "(which records its own network)", argument=given[0],
                                value=str(path))
    from .io import load_model
    return load_model(path)


def _network_line(args, system) -> str:
    """One line saying what was analysed (what a PyTorch file held, and where)."""
    read = getattr(args, "torch_network", None)
    if read is None:
        return f"model: {system!r} from {args.model}"
    where = f" under prefix {read.prefix!r}" if read.prefix else ""
    nonlinearity = f" {read.nonlinearity}" if read.nonlinearity else ""
    return (f"model: torch {read.kind}{nonlinearity}, {read.n_layers} layer(s), hidden size "
            f"{read.hidden_size}, input size {read.input_size}{where} from {args.model} -> "
            f"{system!r}")


def _check_param(system, name: str) -> str:
    """Validate a parameter name up front so the error lists the valid names."""
    if name in ("gain",):
        return name
    system.check_param_names(name, argument="--param")
    return name


def _bounds(values) -> tuple[float, float]:
    lo, hi = (float(v) for v in values)
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo >= hi:
        raise InvalidInputError(f"--bounds must be two finite numbers LO < HI, got {lo} {hi}",
                                argument="--bounds", value=(lo, hi))
    return lo, hi


def _fmt_x(x) -> str:
    return np.array2string(np.asarray(x), precision=6, threshold=8)


def _points_text(title: str, points) -> str:
    lines = [title]
    for k, p in enumerate(points):
        kind = getattr(p, "description", None) or getattr(p.kind, "value", p.kind)
        rho = float(np.max(np.abs(p.eigenvalues)))
        lines.append(f"  [{k}] {kind}, max|λ| = {rho:.6g}, residual = {p.residual:.2e}, "
                     f"x = {_fmt_x(p.x)}")
    return "\n".join(lines)


# -- subcommands: analysis of a model -----------------------------------------------------------
def _starts_option(value: str, system, args):
    """``--starts``: a number of Newton starts, or a ``.npy`` file of starting states (in the
    state space of ``--state-space``). Returns ``(n_starts, starts)``."""
    try:
        n = int(value)
    except ValueError:
        n = None
    if n is not None:
        if n < 1:
            raise InvalidInputError(f"--starts must be a positive number of starts or a .npy "
                                    f"file of starting states, got {value!r}",
                                    argument="--starts", value=value)
        return n, None
    path = Path(value)
    if path.suffix.lower() != ".npy":
        raise InvalidInputError(f"--starts must be a number of starts or a .npy file of "
                                f"starting states, got {value!r}", argument="--starts",
                                value=value)
    if not path.is_file():
        raise FileNotFoundError(f"--starts: no such file: {value}")
    try:
        starts = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise InvalidInputError(f"--starts: {value} is not a readable .npy array ({exc})",
                                argument="--starts", value=value) from None
    from .model.base import as_finite_array
    starts = as_finite_array(starts, "--starts")
    if starts.ndim == 1:
        starts = starts[None, :]
    if args.state_space == "torch":
        starts = _from_torch_space(system, starts, args)
    if starts.ndim != 2 or starts.shape[1] != system.n_states or len(starts) == 0:
        raise InvalidInputError(
            f"--starts: {value} must hold an array of shape (n_starts, {system.n_states}) "
            f"(states of the {args.state_space} state space), got {starts.shape}",
            argument="--starts", value=starts.shape)
    return len(starts), starts


def _from_torch_space(system, hidden: np.ndarray, args) -> np.ndarray:
    """dynrnn states from torch hidden states (rows). The Pascanu RNN's state is the
    pre-activation: from h we take x = W h + U u + b, the state one step on (defined for every h,
    also relu and saturated tanh units; equal to σ⁻¹(h) at fixed points)."""
    from .model import RNN
    if isinstance(system, RNN):
        if hidden.ndim != 2 or hidden.shape[1] != system.n_states:
            return hidden
        return system.to_elman().to_pascanu_state(hidden, system.resolve_input(args.input_u))
    from .model import ElmanRNN
    from .model.gated import GatedNetwork
    if isinstance(system, (GatedNetwork, ElmanRNN)):
        return hidden          # their state is torch's hidden state ([h, c] for an LSTM)
    raise InvalidInputError(f"--state-space torch: {type(system).__name__} is not a PyTorch "
                            "network (RNN, ElmanRNN, GRU, LSTM)", argument="--state-space",
                            value=type(system).__name__)


def _torch_point(system, x) -> dict:
    """A point in torch's hidden-state space: {"h": ...} (and "c" for an LSTM)."""
    from .model.torch_network import to_torch_state
    state = to_torch_state(system, x)
    if isinstance(state, tuple):
        return {"h": np.asarray(state[0]), "c": np.asarray(state[1])}
    return {"h": np.asarray(state)}


def _cmd_fixed_points(args) -> int:
    from .analysis import find_fixed_points

    system = _load_model(args.model, args)
    args.input_u = None
    if args.input is not None:
        if system.n_inputs == 0:
            raise InvalidInputError(f"--input: {args.model} takes no input", argument="--input",
                                    value=args.input)
        if len(args.input) != system.n_inputs:
            raise InvalidInputError(f"--input needs {system.n_inputs} value(s) (the network's "
                                    f"input size), got {len(args.input)}", argument="--input",
                                    value=args.input)
        args.input_u = np.asarray(args.input, dtype=float)
    if args.state_space == "torch":
        _torch_point(system, np.zeros(system.n_states))   # refuse maps without a torch state
    n_starts, starts = _starts_option(args.starts, system, args)
    result = find_fixed_points(system, args.input_u, n_starts=n_starts, starts=starts,
                               seed=args.seed, progress=_progress(args))
    points = list(result)
    torch_space = args.state_space == "torch"

    def point_record(p) -> dict:
        record = {"x": p.x, "kind": getattr(p.kind, "value", p.kind), "stable": p.stable,
                  "n_unstable": getattr(p, "n_unstable", None), "residual": p.residual,
                  "eigenvalues": p.eigenvalues}
        if torch_space:
            record["torch_state"] = _torch_point(system, p.x)
        return record

    def text() -> str:
        title = (f"{len(points)} fixed point(s) of {args.model}"
                 + (" (all of them: exhaustive search)" if getattr(result, "exhaustive", False)
                    else ""))
        lines = [_network_line(args, system), f"status: {result.status}"]
        if torch_space:
            with_c = "c" in _torch_point(system, np.zeros(system.n_states))
            lines.append("points in torch's hidden-state space"
                         + (" (h of every layer, then c)" if with_c else ""))
            shown = [_TorchShown(p, np.concatenate([np.ravel(v) for v in
                                                    _torch_point(system, p.x).values()]))
                     for p in points]
            return "\n".join(lines + [_points_text(title, shown).replace("x = ", "h = ")])
        return "\n".join(lines + [_points_text(title, points)])

    summary = {k: getattr(result, k) for k in
               ("success", "status", "exhaustive", "method", "n_starts", "n_converged",
                "n_failed", "n_duplicates", "note")}
    summary["n_fixed_points"] = len(points)
    read = getattr(args, "torch_network", None)
    network = {"class": type(system).__name__, "n_states": system.n_states,
               "n_inputs": system.n_inputs}
    if read is not None:
        network.update(kind=read.kind, nonlinearity=read.nonlinearity, n_layers=read.n_layers,
                       hidden_size=read.hidden_size, input_size=read.input_size,
                       prefix=read.prefix)
    _emit(args, {"model": str(args.model), "network": network, "state_space": args.state_space,
                 "input": system.resolve_input(args.input_u), "result": summary,
                 "fixed_points": [point_record(p) for p in points]}, text)
    _save(args, result, "fixed_points.npz", {"model": str(args.model), "seed": args.seed})
    if not getattr(result, "success", True):
        raise AnalysisFailed(str(result.status))
    return EXIT_OK


class _TorchShown:
    """A fixed point shown with its torch hidden state in place of x (for the text output)."""

    def __init__(self, point, hidden):
        self._point, self.x = point, hidden

    def __getattr__(self, name):
        return getattr(self._point, name)


def _cmd_cycles(args) -> int:
    from .analysis import find_cycles

    system = _load_model(args.model, args)
    if args.period < 1:
        raise InvalidInputError(f"--period must be >= 1, got {args.period}",
                                argument="--period", value=args.period)
    result = find_cycles(system, args.period, n_starts=args.starts, seed=args.seed,
                         progress=_progress(args))
    points = list(result)

    def text() -> str:
        title = (f"{len(points)} cycle(s) of period {args.period} of {args.model}"
                 + (" (all of them: exhaustive search)" if result.exhaustive else ""))
        return _points_text(title, points) + _status_line(result)

    _emit(args, {"model": str(args.model), "period": args.period, "result": result,
                 "cycles": points}, text)
    _save(args, result, f"cycles_{args.period}.npz", {"model": str(args.model),
                                                      "period": args.period, "seed": args.seed})
    if not result.success:
        raise AnalysisFailed(f"no {args.period}-cycle found: {result.status}")
    return EXIT_OK


def _criticality_text(bif) -> str:
    """', supercritical (c = 9)' for a located LP/PD/NS with a normal-form coefficient."""
    border = getattr(bif, "extra", {}).get("type") if bif.kind.value == "BC" else None
    if border is not None:      # a border collision of a ReLU map: its classification
        return f", {border.value.split(':')[0]}"
    criticality = getattr(bif, "criticality", None)
    if criticality is None:
        return ""
    symbol = {"LP": "a", "PD": "c", "NS": "d"}.get(bif.kind.value, "coefficient")
    value = "" if bif.coefficient is None else f" ({symbol} = {bif.coefficient:.6g})"
    return f", {criticality}{value}"


def _branch_text(branch) -> str:
    lo, hi = float(np.min(branch.params)), float(np.max(branch.params))
    lines = [f"branch of {'fixed points' if branch.period == 1 else f'{branch.period}-cycles'}"
             f": {branch.param_name} in [{lo:.6g}, {hi:.6g}], {branch.n_points} points, "
             f"{branch.status.name.lower().replace('_', ' ')}"]
    for bif in branch.bifurcations:
        lines.append(f"    {bif.kind.value} at {branch.param_name} = {bif.param:.10g}, "
                     f"x = {_fmt_x(bif.x)}{_criticality_text(bif)}")
    return "\n".join(lines)


def _cmd_continue(args) -> int:
    from .analysis import ContinuationOptions, continuation, find_cycles
    from .analysis.branch_overlap import branch_points, distance_to_polyline

    system = _load_model(args.model, args)
    param = _check_param(system, args.param)
    lo, hi = _bounds(args.bounds)
    p0 = system.params[param] if param != "gain" else 1.0
    if args.p0 is not None:
        p0 = args.p0
    if not lo <= p0 <= hi:
        raise InvalidInputError(f"the start value {param} = {p0:g} is outside --bounds "
                                f"[{lo:g}, {hi:g}]; pass --p0 or widen --bounds",
                                argument="--bounds", value=(lo, hi))
    if args.start is not None:
        starts = [np.asarray(args.start, dtype=float)]
        if starts[0].shape != (system.n_states,):
            raise InvalidInputError(f"--start needs {system.n_states} number(s) (one per "
                                    f"state), got {len(args.start)}", argument="--start",
                                    value=args.start)
    else:
        at_p0 = system if param == "gain" or p0 == system.params.get(param) else \
            system.with_params({param: p0})
        found = find_cycles(at_p0, args.period, n_starts=args.starts, seed=args.seed)
        starts = [p.x for p in found]
        if not starts:
            raise AnalysisFailed(f"no start given and no {args.period}-cycle found at "
                                 f"{param} = {p0:g} ({found.status}); pass --start")
    options = ContinuationOptions(max_points=args.max_points, ds_max=args.ds_max,
                                  ds=min(0.01, args.ds_max))
    direction = args.direction
    if direction in ("up", "down"):
        # the one direction vocabulary of dynrnn; the old words keep working, with a note
        direction = "forward" if direction == "up" else "backward"
        print(f"dynrnn continue: --direction {args.direction} is deprecated; use --direction "
              f"{direction}", file=sys.stderr)
    branches: list = []
    for x0 in starts:
        # A start on a branch already computed (the other fixed points of an S-shaped branch)
        # would only give that branch again. The chord between two branch points is within
        # about ds_max² of the branch.
        z0 = np.append(x0, p0)
        with np.errstate(over="ignore"):    # --ds-max 1e308: an infinite tolerance, no error
            tol = max(float(np.square(np.float64(args.ds_max))), 1e-8) * (1 + np.max(np.abs(z0)))
        if any(distance_to_polyline(z0, branch_points(b)) <= tol for b in branches):
            continue
        branches.append(continuation(system, param, x0, (lo, hi), p0=p0, period=args.period,
                                     options=options, direction=direction,
                                     progress=_progress(args)))
    _emit(args, {"model": str(args.model), "param": param, "bounds": [lo, hi],
                 "success": all(br.success for br in branches), "branches": branches},
          lambda: "\n".join(_branch_text(b) for b in branches))
    for k, br in enumerate(branches):
        _save(args, br, f"branch_{k}.npz", {"model": str(args.model), "param": param})
    failed = [k for k, br in enumerate(branches) if not br.success]
    if failed:
        raise AnalysisFailed("; ".join(f"branch {k}: {branches[k].message or branches[k].status}"
                                       for k in failed))
    return EXIT_OK


def _cmd_diagram(args) -> int:
    from .analysis import bifurcation_diagram, orbit_diagram
    from .io import load, save
    from .plotting.figures import figure_diagram, save_figure

    system = _load_model(args.model, args)
    param = _check_param(system, args.param)
    if param == "gain":
        raise InvalidInputError("diagram needs a named parameter (the orbit diagram sweeps it); "
                                "'gain' is only supported by continue", argument="--param",
                                value=param)
    lo, hi = _bounds(args.bounds)
    if args.values < 2:
        raise InvalidInputError(f"--values must be >= 2, got {args.values}",
                                argument="--values", value=args.values)
    _check_component(args, system)
    if args.values > 10 ** 7:
        raise InvalidInputError(f"--values must be at most 10^7 (one orbit diagram column per "
                                f"value), got {args.values}", argument="--values",
                                value=args.values)
    out = _out_dir(args, default=".")
    assert out is not None      # _out_dir returns None only without a default
    # the orbit diagram first: it checks its sizes (memory, work) before the longer continuation
    orbits = orbit_diagram(system, param, np.linspace(lo, hi, args.values),
                           n_transient=args.transient, n_keep=args.keep, seed=args.seed,
                           component=args.component)
    diagram = bifurcation_diagram(system.with_params({param: lo}), param, (lo, hi),
                                  max_period_doublings=args.period_doublings,
                                  progress=_progress(args), n_starts=args.starts, seed=args.seed)
    stem = Path(args.model).stem
    meta = {"model": str(args.model), "param": param, "bounds": [lo, hi]}
    paths = {"branches": save(diagram, out / f"{stem}_diagram.npz", metadata=meta),
             "orbits": save(orbits, out / f"{stem}_orbits.npz", metadata=meta)}
    fig = figure_diagram(load(paths["branches"]), load(paths["orbits"]),
                         component=args.component, title=f"{stem}: {param}")
    paths["figure"] = save_figure(fig, out / f"{stem}_diagram.png")
    _emit(args, {"model": str(args.model), "param": param, "bounds": [lo, hi],
                 "diagram": diagram, "orbit_diagram_status": orbits.status,
                 "files": {k: str(v) for k, v in paths.items()}},
          lambda: "\n".join([diagram.message] + [_branch_text(b) for b in diagram.branches]
                            + [f"figure: {paths['figure']}", f"results: {paths['branches']}, "
                                                             f"{paths['orbits']}"]))
    if not diagram.success:
        raise AnalysisFailed(diagram.message)
    return EXIT_OK


# -- subcommands: training and gradient events --------------------------------------------------
def _cmd_train(args) -> int:
    from . import gradients as g

    tasks = tuple(g.TASKS) + ("fig6",)
    if args.task not in tasks:
        raise UnknownParameterError(f"unknown task {args.task!r}; valid tasks are: "
                                    f"{', '.join(tasks)}", argument="TASK", value=args.task,
                                    valid=tasks)
    common = dict(steps=args.steps, lr=args.lr, clip=args.clip, seed=args.seed,
                  progress=_progress(args), history="full" if args.full_history else "auto")
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

    _emit(args, {"task": args.task, "status": result.status, "success": result.success,
                 "n_steps": result.n_steps, "error_rate": result.error_rate,
                 "loss": hist.loss, "grad_norm": hist.grad_norm, "clipped": hist.clipped},
          text)
    _save(args, result, "training.npz", {"task": args.task, "seed": args.seed})
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


def _cmd_events(args) -> int:
    from pathlib import Path

    from . import gradients as g
    from .io import load

    if Path(args.history).is_dir():
        # A recording of a PyTorch loop (dynrnn.torch.Recorder): read without torch.
        from .gradients.recording import load_recording
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
                                    progress=_progress(args),
                                    executor=_events_executor(args.scheduler))
    _emit(args, {"history": str(args.history), "events": events}, events.summary)
    _save(args, events, "events.npz", {"history": str(args.history)})
    if not events.success:
        raise AnalysisFailed(f"{events.status.value} ({hint})")
    return EXIT_OK


# -- subcommands: scripts, reproductions, sweeps ------------------------------------------------
def _print_outputs(args, outputs: list) -> None:
    payload = {"runs": [o.as_dict() for o in outputs]}

    def text() -> str:
        lines = []
        for o in outputs:
            lines.append(f"{o.name}: {'done' if o.success else 'FAILED'} in {o.elapsed:.1f} s")
            lines += [f"  figure  {p}" for p in o.figures]
            lines += [f"  result  {p}" for p in o.results]
            lines += [f"  note    {m}" for m in o.messages]
        return "\n".join(lines)

    _emit(args, payload, text)


def _take_common_options(args) -> list:
    """Options of ``dynrnn`` itself given after ``run TARGET`` (where argparse hands everything
    to the script): --json, --debug and --quiet are taken here (--quiet is also passed on),
    --out DIR is passed on and remembered."""
    rest, items = [], list(args.script_args)
    while items:
        item = items.pop(0)
        if item in ("--json", "--debug"):
            setattr(args, item[2:], True)
            continue
        if item == "--quiet":
            args.quiet = True
        elif item == "--out" and items:
            args.out = items[0]
            rest += [item, items.pop(0)]
            continue
        elif item.startswith("--out="):
            args.out = item.split("=", 1)[1]
        elif item == "--store" and items and args.target.endswith(".toml"):
            args.store = items.pop(0)
            continue
        rest.append(item)
    return rest


def _cmd_run(args) -> int:
    from . import scripts

    extra = _take_common_options(args)
    target = args.target
    if target.endswith(".toml"):
        return _run_sweep(args, target, scheduler=None)
    if args.out is not None and "--out" not in extra and \
            not any(e.startswith("--out=") for e in extra):
        extra += ["--out", args.out]
    if args.quiet and "--quiet" not in extra:
        extra += ["--quiet"]
    output = scripts.run(target, extra)
    _print_outputs(args, [output])
    if not output.success:
        raise AnalysisFailed(f"{output.name}: " + "; ".join(output.messages))
    return EXIT_OK


def _cmd_reproduce(args) -> int:
    from . import scripts

    names = list(args.names)
    if args.all and names:
        raise InvalidInputError("give names or --all, not both", argument="NAME", value=names)
    plan = scripts.reproduction_plan(names, all_=args.all)
    outputs = []
    for name, extra in plan:
        argv = extra + (["--out", args.out] if args.out is not None else []) \
            + (["--quick"] if args.quick else []) + (["--quiet"] if args.quiet else [])
        if not args.json:
            print(f"running {name} ...", file=sys.stderr, flush=True)
        outputs.append(scripts.run(name, argv))
    _print_outputs(args, outputs)
    failed = [o.name for o in outputs if not o.success]
    if failed:
        raise AnalysisFailed(f"{', '.join(failed)} did not succeed (see the notes above)")
    return EXIT_OK


def _run_sweep(args, config: str, scheduler: str | None) -> int:
    from .sweeps import sweep_from_config

    if not Path(config).is_file():
        raise FileNotFoundError(f"no such sweep config: {config}")
    result = sweep_from_config(config, scheduler=scheduler, store=getattr(args, "store", None),
                               progress=_progress(args))

    def text() -> str:
        return (f"{result!r}\n{result.n_done} point(s) computed, {result.n_skipped} loaded from "
                f"the store, {result.n_failed} failed, {result.elapsed:.1f} s")

    _emit(args, {"config": str(config), "status": result.status, "success": result.success,
                 "axes": list(result.axes), "coordinates": result.coordinates,
                 "data": result.data, "n_done": result.n_done, "n_failed": result.n_failed,
                 "n_skipped": result.n_skipped}, text)
    out = _out_dir(args)
    if out is not None:
        path = result.to_npz(out / f"{Path(config).stem}.npz")
        print(f"saved {path}", file=sys.stderr)
    if not result.success:
        bad = [str(m).splitlines()[0] for m in np.asarray(result.point_message).ravel()
               if str(m).strip()][:3]
        raise AnalysisFailed(f"{result.n_failed} point(s) failed"
                             + (f", e.g. {bad[0]}" if bad else ""))
    return EXIT_OK


def _cmd_sweep(args) -> int:
    scheduler = args.scheduler
    if scheduler is not None and not (scheduler == "serial" or scheduler.startswith("tcp://")
                                      or scheduler.startswith("tls://")):
        raise InvalidInputError(f"--scheduler must be tcp://HOST:PORT (or 'serial'), got "
                                f"{scheduler!r}", argument="--scheduler", value=scheduler)
    return _run_sweep(args, args.config, scheduler)


# -- the parser ---------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dynrnn",
        description="Recurrent networks as dynamical systems: fixed points, continuation, "
                    "bifurcations and exploding gradients.",
        epilog="Exit codes: 0 done, 1 analysis failed, 2 bad input. "
               "Start with `dynrnn reproduce`.")
    parser.add_argument("--version", action="version", version=f"dynrnn {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print machine-readable results")
    common.add_argument("--out", metavar="DIR", help="directory for results and figures")
    common.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    common.add_argument("--quiet", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    model_help = ("MODEL: .npz (save_model), a PyTorch nn.RNN/GRU/LSTM state dict or saved "
                  "module (.pt, .pth) or a TOML map definition")
    torch_options = argparse.ArgumentParser(add_help=False)
    group = torch_options.add_argument_group("PyTorch files (.pt, .pth)")
    group.add_argument("--kind", choices=("RNN", "GRU", "LSTM"),
                       help="the recurrent layer's kind (checked against the file)")
    group.add_argument("--nonlinearity", choices=("tanh", "relu"),
                       help="required for an nn.RNN state dict, which does not record it")
    group.add_argument("--prefix", metavar="PREFIX",
                       help='key prefix of the recurrent layer when the file holds several, '
                            'e.g. "rnn."')

    p = sub.add_parser("fixed-points", parents=[common, torch_options],
                       help="all fixed points of a model and their stability")
    p.add_argument("model", help=model_help)
    p.add_argument("--starts", default="256", metavar="N|FILE.npy",
                   help="number of Newton starts for n-D maps, or a .npy file of starting "
                        "states, shape (n_starts, n_states), in the --state-space")
    p.add_argument("--input", nargs="+", type=float, metavar="U",
                   help="the constant input (default: the model's own, zeros for PyTorch "
                        "files)")
    p.add_argument("--state-space", choices=("dynrnn", "torch"), default="dynrnn",
                   help="print points as dynrnn's state (default) or torch's hidden state "
                        "(h = tanh(x) for an nn.RNN; (h, c) for an LSTM)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(handler=_cmd_fixed_points)

    p = sub.add_parser("cycles", parents=[common, torch_options],
                       help="k-cycles of a model and their multipliers")
    p.add_argument("model", help=model_help)
    p.add_argument("--period", type=int, required=True, metavar="K")
    p.add_argument("--starts", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(handler=_cmd_cycles)

    p = sub.add_parser("continue", parents=[common, torch_options],
                       help="follow fixed points (or k-cycles) as one parameter varies")
    p.add_argument("model", help=model_help)
    p.add_argument("--param", required=True, metavar="NAME",
                   help='parameter name, e.g. "b[0]", "W_rec[0,1]", or "gain"')
    p.add_argument("--bounds", nargs=2, type=float, required=True, metavar=("LO", "HI"))
    p.add_argument("--start", nargs="+", type=float, metavar="X",
                   help="a state near a fixed point (default: every fixed point found)")
    p.add_argument("--p0", type=float, help="start value of the parameter (default: the "
                                            "model's)")
    p.add_argument("--period", type=int, default=1, metavar="K")
    p.add_argument("--direction", choices=("both", "forward", "backward", "up", "down"),
                   default="both", help="forward: increasing parameter, backward: decreasing, "
                                        "both (default); 'up'/'down' are deprecated spellings")
    p.add_argument("--max-points", type=int, default=2000)
    p.add_argument("--ds-max", type=float, default=0.1, help="largest arclength step")
    p.add_argument("--starts", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(handler=_cmd_continue)

    p = sub.add_parser("diagram", parents=[common, torch_options],
                       help="bifurcation diagram over the orbit diagram, as an image in --out")
    p.add_argument("model", help=model_help)
    p.add_argument("--param", required=True, metavar="NAME")
    p.add_argument("--bounds", nargs=2, type=float, required=True, metavar=("LO", "HI"))
    p.add_argument("--values", type=int, default=400, help="parameter values of the orbit "
                                                           "diagram")
    p.add_argument("--transient", type=int, default=500)
    p.add_argument("--keep", type=int, default=50)
    p.add_argument("--component", type=int, default=0)
    p.add_argument("--period-doublings", type=int, default=1)
    p.add_argument("--starts", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(handler=_cmd_diagram)

    p = sub.add_parser("train", parents=[common],
                       help="train a small network on a task (the history goes to --out)")
    p.add_argument("task", metavar="TASK", help="temporal_order, addition, ... or fig6 (the "
                                                "one-unit Fig. 6 problem)")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--units", type=int, default=8)
    p.add_argument("--length", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=20)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--clip", type=float, default=None, help="Algorithm 1 threshold")
    p.add_argument("--regularizer", type=float, default=0.0, help="weight of Ω (eq. 9)")
    p.add_argument("--init", default="basic_tanh",
                   choices=("sigmoid", "basic_tanh", "smart_tanh"))
    p.add_argument("--eval-batch-size", type=int, default=500)
    p.add_argument("--w", type=float, default=5.0, help="fig6: initial w")
    p.add_argument("--b", type=float, default=-2.0, help="fig6: initial b")
    p.add_argument("--full-history", action="store_true", help="store θ at every step")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(handler=_cmd_train)

    p = sub.add_parser("events", parents=[common],
                       help="gradient spikes of a saved training run and the bifurcations "
                            "that explain them")
    p.add_argument("history", metavar="HISTORY",
                   help="training result saved by `dynrnn train`, or a recording directory "
                        "written by dynrnn.torch.Recorder")
    p.add_argument("--threshold", type=float, default=10.0,
                   help="a spike is a norm this many times the median of the 50 steps before")
    p.add_argument("--window", type=int, default=1)
    p.add_argument("--form", choices=("elman", "pascanu"), default="elman",
                   help="nn.RNN recordings: analyse the Elman map (torch's h) or its Pascanu "
                        "conjugate")
    p.add_argument("--relevance-radius", type=float, default=0.1,
                   help="a crossing within this × max(1, RMS state norm) of the loss states or "
                        "the trajectory is relevant")
    p.add_argument("--follow", choices=("auto", "all", "visited"), default="auto",
                   help="continue every fixed point, or only those the trajectories visit")
    p.add_argument("--max-events", type=int, default=None)
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT", default=None,
                   help="analyse the spikes in parallel: 'pool' (a local process pool of 2) or "
                        "a Dask scheduler address (default: in this process)")
    p.set_defaults(handler=_cmd_events)

    p = sub.add_parser("run", parents=[common],
                       help="run an analysis script (by name or path) or a sweep TOML config")
    p.add_argument("target", metavar="SCRIPT_OR_CONFIG")
    p.add_argument("script_args", nargs=argparse.REMAINDER, metavar="ARGS",
                   help="passed on to the script (e.g. --quick)")
    p.add_argument("--store", help="sweep store directory (TOML configs)")
    p.set_defaults(handler=_cmd_run)

    p = sub.add_parser("reproduce", parents=[common],
                       help="reproduce the paper's figures (quick ones by default)")
    from .scripts import SCRIPTS
    p.add_argument("names", nargs="*", metavar="NAME",
                   help=f"scripts to run: {', '.join(SCRIPTS)} (default: the quick set)")
    p.add_argument("--all", action="store_true", help="every reproduction, also the long ones")
    p.add_argument("--quick", action="store_true", help="tiny settings (for tests)")
    p.set_defaults(handler=_cmd_reproduce)

    p = sub.add_parser("sweep", parents=[common], help="run a parameter/seed sweep from a TOML "
                                                       "config")
    p.add_argument("config", metavar="CONFIG")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="Dask scheduler address (default: a local process pool)")
    p.add_argument("--store", help="resumable store directory")
    p.set_defaults(handler=_cmd_sweep)
    return parser


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, KeyError) and text.startswith("'"):
        text = text.strip("'")
    return text or type(exc).__name__


def _emit_failure(args, status: str, exc: BaseException, code: int) -> None:
    """With --json, a failure still prints one JSON object (unless the results were printed)."""
    if getattr(args, "json", False) and not getattr(args, "emitted", False):
        print(json.dumps({"command": args.command, "success": False, "status": status,
                          "message": _one_line(exc), "exit_code": code}, indent=2))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        _check_args(args)
        return int(args.handler(args))
    except (InvalidInputError, InvalidTypeError, FileNotFoundError, IsADirectoryError,
            NotADirectoryError, PermissionError, MissingDependencyError) as exc:
        if args.debug:
            traceback.print_exc()
        print(f"dynrnn {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        _emit_failure(args, "bad input", exc, EXIT_BAD_INPUT)
        return EXIT_BAD_INPUT
    except (AnalysisFailed, ConvergenceError, DynrnnError) as exc:
        if args.debug:
            traceback.print_exc()
        print(f"dynrnn {args.command}: analysis failed: {_one_line(exc)}", file=sys.stderr)
        _emit_failure(args, "analysis failed", exc, EXIT_FAILED)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"dynrnn {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:   # e.g. `dynrnn ... --json | head`: the reader left
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # a bug: still one line, the traceback with --debug
        if args.debug:
            traceback.print_exc()
        print(f"dynrnn {args.command}: internal error: {type(exc).__name__}: {_one_line(exc)} "
              "(rerun with --debug for the traceback)", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
