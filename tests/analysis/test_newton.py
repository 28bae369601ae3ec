"""The batched Newton core (dynrnn/analysis/_newton.py) on its own, against dense linear algebra
and closed forms."""
import numpy as np
import pytest

import dynrnn as dr
from dynrnn.analysis import _newton as nw
from tests import problems as P


def test_condensed_direction_equals_dense_multiple_shooting_step():
    # the condensed solve must give the Newton step of the full k·n block system
    net = P.random_tanh_net(4, 2.0, seed=3, bias_scale=0.3)
    rng = np.random.default_rng(0)
    k, n = 3, 4
    X = rng.standard_normal((2, k, n))
    u = net.resolve_input(None)
    R, _ = nw._evaluate(net, u, X)
    D = nw._direction(net, u, X, R)
    for m in range(2):
        J = net.jacobian_unchecked(X[m], u)
        big = np.zeros((k * n, k * n))
        for j in range(k):
            big[j * n:(j + 1) * n, j * n:(j + 1) * n] = J[j]
            nxt = (j + 1) % k
            big[j * n:(j + 1) * n, nxt * n:(nxt + 1) * n] -= np.eye(n)
        dense = np.linalg.solve(big, -R[m].ravel()).reshape(k, n)
        np.testing.assert_allclose(D[m], dense, rtol=1e-9, atol=1e-12)


def test_newton_converges_quadratically_on_henon():
    henon = P.henon_map(1.4, 0.3)
    (x_ref, _), _ = P.henon_fixed_points(1.4, 0.3)
    X0 = (np.asarray(x_ref) + np.array([0.05, -0.02]))[None, None, :]
    run = nw.newton(henon, henon.resolve_input(None), X0, tol=1e-14, max_iter=20)
    assert run.outcome[0] == nw.Outcome.CONVERGED
    np.testing.assert_allclose(run.X[0, 0], x_ref, atol=1e-13)
    h = run.history[:, 0]
    h = h[np.isfinite(h) & (h > 1e-13)]
    # quadratic: r_{k+1} ≤ C r_k² with a moderate C once the full step is accepted
    ratios = h[1:] / h[:-1] ** 2
    assert len(ratios) >= 2 and np.all(ratios[-2:] < 50)


def test_solve_stack_loop_path_matches_numpy_and_flags_singular():
    rng = np.random.default_rng(1)
    n = nw._LOOP_MIN_N + 2
    A = rng.standard_normal((3, n, n))
    A[1] = 0.0                        # exactly singular: that row must come back NaN
    b = rng.standard_normal((3, n))
    expected0 = np.linalg.solve(A[0], b[0])
    expected2 = np.linalg.solve(A[2], b[2])
    out = nw._solve_stack(A.copy(order="C"), b)
    np.testing.assert_allclose(out[0], expected0, rtol=1e-9)
    np.testing.assert_allclose(out[2], expected2, rtol=1e-9)
    assert np.all(np.isnan(out[1]))


def test_solve_stack_small_path_singular_row():
    A = np.stack([np.eye(2) * 2.0, np.zeros((2, 2))])
    out = nw._solve_stack(A.copy(), np.ones((2, 2)))
    np.testing.assert_allclose(out[0], [0.5, 0.5])
    assert np.all(np.isnan(out[1]))


def test_deduplicate_treats_cyclic_shifts_as_one_cycle():
    a = np.array([[0.0, 1.0], [1.0, 0.0]])           # a 2-cycle in 2-D
    orbits = np.stack([a, a[::-1], a + 1e-9, a + 1.0])
    kept = nw.deduplicate(orbits, np.array([3.0, 1.0, 2.0, 0.5]), 1e-6)
    # the best-residual copy of the first cycle (index 1) and the distinct one (3)
    assert sorted(kept) == [1, 3]


def test_minimal_period_and_canonical_rotation():
    fixed = np.array([[0.3, 0.1]] * 4)
    assert nw.minimal_period(fixed, 1e-9) == 1
    two = np.array([[0.0], [1.0], [0.0], [1.0]])
    assert nw.minimal_period(two, 1e-9) == 2
    three = np.array([[2.0], [0.5], [1.0]])
    assert nw.minimal_period(three, 1e-9) == 3
    np.testing.assert_array_equal(nw.canonical_rotation(three)[:, 0], [0.5, 1.0, 2.0])


def test_attainable_tolerance_is_the_rounding_floor():
    X = np.zeros((2, 1, 4))
    X[1, 0, 0] = 1e8
    goal = nw.attainable_tolerance(X, 1e-10)
    assert goal[0] == 1e-10
    assert goal[1] == pytest.approx(64 * np.finfo(float).eps * (1e8 + 1) * 2)


def test_sample_starts_shape_box_and_trajectories():
    net = dr.RNN([[5.0]], b=[-2.5], activation="sigmoid")
    u = net.resolve_input(None)
    box = net.invariant_box(u)
    starts = nw.sample_starts(net, u, 40, np.random.default_rng(0), box)
    assert starts.shape == (40, 1) and np.all(np.isfinite(starts))
    assert np.all(starts >= box[0] - 1e-12) and np.all(starts <= box[1] + 1e-12)
    # the first half is uniform in the box, the second half visited states F^t(x) (t ≥ 1):
    # states of x -> 5σ(x) − 2.5 lie in (−2.5, 2.5)
    assert np.all(np.abs(starts[20:]) < 2.5)


def test_newton_one_step_for_a_constant_map():
    # F(x) = b: J = 0, so Newton lands on b in exactly one step
    net = dr.RNN(np.zeros((2, 2)), b=[0.25, -0.5])
    run = nw.newton(net, None, np.ones((1, 1, 2)), tol=1e-12, max_iter=5)
    assert run.outcome[0] == nw.Outcome.CONVERGED and run.n_iter[0] == 1
    np.testing.assert_allclose(run.X[0, 0], [0.25, -0.5], atol=1e-15)


def test_newton_flags_a_singular_system():
    # the identity map: I − J = 0 everywhere, the Newton system is singular
    sym = __import__("sympy")
    x, y = sym.symbols("x y")
    ident = dr.Map.from_sympy([x + 0 * y, y], [x, y], {})
    run = nw.newton(ident, None, np.array([[[0.5, 0.5]]]) + 0.0, tol=1e-12, max_iter=3)
    # every point is a root: it converges at once (residual 0) without needing a solve
    assert run.outcome[0] == nw.Outcome.CONVERGED
    shifted = dr.Map.from_sympy([x + 1, y], [x, y], {})
    run = nw.newton(shifted, None, np.array([[[0.5, 0.5]]]), tol=1e-12, max_iter=3)
    assert run.outcome[0] == nw.Outcome.SINGULAR
