"""Catalogue of test systems with answers known in closed form (independent of dynrnn's solvers)."""
from __future__ import annotations

import math

import numpy as np
import sympy as sp

import dynrnn as dr


# -- one-unit networks x -> w σ(x) + b (Pascanu et al. Fig. 3, after Doya 1993) -------------------
def one_unit(w: float = 5.0, b: float = 0.0, activation: str = "sigmoid") -> dr.RNN:
    return dr.RNN([[w]], b=[b], activation=activation)


def one_unit_folds(w: float, activation: str) -> tuple[float, float]:
    """The two bias values where w σ'(x*) = 1 at a fixed point x* = w σ(x*) + b (ascending)."""
    if activation == "sigmoid":
        # σ(1 − σ) = 1/w  ->  σ = (1 ± sqrt(1 − 4/w)) / 2
        root = math.sqrt(1.0 - 4.0 / w)
        sig = [(1 - root) / 2, (1 + root) / 2]
        xs = [math.log(s / (1 - s)) for s in sig]
    elif activation == "tanh":
        # 1 − tanh² = 1/w  ->  tanh = ± sqrt(1 − 1/w)
        t = math.sqrt(1.0 - 1.0 / w)
        sig = [-t, t]
        xs = [math.atanh(s) for s in sig]
    else:
        raise ValueError(activation)
    return tuple(sorted(x - w * s for x, s in zip(xs, sig)))


SIGMOID_FOLDS_W5 = (-2.6556103386, -2.3443896614)   # the reference values
TANH_FOLDS_W5 = (-3.0285004798, 3.0285004798)


# -- logistic map --------------------------------------------------------------------------------
def logistic_map(r: float = 3.2) -> dr.Map:
    x, rr = sp.symbols("x r")
    return dr.Map.from_sympy([rr * x * (1 - x)], [x], {rr: r}, name="logistic")


def logistic_two_cycle(r: float) -> tuple[np.ndarray, float]:
    """Points and multiplier of the 2-cycle (exists for r > 3): x = (r+1 ± sqrt((r+1)(r-3)))/(2r)."""
    d = math.sqrt((r + 1) * (r - 3))
    pts = np.array([(r + 1 - d) / (2 * r), (r + 1 + d) / (2 * r)])
    multiplier = -r * r + 2 * r + 4
    return pts, multiplier


# -- Hénon map -----------------------------------------------------------------------------------
def henon_map(a: float = 1.4, b: float = 0.3) -> dr.Map:
    x, y, aa, bb = sp.symbols("x y a b")
    return dr.Map.from_sympy([1 - aa * x**2 + y, bb * x], [x, y], {aa: a, bb: b}, name="henon")


