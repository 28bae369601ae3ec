r"""Lyapunov exponents of a recurrent map by the QR (Gram–Schmidt) method.

.. math::

    J(x_{t-1}) Q_{t-1} = Q_t R_t, \qquad
    \lambda_i = \lim_{T\to\infty} \frac1T \sum_{t=1}^{T} \log |(R_t)_{ii}|

Q_t carries an orthonormal frame along the orbit; re-orthonormalising every step keeps the
frame from collapsing onto the leading direction, and the logarithms of the diagonal of R give
the growth rates of nested volumes (Benettin et al. 1980; Eckmann & Ruelle 1985, §V.B).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from .._checks import check_count
from .._signature_checks import checked_arguments
from .._tables import TableSpec, Tabular, compact_repr
from .._threads import _limit, get_blas_threads
from ..errors import InvalidInputError, ShapeError
from ..model._jit import AUTO_MAX_STATES, call_compiled, check_backend, compiled_for, input_rows
from ..model.base import RecurrentMap, as_finite_array, as_map, as_state

__all__ = ["lyapunov_spectrum", "LyapunovResult", "LyapunovStatus"]


class LyapunovStatus(str, enum.Enum):
    """Outcome of a Lyapunov-spectrum computation; the value is the message."""

    COMPLETED = "the spectrum was averaged over all n_steps steps"
    DIVERGED = ("the orbit overflowed to inf/NaN (an unbounded map?): the exponents are averaged "
                "over the steps before that; start from a bounded orbit")

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, eq=False)
class LyapunovResult(Tabular):
    """Lyapunov exponents of a map along one or several orbits.

    Attributes
    ----------
    exponents : ndarray, shape (n_exponents,) or (n_orbits, n_exponents)
        Sorted in decreasing order; one row per initial state when ``x0`` was a batch.
    history : ndarray, shape (n_records, n_exponents) or (n_records, n_orbits, n_exponents)
        The running estimates after each of ``history_steps``.
    history_steps : ndarray, shape (n_records,)
        Number of averaged steps at each record.
    x_final : ndarray, shape (n_states,) or (n_orbits, n_states)
    n_steps : int
        Steps averaged (after the transient).
    n_transient : int
    success : bool
    status : LyapunovStatus
    n_iter : int
        Same as ``n_steps`` (the number of QR steps).
    """

    _table_spec = TableSpec(columns=("step=history_steps", "exponents=history"))


    exponents: np.ndarray
    history: np.ndarray
    history_steps: np.ndarray
    x_final: np.ndarray
    n_steps: int
    n_transient: int
    success: bool
    status: LyapunovStatus
    n_iter: int

    __repr__ = compact_repr

    @property
    def largest(self) -> np.ndarray | float:
        """The leading exponent (per orbit)."""
        out = self.exponents[..., 0]
        return float(out) if np.ndim(out) == 0 else out


def _reorthonormalise(J: np.ndarray, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One Benettin step on a batch of frames: J Q = Q' R, returning Q' and diag(R).

    Columns are flipped so diag(R) > 0, which keeps the frame's orientation continuous.
    """
    Q, R = np.linalg.qr(J @ Q)
    d = np.diagonal(R, axis1=-2, axis2=-1)
    sign = np.where(d < 0, -1.0, 1.0)
    return Q * sign[:, None, :], d


