"""Issue 13 §2, the causes of births and deaths: an attractor whose local continuation crosses
the interval without a bifurcation existed at the other value, so it keeps its identity or is
reported NOT_REACHED, never a bifurcation; the default box covers the whole range. Checked by
closed forms and by our own Newton continuation, independent of the identity code."""
import numpy as np
import pytest
from scipy.optimize import brentq

import dynrnn as dr
from dynrnn.analysis.basins import Attractor
from dynrnn.analysis.global_continuation import (
    Crossing,
    cloud_cause,
    default_box,
    family_for,
    maps_along,
    reconcile,
)
from tests.analysis.finite_results import every_result_finite  # noqa: F401 (checks every result)
from tests.problems import TANH_FOLDS_W5, one_unit, sign_holding_net

CAUSE = dr.AttractorEventCause


def newton_path(map_at, x, start: float, end: float, n_steps: int = 200):
    """``x``, a fixed point of ``map_at(start)``, followed by Newton at n_steps parameter steps
    to ``end``: the fixed point there, or None where Newton fails or det(DF − I) changes sign (a
    fold is crossed)."""
    x = np.asarray(x, dtype=float)
    identity = np.eye(x.size)
    sign = None
    for p in np.linspace(start, end, n_steps + 1):
        system = map_at(float(p))
        for _ in range(40):
            try:
                dx = np.linalg.solve(system.jacobian(x) - identity, x - system.step(x))
            except (np.linalg.LinAlgError, ValueError):      # singular at a fold, overflow
                return None
            x = x + dx
            if np.max(np.abs(dx)) < 1e-13:
                break
        else:
            return None
        side = np.sign(np.linalg.det(system.jacobian(x) - identity))
        if np.max(np.abs(system.step(x) - x)) > 1e-10 or sign not in (None, side):
            return None
        sign = side
    return x


def _tanh_fixed_point(b: float, lower: bool) -> float:
    """x = 5 tanh(x) + b on the lower (x < -1.44) or upper (x > 1.44) stable branch."""
    g = lambda x: 5 * np.tanh(x) + b - x                       # noqa: E731
    return brentq(g, -12.0, -1.4436) if lower else brentq(g, 1.4436, 12.0)


def _point(x: float) -> Attractor:
    slope = 5.0 / np.cosh(x) ** 2
    return Attractor(dr.AttractorKind.FIXED_POINT, np.array([[x]]), 1,
                     np.array([slope + 0j]), None, refined=True, residual=0.0, stable=True)


def test_default_box_is_the_hull_over_the_range_and_gives_the_folds():
    # the first map's invariant box at b = -5 is [-10, 0]: the upper attractor's basin entered
    # it only near b = 0.125, where a birth used to be reported; the hull is [-10, 10]
    net = one_unit(5.0, 0.0, "tanh")
    values = np.linspace(-5.0, 5.0, 41)
    along = maps_along(net, "b[0]", values, None)
    np.testing.assert_array_equal(default_box(along, None), [[-10.0], [10.0]])
    result = dr.global_continuation(net, "b[0]", values, n_samples=300, progress=False)
    assert result.match_threshold == 10.0                     # half the hull's width
    expected = np.where((values > TANH_FOLDS_W5[0]) & (values < TANH_FOLDS_W5[1]), 2, 1)
    np.testing.assert_array_equal(result.n_attractors, expected)
    assert [(e.kind.value, e.cause) for e in result.events] == \
        [("birth", CAUSE.FOLD), ("death", CAUSE.FOLD)]
    np.testing.assert_allclose([e.param for e in result.events], TANH_FOLDS_W5, atol=1e-6)
    # with the first map's box the upper point is reached only from b = 0.25 on: it existed
    # (and was stable) since the fold, so its birth is not a bifurcation but NOT_REACHED
    first = dr.global_continuation(net, "b[0]", values, box=([-10.0], [0.0]), n_samples=300,
                                   progress=False)
    assert [(e.kind.value, e.cause) for e in first.events] == \
        [("birth", CAUSE.NOT_REACHED), ("death", CAUSE.FOLD)]
    assert first.events[0].interval == (0.0, 0.25)


