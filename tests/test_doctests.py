"""The examples in the public docstrings run and print what they claim (``doctest``).

One test per module of the package, so a failing example names its module; modules that need
an optional dependency that is missing are skipped. The walk over the package raises on a module
that cannot be imported (instead of skipping it silently), every module defining a public name
is in it, and a deliberately broken example is shown to fail.
"""
from __future__ import annotations

import doctest
import importlib
import pkgutil
import types

import pytest

import dynrnn


def _walk_error(name: str) -> None:
    raise ImportError(f"dynrnn module {name} could not be imported while collecting doctests")


MODULES = sorted(info.name for info in pkgutil.walk_packages(dynrnn.__path__, "dynrnn.",
                                                             onerror=_walk_error)
                 if not info.name.endswith("__main__"))
PUBLIC_PACKAGES = ["dynrnn", "dynrnn.model", "dynrnn.analysis", "dynrnn.gradients",
                   "dynrnn.io", "dynrnn.sweeps", "dynrnn.sweep_examples", "dynrnn.torch",
                   "dynrnn.plotting"]


def run_examples(module: types.ModuleType, name: str) -> doctest.TestResults:
    """Run the docstring examples of ``module``'s own objects; the failures are printed."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name):
        # the finder keeps to the module's own objects: re-exported names run where they live
        runner.run(test)
    return runner.summarize(verbose=False)


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples(module_name: str) -> None:
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:  # an optional dependency (torch, dask) is missing
        pytest.skip(f"{module_name} needs {error.name}")
    result = run_examples(module, module_name)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {module_name}"


def test_the_modules_have_examples() -> None:
    """The finder sees the package's examples (a broken walk would make every test pass)."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    count = sum(len(test.examples) for name in MODULES
                for test in finder.find(importlib.import_module(name), name))
    assert count >= 100


def test_every_public_module_is_collected() -> None:
    """Each module that defines a public name has its docstrings run."""
    defining = set()
    for package in PUBLIC_PACKAGES:
        module = importlib.import_module(package)
        for name in module.__all__:
            owner = getattr(getattr(module, name), "__module__", None)
            if owner and owner.startswith("dynrnn."):
                defining.add(owner)
    assert defining and defining <= set(MODULES), sorted(defining - set(MODULES))


def test_a_broken_example_fails() -> None:
    """The check can fail: a docstring whose example prints something else is counted."""
    module = types.ModuleType("dynrnn_broken_example")
    exec('''def square(x):
    """Square a number.

    >>> square(3)
    10
    >>> square(2)
    4
    """
    return x * x
''', module.__dict__)
    result = run_examples(module, module.__name__)
    assert (result.attempted, result.failed) == (2, 1)


DOCS = __import__("pathlib").Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.rst")
                                        if ">>>" in p.read_text()))
def test_examples_on_the_documentation_pages(page: str) -> None:
    """The ``>>>`` examples written on the pages themselves (docs/*.rst) run too."""
    pytest.importorskip("pandas")      # notebooks.rst shows to_dataframe()
    result = doctest.testfile(str(DOCS / page), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
