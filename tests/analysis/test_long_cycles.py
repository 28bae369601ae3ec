"""Long cycles: periodic Schur multipliers, the structured block-cyclic solve, and switch_branch
following period-doubling cascades by multiple shooting (logistic to 64, Hénon to 32, a
2-unit tanh network to 64), each checked against an independent computation."""
import math

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import brentq
from scipy.stats import ortho_group

import dynrnn as dr
from dynrnn.analysis import multiple_shooting as ms
from dynrnn.analysis.cyclic_bordered import dense_cyclic_bordered, solve_cyclic_bordered
from dynrnn.analysis.periodic_schur import periodic_multipliers
from tests.checks import assert_named_error

FEIGENBAUM_DELTA = 4.669201609102990
# the logistic map's flips (periods 1..64), from the literature (Briggs, Math. Comp. 57 (1991))
LOGISTIC_FLIPS = [3.0, 1 + math.sqrt(6), 3.544090359552, 3.564407266095, 3.568759419544,
                  3.569691609801, 3.569891259378]


# ---------------------------------------------------------------------------------------------
# periodic Schur multipliers
# ---------------------------------------------------------------------------------------------
def conjugated_cycle(blocks, seed=0):
    """J_j = Q_{j+1} T_j Q_jᵀ with random orthogonal Q_j (Q_k = Q_0): the product is
    Q_0 T_k ··· T_1 Q_0ᵀ, so for (block) triangular T_j its multipliers are known in closed
    form whatever the product's size."""
    k, n, _ = blocks.shape
    Q = ortho_group.rvs(n, size=k, random_state=seed) if n > 1 else np.ones((k, 1, 1))
    return np.array([Q[(j + 1) % k] @ blocks[j] @ Q[j].T for j in range(k)])


def test_matches_the_formed_product_where_it_is_well_conditioned():
    rng = np.random.default_rng(0)
    for n, k in [(2, 1), (2, 5), (3, 8), (5, 3), (4, 12)]:
        J = rng.standard_normal((k, n, n))
        M = np.eye(n)
        for Jj in J:
            M = Jj @ M
        reference = np.linalg.eigvals(M)
        mu, logs = periodic_multipliers(J)
        # every reference eigenvalue has a computed one within 1e-11 relative
        for value in reference:
            assert np.min(np.abs(mu - value)) <= 1e-11 * np.max(np.abs(reference))
        np.testing.assert_allclose(np.exp(logs), np.abs(mu), rtol=1e-12)


def test_period_64_product_far_below_underflow_has_exact_log_moduli():
    # triangular T_j with diagonal e^{-12}, e^{-4}, e^{+0.1}: the product's moduli are
    # e^{-768}, e^{-256}, e^{6.4}; the formed product underflows (two multipliers lost). The
    # tolerance is the conditioning: a relative perturbation eps of each factor moves the
    # smallest log-modulus by about eps |T_j| / e^{-12} per factor.
    rng = np.random.default_rng(1)
    k = 64
    T = 0.1 * np.triu(rng.standard_normal((k, 3, 3)), 1)
    diagonal = np.array([-12.0, -4.0, 0.1])
    signs = np.array([-1.0, 1.0, -1.0])
    for j in range(k):
        T[j][np.diag_indices(3)] = np.exp(diagonal) * (signs if j == 0 else 1.0)
    J = conjugated_cycle(T, seed=2)
    mu, logs = periodic_multipliers(J)
    np.testing.assert_allclose(logs, k * diagonal[::-1], rtol=0, atol=1e-9)
    assert mu[0].real == pytest.approx(-math.exp(6.4), rel=1e-11)
    assert mu[1].real == pytest.approx(math.exp(-256.0), rel=1e-8, abs=0)
    assert mu[2].real == 0.0                                # below the smallest double
    M = np.eye(3)
    for Jj in J:
        M = Jj @ M
    formed = np.sort(np.abs(np.linalg.eigvals(M)))
    assert formed[0] == 0.0 or abs(math.log(formed[0]) - logs[2]) > 1.0  # the product fails


