"""The scripted analysis runs in --quick mode: each writes valid PNG figures and result files
that load back; a figure drawn from saved-then-loaded results is pixel-identical to one drawn
from the results in memory; the analysis/ wrappers and the README tour run."""
from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import dynrnn as dr
from dynrnn import scripts

ROOT = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def check_output(output, tmp_path: Path, n_figures: int) -> None:
    import matplotlib.image as mpimg
    assert output.success, output.messages
    assert len(output.figures) == n_figures
    for fig in map(Path, output.figures):
        assert fig.parent == tmp_path
        data = fig.read_bytes()
        assert data[:8] == PNG_SIGNATURE and len(data) > 5_000
        image = mpimg.imread(fig)
        assert image.ndim == 3 and image.shape[0] > 300 and image.shape[1] > 300
        assert np.ptp(image[..., :3]) > 0.5        # not a blank image
    for res in map(Path, output.results):
        assert res.parent == tmp_path / "results"
        meta = dr.io.read_metadata(res)
        assert meta["user"]["script"] == output.name
        dr.load(res)


# fig3_bifurcation, fig6_error_surface and training_atlas also run, through a subprocess, in
# tests/test_cli.py::test_reproduce_quick_set (same checks); here they are marked slow.
@pytest.mark.parametrize("name, n_figures", [
    pytest.param("fig3_bifurcation", 1, marks=pytest.mark.slow),
    pytest.param("fig6_error_surface", 1, marks=pytest.mark.slow),
    pytest.param("training_atlas", 1, marks=pytest.mark.slow),
    ("fig7_success_rate", 1), ("custom_map", 1),
])
def test_script_quick(name, n_figures, tmp_path):
    output = scripts.run(name, ["--quick", "--quiet", "--out", str(tmp_path)])
    check_output(output, tmp_path, n_figures)


@pytest.mark.slow
def test_trained_network_quick(tmp_path):
    pytest.importorskip("torch")
    output = scripts.run("trained_network", ["--quick", "--quiet", "--out", str(tmp_path)])
    check_output(output, tmp_path, 1)
    net_b = dr.load(tmp_path / "results" / "trained_network_net_b.npz")
    points = dr.load(tmp_path / "results" / "trained_network_fixed_points.npz")
    for p in points:   # the saved points are fixed points of the saved network
        np.testing.assert_allclose(net_b.step(p.x), p.x, atol=1e-8)


def test_fig3_folds_match_closed_form(tmp_path):
    from tests.problems import SIGMOID_FOLDS_W5
    scripts.run("fig3_bifurcation", ["--quick", "--quiet", "--out", str(tmp_path)])
    diagram = dr.load(tmp_path / "results" / "fig3_bifurcation_sigmoid_branches.npz")
    folds = sorted(b.param for b in diagram.bifurcations if b.kind.value == "LP")
    np.testing.assert_allclose(folds, SIGMOID_FOLDS_W5, atol=1e-8)
    tanh = dr.load(tmp_path / "results" / "fig3_bifurcation_tanh_branches.npz")
    # tanh: 5 sech²(x*) = 1 at x* = ±atanh(√0.8), b = x* − 5 tanh(x*)
    x = np.arctanh(np.sqrt(0.8))
    b_fold = x - 5 * np.tanh(x)
    np.testing.assert_allclose(sorted(b.param for b in tanh.bifurcations), [b_fold, -b_fold],
                               atol=1e-8)


def _rgba(fig) -> np.ndarray:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def test_saved_then_loaded_results_plot_identically(tmp_path):
    from dynrnn.plotting.figures import figure_fig3, figure_fig6
    from dynrnn.scripts import fig3_bifurcation, fig6_error_surface
    args = scripts._common.parse_args("t", "", ["--quick", "--quiet", "--out", str(tmp_path)])
    for module, draw in ((fig3_bifurcation, lambda r: figure_fig3(
            [("sigmoid", r["sigmoid_branches"], r["sigmoid_orbits"]),
             ("tanh", r["tanh_branches"], r["tanh_orbits"])])),
                         (fig6_error_surface, lambda r: figure_fig6(
                             r["surface"], r["plain"], r["clipped"], zoom=r["zoom"],
                             wall_w=5.0))):
        fresh = module.compute(args)
        loaded = {}
        for key, obj in fresh.items():
            dr.save(obj, tmp_path / f"{key}.npz")
            loaded[key] = dr.load(tmp_path / f"{key}.npz")
        a, b = _rgba(draw(fresh)), _rgba(draw(loaded))
        assert a.shape == b.shape and np.array_equal(a, b)


