"""Every public result object reads well in a terminal and in a notebook, and becomes a table.

The result classes are found, not listed: every dataclass named in the return annotation of a
public function (``dynrnn.__all__`` and the ``__all__`` of the public subpackages), plus the
dataclasses those results hold as fields. Each gets a real instance from the small valid calls of
the fuzz suite (``tests/test_fuzz_api.py: SPECS``), so a new result type without a table, or
without a call that makes one, fails here. For each instance: a short one-line ``repr``/``str``
(no array dump), a compact ``_repr_html_`` (at most ten data rows), ``to_records()`` of plain
values that round-trips through the structured array, and ``to_dataframe()`` with pandas.
"""
from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import inspect
import math
import typing

import numpy as np
import pytest

import dynrnn as dr
from dynrnn._tables import HTML_ROWS, Tabular
from dynrnn.gradients import crossing_relevance

PUBLIC_MODULES = ["dynrnn", "dynrnn.model", "dynrnn.analysis", "dynrnn.gradients", "dynrnn.io",
                  "dynrnn.sweeps", "dynrnn.sweep_examples", "dynrnn.torch"]
#: dataclasses returned by public functions that are inputs or models, not results
NOT_RESULTS = {"Activation": "an activation function (an input of the models)",
               "Task": "a task generator (an input of training)",
               "Batch": "a batch of task data (an input of training)",
               "Readout": "a readout's weights (a model part)",
               "TorchNetwork": "a model read from PyTorch",
               "SpikeDefinition": "what counts as a spike (a setting of the analysis)"}
#: longest ``repr`` line accepted (characters): at most two lines; ``str`` may take a few more
SUMMARY_WIDTH = 260
REPR_LINES = 2
SUMMARY_LINES = 6


def _dataclasses_in(annotation) -> set[type]:
    found = set()
    for part in (typing.get_args(annotation) or (annotation,)):
        if typing.get_args(part):
            found |= _dataclasses_in(part)
        elif isinstance(part, type) and dataclasses.is_dataclass(part):
            found.add(part)
    return found


def public_result_classes() -> set[type]:
    """Dataclasses returned by public functions, and the dataclass fields of those."""
    classes: set[type] = set()
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                hints = typing.get_type_hints(obj)
                classes |= _dataclasses_in(hints.get("return"))
    classes = {c for c in classes if c.__name__ not in NOT_RESULTS}
    for cls in list(classes):   # results held by results (TrainingResult.history)
        namespace = vars(importlib.import_module(cls.__module__))
        for field in dataclasses.fields(cls):
            try:    # annotations are strings; some name types imported for type checking only
                value_type = eval(field.type, namespace) if isinstance(field.type, str) \
                    else field.type
            except NameError:
                continue
            classes |= {c for c in _dataclasses_in(value_type) if c.__name__ not in NOT_RESULTS}
    return classes