def test_two_dimensional_cycle_with_multipliers_1e_minus_300_and_1():
    k = 50
    T = np.zeros((k, 2, 2))
    T[:, 0, 0] = 1.0
    T[:, 1, 1] = 10.0 ** -6                      # product 1e-300
    T[:, 0, 1] = np.linspace(-3.0, 3.0, k)       # non-normal coupling
    J = conjugated_cycle(T, seed=3)
    mu, logs = periodic_multipliers(J)
    assert mu[0].real == pytest.approx(1.0, rel=1e-12)
    # the conditioning: |T_j| / T_j[1, 1] ≈ 3e6 per factor, so about 1e-9 relative
    assert mu[1].real == pytest.approx(1e-300, rel=1e-8, abs=0)
    assert logs[1] == pytest.approx(-300 * math.log(10), rel=0, abs=1e-8)


def test_complex_pair_from_rotations():
    k = 40
    rng = np.random.default_rng(4)
    angles = rng.uniform(0.1, 0.5, k)
    radii = np.exp(rng.uniform(-0.3, 0.1, k))
    T = np.zeros((k, 3, 3))
    for j in range(k):
        c, s = math.cos(angles[j]), math.sin(angles[j])
        T[j, :2, :2] = radii[j] * np.array([[c, -s], [s, c]])
        T[j, 2, 2] = 1e-3
        T[j, :2, 2] = rng.standard_normal(2)
    mu, logs = periodic_multipliers(conjugated_cycle(T, seed=5))
    expected = np.prod(radii) * np.exp(1j * np.sum(angles))
    pair = sorted(mu[:2], key=lambda z: z.imag)
    np.testing.assert_allclose(pair, sorted([expected, expected.conjugate()],
                                            key=lambda z: z.imag), rtol=1e-11)
    assert logs[2] == pytest.approx(k * math.log(1e-3), rel=1e-13)


def test_logistic_64_cycle_multiplier_against_log_derivatives():
    lg = logistic()
    cascade = ms.period_doubling_cascade(lg, "r", [1 - 1 / 2.8], 2.8, (2.8, 3.5699),
                                         max_period=64)
    last = cascade[-1]
    cycle, p = last.cycles[-1][:, 0], last.params[-1]
    derivatives = p * (1 - 2 * cycle)
    mu, logs = periodic_multipliers(derivatives[:, None, None])
    assert logs[0] == pytest.approx(np.sum(np.log(np.abs(derivatives))), rel=1e-13)
    assert last.eigenvalues[-1][0].real == pytest.approx(mu[0].real, rel=1e-12)


def test_bad_jacobians_are_named_errors():
    assert_named_error(lambda: periodic_multipliers(np.ones((3, 2))), dr.ShapeError,
                       "jacobians", "(k, n, n)")
    assert_named_error(lambda: periodic_multipliers(np.full((2, 2, 2), np.nan)),
                       dr.InvalidInputError, "jacobians", "non-finite")
    assert_named_error(lambda: periodic_multipliers(np.ones((2, 2, 2)), max_sweeps=0),
                       dr.InvalidInputError, "max_sweeps", "positive integer")


# ---------------------------------------------------------------------------------------------
# the structured bordered solve
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("k, n", [(1, 1), (1, 3), (2, 2), (4, 1), (7, 3), (64, 2), (16, 32)])
@pytest.mark.parametrize("wrap", [-1.0, 1.0])
def test_structured_solve_equals_the_dense_solve(k, n, wrap):
    rng = np.random.default_rng(k * 100 + n)
    J = 1.5 * rng.standard_normal((k, n, n))
    G, C = rng.standard_normal((k, n)), rng.standard_normal((k, n))
    c_p = float(rng.standard_normal())
    rhs = rng.standard_normal((k * n + 1, 2))
    A = dense_cyclic_bordered(J, G, C, c_p, wrap)
    y, sign = solve_cyclic_bordered(J, G, C, c_p, rhs, wrap)
    dense = np.linalg.solve(A, rhs)
    assert np.max(np.abs(y - dense)) <= 1e-12 * np.max(np.abs(dense)) * max(
        1.0, np.linalg.cond(A) / 1e3)
    assert sign == np.linalg.slogdet(A)[0]
    single, _ = solve_cyclic_bordered(J, G, C, c_p, rhs[:, 0], wrap)
    np.testing.assert_allclose(single, y[:, 0], rtol=1e-10, atol=1e-12)


