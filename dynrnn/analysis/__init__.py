"""Analysis of recurrent maps: fixed points, cycles, stability, continuation, bifurcations."""
from .special_points import Bifurcation, BifurcationKind
# -- fixed points, cycles, stability, Lyapunov spectra, §2.1 diagnostic (fixedpoints) --
from .cycles import find_cycles
from .diagnostics import GradientRegime, GradientRegimeKind, gradient_regime
from .fixed_points import FixedPointResult, SearchMethod, SearchStatus, find_fixed_points
from .lyapunov import LyapunovResult, LyapunovStatus, lyapunov_spectrum
from .ensembles import run_over_param
from .stability import FixedPoint, PointKind, classify
from .starts import trajectory_starts
# -- continuation (cont1) --
from .continuation import (Branch, ContinuationOptions, ContinuationPoint, ContinuationStatus,
                           continuation, switch_branch)
from .diagram import BifurcationDiagram, bifurcation_diagram
# two-parameter curves (the same continuation package) and orbit diagrams
from .continuation import (BifurcationCurve, BifurcationCurveOptions, CurvePoint, CurveStatus,
                           continue_bifurcation)
from .orbits import OrbitDiagram, OrbitDiagramStatus, orbit_diagram
# normal-form coefficients and border collisions (bifdepth)
from .normal_forms import Criticality, NormalForm, NormalFormStatus, normal_form
from .codim2_coefficients import CurveCriticality, criticality_along
from .multiple_shooting import ShootingBranch, continue_cycle, period_doubling_cascade
from .codim2_switching import switch_at_codim2
from .border_collisions import (BorderCollisionType, PiecewiseBranch, PiecewiseStatus,
                                border_collisions_between, continue_piecewise)

__all__ = ["Bifurcation", "BifurcationKind",
           # fixedpoints
           "find_fixed_points", "find_cycles", "FixedPoint", "FixedPointResult", "PointKind",
           "SearchStatus", "SearchMethod", "classify", "lyapunov_spectrum", "run_over_param", "LyapunovResult",
           "LyapunovStatus", "gradient_regime", "GradientRegime", "GradientRegimeKind",
           "trajectory_starts",
           # continuation
           "continuation", "Branch", "ContinuationOptions", "ContinuationStatus",
           "ContinuationPoint", "switch_branch", "bifurcation_diagram", "BifurcationDiagram",
           # two-parameter curves and orbit diagrams
           "BifurcationCurve", "BifurcationCurveOptions", "CurvePoint", "CurveStatus",
           "continue_bifurcation",
           "OrbitDiagram", "OrbitDiagramStatus", "orbit_diagram",
           # normal forms and border collisions
           "normal_form", "NormalForm", "NormalFormStatus", "Criticality",
           "criticality_along", "CurveCriticality",
           "continue_piecewise", "PiecewiseBranch", "PiecewiseStatus", "BorderCollisionType",
           "border_collisions_between",
           "continue_cycle", "period_doubling_cascade", "ShootingBranch",
           "switch_at_codim2"]

# -- basins and global continuation (basins) --
from .basins import (Attractor, AttractorKind, BasinsOptions, BasinsResult, BasinsStatus,
                     basins)
from .global_continuation import (AttractorEvent, AttractorEventCause, AttractorEventKind,
                                  GlobalContinuationResult, GlobalContinuationStatus,
                                  global_continuation)

__all__ += ["basins", "BasinsResult", "BasinsStatus", "BasinsOptions", "Attractor",
            "AttractorKind", "global_continuation", "GlobalContinuationResult",
            "GlobalContinuationStatus", "AttractorEvent", "AttractorEventKind", "AttractorEventCause"]
