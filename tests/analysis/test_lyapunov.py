"""Lyapunov spectra by the QR method against known values."""
import numpy as np
import pytest

import dynrnn as dr
from tests import problems as P


def test_linear_map_exponents_are_log_moduli():
    net = P.linear_rnn(4, seed=0, radius=0.9)
    lam = np.linalg.eigvals(net.W_rec)
    ref = np.sort(np.log(np.abs(lam)))[::-1]
    res = dr.lyapunov_spectrum(net, np.ones(4), n_steps=4000, n_transient=50)
    assert res.success and res.n_steps == 4000
    # the QR average converges like O(1/T) for a linear map
    np.testing.assert_allclose(res.exponents, ref, atol=5e-3)
    assert res.history.shape == (40, 4) and res.history_steps[-1] == 4000


def test_batched_orbits_give_one_spectrum_each():
    net = dr.RNN(np.diag([0.5, -2.0]), activation="identity")
    res = dr.lyapunov_spectrum(net, np.array([[1.0, 1.0], [0.3, -0.2], [2.0, 0.0]]),
                               n_steps=50, n_transient=0)
    assert res.exponents.shape == (3, 2)
    np.testing.assert_allclose(res.exponents, np.tile([np.log(2.0), np.log(0.5)], (3, 1)),
                               atol=1e-12)


def test_henon_largest_exponent():
    """λ₁ ≈ 0.419 on the Hénon attractor (a = 1.4, b = 0.3); λ₁ + λ₂ = log b exactly."""
    henon = P.henon_map()
    x0 = np.array([[0.1, 0.1], [0.0, 0.2], [-0.3, 0.1], [0.5, -0.1]])
    res = dr.lyapunov_spectrum(henon, x0, n_steps=5000, n_transient=200)
    assert res.success
    assert abs(np.mean(res.exponents[:, 0]) - 0.419) < 0.02
    np.testing.assert_allclose(res.exponents.sum(axis=1), np.log(0.3), atol=1e-9)


@pytest.mark.slow
def test_henon_largest_exponent_long_run():
    res = dr.lyapunov_spectrum(P.henon_map(), [0.1, 0.1], n_steps=50_000, n_transient=1000)
    assert abs(res.exponents[0] - 0.4192) < 5e-3


def test_stable_fixed_point_of_tanh_net():
    """On a stable fixed point the exponents are the log moduli of its eigenvalues."""
    net = P.random_tanh_net(5, 0.5, seed=0, bias_scale=0.5)
    (fp,) = dr.find_fixed_points(net, n_starts=20, seed=0)
    res = dr.lyapunov_spectrum(net, fp.x, n_steps=3000, n_transient=0)
    np.testing.assert_allclose(res.exponents, np.sort(np.log(np.abs(fp.eigenvalues)))[::-1],
                               atol=5e-3)


def test_divergent_orbit_is_a_status():
    net = dr.RNN([[2.0]], activation="identity")
    with np.errstate(all="ignore"):
        res = dr.lyapunov_spectrum(net, [1.0], n_steps=5000, n_transient=0)
    assert not res.success and res.status is dr.LyapunovStatus.DIVERGED
    assert abs(res.exponents[0] - np.log(2.0)) < 1e-9


@pytest.mark.parametrize("kwargs, argument", [
    (dict(x0=[1.0, 2.0, 3.0], n_steps=10), "x0"),
    (dict(x0=[np.nan, 1.0], n_steps=10), "x0"),
    (dict(x0=[1.0, 1.0], n_steps=0), "n_steps"),
    (dict(x0=[1.0, 1.0], n_steps=10, n_exponents=3), "n_exponents"),
])
def test_bad_input(kwargs, argument):
    with pytest.raises(dr.InvalidInputError) as info:
        dr.lyapunov_spectrum(P.henon_map(), **kwargs)
    assert info.value.argument == argument
