"""``python3 -m dynrnn.cli``, the same as ``python3 -m dynrnn``."""
import sys

from .entry_point import main

sys.exit(main())
