"""The continuation engine through its public problem interface: a problem written in the test
(no dynrnn map), the one status and direction vocabulary, option names, size limits."""
import math
import warnings

import numpy as np
import pytest

import dynrnn as dr
from dynrnn.analysis.continuation.engine import (ContinuationStatus, CorrectorSettings, Point,
                                                 StepControl, as_direction, bordered_tangent,
                                                 correct, march, null_tangent, run_directions)
from tests import problems as P


class Circle:
    """H(x, y) = x² + y² − r² (N = 2), y bounded: a problem defined only by the interface."""

    n_unknowns = 2
    parameter_indices = (1,)

    def __init__(self, radius=1.0):
        self.radius = radius
        self.n_described = 0

    class Evaluation:
        context = None

        def __init__(self, residual, jacobian):
            self.residual, self.jacobian = residual, jacobian

    def evaluate(self, z, context=None):
        return self.Evaluation(np.array([z @ z - self.radius**2]), 2 * z[None, :])

    def describe(self, point):
        self.n_described += 1
        return float(np.arctan2(point.z[1], point.z[0]))


CONTROL = StepControl(ds=0.05, ds_min=1e-8, ds_max=0.1, max_points=1000, grow=1.5, shrink=0.5,
                      fast_newton_iter=3, max_turn_angle=0.6, max_correction=1.0,
                      corrector=CorrectorSettings(1e-12, 10, relative=True))


def _start(problem, z):
    ev = problem.evaluate(z)
    t = null_tangent(ev.jacobian)
    t, sign = bordered_tangent(ev.jacobian, t)
    return Point(z, t, sign, ev, 0)


def test_a_problem_defined_outside_the_library_runs_and_closes():
    circle = Circle(2.0)
    start = _start(circle, np.array([2.0, 0.0]))
    run = march(circle, start, CONTROL, ((1,), (-10.0,), (10.0,)))
    assert run.status is ContinuationStatus.CLOSED_LOOP
    Z = np.array([p.z for p in run.points])
    np.testing.assert_allclose(np.hypot(Z[:, 0], Z[:, 1]), 2.0, atol=1e-11)
    # once round: the polar angle covers (almost) 2π and the arclength ≈ 4π
    assert np.sum(np.linalg.norm(np.diff(Z, axis=0), axis=1)) == pytest.approx(4 * math.pi,
                                                                               rel=0.03)
    assert circle.n_described == len(run.points) - 1          # every accepted point described
    assert run.n_iter >= run.n_steps


def test_landing_exactly_on_the_bounds_in_both_directions():
    circle = Circle(1.0)
    start = _start(circle, np.array([1.0, 0.0]))
    runs = run_directions(circle, start, CONTROL, ((1,), (-0.5,), (0.5,)), "both")
    assert set(runs) == {"forward", "backward"}
    ends = sorted(r.points[-1].z[1] for r in runs.values())
    assert ends == [-0.5, 0.5]                                  # exactly, not approximately
    for r in runs.values():
        assert r.status is ContinuationStatus.REACHED_BOUND
        assert r.points[-1].z[0] == pytest.approx(math.sqrt(0.75), abs=1e-12)


def test_corrector_converges_quadratically_onto_a_hyperplane():
    circle = Circle(1.0)
    row = np.array([0.0, 1.0])
    corr = correct(circle, np.array([1.3, 0.6]), row, CorrectorSettings(1e-14, 20))
    assert corr.ok and corr.z[1] == 0.6 and corr.z[0] == pytest.approx(0.8, abs=1e-14)
    assert corr.n_iter <= 6


def test_march_refuses_nothing_but_reports_a_corrector_failure():
    class Nan(Circle):
        def evaluate(self, z, context=None):
            ev = super().evaluate(z)
            if z[1] > 0.3:
                ev.residual = np.array([np.nan])
            return ev
    problem = Nan(1.0)
    run = march(problem, _start(problem, np.array([1.0, 0.0])), CONTROL,
                ((1,), (-10.0,), (10.0,)))
    assert run.status is ContinuationStatus.NON_FINITE and run.status.is_failure
    assert max(p.z[1] for p in run.points) <= 0.3 and len(run.points) > 3


def test_one_direction_vocabulary():
    for word in ("forward", "backward", "both"):
        assert as_direction(word) == word
    for old, new in ((1, "forward"), (-1, "backward"), ("up", "forward"), ("down", "backward")):
        with pytest.warns(DeprecationWarning, match=new):
            assert as_direction(old) == new
    for bad in (2, "sideways", True, None, [1]):
        with pytest.raises(dr.InvalidInputError, match="'forward'"):
            as_direction(bad)
    with pytest.raises(dr.InvalidInputError):
        as_direction("up", legacy=False)


