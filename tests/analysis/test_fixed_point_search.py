"""find_fixed_points beyond random restarts: determinism, degenerate roots, resource limits,
trajectory starts, deflation, edge tracking, the stopping rule and the summary."""
import numpy as np
import pytest

import dynrnn as dr
from dynrnn.analysis import _newton as nw
from dynrnn.analysis.deflation import deflated_newton, log_multiplier_gradient
from dynrnn.analysis.edge_tracking import edge_states
from tests import problems as P


# -- issue 10, defect 17: deterministic by default ---------------------------------------------
def test_default_call_is_deterministic():
    net = P.random_tanh_net(6, 2.5, seed=4, bias_scale=0.3)
    first, second = dr.find_fixed_points(net), dr.find_fixed_points(net)
    np.testing.assert_array_equal(first.residual_history, second.residual_history)
    np.testing.assert_array_equal(first.states, second.states)
    c1, c2 = dr.find_cycles(net, 2), dr.find_cycles(net, 2)
    np.testing.assert_array_equal(c1.residual_history, c2.residual_history)


# -- issue 10, defect 3: a degenerate root is one point, not a cloud ----------------------------
@pytest.mark.parametrize("n", [2, 3])
def test_identity_weights_give_one_degenerate_point_at_the_origin(n):
    # x -> tanh(x): the origin is the only fixed point and J = I there (non-hyperbolic);
    # Newton converges only linearly and stops anywhere with |x|³/3 < tol
    result = dr.find_fixed_points(dr.RNN(np.eye(n), b=np.zeros(n)), seed=0)
    assert len(result) == 1
    point = result[0]
    assert point.kind is dr.PointKind.NON_HYPERBOLIC
    assert np.max(np.abs(point.x)) < 1e-3
    assert result.degenerate == (point,) or result.degenerate[0] is point
    assert result.status is dr.SearchStatus.DEGENERATE
    assert 0 < result.degenerate_radius[0] < 1e-3
    assert result.n_duplicates == result.n_converged - 1


def test_hyperbolic_points_are_not_flagged_degenerate():
    net = P.random_tanh_net(20, 2.5, seed=0, bias_scale=0.2)
    result = dr.find_fixed_points(net, n_starts=200)
    assert len(result) >= 3 and result.degenerate == ()
    assert result.status is dr.SearchStatus.FOUND


# -- issue 10, defect 14: refuse impossible requests up front ----------------------------------
def test_huge_n_starts_refused_with_the_amount():
    net = dr.RNN(np.eye(2))
    with pytest.raises(dr.ResourceLimitError, match=r"n_starts=1000000000000 .* GiB") as info:
        dr.find_fixed_points(net, n_starts=10 ** 12)
    assert info.value.argument == "n_starts" and info.value.estimate > info.value.limit
    with pytest.raises(dr.ResourceLimitError):
        dr.find_cycles(net, 10 ** 6, n_starts=10 ** 6)


# -- starts where the dynamics lives -------------------------------------------------------------
def test_trajectory_starts_sample_visited_states():
    net = dr.RNN([[1.5, 0.2], [-0.3, 1.2]], W_in=[[1.0], [-1.0]])
    inputs = np.zeros((3, 15, 1))
    inputs[:, 0, 0] = [1.0, -1.0, 0.5]
    starts = dr.trajectory_starts(net, inputs, n_starts=50, noise=0.0)
    visited = np.stack([net.run(np.zeros(2), inputs[b])[1:] if net.run(np.zeros(2), inputs[b])
                        .shape[0] == 16 else net.run(np.zeros(2), inputs[b])
                        for b in range(3)]).reshape(-1, 2)
    d = np.min(np.max(np.abs(starts[:, None] - visited[None]), axis=2), axis=1)
    assert np.all(d < 1e-12)
    noisy = dr.trajectory_starts(net, inputs, n_starts=2000, noise=0.5)
    noise = noisy - dr.trajectory_starts(net, inputs, n_starts=2000, noise=0.0)
    assert abs(np.std(noise) - 0.5) < 0.03          # same seed: same picks, N(0, 0.5²) noise
    np.testing.assert_array_equal(noisy, dr.trajectory_starts(net, inputs, n_starts=2000))


def test_trajectory_starts_bad_input():
    net = dr.RNN(np.eye(2), W_in=[[1.0], [0.0]])
    with pytest.raises(dr.ShapeError, match="inputs"):
        dr.trajectory_starts(net, np.zeros((4, 5, 2)))
    with pytest.raises(dr.InvalidInputError, match="noise"):
        dr.trajectory_starts(net, np.zeros((4, 5, 1)), noise=-1)
    with pytest.raises(dr.InvalidTypeError, match="system"):
        dr.trajectory_starts("net")


