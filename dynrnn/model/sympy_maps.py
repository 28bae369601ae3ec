"""Maps from sympy expressions: reading the expressions, deriving their Jacobians symbolically,
and compiling all three into the numerical functions and fast kernels of a :class:`Map`.

:meth:`Map.from_sympy <dynrnn.Map.from_sympy>` is the public entry; this module does its work.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InvalidInputError, InvalidTypeError, ShapeError, UndeclaredSymbolError
from .base import as_finite_array

__all__ = ["SympyKernels", "CompiledSympyMap", "compile_sympy_map"]


@dataclass(frozen=True)
class SympyKernels:
    """Lambdified functions of a sympy-defined map: ``step`` gives the components of F and
    ``fused`` those of F, ∂F/∂x (row-major) and ∂F/∂θ (row-major, parameters in ``pnames``
    order) in one call. Both broadcast over array arguments."""

    step: Callable
    fused: Callable
    pnames: tuple[str, ...]
    jacobian: Callable | None = None
    # the numba-compiled loops, built on first use and shared by every with_params copy
    compiled: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class CompiledSympyMap:
    """What :meth:`Map.from_sympy` builds a map from: the user functions in the signature
    :class:`Map` calls (``(x, p)``, or ``(x, u, p)`` for a driven map), the parameter values,
    the fast kernels and the symbols read."""

    step: Callable
    jacobian: Callable
    param_jacobian: Callable | None
    params: dict[str, float]
    kernels: SympyKernels
    exprs: tuple
    states: tuple
    inputs: tuple


def as_params_mapping(params, argument: str = "params") -> dict:
    """``params`` as a dict, or a dynrnn error saying that it must map names to values."""
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise InvalidTypeError(f"{argument} must be a mapping of parameter names (or symbols) to "
                               f"values, e.g. {{'a': 0.5}}, got {type(params).__name__} "
                               f"{params!r:.80}", argument=argument, value=params)
    return dict(params)


def _exact_float_printer():
    """The printer lambdify uses for numpy, except that floats are printed by ``repr``: sympy
    prints 15 digits, so a constant such as 1/3 in an expression would be off by ~1e-16."""
    from sympy.printing.numpy import NumPyPrinter

    class ExactFloatNumPyPrinter(NumPyPrinter):
        def _print_Float(self, expr):
            return repr(float(expr))

    return ExactFloatNumPyPrinter({"fully_qualified_modules": False, "inline": True,
                                   "allow_unknown_functions": True, "user_functions": {}})


def _almost_everywhere(expr, sympy):
    """A derivative with the generalised functions sympy produces at kinks and jumps dropped.

    d|x|/dx = sign(x) is kept (sign(0) = 0, the mean of the one-sided slopes ±1);
    the derivative of a jump (DiracDelta from sign or Heaviside, the unevaluated derivative of
    floor or ceiling) is 0 everywhere except on the jump itself, a set of measure zero, so
    it is 0 here too."""
    stepwise = (sympy.floor, sympy.ceiling, sympy.sign, sympy.Heaviside)
    expr = expr.replace(sympy.DiracDelta, lambda *args: sympy.S.Zero)
    expr = expr.replace(lambda e: isinstance(e, sympy.Derivative) and e.expr.func in stepwise,
                        lambda e: sympy.S.Zero)
    return expr.replace(lambda e: isinstance(e, sympy.Subs), lambda e: e.doit())


def compile_sympy_map(exprs: Sequence, states: Sequence, params: Mapping | None,
                      inputs: Sequence | None) -> CompiledSympyMap:
    """Read, check, differentiate and lambdify a sympy map (see :meth:`Map.from_sympy`)."""
    import sympy  # imported here: sympy is slow to import and only custom maps need it

    state_symbols, input_symbols, values = _read_symbols(sympy, states, params, inputs)
    parsed = _read_expressions(sympy, exprs, state_symbols, input_symbols, values)
    pnames = [str(p) for p in values]
    # Real symbols: then d|x|/dx is sign(x), not an expression in re(x) and im(x).
    real = {s: sympy.Symbol(s.name, real=True)
            for s in [*state_symbols, *input_symbols, *values]}
    args = [real[s] for s in [*state_symbols, *input_symbols, *values]]
    F, J, P = _derivatives(sympy, parsed, [real[s] for s in state_symbols],
                           [real[p] for p in values], real)
    printer = _exact_float_printer()

    def lambdified(expressions):
        return sympy.lambdify(args, list(expressions), modules="numpy", cse=True,
                              printer=printer)

    f_num, j_num = lambdified(F), lambdified(J)
    p_num = lambdified(P) if values else None
    step, jacobian, param_jacobian = _numeric_functions(
        f_num, j_num, p_num, pnames, len(state_symbols), len(input_symbols))
    kernels = SympyKernels(step=f_num, fused=lambdified(list(F) + list(J) + list(P)),
                           pnames=tuple(pnames), jacobian=j_num)
    return CompiledSympyMap(step, jacobian, param_jacobian if values else None,
                            {str(k): v for k, v in values.items()}, kernels, tuple(parsed),
                            tuple(state_symbols), tuple(input_symbols))


def _read_symbols(sympy, states, params, inputs) -> tuple[list, list, dict]:
    """The state and input symbols and the parameter values by symbol, each checked."""

    def symbol(s, argument):
        if isinstance(s, sympy.Symbol):
            return s
        if isinstance(s, str) and s.isidentifier():
            return sympy.Symbol(s)
        raise InvalidTypeError(f"{argument} must hold sympy symbols or names, got {s!r}",
                               argument=argument, value=s)

    state_symbols = [symbol(s, "states") for s in _sequence(sympy, states, "states")]
    input_symbols = [symbol(s, "inputs") for s in (_sequence(sympy, inputs, "inputs")
                                                    if inputs is not None else [])]
    values = {symbol(k, "params"): float(as_finite_array(v, f"params[{k!s}]"))
              for k, v in as_params_mapping(params).items()}
    declared = set(state_symbols) | set(input_symbols) | set(values)
    if len(declared) != len(state_symbols) + len(input_symbols) + len(values):
        every = [str(s) for s in state_symbols + input_symbols + list(values)]
        twice = sorted({s for s in every if every.count(s) > 1})
        raise InvalidInputError(f"symbol(s) {', '.join(twice)} declared more than once among "
                                "states, inputs and params", argument="states", value=twice)
    return state_symbols, input_symbols, values


def _sequence(sympy, value, argument: str) -> list:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple, sympy.MatrixBase)):
        raise InvalidTypeError(f"{argument} must be a list of sympy expressions, symbols "
                               f"or names, got {type(value).__name__} {value!r:.60}",
                               argument=argument, value=value)
    return list(value)


def _read_expressions(sympy, exprs, states: list, inputs: list, params: dict) -> list:
    """The components of F as real sympy expressions in the declared symbols only."""
    declared = set(states) | set(inputs) | set(params)
    parsed = []
    for i, e in enumerate(_sequence(sympy, exprs, "exprs")):
        try:
            parsed.append(sympy.sympify(e, locals={str(s): s for s in declared}))
        except (sympy.SympifyError, TypeError, SyntaxError) as exc:
            raise InvalidTypeError(f"could not read exprs[{i}] = {e!r}: "
                                   f"{str(exc).splitlines()[-1]}", argument="exprs",
                                   value=e) from exc
    if len(parsed) != len(states):
        raise ShapeError(f"exprs has {len(parsed)} expressions for {len(states)} states; give "
                         "one per state", argument="exprs", expected=len(states),
                         actual=len(parsed))
    undeclared = set().union(*(e.free_symbols for e in parsed)) - declared
    if undeclared:
        names = tuple(sorted(str(s) for s in undeclared))
        raise UndeclaredSymbolError(
            f"exprs use undeclared symbol(s) {', '.join(names)}; declare each as a state, "
            "an input or a parameter", argument="exprs", symbols=names)
    for i, e in enumerate(parsed):
        if e.has(sympy.I) or any(not number.is_extended_real
                                 for number in e.atoms(sympy.Number)):
            raise InvalidInputError(f"exprs[{i}] = {e} has complex values; a recurrent map "
                                    "must be real", argument="exprs", value=e)
    return parsed


def _derivatives(sympy, exprs: list, states: list, params: list, real: dict):
    """F, ∂F/∂x and ∂F/∂θ as sympy matrices in the real symbols, defined almost everywhere."""
    # frac(x) = x − floor(x), so that its slope 1 survives differentiation
    F = sympy.Matrix([e.xreplace(real).replace(sympy.frac, lambda z: z - sympy.floor(z))
                      for e in exprs])
    J = F.jacobian(states).applyfunc(lambda e: _almost_everywhere(e, sympy))
    P = (F.jacobian(params).applyfunc(lambda e: _almost_everywhere(e, sympy))
         if params else sympy.zeros(len(states), 0))
    for what, matrix in (("the Jacobian", J), ("the parameter Jacobian", P)):
        unknown = set().union(*(e.atoms(sympy.Derivative) for e in matrix))
        if unknown:
            raise InvalidInputError(f"exprs: cannot derive {what} symbolically: "
                                    f"{sorted(map(str, unknown))[0]} has no closed form; "
                                    "write the map with functions sympy can differentiate, "
                                    "or use Map(step, jacobian=...)", argument="exprs",
                                    value=sorted(map(str, unknown)))
    return F, J, P


def _numeric_functions(f_num: Callable, j_num: Callable, p_num: Callable | None,
                       pnames: list[str], n: int, m: int
                       ) -> tuple[Callable, Callable, Callable]:
    """step, jacobian and param_jacobian in the signature :class:`Map` calls: ``(x, u, p)``
    for a driven map (m > 0), ``(x, p)`` for an autonomous one."""

    def evaluate(fun, x, u, p, shape):
        if x.ndim == 1 and x.dtype == np.float64 and (u is None or np.ndim(u) == 1):
            # one state: the generated code on Python floats, no broadcasting or stacking
            args = x.tolist() + (np.asarray(u, dtype=np.float64).tolist() if m else [])
            try:
                return np.array(fun(*args, *(p[k] for k in pnames)),
                                dtype=np.float64).reshape(shape)
            except (ArithmeticError, TypeError, ValueError):
                pass        # 1/0, overflow, complex powers: the array code gives inf/nan
        cols = [x[..., i] for i in range(n)]
        if m:
            ub = np.broadcast_to(u, x.shape[:-1] + (m,))
            cols += [ub[..., i] for i in range(m)]
        values = fun(*cols, *(p[k] for k in pnames))
        arrs = np.broadcast_arrays(*(np.asarray(v) for v in values), x[..., 0])[:-1]
        return np.stack(arrs, axis=-1).reshape(x.shape[:-1] + shape)

    index = {k: i for i, k in enumerate(pnames)}

    def step(x, u, p):
        return evaluate(f_num, x, u, p, (n,))

    def jacobian(x, u, p):
        return evaluate(j_num, x, u, p, (n, n))

    def param_jacobian(x, u, p, names):
        full = evaluate(p_num, x, u, p, (n, len(pnames)))
        return full[..., [index[k] for k in names]]

    if m:
        return step, jacobian, param_jacobian
    return _autonomous(step), _autonomous(jacobian), _autonomous(param_jacobian)


def _autonomous(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function(x, u, p, *extra)`` as ``(x, p, *extra)``, the signature of an autonomous map."""

    def without_input(x, p, *extra):
        return function(x, None, p, *extra)

    return without_input
