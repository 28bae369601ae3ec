"""One conformance suite run on every map class (scikit-learn's ``parametrize_with_checks`` idea).

Each case builds a random system from a seed. The checks: batched shapes of step / jacobian /
param_jacobian, batched results equal to point-by-point results, immutability, run(), and the
analytic state and parameter Jacobians against central differences written here (property-tested
over random states and random networks; ReLU cases keep away from the kinks).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import dynrnn as dr
from dynrnn.errors import DerivativeFallbackWarning

N_UNITS, N_INPUTS = 3, 2


# -- the systems ---------------------------------------------------------------------------------
def _rnn(activation, inputs):
    def build(rng):
        W_in = rng.standard_normal((N_UNITS, N_INPUTS)) if inputs else None
        u = rng.standard_normal(N_INPUTS) if inputs else None
        return dr.RNN(1.5 * rng.standard_normal((N_UNITS, N_UNITS)), W_in,
                      rng.standard_normal(N_UNITS), activation, u)
    return build


def _elman(activation, inputs):
    def build(rng):
        U = rng.standard_normal((N_UNITS, N_INPUTS)) if inputs else None
        u = rng.standard_normal(N_INPUTS) if inputs else None
        return dr.ElmanRNN(1.5 * rng.standard_normal((N_UNITS, N_UNITS)), U,
                           rng.standard_normal(N_UNITS), activation, u)
    return build


def _plrnn(inputs):
    def build(rng):
        C = rng.standard_normal((N_UNITS, N_INPUTS)) if inputs else None
        u = rng.standard_normal(N_INPUTS) if inputs else None
        return dr.PLRNN(rng.uniform(-0.9, 0.9, N_UNITS), rng.standard_normal((N_UNITS, N_UNITS)),
                        rng.standard_normal(N_UNITS), C, u)
    return build


def _gated(cls, hidden, layers, inputs, **options):
    gates = {dr.GRU: 3, dr.LSTM: 4, dr.ElmanStack: 1}[cls]

    def build(rng):
        sizes = [N_INPUTS if inputs else 0] + [hidden] * layers
        arrays = {}
        for k in range(layers):
            arrays[f"weight_ih_l{k}"] = rng.standard_normal((gates * hidden, sizes[k]))
            arrays[f"weight_hh_l{k}"] = 1.5 * rng.standard_normal((gates * hidden, hidden))
            arrays[f"bias_ih_l{k}"] = rng.standard_normal(gates * hidden)
            arrays[f"bias_hh_l{k}"] = rng.standard_normal(gates * hidden)
        if inputs:
            arrays["u"] = rng.standard_normal(N_INPUTS)
        return cls.from_arrays(arrays, **options)
    return build


def _coupled_step(x, p):
    """x' = a tanh(x) + c roll(x) + d x0 x1 (component-wise), complex-analytic."""
    return p["a"] * np.tanh(x) + p["c"] * np.roll(x, 1, axis=-1) + p["d"] * x[..., :1] * x


def _coupled_jac(x, p):
    n = x.shape[-1]
    J = np.diag(p["a"] * (1 - np.tanh(x) ** 2) + p["d"] * x[0])
    J += p["c"] * np.roll(np.eye(n), 1, axis=0)
    J[:, 0] += p["d"] * x
    return J


def _coupled_pjac(x, p, names):
    cols = {"a": np.tanh(x), "c": np.roll(x, 1), "d": x[0] * x}
    return np.stack([cols[k] for k in names], axis=-1)


def _random_coupled_params(rng):
    return {"a": rng.uniform(0.5, 2), "c": rng.uniform(-1, 1), "d": rng.uniform(-0.5, 0.5)}


def _not_analytic_step(x, p):
    # the same map, but through the real part: a complex step would be silently wrong here
    x = np.real(x)
    return _coupled_step(x, p)


def _map_callable(how):
    def build(rng):
        p = _random_coupled_params(rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DerivativeFallbackWarning)
            if how == "jacobian":
                return dr.Map(_coupled_step, N_UNITS, p, _coupled_jac, _coupled_pjac)
            if how == "complex-step":
                return dr.Map(_coupled_step, N_UNITS, p)
            if how == "differences":
                return dr.Map(_not_analytic_step, N_UNITS, p)
            return dr.Map(_coupled_step, N_UNITS, p, vectorized=True)
    return build


