"""A map written by a user against the public interface only (RecurrentMap's docstring: n_states,
param_values, replace_params, step_unchecked, jacobian_unchecked, param_jacobian_unchecked),
run through every algorithm and checked against closed forms of the Hénon map

    F(x, y) = (1 - a x² + y,  b x).

Fixed points: a x² + (1 - b) x - 1 = 0, y = b x; 2-cycles: a x² - (1 - b) x + (1 - b)² / a - 1 = 0;
the fold at a = -(1 - b)²/4 and the flip at a = 3 (1 - b)²/4; det ∂F/∂x = -b, so the Lyapunov
exponents sum to ln b.
"""
import math

import numpy as np
import pytest

import dynrnn as dr


class Henon(dr.RecurrentMap):
    """Nothing here starts with an underscore or reaches into dynrnn's internals."""

    def __init__(self, a=1.4, b=0.3):
        self.a, self.b = float(a), float(b)

    @property
    def n_states(self):
        return 2

    def param_values(self):
        return {"a": self.a, "b": self.b}

    def replace_params(self, updates):
        values = {**self.param_values(), **updates}
        return Henon(values["a"], values["b"])

    def step_unchecked(self, x, u):
        return np.stack([1.0 - self.a * x[..., 0] ** 2 + x[..., 1], self.b * x[..., 0]], axis=-1)

    def jacobian_unchecked(self, x, u):
        J = np.zeros(x.shape[:-1] + (2, 2))
        J[..., 0, 0] = -2.0 * self.a * x[..., 0]
        J[..., 0, 1] = 1.0
        J[..., 1, 0] = self.b
        return J

    def param_jacobian_unchecked(self, x, names, u):
        columns = {"a": np.stack([-x[..., 0] ** 2, np.zeros_like(x[..., 0])], axis=-1),
                   "b": np.stack([np.zeros_like(x[..., 0]), x[..., 0]], axis=-1)}
        return np.stack([columns[n] for n in names], axis=-1)


def fixed_points(a, b):
    disc = math.sqrt((1 - b) ** 2 + 4 * a)
    return sorted((-(1 - b) + s * disc) / (2 * a) for s in (-1, 1))


def test_fixed_points_and_two_cycles():
    a, b = 1.4, 0.3
    result = dr.find_fixed_points(Henon(a, b), box=([-3, -1], [3, 1]), n_starts=200, seed=0)
    xs = sorted(p.x[0] for p in result.points)
    np.testing.assert_allclose(xs, fixed_points(a, b), rtol=1e-10)
    for p in result.points:
        np.testing.assert_allclose(p.x[1], b * p.x[0], rtol=1e-10)
    cycles = dr.find_cycles(Henon(a, b), 2, box=([-3, -1], [3, 1]), n_starts=200, seed=0)
    disc = math.sqrt(4 * a - 3 * (1 - b) ** 2)
    expected = sorted(((1 - b) + s * disc) / (2 * a) for s in (-1, 1))
    assert len(cycles.points) == 1
    np.testing.assert_allclose(sorted(cycles.points[0].orbit[:, 0]), expected, rtol=1e-8)


def test_continuation_locates_fold_and_flip_and_the_pd_curve_in_two_parameters(tmp_path):
    b = 0.3
    a0 = 0.1
    x0 = fixed_points(a0, b)[1]
    branch = dr.continuation(Henon(a0, b), "a", [x0, b * x0], (-0.2, 0.6),
                             direction="both")
    assert branch.success
    kinds = {bif.kind.name: bif.param for bif in branch.bifurcations}
    np.testing.assert_allclose(kinds["LP"], -(1 - b) ** 2 / 4, atol=1e-8)
    np.testing.assert_allclose(kinds["PD"], 3 * (1 - b) ** 2 / 4, atol=1e-8)
    flip = next(bif for bif in branch.bifurcations if bif.kind.name == "PD")
    curve = dr.continue_bifurcation(Henon(a0, b), flip, "b", (0.1, 0.5))
    assert curve.success and len(curve.params) > 5
    p1, p2 = curve.params[:, 0], curve.params[:, 1]
    np.testing.assert_allclose(p1, 3 * (1 - p2) ** 2 / 4, atol=1e-7)
    # results that hold a user's map save everything but the map itself: the branch data
    # round-trips through save/load as plain arrays and numbers
    path = dr.save({"states": branch.states, "params": branch.params,
                    "bifurcations": [(bif.kind, bif.param) for bif in branch.bifurcations]},
                   tmp_path / "branch.npz")
    back = dr.load(path)
    np.testing.assert_array_equal(back["states"], branch.states)
    assert back["bifurcations"] == [(bif.kind, bif.param) for bif in branch.bifurcations]


