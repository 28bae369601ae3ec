"""Issue 13 §2, events at branch points, border collisions, values lying exactly on a
bifurcation and folds a first continuation stalls before: an attractor is NOT_REACHED (or keeps
its identity) only when its branch ends a hyperbolic stable attractor; otherwise the first
bifurcation of any kind is its cause. References: closed forms (the PLRNN's border at h = 0,
the pitchfork at w = 1, the logistic flip at r = 3) and our own Newton on the fold's defining
system (Hénon), independent of the continuation code."""
import importlib

import numpy as np
import pytest
import sympy as sp
from scipy.optimize import brentq

import dynrnn as dr
from dynrnn.analysis.global_continuation import family_for, local_link
from tests.analysis.finite_results import every_result_finite  # noqa: F401 (checks every result)
from tests.problems import logistic_map

CAUSE = dr.AttractorEventCause
KIND = dr.AttractorEventKind


def _plrnn(w: float):
    """x -> 0.5 x + w relu(x) + h: for h < 0 the fixed point 2h, stable; for x > 0 the slope is
    0.5 + w. The fixed point 2h meets the border x = 0 exactly at h = 0."""
    return dr.PLRNN(np.diag([0.5]), np.array([[w]]), h=np.array([-1.0]))


def _run_plrnn(w: float):
    return dr.global_continuation(_plrnn(w), "h[0]", np.linspace(-1.05, 0.95, 11), n_samples=200,
                                  box=([-5.0], [5.0]), progress=False)


def test_plrnn_border_collision_flip_is_linked_to_the_border():
    result = _run_plrnn(-2.0)
    assert len(result.events) == 1
    event = result.events[0]
    assert event.kind is KIND.PERIOD_CHANGE and event.cause is CAUSE.BORDER_COLLISION
    assert event.bifurcation.kind is dr.BifurcationKind.BC
    # closed form: 2h = 0 at h = 0, the state on the border x = 0
    assert abs(event.param) < 1e-9 and abs(float(event.bifurcation.x[0])) < 1e-9
    # the attractor after it is the closed-form 2-cycle x1 < 0 < x2 with x2 = 0.5 x1 + h,
    # x1 = -1.5 x2 + h
    h = float(result.values[-1])
    x1, x2 = np.linalg.solve([[-0.5, 1.0], [1.0, 1.5]], [h, h])
    cycle = result.attractors[-1][event.attractor]
    assert cycle.period == 2
    assert np.allclose(np.sort(cycle.states[:, 0]), [x1, x2], atol=1e-9)
    # the 2-cycle, continued back from its first value, collapses onto the border point too
    family = family_for([_plrnn(-2.0)], result.values, "h[0]", None)
    back = local_link(family, result.attractors[event.index][event.attractor], event.index,
                      False)
    assert back.cause is CAUSE.BORDER_COLLISION and abs(back.bifurcation.param) < 1e-9


def test_plrnn_border_collision_fold_kills_the_attractor():
    # w = 1: for h < 0 the stable 2h and the unstable -2h (slope 1.5) meet on the border at h = 0
    result = _run_plrnn(1.0)
    deaths = [e for e in result.events if e.kind is KIND.DEATH]
    assert len(deaths) == 1 and deaths[0].cause is CAUSE.BORDER_COLLISION
    assert abs(deaths[0].param) < 1e-9


def _pitchfork(values, **kwargs):
    net = dr.RNN([[0.5]], b=[0.0], activation="tanh")
    return dr.global_continuation(net, "W_rec[0,0]", values, box=([-3.0], [3.0]),
                                  progress=False, **kwargs)


