r"""Detection and location of codimension-one bifurcations along a branch of a map.

Between consecutive branch points the sign of a test function tells that a special point lies
on the arc between them (Kuznetsov 2004, §10.2.2 and §10.4 for maps):

======  =====================================================  ==============================
kind    detection (sign change of)                             location (zero of, smooth)
======  =====================================================  ==============================
LP      the parameter component of the oriented tangent        the same
PD      :math:`\prod_i (\mu_i + 1) \sim \det(M + I)`             :math:`\mu_c + 1`, μ_c nearest −1
NS      the number of complex multipliers outside the unit     :math:`|\mu_c| - 1`, μ_c the
        circle and the number of all multipliers outside it  complex multiplier nearest
        change together by 2. (The bialternate-product test  the circle
        :math:`\prod_{i<j}(\mu_i\mu_j - 1)`, ``ns_sign``, also
        flips at neutral saddles, real μ_iμ_j = 1, where no
        multiplier crosses.)
BP      :math:`\det\begin{pmatrix}G_x & G_p\\ t^\top\end{pmatrix}`  :math:`\mu_c - 1`, μ_c nearest 1
======  =====================================================  ==============================

Signs are computed from unit-modulus factors so that large networks do not overflow. Location
runs the Illinois variant of regula falsi on the arclength coordinate ``s`` of the hyperplanes
:math:`t_i^\top (z - z_i) = s` between the two points, re-correcting on the branch at each trial,
and falls back to bisection on the detection sign when the smooth function does not bracket.

References
----------
.. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., Springer, 2004,
   §10.2 (test functions, bialternate products) and §10.4 (maps).
.. [2] W. Govaerts, *Numerical Methods for Bifurcations of Dynamical Equilibria*, SIAM, 2000.
.. [3] M. Dowell and P. Jarratt, "A modified regula falsi method for computing the root of an
   equation", BIT 11 (1971) 168–174 (the Illinois method).
"""
from __future__ import annotations

import cmath
import math

import numpy as np

from ..normal_forms import coefficient_for_bifurcation
from ..special_points import Bifurcation, BifurcationKind
from ..stability import sort_eigenvalues
from .critical import (
    critical_multiplier,
    crossing_pair,
    interpolated_shift,
    inverse_iteration,
    psi_of,
)
from .engine import CorrectorSettings, bordered_tangent, correct

__all__ = ["pd_sign", "ns_sign", "detect_and_locate", "locate_on_segment"]

_COMPLEX_TOL = 1e-9


def _product_sign(factors: np.ndarray) -> float:
    """Sign of the real number Π factors (conjugate-closed), without overflow."""
    mod = np.abs(factors)
    if np.any(mod == 0):
        return 0.0
    phase = np.prod(factors / mod)
    return float(np.sign(phase.real))


def pd_sign(mu: np.ndarray) -> float:
    """sign Π(μ_i + 1) = sign det(M + I): changes when a real multiplier crosses −1."""
    return _product_sign(mu + 1.0)


def ns_sign(mu: np.ndarray) -> float:
    """sign Π_{i<j}(μ_iμ_j − 1): changes when μ_iμ_j crosses 1 (NS or a neutral saddle)."""
    n = mu.shape[0]
    if n < 2:
        return 1.0
    iu = _TRIU.get(n)
    if iu is None:
        iu = _TRIU[n] = np.triu_indices(n, 1)
    return _product_sign((mu[:, None] * mu[None, :])[iu] - 1.0)


_TRIU: dict = {}


def multiplier_signs(mu: np.ndarray) -> tuple[float, float, int, int]:
    """(pd_sign, ns_sign, n_unstable, n_complex_unstable) at one point."""
    n = mu.shape[0]
    if n == 1:
        m = mu[0]
        return (float(np.sign(m.real + 1.0)), 1.0, int(abs(m) > 1.0), 0)
    if n == 2:
        # plain Python complex arithmetic: numpy's per-call overhead would dominate
        a, b = mu.tolist()
        pd = _sign(((a + 1.0) * (b + 1.0)).real)
        ns = _sign((a * b - 1.0).real)
        out_a, out_b = abs(a) > 1.0, abs(b) > 1.0
        cplx_a = abs(a.imag) > _COMPLEX_TOL * max(1.0, abs(a))
        cplx_b = abs(b.imag) > _COMPLEX_TOL * max(1.0, abs(b))
        return (pd, ns, int(out_a) + int(out_b),
                int(out_a and cplx_a) + int(out_b and cplx_b))
    else:
        pd = pd_sign(mu)
        ns = ns_sign(mu)
    modulus = np.abs(mu)
    unstable = modulus > 1.0
    return (pd, ns, int(np.count_nonzero(unstable)),
            int(np.count_nonzero(unstable & _is_complex(mu))))


