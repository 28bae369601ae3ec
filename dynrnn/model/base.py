"""The one interface every recurrent map implements, and the checks shared by all of them.

Every algorithm in dynrnn (fixed points, cycles, continuation, Lyapunov spectra, gradients) uses
only the methods of :class:`RecurrentMap`, so a user's own map works wherever a built-in one does.
"""
from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import final

import numpy as np

from .._checks import check_count
from ..errors import (
    InvalidInputError,
    InvalidTypeError,
    NonFiniteError,
    ShapeError,
    UnknownParameterError,
)

__all__ = ["RecurrentMap", "as_state", "as_finite_array", "as_map"]


def as_finite_array(value, argument: str, *, dtype=np.float64, allow_complex: bool = False
                    ) -> np.ndarray:
    """Convert ``value`` to a float array and reject NaN and infinity, naming ``argument``."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested lists
        raise ShapeError(f"{argument} is not a rectangular array: {exc}", argument=argument,
                         actual=type(value).__name__) from None
    if arr.dtype.kind in "USVMm" or (arr.dtype.kind == "O" and any(v is None or isinstance(
            v, (str, bytes)) for v in arr.flat)):
        raise InvalidTypeError(f"{argument} must be numeric, got {type(value).__name__} "
                               f"{value!r:.80}", argument=argument, value=value)
    if not allow_complex and np.iscomplexobj(arr) and np.dtype(dtype).kind == "f":
        # numpy would drop the imaginary part with only a warning
        if np.any(np.imag(arr) != 0):
            raise InvalidTypeError(f"{argument} must be real, got complex values {value!r:.80}",
                                   argument=argument, value=value)
        arr = np.real(arr)
    if not allow_complex or not np.iscomplexobj(arr):
        try:
            arr = arr.astype(dtype, copy=False)
        except (TypeError, ValueError) as exc:
            raise InvalidTypeError(f"{argument} must be numeric, got {arr.dtype}: {exc}",
                                   argument=argument, value=value) from None
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise NonFiniteError(f"{argument} contains {bad} NaN or infinite value(s)",
                             argument=argument, value=arr)
    return arr


def _checked_output(out, x: np.ndarray, what: str, step: tuple[int, int] | None = None
                    ) -> np.ndarray:
    """A map's output as a finite real array; otherwise a dynrnn error saying what happened at
    which state (``step`` = (k, n_steps) when it happened along an orbit)."""
    from ..errors import MapEvaluationError  # here: the errors module is imported above

    out = np.asarray(out)
    where = (f"at step {step[0]} of {step[1]} (from the state x = {_short(x)})" if step
             else f"at the state x = {_short(x)}")
    if out.dtype.kind == "c" and np.any(out.imag != 0):
        raise MapEvaluationError(f"the map's {what} is complex {where}; a recurrent map must "
                                 "be real", argument="step", value=out, state=x)
    if out.dtype.kind not in "fiubc":
        raise MapEvaluationError(f"the map's {what} is not numeric (dtype {out.dtype}) {where}",
                                 argument="step", value=out, state=x)
    out = np.real(out)
    finite = np.isfinite(out)
    if not np.all(finite):
        if np.any(np.isnan(out)):
            happened = ("produced NaN: the map left its domain (a square root or logarithm of a "
                        "negative number, 0/0, inf − inf, ...)")
        else:
            happened = "overflowed to inf: the map is unbounded there"
        raise NonFiniteError(f"the map's {what} {happened}, {where}", argument="x", value=out)
    return out


def _short(x) -> str:
    """A state for a message: its first few entries."""
    flat = np.asarray(x).reshape(-1)
    shown = np.array2string(flat[:6], precision=6, separator=", ")
    return shown if flat.size <= 6 else shown[:-1] + f", ... ({flat.size} entries)]"


def as_state(x, n_states: int, argument: str = "x", *, allow_complex: bool = False) -> np.ndarray:
    """Check a (possibly batched) state: last axis of length ``n_states``, finite entries."""
    arr = as_finite_array(x, argument, allow_complex=allow_complex)
    if arr.ndim == 0 or arr.shape[-1] != n_states:
        raise ShapeError(
            f"{argument} must have shape (..., {n_states}), got {arr.shape}",
            argument=argument, expected=(..., n_states), actual=arr.shape)
    return arr


class RecurrentMap(abc.ABC):
    r"""A parametrised discrete-time map :math:`x_t = F(x_{t-1}, u_t, \theta)`.

    This is the one interface every algorithm in dynrnn uses; a map written against it works
    with fixed points, continuation, Lyapunov spectra, orbit diagrams, BPTT-free analyses and
    sweeps alike.

    **What a map must provide** (abstract; called on already validated arrays, so they do no
    checking of their own):

    - :attr:`n_states` (and :attr:`n_inputs` if the map takes an input, default 0);
    - :meth:`param_values` (the named scalar parameters) and :meth:`replace_params` (a copy with
      some of them changed);
    - :meth:`step_unchecked` (F), :meth:`jacobian_unchecked` (∂F/∂x) and
      :meth:`param_jacobian_unchecked` (∂F/∂θ), batched over leading axes of ``x``.

    **What a map may provide** (optional; defaults are correct, overriding is only for speed or
    extra structure): :meth:`step_and_derivatives`, :meth:`derivatives_along` and
    :meth:`stepper_over_param` (fused or batched evaluations used by continuation and orbit
    diagrams), :meth:`has_param`, :meth:`constant_input`, :meth:`invariant_box` (bounds on F,
    which make fixed-point searches exhaustive in 1-D and seed them in n-D) and
    :meth:`piecewise_linear_form` (exact region solves for ReLU maps) and
    :meth:`multilinear_forms` (second and third derivatives, for normal-form coefficients).

    **What wraps it** (shared and final): :meth:`step`, :meth:`jacobian` and
    :meth:`param_jacobian` validate shapes, dtypes and finiteness, then call the unchecked
    methods; :meth:`run`, :meth:`iterate`, :attr:`params` and :meth:`with_params` are built on
    them.

    States are batched over leading axes: ``x`` of shape ``(..., n_states)``. Maps are immutable:
    :meth:`with_params` returns a new object.
    """

    # -- what a subclass provides ------------------------------------------------------------
    @property
    @abc.abstractmethod
    def n_states(self) -> int:
        """Dimension of the state x."""

    @property
    def n_inputs(self) -> int:
        """Dimension of the input u (0 for an autonomous map)."""
        return 0

    @abc.abstractmethod
    def param_values(self) -> dict[str, float]:
        """All named scalar parameters and their current values."""

    @abc.abstractmethod
    def replace_params(self, updates: dict[str, float]) -> RecurrentMap:
        """A copy with the (already validated) parameters in ``updates`` changed."""

    @abc.abstractmethod
    def step_unchecked(self, x: np.ndarray, u: np.ndarray | None) -> np.ndarray:
        """F(x, u) on validated arrays; ``u`` is None exactly when ``n_inputs == 0``."""

    @abc.abstractmethod
    def jacobian_unchecked(self, x: np.ndarray, u: np.ndarray | None) -> np.ndarray:
        """∂F/∂x on validated arrays, shape ``(..., n_states, n_states)``."""

    @abc.abstractmethod
    def param_jacobian_unchecked(self, x: np.ndarray, names: list[str], u: np.ndarray | None
                        ) -> np.ndarray:
        """∂F/∂θ for validated names, shape ``(..., n_states, len(names))``."""

    # -- optional: fused or batched evaluations (override when they are cheaper) --------------
    def step_and_derivatives(self, x: np.ndarray, names: list[str], u: np.ndarray | None
                              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(F, ∂F/∂x, ∂F/∂θ[names])`` at once, on validated arrays (used by continuation).

        The default makes the three separate calls; maps whose evaluation has a fixed overhead
        (lambdified sympy expressions) override it with one fused call.
        """
        return (self.step_unchecked(x, u), self.jacobian_unchecked(x, u),
                self.param_jacobian_unchecked(x, names, u))

    def derivatives_along(self, name: str, u: np.ndarray | None
                           ) -> Callable[[np.ndarray, float], tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray]]:
        """``evaluate(x, value) -> (F, ∂F/∂x, ∂F/∂name)`` with parameter ``name`` (validated)
        set to ``value`` and the others as in this map, for one state ``x`` of shape
        ``(n_states,)``; shapes ``(n,)``, ``(n, n)``, ``(n,)`` (used by continuation's corrector,
        which evaluates at a new value on nearly every call).

        ``u`` is a resolved input, or None for each map's own constant input (which may depend
        on ``name``, e.g. ``"u[0]"``). The default builds the map once per new value and calls
        :meth:`step_and_derivatives`; sympy-defined maps override it with one call of their
        fused kernel that builds no map at all.
        """
        names = [name]
        last: list = [None, None, None]

        def evaluate(x, value):
            if value != last[0]:
                system = self.replace_params({name: value})
                last[:] = [value, system, u if u is not None else system.resolve_input(None)]
            F, J, P = last[1].step_and_derivatives(x, names, last[2])
            return F, J, P[..., 0]

        return evaluate

    def stepper_over_param(self, name: str, values: np.ndarray
                            ) -> Callable[[np.ndarray, np.ndarray | None], np.ndarray]:
        """A step function for a whole sweep of one parameter at once (used by orbit diagrams).

        Returns ``step(x, u)`` mapping ``x`` of shape ``(P, ..., n_states)`` to the states after
        one step, row ``i`` computed with parameter ``name`` (already validated) set to
        ``values[i]`` (shape ``(P,)``). The default builds the ``P`` maps once and loops over
        them; :class:`~dynrnn.RNN` and sympy-defined maps override it with a single batched
        array evaluation.
        """
        systems = [self.replace_params({name: float(v)}) for v in np.asarray(values)]

        def step(x, u):
            out = np.empty(x.shape, dtype=np.result_type(x.dtype, np.float64))
            for i, system in enumerate(systems):
                out[i] = system.step_unchecked(x[i], u)
            return out

        return step

    def compiled_kernel(self):
        """A description of this map for the compiled loops, or None (the default).

        Returns a ``dynrnn.model.kernels.MapKernel`` when the map can be compiled by
        numba (built-in networks with a standard activation, sympy-defined maps); trajectories
        (:meth:`run`, :meth:`iterate`) and :func:`~dynrnn.lyapunov_spectrum` then run in machine
        code. None keeps the generic numpy path, which computes the same thing; a third-party map
        need not override this.
        """
        return None

    def has_param(self, name: str) -> bool:
        """Whether ``name`` is a parameter; override when listing all of them is costly."""
        return name in self.param_values()

    def constant_input(self) -> np.ndarray:
        """The input used when none is given (the "u[i]" parameters); zeros by default."""
        return np.zeros(self.n_inputs)

    def piecewise_linear_form(self, u=None) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """``(A, W, c)`` with F(x) = A x + W relu(x) + c for piecewise-linear maps, else None.

        On the region where the units in D are active, F is affine: (A + W diag(D)) x + c, so
        its fixed points and cycles are exact solutions of linear systems.
        """
        return None

    def multilinear_forms(self, x: np.ndarray, u: np.ndarray | None
                          ) -> tuple[Callable, Callable] | None:
        r"""The second and third derivatives of F at one state, as multilinear forms.

        Returns ``(B, C)`` with :math:`B(v, w) = \sum_{jk} \partial^2 F/\partial x_j
        \partial x_k\, v_j w_k` and :math:`C(v, w, y)` likewise from the third derivatives,
        each taking (possibly complex) vectors of shape ``(n_states,)`` and returning shape
        ``(n_states,)``; or None (the default) when the map does not know them, in which case
        :func:`dynrnn.analysis.normal_form` uses sympy derivatives (maps built by
        :meth:`~dynrnn.Map.from_sympy`) or finite differences of :meth:`jacobian_unchecked`.
        Used for normal-form coefficients at fold, flip and Neimark–Sacker points.
        """
        return None

    def invariant_box(self, u=None) -> tuple[np.ndarray, np.ndarray] | None:
        """Bounds ``(lower, upper)`` that contain F(x, u) for every x, or None if unbounded.

        Every fixed point and cycle lies in this box, so searches can sample it.
        """
        return None

    # -- shared, final -------------------------------------------------------------------------
    @final
    def resolve_input(self, u=None) -> np.ndarray | None:
        """Validate an input ``u`` (shape ``(..., n_inputs)``); None means the constant input."""
        if self.n_inputs == 0:
            if u is not None:
                u = as_finite_array(u, "u")     # a ragged or text u is named, not np.size's error
            if u is not None and np.size(u) != 0:
                raise ShapeError(f"{type(self).__name__} takes no input, got u of shape "
                                 f"{np.shape(u)}", argument="u", expected=(0,),
                                 actual=np.shape(u))
            return None
        if u is None:
            return self.constant_input()
        u = as_finite_array(u, "u")
        if u.ndim == 0 or u.shape[-1] != self.n_inputs:
            raise ShapeError(f"u must have shape (..., {self.n_inputs}), got {u.shape}",
                             argument="u", expected=(..., self.n_inputs), actual=u.shape)
        return u

    @final
    def step(self, x, u=None) -> np.ndarray:
        """One step of the map, F(x, u), batched over the leading axes of ``x``.

        Parameters
        ----------
        x : array_like, shape (..., n_states)
        u : array_like, shape (..., n_inputs), optional
            The input; by default the map's constant input (its "u[i]" parameters).

        Returns
        -------
        ndarray, shape (..., n_states)
        """
        x = as_state(x, self.n_states)
        return _checked_output(self.step_unchecked(x, self.resolve_input(u)), x, "step")

    @final
    def jacobian(self, x, u=None) -> np.ndarray:
        """The state Jacobian ∂F/∂x at ``x``, shape ``(..., n_states, n_states)``."""
        x = as_state(x, self.n_states)
        return _checked_output(self.jacobian_unchecked(x, self.resolve_input(u)), x, "Jacobian")

    @final
    def param_jacobian(self, x, names: str | Sequence[str], u=None) -> np.ndarray:
        """∂F/∂θ for named scalar parameters.

        Returns shape ``(..., n_states, len(names))``, or ``(..., n_states)`` when ``names`` is
        a single string.
        """
        single = isinstance(names, str)
        checked = self.check_param_names(names, argument="names")
        x = as_state(x, self.n_states)
        out = _checked_output(self.param_jacobian_unchecked(x, checked, self.resolve_input(u)),
                              x, "parameter Jacobian")
        return out[..., 0] if single else out

    @final
    @property
    def params(self) -> Mapping[str, float]:
        """The named scalar parameters (read-only mapping), e.g. ``{"b[0]": -2.5, ...}``."""
        return MappingProxyType(self.param_values())

    @final
    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(self.param_values())

    @final
    def check_param_names(self, names: str | Sequence[str], argument: str = "param") -> list[str]:
        """Validate parameter names, raising :class:`UnknownParameterError` listing valid ones."""
        if isinstance(names, str):
            names = [names]
        elif not isinstance(names, Iterable):
            raise InvalidTypeError(f"{argument} must be a parameter name (str) or a sequence of "
                                   f"names, got {type(names).__name__} {names!r:.60}",
                                   argument=argument, value=names)
        out = []
        for name in names:
            if not isinstance(name, str) or not self.has_param(name):
                listed = list(self.param_values())
                shown = ", ".join(listed[:12]) + (f", ... ({len(listed)} in all)"
                                                  if len(listed) > 12 else "")
                raise UnknownParameterError(
                    f"{type(self).__name__} has no parameter {name!r}; valid names are: {shown}",
                    argument=argument, value=name, valid=tuple(listed))
            out.append(name)
        return out

    @final
    def with_params(self, updates: Mapping[str, float] | None = None, **kwargs: float
                    ) -> RecurrentMap:
        """Return a new map with some named parameters changed; this one is unchanged.

        Examples
        --------
        >>> import dynrnn as dr
        >>> net = dr.RNN([[5.0]], b=[0.0], activation="sigmoid")
        >>> net.with_params({"b[0]": -2.5}).params["b[0]"]
        -2.5
        >>> net.params["b[0]"]
        0.0
        """
        if updates is not None and not isinstance(updates, Mapping):
            raise InvalidTypeError(f"updates must be a mapping of parameter names to values, got "
                                   f"{type(updates).__name__} {updates!r:.60}",
                                   argument="updates", value=updates)
        merged = dict(updates or {})
        merged.update(kwargs)
        self.check_param_names(list(merged), argument="updates")
        clean = {}
        for name, value in merged.items():
            v = as_finite_array(value, f"updates[{name!r}]")
            if v.ndim != 0:
                raise ShapeError(f"updates[{name!r}] must be a scalar, got shape {v.shape}",
                                 argument="updates", expected=(), actual=v.shape)
            clean[name] = float(v)
        return self.replace_params(clean)

    @final
    def run(self, x0, inputs=None, n_steps: int | None = None, *, backend: str = "auto"
            ) -> np.ndarray:
        """Iterate the map from ``x0``.

        Parameters
        ----------
        x0 : array_like, shape (..., n_states)
        inputs : array_like, shape (n_steps, ..., n_inputs), optional
            One input per step; leading batch axes broadcast against those of ``x0``.
            Without inputs the map's constant input is used and ``n_steps`` is required.
        n_steps : int, optional
            Number of steps; must equal ``len(inputs)`` when both are given.
        backend : {"auto", "numba", "numpy"}
            ``"auto"``: the loop compiled by numba when the map has a kernel
            (:meth:`compiled_kernel`), else numpy; the results agree to rounding.

        Returns
        -------
        ndarray, shape (n_steps + 1, ..., n_states)
            The trajectory, starting with ``x0``.
        """
        x = as_state(x0, self.n_states, "x0")
        if n_steps is not None and (isinstance(n_steps, bool)
                                    or not isinstance(n_steps, (int, np.integer))):
            raise InvalidTypeError(f"n_steps must be an integer, got {n_steps!r:.60}",
                                   argument="n_steps", value=n_steps)
        if inputs is not None:
            inputs = as_finite_array(inputs, "inputs")
            if inputs.ndim < 2 or inputs.shape[-1] != self.n_inputs:
                raise ShapeError(
                    f"inputs must have shape (n_steps, ..., {self.n_inputs}), got {inputs.shape}",
                    argument="inputs", expected=("n_steps", ..., self.n_inputs),
                    actual=inputs.shape)
            if n_steps is not None and int(n_steps) != inputs.shape[0]:
                raise ShapeError(f"n_steps={n_steps} but inputs has {inputs.shape[0]} steps",
                                 argument="n_steps", expected=inputs.shape[0], actual=n_steps)
            n_steps = inputs.shape[0]
            batch = np.broadcast_shapes(x.shape[:-1], inputs.shape[1:-1])
            x = np.broadcast_to(x, batch + (self.n_states,))
        elif n_steps is None:
            raise ShapeError("run needs n_steps when no inputs are given", argument="n_steps")
        n_steps = int(n_steps)
        if n_steps < 0:
            raise ShapeError(f"n_steps must be >= 0, got {n_steps}", argument="n_steps",
                             actual=n_steps)
        u_const = self.resolve_input(None)
        out = np.empty((n_steps + 1,) + x.shape, dtype=np.float64)
        out[0] = x
        if self._run_compiled(x, inputs, u_const, n_steps, out, backend):
            return out
        with np.errstate(over="ignore", invalid="ignore"):
            for t in range(n_steps):
                try:
                    out[t + 1] = _checked_output(
                        self.step_unchecked(out[t], u_const if inputs is None else inputs[t]),
                        out[t], "step", (t + 1, n_steps))
                except NonFiniteError as exc:
                    hint = (" (ReLU or linear units with gain > 1?)" if "overflow" in str(exc)
                            else "")
                    err = NonFiniteError(f"the orbit from x0: {exc}{hint}. The finite part of "
                                         "the trajectory is in .partial", argument="x0",
                                         value=None)
                    err.partial = out[: t + 1].copy()
                    raise err from None
        return out

    @final
    def iterate(self, x0, n_steps: int, u=None, *, backend: str = "auto") -> np.ndarray:
        """The state after ``n_steps`` steps with constant input, without storing the path
        (``backend`` as in :meth:`run`)."""
        x = as_state(x0, self.n_states, "x0")
        check_count(n_steps, "n_steps", 0, non_integer=InvalidInputError)
        u = self.resolve_input(u)
        from . import _jit
        compiled = _jit.compiled_for(self, backend)
        if compiled is not None and (u is None or u.ndim == 1) and x.size:
            kernel, loops = compiled
            flat = np.ascontiguousarray(x.reshape(-1, self.n_states), dtype=np.float64)
            with np.errstate(all="ignore"):
                end = _jit.call_compiled(kernel, loops.iterate, flat,
                                         _jit.input_rows(u, self.n_inputs), kernel.params,
                                         np.zeros(flat.shape[0], dtype=np.int64), int(n_steps))
            if end is not None and np.all(np.isfinite(end)):
                return end.reshape(x.shape)
            # an overflow: the numpy loop below says where, with the same error as always
        with np.errstate(over="ignore", invalid="ignore"):
            for t in range(int(n_steps)):
                x = _checked_output(self.step_unchecked(x, u), x, "step", (t + 1, int(n_steps)))
        return x

    def _run_compiled(self, x, inputs, u_const, n_steps, out, backend) -> bool:
        """Fill ``out`` by the compiled loop when there is one; False means use numpy."""
        from . import _jit
        compiled = _jit.compiled_for(self, backend)
        if compiled is None or x.size == 0:
            return False
        kernel, loops = compiled
        n = self.n_states
        batch = x.shape[:-1]
        flat_x = np.ascontiguousarray(x.reshape(-1, n), dtype=np.float64)
        if inputs is None:
            u_rows = _jit.input_rows(u_const, self.n_inputs)
        else:
            # align the inputs' batch axes with the trailing ones of x's batch
            aligned = inputs.reshape((n_steps,) + (1,) * (len(batch) - inputs.ndim + 2)
                                     + inputs.shape[1:])
            # (an explicit row count: -1 is ambiguous for a map without inputs)
            u_rows = np.ascontiguousarray(np.broadcast_to(
                aligned, (n_steps,) + batch + (self.n_inputs,)).reshape(
                    n_steps, flat_x.shape[0], self.n_inputs))
        flat_out = out.reshape(n_steps + 1, -1, n)
        bad = _jit.call_compiled(kernel, loops.run, flat_x, u_rows, kernel.params,
                                 np.zeros(flat_x.shape[0], dtype=np.int64), n_steps, flat_out)
        # numba refused the kernel, or an orbit overflowed: the numpy loop reruns it and says
        # where, with the same error (and partial trajectory) as always
        return bad == -1


def as_map(system, argument: str = "system") -> RecurrentMap:
    """``system`` if it is a :class:`RecurrentMap`, else an InvalidTypeError naming ``argument``
    (the one check every analysis entry point makes before any work)."""
    if not isinstance(system, RecurrentMap):
        raise InvalidTypeError(f"{argument} must be a dynrnn RecurrentMap (RNN, GRU, Map, ...), "
                               f"got {type(system).__name__}", argument=argument, value=system)
    return system
