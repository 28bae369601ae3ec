"""Ready-made functions to sweep with :func:`dynrnn.sweep` (module-level, so they pickle), used
by the scripts ``sweep_attractors`` and ``sweep_lyapunov``; also importable as
``dynrnn.sweep_examples``, the name sweep configs use.

Each takes scalar keyword arguments (the grid axes and fixed arguments) and returns numbers, so
``sweep(one_unit_attractor_count, {"w": ws, "b": bs})`` gives arrays over the (w, b) plane.
"""
from __future__ import annotations

import math

import numpy as np

from .._checks import check_count
from ..analysis import find_cycles, find_fixed_points, lyapunov_spectrum
from ..errors import InvalidInputError
from ..model import RNN, get_activation

__all__ = ["one_unit_attractor_count", "largest_lyapunov_exponent", "random_tanh_network"]


def one_unit_attractor_count(w: float, b: float, activation: str = "tanh",
                             n_grid: int = 4001) -> dict[str, int]:
    r"""Count the attractors and fixed points of the one-unit map :math:`x \mapsto w\sigma(x)+b`.

    .. math::

        F(x) = w\,\sigma(x) + b, \qquad F(x^*) = x^*, \quad \text{stable if } |w\sigma'(x^*)| < 1.

    For a bounded monotone σ every orbit enters :math:`I = b + w[\sigma_{\min}, \sigma_{\max}]`
    after one step, and a monotone one-dimensional map has only fixed points (w > 0) or fixed
    points and 2-cycles (w < 0) as attractors: every orbit of the increasing map F∘F is monotone.
    So the attractors are the stable fixed points plus, for w < 0, the stable 2-cycles. Both are
    found with :func:`dynrnn.find_fixed_points` and :func:`dynrnn.find_cycles`, whose bracketing
    route is exhaustive for one-unit maps (sign changes of F(x) − x, resp. F(F(x)) − x, on
    ``n_grid`` points of I, refined by Brent's method).

    Parameters
    ----------
    w, b : float
        Self-coupling and bias (Pascanu et al. 2013, eq. 8 and Fig. 3; Doya 1993).
    activation : str
        A bounded activation: ``"tanh"`` or ``"sigmoid"``.
    n_grid : int
        Grid points on I. Two roots closer than one grid step (within about
        :math:`(|I|/n_{grid})^2` of a fold in b) are missed together; tangencies exactly at a
        fold are non-generic and not counted.

    Returns
    -------
    dict
        ``n_attractors`` (stable fixed points + stable 2-cycles), ``n_fixed_points`` and
        ``n_stable_fixed_points``, as ints.

    References
    ----------
    K. Doya, "Bifurcations of recurrent neural networks in gradient descent learning", 1993.
    R. Pascanu, T. Mikolov, Y. Bengio, "On the difficulty of training recurrent neural
    networks", ICML 2013, §2.2, Fig. 3.

    Examples
    --------
    >>> one_unit_attractor_count(5.0, -2.5, "sigmoid")      # inside the bistable interval
    {'n_attractors': 2, 'n_fixed_points': 3, 'n_stable_fixed_points': 2}
    """
    act = get_activation(activation)
    if not act.bounded:
        raise InvalidInputError(
            f"activation must be bounded (tanh or sigmoid) for the attractor count, got "
            f"{act.name!r}", argument="activation", value=activation)
    for name, value in (("w", w), ("b", b)):
        if not math.isfinite(value):
            raise InvalidInputError(f"{name} must be finite, got {value!r}", argument=name,
                                    value=value)
    if w == 0.0:
        # F(x) = b is constant: one fixed point with multiplier 0. (Bracketing on the
        # zero-length interval I = {b} would treat every grid point as a root.)
        return {"n_attractors": 1, "n_fixed_points": 1, "n_stable_fixed_points": 1}
    net = RNN([[float(w)]], b=[float(b)], activation=activation)
    points = find_fixed_points(net, method="bracket", n_grid=int(n_grid))
    n_stable_fixed = sum(bool(p.stable) for p in points)
    n_stable_cycles = 0
    if w < 0:    # an increasing map (w > 0) has no 2-cycles; w = 0 is constant
        n_stable_cycles = sum(bool(c.stable) for c in
                              find_cycles(net, 2, method="bracket", n_grid=int(n_grid)))
    return {"n_attractors": n_stable_fixed + n_stable_cycles,
            "n_fixed_points": len(points), "n_stable_fixed_points": n_stable_fixed}


