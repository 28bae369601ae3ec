"""Parameter and seed sweeps over any :class:`concurrent.futures.Executor`, resumable from a store.

- :mod:`~dynrnn.sweeps.run`: :func:`sweep` (and the store layout);
- :mod:`~dynrnn.sweeps.grid`: :class:`Grid`, the named axes;
- :mod:`~dynrnn.sweeps.result`: :class:`SweepResult`, :class:`SweepStatus`, :class:`PointStatus`,
  :class:`SweepError`, :class:`SweepInterrupted`;
- :mod:`~dynrnn.sweeps.points`: evaluating points on a worker;
- :mod:`~dynrnn.sweeps.store`: the on-disk store;
- :mod:`~dynrnn.sweeps.executors`: process pools, Dask, serial;
- :mod:`~dynrnn.sweeps.config`: :func:`sweep_from_config` (TOML).
"""
from .config import sweep_from_config
from .grid import Grid
from .result import PointStatus, SweepError, SweepInterrupted, SweepResult, SweepStatus
from .run import sweep

__all__ = ["Grid", "SweepResult", "SweepStatus", "PointStatus", "SweepError", "SweepInterrupted",
           "sweep", "sweep_from_config"]
