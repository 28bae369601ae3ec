r"""Normal-form coefficients of fold, flip and Neimark–Sacker points of maps and their cycles.

At a codimension-one point of a fixed point (or of a k-cycle, through the k-fold map) the
dynamics restricted to the centre manifold is, after a near-identity change of coordinates,
one of the normal forms of Kuznetsov (2004), §§ 4.2, 4.4, 4.6 and 5.4 (critical parameter):

====  =====================================  ======================================================
kind  normal form on the centre manifold     coefficient
====  =====================================  ======================================================
LP    :math:`\xi \mapsto \xi + a\xi^2`        :math:`a = \tfrac12\langle p, B(q,q)\rangle`
PD    :math:`\xi \mapsto -\xi + c\xi^3`       :math:`c = \tfrac16\langle p, C(q,q,q)\rangle
                                              - \tfrac12\langle p, B(q,(A-I)^{-1}B(q,q))\rangle`
NS    :math:`w \mapsto e^{i\theta}w(1+d|w|^2)` :math:`d = \tfrac12\,\mathrm{Re}\,e^{-i\theta}
                                              \langle p, C(q,q,\bar q) + 2B(q,(I-A)^{-1}B(q,\bar q))`
                                              :math:`+ B(\bar q,(e^{2i\theta}I-A)^{-1}B(q,q))\rangle`
====  =====================================  ======================================================

Here :math:`A = D_xF^k`, :math:`B` and :math:`C` are the second and third derivatives of
:math:`F^k` as multilinear forms, :math:`Aq = \mu q`, :math:`A^\top p = \bar\mu p`,
:math:`\langle p, q\rangle = \bar p^\top q = 1` and :math:`\langle q, q\rangle = 1` (the
normalisation of MatContM; the magnitude of a coefficient depends on it, its sign does not).

**Conventions and verdicts.** For a 1-D map with :math:`f'(x^*) = -1` the flip coefficient is
:math:`c = f''^2/4 + f'''/6` (then :math:`A - I = -2`). With :math:`c > 0` the second iterate
is :math:`\xi \mapsto \xi - 2c\xi^3 + \dots`, so the critical point attracts and a *stable*
doubled cycle is born where the fixed point loses stability: **supercritical**; :math:`c < 0`:
an unstable doubled cycle shrinks onto the point, which then loses stability with a jump:
**subcritical**. For NS, :math:`d < 0` is supercritical (a stable closed invariant curve) and
:math:`d > 0` subcritical. A fold has no criticality: two points meet and vanish; its verdict is
**nondegenerate** when :math:`a \neq 0`; the sign of :math:`a` depends on the orientation of
:math:`q` (here: its largest-modulus component is positive). A coefficient within
``degenerate_tol`` of zero, relative to the size of the terms it is made of, is
**degenerate** (a cusp for LP, a generalised flip GPD for PD, a Chenciner point for NS); then
no number is reported.

**Derivatives.** :math:`B` and :math:`C` come from the map's
:meth:`~dynrnn.model.base.RecurrentMap.multilinear_forms` (analytic for :class:`~dynrnn.RNN`
and :class:`~dynrnn.ElmanRNN` through σ'' and σ'''), from symbolic derivatives for maps built
with :meth:`~dynrnn.Map.from_sympy`, and otherwise from central differences of the Jacobian:
:math:`B(v,w) \approx [J(x+hw) - J(x-hw)]v/(2h)` with :math:`h = \epsilon^{1/3}` (error
:math:`O(h^2) + O(\epsilon/h)`, about 1e-10 relative with an exact Jacobian) and :math:`C` by
the four-point mixed difference with :math:`h = \epsilon^{1/4}` (about 1e-8 relative). For a
k-cycle the forms of :math:`F^k` follow by the chain rule from those of F at the k points.
Piecewise-linear maps (ReLU, identity) have no second derivatives: there is no coefficient,
their bifurcations are border collisions (:mod:`dynrnn.analysis.border_collisions`).

References
----------
.. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
   §§ 4.4, 4.6 (one- and two-dimensional normal forms) and 5.4 (centre-manifold projection
   for n-dimensional maps).
.. [2] W. Govaerts, R. Khoshsiar Ghaziani, Yu. A. Kuznetsov, H. G. E. Meijer, "Numerical
   methods for two-parameter local bifurcation analysis of maps", SIAM J. Sci. Comput. 29
   (2007) 2644–2667 (the formulas used by MatContM, including the cusp coefficient).
"""
from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .._checks import check_count
from .._signature_checks import checked_arguments
from ..errors import DynrnnError, InvalidInputError, InvalidTypeError
from ..model.base import RecurrentMap, as_state
from .special_points import Bifurcation, BifurcationKind

