"""Sphinx configuration of dynrnn's documentation.

Build with ``python3 -m sphinx -W --keep-going -b html docs docs/_build/html``.
The API reference (``docs/api/*.rst``) is written here, at every build, from the public names
(``dynrnn.__all__``, ``dynrnn.plotting.__all__``, and the ``__all__`` of any subpackage listed in
``EXTRA_PUBLIC``), each placed on the page of the group whose modules define it; a new public
name appears in the reference without editing these pages.
"""
from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import dynrnn  # noqa: E402

project = "dynrnn"
author = "the dynrnn authors"
copyright = "2026, the dynrnn authors"
release = dynrnn.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
]
exclude_patterns = ["_build", "examples", "sg_execution_times.rst"]
templates_path: list[str] = []
html_theme = "alabaster"
html_static_path: list[str] = []
html_title = f"dynrnn {release}"

nitpicky = True                     # a cross-reference to nothing is a warning, so an error
# modules have no pages of their own: the reference is organised by area, not by file
nitpick_ignore_regex = [("py:mod", r"dynrnn(\..*)?")]
autodoc_typehints = "none"          # the numpydoc Parameters section gives the types
autodoc_member_order = "bysource"
autodoc_default_options = {"inherited-members": False}
numpydoc_show_class_members = False  # members are listed by autodoc (``:members:``)
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = False
intersphinx_mapping: dict = {}       # no network at build time
plot_include_source = True
plot_html_show_source_link = False
plot_formats = [("png", 100)]

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "tutorials",
    "filename_pattern": r"/tutorial_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "abort_on_example_error": True,
    "plot_gallery": "True",
}

# -- API reference --------------------------------------------------------------------------------
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
      "dynrnn.analysis.orbits", "dynrnn.analysis.starts", "dynrnn.analysis.deflation", "dynrnn.analysis.edge_tracking",
      "dynrnn.analysis.edge"],
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
    ("errors", "Errors and warnings",
     ["dynrnn.errors"],
     "Bad input raises one of these before any work starts, with a message naming the argument, "
     "its value and the remedy. They subclass :class:`ValueError` or :class:`TypeError`, so code "
     "that catches those keeps working. Non-convergence is a status in the result, not an "
     "exception, unless ``raise_on_failure=True``."),
]
PLOTTING_INTRO = (
    "Plots take result objects (computed, or loaded from disk) and never recompute. They import "
    "matplotlib only when called, accept an ``ax=`` to draw into and return the matplotlib "
    "objects. The ``figure_*`` functions draw the figures of the scripted runs.")
# constants have no __module__ of their own: their page by name
DATA_PAGES = {"ACTIVATIONS": "models", "TASKS": "gradients", "INITIALISATIONS": "gradients",
              "FORMAT_VERSION": "io"}
# subpackages whose own __all__ adds public names beyond dynrnn.__all__ (absent ones are skipped)
EXTRA_PUBLIC = ["dynrnn.model", "dynrnn.analysis", "dynrnn.gradients", "dynrnn.io",
                "dynrnn.sweeps", "dynrnn.sweep_examples", "dynrnn.torch"]


def _public_names() -> dict[str, tuple[str, object]]:
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


def write_api_pages() -> None:
    """Write docs/api/*.rst from the public names (run at every build)."""
    api = HERE / "api"
    api.mkdir(exist_ok=True)
    pages: dict[str, list[tuple[str, str, object]]] = {group[0]: [] for group in GROUPS}
    unplaced = []
    for full_name, (path, obj) in _public_names().items():
        short = full_name.rsplit(".", 1)[-1]
        module = _defining_module(obj)
        if short in DATA_PAGES:
            pages[DATA_PAGES[short]].append((path, short, obj))
            continue
        for page, _title, prefixes, _intro in GROUPS:
            if any(module == p or module.startswith(p + ".") for p in prefixes):
                pages[page].append((path, short, obj))
                break
        else:
            unplaced.append((path, short, obj))
    pages.setdefault("other", []).extend(unplaced)
    toc = []
    for page, title, _prefixes, intro in GROUPS + [("other", "Other", [], "Other public names.")]:
        entries = pages.get(page, [])
        if not entries:
            continue
        functions = [e for e in entries if _directive(e[2]) == "autofunction"]
        classes = [e for e in entries if _directive(e[2]) == "autoclass"]
        data = [e for e in entries if _directive(e[2]) == "autodata"]
        lines = [title, "=" * len(title), "", intro, ""]
        for heading, items in (("Functions", functions), ("Classes", classes),
                               ("Constants", data)):
            if not items:
                continue
            lines += [heading, "-" * len(heading), ""]
            for path, short, obj in items:
                lines += _entry(path, short, obj)
        _write_if_changed(api / f"{page}.rst", "\n".join(lines))
        toc.append(page)
    # plotting: its own public list
    import dynrnn.plotting as plotting
    lines = ["Plotting", "========", "", PLOTTING_INTRO, ""]
    for name in plotting.__all__:
        lines += _entry("dynrnn.plotting", name, getattr(plotting, name))
    _write_if_changed(api / "plotting.rst", "\n".join(lines))
    toc.append("plotting")
    toc.append("cli")
    write_cli_page(api / "cli.rst")
    index = ["API reference", "=============", "",
             "Every name below is importable from ``dynrnn`` (plots from ``dynrnn.plotting``).",
             "The pages follow the package: models, their analysis, gradients, and the tools "
             "around them.", "", ".. toctree::", "   :maxdepth: 1", ""]
    index += [f"   {page}" for page in toc]
    _write_if_changed(api / "index.rst", "\n".join(index) + "\n")
    for stale in set(api.glob("*.rst")) - {api / f"{page}.rst" for page in toc + ["index"]}:
        stale.unlink()   # a group emptied since the last build


