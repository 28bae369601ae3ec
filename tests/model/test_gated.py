"""GRU and LSTM maps against PyTorch itself: steps, runs, state and parameter Jacobians (autograd,
float64), the hidden-state converters, the invariant box, fixed points and continuation."""
from __future__ import annotations

import numpy as np
import pytest

import dynrnn as dr

torch = pytest.importorskip("torch")

MODULES = {"GRU": (dr.GRU, torch.nn.GRU, torch.nn.GRUCell),
           "LSTM": (dr.LSTM, torch.nn.LSTM, torch.nn.LSTMCell)}


def make_module(kind, input_size, hidden, layers=1, seed=0, scale=2.0):
    """A float64 torch module with larger-than-default random weights (non-trivial dynamics)."""
    torch.manual_seed(seed)
    module = MODULES[kind][1](input_size, hidden, num_layers=layers).double()
    with torch.no_grad():
        for p in module.parameters():
            p.normal_(0.0, scale / np.sqrt(hidden))
    return module


def as_map(module, with_inputs=True, u=None):
    arrays = {k: v.detach().numpy() for k, v in module.state_dict().items()}
    cls = dr.GRU if isinstance(module, torch.nn.GRU) else dr.LSTM
    if not with_inputs:
        arrays["weight_ih_l0"] = arrays["weight_ih_l0"][:, :0]
    elif u is not None:
        arrays["u"] = u
    return cls.from_arrays(arrays)


def torch_step(module, x_torch_state, u):
    """One step of the module from torch's hidden state, batch of one."""
    inp = torch.as_tensor(u, dtype=torch.float64).reshape(1, 1, -1)
    if isinstance(module, torch.nn.LSTM):
        h, c = x_torch_state
        _, (hn, cn) = module(inp, (h[:, None, :].contiguous(), c[:, None, :].contiguous()))
        return hn[:, 0, :], cn[:, 0, :]
    _, hn = module(inp, x_torch_state[:, None, :].contiguous())
    return hn[:, 0, :]


def torch_map(module, net, u):
    """F(x) written with the torch module, on dynrnn's state vector (for autograd)."""
    L, H = module.num_layers, module.hidden_size

    def F(x):
        if isinstance(module, torch.nn.LSTM):
            h, c = torch_step(module, (x[: L * H].reshape(L, H), x[L * H:].reshape(L, H)), u)
            return torch.cat([h.reshape(-1), c.reshape(-1)])
        return torch_step(module, x.reshape(L, H), u).reshape(-1)

    return F


CONFIGS = [("GRU", 3, 4, 1), ("GRU", 2, 5, 2), ("GRU", 1, 1, 1), ("LSTM", 3, 4, 1),
           ("LSTM", 2, 3, 2), ("LSTM", 1, 1, 1)]
IDS = [f"{k}-m{m}-h{h}-l{layers}" for k, m, h, layers in CONFIGS]


@pytest.mark.parametrize("kind,m,hidden,layers", CONFIGS, ids=IDS)
@pytest.mark.parametrize("with_inputs", [True, False])
def test_step_and_jacobians_match_torch_autograd(kind, m, hidden, layers, with_inputs):
    module = make_module(kind, m, hidden, layers, seed=hidden + 10 * layers)
    rng = np.random.default_rng(hidden)
    u = rng.standard_normal(m)
    net = as_map(module, with_inputs, u)
    u_torch = u if with_inputs else np.zeros(m)   # no inputs is torch with a zero input
    F = torch_map(module, net, u_torch)
    for _ in range(3):
        x = rng.uniform(-1.5, 1.5, net.n_states)
        xt = torch.tensor(x)
        np.testing.assert_allclose(net.step(x), F(xt).detach().numpy(), rtol=0, atol=1e-14)
        J_ref = torch.autograd.functional.jacobian(F, xt).numpy()
        np.testing.assert_allclose(net.jacobian(x), J_ref, rtol=0, atol=1e-12)

        # parameter Jacobian: every torch parameter, flattened row-major in torch's order
        params = dict(module.named_parameters())

        def G(*values):
            new = dict(zip(params, values))
            L, H = layers, hidden
            inp = torch.as_tensor(u_torch).reshape(1, 1, -1)
            if kind == "LSTM":
                h0 = (xt[: L * H].reshape(L, 1, H), xt[L * H:].reshape(L, 1, H))
                _, (hn, cn) = torch.func.functional_call(module, new, (inp, h0))
                return torch.cat([hn.reshape(-1), cn.reshape(-1)])
            _, hn = torch.func.functional_call(module, new, (inp, xt.reshape(L, 1, H)))
            return hn.reshape(-1)

        jac = torch.autograd.functional.jacobian(G, tuple(p.detach() for p in params.values()))
        P_ref = np.concatenate([j.reshape(net.n_states, -1).numpy() for j in jac], axis=1)
        names = [n for n in net.param_names if not n.startswith("u[")]
        if not with_inputs:   # the zero-width weight_ih_l0 has no parameters
            P_ref = P_ref[:, params["weight_ih_l0"].numel():]
        np.testing.assert_allclose(net.param_jacobian(x, names), P_ref, rtol=0, atol=1e-12)
        if with_inputs:   # "u[j]": the derivative with respect to the constant input
            ut = torch.tensor(u)
            P_u = torch.autograd.functional.jacobian(
                lambda v: torch_map(module, net, v)(xt), ut).numpy()
            us = [f"u[{j}]" for j in range(m)]
            np.testing.assert_allclose(net.param_jacobian(x, us), P_u, rtol=0, atol=1e-12)


