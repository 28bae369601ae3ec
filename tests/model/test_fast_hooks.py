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
        F, J, Pj = m.step_and_derivatives(X, names, u)
        np.testing.assert_allclose(F, m.step(X, u), atol=1e-15)
        np.testing.assert_allclose(J, m.jacobian(X, u), atol=1e-15)
        np.testing.assert_allclose(Pj, m.param_jacobian(X, names, u), atol=1e-15)
    net = P.random_tanh_net(3, 1.0)
    F, J, Pj = net.step_and_derivatives(X[..., :1].repeat(3, -1), ["b[0]"], None)
    assert F.shape == (4, 3, 3) and J.shape == (4, 3, 3, 3) and Pj.shape == (4, 3, 3, 1)


def test_small_batches_of_a_sympy_map_equal_the_array_path():
    """Up to 8 points go through per-point calls on floats; the result must not change."""
    import sympy as sp
    x, y, uu, a, c = sp.symbols("x y u a c")
    m = dr.Map.from_sympy([a * sp.sin(x) + y * uu, c * x**2 + 1], [x, y], {a: 1.2, c: 0.5},
                          inputs=[uu])
    u = np.array([0.7])
    rng = np.random.default_rng(4)
    for shape in ((2,), (1, 2), (3, 2), (2, 2, 2), (9, 2)):
        X = rng.standard_normal(shape)
        for names in (["a", "c"], ["c"]):
            F, J, Pj = m.step_and_derivatives(X, names, u)
            assert F.shape == shape and J.shape == shape + (2,) and Pj.shape == shape[:-1] + (
                2, len(names))
            np.testing.assert_allclose(F, m.step(X, u), rtol=1e-15, atol=1e-15)
            np.testing.assert_allclose(J, m.jacobian(X, u), rtol=1e-15, atol=1e-15)
            np.testing.assert_allclose(Pj, m.param_jacobian(X, names, u), rtol=1e-15,
                                       atol=1e-15)


def _derivatives_by_new_map(system, name, x, value, u=None):
    other = system.with_params({name: value})
    return (other.step(x, u), other.jacobian(x, u), other.param_jacobian(x, name, u))


def test_derivatives_along_a_parameter_equal_a_new_map():
    """The corrector's hook (x, value) -> (F, ∂F/∂x, ∂F/∂p) builds no map; compare with one."""
    import sympy as sp
    rng = np.random.default_rng(5)
    x, y, uu, a, c = sp.symbols("x y u a c")
    sym = dr.Map.from_sympy([a * sp.sin(x) + y * uu, c * x**2 + 1], [x, y], {a: 1.2, c: 0.5},
                            inputs=[uu])
    net = dr.RNN(rng.standard_normal((3, 3)), W_in=rng.standard_normal((3, 2)),
                 b=rng.standard_normal(3), activation="tanh", u=rng.standard_normal(2))
    cases = [(sym, "a", [None, np.array([0.3])]), (sym, "c", [None]),
             (P.henon_map(1.0, 0.3), "a", [None])]
    cases += [(net, name, [None, rng.standard_normal(2)])
              for name in ("W_rec[1,2]", "b[0]", "W_in[2,1]", "u[1]")]
    for system, name, inputs in cases:
        for u in inputs:
            evaluate = system.derivatives_along(name, u)
            for value in (0.4, -1.3, 0.4):
                xs = rng.standard_normal(system.n_states)
                F, J, dp = evaluate(xs, value)
                F_ref, J_ref, dp_ref = _derivatives_by_new_map(system, name, xs, value, u)
                np.testing.assert_allclose(F, F_ref, rtol=1e-14, atol=1e-14)
                np.testing.assert_allclose(J, J_ref, rtol=1e-14, atol=1e-14)
                np.testing.assert_allclose(dp, dp_ref, rtol=1e-14, atol=1e-14)
            assert system.params[name] != -1.3    # the map itself is unchanged


def test_sympy_point_kernel_gives_inf_and_nan_like_arrays():
    """Python floats would raise on 1/0 or turn complex on (-1)**(1/3); the hook falls back to
    numpy scalars and returns what the array code returns."""
    import sympy as sp
    x, a = sp.symbols("x a")
    with np.errstate(all="ignore"):
        m = dr.Map.from_sympy([1 / x + a * x ** sp.Rational(1, 3)], [x], {a: 1.0})
        evaluate = m.derivatives_along("a", None)
        for point in (0.0, -1.0):
            got = evaluate(np.array([point]), 1.0)
            # a batch of 9 goes through the array code
            ref = m.step_and_derivatives(np.full((9, 1), point), ["a"], None)
            ref = (ref[0][0], ref[1][0], ref[2][0, :, 0])
            for g, r in zip(got, ref):
                np.testing.assert_array_equal(np.isnan(g), np.isnan(r))
                np.testing.assert_array_equal(g[np.isfinite(g)], r[np.isfinite(r)])
            assert not np.all(np.isfinite(got[0]))


def test_one_state_of_a_sympy_map_equals_a_batch():
    """A single state goes through the generated code on floats, a batch through arrays."""
    m = P.henon_map(1.1, 0.3)
    x = np.array([0.3, -0.2])
    batch = np.stack([x] * 9)
    np.testing.assert_array_equal(m.step(x), m.step(batch)[0])
    np.testing.assert_array_equal(m.jacobian(x), m.jacobian(batch)[0])
    np.testing.assert_array_equal(m.param_jacobian(x, ["b", "a"]),
                                  m.param_jacobian(batch, ["b", "a"])[0])