def _sign(value: float) -> float:
    return 1.0 if value > 0 else (-1.0 if value < 0 else (0.0 if value == 0 else value))


def _is_complex(mu):
    return np.abs(mu.imag) > _COMPLEX_TOL * np.maximum(1.0, np.abs(mu))


def _psi_eigen(kind: BifurcationKind, mu: np.ndarray) -> float:
    if kind == BifurcationKind.PD:
        return float(mu[np.argmin(np.abs(mu + 1.0))].real + 1.0)
    if kind == BifurcationKind.BP:
        return float(mu[np.argmin(np.abs(mu - 1.0))].real - 1.0)
    cplx = mu[_is_complex(mu)]
    if cplx.size == 0:
        return math.nan
    return float(np.abs(cplx[np.argmin(np.abs(np.abs(cplx) - 1.0))]) - 1.0)


def _sign_test(kind, evaluation, mu, row):
    """The detection sign at a corrected point (used by the bisection fallback)."""
    if kind == BifurcationKind.LP:
        return float(np.sign(bordered_tangent(evaluation.jacobian, row)[0][-1]))
    if kind == BifurcationKind.BP:
        return bordered_tangent(evaluation.jacobian, row)[1]
    if kind == BifurcationKind.PD:
        return pd_sign(mu)
    return float(multiplier_signs(mu)[3])   # NS: complex multipliers outside the circle


def _psi(kind, evaluation, mu, row):
    if kind == BifurcationKind.LP:
        return float(bordered_tangent(evaluation.jacobian, row)[0][-1])
    return _psi_eigen(kind, mu)