def test_redraw_from_results_without_recomputing(tmp_path):
    """draw() takes only loaded results: redrawing from the files gives the same pixels."""
    from dynrnn.scripts import fig6_error_surface as module
    output = scripts.run(module.NAME, ["--quick", "--quiet", "--out", str(tmp_path)])
    loaded = {Path(p).stem[len(module.NAME) + 1:]: dr.load(p) for p in output.results}
    args = scripts._common.parse_args("t", "", ["--quick"])
    first = _rgba(module.draw(loaded, args)[""])
    second = _rgba(module.draw({k: dr.load(p) for k, p in zip(loaded, output.results)},
                               args)[""])
    assert np.array_equal(first, second)


def test_redraw_option_uses_only_saved_results(tmp_path):
    first = scripts.run("fig7_success_rate", ["--quick", "--quiet", "--out", str(tmp_path)])
    png = Path(first.figures[0])
    png.unlink()
    again = scripts.run("fig7_success_rate", ["--redraw", "--out", str(tmp_path)])
    assert again.success and again.figures == first.figures and png.is_file()
    assert sorted(again.results) == sorted(first.results)
    with pytest.raises(FileNotFoundError, match="--redraw"):
        scripts.run("custom_map", ["--redraw", "--out", str(tmp_path)])


def test_reproduction_plan():
    assert [n for n, _ in scripts.reproduction_plan()] == ["fig3_bifurcation",
                                                            "fig6_error_surface",
                                                            "training_atlas"]
    assert [n for n, _ in scripts.reproduction_plan(all_=True)] == list(scripts.SCRIPTS)
    assert scripts.reproduction_plan(["analysis/custom_map.py"]) == [("custom_map", [])]
    with pytest.raises(dr.UnknownParameterError, match="fig3_bifurcation"):
        scripts.reproduction_plan(["fig99"])


def test_default_directories_in_a_checkout_and_installed(tmp_path, monkeypatch):
    assert scripts.source_root() == ROOT
    assert scripts.default_figure_dir() == ROOT / "figures"
    assert scripts.default_result_dir() == ROOT / "results"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(scripts._common, "source_root", lambda: None)
    assert scripts.default_figure_dir() == tmp_path / "figures"


