"""Analysis of recurrent maps: fixed points, cycles, stability, continuation, bifurcations."""
from .special_points import Bifurcation, BifurcationKind

__all__ = ["Bifurcation", "BifurcationKind"]
