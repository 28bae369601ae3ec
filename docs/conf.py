"""Sphinx configuration of dynrnn's documentation.

Build with ``python3 -m sphinx -W --keep-going -b html docs docs/_build/html``.
The API reference (``docs/api/*.rst``) is written at every build by ``docs/_api_pages.py`` from
the public names (``dynrnn.__all__``, ``dynrnn.plotting.__all__``, and the ``__all__`` of the
public subpackages), each placed on the page of the group whose modules define it; a new public
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
    # a cell's last expression shows as in a notebook (results as their HTML table), except the
    # matplotlib objects a plotting call returns
    "capture_repr": ("_repr_html_", "__repr__"),
    "ignore_repr_types": r"matplotlib[._]",
}

# -- API reference --------------------------------------------------------------------------------
sys.path.insert(0, str(HERE))
from _api_pages import public_names, write_api_pages  # noqa: E402

write_api_pages(HERE / "api")


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
        for full_name, (path, obj) in public_names().items():
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
