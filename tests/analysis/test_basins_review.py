"""dr.basins against a reviewer's findings: chaotic orbits that pass near an unstable fixed point
are not "on" it, the share on unstable sets is visible, the table carries the intervals, the
Hénon exponent at the default settings, and slow algebraic convergence at a degenerate
bifurcation is not quasi-periodic."""
import numpy as np
import pytest

import dynrnn as dr
from dynrnn.analysis.basins import ON_UNSTABLE, UNRESOLVED
from tests.analysis.finite_results import every_result_finite  # noqa: F401 (checks every result)
from tests.problems import logistic_map


def test_table_has_the_wilson_intervals_of_the_fractions():
    net = dr.RNN([[2.0, 0.3], [-0.2, 2.0]], activation="tanh")
    result = dr.basins(net, n_samples=200, box=([-1, -1], [1, 1]), progress=False,
                       boundaries=False)
    records = result.to_records()
    assert len(records) == result.n_attractors >= 2
    np.testing.assert_array_equal([r["fraction_lower"] for r in records], result.intervals[:, 0])
    np.testing.assert_array_equal([r["fraction_upper"] for r in records], result.intervals[:, 1])
    # the Wilson interval of each count, computed here from its formula (z for 95 %)
    z = 1.959963984540054
    for record in records:
        p, n = record["fraction"], result.n_initial
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        np.testing.assert_allclose([record["fraction_lower"], record["fraction_upper"]],
                                   [centre - half, centre + half], rtol=1e-12)
    html = result._repr_html_()
    assert "fraction_lower" in html and "fraction_upper" in html
    structured = result.to_records(structured=True)
    np.testing.assert_array_equal(structured["fraction_upper"], result.intervals[:, 1])


def plain_logistic_orbits(r, x0, n_steps):
    """Plain numpy iteration of x -> r x (1 - x) (no dynrnn); whether each orbit ever sits on a
    fixed point (0 or 1 - 1/r) exactly, x_{t+1} == x_t in floating point."""
    x = np.array(x0, dtype=np.float64)
    sits = np.zeros(x.shape, bool)
    for _ in range(n_steps):
        new = r * x * (1 - x)
        sits |= new == x
        x = new
    return sits


def shares_add_up(result):
    total = result.fractions.sum() + result.unresolved_fraction + result.on_unstable_fraction
    assert abs(total - 1.0) < 1e-12


@pytest.mark.parametrize("r", [4.0, 3.7, 3.9, 3.99])
def test_chaotic_orbits_passing_an_unstable_fixed_point_are_chaotic(r):
    result = dr.basins(logistic_map(r), n_samples=300, box=([0.01], [0.99]), progress=False,
                       boundaries=False)
    kinds = [a.kind for a in result]
    assert kinds == [dr.AttractorKind.CHAOTIC]
    sits = plain_logistic_orbits(r, result.initial_states[:, 0], 3000)
    # r = 4: before the fix 7 of these 300 orbits passed within 1e-4 of the unstable fixed
    # point 0 (down to 1e-10) and were labelled -2; none of them sits there
    assert not np.any(sits)
    np.testing.assert_array_equal(result.labels, 0)
    assert result.on_unstable_fraction == 0 and result.fractions.tolist() == [1.0]
    shares_add_up(result)
    assert "on unstable sets" not in repr(result)


def test_exact_landings_on_the_unstable_fixed_points_are_on_unstable_and_shown():
    # r = 4: 0.5 -> 1 -> 0 and 0.25 -> 0.75 exactly in floating point; 0 and 0.75 are unstable
    # fixed points, so those orbits sit there for ever
    rng = np.random.default_rng(1)
    x0 = np.concatenate([[0.5, 0.25, 1.0, 0.0, 0.75], rng.uniform(0.01, 0.99, 95)])
    result = dr.basins(logistic_map(4.0), x0[:, None], progress=False, boundaries=False)
    sits = plain_logistic_orbits(4.0, x0, 3000)
    assert sits[:5].all()
    np.testing.assert_array_equal(result.labels, np.where(sits, ON_UNSTABLE, 0))
    assert result.on_unstable_fraction == sits.mean() >= 0.05
    shares_add_up(result)
    assert f"on unstable sets {sits.mean():.3f}" in repr(result)


