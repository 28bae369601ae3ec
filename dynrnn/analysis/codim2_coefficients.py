r"""Codimension-two coefficients and criticality along two-parameter curves.

At a cusp (CP) on a fold curve the fold's coefficient a vanishes and the cubic coefficient of
the fold's normal form, :func:`cusp_coefficient`, decides the unfolding; at a generalised flip
(GPD) the flip's c vanishes and the fifth-order coefficient e of
:math:`\xi \mapsto -\xi + c\xi^3 + e\xi^5` does (:func:`generalised_flip_coefficient`).
:func:`criticality_along` gives the codimension-one coefficient at every point of a curve.

References
----------
.. [1] Yu. A. Kuznetsov, H. G. E. Meijer, "Numerical normal forms for codim 2 bifurcations
   of fixed points with at most two critical eigenvalues", SIAM J. Sci. Comput. 26 (2005)
   1932–1954 (the CP and GPD coefficients by the homological equation).
.. [2] W. Govaerts, R. Khoshsiar Ghaziani, Yu. A. Kuznetsov, H. G. E. Meijer, "Numerical
   methods for two-parameter local bifurcation analysis of maps", SIAM J. Sci. Comput. 29
   (2007) 2644–2667.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._tables import TableSpec, Tabular
from ..errors import DynrnnError, InvalidInputError, InvalidTypeError
from ..model.base import RecurrentMap, as_state
from .normal_form_derivatives import _CycleForms, taylor_along
from .normal_forms import (
    Criticality,
    _check_kind,
    _check_period,
    _eigenpair,
    _require_critical,
    normal_form,
)
from .special_points import BifurcationKind

__all__ = ["CurveCriticality", "criticality_along", "cusp_coefficient",
           "generalised_flip_coefficient"]


def _critical_forms(system, x, u, period, kind: BifurcationKind, tol: float = 1e-6):
    """The k-fold map's forms at ``x``, after checking that ``x`` is a fixed point of F^k
    with the critical multiplier of ``kind`` (a named error otherwise)."""
    if not isinstance(system, RecurrentMap):
        raise InvalidTypeError(f"system must be a RecurrentMap, got {type(system).__name__}",
                               argument="system", value=system)
    period = _check_period(period)
    x = as_state(x, system.n_states, "x")
    if x.ndim != 1:
        raise InvalidInputError(f"x must be one state of shape ({system.n_states},), got "
                                f"shape {x.shape}", argument="x", value=x.shape)
    u = system.resolve_input(u)
    forms = _CycleForms(system, x, u, period)      # refuses piecewise-linear maps by name
    residual = float(np.linalg.norm(forms.end - x)) / max(1.0, float(np.linalg.norm(x)))
    if not residual <= tol:
        raise InvalidInputError(
            f"x is not a fixed point of the {period}-fold map: |F^{period}(x) - x| / "
            f"max(1, |x|) = {residual:.3g} > {tol:g}; pass a located point", argument="x",
            value=residual)
    _require_critical(kind, np.linalg.eigvals(forms.A), tol, argument="x")
    return x, u, period, forms


def cusp_coefficient(system: RecurrentMap, x, *, u=None, period: int = 1) -> float:
    r"""The cusp coefficient at a fold point with a = 0 (a CP on a fold curve).

    On the centre manifold :math:`\xi \mapsto \xi + c\,\xi^3` with

    .. math:: c = \tfrac16\langle p, C(q,q,q) + 3B(q, h_2)\rangle, \quad
              (I - A)h_2 = B(q,q) - \langle p, B(q,q)\rangle q,\ \langle p, h_2\rangle = 0,

    (Govaerts et al. 2007, eq. for CP). ``x`` must be a point of the fold (a multiplier +1,
    within 1e-6; this function does not check that a vanishes).

    Returns
    -------
    float

    Raises
    ------
    InvalidInputError
        When ``x`` is not a fixed point (cycle) with a multiplier +1, or the map is piecewise
        linear (no second derivatives).
    """
    _, _, _, forms = _critical_forms(system, x, u, period, BifurcationKind.LP)
    A = forms.A
    n = A.shape[0]
    _, q, p, _ = _eigenpair(A, BifurcationKind.LP)
    Bqq = forms.B(q, q)
    rhs = Bqq - (p @ Bqq) * q
    bordered = np.block([[np.eye(n) - A, q[:, None]], [p[None, :], np.zeros((1, 1))]])
    h2 = np.linalg.lstsq(bordered, np.concatenate([rhs, [0.0]]), rcond=None)[0][:n]
    return float(p @ (forms.C(q, q, q) + 3.0 * forms.B(q, h2))) / 6.0



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
    flip (GPD) ``{"criticality_sides": (before, after), "fifth_order_coefficient": e,
    "fifth_order_error": error}``, the verdicts of the flip on the two sides and the
    coefficient that decides the GPD unfolding (:func:`generalised_flip_coefficient`, by the
    polynomial fit, with its error estimate); at a 1:2 resonance (R2)
    ``{"resonance_C1": C1, "resonance_D1": D1}`` (the doubled cycle has an NS curve only when
    C1 < 0, :func:`~dynrnn.analysis.resonance_coefficients.resonance_1_2_coefficients`). Empty
    when nothing applies or the computation fails; never raises (the curve's detection hook).
    """
    n = system.n_states
    try:
        with np.errstate(all="ignore"):
            if kind == BifurcationKind.CP:
                at = _map_at(system, names, z[n:n + 2])
                return {"cusp_coefficient": cusp_coefficient(at, z[:n], u=u, period=period)}
            if kind == BifurcationKind.R2:
                from .resonance_coefficients import resonance_1_2_coefficients
                at = _map_at(system, names, z[n:n + 2])
                c1, d1 = resonance_1_2_coefficients(at, z[:n], u=u, period=period)
                return {"resonance_C1": c1, "resonance_D1": d1}
            if kind == BifurcationKind.GPD:
                sides = []
                for w in (z_before, z_after):
                    nf = normal_form(_map_at(system, names, w[n:n + 2]), w[:n],
                                     BifurcationKind.PD, period=period, u=u,
                                     multiplier_tol=1e-5)
                    sides.append(None if nf.criticality is None else nf.criticality.value)
                at = _map_at(system, names, z[n:n + 2])
                # (the fit, not sympy's derivation: this runs inside continuation)
                e, error, _ = _generalised_flip(at, z[:n], u, period, symbolic=False)
                return {"criticality_sides": tuple(sides), "fifth_order_coefficient": e,
                        "fifth_order_error": error}
    except (DynrnnError, np.linalg.LinAlgError, ArithmeticError, ValueError):
        return {}
    return {}


