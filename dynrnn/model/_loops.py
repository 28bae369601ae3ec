r"""The sequential loops compiled by :mod:`dynrnn.model._jit`: trajectories and the Benettin QR
loop of the Lyapunov spectrum, written once as plain Python.

They call two global kernels, bound by :mod:`dynrnn.model._jit` before compilation:
``_step_kernel(x, u, params, j, out)`` and
``_step_jacobian_kernel(x, u, params, j, out, J, scratch)`` (F and ∂F/∂x at once, so a kernel
can share the activations between them, in ``scratch`` of length 2 n). Here ``x`` is one state
row, ``u`` one input row and ``j`` the parameter set of an ensemble.

The Lyapunov step :math:`J Q = Q' R` costs :math:`n^2 k` multiply-adds for the tangent product
and about :math:`n k^2` for the QR (k frame vectors of n states). For n ≲ 20 the time is set by
latency, not flops, so the loops are arranged for instruction-level parallelism: four rows of J
per pass in the product, right-looking modified Gram–Schmidt (each new direction is removed from
all later vectors, whose updates are independent), and the rare second pass classical (its dot
products are independent). The frames are stored one vector per row so every inner loop is
contiguous.
"""
from __future__ import annotations

import math

import numpy as np


def _step_kernel(x, u, params, j, out):          # pragma: no cover - bound by _jit
    raise NotImplementedError


def _step_jacobian_kernel(x, u, params, j, out, J, scratch):   # pragma: no cover - bound by _jit
    raise NotImplementedError


def _tangent_product(J, Q, V, before):
    """V[b] = J Q[b] for each frame vector (row) b of Q (k, n); ``before[b] = |V[b]|²``.
    Four rows of J per pass, so four independent dot products share each load of Q[b]."""
    k, n = Q.shape
    for b in range(k):
        q = Q[b]
        i = 0
        while i + 4 <= n:
            s0 = 0.0
            s1 = 0.0
            s2 = 0.0
            s3 = 0.0
            for col in range(n):
                qc = q[col]
                s0 += J[i, col] * qc
                s1 += J[i + 1, col] * qc
                s2 += J[i + 2, col] * qc
                s3 += J[i + 3, col] * qc
            V[b, i] = s0
            V[b, i + 1] = s1
            V[b, i + 2] = s2
            V[b, i + 3] = s3
            i += 4
        for row in range(i, n):
            s0 = 0.0
            for col in range(n):
                s0 += J[row, col] * q[col]
            V[b, row] = s0
        before[b] = _squared_norm(V[b])


def _squared_norm(v):
    s = 0.0
    for i in range(v.shape[0]):
        s += v[i] * v[i]
    return s


def _project_out(v, Q, a, coef):
    """v -= Σ_{b<a} (Q[b]·v) Q[b], classical Gram–Schmidt (the a dot products are independent);
    returns |v|²."""
    n = v.shape[0]
    for b in range(a):
        dot = 0.0
        for i in range(n):
            dot += Q[b, i] * v[i]
        coef[b] = dot
    for b in range(a):
        cb = coef[b]
        for i in range(n):
            v[i] -= cb * Q[b, i]
    return _squared_norm(v)


def _substitute(Q, a, coef):
    """Row a of the frame when J annihilated it (a singular Jacobian: saturated or inactive
    units): the previous frame vector (still in Q[a]) made orthogonal to the rows before, or
    else the first unit vector independent of them, so the frame stays orthonormal; the zero
    stays in R (log 0 = -inf), as in the numpy path for one exponent."""
    n = Q.shape[1]
    row = Q[a]
    for e in range(-1, n):
        if e >= 0:
            for i in range(n):
                row[i] = 1.0 if i == e else 0.0
        _project_out(row, Q, a, coef)
        s = _project_out(row, Q, a, coef)
        if s > 0.25:
            norm = math.sqrt(s)
            for i in range(n):
                row[i] /= norm
            return