# -- deflation ----------------------------------------------------------------------------------
def test_deflated_step_is_the_newton_step_of_the_deflated_residual():
    # g(x) = μ(x) f(x): its Newton step by finite differences equals τ δ_f
    net = P.random_tanh_net(3, 2.0, seed=1, bias_scale=0.2)
    u = net.resolve_input(None)
    roots = np.array([[0.3, -0.1, 0.2], [-0.4, 0.5, 0.0]])
    x = np.array([0.1, 0.2, -0.3])

    def g(y):
        log_mu, _ = log_multiplier_gradient(y[None], roots)
        return np.exp(log_mu[0]) * (net.step(y) - y)

    h = 1e-6
    Jg = np.stack([(g(x + h * e) - g(x - h * e)) / (2 * h) for e in np.eye(3)], axis=1)
    newton_g = np.linalg.solve(Jg, -g(x))
    R, _ = nw.orbit_residuals(net, u, x[None, None])
    d_f = nw.newton_direction(net, u, x[None, None], R)[0, 0]
    _, grad = log_multiplier_gradient(x[None], roots)
    tau = 1.0 / (1.0 - grad[0] @ d_f)
    np.testing.assert_allclose(tau * d_f, newton_g, rtol=1e-6, atol=1e-9)


def test_deflation_sends_a_start_away_from_a_known_root():
    net = dr.RNN([[5.0]], b=[0.0])                   # roots 0 and ±4.9996
    u = net.resolve_input(None)
    start = np.array([[4.0]])
    plain = nw.newton(net, u, start[:, None], tol=1e-12, max_iter=40).X[0, 0, 0]
    assert abs(plain - 4.99963) < 1e-4
    moved = deflated_newton(net, u, start, np.array([[plain]]), max_iter=40)
    assert abs(moved[0, 0] - plain) > 1.0


# -- saddles between attractors: bisection and edge tracking ------------------------------------
def test_edge_state_between_two_attractors_is_the_saddle():
    # two uncoupled units: x1 bistable (w = 3), x2 contracting (w = 0.5, b = 0.2); attractors
    # (±a, y*), the saddle between them (0, y*)
    net = dr.RNN([[3.0, 0.0], [0.0, 0.5]], b=[0.0, 0.2])
    u = net.resolve_input(None)
    full = dr.find_fixed_points(net)
    stable = np.array([p.x for p in full if p.stable])
    assert stable.shape[0] == 2
    saddle = next(p.x for p in full if p.n_unstable == 1)
    candidates = edge_states(net, u, stable, np.array([[0, 1]]))
    run = nw.newton(net, u, candidates[:, None], tol=1e-12, max_iter=20)
    assert np.any(np.max(np.abs(run.X[:, 0] - saddle), axis=1) < 1e-9)


def test_later_rounds_find_saddles_random_starts_miss():
    # three uncoupled bistable units: the cube (8 stable, 12 + 6 + 1 saddles); few starts in a
    # wide box miss saddles in round 1, the midpoints and edge states of round 2 find them
    net = dr.RNN(3.0 * np.eye(3), b=np.zeros(3))
    one = dr.find_fixed_points(net, n_starts=12, max_rounds=1)
    more = dr.find_fixed_points(net, n_starts=12, max_rounds=8)
    assert len(one) < 27
    assert len(more) == 27 and more.rounds_new[-1] == 0 and sum(more.rounds_new) == 27
    counts = np.bincount([p.n_unstable for p in more])
    assert list(counts) == [8, 12, 6, 1]
    assert "new points per round" in more.note


# -- the summary and saving -------------------------------------------------------------------------
def test_summary_is_readable_and_results_round_trip(tmp_path):
    result = dr.find_fixed_points(dr.RNN(np.eye(2), b=[0.0, 0.0]))
    text = str(result)
    assert "1 fixed point(s) of a 2-state map" in text and "1 non-hyperbolic" in text
    assert "degenerate" in text and "status:" in text and "[" not in text.split("\n")[0]
    assert len(text.splitlines()) <= 8
    path = tmp_path / "r.npz"
    dr.save(result, path)
    back = dr.load(path)
    assert back.degenerate_radius == result.degenerate_radius
    assert back.rounds_new == result.rounds_new and back.status is result.status