__all__ = [
    "MAX_CYCLE_PERIOD",
    "Criticality",
    "CurveCriticality",
    "NormalForm",
    "NormalFormStatus",
    "criticality_along",
    "cusp_coefficient",
    "multilinear_forms",
    "normal_form",
]

#: Longest cycle for which coefficients are computed: the chain rule costs O(k) form
#: evaluations, and beyond this the k-fold map's derivatives overflow or lose all accuracy.
MAX_CYCLE_PERIOD = 4096

_EPS = np.finfo(float).eps


class Criticality(str, enum.Enum):
    """The verdict of a normal-form coefficient."""

    SUPERCRITICAL = "supercritical"   #: PD c > 0 / NS d < 0: a stable cycle or curve is born
    SUBCRITICAL = "subcritical"       #: PD c < 0 / NS d > 0: the point loses stability by a jump
    DEGENERATE = "degenerate"         #: the coefficient vanishes (cusp, GPD, Chenciner point)
    NONDEGENERATE = "nondegenerate"   #: LP with a ≠ 0 (a fold has no criticality)

    def __str__(self) -> str:
        return self.value


class NormalFormStatus(str, enum.Enum):
    OK = "coefficient computed"
    NOT_SMOOTH = ("the map is piecewise linear (ReLU or identity units): it has no second or "
                  "third derivatives, so there is no normal-form coefficient; its bifurcations "
                  "are border collisions (dynrnn.analysis.border_collisions)")
    RESONANT = ("a second multiplier is critical (I - A or e^{2iθ}I - A is singular: a "
                "codimension-two resonance such as LPPD, R1, R2 or R3); the codimension-one "
                "coefficient is not defined there")

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class NormalForm:
    """The critical normal-form coefficient at one LP, PD or NS point.

    Attributes
    ----------
    kind : BifurcationKind
    coefficient : float or None
        a (LP), c (PD) or d (NS) in the normalisation of the module docstring; None when the
        status is not OK or the point is degenerate.
    criticality : Criticality or None
    status : NormalFormStatus
    period : int
    multiplier : complex
        The critical multiplier (for NS the one with positive imaginary part).
    x : ndarray, shape (n_states,)
        The point of the cycle at which A, B, C and q, p are taken.
    eigenvector, left_eigenvector : ndarray, shape (n_states,)
        q and p, with ⟨q, q⟩ = ⟨p, q⟩ = 1.
    derivatives : str
        ``"analytic"``, ``"symbolic"`` or ``"finite differences"``.
    raw_value : float
        The computed value even when judged degenerate (NaN when not computed).
    scale : float
        Size of the terms the coefficient is made of; degenerate means
        ``|raw_value| <= degenerate_tol * scale``.
    """

    kind: BifurcationKind
    coefficient: float | None
    criticality: Criticality | None
    status: NormalFormStatus
    period: int
    multiplier: complex
    x: np.ndarray
    eigenvector: np.ndarray
    left_eigenvector: np.ndarray
    derivatives: str
    raw_value: float = math.nan
    scale: float = math.nan
    extra: dict = field(default_factory=dict)

    @property
    def success(self) -> bool:
        return self.status == NormalFormStatus.OK

    def __repr__(self) -> str:
        name = {"LP": "a", "PD": "c", "NS": "d"}.get(self.kind.value, "coefficient")
        if self.status != NormalFormStatus.OK:
            return f"NormalForm({self.kind.value}, period={self.period}: {self.status.name})"
        value = "degenerate" if self.coefficient is None else f"{name}={self.coefficient:.6g}"
        return (f"NormalForm({self.kind.value}, period={self.period}, {value}, "
                f"{self.criticality}, {self.derivatives} derivatives)")

    __str__ = __repr__


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
# coefficients
# ---------------------------------------------------------------------------------------------
def _eigenpair(A: np.ndarray, kind: BifurcationKind):
    """Critical multiplier μ, q (‖q‖ = 1, largest component real positive) and p
    (A^T p = conj(μ) p, ⟨p, q⟩ = conj(p)·q = 1)."""
    mu, right = np.linalg.eig(A)
    if kind == BifurcationKind.LP:
        j = int(np.argmin(np.abs(mu - 1.0)))
    elif kind == BifurcationKind.PD:
        j = int(np.argmin(np.abs(mu + 1.0)))
    else:
        upper = np.flatnonzero(mu.imag > 0)
        pool = upper if upper.size else np.arange(mu.size)
        j = int(pool[np.argmin(np.abs(np.abs(mu[pool]) - 1.0))])
    m = mu[j]
    q = right[:, j] / np.linalg.norm(right[:, j])
    q = q * (abs(q[np.argmax(np.abs(q))]) / q[np.argmax(np.abs(q))])   # fix the phase
    mu_left, left = np.linalg.eig(A.T)
    k = int(np.argmin(np.abs(mu_left - np.conj(m))))
    p = left[:, k]
    p = p / np.conj(np.vdot(p, q))          # vdot conjugates its first argument
    if kind != BifurcationKind.NS:
        m, q, p = complex(m.real), q.real.copy(), p.real.copy()
    return complex(m), q, p, mu