@checked_arguments
def lyapunov_spectrum(system: RecurrentMap, x0, n_steps: int, n_transient: int = 100,
                      u=None, *, n_exponents: int | None = None, record_every: int = 100,
                      param: str | None = None, values=None, backend: str = "auto",
                      progress: bool = False) -> LyapunovResult:
    r"""The Lyapunov spectrum of a map along the orbit of ``x0`` (QR method).

    Parameters
    ----------
    system : RecurrentMap
    x0 : array_like, shape (n_states,) or (n_orbits, n_states)
        Initial state(s); a batch is processed in parallel, one spectrum per orbit.
    n_steps : int
        Steps averaged, after the transient.
    n_transient : int
        Steps iterated first (state and frame) and not averaged, so the orbit settles on its
        attractor and the frame aligns.
    u : array_like, shape (n_inputs,), optional
        The constant input.
    n_exponents : int, optional
        How many leading exponents (default all n_states).
    record_every : int
        Store the running estimate every this many steps (``history``).
    param : str, optional
        With ``values``: an ensemble over this parameter, one orbit per value (a Lyapunov
        sweep in one call).
    values : array_like, shape (n_values,), optional
        The values of ``param``; ``x0`` is then one state (used for every value) or one per
        value, shape ``(n_values, n_states)``, and the result has one row per value.
    backend : {"auto", "numba", "numpy"}
        ``"auto"`` runs the QR loop compiled by numba when the map has a compiled kernel
        (:meth:`~dynrnn.RecurrentMap.compiled_kernel`: RNN, ElmanRNN, PLRNN, one-layer GRU and
        LSTM cells, sympy maps), has at most 32 states (beyond, LAPACK's QR is as fast) and
        numba imports, else in numpy; ``"numpy"`` forces the generic path (the same orbit, the
        exponents equal to rounding); ``"numba"`` requires a kernel.
    progress : bool
        Show a tqdm bar (numpy path; the compiled loop runs in one call).

    Returns
    -------
    LyapunovResult
        ``exponents`` sorted in decreasing order.

    References
    ----------
    G. Benettin, L. Galgani, A. Giorgilli, J.-M. Strelcyn, "Lyapunov characteristic exponents for
    smooth dynamical systems and for Hamiltonian systems", Meccanica 15 (1980) 9–30.
    J.-P. Eckmann, D. Ruelle, "Ergodic theory of chaos and strange attractors", Rev. Mod. Phys.
    57 (1985) 617–656.

    Examples
    --------
    For a linear map the exponents are log|eigenvalues|:

    >>> import numpy as np, dynrnn as dr
    >>> net = dr.RNN(np.diag([0.5, 0.25]), activation="identity")
    >>> np.round(dr.lyapunov_spectrum(net, [1.0, 1.0], 200).exponents, 6)
    array([-0.693147, -1.386294])
    """
    as_map(system)
    n_steps = check_count(n_steps, "n_steps", 1)
    n_transient = check_count(n_transient, "n_transient", 0)
    record_every = check_count(record_every, "record_every", 1)
    n = system.n_states
    k = n if n_exponents is None else check_count(n_exponents, "n_exponents", 1)
    if k > n:
        raise InvalidInputError(f"n_exponents must be <= n_states = {n}, got {k}",
                                argument="n_exponents", value=k)
    x = as_state(x0, n, "x0")
    single = x.ndim == 1
    if x.ndim > 2:
        raise InvalidInputError(f"x0 must have shape (n_states,) or (n_orbits, n_states), got "
                                f"{x.shape}", argument="x0", value=x.shape)
    if x.size == 0:
        raise ShapeError(f"x0 must hold at least one state, got shape {x.shape}",
                         argument="x0", expected=(n,), actual=x.shape)
    check_backend(backend)
    systems = _ensemble(system, param, values, x)
    if systems is not None:
        single = False
        x = np.broadcast_to(x, (len(systems), n))
    x = np.atleast_2d(x).copy()
    u = system.resolve_input(u)
    if u is not None and u.ndim != 1:
        raise InvalidInputError(f"u must be one input of shape ({system.n_inputs},), got "
                                f"{u.shape}", argument="u", value=u.shape)
    m = x.shape[0]
    Q = np.broadcast_to(np.eye(n)[:, :k], (m, n, k)).copy()
    compiled = compiled_for(systems if systems is not None else system, backend, "lyapunov")
    if compiled is not None:
        kernel, loops = compiled
        n_records = -(-n_steps // record_every)
        hist = np.zeros((n_records, m, k))
        pidx = (np.arange(m) if systems is not None else np.zeros(m)).astype(np.int64)
        frames = np.ascontiguousarray(Q.transpose(0, 2, 1))     # one frame vector per row
        returned = call_compiled(kernel, loops.lyapunov, x, input_rows(u, system.n_inputs),
                                 kernel.params, pidx, frames, n_transient, n_steps,
                                 record_every, hist)
        if returned is not None:
            sums, done, diverged = returned
            status = LyapunovStatus.DIVERGED if diverged else LyapunovStatus.COMPLETED
            n_kept = done // record_every + (1 if done == n_steps and done % record_every
                                             else 0)
            steps = [min((r + 1) * record_every, n_steps) for r in range(n_kept)]
            return _result(sums, done, hist[:n_kept], steps, x, single, n_transient, status)
    # the numpy path's QR is LAPACK: a large network uses the library's BLAS-thread setting
    with _limit(get_blas_threads() if n > AUTO_MAX_STATES["lyapunov"] else None):
        if systems is not None:
            return _ensemble_numpy(systems, x, u, Q, n_transient, n_steps, record_every,
                                   single)
        return _numpy_loop(system, x, u, Q, k, n_transient, n_steps, record_every, single,
                           progress)


