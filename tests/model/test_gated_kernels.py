"""The compiled kernels of one-layer GRU and LSTM cells (model/gated_kernels.py) against the
numpy path of dynrnn.GRU / dynrnn.LSTM and against torch.nn.GRUCell / LSTMCell in float64."""
import numpy as np
import pytest

import dynrnn as dr
from dynrnn.model import _jit, network_kernels

torch = pytest.importorskip("torch")


def _cell_arrays(kind: str, hidden: int, n_inputs: int, seed: int):
    torch.manual_seed(seed)
    cell = (torch.nn.GRUCell if kind == "GRU" else torch.nn.LSTMCell)(
        max(n_inputs, 1), hidden).double()
    with torch.no_grad():
        for p in cell.parameters():     # larger than torch's init, so the gates saturate
            p.mul_(3.0)
    arrays = [p.detach().numpy().copy() for p in (cell.weight_ih, cell.weight_hh,
                                                  cell.bias_ih, cell.bias_hh)]
    if n_inputs == 0:
        arrays[0] = arrays[0][:, :0]
    return cell, arrays


def _network(kind, hidden, n_inputs, seed=0):
    cell, (W_ih, W_hh, b_ih, b_hh) = _cell_arrays(kind, hidden, n_inputs, seed)
    u = np.linspace(-0.5, 0.5, n_inputs) if n_inputs else None
    net = getattr(dr, kind)(W_ih, W_hh, b_ih, b_hh, u=u)
    return cell, net


CASES = [("GRU", 2, 0), ("GRU", 5, 2), ("GRU", 10, 1), ("LSTM", 1, 0), ("LSTM", 3, 2),
         ("LSTM", 5, 1)]


def _same_exponents(a, b):
    """Equal to rounding; exponents below -20 (rounding noise, or -inf) only as such."""
    noise = (a < -20) | (b < -20)
    np.testing.assert_array_equal(a < -20, b < -20)
    np.testing.assert_allclose(np.where(noise, 0.0, a), np.where(noise, 0.0, b), rtol=1e-9,
                               atol=1e-10)


