"""What every analysis script shares: its command line, where files go, and the
compute -> save -> load -> plot sequence. No analysis happens here."""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from .. import io
from ..plotting.figures import save_figure

__all__ = ["ScriptOutput", "parse_args", "execute", "source_root", "default_figure_dir",
           "default_result_dir"]


@dataclasses.dataclass(frozen=True)
class ScriptOutput:
    """What one script run produced.

    Attributes
    ----------
    name : str
    success : bool
        Every saved result reports success (results without a ``success`` count as successful).
    figures, results : tuple of str
        Paths of the figures (PNG) and result files (``.npz``, loadable with
        :func:`dynrnn.load`) written.
    elapsed : float
        Wall-clock seconds.
    messages : tuple of str
        Why a result did not succeed, and notes the script wants shown.
    """

    name: str
    success: bool
    figures: tuple
    results: tuple
    elapsed: float
    messages: tuple = ()

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def source_root() -> Path | None:
    """The source checkout dynrnn runs from (the folder holding setup.cfg and analysis/), or
    None for an installed package."""
    root = Path(__file__).resolve().parents[2]
    if (root / "setup.cfg").is_file() and (root / "analysis").is_dir() \
            and (root / "dynrnn" / "__init__.py").is_file():
        return root
    return None


def default_figure_dir() -> Path:
    """``figures/`` of the source checkout, or ``./figures`` for an installed package."""
    root = source_root()
    return (root if root is not None else Path.cwd()) / "figures"


def default_result_dir() -> Path:
    """``results/`` (git-ignored) of the source checkout, or ``./results``."""
    root = source_root()
    return (root if root is not None else Path.cwd()) / "results"


def parse_args(name: str, description: str, argv: Sequence[str] | None,
               add_arguments: Callable[[argparse.ArgumentParser], None] | None = None
               ) -> argparse.Namespace:
    """The common options: ``--quick``, ``--out DIR`` (figures), ``--results DIR``, ``--seed``,
    ``--quiet``; scripts add their own with ``add_arguments``."""
    parser = argparse.ArgumentParser(prog=name, description=description)
    parser.add_argument("--quick", action="store_true",
                        help="tiny settings (seconds; for tests), not the figure's")
    parser.add_argument("--out", type=Path, default=None,
                        help="directory for figures (default: figures/); results go to "
                             "DIR/results unless --results is given")
    parser.add_argument("--results", type=Path, default=None,
                        help="directory for result files (default: results/)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--redraw", action="store_true",
                        help="do not compute: redraw the figures from the result files")
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.out is None:
        args.out = default_figure_dir()
        if args.results is None:
            args.results = default_result_dir()
    elif args.results is None:
        args.results = args.out / "results"
    args.progress = not args.quiet
    return args


def execute(name: str, args: argparse.Namespace,
            compute: Callable[[argparse.Namespace], Mapping[str, Any]],
            draw: Callable[[Mapping[str, Any], argparse.Namespace], Mapping[str, Any]],
            notes: Callable[[Mapping[str, Any]], Sequence[str]] | None = None
            ) -> ScriptOutput:
    """Compute, save every result, load them back, draw from the loaded results, save figures.

    ``compute(args)`` returns ``{key: result}``; each is saved as ``<results>/<name>_<key>.npz``
    with the settings as metadata. ``draw(loaded, args)`` returns ``{key: Figure}``; each is
    saved as ``<out>/<name>_<key>.png`` (or ``<out>/<name>.png`` for the key ``""``).
    """
    start = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    args.results.mkdir(parents=True, exist_ok=True)
    if getattr(args, "redraw", False):
        paths = {p.stem[len(name) + 1:]: p for p in sorted(args.results.glob(f"{name}_*.npz"))
                 if (io.read_metadata(p).get("user") or {}).get("script") == name}
        if not paths:
            raise FileNotFoundError(f"--redraw: no result files of {name} in {args.results}")
    else:
        results = compute(args)
        settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                    if isinstance(v, (bool, int, float, str, Path)) or v is None}
        paths = {}
        for key, obj in results.items():
            paths[key] = io.save(obj, args.results / f"{name}_{key}.npz",
                                 metadata={"script": name, "settings": settings})
    loaded = {key: io.load(path) for key, path in paths.items()}
    messages = [f"{key}: {getattr(obj, 'message', '') or getattr(obj, 'status', '')}"
                for key, obj in loaded.items() if not getattr(obj, "success", True)]
    figures = draw(loaded, args)
    fig_paths = []
    for key, fig in figures.items():
        fig_paths.append(save_figure(fig, args.out / (f"{name}_{key}.png" if key else
                                                      f"{name}.png")))
    if notes is not None:
        messages += list(notes(loaded))
    out = ScriptOutput(name, not any(not getattr(o, "success", True) for o in loaded.values()),
                       tuple(str(p) for p in fig_paths), tuple(str(p) for p in paths.values()),
                       time.perf_counter() - start, tuple(messages))
    return out


def report(output: ScriptOutput) -> int:
    """Print where the files went (for ``python analysis/<name>.py``); the exit status."""
    for path in output.figures:
        print(f"figure  {path}")
    for path in output.results:
        print(f"result  {path}")
    for message in output.messages:
        print(f"note    {message}")
    print(f"{output.name}: {'done' if output.success else 'FAILED'} in {output.elapsed:.1f} s",
          file=sys.stderr)
    return 0 if output.success else 1
