"""Analysis of recurrent maps: fixed points, cycles, stability, continuation, bifurcations."""
from .special_points import Bifurcation, BifurcationKind
# -- continuation (cont1) --
from .continuation import (Branch, ContinuationOptions, ContinuationPoint, ContinuationStatus,
                           continuation, switch_branch)
from .diagram import BifurcationDiagram, bifurcation_diagram
# two-parameter curves and orbit diagrams
from .two_parameter import (BifurcationCurve, BifurcationCurveOptions, CurvePoint, CurveStatus,
                            continue_bifurcation)
from .orbits import OrbitDiagram, OrbitDiagramStatus, orbit_diagram

__all__ = ["Bifurcation", "BifurcationKind",
           "continuation", "Branch", "ContinuationOptions", "ContinuationStatus",
           "ContinuationPoint", "switch_branch", "bifurcation_diagram", "BifurcationDiagram",
           # two-parameter curves and orbit diagrams
           "BifurcationCurve", "BifurcationCurveOptions", "CurvePoint", "CurveStatus",
           "continue_bifurcation",
           "OrbitDiagram", "OrbitDiagramStatus", "orbit_diagram"]
