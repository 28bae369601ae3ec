"""The one-line result format every benchmarks/bench_*.py prints (see benchmarks/README.md)."""
from __future__ import annotations

import shlex

__all__ = ["report", "parse_result_line"]

FIELDS = ("name", "baseline", "ratio", "detail")


def report(name: str, baseline: str, ratio: float, detail: str = "") -> str:
    """Print and return ``RESULT name=... baseline=... ratio=... detail=...`` (shell-quoted).

    ``ratio`` is baseline time / this time: above 1 the measured code is faster than the baseline.
    """
    line = "RESULT " + " ".join(f"{key}={shlex.quote(str(value))}" for key, value in
                                zip(FIELDS, (name, baseline, f"{ratio:.4g}", detail)))
    print(line, flush=True)
    return line


def parse_result_line(line: str) -> dict[str, str] | None:
    """The fields of a ``RESULT`` line, or None if ``line`` is not one (or is malformed)."""
    if not line.startswith("RESULT "):
        return None
    try:
        parts = shlex.split(line[len("RESULT "):])
    except ValueError:
        return None
    fields = {}
    for part in parts:
        key, sep, value = part.partition("=")
        if not sep:
            return None
        fields[key] = value
    if "name" not in fields or "ratio" not in fields:
        return None
    fields.setdefault("baseline", "")
    fields.setdefault("detail", "")
    return fields
