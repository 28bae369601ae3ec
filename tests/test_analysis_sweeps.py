"""The sweep scripts (dynrnn/scripts/sweep_*.py, wrapped by analysis/sweep_*.py) in --quick mode:
they save what direct evaluation gives, resume from a store, and are registered for
``dynrnn reproduce --all`` but not for the quick default set."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import dynrnn as dr
from dynrnn import scripts
from dynrnn.sweep_examples import largest_lyapunov_exponent

ROOT = Path(__file__).resolve().parents[1]


def test_sweep_scripts_are_registered_outside_the_quick_set():
    everything = [name for name, _ in scripts.reproduction_plan(all_=True)]
    quick = [name for name, _ in scripts.reproduction_plan()]
    for name in ("sweep_attractors", "sweep_lyapunov"):
        assert name in scripts.SCRIPTS and name in everything and name not in quick
        assert scripts.reproduction_plan([name]) == [(name, [])]


@pytest.mark.parametrize("name", ["sweep_attractors", "sweep_lyapunov"])
def test_sweep_wrappers_keep_their_options(name):
    # The quick run itself is in tests/test_scripts.py (in this process, to stay fast).
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, str(ROOT / "analysis" / f"{name}.py"), "--help"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for option in ("--quick", "--store", "--scheduler", "--workers", "--no-progress", "--out",
                   "--redraw"):
        assert option in done.stdout


def test_sweep_lyapunov_quick_with_a_resumable_store(tmp_path):
    store = tmp_path / "store"
    args = ["--quick", "--quiet", "--out", str(tmp_path), "--scheduler", "serial",
            "--store", str(store)]
    output = scripts.run("sweep_lyapunov", args)
    assert output.success and len(output.figures) == 1
    result = dr.load(output.results[0])
    assert result.axes == ("gain", "bias_scale", "seed")
    assert result.shape == (5, 4, 1) and result.n_done == 20
    point = result.grid.point((4, 2, 0))
    expected = largest_lyapunov_exponent(**point, **result.fixed)
    assert result["value"][4, 2, 0] == pytest.approx(expected, rel=1e-12, abs=1e-12)
    again = scripts.run("sweep_lyapunov", args)
    resumed = dr.load(again.results[0])
    assert (resumed.n_skipped, resumed.n_done) == (20, 0)
    np.testing.assert_array_equal(resumed["value"], result["value"])