def _henon(rng):
    x, y, a, b = sp.symbols("x y a b")
    return dr.Map.from_sympy([1 - a * x**2 + y, b * x], [x, y],
                             {a: rng.uniform(0.5, 1.5), b: rng.uniform(-0.5, 0.5)})


def _sympy_driven(rng):
    x, y, z, u1, u2, k, g = sp.symbols("x y z u1 u2 k g")
    return dr.Map.from_sympy(
        [k * sp.tanh(y) + u1, g * x * z + sp.sin(u2 * z), sp.exp(-x**2) - k * u1 * u2],
        [x, y, z], {k: rng.uniform(0.5, 2), g: rng.uniform(-1, 1)}, inputs=[u1, u2])


def _relu_args_rnn(system, x, u):
    return x


def _relu_args_elman(system, x, u):
    return system.to_pascanu_state(x, u)


CASES = {}
for _act in ("tanh", "sigmoid", "relu", "identity"):
    for _inputs in (False, True):
        _suffix = "-inputs" if _inputs else ""
        CASES[f"rnn-{_act}{_suffix}"] = (_rnn(_act, _inputs),
                                         _relu_args_rnn if _act == "relu" else None)
        CASES[f"elman-{_act}{_suffix}"] = (_elman(_act, _inputs),
                                           _relu_args_elman if _act == "relu" else None)
CASES.update({
    "plrnn": (_plrnn(False), _relu_args_rnn),
    "plrnn-inputs": (_plrnn(True), _relu_args_rnn),
    # gated networks have many parameters per unit: small sizes keep the central differences fast
    "gru": (_gated(dr.GRU, 3, 1, False), None),
    "gru-inputs": (_gated(dr.GRU, 2, 1, True), None),
    "gru-2layers-inputs": (_gated(dr.GRU, 1, 2, True), None),
    "lstm": (_gated(dr.LSTM, 2, 1, False), None),
    "lstm-inputs": (_gated(dr.LSTM, 2, 1, True), None),
    "lstm-2layers-inputs": (_gated(dr.LSTM, 1, 2, True), None),
    "elman-stack-tanh-2layers-inputs": (_gated(dr.ElmanStack, 2, 2, True), None),
    "map-callable-jacobian": (_map_callable("jacobian"), None),
    "map-callable-complex-step": (_map_callable("complex-step"), None),
    "map-callable-differences": (_map_callable("differences"), None),
    "map-callable-vectorized": (_map_callable("vectorized"), None),
    "map-sympy-henon": (_henon, None),
    "map-sympy-inputs": (_sympy_driven, None),
})
IDS = list(CASES)


def build(case: str, seed: int = 0):
    return CASES[case][0](np.random.default_rng(seed))


def random_input(system, rng, batch=()):
    if system.n_inputs == 0:
        return None
    return rng.standard_normal(batch + (system.n_inputs,))


# -- references written here ---------------------------------------------------------------------
def central_jacobian(system, x, u, h=1e-6):
    cols = []
    for j in range(system.n_states):
        e = np.zeros(system.n_states)
        e[j] = h
        cols.append((system.step(x + e, u) - system.step(x - e, u)) / (2 * h))
    return np.stack(cols, axis=-1)


def central_param_jacobian(system, x, u, names, h=1e-6):
    cols = []
    for name in names:
        v = system.params[name]
        plus = system.with_params({name: v + h}).step(x, u)
        minus = system.with_params({name: v - h}).step(x, u)
        cols.append((plus - minus) / (2 * h))
    return np.stack(cols, axis=-1)


def away_from_kinks(case, system, x, u, margin=1e-3):
    kinks = CASES[case][1]
    return kinks is None or np.min(np.abs(kinks(system, x, u))) > margin