def _orthonormalise(V, Q, r, before, coef):
    """Q R = Vᵀ for the k rows of V (k, n) by right-looking modified Gram–Schmidt, in place:
    Q's rows orthonormal, r = diag(R) > 0 (numpy's QR with the columns' signs flipped so that
    diag(R) > 0). A row is re-orthogonalised once when the projections cancelled more than
    three quarters of its squared norm ``before[a]`` (Kahan–Parlett's "twice is enough";
    Giraud et al. 2005). V is overwritten."""
    k, n = V.shape
    for a in range(k):
        v = V[a]
        s = _squared_norm(v)
        if a > 0 and s <= 0.25 * before[a]:
            s = _project_out(v, Q, a, coef)
        norm = math.sqrt(s)
        r[a] = norm
        if norm > 1e-290:
            inverse = 1.0 / norm
            for i in range(n):
                Q[a, i] = v[i] * inverse
        elif norm > 0.0:            # 1 / norm would overflow
            for i in range(n):
                Q[a, i] = v[i] / norm
        else:
            _substitute(Q, a, coef)
        # remove the new direction from the rows still to do (independent updates)
        for b in range(a + 1, k):
            dot = 0.0
            for i in range(n):
                dot += Q[a, i] * V[b, i]
            for i in range(n):
                V[b, i] -= dot * Q[a, i]


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


def _lyapunov_step(x, u, params, j, Q, work, r):
    """One Benettin step of one orbit in place: x ← F(x), Q ← Q' with J Q = Q' R; r = diag R.
    Returns whether x stayed finite."""
    n = x.shape[0]
    F, before, coef, J, V, scratch = work
    _step_jacobian_kernel(x, u, params, j, F, J, scratch)
    finite = True
    for a in range(n):
        x[a] = F[a]
        if not math.isfinite(F[a]):
            finite = False
    _tangent_product(J, Q, V, before)
    _orthonormalise(V, Q, r, before, coef)
    return finite


def _lyapunov_loop(x, u, params, pidx, Q, n_transient, n_steps, record_every, history):
    """The QR loop of lyapunov_spectrum, in place on x (M, n) and on the frames Q (M, k, n),
    one vector per row; fills history (n_records, M, k) and returns (sums, done, diverged)."""
    M, n = x.shape
    k = Q.shape[1]
    mu = u.shape[1]
    sums = np.zeros((M, k))
    logs = np.empty((M, k))
    work = (np.empty(n), np.empty(k), np.empty(k), np.empty((n, n)), np.empty((k, n)),
            np.empty(2 * n))
    r = np.empty(k)
    done = 0
    n_rec = 0
    until_record = record_every      # a countdown: an integer modulo per step costs more than
    diverged = False                 # the whole step of a 2-state map
    for t in range(n_transient + n_steps):
        for i in range(M):
            if not _lyapunov_step(x[i], u[0, i if mu > 1 else 0], params, pidx[i], Q[i],
                                  work, r):
                diverged = True
            for b in range(k):
                if not math.isfinite(r[b]):
                    diverged = True
                logs[i, b] = math.log(r[b]) if r[b] > 0.0 else -math.inf
        if diverged:
            break
        if t >= n_transient:
            done += 1
            until_record -= 1
            for i in range(M):
                for b in range(k):
                    sums[i, b] += logs[i, b]
            if until_record == 0 or done == n_steps:
                until_record = record_every
                for i in range(M):
                    for b in range(k):
                        history[n_rec, i, b] = sums[i, b] / done
                n_rec += 1
    return sums, done, diverged


#: the loops the drivers expose, and the helpers they call, in compilation order (callees
#: first): the QR's inner functions inlined into the two QR functions, which are compiled with
#: fastmath reassociation (vectorised dot products) and called; the step and the loops keep
#: IEEE order, so the orbit is numpy's bit for bit (a rounding difference in x would grow by
#: e^λ per step on a chaotic orbit; one in the frame Q does not feed back)
QR_INLINED = ("_squared_norm", "_project_out", "_substitute")
QR = ("_tangent_product", "_orthonormalise")
STEP = ("_lyapunov_step",)
LOOPS = ("_run_loop", "_iterate_loop", "_lyapunov_loop")
