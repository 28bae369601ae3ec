r"""Trajectories of one map for many parameter values in one call.

.. math::

    x^{(i)}_{t+1} = F(x^{(i)}_t;\ \theta_{\text{param}} = v_i), \qquad i = 1, \dots, P

What a sweep over a parameter grid needs (orbit statistics, transients to an attractor) without
one Python call per value: with a compiled kernel (:meth:`~dynrnn.RecurrentMap.compiled_kernel`)
all orbits run in one numba loop; otherwise the map's batched
:meth:`~dynrnn.RecurrentMap.stepper_over_param` advances all values at once in numpy. For many
initial states at one parameter value, :meth:`~dynrnn.RecurrentMap.run` already takes a batch.
"""
from __future__ import annotations

import numpy as np

from .._checks import check_count
from ..errors import InvalidTypeError, NonFiniteError, ResourceLimitError, ShapeError
from ..model._jit import AUTO_MAX_STATES, call_compiled, check_backend, compiled_for, input_rows
from ..model.base import RecurrentMap, as_finite_array, as_map, as_state

__all__ = ["run_over_param"]

#: trajectories larger than this are refused up front (with the size asked for)
MAX_TRAJECTORY_BYTES = 4 * 2**30


def run_over_param(system: RecurrentMap, x0, n_steps: int, param: str, values, u=None, *,
                   backend: str = "auto") -> np.ndarray:
    """Iterate ``system`` from ``x0`` for each value of one parameter, in one call.

    Parameters
    ----------
    system : RecurrentMap
    x0 : array_like, shape (n_states,) or (n_values, n_states)
        One initial state for every value, or one per value.
    n_steps : int
    param : str
        The parameter varied, e.g. ``"b[0]"`` or ``"a"``.
    values : array_like, shape (n_values,)
    u : array_like, shape (n_inputs,), optional
        Constant input (default: the map's own).
    backend : {"auto", "numba", "numpy"}
        As in :meth:`~dynrnn.RecurrentMap.run`.

    Returns
    -------
    ndarray, shape (n_steps + 1, n_values, n_states)
        Row ``[:, i]`` is the trajectory with ``param = values[i]``, starting at x0.

    Raises
    ------
    NonFiniteError
        If an orbit overflows; ``.partial`` holds the finite part (all values).

    Examples
    --------
    >>> import numpy as np, dynrnn as dr
    >>> net = dr.RNN([[0.5]], activation="identity")
    >>> dr.run_over_param(net, [1.0], 2, "W_rec[0,0]", [0.5, 2.0])[:, :, 0]
    array([[1.  , 1.  ],
           [0.5 , 2.  ],
           [0.25, 4.  ]])
    """
    as_map(system)
    check_backend(backend)
    n_steps = check_count(n_steps, "n_steps", 0)
    if not isinstance(param, str):
        raise InvalidTypeError(f"param must be one parameter name (str), got "
                               f"{type(param).__name__} {param!r:.60}", argument="param",
                               value=param)
    name = system.check_param_names(param, argument="param")[0]
    values = as_finite_array(values, "values")
    if values.ndim != 1 or values.size == 0:
        raise ShapeError(f"values must have shape (n_values,), got {values.shape}",
                         argument="values", expected=("n_values",), actual=values.shape)
    n, P = system.n_states, values.size
    x = as_state(x0, n, "x0")
    if x.ndim > 2 or (x.ndim == 2 and x.shape[0] != P):
        raise ShapeError(f"x0 must have shape ({n},) or ({P}, {n}), got {x.shape}",
                         argument="x0", expected=(P, n), actual=x.shape)
    x = np.ascontiguousarray(np.broadcast_to(x, (P, n)), dtype=np.float64)
    u = system.resolve_input(u)
    if u is not None and u.ndim != 1:
        raise ShapeError(f"u must be one input of shape ({system.n_inputs},), got {u.shape}",
                         argument="u", expected=(system.n_inputs,), actual=u.shape)
    n_bytes = 8.0 * (n_steps + 1) * P * n
    if n_bytes > MAX_TRAJECTORY_BYTES:
        raise ResourceLimitError(
            f"n_steps={n_steps} for {P} values of {n} states needs {n_bytes / 2**30:.3g} GiB for "
            f"the trajectories, above the limit of {MAX_TRAJECTORY_BYTES / 2**30:.3g} GiB: use "
            f"fewer steps or values", argument="n_steps", value=n_steps, estimate=n_bytes,
            limit=MAX_TRAJECTORY_BYTES)
    out = np.empty((n_steps + 1, P, n))
    out[0] = x
    systems = None
    if backend != "numpy" and (backend == "numba" or n <= AUTO_MAX_STATES["run"]):
        systems = [system.replace_params({name: float(v)}) for v in values]
    compiled = compiled_for(systems, backend) if systems is not None else None
    bad = None
    if compiled is not None:
        kernel, loops = compiled
        bad = call_compiled(kernel, loops.run, x, input_rows(u, system.n_inputs), kernel.params,
                            np.arange(P, dtype=np.int64), n_steps, out)
    if bad is None:
        step = system.stepper_over_param(name, values)
        bad = -1
        with np.errstate(over="ignore", invalid="ignore"):
            for t in range(n_steps):
                out[t + 1] = step(out[t], u)
                if not np.all(np.isfinite(out[t + 1])):
                    bad = t + 1
                    break
    if bad >= 0:
        err = NonFiniteError(f"an orbit overflowed to inf/NaN at step {bad} of {n_steps}; the "
                             "finite part of the trajectories is in .partial",
                             argument="x0", value=None)
        err.partial = out[:bad].copy()
        raise err
    return out