def henon_fixed_points(a: float, b: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """Both fixed points (x*, b x*) with x* = (b − 1 ± sqrt((1 − b)² + 4a)) / (2a), and eigenvalues
    λ = −a x* ± sqrt(a² x*² + b) of [[−2a x*, 1], [b, 0]]."""
    disc = (1 - b) ** 2 + 4 * a
    out = []
    for sign in (-1, 1):
        xs = (b - 1 + sign * math.sqrt(disc)) / (2 * a)
        lam = np.sort_complex(np.array([-a * xs - np.sqrt(complex(a * a * xs * xs + b)),
                                        -a * xs + np.sqrt(complex(a * a * xs * xs + b))]))
        out.append((np.array([xs, b * xs]), lam))
    return out


HENON_FOLD = lambda b: -((1 - b) ** 2) / 4          # noqa: E731  (a at the fold, LP)
HENON_FLIP = lambda b: 3 * (1 - b) ** 2 / 4         # noqa: E731  (a at the period doubling, PD)


# -- linear and rotating networks ----------------------------------------------------------------
def linear_rnn(n: int = 4, seed: int = 0, radius: float = 0.9) -> dr.RNN:
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((n, n))
    W *= radius / max(abs(np.linalg.eigvals(W)))
    return dr.RNN(W, b=rng.standard_normal(n), activation="identity")


def rotation_net(rho: float, angle: float = math.pi / 5) -> dr.RNN:
    """Two tanh units with W_rec = ρ R(angle), b = 0: Neimark–Sacker at ρ = 1 with that angle."""
    c, s = math.cos(angle), math.sin(angle)
    return dr.RNN(rho * np.array([[c, -s], [s, c]]), activation="tanh")


def random_tanh_net(n: int, gain: float, seed: int = 0, bias_scale: float = 0.0) -> dr.RNN:
    rng = np.random.default_rng(seed)
    W = gain * rng.standard_normal((n, n)) / math.sqrt(n)
    return dr.RNN(W, b=bias_scale * rng.standard_normal(n), activation="tanh")


# -- two-parameter curves (appended for dynrnn.analysis.two_parameter) ----------------------------
def henon_fixed_point_plus(a: float, b: float) -> np.ndarray:
    """The fixed point x* = (b − 1 + sqrt((1 − b)² + 4a)) / (2a), y* = b x* (the one that loses
    stability through the flip a = 3(1 − b)²/4, and, at b = −1, through NS)."""
    xs = (b - 1 + math.sqrt((1 - b) ** 2 + 4 * a)) / (2 * a)
    return np.array([xs, b * xs])


# At b = −1 the Hénon map is area preserving: det J = −b = 1, so the fixed point x*₊ has
# multipliers e^{±iθ} with κ = cos θ = −a x*₊ = 1 − sqrt(1 + a) for −1 < a < 3. This NS curve
# (b = −1) ends at the 1:1 resonance on the fold curve, (a, b) = (−1, −1), and at the 1:2
# resonance on the flip curve, (a, b) = (3, −1).
HENON_NS_KAPPA = lambda a: 1 - math.sqrt(1 + a)     # noqa: E731
HENON_R1 = (-1.0, -1.0)
HENON_R2 = (3.0, -1.0)


def rotation_map(rho: float = 1.0, theta: float = math.pi / 5) -> dr.Map:
    """The rotation net as a sympy map with parameters rho and theta:
    x' = ρ R(θ) tanh(x). The origin has multipliers ρ e^{±iθ}: NS on ρ = 1 for every θ."""
    x, y, r, t = sp.symbols("x y rho theta")
    return dr.Map.from_sympy(
        [r * (sp.cos(t) * sp.tanh(x) - sp.sin(t) * sp.tanh(y)),
         r * (sp.sin(t) * sp.tanh(x) + sp.cos(t) * sp.tanh(y))], [x, y], {r: rho, t: theta},
        name="rotation")


def fold_flip_map(mu: float = 0.0, nu: float = 0.5) -> dr.Map:
    """Decoupled x' = x + μ − x², y' = −(1 + ν) y − y³: folds on μ = 0 (x = 0), flips on ν = 0
    (y = 0); the two curves cross at the fold-flip point (μ, ν) = (0, 0)."""
    x, y, m, n = sp.symbols("x y mu nu")
    return dr.Map.from_sympy([x + m - x**2, -(1 + n) * y - y**3], [x, y], {m: mu, n: nu},
                             name="fold-flip")


def closed_ns_map(p: float = 0.0, q: float = 0.0) -> dr.Map:
    """x' = W tanh(x) with W = [[p, −(q + 1/2)], [q, p]]: at the origin tr W = 2p and
    det W = p² + q² + q/2, so the NS system's curve det = 1 is the circle
    p² + (q + 1/4)² = 17/16 with κ = p. It is NS where q(q + 1/2) > 0 and a neutral saddle
    where −1/2 < q < 0; W is a Jordan block at q = 0 and q = −1/2, giving R1 at (p, q) = (1, 0)
    and (1, −1/2) and R2 at (−1, 0) and (−1, −1/2)."""
    x, y, pp, qq = sp.symbols("x y p q")
    return dr.Map.from_sympy([pp * sp.tanh(x) - (qq + sp.Rational(1, 2)) * sp.tanh(y),
                              qq * sp.tanh(x) + pp * sp.tanh(y)], [x, y], {pp: p, qq: q},
                             name="closed NS")


def henon_two_cycle(a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """The Hénon 2-cycle (exists for a > 3(1 − b)²/4): x-coordinates p, q = ((1 − b) ± d)/(2a),
    d = sqrt(4a − 3(1 − b)²), points (p, b q) and (q, b p); multipliers = eig(J(q) J(p))."""
    d = math.sqrt(4 * a - 3 * (1 - b) ** 2)
    p, q = ((1 - b) + d) / (2 * a), ((1 - b) - d) / (2 * a)
    orbit = np.array([[p, b * q], [q, b * p]])

    def J(x):
        return np.array([[-2 * a * x, 1.0], [b, 0.0]])

    return orbit, np.linalg.eigvals(J(q) @ J(p))


def sign_holding_net(n_hidden: int, steps: int, seed: int, cell: str = "GRU"):
    """An ``n_hidden``-unit ``torch.nn.GRU`` (or ``cell``: "RNN", "LSTM"; float64) trained for ``steps`` seeded Adam steps
    to hold the sign of its first input over 12 steps (a memory task: the trained autonomous
    map is multistable), with one torch thread; returns (untrained copy, trained, last loss).
    Skips the test when torch is missing."""
    import copy

    import pytest
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)           # tiny matrices: more threads only wait on shared cores
    try:
        torch.manual_seed(seed)
        module = getattr(torch.nn, cell)(1, n_hidden, batch_first=True).double()
        untrained = copy.deepcopy(module)
        optimiser = torch.optim.Adam(module.parameters(), lr=0.05)
        generator = torch.Generator().manual_seed(seed)
        for _ in range(steps):
            inputs = torch.zeros(32, 12, 1, dtype=torch.float64)
            inputs[:, 0, 0] = torch.randn(32, generator=generator, dtype=torch.float64).sign()
            optimiser.zero_grad()
            output, _ = module(inputs)
            loss = ((output[:, -1, 0] - 0.8 * inputs[:, 0, 0]) ** 2).mean()
            loss.backward()
            optimiser.step()
    finally:
        torch.set_num_threads(threads)
    return untrained, module, float(loss.detach())
