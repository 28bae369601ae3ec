"""The ``dynrnn`` command (``python3 -m dynrnn``, the ``dynrnn`` console script).

Exit codes: 0 done, 1 the analysis failed (the reason is printed), 2 bad input. Errors print one
line on stderr; ``--debug`` shows the traceback. ``--json`` prints machine-readable results on
stdout.
Progress bars go to stderr (``--quiet`` turns them off).

Subcommands::

    dynrnn fixed-points MODEL                     all fixed points and their stability
    dynrnn cycles MODEL --period K                k-cycles and their multipliers
    dynrnn continue MODEL --param P --bounds LO HI [--start X ...]
    dynrnn diagram MODEL --param P --bounds LO HI   bifurcation diagram over the orbit diagram
    dynrnn train TASK                             SGD on a task of Pascanu et al. §4 (or fig6)
    dynrnn events HISTORY|RECORDING/              gradient spikes of a training run or recording
    dynrnn run SCRIPT_OR_CONFIG [ARGS ...]        an analysis script, or a sweep TOML config
    dynrnn reproduce [NAME ...] [--all]           the paper's figures
    dynrnn sweep CONFIG [--scheduler tcp://HOST:PORT]

MODEL is a ``.npz`` (:func:`dynrnn.save_model`), a PyTorch ``nn.RNN``/``GRU``/``LSTM`` state dict
or saved module (``.pt``, ``.pth``; ``--kind``, ``--nonlinearity``, ``--prefix`` say what the file
cannot) or a TOML map definition (see :func:`dynrnn.load_model`).
"""
from __future__ import annotations

from .entry_point import main
from .parser import build_parser

__all__ = ["main", "build_parser"]
