"""Issue 13 §1, basin boundaries: for 1-D maps exactly (the unstable fixed points and their
preimages at which the label changes, against closed forms), and for any two attractors of an
n-D map by bisection (each point checked by iterating the map itself from a small ball around
it, without dr.basins)."""
import math

import numpy as np
import pytest
import sympy as sp

import dynrnn as dr
from tests.analysis.finite_results import every_result_finite  # noqa: F401 (checks every result)
from tests.checks import assert_named_error

X, C, A = sp.symbols("x c a")


def quadratic(c: float) -> dr.Map:
    """x -> x² + c: bounded orbits inside [-p, p], p = (1 + sqrt(1 - 4c))/2, divergence outside."""
    return dr.Map.from_sympy([X ** 2 + C], [X], {C: c})


def test_exact_1d_boundary_is_the_unstable_point_and_its_preimage():
    # c = -1/2: the stable fixed point (1 - sqrt 3)/2 attracts (-p, p); the boundary with the
    # divergence is p (the unstable fixed point) and -p (its preimage, not a fixed point)
    c = -0.5
    p = (1 + math.sqrt(1 - 4 * c)) / 2
    result = dr.basins(quadratic(c), grid=400, box=([-2.0], [2.0]), progress=False)
    np.testing.assert_allclose(result.exact_boundary, [-p, p], rtol=0, atol=1e-12)
    assert [s.x[0] for s in result.saddles] == pytest.approx([p], abs=1e-12)
    bounded = next(i for i, a in enumerate(result) if a.kind is dr.AttractorKind.FIXED_POINT)
    np.testing.assert_allclose(result[bounded].x, [(1 - math.sqrt(3)) / 2], atol=1e-12)
    inside = np.abs(result.grid[0]) < p
    np.testing.assert_array_equal(result.labels == bounded, inside)
    np.testing.assert_allclose(np.sort(result.boundary_between(0, 1)[:, 0]), [-p, p],
                               atol=1e-9)
    # without preimages only the fixed point remains
    fixed_only = dr.basins(quadratic(c), grid=400, box=([-2.0], [2.0]), progress=False,
                           options=dr.BasinsOptions(preimage_depth=0))
    np.testing.assert_allclose(fixed_only.exact_boundary, [p], atol=1e-12)


def test_exact_1d_boundary_keeps_only_points_where_the_label_changes():
    # c = -1.2: a stable 2-cycle, roots of x² + x + c + 1 (multiplier 4(c + 1)); the unstable
    # fixed point q = (1 - sqrt(1 - 4c))/2 and its preimages lie inside the cycle's basin and
    # are not boundary points; only ±p separate it from the divergence
    c = -1.2
    p = (1 + math.sqrt(1 - 4 * c)) / 2
    q = (1 - math.sqrt(1 - 4 * c)) / 2
    result = dr.basins(quadratic(c), grid=400, box=([-2.0], [2.0]), progress=False)
    np.testing.assert_allclose(result.exact_boundary, [-p, p], atol=1e-12)
    assert any(abs(s.x[0] - q) < 1e-12 for s in result.saddles)     # found, then filtered
    cycle = next(a for a in result if a.kind is dr.AttractorKind.CYCLE)
    roots = np.sort(np.roots([1.0, 1.0, c + 1]).real)
    np.testing.assert_allclose(np.sort(cycle.states[:, 0]), roots, atol=1e-12)
    np.testing.assert_allclose(cycle.multipliers.real, [4 * (c + 1)], atol=1e-12)


def test_exact_1d_boundary_of_a_folded_map_is_every_multiple_of_pi():
    # x -> 2 sin x: stable fixed points ±1.895..., unstable 0; every preimage kπ of 0 separates
    # the two basins (sin changes sign there), and 0 and ±π lie exactly on the grid
    system = dr.Map.from_sympy([A * sp.sin(X)], [X], {A: 2.0})
    result = dr.basins(system, grid=701, box=([-7.0], [7.0]), progress=False)
    assert result.n_attractors == 2
    np.testing.assert_allclose(result.exact_boundary, np.pi * np.arange(-2, 3), atol=1e-12)
    # bisection finds them too, the one at 0 although the grid point there lands on it
    np.testing.assert_allclose(np.sort(result.boundary_points[:, 0]), np.pi * np.arange(-2, 3),
                               atol=1e-9)
    assert result.boundary_width < 1e-9


def test_bisection_points_between_every_pair_of_touching_basins():
    # four stable fixed points of a 2-unit tanh network; each boundary point of A_i and A_k
    # has states of both basins within 1e-6: iterated here with x -> W tanh(x) + b
    W = np.array([[2.0, 0.3], [-0.2, 2.0]])
    b = np.array([0.1, -0.2])
    net = dr.RNN(W, b=b, activation="tanh")
    for kwargs in ({"grid": 80}, {"n_samples": 400}):
        result = dr.basins(net, box=([-3.0, -3.0], [3.0, 3.0]), progress=False, **kwargs)
        assert result.n_attractors == 4
        ends = np.stack([a.x for a in result])
        touching = {tuple(sorted(int(n[1:]) for n in edge)) for edge in result.graph.edges
                    if edge[0][0] == edge[1][0] == "A"}
        assert len(touching) == 4                      # the four neighbouring quadrants
        rng = np.random.default_rng(0)
        for i, k in touching:
            points = result.boundary_between(i, k)
            assert points.shape[0] >= 8
            for point in points:
                ball = point + 1e-6 * rng.uniform(-1, 1, (64, 2))
                for _ in range(300):
                    ball = np.tanh(ball) @ W.T + b
                nearest = np.argmin(np.abs(ball[:, None] - ends[None]).max(axis=2), axis=1)
                assert set(nearest.tolist()) == {i, k}
        # each saddle joins the two attractors its unstable manifold falls into, one touching
        # pair per saddle; a ball around it holds states of both basins (iterated here)
        assert len(result.saddles) == 4
        joined = set()
        for j, saddle in enumerate(result.saddles):
            pair = tuple(sorted(int(n[1:]) for n in result.graph[f"S{j}"]))
            assert len(pair) == 2 and pair in touching
            joined.add(pair)
            ball = saddle.x + 1e-6 * rng.uniform(-1, 1, (64, 2))
            for _ in range(300):
                ball = np.tanh(ball) @ W.T + b
            nearest = np.argmin(np.abs(ball[:, None] - ends[None]).max(axis=2), axis=1)
            assert set(nearest.tolist()) == set(pair)
        assert joined == touching
        # basins that do not touch have no boundary points
        for i, k in ((0, 3), (1, 2)):
            if (i, k) not in touching:
                assert result.boundary_between(i, k).shape == (0, 2)


def test_boundary_between_checks_its_indices():
    result = dr.basins(dr.RNN([[5.0]], b=[-2.5], activation="sigmoid"), grid=50,
                       box=([-5.0], [5.0]), progress=False)
    assert_named_error(lambda: result.boundary_between(0, 2), dr.InvalidInputError, "second",
                       "[0, 2)")
    assert_named_error(lambda: result.boundary_between(-1, 0), dr.InvalidInputError, "first",
                       "attractor index")
