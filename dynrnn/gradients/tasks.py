r"""The synthetic long-term-dependency tasks of Pascanu et al. (2013), §4 (from Hochreiter and
Schmidhuber 1997), as seeded batch generators with their success criteria.

Every generator returns a :class:`Batch` of time-major arrays: inputs (T, B, n_inputs) and targets
at the last step (``where="last"``) or at masked steps (``where="all"`` with ``mask``), ready for
:func:`dynrnn.bptt`. A classification sequence is an error when the argmax of the output at a
scored step is wrong (for memorisation, at any of the pattern's steps); a regression sequence when
its squared error exceeds 0.04. A task counts as solved below 1 % errors.

References
----------
S. Hochreiter, J. Schmidhuber, "Long short-term memory", Neural Computation 9 (1997), §5.
Pascanu, Mikolov, Bengio (2013), §4.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .._signature_checks import checked_arguments
from ..errors import InvalidInputError, UnknownParameterError

__all__ = ["Batch", "Task", "TASKS", "get_task", "error_rate"]


@dataclass(frozen=True)
class Batch:
    """One batch of sequences.

    Attributes
    ----------
    inputs : ndarray, shape (T, B, n_inputs)
    targets : ndarray
        Class labels (B,) or (T, B) for classification, values (B, k) for regression.
    where : {"last", "all"}
    mask : ndarray, shape (T, B), or None
    loss : {"cross_entropy", "mse"}
    """

    inputs: np.ndarray
    targets: np.ndarray
    where: str
    mask: np.ndarray | None
    loss: str

    @property
    def batch_size(self) -> int:
        return self.inputs.shape[1]

    @property
    def length(self) -> int:
        return self.inputs.shape[0]


@dataclass(frozen=True)
class Task:
    """A task: its name, sizes, kind and generator ``sample(batch_size, length, rng) -> Batch``."""

    name: str
    n_inputs: int
    n_outputs: int
    kind: Literal["classification", "regression"]
    generator: Callable[[int, int, np.random.Generator], Batch]
    min_length: int = 10

    def sample(self, batch_size: int, length: int | tuple[int, int], seed=None) -> Batch:
        """A batch; ``length`` an int or a (low, high) range drawn once per batch.

        A range gives mixed lengths across batches, one length within a batch.
        """
        rng = np.random.default_rng(seed)
        if isinstance(length, tuple):
            lo, hi = length
            length = int(rng.integers(lo, hi + 1))
        length = int(length)
        if length < self.min_length:
            raise InvalidInputError(f"length must be >= {self.min_length} for {self.name}, got "
                                    f"{length}", argument="length", value=length)
        if int(batch_size) < 1:
            raise InvalidInputError(f"batch_size must be >= 1, got {batch_size}",
                                    argument="batch_size", value=batch_size)
        return self.generator(int(batch_size), length, rng)


def _positions(rng, B, L, lo, hi):
    a, b = int(np.floor(lo * L)), max(int(np.floor(hi * L)), int(np.floor(lo * L)) + 1)
    return rng.integers(a, b, B)


def _temporal_order(n_markers):
    fractions = {2: [(0.1, 0.2), (0.5, 0.6)], 3: [(0.1, 0.2), (0.3, 0.4), (0.6, 0.7)]}[n_markers]

    def gen(B, L, rng):
        # Symbols: 0 = A, 1 = B, 2..5 = distractors c, d, e, f.
        seq = rng.integers(2, 6, (L, B))
        label = np.zeros(B, dtype=np.int64)
        cols = np.arange(B)
        for lo, hi in fractions:
            pos = _positions(rng, B, L, lo, hi)
            sym = rng.integers(0, 2, B)
            seq[pos, cols] = sym
            label = 2 * label + sym
        return Batch(np.eye(6)[seq], label, "last", None, "cross_entropy")
    return gen


def _arithmetic(op):
    def gen(B, L, rng):
        values = rng.random((L, B))
        marker = np.zeros((L, B))
        cols = np.arange(B)
        p1 = _positions(rng, B, L, 0.0, 0.1)
        p2 = _positions(rng, B, L, 0.1, 0.5)
        marker[p1, cols] = 1.0
        marker[p2, cols] = 1.0
        v1, v2 = values[p1, cols], values[p2, cols]
        target = (v1 + v2) / 2.0 if op == "add" else v1 * v2
        return Batch(np.stack([values, marker], axis=-1), target[:, None], "last", None, "mse")
    return gen


def _permutation(B, L, rng):
    seq = rng.integers(2, 100, (L, B))
    first = rng.integers(0, 2, B)
    seq[0] = first
    return Batch(np.eye(100)[seq], first.astype(np.int64), "last", None, "cross_entropy")


def _memorisation(B, L, rng, pattern_length=10, n_values=5):
    # Channels: 0..4 the pattern's values, 5 blank, 6 trigger. The pattern occupies the first
    # 10 steps, then L blanks, the trigger, and 10 more blank steps during which the pattern is
    # reproduced: T = 10 + L + 1 + 10.
    T = pattern_length + L + 1 + pattern_length
    pattern = rng.integers(0, n_values, (pattern_length, B))
    seq = np.full((T, B), n_values)
    seq[:pattern_length] = pattern
    seq[pattern_length + L] = n_values + 1
    targets = np.zeros((T, B), dtype=np.int64)
    targets[T - pattern_length:] = pattern
    mask = np.zeros((T, B))
    mask[T - pattern_length:] = 1.0
    return Batch(np.eye(n_values + 2)[seq], targets, "all", mask, "cross_entropy")


TASKS: dict[str, Task] = {
    "temporal_order": Task("temporal_order", 6, 4, "classification", _temporal_order(2)),
    "temporal_order_3bit": Task("temporal_order_3bit", 6, 8, "classification", _temporal_order(3)),
    "addition": Task("addition", 2, 1, "regression", _arithmetic("add")),
    "multiplication": Task("multiplication", 2, 1, "regression", _arithmetic("mul")),
    "random_permutation": Task("random_permutation", 100, 100, "classification", _permutation,
                               min_length=2),
    "memorisation": Task("memorisation", 7, 5, "classification", _memorisation, min_length=1),
}
_ALIASES = {"temporal-order": "temporal_order", "3bit": "temporal_order_3bit",
            "3-bit temporal order": "temporal_order_3bit", "permutation": "random_permutation",
            "memorization": "memorisation", "noiseless_memorisation": "memorisation",
            "add": "addition", "mul": "multiplication"}


@checked_arguments
def get_task(name: str | Task) -> Task:
    """The task named ``name`` (one of :data:`TASKS`, or a :class:`Task` itself)."""
    if isinstance(name, Task):
        return name
    key = _ALIASES.get(str(name).lower(), str(name).lower())
    if key not in TASKS:
        raise UnknownParameterError(f"unknown task {name!r}; valid: {', '.join(TASKS)}",
                                    argument="task", value=name, valid=tuple(TASKS))
    return TASKS[key]


def error_rate(task: Task | str, batch: Batch, outputs: np.ndarray) -> float:
    """Fraction of sequences of ``batch`` counted as errors, given the network's outputs.

    Parameters
    ----------
    outputs : ndarray, shape (T_sel, B, k)
        ``BPTTResult.outputs`` (the readout at the scored steps).
    """
    task = get_task(task)
    Y = np.asarray(outputs)
    if task.kind == "regression":
        err = np.sum((Y[-1] - batch.targets) ** 2, axis=-1) > 0.04
        return float(err.mean())
    pred = Y.argmax(axis=-1)
    if batch.where == "last":
        return float(np.mean(pred[-1] != batch.targets))
    wrong = pred != batch.targets
    if batch.mask is not None:
        wrong &= batch.mask > 0
    return float(np.mean(wrong.any(axis=0)))
