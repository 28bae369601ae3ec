"""Bad input to everything but the model constructors (those are in tests/model/): analysis,
saving/loading, PyTorch import, sweeps, gradients and the command line.

Each case asserts the dynrnn exception type (a subclass of ValueError or TypeError), its
``argument`` attribute and that the message names the argument. Where a function returns a
result instead of raising (an orbit that overflows, a search that cannot succeed) the result must
say so: ``success`` is False and the status explains why; no case may return a wrong number.
"""
import math
import warnings

import numpy as np
import pytest
import sympy as sp

import dynrnn as dr
from tests.checks import assert_named_error
from dynrnn.analysis.stability import PointKind

from . import problems

E2 = np.eye(2)
NET = dr.RNN(0.5 * E2, b=[0.1, 0.2])
NET_IN = dr.RNN(0.5 * E2, W_in=np.ones((2, 1)), b=[0.1, 0.2])
# x' = 5 tanh(x) + b: folds at b = ±3.0285 (tests/problems.one_unit_folds)
ONE = problems.one_unit(5.0, 0.0, "tanh")
LOGISTIC = problems.logistic_map(3.2)
# linear maps with eigenvalue 1: every state is a fixed point (b = 0) or none is (b != 0)
IDENTITY_2 = dr.RNN(E2, activation="identity")
IDENTITY_1 = dr.RNN(np.eye(1), b=[0.0], activation="identity")
# unbounded: x' = 2 relu(x) + 1 doubles every positive state
RELU_GROWING = dr.RNN(2.0 * E2, b=[1.0, 1.0], activation="relu")


def _one_fold():
    branch = dr.continuation(ONE, "b[0]", [4.0], (-5.0, 5.0), p0=0.0, direction="both")
    return [b for b in branch.bifurcations if b.kind == dr.BifurcationKind.LP][0]


x_sym, a_sym = sp.symbols("x a")
SQRT_MAP = dr.Map.from_sympy([sp.sqrt(x_sym - a_sym)], [x_sym], {a_sym: -1.0})