def test_lyapunov_exponents_sum_to_log_b_and_the_orbit_diagram_sees_the_fixed_point(tmp_path):
    a, b = 1.4, 0.3
    spectrum = dr.lyapunov_spectrum(Henon(a, b), [0.1, 0.1], 4000)
    assert spectrum.success
    np.testing.assert_allclose(spectrum.exponents.sum(), math.log(b), atol=1e-6)
    assert 0.36 < spectrum.exponents[0] < 0.48          # the Hénon attractor's 0.42
    values = np.array([0.1, 0.2, 0.3])                 # the fixed point is stable below 0.3675
    diagram = dr.orbit_diagram(Henon(0.1, b), "a", values, n_transient=2000, n_keep=20,
                               x0s=np.array([[0.5, 0.1]]))
    for i, a_i in enumerate(values):
        np.testing.assert_allclose(diagram.samples[i], fixed_points(a_i, b)[1], atol=1e-8)
    back = dr.load(dr.save(diagram, tmp_path / "diagram.npz"))
    np.testing.assert_array_equal(back.samples, diagram.samples)
    back = dr.load(dr.save(spectrum, tmp_path / "spectrum.npz"))
    np.testing.assert_array_equal(back.exponents, spectrum.exponents)


class TanhAffine(dr.ArrayNetwork):
    """F(x) = W tanh(x) + c: a user's array network declaring only its arrays (the contract in
    dynrnn.model._arrays' docstring); saving, loading and the two network families follow."""

    ARRAYS = ("W", "c")
    RECURRENT_ARRAY = "W"

    def __init__(self, W, c=None):
        W = np.array(W, dtype=float)
        c = np.zeros(len(W)) if c is None else np.array(c, dtype=float)
        self.store_arrays({"W": W, "c": c})

    @property
    def n_states(self):
        return self.arrays()["W"].shape[0]

    def step_unchecked(self, x, u):
        return np.tanh(x) @ self.arrays()["W"].T + self.arrays()["c"]

    def jacobian_unchecked(self, x, u):
        return self.arrays()["W"] * (1.0 - np.tanh(x) ** 2)[..., None, :]

    def param_jacobian_unchecked(self, x, names, u):
        n = self.n_states
        out = np.zeros(x.shape[:-1] + (n, len(names)))
        for col, name in enumerate(names):
            key, index = name.split("[")[0], [int(i) for i in name[:-1].split("[")[1].split(",")]
            if key == "W":
                out[..., index[0], col] = np.tanh(x[..., index[1]])
            else:
                out[..., index[0], col] = 1.0
        return out


def test_a_users_array_network_saves_loads_and_moves_along_lines_and_gains(tmp_path):
    start = TanhAffine([[1.5, -0.4], [0.3, 0.8]], [0.1, -0.2])
    end = TanhAffine([[0.5, 0.4], [-0.3, 1.8]], [0.0, 0.3])
    assert start.params["W[1,0]"] == 0.3 and start.with_params({"c[1]": 2.0}).params["c[1]"] == 2.0
    back = dr.load_model(dr.save_model(start, tmp_path / "net.npz"))
    assert type(back) is TanhAffine
    np.testing.assert_array_equal(back.arrays()["W"], start.arrays()["W"])
    x = np.array([0.3, -0.7])
    line = dr.LineBetween(start, end)
    gain = dr.Gain(start)
    for family, p in ((line, 0.4), (gain, 1.3)):
        h = 1e-6     # ∂F/∂p by central differences against the family's exact derivative
        numeric = (family.at(p + h).step(x) - family.at(p - h).step(x)) / (2 * h)
        np.testing.assert_allclose(family.derivative(family.at(p), x), numeric, atol=1e-8)
    np.testing.assert_allclose(gain.at(2.0).arrays()["W"], 2.0 * start.arrays()["W"])
    branch = dr.continuation(start, ("line", end), dr.find_fixed_points(start, seed=0).points[0].x,
                             (0.0, 1.0))
    assert branch.n_points > 2
    np.testing.assert_allclose(branch.params[0], 0.0)
