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
