"""``main``: parse the command line, run the subcommand, turn its errors into exit codes."""
from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Sequence

from ..errors import (
    ConvergenceError,
    DynrnnError,
    InvalidInputError,
    InvalidTypeError,
    MissingDependencyError,
)
from .common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, AnalysisFailed, check_args
from .parser import build_parser


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
        check_args(args)
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
