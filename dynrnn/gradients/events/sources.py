"""What the event analysis reads from its source: gradient norms, losses, x0 and θ_k as a map,
from a training history, a recording (object or directory) or an adapter with those members."""
from __future__ import annotations

import numpy as np

from ...errors import InvalidTypeError
from ..training import TrainingHistory, TrainingResult

_ADAPTER = ("grad_norm", "nonfinite", "loss", "n_steps", "x0", "has_params", "network_at")


class HistorySource:
    """What the analysis needs from a history: norms, losses, x0 and θ_k as a map."""

    def __init__(self, hist: TrainingHistory):
        self.hist = hist
        self.grad_norm, self.nonfinite, self.loss = hist.grad_norm, hist.nonfinite, hist.loss
        self.n_steps, self.x0 = hist.n_steps, np.asarray(hist.x0, dtype=np.float64)

    def has_params(self, step: int) -> bool:
        return self.hist.has_params(step)

    def network_at(self, step: int):
        return self.hist.network_at(step)[0]


def as_source(source, form: str = "elman"):
    """The adapter of ``source`` (see :func:`~dynrnn.gradients.find_gradient_events`)."""
    if isinstance(source, TrainingResult):
        return HistorySource(source.history)
    if isinstance(source, TrainingHistory):
        return HistorySource(source)
    if isinstance(source, str) or hasattr(source, "__fspath__"):
        from ..recording import load_recording
        source = load_recording(source)
    if hasattr(source, "event_source"):
        return source.event_source(form)
    if all(hasattr(source, a) for a in _ADAPTER):
        return source  # an adapter already
    raise InvalidTypeError(f"source must be a TrainingResult, TrainingHistory, a Recording or the "
                           f"path of a recording directory, got {type(source).__name__}",
                           argument="source", value=source)


def segments(k: int, window: int, n_steps: int) -> list[tuple[int, int]]:
    """Segments θ_j → θ_{j+1} for j = k − window … k + window − 1 (always the update k → k+1)."""
    return [(j, j + 1) for j in range(k - window, k + max(window, 1))
            if j >= 0 and j + 1 <= n_steps]