# -- shapes and batching -------------------------------------------------------------------------
@pytest.mark.parametrize("case", IDS)
def test_batched_shapes_and_values(case):
    system = build(case)
    rng = np.random.default_rng(1)
    n, k = system.n_states, len(system.param_names)
    names = list(system.param_names[:2])
    x = rng.uniform(-1.5, 1.5, (4, 2, n))
    u = random_input(system, rng, (4, 2))
    assert system.step(x, u).shape == (4, 2, n)
    assert system.jacobian(x, u).shape == (4, 2, n, n)
    assert system.param_jacobian(x, names, u).shape == (4, 2, n, len(names))
    assert system.param_jacobian(x, names[0], u).shape == (4, 2, n)
    assert system.param_jacobian(x, system.param_names, u).shape == (4, 2, n, k)
    # batched values equal the point-by-point ones
    for idx in np.ndindex(4, 2):
        ui = None if u is None else u[idx]
        np.testing.assert_allclose(system.step(x, u)[idx], system.step(x[idx], ui), rtol=1e-13,
                                   atol=1e-13)
        np.testing.assert_allclose(system.jacobian(x, u)[idx], system.jacobian(x[idx], ui),
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(system.param_jacobian(x, names, u)[idx],
                                   system.param_jacobian(x[idx], names, ui), rtol=1e-12,
                                   atol=1e-12)
    # a single state with the constant input
    assert system.step(x[0, 0]).shape == (n,)
    assert system.jacobian(x[0, 0]).shape == (n, n)


@pytest.mark.parametrize("case", IDS)
def test_run_shape_and_agrees_with_step(case):
    system = build(case)
    rng = np.random.default_rng(2)
    n = system.n_states
    x0 = rng.uniform(-0.5, 0.5, n)
    traj = system.run(x0, n_steps=6)
    assert traj.shape == (7, n)
    np.testing.assert_array_equal(traj[0], x0)
    x = x0
    for t in range(6):
        x = system.step(x)
        np.testing.assert_allclose(traj[t + 1], x, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(system.iterate(x0, 6), traj[-1], rtol=1e-13, atol=1e-13)
    batch = system.run(rng.uniform(-0.5, 0.5, (5, n)), n_steps=3)
    assert batch.shape == (4, 5, n)
    if system.n_inputs:
        inputs = rng.uniform(-0.5, 0.5, (4, 5, system.n_inputs))
        driven = system.run(x0, inputs)
        assert driven.shape == (5, 5, n)
        np.testing.assert_allclose(driven[1], system.step(np.broadcast_to(x0, (5, n)),
                                                           inputs[0]), rtol=1e-13, atol=1e-13)


# -- immutability --------------------------------------------------------------------------------
@pytest.mark.parametrize("case", IDS)
def test_with_params_leaves_original_unchanged(case):
    system = build(case)
    before = dict(system.params)
    x = np.linspace(-0.7, 0.9, system.n_states)
    step_before = system.step(x)
    name = system.param_names[-1]
    changed = system.with_params({name: before[name] + 0.5})
    assert changed is not system
    assert type(changed) is type(system)
    assert changed.params[name] == pytest.approx(before[name] + 0.5)
    assert dict(system.params) == before
    np.testing.assert_array_equal(system.step(x), step_before)
    # evaluating derivatives does not change the stored parameters either
    system.jacobian(x)
    system.param_jacobian(x, system.param_names)
    assert dict(system.params) == before
    with pytest.raises(TypeError):
        system.params[name] = 1.0  # the mapping is read-only


@pytest.mark.parametrize("case", [c for c in IDS if not c.startswith("map")])
def test_arrays_are_read_only(case):
    system = build(case)
    for key, arr in system.arrays().items():
        assert not arr.flags.writeable, key
        if arr.size:
            with pytest.raises(ValueError):
                arr.flat[0] = 1.0


# -- derivatives against central differences -----------------------------------------------------
def _state_strategy(n):
    return arrays(np.float64, (n,), elements=st.floats(-2.0, 2.0, allow_nan=False))


@pytest.mark.parametrize("case", IDS)
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), x=_state_strategy(4),   # up to an LSTM's state [h, c]
       u=arrays(np.float64, (N_INPUTS,), elements=st.floats(-2.0, 2.0, allow_nan=False)))
