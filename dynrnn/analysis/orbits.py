r"""Orbit (bifurcation) diagrams by brute-force sampling of attractors.

For each value :math:`p_i` of one parameter and each initial state :math:`x_0^{(j)}`, iterate
:math:`x_{t+1} = F(x_t; p_i)`, discard a transient and keep the following states. Plotted
against :math:`p`, the kept states show the attractors: one point for a stable fixed point,
k points for a k-cycle, a band for chaos; several initial states reveal coexisting attractors.

All parameter values and all initial states advance together, one batched array operation per
iteration, through the map's internal hook :meth:`RecurrentMap.stepper_over_param` (one batched
step for :class:`~dynrnn.RNN`, which is affine in each named parameter, and for maps from
:meth:`Map.from_sympy`, whose lambdified expressions broadcast over a parameter array; a loop
over prebuilt maps otherwise).

References
----------
R. M. May, "Simple mathematical models with very complicated dynamics", Nature 261 (1976)
459–467 (the logistic map's orbit diagram).
Y. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer 2004, §1.5 and
§10.1 (brute-force simulation versus continuation).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from .._checks import check_count, check_seed
from .._signature_checks import checked_arguments
from .._tables import TableSpec, Tabular
from ..errors import InvalidInputError, InvalidTypeError, ShapeError
from ..model.base import RecurrentMap, as_finite_array, as_state

__all__ = ["OrbitDiagram", "OrbitDiagramStatus", "orbit_diagram"]


class OrbitDiagramStatus(str, enum.Enum):
    """Whether the sampled orbits stayed bounded; each value is the readable explanation."""

    COMPLETED = "every orbit stayed bounded"
    SOME_DIVERGED = ("some orbits diverged; they are NaN in samples and True in diverged "
                     "(the map is unbounded there: check the parameter range or the x0s)")
    ALL_DIVERGED = ("every orbit diverged; the map is unbounded for these parameter values and "
                    "initial states: change values, x0s or divergence_bound")

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class OrbitDiagram(Tabular):
    """Sampled attractors over a sweep of one parameter.

    Attributes
    ----------
    param_name : str
    values : ndarray, shape (P,)
        The parameter values.
    samples : ndarray, shape (P, n_x0, n_keep) or (P, n_x0, n_keep, n_states)
        The kept states (the chosen ``component``, or full states when ``component`` is None)
        after ``n_transient`` steps, per value and initial state. Diverged orbits are NaN.
    x0s : ndarray, shape (n_x0, n_states)
        The initial states (the same for every parameter value).
    diverged : ndarray of bool, shape (P, n_x0)
        Orbits that overflowed or left ``|x| <= divergence_bound``.
    n_diverged : int
    component : int or None
    n_transient, n_keep : int
    status : OrbitDiagramStatus
    success : bool
        False only when every orbit diverged.
    message : str
    """

    _table_spec = TableSpec(columns=("param=values", "diverged"))


    param_name: str
    values: np.ndarray
    samples: np.ndarray
    x0s: np.ndarray
    diverged: np.ndarray
    n_diverged: int
    component: int | None
    n_transient: int
    n_keep: int
    status: OrbitDiagramStatus
    success: bool
    message: str

    def attractor_values(self, index: int, tol: float = 1e-6) -> np.ndarray:
        """The distinct sampled values at ``values[index]``, over all initial states.

        Values closer than ``tol`` are merged (the smallest is kept). A stable k-cycle gives k
        values, coexisting attractors give the union of theirs. Needs a scalar ``component``.

        Returns
        -------
        ndarray, shape (n_distinct,)
        """
        if self.component is None:
            raise InvalidInputError("attractor_values needs a diagram of one component; "
                                    "compute it with component=<int>", argument="component")
        data = np.sort(self.samples[index][np.isfinite(self.samples[index])])
        if data.size == 0:
            return data
        keep = np.concatenate([[True], np.diff(data) > tol])
        return data[keep]

    def __repr__(self) -> str:
        return (f"OrbitDiagram({self.param_name}: {self.values.size} values x "
                f"{self.x0s.shape[0]} initial states, n_keep={self.n_keep}, "
                f"n_diverged={self.n_diverged})")


def _default_x0s(system: RecurrentMap, n_initial: int, seed, u) -> np.ndarray:
    rng = check_seed(seed)
    box = system.invariant_box(u)
    n = system.n_states
    if box is not None:
        lo, hi = (np.asarray(b, dtype=float) for b in box)
        if np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)):
            return lo + (hi - lo) * rng.random((n_initial, n))
    return rng.uniform(-1.0, 1.0, (n_initial, n))


def _check_budget(n_orbits: int, n_states: int, n_transient: int, n_keep: int,
                  component: int | None, max_memory: float, max_updates: float) -> None:
    """Refuse, before any work, a diagram whose samples or run would not fit the budget."""
    for name, limit in (("max_memory", max_memory), ("max_updates", max_updates)):
        if isinstance(limit, bool) or not isinstance(limit, (int, float, np.integer,
                                                             np.floating)) or not limit > 0:
            raise InvalidInputError(f"{name} must be a positive number, got {limit!r}",
                                    argument=name, value=limit)
    n_bytes = 8.0 * n_orbits * n_keep * (1 if component is not None else n_states)
    if n_bytes > max_memory:
        raise InvalidInputError(
            f"n_keep={n_keep} asks for {n_bytes / 2 ** 30:.3g} GiB of samples ({n_orbits} "
            f"orbits x {n_keep} kept states x 8 bytes), above max_memory = "
            f"{max_memory / 2 ** 30:.3g} GiB; lower n_keep, the number of values or x0s, or "
            "raise max_memory", argument="n_keep", value=n_keep)
    n_updates = float(n_orbits) * (n_transient + n_keep) * n_states
    if n_updates > max_updates:
        raise InvalidInputError(
            f"n_transient + n_keep = {n_transient + n_keep} steps over {n_orbits} orbits is "
            f"{n_updates:.3g} state-component updates, above max_updates = {max_updates:.3g}; "
            "lower n_transient or n_keep, or raise max_updates",
            argument="n_transient" if n_transient >= n_keep else "n_keep", value=n_updates)


@checked_arguments
def orbit_diagram(system: RecurrentMap, param: str, values, *, n_transient: int = 1000,
                  n_keep: int = 200, x0s=None, n_initial: int = 4, component: int | None = 0,
                  u=None, seed: int | np.random.Generator | None = 0,
                  divergence_bound: float = 1e12, vectorized: bool = True,
                  max_memory: float = 2.0 ** 31, max_updates: float = 1e11) -> OrbitDiagram:
    r"""Sample the attractors of ``system`` over a sweep of the parameter ``param``.

    .. math::

        x^{(i,j)}_{t+1} = F\bigl(x^{(i,j)}_t;\ p = \text{values}_i\bigr), \qquad
        x^{(i,j)}_0 = \text{x0s}_j

    iterated ``n_transient + n_keep`` times for all ``i, j`` at once; the last ``n_keep``
    states are kept.

    Parameters
    ----------
    system : RecurrentMap
    param : str
        Name of the swept parameter, e.g. ``"b[0]"`` or a sympy map's ``"r"``.
    values : array_like, shape (P,)
        The parameter values.
    n_transient : int
        Steps discarded before sampling.
    n_keep : int
        Steps kept (>= 1).
    x0s : array_like, shape (n_x0, n_states) or (n_states,), optional
        Initial states, the same for every value. By default ``n_initial`` states drawn
        uniformly from the map's invariant box (or from [−1, 1]^n) with ``seed``.
    n_initial : int
        Number of random initial states when ``x0s`` is not given.
    component : int or None
        State component to keep; None keeps full states.
    u : array_like, shape (n_inputs,), optional
        Constant input for driven maps (the map's own by default).
    seed : int or numpy.random.Generator, optional
        For the default initial states.
    divergence_bound : float
        Orbits with a component beyond this magnitude (or overflowing) are marked diverged.
    vectorized : bool
        Use the map's batched sweep (default); False forces the loop over one map per value
        (the reference path, for tests and benchmarks).
    max_memory : float
        Bytes the kept samples may take (2 GiB by default); a larger request is refused before
        any work, with the size it would need.
    max_updates : float
        Component updates (values × initial states × steps × n_states) the run may take (1e11,
        about an hour); a larger request is refused before any work.

    Returns
    -------
    OrbitDiagram

    References
    ----------
    May (1976); Kuznetsov (2004), §10.1.

    Examples
    --------
    The logistic map has the stable fixed point 1 − 1/r at r = 2.8 and a 2-cycle at r = 3.2:

    >>> import numpy as np, sympy as sp, dynrnn as dr
    >>> x, r = sp.symbols("x r")
    >>> logistic = dr.Map.from_sympy([r * x * (1 - x)], [x], {r: 3.0})
    >>> d = dr.orbit_diagram(logistic, "r", [2.8, 3.2], x0s=[[0.3]], n_keep=8)
    >>> d.attractor_values(0, tol=1e-8).round(6)
    array([0.642857])
    >>> d.attractor_values(1, tol=1e-8).round(6)
    array([0.513045, 0.799455])
    """
    if not isinstance(system, RecurrentMap):
        raise InvalidTypeError(f"system must be a RecurrentMap, got {type(system).__name__}",
                               argument="system", value=system)
    (param,) = system.check_param_names(param, argument="param")
    values = as_finite_array(values, "values")
    if values.ndim == 0:
        values = values.reshape(1)
    if values.ndim != 1 or values.size == 0:
        raise ShapeError(f"values must be a non-empty 1-D array, got shape {values.shape}",
                         argument="values", expected=("P",), actual=values.shape)
    for name, value, least in (("n_transient", n_transient, 0), ("n_keep", n_keep, 1),
                               ("n_initial", n_initial, 1)):
        check_count(value, name, least, non_integer=InvalidInputError)
    if not (isinstance(divergence_bound, (int, float)) and divergence_bound > 0):
        raise InvalidInputError(f"divergence_bound must be a positive number, got "
                                f"{divergence_bound!r}", argument="divergence_bound",
                                value=divergence_bound)
    n = system.n_states
    if component is not None:
        if not isinstance(component, (int, np.integer)) or not -n <= component < n:
            raise InvalidInputError(f"component must be an integer in [0, {n}) or None, got "
                                    f"{component!r}", argument="component", value=component)
        component = int(component) % n
    if x0s is not None:
        x0s = as_state(x0s, n, "x0s")
    n_orbits = values.size * (int(n_initial) if x0s is None else max(1, x0s.size // n))
    _check_budget(n_orbits, n, int(n_transient), int(n_keep), component, max_memory,
                  max_updates)
    u = system.resolve_input(u)
    if x0s is None:
        x0s = _default_x0s(system, int(n_initial), seed, u)
    x0s = as_state(x0s, n, "x0s")
    if x0s.ndim == 1:
        x0s = x0s[None]
    if x0s.ndim != 2:
        raise ShapeError(f"x0s must have shape (n_x0, {n}) or ({n},), got {x0s.shape}",
                         argument="x0s", expected=("n_x0", n), actual=x0s.shape)

    if vectorized:
        step = system.stepper_over_param(param, values)
    else:
        step = RecurrentMap.stepper_over_param(system, param, values)
    P, n_x0 = values.size, x0s.shape[0]
    X = np.array(np.broadcast_to(x0s, (P, n_x0, n)), dtype=np.float64)
    diverged = np.zeros((P, n_x0), dtype=bool)
    shape = (P, n_x0, n_keep) if component is not None else (P, n_x0, n_keep, n)
    samples = np.empty(shape)

    def check(X):
        bad = ~np.all(np.isfinite(X) & (np.abs(X) <= divergence_bound), axis=-1)
        if np.any(bad & ~diverged):
            diverged[bad] = True
            X[diverged] = np.nan   # NaN propagates quietly; inf would overflow again each step
        return X

    total = n_transient + n_keep
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(total):
            X = step(X, u)
            if t % 16 == 15 or t == total - 1:
                X = check(X)
            if t >= n_transient:
                samples[:, :, t - n_transient] = X[..., component] if component is not None \
                    else X
    samples[diverged] = np.nan
    n_div = int(diverged.sum())
    if n_div == 0:
        status = OrbitDiagramStatus.COMPLETED
    elif n_div == diverged.size:
        status = OrbitDiagramStatus.ALL_DIVERGED
    else:
        status = OrbitDiagramStatus.SOME_DIVERGED
    return OrbitDiagram(param_name=param, values=values.copy(), samples=samples,
                        x0s=x0s.copy(), diverged=diverged, n_diverged=n_div,
                        component=component, n_transient=int(n_transient), n_keep=int(n_keep),
                        status=status, success=status is not OrbitDiagramStatus.ALL_DIVERGED,
                        message=status.value)
