"""The API reference of dynrnn, generated from its public names (used by docs/conf.py).

Every public name (``dynrnn.__all__``, ``dynrnn.plotting.__all__``, and the ``__all__`` of the
subpackages in ``EXTRA_PUBLIC``) is placed on the page of the group whose modules define it;
:func:`api_pages` returns the pages' text and :func:`write_api_pages` writes them to
``docs/api/`` at every build, so a new public name appears without editing any page. A name
whose module is in no group lands on a page "other", which tests/test_api_reference.py refuses.
"""
from __future__ import annotations

import argparse
import importlib
from pathlib import Path

import dynrnn

# (page, title, module prefixes whose names land there, introduction); the first match wins, so
# more specific prefixes come first.
# (page, title, module prefixes whose names land there, introduction); the first match wins, so
# more specific prefixes come first.
GROUPS = [
    ("models", "Models", ["dynrnn.model"],
     "A recurrent network is a discrete-time map :math:`x_{t+1} = F(x_t, u_t; \\theta)`. Every "
     "model subclasses :class:`dynrnn.RecurrentMap`, which provides the checked public methods "
     "(``step``, ``jacobian``, ``param_jacobian``, ``run``, ``params``, ``with_params``) on top of "
     "a few unchecked, batched ones a subclass implements. The library ships the networks of the "
     "paper (:class:`dynrnn.RNN`, :class:`dynrnn.ElmanRNN`, :class:`dynrnn.PLRNN`), maps written "
     "as sympy expressions (:class:`dynrnn.Map`), networks read from PyTorch, and one-parameter "
     "families along which continuation runs (:class:`dynrnn.ParameterFamily`)."),
    ("fixed_points", "Fixed points, cycles and stability",
     ["dynrnn.analysis.fixed_points", "dynrnn.analysis.cycles", "dynrnn.analysis.stability",
      "dynrnn.analysis.lyapunov", "dynrnn.analysis.diagnostics", "dynrnn.analysis.one_dim",
      "dynrnn.analysis.orbits", "dynrnn.analysis.starts", "dynrnn.analysis.deflation",
      "dynrnn.analysis.edge_tracking", "dynrnn.analysis.edge",
      "dynrnn.analysis.fixed_point_result", "dynrnn.analysis.ensembles"],
     "Solutions of :math:`F(x) - x = 0` (and of :math:`F^p(x) - x = 0` for cycles of period "
     ":math:`p`) found by Newton's method from many starts, each classified by the eigenvalues "
     "of its Jacobian; Lyapunov spectra of orbits; and the §2.1 diagnostic which says whether a "
     "network's gradients can explode at all (:func:`dynrnn.gradient_regime`). Searches report "
     "whether they were exhaustive in their status."),
    ("continuation", "Continuation and bifurcations",
     ["dynrnn.analysis.continuation", "dynrnn.analysis.bifurcations", "dynrnn.analysis.diagram",
      "dynrnn.analysis.two_parameter", "dynrnn.analysis.special_points",
      "dynrnn.analysis.normal_forms", "dynrnn.analysis.normal_form_derivatives",
      "dynrnn.analysis.codim2_coefficients", "dynrnn.analysis.border_collisions",
      "dynrnn.analysis.piecewise", "dynrnn.analysis.branch_overlap",
      "dynrnn.analysis.shooting", "dynrnn.analysis.multiple_shooting",
      "dynrnn.analysis.codim2_switching"],
     "Pseudo-arclength continuation follows a fixed point or cycle as one parameter moves, "
     "detects folds (an eigenvalue +1), flips (-1) and Neimark-Sacker points (a complex pair on "
     "the unit circle) by sign changes of test functions, and locates them; "
     ":func:`dynrnn.continue_bifurcation` follows a fold or flip in two parameters, "
     ":func:`dynrnn.bifurcation_diagram` assembles the branches of a family and "
     ":func:`dynrnn.orbit_diagram` shows what the branches miss (chaos, long cycles)."),
    ("global", "Global analysis: basins of attraction",
     ["dynrnn.analysis.basins", "dynrnn.analysis.global_continuation"],
     "Where do orbits go? :func:`dynrnn.basins` sends a grid or sample of initial states forward, "
     "groups the attractors they reach (fixed points, cycles, chaotic sets) and measures each "
     "basin's share; :func:`dynrnn.global_continuation` follows the attractors and their basins "
     "along a parameter and reports the events (an attractor born, lost, or jumping) that "
     "continuation of a single branch cannot see."),
    ("events", "Gradient events",
     ["dynrnn.gradients.events", "dynrnn.gradients.spikes", "dynrnn.torch"],
     "A spike of the gradient norm during training is an *event*. dynrnn finds the events of a "
     "training run and explains each by what the map did at that step: a bifurcation crossed, a "
     "basin boundary approached, or neither (Doya 1993; Pascanu, Mikolov and Bengio 2013)."),
    ("gradients", "Gradients and training",
     ["dynrnn.gradients"],
     "Backpropagation through time of a loss :math:`\\mathcal{E} = \\sum_t \\mathcal{E}_t` of a "
     "map's orbit, the products of Jacobians :math:`\\prod_k \\partial x_k/\\partial x_{k-1}` "
     "whose growth or decay makes gradients explode or vanish, gradient clipping, the "
     ":math:`\\Omega` regulariser, the synthetic tasks of the paper, error surfaces over two "
     "parameters, and a training loop (:func:`dynrnn.train`) that records the gradient norm and "
     "the state of the map at every step."),
    ("sweeps", "Sweeps",
     ["dynrnn.sweeps", "dynrnn.sweep_examples", "dynrnn.scripts.sweep_functions"],
     ":func:`dynrnn.sweep` runs one function over every point of a parameter :class:`dynrnn.Grid`, "
     "in processes or on a Dask cluster, stores each point's result as it arrives, and resumes "
     "an interrupted sweep from what is stored. A sweep can also be described by a TOML file "
     "(:func:`dynrnn.sweep_from_config`)."),
    ("io", "Saving and loading",
     ["dynrnn.io"],
     "Every result object and every model saves to one file and loads back "
     "(:func:`dynrnn.save`, :func:`dynrnn.load`, :func:`dynrnn.save_model`, "
     ":func:`dynrnn.load_model`): arrays in NumPy ``.npz``, the rest as JSON, with a format "
     "version so that an old file either loads or says why not. Writes are atomic."),
    ("errors", "Errors, warnings and BLAS threads",
     ["dynrnn.errors", "dynrnn._threads"],
     "Bad input raises one of these before any work starts, with a message naming the argument, "
     "its value and the remedy. They subclass :class:`ValueError` or :class:`TypeError`, so code "
     "that catches those keeps working. Non-convergence is a status in the result, not an "
     "exception, unless ``raise_on_failure=True``. The heavy calls (continuation, searches, "
     "Lyapunov spectra) run with one BLAS thread unless :func:`dynrnn.set_blas_threads` says "
     "otherwise, so that an analysis beside training or in a sweep does not stall on threads "
     "waiting for each other."),
]
PLOTTING_INTRO = (
    "Plots take result objects (computed, or loaded from disk) and never recompute. They import "
    "matplotlib only when called, draw into the axes given as ``ax=`` (a new figure when it is "
    "omitted) and return the axes they drew on, so that a notebook cell can compose them. The "
    "exceptions draw several panels: :func:`~dynrnn.plotting.plot_training_atlas` (``fig=``), "
    ":func:`~dynrnn.plotting.plot_training_basins` (``axes=``), "
    ":func:`~dynrnn.plotting.plot_fixed_points` (one axes, or a pair "
    "with the multipliers) and the ``figure_*`` functions, which build the whole figure of a "
    "scripted run and return it.")
