"""Border collisions of piecewise-linear maps against closed forms and exact region enumeration."""
import itertools

import numpy as np
import pytest

import dynrnn as dr
from dynrnn.analysis.border_collisions import (
    BorderCollisionType,
    PiecewiseStatus,
    border_collisions_between,
    classify_border_collision,
    continue_piecewise,
)
from dynrnn.analysis.piecewise import enumerate_cycles
from dynrnn.analysis.special_points import BifurcationKind
from tests.checks import assert_named_error

SLOPES = [-1.6, -0.7, 0.3, 0.8, 1.4]


def expected_type(a, w):
    """Closed form for z ↦ a z + w relu(z) + h at h = 0: slopes a (z ≤ 0) and a + w (z > 0)."""
    left, right = a, a + w
    if (1 - left) * (1 - right) < 0:
        return BorderCollisionType.NONSMOOTH_FOLD
    if (left < -1) != (right < -1):
        return BorderCollisionType.NONSMOOTH_FLIP
    if (abs(left) < 1) != (abs(right) < 1):
        return BorderCollisionType.PERSISTENCE_STABILITY_CHANGE
    return BorderCollisionType.PERSISTENCE


@pytest.mark.parametrize("a,right", [(a, r) for a, r in itertools.product(SLOPES, SLOPES)
                                      if a != r])   # a == right: linear, no border
def test_one_dimensional_family_closed_forms(a, right):
    w = right - a
    net = dr.PLRNN([a], [[w]], h=[-0.5])
    # start on whichever side has a fixed point: z = h/(1 - a) (z <= 0) or h/(1 - a - w) (z > 0)
    if 1 - a > 0:
        p0, x0 = -0.5, -0.5 / (1 - a)
    else:
        p0, x0 = 0.5, 0.5 / (1 - a - w) if 1 - a - w > 0 else None
        if x0 is None:
            pytest.skip("no fixed point on either side for h of either sign")
    branch = continue_piecewise(net, "h[0]", [x0], (-0.5, 0.5), p0=p0,
                                direction="forward" if p0 < 0 else "backward")
    (bc,) = branch.collisions
    assert bc.kind == BifurcationKind.BC
    assert abs(bc.param) < 1e-12 and abs(bc.x[0]) < 1e-12
    assert bc.extra["type"] == expected_type(a, w)
    # every stored point is the closed-form fixed point of its region
    for h, z, pattern in zip(branch.params, branch.states[:, 0], branch.patterns[:, 0, 0]):
        slope = a + w if pattern else a
        assert z == pytest.approx(h / (1 - slope), abs=1e-13)
    if bc.extra["type"] == BorderCollisionType.NONSMOOTH_FOLD:
        # turns back: both fixed points exist on the side it started from
        assert branch.params[-1] == p0 and branch.patterns[-1, 0, 0] != branch.patterns[0, 0, 0]
    else:
        assert branch.params[-1] == -p0
    assert branch.success


@pytest.mark.parametrize("a,right", [(0.3, -1.6), (-0.7, -1.6), (-1.6, 0.8)])
def test_nonsmooth_flip_gives_birth_to_the_closed_form_two_cycle(a, right):
    w = right - a
    net = dr.PLRNN([a], [[w]], h=[0.0])
    # the 2-cycle z_L <= 0 < z_R: z_R = a z_L + h, z_L = (a + w) z_R + h
    for h in (-0.1, 0.1):
        z_r = h * (1 + a) / (1 - a * (a + w))
        z_l = right * z_r + h
        exists = z_r > 0 and z_l <= 0
        found = dr.find_cycles(net.with_params({"h[0]": h}), 2, seed=0)
        got = sorted(float(x) for c in found for x in np.asarray(c.orbit).ravel())
        assert (len(found) == 1) == exists
        if exists:
            np.testing.assert_allclose(got, sorted([z_l, z_r]), atol=1e-12)
    # and it exists on exactly one side of h = 0
    sides = [(h * (1 + a) / (1 - a * right) > 0) for h in (-0.1, 0.1)]
    assert sides[0] != sides[1]
    # the 2-cycle's own branch ends at the border collision h = 0, where it shrinks to z = 0
    h = 0.1 if sides[1] else -0.1
    z_r = h * (1 + a) / (1 - a * right)
    cycle = continue_piecewise(net.with_params({"h[0]": h}), "h[0]", [z_r], (-0.2, 0.2),
                               period=2, direction="backward" if h > 0 else "forward")
    assert any(abs(c.param) < 1e-12 for c in cycle.collisions)


def random_plrnn(seed, n=2):
    rng = np.random.default_rng(seed)
    return dr.PLRNN(rng.uniform(-0.9, 0.9, n), rng.normal(0, 1.2, (n, n)),
                    h=rng.normal(0, 0.5, n))


