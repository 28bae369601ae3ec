r"""Starting states for fixed-point searches where the dynamics lives.

A trained network visits a small part of its state space; its fixed points sit there, not in the
corners of the invariant box. :func:`trajectory_starts` runs the map on the user's own input
batch and samples the visited states with Gaussian noise, as FixedPointFinder does (Golub &
Sussillo 2018):

.. math::

    x^{(j)}_0 = x_{t_j}^{(b_j)} + \varepsilon_j, \qquad
    \varepsilon_j \sim \mathcal N(0, \sigma^2 I),

with (b_j, t_j) drawn uniformly among the visited (trial, time) pairs. Pass the result as
``starts=`` to :func:`~dynrnn.find_fixed_points` (it then adds its own invariant-box starts to
them, see ``box_fraction`` there).

References
----------
D. Sussillo, O. Barak, "Opening the black box: low-dimensional dynamics in high-dimensional
recurrent neural networks", Neural Computation 25 (2013).
M. D. Golub, D. Sussillo, "FixedPointFinder: a Tensorflow toolbox for identifying and
characterizing fixed points in recurrent neural networks", JOSS 3 (2018) 1003.
"""
from __future__ import annotations

import numpy as np

from .._checks import check_count, check_seed
from ..errors import InvalidInputError, InvalidTypeError, ResourceLimitError, ShapeError
from ..model.base import RecurrentMap, as_finite_array

__all__ = ["trajectory_starts"]

#: refuse requests whose arrays would exceed this many bytes (4 GiB), before any work
MAX_STARTS_BYTES = 4 * 2 ** 30


def _check_size(count: int, n: int, argument: str, value) -> None:
    """Refuse an array of ``count`` states of ``n`` doubles that cannot fit in memory."""
    estimate = 8.0 * count * n
    if estimate > MAX_STARTS_BYTES:
        raise ResourceLimitError(
            f"{argument}={value} needs about {estimate / 2 ** 30:.3g} GiB of memory for "
            f"{count} states of {n} values, above the limit of {MAX_STARTS_BYTES / 2 ** 30:.3g} "
            f"GiB: use a smaller {argument}", argument=argument, value=value,
            estimate=estimate, limit=MAX_STARTS_BYTES)


def _as_map(system) -> RecurrentMap:
    if isinstance(system, RecurrentMap):
        return system
    if type(system).__module__.startswith("torch"):
        try:
            from .. import (
                from_torch,  # provided by dynrnn.model.torch_import when available
            )
        except ImportError:
            raise InvalidTypeError(
                f"a {type(system).__name__} torch module cannot be read here yet; convert it "
                "first (dr.RNN.from_torch(module) for nn.RNN)", argument="system",
                value=system) from None
        return from_torch(system)
    raise InvalidTypeError(f"system must be a dynrnn RecurrentMap or a torch recurrent module, "
                           f"got {type(system).__name__}", argument="system", value=system)


