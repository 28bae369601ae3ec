"""The contract every public call of dynrnn keeps, as one assertion the fuzz suites share.

A call either raises a dynrnn error (a :class:`dynrnn.DynrnnError`; an invalid-argument error
names its argument) or returns a result; a result that claims success holds no NaN, inf or
complex number outside the fields that document them. It never raises another exception type
and never hangs: each call runs under ``signal.alarm``.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
import enum
import signal
import traceback
import warnings
from pathlib import Path

import numpy as np

import dynrnn as dr

#: seconds a single fuzzed call may take (the baselines take milliseconds; the margin is for a
#: heavily loaded machine)
CALL_SECONDS = 60

NAN, INF = float("nan"), float("inf")

#: generated bad arguments, by kind (the fuzz suites draw from these)
BAD_VALUES: tuple[tuple[str, object], ...] = (
    ("None", None), ("text", "abc"), ("bytes", b"\x00"), ("object", object()),
    ("complex", 1 + 2j), ("nan", NAN), ("inf", INF), ("-inf", -INF), ("negative int", -1),
    ("zero", 0), ("huge int", 10 ** 12), ("huge float", 1e308), ("bool", True),
    ("negative float", -0.5), ("empty list", []), ("ragged list", [[1.0, 2.0], [3.0]]),
    ("complex array", np.array([1j, 2.0])), ("bool array", np.array([True, False])),
    ("object array", np.array([object(), 1.0], dtype=object)),
    ("string array", np.array(["a", "b"])), ("nan array", np.array([NAN, 1.0])),
    ("inf array", np.array([INF, -INF])), ("empty array", np.zeros((0,))),
    ("3-d array", np.zeros((2, 2, 2))), ("big array", np.ones((7, 5))),
    ("dict", {"no_such_name": 1.0}),
    ("missing file", Path(tempfile.gettempdir()) / f"dynrnn-fuzz-missing-{os.getpid()}" / "x.npz"),
    ("reversed interval", (1.0, -1.0)), ("nan interval", (NAN, 1.0)),
    ("unknown name", "no_such_name"), ("function", lambda *args, **kwargs: None),
)

#: Fields of successful results that may hold NaN/inf or complex numbers by design, with why.
DOCUMENTED_NONFINITE = {
    "samples",          # OrbitDiagram: diverged orbits are NaN (counted in n_diverged)
    "history",          # Lyapunov/Training: rows before the first record are NaN
    "omega",            # TrainingHistory: NaN where Ω was not recorded
    "error_rate",       # TrainingResult: NaN when no evaluation was asked for
    "loss", "grad_w", "grad_b",   # ErrorSurface: NaN where the orbit overflowed (documented)
    "ratios",           # OmegaResult: NaN where the ratio is masked
    "kappa",            # BifurcationCurve: NaN where the test function is undefined
    "param_steps", "param_history",
    "point_message", "data",   # SweepResult: a failed point's data is NaN, its status says so
    "norm", "scale",    # ClipResult of a non-finite gradient: the norm that was seen
    "residual_history",      # FixedPointResult: NaN after a start has converged
    "unexplained_fraction",  # GradientEvents: NaN when there is no spike to explain
    "lr", "input_mean",      # Recording: NaN without an optimiser / when no batch input was given
    "max_correction",   # BifurcationCurveOptions: inf means no limit (its default)
    "boundary_width",   # BasinsResult: NaN when no boundary was bisected (not yet documented
                        # in its docstring: reported to the basins owner)
}
#: fields (by a word in their path) that hold eigenvalues or multipliers, complex by nature
COMPLEX_FIELDS = ("eigen", "multiplier")


class CallTimeout(Exception):
    """A fuzzed call ran longer than CALL_SECONDS."""


@contextlib.contextmanager
def time_limit(seconds: float = CALL_SECONDS):
    def alarm(signum, frame):
        raise CallTimeout(f"the call took more than {seconds} s")
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _leaves(value, path: str, depth: int = 0):
    """(path, array) for the numeric leaves of a result (dataclasses, dicts, tuples)."""
    if depth > 6:
        return
    if isinstance(value, np.ndarray) and value.dtype.kind in "fc":
        yield path, value
    elif isinstance(value, (float, complex, np.floating, np.complexfloating)):
        yield path, np.asarray(value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            if field.name.startswith("_"):
                continue
            yield from _leaves(getattr(value, field.name), f"{path}.{field.name}", depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}[{key!r}]", depth + 1)
    elif isinstance(value, (tuple, list)) and len(value) < 200:
        for k, item in enumerate(value):
            yield from _leaves(item, f"{path}[{k}]", depth + 1)


def check_result(result, label: str) -> None:
    """A result that claims success has no undocumented NaN/inf/complex numbers."""
    if isinstance(result, enum.Enum) or not getattr(result, "success", True):
        return
    for path, arr in _leaves(result, "result"):
        names = [part.split("[")[0] for part in path.split(".")]
        if any(name in DOCUMENTED_NONFINITE for name in names):
            continue
        assert np.all(np.isfinite(arr)), f"{label}: successful result has NaN/inf at {path}"
        if arr.dtype.kind == "c" and not any(word in path for word in COMPLEX_FIELDS):
            assert not np.any(arr.imag != 0), f"{label}: successful result is complex at {path}"


def check_error(error: BaseException, label: str) -> None:
    """A raised error keeps the contract: a dynrnn error naming its argument, or a missing
    file named in the message."""
    if isinstance(error, FileNotFoundError) and not isinstance(error, dr.DynrnnError):
        assert str(error), label   # the library's documented missing-file error names the path
        return
    assert isinstance(error, dr.DynrnnError), (
        f"{label}: raised {type(error).__name__}: {error}\n"
        + "".join(traceback.format_exception(error)))
    assert str(error).strip(), f"{label}: {type(error).__name__} without a message"
    if isinstance(error, (dr.InvalidInputError, dr.InvalidTypeError)):
        assert getattr(error, "argument", None), (
            f"{label}: {type(error).__name__} does not name its argument: {error}")


def call_keeps_contract(call, label: str, seconds: float = CALL_SECONDS):
    """Run ``call()`` under the time limit and check the contract; return the result or the
    error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"), time_limit(seconds):
                result = call()
    except CallTimeout:
        raise AssertionError(f"{label}: no answer within {seconds} s (a hang)") from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:    # noqa: BLE001 - the contract is about every exception
        check_error(error, label)
        return error
    check_result(result, label)
    return result
