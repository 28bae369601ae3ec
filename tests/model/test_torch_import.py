"""Importing PyTorch networks: nn.RNN (Elman and Pascanu forms, stacks), GRU, LSTM and the Cells,
from modules and state dicts, against PyTorch itself; the state converters; what is refused."""
import sys

import numpy as np
import pytest

import dynrnn as dr
from dynrnn.model.torch_network import from_torch, from_torch_state_dict

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
    np.testing.assert_array_equal(dr.from_torch(module, form="rnn").W_rec, net.W)
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
    (lambda: {"weight_hh_l0": torch.zeros(4, 4)}, "from_torch"),
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
    with pytest.raises(dr.InvalidInputError, match="kind='RNN'.*LSTM") as info:
        from_torch_state_dict(lstm, kind="RNN")
    assert info.value.argument == "kind"
    assert isinstance(from_torch_state_dict(lstm), dr.LSTM)
    with pytest.raises(dr.InvalidInputError, match="nonlinearity.*RNN only"):
        from_torch_state_dict(lstm, "tanh")
    both = {**{"a." + k: v for k, v in make_module("tanh", False).state_dict().items()},
            **{"b." + k: v for k, v in make_module("tanh", False).state_dict().items()}}
    with pytest.raises(dr.InvalidInputError, match="prefix"):
        from_torch_state_dict(both, "tanh")
    assert from_torch_state_dict(both, "tanh", prefix="b.").n_units == 5
    assert from_torch_state_dict(both, "tanh", prefix="b").n_units == 5
    with pytest.raises(dr.InvalidInputError, match="'c'") as info:
        from_torch_state_dict(both, "tanh", prefix="c")
    assert info.value.argument == "prefix"


def test_relu_state_dict_is_not_analysed_as_tanh():
    """Issue 10 defect 16: a state dict does not record the nonlinearity; refuse to guess."""
    state = make_module("relu", False).state_dict()
    with pytest.raises(dr.InvalidInputError, match="does not record its nonlinearity") as info:
        dr.from_torch(state)
    assert info.value.argument == "nonlinearity"
    assert dr.from_torch(state, nonlinearity="relu").activation.name == "relu"
    # a module records it, and a contradicting argument is refused
    assert dr.from_torch(make_module("relu", False)).activation.name == "relu"
    with pytest.raises(dr.InvalidInputError, match="uses 'relu'"):
        dr.from_torch(make_module("relu", False), nonlinearity="tanh")


# -- every module kind, from modules and state dicts ---------------------------------------------
def _torch_run(module, inputs, h0):
    """torch's top-layer outputs and final hidden state for inputs (T, B, m) and h0."""
    with torch.no_grad():
        if isinstance(module, torch.nn.RNNCellBase):
            h = h0
            outs = []
            for t in range(inputs.shape[0]):
                h = module(torch.tensor(inputs[t]), h)
                outs.append(h[0] if isinstance(h, tuple) else h)
            return torch.stack(outs).numpy(), h
        out, h = module(torch.tensor(inputs), h0)
        return out.numpy(), h


MODULES = {
    "rnn-tanh-2layers": lambda: torch.nn.RNN(3, 4, num_layers=2),
    "rnn-relu-2layers": lambda: torch.nn.RNN(3, 4, num_layers=2, nonlinearity="relu"),
    "gru": lambda: torch.nn.GRU(3, 4),
    "gru-2layers": lambda: torch.nn.GRU(3, 4, num_layers=2),
    "gru-batch-first": lambda: torch.nn.GRU(3, 4, batch_first=True),
    "lstm": lambda: torch.nn.LSTM(3, 4),
    "lstm-2layers-nobias": lambda: torch.nn.LSTM(3, 4, num_layers=2, bias=False),
    "rnncell-relu": lambda: torch.nn.RNNCell(3, 4, nonlinearity="relu"),
    "grucell": lambda: torch.nn.GRUCell(3, 4),
    "lstmcell": lambda: torch.nn.LSTMCell(3, 4),
}


@pytest.mark.parametrize("case", list(MODULES))
@pytest.mark.parametrize("source", ["module", "state_dict"])
def test_every_kind_matches_torch(case, source):
    torch.manual_seed(0)
    module = MODULES[case]().double()
    with torch.no_grad():
        for p in module.parameters():
            p.mul_(3.0)
    nonlinearity = getattr(module, "nonlinearity", None) if source == "state_dict" else None
    net = dr.from_torch(module if source == "module" else module.state_dict(),
                        nonlinearity=nonlinearity, form="elman")
    rng = np.random.default_rng(0)
    inputs = rng.standard_normal((30, 2, 3))
    x0 = rng.uniform(-0.9, 0.9, (2, net.n_states))
    layers = getattr(module, "num_layers", 1)
    hidden = dr.to_torch_state(net, x0)
    cell = isinstance(module, torch.nn.RNNCellBase)

    def to_torch(a):   # dynrnn batch-first (B, L, H) -> torch (L, B, H), or (B, H) for a cell
        a = torch.tensor(a)
        if a.ndim == 2:
            return a if cell else a[None]
        return a[:, 0] if cell else a.transpose(0, 1).contiguous()

    h0 = tuple(map(to_torch, hidden)) if isinstance(hidden, tuple) else to_torch(hidden)
    batch_inputs = inputs.transpose(1, 0, 2) if getattr(module, "batch_first", False) else inputs
    out, _ = _torch_run(module, batch_inputs, h0)
    if getattr(module, "batch_first", False):
        out = out.transpose(1, 0, 2)
    traj = net.run(x0, inputs)
    top = dr.read_torch(module if source == "module" else module.state_dict(),
                        nonlinearity=nonlinearity, form="elman").top_hidden(traj[1:])
    assert np.max(np.abs(out)) > 0.05
    np.testing.assert_allclose(top, out, rtol=0, atol=1e-12)
    assert layers == dr.read_torch(module, form="elman").n_layers


