"""The piecewise-linear RNN z' = A z + W relu(z) + h + C u (Durstewitz 2017; Eisenmann et al.
2023)."""
import numpy as np
import pytest

import dynrnn as dr


def random_plrnn(seed=0, n=4, m=2, scale=0.3):
    rng = np.random.default_rng(seed)
    return dr.PLRNN(rng.uniform(0.1, 0.6, n), scale * rng.standard_normal((n, n)),
                    rng.standard_normal(n), rng.standard_normal((n, m)), rng.standard_normal(m))


def test_step_and_jacobian_by_hand():
    net = dr.PLRNN([0.5, -0.2], [[0.0, 2.0], [1.0, 0.0]], h=[0.1, 0.3], C=[[1.0], [0.0]],
                   u=[0.5])
    # z = (1, -1): relu(z) = (1, 0)
    np.testing.assert_allclose(net.step([1.0, -1.0]), [0.5 + 0 + 0.1 + 0.5, 0.2 + 1 + 0.3])
    np.testing.assert_allclose(net.step([1.0, -1.0], [2.0]), [0.5 + 0.1 + 2.0, 0.2 + 1 + 0.3])
    np.testing.assert_allclose(net.jacobian([1.0, -1.0]), [[0.5, 0.0], [1.0, -0.2]])
    np.testing.assert_allclose(net.jacobian([1.0, 1.0]), [[0.5, 2.0], [1.0, -0.2]])
    assert net.param_names == ("A[0]", "A[1]", "W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]", "h[0]",
                               "h[1]", "C[0,0]", "C[1,0]", "u[0]")


def test_diagonal_matrix_accepted_and_other_matrices_rejected():
    a = dr.PLRNN(np.diag([0.5, 0.2]), np.eye(2))
    np.testing.assert_array_equal(a.A, [0.5, 0.2])
    with pytest.raises(dr.InvalidInputError, match=r"A must be diagonal.*A\[0,1\]") as info:
        dr.PLRNN([[0.5, 0.1], [0.0, 0.2]], np.eye(2))
    assert info.value.argument == "A"
    with pytest.raises(dr.ShapeError, match="W must have shape"):
        dr.PLRNN([0.5, 0.2], np.eye(3))


def test_piecewise_linear_form_reproduces_the_map():
    net = random_plrnn(1)
    rng = np.random.default_rng(2)
    z, u = rng.standard_normal((10, 4)), rng.standard_normal(2)
    A, W, c = net.piecewise_linear_form(u)
    assert A.shape == W.shape == (4, 4)
    np.testing.assert_array_equal(A, np.diag(net.A))
    np.testing.assert_allclose(z @ A.T + np.maximum(z, 0) @ W.T + c, net.step(z, u), rtol=1e-13)
    A0, W0, c0 = net.piecewise_linear_form()
    np.testing.assert_allclose(c0, net.h + net.C @ net.u, rtol=1e-14)


def test_fixed_point_solves_the_linear_system_of_its_region():
    """A contracting PLRNN: iterate to its fixed point z*, read the pattern D of active units,
    and check z* = (I - A - W D)^{-1} (h + C u), the region's linear system (Eisenmann et al.)."""
    net = random_plrnn(3, scale=0.2)
    z = net.iterate(np.zeros(4), 400)
    np.testing.assert_allclose(net.step(z), z, atol=1e-13)
    D = np.diag((z > 0).astype(float))
    A, W, c = net.piecewise_linear_form()
    z_lin = np.linalg.solve(np.eye(4) - A - W @ D, c)
    np.testing.assert_allclose(z, z_lin, atol=1e-12)
    np.testing.assert_allclose(net.jacobian(z), A + W @ D, atol=1e-15)


def test_relu_rnn_is_the_plrnn_with_A_zero():
    rng = np.random.default_rng(4)
    rnn = dr.RNN(rng.standard_normal((3, 3)), rng.standard_normal((3, 2)), rng.standard_normal(3),
                 "relu", rng.standard_normal(2))
    pl = dr.PLRNN.from_rnn(rnn)
    inputs = rng.standard_normal((20, 2))
    x0 = rng.standard_normal(3)
    np.testing.assert_allclose(pl.run(x0, inputs), rnn.run(x0, inputs), rtol=1e-13, atol=1e-13)
    x = rng.standard_normal(3)
    np.testing.assert_allclose(pl.jacobian(x), rnn.jacobian(x), atol=1e-15)
    for got, want in zip(pl.piecewise_linear_form(), rnn.piecewise_linear_form()):
        np.testing.assert_allclose(got, want, atol=1e-15)
    with pytest.raises(dr.InvalidInputError, match="relu"):
        dr.PLRNN.from_rnn(dr.RNN(np.eye(2)))


def test_with_params_and_replace():
    net = random_plrnn(5)
    other = net.with_params({"A[1]": 0.9, "W[0,2]": -1.0})
    assert other.A[1] == 0.9 and other.W[0, 2] == -1.0
    assert net.A[1] != 0.9
    np.testing.assert_array_equal(net.replace(h=np.zeros(4)).h, 0.0)
    assert net.invariant_box() is None