def trajectory_starts(system, inputs=None, *, n_starts: int = 1024, noise: float = 0.5,
                      initial_states=None, n_steps: int | None = None,
                      seed: int | np.random.Generator | None = 0,
                      return_inputs: bool = False):
    r"""States visited by the map on an input batch, sampled with noise: starts for a search.

    .. math::

        x_{t+1}^{(b)} = F(x_t^{(b)}, u_t^{(b)}), \qquad
        \text{start}_j = x_{t_j}^{(b_j)} + \varepsilon_j,\ \varepsilon_j \sim N(0, \sigma^2 I)

    Parameters
    ----------
    system : RecurrentMap or torch.nn.Module
        The map (a torch module is converted with ``dr.from_torch`` when that is available).
    inputs : array_like, shape (n_trials, n_steps, n_inputs) or (n_steps, n_inputs), optional
        The input batch, as the network saw it in training. Without inputs the map runs
        autonomously (its constant input) for ``n_steps`` steps.
    n_starts : int
        Number of starts returned.
    noise : float
        σ, the standard deviation of the Gaussian noise added to each sampled state (in the
        map's state coordinates); 0 gives the visited states themselves. FixedPointFinder's
        example uses 0.5.
    initial_states : array_like, shape (n_trials, n_states) or (n_states,), optional
        x_0 of each trial; zeros by default.
    n_steps : int, optional
        Steps of an autonomous run (only without ``inputs``; default 100).
    seed : int or numpy.random.Generator, optional
        Randomness of the sampling and noise; fixed (0) by default, so calls are repeatable.
    return_inputs : bool
        Also return the input the network received at each sampled state (the constant input
        in an autonomous run), to pass as ``u=`` with ``starts=`` to
        :func:`~dynrnn.find_fixed_points`: fixed points conditioned on each start's input, as
        FixedPointFinder pairs sampled inputs with sampled states.

    Returns
    -------
    ndarray, shape (n_starts, n_states)
        The starts; with ``return_inputs=True`` the pair (starts, inputs), inputs of shape
        (n_starts, n_inputs).

    Raises
    ------
    ShapeError, InvalidInputError, InvalidTypeError
        Bad arguments (the message names the argument).

    Examples
    --------
    >>> import numpy as np, dynrnn as dr
    >>> net = dr.RNN([[2.0, 0.0], [0.0, 2.0]], W_in=[[1.0], [-1.0]])
    >>> pulses = np.zeros((4, 20, 1)); pulses[:, 0, 0] = [1, -1, 2, -2]
    >>> dr.trajectory_starts(net, pulses, n_starts=8, noise=0.1).shape
    (8, 2)
    """
    system = _as_map(system)
    n_starts = check_count(n_starts, "n_starts", 1)
    sigma_array = as_finite_array(noise, "noise")
    if sigma_array.shape != ():
        raise ShapeError(f"noise must be one number (σ, the same for every state component), "
                         f"got shape {sigma_array.shape}", argument="noise", expected=(),
                         actual=sigma_array.shape)
    sigma = float(sigma_array)
    if sigma < 0:
        raise InvalidInputError(f"noise must be >= 0, got {noise!r}", argument="noise",
                                value=noise)
    rng = check_seed(seed)
    n = system.n_states
    if inputs is None:
        steps = 100 if n_steps is None else check_count(n_steps, "n_steps", 1)
        U = None
        n_trials = 1
    else:
        if n_steps is not None:
            raise InvalidInputError("n_steps is only for autonomous runs; with inputs the "
                                    "number of steps is inputs.shape[-2]", argument="n_steps",
                                    value=n_steps)
        U = as_finite_array(inputs, "inputs")
        if U.ndim == 2:
            U = U[None]
        if U.ndim != 3 or U.shape[2] != system.n_inputs or U.shape[1] == 0 or U.shape[0] == 0:
            raise ShapeError(f"inputs must have shape (n_trials, n_steps, {system.n_inputs}), "
                             f"got {np.shape(inputs)}", argument="inputs",
                             expected=("n_trials", "n_steps", system.n_inputs),
                             actual=np.shape(inputs))
        n_trials, steps = U.shape[0], U.shape[1]
    if initial_states is None:
        x = np.zeros((n_trials, n))
    else:
        x = as_finite_array(initial_states, "initial_states")
        if x.shape == (n,):
            x = np.broadcast_to(x, (n_trials, n)).copy()
        if inputs is None and x.ndim == 2 and x.shape[1] == n:
            n_trials = x.shape[0]
        if x.shape != (n_trials, n):
            raise ShapeError(f"initial_states must have shape ({n_trials}, {n}) or ({n},), "
                             f"got {x.shape}", argument="initial_states",
                             expected=(n_trials, n), actual=x.shape)
    _check_size(n_starts, n, "n_starts", n_starts)
    _check_size(steps * n_trials, n, "n_steps" if inputs is None else "inputs", steps)
    u_const = system.resolve_input(None)
    visited = np.empty((steps, n_trials, n))
    with np.errstate(all="ignore"):
        for t in range(steps):
            x = system.step_unchecked(x, u_const if U is None else U[:, t])
            visited[t] = x
    visited = visited.reshape(-1, n)
    # the input that produced each visited state (same (t, trial) order as ``visited``)
    n_in = system.n_inputs
    if U is not None:
        seen = np.swapaxes(U, 0, 1).reshape(-1, n_in)
    else:
        u_row = np.zeros(n_in) if u_const is None else np.asarray(u_const, dtype=float)
        seen = np.broadcast_to(u_row.reshape(-1)[:n_in], (visited.shape[0], n_in))
    finite = np.all(np.isfinite(visited), axis=1)
    visited, seen = visited[finite], seen[finite]
    if visited.shape[0] == 0:
        raise InvalidInputError("every visited state is non-finite: the map diverged on these "
                                "inputs", argument="inputs", value=None)
    pick = rng.integers(0, visited.shape[0], size=n_starts)
    starts = visited[pick] + sigma * rng.standard_normal((n_starts, n))
    if return_inputs:
        return starts, np.array(seen[pick], dtype=float)
    return starts


def midpoint_starts(points: np.ndarray, limit: int, rng: np.random.Generator) -> np.ndarray:
    """Midpoints of pairs of known points (m, n), at most ``limit`` of them (a random subset).

    In a trained network the saddles sit between the attractors they separate (the edge and face
    centres of the flip-flop cube), so the midpoints of pairs of found points are Newton starts
    near the points a first round missed.
    """
    m = points.shape[0]
    if m < 2:
        return np.empty((0, points.shape[1]))
    i, j = np.triu_indices(m, 1)
    if i.size > limit:
        keep = rng.choice(i.size, size=limit, replace=False)
        i, j = i[keep], j[keep]
    return 0.5 * (points[i] + points[j])
