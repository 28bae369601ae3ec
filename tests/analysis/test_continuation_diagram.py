"""Bifurcation diagrams: branches, duplicates, period doubling cascades and the branch graph."""
import math

import networkx as nx
import numpy as np
import pytest

import dynrnn as dr
from tests import problems as P

# Feigenbaum cascade of the logistic map: r_1 = 3, r_2 = 1 + sqrt(6), r_3 = 3.5440903596...
LOGISTIC_PD = (3.0, 1 + math.sqrt(6), 3.5440903595519)


def test_logistic_cascade_and_graph():
    lm = P.logistic_map(2.8)
    diagram = dr.bifurcation_diagram(lm, "r", (2.8, 3.56), starts=[[0.0], [1 - 1 / 2.8]],
                                     max_period_doublings=2)
    assert diagram.success
    assert sorted(br.period for br in diagram.branches) == [1, 1, 2, 4]
    pds = sorted(b.param for b in diagram.bifurcations if b.kind.value == "PD")
    np.testing.assert_allclose(pds, LOGISTIC_PD, atol=1e-8)
    # the 2-cycle branch starts at the PD of the fixed-point branch
    i2 = [br.period for br in diagram.branches].index(2)
    parent, j = diagram.parents[i2]
    assert diagram.branches[parent].bifurcations[j].param == pytest.approx(3.0, abs=1e-9)
    g = diagram.graph
    assert isinstance(g, nx.MultiGraph)
    kinds = [k for _, k in g.nodes(data="kind")]
    assert kinds.count("PD") == 3
    # one connected component holds the whole cascade; the x = 0 branch is separate
    assert nx.number_connected_components(g) == 2
    for _, _, data in g.edges(data=True):
        assert data["branch"] < len(diagram.branches)


def test_duplicate_starts_are_removed():
    # x -> 5 tanh(x) + b at b = -2 has three fixed points; within [-2, 5] the lower and middle
    # ones lie on one branch (through the fold at b = +3.03), the upper one on another
    from scipy.optimize import brentq
    net = P.one_unit(5.0, -2.0, "tanh")
    f = lambda x: 5 * np.tanh(x) - 2 - x  # noqa: E731
    roots = [brentq(f, -10, -1), brentq(f, -1, 1), brentq(f, 1, 10)]
    starts = [[r] for r in roots] + [[roots[0] + 1e-9]]
    diagram = dr.bifurcation_diagram(net, "b[0]", (-2.0, 5.0), starts=starts)
    assert diagram.n_starts == 4
    assert len(diagram.branches) == 2 and diagram.n_duplicates == 2
    assert [k.kind.value for k in diagram.bifurcations] == ["LP"]
    assert diagram.bifurcations[0].param == pytest.approx(P.TANH_FOLDS_W5[1], abs=1e-8)
    ends = sorted(br.params[-1] for br in diagram.branches)
    assert ends == [-2.0, 5.0]


def test_pitchfork_diagram_switches_at_bp():
    net = P.one_unit(0.5, 0.0, "tanh")
    diagram = dr.bifurcation_diagram(net, "W_rec[0,0]", (0.5, 2.0), starts=[[0.0]])
    assert len(diagram.branches) == 2
    assert [b.kind.value for b in diagram.bifurcations] == ["BP"]
    # BP node has degree 4: two halves of each branch meet there
    bp = [n for n, k in diagram.graph.nodes(data="kind") if k == "BP"][0]
    assert diagram.graph.degree(bp) == 4


def test_diagram_bad_input():
    lm = P.logistic_map(2.8)
    with pytest.raises(dr.InvalidInputError, match="max_period_doublings"):
        dr.bifurcation_diagram(lm, "r", (2.8, 3.5), starts=[[0.6]], max_period_doublings=-1)
    with pytest.raises(dr.InvalidInputError, match="shape"):
        dr.bifurcation_diagram(lm, "r", (2.8, 3.5), starts=[[0.6, 0.1]])


