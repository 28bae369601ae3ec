"""§4 of issue 13: every bad input to basins and global_continuation gets a named error (raised
before any work) or a failed status."""
import dataclasses

import numpy as np
import pytest

import dynrnn as dr
from tests.analysis.finite_results import every_result_finite  # noqa: F401 (checks every result)
from tests.checks import assert_named_error
from tests.problems import one_unit

NET2 = dr.RNN([[2.0, 0.3], [-0.2, 2.0]], activation="tanh")
NET3 = dr.RNN(np.eye(3) * 2.0, activation="tanh")
ONE = one_unit(5.0, 0.0, "tanh")


def test_empty_ensemble():
    assert_named_error(lambda: dr.basins(NET2, np.empty((0, 2)), progress=False),
                       dr.InvalidInputError, "initial_states", "empty")
    assert_named_error(lambda: dr.global_continuation(ONE, "b[0]", [0.0, 1.0],
                                                      initial_states=np.empty((0, 1)),
                                                      progress=False),
                       dr.InvalidInputError, "initial_states", "empty")
    assert_named_error(lambda: dr.basins(NET2, n_samples=0, box=([-1, -1], [1, 1]),
                                         progress=False),
                       dr.InvalidInputError, "n_samples", ">= 1")
    assert_named_error(lambda: dr.basins(NET2, grid=(0, 10), box=([-1, -1], [1, 1]),
                                         progress=False),
                       dr.InvalidInputError, "grid", ">= 1")


def test_box_of_zero_width():
    assert_named_error(lambda: dr.basins(NET2, box=([0.0, -1.0], [0.0, 1.0]), progress=False),
                       dr.InvalidInputError, "box", "zero or negative width along x[0]")
    assert_named_error(lambda: dr.global_continuation(ONE, "b[0]", [0.0, 1.0],
                                                      box=([1.0], [1.0]), progress=False),
                       dr.InvalidInputError, "box", "zero or negative width")


def test_map_that_diverges_everywhere_is_a_failed_status():
    result = dr.basins(dr.RNN([[3.0]], activation="identity"), grid=20, box=([-1.0], [1.0]),
                       progress=False)
    assert not result.success and result.status is dr.BasinsStatus.ALL_DIVERGED
    assert "every initial state diverged" in str(result.status)
    with pytest.raises(dr.ConvergenceError) as info:
        dr.basins(dr.RNN([[3.0]], activation="identity"), n_samples=20, box=([-1.0], [1.0]),
                  raise_on_failure=True, progress=False)
    assert info.value.result.status is dr.BasinsStatus.ALL_DIVERGED
    # along a parameter: x -> w x with w in [3, 4] diverges from every state at every value
    along = dr.global_continuation(dr.RNN([[3.0]], activation="identity"), "W_rec[0,0]",
                                   [3.0, 3.5, 4.0], box=([-1.0], [1.0]), n_samples=30,
                                   progress=False)
    assert not along.success and along.status is dr.GlobalContinuationStatus.ALL_DIVERGED
    assert along.n_attractors.tolist() == [0, 0, 0] and "ALL_DIVERGED" in repr(along)
    with pytest.raises(dr.ConvergenceError):
        dr.global_continuation(dr.RNN([[3.0]], activation="identity"), "W_rec[0,0]",
                               [3.0, 3.5], box=([-1.0], [1.0]), n_samples=30,
                               raise_on_failure=True, progress=False)
    # one value with a bounded attractor is not "everything diverged"
    partly = dr.global_continuation(dr.RNN([[0.5]], activation="identity"), "W_rec[0,0]",
                                    [0.5, 3.0], box=([-1.0], [1.0]), n_samples=30,
                                    progress=False)
    assert partly.success and partly.n_attractors.tolist() == [1, 0]


def test_grid_for_a_map_with_more_than_two_states():
    assert_named_error(lambda: dr.basins(NET3, grid=10, box=(-np.ones(3), np.ones(3)),
                                         progress=False),
                       dr.InvalidInputError, "grid", "1 or 2 states")