def test_algebraic_convergence_at_the_pitchfork_is_unresolved_not_quasi_periodic():
    # x -> tanh(x) at the pitchfork w = 1: every orbit creeps to 0 like sqrt(3 / (2 t)), so
    # after thousands of steps it has not settled; before the fix this was two
    # "quasi-periodic" attractors at ±0.027
    net = dr.RNN([[1.0]], activation="tanh")
    result = dr.basins(net, n_samples=300, box=([-2.0], [2.0]), progress=False)
    assert dr.AttractorKind.QUASI_PERIODIC not in result.kinds
    assert dr.AttractorKind.CHAOTIC not in result.kinds
    assert result.status is dr.BasinsStatus.UNRESOLVED
    # independently, plain numpy: which orbits have not met the settling test
    # |x - tanh x| <= settle_tol (1 + |x|) within max_steps (+ the last check's 16 steps)
    options = dr.BasinsOptions()
    x = result.initial_states[:, 0].copy()
    settled = np.zeros(x.size, bool)
    for _ in range(options.max_steps + options.max_period):
        x = np.tanh(x)
        settled |= np.abs(np.tanh(x) - x) <= options.settle_tol * (1 + np.abs(x))
    assert np.count_nonzero(~settled) > 250
    np.testing.assert_array_equal(result.labels[~settled], UNRESOLVED)
    assert result.unresolved_fraction == np.mean(~settled)
    assert f"{np.count_nonzero(~settled):,} initial state(s) unresolved because their orbits " \
           "were still converging" in result.note
    shares_add_up(result)


def test_still_converging_tells_creeping_orbits_from_rotations_and_chaos():
    from dynrnn.analysis.basins import still_converging
    t = np.arange(3000.0)
    creeping = np.sqrt(3 / (2 * (t + 2000)))[:, None]            # x -> tanh x, algebraically
    spiral = 0.3 * 0.9995 ** t[:, None] * np.stack([np.cos(t), np.sin(t)], axis=1)
    rotation = np.stack([np.cos(t), np.sin(t)], axis=1)        # quasi-periodic: keeps its size
    x = np.empty(3000)
    x[0] = 0.3
    for i in range(1, 3000):                                    # chaotic: logistic r = 4
        x[i] = 4 * x[i - 1] * (1 - x[i - 1])
    assert still_converging(creeping, 16) and still_converging(spiral, 16)
    assert not still_converging(rotation, 16) and not still_converging(x[:, None], 16)


