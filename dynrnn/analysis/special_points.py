"""Typed records for the special points that continuation finds."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np

from .._tables import TableSpec, Tabular

__all__ = ["BifurcationKind", "Bifurcation"]


class BifurcationKind(str, enum.Enum):
    """Codimension-one (and, on curves, codimension-two) special points of maps."""

    LP = "LP"    #: fold / limit point: a multiplier at +1
    PD = "PD"    #: flip / period doubling: a multiplier at −1
    NS = "NS"    #: Neimark–Sacker: a complex pair of multipliers crosses the unit circle
    BP = "BP"    #: branch point: two branches of fixed points cross
    BC = "BC"    #: border collision of a piecewise-linear map (a point hits x_i = 0)
    CP = "CP"    #: cusp on a fold curve (codim 2)
    R1 = "R1"    #: 1:1 strong resonance (codim 2)
    R2 = "R2"    #: 1:2 strong resonance (codim 2)
    GPD = "GPD"  #: generalised flip (codim 2)
    LPPD = "LPPD"  #: fold-flip (codim 2)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Bifurcation(Tabular):
    """A located special point on a branch (or on a two-parameter curve).

    Attributes
    ----------
    kind : BifurcationKind
    param : float
        The (first) parameter value at the point.
    x : ndarray, shape (n_states,)
        The state (for a k-cycle: one point of the cycle).
    eigenvalues : ndarray, shape (n_states,)
        Multipliers of the (k-fold) map at the point.
    bracket : (float, float)
        The parameter interval of the two branch points between which it was detected; ``param``
        lies inside it.
    param_name : str
    period : int
        1 for fixed points, k for k-cycles.
    angle : float or None
        For NS, the rotation angle θ in (0, π) of the critical multipliers e^{±iθ}.
    index : int
        Position on the branch: the point lies between ``index`` and ``index + 1``.
    param2 : float or None
        Second parameter value, for codim-2 points on two-parameter curves.
    test_value : float
        The residual of the defining test function at the located point.
    coefficient : float or None
        The critical normal-form coefficient (a for LP, c for PD, d for NS; see
        :mod:`dynrnn.analysis.normal_forms`); None when not computed, degenerate, or for other
        kinds.
    criticality : str or None
        ``"supercritical"``, ``"subcritical"``, ``"degenerate"`` or (LP) ``"nondegenerate"``
        (a :class:`~dynrnn.analysis.normal_forms.Criticality`); None when not computed.
    """

    kind: BifurcationKind
    param: float
    x: np.ndarray
    eigenvalues: np.ndarray
    bracket: tuple[float, float]
    param_name: str = ""
    period: int = 1
    angle: float | None = None
    index: int = -1
    param2: float | None = None
    test_value: float = float("nan")
    extra: dict = field(default_factory=dict)
    coefficient: float | None = None
    criticality: str | None = None

    # the table: one row (a diagram's table, BifurcationDiagram.to_records, has one per point)
    _table_spec = TableSpec(one_row=True, columns=("kind", "param_name", "param", "x", "period",
                                                   "coefficient", "criticality"))

    def __repr__(self) -> str:
        extra = f", angle={self.angle:.6g}" if self.angle is not None else ""
        if self.criticality is not None:
            extra += f", {self.criticality}"
            if self.coefficient is not None:
                symbol = {"LP": "a", "PD": "c", "NS": "d"}.get(self.kind.value, "coefficient")
                extra += f" ({symbol}={self.coefficient:.6g})"
        return (f"Bifurcation({self.kind.value} at {self.param_name or 'p'}={self.param:.10g}, "
                f"period={self.period}{extra})")