@dataclass(frozen=True)
class CurveCriticality(Tabular):
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

    # the table: one row per curve point
    _table_spec = TableSpec(columns=(("point", lambda r: range(len(r.coefficients))),
                                     "coefficient=coefficients", "criticality"))

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
    from .continuation import BifurcationCurve
    if not isinstance(system, RecurrentMap):
        raise InvalidTypeError(f"system must be a RecurrentMap, got {type(system).__name__}",
                               argument="system", value=system)
    if not isinstance(curve, BifurcationCurve):
        raise InvalidTypeError(f"curve must be a BifurcationCurve (from continue_bifurcation), "
                               f"got {type(curve).__name__}", argument="curve", value=curve)
    if curve.states.shape[-1] != system.n_states:
        raise InvalidInputError(f"curve has states of size {curve.states.shape[-1]}, the map "
                                f"has {system.n_states}", argument="curve",
                                value=curve.states.shape)
    u = system.resolve_input(u)
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


def _generalised_flip(system: RecurrentMap, x: np.ndarray, u, period: int,
                      symbolic: bool = True):
    """(e, error estimate, how) by the homological equation along the centre manifold."""
    forms = _CycleForms(system, x, u, period)
    A = forms.A
    n = A.shape[0]
    eye = np.eye(n)
    _, q, p, _ = _eigenpair(A, BifurcationKind.PD)
    directions = [q]
    errors, how = [], "symbolic"

    def coefficient(order):
        nonlocal how
        coefficients, error, how = taylor_along(system, x, u, period, directions, order,
                                                symbolic)
        errors.append(error)
        return coefficients[order]

    h2 = np.linalg.solve(eye - A, 2.0 * coefficient(2))
    directions.append(h2 / 2.0)
    t3 = coefficient(3)
    c = float(p @ t3)
    bordered = np.block([[A + eye, q[:, None]], [p[None, :], np.zeros((1, 1))]])
    h3 = np.linalg.solve(bordered, np.concatenate([6.0 * c * q - 6.0 * t3, [0.0]]))[:n]
    directions.append(h3 / 6.0)
    h4 = np.linalg.solve(eye - A, 24.0 * (c * h2 + coefficient(4)))
    directions.append(h4 / 24.0)
    e = float(p @ coefficient(5)) - 0.5 * c * float(p @ h3)
    return e, float(np.linalg.norm(p)) * max(errors), how


