"""Internal fast-path hooks of the map interface agree with the public, validated calls."""
import numpy as np

import dynrnn as dr
from tests import problems as P


def test_fused_step_and_derivatives_equal_the_separate_calls():
    """The internal hook used by continuation (one lambdified call for F, ∂F/∂x, ∂F/∂θ)."""
    import sympy as sp
    x, y, uu, a, c = sp.symbols("x y u a c")
    m = dr.Map.from_sympy([a * sp.sin(x) + y * uu, c * x**2 + 1], [x, y], {a: 1.2, c: 0.5},
                          inputs=[uu])
    X = np.random.default_rng(3).standard_normal((4, 3, 2))
    u = np.array([0.7])
    for names in (["a", "c"], ["c"], ["c", "a"]):
        F, J, Pj = m._step_and_derivatives(X, names, u)
        np.testing.assert_allclose(F, m.step(X, u), atol=1e-15)
        np.testing.assert_allclose(J, m.jacobian(X, u), atol=1e-15)
        np.testing.assert_allclose(Pj, m.param_jacobian(X, names, u), atol=1e-15)
    net = P.random_tanh_net(3, 1.0)
    F, J, Pj = net._step_and_derivatives(X[..., :1].repeat(3, -1), ["b[0]"], None)
    assert F.shape == (4, 3, 3) and J.shape == (4, 3, 3, 3) and Pj.shape == (4, 3, 3, 1)
