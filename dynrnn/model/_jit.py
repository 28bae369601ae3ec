r"""numba-compiled loops over the kernels of :mod:`dynrnn.model.kernels`.

The loops are written once, as plain Python functions calling two global kernels
``_step_kernel(x, u, params, j, out)`` and ``_jacobian_kernel(x, u, params, j, out)`` (state
row ``x``, input row ``u``, parameter set ``j``). For the network family they are compiled with
these globals bound to the network kernels and cached on disk (``cache=True``: the compile
latency, a few seconds, is paid once per installation); for a sympy map a copy of each loop is
compiled with the globals bound to that map's kernels (no disk cache: the kernels are generated
at run time; paid once per map and session).

If numba cannot be imported, :func:`drivers` returns None after one warning and the callers keep
their numpy path.
"""
from __future__ import annotations

import math
import types
import warnings

import numpy as np

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


# -- the network kernels (compiled with numba.njit in _network_loops) --------------------------
def _activate(code, v):
    if code == 0:
        return math.tanh(v)
    if code == 1:
        if v >= 0.0:
            return 1.0 / (1.0 + math.exp(-v))
        e = math.exp(v)
        return e / (1.0 + e)
    if code == 2:
        return v if v > 0.0 else 0.0
    return v


def _activate_derivative(code, v):
    if code == 0:
        t = math.tanh(v)
        return 1.0 - t * t
    if code == 1:
        s = _activate(1, v)
        return s * (1.0 - s)
    if code == 2:
        return 1.0 if v > 0.0 else 0.0
    return 1.0


def _network_step(x, u, params, j, out):
    codes, A, B, c, d = params
    kind, act = codes[0], codes[1]
    n = x.shape[0]
    m = u.shape[0]
    for i in range(n):
        s = c[j, i]
        for col in range(m):
            s += B[j, i, col] * u[col]
        out[i] = s
    # column by column, so that each unit's activation is computed once
    for col in range(n):
        if kind == 0:
            g = _activate(act, x[col])
        elif kind == 1:
            g = x[col]
        else:
            g = x[col] if x[col] > 0.0 else 0.0
        if g != 0.0:
            for i in range(n):
                out[i] += A[j, i, col] * g
    if kind == 1:
        for i in range(n):
            out[i] = _activate(act, out[i])
    elif kind == 2:
        for i in range(n):
            out[i] += d[j, i] * x[i]


def _network_jacobian(x, u, params, j, out):
    codes, A, B, c, d = params
    kind, act = codes[0], codes[1]
    n = x.shape[0]
    m = u.shape[0]
    if kind == 0:
        for col in range(n):
            g = _activate_derivative(act, x[col])
            for i in range(n):
                out[i, col] = A[j, i, col] * g
    elif kind == 1:
        for i in range(n):
            s = c[j, i]
            for col in range(n):
                s += A[j, i, col] * x[col]
            for col in range(m):
                s += B[j, i, col] * u[col]
            g = _activate_derivative(act, s)
            for col in range(n):
                out[i, col] = g * A[j, i, col]
    else:
        for i in range(n):
            for col in range(n):
                out[i, col] = A[j, i, col] if x[col] > 0.0 else 0.0
            out[i, i] += d[j, i]


# the loops below call these two names; the network loops see them as they are (compiled in
# _network_loops), a sympy map's copies of the loops see that map's kernels instead
_step_kernel = _network_step
_jacobian_kernel = _network_jacobian


