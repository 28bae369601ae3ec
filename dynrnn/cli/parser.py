"""The argument parser of the ``dynrnn`` command: its subcommands, their options and handlers."""
from __future__ import annotations

import argparse

from .. import __version__
from .model_commands import cmd_continue, cmd_cycles, cmd_diagram, cmd_fixed_points
from .script_commands import cmd_reproduce, cmd_run, cmd_sweep
from .training_commands import cmd_events, cmd_train

_MODEL_HELP = ("MODEL: .npz (save_model), a PyTorch nn.RNN/GRU/LSTM state dict or saved module "
               "(.pt, .pth) or a TOML map definition")


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``dynrnn``: each subcommand's options, with its handler as ``handler``."""
    parser = argparse.ArgumentParser(
        prog="dynrnn",
        description="Recurrent networks as dynamical systems: fixed points, continuation, "
                    "bifurcations and exploding gradients.",
        epilog="Exit codes: 0 done, 1 analysis failed, 2 bad input. "
               "Start with `dynrnn reproduce`.")
    parser.add_argument("--version", action="version", version=f"dynrnn {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print machine-readable results")
    common.add_argument("--out", metavar="DIR", help="directory for results and figures")
    common.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    common.add_argument("--quiet", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    torch_options = argparse.ArgumentParser(add_help=False)
    group = torch_options.add_argument_group("PyTorch files (.pt, .pth)")
    group.add_argument("--kind", choices=("RNN", "GRU", "LSTM"),
                       help="the recurrent layer's kind (checked against the file)")
    group.add_argument("--nonlinearity", choices=("tanh", "relu"),
                       help="required for an nn.RNN state dict, which does not record it")
    group.add_argument("--prefix", metavar="PREFIX",
                       help='key prefix of the recurrent layer when the file holds several, '
                            'e.g. "rnn."')
    for add_model_command in (_add_fixed_points, _add_cycles, _add_continue, _add_diagram):
        add_model_command(sub, [common, torch_options])
    for add_command in (_add_train, _add_events, _add_run, _add_reproduce, _add_sweep):
        add_command(sub, [common])
    return parser


def _add_fixed_points(sub, parents: list[argparse.ArgumentParser]) -> None:
    """``dynrnn fixed-points``."""
    p = _model_command(sub, "fixed-points", parents,
                       "all fixed points of a model and their stability")
    p.add_argument("--starts", default="256", metavar="N|FILE.npy",
                   help="number of Newton starts for n-D maps, or a .npy file of starting "
                        "states, shape (n_starts, n_states), in the --state-space")
    p.add_argument("--input", nargs="+", type=float, metavar="U",
                   help="the constant input (default: the model's own, zeros for PyTorch "
                        "files)")
    p.add_argument("--state-space", choices=("dynrnn", "torch"), default="dynrnn",
                   help="print points as dynrnn's state (default) or torch's hidden state "
                        "(h = tanh(x) for an nn.RNN; (h, c) for an LSTM)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(handler=cmd_fixed_points)


def _add_cycles(sub, parents: list[argparse.ArgumentParser]) -> None:
    """``dynrnn cycles``."""
    p = _model_command(sub, "cycles", parents,
                       "k-cycles of a model and their multipliers")
    p.add_argument("--period", type=int, required=True, metavar="K")
    _add_starts_and_seed(p)
    p.set_defaults(handler=cmd_cycles)


def _add_continue(sub, parents: list[argparse.ArgumentParser]) -> None:
    """``dynrnn continue``."""
    p = _model_command(sub, "continue", parents,
                       "follow fixed points (or k-cycles) as one parameter varies")
    _add_parameter_interval(p, 'parameter name, e.g. "b[0]", "W_rec[0,1]", or "gain"')
    p.add_argument("--start", nargs="+", type=float, metavar="X",
                   help="a state near a fixed point (default: every fixed point found)")
    p.add_argument("--p0", type=float, help="start value of the parameter (default: the "
                                            "model's)")
    p.add_argument("--period", type=int, default=1, metavar="K")
    p.add_argument("--direction", choices=("both", "forward", "backward", "up", "down"),
                   default="both", help="forward: increasing parameter, backward: decreasing, "
                                        "both (default); 'up'/'down' are deprecated spellings")
    p.add_argument("--max-points", type=int, default=2000)
    p.add_argument("--ds-max", type=float, default=0.1, help="largest arclength step")
    _add_starts_and_seed(p)
    p.set_defaults(handler=cmd_continue)


def _add_diagram(sub, parents: list[argparse.ArgumentParser]) -> None:
    """``dynrnn diagram``."""
    p = _model_command(sub, "diagram", parents,
                       "bifurcation diagram over the orbit diagram, as an image in --out")
    _add_parameter_interval(p)
    p.add_argument("--values", type=int, default=400, help="parameter values of the orbit "
                                                           "diagram")
    p.add_argument("--transient", type=int, default=500)
    p.add_argument("--keep", type=int, default=50)
    p.add_argument("--component", type=int, default=0)
    p.add_argument("--period-doublings", type=int, default=1)
    _add_starts_and_seed(p)
    p.set_defaults(handler=cmd_diagram)


def _add_train(sub, parents: list[argparse.ArgumentParser]) -> None:
    """``dynrnn train``."""
    p = sub.add_parser("train", parents=parents,
                       help="train a small network on a task (the history goes to --out)")
    p.add_argument("task", metavar="TASK", help="temporal_order, addition, ... or fig6 (the "
                                                "one-unit Fig. 6 problem)")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--units", type=int, default=8)
    p.add_argument("--length", type=int, default=20)
    p.add_argument("--batch-size", type=int, default=20)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--clip", type=float, default=None, help="Algorithm 1 threshold")
    p.add_argument("--regularizer", type=float, default=0.0, help="weight of Ω (eq. 9)")
    p.add_argument("--init", default="basic_tanh",
                   choices=("sigmoid", "basic_tanh", "smart_tanh"))
    p.add_argument("--eval-batch-size", type=int, default=500)
    p.add_argument("--w", type=float, default=5.0, help="fig6: initial w")
    p.add_argument("--b", type=float, default=-2.0, help="fig6: initial b")
    p.add_argument("--full-history", action="store_true", help="store θ at every step")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(handler=cmd_train)


def _add_events(sub, parents: list[argparse.ArgumentParser]) -> None:
    """``dynrnn events``."""
    p = sub.add_parser("events", parents=parents,
                       help="gradient spikes of a saved training run and the bifurcations "
                            "that explain them")
    p.add_argument("history", metavar="HISTORY",
                   help="training result saved by `dynrnn train`, or a recording directory "
                        "written by dynrnn.torch.Recorder")
    p.add_argument("--threshold", type=float, default=10.0,
                   help="a spike is a norm this many times the median of the 50 steps before")
    p.add_argument("--window", type=int, default=1)
    p.add_argument("--form", choices=("elman", "pascanu"), default="elman",
                   help="nn.RNN recordings: analyse the Elman map (torch's h) or its Pascanu "
                        "conjugate")
    p.add_argument("--relevance-radius", type=float, default=0.1,
                   help="a crossing within this × max(1, RMS state norm) of the loss states or "
                        "the trajectory is relevant")
    p.add_argument("--follow", choices=("auto", "all", "visited"), default="auto",
                   help="continue every fixed point, or only those the trajectories visit")
    p.add_argument("--max-events", type=int, default=None)
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT", default=None,
                   help="analyse the spikes in parallel: 'pool' (a local process pool of 2) or "
                        "a Dask scheduler address (default: in this process)")
    p.set_defaults(handler=cmd_events)


def _add_run(sub, parents: list[argparse.ArgumentParser]) -> None:
    """``dynrnn run``."""
    p = sub.add_parser("run", parents=parents,
                       help="run an analysis script (by name or path) or a sweep TOML config")
    p.add_argument("target", metavar="SCRIPT_OR_CONFIG")
    p.add_argument("script_args", nargs=argparse.REMAINDER, metavar="ARGS",
                   help="passed on to the script (e.g. --quick)")
    p.add_argument("--store", help="sweep store directory (TOML configs)")
    p.set_defaults(handler=cmd_run)


def _add_reproduce(sub, parents: list[argparse.ArgumentParser]) -> None:
    """``dynrnn reproduce``."""
    p = sub.add_parser("reproduce", parents=parents,
                       help="reproduce the paper's figures (quick ones by default)")
    from ..scripts import SCRIPTS
    p.add_argument("names", nargs="*", metavar="NAME",
                   help=f"scripts to run: {', '.join(SCRIPTS)} (default: the quick set)")
    p.add_argument("--all", action="store_true", help="every reproduction, also the long ones")
    p.add_argument("--quick", action="store_true", help="tiny settings (for tests)")
    p.set_defaults(handler=cmd_reproduce)


def _add_sweep(sub, parents: list[argparse.ArgumentParser]) -> None:
    """``dynrnn sweep``."""
    p = sub.add_parser("sweep", parents=parents, help="run a parameter/seed sweep from a TOML "
                                                       "config")
    p.add_argument("config", metavar="CONFIG")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help="Dask scheduler address (default: a local process pool)")
    p.add_argument("--store", help="resumable store directory")
    p.set_defaults(handler=cmd_sweep)


def _model_command(sub, name: str, parents: list[argparse.ArgumentParser], help: str
                   ) -> argparse.ArgumentParser:
    """A subcommand analysing the model given as its first argument."""
    p = sub.add_parser(name, parents=parents, help=help)
    p.add_argument("model", help=_MODEL_HELP)
    return p


def _add_parameter_interval(p: argparse.ArgumentParser, help: str | None = None) -> None:
    """--param NAME and --bounds LO HI: the parameter varied and its interval."""
    p.add_argument("--param", required=True, metavar="NAME", help=help)
    p.add_argument("--bounds", nargs=2, type=float, required=True, metavar=("LO", "HI"))


def _add_starts_and_seed(p: argparse.ArgumentParser) -> None:
    """--starts N and --seed S of the searches for fixed points and cycles."""
    p.add_argument("--starts", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
