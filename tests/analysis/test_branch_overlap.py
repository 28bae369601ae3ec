"""The one branch de-duplicator: polyline distance against dense sampling, and a branch that
duplicates itself (or its cycle's other points) but not a different branch."""
import numpy as np
import pytest

import dynrnn as dr
from dynrnn.analysis.branch_overlap import branch_points, distance_to_polyline, duplicates_branch


def test_distance_to_polyline_matches_dense_sampling_of_the_segments():
    rng = np.random.default_rng(0)
    for _ in range(20):
        points = rng.normal(size=(6, 3))
        z = rng.normal(size=3) * 2
        t = np.linspace(0, 1, 20001)[:, None]
        dense = np.concatenate([a + t * (b - a) for a, b in zip(points[:-1], points[1:])])
        reference = np.min(np.linalg.norm(dense - z, axis=1))
        assert distance_to_polyline(z, points) == pytest.approx(reference, abs=1e-6)
        assert distance_to_polyline(z, points) <= np.min(np.linalg.norm(points - z, axis=1))
    assert distance_to_polyline([3.0, 4.0], [[0.0, 0.0]]) == 5.0


def test_a_branch_duplicates_itself_and_not_another_one():
    net = dr.RNN([[5.0]], b=[-2.5], activation="sigmoid")
    upper = dr.continuation(net, "b[0]", [4.9], (-3.0, -2.0))
    lower = dr.continuation(net, "b[0]", [0.1], (-3.0, -2.0))
    assert branch_points(upper).shape == (upper.n_points, 2)
    assert duplicates_branch(upper, [upper], 1e-6)
    assert not duplicates_branch(upper, [lower], 1e-3)