CASES = [
    # (id, call, exception, argument, fragment of the message)
    # -- find_fixed_points / find_cycles: options, starts, boxes, inputs --
    ("ffp n_starts = 0", lambda: dr.find_fixed_points(NET, n_starts=0),
     dr.InvalidInputError, "n_starts", ">= 1"),
    ("ffp n_starts float", lambda: dr.find_fixed_points(NET, n_starts=2.5),
     dr.InvalidTypeError, "n_starts", "integer"),
    ("ffp starts NaN", lambda: dr.find_fixed_points(NET, starts=[[np.nan, 0.0]]),
     dr.NonFiniteError, "starts", "NaN"),
    ("ffp starts inf", lambda: dr.find_fixed_points(NET, starts=[[0.0, -np.inf]]),
     dr.NonFiniteError, "starts", "infinite"),
    ("ffp starts shape", lambda: dr.find_fixed_points(NET, starts=[[0.0, 0.0, 0.0]]),
     dr.ShapeError, "starts", "(n_starts, 2)"),
    ("ffp starts empty", lambda: dr.find_fixed_points(NET, starts=np.zeros((0, 2))),
     dr.ShapeError, "starts", "(0, 2)"),
    ("ffp starts strings", lambda: dr.find_fixed_points(NET, starts="ab"),
     dr.InvalidTypeError, "starts", "numeric"),
    ("ffp starts complex", lambda: dr.find_fixed_points(NET, starts=[[1j, 0.0]]),
     dr.InvalidTypeError, "starts", "real"),
    ("ffp tol negative", lambda: dr.find_fixed_points(NET, tol=-1.0),
     dr.InvalidInputError, "tol", "positive"),
    ("ffp tol NaN", lambda: dr.find_fixed_points(NET, tol=np.nan),
     dr.NonFiniteError, "tol", "NaN"),
    ("ffp max_iter 0", lambda: dr.find_fixed_points(NET, max_iter=0),
     dr.InvalidInputError, "max_iter", ">= 1"),
    ("ffp unknown method", lambda: dr.find_fixed_points(NET, method="bisection"),
     dr.InvalidInputError, "method", "newton"),
    ("ffp u NaN", lambda: dr.find_fixed_points(NET_IN, u=[np.nan]),
     dr.NonFiniteError, "u", "NaN"),
    ("ffp u shape", lambda: dr.find_fixed_points(NET_IN, u=[1.0, 2.0]),
     dr.ShapeError, "u", "(..., 1)"),
    ("ffp box reversed", lambda: dr.find_fixed_points(NET, box=([1.0, 1.0], [-1.0, -1.0])),
     dr.InvalidInputError, "box", "exceed"),
    ("ffp box NaN", lambda: dr.find_fixed_points(NET, box=([np.nan, 0.0], [1.0, 1.0])),
     dr.NonFiniteError, "box", "NaN"),
    ("ffp box shape", lambda: dr.find_fixed_points(NET, box=([0, 0, 0], [1, 1, 1])),
     dr.ShapeError, "box", "(2,)"),
    ("ffp seed", lambda: dr.find_fixed_points(NET, seed="abc"),
     dr.InvalidTypeError, "seed", "Generator"),
    ("ffp dedupe_tol negative", lambda: dr.find_fixed_points(NET, dedupe_tol=-1.0),
     dr.InvalidInputError, "dedupe_tol", "positive"),
    ("ffp n_grid 0", lambda: dr.find_fixed_points(ONE, n_grid=0),
     dr.InvalidInputError, "n_grid", ">= 2"),
    ("ffp derivative_bounds negative",
     lambda: dr.find_fixed_points(ONE, derivative_bounds=(1.0, -1.0)),
     dr.ShapeError, "derivative_bounds", "non-negative"),
    ("ffp not a map", lambda: dr.find_fixed_points(np.eye(2)),
     dr.InvalidTypeError, "system", "RecurrentMap"),
    ("cycles period 0", lambda: dr.find_cycles(NET, 0),
     dr.InvalidInputError, "period", ">= 1"),
    ("cycles period negative", lambda: dr.find_cycles(NET, -2),
     dr.InvalidInputError, "period", ">= 1"),
    ("cycles period float", lambda: dr.find_cycles(NET, 1.5),
     dr.InvalidTypeError, "period", "integer"),
    ("cycles starts inf", lambda: dr.find_cycles(NET, 2, starts=[[np.inf, 0.0]]),
     dr.NonFiniteError, "starts", "infinite"),
    ("classify NaN", lambda: dr.classify([np.nan, 0.5]),
     dr.NonFiniteError, "eigenvalues", "NaN"),
    ("classify empty", lambda: dr.classify([]),
     dr.ShapeError, "eigenvalues", "at least one"),
    ("classify strings", lambda: dr.classify(["a"]),
     dr.InvalidTypeError, "eigenvalues", "numbers"),
    # -- Lyapunov spectra --
    ("lyapunov n_steps negative", lambda: dr.lyapunov_spectrum(NET, [0.0, 0.0], -1),
     dr.InvalidInputError, "n_steps", ">= 1"),
    ("lyapunov n_steps 0", lambda: dr.lyapunov_spectrum(NET, [0.0, 0.0], 0),
     dr.InvalidInputError, "n_steps", ">= 1"),
    ("lyapunov n_steps float", lambda: dr.lyapunov_spectrum(NET, [0.0, 0.0], 10.5),
     dr.InvalidTypeError, "n_steps", "integer"),
    ("lyapunov n_transient negative",
     lambda: dr.lyapunov_spectrum(NET, [0.0, 0.0], 10, n_transient=-1),
     dr.InvalidInputError, "n_transient", ">= 0"),
    ("lyapunov x0 NaN", lambda: dr.lyapunov_spectrum(NET, [np.nan, 0.0], 10),
     dr.NonFiniteError, "x0", "NaN"),
    ("lyapunov x0 shape", lambda: dr.lyapunov_spectrum(NET, [0.0, 0.0, 0.0], 10),
     dr.ShapeError, "x0", "(..., 2)"),
    ("lyapunov x0 empty", lambda: dr.lyapunov_spectrum(NET, np.zeros((0, 2)), 10),
     dr.ShapeError, "x0", "at least one"),
    ("lyapunov x0 complex", lambda: dr.lyapunov_spectrum(NET, [1j, 0.0], 10),
     dr.InvalidTypeError, "x0", "real"),
    ("lyapunov u NaN", lambda: dr.lyapunov_spectrum(NET_IN, [0.0, 0.0], 10, u=[np.nan]),
     dr.NonFiniteError, "u", "NaN"),
    ("lyapunov n_exponents 0", lambda: dr.lyapunov_spectrum(NET, [0.0, 0.0], 10, n_exponents=0),
     dr.InvalidInputError, "n_exponents", ">= 1"),
    ("lyapunov n_exponents > n", lambda: dr.lyapunov_spectrum(NET, [0.0, 0.0], 10,
                                                               n_exponents=3),
     dr.InvalidInputError, "n_exponents", "n_states = 2"),
    ("lyapunov record_every 0", lambda: dr.lyapunov_spectrum(NET, [0.0, 0.0], 10,
                                                              record_every=0),
     dr.InvalidInputError, "record_every", ">= 1"),
    ("gradient_regime of a Map", lambda: dr.gradient_regime(LOGISTIC),
     dr.InvalidTypeError, "net", "RNN"),
    # -- running a map --
    ("run of ReLU overflows", lambda: RELU_GROWING.run([1.0, 1.0], n_steps=2000),
     dr.NonFiniteError, "x0", "overflowed"),
    ("iterate n_steps negative", lambda: NET.iterate([0.0, 0.0], -1),
     dr.InvalidInputError, "n_steps", ">= 0"),
    # -- orbit diagrams --
    ("orbit values NaN", lambda: dr.orbit_diagram(NET, "b[0]", [0.0, np.nan]),
     dr.NonFiniteError, "values", "NaN"),
    ("orbit values empty", lambda: dr.orbit_diagram(NET, "b[0]", []),
     dr.ShapeError, "values", "non-empty"),
    ("orbit values 2-d", lambda: dr.orbit_diagram(NET, "b[0]", [[0.0, 1.0]]),
     dr.ShapeError, "values", "1-D"),
    ("orbit values strings", lambda: dr.orbit_diagram(LOGISTIC, "r", ["a"]),
     dr.InvalidTypeError, "values", "numeric"),
    ("orbit unknown param", lambda: dr.orbit_diagram(NET, "c[0]", [0.0, 1.0]),
     dr.UnknownParameterError, "param", "b[0]"),
    ("orbit unknown Map param", lambda: dr.orbit_diagram(LOGISTIC, "q", [3.0]),
     dr.UnknownParameterError, "param", "'q'"),
    ("orbit param not a name", lambda: dr.orbit_diagram(LOGISTIC, 3, [3.0]),
     dr.InvalidTypeError, "param", "str"),
    ("orbit n_keep 0", lambda: dr.orbit_diagram(NET, "b[0]", [0.0], n_keep=0),
     dr.InvalidInputError, "n_keep", ">= 1"),
    ("orbit n_transient negative", lambda: dr.orbit_diagram(NET, "b[0]", [0.0], n_transient=-1),
     dr.InvalidInputError, "n_transient", ">= 0"),
    ("orbit component out of range", lambda: dr.orbit_diagram(NET, "b[0]", [0.0], component=5),
     dr.InvalidInputError, "component", "[0, 2)"),
    ("orbit x0s NaN", lambda: dr.orbit_diagram(NET, "b[0]", [0.0], x0s=[[np.nan, 0.0]]),
     dr.NonFiniteError, "x0s", "NaN"),
    ("orbit x0s shape", lambda: dr.orbit_diagram(LOGISTIC, "r", [3.0], x0s=[[0.1, 0.2]]),
     dr.ShapeError, "x0s", "(..., 1)"),
    ("orbit n_initial 0", lambda: dr.orbit_diagram(NET, "b[0]", [0.0], n_initial=0),
     dr.InvalidInputError, "n_initial", ">= 1"),
    ("orbit divergence_bound negative",
     lambda: dr.orbit_diagram(NET, "b[0]", [0.0], divergence_bound=-1.0),
     dr.InvalidInputError, "divergence_bound", "positive"),
    ("orbit seed", lambda: dr.orbit_diagram(NET, "b[0]", [0.0], seed=[1.5]),
     dr.InvalidTypeError, "seed", "Generator"),
    # -- continuation --
    ("continuation unknown param", lambda: dr.continuation(ONE, "b[9]", [0.0], (-1.0, 1.0)),
     dr.UnknownParameterError, "param", "b[0]"),
    ("continuation 'gain' of a Map", lambda: dr.continuation(LOGISTIC, "gain", [0.5],
                                                              (2.0, 3.5)),
     dr.UnknownParameterError, "param", "'gain'"),
    ("continuation param type", lambda: dr.continuation(LOGISTIC, 3, [0.5], (2.0, 3.5)),
     dr.InvalidTypeError, "param", "ParameterFamily"),
    ("continuation bounds reversed", lambda: dr.continuation(ONE, "b[0]", [0.0], (1.0, -1.0)),
     dr.InvalidInputError, "bounds", "lo < hi"),
    ("continuation bounds equal", lambda: dr.continuation(LOGISTIC, "r", [0.5], (3.2, 3.2)),
     dr.InvalidInputError, "bounds", "lo < hi"),
    ("continuation bounds miss the start",
     lambda: dr.continuation(ONE, "b[0]", [0.0], (1.0, 2.0)),
     dr.InvalidInputError, "bounds", "contain the start"),
    ("continuation bounds NaN", lambda: dr.continuation(ONE, "b[0]", [0.0], (np.nan, 2.0)),
     dr.InvalidInputError, "bounds", "finite"),
    ("continuation bounds inf", lambda: dr.continuation(ONE, "b[0]", [0.0], (-np.inf, 2.0)),
     dr.InvalidInputError, "bounds", "finite"),
    ("continuation bounds of three", lambda: dr.continuation(ONE, "b[0]", [0.0],
                                                              (-1.0, 0.0, 2.0)),
     dr.InvalidInputError, "bounds", "pair"),
    ("continuation bounds strings", lambda: dr.continuation(LOGISTIC, "r", [0.5], ("a", "b")),
     dr.InvalidInputError, "bounds", "numbers"),
    ("continuation start NaN", lambda: dr.continuation(ONE, "b[0]", [np.nan], (-1.0, 1.0)),
     dr.NonFiniteError, "start", "NaN"),
    ("continuation start shape", lambda: dr.continuation(ONE, "b[0]", [0.0, 1.0], (-1.0, 1.0)),
     dr.ShapeError, "start", "(1,)"),
    ("continuation start empty", lambda: dr.continuation(ONE, "b[0]", [], (-1.0, 1.0)),
     dr.ShapeError, "start", "(0,)"),
    ("continuation start strings", lambda: dr.continuation(LOGISTIC, "r", "ab", (2.0, 3.5)),
     dr.InvalidTypeError, "start", "numeric"),
    ("continuation start far from any fixed point",
     lambda: dr.continuation(dr.RNN(E2, b=[1.0, 0.0], activation="identity"), "b[1]",
                             [0.0, 0.0], (-1.0, 1.0)),
     dr.InvalidInputError, "start", "not near a fixed point"),
    ("continuation start at a singular point (eigenvalue 1, parameter inactive)",
     lambda: dr.continuation(IDENTITY_1, "W_rec[0,0]", [0.0], (0.0, 2.0)),
     dr.InvalidInputError, "start", "singular"),
    ("continuation at the pitchfork of x' = w tanh(x) in w (dG/dw = tanh(0) = 0)",
     lambda: dr.continuation(dr.RNN([[1.0]], b=[0.0]), "W_rec[0,0]", [0.0], (0.0, 2.0)),
     dr.InvalidInputError, "start", "rank-deficient"),
    ("continuation p0 NaN", lambda: dr.continuation(ONE, "b[0]", [0.0], (-1.0, 1.0), p0=np.nan),
     dr.NonFiniteError, "p0", "NaN"),
    ("continuation u NaN", lambda: dr.continuation(NET_IN, "b[0]", [0.2, 0.4], (-1.0, 1.0),
                                                   u=[np.nan]),
     dr.NonFiniteError, "u", "NaN"),
    ("continuation period 0", lambda: dr.continuation(ONE, "b[0]", [0.0], (-1.0, 1.0), period=0),
     dr.InvalidInputError, "period", "positive"),
    ("continuation period string", lambda: dr.continuation(ONE, "b[0]", [0.0], (-1.0, 1.0),
                                                           period="2"),
     dr.InvalidTypeError, "period", "integer"),
    ("continuation direction", lambda: dr.continuation(ONE, "b[0]", [0.0], (-1.0, 1.0),
                                                       direction=2),
     dr.InvalidInputError, "direction", "'both'"),
    ("continuation options dict", lambda: dr.continuation(ONE, "b[0]", [0.0], (-1.0, 1.0),
                                                          options={"ds": 0.1}),
     dr.InvalidTypeError, "options", "ContinuationOptions"),
    ("options ds_min > ds_max", lambda: dr.ContinuationOptions(ds_min=1.0, ds_max=0.1),
     dr.InvalidInputError, "ds", "ds_min <= |ds| <= ds_max"),
    ("options ds 0", lambda: dr.ContinuationOptions(ds=0.0),
     dr.InvalidInputError, "ds", "0 < ds_min"),
    ("options ds NaN", lambda: dr.ContinuationOptions(ds=np.nan),
     dr.InvalidInputError, "ds", "finite"),
    ("options max_points 0", lambda: dr.ContinuationOptions(max_points=0),
     dr.InvalidInputError, "max_points", ">= 2"),
    ("options newton_tol negative", lambda: dr.ContinuationOptions(newton_tol=-1.0),
     dr.InvalidInputError, "newton_tol", "positive"),
    ("options max_points float", lambda: dr.ContinuationOptions(max_points=10.5),
     dr.InvalidTypeError, "max_points", "integer"),
    ("switch_branch at a fold", lambda: dr.switch_branch(
        dr.continuation(ONE, "b[0]", [4.0], (-5.0, 5.0), p0=0.0), _one_fold()),
     dr.InvalidInputError, "bifurcation", "PD or BP"),
    ("switch_branch kind as string", lambda: dr.switch_branch(
        dr.continuation(ONE, "b[0]", [4.0], (-5.0, 5.0), p0=0.0), "PD"),
     dr.InvalidTypeError, "bifurcation", "Bifurcation"),
    ("switch_branch without a branch", lambda: dr.switch_branch(None, _one_fold()),
     dr.InvalidTypeError, "branch", "Branch"),
    # -- bifurcation diagrams and two-parameter curves --
    ("diagram bounds reversed", lambda: dr.bifurcation_diagram(ONE, "b[0]", (1.0, -1.0)),
     dr.InvalidInputError, "bounds", "lo < hi"),
    ("diagram bounds NaN", lambda: dr.bifurcation_diagram(ONE, "b[0]", (np.nan, 1.0)),
     dr.InvalidInputError, "bounds", "finite"),
    ("diagram unknown param", lambda: dr.bifurcation_diagram(ONE, "zz", (-1.0, 1.0)),
     dr.UnknownParameterError, "param", "b[0]"),
    ("diagram starts NaN", lambda: dr.bifurcation_diagram(ONE, "b[0]", (-1.0, 1.0),
                                                          starts=[[np.nan]]),
     dr.NonFiniteError, "starts", "NaN"),
    ("diagram max_period_doublings negative",
     lambda: dr.bifurcation_diagram(ONE, "b[0]", (-1.0, 1.0), max_period_doublings=-1),
     dr.InvalidInputError, "max_period_doublings", ">= 0"),
    ("diagram n_starts 0", lambda: dr.bifurcation_diagram(ONE, "b[0]", (-1.0, 1.0), n_starts=0),
     dr.InvalidInputError, "n_starts", ">= 1"),
    ("diagram unknown option", lambda: dr.bifurcation_diagram(ONE, "b[0]", (-1.0, 1.0),
                                                              n_start=5),
     dr.InvalidTypeError, "n_start", "find_fixed_points"),
    ("diagram search options with starts", lambda: dr.bifurcation_diagram(
        ONE, "b[0]", (-1.0, 1.0), starts=[[0.0]], n_starts=5),
     dr.InvalidInputError, "n_starts", "ignored"),
    ("curve unknown param2", lambda: dr.continue_bifurcation(ONE, _one_fold(), "q", (0.0, 10.0)),
     dr.UnknownParameterError, "param2", "W_rec[0,0]"),
    ("curve param2 = param", lambda: dr.continue_bifurcation(ONE, _one_fold(), "b[0]",
                                                             (0.0, 10.0)),
     dr.InvalidInputError, "param2", "differ"),
    ("curve bounds2 reversed", lambda: dr.continue_bifurcation(ONE, _one_fold(), "W_rec[0,0]",
                                                               (10.0, 0.0)),
     dr.InvalidInputError, "bounds2", "low < high"),
    ("curve bounds2 NaN", lambda: dr.continue_bifurcation(ONE, _one_fold(), "W_rec[0,0]",
                                                          (np.nan, 10.0)),
     dr.InvalidInputError, "bounds2", "low < high"),
    ("curve bounds2 miss the start", lambda: dr.continue_bifurcation(
        ONE, _one_fold(), "W_rec[0,0]", (6.0, 10.0)),
     dr.InvalidInputError, "bounds2", "does not contain"),
    ("curve direction", lambda: dr.continue_bifurcation(ONE, _one_fold(), "W_rec[0,0]",
                                                        (0.0, 10.0), direction="up"),
     dr.InvalidInputError, "direction", "'forward'"),
    ("curve options ds_min > ds_max", lambda: dr.BifurcationCurveOptions(ds_min=1.0, ds_max=0.1),
     dr.InvalidInputError, "ds", "ds_min <= |ds| <= ds_max"),
    # -- saving --
    ("save an unsupported object", lambda: dr.save(object(), "unused.npz"),
     dr.InvalidTypeError, "obj", "not supported"),
    ("save_model of a dict", lambda: dr.save_model({"W_rec": 1}, "unused.npz"),
     dr.InvalidTypeError, "net", "cannot save"),
    ("load_model unknown form", lambda: dr.load_model("unused.npz", form="weird"),
     dr.InvalidInputError, "form", "'elman'"),
    ("load_model unknown nonlinearity", lambda: dr.load_model("unused.npz",
                                                              nonlinearity="softsign"),
     dr.UnknownActivationError, "nonlinearity", "'relu'"),
]


