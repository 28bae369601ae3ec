"""classify, FixedPoint and the §2.1 diagnostic."""
import numpy as np
import pytest

import dynrnn as dr
from dynrnn.analysis.stability import count_unstable


@pytest.mark.parametrize("eigs, kind", [
    ([0.5, -0.3], "stable node"),
    ([0.5 + 0.5j, 0.5 - 0.5j], "stable focus"),
    ([0.9, 0.1 + 0.2j, 0.1 - 0.2j], "stable node"),  # the leading multiplier is real
    ([2.0, 0.5], "saddle"),
    ([-3.0, 1.5], "unstable node"),
    ([1.2 + 1j, 1.2 - 1j], "unstable focus"),
    ([1.0 + 1e-12, 0.2], "non-hyperbolic"),
    ([-1.0, 0.2], "non-hyperbolic"),
    ([np.exp(0.3j), np.exp(-0.3j)], "non-hyperbolic"),
])
def test_classify(eigs, kind):
    assert dr.classify(eigs).value == kind


def test_classify_tolerance():
    assert dr.classify([1.001, 0.2], tol=1e-2) is dr.PointKind.NON_HYPERBOLIC
    assert dr.classify([1.001, 0.2], tol=1e-4) is dr.PointKind.SADDLE


def test_saddle_reports_its_unstable_directions():
    net = dr.RNN(np.diag([3.0, 3.0, 0.5]), activation="tanh")
    result = dr.find_fixed_points(net, n_starts=100, seed=0)
    origin = [p for p in result if np.allclose(p.x, 0)][0]
    # multipliers 3, 3 (outside the circle) and 0.5 (inside): a saddle, not an unstable node
    assert origin.kind is dr.PointKind.SADDLE
    np.testing.assert_allclose(origin.eigenvalues, [3.0, 3.0, 0.5], atol=1e-12)
    assert origin.n_unstable == count_unstable(origin.eigenvalues) == 2
    assert origin.description == "saddle with 2 unstable directions"


def test_fixed_point_is_frozen():
    net = dr.RNN([[0.5]], activation="tanh")
    (p,) = dr.find_fixed_points(net)
    with pytest.raises(AttributeError):
        p.stable = False
    with pytest.raises(ValueError):
        p.x[0] = 1.0
    assert p.orbit.shape == (1, 1) and p.period == 1


def test_gradient_regime_against_constructed_singular_values():
    rng = np.random.default_rng(0)
    U, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    V, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    for s1, activation, vanishing in [(0.9, "tanh", True), (1.1, "tanh", False),
                                      (3.9, "sigmoid", True), (4.1, "sigmoid", False)]:
        W = U @ np.diag([s1, 0.5, 0.3, 0.2, 0.1]) @ V.T
        reg = dr.gradient_regime(dr.RNN(W, activation=activation))
        assert abs(reg.largest_singular_value - s1) < 1e-12
        assert reg.vanishing_guaranteed is vanishing
        assert reg.exploding_possible is (not vanishing)
        assert reg.spectral_radius <= reg.largest_singular_value + 1e-12
        np.testing.assert_allclose(reg.spectral_radius, max(abs(np.linalg.eigvals(W))))
        # the bound it states holds for the actual one-step Jacobians
        x = rng.standard_normal((50, 5)) * 3
        norms = np.linalg.norm(dr.RNN(W, activation=activation).jacobian(x), ord=2, axis=(1, 2))
        assert np.all(norms <= reg.contraction_bound + 1e-12)


def test_gradient_regime_needs_an_rnn():
    with pytest.raises(dr.InvalidTypeError) as info:
        dr.gradient_regime(np.eye(2))
    assert info.value.argument == "net"
