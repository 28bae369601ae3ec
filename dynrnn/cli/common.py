"""What every subcommand shares: exit codes, printing (text or --json), saving to --out, the
checks of the options before any work, loading a model and the text of points and branches."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import InvalidInputError
from ..io.codec import to_jsonable

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class AnalysisFailed(Exception):
    """Raised by a subcommand when the analysis ran but did not succeed (exit code 1)."""


def emit(args: argparse.Namespace, payload: dict, text: Callable[[], str]) -> None:
    args.emitted = True
    if args.json:
        print(json.dumps(to_jsonable(payload), indent=2))
    else:
        print(text())


def show_progress(args) -> bool:
    return not getattr(args, "quiet", False)


def out_dir(args, default: str | None = None) -> Path | None:
    out = args.out if args.out is not None else default
    if out is None:
        return None
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise InvalidInputError(f"--out must be a directory, got the file {str(path)!r}",
                                argument="--out", value=str(path))
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_to_out(args, obj, name: str, metadata: dict | None = None) -> Path | None:
    """Save ``obj`` as ``--out/name`` when --out is given; report the path on stderr."""
    out = out_dir(args)
    if out is None:
        return None
    from ..io import save
    path = save(obj, out / name, metadata=metadata)
    print(f"saved {path}", file=sys.stderr)
    return path


# -- argument checks, all before any work -------------------------------------------------------
#: option -> (smallest value, whether the smallest is allowed, type); checked when present
NUMERIC_OPTIONS: dict[str, tuple[float, bool, type]] = {
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
FINITE_OPTIONS = ("p0", "w", "b", "start", "bounds")


def check_args(args) -> None:
    """Every option checked before the first computation, so a typo never costs a long run:
    counts and step sizes in range, numbers finite, --out not an existing file."""
    for name, (least, inclusive, kind) in NUMERIC_OPTIONS.items():
        value = getattr(args, name, None)
        if value is None or isinstance(value, (list, tuple, str)):
            continue
        flag = "--" + name.replace("_", "-")
        if not np.isfinite(value) or (value < least if inclusive else value <= least):
            bound = f">= {least}" if inclusive else f"> {least}"
            raise InvalidInputError(f"{flag} must be {'an integer' if kind is int else 'a number'}"
                                    f" {bound}, got {value}", argument=flag, value=value)
    for name in FINITE_OPTIONS:
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


def check_component(args, system) -> None:
    """--component must index a state of the model (known once it is loaded)."""
    component = getattr(args, "component", None)
    if component is not None and not 0 <= component < system.n_states:
        raise InvalidInputError(f"--component must be in [0, {system.n_states}) for a model "
                                f"with {system.n_states} state(s), got {component}",
                                argument="--component", value=component)


def status_line(result) -> str:
    """The search's status when it was not exhaustive ('others may exist'), else ''."""
    if getattr(result, "exhaustive", True):
        return ""
    return f"\n  status: {result.status} ({result.note})" if getattr(result, "note", "") \
        else f"\n  status: {result.status}"


TORCH_SUFFIXES = (".pt", ".pth")


def load_model_file(path: str, args: argparse.Namespace | None = None):
    """The map in ``path``; for PyTorch files with ``--kind``/``--nonlinearity``/``--prefix``
    (a state dict does not record an nn.RNN's nonlinearity: it is required, never guessed).
    What was read from a PyTorch file is kept in ``args.torch_network``."""
    kind = getattr(args, "kind", None)
    nonlinearity = getattr(args, "nonlinearity", None)
    prefix = getattr(args, "prefix", None)
    if Path(path).suffix.lower() in TORCH_SUFFIXES:
        from ..model.torch_network import read_torch_file
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
    from ..io import load_model
    return load_model(path)


def network_line(args, system) -> str:
    """One line saying what was analysed (what a PyTorch file held, and where)."""
    read = getattr(args, "torch_network", None)
    if read is None:
        return f"model: {system!r} from {args.model}"
    where = f" under prefix {read.prefix!r}" if read.prefix else ""
    nonlinearity = f" {read.nonlinearity}" if read.nonlinearity else ""
    return (f"model: torch {read.kind}{nonlinearity}, {read.n_layers} layer(s), hidden size "
            f"{read.hidden_size}, input size {read.input_size}{where} from {args.model} -> "
            f"{system!r}")


def check_param(system, name: str) -> str:
    """Validate a parameter name up front so the error lists the valid names."""
    if name in ("gain",):
        return name
    system.check_param_names(name, argument="--param")
    return name


def parse_bounds(values) -> tuple[float, float]:
    lo, hi = (float(v) for v in values)
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo >= hi:
        raise InvalidInputError(f"--bounds must be two finite numbers LO < HI, got {lo} {hi}",
                                argument="--bounds", value=(lo, hi))
    return lo, hi


def format_state(x) -> str:
    return np.array2string(np.asarray(x), precision=6, threshold=8)


def points_text(title: str, points) -> str:
    lines = [title]
    for k, p in enumerate(points):
        kind = getattr(p, "description", None) or getattr(p.kind, "value", p.kind)
        rho = float(np.max(np.abs(p.eigenvalues)))
        lines.append(f"  [{k}] {kind}, max|λ| = {rho:.6g}, residual = {p.residual:.2e}, "
                     f"x = {format_state(p.x)}")
    return "\n".join(lines)