def _solve(matrix, rhs, cond_limit):
    if np.linalg.cond(matrix) > cond_limit:
        return None
    return np.linalg.solve(matrix, rhs)


def _coefficient(forms: _CycleForms, kind: BifurcationKind, cond_limit=1e12):
    """(raw value, scale, μ, q, p) or None when a resonance makes it undefined."""
    A = forms.A
    n = A.shape[0]
    eye = np.eye(n)
    mu, q, p, _ = _eigenpair(A, kind)
    norm_p = float(np.linalg.norm(p))
    if kind == BifurcationKind.LP:
        Bqq = forms.B(q, q)
        return 0.5 * float(p @ Bqq), 0.5 * norm_p * float(np.linalg.norm(Bqq)), mu, q, p
    if kind == BifurcationKind.PD:
        Bqq = forms.B(q, q)
        h = _solve(A - eye, Bqq, cond_limit)
        if h is None:
            return None
        Cqqq = forms.C(q, q, q)
        Bqh = forms.B(q, h)
        value = float(p @ Cqqq) / 6.0 - 0.5 * float(p @ Bqh)
        scale = norm_p * (float(np.linalg.norm(Cqqq)) / 6.0 + 0.5 * float(np.linalg.norm(Bqh)))
        return value, scale, mu, q, p
    theta = float(np.angle(mu))
    qb = np.conj(q)
    Bqqb = forms.B(q, qb)
    Bqq = forms.B(q, q)
    h11 = _solve(eye - A, Bqqb, cond_limit)
    h20 = _solve(np.exp(2j * theta) * eye - A, Bqq, cond_limit)
    if h11 is None or h20 is None:
        return None
    terms = [forms.C(q, q, qb), 2.0 * forms.B(q, h11), forms.B(qb, h20)]
    total = sum(np.vdot(p, t) for t in terms)
    value = 0.5 * float((np.exp(-1j * theta) * total).real)
    scale = 0.5 * norm_p * sum(float(np.linalg.norm(t)) for t in terms)
    return value, scale, mu, q, p