def test_old_direction_spelling_gives_the_same_branch():
    net = P.one_unit(5.0, 0.0, "sigmoid")
    new = dr.continuation(net, "b[0]", [4.97], (-5.0, 0.0), direction="backward")
    with pytest.warns(DeprecationWarning, match="direction=-1"):
        old = dr.continuation(net, "b[0]", [4.97], (-5.0, 0.0), direction=-1)
    np.testing.assert_array_equal(old.params, new.params)
    assert new.params[-1] == -5.0 and new.end_statuses[1] is ContinuationStatus.REACHED_BOUND


def test_one_status_vocabulary():
    assert dr.CurveStatus is dr.ContinuationStatus
    assert dr.CurveStatus.COMPLETED is ContinuationStatus.REACHED_BOUND
    assert dr.CurveStatus.CLOSED is ContinuationStatus.CLOSED_LOOP
    assert dr.CurveStatus.MAX_STEPS is ContinuationStatus.MAX_POINTS
    assert dr.CurveStatus.STOPPED is ContinuationStatus.STOPPED_BY_CALLBACK
    assert dr.CurveStatus["COMPLETED"] is ContinuationStatus.REACHED_BOUND     # old files load
    assert ContinuationStatus.CORRECTOR_FAILED.is_failure
    assert not ContinuationStatus.REACHED_BOUND.is_failure


def test_same_option_names_and_deprecated_spellings():
    a, b = dr.ContinuationOptions(), dr.BifurcationCurveOptions()
    for name in ("ds", "ds_min", "ds_max", "max_points", "grow", "shrink", "fast_newton_iter",
                 "max_turn_angle", "max_correction", "max_newton_iter", "locate_tol"):
        assert hasattr(a, name) and hasattr(b, name), name
    with pytest.warns(DeprecationWarning, match="max_points"):
        opts = dr.BifurcationCurveOptions(max_steps=199, growth=2.0, min_tangent_cos=0.8)
    assert opts.max_points == 200 and opts.grow == 2.0
    assert opts.max_turn_angle == pytest.approx(math.acos(0.8))
    with pytest.warns(DeprecationWarning, match="growth"):
        assert opts.growth == 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert opts.max_steps == 199 and opts.min_tangent_cos == pytest.approx(0.8)
        with pytest.raises(dr.InvalidInputError, match="max_points"):
            dr.BifurcationCurveOptions(max_steps=5, max_points=7)


def test_absurd_sizes_are_refused_before_any_work():
    """Issue 10 defect 14: period=10**9 used to run (hang) for hours."""
    lm = P.logistic_map(2.8)
    with pytest.raises(dr.InvalidInputError, match=r"1e\+09 map steps") as info:
        dr.continuation(lm, "r", [0.6], (2.8, 3.2), period=10**9)
    assert info.value.argument == "period"
    with pytest.raises(dr.InvalidInputError, match="bytes") as info:
        dr.continuation(lm, "r", [0.6], (2.8, 3.2),
                        options=dr.ContinuationOptions(max_points=10**13))
    assert info.value.argument == "options.max_points"
    net = dr.RNN(np.zeros((500, 500)))
    with pytest.raises(dr.InvalidInputError, match=r"1.25e\+12 floating-point operations"):
        dr.continuation(net, "b[0]", np.zeros(500), (-1.0, 1.0), period=10**4)
    henon = P.henon_map(P.HENON_FOLD(0.3), 0.3)
    record = dr.Bifurcation(dr.BifurcationKind.LP, P.HENON_FOLD(0.3), np.zeros(2), np.ones(2),
                            (0.0, 0.0), param_name="a", period=10**9)
    with pytest.raises(dr.InvalidInputError, match="map steps") as info:
        dr.continue_bifurcation(henon, record, "b", (-0.9, 0.9))
    assert info.value.argument == "bifurcation.period"


def test_summaries_are_a_few_readable_lines():
    net = P.one_unit(5.0, 0.0, "sigmoid")
    branch = dr.continuation(net, "b[0]", [4.97], (-5.0, 0.0), direction="backward")
    text = str(branch)
    assert 3 <= len(text.splitlines()) <= 6 and "array" not in text
    assert "b[0] in [-5, 0]" in text and "LP at b[0] = -2.65561" in text
    assert f"{branch.n_points} points" in text and "REACHED_BOUND" in text
    diagram = dr.bifurcation_diagram(net, "b[0]", (-5.0, 0.0))
    text = str(diagram)
    assert 2 <= len(text.splitlines()) <= 6 and "LP at b[0]" in text and "array" not in text



def test_command_line_uses_the_same_direction_words(tmp_path, capsys):
    import json

    from dynrnn.cli import main
    path = dr.save_model(dr.RNN([[5.0]], b=[0.0], activation="sigmoid"), tmp_path / "m.npz")
    args = ["continue", str(path), "--param", "b[0]", "--bounds", "-5", "0", "--start", "4.97",
            "--json", "--quiet", "--direction"]
    assert main(args + ["backward"]) == 0
    new = json.loads(capsys.readouterr().out)["branches"][0]["params"]
    assert main(args + ["down"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["branches"][0]["params"] == new
    assert "--direction down is deprecated; use --direction backward" in captured.err
    assert new[-1] == -5.0 and new[0] == 0.0