# -- a trained flip-flop network (tiny, seconds) --------------------------------------------------
def test_tiny_trained_flip_flop_points_are_roots_with_torch_stability():
    torch = pytest.importorskip("torch")
    from dynrnn.scripts.flipflop import train_flip_flop, visited_states
    module, _, _ = train_flip_flop("rnn", 8, steps=25, seed=0, batch=8, length=20, lr=0.05)
    net = dr.ElmanRNN.from_torch(module)
    u = np.zeros(3)
    result = dr.find_fixed_points(net, u)
    states, _ = visited_states(module, n_trials=4, length=20)
    from_visits = dr.find_fixed_points(net, u, starts=states[::3], max_rounds=1)
    assert len(result) >= 1
    for p in from_visits:           # what trajectory starts find, the default call finds too
        assert np.min(np.max(np.abs(result.states - p.x), axis=1)) < 1e-6
    for p in result:
        h = torch.tensor(p.x[None, None], dtype=torch.float64)
        with torch.no_grad():
            out, _ = module(torch.zeros(1, 1, 3, dtype=torch.float64), h)
        assert np.linalg.norm(out[0, 0].numpy() - p.x) <= 1e-10
        assert np.all(np.abs(p.x) < 1)
        J = torch.autograd.functional.jacobian(
            lambda y: module(torch.zeros(1, 1, 3, dtype=torch.float64), y[None, None])[0][0, 0],
            torch.tensor(p.x))
        lam = np.linalg.eigvals(J.numpy())
        assert p.n_unstable == int(np.sum(np.abs(lam) > 1 + 1e-8))


def test_saturated_update_gate_gives_no_cloud_of_points():
    # GRU with the update gate stuck at z = σ(25): F(h) − h = (1 − z)(n(h) − h) is below the
    # tolerance everywhere, so every start "converges" where it starts. The real fixed point
    # (the root of n(h) = h, found with z = σ(0)) is reported once, with its uncertainty.
    H = 2
    weight_hh = np.zeros((3 * H, H))
    weight_hh[2 * H:] = [[1.5, 0.3], [-0.2, 1.2]]
    bias_ih = np.zeros(3 * H)
    bias_ih[2 * H:] = [0.1, -0.2]
    reference = dr.find_fixed_points(dr.GRU(None, weight_hh, bias_ih, np.zeros(3 * H)))
    assert len(reference) == 1 and reference.degenerate == ()
    bias_hh = np.zeros(3 * H)
    bias_hh[H:2 * H] = 25.0
    result = dr.find_fixed_points(dr.GRU(None, weight_hh, bias_ih, bias_hh))
    assert len(result) == 1 and len(result.degenerate) == 1
    error = np.max(np.abs(result[0].x - reference[0].x))
    assert error <= result.degenerate_radius[0] < 0.05


def test_trajectory_starts_from_a_torch_module_are_its_hidden_states():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    module = torch.nn.GRU(3, 5, batch_first=True, dtype=torch.float64)
    inputs = np.random.default_rng(0).choice([-1.0, 0.0, 1.0], size=(2, 12, 3))
    starts = dr.trajectory_starts(module, inputs, n_starts=30, noise=0.0)
    with torch.no_grad():
        hidden, _ = module(torch.tensor(inputs))
    visited = hidden.reshape(-1, 5).numpy()
    d = np.min(np.max(np.abs(starts[:, None] - visited[None]), axis=2), axis=1)
    assert np.all(d < 1e-12)


# -- per-start constant inputs --------------------------------------------------------------------
def test_per_start_inputs_search_each_input_on_its_own():
    # x ↦ 2 tanh(x) + u per unit (pre-activation state): one input per start, two inputs
    net = dr.RNN([[2.0, 0.0], [0.0, 2.0]], W_in=np.eye(2))
    starts = np.random.default_rng(0).uniform(-3, 3, (40, 2))
    U = np.repeat([[0.0, 0.0], [1.5, -1.5]], 20, axis=0)
    result = dr.find_fixed_points(net, U, starts=starts, max_rounds=1, box_fraction=0.0)
    for k, u in enumerate(([0.0, 0.0], [1.5, -1.5])):
        own = dr.find_fixed_points(net, u, starts=starts[20 * k: 20 * (k + 1)], max_rounds=1,
                                   box_fraction=0.0)
        mine = result.states[np.all(result.inputs == u, axis=1)]
        assert np.allclose(np.sort(mine, axis=0), np.sort(own.states, axis=0))
        assert np.all(np.linalg.norm(net.step(mine, u) - mine, axis=1) <= 1e-10)
    assert result.n_starts == 40 and len(result) == result.inputs.shape[0]


