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