def random_tanh_network(n: int, gain: float, seed: int = 0, bias_scale: float = 0.0,
                        activation: str = "tanh") -> RNN:
    r"""The random network :math:`W_{ij} \sim \mathcal N(0, g^2/n)`, :math:`b_i \sim
    \mathcal N(0, s^2)` drawn from ``numpy.random.default_rng(seed)`` (W first, then b)."""
    rng = np.random.default_rng(seed)
    W = gain * rng.standard_normal((n, n)) / math.sqrt(n)
    return RNN(W, b=bias_scale * rng.standard_normal(n), activation=activation)


def largest_lyapunov_exponent(gain: float, seed: int = 0, n: int = 50, n_steps: int = 1000,
                              bias_scale: float = 0.0, n_transient: int = 200,
                              activation: str = "tanh") -> float:
    r"""Largest Lyapunov exponent of the random network :func:`random_tanh_network`.

    .. math::

        \lambda_1 = \lim_{T\to\infty} \frac1T \sum_{t=0}^{T-1}
                    \log \frac{\lVert J(x_t) v_t \rVert}{\lVert v_t \rVert},
        \qquad J(x) = W_{rec}\,\mathrm{diag}(\sigma'(x)),

    with :math:`v_{t+1} = J(x_t) v_t / \lVert J(x_t) v_t \rVert`: the one-vector case of the QR
    method, computed by :func:`dynrnn.lyapunov_spectrum` with ``n_exponents=1``. The initial
    state comes from a second generator, ``default_rng([seed, 1])``; ``n_transient`` steps are
    discarded first.

    Parameters
    ----------
    gain : float
        g in :math:`W_{ij} \sim \mathcal N(0, g^2/n)`; for tanh and large n the network is chaotic
        (λ₁ > 0) for g above about 1 and λ₁ ≈ log ρ(W) below.
    seed : int
        Seed of the weights, biases, initial state and tangent vector.
    n, n_steps, n_transient : int
        Units, averaging steps, discarded steps.
    bias_scale : float
        Standard deviation of the biases.
    activation : str
        Any registered activation (``"identity"`` gives log ρ(W), a check).

    Returns
    -------
    float
        λ₁ in nats per step.

    Notes
    -----
    A sweepable wrapper of :func:`dynrnn.lyapunov_spectrum`, which gives the whole spectrum.

    References
    ----------
    G. Benettin, L. Galgani, A. Giorgilli, J.-M. Strelcyn, "Lyapunov characteristic exponents for
    smooth dynamical systems ...", Meccanica 15 (1980).
    L. Molgedey, J. Schuchhardt, H. G. Schuster, "Suppressing chaos in neural networks by noise",
    Phys. Rev. Lett. 69 (1992) (the transition to chaos of random discrete-time networks).

    Examples
    --------
    For a linear network the exponent is the log of the spectral radius:

    >>> exponent = largest_lyapunov_exponent(0.5, seed=1, n=20, n_steps=400,
    ...                                      activation="identity")
    >>> radius = np.abs(np.linalg.eigvals(random_tanh_network(20, 0.5, seed=1).W_rec)).max()
    >>> abs(exponent - math.log(radius)) < 0.02
    True
    """
    n = check_count(n, "n", 1)
    n_steps = check_count(n_steps, "n_steps", 1)
    n_transient = check_count(n_transient, "n_transient", 0)
    net = random_tanh_network(n, gain, check_count(seed, "seed", 0), bias_scale, activation)
    x0 = np.random.default_rng([int(seed), 1]).standard_normal(n)  # apart from the weights'
    return float(lyapunov_spectrum(net, x0, n_steps, n_transient, n_exponents=1).exponents[0])
