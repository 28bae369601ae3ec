"""The examples in the public docstrings run and print what they claim (``doctest``).

One test per module of the package, so a failing example names its module; modules that need
an optional dependency that is missing are skipped.
"""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import dynrnn

MODULES = sorted(info.name for info in pkgutil.walk_packages(dynrnn.__path__, "dynrnn.")
                 if not info.name.endswith("__main__"))


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples(module_name: str) -> None:
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:  # an optional dependency (torch, dask) is missing
        pytest.skip(f"{module_name} needs {error.name}")
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, module_name):
        # the finder keeps to the module's own objects: re-exported names run where they live
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {module_name}"


def test_the_modules_have_examples() -> None:
    """The finder sees the package's examples (a broken walk would make every test pass)."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    count = sum(len(test.examples) for name in MODULES
                for test in finder.find(importlib.import_module(name), name))
    assert count >= 20
