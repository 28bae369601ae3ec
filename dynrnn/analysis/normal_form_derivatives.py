r"""Second- to fifth-order derivatives of maps and of their k-fold iterates, for normal forms.

:math:`B` and :math:`C` (the second and third derivatives of F as multilinear forms) come from
the map's :meth:`~dynrnn.model.base.RecurrentMap.multilinear_forms` (analytic for
:class:`~dynrnn.RNN`, :class:`~dynrnn.ElmanRNN` and the gated cells through σ″ and σ‴),
from symbolic derivatives for maps built with :meth:`~dynrnn.Map.from_sympy`, and otherwise
from central differences of the Jacobian: :math:`B(v,w) \approx [J(x+hw) - J(x-hw)]v/(2h)`
with :math:`h = \epsilon^{1/3}` (error :math:`O(h^2) + O(\epsilon/h)`, about 1e-10 relative
with an exact Jacobian) and :math:`C` by the four-point mixed difference with
:math:`h = \epsilon^{1/4}` (about 1e-8 relative). For a k-cycle the forms of :math:`F^k`
follow by the chain rule from those of F at the k points.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..errors import InvalidInputError, InvalidTypeError
from ..model.base import RecurrentMap, as_state

__all__ = ["multilinear_forms", "taylor_along"]

_EPS = np.finfo(float).eps


# ---------------------------------------------------------------------------------------------
# multilinear forms of F at one point
# ---------------------------------------------------------------------------------------------
def _real_parts(v):
    v = np.asarray(v)
    if np.iscomplexobj(v):
        return [(1.0, v.real), (1j, v.imag)]
    return [(1.0, v)]


def _fd_forms(system: RecurrentMap, x: np.ndarray, u) -> tuple[Callable, Callable]:
    """B and C by central differences of the Jacobian (accuracy in the module docstring)."""
    scale = max(1.0, float(np.max(np.abs(x))))

    def jac(y):
        return system.jacobian_unchecked(y, u)

    def B_real(v, w):
        nw = float(np.linalg.norm(w))
        if nw == 0.0:
            return np.zeros(x.shape[0])
        h = _EPS ** (1 / 3) * scale / nw
        return (jac(x + h * w) - jac(x - h * w)) @ v / (2.0 * h)

    def C_real(v, w, y):
        nw, ny = float(np.linalg.norm(w)), float(np.linalg.norm(y))
        if nw == 0.0 or ny == 0.0:
            return np.zeros(x.shape[0])
        hw, hy = _EPS ** 0.25 * scale / nw, _EPS ** 0.25 * scale / ny
        d = (jac(x + hw * w + hy * y) - jac(x + hw * w - hy * y)
             - jac(x - hw * w + hy * y) + jac(x - hw * w - hy * y))
        return d @ v / (4.0 * hw * hy)

    def B(v, w):
        return sum(cw * B_real(v, wr) for cw, wr in _real_parts(w))

    def C(v, w, y):
        return sum(cw * cy * C_real(v, wr, yr) for cw, wr in _real_parts(w)
                   for cy, yr in _real_parts(y))

    return B, C


_SYMBOLIC_CACHE: dict = {}


def _symbolic_forms(system, x, u):
    """B and C from sympy derivatives of a map built by ``Map.from_sympy``."""
    import sympy  # optional dependency, only for sympy-defined maps

    key = (tuple(system.exprs), tuple(system.states), tuple(system.inputs),
           tuple(system.param_values()))
    kernels = _SYMBOLIC_CACHE.get(key)
    if kernels is None:
        states = list(system.states)
        pnames = list(system.param_values())
        symbols = {str(s): s for e in system.exprs for s in e.free_symbols}
        params = [symbols.get(name, sympy.Symbol(name)) for name in pnames]
        args = states + list(system.inputs) + params
        n = len(states)
        second = [[[sympy.diff(e, states[j], states[k]) for k in range(n)] for j in range(n)]
                  for e in system.exprs]
        third = [[[[sympy.diff(s, states[m]) for m in range(n)] for s in row] for row in mat]
                 for mat in second]
        flat2 = [s for mat in second for row in mat for s in row]
        flat3 = [t for mat in third for row in mat for col in row for t in col]
        kernels = (sympy.lambdify(args, flat2, modules="numpy", cse=True),
                   sympy.lambdify(args, flat3, modules="numpy", cse=True), n)
        _SYMBOLIC_CACHE[key] = kernels
    f2, f3, n = kernels
    values = list(x) + (list(np.atleast_1d(u)) if system.inputs else []) + \
        list(system.param_values().values())
    H = np.array(np.broadcast_arrays(*f2(*values)), dtype=float).reshape(n, n, n)
    T = np.array(np.broadcast_arrays(*f3(*values)), dtype=float).reshape(n, n, n, n)
    return ((lambda v, w: np.einsum("ijk,j,k->i", H, v, w)),
            (lambda v, w, y: np.einsum("ijkl,j,k,l->i", T, v, w, y)))


def multilinear_forms(system: RecurrentMap, x, u=None) -> tuple[Callable, Callable, str]:
    r"""The second and third derivatives of F at ``x`` as multilinear forms, and their source.

    .. math:: B(v, w) = D^2F(x)[v, w], \qquad C(v, w, y) = D^3F(x)[v, w, y]

    Parameters
    ----------
    system : RecurrentMap
    x : array_like, shape (n_states,)
    u : array_like, shape (n_inputs,), optional

    Returns
    -------
    (B, C, how)
        ``B(v, w)`` and ``C(v, w, y)`` take vectors of shape ``(n_states,)`` (complex allowed)
        and return shape ``(n_states,)``; ``how`` is ``"analytic"`` (the map's
        :meth:`~dynrnn.model.base.RecurrentMap.multilinear_forms`), ``"symbolic"`` (sympy maps)
        or ``"finite differences"`` (of the Jacobian; see the module docstring).

    Raises
    ------
    InvalidInputError
        For a piecewise-linear map (ReLU or identity units), which has no second derivatives.

    Examples
    --------
    >>> import numpy as np, dynrnn as dr
    >>> from dynrnn.analysis.normal_forms import multilinear_forms
    >>> B, C, how = multilinear_forms(dr.RNN([[2.0]], activation="tanh"), [0.5])
    >>> how, round(float(B(np.ones(1), np.ones(1))[0]), 6)   # 2 tanh''(0.5)
    ('analytic', -1.453724)
    """
    if not isinstance(system, RecurrentMap):
        raise InvalidTypeError(f"system must be a RecurrentMap, got {type(system).__name__}",
                               argument="system", value=system)
    x = as_state(x, system.n_states, "x")
    u = system.resolve_input(u)
    if system.piecewise_linear_form(u) is not None:
        raise InvalidInputError(
            f"system ({type(system).__name__}) is piecewise linear (ReLU or identity units): it has no "
            "second or third derivatives, so normal-form coefficients do not exist; its "
            "bifurcations are border collisions (use dynrnn.analysis.border_collisions)",
            argument="system", value=repr(system))
    forms = system.multilinear_forms(x, u)
    if forms is not None:
        return forms[0], forms[1], "analytic"
    if getattr(system, "exprs", None) is not None and getattr(system, "states", None):
        return (*_symbolic_forms(system, x, u), "symbolic")
    return (*_fd_forms(system, x, u), "finite differences")


class _CycleForms:
    """A, B and C of the k-fold map at x_0 by the chain rule through the cycle x_0..x_{k-1}."""

    def __init__(self, system, x0, u, period):
        self.J, self.B1, self.C1 = [], [], []
        x = x0
        how = "analytic"
        for _ in range(period):
            B, C, how = multilinear_forms(system, x, u)
            self.J.append(system.jacobian_unchecked(x, u))
            self.B1.append(B)
            self.C1.append(C)
            x = system.step_unchecked(x, u)
        self.how = how
        self.end = x
        A = np.eye(x0.shape[0])
        for J in self.J:
            A = J @ A
        self.A = A

    def B(self, v, w):
        a, b = np.asarray(v), np.asarray(w)
        s = np.zeros(a.shape, dtype=np.result_type(a, b, float))
        for J, B in zip(self.J, self.B1):
            s = J @ s + B(a, b)
            a, b = J @ a, J @ b
        return s

    def C(self, v, w, y):
        a, b, c = np.asarray(v), np.asarray(w), np.asarray(y)
        dtype = np.result_type(a, b, c, float)
        ab = np.zeros(a.shape, dtype=dtype)
        ac, bc, abc = ab.copy(), ab.copy(), ab.copy()
        for J, B, C in zip(self.J, self.B1, self.C1):
            abc = J @ abc + B(ab, c) + B(ac, b) + B(bc, a) + C(a, b, c)
            ab, ac, bc = J @ ab + B(a, b), J @ ac + B(a, c), J @ bc + B(b, c)
            a, b, c = J @ a, J @ b, J @ c
        return abc


# ---------------------------------------------------------------------------------------------
# Taylor coefficients of F^k along a polynomial curve (fourth and fifth order, for GPD)
# ---------------------------------------------------------------------------------------------
#: Chebyshev nodes and polynomial degree of the fit in :func:`taylor_along`.
_FIT_NODES, _FIT_DEGREE = 40, 18


def _iterate(system, X: np.ndarray, u, period: int) -> np.ndarray:
    for _ in range(period):
        X = system.step_unchecked(X, u)
    return X


def _fitted_taylor(system, x, u, period, directions, order, radius):
    """Monomial coefficients of φ(t) = F^k(x + Σ_j c_j t^j) from a least-squares Chebyshev fit
    on [-radius, radius]."""
    s = np.cos(np.pi * (np.arange(_FIT_NODES) + 0.5) / _FIT_NODES)
    t = radius * s
    X = np.repeat(x[None, :], t.size, axis=0)
    for j, c in enumerate(directions, start=1):
        X = X + np.outer(t ** j, c)
    values = _iterate(system, X, u, period)                      # (nodes, n)
    cheb = np.polynomial.chebyshev.chebfit(s, values, _FIT_DEGREE)
    mono = np.array([np.polynomial.chebyshev.cheb2poly(cheb[:, i])
                     for i in range(values.shape[1])]).T    # (degree + 1, n), in s
    scale = radius ** np.arange(order + 1)
    return mono[:order + 1] / scale[:, None]


_TENSOR_CACHE: dict = {}


def _derivative_tensors(system, order):
    """Lambdified derivative tensors of orders 1..order of a sympy map's expressions."""
    import sympy  # optional dependency, only for sympy-defined maps

    key = (tuple(system.exprs), tuple(system.states), tuple(system.inputs),
           tuple(system.param_values()), order)
    if key not in _TENSOR_CACHE:
        states = list(system.states)
        symbols = {str(s): s for e in system.exprs for s in e.free_symbols}
        params = [symbols.get(name, sympy.Symbol(name)) for name in system.param_values()]
        args = states + list(system.inputs) + params
        level, kernels = list(system.exprs), []
        for _ in range(order):
            level = [sympy.diff(e, s) for e in level for s in states]
            kernels.append(sympy.lambdify(args, level, modules="numpy", cse=True))
        _TENSOR_CACHE[key] = kernels
    return _TENSOR_CACHE[key]