def _results_of(value) -> list:
    if isinstance(value, tuple):
        return [item for v in value for item in _results_of(v)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        held = [getattr(value, f.name) for f in dataclasses.fields(value)]
        return [value] + [v for v in held if dataclasses.is_dataclass(v)
                          and not isinstance(v, type) and isinstance(v, Tabular)]
    return []


@pytest.fixture(scope="module")
def instances() -> dict[type, object]:
    """One real instance of every result class, from the fuzz suite's small valid calls.

    Where a call gives an empty result (no cycle found), another call's non-empty one is kept.
    """
    from dynrnn.gradients import fig6_problem
    from tests.test_fuzz_api import SPECS
    results = []
    for name, (function, baseline) in sorted(SPECS.items()):
        if name not in ("save", "save_model"):
            results += _results_of(function(**baseline))
    net = dr.RNN(np.diag([0.5, 0.5]))
    results.append(crossing_relevance(net, [0.09, 0.0], 1, np.array([1.0, 0.5]),
                                      np.zeros((4, 2)), np.zeros((10, 2)), relevance_radius=0.1))
    results.append(dr.find_fixed_points(dr.RNN([[5.0]], b=[-2.5], activation="sigmoid"),
                                        seed=0).points[0])
    fig6_net, batch, x0 = fig6_problem(5.0, -2.6124)     # a run with one gradient spike
    run = dr.train(fig6_net, batch, x0=x0, steps=4, lr=0.01, history="full", progress=False)
    results.append(dr.find_gradient_events(run, progress=False))
    found: dict[type, object] = {}
    for result in results:
        kept = found.get(type(result))
        if kept is None or (isinstance(kept, Tabular) and not kept.to_records()):
            found[type(result)] = result
    return found


def test_every_result_class_is_covered(instances):
    """The enumeration finds the known results, and each has an instance to check."""
    classes = public_result_classes()
    names = {c.__name__ for c in classes}
    assert {"FixedPointResult", "Branch", "BifurcationCurve", "BifurcationDiagram",
            "LyapunovResult", "BasinsResult", "GlobalContinuationResult", "TrainingResult",
            "TrainingHistory", "GradientEvents", "Recording", "SweepResult", "NormalForm",
            "CurveCriticality", "BPTTResult", "ShootingBranch", "PiecewiseBranch",
            "OrbitDiagram", "ErrorSurface"} <= names
    missing = sorted(c.__name__ for c in classes if c not in instances)
    assert not missing, f"no instance built for result classes {missing}"


def _cases():
    return sorted(public_result_classes(), key=lambda c: c.__name__)


def _equal(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


@pytest.mark.parametrize("cls", _cases(), ids=lambda c: c.__name__)
def test_result_contract(cls, instances):
    result = instances[cls]
    assert isinstance(result, Tabular), f"{cls.__name__} has no table (inherit Tabular)"
    text = repr(result)
    lines = text.splitlines()
    assert len(lines) <= REPR_LINES and max(map(len, lines)) <= SUMMARY_WIDTH, text
    summary = str(result)
    assert len(summary.splitlines()) <= SUMMARY_LINES and len(summary) <= 4 * SUMMARY_WIDTH
    for shown in (text, summary):
        assert "array(" not in shown, f"{cls.__name__} prints an array dump: {shown}"
    records = result.to_records()
    assert isinstance(records, list) and records, f"{cls.__name__}: an empty table"
    plain = (int, float, complex, bool, str, type(None))
    for record in records:
        assert isinstance(record, dict) and list(record) == list(records[0])
        assert all(isinstance(v, plain) for v in record.values()), record
    table = result.to_records(structured=True)
    assert table.shape == (len(records),) and list(table.dtype.names) == list(records[0])
    for record, row in zip(records, table.tolist()):     # the numbers survive the round trip
        assert all(_equal(v, w) for v, w in zip(record.values(), row)), (record, row)
    html = result._repr_html_()
    assert html.count("<tr>") <= HTML_ROWS + 2          # header, ten rows, one ellipsis row
    assert f"{len(records)} row(s)" in html
    if importlib.util.find_spec("pandas") is not None:
        frame = result.to_dataframe()
        assert frame.shape == (len(records), len(records[0]))
        assert list(frame.columns) == list(records[0])


def test_new_tables_hold_the_results_numbers(instances):
    """Columns of the tables added for the remaining results read the right fields."""
    bptt = instances[dr.BPTTResult]
    rows = {r["parameter"]: r["gradient"] for r in bptt.to_records()}
    np.testing.assert_array_equal([rows[f"b[{i}]"] for i in range(2)], bptt.grads["b"])
    assert rows["W_rec[1,0]"] == bptt.grads["W_rec"][1, 0]
    surface = instances[dr.ErrorSurface]
    for row in surface.to_records():    # each row is the grid point it names
        i = list(surface.w_values).index(row["w"])
        j = list(surface.b_values).index(row["b"])
        assert row["loss"] == surface.loss[i, j] and row["grad_b"] == surface.grad_b[i, j]
    products = instances[dr.JacobianProducts]
    assert products.pairs == "last"       # one row per k: log‖∂x_T/∂x_k‖
    rows = products.to_records()
    assert [r["k"] for r in rows] == list(range(len(products.log_norms)))
    for row in rows:
        assert row["distance"] == row["t"] - row["k"] and row["log_norm"] == products.log_norms[row["k"]]
    every_pair = dr.jacobian_products(dr.RNN([[0.5]]), [0.1], np.zeros((3, 0)), pairs="all")
    rows = every_pair.to_records()
    assert len(rows) == 4 * 5 // 2        # the pairs k ≤ t of t = 0 … 3
    for row in rows:
        assert row["log_norm"] == every_pair.log_norms[row["t"], row["k"]]
    clip = instances[dr.ClipResult]
    [row] = clip.to_records()
    assert row["norm"] == pytest.approx(np.linalg.norm(clip.grads["W_rec"]))
    assert row["norm"] == pytest.approx(clip.norm * clip.scale)
    omega = instances[dr.OmegaResult]
    rows = omega.to_records()
    assert len(rows) == omega.ratios.size
    np.testing.assert_array_equal([r["ratio"] for r in rows], omega.ratios.ravel())
    recording = instances[dr.Recording]
    np.testing.assert_array_equal([r["loss"] for r in recording.to_records()], recording.loss)
    shooting = instances[dr.ShootingBranch]
    np.testing.assert_array_equal([r["x0[0]"] for r in shooting.to_records()],
                                  shooting.cycles[:, 0, 0])
    normal_form = instances[dr.NormalForm]
    [row] = normal_form.to_records()
    assert row["coefficient"] == normal_form.coefficient and row["kind"] == "PD"
    regime = instances[dr.GradientRegime]
    [row] = regime.to_records()
    assert row["largest_singular_value"] == pytest.approx(
        np.linalg.norm(dr.RNN([[0.5, -0.3], [0.2, 0.4]]).W_rec, 2))


def test_items_print_short():
    """Items inside results (an event, a basin change) print without dumping their arrays."""
    from dynrnn.gradients import fig6_problem
    net, batch, x0 = fig6_problem(5.0, -2.6124)
    run = dr.train(net, batch, x0=x0, steps=4, lr=0.01, history="full", progress=False)
    event = dr.find_gradient_events(run, progress=False).events[0]
    for item in (event, *event.basin_changes, *event.crossings, *event.irrelevant_crossings):
        assert "\n" not in repr(item) and len(repr(item)) <= SUMMARY_WIDTH, repr(item)


def test_notebook_page_lists_every_result():
    """docs/notebooks.rst names the table of every result class."""
    from pathlib import Path
    page = (Path(__file__).resolve().parent.parent / "docs" / "notebooks.rst").read_text()
    missing = [c.__name__ for c in public_result_classes() if f".{c.__name__}`" not in page]
    assert not missing, f"docs/notebooks.rst does not list {missing}"