def locate_on_segment(problem, kind: BifurcationKind, z_a: np.ndarray, t_a: np.ndarray,
                      z_b: np.ndarray, opts):
    """Locate a ``kind`` point on the arc between branch points ``z_a`` and ``z_b``.

    ``problem`` is a :class:`~dynrnn.analysis.continuation.branch.FixedPointProblem` (any
    engine problem whose evaluations carry ``jacobian`` and ``monodromy``); ``opts`` a
    :class:`~dynrnn.analysis.continuation.ContinuationOptions`. Returns ``(z, mu, psi,
    s_fraction, n_iter, located)`` where ``s_fraction`` in [0, 1] is the position along the
    hyperplane coordinate.

    For PD and NS on a problem that tracks its leading multipliers (a large network), the
    trial points between the ends get only the critical multiplier, by inverse iteration
    (``dynrnn.analysis.continuation.critical``), and the located point a full decomposition;
    where that decomposition's test function does not agree with the tracked one, or is not
    zero, location is rerun with full decompositions at every trial point.
    """
    max_iter = max(opts.max_newton_iter, 20)
    tight = CorrectorSettings(min(opts.newton_tol, 1e-12), max_iter, relative=True,
                              divergence_factor=2.0)
    loose = CorrectorSettings(opts.newton_tol, max_iter, relative=True, divergence_factor=2.0)
    s_hi = float(t_a @ (z_b - z_a))
    cache: dict[float, tuple] = {}
    known: dict[float, complex] = {}     # the critical multiplier where it is known
    cheap = [kind in (BifurcationKind.PD, BifurcationKind.NS)
             and getattr(problem, "leading", None) is not None]

    def at(s):
        if s in cache:
            return cache[s]
        if s == 0.0:
            z, data = z_a, problem.evaluate(z_a, None)
            ok = True
        elif s == s_hi:
            z, data = z_b, problem.evaluate(z_b, None)
            ok = True
        else:
            corr = correct(problem, z_a + s * t_a, t_a, tight)
            if not corr.ok:  # a looser tolerance is still far better than the bracket
                corr = correct(problem, z_a + s * t_a, t_a, loose)
            ok, z, data = corr.ok, corr.z, corr.evaluation
        if not ok:
            cache[s] = None
            return None
        value = shift = None
        if cheap[0] and s not in (0.0, s_hi) and known:
            shift = interpolated_shift(known, s)
            value = inverse_iteration(data.monodromy, shift)
        if value is not None:
            out = (z, data, None, psi_of(kind, value))
        else:
            mu = np.linalg.eigvals(data.monodromy)
            out = (z, data, mu, _psi(kind, data, mu, t_a))
            if matched[0] and shift is not None:    # follow the matched multiplier
                value = complex(mu[np.argmin(np.abs(mu - shift))])
                out = (z, data, mu, psi_of(kind, value))
            elif cheap[0]:
                value = critical_multiplier(kind, mu)
        if value is not None and cmath.isfinite(value):
            known[s] = value
        cache[s] = out
        return out

    matched = [False]
    ra, rb = at(0.0), at(s_hi)
    fa, fb = ra[3], rb[3]
    if cheap[0] and not (math.isfinite(fa) and math.isfinite(fb) and fa * fb < 0):
        # the multiplier nearest the circle (or −1) differs at the two ends: follow the one
        # that crossed instead of bisecting on the detection sign with full decompositions
        pair = crossing_pair(kind, ra[2], rb[2])
        if pair is not None:
            matched[0] = True
            known.clear()
            known[0.0], known[s_hi] = pair
            ra = ra[:3] + (psi_of(kind, pair[0]),)
            rb = rb[:3] + (psi_of(kind, pair[1]),)
    if cheap[0] and math.isfinite(ra[3]) and math.isfinite(rb[3]) and ra[3] * rb[3] < 0:
        result = _regula_falsi(at, ra, rb, s_hi, opts)
        z, data, mu, psi = result[0]
        if mu is None:              # the located point gets all its multipliers
            mu = np.linalg.eigvals(data.monodromy)
        full_psi = _psi(kind, data, mu, t_a)
        # accepted only where a multiplier lies on the circle (on −1), and it is the one
        # followed: otherwise inverse iteration may have jumped between close multipliers
        if abs(full_psi) <= 1e-8 and abs(full_psi - psi) <= 1e-9 * (1.0 + abs(full_psi)):
            return z, mu, full_psi, result[1] / s_hi if s_hi else 0.0, result[2], True
    ra, rb = at(0.0), at(s_hi)      # the cached ends, with their own test function
    matched[0] = False
    if cheap[0]:                    # the tracked test function is not trusted: start again
        cheap[0] = False
        for key in [key for key in cache if key not in (0.0, s_hi)]:
            del cache[key]
    fa, fb = ra[3], rb[3]
    if math.isfinite(fa) and math.isfinite(fb) and fa * fb < 0:
        (z, data, mu, psi), best_s, n_iter = _regula_falsi(at, ra, rb, s_hi, opts)
        return z, mu, psi, best_s / s_hi if s_hi else 0.0, n_iter, True
    # bisection on the detection sign
    n_iter = 0
    ga = _sign_test(kind, ra[1], ra[2], t_a)
    a, b = 0.0, s_hi
    best, best_s = ra, 0.0
    while n_iter < opts.max_locate_iter and abs(b - a) > opts.locate_tol:
        n_iter += 1
        c = 0.5 * (a + b)
        rc = at(c)
        if rc is None:
            break
        gc = _sign_test(kind, rc[1], rc[2], t_a)
        best, best_s = rc, c
        if gc == ga:
            a = c
        else:
            b = c
    z, data, mu, psi = best
    return z, mu, psi, best_s / s_hi if s_hi else 0.0, n_iter, abs(b - a) <= opts.locate_tol


def _regula_falsi(at, ra, rb, s_hi, opts):
    """The Illinois iteration on the smooth test function ``at(s)[3]`` over [0, s_hi], whose
    ends ``ra``, ``rb`` bracket a zero: (best evaluation, its s, iterations)."""
    a, b = 0.0, s_hi
    fa, fb = ra[3], rb[3]
    n_iter = 0
    c_prev = None
    best = ra if abs(fa) < abs(fb) else rb
    best_s = a if best is ra else b
    while n_iter < opts.max_locate_iter:
        n_iter += 1
        c = b - fb * (b - a) / (fb - fa)
        if not (min(a, b) < c < max(a, b)):
            c = 0.5 * (a + b)
        rc = at(c)
        if rc is None or not math.isfinite(rc[3]):
            break
        fc = rc[3]
        best, best_s = rc, c
        if fc == 0.0 or abs(b - a) < opts.locate_tol or (
                c_prev is not None and abs(c - c_prev) < opts.locate_tol):
            break
        c_prev = c
        if fc * fb < 0:
            a, fa = b, fb
            b, fb = c, fc
        else:
            fa *= 0.5
            b, fb = c, fc
    return best, best_s, n_iter


