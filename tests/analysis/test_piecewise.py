"""Exact fixed points and cycles of ReLU networks against brute force, one region at a time."""
import itertools

import numpy as np
import pytest

import dynrnn as dr


def relu_net(n, seed, scale=1.2):
    rng = np.random.default_rng(seed)
    return dr.RNN(scale * rng.standard_normal((n, n)) / np.sqrt(n) * 2.0,
                  b=rng.standard_normal(n), activation="relu")


def brute_force_fixed_points(W, b):
    """Solve x = W relu(x) + b region by region with a plain loop (independent of the library)."""
    n = len(b)
    found = []
    for bits in itertools.product([0.0, 1.0], repeat=n):
        D = np.array(bits)
        M = W * D[None, :] - np.eye(n)
        if abs(np.linalg.det(M)) < 1e-12:
            continue
        x = np.linalg.solve(M, -b)
        if np.array_equal(x > 0, D > 0):
            found.append(x)
    return np.array(found).reshape(-1, n)


def brute_force_two_cycles(W, b):
    n = len(b)
    found = []
    for bits in itertools.product([0.0, 1.0], repeat=2 * n):
        D1, D2 = np.array(bits[:n]), np.array(bits[n:])
        M1, M2 = W * D1[None, :], W * D2[None, :]
        A = M2 @ M1 - np.eye(n)
        if abs(np.linalg.det(A)) < 1e-12:
            continue
        x1 = np.linalg.solve(A, -(M2 @ b + b))
        x2 = M1 @ x1 + b
        if (np.array_equal(x1 > 0, D1 > 0) and np.array_equal(x2 > 0, D2 > 0)
                and np.max(np.abs(x1 - x2)) > 1e-9):
            found.append(np.sort(np.stack([x1, x2]), axis=0))  # order-free key
    return found


def _as_sorted(X):
    X = np.asarray(X)
    return X[np.lexsort(X.T[::-1])] if len(X) else X


@pytest.mark.parametrize("seed", range(6))
def test_enumeration_equals_brute_force(seed):
    net = relu_net(6, seed)
    result = dr.find_fixed_points(net)
    assert result.method is dr.SearchMethod.PIECEWISE and result.exhaustive
    ref = brute_force_fixed_points(net.W_rec, net.b)
    assert len(result) == len(ref)
    np.testing.assert_allclose(_as_sorted(result.states), _as_sorted(ref), atol=1e-12)
    for p in result:
        assert p.residual < 1e-12
        lam = np.linalg.eigvals(net.jacobian(p.x))
        np.testing.assert_allclose(np.sort_complex(p.eigenvalues), np.sort_complex(lam),
                                   atol=1e-10)


def test_some_seed_has_several_fixed_points():
    """Guard against a vacuous brute-force comparison."""
    counts = [len(brute_force_fixed_points(relu_net(6, s).W_rec, relu_net(6, s).b))
              for s in range(6)]
    assert max(counts) >= 2


@pytest.mark.parametrize("seed", range(3))
def test_random_region_search_finds_the_same_set(seed):
    net = relu_net(6, seed)
    exact = dr.find_fixed_points(net)
    rand = dr.find_fixed_points(net, max_regions=8, n_starts=400, seed=seed)
    assert rand.method is dr.SearchMethod.PIECEWISE_RANDOM and not rand.exhaustive
    np.testing.assert_allclose(_as_sorted(rand.states), _as_sorted(exact.states), atol=1e-12)
    assert rand.n_converged + rand.n_failed == rand.n_starts == 400


@pytest.mark.parametrize("seed", range(3))
def test_two_cycles_equal_brute_force(seed):
    net = relu_net(3, seed, scale=2.0)
    result = dr.find_cycles(net, period=2)
    assert result.exhaustive
    ref = brute_force_two_cycles(net.W_rec, net.b)
    # brute force lists each cycle twice (both starting regions)
    keys = {tuple(np.round(c.ravel(), 9)) for c in ref}
    got = {tuple(np.round(np.sort(c.orbit, axis=0).ravel(), 9)) for c in result}
    assert got == keys
    for c in result:
        x1, x2 = c.orbit
        np.testing.assert_allclose(net.step(x1), x2, atol=1e-12)
        np.testing.assert_allclose(net.step(x2), x1, atol=1e-12)
        P = net.jacobian(x2) @ net.jacobian(x1)
        np.testing.assert_allclose(np.sort_complex(c.eigenvalues),
                                   np.sort_complex(np.linalg.eigvals(P)), atol=1e-10)


