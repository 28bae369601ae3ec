"""Issue 13 §1, kinds of attractor of a network: a 2-cycle of x -> w tanh(x) (w < -1) refined
by Newton, its points and multiplier against the closed form."""
import numpy as np
import pytest
from scipy.optimize import brentq

import dynrnn as dr
from tests.analysis.finite_results import every_result_finite  # noqa: F401 (checks every result)


@pytest.mark.parametrize("w", [-1.5, -3.0])
def test_two_cycle_of_a_one_unit_network(w):
    # x -> w tanh(x) is odd, so its 2-cycle is ±p with p = -w tanh(p) (p > 0); the 2-step
    # multiplier is (w sech²(p))²; the fixed point 0 (multiplier w) is unstable
    p = brentq(lambda x: x + w * np.tanh(x), 1e-3, 10.0, xtol=1e-15)
    multiplier = (w / np.cosh(p) ** 2) ** 2
    net = dr.RNN([[w]], activation="tanh")
    result = dr.basins(net, grid=201, box=([-4.0], [4.0]), progress=False)
    assert result.n_attractors == 1
    cycle = result.attractors[0]
    assert cycle.kind is dr.AttractorKind.CYCLE and cycle.period == 2 and cycle.refined
    np.testing.assert_allclose(np.sort(cycle.states[:, 0]), [-p, p], atol=1e-12)
    np.testing.assert_allclose(cycle.multipliers.real, [multiplier], atol=1e-12)
    assert cycle.description == "2-cycle" and cycle.stable
    # every grid point but 0 (on the unstable fixed point) falls on the cycle
    assert np.all((result.labels == 0) | (result.grid[0] == 0))
    assert [s.x[0] for s in result.saddles] == pytest.approx([0.0], abs=1e-12)