def test_parameter_range_with_one_value():
    assert_named_error(lambda: dr.global_continuation(ONE, "b[0]", [0.0], progress=False),
                       dr.InvalidInputError, "values", "at least two")
    assert_named_error(lambda: dr.global_continuation(ONE, "b[0]", [0.0, 1.0, 0.5],
                                                      progress=False),
                       dr.InvalidInputError, "values", "strictly increasing")


@pytest.mark.parametrize("threshold", [0.0, -1.0])
def test_matching_threshold_not_positive(threshold):
    assert_named_error(lambda: dr.global_continuation(ONE, "b[0]", [0.0, 1.0], box=([-6.0], [6.0]),
                                                      match_threshold=threshold,
                                                      progress=False),
                       dr.InvalidInputError, "match_threshold", "must be positive")


def test_ensemble_too_large_for_memory_is_refused_up_front_with_its_size():
    assert_named_error(lambda: dr.basins(NET2, n_samples=10 ** 10, box=([-1, -1], [1, 1]),
                                         progress=False),
                       dr.InvalidInputError, "n_samples", "10,000,000,000 initial states")
    assert_named_error(lambda: dr.basins(NET2, grid=10 ** 5, box=([-1, -1], [1, 1]),
                                         progress=False),
                       dr.InvalidInputError, "grid", "GiB")
    assert_named_error(lambda: dr.global_continuation(ONE, "b[0]", [0.0, 1.0],
                                                      n_samples=10 ** 10, box=([-1.0], [1.0]),
                                                      progress=False),
                       dr.InvalidInputError, "n_samples", "10,000,000,000 initial states")
    # along a parameter the labels and attractor samples of every value are kept: refused
    # before the first value is computed
    assert_named_error(lambda: dr.global_continuation(ONE, "b[0]", np.linspace(0, 1, 10 ** 6),
                                                      n_samples=2000, box=([-1.0], [1.0]),
                                                      progress=False),
                       dr.InvalidInputError, "values", "1,000,000 parameter values x 2,000")
    # the size is what the options allow: a small max_bytes refuses a small ensemble too
    assert_named_error(lambda: dr.basins(NET2, n_samples=1000, box=([-1, -1], [1, 1]),
                                         options=dr.BasinsOptions(max_bytes=1000),
                                         progress=False),
                       dr.InvalidInputError, "n_samples", "1,000 initial states in 2 dimensions")


def test_training_history_without_stored_parameters():
    from dynrnn.gradients.error_surface import fig6_problem
    net, batch, x0 = fig6_problem(5.0, -2.0)
    run = dr.train(net, batch, steps=2, lr=0.1, x0=x0, history="full", progress=False)
    bare = dataclasses.replace(run.history, params=np.empty((0, run.history.params.shape[1])),
                               param_steps=np.empty(0, dtype=np.int64))
    assert_named_error(lambda: dr.global_continuation(bare, progress=False),
                       dr.InvalidInputError, "system", "no stored parameters")


