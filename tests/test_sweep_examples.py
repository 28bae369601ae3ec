"""Example sweep functions against closed forms, brute-force simulation and finite differences."""
from __future__ import annotations

import math

import numpy as np
import pytest

import dynrnn as dr
from dynrnn.errors import InvalidInputError
from dynrnn.sweep_examples import (largest_lyapunov_exponent, one_unit_attractor_count,
                                   random_tanh_network)

from .problems import SIGMOID_FOLDS_W5, TANH_FOLDS_W5, one_unit_folds


@pytest.mark.parametrize("activation, folds", [("sigmoid", SIGMOID_FOLDS_W5),
                                               ("tanh", TANH_FOLDS_W5)])
def test_attractor_count_changes_exactly_at_the_closed_form_folds(activation, folds):
    lo, hi = folds
    eps = 1e-3
    for b, n_attractors, n_fixed in [(lo - eps, 1, 1), (lo + eps, 2, 3), ((lo + hi) / 2, 2, 3),
                                     (hi - eps, 2, 3), (hi + eps, 1, 1)]:
        count = one_unit_attractor_count(5.0, b, activation)
        assert count == {"n_attractors": n_attractors, "n_fixed_points": n_fixed,
                         "n_stable_fixed_points": n_attractors}, (b, count)


def brute_force_attractors(w, b, activation, n_initial=201, n_steps=3000):
    """Iterate many initial states and count the distinct limit sets {x_T, x_T+1}."""
    sigma = dr.get_activation(activation).function
    # Shifted off the symmetric points so that no initial state sits on an unstable fixed point.
    x = np.linspace(-abs(w) - abs(b) - 1, abs(w) + abs(b) + 1, n_initial) + 1e-3 * math.pi
    for _ in range(n_steps):
        x = w * sigma(x) + b
    pairs = np.sort(np.stack([x, w * sigma(x) + b], axis=1), axis=1)
    distinct: list[np.ndarray] = []
    for pair in pairs:
        if not any(np.abs(pair - d).max() < 1e-6 for d in distinct):
            distinct.append(pair)
    return len(distinct)


@pytest.mark.parametrize("w, b, activation", [
    (5.0, -2.5, "sigmoid"), (5.0, 0.0, "sigmoid"), (12.0, -6.0, "sigmoid"), (-8.0, 4.0, "sigmoid"),
    (-8.0, 1.0, "sigmoid"), (3.0, 0.5, "tanh"), (3.0, 4.0, "tanh"), (-3.0, 0.0, "tanh"),
    (-0.7, 0.3, "tanh"), (-2.0, 1.5, "tanh"), (0.0, 2.0, "tanh"),
])
def test_attractor_count_equals_brute_force_simulation(w, b, activation):
    count = one_unit_attractor_count(w, b, activation)
    assert count["n_attractors"] == brute_force_attractors(w, b, activation)
    if w < 0:                       # a decreasing map has exactly one fixed point
        assert count["n_fixed_points"] == 1


def test_sweep_of_the_attractor_count_locates_the_bistable_interval():
    bs = np.linspace(-3.5, -1.5, 201)
    result = dr.sweep(one_unit_attractor_count, {"b": bs}, fixed={"w": 6.0,
                                                                  "activation": "sigmoid"},
                      executor="serial", progress=False)
    bistable = bs[result["n_attractors"] == 2]
    lo, hi = one_unit_folds(6.0, "sigmoid")
    step = bs[1] - bs[0]
    assert lo <= bistable.min() < lo + step and hi - step < bistable.max() <= hi
    np.testing.assert_array_equal(result["n_fixed_points"][result["n_attractors"] == 2], 3)


def test_attractor_count_rejects_unbounded_activations():
    with pytest.raises(InvalidInputError) as info:
        one_unit_attractor_count(2.0, 0.0, "relu")
    assert info.value.argument == "activation"
    with pytest.raises(InvalidInputError):
        one_unit_attractor_count(math.nan, 0.0)


@pytest.mark.parametrize("activation, gain", [("identity", 0.9), ("identity", 0.5),
                                              ("tanh", 0.6)])
def test_lyapunov_exponent_equals_log_spectral_radius_when_linear_or_contracting(activation,
                                                                                 gain):
    n, seed = 20, 3
    exponent = largest_lyapunov_exponent(gain, seed=seed, n=n, n_steps=3000,
                                         activation=activation, n_transient=100)
    radius = np.abs(np.linalg.eigvals(random_tanh_network(n, gain, seed).W_rec)).max()
    assert abs(exponent - math.log(radius)) < 0.01


def two_trajectory_exponent(net, x0, n_steps, n_transient, delta=1e-7):
    """Jacobian-free reference: separation of a perturbed trajectory, renormalised each step."""
    x = x0.copy()
    for _ in range(n_transient):
        x = net.step(x)
    direction = np.random.default_rng(7).standard_normal(x.size)
    y = x + delta * direction / np.linalg.norm(direction)
    total = 0.0
    for _ in range(n_steps):
        x, y = net.step(x), net.step(y)
        distance = np.linalg.norm(y - x)
        total += math.log(distance / delta)
        y = x + (y - x) * (delta / distance)
    return total / n_steps


def test_lyapunov_exponent_of_a_chaotic_network_matches_finite_differences():
    n, gain, seed = 30, 3.0, 5
    exponent = largest_lyapunov_exponent(gain, seed=seed, n=n, n_steps=2000, n_transient=200)
    assert exponent > 0.1                                   # chaotic for gain well above 1
    net = random_tanh_network(n, gain, seed)
    x0 = np.random.default_rng([seed, 1]).standard_normal(n)
    reference = two_trajectory_exponent(net, x0, 2000, 200)
    assert abs(exponent - reference) < 0.03


def test_lyapunov_exponent_is_deterministic_in_the_seed_and_validates():
    a = largest_lyapunov_exponent(2.0, seed=1, n=10, n_steps=200)
    assert a == largest_lyapunov_exponent(2.0, seed=1, n=10, n_steps=200)
    assert a != largest_lyapunov_exponent(2.0, seed=2, n=10, n_steps=200)
    for bad in ({"n": 0}, {"n_steps": 1.5}, {"n_transient": -1}, {"seed": "abc"}):
        with pytest.raises((InvalidInputError, dr.InvalidTypeError)) as info:
            largest_lyapunov_exponent(2.0, **bad)
        assert info.value.argument == next(iter(bad))
