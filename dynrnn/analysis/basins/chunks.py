r"""Running the ensemble chunk by chunk, in this process or through :func:`dynrnn.sweep`.

.. math::

    m_{\text{chunk}} = \max\Big(256, \Big\lfloor \frac{\text{chunk\_bytes}}
    {8\, n\, (\text{max\_period} + 4)} \Big\rfloor\Big)

so memory stays bounded whatever the size of the ensemble. The attractors are identified here,
in chunk order, also when the chunks were settled by workers, so the labels are the same.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ...model.base import RecurrentMap
from .attractors import Catalogue
from .ensemble import Ensemble
from .results import UNRESOLVED, BasinsOptions

__all__ = ["ChunkContext", "settle_chunk", "chunk_size", "run_ensemble", "run_ensemble_on"]


@dataclass(frozen=True)
class ChunkContext:
    """What a worker needs to settle one chunk of the ensemble (picklable).

    Attributes
    ----------
    system : RecurrentMap
    u : ndarray or None
        The constant input.
    options : BasinsOptions
    states : ndarray, shape (n_initial, n_states)
        The whole ensemble.
    chunk : int
        States per chunk.
    """

    system: RecurrentMap
    u: object
    options: BasinsOptions
    states: np.ndarray
    chunk: int


def settle_chunk(index: int, *, context: ChunkContext) -> dict:
    """Settle chunk ``index`` of the ensemble; arrays padded to the chunk size (for a sweep)."""
    c = context
    block = c.states[int(index) * c.chunk:(int(index) + 1) * c.chunk]
    final, period, steps = Ensemble(c.system, c.u, c.options).settle(block)
    pad = c.chunk - block.shape[0]
    return {"final": np.pad(final, ((0, pad), (0, 0))), "period": np.pad(period, (0, pad)),
            "steps": np.pad(steps, (0, pad))}


def chunk_size(options: BasinsOptions, n: int) -> int:
    """States iterated at once for a map with ``n`` states (see the module's formula)."""
    return options.chunk_size or max(256, options.chunk_bytes // ((options.max_period + 4) * n * 8))


def run_ensemble_on(executor, catalogue: Catalogue, states: np.ndarray, *, progress: bool
                    ) -> tuple[np.ndarray, np.ndarray, bool]:
    """As :func:`run_ensemble`, with the chunks settled through :func:`dynrnn.sweep` (a local
    process pool, a Dask cluster, ...); the attractors are identified here, in chunk order, so
    the labels are the same as in one process."""
    # sweeps is a layer above analysis (it runs analyses): imported only when asked for
    from ...sweeps import sweep
    ens = catalogue.ensemble
    m, n = states.shape
    chunk = chunk_size(ens.options, n)
    n_chunks = -(-m // chunk)
    context = ChunkContext(ens.system, ens.u, ens.options, states, chunk)
    result = sweep(functools.partial(settle_chunk, context=context),
                   {"index": range(n_chunks)}, executor=None if executor == "pool"
                   else executor, progress=progress)
    labels = np.full(m, UNRESOLVED)
    steps = np.zeros(m, dtype=np.int64)
    done = np.asarray(result.point_status).ravel() == "done"
    for i in range(n_chunks):
        if not done[i]:
            continue
        size = min(chunk, m - i * chunk)
        final = np.asarray(result.data["final"][i])[:size]
        period = np.asarray(result.data["period"][i])[:size].astype(np.int64)
        labels[i * chunk:i * chunk + size] = catalogue.assign(final, period)
        steps[i * chunk:i * chunk + size] = np.asarray(result.data["steps"][i])[:size]
    return labels, steps, not bool(done.all())


def run_ensemble(catalogue: Catalogue, states: np.ndarray, *, progress: bool
                 ) -> tuple[np.ndarray, np.ndarray, bool]:
    """Labels of every initial state (n_initial,), the steps each took, and whether Ctrl-C
    interrupted the run: chunk by chunk, keeping what is done."""
    options = catalogue.ensemble.options
    m, n = states.shape
    chunk = chunk_size(options, n)
    labels = np.full(m, UNRESOLVED)
    steps = np.zeros(m, dtype=np.int64)
    starts = range(0, m, chunk)
    bar = None
    if progress and len(starts) > 1:
        from tqdm.auto import tqdm
        bar = tqdm(total=m, desc="basins", unit="state", leave=False)
    interrupted = False
    try:
        for start in starts:
            block = states[start:start + chunk]
            final, period, taken = catalogue.ensemble.settle(block)
            labels[start:start + chunk] = catalogue.assign(final, period)
            steps[start:start + chunk] = taken
            if bar is not None:
                bar.update(block.shape[0])
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if bar is not None:
            bar.close()
    return labels, steps, interrupted
