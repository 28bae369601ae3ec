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
                                              \langle p, C(q,q,\bar q)+2B(q,(I-A)^{-1}B(q,\bar q))`
                                              :math:`+B(\bar q,(e^{2i\theta}I-A)^{-1}B(q,q))\rangle`
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

**Derivatives.** :math:`B` and :math:`C` come from
:mod:`dynrnn.analysis.normal_form_derivatives` (analytic, symbolic, or central differences of
documented accuracy); for a k-cycle those of :math:`F^k` follow by the chain rule.
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
from dataclasses import dataclass, field

import numpy as np

from .._checks import check_count
from .._signature_checks import checked_arguments
from .._tables import TableSpec, Tabular
from ..errors import DynrnnError, InvalidInputError, InvalidTypeError
from ..model.base import RecurrentMap, as_state
from .normal_form_derivatives import _CycleForms, multilinear_forms
from .special_points import Bifurcation, BifurcationKind

__all__ = [
    "MAX_CYCLE_PERIOD",
    "Criticality",
    "NormalForm",
    "NormalFormStatus",
    "multilinear_forms",
    "normal_form",
]

#: Longest cycle for which coefficients are computed: the chain rule costs O(k) form
#: evaluations, and beyond this the k-fold map's derivatives overflow or lose all accuracy.
MAX_CYCLE_PERIOD = 4096


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
class NormalForm(Tabular):
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

    # the table: one row (a normal form is one record)
    _table_spec = TableSpec(one_row=True, columns=("kind", "period", "coefficient",
                                                   "criticality", "status", "multiplier", "x"))

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


def _require_critical(kind, mu, tol, argument="point"):
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
            f"{argument} is not a {kind.value} bifurcation: an {kind.value} point needs {what}, "
            f"but the nearest is {gap:.3g} away (multiplier_tol = {tol:g}); multipliers: {shown}. "
            "Locate the bifurcation first (continuation) and pass it", argument=argument,
            value=gap)



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

