"""Analysis of recurrent maps: fixed points, cycles, stability, continuation, bifurcations."""
from .special_points import Bifurcation, BifurcationKind
# two-parameter curves and orbit diagrams
from .two_parameter import (BifurcationCurve, BifurcationCurveOptions, CurvePoint, CurveStatus,
                            continue_bifurcation)
from .orbits import OrbitDiagram, OrbitDiagramStatus, orbit_diagram

__all__ = ["Bifurcation", "BifurcationKind",
           # two-parameter curves and orbit diagrams
           "BifurcationCurve", "BifurcationCurveOptions", "CurvePoint", "CurveStatus",
           "continue_bifurcation",
           "OrbitDiagram", "OrbitDiagramStatus", "orbit_diagram"]
