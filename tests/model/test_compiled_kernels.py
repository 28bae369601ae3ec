"""The numba-compiled loops (run, iterate, lyapunov_spectrum) against the numpy path, on every
map class that has a kernel; maps without one (third-party, callables) keep the numpy path."""
import sys
import warnings

import numpy as np
import pytest

import dynrnn as dr
from dynrnn.model import _jit

sympy = pytest.importorskip("sympy")


def _networks():
    rng = np.random.default_rng(3)
    W = rng.normal(scale=1.4, size=(3, 3))
    out = {f"RNN-{act}": dr.RNN(W, b=rng.normal(size=3), activation=act)
           for act in ("tanh", "sigmoid", "relu")}
    out["RNN-identity"] = dr.RNN(0.4 * W, activation="identity")
    out["RNN-input"] = dr.RNN(W, W_in=rng.normal(size=(3, 2)), b=rng.normal(size=3),
                              u=[0.3, -0.2])
    out["Elman-tanh"] = dr.ElmanRNN(W, b=rng.normal(size=3))
    out["Elman-sigmoid-input"] = dr.ElmanRNN(2 * W, U=rng.normal(size=(3, 1)),
                                             activation="sigmoid", u=[0.5])
    out["PLRNN"] = dr.PLRNN(rng.uniform(0.2, 0.8, 3), 0.5 * W, h=rng.normal(size=3))
    out["PLRNN-input"] = dr.PLRNN(rng.uniform(0.2, 0.8, 3), 0.5 * W, h=rng.normal(size=3),
                                  C=rng.normal(size=(3, 2)), u=[0.1, 0.4])
    return out


NETWORKS = _networks()