def test_other_arguments():
    assert_named_error(lambda: dr.basins("net", progress=False), dr.InvalidTypeError, "system",
                       "RecurrentMap")
    assert_named_error(lambda: dr.basins(NET2, box=([-1, -1], [1, 1]), sampling="sobol",
                                         progress=False),
                       dr.InvalidInputError, "sampling", "'uniform' or 'gaussian'")
    assert_named_error(lambda: dr.basins(NET2, np.ones((3, 3)), progress=False),
                       dr.ShapeError, "initial_states", "(n_initial, 2)")
    assert_named_error(lambda: dr.basins(NET2, grid=10, progress=False),
                       dr.InvalidInputError, "box", "no invariant box") if \
        NET2.invariant_box() is None else None
    assert_named_error(lambda: dr.basins(NET2, options={"max_steps": 3}, progress=False),
                       dr.InvalidTypeError, "options", "BasinsOptions")
    assert_named_error(lambda: dr.BasinsOptions(settle_tol=1e-3, match_tol=1e-4),
                       dr.InvalidInputError, "options.settle_tol", "below options.match_tol")
    assert_named_error(lambda: dr.BasinsOptions(max_steps=0), dr.InvalidInputError,
                       "options.max_steps", ">= 1")
    assert_named_error(lambda: dr.BasinsOptions(confidence=1.0), dr.InvalidInputError,
                       "options.confidence", "(0, 1)")
    assert_named_error(lambda: dr.global_continuation(ONE, "w", [0.0, 1.0], progress=False),
                       dr.UnknownParameterError, "param", "no parameter 'w'")
    assert_named_error(lambda: dr.global_continuation(ONE, progress=False),
                       dr.InvalidInputError, "param", "needs param and values")
    assert_named_error(lambda: dr.global_continuation([ONE, NET2], progress=False),
                       dr.InvalidInputError, "system", "one state dimension")
    assert_named_error(lambda: dr.global_continuation(ONE, "b[0]", [0.0, 1.0],
                                                      box=([-6.0], [6.0]), track=[[1.0, 2.0]],
                                                      progress=False),
                       dr.ShapeError, "track", "(n_tracked, 1)")


@pytest.mark.parametrize("box, fragment", [
    (([0.0, 0.0, 0.0], [1.0, 1.0, 1.0]), "shape (3,)"),     # one bound too many
    (([0.0], [1.0]), "shape (1,)"),                         # a length-1 vector is not broadcast
    (([[0.0, 0.0]], [1.0, 1.0]), "shape (1, 2)"),
])
def test_box_of_the_wrong_shape_is_a_shape_error_naming_box(box, fragment):
    assert_named_error(lambda: dr.basins(NET2, box=box, n_samples=10, progress=False),
                       dr.ShapeError, "box", fragment)
    assert_named_error(lambda: dr.basins(NET2, box=box, grid=5, progress=False),
                       dr.ShapeError, "box", fragment)
    # global continuation runs the same checks, before its first value
    assert_named_error(lambda: dr.global_continuation(NET2, "b[0]", [0.0, 1.0], box=box,
                                                      n_samples=10, progress=False),
                       dr.ShapeError, "box", fragment)


def test_scalar_box_bounds_are_the_same_in_every_coordinate():
    scalar = dr.basins(NET2, box=(-1.0, 1.0), n_samples=40, progress=False, boundaries=False)
    vector = dr.basins(NET2, box=([-1.0, -1.0], [1.0, 1.0]), n_samples=40, progress=False,
                       boundaries=False)
    np.testing.assert_array_equal(scalar.box, [[-1.0, -1.0], [1.0, 1.0]])
    np.testing.assert_array_equal(scalar.labels, vector.labels)
    np.testing.assert_array_equal(scalar.initial_states, vector.initial_states)


def test_box_whose_width_overflows_is_refused_with_the_limit():
    for call in (lambda: dr.basins(ONE, box=([-1e308], [1e308]), n_samples=10, progress=False),
                 lambda: dr.global_continuation(ONE, "b[0]", [0.0, 1.0],
                                                box=([-1e308], [1e308]), n_samples=10,
                                                progress=False)):
        assert_named_error(call, dr.InvalidInputError, "box", "1.8e+308")


def test_huge_box_of_finite_width_works_with_its_boundary():
    # sampled states of order 1e300: the nearest-neighbour pairing of the boundary search
    # squared distances of order 1e600 (IndexError from scipy) before it was scaled
    result = dr.basins(ONE, box=([-1e300], [1e300]), n_samples=50, progress=False)
    assert result.success and [a.kind.value for a in result] == ["fixed point"] * 2
    # x -> 5 tanh(x): the boundary between the two stable fixed points is the origin, within
    # the bisection's accuracy (40 halvings of a width of 1e300)
    assert result.boundary_points.shape[0] > 0
    assert np.all(np.abs(result.boundary_points) <= result.boundary_width)
    assert result.exact_boundary.tolist() == [0.0]
