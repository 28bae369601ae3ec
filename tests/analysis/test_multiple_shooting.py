"""Long cycles by multiple shooting: the logistic and Hénon period-doubling cascades."""
import math

import numpy as np
import pytest
import sympy as sp

import dynrnn as dr
from dynrnn.analysis.multiple_shooting import (
    MAX_SHOOTING_SIZE,
    continue_cycle,
    period_doubling_cascade,
)
from tests.checks import assert_named_error

FEIGENBAUM_DELTA = 4.669201609102990
# flips of the logistic map's cascade (periods 1..64 -> 2..128), from the literature
# (e.g. the table in Briggs, Math. Comp. 57 (1991) 435-439), to 12 digits
LOGISTIC_FLIPS = [3.0, 1 + math.sqrt(6), 3.544090359552, 3.564407266095, 3.568759419544,
                  3.569691609801, 3.569891259378]


def logistic():
    x, r = sp.symbols("x r")
    return dr.Map.from_sympy([r * x * (1 - x)], [x], {r: 2.8})


def check_flip(system, name, bif):
    """The located cycle is a cycle, and the product of the Jacobians along it (computed here
    from the map) has the multiplier -1."""
    m = system.with_params({name: bif.param})
    cycle = bif.extra["cycle"]
    k = cycle.shape[0]
    assert bif.period == k
    for j in range(k):
        np.testing.assert_allclose(m.step(cycle[j]), cycle[(j + 1) % k], atol=1e-11)
    M = np.eye(cycle.shape[1])
    for j in range(k):
        M = m.jacobian(cycle[j]) @ M
    mu = np.linalg.eigvals(M)
    assert np.min(np.abs(mu + 1.0)) < 1e-9


def test_logistic_cascade_to_period_64_and_feigenbaum_delta():
    lg = logistic()
    branches = period_doubling_cascade(lg, "r", [1 - 1 / 2.8], 2.8, (2.8, 3.5699),
                                       max_period=64)
    assert [b.period for b in branches] == [1, 2, 4, 8, 16, 32, 64]
    flips = [b.bifurcations[0] for b in branches]
    np.testing.assert_allclose([f.param for f in flips], LOGISTIC_FLIPS, atol=1e-10)
    for f in flips:
        check_flip(lg, "r", f)
    r = np.array([f.param for f in flips])
    delta = (r[-2] - r[-3]) / (r[-1] - r[-2])
    assert abs(delta - FEIGENBAUM_DELTA) < 5e-3        # three digits: 4.67
    # the period-64 branch itself: all its points are 64-cycles
    last = branches[-1]
    assert last.success and last.cycles.shape[1:] == (64, 1)


def test_short_cycles_agree_with_the_k_fold_map_continuation():
    lg = logistic()
    branches = period_doubling_cascade(lg, "r", [1 - 1 / 2.8], 2.8, (2.8, 3.56), max_period=8)
    fixed = dr.continuation(lg, "r", [1 - 1 / 2.8], (2.8, 3.56))
    two = dr.switch_branch(fixed, fixed.bifurcations[0], system=lg)
    four = dr.switch_branch(two, two.bifurcations[0], system=lg)
    for shooting, kfold in zip(branches, (fixed, two, four)):
        assert shooting.bifurcations[0].param == pytest.approx(kfold.bifurcations[0].param,
                                                               abs=1e-10)


def test_henon_cascade_to_period_32():
    x, y, a, b = sp.symbols("x y a b")
    henon = dr.Map.from_sympy([1 - a * x**2 + y, b * x], [x, y], {a: 0.2, b: 0.3})
    xs = (-0.7 + math.sqrt(0.49 + 0.8)) / 0.4
    branches = period_doubling_cascade(henon, "a", [xs, 0.3 * xs], 0.2, (0.2, 1.06),
                                       max_period=32)
    assert [br.period for br in branches] == [1, 2, 4, 8, 16, 32]
    flips = [br.bifurcations[0] for br in branches]
    assert flips[0].param == pytest.approx(3 * 0.7**2 / 4, abs=1e-12)
    for f in flips:
        check_flip(henon, "a", f)
    assert np.all(np.diff([f.param for f in flips]) > 0)
    # against the engine's k-fold continuation for the first doublings
    fixed = dr.continuation(henon, "a", [xs, 0.3 * xs], (0.2, 1.06))
    pd1 = next(bf for bf in fixed.bifurcations if bf.kind.value == "PD")
    two = dr.switch_branch(fixed, pd1, system=henon)
    pd2 = next(bf for bf in two.bifurcations if bf.kind.value == "PD")
    assert flips[1].param == pytest.approx(pd2.param, abs=1e-10)


def test_bad_input():
    lg = logistic()
    too_long = np.full((MAX_SHOOTING_SIZE + 1, 1), 0.5)
    assert_named_error(lambda: continue_cycle(lg, "r", too_long, 3.0, (2.8, 3.5)),
                       dr.InvalidInputError, "period", "MAX_SHOOTING_SIZE")
    assert_named_error(lambda: period_doubling_cascade(lg, "r", [0.6], 2.8, (2.8, 3.5),
                                                       max_period=MAX_SHOOTING_SIZE * 2),
                       dr.InvalidInputError, "period", "MAX_SHOOTING_SIZE")
    assert_named_error(lambda: continue_cycle(lg, "r", [[0.1], [0.9]], 2.9, (2.8, 3.5)),
                       dr.InvalidInputError, "cycle", "not near")
    assert_named_error(lambda: continue_cycle(lg, "r", [[0.6]], 2.9, (3.5, 2.8)),
                       dr.InvalidInputError, "bounds", "lo < hi")


def test_cycle_of_a_network_by_shooting_matches_its_jacobian_product():
    # x ↦ -3 tanh(x) + b: the 2-cycle ±x*, x* = 3 tanh(x*), continued in b by shooting
    net = dr.RNN([[-3.0]], b=[0.0], activation="tanh")
    from scipy.optimize import brentq
    x_star = brentq(lambda v: v - 3 * np.tanh(v), 1.0, 4.0)
    branch = continue_cycle(net, "b[0]", [[x_star], [-x_star]], 0.0, (-0.5, 0.5))
    assert branch.success and branch.params.min() == 0.0 and branch.params.max() == 0.5
    for b, cycle, mu in zip(branch.params, branch.cycles, branch.eigenvalues):
        m = net.with_params({"b[0]": b})
        np.testing.assert_allclose(m.step(cycle[0]), cycle[1], atol=1e-10)
        np.testing.assert_allclose(m.step(cycle[1]), cycle[0], atol=1e-10)
        product = m.jacobian(cycle[1]) @ m.jacobian(cycle[0])
        assert mu[0] == pytest.approx(product[0, 0], rel=1e-10)