def test_plots_render(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from dynrnn.plotting import plot_bifurcation_diagram, plot_branch

    lm = P.logistic_map(2.8)
    diagram = dr.bifurcation_diagram(lm, "r", (2.8, 3.6), starts=[[1 - 1 / 2.8]],
                                     max_period_doublings=1)
    ax = plot_bifurcation_diagram(diagram)
    texts = [t.get_text() for t in ax.texts]
    assert "PD" in texts and "PD2" in texts
    styles = {line.get_linestyle() for line in ax.lines if len(line.get_xdata()) > 1}
    assert styles == {"-", "--"}
    ax.figure.savefig(tmp_path / "diagram.png")
    assert (tmp_path / "diagram.png").stat().st_size > 1000
    ax2 = plot_branch(diagram.branches[0], component=0)
    assert ax2.get_xlabel() == "r"
    plt.close("all")


def test_diagram_finds_its_own_starts():
    analysis = pytest.importorskip("dynrnn.analysis")
    if not hasattr(analysis, "find_fixed_points"):
        pytest.skip("find_fixed_points is not merged yet")
    net = P.one_unit(5.0, -5.0, "tanh")
    diagram = dr.bifurcation_diagram(net, "b[0]", (-5.0, 5.0))
    assert diagram.success
    found = sorted(b.param for b in diagram.bifurcations)
    np.testing.assert_allclose(found, P.TANH_FOLDS_W5, atol=1e-8)


def test_period_two_bubble_ends_at_the_other_flip():
    # a 5-unit network whose fixed point flips at g1 ≈ 0.635 and flips back at g2 ≈ 1.219: the
    # 2-cycle born at g1 dies at g2, so its branch must end there (not run back over itself)
    net = P.random_tanh_net(5, 1.8, seed=26, bias_scale=0.5)
    x0 = net.replace(W_rec=0.3 * net.W_rec).iterate(np.full(5, 0.1), 500)
    diagram = dr.bifurcation_diagram(net, "gain", (0.3, 1.6), starts=[x0])
    assert len(diagram.branches) == 2
    fixed, cycle = diagram.branches
    assert [b.kind.value for b in fixed.bifurcations] == ["PD", "PD"]
    assert cycle.period == 2
    assert cycle.end_statuses[1] == dr.ContinuationStatus.COLLAPSED and cycle.success
    pd1, pd2 = fixed.bifurcations
    step = np.linalg.norm(np.diff(np.column_stack([cycle.states, cycle.params]), axis=0),
                          axis=1).max()
    end = np.append(cycle.states[-1], cycle.params[-1])
    assert np.linalg.norm(end - np.append(pd2.x, pd2.param)) < 2 * step
    # every point of the cycle branch is a genuine 2-cycle, not a fixed point
    for p, x in zip(cycle.params[1:-1], cycle.states[1:-1]):
        m = fixed.family.at(p)
        assert np.max(np.abs(m.step(x) - x)) > 1e-6
    # the graph joins the two flips through the cycle branch
    g = diagram.graph
    pd_nodes = [n for n, k in g.nodes(data="kind") if k == "PD"]
    assert len(pd_nodes) == 2
    sub = nx.MultiGraph((a, b) for a, b, br in g.edges(data="branch") if br == 1)
    assert nx.has_path(sub, *pd_nodes)


def test_branch_and_diagram_save_load_round_trip(tmp_path):
    lm = P.logistic_map(2.8)
    diagram = dr.bifurcation_diagram(lm, "r", (2.8, 3.6), starts=[[1 - 1 / 2.8]],
                                     max_period_doublings=1)
    dr.save(diagram, tmp_path / "diagram.npz")
    loaded = dr.load(tmp_path / "diagram.npz")
    assert len(loaded.branches) == len(diagram.branches)
    for a, b in zip(diagram.branches, loaded.branches):
        np.testing.assert_array_equal(a.params, b.params)
        np.testing.assert_array_equal(a.eigenvalues, b.eigenvalues)
        assert a.status == b.status and a.end_statuses == b.end_statuses
        assert [x.param for x in a.bifurcations] == [x.param for x in b.bifurcations]
    assert loaded.graph.number_of_edges() == diagram.graph.number_of_edges()
    # a loaded branch can still switch (its family is saved with it)
    fixed = loaded.branches[0]
    cycle = dr.switch_branch(fixed, fixed.bifurcations[0])
    assert abs(cycle.bifurcations[0].param - (1 + math.sqrt(6))) < 1e-8
