"""Options of the continuations: step control, corrector and detection settings.

:class:`ContinuationOptions` (one-parameter branches) and :class:`BifurcationCurveOptions`
(two-parameter curves) use the same names for the same meaning (``ds``, ``ds_min``,
``ds_max``, ``max_points``, ``grow``, ``shrink``, ``fast_newton_iter``, ``max_turn_angle``,
``max_correction``, ``max_newton_iter``, ``locate_tol``); their tolerances differ because their
correctors stop differently. Both are frozen dataclasses validated in ``__post_init__``, and
both turn into the engine's :class:`~dynrnn.analysis.continuation.engine.StepControl`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..._checks import check_count
from ...errors import InvalidInputError, InvalidTypeError
from .engine import CorrectorSettings, StepControl
from .vocabulary import deprecated_options

__all__ = ["ContinuationOptions", "BifurcationCurveOptions"]


@dataclass(frozen=True)
class ContinuationOptions:
    """Step control, corrector and detection settings for :func:`continuation`.

    Attributes
    ----------
    ds : float
        Initial arclength step (its sign is ignored; ``direction`` sets the way).
    ds_min, ds_max : float
        Bounds on the step: ``ds_min <= |ds| <= ds_max``.
    max_points : int
        Most points per direction (including the start point).
    newton_tol : float
        Corrector tolerance on ``max|G|`` and the arclength residual, scaled by ``1 + max|z|``.
    max_newton_iter : int
        Most Newton iterations per corrector call.
    grow, shrink : float
        Step factors after a fast convergence (at most ``fast_newton_iter`` iterations) and after
        a rejected step.
    fast_newton_iter : int
    max_turn_angle : float
        Largest angle (radians) between consecutive tangents; sharper turns are rejected and
        retried with a smaller step, which keeps the branch from jumping to a neighbour.
    max_correction : float
        Largest corrector displacement, as a multiple of ``|ds|``.
    detect : bool
        Detect and locate LP, PD, NS and BP points.
    locate_tol : float
        Arclength (hence parameter) tolerance of the location.
    max_locate_iter : int
    switch_amplitude : float
        Distance from the bifurcation point of the first point of a switched branch.
    multipliers : {"auto", "all", "leading"}
        How the multipliers of each point are computed. "all": a full eigendecomposition at
        every point. "leading": only the multipliers of largest modulus, from a subspace
        tracked along the branch, with flip signs from an LU and full decompositions at every
        ``guard_every``-th point, at the ends and around every detected change (the guard of
        :mod:`dynrnn.analysis.continuation.spectra`); ``Branch.eigenvalues`` then holds the
        leading multipliers only. "auto" (default): "leading" from 128 states on.
    guard_every : int
        Points between two full decompositions of the guard ("leading" only).
    n_leading : int
        Multipliers tracked at first ("leading" only; doubles when more lie near the circle).
    """

    ds: float = 0.01
    ds_min: float = 1e-7
    ds_max: float = 0.1
    max_points: int = 2000
    newton_tol: float = 1e-10
    max_newton_iter: int = 10
    grow: float = 1.5
    shrink: float = 0.5
    fast_newton_iter: int = 3
    max_turn_angle: float = 0.6
    max_correction: float = 1.0
    detect: bool = True
    locate_tol: float = 1e-11
    max_locate_iter: int = 60
    switch_amplitude: float = 1e-3
    multipliers: str = "auto"
    guard_every: int = 25
    n_leading: int = 8

    def __post_init__(self):
        if not isinstance(self.multipliers, str) or \
                self.multipliers not in ("auto", "all", "leading"):
            raise InvalidInputError(f"ContinuationOptions.multipliers must be 'auto', 'all' or "
                                    f"'leading', got {self.multipliers!r}",
                                    argument="multipliers", value=self.multipliers)
        for name in ("ds", "ds_min", "ds_max", "newton_tol", "grow", "shrink", "max_turn_angle",
                     "max_correction", "locate_tol", "switch_amplitude"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating,
                                                                 np.integer)):
                raise InvalidTypeError(f"ContinuationOptions.{name} must be a number, got "
                                       f"{value!r}", argument=name, value=value)
            if not math.isfinite(value):
                raise InvalidInputError(f"ContinuationOptions.{name} must be finite, got {value}",
                                        argument=name, value=value)
        for name, low in (("max_points", 2), ("max_newton_iter", 1), ("fast_newton_iter", 0),
                          ("max_locate_iter", 0), ("guard_every", 1), ("n_leading", 2)):
            check_count(getattr(self, name), name, low, label=f"ContinuationOptions.{name}")
        if not 0 < self.ds_min <= abs(self.ds) <= self.ds_max:
            raise InvalidInputError(
                f"ContinuationOptions needs 0 < ds_min <= |ds| <= ds_max; got ds_min="
                f"{self.ds_min}, ds={self.ds}, ds_max={self.ds_max}", argument="ds",
                value=(self.ds_min, self.ds, self.ds_max))
        if self.newton_tol <= 0 or self.locate_tol <= 0:
            raise InvalidInputError(
                f"newton_tol and locate_tol must be positive; got newton_tol={self.newton_tol}, "
                f"locate_tol={self.locate_tol}", argument="newton_tol",
                value=(self.newton_tol, self.locate_tol))
        if not (self.grow >= 1.0 and 0.0 < self.shrink < 1.0):
            raise InvalidInputError(f"need grow >= 1 and 0 < shrink < 1; got grow={self.grow}, "
                                    f"shrink={self.shrink}", argument="grow",
                                    value=(self.grow, self.shrink))
        if not 0.0 < self.max_turn_angle <= math.pi:
            raise InvalidInputError(f"max_turn_angle must be in (0, pi], got "
                                    f"{self.max_turn_angle}", argument="max_turn_angle",
                                    value=self.max_turn_angle)
        if self.max_correction <= 0 or self.switch_amplitude <= 0:
            raise InvalidInputError(
                f"max_correction and switch_amplitude must be positive; got "
                f"{self.max_correction}, {self.switch_amplitude}", argument="max_correction",
                value=(self.max_correction, self.switch_amplitude))

    def corrector(self, tol: float | None = None, max_iter: int | None = None
                  ) -> CorrectorSettings:
        """The engine's corrector for branches: residual below ``newton_tol·(1 + max|z|)``."""
        return CorrectorSettings(residual_tol=self.newton_tol if tol is None else tol,
                                 max_iter=self.max_newton_iter if max_iter is None else max_iter,
                                 relative=True, divergence_factor=2.0)

    def step_control(self) -> StepControl:
        """The engine's step control for these options."""
        return StepControl(ds=abs(self.ds), ds_min=self.ds_min, ds_max=self.ds_max,
                           max_points=self.max_points, grow=self.grow, shrink=self.shrink,
                           fast_newton_iter=self.fast_newton_iter,
                           max_turn_angle=self.max_turn_angle,
                           max_correction=self.max_correction, corrector=self.corrector())


