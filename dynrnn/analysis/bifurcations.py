"""Former location of the codimension-one test functions; the code lives in
:mod:`dynrnn.analysis.continuation.testfunctions` (this module re-exports its public names)."""
from .continuation.testfunctions import (
                                         detect_and_locate,
                                         locate_on_segment,
                                         multiplier_signs,
                                         ns_sign,
                                         pd_sign,
)

__all__ = ["pd_sign", "ns_sign", "multiplier_signs", "detect_and_locate", "locate_on_segment"]