@pytest.mark.parametrize("seed", range(6))
def test_two_dimensional_plrnn_matches_exact_enumeration(seed):
    """SCYFI-style test family: random 2-D PLRNNs, h[0] swept over [-1, 1]. Every collision is
    located to 1e-12 against the affine closed form of its region, and the number of fixed
    points from exhaustive region enumeration changes only at non-smooth folds."""
    net = random_plrnn(seed)
    lo, hi = -1.0, 1.0
    start = net.with_params({"h[0]": lo})
    A, W, c = start.piecewise_linear_form()
    sol, _ = enumerate_cycles(A, W, c, 1)
    points = sol.orbits[sol.consistent][:, 0]
    collisions = []
    for x0 in points:
        branch = continue_piecewise(start, "h[0]", x0, (lo, hi), p0=lo)
        assert branch.status in (PiecewiseStatus.REACHED_BOUND, PiecewiseStatus.SINGULAR)
        for bc in branch.collisions:
            # closed form: x(h) = -(M - I)^{-1}(c0 + h e0) in the region before the collision
            D = bc.extra["pattern_before"][0]
            M = np.diag(net.A) + net.W * D[None, :]
            c0 = np.array([0.0, net.h[1]])
            inv = np.linalg.inv(M - np.eye(2))
            i = bc.extra["unit"]
            exact = -(inv @ c0)[i] / (inv @ np.array([1.0, 0.0]))[i]
            assert bc.param == pytest.approx(exact, abs=1e-12)
            assert abs(bc.x[i]) < 1e-12
            collisions.append(bc)
        # stored points solve the map exactly
        for h, x in zip(branch.params, branch.states):
            m = net.with_params({"h[0]": h})
            np.testing.assert_allclose(m.step(x), x, atol=1e-12)
    folds = sorted({round(b.param, 9) for b in collisions
                    if b.extra["type"] == BorderCollisionType.NONSMOOTH_FOLD})
    grid = np.linspace(lo, hi, 401)
    counts = []
    for h in grid:
        A, W, c = net.with_params({"h[0]": h}).piecewise_linear_form()
        s, _ = enumerate_cycles(A, W, c, 1)
        counts.append(int(np.count_nonzero(s.consistent)))
    changes = grid[1:][np.diff(counts) != 0]
    for h in changes:
        assert any(abs(h - f) <= grid[1] - grid[0] + 1e-12 for f in folds), (h, folds)


def test_classification_from_multipliers_in_two_dimensions():
    # complex multipliers do not count toward σ±: a stable focus becoming an unstable focus is
    # a persistence with a change of stability
    rot = lambda r, t: r * np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    assert classify_border_collision(rot(0.9, 1.0), rot(1.2, 1.3)) == \
        BorderCollisionType.PERSISTENCE_STABILITY_CHANGE
    assert classify_border_collision(np.diag([0.5, 0.2]), np.diag([1.5, 0.2])) == \
        BorderCollisionType.NONSMOOTH_FOLD
    assert classify_border_collision(np.diag([0.5, 0.2]), np.diag([-1.5, 0.2])) == \
        BorderCollisionType.NONSMOOTH_FLIP
    assert classify_border_collision(np.diag([1.5, 1.2]), np.diag([0.5, 0.2])) == \
        BorderCollisionType.PERSISTENCE_STABILITY_CHANGE