def _steps_to_points(value, old):
    return check_count(value, old, 1, non_integer=InvalidInputError, label=f"options.{old}",
                       remedy=" (max_steps is deprecated: use max_points = max_steps + 1)") + 1


def _cos_to_angle(value, old):
    if not isinstance(value, (int, float, np.floating, np.integer)) or not -1 < value < 1:
        raise InvalidInputError(f"options.{old} must lie in (-1, 1), got {value!r} "
                                "(min_tangent_cos is deprecated: use max_turn_angle = "
                                "arccos(min_tangent_cos))", argument=old, value=value)
    return math.acos(value)


def _same(value, old):
    return value


@deprecated_options({
    "growth": ("grow", _same, lambda v: v),
    "max_steps": ("max_points", _steps_to_points, lambda v: v - 1),
    "min_tangent_cos": ("max_turn_angle", _cos_to_angle, math.cos),
})
@dataclass(frozen=True)
class BifurcationCurveOptions:
    """Options of :func:`continue_bifurcation`; checked against each other when created.

    The step-control options have the names and meanings of :class:`ContinuationOptions`; the
    former names ``growth``, ``max_steps`` (= ``max_points - 1``) and ``min_tangent_cos``
    (= ``cos(max_turn_angle)``) still work, with a :class:`DeprecationWarning`.

    Attributes
    ----------
    ds : float
        Initial arclength step in the space (x, p1, p2[, κ]). Its sign reverses what "forward"
        means; its size must satisfy ``ds_min <= |ds| <= ds_max``.
    ds_min, ds_max : float
        Bounds of the adaptive step. The step shrinks by ``shrink`` when the corrector fails
        and grows by ``grow`` after easy steps; below ``ds_min`` the continuation stops.
    max_points : int
        Most points per direction, the start included (2001: 2000 steps).
    residual_tol : float
        Newton stops when the largest residual of the defining system (and of the arclength
        equation) is below ``residual_tol`` ...
    tol : float
        ... and the last update was below ``tol * (1 + |z|)``; Newton converges quadratically,
        so the point is then accurate to about ``tol²`` (times the problem's scale).
    max_newton_iter : int
        Newton iterations per corrector call.
    fd_step : float
        Relative step of the central differences of the Jacobian (second derivatives).
    grow, shrink : float
        Step factors after a corrector that needed at most ``fast_newton_iter`` iterations
        (grow >= 1) and after a rejected step (0 < shrink < 1).
    fast_newton_iter : int
    max_turn_angle : float
        A step is rejected (and shortened) when the tangent turns by more than this angle
        (radians; default arccos 0.9); guards against jumping between nearby curves. At the
        smallest steps a sharper turn is accepted.
    max_correction : float
        Largest corrector displacement, as a multiple of the step (default unlimited).
    detect_codim2 : bool
        Detect and locate codimension-two points.
    locate_tol : float
        Arclength tolerance of Brent's method when locating codimension-two points.
    """

    ds: float = 0.02
    ds_min: float = 1e-8
    ds_max: float = 0.1
    max_points: int = 2001
    tol: float = 1e-7
    residual_tol: float = 1e-10
    max_newton_iter: int = 8
    fd_step: float = 1e-5
    grow: float = 1.5
    shrink: float = 0.5
    fast_newton_iter: int = 3
    max_turn_angle: float = math.acos(0.9)
    max_correction: float = math.inf
    detect_codim2: bool = True
    locate_tol: float = 1e-13

    def __post_init__(self):
        for name in ("ds", "ds_min", "ds_max", "tol", "residual_tol", "fd_step", "grow",
                     "shrink", "max_turn_angle", "locate_tol"):
            value = getattr(self, name)
            if not isinstance(value, (int, float, np.floating, np.integer)) or \
                    isinstance(value, bool) or not math.isfinite(value):
                raise InvalidInputError(f"options.{name} must be a finite number, got {value!r}",
                                        argument=name, value=value)
        for name in ("ds_min", "ds_max", "tol", "residual_tol", "fd_step", "locate_tol"):
            if getattr(self, name) <= 0:
                raise InvalidInputError(f"options.{name} must be > 0, got {getattr(self, name)}",
                                        argument=name, value=getattr(self, name))
        if not self.ds_min <= abs(self.ds) <= self.ds_max:
            raise InvalidInputError(
                f"options need ds_min <= |ds| <= ds_max, got ds_min={self.ds_min}, "
                f"ds={self.ds}, ds_max={self.ds_max}", argument="ds", value=self.ds)
        for name, low in (("max_points", 2), ("max_newton_iter", 1), ("fast_newton_iter", 0)):
            hint = " (max_steps + 1)" if name == "max_points" else ""
            check_count(getattr(self, name), name, low, non_integer=InvalidInputError,
                        label=f"options.{name}{hint}")
        if not (self.grow >= 1 and 0 < self.shrink < 1):
            raise InvalidInputError(f"options need grow (formerly growth) >= 1 and 0 < shrink "
                                    f"< 1, got grow={self.grow}, shrink={self.shrink}",
                                    argument="grow", value=(self.grow, self.shrink))
        if not 0 < self.max_turn_angle <= math.pi:
            raise InvalidInputError(f"options.max_turn_angle must be in (0, pi], got "
                                    f"{self.max_turn_angle}", argument="max_turn_angle",
                                    value=self.max_turn_angle)
        if not (isinstance(self.max_correction, (int, float, np.floating, np.integer))
                and self.max_correction > 0):
            raise InvalidInputError(f"options.max_correction must be positive (inf: unlimited), "
                                    f"got {self.max_correction!r}", argument="max_correction",
                                    value=self.max_correction)

    def step_control(self) -> StepControl:
        """The engine's step control for these options."""
        return StepControl(
            ds=abs(self.ds), ds_min=self.ds_min, ds_max=self.ds_max, max_points=self.max_points,
            grow=self.grow, shrink=self.shrink, fast_newton_iter=self.fast_newton_iter,
            max_turn_angle=self.max_turn_angle, max_correction=self.max_correction,
            corrector=self.corrector(), turn_at_min_step=True)

    def corrector(self) -> CorrectorSettings:
        """Newton converged: residual below ``residual_tol`` and last update below ``tol``."""
        return CorrectorSettings(residual_tol=self.residual_tol, max_iter=self.max_newton_iter,
                                 step_tol=self.tol)