def test_pascanu_state_converters():
    net = dr.from_torch(make_module("tanh", False))
    x = np.random.default_rng(0).standard_normal((3, 5))
    h = dr.to_torch_state(net, x)
    np.testing.assert_allclose(h, np.tanh(x), rtol=0, atol=0)
    np.testing.assert_allclose(dr.from_torch_state(net, h), x, rtol=1e-12, atol=1e-12)
    with pytest.raises(dr.InvalidInputError, match=r"hidden\[0, 1\] = 1.0 is not inside") as info:
        dr.from_torch_state(net, [[0.0, 1.0, 0, 0, 0]])
    assert info.value.argument == "hidden"
    relu = dr.from_torch(make_module("relu", False))
    with pytest.raises(dr.InvalidInputError, match="not invertible"):
        dr.from_torch_state(relu, np.zeros(5))
    elman = dr.from_torch(make_module("relu", False), form="elman")
    np.testing.assert_array_equal(dr.from_torch_state(elman, np.ones(5)), np.ones(5))


def test_fixed_points_in_torch_space_are_fixed_points_of_the_module():
    """A fixed point of the imported Pascanu RNN, converted to torch's h, is one of nn.RNN."""
    module = make_module("tanh", False, seed=3)
    net = dr.from_torch(module, u=np.array([0.2, -0.1, 0.3]))
    result = dr.find_fixed_points(net, seed=0)
    assert result.points
    for p in result.points:
        h = dr.to_torch_state(net, p.x)
        with torch.no_grad():
            out, _ = module(torch.tensor([[[0.2, -0.1, 0.3]]], dtype=torch.float64),
                            torch.tensor(h)[None, None])
        assert np.max(np.abs(out.numpy().ravel() - h)) < 1e-10


def test_readout_is_read_alongside():
    torch.manual_seed(0)
    model = torch.nn.ModuleDict({"rnn": torch.nn.LSTM(2, 6, num_layers=2),
                                 "head": torch.nn.Linear(6, 3)}).double()
    for source in (model, model.state_dict()):
        read = dr.read_torch(source)
        assert read.kind == "LSTM" and read.readout_prefix == "head" and read.prefix == "rnn"
        x = np.random.default_rng(0).uniform(-1, 1, (4, read.network.n_states))
        h = read.to_torch_state(x)[0][:, -1]          # top layer's h
        with torch.no_grad():
            ref = model["head"](torch.tensor(h)).numpy()
        np.testing.assert_allclose(read.outputs(x), ref, rtol=0, atol=1e-13)
    assert dr.read_torch(model, readout=None).readout_weight is None
    assert dr.read_torch(model, readout="head").has_readout
    with pytest.raises(dr.InvalidInputError, match="readout"):
        dr.read_torch(model, readout="nothing")
    # two linear layers that fit: "auto" takes neither
    two = torch.nn.ModuleDict({"rnn": torch.nn.GRU(2, 6), "a": torch.nn.Linear(6, 1),
                               "b": torch.nn.Linear(6, 2)})
    assert not dr.read_torch(two).has_readout


def test_bidirectional_and_projections_are_refused():
    for source in (torch.nn.GRU(3, 4, bidirectional=True),
                   torch.nn.GRU(3, 4, bidirectional=True).state_dict()):
        with pytest.raises((dr.InvalidTypeError, dr.InvalidInputError),
                           match="bidirectional.*not one dynamical system"):
            dr.from_torch(source)
    for source in (torch.nn.LSTM(3, 4, proj_size=2), torch.nn.LSTM(3, 4, proj_size=2).state_dict()):
        with pytest.raises((dr.InvalidTypeError, dr.InvalidInputError), match="proj"):
            dr.from_torch(source)


def test_pascanu_form_is_one_layer_only():
    with pytest.raises(dr.InvalidInputError, match="one-layer") as info:
        dr.from_torch(torch.nn.GRU(2, 3), form="pascanu")
    assert info.value.argument == "form"
    assert isinstance(dr.from_torch(torch.nn.RNN(2, 3, num_layers=2)), dr.ElmanStack)


def test_no_import_cycle_between_torch_import_and_the_maps():
    import ast
    import inspect
    import dynrnn.model.torch_import as module
    tree = ast.parse(inspect.getsource(module))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"elman", "rnn", "gated", "torch_network"}, imported


def test_read_torch_file_with_readout(tmp_path):
    from dynrnn.model.torch_network import read_torch_file
    torch.manual_seed(2)
    model = torch.nn.ModuleDict({"rnn": torch.nn.RNN(2, 4), "fc": torch.nn.Linear(4, 2)})
    torch.save({"state": model.state_dict(), "step": 7}, tmp_path / "ckpt.pt")
    read = read_torch_file(tmp_path / "ckpt.pt", nonlinearity="tanh")
    assert read.prefix == "state.rnn" and read.readout_prefix == "state.fc"
    np.testing.assert_array_equal(read.readout_weight,
                                  model["fc"].weight.detach().double().numpy())
    x = np.random.default_rng(0).standard_normal(4)
    with torch.no_grad():
        ref = model["fc"](torch.tensor(np.tanh(x), dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(read.outputs(x), ref, rtol=1e-6, atol=1e-6)
