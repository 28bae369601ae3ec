"""Analysis of recurrent maps: fixed points, cycles, stability, continuation, bifurcations."""
from .special_points import Bifurcation, BifurcationKind
# -- continuation (cont1) --
from .continuation import (Branch, ContinuationOptions, ContinuationPoint, ContinuationStatus,
                           continuation, switch_branch)
from .diagram import BifurcationDiagram, bifurcation_diagram

__all__ = ["Bifurcation", "BifurcationKind",
           "continuation", "Branch", "ContinuationOptions", "ContinuationStatus",
           "ContinuationPoint", "switch_branch", "bifurcation_diagram", "BifurcationDiagram"]
