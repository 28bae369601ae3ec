"""Analysis of recurrent maps: fixed points, cycles, stability, continuation, bifurcations."""
from .special_points import Bifurcation, BifurcationKind
# -- fixed points, cycles, stability, Lyapunov spectra, §2.1 diagnostic (fixedpoints) --
from .cycles import find_cycles
from .diagnostics import GradientRegime, GradientRegimeKind, gradient_regime
from .fixed_points import FixedPointResult, SearchMethod, SearchStatus, find_fixed_points
from .lyapunov import LyapunovResult, LyapunovStatus, lyapunov_spectrum
from .stability import FixedPoint, PointKind, classify

__all__ = ["Bifurcation", "BifurcationKind",
           # fixedpoints
           "find_fixed_points", "find_cycles", "FixedPoint", "FixedPointResult", "PointKind",
           "SearchStatus", "SearchMethod", "classify", "lyapunov_spectrum", "LyapunovResult",
           "LyapunovStatus", "gradient_regime", "GradientRegime", "GradientRegimeKind"]