# -- the loops -----------------------------------------------------------------------------------
def _orthonormalise(V, Q, r, spare):
    """Q R = Vᵀ by Gram–Schmidt on the rows of V (k, n), the k vectors: Q's rows orthonormal,
    R's diagonal (returned in r) positive, as numpy's QR with the columns' signs flipped so that
    diag(R) > 0. A row is re-orthogonalised when a pass cancels more than half of its norm
    (Kahan–Parlett, "twice is enough"; Giraud et al. 2005). Rows keep the loops contiguous."""
    k, n = V.shape
    for a in range(k):
        before = 0.0
        for i in range(n):
            spare[i] = Q[a, i]          # the previous frame vector, kept if J annihilates it
            Q[a, i] = V[a, i]
            before += V[a, i] * V[a, i]
        s = before
        for _sweep in range(2):
            if a == 0:
                break
            for b in range(a):
                dot = 0.0
                for i in range(n):
                    dot += Q[b, i] * Q[a, i]
                for i in range(n):
                    Q[a, i] -= dot * Q[b, i]
            s = 0.0
            for i in range(n):
                s += Q[a, i] * Q[a, i]
            if s > 0.25 * before:
                break
            before = s
        norm = math.sqrt(s)
        r[a] = norm
        if norm > 0.0:
            for i in range(n):
                Q[a, i] /= norm
        else:
            # J annihilated this direction (a singular Jacobian: saturated or inactive units).
            # Keep the frame orthonormal with the previous vector (as the numpy path does for
            # one exponent) or else the first unit vector independent of the rows before; the
            # zero stays in r (log 0 = -inf).
            for e in range(-1, n):
                for i in range(n):
                    Q[a, i] = spare[i] if e < 0 else (1.0 if i == e else 0.0)
                for _ in range(2):
                    for b in range(a):
                        dot = 0.0
                        for i in range(n):
                            dot += Q[b, i] * Q[a, i]
                        for i in range(n):
                            Q[a, i] -= dot * Q[b, i]
                s = 0.0
                for i in range(n):
                    s += Q[a, i] * Q[a, i]
                if s > 0.25:
                    s = math.sqrt(s)
                    for i in range(n):
                        Q[a, i] /= s
                    break


def _run_loop(x0, u, params, pidx, n_steps, out):
    """out[0] = x0, out[t+1] = F(out[t]); returns the first step whose state is not finite
    (then out[:step] is the finite part) or -1."""
    M, n = x0.shape
    tu, mu = u.shape[0], u.shape[1]
    for i in range(M):
        for a in range(n):
            out[0, i, a] = x0[i, a]
    for t in range(n_steps):
        bad = False
        for i in range(M):
            _step_kernel(out[t, i], u[t if tu > 1 else 0, i if mu > 1 else 0], params,
                         pidx[i], out[t + 1, i])
            for a in range(n):
                if not math.isfinite(out[t + 1, i, a]):
                    bad = True
        if bad:
            return t + 1
    return -1


def _iterate_loop(x0, u, params, pidx, n_steps):
    M, n = x0.shape
    mu = u.shape[1]
    x = x0.copy()
    buf = np.empty(n)
    for i in range(M):
        for _ in range(n_steps):
            _step_kernel(x[i], u[0, i if mu > 1 else 0], params, pidx[i], buf)
            for a in range(n):
                x[i, a] = buf[a]
    return x


def _lyapunov_loop(x, u, params, pidx, Q, n_transient, n_steps, record_every, history):
    """The QR loop of lyapunov_spectrum, in place on x (M, n) and on the frames Q (M, k, n),
    one vector per row; fills history (n_records, M, k) and returns (sums, done, diverged)."""
    M, n = x.shape
    k = Q.shape[1]
    mu = u.shape[1]
    sums = np.zeros((M, k))
    logs = np.empty((M, k))
    J = np.empty((n, n))
    V = np.empty((k, n))
    F = np.empty(n)
    r = np.empty(k)
    spare = np.empty(n)
    done = 0
    n_rec = 0
    diverged = False
    for t in range(n_transient + n_steps):
        for i in range(M):
            ui = u[0, i if mu > 1 else 0]
            _jacobian_kernel(x[i], ui, params, pidx[i], J)
            _step_kernel(x[i], ui, params, pidx[i], F)
            for a in range(n):
                x[i, a] = F[a]
                if not math.isfinite(F[a]):
                    diverged = True
            for b in range(k):          # V = (J Q)ᵀ: row b is J times frame vector b
                for a in range(n):
                    s = 0.0
                    for col in range(n):
                        s += J[a, col] * Q[i, b, col]
                    V[b, a] = s
            _orthonormalise(V, Q[i], r, spare)
            for b in range(k):
                if not math.isfinite(r[b]):
                    diverged = True
                logs[i, b] = math.log(r[b]) if r[b] > 0.0 else -math.inf
        if diverged:
            break
        if t >= n_transient:
            done += 1
            for i in range(M):
                for b in range(k):
                    sums[i, b] += logs[i, b]
            if done % record_every == 0 or done == n_steps:
                for i in range(M):
                    for b in range(k):
                        history[n_rec, i, b] = sums[i, b] / done
                n_rec += 1
    return sums, done, diverged