def test_parameter_names_follow_torch():
    module = make_module("LSTM", 2, 3, 2)
    net = as_map(module)
    expected = []
    for name, p in module.named_parameters():
        if p.ndim == 2:
            expected += [f"{name}[{i},{j}]" for i in range(p.shape[0]) for j in range(p.shape[1])]
        else:
            expected += [f"{name}[{i}]" for i in range(p.shape[0])]
    assert list(net.param_names) == expected + ["u[0]", "u[1]"]
    values = np.concatenate([p.detach().numpy().ravel() for p in module.parameters()])
    np.testing.assert_array_equal(list(net.params.values())[:-2], values)


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
@pytest.mark.parametrize("layers", [1, 2])
def test_fifty_step_run_matches_torch_module(kind, layers):
    module = make_module(kind, 3, 6, layers, seed=layers)
    net = as_map(module)
    rng = np.random.default_rng(5)
    inputs = rng.standard_normal((50, 4, 3))           # (time, batch, inputs)
    x0 = rng.uniform(-0.9, 0.9, (4, net.n_states))
    traj = net.run(x0, inputs)
    hidden0 = net.to_torch_state(x0)                    # (batch, layers, H) per part
    with torch.no_grad():
        if kind == "LSTM":
            h0, c0 = (torch.tensor(a).transpose(0, 1).contiguous() for a in hidden0)
            out, (hn, cn) = module(torch.tensor(inputs), (h0, c0))
            final = net.from_torch_state((hn.transpose(0, 1), cn.transpose(0, 1)))
        else:
            out, hn = module(torch.tensor(inputs), torch.tensor(hidden0).transpose(0, 1)
                             .contiguous())
            final = net.from_torch_state(hn.transpose(0, 1))
    # the top layer's h at every step is torch's output sequence
    top = slice(net.n_hidden - module.hidden_size, net.n_hidden)
    np.testing.assert_allclose(traj[1:, :, top], out.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(traj[-1], final, rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_matches_the_cell_modules(kind):
    torch.manual_seed(3)
    cell = MODULES[kind][2](2, 5).double()
    arrays = {f"{k}_l0": v.detach().numpy() for k, v in cell.state_dict().items()}
    net = MODULES[kind][0].from_arrays(arrays)
    rng = np.random.default_rng(0)
    inputs = rng.standard_normal((50, 2))
    x = rng.uniform(-1, 1, net.n_states)
    traj = net.run(x, inputs)
    with torch.no_grad():
        if kind == "LSTM":
            h, c = (torch.tensor(a)[None] for a in np.split(x, 2))
            for t in range(50):
                h, c = cell(torch.tensor(inputs[t])[None], (h, c))
            ref = np.concatenate([h[0].numpy(), c[0].numpy()])
        else:
            h = torch.tensor(x)[None]
            for t in range(50):
                h = cell(torch.tensor(inputs[t])[None], h)
            ref = h[0].numpy()
    np.testing.assert_allclose(traj[-1], ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_batched_evaluation_equals_pointwise(kind):
    net = as_map(make_module(kind, 2, 3, 2, seed=7))
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (3, 2, net.n_states))
    u = rng.standard_normal((3, 2, 2))
    names = list(net.param_names[::7])
    J, P = net.jacobian(x, u), net.param_jacobian(x, names, u)
    for idx in np.ndindex(3, 2):
        np.testing.assert_allclose(J[idx], net.jacobian(x[idx], u[idx]), rtol=0, atol=1e-15)
        np.testing.assert_allclose(P[idx], net.param_jacobian(x[idx], names, u[idx]), rtol=0,
                                   atol=1e-15)
    # one input broadcast over a batch of states
    np.testing.assert_allclose(net.step(x, u[0, 0])[1, 1], net.step(x[1, 1], u[0, 0]),
                               rtol=0, atol=1e-15)


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_torch_state_converters_round_trip(kind):
    net = as_map(make_module(kind, 2, 3, 2))
    x = np.random.default_rng(0).uniform(-1, 1, (5, net.n_states))
    back = net.from_torch_state(net.to_torch_state(x))
    np.testing.assert_array_equal(back, x)
    with pytest.raises(dr.ShapeError):
        net.from_torch_state(np.zeros((3, 3)) if kind == "GRU" else (np.zeros((3, 3)),) * 2)


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_invariant_box_is_forward_invariant(kind):
    net = as_map(make_module(kind, 2, 6, 2, seed=4, scale=4.0))
    low, high = net.invariant_box()
    rng = np.random.default_rng(0)
    x = rng.uniform(low, high, (2000, net.n_states))
    for _ in range(30):
        x = net.step(x)
        assert np.all(x >= low) and np.all(x <= high)
    # and every fixed point found lies inside
    result = dr.find_fixed_points(net, seed=0, n_starts=32)
    for p in result.points:
        assert np.all(p.x >= low) and np.all(p.x <= high)


def test_box_contains_points_outside_the_gru_box_map_inward():
    net = as_map(make_module("GRU", 2, 3, 1))
    x = np.full(3, 5.0)
    for _ in range(200):
        x = net.step(x)
    assert np.all(np.abs(x) <= 1.0)


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_fixed_points_are_roots_with_torch_eigenvalues(kind):
    module = make_module(kind, 2, 4, 1, seed=11, scale=3.0)
    u = np.array([0.3, -0.2])
    net = as_map(module, u=u)
    result = dr.find_fixed_points(net, seed=0, n_starts=64)
    assert len(result.points) >= 1
    F = torch_map(module, net, u)
    for p in result.points:
        assert np.linalg.norm(net.step(p.x) - p.x) <= 1e-10
        J = torch.autograd.functional.jacobian(F, torch.tensor(p.x)).numpy()
        ref = np.sort_complex(np.linalg.eigvals(J))
        np.testing.assert_allclose(np.sort_complex(np.asarray(p.eigenvalues)), ref, atol=1e-9)


def _trained_pair(kind, seed=0):
    """Two checkpoints of a tiny net trained to hold a constant-input target."""
    torch.manual_seed(seed)
    module = MODULES[kind][1](1, 3).double()
    opt = torch.optim.SGD(module.parameters(), lr=0.5)
    snaps = []
    inputs = torch.ones(10, 4, 1, dtype=torch.float64) * torch.linspace(-1, 1, 4).reshape(1, 4, 1)
    for step in range(30):
        out, _ = module(inputs)
        loss = ((out[-1, :, 0] - 0.5 * inputs[0, :, 0]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step in (0, 29):
            snaps.append(as_map(module, u=np.array([0.5])))
    return snaps


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_line_between_checkpoints_derivative_and_continuation(kind):
    start, end = _trained_pair(kind)
    family = dr.LineBetween(start, end)
    rng = np.random.default_rng(0)
    x = rng.uniform(-0.8, 0.8, start.n_states)
    for s in (0.0, 0.4):
        system = family.at(s)
        h = 1e-6
        fd = (family.at(s + h).step(x) - family.at(s - h).step(x)) / (2 * h)
        np.testing.assert_allclose(family.derivative(system, x), fd, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(family.at(1.0).step(x), end.step(x), rtol=0, atol=1e-14)
    # continue the fixed points of the first checkpoint to the second
    points = dr.find_fixed_points(start, seed=0, n_starts=16).points
    assert points
    branch = dr.continuation(start, family, points[0].x, (0.0, 1.0))
    assert branch.states.shape[1] == start.n_states and len(branch.params) > 2
    for s, x in zip(branch.params, branch.states):
        system = family.at(float(s))
        assert np.linalg.norm(system.step(x) - x) <= 1e-8


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_continuation_in_a_weight_and_the_input(kind):
    net = as_map(make_module(kind, 1, 2, 1, seed=2), u=np.array([0.1]))
    points = dr.find_fixed_points(net, seed=0, n_starts=16).points
    for name in ("weight_hh_l0[0,1]", "u[0]"):
        value = net.params[name]
        branch = dr.continuation(net, name, points[0].x, (value - 0.3, value + 0.3))
        assert len(branch.params) > 3, branch
        for p, x in zip(branch.params, branch.states):
            system = net.with_params({name: float(p)})
            assert np.linalg.norm(system.step(x) - x) <= 1e-8


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_save_and_load(kind, tmp_path):
    net = as_map(make_module(kind, 2, 3, 2), u=np.array([0.1, -0.4]))
    back = dr.load_model(dr.save_model(net, tmp_path / "net.npz"))
    assert type(back) is type(net)
    assert dict(back.params) == dict(net.params)
    dr.save({"net": net}, tmp_path / "res.npz")
    again = dr.load(tmp_path / "res.npz")["net"]
    assert dict(again.params) == dict(net.params)


@pytest.mark.parametrize("kind", ["GRU", "LSTM", "ElmanStack"])
def test_stepper_over_param_equals_one_map_per_value(kind):
    """The batched sweep step (orbit diagrams) against building a map per value."""
    from dynrnn.model.base import RecurrentMap
    if kind == "ElmanStack":
        net = dr.from_torch(torch.nn.RNN(2, 3, num_layers=2), u=np.array([0.3, -0.2]))
    else:
        net = as_map(make_module(kind, 2, 3, 2, seed=5), u=np.array([0.3, -0.2]))
    rng = np.random.default_rng(0)
    values = np.linspace(-1.5, 1.5, 4)
    x = rng.uniform(-1, 1, (4, 5, net.n_states))
    names = ["u[1]", "weight_ih_l0[2,1]", "weight_hh_l0[1,2]", "bias_ih_l0[0]",
             "bias_hh_l0[4]", "weight_ih_l1[1,0]", "weight_hh_l1[2,2]", "bias_hh_l1[1]"]
    names = [n for n in names if net.has_param(n)]
    for name in names:
        if name.startswith("u["):   # the constant input moves: steps with each map's own input
            fast = net.stepper_over_param(name, values)(x, net.u)
            slow = np.stack([net.with_params({name: v}).step(x[i]) for i, v in enumerate(values)])
            np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-14, err_msg=name)
            continue
        for u in (net.u, rng.standard_normal((5, 2))):
            fast = net.stepper_over_param(name, values)(x, u)
            slow = RecurrentMap.stepper_over_param(net, name, values)(x, u)
            np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-14, err_msg=name)


def test_elman_stack_saves_with_its_activation(tmp_path):
    net = dr.from_torch(torch.nn.RNN(2, 3, num_layers=2, nonlinearity="relu"))
    back = dr.load_model(dr.save_model(net, tmp_path / "stack.npz"))
    assert isinstance(back, dr.ElmanStack) and back.activation.name == "relu"
    assert dict(back.params) == dict(net.params)
    with pytest.raises(dr.ShapeError, match="activation"):
        dr.LineBetween(net, dr.from_torch(torch.nn.RNN(2, 3, num_layers=2)))


def test_bad_shapes_name_the_argument():
    with pytest.raises(dr.ShapeError, match="weight_hh_l0"):
        dr.GRU(None, np.zeros((4, 2)))
    with pytest.raises(dr.ShapeError, match="weight_ih_l0"):
        dr.LSTM(np.zeros((4, 3)), np.zeros((8, 2)))
    with pytest.raises(dr.ShapeError, match="bias_hh_l0"):
        dr.GRU(None, np.zeros((6, 2)), bias_hh=np.zeros(5))
    with pytest.raises(dr.ShapeError, match="weight_ih_l1"):
        dr.GRU([None, np.zeros((6, 3))], [np.zeros((6, 2)), np.zeros((6, 2))])