def _verdict(kind, value, scale, tol) -> tuple[float | None, Criticality]:
    if not (abs(value) > tol * scale) or not math.isfinite(value):
        return None, Criticality.DEGENERATE
    if kind == BifurcationKind.LP:
        return value, Criticality.NONDEGENERATE
    if kind == BifurcationKind.PD:
        return value, Criticality.SUPERCRITICAL if value > 0 else Criticality.SUBCRITICAL
    return value, Criticality.SUPERCRITICAL if value < 0 else Criticality.SUBCRITICAL


def _check_kind(kind) -> BifurcationKind:
    try:
        kind = BifurcationKind(getattr(kind, "value", kind))
    except ValueError:
        kind = None
    if kind not in (BifurcationKind.LP, BifurcationKind.PD, BifurcationKind.NS):
        raise InvalidInputError(f"kind must be 'LP', 'PD' or 'NS' (normal forms of the other "
                                f"kinds are not computed), got {kind!r}", argument="kind",
                                value=kind)
    return kind


def _check_period(period) -> int:
    check_count(period, "period", 1, non_integer=InvalidInputError)
    if period > MAX_CYCLE_PERIOD:
        raise InvalidInputError(
            f"period {period} is larger than MAX_CYCLE_PERIOD = {MAX_CYCLE_PERIOD}: the "
            "derivatives of the k-fold map would overflow or lose all accuracy; compute the "
            "coefficient of a shorter cycle", argument="period", value=int(period))
    return int(period)


