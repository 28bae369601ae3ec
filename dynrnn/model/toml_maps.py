"""Sympy-defined maps in TOML files: the reader behind :func:`dynrnn.load_model` for ``.toml``
and the writer behind :func:`dynrnn.save_model` for a :meth:`Map.from_sympy <dynrnn.Map.from_sympy>`
map::

    [map]
    states = ["x", "y"]
    inputs = []            # optional
    [map.params]
    a = 1.4
    b = 0.3
    [map.equations]
    x = "1 - a*x**2 + y"
    y = "b*x"

Reading never evaluates Python: an expression may hold only numbers, arithmetic, the declared
symbols and the functions in ``SYMPY_FUNCTIONS``.
"""
from __future__ import annotations

import io
import json
import math
import tokenize
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..errors import FileFormatError, InvalidInputError, InvalidTypeError, MissingDependencyError
from .custom import Map

__all__ = ["map_spec", "map_from_spec", "load_map_toml", "map_spec_to_toml", "safe_sympify",
           "SYMPY_FUNCTIONS", "TOML_FORMAT_VERSION"]

#: the version of the TOML layout (the same number as dynrnn's other files, format 1)
TOML_FORMAT_VERSION = 1


def _expression_text(expr) -> str:
    """``str(expr)`` with floats printed by ``repr`` (shortest exact round trip), where sympy
    prints 15 digits and would change the map by ~1e-16."""
    from sympy.printing.str import StrPrinter

    class _ExactFloatPrinter(StrPrinter):
        def _print_Float(self, expr):
            return repr(float(expr))

    return _ExactFloatPrinter().doprint(expr)


def map_spec(net: Any, where: str = "net") -> dict:
    """The spec ``{"name", "states", "inputs", "params", "equations", "box"}`` of a sympy map,
    checked to read back (FileFormatError otherwise: save refuses what load cannot read)."""
    import sympy  # sympy imports slowly: only writing a file needs it
    states, inputs = [str(s) for s in net.states], [str(s) for s in net.inputs]
    equations = [_expression_text(e) for e in net.exprs]
    declared = {k: sympy.Symbol(k) for k in states + inputs + list(net.params)}
    for state, text in zip(states, equations):
        safe_sympify(text, declared, f"equations.{state}", where)
    box = net.invariant_box()
    return {"name": net.name, "states": states, "inputs": inputs, "params": dict(net.params),
            "equations": equations,
            "box": None if box is None else [np.asarray(b).tolist() for b in box]}


SYMPY_FUNCTIONS = ("sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh",
                    "tanh", "asinh", "acosh", "atanh", "exp", "log", "sqrt", "Abs", "sign",
                    "Max", "Min", "Heaviside", "floor", "ceiling", "pi", "E")
_ALLOWED_OPS = {"+", "-", "*", "/", "**", "(", ")", ","}


def safe_sympify(text, declared: dict, where: str, source: str):
    """Parse an expression read from a file, admitting only arithmetic, the declared symbols
    and the functions in ``SYMPY_FUNCTIONS`` (sympify evaluates Python; a file must not)."""
    import sympy  # sympy imports slowly: only reading a file needs it
    if not isinstance(text, str):
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            return sympy.Float(text)
        raise FileFormatError(f"{source}: {where} must be a string expression, got {text!r}",
                              argument="path", value=source)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError) as exc:
        raise FileFormatError(f"{source}: {where} = {text!r} is not an expression ({exc})",
                              argument="path", value=source) from exc
    undeclared = []
    for tok in tokens:
        if tok.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.NUMBER):
            continue
        if tok.type == tokenize.NAME:
            if tok.string not in declared and tok.string not in SYMPY_FUNCTIONS:
                undeclared.append(tok.string)
            continue
        if tok.type == tokenize.OP and tok.string in _ALLOWED_OPS:
            continue
        raise FileFormatError(f"{source}: {where} = {text!r} contains {tok.string!r}; only "
                              "numbers, + - * / ** ( ), declared symbols and the functions "
                              f"{', '.join(SYMPY_FUNCTIONS)} are allowed", argument="path",
                              value=source)
    if undeclared:
        raise FileFormatError(
            f"{source}: {where} = {text!r} uses undeclared symbol(s) "
            f"{', '.join(sorted(set(undeclared)))}; declare each under states, inputs or params",
            argument="path", value=source)
    namespace = {name: getattr(sympy, name) for name in SYMPY_FUNCTIONS}
    namespace.update(declared)
    try:
        return sympy.sympify(text, locals=namespace)
    except (sympy.SympifyError, TypeError, SyntaxError, ValueError) as exc:
        raise FileFormatError(f"{source}: {where} = {text!r} could not be read: {exc}",
                              argument="path", value=source) from exc