def _compositions(total: int, parts: int):
    if parts == 1:
        yield (total,)
        return
    for first in range(1, total - parts + 2):
        for rest in _compositions(total - first, parts - 1):
            yield (first, *rest)


def _symbolic_taylor(system, x, u, period, directions, order):
    """The same coefficients exactly (to rounding): Taylor arithmetic with the symbolic
    derivative tensors, F(y_0 + δ(t)) = F(y_0) + Σ_k D^kF(y_0)[δ(t), …, δ(t)] / k!."""
    n = x.shape[0]
    kernels = _derivative_tensors(system, order)
    extra = (list(np.atleast_1d(u)) if system.inputs else []) + \
        list(system.param_values().values())
    y = np.zeros((order + 1, n))
    y[0] = x
    for j, c in enumerate(directions, start=1):
        if j <= order:
            y[j] = c
    for _ in range(period):
        values = list(y[0]) + extra
        tensors = [np.array(np.broadcast_arrays(*kernel(*values)), dtype=float)
                   .reshape((n,) * (k + 2)) for k, kernel in enumerate(kernels)]
        out = np.zeros_like(y)
        out[0] = system.step_unchecked(y[0], u)
        for m in range(1, order + 1):
            for k in range(1, m + 1):
                for parts in _compositions(m, k):
                    term = tensors[k - 1]
                    for j in parts:
                        term = term @ y[j]
                    out[m] += term / math.factorial(k)
        y = out
    return y


