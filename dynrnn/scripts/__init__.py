"""Scripted analysis runs: the paper's figures and further studies.

Each module computes its results with the public library, saves them with :func:`dynrnn.save`,
loads them back and draws its figures from the loaded results (so a figure can be redrawn without
recomputing). ``analysis/*.py`` in the source tree are thin wrappers around these modules; the
command ``dynrnn reproduce`` runs them from an installed package as well.

=====================  ==========================================================  =========
name                   what it shows                                               in quick
=====================  ==========================================================  =========
fig3_bifurcation       Fig. 3: x -> 5σ(x) + b, branches over the orbit diagram      yes
fig6_error_surface     Fig. 6: the error surface, its wall, descent with/without    yes
                       clipping
training_atlas         gradient spikes explained by the bifurcations crossed        one-unit
fig7_success_rate      scaled-down Fig. 7: success rate against sequence length     no
trained_network        a trained torch.nn.RNN: fixed points and continuation        no
custom_map             the Hénon map through the public API, one and two            no
                       parameters
sweep_attractors       one-unit attractor counts over (w, b) with the fold curves   no
                       and the cusp (dynrnn.sweep + two-parameter continuation)
sweep_lyapunov         largest Lyapunov exponent of random tanh networks over       no
                       (gain, bias scale), with the edge of chaos λ₁ = 0
flipflop               nn.RNN, nn.GRU and nn.LSTM trained on the 3-bit flip-flop:   no
                       fixed points, saddles, unstable manifolds (needs torch)
torch_events           spikes of nn.RNN/GRU/LSTM trained with Adam in plain         no
                       PyTorch (recorded), explained by relevant crossings
basins                 basins of a 2-unit network, global continuation of           no
                       x -> 5 tanh(x) + b, basin fractions along a training run
=====================  ==========================================================  =========
"""
from __future__ import annotations

import importlib
import runpy
import sys
import time
from pathlib import Path
from typing import Sequence

from ..errors import UnknownParameterError
from ._common import ScriptOutput, default_figure_dir, default_result_dir, source_root

__all__ = ["SCRIPTS", "QUICK", "run", "reproduction_plan", "ScriptOutput", "default_figure_dir",
           "default_result_dir", "source_root"]

#: Every registered script: name -> one-line description.
SCRIPTS = {
    "fig3_bifurcation": "Fig. 3: one-unit bifurcation diagrams (logistic sigmoid and tanh)",
    "fig6_error_surface": "Fig. 6: error surface of the one-unit model, descent with and "
                          "without clipping",
    "training_atlas": "gradient spikes during training explained by the bifurcations crossed",
    "fig7_success_rate": "scaled-down Fig. 7: success rate against sequence length",
    "trained_network": "fixed points and continuation of a trained torch.nn.RNN",
    "custom_map": "the Hénon map defined through the public API: fixed points, continuation, "
                  "two-parameter diagram",
    "sweep_attractors": "attractor counts of the one-unit networks over (w, b), with the fold "
                        "curves and the cusp",
    "sweep_lyapunov": "largest Lyapunov exponent of random tanh networks over (gain, bias "
                      "scale): the edge of chaos",
    "flipflop": "nn.RNN, nn.GRU and nn.LSTM trained on the 3-bit flip-flop: fixed points, "
                "saddles and unstable manifolds on the principal components",
    "torch_events": "gradient spikes of nn.RNN, nn.GRU and nn.LSTM trained with Adam in plain "
                    "PyTorch, recorded and explained by the relevant crossings",
    "basins": "basins of a 2-unit network, global continuation of the one-unit tanh network, "
              "basin fractions along a training run",
}

#: What ``dynrnn reproduce`` runs without names: (script, extra arguments).
QUICK = (("fig3_bifurcation", []), ("fig6_error_surface", []),
         ("training_atlas", ["--one-unit"]))


def _unknown(name: str) -> UnknownParameterError:
    return UnknownParameterError(f"unknown script {name!r}; valid names are: "
                                 f"{', '.join(SCRIPTS)} (or a path to a .py file or a sweep "
                                 ".toml config)", argument="SCRIPT", value=name,
                                 valid=tuple(SCRIPTS))


def reproduction_plan(names: Sequence[str] = (), *, all_: bool = False) -> list:
    """The (script, extra arguments) pairs ``dynrnn reproduce`` runs."""
    if all_:
        return [(name, []) for name in SCRIPTS]
    if not names:
        return [(name, list(extra)) for name, extra in QUICK]
    plan = []
    for name in names:
        key = Path(name).stem if name.endswith(".py") else name
        if key not in SCRIPTS:
            raise _unknown(name)
        plan.append((key, []))
    return plan


def run(target: str, argv: Sequence[str] = ()) -> ScriptOutput:
    """Run a script by registered name, or any Python file by path, with arguments ``argv``.

    A path whose file name is a registered script (``analysis/fig3_bifurcation.py``) runs the
    packaged module. Another ``.py`` file runs as ``__main__`` with ``sys.argv`` set; its exit
    status decides success.
    """
    name = Path(target).stem if target.endswith(".py") else target
    if name in SCRIPTS:
        module = importlib.import_module(f"{__name__}.{name}")
        return module.main(list(argv))
    path = Path(target)
    if not target.endswith(".py"):
        raise _unknown(target)
    if not path.is_file():
        raise FileNotFoundError(f"no such script: {target}")
    saved = sys.argv
    sys.argv = [str(path), *argv]
    start = time.perf_counter()
    code = 0
    try:
        runpy.run_path(str(path), run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = saved
    return ScriptOutput(path.stem, code == 0, (), (), time.perf_counter() - start,
                        () if code == 0 else (f"exit status {code}",))