@checked_arguments
def normal_form(system: RecurrentMap, point, kind: str | BifurcationKind | None = None, *,
                period: int | None = None, u=None, multiplier_tol: float = 1e-6,
                degenerate_tol: float | None = None) -> NormalForm:
    r"""The critical normal-form coefficient and its verdict at an LP, PD or NS point.

    Computes a (fold), c (flip) or d (Neimark–Sacker) of the module docstring,
    :math:`c = \tfrac16\langle p, C(q,q,q)\rangle - \tfrac12\langle p,
    B(q,(A-I)^{-1}B(q,q))\rangle` for a flip, from the multilinear forms of the k-fold map.

    Parameters
    ----------
    system : RecurrentMap
        The map at the critical parameter. When ``point`` is a :class:`Bifurcation` whose
        ``param_name`` is a parameter of ``system``, it is set to ``point.param`` first.
    point : Bifurcation or array_like, shape (n_states,)
        A located bifurcation, or a state on the critical fixed point or cycle.
    kind : {"LP", "PD", "NS"}, optional
        Required when ``point`` is a state; taken from a Bifurcation otherwise.
    period : int, optional
        The cycle's period (default: the Bifurcation's, else 1); at most
        ``MAX_CYCLE_PERIOD``.
    u : array_like, optional
        Constant input (default: the map's own).
    multiplier_tol : float
        How close the critical multiplier must be to 1, −1 or the unit circle, and how small
        :math:`\|F^k(x) - x\| / \max(1, \|x\|)` must be, for ``point`` to count as the
        bifurcation.
    degenerate_tol : float, optional
        A coefficient with ``|value| <= degenerate_tol * scale`` is degenerate (default 1e-7
        with analytic or symbolic derivatives, 1e-4 with finite differences).

    Returns
    -------
    NormalForm

    Raises
    ------
    InvalidInputError
        When ``point`` is not a fixed point (cycle) of ``system`` or its multipliers are not
        critical for ``kind`` (not a bifurcation), for a piecewise-linear (ReLU) map, which
        has no second derivatives, and for a period above ``MAX_CYCLE_PERIOD``.

    Examples
    --------
    The logistic map's flip at r = 3 (x* = 2/3, f'' = −6, f''' = 0, so c = 36/4 = 9):

    >>> import sympy as sp, dynrnn as dr
    >>> x, r = sp.symbols("x r")
    >>> logistic = dr.Map.from_sympy([r * x * (1 - x)], [x], {r: 3.0})
    >>> nf = normal_form(logistic, [2 / 3], "PD")
    >>> round(nf.coefficient, 10), nf.criticality.value
    (9.0, 'supercritical')
    """
    if not isinstance(system, RecurrentMap):
        raise InvalidTypeError(f"system must be a RecurrentMap, got {type(system).__name__}",
                               argument="system", value=system)
    if isinstance(point, Bifurcation):
        if kind is not None and _check_kind(kind) != point.kind:
            raise InvalidInputError(f"kind={kind!r} contradicts the bifurcation's kind "
                                    f"{point.kind.value}", argument="kind", value=kind)
        kind = point.kind
        period = point.period if period is None else period
        if point.param_name and system.has_param(point.param_name):
            system = system.with_params({point.param_name: point.param})
        x = point.x
    else:
        if kind is None:
            raise InvalidInputError("kind is required when point is a state: 'LP', 'PD' or "
                                    "'NS'", argument="kind", value=None)
        x = point
    kind = _check_kind(kind)
    period = _check_period(1 if period is None else period)
    x = as_state(x, system.n_states, "point")
    if x.ndim != 1:
        raise InvalidInputError(f"point must be one state of shape ({system.n_states},), got "
                                f"shape {x.shape}", argument="point", value=x.shape)
    for name, value in (("multiplier_tol", multiplier_tol), ("degenerate_tol", degenerate_tol)):
        if value is not None and not (isinstance(value, (int, float)) and value > 0
                                      and math.isfinite(value)):
            raise InvalidInputError(f"{name} must be a positive number, got {value!r}",
                                    argument=name, value=value)
    u = system.resolve_input(u)
    if system.piecewise_linear_form(u) is not None:
        return NormalForm(kind, None, None, NormalFormStatus.NOT_SMOOTH, period, complex("nan"),
                          x.copy(), np.zeros(0), np.zeros(0), "none")
    forms = _CycleForms(system, x, u, period)
    residual = float(np.linalg.norm(forms.end - x)) / max(1.0, float(np.linalg.norm(x)))
    if not residual <= multiplier_tol:
        raise InvalidInputError(
            f"point is not a fixed point of the {period}-fold map: |F^{period}(x) - x| / "
            f"max(1, |x|) = {residual:.3g} > multiplier_tol = {multiplier_tol:g}; pass a located "
            "Bifurcation (or its .x) at the critical parameter", argument="point",
            value=residual)
    mu_all = np.linalg.eigvals(forms.A)
    _require_critical(kind, mu_all, multiplier_tol)
    tol = degenerate_tol if degenerate_tol is not None else (
        1e-4 if forms.how == "finite differences" else 1e-7)
    out = _coefficient(forms, kind)
    if out is None:
        mu, q, p, _ = _eigenpair(forms.A, kind)
        return NormalForm(kind, None, None, NormalFormStatus.RESONANT, period, mu, x.copy(), q,
                          p, forms.how)
    value, scale, mu, q, p = out
    coefficient, verdict = _verdict(kind, value, scale, tol)
    extra = {"angle": float(abs(np.angle(mu)))} if kind == BifurcationKind.NS else {}
    return NormalForm(kind, coefficient, verdict, NormalFormStatus.OK, period, mu, x.copy(), q,
                      p, forms.how, raw_value=float(value), scale=float(scale), extra=extra)


