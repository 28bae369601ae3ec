"""Run every benchmarks/bench_*.py and write benchmarks/results.md.

    python benchmarks/run_all.py            # full runs
    python benchmarks/run_all.py --quick    # every script with --quick (seconds to a minute)
    python benchmarks/run_all.py --only sweeps

Each script runs in its own subprocess (with the repository on PYTHONPATH) and reports lines
``RESULT name=... baseline=... ratio=... detail=...`` (benchmarks/README.md). The table collects
them with the command that reproduces each; a script that fails, times out or reports nothing gets
a row saying so, and the exit status is then 1.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from _report import parse_result_line  # noqa: E402


def run_one(script: Path, quick: bool, timeout: float) -> tuple[list[dict], str, float]:
    """Run one script; return its RESULT rows, an error ('' if fine) and its wall time."""
    command = [sys.executable, str(script)] + (["--quick"] if quick else [])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(ROOT), env.get("PYTHONPATH", "")] if p)
    start = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        rows = [r for r in map(parse_result_line, out.splitlines()) if r]
        return rows, f"timed out after {timeout:g} s", time.perf_counter() - start
    elapsed = time.perf_counter() - start
    sys.stdout.write(done.stdout)
    rows = [r for r in map(parse_result_line, done.stdout.splitlines()) if r]
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no stderr)"])[-1]
        return rows, f"exit status {done.returncode}: {last}", elapsed
    if not rows:
        return rows, "printed no RESULT line", elapsed
    return rows, "", elapsed


def display_command(script: Path, quick: bool) -> str:
    try:
        shown = script.relative_to(ROOT)
    except ValueError:
        shown = script
    return f"python {shown}" + (" --quick" if quick else "")


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:          # not available on every platform
        return "unknown"


def cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def write_markdown(path: Path, sections: list, quick: bool) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python benchmarks/run_all.py{' --quick' if quick else ''}` on "
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}; Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs ({platform.machine()}), load "
        f"average {_load()} at the end. "
        "ratio = baseline time / measured time (above 1: faster than the baseline). Timings on a "
        "shared machine are noisy; rerun before quoting.",
        "",
        "| benchmark | baseline | ratio | detail | command |",
        "| --- | --- | --- | --- | --- |",
    ]
    for script, quick_flag, rows, error, elapsed in sections:
        command = f"`{display_command(script, quick_flag)}`"
        for row in rows:
            lines.append(f"| {cell(row['name'])} | {cell(row['baseline'])} | "
                         f"{cell(row['ratio'])} | {cell(row['detail'])} | {command} |")
        if error:
            lines.append(f"| {cell(script.stem)} | | FAILED | {cell(error)} | {command} |")
    lines.append("")
    path.write_text("\n".join(lines))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="pass --quick to every script")
    parser.add_argument("--only", default="", help="run only scripts whose name contains this")
    parser.add_argument("--dir", type=Path, default=HERE, help="folder with the bench_*.py")
    parser.add_argument("--out", type=Path, default=None,
                        help="markdown table (default: DIR/results.md)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per script")
    args = parser.parse_args(argv)
    scripts = sorted(p for p in args.dir.glob("bench_*.py") if args.only in p.name)
    if not scripts:
        print(f"no bench_*.py matching {args.only!r} in {args.dir}", file=sys.stderr)
        return 1
    sections = []
    for script in scripts:
        print(f"== {display_command(script, args.quick)}", flush=True)
        rows, error, elapsed = run_one(script, args.quick, args.timeout)
        if error:
            print(f"!! {script.name}: {error}", flush=True)
        sections.append((script, args.quick, rows, error, elapsed))
    out = args.out or args.dir / "results.md"
    write_markdown(out, sections, args.quick)
    print(f"wrote {out}")
    return 1 if any(s[3] for s in sections) else 0


if __name__ == "__main__":
    sys.exit(main())
