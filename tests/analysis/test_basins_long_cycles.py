"""dr.basins on stable cycles longer than options.max_period: a cloud whose largest Lyapunov
exponent is clearly negative (or any cloud of a 1-D map, which has no quasi-periodic attractor)
is a cycle, found in the cloud and refined by Newton, never "quasi-periodic"."""
import numpy as np
import pytest
import sympy as sp

import dynrnn as dr
from dynrnn.analysis.basins import Catalogue
from tests.analysis.finite_results import every_result_finite  # noqa: F401 (checks every result)
from tests.problems import logistic_map

BOX = ([0.01], [0.99])


def numpy_cycle(r: float, n_steps: int = 100_000) -> np.ndarray:
    """The attracting cycle of the logistic map at r, by plain iteration: n_steps steps from
    x = 0.3, then the least period k with |x_k - x_0| <= 1e-9; returns its k points."""
    x = 0.3
    for _ in range(n_steps):
        x = r * x * (1.0 - x)
    orbit = [x]
    for _ in range(1000):
        x = r * x * (1.0 - x)
        orbit.append(x)
    orbit = np.array(orbit)
    period = next(k for k in range(1, 1000) if abs(orbit[k] - orbit[0]) <= 1e-9)
    return orbit[:period]


def test_logistic_long_cycle_is_a_refined_cycle():
    r = 3.634
    expected = numpy_cycle(r)
    assert expected.size > dr.BasinsOptions().max_period     # longer than max_period (18)
    result = dr.basins(logistic_map(r), n_samples=32, box=BOX, seed=0, boundaries=False,
                       progress=False)
    assert result.kinds == (dr.AttractorKind.CYCLE,)
    assert result.unresolved_fraction == 0 and result.fractions.tolist() == [1.0]
    cycle = result.attractors[0]
    assert cycle.period == expected.size and cycle.refined and cycle.stable
    assert cycle.residual <= 1e-10
    np.testing.assert_allclose(np.sort(cycle.states[:, 0]), np.sort(expected), atol=1e-8)
    # the multiplier: the product of F'(x) = r (1 - 2x) along the numpy orbit
    multiplier = np.prod(r * (1.0 - 2.0 * expected))
    assert abs(multiplier) < 1
    np.testing.assert_allclose(cycle.multipliers.real, [multiplier], atol=1e-8)
    np.testing.assert_allclose(cycle.multipliers.imag, 0.0, atol=1e-12)
    np.testing.assert_allclose(cycle.lyapunov, np.log(abs(multiplier)) / expected.size,
                               rtol=1e-8)


def test_one_dimensional_map_is_never_quasi_periodic_over_a_sweep():
    options = dr.BasinsOptions(max_steps=600, n_cloud=800, lyapunov_steps=300,
                               lyapunov_orbits=8)
    n_cycles_longer = 0
    # 40 values, and three in narrow windows: a 32-cycle (3.5695), the Feigenbaum point
    # (3.5699456: no cycle, no chaos, left unresolved) and an 18-cycle (3.634)
    for r in np.r_[np.linspace(3.5, 4.0, 40), 3.5695, 3.5699456, 3.634]:
        result = dr.basins(logistic_map(float(r)), n_samples=8, box=BOX, seed=0,
                           boundaries=False, progress=False, options=options)
        assert dr.AttractorKind.QUASI_PERIODIC not in result.kinds, r
        for attractor in result.attractors:
            if attractor.kind is dr.AttractorKind.CYCLE:
                # each cycle is a true stable cycle: closes after its period under the map
                orbit = attractor.states[:, 0]
                image = r * orbit * (1.0 - orbit)
                np.testing.assert_allclose(image, np.roll(orbit, -1), atol=1e-9)
                assert attractor.stable and attractor.refined
                n_cycles_longer += attractor.period > options.max_period
            elif attractor.kind is dr.AttractorKind.CHAOTIC:
                assert attractor.lyapunov > options.chaos_threshold
        if result.unresolved_fraction > 0:
            assert "raise options.max_period" in result.note
    assert n_cycles_longer == 2