def detect_segments(tp, det_sign, signs):
    """Indices i of segments (i, i+1) with a sign change, and the kinds detected there.

    ``tp`` (m,) tangent p-components, ``det_sign`` (m,), ``signs`` (m, 4) from
    :func:`multiplier_signs`.
    """
    kinds = {}
    lp = np.flatnonzero(tp[:-1] * tp[1:] < 0)
    bp = np.flatnonzero(det_sign[:-1] * det_sign[1:] < 0)
    pd = np.flatnonzero(signs[:-1, 0] * signs[1:, 0] < 0)
    d_unstable = np.diff(signs[:, 2])
    d_complex = np.diff(signs[:, 3])
    # A complex pair crossed the circle: the count of complex multipliers outside it and the
    # count of all multipliers outside it change together by 2. A neutral saddle (real
    # μ_iμ_j = 1) flips the sign of the bialternate test but changes neither count, and a
    # collision of a pair on the real axis changes only the first. Counting rather than the
    # sign also keeps an NS that shares a segment with a neutral saddle.
    ns = np.flatnonzero((np.abs(d_complex) == 2) & (d_complex == d_unstable))
    for kind, idx in ((BifurcationKind.LP, lp), (BifurcationKind.BP, bp),
                      (BifurcationKind.PD, pd), (BifurcationKind.NS, ns)):
        for i in idx:
            kinds.setdefault(int(i), []).append(kind)
    return dict(sorted(kinds.items()))


def _critical_vectors(problem, kind: BifurcationKind, z: np.ndarray) -> dict:
    """Right and left eigenvectors of the critical multiplier (unit norm; for NS the one with
    positive imaginary part), and ∂F^k/∂p: what two-parameter continuation borders with."""
    ev = problem.evaluate(z, None)
    gp, M = ev.jacobian[:, -1], ev.monodromy
    mu, right = np.linalg.eig(M)
    mu_l, left = np.linalg.eig(M.T)
    if kind == BifurcationKind.PD:
        target = -1.0
    elif kind == BifurcationKind.NS:
        cplx = np.flatnonzero(_is_complex(mu) & (mu.imag > 0))
        j = cplx[np.argmin(np.abs(np.abs(mu[cplx]) - 1.0))] if cplx.size else \
            int(np.argmin(np.abs(np.abs(mu) - 1.0)))
        target = mu[j]
    else:
        target = 1.0
    j = int(np.argmin(np.abs(mu - target)))
    k = int(np.argmin(np.abs(mu_l - mu[j])))
    v = right[:, j] / np.linalg.norm(right[:, j])
    w = left[:, k] / np.linalg.norm(left[:, k])
    if not np.iscomplexobj(mu) or abs(mu[j].imag) == 0:
        v, w = v.real.copy(), w.real.copy()
    return {"multiplier": complex(mu[j]), "eigenvector": v, "left_eigenvector": w,
            "param_derivative": np.asarray(gp, dtype=float).copy()}


def detect_and_locate(problem, Z, T, mu, det_sign, signs, arclength, opts, skip_segments=()):
    """Scan every segment of a branch for sign changes and locate each special point."""
    n = problem.n
    out = []
    name = getattr(problem.family, "name", "p")
    for i, kinds in detect_segments(T[:, n], det_sign, signs).items():
        if i in skip_segments:
            continue
        for kind in kinds:
            z, mu_c, psi, frac, n_iter, located = locate_on_segment(problem, kind, Z[i], T[i],
                                                                    Z[i + 1], opts)
            mu_c = sort_eigenvalues(mu_c)
            angle = None
            if kind == BifurcationKind.NS:
                cplx = mu_c[_is_complex(mu_c)]
                if not cplx.size:
                    # the bialternate test also vanishes where two REAL multipliers have
                    # product 1 (a neutral saddle, or two multipliers crossing 1 together):
                    # no Neimark-Sacker point there
                    continue
                crit = cplx[np.argmin(np.abs(np.abs(cplx) - 1.0))]
                angle = float(abs(np.angle(crit)))
            s_star = arclength[i] + frac * (arclength[i + 1] - arclength[i])
            extra = {"arclength": float(s_star),
                     "arclength_bracket": (float(arclength[i]), float(arclength[i + 1])),
                     "n_iter": int(n_iter), "located": bool(located)}
            extra.update(_critical_vectors(problem, kind, z))
            # the normal-form coefficient (soft or hard crossing): a new module, one call here
            coefficient, criticality = coefficient_for_bifurcation(
                problem.map_at(float(z[n]))[0], z[:n], kind, problem.period, problem.u)
            out.append(Bifurcation(
                kind=kind, param=float(z[n]), x=z[:n].copy(), eigenvalues=mu_c,
                bracket=(float(Z[i, n]), float(Z[i + 1, n])), param_name=name,
                period=problem.period, angle=angle, index=i, test_value=float(psi),
                extra=extra, coefficient=coefficient, criticality=criticality))
    return out
