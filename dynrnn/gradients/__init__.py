"""Gradients of recurrent networks: BPTT, Jacobian products, clipping, the Ω regulariser,
training, and gradient events linked to bifurcations."""
from .bptt import BPTTResult, Readout, bptt
from .clipping import ClipAction, ClipResult, clip_gradients, global_norm
from .regularizer import OmegaResult, OmegaVariant, omega, omega_terms
from .tasks import TASKS, Batch, Task, error_rate, get_task
from .init import INITIALISATIONS, initialise
from .training import TrainingHistory, TrainingResult, TrainingStatus, train
from .training_options import TrainingOptions
from .error_surface import ErrorSurface, descent_paths, error_surface, fig6_problem
from .spikes import SpikeDefinition, SpikeMonitor
from .events import (BasinChange, Crossing, CrossingRole, EventCause, EventsStatus, GradientEvent,
                     GradientEvents, Relevance, crossing_relevance, detect_spikes,
                     find_gradient_events)
from .regime import GradientRegime, GradientRegimeKind, gradient_regime
from .products import (DistanceDecomposition, JacobianProducts, gradient_by_distance,
                       jacobian_products, product_bound)

__all__: list[str] = ["bptt", "BPTTResult", "Readout", "jacobian_products", "JacobianProducts",
                     "product_bound", "gradient_by_distance", "DistanceDecomposition",
                     "clip_gradients", "ClipResult", "ClipAction", "global_norm",
                     "omega", "omega_terms", "OmegaResult", "OmegaVariant",
                     "TASKS", "Task", "Batch", "get_task", "error_rate", "INITIALISATIONS",
                     "initialise", "train", "TrainingOptions", "TrainingResult",
                     "TrainingHistory", "TrainingStatus", "gradient_regime", "GradientRegime",
                     "GradientRegimeKind",
                     "error_surface", "ErrorSurface", "descent_paths", "fig6_problem",
                     "find_gradient_events", "GradientEvents", "GradientEvent", "Crossing",
                     "BasinChange", "EventCause", "detect_spikes", "SpikeDefinition",
                     "SpikeMonitor", "CrossingRole", "Relevance", "EventsStatus",
                     "crossing_relevance"]