def test_jacobians_match_central_differences(case, seed, x, u):
    system = build(case, seed)
    x = x[: system.n_states]
    u = u if system.n_inputs else None
    assume(away_from_kinks(case, system, x, u))
    J = system.jacobian(x, u)
    Jn = central_jacobian(system, x, u)
    scale = max(1.0, float(np.max(np.abs(Jn))))
    np.testing.assert_allclose(J, Jn, rtol=1e-6, atol=1e-7 * scale)
    # "u[j]" names the constant input: compare every name with the constant input (u=None),
    # and the others also with an explicit input (which the "u[j]" do not affect).
    for given_u in ([None, u] if u is not None else [None]):
        assume(away_from_kinks(case, system, x, given_u))
        names = [k for k in system.param_names if given_u is None or not k.startswith("u[")]
        P = system.param_jacobian(x, names, given_u)
        Pn = central_param_jacobian(system, x, given_u, names)
        scale = max(1.0, float(np.max(np.abs(Pn))))
        np.testing.assert_allclose(P, Pn, rtol=1e-6, atol=1e-7 * scale)


# -- the derivative paths of Map -----------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), x=_state_strategy(N_UNITS))
def test_map_complex_step_and_difference_paths_match_analytic(seed, x):
    p = _random_coupled_params(np.random.default_rng(seed))
    analytic = dr.Map(_coupled_step, N_UNITS, p, _coupled_jac, _coupled_pjac)
    with pytest.warns(DerivativeFallbackWarning, match="complex-step"):
        complex_step = dr.Map(_coupled_step, N_UNITS, p)
    with pytest.warns(DerivativeFallbackWarning, match="central-difference"):
        differences = dr.Map(_not_analytic_step, N_UNITS, p)
    J = analytic.jacobian(x)
    np.testing.assert_allclose(complex_step.jacobian(x), J, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(differences.jacobian(x), J, rtol=1e-6, atol=1e-7)
    P = analytic.param_jacobian(x, ["a", "c", "d"])
    np.testing.assert_allclose(complex_step.param_jacobian(x, ["a", "c", "d"]), P, rtol=1e-6,
                               atol=1e-7)
    np.testing.assert_allclose(differences.param_jacobian(x, ["a", "c", "d"]), P, rtol=1e-6,
                               atol=1e-7)


def test_map_does_not_trust_a_complex_step_through_abs():
    """A step that takes complex input but uses |x| is not complex-analytic: the complex step
    would give a zero derivative of |x|. Map must detect that and use differences."""
    def step(x, p):
        return np.array([np.abs(x[0]) * x[1], np.tanh(x[1])])

    with pytest.warns(DerivativeFallbackWarning, match="central-difference"):
        m = dr.Map(step, 2, {})
    x = np.array([-0.4, 0.7])
    expected = np.array([[-0.7, 0.4], [0.0, 1 - np.tanh(0.7) ** 2]])
    np.testing.assert_allclose(m.jacobian(x), expected, rtol=1e-7, atol=1e-8)


def test_sympy_jacobians_match_hand_derivatives():
    """Hénon: J = [[-2 a x, 1], [b, 0]], ∂F/∂a = (-x², 0), ∂F/∂b = (0, x)."""
    system = build("map-sympy-henon", 3)
    a, b = system.params["a"], system.params["b"]
    x = np.array([0.3, -0.8])
    np.testing.assert_allclose(system.jacobian(x), [[-2 * a * 0.3, 1], [b, 0]], atol=1e-15)
    np.testing.assert_allclose(system.param_jacobian(x, ["a", "b"]), [[-0.09, 0], [0, 0.3]],
                               atol=1e-15)


def test_sympy_float_constants_are_evaluated_exactly():
    """lambdify prints floats with 15 digits by default; 1/3 must stay the double 1/3."""
    x = sp.Symbol("x")
    m = dr.Map.from_sympy([x + 1 / 3.0], [x], {})
    assert m.step([0.0])[0] == 1 / 3.0