@pytest.mark.parametrize("threshold", [None, 0.1])
def test_pitchfork_origin_and_side_branches_linked_to_the_branch_point(threshold, tmp_path):
    kwargs = {} if threshold is None else {"match_threshold": threshold}
    result = _pitchfork(np.linspace(0.55, 1.55, 11), **kwargs)
    causes = sorted((e.kind.value, e.cause.name) for e in result.events)
    assert causes == [("birth", "BRANCH_POINT"), ("birth", "BRANCH_POINT"),
                      ("death", "BRANCH_POINT")]
    for event in result.events:       # closed form: x = w tanh x branches off 0 at w = 1
        assert abs(event.param - 1.0) < 1e-6 and event.interval == pytest.approx((0.95, 1.05))
    death = next(e for e in result.events if e.kind is KIND.DEATH)
    assert death.bifurcation.kind is dr.BifurcationKind.BP
    # the survivors at w = 1.55 are ±x*, x* = w tanh x* (own root), not the origin
    w = float(result.values[-1])
    root = brentq(lambda x: w * np.tanh(x) - x, 0.1, 3.0)
    last = sorted(float(a.states[0, 0]) for a in result.attractors[-1] if a is not None)
    assert np.allclose(last, [-root, root], atol=1e-9)
    assert death.attractor not in [e.attractor for e in result.events if e.kind is KIND.BIRTH]
    loaded = dr.load(dr.save(result, tmp_path / "pitchfork.npz"))
    assert [e.note for e in loaded.events] == [e.note for e in result.events]
    assert [row["note"] for row in result.events_table()] == [e.note for e in result.events]


@pytest.mark.parametrize("n_samples", [None, 200])
def test_value_exactly_on_the_pitchfork(n_samples):
    # w = 1.0 is a value: the origin is non-hyperbolic there, not a stable attractor reached.
    # With 200 samples a few orbits settle on it at w = 1.0 (the rest creep: unresolved);
    # continued from there it may leave along a side branch, which proves no identity
    kwargs = {} if n_samples is None else {"n_samples": n_samples}
    result = _pitchfork(np.linspace(0.5, 1.5, 11), **kwargs)
    assert sorted((e.kind.value, e.cause.name) for e in result.events) == [
        ("birth", "BRANCH_POINT"), ("birth", "BRANCH_POINT"), ("death", "BRANCH_POINT")]
    assert all(abs(e.param - 1.0) < 1e-6 for e in result.events)
    assert any(("end of the interval" in e.note or "lies on" in e.note)
               for e in result.events)
    origin = next(e.attractor for e in result.events if e.kind is KIND.DEATH)
    assert result.attractors[0][origin].states[0, 0] == pytest.approx(0.0, abs=1e-8)
    assert result.attractors[-1][origin] is None


def test_logistic_value_exactly_on_the_flip():
    x, r = sp.symbols("x r")
    logistic = dr.Map.from_sympy([r * x * (1 - x)], [x], {r: 3.0})
    result = dr.global_continuation(logistic, "r", np.linspace(3.0, 3.05, 6), n_samples=200,
                                    box=([0.0], [1.0]), progress=False)
    assert len(result.events) == 1
    event = result.events[0]
    # closed form: the fixed point 1 - 1/r has multiplier 2 - r = -1 at r = 3
    assert event.kind is KIND.BIRTH and event.cause is CAUSE.FLIP
    assert abs(event.param - 3.0) < 1e-6
    assert abs(float(event.bifurcation.x[0]) - 2.0 / 3.0) < 1e-3
    assert "2-cycle" in event.note


def _henon_fold(a0: float, z0: np.ndarray, b: float = 0.3) -> float:
    """Own Newton on F^6(z; a) = z, det(DF^6 - I) = 0 for (z, a), forward-difference in a."""
    def residual(unknowns):
        z, a = unknowns[:2], unknowns[2]
        w, jac = z.copy(), np.eye(2)
        for _ in range(6):
            jac = np.array([[-2 * a * w[0], 1.0], [b, 0.0]]) @ jac
            w = np.array([1 - a * w[0] ** 2 + w[1], b * w[0]])
        return np.concatenate([w - z, [np.linalg.det(jac - np.eye(2))]])
    unknowns = np.array([z0[0], z0[1], a0])
    for _ in range(50):
        f = residual(unknowns)
        jac = np.empty((3, 3))
        for k in range(3):
            step = np.zeros(3)
            step[k] = 1e-7
            jac[:, k] = (residual(unknowns + step) - f) / 1e-7
        delta = np.linalg.solve(jac, -f)
        unknowns = unknowns + delta
        if np.max(np.abs(delta)) < 1e-12:
            break
    assert np.max(np.abs(residual(unknowns))) < 1e-9
    return float(unknowns[2])


