"""Former location of two-parameter continuation; the code lives in
:mod:`dynrnn.analysis.continuation.curves` (this module re-exports its public names)."""
from .continuation.curves import (
                                  BifurcationCurve,
                                  BifurcationCurveOptions,
                                  CurvePoint,
                                  CurveStatus,
                                  continue_bifurcation,
)

__all__ = ["BifurcationCurve", "BifurcationCurveOptions", "CurvePoint", "CurveStatus",
           "continue_bifurcation"]