def test_analysis_wrapper_runs_as_a_script(tmp_path):
    proc = subprocess.run([sys.executable, "analysis/fig7_success_rate.py", "--quick",
                           "--quiet", "--out", str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert f"figure  {tmp_path / 'fig7_success_rate.png'}" in proc.stdout


def test_every_registered_script_has_a_wrapper():
    for name in scripts.SCRIPTS:
        text = (ROOT / "analysis" / f"{name}.py").read_text()
        assert f"from dynrnn.scripts.{name} import main" in text


def readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def readme_blocks_and_outputs() -> list[tuple[str, list[str] | None]]:
    """Each python block of the README with what the text after it says it prints (the
    indented lines after "It prints", before the next block), or None."""
    text = (ROOT / "README.md").read_text()
    out = []
    for match in re.finditer(r"```python\n(.*?)```(.*?)(?=```python|\Z)", text, flags=re.S):
        promised = re.search(r"\A\s*It prints\n\n((?:    .*\n)+)", match.group(2))
        out.append((match.group(1), None if promised is None else
                    [line[4:] for line in promised.group(1).splitlines()]))
    return out


def test_readme_tour_runs(tmp_path, monkeypatch, capsys):
    blocks = readme_blocks_and_outputs()
    assert blocks, "README.md has no python block"
    assert blocks[0][1] is not None, "the tour says what it prints"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block, expected in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
        # What the README says a block prints is what it prints.
        printed = capsys.readouterr().out.splitlines()
        if expected is not None:
            assert printed == expected
    # the shell commands of the PyTorch section, on the files its block wrote
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Analysing a network you trained in PyTorch"):]
    section = section[: section.index("\n## ", 1)]
    commands = re.findall(r"^    (dynrnn .*?)(?:\s+#.*)?$", section, flags=re.M)
    assert len(commands) >= 3
    from dynrnn.cli import main
    for command in commands:
        args = shlex.split(command)[1:]
        assert main(args + ["--quiet"]) == 0, command
        assert capsys.readouterr().out.strip(), command


# -- the sweep scripts: attractor counts with fold curves, Lyapunov map ---------------------------
@pytest.fixture(scope="module")
def attractor_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep_attractors")
    output = scripts.run("sweep_attractors", ["--quick", "--quiet", "--scheduler", "serial",
                                              "--out", str(out)])
    return out, output


def test_sweep_attractors_quick(attractor_run):
    out, output = attractor_run
    from dynrnn.sweep_examples import one_unit_attractor_count
    check_output(output, out, 1)
    assert len(output.results) == 3
    result = dr.load(out / "results" / "sweep_attractors_counts.npz")
    assert isinstance(result, dr.SweepResult)
    assert result.success and result.axes == ("activation", "w", "b")
    for index in [(0, 0, 0), (0, 7, 4), (1, 8, 3), (1, 2, 6)]:
        point = result.grid.point(index)
        expected = one_unit_attractor_count(**point)
        assert {k: result[k][index] for k in expected} == expected


CUSPS = {"sigmoid": (4.0, -2.0), "tanh": (1.0, 0.0)}    # w σ'(x) = 1 and σ''(x) = 0


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_sweep_fold_curves_match_closed_form_and_bound_the_bistable_region(attractor_run,
                                                                          activation):
    from dynrnn.sweep_examples import one_unit_attractor_count
    from tests.problems import one_unit_folds
    out, _ = attractor_run
    curve = dr.load(out / "results" / f"sweep_attractors_{activation}_folds.npz")
    assert curve.success and curve.param_names == ("b[0]", "W_rec[0,0]")
    (cusp,) = curve.codim2
    np.testing.assert_allclose([cusp.param2, cusp.param], CUSPS[activation], atol=1e-6)
    bs, ws = curve.params[:, 0], curve.params[:, 1]
    picks = np.nonzero(ws > CUSPS[activation][0] + 0.5)[0]
    eps = 1e-4
    for i in picks[:: max(1, picks.size // 6)]:
        lo, hi = one_unit_folds(ws[i], activation)
        b_fold = lo if abs(bs[i] - lo) < abs(bs[i] - hi) else hi
        assert abs(bs[i] - b_fold) < 1e-8, (ws[i], bs[i], lo, hi)
        inside = bs[i] + eps if b_fold == lo else bs[i] - eps
        outside = bs[i] - eps if b_fold == lo else bs[i] + eps
        assert one_unit_attractor_count(ws[i], inside, activation)["n_attractors"] == 2
        assert one_unit_attractor_count(ws[i], outside, activation)["n_attractors"] == 1
    # on the swept grid (w > 0), two attractors exactly between the closed-form folds
    counts = dr.load(out / "results" / "sweep_attractors_counts.npz")
    k = list(counts.coordinates["activation"]).index(activation)
    n_checked = 0
    for j, w in enumerate(counts.coordinates["w"]):
        if w <= CUSPS[activation][0]:
            continue
        lo, hi = one_unit_folds(w, activation)
        expected = np.where((counts.coordinates["b"] > lo) & (counts.coordinates["b"] < hi), 2, 1)
        np.testing.assert_array_equal(counts["n_attractors"][k, j], expected)
        n_checked += int(np.sum(expected == 2))
    assert n_checked >= 3


def test_sweep_figures_redraw_identically_from_saved_results(attractor_run):
    from dynrnn.scripts import sweep_attractors as module
    out, output = attractor_run
    loaded = {Path(p).stem[len(module.NAME) + 1:]: dr.load(p) for p in output.results}
    args = scripts._common.parse_args("t", "", ["--quick"])
    first = _rgba(module.draw(loaded, args)[""])
    second = _rgba(module.draw({k: dr.load(p) for k, p in zip(loaded, output.results)},
                               args)[""])
    assert np.array_equal(first, second)


def test_basins_quick(tmp_path):
    output = scripts.run("basins", ["--quick", "--quiet", "--out", str(tmp_path)])
    check_output(output, tmp_path, 3)
    # the text output says the ensemble searches are not exhaustive
    assert sum("not exhaustive" in message for message in output.messages) == 2
    along_b = dr.load(tmp_path / "results" / "basins_one_unit.npz")
    from tests.problems import TANH_FOLDS_W5
    np.testing.assert_allclose(sorted(e.param for e in along_b.events), TANH_FOLDS_W5,
                               atol=1e-8)
    training = dr.load(tmp_path / "results" / "basins_training.npz")
    assert training.tracked_labels.shape == (training.values.size, 1)