def test_structured_solve_of_an_unstable_cycle_stays_accurate():
    # a 64-cycle with multipliers 2^64 and 2^-64 per point... the shooting matrix itself is
    # well conditioned, and the orthogonal elimination keeps it so
    k = 64
    J = np.array([[[2.0, 1.0], [0.0, 0.5]]] * k)
    G, C = np.ones((k, 2)), np.zeros((k, 2))
    rhs = np.arange(2 * k + 1, dtype=float)
    A = dense_cyclic_bordered(J, G, C, 1.0)
    y, _ = solve_cyclic_bordered(J, G, C, 1.0, rhs)
    np.testing.assert_allclose(A @ y, rhs, rtol=0, atol=1e-11 * np.max(np.abs(rhs)))


def test_singular_system_raises_linalg_error():
    n = 2
    J = np.eye(n)[None]                    # a fixed point of the identity: J - I = 0
    with pytest.raises(np.linalg.LinAlgError):
        solve_cyclic_bordered(J, np.zeros((1, n)), np.zeros((1, n)), 1.0, np.ones(n + 1))


def test_continuation_with_the_structured_solve_equals_the_dense_one(monkeypatch):
    lg = logistic()
    dense = ms.period_doubling_cascade(lg, "r", [1 - 1 / 2.8], 2.8, (2.8, 3.565), max_period=8)
    monkeypatch.setattr(ms, "_dense_is_faster", lambda k, n: False)
    structured = ms.period_doubling_cascade(lg, "r", [1 - 1 / 2.8], 2.8, (2.8, 3.565),
                                            max_period=8)
    assert [b.period for b in structured] == [1, 2, 4, 8]
    for a, b in zip(dense, structured):
        assert a.bifurcations[0].param == pytest.approx(b.bifurcations[0].param, abs=1e-12)


def test_flip_vectors_solve_the_anti_periodic_system():
    lg = logistic()
    cascade = ms.period_doubling_cascade(lg, "r", [1 - 1 / 2.8], 2.8, (2.8, 3.565),
                                         max_period=8)
    pd = cascade[-1].bifurcations[0]
    cycle, v = pd.extra["cycle"], pd.extra["eigenvectors"]
    k = cycle.shape[0]
    J = pd.param * (1 - 2 * cycle[:, 0])
    for j in range(k):
        expected = J[j] * v[j, 0] if j < k - 1 else -J[j] * v[j, 0]
        assert v[(j + 1) % k, 0] == pytest.approx(expected, rel=1e-8, abs=1e-12)


# ---------------------------------------------------------------------------------------------
# switch_branch through cascades
# ---------------------------------------------------------------------------------------------
def logistic():
    x, r = sp.symbols("x r")
    return dr.Map.from_sympy([r * x * (1 - x)], [x], {r: 2.8})


def henon():
    x, y, a, b = sp.symbols("x y a b")
    return dr.Map.from_sympy([1 - a * x**2 + y, b * x], [x, y], {a: 0.2, b: 0.3})


def cascade_by_switching(branch, max_period):
    """Repeated switch_branch at the first flip: the branches of periods k, 2k, ..."""
    branches = [branch]
    while branch.period < max_period:
        flips = [b for b in branch.bifurcations if b.kind.value == "PD"]
        assert flips, f"no flip on the period-{branch.period} branch"
        branch = dr.switch_branch(branch, flips[0])
        assert branch.success, branch.message
        branches.append(branch)
    return branches