def test_a_training_run_has_no_spurious_event_with_the_default_box():
    from dynrnn.gradients.error_surface import fig6_problem
    net, batch, x0 = fig6_problem(5.0, -2.0)
    run = dr.train(net, batch, steps=60, lr=0.3, x0=x0, history="full", progress=False)
    networks = [run.history.network_at(int(k))[0] for k in run.history.param_steps]
    boxes = np.array([np.stack(n.invariant_box()) for n in networks])
    box = default_box(maps_along(run, None, None, None), None)      # over every θ_k
    np.testing.assert_array_equal(box, [boxes[:, 0].min(0), boxes[:, 1].max(0)])
    result = dr.global_continuation(run, n_samples=300, progress=False)
    explicit = dr.global_continuation(run, box=([-4.0], [8.0]), n_samples=300, progress=False)
    # the first network's box only: the identities are still repaired by continuation (the
    # code before this fix reported a global birth and a global death in (20, 21) here)
    first = dr.global_continuation(run, box=networks[0].invariant_box(), n_samples=300,
                                   progress=False)
    assert [e.cause for e in result.events] == [CAUSE.FOLD, CAUSE.FOLD]
    assert [(e.kind, e.index, e.cause) for e in first.events] == \
        [(e.kind, e.index, e.cause) for e in result.events]
    assert [(e.kind, e.index) for e in result.events] == \
        [(e.kind, e.index) for e in explicit.events]
    np.testing.assert_allclose([e.param for e in result.events],
                               [e.param for e in explicit.events], atol=1e-9)
    for event in result.events:
        # on the line between θ_{k-1} and θ_k at s: x = w σ(x) + b with w σ'(x) = 1
        k = event.index
        line = dr.LineBetween(networks[k - 1], networks[k])
        s = event.bifurcation.param
        w, b = (line.at(s).param_values()[name] for name in ("W_rec[0,0]", "b[0]"))
        x = event.bifurcation.x[0]
        sigma = 1 / (1 + np.exp(-x))
        assert abs(w * sigma + b - x) < 1e-8 and abs(w * sigma * (1 - sigma) - 1) < 1e-6


def test_an_attractor_the_ensemble_misses_is_not_reached_not_a_bifurcation(tmp_path):
    # both stable points exist for b in (-3.0285, 3.0285); an ensemble in [1.2, 7] reaches the
    # lower one only once the unstable point x_u(b) has moved above 1.2 (between b = -2.9 and
    # b = -3.0): the lower point existed at -2.9 already, it was not reached there
    def unstable(b):
        return brentq(lambda x: 5 * np.tanh(x) + b - x, 0.5, 1.44)
    assert unstable(-2.9) < 1.2 < unstable(-3.0) and -3.0 > TANH_FOLDS_W5[0]
    net = one_unit(5.0, 0.0, "tanh")
    result = dr.global_continuation(net, "b[0]", [-2.9, -3.0], box=([1.2], [7.0]),
                                    n_samples=200, progress=False)
    (birth,) = result.events
    assert birth.kind is dr.AttractorEventKind.BIRTH
    assert birth.cause is CAUSE.NOT_REACHED and birth.bifurcation is None
    assert birth.param == pytest.approx(-2.95)                      # the midpoint
    born = result.attractors[1][birth.attractor].x[0]
    assert born == pytest.approx(_tanh_fixed_point(-3.0, lower=True), abs=1e-10)
    # independently: the lower point continues by Newton to b = -2.9, stable all the way
    reached = newton_path(lambda b: net.with_params({"b[0]": b}), [born], -3.0, -2.9)
    assert reached[0] == pytest.approx(_tanh_fixed_point(-2.9, lower=True), abs=1e-10)
    assert 5 / np.cosh(reached[0]) ** 2 < 1
    states = np.random.default_rng(0).uniform(1.2, 7.0, 200)
    assert result.fractions[1, birth.attractor] == np.mean(states < unstable(-3.0))
    assert result.events_table()[0]["cause"] == "NOT_REACHED"
    assert dr.load(dr.save(result, tmp_path / "gc.npz")).events[0].cause is CAUSE.NOT_REACHED
    # the other way round it is a death, not reached at the later value
    (death,) = dr.global_continuation(net, "b[0]", [-3.0, -2.9], box=([1.2], [7.0]),
                                      n_samples=200, progress=False).events
    assert death.kind is dr.AttractorEventKind.DEATH and death.cause is CAUSE.NOT_REACHED
    # without local continuation nothing is claimed
    unlinked = dr.global_continuation(net, "b[0]", [-2.9, -3.0], box=([1.2], [7.0]),
                                      n_samples=200, local=False, progress=False)
    assert [e.cause for e in unlinked.events] == [CAUSE.UNKNOWN]


