"""The subcommands that run scripted analyses and sweeps: run, reproduce, sweep."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from ..errors import InvalidInputError
from .common import EXIT_OK, AnalysisFailed, emit, out_dir, show_progress


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

    emit(args, payload, text)


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


def cmd_run(args) -> int:
    from .. import scripts

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


def cmd_reproduce(args) -> int:
    from .. import scripts

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
    from ..sweeps import sweep_from_config

    if not Path(config).is_file():
        raise FileNotFoundError(f"no such sweep config: {config}")
    result = sweep_from_config(config, scheduler=scheduler, store=getattr(args, "store", None),
                               progress=show_progress(args))

    def text() -> str:
        return (f"{result!r}\n{result.n_done} point(s) computed, {result.n_skipped} loaded from "
                f"the store, {result.n_failed} failed, {result.elapsed:.1f} s")

    emit(args, {"config": str(config), "status": result.status, "success": result.success,
                 "axes": list(result.axes), "coordinates": result.coordinates,
                 "data": result.data, "n_done": result.n_done, "n_failed": result.n_failed,
                 "n_skipped": result.n_skipped}, text)
    out = out_dir(args)
    if out is not None:
        path = result.to_npz(out / f"{Path(config).stem}.npz")
        print(f"saved {path}", file=sys.stderr)
    if not result.success:
        bad = [str(m).splitlines()[0] for m in np.asarray(result.point_message).ravel()
               if str(m).strip()][:3]
        raise AnalysisFailed(f"{result.n_failed} point(s) failed"
                             + (f", e.g. {bad[0]}" if bad else ""))
    return EXIT_OK


def cmd_sweep(args) -> int:
    scheduler = args.scheduler
    if scheduler is not None and not (scheduler == "serial" or scheduler.startswith("tcp://")
                                      or scheduler.startswith("tls://")):
        raise InvalidInputError(f"--scheduler must be tcp://HOST:PORT (or 'serial'), got "
                                f"{scheduler!r}", argument="--scheduler", value=scheduler)
    return _run_sweep(args, args.config, scheduler)
