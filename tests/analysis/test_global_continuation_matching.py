"""Issue 13 §2, matching across values: the Hausdorff distance against scipy, the documented
threshold (its default and its meaning), identities kept, and the table of events. (A birth
away from any local bifurcation, which this file used to call global, is an attractor the
ensemble did not reach: see test_global_continuation_causes.py.)"""
import numpy as np
import pytest
from scipy.spatial.distance import directed_hausdorff

import dynrnn as dr
from dynrnn.analysis.basins import Attractor
from dynrnn.analysis.global_continuation import hausdorff_distance, match_attractors
from tests.analysis.finite_results import every_result_finite  # noqa: F401 (checks every result)
from tests.problems import TANH_FOLDS_W5, one_unit


def test_hausdorff_distance_against_scipy():
    rng = np.random.default_rng(0)
    for _ in range(20):
        # in one dimension the ∞-norm is the Euclidean norm scipy uses
        a, b = rng.normal(size=(rng.integers(1, 30), 1)), rng.normal(size=(rng.integers(1, 30), 1))
        expected = max(directed_hausdorff(a, b)[0], directed_hausdorff(b, a)[0])
        assert hausdorff_distance(a, b) == pytest.approx(expected, abs=1e-15)


def _point(*x) -> Attractor:
    return Attractor(dr.AttractorKind.FIXED_POINT, np.array([x], dtype=float), 1,
                     np.zeros(len(x), complex), None)


def test_matching_is_closest_pairs_first_below_the_threshold():
    previous = [_point(0.0), _point(1.0)]
    current = [_point(1.05), _point(0.4), _point(5.0)]
    # 1.05 ↔ 1.0 (0.05) first, then 0.4 ↔ 0.0 (0.4); 5.0 is new
    assert match_attractors(previous, current, 0.5) == {0: 1, 1: 0}
    # a threshold below 0.4 leaves 0.4 unmatched (a birth) and 0.0 unmatched (a death)
    assert match_attractors(previous, current, 0.3) == {0: 1}
    # each previous attractor at most once: two candidates for 0.0, the closer one wins
    assert match_attractors([_point(0.0)], [_point(0.2), _point(0.1)], 1.0) == {1: 0}


def test_default_threshold_is_half_the_largest_box_width():
    net = one_unit(5.0, 0.0, "tanh")
    result = dr.global_continuation(net, "b[0]", [0.0, 0.5], box=([-7.0], [5.0]),
                                    n_samples=50, progress=False)
    assert result.match_threshold == 6.0
    states = np.linspace(-2.0, 3.0, 40)[:, None]
    given = dr.global_continuation(net, "b[0]", [0.0, 0.5], initial_states=states,
                                   progress=False)
    assert given.match_threshold == 2.5                      # half the spread of the states
    explicit = dr.global_continuation(net, "b[0]", [0.0, 0.5], initial_states=states,
                                      match_threshold=0.01, progress=False)
    assert explicit.match_threshold == 0.01 and "≤ 0.01" in explicit.note


def test_identities_are_kept_across_the_range():
    values = np.linspace(-2.0, 2.0, 9)                     # inside the bistable range
    result = dr.global_continuation(one_unit(5.0, 0.0, "tanh"), "b[0]", values,
                                    box=([-7.0], [7.0]), n_samples=100, progress=False)
    assert result.n_ids == 2 and result.present.all() and not result.events
    # identity j is the same branch of fixed points: x* = 5 tanh(x*) + b on one side of 0
    for j in range(2):
        side = np.sign(result.attractors[0][j].x[0])
        for b, row in zip(values, result.attractors):
            x = row[j].x[0]
            assert np.sign(x) == side
            assert x == pytest.approx(5 * np.tanh(x) + b, abs=1e-12)


def test_events_table_of_the_tanh_folds():
    result = dr.global_continuation(one_unit(5.0, 0.0, "tanh"), "b[0]",
                                    np.linspace(-5.0, 5.0, 11), box=([-7.0], [7.0]),
                                    n_samples=100, progress=False)
    table = result.events_table()
    assert [(row["kind"], row["cause"], row["bifurcation"]) for row in table] == \
        [("birth", "FOLD", "LP"), ("death", "FOLD", "LP")]
    np.testing.assert_allclose([row["param"] for row in table], TANH_FOLDS_W5, atol=1e-8)
    for row in table:
        assert row["interval_low"] < row["param"] < row["interval_high"]
