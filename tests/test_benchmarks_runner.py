"""benchmarks/run_all.py: runs each bench script, parses RESULT lines, writes the table."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_report_module():
    spec = importlib.util.spec_from_file_location("_report", ROOT / "benchmarks" / "_report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_result_lines_round_trip(capsys):
    report = load_report_module()
    line = report.report("a_b", "plain loop | numpy", 2.5, "it's 3 µs/point")
    assert capsys.readouterr().out.strip() == line
    assert report.parse_result_line(line) == {"name": "a_b", "baseline": "plain loop | numpy",
                                              "ratio": "2.5", "detail": "it's 3 µs/point"}
    assert report.parse_result_line("RESULT ratio=1") is None        # no name
    assert report.parse_result_line("RESULT name='unclosed ratio=1") is None
    assert report.parse_result_line("result name=x ratio=1") is None


def test_run_all_collects_results_failures_and_silence(tmp_path):
    (tmp_path / "bench_ok.py").write_text(textwrap.dedent("""
        import sys
        quick = "--quick" in sys.argv
        print("warming up")
        print(f"RESULT name=fast baseline='slow way' ratio=3.0 detail='quick={quick}'")
        print("RESULT name=second baseline=other ratio=0.5 detail=x")
    """))
    (tmp_path / "bench_fail.py").write_text("raise SystemExit('broken benchmark')\n")
    (tmp_path / "bench_quiet.py").write_text("print('nothing to report')\n")
    (tmp_path / "not_a_bench.py").write_text("raise SystemExit(3)\n")
    out = tmp_path / "results.md"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--quick",
                           "--dir", str(tmp_path), "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1                       # one script failed, one reported nothing
    table = out.read_text()
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + 2 + 1 + 1                 # header, two results, two failure rows
    assert "| fast | slow way | 3.0 | quick=True |" in table
    assert "| second | other | 0.5 | x |" in table
    assert "bench_fail | | FAILED | exit status 1: broken benchmark |" in table
    assert "bench_quiet | | FAILED | printed no RESULT line |" in table
    assert "not_a_bench" not in table
    assert "bench_ok.py --quick`" in table
