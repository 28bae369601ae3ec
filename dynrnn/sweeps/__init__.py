"""Parameter and seed sweeps (see :mod:`dynrnn.sweeps.run`)."""
from .run import (Grid, PointStatus, SweepError, SweepInterrupted, SweepResult, SweepStatus,
                  sweep, sweep_from_config)

__all__ = ["Grid", "SweepResult", "SweepStatus", "PointStatus", "SweepError", "SweepInterrupted",
           "sweep", "sweep_from_config"]