#: the reference's table of contents
ORDER = ["models", "fixed_points", "continuation", "global", "gradients", "events", "sweeps",
         "io", "plotting", "cli", "errors"]
# constants have no __module__ of their own: their page by name
DATA_PAGES = {"ACTIVATIONS": "models", "TASKS": "gradients", "INITIALISATIONS": "gradients",
              "FORMAT_VERSION": "io"}
# subpackages whose own __all__ adds public names beyond dynrnn.__all__ (absent ones are skipped)
EXTRA_PUBLIC = ["dynrnn.model", "dynrnn.analysis", "dynrnn.gradients", "dynrnn.io",
                "dynrnn.sweeps", "dynrnn.sweep_examples", "dynrnn.torch"]




def public_names() -> dict[str, tuple[str, object]]:
    """Map each public name to (the path under which it is documented, the object)."""
    names: dict[str, tuple[str, object]] = {}
    for name in dynrnn.__all__:
        if name != "__version__":
            names[name] = ("dynrnn", getattr(dynrnn, name))
    for package in EXTRA_PUBLIC:
        try:
            module = importlib.import_module(package)
        except ImportError:
            continue
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if not any(existing is obj for _, existing in names.values()):
                names[f"{package}.{name}"] = (package, obj)
    return names


def _defining_module(obj: object) -> str:
    return getattr(obj, "__module__", None) or "dynrnn"


