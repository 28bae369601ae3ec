"""The §2.1 gradient regime moved to :mod:`dynrnn.gradients.regime`; this module re-exports it so
``from dynrnn.analysis import gradient_regime`` keeps working."""
from ..gradients.regime import GradientRegime, GradientRegimeKind, gradient_regime

__all__ = ["gradient_regime", "GradientRegime", "GradientRegimeKind"]