def taylor_along(system: RecurrentMap, x: np.ndarray, u, period: int, directions, order: int,
                 symbolic: bool = True) -> tuple[np.ndarray, float, str]:
    r"""Taylor coefficients of :math:`\varphi(t) = F^k(x + \sum_j c_j t^j)` at t = 0.

    Returns ``(coefficients, error, how)``: shape ``(order + 1, n)`` with row j the
    coefficient of :math:`t^j`; an error estimate (0 for ``"symbolic"``: sympy maps of up to
    three states, by Taylor arithmetic with their symbolic derivative tensors, exact to
    rounding; ``symbolic=False`` skips it, since its first derivation of a map costs seconds;
    for ``"polynomial fit"``, the difference of two least-squares
    Chebyshev fits of degree 18 on 40 nodes in :math:`|t| \le r` and :math:`r/\sqrt2`, with
    :math:`r = 0.2/\max(1, \max_j \|c_j\|^{1/j})`: about 1e-9 relative for the fifth
    coefficient of an entire map such as tanh with O(1) weights, worse near singularities).
    """
    if (symbolic and getattr(system, "exprs", None) is not None
            and getattr(system, "states", None) and system.n_states <= 3):
        return _symbolic_taylor(system, x, u, period, directions, order), 0.0, "symbolic"
    size = max([1.0] + [float(np.linalg.norm(c)) ** (1.0 / j)
                        for j, c in enumerate(directions, start=1)])
    radius = 0.2 / size
    first = _fitted_taylor(system, x, u, period, directions, order, radius)
    second = _fitted_taylor(system, x, u, period, directions, order, radius / np.sqrt(2.0))
    return second, float(np.max(np.abs(first - second))), "polynomial fit"
