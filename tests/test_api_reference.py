"""The API reference (docs/_api_pages.py) documents every public name, on the page of its group.

The pages are generated from the public names at every docs build; these tests run the same
generator without Sphinx and check that no public name is left out, that none falls on a page
outside the groups of the package (models, fixed points and cycles, continuation and
bifurcations, global analysis, gradients and training, events, sweeps, I/O, plotting, command
line), and that every page opens with an introduction.
"""
from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

import pytest

import dynrnn

DOCS = Path(__file__).resolve().parent.parent / "docs"
#: the groups the issue names, by page, and the two pages beyond them (errors, the index)
GROUP_PAGES = {"models", "fixed_points", "continuation", "global", "gradients", "events",
               "sweeps", "io", "plotting", "cli"}
OTHER_PAGES = {"errors", "index"}
PUBLIC_SUBPACKAGES = ["dynrnn.model", "dynrnn.analysis", "dynrnn.gradients", "dynrnn.io",
                      "dynrnn.sweeps", "dynrnn.sweep_examples", "dynrnn.torch", "dynrnn.plotting"]


@pytest.fixture(scope="module")
def generator():
    spec = importlib.util.spec_from_file_location("_api_pages", DOCS / "_api_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pages(generator) -> dict[str, str]:
    return generator.api_pages()


def _documented(pages: dict[str, str]) -> dict[str, str]:
    """Documented object path -> page."""
    found = {}
    for page, text in pages.items():
        for path in re.findall(r"^\.\. auto(?:class|function|data):: (\S+)$", text, re.M):
            found[path] = page
    return found


def _public() -> list[tuple[str, object]]:
    names = [(f"dynrnn.{n}", getattr(dynrnn, n)) for n in dynrnn.__all__ if n != "__version__"]
    for package in PUBLIC_SUBPACKAGES:
        module = importlib.import_module(package)
        names += [(f"{package}.{n}", getattr(module, n)) for n in module.__all__]
    return names


def test_every_public_name_is_documented(pages):
    documented = _documented(pages)
    objects = {}
    for path in documented:     # resolve each documented path to its object
        module, _, name = path.rpartition(".")
        objects[id(getattr(importlib.import_module(module), name))] = path
    missing = [path for path, obj in _public() if path not in documented
               and id(obj) not in objects]
    assert not missing, f"public names missing from the API reference: {missing}"


def test_pages_are_the_groups_of_the_package(pages):
    assert "other" not in pages, "public names in no group: add their module to GROUPS:\n" + \
        pages.get("other", "")
    assert set(pages) == GROUP_PAGES | OTHER_PAGES
    toc = re.findall(r"^   (\w+)$", pages["index"], re.M)
    assert toc == ["models", "fixed_points", "continuation", "global", "gradients", "events",
                   "sweeps", "io", "plotting", "cli", "errors"]     # the order


def test_names_land_in_their_groups(pages):
    """Spot checks that the grouping follows the package."""
    documented = _documented(pages)
    expected = {"dynrnn.RNN": "models", "dynrnn.find_fixed_points": "fixed_points",
                "dynrnn.FixedPointResult": "fixed_points", "dynrnn.find_cycles": "fixed_points",
                "dynrnn.continuation": "continuation", "dynrnn.normal_form": "continuation",
                "dynrnn.basins": "global", "dynrnn.global_continuation": "global",
                "dynrnn.train": "gradients", "dynrnn.bptt": "gradients",
                "dynrnn.find_gradient_events": "events", "dynrnn.torch.Recorder": "events",
                "dynrnn.sweep": "sweeps", "dynrnn.save": "io", "dynrnn.load": "io",
                "dynrnn.plotting.plot_branch": "plotting",
                "dynrnn.set_blas_threads": "errors", "dynrnn.InvalidInputError": "errors"}
    assert {path: documented.get(path) for path in expected} == expected


def test_every_page_has_an_introduction(pages):
    for page, text in pages.items():
        if page == "index":
            continue
        lines = text.splitlines()
        assert set(lines[1]) == {"="}, f"{page}: no title"
        intro = " ".join(lines[3:lines.index("", 3)])
        assert len(intro) > 150 and not intro.startswith(".."), f"{page}: {intro!r}"


def test_cli_page_has_every_command(pages):
    from dynrnn.cli import build_parser
    parser = build_parser()
    commands = next(a for a in parser._actions if a.choices and isinstance(a.choices, dict))
    for name in commands.choices:
        assert f"dynrnn {name}\n" in pages["cli"]


def test_an_unplaced_name_goes_to_other(generator):
    """The guard works: a name from a module no group claims is put on "other"."""
    def stray() -> None:
        """A function."""
    stray.__module__ = "dynrnn.somewhere_new"
    assert generator.page_of("stray", stray) == "other"
    assert generator.page_of("continuation", dynrnn.continuation) == "continuation"


def test_comparison_ratios_are_the_readmes():
    """Every ratio on docs/comparison.rst is a number of the README's performance table."""
    readme = (DOCS.parent / "README.md").read_text()
    ratios = re.findall(r"(\d+(?:\.\d+)?)×", (DOCS / "comparison.rst").read_text())
    assert len(ratios) >= 8
    missing = [r for r in ratios if not re.search(rf"(?<![\d.]){re.escape(r)}×", readme)]
    assert not missing, f"ratios on the comparison page that the README does not give: {missing}"
