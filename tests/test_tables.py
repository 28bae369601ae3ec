"""Result objects as tables (dynrnn/_tables.py): records, structured arrays, DataFrames, HTML.

Each table is checked against the result's own attributes, so a column that reads the wrong
field or the wrong row fails.
"""
from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest
import sympy as sp

import dynrnn as dr
from dynrnn.errors import MissingDependencyError
from dynrnn.gradients import fig6_problem


@pytest.fixture(scope="module")
def one_unit():
    return dr.RNN([[5.0]], b=[-2.5], activation="sigmoid")


def test_fixed_points_table(one_unit):
    result = dr.find_fixed_points(one_unit, seed=0)
    records = result.to_records()
    assert len(records) == len(result.points) == 3
    for record, point in zip(records, result.points):
        assert record["x[0]"] == point.x[0]
        assert record["kind"] == point.kind.name
        assert record["stable"] is point.stable
        assert record["spectral_radius"] == pytest.approx(point.spectral_radius)
        assert all(isinstance(v, (int, float, bool, str)) for v in record.values())
    table = result.to_records(structured=True)
    assert table.shape == (3,)
    np.testing.assert_array_equal(table["x[0]"], [p.x[0] for p in result.points])
    assert table["kind"].dtype.kind == "U"
    # the fixed points of x = 5σ(x) − 2.5 are symmetric about 0: the table says so
    assert sorted(np.round(table["x[0]"], 6)) == pytest.approx([-1.776, 0.0, 1.776], abs=1e-3)


def test_branch_and_curve_tables():
    x, y, a, b = sp.symbols("x y a b")
    henon = dr.Map.from_sympy([1 - a * x**2 + y, b * x], [x, y], {a: 0.2, b: 0.3})
    stable = dr.find_fixed_points(henon, seed=0).stable_points[0]
    branch = dr.continuation(henon, "a", stable.x, bounds=(0.0, 1.0))
    table = branch.to_records(structured=True)
    np.testing.assert_array_equal(table["param"], branch.params)
    np.testing.assert_array_equal(table["states[1]"], branch.states[:, 1])
    np.testing.assert_array_equal(table["n_unstable"], branch.n_unstable)
    flip = branch.bifurcations[0]
    curve = dr.continue_bifurcation(henon.with_params({"a": flip.param}), flip, "b", (0.0, 0.3))
    records = curve.to_records()
    assert len(records) == curve.params.shape[0]
    # every row lies on the flip curve a = 3(1 − b)²/4
    for record in records:
        assert record["params[0]"] == pytest.approx(0.75 * (1 - record["params[1]"]) ** 2,
                                                    abs=1e-8)


def test_training_and_events_tables():
    net, batch, x0 = fig6_problem(5.0, -2.6124)
    run = dr.train(net, batch, x0=x0, steps=6, lr=0.01, history="full", progress=False)
    table = run.to_records(structured=True)
    np.testing.assert_array_equal(table["step"], np.arange(run.history.loss.shape[0]))
    np.testing.assert_array_equal(table["grad_norm"], run.history.grad_norm)
    events = dr.find_gradient_events(run, progress=False)
    records = events.to_records()
    assert [r["step"] for r in records] == [e.step for e in events.events]
    assert [r["cause"] for r in records] == [e.cause.name for e in events.events]
    assert [r["n_crossings"] for r in records] == [len(e.crossings) for e in events.events]


def test_sweep_table():
    from dynrnn.sweep_examples import one_unit_attractor_count
    result = dr.sweep(one_unit_attractor_count, {"w": [1.0, 5.0], "b": [-2.5, 0.0, 1.0]},
                      fixed={"activation": "sigmoid"}, executor="serial", progress=False)
    records = result.to_records()
    assert len(records) == 6
    for record in records:   # C order: b varies fastest
        i, j = [1.0, 5.0].index(record["w"]), [-2.5, 0.0, 1.0].index(record["b"])
        assert record["n_attractors"] == result["n_attractors"][i, j]
        assert record["status"] == "done"
    assert [r["b"] for r in records[:3]] == [-2.5, 0.0, 1.0]


