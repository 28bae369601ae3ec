"""The ``dynrnn`` command.

Exit codes: 0 done, 1 the analysis failed (the reason is printed), 2 bad input. Errors print one
line on stderr; ``--debug`` shows the traceback. ``--json`` prints machine-readable results on stdout.
"""
from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from . import __version__
from .errors import (ConvergenceError, DynrnnError, InvalidInputError, InvalidTypeError,
                     MissingDependencyError)

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class AnalysisFailed(Exception):
    """Raised by a subcommand when the analysis ran but did not succeed (exit code 1)."""


def to_jsonable(value: Any) -> Any:
    """Turn results (dataclasses, arrays, enums, complex numbers) into JSON-compatible data."""
    import dataclasses
    import enum

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)
                if not f.name.startswith("_")}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, np.ndarray):
        if np.iscomplexobj(value):
            return {"real": value.real.tolist(), "imag": value.imag.tolist()}
        return value.tolist()
    if isinstance(value, (complex, np.complexfloating)):
        return {"real": float(value.real), "imag": float(value.imag)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return repr(value)


def _emit(args: argparse.Namespace, payload: dict, text: Callable[[], str]) -> None:
    if args.json:
        print(json.dumps(to_jsonable(payload), indent=2))
    else:
        print(text())


# -- subcommands ------------------------------------------------------------------------------
def _cmd_fixed_points(args) -> int:
    from .analysis import find_fixed_points
    from .io import load_model

    system = load_model(args.model)
    result = find_fixed_points(system, n_starts=args.starts, seed=args.seed)
    points = list(result)

    def text() -> str:
        lines = [f"{len(points)} fixed point(s) of {args.model}"
                 + (" (all of them: exhaustive search)" if getattr(result, "exhaustive", False)
                    else "")]
        for k, p in enumerate(points):
            rho = float(np.max(np.abs(p.eigenvalues)))
            x = np.array2string(np.asarray(p.x), precision=6, threshold=8)
            lines.append(f"  [{k}] {p.kind.value if hasattr(p.kind, 'value') else p.kind}, "
                         f"max|λ| = {rho:.6g}, residual = {p.residual:.2e}, x = {x}")
        return "\n".join(lines)

    _emit(args, {"model": str(args.model), "result": result, "fixed_points": points}, text)
    if args.out:
        from .io import save
        Path(args.out).mkdir(parents=True, exist_ok=True)
        path = Path(args.out) / "fixed_points.npz"
        save(result, path)
        print(f"saved {path}", file=sys.stderr)
    return EXIT_OK if getattr(result, "success", True) else EXIT_FAILED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dynrnn",
        description="Recurrent networks as dynamical systems: fixed points, continuation, "
                    "bifurcations and exploding gradients.")
    parser.add_argument("--version", action="version", version=f"dynrnn {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print machine-readable results")
    common.add_argument("--out", metavar="DIR", help="directory for results and figures")
    common.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("fixed-points", parents=[common],
                       help="all fixed points of a model and their stability")
    p.add_argument("model", help="MODEL: .npz (W_rec, W_in, b, activation), torch state dict "
                                 "(.pt) or TOML map definition")
    p.add_argument("--starts", type=int, default=1000, help="Newton starts for n-D maps")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(handler=_cmd_fixed_points)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return int(args.handler(args))
    except (InvalidInputError, InvalidTypeError, FileNotFoundError, IsADirectoryError,
            MissingDependencyError) as exc:
        if args.debug:
            traceback.print_exc()
        print(f"dynrnn {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (AnalysisFailed, ConvergenceError, DynrnnError) as exc:
        if args.debug:
            traceback.print_exc()
        print(f"dynrnn {args.command}: analysis failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"dynrnn {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