def map_from_spec(spec: Mapping, source: str):
    """Build Map.from_sympy from {"states", "inputs", "params", "equations", "box", "name"}."""
    import sympy


    def names(key):
        value = spec.get(key, [])
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and
                                                           v.isidentifier() for v in value):
            raise FileFormatError(f"{source}: {key} must be a list of names (identifiers), got "
                                  f"{value!r}", argument="path", value=source)
        return list(value)

    states, inputs = names("states"), names("inputs")
    if not states:
        raise FileFormatError(f"{source}: states is missing or empty", argument="path",
                              value=source)
    params = spec.get("params", {})
    if not isinstance(params, Mapping):
        raise FileFormatError(f"{source}: params must be a table of name = value",
                              argument="path", value=source)
    for k, v in params.items():
        if not (isinstance(k, str) and k.isidentifier()):
            raise FileFormatError(f"{source}: parameter name {k!r} is not an identifier",
                                  argument="path", value=source)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise FileFormatError(f"{source}: parameter {k} = {v!r} must be a finite number",
                                  argument="path", value=source)
    all_names = states + inputs + list(params)
    dupes = sorted({n for n in all_names if all_names.count(n) > 1})
    if dupes:
        raise FileFormatError(f"{source}: {', '.join(dupes)} declared more than once among "
                              "states, inputs and params", argument="path", value=source)
    declared = {n: sympy.Symbol(n) for n in all_names}
    equations = spec.get("equations")
    if isinstance(equations, Mapping):
        missing = [s for s in states if s not in equations]
        extra = [k for k in equations if k not in states]
        if missing or extra:
            raise FileFormatError(
                f"{source}: equations must give one expression per state; "
                + (f"missing for {missing}" if missing else "")
                + ("; " if missing and extra else "")
                + (f"{extra} are not states" if extra else ""), argument="path", value=source)
        texts = [equations[s] for s in states]
    elif isinstance(equations, (list, tuple)) and len(equations) == len(states):
        texts = list(equations)
    else:
        raise FileFormatError(f"{source}: equations must be a table state = \"expression\" "
                              f"with one entry per state {states}", argument="path",
                              value=source)
    exprs = [safe_sympify(t, declared, f"equations.{s}", source) for s, t in zip(states, texts)]
    box = spec.get("box")
    if box is not None:
        if isinstance(box, Mapping):
            box = (box.get("lower"), box.get("upper"))
        if not (isinstance(box, (list, tuple)) and len(box) == 2
                and all(b is not None for b in box)):
            raise FileFormatError(f"{source}: box must have lower and upper", argument="path",
                                  value=source)
    try:
        return Map.from_sympy(exprs, [declared[s] for s in states],
                              {declared[k]: float(v) for k, v in params.items()},
                              [declared[s] for s in inputs] or None, box=box,
                              name=spec.get("name") or None)
    except (InvalidInputError, InvalidTypeError) as exc:
        raise FileFormatError(f"{source}: {exc}", argument="path", value=source) from exc


def load_map_toml(path: Path):
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib
        except ImportError as exc:
            raise MissingDependencyError("reading TOML needs Python >= 3.11 or the tomli "
                                         "package") from exc
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FileFormatError(f"{path} is not valid TOML: {exc}", argument="path",
                              value=str(path)) from exc
    spec = doc.get("map")
    if not isinstance(spec, Mapping):
        raise FileFormatError(f"{path}: no [map] table (expected [map] with states, "
                              "[map.params] and [map.equations])", argument="path",
                              value=str(path))
    unknown = set(spec) - {"states", "inputs", "params", "equations", "box", "name"}
    if unknown:
        raise FileFormatError(f"{path}: unknown key(s) {sorted(unknown)} in [map]; valid: "
                              "states, inputs, params, equations, box, name", argument="path",
                              value=str(path))
    return map_from_spec({"name": path.stem, **spec}, str(path))


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def map_spec_to_toml(spec: Mapping) -> str:
    lines = [f"# dynrnn {__version__} symbolic map (file format {TOML_FORMAT_VERSION})", "[map]"]
    if spec.get("name"):
        lines.append(f"name = {_toml_string(spec['name'])}")
    lines.append("states = [" + ", ".join(_toml_string(s) for s in spec["states"]) + "]")
    if spec["inputs"]:
        lines.append("inputs = [" + ", ".join(_toml_string(s) for s in spec["inputs"]) + "]")
    if spec.get("box") is not None:
        lo, hi = spec["box"]
        lines.append(f"box = {{ lower = {[float(v) for v in lo]!r}, "
                     f"upper = {[float(v) for v in hi]!r} }}")
    lines.append("")
    lines.append("[map.params]")
    for k, v in spec["params"].items():
        lines.append(f"{_toml_string(k)} = {float(v)!r}")
    lines.append("")
    lines.append("[map.equations]")
    for s, e in zip(spec["states"], spec["equations"]):
        lines.append(f"{_toml_string(s)} = {_toml_string(e)}")
    return "\n".join(lines) + "\n"