_LOOPS = ("_run_loop", "_iterate_loop", "_lyapunov_loop")


class CompiledLoops:
    """The three compiled loops for one family of kernels (attributes run, iterate, lyapunov)."""

    def __init__(self, run, iterate, lyapunov):
        self.run, self.iterate, self.lyapunov = run, iterate, lyapunov


def _network_loops(numba):
    global _NETWORK_LOOPS
    if _NETWORK_LOOPS is None:
        jit = numba.njit(cache=True)
        # reassociation lets LLVM vectorise the dot products; NaN/inf semantics are kept, since
        # the loops detect divergence with isfinite
        fast = numba.njit(cache=True, fastmath={"reassoc", "contract"})
        module = globals()
        # compile the helpers into the module's namespace, so the cached loops see them as
        # ordinary global functions
        for name in ("_activate", "_activate_derivative", "_network_step",
                     "_network_jacobian", "_orthonormalise"):
            if not hasattr(module[name], "py_func"):
                module[name] = (fast if name == "_orthonormalise" else jit)(module[name])
        module["_step_kernel"] = module["_network_step"]
        module["_jacobian_kernel"] = module["_network_jacobian"]
        for name in _LOOPS:
            if not hasattr(module[name], "py_func"):
                module[name] = (fast if name == "_lyapunov_loop" else jit)(module[name])
        _NETWORK_LOOPS = CompiledLoops(module["_run_loop"], module["_iterate_loop"],
                                       module["_lyapunov_loop"])
    return _NETWORK_LOOPS


def _sympy_source(name: str, call: str, n_args: int, n_out: int, columns: int) -> str:
    """Source of a kernel writing the components of a lambdified function into ``out``."""
    lines = [f"def {name}(x, u, params, j, out):", "    p = params[0]",
             f"    r = {call}"]
    for i in range(n_out):
        target = f"out[{i}]" if columns == 0 else f"out[{i // columns}, {i % columns}]"
        lines.append(f"    {target} = r[{i}]")
    return "\n".join(lines) + "\n"


def _sympy_loops(numba, kernel):
    f_num, j_num, n_params = kernel.source
    n, m = kernel.n_states, kernel.n_inputs
    args = ([f"x[{i}]" for i in range(n)] + [f"u[{i}]" for i in range(m)]
            + [f"p[j, {i}]" for i in range(n_params)])
    namespace = {"f_num": numba.njit(f_num), "j_num": numba.njit(j_num)}
    exec(_sympy_source("step", f"f_num({', '.join(args)})", len(args), n, 0), namespace)
    exec(_sympy_source("jacobian", f"j_num({', '.join(args)})", len(args), n * n, n), namespace)
    step, jacobian = numba.njit(namespace["step"]), numba.njit(namespace["jacobian"])
    scope = dict(globals())
    fast = numba.njit(fastmath={"reassoc", "contract"})
    scope.update(_step_kernel=step, _jacobian_kernel=jacobian,
                 _orthonormalise=fast(getattr(_orthonormalise, "py_func", _orthonormalise)))
    loops = []
    for name in _LOOPS:
        template = globals()[name]
        template = getattr(template, "py_func", template)
        copy = types.FunctionType(template.__code__, scope, name)
        loops.append((fast if name == "_lyapunov_loop" else numba.njit)(copy))
    return CompiledLoops(*loops)


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