@pytest.mark.parametrize("kind,hidden,n_inputs", CASES)
def test_gated_paths_agree(kind, hidden, n_inputs):
    _, net = _network(kind, hidden, n_inputs)
    kernel = net.compiled_kernel()
    assert kernel is not None and kernel.n_states == net.n_states
    x0 = np.random.default_rng(1).normal(scale=0.7, size=(3, net.n_states))
    np.testing.assert_allclose(net.run(x0, n_steps=40), net.run(x0, n_steps=40,
                                                                backend="numpy"),
                               rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(net.iterate(x0[0], 25), net.iterate(x0[0], 25, backend="numpy"),
                               rtol=1e-12, atol=1e-13)
    if n_inputs:
        inputs = np.random.default_rng(2).normal(size=(12, 3, n_inputs))
        np.testing.assert_allclose(net.run(x0, inputs), net.run(x0, inputs, backend="numpy"),
                                   rtol=1e-12, atol=1e-13)
    fast = dr.lyapunov_spectrum(net, x0, 50, n_transient=3, record_every=6)
    slow = dr.lyapunov_spectrum(net, x0, 50, n_transient=3, record_every=6, backend="numpy")
    _same_exponents(fast.exponents, slow.exponents)
    _same_exponents(fast.history, slow.history)
    np.testing.assert_allclose(fast.x_final, slow.x_final, rtol=1e-12, atol=1e-12)
    assert fast.status is slow.status


@pytest.mark.parametrize("kind,hidden,n_inputs", CASES)
def test_kernel_step_and_jacobian_match_the_map(kind, hidden, n_inputs):
    """F and ∂F/∂x of the compiled kernel against net.step / net.jacobian (tested against
    torch autograd in test_gated.py) at random states."""
    _, net = _network(kind, hidden, n_inputs, seed=4)
    kernel = net.compiled_kernel()
    assert _jit.drivers(kernel) is not None
    n = net.n_states
    rng = np.random.default_rng(5)
    F, J, scratch = np.empty(n), np.empty((n, n)), np.empty(2 * n)
    for x in rng.normal(scale=1.5, size=(5, n)):
        network_kernels.network_step_jacobian(x, net.u.copy(), kernel.params, 0, F, J, scratch)
        np.testing.assert_allclose(F, net.step(x), rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(J, net.jacobian(x), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_one_step_matches_torch_cell_in_float64(kind):
    cell, net = _network(kind, 4, 3, seed=7)
    rng = np.random.default_rng(8)
    states = rng.normal(scale=0.8, size=(6, net.n_states))
    inputs = rng.normal(size=(1, 6, 3))
    ours = net.run(states, inputs)[1]
    with torch.no_grad():
        h = torch.tensor(states[:, :4])
        v = torch.tensor(inputs[0])
        if kind == "GRU":
            expected = cell(v, h).numpy()
        else:
            h_new, c_new = cell(v, (h, torch.tensor(states[:, 4:])))
            expected = np.concatenate([h_new.numpy(), c_new.numpy()], axis=1)
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-13)


def test_trained_gru_paths_agree():
    """A GRU trained in torch for a few steps (a bounded running sum) keeps agreeing."""
    torch.manual_seed(0)
    gru = torch.nn.GRU(1, 3, batch_first=True).double()
    head = torch.nn.Linear(3, 1).double()
    optimiser = torch.optim.Adam(list(gru.parameters()) + list(head.parameters()), lr=0.05)
    inputs = torch.randn(8, 12, 1, dtype=torch.float64)
    target = torch.cumsum(inputs, dim=1).clamp(-1, 1)
    for _ in range(8):
        optimiser.zero_grad()
        loss = ((head(gru(inputs)[0]) - target) ** 2).mean()
        loss.backward()
        optimiser.step()
    net = dr.GRU(*(p.detach().numpy() for p in (gru.weight_ih_l0, gru.weight_hh_l0,
                                                gru.bias_ih_l0, gru.bias_hh_l0)), u=[0.2])
    x0 = np.random.default_rng(0).normal(scale=0.5, size=(2, 3))
    seq = inputs[:2].detach().numpy().transpose(1, 0, 2)
    np.testing.assert_allclose(net.run(x0, seq), net.run(x0, seq, backend="numpy"),
                               rtol=1e-12, atol=1e-13)
    with torch.no_grad():
        h, _ = gru(inputs[:2], torch.tensor(x0[None]))
    np.testing.assert_allclose(net.run(x0, seq)[1:].transpose(1, 0, 2), h.numpy(), atol=1e-12)
    _same_exponents(dr.lyapunov_spectrum(net, x0, 80).exponents,
                    dr.lyapunov_spectrum(net, x0, 80, backend="numpy").exponents)


def test_parameter_ensemble_matches_one_call_per_value():
    _, net = _network("LSTM", 2, 1, seed=9)
    values = [-1.0, 0.5, 2.0]
    name = "weight_hh_l0[1,0]"
    sweep = dr.lyapunov_spectrum(net, [0.1, 0.2, 0.0, -0.1], 60, param=name, values=values)
    for row, value in zip(sweep.exponents, values):
        one = dr.lyapunov_spectrum(net.with_params({name: value}), [0.1, 0.2, 0.0, -0.1], 60,
                                   backend="numpy")
        _same_exponents(row, one.exponents)


def test_stacked_and_elman_stacks_keep_the_numpy_path():
    rng = np.random.default_rng(0)
    two_layers = dr.GRU([None, rng.normal(size=(6, 2))], [rng.normal(size=(6, 2))] * 2)
    assert two_layers.compiled_kernel() is None
    assert dr.ElmanStack(None, rng.normal(size=(2, 2))).compiled_kernel() is None
    x0 = rng.normal(size=4)
    np.testing.assert_array_equal(two_layers.run(x0, n_steps=5),
                                  two_layers.run(x0, n_steps=5, backend="numpy"))
    with pytest.raises(dr.errors.InvalidInputError, match="compiled kernel"):
        two_layers.run(x0, n_steps=5, backend="numba")


def test_run_with_empty_inputs_of_a_map_without_inputs():
    """A sequence of zero-width inputs (a map without inputs) runs through the compiled loop."""
    net = dr.RNN(0.5 * np.eye(3))
    x0 = np.ones((2, 3))
    np.testing.assert_allclose(net.run(x0, np.zeros((4, 0))), net.run(x0, n_steps=4))