@pytest.mark.parametrize("call, exc, argument, fragment", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input_raises_named_dynrnn_error(call, exc, argument, fragment):
    assert_named_error(call, exc, argument, fragment,
                       lists_valid=(dr.UnknownParameterError, dr.UnknownActivationError))


def test_unknown_parameter_error_lists_the_valid_names():
    with pytest.raises(dr.UnknownParameterError) as info:
        dr.continuation(ONE, "b[9]", [0.0], (-1.0, 1.0))
    assert info.value.valid == ONE.param_names
    assert "'b[9]'" in str(info.value)


# ---------------------------------------------------------------------------------------------
# results that cannot succeed: success is False and the status says why
# ---------------------------------------------------------------------------------------------
def test_lyapunov_of_an_overflowing_relu_orbit_is_a_failed_status():
    result = dr.lyapunov_spectrum(RELU_GROWING, [1.0, 1.0], 5000, 10)
    assert not result.success
    assert result.status == dr.LyapunovStatus.DIVERGED
    assert "overflowed" in result.status.value
    assert np.all(np.isfinite(result.exponents))      # averaged over the finite part only


def test_lyapunov_of_a_linear_map_that_overflows_keeps_the_finite_average():
    result = dr.lyapunov_spectrum(dr.RNN(3.0 * E2, activation="identity"), [1.0, 1.0], 5000, 10)
    assert not result.success and result.status == dr.LyapunovStatus.DIVERGED
    # the finite part of the average is log 3 for both exponents, not inf or NaN
    np.testing.assert_allclose(result.exponents, math.log(3.0), rtol=1e-6)


def test_lyapunov_of_a_map_leaving_its_domain_is_a_failed_status():
    result = dr.lyapunov_spectrum(SQRT_MAP, [-5.0], 10, 0)
    assert not result.success and result.status == dr.LyapunovStatus.DIVERGED


def test_run_overflow_keeps_the_finite_part_of_the_trajectory():
    with pytest.raises(dr.NonFiniteError) as info:
        RELU_GROWING.run([1.0, 1.0], n_steps=2000)
    partial = info.value.partial
    assert np.all(np.isfinite(partial)) and partial.shape[0] > 100


def test_orbit_diagram_of_an_unbounded_relu_map_is_a_failed_status():
    diagram = dr.orbit_diagram(RELU_GROWING, "b[0]", [0.0, 1.0], n_transient=2000, n_keep=5)
    assert not diagram.success
    assert diagram.status == dr.OrbitDiagramStatus.ALL_DIVERGED
    assert np.all(diagram.diverged) and np.all(np.isnan(diagram.samples))


def test_orbit_diagram_marks_the_diverged_part_of_a_linear_map():
    lin = dr.RNN(np.eye(1), b=[0.0], activation="identity")
    diagram = dr.orbit_diagram(lin, "W_rec[0,0]", [0.5, 3.0], n_transient=2000, n_keep=5,
                               x0s=[[1.0]])
    assert diagram.status == dr.OrbitDiagramStatus.SOME_DIVERGED
    assert diagram.diverged.reshape(2).tolist() == [False, True]
    # the bounded orbit decays to 0; the diverged one is NaN, never a huge finite number
    assert np.all(np.abs(diagram.samples[0]) < 1e-100)
    assert np.all(np.isnan(diagram.samples[1]))


def test_newton_from_diverging_starts_of_a_relu_map_finds_nothing():
    result = dr.find_fixed_points(RELU_GROWING, method="newton", starts=[[1e300, 1e300]])
    assert not result.success and result.status == dr.SearchStatus.NONE_FOUND
    assert len(result.points) == 0


def test_exhaustive_search_of_a_relu_map_without_fixed_points_is_empty():
    # x = 2 relu(x) + 1 has no solution in either region
    result = dr.find_fixed_points(RELU_GROWING)
    assert len(result.points) == 0


def test_singular_linear_map_is_not_reported_as_isolated_points():
    # x' = x: a continuum of fixed points; the piecewise solver meets a singular system
    result = dr.find_fixed_points(IDENTITY_2)
    assert not result.success and len(result.points) == 0
    assert "singular" in result.note


def test_linear_map_with_eigenvalue_one_from_a_start_is_non_hyperbolic():
    result = dr.find_fixed_points(IDENTITY_2, starts=[[0.3, 0.1]])
    for point in result.points:
        assert point.kind == PointKind.NON_HYPERBOLIC
        assert point.residual == 0.0


def test_shifted_linear_map_has_no_fixed_point_and_says_so():
    shifted = dr.RNN(E2, b=[1.0, 0.0], activation="identity")     # x' = x + (1, 0)
    for method in ("auto", "newton"):
        result = dr.find_fixed_points(shifted, method=method, starts=[[0.0, 0.0]]
                                      if method == "newton" else None)
        assert not result.success and len(result.points) == 0
    assert not dr.find_cycles(IDENTITY_2, 2).success


def test_newton_from_outside_the_domain_of_a_map_is_a_failed_status():
    # only the given start (box starts mixed in would find the root at x = 1.618)
    result = dr.find_fixed_points(SQRT_MAP, starts=[[-5.0]], method="newton", box_fraction=0.0)
    assert not result.success and result.status == dr.SearchStatus.NONE_FOUND


def test_continuation_at_an_exact_fold_turns_around_it():
    fold = _one_fold()
    branch = dr.continuation(ONE, "b[0]", fold.x, (-5.0, 5.0), p0=fold.param)
    assert branch.success
    # the fold state is on the branch and every point is a fixed point
    F = np.array([ONE.with_params({"b[0]": p}).step(x) for p, x in zip(branch.params,
                                                                          branch.states)])
    np.testing.assert_allclose(F, branch.states, atol=1e-9)


# ---------------------------------------------------------------------------------------------
# corrupt and truncated files
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad_files")
    result = dr.find_fixed_points(ONE, seed=0)
    dr.save(result, d / "result.npz")
    dr.save_model(ONE, d / "model.npz")
    for name in ("result", "model"):
        data = (d / f"{name}.npz").read_bytes()
        (d / f"{name}_truncated.npz").write_bytes(data[: len(data) // 2])
    (d / "garbage.npz").write_bytes(b"not a zip file at all")
    (d / "empty.npz").write_bytes(b"")
    np.savez(d / "plain.npz", a=np.ones(3))
    np.savez(d / "nan_model.npz", W_rec=np.array([[np.nan]]), b=np.zeros(1))
    np.savez(d / "shape_model.npz", W_rec=np.ones((2, 3)))
    (d / "bad.toml").write_text("this is = = not toml")
    (d / "bad.pt").write_bytes(b"not a torch file")
    (d / "model.xyz").write_text("x")
    return d


FILE_CASES = [
    ("load truncated result", dr.load, "result_truncated.npz", "corrupt or truncated"),
    ("load garbage", dr.load, "garbage.npz", "corrupt or truncated"),
    ("load empty file", dr.load, "empty.npz", "corrupt or truncated"),
    ("load a plain npz", dr.load, "plain.npz", "not a dynrnn file"),
    ("load_model truncated", dr.load_model, "model_truncated.npz", "corrupt or truncated"),
    ("load_model garbage", dr.load_model, "garbage.npz", "corrupt or truncated"),
    ("load_model a plain npz", dr.load_model, "plain.npz", "W_rec"),
    ("load_model NaN weights", dr.load_model, "nan_model.npz", "NaN"),
    ("load_model non-square W_rec", dr.load_model, "shape_model.npz", "square"),
    ("load_model invalid TOML", dr.load_model, "bad.toml", "not valid TOML"),
    ("load_model corrupt .pt", dr.load_model, "bad.pt", "state dict"),
    ("load_model unknown suffix", dr.load_model, "model.xyz", "'.xyz'"),
]


@pytest.mark.parametrize("function, name, fragment", [c[1:] for c in FILE_CASES],
                         ids=[c[0] for c in FILE_CASES])
def test_corrupt_files_raise_file_format_error(files, function, name, fragment):
    if name.endswith(".pt"):
        pytest.importorskip("torch")
    with pytest.raises(dr.FileFormatError) as info:
        function(files / name)
    assert isinstance(info.value, ValueError)
    assert info.value.argument == "path"
    assert fragment in str(info.value)
    assert name in str(info.value)        # the message names the file


def test_missing_files_raise_file_not_found(files):
    for function in (dr.load, dr.load_model):
        with pytest.raises(FileNotFoundError, match="nonexistent"):
            function(files / "nonexistent.npz")


def test_save_into_a_missing_directory_names_the_path(files):
    with pytest.raises(dr.InvalidInputError, match="does not exist") as info:
        dr.save({"a": np.ones(2)}, files / "no_such_dir" / "x.npz")
    assert info.value.argument == "path"


def test_unsupported_metadata_is_named(files):
    with pytest.raises(dr.InvalidTypeError, match=r"metadata\['a'\]"):
        dr.save({"a": np.ones(2)}, files / "m.npz", metadata={"a": object()})


# ---------------------------------------------------------------------------------------------
# PyTorch modules of an unsupported kind
# ---------------------------------------------------------------------------------------------
def _torch_cases():
    torch = pytest.importorskip("torch")
    from dynrnn.model.torch_network import from_torch, from_torch_state_dict
    nan = float("nan")
    return [
        (lambda: dr.RNN.from_torch(torch.nn.LSTM(2, 3)), dr.InvalidTypeError, "module", "LSTM"),
        (lambda: dr.RNN.from_torch(torch.nn.GRU(2, 3)), dr.InvalidTypeError, "module", "GRU"),
        (lambda: from_torch(torch.nn.Linear(2, 3)), dr.InvalidTypeError, "module", "Linear"),
        (lambda: dr.RNN.from_torch(torch.nn.RNN(2, 3, num_layers=2)), dr.InvalidTypeError,
         "module", "num_layers=2"),
        (lambda: from_torch(torch.nn.GRU(2, 3, bidirectional=True)), dr.InvalidTypeError,
         "module", "bidirectional"),
        (lambda: from_torch(torch.nn.RNN(2, 3).state_dict()), dr.InvalidInputError,
         "nonlinearity", "does not record"),
        (lambda: from_torch(torch.nn.GRU(2, 3), kind="LSTM"), dr.InvalidInputError, "kind",
         "GRU"),
        (lambda: from_torch(np.eye(2)), dr.InvalidTypeError, "module", "ndarray"),
        (lambda: from_torch(torch.nn.RNN(2, 3), form="lstm"), dr.InvalidInputError, "form",
         "'elman'"),
        (lambda: from_torch_state_dict({"weight_hh_l0": torch.eye(2)}, "tanh"),
         dr.InvalidInputError, "state_dict", "weight_ih_l0"),
        (lambda: from_torch_state_dict({"weight_hh_l0": torch.full((2, 2), nan),
                                        "weight_ih_l0": torch.zeros(2, 1)}, "tanh"),
         dr.NonFiniteError, "state_dict", "NaN"),
    ]


def test_unsupported_torch_modules_raise_named_errors():
    for call, exc, argument, fragment in _torch_cases():
        with pytest.raises(exc) as info:
            call()
        assert info.value.argument == argument, str(info.value)
        assert fragment in str(info.value)


def test_bidirectional_state_dict_file_is_rejected(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save(torch.nn.LSTM(2, 3, bidirectional=True).state_dict(), tmp_path / "lstm.pt")
    with pytest.raises(dr.FileFormatError, match=r"lstm\.pt.*bidirectional") as info:
        dr.load_model(tmp_path / "lstm.pt")
    assert info.value.argument == "path"


# ---------------------------------------------------------------------------------------------
# sweeps
# ---------------------------------------------------------------------------------------------
def test_sweep_bad_grids_and_functions(tmp_path):
    from .sweep_functions import polynomial
    cases = [
        (lambda: dr.sweep(polynomial, {}), dr.InvalidInputError, "grid", "at least one axis"),
        (lambda: dr.sweep(polynomial, {"a": []}), dr.InvalidInputError, "grid", "non-empty"),
        (lambda: dr.sweep(3, {"a": [1]}), dr.InvalidTypeError, "function", "callable"),
        (lambda: dr.sweep_from_config(tmp_path / "nope.toml"), dr.InvalidInputError,
         "config_path", "cannot read"),
    ]
    kw = {"executor": "serial", "progress": False}
    cases += [
        (lambda: dr.sweep(polynomial, {"x": [1.0, np.nan]}, **kw), dr.InvalidInputError, "grid",
         "NaN"),
        (lambda: dr.sweep(polynomial, {"x": [[1.0, 2.0]]}, **kw), dr.InvalidInputError, "grid",
         "1-D"),
        (lambda: dr.sweep(polynomial, [1, 2], **kw), dr.InvalidTypeError, "grid", "mapping"),
        (lambda: dr.sweep(polynomial, {"x": [1.0]}, fixed={"x": 2.0}, **kw),
         dr.InvalidInputError, "fixed", "both a grid axis"),
        (lambda: dr.sweep(polynomial, {"x": [1.0]}, max_workers=0, progress=False),
         dr.InvalidInputError, "max_workers", "positive"),
        (lambda: dr.sweep(polynomial, {"x": [1.0]}, retries=-1, **kw), dr.InvalidInputError,
         "retries", ">= 0"),
        (lambda: dr.sweep(polynomial, {"x": [1.0]}, executor="threads", progress=False),
         dr.InvalidInputError, "executor", "'serial'"),
    ]
    (tmp_path / "bad.toml").write_text("this is = = not toml")
    cases.append((lambda: dr.sweep_from_config(tmp_path / "bad.toml"), dr.InvalidInputError,
                  "config_path", "not valid TOML"))
    for call, exc, argument, fragment in cases:
        with pytest.raises(exc) as info:
            call()
        assert info.value.argument == argument
        assert fragment in str(info.value)


def test_sweep_with_an_argument_the_function_lacks_fails_every_point():
    from .sweep_functions import polynomial
    result = dr.sweep(polynomial, {"zz": [1.0, 2.0]}, executor="serial", progress=False)
    assert not result.success
    assert result.status == dr.SweepStatus.FAILED_POINTS
    assert all("zz" in str(message) for message in np.ravel(result.point_message))


# ---------------------------------------------------------------------------------------------
# the command line: exit code 2, one line naming the problem, no traceback unless --debug
# ---------------------------------------------------------------------------------------------
def _cli(argv, capsys):
    from dynrnn.cli import main
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.err


def _has_subcommand(name: str) -> bool:
    from dynrnn.cli import build_parser
    parser = build_parser()
    sub = [a for a in parser._actions if a.dest == "command"]
    return bool(sub) and name in sub[0].choices


def test_cli_missing_model_file(tmp_path, capsys):
    code, err = _cli(["fixed-points", str(tmp_path / "missing.npz")], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "missing.npz" in lines[0]
    assert "Traceback" not in err


def test_cli_corrupt_model_file(tmp_path, capsys):
    (tmp_path / "corrupt.npz").write_bytes(b"garbage")
    code, err = _cli(["fixed-points", str(tmp_path / "corrupt.npz")], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "corrupt.npz" in lines[0] and "corrupt" in lines[0]
    assert "Traceback" not in err


def test_cli_debug_shows_the_traceback(tmp_path, capsys):
    (tmp_path / "corrupt.npz").write_bytes(b"garbage")
    code, err = _cli(["fixed-points", str(tmp_path / "corrupt.npz"), "--debug"], capsys)
    assert code == 2
    assert "Traceback" in err and "FileFormatError" in err


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "one.npz"
    dr.save_model(ONE, path)
    return path


@pytest.mark.parametrize("command", ["continue", "diagram"])
def test_cli_unknown_parameter_name(model_file, capsys, command):
    if not _has_subcommand(command):
        pytest.skip(f"the CLI has no {command!r} subcommand yet")
    code, err = _cli([command, str(model_file), "--param", "gamma", "--bounds", "-1", "1"],
                     capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "'gamma'" in lines[0]
    assert "Traceback" not in err


def test_cli_cycles_period_zero(model_file, capsys):
    if not _has_subcommand("cycles"):
        pytest.skip("the CLI has no 'cycles' subcommand yet")
    code, err = _cli(["cycles", str(model_file), "--period", "0"], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "period" in err
    assert "Traceback" not in err


def test_cli_continue_reversed_bounds(model_file, capsys):
    if not _has_subcommand("continue"):
        pytest.skip("the CLI has no 'continue' subcommand yet")
    code, err = _cli(["continue", str(model_file), "--param", "b[0]", "--bounds", "1", "-1"],
                     capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "bounds" in err
    assert "Traceback" not in err


# ---------------------------------------------------------------------------------------------
# gradients: BPTT, clipping, Ω, tasks, training, error surfaces, gradient events
# ---------------------------------------------------------------------------------------------
def _gradients():
    import dynrnn.gradients as gradients
    if not hasattr(gradients, "bptt"):
        pytest.skip("dynrnn.gradients is not merged yet")
    return gradients


NET_G = dr.RNN(0.5 * E2, W_in=np.ones((2, 1)), b=[0.1, 0.2])
X0_G, U_G, Z_G = np.zeros((3, 2)), np.zeros((5, 3, 1)), np.zeros((5, 3, 2))
READOUT_G = (np.ones((1, 2)), np.zeros(1))
NET_G2 = dr.RNN(0.5 * E2, W_in=np.ones((2, 2)), b=[0.1, 0.2])    # two inputs (addition task)


def _gradient_cases(G):
    nan = np.nan
    return [
        # (id, call, exception, argument, fragment)
        ("bptt inputs NaN", lambda: G.bptt(NET_G, X0_G, np.full(U_G.shape, nan), Z_G),
         dr.NonFiniteError, "inputs", "NaN"),
        ("bptt targets NaN", lambda: G.bptt(NET_G, X0_G, U_G, np.full(Z_G.shape, nan)),
         dr.NonFiniteError, "targets", "NaN"),
        ("bptt targets inf", lambda: G.bptt(NET_G, X0_G, U_G, np.full(Z_G.shape, np.inf)),
         dr.NonFiniteError, "targets", "inf"),
        ("bptt x0 NaN", lambda: G.bptt(NET_G, np.full((3, 2), nan), U_G, Z_G),
         dr.NonFiniteError, "x0", "NaN"),
        ("bptt targets shape", lambda: G.bptt(NET_G, X0_G, U_G, np.zeros((5, 3, 3))),
         dr.ShapeError, "targets", "(5, 3, 2)"),
        ("bptt inputs shape", lambda: G.bptt(NET_G, X0_G, np.zeros((5, 3, 2)), Z_G),
         dr.ShapeError, "inputs", "(T, 3, 1)"),
        ("bptt no steps", lambda: G.bptt(NET_G, X0_G, np.zeros((0, 3, 1)), np.zeros((0, 3, 2))),
         dr.ShapeError, "inputs", "at least one step"),
        ("bptt negative n_steps", lambda: G.bptt(NET, [0.0, 0.0], None, [0.0, 0.0],
                                                 where="last", n_steps=-1),
         dr.InvalidInputError, "n_steps", ">= 1"),
        ("bptt unknown loss", lambda: G.bptt(NET_G, X0_G, U_G, Z_G, loss="hinge"),
         dr.UnknownParameterError, "loss", "mse"),
        ("bptt where", lambda: G.bptt(NET_G, X0_G, U_G, Z_G, where="first"),
         dr.InvalidInputError, "where", "'last'"),
        ("bptt mask NaN", lambda: G.bptt(NET_G, X0_G, U_G, Z_G, mask=np.full((5, 3), nan)),
         dr.NonFiniteError, "mask", "NaN"),
        ("bptt mask negative", lambda: G.bptt(NET_G, X0_G, U_G, Z_G, mask=-np.ones((5, 3))),
         dr.InvalidInputError, "mask", "non-negative"),
        ("bptt of a Map", lambda: G.bptt(LOGISTIC, [0.5], None, [0.5], where="last",
                                         n_steps=2),
         dr.InvalidTypeError, "net", "RNN"),
        ("bptt readout NaN", lambda: G.bptt(NET_G, X0_G, U_G, Z_G,
                                            readout=(np.full((2, 2), nan), np.zeros(2))),
         dr.NonFiniteError, "readout", "NaN"),
        ("clip threshold negative", lambda: G.clip_gradients({"W": np.ones(2)}, -1.0),
         dr.InvalidInputError, "threshold", "> 0"),
        ("clip threshold NaN", lambda: G.clip_gradients({"W": np.ones(2)}, nan),
         dr.InvalidInputError, "threshold", "finite"),
        ("clip NaN gradient", lambda: G.clip_gradients({"W": np.array([nan, 1.0])}, 1.0),
         dr.NonFiniteError, "grads", "nan"),
        ("clip gradient strings", lambda: G.clip_gradients({"W": "a"}, 1.0),
         dr.InvalidTypeError, "grads", "numeric"),
        ("clip nonfinite mode", lambda: G.clip_gradients({"W": np.ones(2)}, 1.0,
                                                         nonfinite="ignore"),
         dr.InvalidInputError, "nonfinite", "'shrink'"),
        ("omega variant", lambda: G.omega(NET_G, G.bptt(NET_G, X0_G, U_G, Z_G),
                                          variant="cubic"),
         dr.InvalidInputError, "variant", "ratio"),
        ("omega without a BPTT result", lambda: G.omega(NET_G, None),
         dr.InvalidTypeError, "result", "BPTTResult"),
        ("unknown task", lambda: G.get_task("sorting"),
         dr.UnknownParameterError, "task", "addition"),
        ("unknown initialisation", lambda: G.initialise("xavier9", 3, 1, 1),
         dr.UnknownParameterError, "scheme", "basic_tanh"),
        ("train negative steps", lambda: G.train(NET_G2, "addition", steps=-1,
                                                 readout=READOUT_G, progress=False),
         dr.InvalidInputError, "steps", ">= 0"),
        ("train lr NaN", lambda: G.train(NET_G2, "addition", steps=2, lr=nan,
                                         readout=READOUT_G, progress=False),
         dr.InvalidInputError, "lr", "finite"),
        ("train batch_size 0", lambda: G.train(NET_G2, "addition", steps=2, batch_size=0,
                                               readout=READOUT_G, progress=False),
         dr.InvalidInputError, "batch_size", ">= 1"),
        ("train clip negative", lambda: G.train(NET_G2, "addition", steps=2, clip=-1.0,
                                                readout=READOUT_G, progress=False),
         dr.InvalidInputError, "clip", "> 0"),
        ("train momentum >= 1", lambda: G.train(NET_G2, "addition", steps=2, momentum=1.5,
                                                readout=READOUT_G, progress=False),
         dr.InvalidInputError, "momentum", "[0, 1)"),
        ("train negative regulariser weight",
         lambda: G.train(NET_G2, "addition", steps=2, regularizer=(-1.0, "ratio"),
                         readout=READOUT_G, progress=False),
         dr.InvalidInputError, "regularizer", ">= 0"),
        ("train x0 NaN", lambda: G.train(NET_G2, "addition", steps=2, x0=[nan, 0.0],
                                         readout=READOUT_G, progress=False),
         dr.NonFiniteError, "x0", "NaN"),
        ("train unknown task", lambda: G.train(NET_G2, "sorting", steps=2, readout=READOUT_G,
                                               progress=False),
         dr.UnknownParameterError, "task", "addition"),
        ("train on_nonfinite", lambda: G.train(NET_G2, "addition", steps=2,
                                               on_nonfinite="ignore", readout=READOUT_G,
                                               progress=False),
         dr.InvalidInputError, "on_nonfinite", "'skip'"),
        ("error surface NaN grid", lambda: G.error_surface([0.0, nan], [0.0, 1.0]),
         dr.NonFiniteError, "w_values", "NaN"),
        ("error surface inf grid", lambda: G.error_surface([0.0, 1.0], [0.0, np.inf]),
         dr.NonFiniteError, "b_values", "NaN"),
        ("error surface 2-d grid", lambda: G.error_surface([[0.0, 1.0]], [0.0, 1.0]),
         dr.ShapeError, "w_values", "1-D"),
        ("error surface empty grid", lambda: G.error_surface([], [0.0, 1.0]),
         dr.InvalidInputError, "w_values", "non-empty"),
        ("error surface n_steps 0", lambda: G.error_surface([0.0], [0.0], n_steps=0),
         dr.InvalidInputError, "n_steps", ">= 1"),
        ("error surface activation", lambda: G.error_surface([0.0], [0.0],
                                                             activation="softsign"),
         dr.UnknownActivationError, "activation", "tanh"),
        ("gradient events of a list", lambda: G.find_gradient_events([1.0, 2.0]),
         dr.InvalidTypeError, "source", "TrainingResult"),
        ("spikes threshold_ratio", lambda: G.detect_spikes([1.0, 2.0, 3.0], threshold_ratio=-1),
         dr.InvalidInputError, "threshold_ratio", "> 1"),
        ("spikes window 0", lambda: G.detect_spikes([1.0, 2.0, 3.0], window=0),
         dr.InvalidInputError, "window", ">= 1"),
        ("spikes empty history", lambda: G.detect_spikes([]),
         dr.InvalidInputError, "history", "too short"),
    ]


GRADIENT_CASE_IDS = ["bptt inputs NaN", "bptt targets NaN", "bptt targets inf", "bptt x0 NaN",
                     "bptt targets shape", "bptt inputs shape", "bptt no steps",
                     "bptt negative n_steps", "bptt unknown loss", "bptt where", "bptt mask NaN",
                     "bptt mask negative", "bptt of a Map", "bptt readout NaN",
                     "clip threshold negative", "clip threshold NaN", "clip NaN gradient",
                     "clip gradient strings", "clip nonfinite mode", "omega variant",
                     "omega without a BPTT result", "unknown task", "unknown initialisation",
                     "train negative steps", "train lr NaN", "train batch_size 0",
                     "train clip negative", "train momentum >= 1",
                     "train negative regulariser weight", "train x0 NaN", "train unknown task",
                     "train on_nonfinite", "error surface NaN grid", "error surface inf grid",
                     "error surface 2-d grid", "error surface empty grid",
                     "error surface n_steps 0", "error surface activation",
                     "gradient events of a list", "spikes threshold_ratio", "spikes window 0",
                     "spikes empty history"]


@pytest.mark.parametrize("case_id", GRADIENT_CASE_IDS)
def test_gradients_bad_input_raises_named_dynrnn_error(case_id):
    G = _gradients()
    cases = {c[0]: c[1:] for c in _gradient_cases(G)}
    call, exc, argument, fragment = cases[case_id]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc) as info:
            call()
    err = info.value
    assert isinstance(err, dr.DynrnnError) and isinstance(err, (ValueError, TypeError))
    assert err.argument == argument
    assert fragment in str(err)
    assert (argument in str(err)
            or isinstance(err, (dr.UnknownParameterError, dr.UnknownActivationError)))


def test_gradient_case_list_is_complete():
    G = _gradients()
    assert [c[0] for c in _gradient_cases(G)] == GRADIENT_CASE_IDS


def test_training_that_overflows_stops_with_a_failed_status():
    G = _gradients()
    relu = dr.RNN(3.0 * E2, W_in=np.ones((2, 2)), activation="relu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = G.train(relu, "addition", steps=5, readout=READOUT_G, lr=1e3, length=200,
                         progress=False)
    assert not result.success
    assert result.status == G.TrainingStatus.NONFINITE
    assert "non-finite" in result.status.value


def test_bptt_of_an_overflowing_orbit_does_not_return_a_finite_loss():
    G = _gradients()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = G.bptt(dr.RNN(3.0 * E2, b=[1.0, 1.0], activation="relu"), [1.0, 1.0], None,
                        [0.0, 0.0], n_steps=2000, where="last")
    assert not math.isfinite(result.loss)
    assert not math.isfinite(result.grad_norm)
