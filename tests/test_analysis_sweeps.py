"""The sweep scripts in analysis/ run in --quick mode and save what direct evaluation gives."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dynrnn.sweep_examples import largest_lyapunov_exponent, one_unit_attractor_count
from dynrnn.sweeps import SweepResult

ROOT = Path(__file__).resolve().parents[1]


def run_script(name: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, str(ROOT / "analysis" / name), "--quick",
                           "--no-progress", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_sweep_attractors_quick(tmp_path):
    out = tmp_path / "attractors.npz"
    done = run_script("sweep_attractors.py", "--out", str(out), "--scheduler", "serial")
    assert done.returncode == 0, done.stderr
    assert "two or more attractors" in done.stdout
    result = SweepResult.from_npz(out)
    assert result.success and result.axes == ("activation", "w", "b")
    for index in [(0, 0, 0), (0, 7, 4), (1, 8, 3), (1, 2, 6)]:
        point = result.grid.point(index)
        expected = one_unit_attractor_count(**point)
        assert {k: result[k][index] for k in expected} == expected


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name.removesuffix(".py"),
                                                  ROOT / "analysis" / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sweep_lyapunov_quick_with_a_resumable_store(tmp_path, capsys):
    # In this process (the attractor test above covers running a script as a command).
    script = load_script("sweep_lyapunov.py")
    out = tmp_path / "lyapunov.npz"
    store = tmp_path / "store"
    args = ["--quick", "--no-progress", "--out", str(out), "--scheduler", "serial",
            "--store", str(store)]
    returned = script.main(args)
    assert "mean largest Lyapunov exponent" in capsys.readouterr().out
    result = SweepResult.from_npz(out)
    assert result.success and result.shape == (5, 2) and result.n_done == 10
    np.testing.assert_array_equal(result["value"], returned["value"])
    point = result.grid.point((4, 1))
    expected = largest_lyapunov_exponent(**point, **result.fixed)
    assert result["value"][4, 1] == pytest.approx(expected, rel=1e-12, abs=1e-12)
    script.main(args)
    resumed = SweepResult.from_npz(out)
    assert (resumed.n_skipped, resumed.n_done) == (10, 0)
    np.testing.assert_array_equal(resumed["value"], result["value"])