def test_henon_six_cycle_birth_linked_to_its_fold_after_a_stalled_continuation():
    x, y, a, b = sp.symbols("x y a b")
    henon = dr.Map.from_sympy([1 - a * x ** 2 + y, b * x], [x, y], {a: 1.44, b: 0.3})
    values = np.array([1.44, 1.45])
    result = dr.global_continuation(henon, "a", values, n_samples=300,
                                    box=([-1.5, -0.5], [1.5, 0.5]), progress=False)
    births = [e for e in result.events if e.kind is KIND.BIRTH]
    assert len(births) == 1 and births[0].cause is CAUSE.FOLD
    cycle = result.attractors[-1][births[0].attractor]
    assert cycle.period == 6
    fold = _henon_fold(1.4492, cycle.states[0])
    assert 1.44 < fold < 1.45 and abs(births[0].param - fold) < 1e-4
    # the first continuation (default steps, bounds the interval) stalls: the retry finds it
    family = family_for([henon], values, "a", None)
    assert local_link(family, cycle, 1, False).cause is CAUSE.FOLD


def _fake_branch(params, modulus, bifurcations=()):
    from types import SimpleNamespace
    return SimpleNamespace(n_points=len(params), success=True, params=np.array(params),
                           states=np.zeros((len(params), 1)),
                           eigenvalues=np.full((len(params), 1), modulus),
                           bifurcations=list(bifurcations))


@pytest.mark.parametrize("modulus", [1.5, 1.0])
def test_unstable_end_without_bifurcation_is_unknown_with_a_note(monkeypatch, modulus):
    """The decision alone (continuation replaced): a branch that reaches the other end unstable
    or non-hyperbolic, with no bifurcation in or just past the interval, is never NOT_REACHED."""
    links = importlib.import_module("dynrnn.analysis.global_continuation.links")
    calls = []

    def fake(system, param, start, bounds, **kwargs):
        calls.append(bounds)
        return _fake_branch([0.0, 1.0], modulus)
    monkeypatch.setattr(links, "continuation", fake)
    net = dr.RNN([[0.5]], b=[0.0], activation="tanh")
    family = family_for([net], np.array([0.0, 1.0]), "b[0]", None)
    attractor = dr.basins(net, n_samples=10, box=([-1.0], [1.0]), progress=False).attractors[0]
    crossing = local_link(family, attractor, 1, True)
    assert crossing.cause is CAUSE.UNKNOWN and crossing.end is None
    assert "unstable or non-hyperbolic" in crossing.note
    assert calls == [(0.0, 1.0), (0.0, 1.01)]     # looked just past the end, by EXTEND


def test_stalled_branch_without_bifurcation_is_unknown_with_a_note(monkeypatch):
    links = importlib.import_module("dynrnn.analysis.global_continuation.links")
    calls = []

    def fake(system, param, start, bounds, **kwargs):
        calls.append((bounds, kwargs.get("options")))
        return _fake_branch([0.0, 0.3], 0.5)
    monkeypatch.setattr(links, "continuation", fake)
    net = dr.RNN([[0.5]], b=[0.0], activation="tanh")
    family = family_for([net], np.array([0.0, 1.0]), "b[0]", None)
    attractor = dr.basins(net, n_samples=10, box=([-1.0], [1.0]), progress=False).attractors[0]
    crossing = local_link(family, attractor, 1, True)
    assert crossing.cause is CAUSE.UNKNOWN and "stopped before" in crossing.note
    (first, _), (wide, options) = calls
    assert first == (0.0, 1.0) and wide == (-0.5, 1.5) and options.ds_max == pytest.approx(0.02)


def test_every_unknown_or_global_event_says_why_and_the_table_shows_unresolved_states():
    # events that continuation could not explain carry a note (the docs promise one), and
    # the table of a global continuation has the unresolved share of every value
    logistic = logistic_map(3.95)
    runs = [dr.global_continuation(logistic, "r", np.linspace(3.95, 4.05, 3), n_samples=60,
                                   box=([0.01], [0.99]), progress=False),
            dr.global_continuation(dr.RNN([[5.0]], b=[0.0], activation="tanh"), "b[0]",
                                   np.linspace(-5, 5, 11), n_samples=60, progress=False,
                                   local=False)]
    unexplained = [e for run in runs for e in run.events
                   if e.cause in (dr.AttractorEventCause.UNKNOWN, dr.AttractorEventCause.GLOBAL)]
    assert len(unexplained) >= 3
    assert all(e.note for e in unexplained), [e for e in unexplained if not e.note]
    rows = runs[0].to_records()
    assert [row["unresolved"] for row in rows] == runs[0].unresolved.tolist()