def test_some_relu_net_has_a_two_cycle():
    assert any(len(dr.find_cycles(relu_net(3, s, scale=2.0), period=2)) for s in range(3))


def test_newton_on_relu_finds_a_subset():
    net = relu_net(6, 1)
    exact = dr.find_fixed_points(net)
    newton = dr.find_fixed_points(net, method="newton", seed=0, n_starts=200)
    for p in newton:
        assert any(np.allclose(p.x, q.x, atol=1e-10) for q in exact)


def test_linear_map_has_one_fixed_point():
    rng = np.random.default_rng(0)
    W = 0.5 * rng.standard_normal((4, 4))
    b = rng.standard_normal(4)
    net = dr.RNN(W, b=b, activation="identity")
    result = dr.find_fixed_points(net)
    assert len(result) == 1 and result.exhaustive
    np.testing.assert_allclose(result[0].x, np.linalg.solve(np.eye(4) - W, b), atol=1e-12)


def test_random_region_search_on_a_larger_net():
    """12 units: exhaustive enumeration (4096 regions) vs the randomised search."""
    net = relu_net(12, 11, scale=2.0)
    exact = dr.find_fixed_points(net)
    assert exact.exhaustive and len(exact) == 4
    rand = dr.find_fixed_points(net, max_regions=100, n_starts=500, seed=0)
    assert rand.method is dr.SearchMethod.PIECEWISE_RANDOM
    np.testing.assert_allclose(_as_sorted(rand.states), _as_sorted(exact.states), atol=1e-10)


def test_randomised_search_scales_to_100_units():
    """‖W‖₂ < 1 and relu is 1-Lipschitz, so the map contracts: exactly one fixed point, the
    limit of plain iteration (Banach), an answer independent of the region search."""
    net = relu_net(100, 0, scale=0.2)
    assert np.linalg.norm(net.W_rec, 2) < 1
    result = dr.find_fixed_points(net, n_starts=20, seed=0)
    assert result.method is dr.SearchMethod.PIECEWISE_RANDOM and len(result) == 1
    x = np.zeros(100)
    for _ in range(2000):
        x = net.step(x)
    np.testing.assert_allclose(result[0].x, x, atol=1e-10)
    assert result[0].stable


@pytest.mark.parametrize("seed", range(4))
def test_plrnn_with_diagonal_A_equals_brute_force(seed):
    """z' = A z + W relu(z) + h (Eisenmann et al.'s form): region solves with A included."""
    rng = np.random.default_rng(seed)
    n = 5
    A = np.diag(rng.uniform(-0.9, 0.9, n))
    W = 1.5 * rng.standard_normal((n, n))
    h = rng.standard_normal(n)
    net = dr.PLRNN(A=A, W=W, h=h)
    result = dr.find_fixed_points(net)
    assert result.exhaustive
    ref = []
    for bits in itertools.product([0.0, 1.0], repeat=n):
        D = np.array(bits)
        x = np.linalg.solve(A + W * D[None, :] - np.eye(n), -h)
        if np.array_equal(x > 0, D > 0):
            ref.append(x)
    ref = np.array(ref).reshape(-1, n)
    assert len(result) == len(ref)
    np.testing.assert_allclose(_as_sorted(result.states), _as_sorted(ref), atol=1e-12)


@pytest.mark.parametrize("seed", [2, 3])
def test_random_cycle_search_equals_enumeration(seed):
    """2-cycles of an 8-unit ReLU net: all 2^16 pattern pairs vs the randomised search."""
    net = relu_net(8, seed, scale=2.0)
    exact = dr.find_cycles(net, 2, max_regions=2 ** 16)
    rand = dr.find_cycles(net, 2, n_starts=2000, seed=0)
    assert exact.exhaustive and len(exact) >= 2
    assert rand.method is dr.SearchMethod.PIECEWISE_RANDOM
    key = lambda c: tuple(np.round(np.sort(c.orbit, axis=0).ravel(), 9))  # noqa: E731
    assert {key(c) for c in rand} == {key(c) for c in exact}
