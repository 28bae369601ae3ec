"""The subcommands that analyse a model: fixed-points, cycles, continue, diagram."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from ..errors import InvalidInputError
from .common import (
    EXIT_OK,
    AnalysisFailed,
    check_component,
    check_param,
    emit,
    format_state,
    load_model_file,
    network_line,
    out_dir,
    parse_bounds,
    points_text,
    save_to_out,
    show_progress,
    status_line,
)


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
    from ..model.base import as_finite_array
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
    from ..model import RNN
    if isinstance(system, RNN):
        if hidden.ndim != 2 or hidden.shape[1] != system.n_states:
            return hidden
        return system.to_elman().to_pascanu_state(hidden, system.resolve_input(args.input_u))
    from ..model import ElmanRNN
    from ..model.gated import GatedNetwork
    if isinstance(system, (GatedNetwork, ElmanRNN)):
        return hidden          # their state is torch's hidden state ([h, c] for an LSTM)
    raise InvalidInputError(f"--state-space torch: {type(system).__name__} is not a PyTorch "
                            "network (RNN, ElmanRNN, GRU, LSTM)", argument="--state-space",
                            value=type(system).__name__)


def _torch_point(system, x) -> dict:
    """A point in torch's hidden-state space: {"h": ...} (and "c" for an LSTM)."""
    from ..model.torch_network import to_torch_state
    state = to_torch_state(system, x)
    if isinstance(state, tuple):
        return {"h": np.asarray(state[0]), "c": np.asarray(state[1])}
    return {"h": np.asarray(state)}


def cmd_fixed_points(args) -> int:
    from ..analysis import find_fixed_points

    system = load_model_file(args.model, args)
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
                               seed=args.seed, progress=show_progress(args))
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
        lines = [network_line(args, system), f"status: {result.status}"]
        if torch_space:
            with_c = "c" in _torch_point(system, np.zeros(system.n_states))
            lines.append("points in torch's hidden-state space"
                         + (" (h of every layer, then c)" if with_c else ""))
            shown = [_TorchShown(p, np.concatenate([np.ravel(v) for v in
                                                    _torch_point(system, p.x).values()]))
                     for p in points]
            return "\n".join(lines + [points_text(title, shown).replace("x = ", "h = ")])
        return "\n".join(lines + [points_text(title, points)])

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
    emit(args, {"model": str(args.model), "network": network, "state_space": args.state_space,
                 "input": system.resolve_input(args.input_u), "result": summary,
                 "fixed_points": [point_record(p) for p in points]}, text)
    save_to_out(args, result, "fixed_points.npz", {"model": str(args.model), "seed": args.seed})
    if not getattr(result, "success", True):
        raise AnalysisFailed(str(result.status))
    return EXIT_OK


class _TorchShown:
    """A fixed point shown with its torch hidden state in place of x (for the text output)."""

    def __init__(self, point, hidden):
        self._point, self.x = point, hidden

    def __getattr__(self, name):
        return getattr(self._point, name)


def cmd_cycles(args) -> int:
    from ..analysis import find_cycles

    system = load_model_file(args.model, args)
    if args.period < 1:
        raise InvalidInputError(f"--period must be >= 1, got {args.period}",
                                argument="--period", value=args.period)
    result = find_cycles(system, args.period, n_starts=args.starts, seed=args.seed,
                         progress=show_progress(args))
    points = list(result)

    def text() -> str:
        title = (f"{len(points)} cycle(s) of period {args.period} of {args.model}"
                 + (" (all of them: exhaustive search)" if result.exhaustive else ""))
        return points_text(title, points) + status_line(result)

    emit(args, {"model": str(args.model), "period": args.period, "result": result,
                 "cycles": points}, text)
    save_to_out(args, result, f"cycles_{args.period}.npz", {"model": str(args.model),
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
                     f"x = {format_state(bif.x)}{_criticality_text(bif)}")
    return "\n".join(lines)


def cmd_continue(args) -> int:
    from ..analysis import ContinuationOptions, continuation, find_cycles
    from ..analysis.branch_overlap import branch_points, distance_to_polyline

    system = load_model_file(args.model, args)
    param = check_param(system, args.param)
    lo, hi = parse_bounds(args.bounds)
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
                                     progress=show_progress(args)))
    emit(args, {"model": str(args.model), "param": param, "bounds": [lo, hi],
                 "success": all(br.success for br in branches), "branches": branches},
          lambda: "\n".join(_branch_text(b) for b in branches))
    for k, br in enumerate(branches):
        save_to_out(args, br, f"branch_{k}.npz", {"model": str(args.model), "param": param})
    failed = [k for k, br in enumerate(branches) if not br.success]
    if failed:
        raise AnalysisFailed("; ".join(f"branch {k}: {branches[k].message or branches[k].status}"
                                       for k in failed))
    return EXIT_OK


def cmd_diagram(args) -> int:
    from ..analysis import bifurcation_diagram, orbit_diagram
    from ..io import load, save
    from ..plotting.figures import figure_diagram, save_figure

    system = load_model_file(args.model, args)
    param = check_param(system, args.param)
    if param == "gain":
        raise InvalidInputError("diagram needs a named parameter (the orbit diagram sweeps it); "
                                "'gain' is only supported by continue", argument="--param",
                                value=param)
    lo, hi = parse_bounds(args.bounds)
    if args.values < 2:
        raise InvalidInputError(f"--values must be >= 2, got {args.values}",
                                argument="--values", value=args.values)
    check_component(args, system)
    if args.values > 10 ** 7:
        raise InvalidInputError(f"--values must be at most 10^7 (one orbit diagram column per "
                                f"value), got {args.values}", argument="--values",
                                value=args.values)
    out = out_dir(args, default=".")
    assert out is not None      # out_dir returns None only without a default
    # the orbit diagram first: it checks its sizes (memory, work) before the longer continuation
    orbits = orbit_diagram(system, param, np.linspace(lo, hi, args.values),
                           n_transient=args.transient, n_keep=args.keep, seed=args.seed,
                           component=args.component)
    diagram = bifurcation_diagram(system.with_params({param: lo}), param, (lo, hi),
                                  max_period_doublings=args.period_doublings,
                                  progress=show_progress(args), n_starts=args.starts,
                                  seed=args.seed)
    stem = Path(args.model).stem
    meta = {"model": str(args.model), "param": param, "bounds": [lo, hi]}
    paths = {"branches": save(diagram, out / f"{stem}_diagram.npz", metadata=meta),
             "orbits": save(orbits, out / f"{stem}_orbits.npz", metadata=meta)}
    fig = figure_diagram(load(paths["branches"]), load(paths["orbits"]),
                         component=args.component, title=f"{stem}: {param}")
    paths["figure"] = save_figure(fig, out / f"{stem}_diagram.png")
    emit(args, {"model": str(args.model), "param": param, "bounds": [lo, hi],
                 "diagram": diagram, "orbit_diagram_status": orbits.status,
                 "files": {k: str(v) for k, v in paths.items()}},
          lambda: "\n".join([diagram.message] + [_branch_text(b) for b in diagram.branches]
                            + [f"figure: {paths['figure']}", f"results: {paths['branches']}, "
                                                             f"{paths['orbits']}"]))
    if not diagram.success:
        raise AnalysisFailed(diagram.message)
    return EXIT_OK