def _require_critical(kind, mu, tol):
    if kind == BifurcationKind.LP:
        gap = float(np.min(np.abs(mu - 1.0)))
        what = "a multiplier at +1"
    elif kind == BifurcationKind.PD:
        gap = float(np.min(np.abs(mu + 1.0)))
        what = "a multiplier at -1"
    else:
        cplx = mu[np.abs(mu.imag) > 1e-9 * np.maximum(1.0, np.abs(mu))]
        gap = float(np.min(np.abs(np.abs(cplx) - 1.0))) if cplx.size else math.inf
        what = "a complex pair of multipliers on the unit circle"
    if not gap <= tol:
        shown = ", ".join(f"{m:.6g}" for m in mu[:6])
        raise InvalidInputError(
            f"point is not a {kind.value} bifurcation: an {kind.value} point needs {what}, but "
            f"the nearest is {gap:.3g} away (multiplier_tol = {tol:g}); multipliers: {shown}. "
            "Locate the bifurcation first (continuation) and pass it", argument="point",
            value=gap)


def cusp_coefficient(system: RecurrentMap, x, *, u=None, period: int = 1) -> float:
    r"""The cusp coefficient at a fold point with a = 0 (a CP on a fold curve).

    On the centre manifold :math:`\xi \mapsto \xi + c\,\xi^3` with

    .. math:: c = \tfrac16\langle p, C(q,q,q) + 3B(q, h_2)\rangle, \quad
              (I - A)h_2 = B(q,q) - \langle p, B(q,q)\rangle q,\ \langle p, h_2\rangle = 0,

    (Govaerts et al. 2007, eq. for CP). ``x`` must be a point of the fold (the multiplier +1 is
    taken as is: this function does not check that a vanishes).

    Returns
    -------
    float
    """
    period = _check_period(period)
    x = as_state(x, system.n_states, "x")
    u = system.resolve_input(u)
    forms = _CycleForms(system, x, u, period)
    A = forms.A
    n = A.shape[0]
    _, q, p, _ = _eigenpair(A, BifurcationKind.LP)
    Bqq = forms.B(q, q)
    rhs = Bqq - (p @ Bqq) * q
    bordered = np.block([[np.eye(n) - A, q[:, None]], [p[None, :], np.zeros((1, 1))]])
    h2 = np.linalg.lstsq(bordered, np.concatenate([rhs, [0.0]]), rcond=None)[0][:n]
    return float(p @ (forms.C(q, q, q) + 3.0 * forms.B(q, h2))) / 6.0


def coefficient_for_bifurcation(system: RecurrentMap, x: np.ndarray, kind: BifurcationKind,
                                period: int, u=None) -> tuple[float | None, Criticality | None]:
    """``(coefficient, criticality)`` for a just-located point, or ``(None, None)`` when it
    cannot be computed (piecewise-linear map, resonance, numerical failure); never raises.

    This is the hook continuation calls for every located LP, PD and NS point.
    """
    if kind not in (BifurcationKind.LP, BifurcationKind.PD, BifurcationKind.NS):
        return None, None
    try:
        with np.errstate(all="ignore"):
            nf = normal_form(system, x, kind, period=period, u=u, multiplier_tol=1e-5)
    except (DynrnnError, np.linalg.LinAlgError, ArithmeticError, ValueError):
        return None, None
    if not nf.success:
        return None, None
    return nf.coefficient, nf.criticality


# ---------------------------------------------------------------------------------------------
# two-parameter curves
# ---------------------------------------------------------------------------------------------
def _map_at(system: RecurrentMap, names, values) -> RecurrentMap:
    return system.with_params({names[0]: float(values[0]), names[1]: float(values[1])})


