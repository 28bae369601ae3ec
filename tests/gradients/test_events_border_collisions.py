"""Spikes of ReLU networks explained by border collisions (issue 14 §4).

The planted family is a 2-unit PLRNN z ↦ A z + W relu(z) + h with A = diag(0.5, 0.5),
W = [[1, 0], [1, −2]] and h = (−2, h₂). Unit 1 does not see unit 2; it has the stable fixed point
p = 2 h₁ = −4 (slope 0.5) and the saddle q = −2 h₁ = 4 (slope 1.5). Unit 2 at z₁ = z₁* has its
fixed point on the border z₂ = 0 exactly when h₂ = −relu(z₁*): at h₂ = 0 for the attractor
(p, ·) that x0 reaches, at h₂ = −4 for the saddle (q, ·) eleven units away. An update moving h₂
across one of these values by a straight line crosses the collision at s = 1/2, at the state
(z₁*, 0): closed forms the analysis is checked against.
"""
from __future__ import annotations

import numpy as np
import pytest

import dynrnn as dr
from dynrnn.gradients import EventCause, find_gradient_events


class _OneUpdate:
    """A history of ``n`` steps with one spike at step ``k``: θ_j = θ_a up to k, θ_b after."""

    def __init__(self, net_a, net_b, x0, k: int = 10, n: int = 20):
        self.grad_norm = np.ones(n)
        self.grad_norm[k] = 100.0
        self.nonfinite = np.zeros(n, dtype=bool)
        self.loss = np.linspace(1.0, 0.5, n)
        self.loss[k + 1] = 3.0
        self.n_steps, self.x0, self.k = n, np.asarray(x0, dtype=np.float64), k
        self.net_a, self.net_b = net_a, net_b

    def has_params(self, step: int) -> bool:
        return True

    def network_at(self, step: int):
        return self.net_a if step <= self.k else self.net_b


def _plrnn(h2: float):
    return dr.PLRNN([0.5, 0.5], [[1.0, 0.0], [1.0, -2.0]], h=[-2.0, h2])


def test_spike_at_a_collision_of_the_visited_attractor_is_attributed_to_it():
    (event,) = find_gradient_events(_OneUpdate(_plrnn(-0.5), _plrnn(0.5), [-3.0, -1.0]),
                                    window=0)
    assert event.cause is EventCause.BORDER_COLLISION and event.explained
    (crossing,) = event.crossings
    assert crossing.is_border_collision and crossing.kind == "BC"
    assert crossing.s == pytest.approx(0.5, abs=1e-12)
    np.testing.assert_allclose(crossing.x, [-4.0, 0.0], atol=1e-12)
    # unit 2's slope jumps from 0.5 to −1.5 at the border: a 2-cycle is born (Feigin's rule)
    assert crossing.collision_type is dr.analysis.BorderCollisionType.NONSMOOTH_FLIP
    assert crossing.relevance.relevant and crossing.relevance.distance_to_states < 1e-9
    assert not event.irrelevant_crossings and not event.basin_changes


def test_the_same_collision_moved_to_a_far_saddle_is_not_counted():
    # h₂ shifted by −4: the collision now happens to the saddle (q, ·) = (4, 0); x0's attractor
    # (−4, 2 h₂) never reaches the border
    (event,) = find_gradient_events(_OneUpdate(_plrnn(-4.5), _plrnn(-3.5), [-3.0, -1.0]),
                                    window=0)
    assert event.cause is EventCause.IRRELEVANT_ONLY and not event.explained
    assert not event.crossings
    (crossing,) = event.irrelevant_crossings
    assert crossing.is_border_collision and crossing.s == pytest.approx(0.5, abs=1e-12)
    np.testing.assert_allclose(crossing.x, [4.0, 0.0], atol=1e-12)
    # the distance to the loss states is that from (4, 0) to the attractor (−4, −8) at s = 1/2
    assert crossing.relevance.distance_to_states == pytest.approx(np.hypot(8.0, 8.0), rel=1e-9)
    assert crossing.relevance.distance_to_states > crossing.relevance.radius


def test_relu_elman_network_collisions_found_on_its_conjugate_in_elman_states():
    # h ↦ relu(0.5 h + b): its fixed point is 0 for b < 0 and 2b for b > 0; its Pascanu conjugate
    # x ↦ 0.5 relu(x) + b hits the border x = 0 at b = 0, i.e. s = 1/4 on b = −0.25 → 0.75
    net_a = dr.ElmanRNN([[0.5]], b=[-0.25], activation="relu")
    net_b = dr.ElmanRNN([[0.5]], b=[0.75], activation="relu")
    (event,) = find_gradient_events(_OneUpdate(net_a, net_b, [0.3]), window=0)
    assert event.cause is EventCause.BORDER_COLLISION
    (crossing,) = event.crossings
    assert crossing.s == pytest.approx(0.25, abs=1e-12)
    # reported in the Elman state h = relu(x), a fixed point of the Elman map at that s
    middle = net_a.interpolate(net_b, crossing.s)
    np.testing.assert_allclose(middle.step(crossing.x), crossing.x, atol=1e-12)
    np.testing.assert_allclose(crossing.x, [0.0], atol=1e-12)


def test_smooth_networks_keep_their_causes():
    # a tanh network has no borders: its crossings are smooth bifurcations, never BC
    from dynrnn.gradients import descent_paths
    plain, = descent_paths((5.0, -2.61249), lr=0.01, steps=10, clips=(None,))
    events = find_gradient_events(plain)
    assert [e.cause for e in events] == [EventCause.BASIN_BOUNDARY]
    assert not any(c.is_border_collision for e in events for c in e.crossings)
    assert all(c.collision_type is None for e in events for c in e.crossings)


def test_cause_ranks_a_basin_change_at_a_collision_first():
    # the ranking of _cause, on stand-ins: a basin change at the s of a border collision is the
    # collision's; at a smooth bifurcation it is BIFURCATION; elsewhere a BASIN_BOUNDARY
    from types import SimpleNamespace

    from dynrnn.gradients.events.analysis import _cause

    def crossing(s, bc):
        return SimpleNamespace(s=s, step_a=3, step_b=4, is_border_collision=bc)
    change = SimpleNamespace(s=0.5, step_a=3, step_b=4)
    assert _cause([crossing(0.5, True)], [], [change], 1e-3) is EventCause.BORDER_COLLISION
    assert _cause([], [crossing(0.5, False)], [change], 1e-3) is EventCause.BIFURCATION
    assert _cause([crossing(0.9, True)], [], [change], 1e-3) is EventCause.BASIN_BOUNDARY
    assert _cause([crossing(0.9, True)], [], [], 1e-3) is EventCause.BORDER_COLLISION
    assert _cause([crossing(0.9, False)], [], [], 1e-3) is EventCause.BIFURCATION_NEARBY
    assert _cause([], [crossing(0.9, True)], [], 1e-3) is EventCause.IRRELEVANT_ONLY
    assert _cause([], [], [], 1e-3) is EventCause.UNEXPLAINED