def test_unresolved_long_cycle_says_so_and_the_remedy_works():
    # r = 3.633: a 72-cycle (lambda_1 = -0.027); a cloud of 200 states cannot show a period
    # above 50, so the cycle is left unresolved with a note, not called quasi-periodic
    r = 3.633
    expected = numpy_cycle(r)
    assert expected.size == 72
    short = dr.BasinsOptions(max_steps=400, n_cloud=200, lyapunov_steps=300,
                             lyapunov_orbits=8)
    result = dr.basins(logistic_map(r), n_samples=16, box=BOX, seed=0, boundaries=False,
                       progress=False, options=short)
    assert result.n_attractors == 0 and result.unresolved_fraction == 1.0
    assert result.status is dr.BasinsStatus.UNRESOLVED and not result.success
    assert "stable cycle longer than options.max_period = 16" in result.note
    assert "raise options.max_period" in result.note
    # the remedy named in the note: with max_period = 80 the 72-cycle settles and is refined
    longer = dr.BasinsOptions(max_steps=2000, n_cloud=200, max_period=80)
    result = dr.basins(logistic_map(r), n_samples=16, box=BOX, seed=0, boundaries=False,
                       progress=False, options=longer)
    assert [a.period for a in result.attractors] == [72]
    np.testing.assert_allclose(np.sort(result.attractors[0].states[:, 0]), np.sort(expected),
                               atol=1e-8)


@pytest.fixture(scope="module")
def two_state_product():
    """(x, y) -> (r x (1 - x), y / 2): the logistic cycle times a contraction, a 2-state map."""
    x, y, r = sp.symbols("x y r")
    return dr.Map.from_sympy([r * x * (1 - x), y / 2], [x, y], {r: 3.633})


@pytest.mark.parametrize("r, period", [(3.633, 72), (3.634, 18)])
def test_long_cycle_in_two_dimensions(two_state_product, r, period):
    # r = 3.633: lambda_1 = -0.027, clearly negative; r = 3.634: lambda_1 = -0.0063, within
    # chaos_threshold of 0, where only Newton tells the 18-cycle from a quasi-periodic orbit
    expected = numpy_cycle(r)
    assert expected.size == period
    result = dr.basins(two_state_product.with_params({"r": r}), n_samples=16,
                       box=([0.01, -1.0], [0.99, 1.0]), seed=0, boundaries=False,
                       progress=False)
    assert result.kinds == (dr.AttractorKind.CYCLE,) and result.unresolved_fraction == 0
    cycle = result.attractors[0]
    assert cycle.period == period and cycle.residual <= 1e-10
    np.testing.assert_allclose(np.sort(cycle.states[:, 0]), np.sort(expected), atol=1e-8)
    np.testing.assert_allclose(cycle.states[:, 1], 0.0, atol=1e-12)
    # multipliers: the logistic product and 2^-period of the contraction
    moduli = np.sort(np.abs(cycle.multipliers))
    np.testing.assert_allclose(moduli, np.sort([abs(np.prod(r * (1 - 2 * expected))),
                                                0.5 ** period]), rtol=1e-8, atol=1e-30)


def test_rotation_near_a_rational_one_stays_quasi_periodic(monkeypatch):
    # rotation by 2 pi / 21 + 1e-7 with a radial contraction onto r = sqrt(3): the orbit
    # returns within 4e-5 after 21 steps (and every multiple), a candidate period, but there
    # is no cycle for Newton to find: the attractor is the invariant circle, lambda_1 = 0
    x, y, rho, angle = sp.symbols("x y rho angle")
    scale = rho / sp.sqrt(1 + x ** 2 + y ** 2)
    circle = dr.Map.from_sympy([scale * (sp.cos(angle) * x - sp.sin(angle) * y),
                                scale * (sp.sin(angle) * x + sp.cos(angle) * y)], [x, y],
                               {rho: 2.0, angle: 2 * np.pi / 21 + 1e-7})
    tried = []
    newton = Catalogue._newton
    monkeypatch.setattr(Catalogue, "_newton",
                        lambda self, x, period: tried.append(period) or newton(self, x, period))
    result = dr.basins(circle, n_samples=4, box=([-3.0, -3.0], [3.0, 3.0]), seed=2,
                       boundaries=False, progress=False,
                       options=dr.BasinsOptions(max_steps=300, max_attractors=1))
    assert result.kinds == (dr.AttractorKind.QUASI_PERIODIC,)
    assert abs(result.attractors[0].lyapunov) < 1e-6
    assert 21 in tried and 42 in tried          # the candidates were tried and rejected
    np.testing.assert_allclose(np.hypot(*result.attractors[0].states.T), np.sqrt(3.0),
                               atol=1e-6)
