"""dynrnn: recurrent neural networks as discrete-time dynamical systems.

Fixed points, cycles, continuation and bifurcations of recurrent maps, and the link between the
bifurcations a network crosses during training and its exploding gradients (Doya 1993; Pascanu,
Mikolov and Bengio 2013).
"""
from ._version import __version__
from .errors import (ConvergenceError, DerivativeFallbackWarning, DynrnnError, DynrnnWarning,
                     FileFormatError, InvalidInputError, InvalidTypeError, MapEvaluationError,
                     MissingDependencyError, NonFiniteError, ResourceLimitError, ShapeError,
                     UndeclaredSymbolError, UnknownActivationError, UnknownParameterError)
from .model import (ACTIVATIONS, Activation, Gain, LineBetween, Map, NamedParameter,
                    ParameterFamily, RNN, RecurrentMap, get_activation)
from .model import ArrayNetwork
from .analysis import Bifurcation, BifurcationKind
# -- fixed points, cycles, stability, Lyapunov spectra, §2.1 diagnostic (fixedpoints) --
from .analysis import (FixedPoint, FixedPointResult, GradientRegime, GradientRegimeKind,
                       LyapunovResult, LyapunovStatus, PointKind, SearchMethod, SearchStatus,
                       classify, find_cycles, find_fixed_points, gradient_regime,
                       lyapunov_spectrum, run_over_param, trajectory_starts)
from .model import ElmanRNN, PLRNN
# gated networks with torch's equations, and import from PyTorch (gated)
from .model import (ElmanStack, GRU, LSTM, TorchNetwork, from_torch, from_torch_state,
                    read_torch, to_torch_state)
from .io import load, load_model, save, save_model
from ._threads import blas_threads, get_blas_threads, set_blas_threads
# two-parameter curves and orbit diagrams
from .analysis import (BifurcationCurve, BifurcationCurveOptions, CurvePoint, CurveStatus,
                       OrbitDiagram, OrbitDiagramStatus, continue_bifurcation, orbit_diagram)
from .analysis import (BifurcationDiagram, Branch, ContinuationOptions, ContinuationStatus,
                       bifurcation_diagram, continuation, switch_branch)
# normal-form coefficients and border collisions
from .analysis import (Criticality, CurveCriticality, NormalForm, NormalFormStatus,
                       criticality_along, normal_form)
from .analysis import (ShootingBranch, continue_cycle, period_doubling_cascade,
                       switch_at_codim2)
from .analysis import (BorderCollisionType, PiecewiseBranch, PiecewiseStatus,
                       border_collisions_between, continue_piecewise)
# basins and global continuation
from .analysis import (Attractor, AttractorEvent, AttractorEventCause, AttractorEventKind,
                       AttractorKind, BasinsOptions, BasinsResult, BasinsStatus,
                       GlobalContinuationResult, GlobalContinuationStatus, basins,
                       global_continuation)
# sweeps
from .sweeps import (Grid, PointStatus, SweepError, SweepInterrupted, SweepResult, SweepStatus,
                     sweep, sweep_from_config)
# -- gradients (gradients) --
from .gradients import (TASKS, Batch, BPTTResult, ClipResult, DistanceDecomposition,
                        ErrorSurface, GradientEvents, JacobianProducts, OmegaResult, Readout, Task,
                        TrainingHistory, TrainingOptions, TrainingResult, bptt, clip_gradients,
                        descent_paths,
                        error_surface, find_gradient_events, get_task, gradient_by_distance,
                        initialise, jacobian_products, omega, omega_terms, train)
from .gradients import SpikeDefinition
from .gradients.recording import Recording, load_recording

__all__ = [
    "__version__",
    # BLAS threads of the heavy calls
    "set_blas_threads", "get_blas_threads", "blas_threads",
    # model
    "ACTIVATIONS", "Activation", "get_activation", "RecurrentMap", "ArrayNetwork", "Map", "RNN",
    "ParameterFamily", "NamedParameter", "LineBetween", "Gain",
    # analysis
    "Bifurcation", "BifurcationKind",
    # fixed points, cycles, stability (fixedpoints)
    "find_fixed_points", "find_cycles", "FixedPoint", "FixedPointResult", "PointKind",
    "SearchStatus", "SearchMethod", "classify", "lyapunov_spectrum", "run_over_param",
    "LyapunovResult", "LyapunovStatus", "gradient_regime", "GradientRegime", "GradientRegimeKind",
    "trajectory_starts",
    # model (Elman form, PLRNN) and saving/loading
    "ElmanRNN", "PLRNN", "save", "load", "save_model", "load_model",
    # gated networks and PyTorch import (gated)
    "GRU", "LSTM", "ElmanStack", "from_torch", "read_torch", "TorchNetwork", "to_torch_state",
    "from_torch_state",
    # two-parameter curves and orbit diagrams
    "BifurcationCurve", "BifurcationCurveOptions", "CurvePoint", "CurveStatus",
    "continue_bifurcation",
    "OrbitDiagram", "OrbitDiagramStatus", "orbit_diagram",
    # analysis: continuation
    "continuation", "Branch", "ContinuationOptions", "ContinuationStatus", "switch_branch",
    "bifurcation_diagram", "BifurcationDiagram",
    # normal forms and border collisions
    "normal_form", "NormalForm", "NormalFormStatus", "Criticality", "criticality_along",
    "CurveCriticality",
    "continue_piecewise", "PiecewiseBranch", "PiecewiseStatus", "BorderCollisionType",
    "border_collisions_between", "continue_cycle", "period_doubling_cascade", "ShootingBranch",
    "switch_at_codim2",
    # basins and global continuation
    "basins", "BasinsResult", "BasinsStatus", "BasinsOptions", "Attractor", "AttractorKind",
    "global_continuation", "GlobalContinuationResult", "GlobalContinuationStatus",
    "AttractorEvent", "AttractorEventKind", "AttractorEventCause",
    # sweeps
    "sweep", "sweep_from_config", "Grid", "SweepResult", "SweepStatus", "PointStatus",
    "SweepError", "SweepInterrupted",
    # gradients
    "bptt", "BPTTResult", "Readout", "jacobian_products", "JacobianProducts",
    "gradient_by_distance", "DistanceDecomposition", "clip_gradients", "ClipResult", "omega",
    "omega_terms", "OmegaResult", "TASKS", "Task", "Batch", "get_task", "initialise", "train",
    "TrainingOptions", "TrainingResult", "TrainingHistory", "find_gradient_events",
    "GradientEvents", "SpikeDefinition", "Recording", "load_recording",
    "error_surface", "ErrorSurface", "descent_paths",
    # errors
    "DynrnnError", "InvalidInputError", "ShapeError", "NonFiniteError", "UnknownParameterError",
    "ResourceLimitError", "UnknownActivationError", "UndeclaredSymbolError", "InvalidTypeError",
    "ConvergenceError", "MissingDependencyError", "FileFormatError", "MapEvaluationError",
    "DynrnnWarning", "DerivativeFallbackWarning",
]