def _directive(obj: object) -> str:
    if isinstance(obj, type):
        return "autoclass"
    if callable(obj):
        return "autofunction"
    return "autodata"


def _entry(path: str, short: str, obj: object) -> list[str]:
    directive = _directive(obj)
    lines = [f".. {directive}:: {path}.{short}"]
    if directive == "autoclass":
        lines.append("   :members:")
        lines.append("   :exclude-members: __init__, __new__")
    elif directive == "autodata":
        lines.append("   :no-value:")
    return lines + [""]


def page_of(short: str, obj: object) -> str:
    """The page a public name is documented on ("other" when no group claims its module)."""
    if short in DATA_PAGES:
        return DATA_PAGES[short]
    module = _defining_module(obj)
    for page, _title, prefixes, _intro in GROUPS:
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return page
    return "other"


def _group_page(title: str, intro: str, entries: list[tuple[str, str, object]]) -> str:
    lines = [title, "=" * len(title), "", intro, ""]
    for heading, directive in (("Functions", "autofunction"), ("Classes", "autoclass"),
                               ("Constants", "autodata")):
        items = [e for e in entries if _directive(e[2]) == directive]
        if items:
            lines += [heading, "-" * len(heading), ""]
            for path, short, obj in items:
                lines += _entry(path, short, obj)
    return "\n".join(lines)


def api_pages() -> dict[str, str]:
    """The reference pages, by file name without ``.rst`` (``index`` lists the others)."""
    grouped: dict[str, list[tuple[str, str, object]]] = {}
    for full_name, (path, obj) in public_names().items():
        short = full_name.rsplit(".", 1)[-1]
        grouped.setdefault(page_of(short, obj), []).append((path, short, obj))
    pages: dict[str, str] = {}
    for page, title, _prefixes, intro in GROUPS + [("other", "Other", [], "Other public names.")]:
        if grouped.get(page):
            pages[page] = _group_page(title, intro, grouped[page])
    import dynrnn.plotting as plotting
    lines = ["Plotting", "========", "", PLOTTING_INTRO, ""]
    for name in plotting.__all__:
        lines += _entry("dynrnn.plotting", name, getattr(plotting, name))
    pages["plotting"] = "\n".join(lines)
    pages["cli"] = cli_page()
    # the order of the list (the first-match order of GROUPS differs: events before
    # gradients, whose prefix is shorter); anything else after it
    pages = {page: pages[page] for page in sorted(pages, key=lambda p: (
        ORDER.index(p) if p in ORDER else len(ORDER), p))}
    index = ["API reference", "=============", "",
             "Every name below is importable from ``dynrnn`` (plots from ``dynrnn.plotting``).",
             "The pages follow the package: models, their analysis, gradients, and the tools "
             "around them.", "", ".. toctree::", "   :maxdepth: 1", ""]
    pages["index"] = "\n".join(index + [f"   {page}" for page in pages]) + "\n"
    return pages


def cli_page() -> str:
    """The command line reference: the ``--help`` of the parser and of each subcommand."""
    from dynrnn.cli import build_parser
    parser = build_parser()
    lines = ["Command line", "============", "",
             "``python3 -m dynrnn COMMAND ...`` (or the ``dynrnn`` console script) runs the "
             "analyses on a saved model or a TOML map without writing Python: fixed points, "
             "cycles, continuation, diagrams, training, gradient events, the scripted figures and "
             "sweeps. Every command prints a short summary (``--json`` for a machine-readable "
             "one) and saves its result where ``--out`` says, to be loaded with "
             ":func:`dynrnn.load`.", ""]

    def block(title: str, text: str) -> list[str]:
        body = ["   " + line if line.strip() else "" for line in text.rstrip().splitlines()]
        return [title, "-" * len(title), "", ".. code-block:: text", ""] + body + [""]

    lines += block("dynrnn", parser.format_help())
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, subparser in action.choices.items():
                lines += block(f"dynrnn {name}", subparser.format_help())
    return "\n".join(lines)


def write_api_pages(api: Path) -> None:
    """Write the pages to ``api/*.rst``, removing pages of groups emptied since the last build."""
    api.mkdir(exist_ok=True)
    pages = api_pages()
    for page, text in pages.items():
        path = api / f"{page}.rst"
        # unchanged files keep their time stamp, so Sphinx does not rebuild their pages
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    for stale in set(api.glob("*.rst")) - {api / f"{page}.rst" for page in pages}:
        stale.unlink()
