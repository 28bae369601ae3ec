"""PyTorch integration: record the user's own training loop for gradient-event analysis.

``from dynrnn.torch import Recorder`` does not import PyTorch; making a :class:`Recorder` does.
Recordings are read without PyTorch by :func:`dynrnn.gradients.recording.load_recording`.
"""
from ..gradients.recording import Recording, load_recording
from .recorder import Recorder, RecorderError, RecorderStatus, RecorderWarning

__all__ = ["Recorder", "RecorderError", "RecorderStatus", "RecorderWarning", "Recording",
           "load_recording"]
