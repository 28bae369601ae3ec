"""Importing torch.nn.RNN: the Elman form, the Pascanu form and PyTorch itself agree."""
import sys

import numpy as np
import pytest

import dynrnn as dr
from dynrnn.model.torch_import import from_torch, from_torch_state_dict

torch = pytest.importorskip("torch")


def make_module(nonlinearity, batch_first, bias=True, seed=0, n=5, m=3):
    torch.manual_seed(seed)
    module = torch.nn.RNN(m, n, nonlinearity=nonlinearity, batch_first=batch_first, bias=bias)
    with torch.no_grad():  # larger weights than the default init, so the dynamics are not trivial
        module.weight_hh_l0.mul_(3.0)
        if bias:
            module.bias_ih_l0.normal_()
            module.bias_hh_l0.normal_()
    return module.double()


def torch_hidden_states(module, inputs, h0):
    """PyTorch's h_1..h_T for inputs (T, batch, m) and h0 (batch, n)."""
    u = torch.tensor(inputs)
    if module.batch_first:
        u = u.transpose(0, 1)
    with torch.no_grad():
        out, h_last = module(u, torch.tensor(h0)[None])
    out = out.transpose(0, 1) if module.batch_first else out
    np.testing.assert_array_equal(out[-1].numpy(), h_last[0].numpy())
    return out.numpy()


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_elman_pascanu_and_torch_trajectories_agree(nonlinearity, batch_first, bias):
    module = make_module(nonlinearity, batch_first, bias)
    elman = dr.ElmanRNN.from_torch(module)
    rnn = dr.RNN.from_torch(module)
    assert isinstance(elman, dr.ElmanRNN) and isinstance(rnn, dr.RNN)
    assert elman.activation.name == rnn.activation.name == nonlinearity
    rng = np.random.default_rng(1)
    inputs = rng.standard_normal((40, 4, 3))
    x0 = rng.standard_normal((4, 5))
    h0 = rnn.to_elman_state(x0)
    reference = torch_hidden_states(module, inputs, h0)
    h = elman.run(h0, inputs)
    x = rnn.run(x0, inputs)
    assert np.max(np.abs(reference)) > 0.1  # not a collapsed orbit
    np.testing.assert_allclose(h[1:], reference, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rnn.activation.function(x[1:]), reference, rtol=1e-12, atol=1e-12)


def test_weights_map_as_documented():
    module = make_module("tanh", False)
    net = from_torch(module, form="elman")
    sd = {k: v.numpy() for k, v in module.state_dict().items()}
    np.testing.assert_array_equal(net.W, sd["weight_hh_l0"])
    np.testing.assert_array_equal(net.U, sd["weight_ih_l0"])
    np.testing.assert_allclose(net.b, sd["bias_ih_l0"] + sd["bias_hh_l0"], rtol=1e-15)
    pascanu = from_torch(module)
    np.testing.assert_array_equal(pascanu.W_rec, net.W)
    via_dict = from_torch_state_dict(module.state_dict(), "tanh", form="elman")
    np.testing.assert_array_equal(via_dict.W, net.W)
    np.testing.assert_array_equal(via_dict.b, net.b)


def test_float32_module_is_converted_to_float64():
    torch.manual_seed(0)
    module = torch.nn.RNN(2, 3)
    net = dr.RNN.from_torch(module)
    assert net.W_rec.dtype == np.float64
    np.testing.assert_array_equal(net.W_rec, module.weight_hh_l0.detach().double().numpy())


def test_missing_torch_raises_missing_dependency(monkeypatch):
    module = make_module("tanh", False)
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(dr.MissingDependencyError, match="PyTorch"):
        dr.RNN.from_torch(module)
    with pytest.raises(ImportError):  # also an ImportError for callers catching that
        dr.ElmanRNN.from_torch(module)


@pytest.mark.parametrize("build, fragment", [
    (lambda: torch.nn.LSTM(3, 4), "LSTM"),
    (lambda: torch.nn.GRU(3, 4), "GRU"),
    (lambda: torch.nn.RNN(3, 4, num_layers=2), "num_layers=2"),
    (lambda: torch.nn.RNN(3, 4, bidirectional=True), "bidirectional"),
    (lambda: torch.nn.Linear(3, 4), "Linear"),
    (lambda: {"weight_hh_l0": torch.zeros(4, 4)}, "from_torch_state_dict"),
    (lambda: np.zeros((4, 4)), "ndarray"),
])
def test_unsupported_modules_are_named(build, fragment):
    with pytest.raises(dr.InvalidTypeError, match=fragment) as info:
        dr.RNN.from_torch(build())
    assert info.value.argument == "module"
    assert isinstance(info.value, TypeError)


def test_projection_size_is_rejected():
    module = torch.nn.RNN(3, 4)
    module.proj_size = 2  # nn.RNN itself refuses proj_size; a subclass could set it
    with pytest.raises(dr.InvalidTypeError, match="proj_size=2"):
        dr.ElmanRNN.from_torch(module)


def test_state_dict_errors_name_the_problem():
    with pytest.raises(dr.InvalidInputError, match="nonlinearity"):
        from_torch_state_dict(make_module("tanh", False).state_dict(), "sigmoid")
    lstm = torch.nn.LSTM(3, 4).state_dict()
    with pytest.raises(dr.InvalidInputError, match="4 gates"):
        from_torch_state_dict(lstm)
    two = torch.nn.RNN(3, 4, num_layers=2).state_dict()
    with pytest.raises(dr.InvalidInputError, match="weight_hh_l1"):
        from_torch_state_dict(two)
    both = {**{"a." + k: v for k, v in make_module("tanh", False).state_dict().items()},
            **{"b." + k: v for k, v in make_module("tanh", False).state_dict().items()}}
    with pytest.raises(dr.InvalidInputError, match="prefix"):
        from_torch_state_dict(both)
    assert from_torch_state_dict(both, prefix="b.").n_units == 5
