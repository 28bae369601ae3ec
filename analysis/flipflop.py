"""Thin wrapper: the code lives in dynrnn/scripts/flipflop.py (so `dynrnn reproduce` finds it when
dynrnn is installed). Run `python analysis/flipflop.py --help` for the options."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout

from dynrnn.scripts._common import report  # noqa: E402
from dynrnn.scripts.flipflop import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(report(main()))