class _Averages:
    """The numpy loops' bookkeeping: running sums of log|diag R| after the transient, the
    history recorded every ``record_every`` steps, and the status."""

    def __init__(self, m, k, n_transient, n_steps, record_every):
        self.sums = np.zeros((m, k))
        self.history: list = []
        self.steps: list = []
        self.status = LyapunovStatus.COMPLETED
        self.done = 0
        self.n_transient, self.n_steps, self.record_every = n_transient, n_steps, record_every

    def add(self, t, x, d) -> bool:
        """Account for step t (state x after it, diag R = d); False if the orbit diverged."""
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(d))):
            self.status = LyapunovStatus.DIVERGED
            return False
        if t >= self.n_transient:
            self.sums += np.log(np.abs(d))
            self.done += 1
            if self.done % self.record_every == 0 or self.done == self.n_steps:
                self.history.append(self.sums / self.done)
                self.steps.append(self.done)
        return True

    def result(self, x, single) -> LyapunovResult:
        m, k = self.sums.shape
        return _result(self.sums, self.done, np.array(self.history).reshape(-1, m, k),
                       self.steps, x, single, self.n_transient, self.status)


def _numpy_loop(system, x, u, Q, k, n_transient, n_steps, record_every, single, progress):
    m = x.shape[0]
    averages = _Averages(m, k, n_transient, n_steps, record_every)
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=n_transient + n_steps, desc="Lyapunov", unit="step", leave=False)
    try:
        with np.errstate(all="ignore"):
            for t in range(n_transient + n_steps):
                J = system.jacobian_unchecked(x, u)
                x = system.step_unchecked(x, u)
                if k == 1 and m == 1:
                    # one tangent vector of one orbit: QR is a normalisation (R = |v| > 0), done
                    # on plain vectors; a vector annihilated by J (|v| = 0, e.g. saturated
                    # ReLUs) keeps its direction
                    v = J[0] @ Q[0, :, 0]
                    norm = float(np.sqrt(v @ v))
                    d = np.array([[norm]])
                    if norm > 0:
                        Q = (v / norm)[None, :, None]
                else:
                    Q, d = _reorthonormalise(J, Q)
                if not averages.add(t, x, d):
                    break
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return averages.result(x, single)


def _result(sums, done, history, steps, x, single, n_transient, status) -> LyapunovResult:
    exps = sums / max(done, 1)
    if status is LyapunovStatus.COMPLETED and not np.all(np.isfinite(exps)):
        # a stretching or contraction beyond float range (log of 0 or inf): not a result
        status = LyapunovStatus.DIVERGED
    # sort each row in decreasing order (the QR order is decreasing only asymptotically)
    order = np.argsort(-exps, axis=1)
    exps = np.take_along_axis(exps, order, axis=1)
    hist = -np.sort(-history, axis=-1)
    if single:
        exps, hist, xf = exps[0], hist[:, 0], x[0]
    else:
        xf = x
    return LyapunovResult(exponents=exps, history=hist, history_steps=np.array(steps, dtype=int),
                          x_final=xf, n_steps=done, n_transient=n_transient,
                          success=status is LyapunovStatus.COMPLETED, status=status, n_iter=done)


def _ensemble(system, param, values, x) -> list | None:
    """The maps of a parameter ensemble (one per value), or None without ``values``."""
    if param is None and values is None:
        return None
    if param is None or values is None:
        raise InvalidInputError("param and values go together: give both for an ensemble over "
                                "a parameter, or neither", argument="values", value=values)
    name = system.check_param_names(param, argument="param")[0]
    values = as_finite_array(values, "values")
    if values.ndim != 1 or values.size == 0:
        raise ShapeError(f"values must have shape (n_values,), got {values.shape}",
                         argument="values", expected=("n_values",), actual=values.shape)
    if x.ndim == 2 and x.shape[0] != values.size:
        raise ShapeError(f"x0 must be one state or one per value, shape ({values.size}, "
                         f"{system.n_states}), got {x.shape}", argument="x0",
                         expected=(values.size, system.n_states), actual=x.shape)
    return [system.replace_params({name: float(v)}) for v in values]


def _ensemble_numpy(systems, x, u, Q, n_transient, n_steps, record_every, single):
    """The numpy QR loop over an ensemble of maps, one orbit each (the uncompiled path)."""
    m, n, k = Q.shape
    averages = _Averages(m, k, n_transient, n_steps, record_every)
    with np.errstate(all="ignore"):
        for t in range(n_transient + n_steps):
            J = np.stack([s.jacobian_unchecked(x[i], u) for i, s in enumerate(systems)])
            x = np.stack([s.step_unchecked(x[i], u) for i, s in enumerate(systems)])
            Q, d = _reorthonormalise(J, Q)
            if not averages.add(t, x, d):
                break
    return averages.result(x, single)