def test_a_swap_of_identities_by_distance_is_undone_by_continuation():
    # at b = -3.1 only the lower point L; at b = -2.9 the lower point L' and the upper U, born
    # at the fold -3.0285. Distance matching that gave U the identity of L (as a threshold or
    # a large move can) is corrected: L' continues back to L, U back to the fold
    net = one_unit(5.0, 0.0, "tanh")
    values = np.array([-3.1, -2.9])
    family_at = family_for([net], values, "b[0]", None)
    previous = {0: _point(_tanh_fixed_point(-3.1, lower=True))}
    current = [_point(_tanh_fixed_point(-2.9, lower=False)),
               _point(_tanh_fixed_point(-2.9, lower=True))]
    state = reconcile(previous, current, {0: 0}, family_at, 1)
    assert state.identity == {1: 0} and state.proved == {1}
    assert state.births[0].cause is CAUSE.FOLD and not state.deaths
    assert state.births[0].bifurcation.param == pytest.approx(TANH_FOLDS_W5[0], abs=1e-8)
    # a death the other way round: U dies at the fold between -2.9 and -3.1, L' was given U's
    # identity; L continues forward to L', which takes L's identity back, and U dies at the fold
    family_at = family_for([net], values[::-1], "b[0]", None)
    state = reconcile({0: current[1], 1: current[0]}, [previous[0]], {0: 1}, family_at, 1)
    assert state.identity == {0: 0} and not state.births
    assert list(state.deaths) == [1] and state.deaths[1].cause is CAUSE.FOLD
    assert state.deaths[1].bifurcation.param == pytest.approx(TANH_FOLDS_W5[0], abs=1e-8)
    # the same, end to end: a threshold too small to match the moving point at all
    result = dr.global_continuation(net, "b[0]", [4.0, 4.5], box=([-7.0], [7.0]), n_samples=50,
                                    match_threshold=1e-3, progress=False)
    assert result.n_ids == 1 and not result.events and result.present.all()


def test_causes_of_clouds():
    cloud = np.random.default_rng(0).normal(size=(50, 2))
    chaotic = Attractor(dr.AttractorKind.CHAOTIC, cloud, 0, np.empty(0, complex), 0.42)
    quasi = Attractor(dr.AttractorKind.QUASI_PERIODIC, cloud, 0, np.empty(0, complex), 0.0)
    assert cloud_cause(chaotic) is CAUSE.GLOBAL and cloud_cause(quasi) is CAUSE.UNKNOWN
    crossing = Crossing(CAUSE.NOT_REACHED)
    assert crossing.end is None and crossing.bifurcation is None


@pytest.fixture(scope="module")
def trained_gru_line():
    """A 4-unit nn.GRU trained 150 seeded Adam steps to hold the sign of its first input (a
    second or two), and the line from its untrained to its trained parameters."""
    untrained_module, module, loss = sign_holding_net(4, 150, 94)
    assert loss < 0.01
    untrained = dr.from_torch(untrained_module)
    line = dr.LineBetween(untrained, dr.from_torch(module))
    return line, dr.global_continuation(untrained, line, np.linspace(0.0, 1.0, 11),
                                        n_samples=300, progress=False)