def test_relu_rnn_trained_in_pytorch_collisions_between_snapshots():
    """A 3-unit ReLU RNN trained briefly in PyTorch; between its initial and trained weights
    the collisions found are real: the orbit coordinate vanishes at s*, and the multipliers
    before and after are those of the two regions' exact solutions just before and after."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    cell = torch.nn.RNN(1, 3, nonlinearity="relu", batch_first=True)
    net_a = dr.RNN.from_torch(cell)
    opt = torch.optim.SGD(cell.parameters(), lr=0.2)
    x = torch.ones(1, 15, 1)
    for _ in range(25):
        opt.zero_grad()
        out, _ = cell(x)
        loss = ((out[:, -1].sum() - 2.0) ** 2)
        loss.backward()
        opt.step()
    net_b = dr.RNN.from_torch(cell)
    found = border_collisions_between(net_a, net_b)
    assert found, "training should move a fixed point across a border"
    for bc in found:
        assert 0.0 <= bc.param <= 1.0
        s = bc.param
        m = dr.LineBetween(net_a, net_b).at(s)
        np.testing.assert_allclose(m.step(bc.x), bc.x, atol=1e-10)
        assert abs(bc.x[bc.extra["unit"]]) < 1e-10
        assert bc.extra["stable_before"] == bool(np.max(np.abs(bc.eigenvalues)) < 1)


def test_bad_input():
    net = dr.PLRNN([0.5], [[-2.0]], h=[-0.5])
    smooth = dr.RNN([[0.5]], activation="tanh")
    assert_named_error(lambda: continue_piecewise(smooth, "b[0]", [0.0], (-1, 1)),
                       dr.InvalidTypeError, "system", "not piecewise linear")
    assert_named_error(lambda: continue_piecewise(net, "h[0]", [-1.0], (1, -1)),
                       dr.InvalidInputError, "bounds", "lo < hi")
    assert_named_error(lambda: continue_piecewise(net, "h[0]", [-1.0], (0, 1)),
                       dr.InvalidInputError, "p0", "outside bounds")
    assert_named_error(lambda: continue_piecewise(net, "h[0]", [-1.0], (-1, 1), period=0),
                       dr.InvalidInputError, "period", "positive integer")
    assert_named_error(lambda: continue_piecewise(net, "h[0]", [-1.0], (-1, 1),
                                                  period=10**8),
                       dr.InvalidInputError, "period", "shorter period")
    assert_named_error(lambda: continue_piecewise(net, "h[0]", [-1.0, 2.0], (-1, 1)),
                       dr.ShapeError, "start", "shape")
    assert_named_error(lambda: continue_piecewise(net, "h[0]", [-1.0], (-1, 1), direction="up-ish"),
                       dr.InvalidInputError, "direction", "forward")
    assert_named_error(lambda: border_collisions_between(smooth, smooth),
                       dr.InvalidTypeError, "net_a", "not piecewise linear")


def test_continuation_of_relu_maps_reports_border_collisions_and_continues_through():
    # dr.continuation hands piecewise-linear maps to the exact region-by-region continuation
    net = dr.PLRNN([0.5], [[-2.0]], h=[-0.5])
    branch = dr.continuation(net, "h[0]", [-1.0], (-0.5, 0.5))
    assert branch.success and branch.params[-1] == 0.5
    (bc,) = branch.bifurcations
    assert bc.kind == BifurcationKind.BC and abs(bc.param) < 1e-12
    assert branch.params[bc.index] <= bc.param <= branch.params[bc.index + 1]
    # both directions from the middle of a fold: the two fixed points of z ↦ 0.5 z + relu(z) + h
    fold = dr.PLRNN([0.5], [[1.0]], h=[-0.5])
    both = dr.continuation(fold, "h[0]", [-1.0], (-0.5, 0.5), direction="both")
    (bc,) = both.bifurcations
    assert bc.extra["type"] == BorderCollisionType.NONSMOOTH_FOLD
    assert np.all(both.params <= 1e-12) and both.success
    # the Pascanu form x ↦ W relu(x) + b along the segment between two networks (what
    # find_gradient_events continues): the crossing of x = 0 is a BC point at s = 1/2
    net_a = dr.RNN([[0.5]], b=[-0.5], activation="relu")
    net_b = dr.RNN([[0.5]], b=[0.5], activation="relu")
    seg = dr.continuation(net_a, ("line", net_b), [-0.5], (0.0, 1.0), p0=0.0)
    (bc,) = seg.bifurcations
    assert bc.param == pytest.approx(0.5, abs=1e-12)
    assert bc.extra["type"] == BorderCollisionType.PERSISTENCE
    assert [c.param for c in border_collisions_between(net_a, net_b)] == [bc.param]


def test_gradient_events_of_a_relu_network_report_border_collisions():
    """find_gradient_events continues the fixed points of ReLU networks along each update with
    dr.continuation, which hands them to the exact region continuation: the border collisions
    crossed appear as crossings of kind "BC", and each is a real one (a fixed point with a
    coordinate exactly on its border at the reported s)."""
    from dynrnn.gradients import Readout, find_gradient_events, train
    rng = np.random.default_rng(2)
    net = dr.RNN(rng.normal(0, 1.0, (2, 2)), W_in=rng.normal(0, 1, (2, 2)),
                 b=rng.normal(0, 0.5, 2), activation="relu")
    readout = Readout(rng.normal(0, 1, (1, 2)), np.zeros(1))
    result = train(net, "addition", steps=150, lr=0.1, seed=2, progress=False,
                   history="full", length=10, readout=readout)
    events = find_gradient_events(result)
    crossings = [c for e in events for c in e.crossings if c.kind == "BC"]
    assert crossings
    for c in crossings:
        net_a = result.history.network_at(c.step_a)[0]
        net_b = result.history.network_at(c.step_b)[0]
        m = dr.LineBetween(net_a, net_b).at(c.s)
        np.testing.assert_allclose(m.step(c.x), c.x, atol=1e-9)
        assert np.min(np.abs(c.x)) < 1e-9
