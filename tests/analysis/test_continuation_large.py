"""Continuation of large networks: tracked leading multipliers, LU flip signs and the guard
(dynrnn.analysis.continuation.spectra), against full decompositions at every point."""
import numpy as np
import pytest

import dynrnn as dr
from dynrnn.analysis.continuation import spectra
from dynrnn.errors import InvalidInputError


def _weights(n, seed, scale=1.0):
    rng = np.random.default_rng(seed + 100 * n)
    return scale * rng.standard_normal((n, n)) / np.sqrt(n), 0.3 * rng.standard_normal(n)


def _network(n, seed, scale=1.0):
    W, b = _weights(n, seed, scale)
    net = dr.RNN(W, b=b)
    return net, net.iterate(np.zeros(n), 300)


def _branch(net, x0, mode, hi=3.0, **options):
    opts = dr.ContinuationOptions(multipliers=mode, n_leading=4, guard_every=5, **options)
    return dr.continuation(net, "gain", x0, (1.0, hi), options=opts)


def _same_bifurcations(reference, tested, tol=1e-10):
    expected = [(b.kind, b.param) for b in reference.bifurcations]
    found = [(b.kind, b.param) for b in tested.bifurcations]
    assert [k for k, _ in found] == [k for k, _ in expected]
    np.testing.assert_allclose([p for _, p in found], [p for _, p in expected], rtol=0,
                               atol=tol)


# n, seed, upper gain: each branch crosses several NS and PD points (checked below)
CASES = [(20, 3, 3.0), (30, 2, 2.0), (40, 1, 2.0), (60, 2, 1.8)]


@pytest.mark.parametrize("n, seed, hi", CASES)
def test_leading_path_finds_the_same_points_as_full_decompositions(n, seed, hi):
    net, x0 = _network(n, seed)
    reference = _branch(net, x0, "all", hi)
    tested = _branch(net, x0, "leading", hi)
    kinds = {b.kind.value for b in reference.bifurcations}
    assert len(reference.bifurcations) >= 3 and "NS" in kinds
    _same_bifurcations(reference, tested)
    assert tested.success
    # stability where both computed the same points
    if tested.n_points == reference.n_points:
        np.testing.assert_array_equal(tested.n_unstable, reference.n_unstable)


class _BlindTracker(spectra.LeadingMultipliers):
    """A tracker that never sees a multiplier near the circle: every count it gives is 0."""

    def _track(self, M):
        self.reach = 0.1
        return np.full(self.k, 0.1 + 0j)


def test_guard_recovers_every_crossing_a_blind_tracker_misses(monkeypatch):
    net, x0 = _network(30, 2)
    reference = _branch(net, x0, "all", 2.0)
    monkeypatch.setattr(spectra, "LeadingMultipliers", _BlindTracker)
    from dynrnn.analysis.continuation import branch as branch_module
    monkeypatch.setattr(branch_module, "LeadingMultipliers", _BlindTracker)
    made = []
    original = spectra.guard_points
    monkeypatch.setattr(branch_module, "guard_points",
                        lambda *a, **k: made.append(original(*a, **k)) or made[-1])
    tested = _branch(net, x0, "leading", 2.0)
    assert len(reference.bifurcations) >= 3
    # the guard did the work: full decompositions at more than the guard points
    assert made and made[0] > tested.n_points // 5 + 1
    _same_bifurcations(reference, tested)
    # every point's count was recomputed where it mattered: the counts agree with a full
    # decomposition at every point
    W, b = _weights(30, 2)
    counts = [int(np.count_nonzero(np.abs(np.linalg.eigvals(dr.RNN(p * W, b=b).jacobian(x)))
                                   > 1)) for p, x in zip(tested.params, tested.states)]
    np.testing.assert_array_equal(tested.n_unstable, counts)


def test_flip_sign_is_the_sign_of_the_product_over_multipliers():
    rng = np.random.default_rng(3)
    for _ in range(20):
        M = 1.5 * rng.standard_normal((12, 12)) / np.sqrt(12)
        mu = np.linalg.eigvals(M)
        expected = np.sign(np.prod(mu + 1.0).real)
        assert spectra.flip_sign(M) == expected