def write_cli_page(target: Path) -> None:
    """The command line reference: the ``--help`` of the parser and of each subcommand."""
    import argparse

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
    _write_if_changed(target, "\n".join(lines))


def _write_if_changed(path: Path, text: str) -> None:
    # unchanged files keep their time stamp, so Sphinx does not rebuild their pages
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


write_api_pages()


# -- cross-references by object -------------------------------------------------------------------
# Docstrings name objects where they are defined (``dynrnn.analysis.find_fixed_points``, or just
# ``save`` inside dynrnn/io/results.py); the reference documents each under its public path
# (``dynrnn.find_fixed_points``). A reference Sphinx cannot find is looked up as an object, and
# linked to the public path that documents the same object. What is still not found is an error.
_DOCUMENTED: dict[int, str] = {}
_MODULES = [info.name for info in __import__("pkgutil").walk_packages(dynrnn.__path__, "dynrnn.")
            if not info.name.endswith("__main__")]


def _documented_names() -> dict[int, str]:
    if not _DOCUMENTED:
        import dynrnn.plotting as plotting
        for full_name, (path, obj) in _public_names().items():
            _DOCUMENTED.setdefault(id(obj), f"{path}.{full_name.rsplit('.', 1)[-1]}")
        for name in plotting.__all__:
            _DOCUMENTED.setdefault(id(getattr(plotting, name)), f"dynrnn.plotting.{name}")
    return _DOCUMENTED


def _lookup(target: str, context_module: str | None):
    """The object a dotted target names, tried as absolute, then inside each dynrnn module."""
    prefixes = [""] + ([context_module + "."] if context_module else []) + \
        [m + "." for m in ["dynrnn"] + _MODULES]
    for prefix in prefixes:
        parts = (prefix + target).split(".")
        for split in range(len(parts) - 1, 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:split]))
            except ImportError:
                continue
            chain = []
            for attribute in parts[split:]:
                chain.append(attribute)
                obj = getattr(obj, attribute, None)
                if obj is None:
                    break
            if obj is not None:
                return obj, parts[split:]
            break
    return None, None


def _public_target(obj, documented: dict[int, str]) -> str | None:
    """The public path documenting ``obj``, or the method of a documented class it is."""
    if id(obj) in documented:
        return documented[id(obj)]
    qualname = getattr(obj, "__qualname__", "").split(".")
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    if len(qualname) == 2 and module is not None:
        owner = getattr(module, qualname[0], None)
        if owner is not None and id(owner) in documented:
            return f"{documented[id(owner)]}.{qualname[1]}"
    return None


def _resolve_by_object(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].lstrip("~.")
    documented = _documented_names()
    candidates = [target]
    if node.get("py:class"):          # ``:meth:`step``` inside a class's docstring
        candidates.append(f"{node['py:class']}.{target}")
    for candidate in candidates:
        pieces = candidate.split(".")
        obj, _ = _lookup(candidate, node.get("py:module"))
        new_target = _public_target(obj, documented) if obj is not None else None
        if new_target is None and len(pieces) > 1:
            # an attribute of a documented class (``FixedPoint.n_unstable``)
            owner, _ = _lookup(".".join(pieces[:-1]), node.get("py:module"))
            owner_target = _public_target(owner, documented) if owner is not None else None
            new_target = f"{owner_target}.{pieces[-1]}" if owner_target else None
        if new_target is not None:
            found = env.get_domain("py").resolve_xref(env, node["refdoc"], app.builder,
                                                      node["reftype"], new_target, node, contnode)
            if found is not None:
                return found
    return None


def setup(app):
    app.connect("missing-reference", _resolve_by_object)
