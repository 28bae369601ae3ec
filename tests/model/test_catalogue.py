"""The catalogue's closed forms agree with the issue's reference values."""
import numpy as np
import pytest

from tests import problems as P


@pytest.mark.parametrize("activation, ref", [("sigmoid", P.SIGMOID_FOLDS_W5),
                                             ("tanh", P.TANH_FOLDS_W5)])
def test_closed_form_folds_match_reference(activation, ref):
    np.testing.assert_allclose(P.one_unit_folds(5.0, activation), ref, atol=1e-10)


def test_henon_fixed_points_are_fixed():
    for x, lam in P.henon_fixed_points(1.4, 0.3):
        m = P.henon_map(1.4, 0.3)
        np.testing.assert_allclose(m.step(x), x, atol=1e-14)
        np.testing.assert_allclose(np.sort_complex(np.linalg.eigvals(m.jacobian(x))), lam,
                                   atol=1e-12)
