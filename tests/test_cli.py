"""The ``dynrnn`` command end to end, through a subprocess (``python -m dynrnn``), on small inputs.

Every subcommand's ``--json`` output is checked against the library called directly, and every
error path against its exit code: 2 for bad input (one line, no traceback), 1 for an analysis
that ran and failed, a traceback only with ``--debug``.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import dynrnn as dr
from tests.problems import SIGMOID_FOLDS_W5

ROOT = Path(__file__).resolve().parents[1]


def dynrnn(*args, timeout: float = 180.0) -> subprocess.CompletedProcess:
    """``python -m dynrnn ARGS`` in a subprocess, from the worktree root."""
    return subprocess.run([sys.executable, "-m", "dynrnn", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def dynrnn_here(*args) -> subprocess.CompletedProcess:
    """The same entry point (``dynrnn.cli.main``) called in this process: for the error paths,
    which differ from a subprocess only by the interpreter start-up (several seconds on a
    loaded machine). The subprocess route is covered by the tests that use :func:`dynrnn`."""
    import contextlib
    import io
    from dynrnn.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:      # argparse errors
            code = exc.code
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def as_json(proc: subprocess.CompletedProcess):
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def one_error_line(proc: subprocess.CompletedProcess, code: int) -> str:
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    one_unit = dr.RNN([[5.0]], b=[-2.5], activation="sigmoid")
    contracting = dr.RNN([[0.3, 0.1], [-0.2, 0.4]], b=[0.1, -0.2], activation="tanh")
    (d / "henon.toml").write_text(
        '[map]\nstates = ["x", "y"]\n[map.params]\na = 1.0\nb = 0.3\n'
        '[map.equations]\nx = "1 - a*x**2 + y"\ny = "b*x"\n')
    (d / "garbage.npz").write_bytes(b"this is not a zip file")
    return {"one_unit": (dr.save_model(one_unit, d / "one_unit.npz"), one_unit),
            "contracting": (dr.save_model(contracting, d / "contracting.npz"), contracting),
            "henon": (d / "henon.toml", dr.load_model(d / "henon.toml")),
            "garbage": (d / "garbage.npz", None), "dir": d}


# -- no subcommand, help --------------------------------------------------------------------
def test_no_subcommand_prints_help_and_exits_2():
    proc = dynrnn()
    assert proc.returncode == 2
    assert "usage: dynrnn" in proc.stderr and "reproduce" in proc.stderr


# -- fixed-points and cycles ----------------------------------------------------------------
def test_fixed_points_json_matches_library(models):
    path, net = models["one_unit"]
    out = as_json(dynrnn("fixed-points", path, "--json"))
    direct = dr.find_fixed_points(net, seed=0)
    got = np.array([p["x"] for p in out["fixed_points"]])
    assert got.shape == direct.states.shape == (3, 1)
    np.testing.assert_allclose(got, direct.states, rtol=1e-12, atol=1e-12)
    assert [p["stable"] for p in out["fixed_points"]] == [p.stable for p in direct]
    assert out["result"]["exhaustive"] is True


def test_fixed_points_text_and_saved_result(models, tmp_path):
    path, net = models["one_unit"]
    proc = dynrnn("fixed-points", path, "--out", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "3 fixed point(s)" in proc.stdout
    loaded = dr.load(tmp_path / "fixed_points.npz")
    np.testing.assert_allclose(loaded.states, dr.find_fixed_points(net).states, atol=1e-12)


def test_cycles_json_matches_library(models):
    path, henon = models["henon"]
    out = as_json(dynrnn("cycles", path, "--period", 2, "--json"))
    direct = dr.find_cycles(henon, 2, seed=0)
    assert len(out["cycles"]) == len(direct) >= 1
    for got, ref in zip(out["cycles"], direct):
        np.testing.assert_allclose(np.array(got["orbit"]), ref.orbit, atol=1e-10)
        # the 2-cycle of the Hénon map: x_{1,2} = (1 - b ± sqrt(4a - 3(1 - b)^2)) / (2a)
        a, b = 1.0, 0.3
        roots = (1 - b + np.array([-1, 1]) * np.sqrt(4 * a - 3 * (1 - b) ** 2)) / (2 * a)
        np.testing.assert_allclose(np.sort(ref.orbit[:, 0]), roots, atol=1e-10)


def test_cycles_not_found_is_an_analysis_failure(models):
    path, _ = models["contracting"]
    line = one_error_line(dynrnn("cycles", path, "--period", 3, "--quiet"), 1)
    assert line.startswith("dynrnn cycles: analysis failed:") and "3-cycle" in line


# -- continue ------------------------------------------------------------------------------
def test_continue_json_matches_library_and_closed_form(models):
    path, net = models["one_unit"]
    out = as_json(dynrnn("continue", path, "--param", "b[0]", "--bounds", -5, 0,
                         "--start", 4.97, "--p0", -0.0, "--direction", "down", "--json",
                         "--quiet"))
    (branch,) = out["branches"]
    folds = sorted(b["param"] for b in branch["bifurcations"] if b["kind"] == "LP")
    np.testing.assert_allclose(folds, sorted(SIGMOID_FOLDS_W5), atol=1e-8)
    direct = dr.continuation(net.with_params({"b[0]": 0.0}), "b[0]", [4.97], (-5.0, 0.0),
                             direction=-1)
    np.testing.assert_allclose(branch["params"], direct.params, atol=1e-12)
    assert branch["success"] is True


def test_continue_every_fixed_point_by_default(models, tmp_path):
    path, _ = models["one_unit"]
    proc = dynrnn("continue", path, "--param", "b[0]", "--bounds", -3, -2, "--out", tmp_path,
                  "--quiet")
    assert proc.returncode == 0, proc.stderr
    # the three fixed points lie on one S-shaped branch: it is computed once
    assert proc.stdout.count("branch of fixed points") == 1
    assert proc.stdout.count("LP at b[0]") == 2
    branch = dr.load(tmp_path / "branch_0.npz")
    assert isinstance(branch, dr.Branch) and branch.param_name == "b[0]"


def test_unknown_parameter_exits_2_with_valid_names(models):
    path, _ = models["one_unit"]
    line = one_error_line(dynrnn_here("continue", path, "--param", "c", "--bounds", 0, 1), 2)
    assert "'c'" in line and "b[0]" in line and "W_rec[0,0]" in line


def test_start_of_the_wrong_size_is_bad_input(models):
    path, _ = models["henon"]
    line = one_error_line(dynrnn_here("continue", path, "--param", "a", "--bounds", 0.5, 1.5,
                                      "--start", 1.0, "--quiet"), 2)
    assert "--start needs 2" in line


def test_bounds_not_containing_the_model_value(models):
    path, _ = models["one_unit"]
    line = one_error_line(dynrnn_here("continue", path, "--param", "b[0]", "--bounds", 0, 1), 2)
    assert "--bounds" in line


# -- bad files and --debug -------------------------------------------------------------------
@pytest.mark.parametrize("which", ["garbage", "missing", "suffix"])
def test_bad_model_file_exits_2(models, which):
    path = {"garbage": models["garbage"][0], "missing": models["dir"] / "none.npz",
            "suffix": models["dir"] / "henon.txt"}[which]
    run = dynrnn if which == "garbage" else dynrnn_here
    line = one_error_line(run("fixed-points", path), 2)
    assert line.startswith("dynrnn fixed-points: error:") and str(path.name) in line


def test_debug_shows_traceback(models):
    proc = dynrnn("fixed-points", models["garbage"][0], "--debug")
    assert proc.returncode == 2 and "Traceback (most recent call last)" in proc.stderr


# -- diagram ---------------------------------------------------------------------------------
def test_diagram_writes_figure_and_results(models, tmp_path):
    import matplotlib.image as mpimg
    path, net = models["one_unit"]
    out = as_json(dynrnn("diagram", path, "--param", "b[0]", "--bounds", -5, 0, "--values",
                         60, "--transient", 100, "--keep", 5, "--out", tmp_path, "--json",
                         "--quiet"))
    png = Path(out["files"]["figure"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert mpimg.imread(png).ndim == 3
    diagram = dr.load(out["files"]["branches"])
    folds = sorted(b.param for b in diagram.bifurcations if b.kind.value == "LP")
    np.testing.assert_allclose(folds, sorted(SIGMOID_FOLDS_W5), atol=1e-8)
    assert isinstance(dr.load(out["files"]["orbits"]), dr.OrbitDiagram)


# -- train and events --------------------------------------------------------------------------
def test_train_then_events_match_library(tmp_path):
    from scipy.special import expit
    from dynrnn.gradients import find_gradient_events
    b_wall = 0.5 - 5.0 * expit(0.5)
    proc = dynrnn("train", "fig6", "--w", 5.0, "--b", b_wall - 1e-4, "--lr", 0.01, "--steps",
                  30, "--full-history", "--out", tmp_path, "--quiet")
    assert proc.returncode == 0, proc.stderr
    history = tmp_path / "training.npz"
    out = as_json(dynrnn("events", history, "--json", "--quiet"))
    direct = find_gradient_events(dr.load(history))
    assert [e["step"] for e in out["events"]["events"]] == [e.step for e in direct] != []
    assert [e["cause"] for e in out["events"]["events"]] == [e.cause.value for e in direct]


def test_train_task_json(tmp_path):
    out = as_json(dynrnn("train", "addition", "--steps", 5, "--units", 3, "--length", 12,
                         "--batch-size", 4, "--eval-batch-size", 50, "--json", "--quiet"))
    assert out["n_steps"] == 5 and len(out["loss"]) == 5 and out["success"] is True


def test_unknown_task_exits_2_with_valid_names():
    line = one_error_line(dynrnn_here("train", "juggling"), 2)
    assert "temporal_order" in line and "fig6" in line


def test_events_of_a_non_training_file_exits_2(models):
    line = one_error_line(dynrnn_here("events", models["one_unit"][0]), 2)
    assert "not a training result" in line


# -- run, sweep, reproduce ---------------------------------------------------------------------
SWEEP_CONFIG = """
function = "dynrnn.sweep_examples:one_unit_attractor_count"
[grid]
w = [1.0, 5.0]
b = [-2.5, 0.0]
[fixed]
activation = "sigmoid"
"""


def test_sweep_config_serial_matches_direct_calls(tmp_path):
    from dynrnn.sweep_examples import one_unit_attractor_count
    config = tmp_path / "attractors.toml"
    config.write_text(SWEEP_CONFIG)
    out = as_json(dynrnn("sweep", config, "--scheduler", "serial", "--json", "--out", tmp_path,
                         "--quiet"))
    assert out["success"] is True and out["axes"] == ["w", "b"]
    for i, w in enumerate([1.0, 5.0]):
        for j, b in enumerate([-2.5, 0.0]):
            ref = one_unit_attractor_count(w, b, activation="sigmoid")
            for key, value in ref.items():
                assert out["data"][key][i][j] == value
    assert (tmp_path / "attractors.npz").is_file()
    # `run` takes a sweep config too
    assert as_json(dynrnn("run", config, "--json", "--quiet"))["success"] is True


def test_sweep_bad_scheduler_exits_2(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(SWEEP_CONFIG)
    line = one_error_line(dynrnn_here("sweep", config, "--scheduler", "localhost:8786"), 2)
    assert "tcp://HOST:PORT" in line


def test_sweep_missing_config_exits_2(tmp_path):
    one_error_line(dynrnn_here("sweep", tmp_path / "none.toml"), 2)


def test_sweep_with_failing_points_exits_1(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text(SWEEP_CONFIG.replace('activation = "sigmoid"', 'activation = "nope"'))
    line = one_error_line(dynrnn_here("sweep", config, "--scheduler", "serial", "--quiet"), 1)
    assert "failed" in line


def test_run_unknown_script_exits_2():
    line = one_error_line(dynrnn_here("run", "fig99"), 2)
    assert "fig3_bifurcation" in line


def test_run_script_by_path(tmp_path):
    out = as_json(dynrnn("run", "analysis/fig7_success_rate.py", "--quick", "--out", tmp_path,
                         "--quiet", "--json"))
    (run,) = out["runs"]
    assert run["success"] and run["figures"] == [str(tmp_path / "fig7_success_rate.png")]
    assert dr.load(run["results"][0]).success


def test_reproduce_unknown_name_exits_2():
    line = one_error_line(dynrnn_here("reproduce", "fig3_bifurcation", "nope"), 2)
    assert "nope" in line and "fig6_error_surface" in line


def test_reproduce_quick_set(tmp_path):
    import matplotlib.image as mpimg
    out = as_json(dynrnn("reproduce", "--quick", "--out", tmp_path, "--json", "--quiet"))
    names = [r["name"] for r in out["runs"]]
    assert names == ["fig3_bifurcation", "fig6_error_surface", "training_atlas"]
    for run in out["runs"]:
        assert run["success"], run
        assert run["figures"]
        for fig in run["figures"]:
            assert Path(fig).parent == tmp_path and Path(fig).stat().st_size > 10_000
            assert Path(fig).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            image = mpimg.imread(fig)
            assert image.ndim == 3 and np.ptp(image[..., :3]) > 0.5
        for res in run["results"]:
            assert Path(res).parent == tmp_path / "results"
            dr.load(res)
    # the quick set does not include the network part of the training atlas
    assert not (tmp_path / "training_atlas_network.png").exists()


# -- PyTorch files -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def torch_files(tmp_path_factory):
    torch = pytest.importorskip("torch")
    d = tmp_path_factory.mktemp("torch")
    torch.manual_seed(0)
    relu = torch.nn.RNN(2, 3, nonlinearity="relu").double()
    with torch.no_grad():
        relu.weight_hh_l0.mul_(2.0)
    gru = torch.nn.GRU(2, 4).double()
    lstm = torch.nn.LSTM(2, 3, num_layers=2).double()
    two = torch.nn.ModuleDict({"a": torch.nn.RNN(2, 3), "b": torch.nn.RNN(2, 5)})
    torch.save(relu.state_dict(), d / "relu.pt")
    torch.save({"epoch": 1, "model": gru.state_dict()}, d / "gru.pth")
    torch.save(lstm, d / "lstm_module.pt")
    torch.save(two.state_dict(), d / "two.pt")
    return {"dir": d, "relu": relu, "gru": gru, "lstm": lstm, "two": two}


def _torch_fixed_point_residual(module, h, u):
    """‖step(h) − h‖ with torch's own module, h in torch's hidden-state space."""
    import torch
    inp = torch.tensor(np.asarray(u, dtype=float)).reshape(1, 1, -1)
    with torch.no_grad():
        if isinstance(h, tuple):
            hh, cc = (torch.tensor(np.asarray(a)).reshape(a.shape[0], 1, -1) for a in h)
            _, (hn, cn) = module(inp, (hh, cc))
            return max(float((hn - hh).abs().max()), float((cn - cc).abs().max()))
        hh = torch.tensor(np.asarray(h)).reshape(-1, 1, module.hidden_size)
        _, hn = module(inp, hh)
        return float((hn - hh).abs().max())


def test_relu_state_dict_needs_the_nonlinearity(torch_files):
    """Issue 10 defect 16: a ReLU nn.RNN state dict was analysed as tanh without a word."""
    path = torch_files["dir"] / "relu.pt"
    line = one_error_line(dynrnn_here("fixed-points", path), 2)
    assert "nonlinearity" in line and "--nonlinearity" in line
    out = as_json(dynrnn_here("fixed-points", path, "--nonlinearity", "relu", "--json",
                              "--state-space", "torch"))
    assert out["network"]["nonlinearity"] == "relu" and out["network"]["kind"] == "RNN"
    net = dr.from_torch(torch_files["relu"])
    direct = dr.find_fixed_points(net, seed=0)
    np.testing.assert_allclose([p["x"] for p in out["fixed_points"]], direct.states,
                               atol=1e-12)
    for p in out["fixed_points"]:
        h = np.array(p["torch_state"]["h"])
        np.testing.assert_allclose(h, np.maximum(p["x"], 0), atol=1e-15)
        assert _torch_fixed_point_residual(torch_files["relu"], h, [0, 0]) < 1e-12


def test_gru_checkpoint_with_input_in_torch_space(torch_files):
    path = torch_files["dir"] / "gru.pth"
    out = as_json(dynrnn_here("fixed-points", path, "--json", "--state-space", "torch",
                              "--input", "0.5", "-1.0", "--quiet"))
    assert out["network"]["class"] == "GRU" and out["input"] == [0.5, -1.0]
    assert out["fixed_points"]
    for p in out["fixed_points"]:
        h = np.array(p["torch_state"]["h"])
        assert h.shape == (1, 4)
        assert _torch_fixed_point_residual(torch_files["gru"], h, [0.5, -1.0]) < 1e-10
    text = dynrnn_here("fixed-points", path, "--state-space", "torch", "--input", "0.5", "-1.0",
                       "--quiet").stdout
    assert "torch GRU" in text and "h = [" in text and "status:" in text


def test_whole_lstm_module_file_and_compact_json(torch_files):
    path = torch_files["dir"] / "lstm_module.pt"
    proc = dynrnn("fixed-points", path, "--json", "--state-space", "torch", "--quiet")
    out = as_json(proc)
    assert out["network"]["kind"] == "LSTM" and out["network"]["n_layers"] == 2
    assert set(out["result"]) >= {"success", "status", "exhaustive", "n_fixed_points"}
    assert "residual_history" not in proc.stdout and "points" not in out["result"]
    for p in out["fixed_points"]:
        h, c = np.array(p["torch_state"]["h"]), np.array(p["torch_state"]["c"])
        assert h.shape == c.shape == (2, 3)
        assert _torch_fixed_point_residual(torch_files["lstm"], (h, c), [0, 0]) < 1e-10
    # each point once (today's output listed every point twice plus a residual history)
    assert proc.stdout.count('"eigenvalues"') == len(out["fixed_points"])
    assert len(proc.stdout) < 4000 * max(1, len(out["fixed_points"]))


def test_starts_file_and_prefix(torch_files, tmp_path):
    path = torch_files["dir"] / "two.pt"
    line = one_error_line(dynrnn_here("fixed-points", path, "--nonlinearity", "tanh"), 2)
    assert "--prefix" in line and "'a.'" in line and "'b.'" in line
    starts = np.random.default_rng(0).uniform(-0.9, 0.9, (5, 5))
    np.save(tmp_path / "starts.npy", starts)
    out = as_json(dynrnn_here("fixed-points", path, "--nonlinearity", "tanh", "--prefix", "b",
                              "--starts", tmp_path / "starts.npy", "--state-space", "torch",
                              "--json"))
    # the 5 given starts plus ceil(0.25 · 5) = 2 box starts (find_fixed_points' box_fraction)
    assert out["result"]["n_starts"] == 5 + 2
    net = dr.from_torch(torch_files["two"].state_dict(), nonlinearity="tanh", prefix="b")
    x_starts = net.to_elman().to_pascanu_state(starts, np.zeros(2))
    direct = dr.find_fixed_points(net, starts=x_starts, seed=0)
    np.testing.assert_allclose([p["x"] for p in out["fixed_points"]], direct.states,
                               atol=1e-12)
    # a file of the wrong width, and a count that is not positive
    np.save(tmp_path / "wide.npy", np.zeros((2, 7)))
    line = one_error_line(dynrnn_here("fixed-points", path, "--nonlinearity", "tanh",
                                      "--prefix", "b", "--starts", tmp_path / "wide.npy"), 2)
    assert "(n_starts, 5)" in line
    one_error_line(dynrnn_here("fixed-points", path, "--nonlinearity", "tanh", "--prefix", "b",
                               "--starts", "0"), 2)


def test_torch_options_refused_for_other_files(models):
    path, _ = models["one_unit"]
    line = one_error_line(dynrnn_here("fixed-points", path, "--nonlinearity", "relu"), 2)
    assert "--nonlinearity" in line and ".pt" in line
