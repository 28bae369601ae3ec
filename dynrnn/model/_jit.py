r"""numba-compiled loops over the kernels of :mod:`dynrnn.model.kernels`.

The loops are written once, in :mod:`dynrnn.model._loops`, as plain Python functions calling two
global kernels ``_step_kernel(x, u, params, j, out)`` and
``_step_jacobian_kernel(x, u, params, j, out, J)`` (state row ``x``, input row ``u``, parameter
set ``j``). For the network family (:mod:`dynrnn.model.network_kernels`, with the GRU and LSTM
cells of :mod:`dynrnn.model.gated_kernels`) they are compiled with these globals bound to the
network kernels and cached on disk (``cache=True``: the compile latency is paid once per
installation); for a sympy map a copy of each loop is compiled with the globals bound to that
map's kernels (no disk cache: the kernels are generated at run time; paid once per map and
session).

If numba cannot be imported, :func:`drivers` returns None after one warning and the callers keep
their numpy path.
"""
from __future__ import annotations

import types
import warnings

import numpy as np

from . import _loops as _loop_templates
from . import gated_kernels, network_kernels, sympy_kernels

__all__ = ["drivers", "numba_available", "CompiledLoops"]

_NUMBA = None          # the numba module once imported; False when it cannot be
_WARNED = False
_NETWORK_LOOPS = None


def _import_numba():
    global _NUMBA, _WARNED
    if _NUMBA is None:
        try:
            import numba
            _NUMBA = numba
        except Exception as exc:   # ImportError, or a numba built against another numpy
            _NUMBA = False
            if not _WARNED:
                _WARNED = True
                warnings.warn(f"numba cannot be imported ({exc}); dynrnn falls back to its "
                              "numpy loops, which compute the same results 30-100x slower for "
                              "small maps. Install numba>=0.60 for the compiled path.",
                              RuntimeWarning, stacklevel=3)
    return _NUMBA or None


def numba_available() -> bool:
    """Whether the compiled loops can be used (imports numba on the first call)."""
    return _import_numba() is not None


class CompiledLoops:
    """The three compiled loops for one family of kernels (attributes run, iterate, lyapunov)."""

    def __init__(self, run, iterate, lyapunov):
        self.run, self.iterate, self.lyapunov = run, iterate, lyapunov


# reassociation lets LLVM vectorise the QR's dot products and contract multiply-adds; NaN/inf
# semantics are kept, since the loops detect divergence with isfinite. The kernels and loops
# keep IEEE order (see model/_loops.py). error_model="numpy": no Python ZeroDivisionError checks.
_FAST = {"reassoc", "contract"}


def _compile_into(numba, scope: dict, names, cache: bool, inline: bool = True,
                  fast: bool = True) -> None:
    """Replace each function ``scope[name]`` by its numba dispatcher, callees first; a function
    whose globals are not ``scope`` is compiled as a copy that sees ``scope`` (how a sympy map's
    copies of the loops see that map's kernels).

    With ``inline`` the functions are inlined into their callers (numba IR, so they take the
    caller's ``fastmath``): a call between compiled functions costs reference counting of every
    array and tuple of arrays passed, tens of nanoseconds, which for a map of a few states is
    more than the arithmetic."""
    for name in names:
        function = scope[name]
        function = getattr(function, "py_func", function)
        if function.__globals__ is not scope:
            function = types.FunctionType(function.__code__, scope, name)
        scope[name] = numba.njit(cache=cache, inline="always" if inline else "never",
                                 fastmath=_FAST if fast else False,
                                 error_model="numpy")(function)


def _loops(numba, scope: dict, cache: bool) -> CompiledLoops:
    templates = _loop_templates
    _compile_into(numba, scope, templates.QR_INLINED, cache)
    _compile_into(numba, scope, templates.QR, cache, inline=False)
    _compile_into(numba, scope, templates.STEP, cache, fast=False)
    _compile_into(numba, scope, templates.LOOPS, cache, inline=False, fast=False)
    return CompiledLoops(*(scope[name] for name in templates.LOOPS))


def _network_loops(numba):
    """The loops of the network family, compiled once and cached on disk.

    numba's disk cache is invalidated by a change of the file a function is defined in, not
    of the files of its callees; an installation replaces all files, so it sees fresh caches."""
    global _NETWORK_LOOPS
    if _NETWORK_LOOPS is None:
        for module in (gated_kernels, network_kernels):
            scope = vars(module)
            if not hasattr(scope[module.COMPILED[-1]], "py_func"):
                _compile_into(numba, scope, module.COMPILED, True, fast=False)
        network_kernels.gru_step = gated_kernels.gru_step
        network_kernels.lstm_step = gated_kernels.lstm_step
        scope = vars(_loop_templates)
        scope.update(_step_kernel=network_kernels.network_step,
                     _step_jacobian_kernel=network_kernels.network_step_jacobian)
        _NETWORK_LOOPS = _loops(numba, scope, True)
    return _NETWORK_LOOPS


def _sympy_source(name: str, call: str, n_out: int, columns: int) -> str:
    """Source of a kernel calling a lambdified function and copying the list it returns into
    ``out`` (the fallback of :func:`_sympy_kernel`)."""
    lines = [f"def {name}(x, u, params, j, out):", "    p = params[0]",
             f"    r = {call}"]
    for i in range(n_out):
        target = f"out[{i}]" if columns == 0 else f"out[{i // columns}, {i % columns}]"
        lines.append(f"    {target} = r[{i}]")
    return "\n".join(lines) + "\n"