def _same_exponents(a, b):
    """Equal to rounding; an exponent below -20 (a direction contracted to rounding level in
    one step, or annihilated by a singular Jacobian: -inf) is the log of rounding noise in both
    paths, so only its being below -20 is compared."""
    noise = (a < -20) | (b < -20)
    np.testing.assert_array_equal(a < -20, b < -20)
    np.testing.assert_allclose(np.where(noise, 0.0, a), np.where(noise, 0.0, b), rtol=1e-10,
                               atol=1e-10)


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_network_paths_agree(name):
    net = NETWORKS[name]
    assert net.compiled_kernel() is not None
    x0 = np.random.default_rng(1).normal(size=(4, 3))
    np.testing.assert_allclose(net.run(x0, n_steps=40), net.run(x0, n_steps=40,
                                                                backend="numpy"),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(net.iterate(x0[0], 40), net.iterate(x0[0], 40, backend="numpy"),
                               rtol=1e-12, atol=1e-12)
    fast = dr.lyapunov_spectrum(net, x0, 60, n_transient=5, record_every=7)
    slow = dr.lyapunov_spectrum(net, x0, 60, n_transient=5, record_every=7, backend="numpy")
    _same_exponents(fast.exponents, slow.exponents)
    _same_exponents(fast.history, slow.history)
    np.testing.assert_array_equal(fast.history_steps, slow.history_steps)
    np.testing.assert_allclose(fast.x_final, slow.x_final, rtol=1e-12, atol=1e-12)
    assert fast.status is slow.status and fast.n_steps == slow.n_steps == 60


def test_run_with_a_sequence_of_inputs_broadcast_over_a_batch():
    net = NETWORKS["RNN-input"]
    x0 = np.random.default_rng(2).normal(size=(5, 3))
    inputs = np.random.default_rng(4).normal(size=(30, 1, 2))      # broadcast over the batch
    np.testing.assert_allclose(net.run(x0, inputs), net.run(x0, inputs, backend="numpy"),
                               rtol=1e-12, atol=1e-12)


def test_overflow_raises_with_the_same_partial_trajectory():
    net = dr.RNN(3.0 * np.eye(2), activation="identity")
    errors = []
    for backend in ("numba", "numpy"):
        with pytest.raises(dr.errors.NonFiniteError) as info:
            net.run([1.0, 1.0], n_steps=1000, backend=backend)
        errors.append(info.value.partial)
    np.testing.assert_array_equal(errors[0], errors[1])


def test_diverging_lyapunov_reports_the_same_status():
    net = dr.RNN(3.0 * np.eye(2), activation="identity")
    a = dr.lyapunov_spectrum(net, [1.0, 1.0], 1000, n_transient=0)
    b = dr.lyapunov_spectrum(net, [1.0, 1.0], 1000, n_transient=0, backend="numpy")
    assert a.status is b.status is dr.analysis.lyapunov.LyapunovStatus.DIVERGED
    assert a.n_steps == b.n_steps
    np.testing.assert_allclose(a.exponents, np.log(3.0), rtol=1e-12)


def test_compiled_exponents_of_a_linear_map_are_log_moduli():
    """Independent of the numpy path: for x -> W x the exponents are log|eig(W)|."""
    W = np.array([[0.6, 0.3], [-0.2, 0.4]])
    net = dr.RNN(W, activation="identity")
    res = dr.lyapunov_spectrum(net, [1.0, 0.5], 3000, backend="numba")
    lam = np.sort(np.log(np.abs(np.linalg.eigvals(W))))[::-1]
    np.testing.assert_allclose(res.exponents, lam, atol=2e-3)


def test_parameter_ensemble_matches_one_call_per_value():
    net = NETWORKS["RNN-tanh"]
    values = np.linspace(0.5, 2.0, 4)
    both = [dr.lyapunov_spectrum(net, [0.1, 0.2, 0.3], 80, param="W_rec[0,0]",
                                 values=values, backend=b) for b in ("numba", "numpy")]
    for i, v in enumerate(values):
        one = dr.lyapunov_spectrum(net.with_params({"W_rec[0,0]": v}), [0.1, 0.2, 0.3], 80,
                                   backend="numpy")
        np.testing.assert_allclose(both[0].exponents[i], one.exponents, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(both[1].exponents[i], one.exponents, rtol=1e-12, atol=1e-12)
    assert both[0].exponents.shape == (4, 3)


def test_parameter_ensemble_bad_input():
    net = NETWORKS["RNN-tanh"]
    with pytest.raises(dr.errors.InvalidInputError, match="param and values"):
        dr.lyapunov_spectrum(net, np.zeros(3), 10, values=[1.0])
    with pytest.raises(dr.errors.UnknownParameterError):
        dr.lyapunov_spectrum(net, np.zeros(3), 10, param="gain", values=[1.0])
    with pytest.raises(dr.errors.ShapeError, match="one per value"):
        dr.lyapunov_spectrum(net, np.zeros((2, 3)), 10, param="b[0]", values=[1.0, 2.0, 3.0])
    with pytest.raises(dr.errors.InvalidInputError, match="backend"):
        dr.lyapunov_spectrum(net, np.zeros(3), 10, backend="fortran")
    with pytest.raises(dr.errors.InvalidInputError, match="backend"):
        net.run(np.zeros(3), n_steps=3, backend=None)


def test_maps_without_a_kernel_use_the_numpy_path():
    rotation = dr.Map(lambda x, p: np.stack([0.9 * x[..., 1], -0.9 * x[..., 0]], axis=-1), 2,
                      jacobian=lambda x, p: np.broadcast_to([[0.0, 0.9], [-0.9, 0.0]],
                                                            x.shape[:-1] + (2, 2)))
    assert rotation.compiled_kernel() is None
    res = dr.lyapunov_spectrum(rotation, [1.0, 0.0], 100)
    np.testing.assert_allclose(res.exponents, np.log(0.9), rtol=1e-12)
    with pytest.raises(dr.errors.InvalidInputError, match="compiled kernel"):
        rotation.run([1.0, 0.0], n_steps=3, backend="numba")


def test_user_activation_has_no_kernel():
    act = dr.model.activations.Activation("softsign", lambda x: x / (1 + abs(x)),
                                          lambda x: 1 / (1 + abs(x)) ** 2,
                                          lambda x: -2 * np.sign(x) / (1 + abs(x)) ** 3,
                                          gamma=1.0, lower=-1.0, upper=1.0)
    assert dr.RNN(np.eye(2), activation=act).compiled_kernel() is None


def test_without_numba_one_warning_and_the_numpy_results(monkeypatch):
    net = NETWORKS["RNN-tanh"]
    expected = dr.lyapunov_spectrum(net, [0.1, 0.2, 0.3], 50, backend="numpy")
    monkeypatch.setitem(sys.modules, "numba", None)        # import numba raises ImportError
    monkeypatch.setattr(_jit, "_NUMBA", None)
    monkeypatch.setattr(_jit, "_WARNED", False)
    with pytest.warns(RuntimeWarning, match="numba cannot be imported"):
        res = dr.lyapunov_spectrum(net, [0.1, 0.2, 0.3], 50)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                     # the warning is given once
        again = dr.lyapunov_spectrum(net, [0.1, 0.2, 0.3], 50)
        trajectory = net.run([0.1, 0.2, 0.3], n_steps=5)
    np.testing.assert_array_equal(res.exponents, expected.exponents)
    np.testing.assert_array_equal(again.exponents, expected.exponents)
    assert trajectory.shape == (6, 3)
    monkeypatch.setattr(_jit, "_NUMBA", None)   # let later tests import numba again


def test_trained_torch_network_paths_agree():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    cell = torch.nn.RNN(1, 4, nonlinearity="tanh", batch_first=True)
    optimiser = torch.optim.Adam(cell.parameters(), lr=0.05)
    inputs = torch.randn(16, 20, 1)
    target = torch.cumsum(inputs, dim=1).clamp(-1, 1)
    for _ in range(15):            # learn a bounded running sum for a few steps
        optimiser.zero_grad()
        out, _ = cell(inputs)
        loss = ((out[..., 0] - target[..., 0]) ** 2).mean()
        loss.backward()
        optimiser.step()
    net = dr.ElmanRNN.from_torch(cell)
    x0 = np.random.default_rng(0).normal(scale=0.5, size=(3, 4))
    seq = inputs[:3].detach().numpy().transpose(1, 0, 2)
    np.testing.assert_allclose(net.run(x0, seq), net.run(x0, seq, backend="numpy"),
                               rtol=1e-12, atol=1e-12)
    with torch.no_grad():
        h, _ = cell(torch.tensor(seq.transpose(1, 0, 2), dtype=torch.float32),
                    torch.tensor(x0[None], dtype=torch.float32))
    np.testing.assert_allclose(net.run(x0, seq)[1:].transpose(1, 0, 2), h.numpy(), atol=1e-5)
    a = dr.lyapunov_spectrum(net, x0, 50, u=[0.2])
    b = dr.lyapunov_spectrum(net, x0, 50, u=[0.2], backend="numpy")
    np.testing.assert_allclose(a.exponents, b.exponents, rtol=1e-10, atol=1e-10)


def _sympy_maps():
    x, y, a, b, s = sympy.symbols("x y a b s")
    henon = dr.Map.from_sympy([1 - a * x**2 + y, b * x], [x, y], {a: 1.4, b: 0.3})
    forced = dr.Map.from_sympy([sympy.tanh(2 * x + y + s), sympy.sin(x) * b], [x, y],
                               {b: 0.8}, inputs=[s])
    return {"henon": henon, "forced": forced}


@pytest.mark.slow   # numba compiles each sympy map's loops at run time (a few seconds each)
@pytest.mark.parametrize("name", ["henon", "forced"])
@pytest.mark.filterwarnings("error:numba could not compile")   # the compiled path must run
def test_sympy_paths_agree(name):
    system = _sympy_maps()[name]
    assert system.compiled_kernel() is not None
    x0 = np.array([[0.1, 0.1], [0.2, -0.1]])
    u = None if system.n_inputs == 0 else [0.3]
    inputs = None if u is None else np.full((30, 1), 0.3)
    np.testing.assert_allclose(system.run(x0, inputs, n_steps=30),
                               system.run(x0, inputs, n_steps=30, backend="numpy"),
                               rtol=1e-11, atol=1e-12)
    fast = dr.lyapunov_spectrum(system, x0, 30, n_transient=0, u=u, record_every=4)
    slow = dr.lyapunov_spectrum(system, x0, 30, n_transient=0, u=u, record_every=4,
                                backend="numpy")
    np.testing.assert_allclose(fast.exponents, slow.exponents, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(fast.history, slow.history, rtol=1e-9, atol=1e-10)
    if name == "henon":   # λ1 + λ2 = log b exactly (the Jacobian's determinant is -b)
        long = dr.lyapunov_spectrum(system, [0.1, 0.1], 20000, backend="numba")
        assert abs(long.exponents.sum() - np.log(0.3)) < 1e-10
        assert abs(long.exponents[0] - 0.419) < 0.01
        sweep = dr.lyapunov_spectrum(system, [0.1, 0.1], 200, param="a",
                                     values=[1.0, 1.2, 1.4])
        one = dr.lyapunov_spectrum(system.with_params(a=1.2), [0.1, 0.1], 200, backend="numpy")
        np.testing.assert_allclose(sweep.exponents[1], one.exponents, atol=1e-8)


@pytest.mark.parametrize("name", ["RNN-input", "Elman-tanh", "PLRNN"])
def test_run_over_param_matches_one_run_per_value(name):
    net = NETWORKS[name]
    param = {"RNN-input": "W_rec[1,2]", "Elman-tanh": "b[0]", "PLRNN": "h[2]"}[name]
    values = np.linspace(-1.0, 1.0, 5)
    x0 = np.random.default_rng(5).normal(size=3)
    fast = dr.run_over_param(net, x0, 25, param, values)
    slow = dr.run_over_param(net, x0, 25, param, values, backend="numpy")
    assert fast.shape == (26, 5, 3)
    for i, v in enumerate(values):
        one = net.with_params({param: v}).run(x0, n_steps=25, backend="numpy")
        np.testing.assert_allclose(fast[:, i], one, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(slow[:, i], one, rtol=1e-12, atol=1e-12)


def test_run_over_param_bad_input_and_overflow():
    net = dr.RNN(np.eye(2), activation="identity")
    with pytest.raises(dr.errors.UnknownParameterError):
        dr.run_over_param(net, [1.0, 1.0], 5, "gain", [1.0])
    with pytest.raises(dr.errors.ShapeError, match="values"):
        dr.run_over_param(net, [1.0, 1.0], 5, "b[0]", [[1.0]])
    with pytest.raises(dr.errors.ShapeError, match="x0"):
        dr.run_over_param(net, np.ones((3, 2)), 5, "b[0]", [1.0, 2.0])
    for backend in ("numba", "numpy"):
        with pytest.raises(dr.errors.NonFiniteError) as info:
            dr.run_over_param(net, [1.0, 1.0], 2000, "W_rec[0,0]", [0.5, 3.0], backend=backend)
        assert info.value.partial.shape[1:] == (2, 2) and np.all(np.isfinite(info.value.partial))


def test_sympy_map_numba_cannot_compile_falls_back_with_a_warning(monkeypatch):
    x, y, a = sympy.symbols("x y a")
    # sympy's Max lambdifies to numpy's amax of a tuple, which numba does not compile
    system = dr.Map.from_sympy([sympy.Max(x, 0) * a + 0.1 * y, sympy.tanh(x)], [x, y],
                               {a: 0.5})
    monkeypatch.setattr(_jit, "_COMPILE_WARNED", set())
    with pytest.warns(RuntimeWarning, match="numba could not compile"):
        res = dr.lyapunov_spectrum(system, [0.1, 0.2], 50)
    ref = dr.lyapunov_spectrum(system, [0.1, 0.2], 50, backend="numpy")
    np.testing.assert_array_equal(res.exponents, ref.exponents)
    with warnings.catch_warnings():
        warnings.simplefilter("error")     # no second attempt, no second warning
        np.testing.assert_array_equal(system.run([0.1, 0.2], n_steps=5),
                                      system.run([0.1, 0.2], n_steps=5, backend="numpy"))


def test_sympy_kernel_source_writes_the_components_into_the_loop_arrays():
    """The generated kernel is lambdify's code with the list returned written into ``out``;
    evaluated in Python (no numba) it gives the lambdified values."""
    from dynrnn.model import sympy_kernels
    system = _sympy_maps()["forced"]
    f_num, j_num, _ = system.compiled_kernel().source
    state, u, params = np.array([0.3, -0.2]), np.array([0.4]), (np.array([[0.8]]),)
    for function, name, columns, shape in ((f_num, "step", 0, (2,)),
                                           (j_num, "jacobian", 2, (2, 2))):
        source = sympy_kernels.kernel_source(function, name, 2, 1, columns)
        assert source is not None and "return" not in source
        kernel = sympy_kernels.compile_source(source, name, function.__globals__)
        out = np.full(shape, np.nan)
        kernel(state, u, params, 0, out)
        np.testing.assert_array_equal(out.ravel(), np.array(function(0.3, -0.2, 0.4, 0.8),
                                                            dtype=float))
    assert sympy_kernels.kernel_source(len, "step", 2, 1) is None     # no Python source
