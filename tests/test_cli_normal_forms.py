"""The CLI prints each located point's normal-form coefficient and verdict; diagrams fill the
markers of supercritical points and leave subcritical ones open."""
import numpy as np
import pytest

import dynrnn as dr
from tests.test_cli import dynrnn_here


def test_continue_prints_coefficient_and_verdict(tmp_path):
    net = dr.RNN([[-2.0]], b=[0.0], activation="tanh")
    path = dr.save_model(net, tmp_path / "flip.npz")
    proc = dynrnn_here("continue", path, "--param", "b[0]", "--bounds", 0, 3,
                       "--start", 0.0, "--p0", 0.0, "--quiet")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    direct = dr.continuation(net, "b[0]", [0.0], (0.0, 3.0))
    (pd,) = [b for b in direct.bifurcations if b.kind.value == "PD"]
    assert pd.criticality in ("supercritical", "subcritical")
    assert f"PD at b[0] = {pd.param:.10g}" in out
    assert f", {pd.criticality} (c = {pd.coefficient:.6g})" in out


def test_diagram_markers_filled_for_supercritical_open_for_subcritical():
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    from dynrnn.plotting.diagrams import plot_branch
    net = dr.RNN([[-2.0]], b=[0.0], activation="tanh")
    branch = dr.continuation(net, "b[0]", [0.0], (-3.0, 3.0), direction="both")
    verdicts = {b.criticality for b in branch.bifurcations}
    assert verdicts <= {"supercritical", "subcritical"} and verdicts
    ax = plot_branch(branch)
    markers = [ln for ln in ax.lines if ln.get_marker() == "s"]
    assert len(markers) == len(branch.bifurcations)
    for line, bif in zip(markers, branch.bifurcations):
        face = np.array(matplotlib.colors.to_rgba(line.get_markerfacecolor()))
        white = np.allclose(face, 1.0)
        assert white == (bif.criticality == "subcritical")


def test_continue_prints_border_collision_type(tmp_path):
    path = dr.save_model(dr.PLRNN([0.5], [[-2.0]], h=[-0.5]), tmp_path / "plrnn.npz")
    proc = dynrnn_here("continue", path, "--param", "h[0]", "--bounds", -0.5, 0.5,
                       "--start", -1.0, "--p0", -0.5, "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "BC at h[0] = " in proc.stdout and "non-smooth flip" in proc.stdout
