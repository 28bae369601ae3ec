r"""Kernels of :meth:`~dynrnn.Map.from_sympy` maps for the compiled loops of
:mod:`dynrnn.model._jit`, generated from their lambdified expressions.

sympy's ``lambdify`` writes F and ∂F/∂x as functions of scalars returning lists; called from a
compiled loop each call would build a list (a heap allocation per step, more than the arithmetic
of a small map). The functions here are the same code with the ``return [e₀, e₁, ...]`` rewritten
as ``out[0] = e₀; out[1] = e₁; ...`` and the arguments read from the loops' arrays:

.. code-block:: python

    def step(state__, input__, params__, set__, out__):
        x = state__[0]; y = state__[1]; a = params__[0][set__, 0]; ...
        <lambdify's common subexpressions>
        out__[0] = -a*x**2 + y + 1; ...

The expressions are sympy's printing, unchanged, so the compiled map computes what the numpy path
computes. A function whose source has another form returns None here (the caller then compiles
the lambdified functions as they are).
"""
from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable

__all__ = ["kernel_source", "compile_source"]

_STATE, _INPUT, _PARAMS, _SET, _OUT = "state__", "input__", "params__", "set__", "out__"


def kernel_source(function: Callable, name: str, n_states: int, n_inputs: int,
                  columns: int = 0) -> str | None:
    """Source of ``name(state__, input__, params__, set__, out__)`` computing ``function``
    (lambdified on the states, inputs and parameters, in that order) into ``out__``: a vector,
    or with ``columns`` > 0 a matrix of that many columns (row-major components)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return None
    definition = tree.body[0] if len(tree.body) == 1 else None
    if not isinstance(definition, ast.FunctionDef) or not definition.body:
        return None
    returned = definition.body[-1]
    if not (isinstance(returned, ast.Return)
            and isinstance(returned.value, (ast.List, ast.Tuple))):
        return None
    arguments = [a.arg for a in definition.args.args]
    if {_STATE, _INPUT, _PARAMS, _SET, _OUT} & set(arguments):
        return None
    lines = [f"def {name}({_STATE}, {_INPUT}, {_PARAMS}, {_SET}, {_OUT}):"]
    for i, argument in enumerate(arguments):
        source = (f"{_STATE}[{i}]" if i < n_states else
                  f"{_INPUT}[{i - n_states}]" if i < n_states + n_inputs else
                  f"{_PARAMS}[0][{_SET}, {i - n_states - n_inputs}]")
        lines.append(f"    {argument} = {source}")
    lines += ["    " + ast.unparse(statement) for statement in definition.body[:-1]]
    for i, element in enumerate(returned.value.elts):
        target = f"{_OUT}[{i}]" if columns == 0 else f"{_OUT}[{i // columns}, {i % columns}]"
        lines.append(f"    {target} = {ast.unparse(element)}")
    return "\n".join(lines) + "\n"


def compile_source(source: str, name: str, namespace: dict) -> Callable:
    """The Python function ``name`` defined by ``source`` in a copy of ``namespace`` (the
    lambdified function's globals: numpy's functions under sympy's printed names)."""
    scope = dict(namespace)
    exec(compile(source, f"<dynrnn sympy kernel {name}>", "exec"), scope)
    return scope[name]