def codim2_extra(system: RecurrentMap, names, u, kind: BifurcationKind, period: int,
                 z: np.ndarray, z_before: np.ndarray, z_after: np.ndarray) -> dict:
    """What the codimension-one coefficients say at a located codimension-two point.

    ``z`` = (x, p1, p2, ...) of the point, ``z_before``/``z_after`` the curve points around it.
    At a cusp (CP) ``{"cusp_coefficient": c}`` (:func:`cusp_coefficient`); at a generalised
    flip (GPD) ``{"criticality_sides": (before, after)}``, the verdicts of the flip on the two
    sides (the fifth-order coefficient that decides the GPD unfolding is not computed). Empty
    when nothing applies or the computation fails; never raises (the curve's detection hook).
    """
    n = system.n_states
    try:
        with np.errstate(all="ignore"):
            if kind == BifurcationKind.CP:
                at = _map_at(system, names, z[n:n + 2])
                return {"cusp_coefficient": cusp_coefficient(at, z[:n], u=u, period=period)}
            if kind == BifurcationKind.GPD:
                sides = []
                for w in (z_before, z_after):
                    nf = normal_form(_map_at(system, names, w[n:n + 2]), w[:n],
                                     BifurcationKind.PD, period=period, u=u,
                                     multiplier_tol=1e-5)
                    sides.append(None if nf.criticality is None else nf.criticality.value)
                return {"criticality_sides": tuple(sides)}
    except (DynrnnError, np.linalg.LinAlgError, ArithmeticError, ValueError):
        return {}
    return {}


@dataclass(frozen=True)
class CurveCriticality:
    """The normal-form coefficient at every point of a two-parameter LP, PD or NS curve.

    Attributes
    ----------
    kind : BifurcationKind
    coefficients : ndarray, shape (m,)
        a, c or d at each curve point; NaN where it is not defined (degenerate, resonant, or
        beyond an R1/R2 point on the neutral-saddle part of an NS curve).
    criticality : tuple of (str or None), length m
    changes : ndarray of int
        Indices i where the verdict differs between points i and i + 1 (a GPD or Chenciner
        point between them).
    """

    kind: BifurcationKind
    coefficients: np.ndarray
    criticality: tuple
    changes: np.ndarray

    @property
    def success(self) -> bool:
        return bool(np.any(np.isfinite(self.coefficients)))

    def __repr__(self) -> str:
        defined = int(np.count_nonzero(np.isfinite(self.coefficients)))
        counts = {v: self.criticality.count(v) for v in set(self.criticality) if v}
        return (f"CurveCriticality({self.kind.value}, {defined}/{self.coefficients.size} points "
                f"with a coefficient, {counts}, {self.changes.size} change(s) of verdict)")

    __str__ = __repr__


def criticality_along(system: RecurrentMap, curve, *, u=None) -> CurveCriticality:
    """The normal-form coefficient and verdict at every point of a two-parameter curve.

    Parameters
    ----------
    system : RecurrentMap
        The map the curve was computed for (both ``curve.param_names`` are its parameters).
    curve : BifurcationCurve
        From :func:`~dynrnn.continue_bifurcation`.
    u : array_like, optional

    Returns
    -------
    CurveCriticality
    """
    kind = _check_kind(curve.kind)
    names = tuple(curve.param_names)
    system.check_param_names(list(names), argument="curve.param_names")
    coefficients = np.full(curve.params.shape[0], np.nan)
    verdicts: list = []
    for i, (values, x) in enumerate(zip(curve.params, curve.states)):
        try:
            with np.errstate(all="ignore"):
                nf = normal_form(_map_at(system, names, values), x, kind, period=curve.period,
                                 u=u, multiplier_tol=1e-5)
        except (DynrnnError, np.linalg.LinAlgError, ArithmeticError, ValueError):
            verdicts.append(None)
            continue
        verdicts.append(None if nf.criticality is None else nf.criticality.value)
        if nf.coefficient is not None:
            coefficients[i] = nf.coefficient
    changes = np.array([i for i in range(len(verdicts) - 1)
                        if verdicts[i] and verdicts[i + 1] and verdicts[i] != verdicts[i + 1]
                        and Criticality.DEGENERATE.value not in (verdicts[i], verdicts[i + 1])],
                       dtype=int)
    return CurveCriticality(kind, coefficients, tuple(verdicts), changes)