def independent_flip(system, name, bifurcation, half_width):
    """The flip by an independent route: Newton on F^k (the formed product of the checked
    public Jacobians) for the k-cycle at each parameter, and Brent's method on the real
    multiplier nearest −1, plus one."""
    k = bifurcation.period
    x0 = np.asarray(bifurcation.x, dtype=float)

    def shifted_multiplier(q):
        m = system.with_params({name: q})
        y = x0.copy()
        for _ in range(40):
            z, M = y, np.eye(y.shape[0])
            for _ in range(k):
                M = m.jacobian(z) @ M
                z = m.step(z)
            if np.max(np.abs(z - y)) < 1e-15:
                break
            y = y - np.linalg.solve(M - np.eye(y.shape[0]), z - y)
        mu = np.linalg.eigvals(M)
        return float(mu[np.argmin(np.abs(mu + 1))].real) + 1.0

    p = bifurcation.param
    return brentq(shifted_multiplier, p - half_width, p + half_width, xtol=1e-15)


def test_switch_branch_follows_the_logistic_cascade_to_period_64():
    lg = logistic()
    fixed = dr.continuation(lg, "r", [1 - 1 / 2.8], (2.8, 3.5699))
    branches = cascade_by_switching(fixed, 64)
    assert [b.period for b in branches] == [1, 2, 4, 8, 16, 32, 64]
    flips = [next(f for f in b.bifurcations if f.kind.value == "PD") for b in branches]
    r = np.array([f.param for f in flips])
    np.testing.assert_allclose(r, LOGISTIC_FLIPS, rtol=0, atol=1e-10)
    delta = (r[-2] - r[-3]) / (r[-1] - r[-2])
    assert abs(delta - FEIGENBAUM_DELTA) < 5e-3            # three digits: 4.67
    last = branches[-1]
    assert last.period == 64 and last.states.shape[1] == 1 and last.tangents.shape[1] == 2
    # every flip of the logistic cascade is supercritical (a stable doubled cycle)
    assert [f.criticality for f in flips] == ["supercritical"] * 7
    for f in flips[3:]:
        assert f.extra["method"] == "multiple shooting"
        assert np.min(np.abs(f.eigenvalues + 1.0)) < 1e-9


@pytest.mark.slow
def test_switch_branch_follows_the_henon_cascade_to_period_32_against_newton_on_f_k():
    h = henon()
    xs = (-0.7 + math.sqrt(0.49 + 0.8)) / 0.4
    fixed = dr.continuation(h, "a", [xs, 0.3 * xs], (0.2, 1.06))
    branches = cascade_by_switching(fixed, 32)
    assert [b.period for b in branches] == [1, 2, 4, 8, 16, 32]
    flips = [next(f for f in b.bifurcations if f.kind.value == "PD") for b in branches]
    assert flips[0].param == pytest.approx(3 * 0.7**2 / 4, abs=1e-12)
    for f in flips[1:]:
        assert f.param == pytest.approx(independent_flip(h, "a", f, 1e-6), abs=1e-10)
    # the same points as the shooting cascade
    shooting = dr.period_doubling_cascade(h, "a", [xs, 0.3 * xs], 0.2, (0.2, 1.06),
                                          max_period=32)
    np.testing.assert_allclose([f.param for f in flips],
                               [b.bifurcations[0].param for b in shooting], atol=1e-10)


def tanh_network():
    """A 2-unit tanh network h ↦ tanh(W h + b) with a period-doubling cascade in b[0]."""
    return dr.RNN([[3.7, 7.0], [-1.65, -2.0]], b=[1.22, 0.03], activation="tanh")