def henon_largest_exponent_by_hand(a=1.4, b=0.3, n_orbits=16, n_steps=20000, seed=5):
    """λ₁ of the Hénon map by a two-vector Gram–Schmidt (QR) iteration written here in plain
    numpy (not dr.lyapunov_spectrum), averaged over ``n_orbits`` orbits; and λ₁ + λ₂, which
    must be log b (the Jacobian's determinant is -b)."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-0.1, 0.1, n_orbits), rng.uniform(-0.1, 0.1, n_orbits)
    for _ in range(1000):
        x, y = 1 - a * x * x + y, b * x
    v1 = np.tile([1.0, 0.0], (n_orbits, 1))
    v2 = np.tile([0.0, 1.0], (n_orbits, 1))
    sums = np.zeros((2, n_orbits))
    for _ in range(n_steps):
        w1 = np.stack([-2 * a * x * v1[:, 0] + v1[:, 1], b * v1[:, 0]], axis=1)
        w2 = np.stack([-2 * a * x * v2[:, 0] + v2[:, 1], b * v2[:, 0]], axis=1)
        x, y = 1 - a * x * x + y, b * x
        n1 = np.linalg.norm(w1, axis=1)
        v1 = w1 / n1[:, None]
        w2 = w2 - np.sum(w2 * v1, axis=1)[:, None] * v1
        n2 = np.linalg.norm(w2, axis=1)
        v2 = w2 / n2[:, None]
        sums += np.log([n1, n2])
    exponents = sums.mean(axis=1) / n_steps
    return exponents[0], exponents.sum()


def test_henon_exponent_at_the_default_settings_is_within_0_005_of_a_long_computation():
    from tests.problems import henon_map
    reference, total = henon_largest_exponent_by_hand()
    assert abs(total - np.log(0.3)) < 1e-9
    # 320,000 steps: 0.4190 ± 0.0004 (J. C. Sprott, Chaos and Time-Series Analysis: 0.41922)
    assert abs(reference - 0.4192) < 0.0015
    # before: one orbit of 3000 steps, 0.411 to 0.437 with the seed (0.4126 in a review)
    for seed in range(3):
        result = dr.basins(henon_map(), n_samples=300, box=([-1.5, -0.5], [1.5, 0.5]),
                           seed=seed, boundaries=False, progress=False)
        chaotic = next(a for a in result if a.kind is dr.AttractorKind.CHAOTIC)
        assert abs(chaotic.lyapunov - reference) < 0.005


def test_logistic_grid_at_r4_marks_exactly_the_points_that_land_on_0_or_0_75():
    result = dr.basins(logistic_map(4.0), grid=301, box=([0.0], [1.0]), progress=False)
    grid = result.grid[0]
    sits = plain_logistic_orbits(4.0, grid, 3000)
    # 0, 0.25 (-> 0.75), 0.5 (-> 1 -> 0), 0.75, 1 (-> 0): the grid points that land exactly
    np.testing.assert_array_equal(grid[sits], [0.0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_array_equal(result.labels, np.where(sits, ON_UNSTABLE, 0))
    assert "on unstable sets 0.017 (5 state(s))" in repr(result)
    shares_add_up(result)


def test_the_degenerate_flip_of_the_logistic_map_is_unresolved_not_quasi_periodic():
    # r = 3: the fixed point 1 - 1/r has multiplier -1 and attracts algebraically (was one
    # "quasi-periodic" attractor holding 98 % of the grid)
    result = dr.basins(logistic_map(3.0), grid=101, box=([0.0], [1.0]), progress=False)
    assert result.n_attractors == 0 and result.status is dr.BasinsStatus.UNRESOLVED
    # 0 and 1 (-> 0) land on the unstable fixed point 0; every other orbit creeps to 2/3
    np.testing.assert_array_equal(result.grid[0][result.labels == ON_UNSTABLE], [0.0, 1.0])
    assert result.unresolved_fraction == 99 / 101 and "99 initial state(s)" in result.note


@pytest.mark.parametrize("w", [0.999, -0.998])
def test_slow_geometric_convergence_is_the_fixed_point_not_unresolved(w):
    # x -> w tanh(x) with |w| just below 1: 0 attracts every orbit, at the rate |w| per step,
    # too slowly to settle within max_steps; the orbits still head for a hyperbolic fixed
    # point, which Newton finds: one fixed point (closed form: 0, multiplier w), every state
    # in its basin. Before, every state was left unresolved.
    net = dr.RNN([[w]], activation="tanh")
    result = dr.basins(net, n_samples=200, box=([-2.0], [2.0]), progress=False)
    assert result.status is dr.BasinsStatus.COMPLETE
    (attractor,) = result.attractors
    assert attractor.kind is dr.AttractorKind.FIXED_POINT and attractor.refined
    # Newton stops on the residual |F(x) - x| = |w - 1| |x| to first order, so the location
    # is as exact as the residual over the condition 1 - |w| allows
    assert attractor.residual <= 1e-10
    assert abs(attractor.x[0]) <= 2 * attractor.residual / (1 - abs(w)) + 1e-15
    np.testing.assert_allclose(attractor.multipliers, [w], atol=1e-12)
    np.testing.assert_array_equal(result.labels, 0)
    # independently: the orbits really had not settled by the library's own test
    options = dr.BasinsOptions()
    x = result.initial_states[:, 0].copy()
    for _ in range(options.max_steps):
        x = w * np.tanh(x)
    assert np.count_nonzero(np.abs(w * np.tanh(x) - x) > options.settle_tol * (1 + np.abs(x))) \
        > 150
    shares_add_up(result)


def test_slowly_converging_two_cycle_just_past_the_flip_is_that_cycle():
    # the logistic map at r = 3.0005: the 2-cycle born at the flip r = 3 attracts with the
    # multiplier 4 + 2r - r² = 0.998, so orbits approach it too slowly to settle; it is
    # found by Newton from their trail, with the closed-form points and multiplier
    r = 3.0005
    result = dr.basins(logistic_map(r), n_samples=200, box=([0.05], [0.95]), progress=False)
    cycles = [a for a in result.attractors if a.kind is dr.AttractorKind.CYCLE]
    assert len(cycles) == 1 and cycles[0].period == 2 and cycles[0].refined
    d = np.sqrt((r + 1) * (r - 3))
    np.testing.assert_allclose(np.sort(cycles[0].states[:, 0]),
                               [(r + 1 - d) / (2 * r), (r + 1 + d) / (2 * r)], atol=1e-12)
    np.testing.assert_allclose(cycles[0].multipliers, [4 + 2 * r - r * r], atol=1e-10)
    index = result.attractors.index(cycles[0])
    assert result.fractions[index] >= 0.95
    shares_add_up(result)


def test_a_non_hyperbolic_point_does_not_take_the_creeping_orbits():
    # at the pitchfork the orbits creep to 0 but its multiplier is 1: Newton's point is not
    # hyperbolic, so the orbits are not given to it
    net = dr.RNN([[1.0]], activation="tanh")
    result = dr.basins(net, n_samples=200, box=([-2.0], [2.0]), progress=False)
    assert result.unresolved_fraction > 0.9


def _rotation_network(r: float, angle: float = 1.0) -> dr.RNN:
    c, s = np.cos(angle), np.sin(angle)
    return dr.RNN(r * np.array([[c, -s], [s, c]]), b=[0.0, 0.0])


def test_a_slow_stable_focus_is_its_fixed_point_not_quasi_periodic():
    # x -> 0.9999 R(1) tanh(x): the origin is a stable focus with |μ| = 0.9999 (closed form),
    # orbits spiral onto it too slowly to settle or to halve within the cloud; before, the
    # spiral was called quasi-periodic (λ₁ ≈ -3e-4)
    result = dr.basins(_rotation_network(0.9999), box=([-1.5, -1.5], [1.5, 1.5]),
                       n_samples=60, progress=False)
    (attractor,) = result.attractors
    assert attractor.kind is dr.AttractorKind.FIXED_POINT and attractor.refined
    np.testing.assert_allclose(attractor.x, 0.0, atol=1e-9)
    np.testing.assert_allclose(np.abs(attractor.multipliers), 0.9999, atol=1e-12)
    np.testing.assert_allclose(np.abs(np.angle(attractor.multipliers)), 1.0, atol=1e-12)
    assert result.status is dr.BasinsStatus.COMPLETE
    shares_add_up(result)


def test_exactly_at_the_neimark_sacker_point_the_spiral_is_unresolved():
    # r = 1: the origin is not hyperbolic (|μ| = 1) and attracts only through the cubic term,
    # algebraically; the orbits are still converging, not quasi-periodic and not the point
    result = dr.basins(_rotation_network(1.0), box=([-1.5, -1.5], [1.5, 1.5]), n_samples=60,
                       progress=False)
    assert dr.AttractorKind.QUASI_PERIODIC not in result.kinds
    assert result.unresolved_fraction == 1.0


def test_the_circle_past_the_neimark_sacker_point_stays_quasi_periodic():
    result = dr.basins(_rotation_network(1.1), box=([-1.5, -1.5], [1.5, 1.5]), n_samples=60,
                       progress=False)
    kinds = [a.kind for a in result.attractors]
    assert kinds == [dr.AttractorKind.QUASI_PERIODIC]
    assert abs(result.attractors[0].lyapunov) < 1e-3


def test_a_value_just_before_the_neimark_sacker_point_does_not_hide_it():
    # along r = 0.9 + 0.2 s with a value at r = 0.9999: that value's focus was called
    # quasi-periodic and matched to the circle beyond r = 1, so no NS event was reported
    line = dr.LineBetween(_rotation_network(0.9), _rotation_network(1.1))
    values = np.array([0.0, (0.9999 - 0.9) / 0.2, 1.0])
    result = dr.global_continuation(line.at(0.0), line, values,
                                    box=([-1.5, -1.5], [1.5, 1.5]), n_samples=100,
                                    progress=False)
    (event,) = result.events
    assert event.cause is dr.AttractorEventCause.NEIMARK_SACKER
    assert event.interval == (values[1], 1.0)
    assert abs(event.param - 0.5) < 1e-6          # r = 1 exactly