@pytest.mark.slow
def test_fixed_points_under_each_held_pulse_of_a_trained_flip_flop():
    # FixedPointFinder's conditioned search: each start carries the input it is searched under.
    # A flip-flop network holding a pulse on (u = e_k) has other fixed points than at u = 0
    # (the pulse drives bit k to one side); each point is a root at its own input.
    torch = pytest.importorskip("torch")
    from dynrnn.scripts.flipflop import train_flip_flop, visited_states
    module, _, _ = train_flip_flop("rnn", 8, steps=25, seed=0, batch=8, length=20, lr=0.05)
    net = dr.ElmanRNN.from_torch(module)
    states, _ = visited_states(module, n_trials=4, length=20)
    base = states[::4]
    pulses = np.vstack([np.zeros(3), np.eye(3)])                     # 0, then each pulse on
    starts = np.concatenate([base] * 4)
    U = np.repeat(pulses, base.shape[0], axis=0)
    result = dr.find_fixed_points(net, U, starts=starts)
    assert result.inputs.shape == (len(result), 3)
    assert {tuple(r) for r in result.inputs} == {tuple(p) for p in pulses}
    for p, u in zip(result, result.inputs):
        assert np.linalg.norm(net.step(p.x, u) - p.x) <= 1e-10      # a root at its own input
    at_zero = result.states[np.all(result.inputs == 0, axis=1)]
    alone = dr.find_fixed_points(net, np.zeros(3), starts=base)   # the u = 0 group by itself
    assert np.allclose(np.sort(at_zero, axis=0), np.sort(alone.states, axis=0), atol=1e-8)
    for k in range(3):
        held = result.states[np.all(result.inputs == pulses[k + 1], axis=1)]
        assert held.shape[0] >= 1
        # none of them is a fixed point at u = 0: the held pulse moved every point
        gaps = np.linalg.norm(net.step(held, np.zeros(3)) - held, axis=1)
        assert np.all(gaps > 1e-4)
    assert result.n_starts == sum(dr.find_fixed_points(net, pulses[k], starts=base).n_starts
                                  for k in range(4))
    assert "4 distinct inputs" in str(result)


def test_per_start_inputs_bad_shapes_are_named():
    net = dr.RNN([[2.0, 0.0], [0.0, 2.0]], W_in=np.eye(2))
    with pytest.raises(dr.ShapeError, match="starts= must be given"):
        dr.find_fixed_points(net, np.zeros((3, 2)))
    with pytest.raises(dr.ShapeError, match="one input per"):
        dr.find_fixed_points(net, np.zeros((3, 2)), starts=np.zeros((4, 2)))


def test_trajectory_starts_return_the_input_of_each_sampled_state():
    # x_{t+1} = 0·tanh(x_t) + u_t: each visited state is the input that produced it
    net = dr.RNN(np.zeros((2, 2)), W_in=np.eye(2))
    inputs = np.random.default_rng(1).normal(size=(3, 7, 2))
    starts, U = dr.trajectory_starts(net, inputs, n_starts=40, noise=0.0, return_inputs=True)
    assert U.shape == (40, 2)
    assert np.array_equal(starts, U)
    assert {tuple(r) for r in U} <= {tuple(r) for r in inputs.reshape(-1, 2)}
    autonomous, U0 = dr.trajectory_starts(net, n_starts=5, n_steps=3, return_inputs=True)
    assert np.array_equal(U0, np.zeros((5, 2)))


# -- box starts mixed with given starts -----------------------------------------------------------
def test_box_starts_are_added_to_given_starts():
    # tanh(2x) per unit: 9 fixed points; 16 copies of a start at one of them find only that one
    net = dr.RNN([[2.0, 0.0], [0.0, 2.0]])
    one = np.tile([0.95, 0.96], (16, 1))
    only = dr.find_fixed_points(net, starts=one, box_fraction=0.0)
    assert only.n_starts == 16 and len(only) == 1
    mixed = dr.find_fixed_points(net, starts=one)                    # default: 0.25
    assert mixed.n_starts == 16 + 4
    everywhere = dr.find_fixed_points(net, starts=one, box_fraction=1.0)
    assert everywhere.n_starts == 32 and len(everywhere) == 9
    with pytest.raises(dr.InvalidInputError, match="box_fraction"):
        dr.find_fixed_points(net, starts=one, box_fraction=1.5)