@pytest.mark.slow
def test_switch_branch_follows_a_tanh_network_cascade_to_period_32():
    net = tanh_network()
    h = np.array([0.1, 0.1])
    for _ in range(3000):                  # the attracting 4-cycle at b[0] = 1.22
        h = net.step(h)
    four = dr.continuation(net, "b[0]", h, (1.125, 1.22), period=4, direction="backward")
    branches = cascade_by_switching(four, 32)
    assert [b.period for b in branches] == [4, 8, 16, 32]
    flips = [next(f for f in b.bifurcations if f.kind.value == "PD") for b in branches]
    b0 = np.array([f.param for f in flips])
    assert np.all(np.diff(b0) < 0)                  # the cascade runs down in b[0]
    for f in flips:
        assert f.param == pytest.approx(independent_flip(net, "b[0]", f, 1e-6), abs=1e-10)
    ratios = (b0[:-2] - b0[1:-1]) / (b0[1:-1] - b0[2:])
    assert 3.5 < ratios[-1] < 5.5                   # on its way to Feigenbaum's δ


def test_switch_branch_network_doubled_cycle_is_a_cycle_of_the_network():
    net = tanh_network()
    h = np.array([0.1, 0.1])
    for _ in range(3000):
        h = net.step(h)
    four = dr.continuation(net, "b[0]", h, (1.15, 1.22), period=4, direction="backward")
    eight = dr.switch_branch(four, four.bifurcations[0])
    assert eight.period == 8 and eight.success
    far = np.abs(eight.params - four.bifurcations[0].param) > 0.01
    assert np.count_nonzero(far) >= 3
    for b, x in zip(eight.params[far], eight.states[far]):
        m = net.with_params({"b[0]": b})
        y = x
        for _ in range(8):
            y = m.step(y)
        np.testing.assert_allclose(y, x, atol=1e-10)
        for _ in range(4):
            x = m.step(x)
        assert np.max(np.abs(y - x)) > 1e-4         # not the 4-cycle traversed twice


# ---------------------------------------------------------------------------------------------
# folds and Neimark–Sacker points along cycles (test functions of the periodic multipliers)
# ---------------------------------------------------------------------------------------------
def test_fold_of_the_logistic_three_cycle_at_one_plus_sqrt_8():
    lg = logistic()
    r = 3.84
    x = 0.5
    m = lg.with_params({"r": r})
    for _ in range(2000):
        x = float(m.step([x])[0])
    cycle = [[x]]
    for _ in range(2):
        cycle.append([float(m.step(cycle[-1])[0])])
    branch = ms.continue_cycle(lg, "r", cycle, r, (3.8, 3.84), direction="backward")
    folds = [b for b in branch.bifurcations if b.kind.value == "LP"]
    assert len(folds) == 1 and branch.period == 3
    assert folds[0].param == pytest.approx(1 + math.sqrt(8), abs=1e-10)
    assert np.min(np.abs(folds[0].eigenvalues - 1.0)) < 1e-8


@pytest.mark.parametrize("period", [1, 2])
def test_neimark_sacker_of_the_delayed_logistic_map_at_r_2(period):
    # x' = r x (1 - y), y' = x: the fixed point (1 - 1/r, 1 - 1/r) has multipliers
    # (1 ± i sqrt(3)) / 2 at r = 2 (angle π/3); as a 2-cycle (the point twice), their squares
    x, y, r = sp.symbols("x y r")
    delayed = dr.Map.from_sympy([r * x * (1 - y), x], [x, y], {r: 1.8})
    point = [1 - 1 / 1.8] * 2
    branch = ms.continue_cycle(delayed, "r", [point] * period, 1.8, (1.8, 2.1))
    ns = [b for b in branch.bifurcations if b.kind.value == "NS"]
    assert len(ns) == 1
    assert ns[0].param == pytest.approx(2.0, abs=1e-10)
    assert ns[0].angle == pytest.approx(period * math.pi / 3, abs=1e-8)
    # supercritical (Kuznetsov's example); the doubled point sits at e^{2πi/3}, a 1:3
    # resonance, where the first Lyapunov coefficient is not defined
    assert ns[0].criticality == ("supercritical" if period == 1 else None)