def test_tracked_multipliers_near_the_circle_match_the_spectrum():
    # a known spectrum: a pair 0.98·e^{±0.7i}, a real 1.02, a real -0.97, the rest |μ| <= 0.5
    rng = np.random.default_rng(4)
    n = 60
    D = np.zeros((n, n))
    D[0, 0] = 1.02
    D[1, 1] = -0.97
    c, s = 0.98 * np.cos(0.7), 0.98 * np.sin(0.7)
    D[2:4, 2:4] = [[c, -s], [s, c]]
    D[4:, 4:] = np.diag(rng.uniform(-0.5, 0.5, n - 4))
    S = np.eye(n) + 0.3 * rng.standard_normal((n, n)) / np.sqrt(n)
    M = S @ D @ np.linalg.inv(S)
    tracker = spectra.LeadingMultipliers(n, k=6)
    theta, signs, exact = tracker.describe(M)
    assert not exact
    expected = np.array([1.02, 0.98 * np.exp(0.7j), 0.98 * np.exp(-0.7j), -0.97])
    for mu in expected:      # Ritz values: accurate to their residuals
        assert np.min(np.abs(theta - mu)) < 1e-3
    assert signs[2] == 1 and signs[3] == 0 and signs[0] == 1.0
    # the next point: a slightly moved matrix, from the warm basis
    theta2, _, exact2 = tracker.describe(M + 1e-3 * np.eye(n))
    assert not exact2 and np.min(np.abs(theta2 - 1.021)) < 1e-3


