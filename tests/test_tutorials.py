"""The five tutorials (docs/examples/) run as plain scripts, as a reader downloads them.

The docs build runs them too (sphinx-gallery, with ``abort_on_example_error``); this runs them
without Sphinx so that ``pytest -m slow`` catches a broken tutorial before the build does.
"""
from __future__ import annotations

import runpy
from pathlib import Path

import matplotlib
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
TUTORIALS = sorted(path.name for path in EXAMPLES.glob("tutorial_*.py"))


def test_there_are_five_tutorials():
    assert len(TUTORIALS) == 5


@pytest.mark.slow
@pytest.mark.parametrize("name", TUTORIALS)
def test_tutorial_runs(name, tmp_path, monkeypatch):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    monkeypatch.chdir(tmp_path)
    try:
        namespace = runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    finally:
        plt.close("all")
    assert namespace      # the script ran to its end
