"""Numerical continuation: one predictor–corrector engine and the problems that use it.

=================  ===========================================================================
module             contents
=================  ===========================================================================
``engine``         predictor–corrector, step control, bounds, loop closure; the problem
                   interface every continuation uses
``vocabulary``     the one status enum and direction vocabulary, interval and size checks
``options``        :class:`ContinuationOptions` and :class:`BifurcationCurveOptions`
``branch``         one-parameter branches of fixed points and k-cycles (:func:`continuation`,
                   :class:`Branch`, :class:`ContinuationOptions`)
``switching``      :func:`switch_branch` at flips and branch points
``testfunctions``  codimension-one test functions and their location along a branch
``curves``         two-parameter curves of folds, flips and Neimark–Sacker points
                   (:func:`continue_bifurcation`, :class:`BifurcationCurve`)
``defining``       the minimally augmented defining systems of those curves
=================  ===========================================================================
"""
from .engine import ContinuationStatus, as_direction
from .branch import (Branch, ContinuationOptions, ContinuationPoint, FixedPointProblem,
                     continuation)
from .switching import switch_branch
from .curves import (BifurcationCurve, BifurcationCurveOptions, CurvePoint, CurveStatus,
                     continue_bifurcation)

__all__ = ["ContinuationStatus", "ContinuationOptions", "ContinuationPoint", "Branch",
           "continuation", "switch_branch", "FixedPointProblem", "as_direction",
           "BifurcationCurve", "BifurcationCurveOptions", "CurvePoint", "CurveStatus",
           "continue_bifurcation"]