def test_auto_mode_tracks_from_128_states_and_keeps_the_stability_counts():
    net, x0 = _network(130, 0, scale=0.5)
    opts = dict(max_points=6)
    full = dr.continuation(net, "gain", x0, (1.0, 3.0),
                           options=dr.ContinuationOptions(multipliers="all", **opts))
    auto = dr.continuation(net, "gain", x0, (1.0, 3.0),
                           options=dr.ContinuationOptions(**opts))
    assert full.eigenvalues.shape[1] == 130 and auto.eigenvalues.shape[1] < 130
    np.testing.assert_allclose(auto.params, full.params, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(auto.n_unstable, full.n_unstable)
    # the leading multipliers at the guarded ends are exact
    np.testing.assert_allclose(auto.eigenvalues[[0, -1]],
                               full.eigenvalues[[0, -1], :auto.eigenvalues.shape[1]],
                               atol=1e-10)


@pytest.mark.parametrize("field, value", [("multipliers", "some"), ("guard_every", 0),
                                          ("n_leading", 1)])
def test_bad_multiplier_options_are_refused(field, value):
    with pytest.raises(InvalidInputError, match=field):
        dr.ContinuationOptions(**{field: value})


@pytest.mark.slow
@pytest.mark.parametrize("n", [20, 30, 40, 60])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_leading_path_on_more_random_networks(n, seed):
    net, x0 = _network(n, seed)
    reference = _branch(net, x0, "all", max_points=300)
    tested = _branch(net, x0, "leading", max_points=300)
    assert reference.bifurcations
    _same_bifurcations(reference, tested)


def test_kept_factor_solves_like_a_fresh_lu_and_keeps_the_determinant_sign():
    rng = np.random.default_rng(5)
    A0 = rng.standard_normal((40, 40))
    drift = rng.standard_normal((40, 40)) / np.sqrt(40)
    solver = spectra.KeptFactor()
    for step in range(12):
        A = A0 + 0.01 * step * drift          # drifting slowly, as along a branch
        b = rng.standard_normal(40)
        y, (lu, piv), info = solver(A, b)
        assert info == 0
        np.testing.assert_allclose(A @ y, b, atol=1e-12)
        negative = np.count_nonzero(np.diagonal(lu) < 0)
        swaps = np.count_nonzero(piv != np.arange(40))
        assert (-1.0) ** (negative + swaps) == np.sign(np.linalg.det(A))
    assert 1 <= solver.n_factorisations < 12     # the factor was reused
    # a matrix far from the kept one: refined in vain, so factorised anew
    before = solver.n_factorisations
    B = rng.standard_normal((40, 40))
    y, _, _ = solver(B, np.ones(40))
    np.testing.assert_allclose(B @ y, np.ones(40), atol=1e-10)
    assert solver.n_factorisations == before + 1


# location on large networks: the critical multiplier by inverse iteration (critical.py)
from dynrnn.analysis.continuation import critical, testfunctions  # noqa: E402


def _spy(monkeypatch, replacement=None):
    """Count the calls of inverse iteration during location (optionally replacing it)."""
    calls = []
    original = testfunctions.inverse_iteration

    def spy(M, shift, *args, **kwargs):
        calls.append(shift)
        return (replacement or original)(M, shift, *args, **kwargs)

    monkeypatch.setattr(testfunctions, "inverse_iteration", spy)
    return calls


@pytest.mark.parametrize("n, seed, hi", [(40, 1, 2.0), (60, 2, 1.8),
                                         pytest.param(80, 0, 2.2, marks=pytest.mark.slow)])
def test_location_by_inverse_iteration_matches_full_decompositions(monkeypatch, n, seed, hi):
    net, x0 = _network(n, seed)
    reference = _branch(net, x0, "all", hi)
    calls = _spy(monkeypatch)
    tested = _branch(net, x0, "leading", hi)
    kinds = {b.kind for b in reference.bifurcations}
    assert dr.BifurcationKind.NS in kinds
    assert calls                 # the tracked path located with inverse iteration
    _same_bifurcations(reference, tested)
    for ref, got in zip(reference.bifurcations, tested.bifurcations):
        np.testing.assert_allclose(got.x, ref.x, atol=1e-9)
        # the reported multipliers come from a full decomposition at the located point
        np.testing.assert_allclose(np.sort_complex(got.eigenvalues),
                                   np.sort_complex(ref.eigenvalues), atol=1e-8)


def test_location_falls_back_to_full_decompositions_when_inverse_iteration_misleads(
        monkeypatch):
    net, x0 = _network(40, 1)
    reference = _branch(net, x0, "all", 2.0)
    # a multiplier off by 0.01: the check at the located point must reject it
    calls = _spy(monkeypatch, lambda M, shift, *a, **k: shift * 1.01)
    tested = _branch(net, x0, "leading", 2.0)
    assert calls
    _same_bifurcations(reference, tested)


def test_inverse_iteration_finds_the_eigenvalue_nearest_the_shift():
    rng = np.random.default_rng(5)
    M = rng.standard_normal((50, 50)) / np.sqrt(50)
    mu = np.linalg.eigvals(M)
    for target in (mu[np.argmax(mu.imag)], mu[np.argmin(mu.real)]):
        shift = target + 1e-3 * (1 + 1j if target.imag else 1)
        value = critical.inverse_iteration(M, complex(shift))
        assert value is not None
        assert abs(value - target) < 1e-12
    assert critical.inverse_iteration(np.diag([0.5, 0.2]), 0.5 + 0j) is None   # singular


def test_crossing_pair_follows_the_multiplier_that_crossed():
    ns = dr.BifurcationKind.NS
    # the pair nearest the circle at a (0.99 i) is not the one that crossed (0.6 ± 0.7i)
    a = np.array([0.99j, -0.99j, 0.6 + 0.78j, 0.6 - 0.78j, 0.3])
    b = np.array([0.985j, -0.985j, 0.6 + 0.81j, 0.6 - 0.81j, 0.3])
    pair = critical.crossing_pair(ns, a, b)
    assert pair == (0.6 + 0.78j, 0.6 + 0.81j)
    assert critical.psi_of(ns, pair[0]) < 0 < critical.psi_of(ns, pair[1])
    pd = dr.BifurcationKind.PD
    assert critical.crossing_pair(pd, np.array([-0.9, 0.5]), np.array([-1.1, 0.5])) == (
        -0.9 + 0j, -1.1 + 0j)
    assert critical.crossing_pair(pd, np.array([0.9]), np.array([0.8])) is None
    assert critical.interpolated_shift({0.0: 1j, 1.0: 2j}, 0.25) == 1.25j