def test_trained_gru_birth_is_linked_to_its_fold(trained_gru_line):
    # (the code before this fix gave the newborn the old attractor's identity and reported the
    # old one's "birth" in (0.2, 0.3) as global)
    line, result = trained_gru_line
    births = [e for e in result.events if e.kind is dr.AttractorEventKind.BIRTH]
    assert len(births) == 1 and births[0].cause is CAUSE.FOLD
    assert all(e.cause in (CAUSE.FOLD, CAUSE.NOT_REACHED) for e in result.events)
    birth = births[0]
    assert birth.bifurcation.kind.value == "LP"
    assert birth.interval[0] < birth.param < birth.interval[1]
    # independently: at the located s the state is a fixed point with a multiplier at +1
    system = line.at(birth.param)
    x = birth.bifurcation.x
    assert np.max(np.abs(system.step(x) - x)) < 1e-9
    assert np.min(np.abs(np.linalg.eigvals(system.jacobian(x)) - 1.0)) < 1e-6
    # the newborn, followed back by Newton from where it is first found, meets the fold
    i = birth.index
    born = result.attractors[i][birth.attractor]
    assert newton_path(line.at, born.x, result.values[i], result.values[i - 1], 50) is None


def test_trained_gru_identities_follow_newton_continuation(trained_gru_line):
    # every fixed point present at two neighbouring values, followed by Newton from the first,
    # lands on the attractor of the same identity at the second (identity code not involved);
    # near s = 1 one of them converges slowly (leading multiplier about 0.997): it is still
    # identified as that fixed point, not lost as unresolved or called quasi-periodic
    line, result = trained_gru_line
    checked = 0
    for i in range(1, result.values.size):
        for j in range(result.n_ids):
            before, after = result.attractors[i - 1][j], result.attractors[i][j]
            if before is None or before.period != 1:
                continue
            end = newton_path(line.at, before.x, result.values[i - 1], result.values[i], 50)
            assert end is not None
            assert after is not None and after.period == 1, (i, j, after)
            np.testing.assert_allclose(end, after.x, atol=1e-8)
            checked += 1
    assert checked >= 15
    assert result.success and result.status.name == "COMPLETE"
    assert [(e.kind.name, e.cause.name) for e in result.events] == [("BIRTH", "FOLD")]


def test_trained_rnn_line_neimark_sacker_and_folds_checked_by_numpy():
    # a 4-unit nn.RNN trained (seeded, under a second) to hold a sign; along the line from its
    # untrained parameters the fixed point loses stability at an NS point, the circle locks
    # into a 3-cycle at a fold, and a second 3-cycle is born at a fold. Each located point
    # is checked with numpy written here: the map x -> W(s) tanh(x) + b(s) of the
    # pre-activation state, its cycle closing, and a multiplier on the unit circle (NS: a
    # complex pair) or at +1 (fold).
    untrained, trained, loss = sign_holding_net(4, 150, 3, cell="RNN")
    assert loss < 1e-4
    net0, net1 = dr.from_torch(untrained), dr.from_torch(trained)
    result = dr.global_continuation(net0, dr.LineBetween(net0, net1), np.linspace(0, 1, 11),
                                    n_samples=200, progress=False)
    causes = [(e.kind.name, e.cause.name) for e in result.events]
    assert causes == [("PERIOD_CHANGE", "NEIMARK_SACKER"), ("PERIOD_CHANGE", "FOLD"),
                      ("BIRTH", "FOLD")]

    def weights(module):
        return (module.weight_hh_l0.detach().numpy(),
                (module.bias_hh_l0 + module.bias_ih_l0).detach().numpy())

    (w0, b0), (w1, b1) = weights(untrained), weights(trained)
    for event in result.events:
        s, point, period = event.param, event.bifurcation.x, event.bifurcation.period
        w, b = (1 - s) * w0 + s * w1, (1 - s) * b0 + s * b1
        x, product = point, np.eye(4)
        for _ in range(period):
            product = (w * (1 - np.tanh(x) ** 2)) @ product
            x = w @ np.tanh(x) + b
        assert np.max(np.abs(x - point)) < 1e-8
        mu = np.linalg.eigvals(product)
        if event.cause is dr.AttractorEventCause.NEIMARK_SACKER:
            critical = mu[np.abs(mu.imag) > 1e-6]
            assert critical.size == 2 and np.max(np.abs(np.abs(critical) - 1)) < 1e-8
        else:
            assert np.min(np.abs(mu - 1)) < 1e-5