def _sympy_kernel(numba, function, name: str, kernel, columns: int):
    """A compiled kernel of a sympy map: the lambdified function's own code writing into the
    loop's array (:mod:`dynrnn.model.sympy_kernels`), or else a wrapper of the function."""
    n, m = kernel.n_states, kernel.n_inputs
    options = {"inline": "always", "error_model": "numpy"}
    source = sympy_kernels.kernel_source(function, name, n, m, columns)
    if source is not None:
        return numba.njit(**options)(sympy_kernels.compile_source(source, name,
                                                                  function.__globals__))
    args = ([f"x[{i}]" for i in range(n)] + [f"u[{i}]" for i in range(m)]
            + [f"p[j, {i}]" for i in range(kernel.source[2])])
    namespace = {"function": numba.njit(function)}
    exec(_sympy_source(name, f"function({', '.join(args)})", n * max(columns, 1), columns),
         namespace)
    return numba.njit(**options)(namespace[name])


def _sympy_loops(numba, kernel):
    f_num, j_num, _ = kernel.source
    step = _sympy_kernel(numba, f_num, "step", kernel, 0)
    jacobian = _sympy_kernel(numba, j_num, "jacobian", kernel, kernel.n_states)

    def step_jacobian(x, u, params, j, out, J, scratch):
        step(x, u, params, j, out)
        jacobian(x, u, params, j, J)

    scope = dict(vars(_loop_templates))
    scope.update(_step_kernel=step, _step_jacobian_kernel=numba.njit(inline="always")(
        step_jacobian))
    return _loops(numba, scope, False)


def drivers(kernel) -> CompiledLoops | None:
    """The compiled loops for ``kernel`` (a :class:`~dynrnn.model.kernels.MapKernel`), or None
    when numba is unavailable (after a one-time warning)."""
    numba = _import_numba()
    if numba is None:
        return None
    if kernel.family == "network":
        return _network_loops(numba)
    if kernel.compiled.get("failed"):
        return None
    loops = kernel.compiled.get("loops")
    if loops is None:
        loops = kernel.compiled["loops"] = _sympy_loops(numba, kernel)
    return loops


def input_rows(u, n_inputs: int) -> np.ndarray:
    """A constant input (or None) as the (1, 1, n_inputs) array the loops index."""
    if u is None:
        return np.zeros((1, 1, n_inputs))
    return np.ascontiguousarray(np.asarray(u, dtype=np.float64).reshape(1, 1, n_inputs))


def compile_failed(exc: Exception) -> bool:
    """Whether ``exc`` is numba refusing to compile a kernel (then the numpy path is used)."""
    numba = _NUMBA or None
    return numba is not None and isinstance(exc, (numba.core.errors.NumbaError,))


BACKENDS = ("auto", "numba", "numpy")
_COMPILE_WARNED: set = set()


def check_backend(backend) -> str:
    """Validate a ``backend`` argument ("auto", "numba" or "numpy")."""
    from ..errors import InvalidInputError
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise InvalidInputError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got "
                                f"{backend!r}", argument="backend", value=backend)
    return backend


#: with backend="auto", the sizes up to which the compiled loops beat numpy's BLAS/LAPACK calls
#: (measured by benchmarks/bench_small_maps.py: at n = 50 the QR loop ties with LAPACK)
AUTO_MAX_STATES = {"lyapunov": 32, "run": 64}


def compiled_for(systems, backend: str, purpose: str = "run"):
    """``(kernel, loops)`` for one map or a list of maps of one structure (an ensemble over
    parameter values), or None for the numpy path: ``backend="numpy"``, a map without a kernel
    (third-party maps), or numba unavailable (one warning)."""
    from ..errors import InvalidInputError
    from .kernels import stack_kernels
    backend = check_backend(backend)
    if backend == "numpy":
        return None
    if not isinstance(systems, (list, tuple)):
        systems = [systems]
    if backend == "auto" and systems[0].n_states > AUTO_MAX_STATES[purpose]:
        return None
    kernels = [s.compiled_kernel() for s in systems]
    if any(k is None for k in kernels) or len({k.key for k in kernels}) != 1:
        if backend == "numba":
            raise InvalidInputError(
                f"backend='numba' needs a map with a compiled kernel; {type(systems[0]).__name__}"
                " has none (its compiled_kernel() returns None): use backend='auto' or 'numpy'",
                argument="backend", value=backend)
        return None
    kernel = kernels[0] if len(kernels) == 1 else stack_kernels(kernels)
    loops = drivers(kernel)
    if loops is None:
        return None
    return kernel, loops


def call_compiled(kernel, function, *args):
    """Call a compiled loop; if numba refuses to compile a kernel (a sympy function it does not
    support), warn once per kind of failure and return None so the caller uses numpy.

    numba reports some unsupported code with plain exceptions (ValueError, NotImplementedError)
    rather than its own, so for a sympy map any exception of a loop's first call is taken as a
    failure to compile; after that only numba's own errors are."""
    ran = kernel.compiled.setdefault("ran", set())
    # numba types a read-only array (a frozen u, a broadcast x0) as another signature, which
    # would compile every loop once more: pass writeable copies
    args = tuple(a.copy() if isinstance(a, np.ndarray) and not a.flags.writeable else a
                 for a in args)
    try:
        out = function(*args)
    except Exception as exc:
        first = kernel.family != "network" and function.__name__ not in ran
        if not (compile_failed(exc) or first):
            raise
        kernel.compiled["failed"] = True   # do not try again for this map
        key = type(exc).__name__
        if key not in _COMPILE_WARNED:
            _COMPILE_WARNED.add(key)
            warnings.warn(f"numba could not compile this map's kernel ({key}: "
                          f"{str(exc)[:200]}); using the numpy path", RuntimeWarning,
                          stacklevel=3)
        return None
    ran.add(function.__name__)
    return out
