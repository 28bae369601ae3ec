"""Recurrent maps defined by the user: from a Python callable or from sympy expressions."""
from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import final

import numpy as np

from .._checks import check_count
from ..errors import (
    DerivativeFallbackWarning,
    InvalidInputError,
    InvalidTypeError,
    MapEvaluationError,
    ShapeError,
)
from .base import RecurrentMap, as_finite_array
from .sympy_maps import SympyKernels, as_params_mapping, compile_sympy_map

__all__ = ["Map"]


def _central_difference(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """∂f/∂x by central differences at each of the batch of points x (..., n) -> (..., m, n)."""
    n = x.shape[-1]
    cols = []
    for j in range(n):
        h = 6.055454e-06 * np.maximum(1.0, np.abs(x[..., j]))  # eps**(1/3): balances errors
        e = np.zeros(x.shape)
        e[..., j] = h
        cols.append((f(x + e) - f(x - e)) / (2.0 * h[..., None]))
    return np.stack(cols, axis=-1)


def _as_box(box, n_states: int) -> tuple[np.ndarray, np.ndarray] | None:
    """``box = (lo, hi)`` as two arrays of shape (n_states,) with lo <= hi, or a named error."""
    if box is None:
        return None
    if isinstance(box, (str, bytes)) or not hasattr(box, "__len__") or len(box) != 2:
        raise InvalidInputError(f"box must be a pair (lo, hi) of bounds, each a number or an "
                                f"array of shape ({n_states},), got {box!r:.80}",
                                argument="box", value=box)
    bounds = []
    for side, bound in zip(("lo", "hi"), box):
        arr = as_finite_array(bound, "box")
        try:
            bounds.append(np.broadcast_to(arr, (n_states,)).astype(np.float64))
        except ValueError:
            raise ShapeError(f"box {side} must be a number or have shape ({n_states},), got "
                             f"shape {arr.shape}", argument="box", expected=(n_states,),
                             actual=arr.shape) from None
    lo, hi = bounds
    if np.any(lo > hi):
        i = int(np.flatnonzero(lo > hi)[0])
        raise InvalidInputError(f"box is reversed: lo[{i}] = {lo[i]:g} > hi[{i}] = {hi[i]:g}; "
                                "give box=(lo, hi) with lo <= hi", argument="box", value=box)
    return lo, hi


def _checked_values(out, argument: str, x: np.ndarray) -> np.ndarray:
    """The output of a user function as a real float array, or a :class:`MapEvaluationError`
    naming the function and the state (numpy would drop an imaginary part with a warning and
    keep strings as strings)."""
    out = np.asarray(out)
    if out.dtype.kind in "fiub":
        return out
    if out.dtype.kind == "c":
        if np.iscomplexobj(x) or not np.any(out.imag != 0):
            return out if np.iscomplexobj(x) else out.real
        raise MapEvaluationError(
            f"the map's {argument} returned complex values at state x = {_short(x)}; a "
            "recurrent map must be real (an imaginary unit I or a complex constant?)",
            argument=argument, value=out, state=x)
    try:
        if out.dtype.kind in "USV":
            raise TypeError(out.dtype)
        return out.astype(np.float64)
    except (TypeError, ValueError):
        raise MapEvaluationError(
            f"the map's {argument} returned non-numeric values (dtype {out.dtype}) at state x = "
            f"{_short(x)}; it must return real numbers", argument=argument, value=out,
            state=x) from None


def _short(x) -> str:
    """A state for a message: the first few entries."""
    flat = np.asarray(x).reshape(-1)
    shown = np.array2string(flat[:6], precision=6, separator=", ")
    return shown if flat.size <= 6 else shown[:-1] + f", ... ({flat.size} entries)]"


@final
class Map(RecurrentMap):
    r"""A recurrent map :math:`x_t = F(x_{t-1}, u_t; \theta)` given by a Python callable.

    Parameters
    ----------
    step : callable
        ``step(x, p)`` for an autonomous map, ``step(x, u, p)`` when ``n_inputs > 0``. ``x`` has
        shape ``(n_states,)`` (or ``(..., n_states)`` if ``vectorized``), ``p`` is a read-only
        mapping from parameter names to floats. Returns an array of the shape of ``x``.
    n_states : int
    params : mapping of str to float, optional
        The named scalar parameters and their values.
    jacobian : callable, optional
        ``jacobian(x, p)`` (or ``(x, u, p)``) returning ∂F/∂x, shape ``(n_states, n_states)``.
        Without it the Jacobian is computed by complex step if ``step`` accepts complex states,
        else by central differences, and a :class:`DerivativeFallbackWarning` is issued.
    param_jacobian : callable, optional
        ``param_jacobian(x, p, names)`` (or ``(x, u, p, names)``) returning ∂F/∂θ, shape
        ``(n_states, len(names))``; central differences otherwise.
    n_inputs : int
        Dimension of the input (0 for an autonomous map).
    vectorized : bool
        Whether the callables accept batches ``(..., n_states)``; otherwise they are looped.
    box : (array_like, array_like), optional
        Bounds ``(lo, hi)``, ``lo <= hi``, known to contain F(x) for all x; used to sample starts
        in fixed-point searches.
    name : str, optional

    Raises
    ------
    MapEvaluationError
        At run time, when ``step`` or ``jacobian`` raises or returns values that are not real
        numbers (the message names the function and the state).

    Examples
    --------
    The logistic map:

    >>> import dynrnn as dr
    >>> m = dr.Map(lambda x, p: p["r"] * x * (1 - x), 1, {"r": 3.2},
    ...            jacobian=lambda x, p: p["r"] * (1 - 2 * x)[..., None])
    >>> m.step([0.5])
    array([0.8])
    """

    # set on maps built by from_sympy: the expressions and the state and input symbols
    exprs: tuple
    states: tuple
    inputs: tuple

    def __init__(self, step: Callable, n_states: int, params: Mapping[str, float] | None = None,
                 jacobian: Callable | None = None, param_jacobian: Callable | None = None, *,
                 n_inputs: int = 0, vectorized: bool = False, box=None,
                 name: str | None = None):
        if not callable(step):
            raise InvalidTypeError(f"step must be callable, got {type(step).__name__}",
                                   argument="step", value=step)
        for arg, f in (("jacobian", jacobian), ("param_jacobian", param_jacobian)):
            if f is not None and not callable(f):
                raise InvalidTypeError(f"{arg} must be callable or None, got "
                                       f"{type(f).__name__}", argument=arg, value=f)
        n_states = check_count(n_states, "n_states", 1, non_integer=ShapeError,
                               too_small=ShapeError)
        n_inputs = check_count(n_inputs, "n_inputs", 0, non_integer=ShapeError,
                               too_small=ShapeError)
        clean = {}
        for key, value in as_params_mapping(params).items():
            if not isinstance(key, str):
                raise InvalidTypeError(f"params keys (parameter names) must be strings, got "
                                       f"{key!r}",
                                       argument="params", value=key)
            v = as_finite_array(value, f"params[{key!r}]")
            if v.ndim != 0:
                raise ShapeError(f"parameter {key!r} must be a scalar, got shape {v.shape}",
                                 argument="params", expected=(), actual=v.shape)
            clean[key] = float(v)
        if n_states > 2 ** 31 or n_inputs > 2 ** 31:
            raise InvalidInputError(f"n_states={n_states}, n_inputs={n_inputs}: one state would "
                                    "not fit in memory", argument="n_states", value=n_states)
        self._n, self._m = int(n_states), int(n_inputs)
        self._params = clean
        self._f, self._jac, self._pjac = step, jacobian, param_jacobian
        self._vectorized = bool(vectorized)
        if name is not None and not isinstance(name, str):
            raise InvalidTypeError(f"name must be text or None, got {name!r:.60}",
                                   argument="name", value=name)
        self.name = name or getattr(step, "__name__", "Map")
        self._box = _as_box(box, self._n)
        self._check_callable(step, "step", (self._n,))
        if jacobian is not None:
            self._check_callable(jacobian, "jacobian", (self._n, self._n))
        self._complex_step = False
        # set by from_sympy: fused lambdified F, ∂F/∂x, ∂F/∂θ
        self._kernels: SympyKernels | None = None
        if jacobian is None:
            self._complex_step = self._accepts_complex()
            how = "complex-step" if self._complex_step else "central-difference"
            warnings.warn(f"Map {self.name!r} has no analytic jacobian; using {how} "
                          "derivatives (pass jacobian= for speed and accuracy)",
                          DerivativeFallbackWarning, stacklevel=2)

    # -- construction checks ---------------------------------------------------------------------
    def _call(self, f, x, u, *extra):
        p = MappingProxyType(self._params)
        return f(x, p, *extra) if self._m == 0 else f(x, u, p, *extra)

    def _check_callable(self, f, argument: str, expected: tuple[int, ...]) -> None:
        try:
            x = np.zeros(self._n)
            u = np.zeros(self._m) if self._m else None
        except MemoryError:
            raise InvalidInputError(f"n_states={self._n}, n_inputs={self._m}: one state does not "
                                    "fit in memory", argument="n_states",
                                    value=self._n) from None
        try:
            out = np.asarray(self._call(f, x, u))
        except Exception as exc:  # the user's code failed: report it against the argument
            raise InvalidTypeError(
                f"{argument} raised {type(exc).__name__} when called with a state of shape "
                f"{x.shape}: {exc}", argument=argument, value=f) from exc
        if out.dtype.kind not in "fiubc":
            raise InvalidTypeError(f"{argument} returned non-numeric values (dtype {out.dtype}) "
                                   f"for the state {x}; it must return real numbers",
                                   argument=argument, value=f)
        if out.shape != expected:
            raise ShapeError(f"{argument} returned shape {out.shape} for a state of shape "
                             f"{x.shape}; expected {expected}", argument=argument,
                             expected=expected, actual=out.shape)

    def _accepts_complex(self) -> bool:
        x = np.full(self._n, 0.1) + 1e-30j
        u = np.zeros(self._m) if self._m else None
        try:
            with np.errstate(all="ignore"):
                out = np.asarray(self._call(self._f, x, u))
        except Exception:
            return False
        if not (np.iscomplexobj(out) and np.any(out.imag != 0) and np.all(np.isfinite(out))):
            return False
        # A step can accept complex numbers yet not be complex-analytic (np.abs, np.real, a
        # cast inside): then the complex step is silently wrong. Check it against central
        # differences at a generic point and keep the difference quotient if they disagree.
        generic = 0.1 + 0.37 * np.arange(1, self._n + 1) / self._n
        try:
            with np.errstate(all="ignore"):
                self._complex_step = True
                cs = self.jacobian_unchecked(generic, u)
                self._complex_step = False
                fd = _central_difference(lambda z: self.step_unchecked(z, u), generic)
        except Exception:
            return False
        finally:
            self._complex_step = False
        scale = max(1.0, float(np.max(np.abs(fd), initial=0.0)))
        return bool(np.all(np.isfinite(cs)) and np.allclose(cs, fd, rtol=1e-5, atol=1e-6 * scale))

    # -- map interface -------------------------------------------------------------------------
    @property
    def n_states(self) -> int:
        return self._n

    @property
    def n_inputs(self) -> int:
        return self._m

    def __repr__(self) -> str:
        return f"Map({self.name!r}, n_states={self._n}, params={self._params})"

    def param_values(self):
        return dict(self._params)

    def has_param(self, name):
        return name in self._params

    def replace_params(self, updates):
        new = object.__new__(Map)
        new.__dict__.update(self.__dict__)
        new._params = {**self._params, **updates}
        return new

    def invariant_box(self, u=None):
        return self._box

    def _role(self, f) -> str:
        """The argument name of a user function, for messages."""
        return {id(self._jac): "jacobian", id(self._pjac): "param_jacobian"}.get(id(f), "step")

    def _evaluate(self, f, x, u, *extra):
        """One call of a user function; its failures become :class:`MapEvaluationError`."""
        try:
            out = self._call(f, x, u, *extra)
        except MapEvaluationError:
            raise
        except Exception as exc:  # the user's code: report it against the function and state
            role = self._role(f)
            raise MapEvaluationError(f"the map's {role} raised {type(exc).__name__} at state "
                                     f"x = {_short(x)}: {exc}", argument=role, value=f,
                                     state=x) from exc
        return _checked_values(out, self._role(f), x)

    def _batched(self, f, x, u, out_tail: tuple[int, ...], *extra, dtype=np.float64):
        """Call a user function on a batch, looping when it is not vectorised."""
        if self._vectorized or x.ndim == 1:
            out = self._evaluate(f, x, u, *extra)
            if out.shape != x.shape[:-1] + out_tail:
                if out.size == int(np.prod(x.shape[:-1] + out_tail)):
                    out = out.reshape(x.shape[:-1] + out_tail)
                else:
                    raise ShapeError(f"the map's {self._role(f)} returned shape {out.shape} for "
                                     f"a state batch of shape {x.shape}",
                                     argument=self._role(f), expected=x.shape[:-1] + out_tail,
                                     actual=out.shape)
            return out
        batch = x.shape[:-1]
        flat = x.reshape(-1, self._n)
        uf = None
        if u is not None:
            uf = np.broadcast_to(u, batch + (self._m,)).reshape(-1, self._m)
        dt = np.complex128 if np.iscomplexobj(x) else dtype
        out = np.empty((flat.shape[0],) + out_tail, dtype=dt)
        for k in range(flat.shape[0]):
            value = self._evaluate(f, flat[k], None if uf is None else uf[k], *extra)
            if value.shape != out_tail:
                raise ShapeError(f"the map's function {getattr(f, '__name__', f)!r} returned "
                                 f"shape {value.shape} for a state of shape {flat[k].shape}; "
                                 f"expected {out_tail}", argument=self._role(f),
                                 expected=out_tail, actual=value.shape)
            out[k] = value
        return out.reshape(batch + out_tail)

    def step_unchecked(self, x, u):
        return self._batched(self._f, x, u, (self._n,))

    def jacobian_unchecked(self, x, u):
        if self._jac is not None:
            return self._batched(self._jac, x, u, (self._n, self._n))
        if self._complex_step:
            h = 1e-30
            cols = []
            for j in range(self._n):
                xc = x.astype(np.complex128)
                xc[..., j] += 1j * h
                cols.append(self.step_unchecked(xc, u).imag / h)
            return np.stack(cols, axis=-1)
        return _central_difference(lambda z: self.step_unchecked(z, u), x)

    def param_jacobian_unchecked(self, x, names, u):
        if self._pjac is not None:
            return self._batched(self._pjac, x, u, (self._n, len(names)), list(names))
        cols = []
        for name in names:
            v = self._params[name]
            h = 6.055454e-06 * max(1.0, abs(v))
            plus = self.replace_params({name: v + h}).step_unchecked(x, u)
            minus = self.replace_params({name: v - h}).step_unchecked(x, u)
            cols.append((plus - minus) / (2.0 * h))
        return np.stack(cols, axis=-1)

    # -- fast paths of sympy-defined maps (see RecurrentMap's internal hooks) --------------------
    def step_and_derivatives(self, x, names, u):
        if self._kernels is None:
            return super().step_and_derivatives(x, names, u)
        k = self._kernels
        n = self._n
        batch = x.shape[:-1]
        params = [self._params[p] for p in k.pnames]
        out = None
        if x.size <= 8 * n and x.dtype == np.float64 and (u is None or np.ndim(u) == 1):
            # a few points (two-parameter continuation evaluates 1-4): one call of the generated
            # code per point on Python floats costs far less than its array version, which pays
            # numpy's overhead once per operation and per output component
            inputs = u.tolist() if self._m else []
            try:
                out = np.array([k.fused(*row, *inputs, *params)
                                for row in x.reshape(-1, n).tolist()], dtype=np.float64)
                out = out.reshape(batch + out.shape[-1:])
            except (ArithmeticError, TypeError, ValueError):
                out = None      # 1/0, overflow, complex powers: the array code gives inf/nan
        if out is None:
            args = [x[..., i] for i in range(n)]
            if self._m:
                ub = np.broadcast_to(u, batch + (self._m,))
                args += [ub[..., i] for i in range(self._m)]
            values = k.fused(*args, *params)
            out = np.empty(batch + (len(values),))
            for i, v in enumerate(values):
                out[..., i] = v
        F = out[..., :n]
        J = out[..., n:n + n * n].reshape(batch + (n, n))
        P = out[..., n + n * n:].reshape(batch + (n, len(k.pnames)))
        if list(names) == list(k.pnames):
            return F, J, P
        return F, J, P[..., [k.pnames.index(name) for name in names]]

    def compiled_kernel(self):
        k = self._kernels
        if k is None or k.jacobian is None:
            return None     # a map from Python callables: numba cannot see inside them
        from .kernels import sympy_kernel
        return sympy_kernel((k.step, k.jacobian, len(k.pnames)),
                            [self._params[p] for p in k.pnames], self._n, self._m, k.compiled)

    def derivatives_along(self, name, u):
        k = self._kernels
        if k is None or (u is not None and np.ndim(u) != 1):
            return super().derivatives_along(name, u)
        n = self._n
        n_p = len(k.pnames)
        j = k.pnames.index(name)
        fused = k.fused
        params = [self._params[p] for p in k.pnames]
        inputs = (np.asarray(self.constant_input() if u is None else u, dtype=np.float64)
                  .tolist() if self._m else [])
        start = n + n * n
        column = slice(start + j, start + n * n_p, n_p)   # ∂F/∂θ is stored row-major (n, n_p)

        def evaluate(x, value):
            params[j] = value
            try:
                # Python floats: the cheapest call of the generated code
                out = np.array(fused(*x.tolist(), *inputs, *params), dtype=np.float64)
            except (ArithmeticError, TypeError, ValueError):
                # 1/0, overflow or a complex power: numpy scalars give inf/nan as on arrays
                out = np.array(fused(*x, *np.array(inputs), *np.array(params)),
                               dtype=np.float64)
            return out[:n], out[n:start].reshape(n, n), out[column]

        return evaluate

    def stepper_over_param(self, name, values):
        if self._kernels is None:
            return super().stepper_over_param(name, values)
        # the lambdified expressions broadcast: pass the parameter as an array over the sweep
        k = self._kernels
        values = np.asarray(values, dtype=np.float64)
        n, m = self._n, self._m

        def step(x, u):
            column = values.reshape(values.shape + (1,) * (x.ndim - 2))
            args = [x[..., i] for i in range(n)]
            if m:
                ub = np.broadcast_to(u, x.shape[:-1] + (m,))
                args += [ub[..., i] for i in range(m)]
            params = [column if p == name else self._params[p] for p in k.pnames]
            out = np.empty(x.shape)
            for i, v in enumerate(k.step(*args, *params)):
                out[..., i] = v
            return out

        return step

    # -- symbolic construction -------------------------------------------------------------------
    @classmethod
    def from_sympy(cls, exprs: Sequence, states: Sequence, params: Mapping | None = None,
                   inputs: Sequence | None = None, *, box=None, name: str | None = None
                   ) -> Map:
        r"""A map from sympy expressions, with state and parameter Jacobians derived symbolically.

        Parameters
        ----------
        exprs : sequence of sympy expressions (or strings)
            The components of F, one per state.
        states : sequence of sympy symbols (or names)
            The state variables, in order.
        params : mapping of symbol (or name) to float
            The parameters and their values.
        inputs : sequence of sympy symbols (or names), optional
            Input variables, if the map is driven.
        box : (array_like, array_like), optional
            As for :class:`Map`.

        Notes
        -----
        Piecewise maps may use ``Abs``, ``sign``, ``floor``, ``ceiling``, ``frac``,
        ``Heaviside``, ``Max``, ``Min`` and ``Piecewise``. Their Jacobians are defined almost
        everywhere: away from the kinks and jumps they are the ordinary derivatives. At a kink
        the value is the mean of the one-sided slopes (d|x|/dx = sign(x), which is 0 at 0;
        d max(x, 0)/dx = Heaviside(x), which is 1/2 at 0); at a jump of ``sign``, ``floor``,
        ``ceiling`` or ``Heaviside`` the jump contributes 0 (its Dirac mass is dropped). An
        orbit or a fixed point exactly on a kink therefore gets the averaged Jacobian; its
        one-sided multipliers are those of the neighbouring pieces. ``Heaviside(0)`` is 1/2.

        Raises
        ------
        InvalidInputError
            If an expression has complex values (``I``), or uses a function sympy cannot
            differentiate; the ``box`` is reversed.
        InvalidTypeError
            If ``params`` is not a mapping, or ``exprs`` cannot be read.

        Examples
        --------
        The tent map, with its Jacobian −2 sign(x):

        >>> import dynrnn as dr
        >>> tent = dr.Map.from_sympy(["1 - 2*Abs(x)"], ["x"], {}, box=(-1.0, 1.0))
        >>> tent.step([0.25]), tent.jacobian([0.25])
        (array([0.5]), array([[-2.]]))

        The Hénon map :math:`x' = 1 - a x^2 + y,\ y' = b x`:

        >>> import sympy as sp, dynrnn as dr
        >>> x, y, a, b = sp.symbols("x y a b")
        >>> henon = dr.Map.from_sympy([1 - a * x**2 + y, b * x], [x, y], {a: 1.4, b: 0.3})
        >>> henon.step([0.0, 0.0])
        array([1., 0.])
        """
        if name is not None and not isinstance(name, str):
            raise InvalidTypeError(f"name must be text or None, got {name!r:.60}",
                                   argument="name", value=name)
        built = compile_sympy_map(exprs, states, params, inputs)
        out = cls(built.step, len(built.states), built.params, built.jacobian,
                  built.param_jacobian, n_inputs=len(built.inputs), vectorized=True, box=box,
                  name=name or "sympy map")
        out._kernels = built.kernels
        out.exprs, out.states, out.inputs = built.exprs, built.states, built.inputs
        return out
