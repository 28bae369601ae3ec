"""Module-level (picklable) functions swept by tests/test_sweeps.py, also in child processes."""
from __future__ import annotations

import os
import time

import numpy as np

_CALLS: dict[float, int] = {}


def polynomial(x: float, y: float, power: int = 2) -> dict[str, float]:
    """Two outputs with known values at every point."""
    return {"sum": x + y, "power": x ** power - y}


def moments(x: float) -> np.ndarray:
    """An array output of shape (3,)."""
    return np.array([x, x ** 2, x ** 3])


def slow_square(i: int) -> float:
    """i², after sleeping SWEEP_TEST_DELAY seconds (set in a child process only, so that a rerun
    of the same sweep in the test process is fast)."""
    time.sleep(float(os.environ.get("SWEEP_TEST_DELAY", "0")))
    return float(i * i)


def fails_at(x: float, bad: float = 2.0) -> float:
    if x == bad:
        raise ValueError(f"bad point x={x}")
    return 10.0 * x


def interrupt_from(x: float, at: float = 3.0) -> float:
    """Ctrl-C as every worker sees it: all points from ``at`` on are interrupted."""
    if x >= at:
        raise KeyboardInterrupt
    return x + 0.5


def interrupt_at(x: float, at: float = 3.0) -> float:
    if x == at:
        raise KeyboardInterrupt
    return x + 0.5


def flaky(x: float) -> float:
    """Fails the first time it is called for each x in a process, then succeeds."""
    _CALLS[x] = _CALLS.get(x, 0) + 1
    if _CALLS[x] == 1:
        raise RuntimeError("transient")
    return -x


def other_function(x: float, y: float, power: int = 2) -> dict[str, float]:
    return {"sum": x - y, "power": 0.0}


def labelled(x: float, label: str, bad: float = 2.0) -> float:
    if x == bad:
        raise ValueError(f"bad point x={x}")
    return x * len(label)


def crash_at(x: float, at: float = 2.0, delay: float = 0.05) -> float:
    """Kills its worker process at x == at (as a segfault in an extension would)."""
    import os
    if x == at:
        os._exit(3)
    time.sleep(delay)
    return x