def generalised_flip_coefficient(system: RecurrentMap, x, *, u=None, period: int = 1) -> float:
    r"""The fifth-order coefficient e of the flip's normal form at a generalised flip (GPD).

    On the centre manifold :math:`\xi \mapsto -\xi + c\,\xi^3 + e\,\xi^5` (c = 0 at GPD), in
    the normalisation of :func:`~dynrnn.normal_form` (:math:`Aq = -q`, :math:`\|q\| = 1`,
    :math:`\langle p, q\rangle = 1`). With the centre manifold
    :math:`x^* + q\xi + h_2\xi^2/2 + h_3\xi^3/6 + h_4\xi^4/24 + \dots` the homological
    equation gives, order by order (:math:`T_j` the :math:`\xi^j` coefficient of
    :math:`F^k` along the manifold truncated before :math:`h_j`),

    .. math::

        (I - A)h_2 = 2T_2, \quad c = \langle p, T_3\rangle, \quad
        (A + I)h_3 = 6cq - 6T_3,\ \langle p, h_3\rangle = 0, \\
        (I - A)h_4 = 24(c h_2 + T_4), \quad
        e = \langle p, T_5\rangle - \tfrac{c}{2}\langle p, h_3\rangle .

    For a 1-D map at c = 0 the second iterate is :math:`\xi \mapsto \xi - 2e\xi^5 + \dots`:
    **e > 0**, the flip point itself attracts (as a supercritical flip) and the fold curve of
    the doubled cycle leaves GPD on the side where c < 0; **e < 0**, it repels and that fold
    lies where c > 0. The :math:`T_j` are exact truncated power series for sympy maps and
    Chebyshev fits of documented accuracy otherwise (:func:`taylor_along`).

    Parameters
    ----------
    system : RecurrentMap
    x : array_like, shape (n_states,)
        A point of the flip (c need not vanish exactly: e is what the formula gives there).
    u : array_like, optional
    period : int

    Returns
    -------
    float

    Raises
    ------
    InvalidInputError
        When ``x`` is not a fixed point (cycle) with a multiplier −1, or the map is piecewise
        linear (no derivatives of any order above one).

    References
    ----------
    Kuznetsov & Meijer (2005), §4 (GPD), in the module references.

    Examples
    --------
    >>> import sympy as sp, dynrnn as dr
    >>> x = sp.Symbol("x")
    >>> f = dr.Map.from_sympy([-x + x**2 - x**3 + x**5 / 10], [x])   # c = 1 - 1 = 0
    >>> round(generalised_flip_coefficient(f, [0.0]), 10)
    -1.9
    """
    x, u, period, _ = _critical_forms(system, x, u, period, BifurcationKind.PD)
    with np.errstate(all="ignore"):
        return _generalised_flip(system, x, u, period)[0]