def test_html_is_compact_and_escaped(one_unit):
    diagram = dr.bifurcation_diagram(one_unit.with_params({"b[0]": -5.0}), "b[0]", (-5.0, 0.0))
    branch = max(diagram.branches, key=lambda br: len(br.params))
    assert len(branch.params) > 10
    text = branch._repr_html_()
    assert text.count("<tr>") == 1 + 10 + 1          # header, ten rows, the ellipsis row
    assert f"{len(branch.params)} row(s)" in text
    assert "<" not in text.split("<code>")[1].split("</code>")[0]   # the summary is escaped


def test_to_dataframe(one_unit, monkeypatch):
    result = dr.find_fixed_points(one_unit, seed=0)
    if importlib.util.find_spec("pandas") is not None:
        frame = result.to_dataframe()
        assert list(frame.columns) == list(result.to_records()[0])
        np.testing.assert_array_equal(frame["x[0]"].to_numpy(), [p.x[0] for p in result.points])
    monkeypatch.setitem(sys.modules, "pandas", None)   # as if pandas were not installed
    with pytest.raises(MissingDependencyError, match="pandas"):
        result.to_dataframe()


def test_orbit_diagram_lyapunov_and_bifurcation_diagram_tables():
    """The three remaining result classes: rows equal their own fields, and the HTML shows them."""
    net = dr.RNN([[5.0]], b=[-2.5], activation="sigmoid")
    values = np.linspace(-3.0, -2.0, 5)
    orbit = dr.orbit_diagram(net, "b[0]", values, n_transient=50, n_keep=10)
    rows = orbit.to_records()
    np.testing.assert_array_equal([r["param"] for r in rows], values)
    assert all(not any(v for k, v in r.items() if k.startswith("diverged")) for r in rows)
    assert "<table" in orbit._repr_html_()

    lyap = dr.lyapunov_spectrum(net, [0.1], 500)
    rows = lyap.to_records()
    np.testing.assert_array_equal([r["step"] for r in rows], lyap.history_steps)
    np.testing.assert_allclose([r["exponents[0]"] for r in rows], lyap.history[:, 0])
    # the last record is the result's exponent: log |w σ'(x*)| at the stable point it reached
    assert rows[-1]["exponents[0]"] == pytest.approx(float(lyap.exponents[0]))

    diagram = dr.bifurcation_diagram(net, "b[0]", (-5.0, 0.0))
    rows = diagram.to_records()
    folds = sorted(r["param"] for r in rows if r["kind"] == "LP")
    # closed form: w σ'(x) = 1 at σ = (1 ∓ √(1 − 4/w))/2, b = x − w σ(x)
    s = (1 + np.array([-1.0, 1.0]) * np.sqrt(1 - 4 / 5.0)) / 2
    x = np.log(s / (1 - s))
    np.testing.assert_allclose(folds, np.sort(x - 5.0 * s), atol=1e-9)
    assert "<table" in diagram._repr_html_()


def test_html_of_a_large_state_stays_narrow():
    """A 20-unit network's points: the HTML shows x[0..2] and an ellipsis, the records all 20."""
    rng = np.random.default_rng(0)
    net = dr.RNN(rng.normal(scale=1.5 / np.sqrt(20), size=(20, 20)))
    result = dr.find_fixed_points(net, n_starts=16, seed=0)
    assert result.points
    text = result._repr_html_()
    header = text.split("<thead>")[1].split("</thead>")[0]
    assert header.count("<th>") == 3 + 1 + 6          # x[0..2], x[…], the six other columns
    assert "<th>x[2]</th><th>x[…]</th><th>kind</th>" in header
    assert len(result.to_records()[0]) == 20 + 6
