r"""The §2.1 diagnostic of Pascanu, Mikolov & Bengio (2013): can the gradients explode?

For x_t = W_rec σ(x_{t−1}) + W_in u_t + b with |σ'| ≤ γ, the Jacobian of one step is
W_rec diag(σ'(x)), so

.. math::

    \Big\|\frac{\partial x_{k+1}}{\partial x_k}\Big\| \le \|W_{rec}\|\,\gamma = \gamma\lambda_1,

and the long-term terms of the gradient decay at least like (γλ₁)^{t−k} when λ₁ < 1/γ, with λ₁
the largest singular value of W_rec (eqs. 6–7): vanishing is then guaranteed, and λ₁ > 1/γ is
necessary for exploding. For linear units the spectral radius ρ(W_rec) decides: ρ < 1 suffices
for vanishing and ρ > 1 is necessary for exploding.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from .._signature_checks import checked_arguments
from .._tables import TableSpec, Tabular, compact_repr
from ..errors import InvalidTypeError
from ..model.rnn import RNN

__all__ = ["gradient_regime", "GradientRegime", "GradientRegimeKind"]


class GradientRegimeKind(str, enum.Enum):
    VANISHING_GUARANTEED = "vanishing guaranteed: γλ₁ < 1, so the long-term gradients decay"
    EXPLODING_POSSIBLE = ("exploding possible: γλ₁ ≥ 1, the sufficient condition for vanishing "
                          "fails (λ₁ ≥ 1/γ is necessary, not sufficient, for exploding)")

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class GradientRegime(Tabular):
    """The §2.1 numbers of a network.

    Attributes
    ----------
    largest_singular_value : float
        λ₁ = ‖W_rec‖₂.
    gamma : float
        ``sup |σ'|`` of the activation (1 for tanh and ReLU, 1/4 for the logistic sigmoid).
    threshold : float
        1/γ: vanishing is guaranteed when λ₁ < 1/γ.
    contraction_bound : float
        γλ₁, a bound on ‖∂x_{k+1}/∂x_k‖; the long-term terms decay at least like its powers
        when it is below 1.
    spectral_radius : float
        ρ(W_rec), the criterion for linear units (ρ < 1: vanishing; ρ > 1 necessary for
        exploding); ρ ≤ λ₁ always.
    vanishing_guaranteed : bool
        λ₁ < 1/γ.
    exploding_possible : bool
        ``not vanishing_guaranteed``.
    kind : GradientRegimeKind
    activation : str
    """

    largest_singular_value: float
    gamma: float
    threshold: float
    contraction_bound: float
    spectral_radius: float
    vanishing_guaranteed: bool
    exploding_possible: bool
    kind: GradientRegimeKind
    activation: str

    _table_spec = TableSpec(one_row=True, columns=(
        "kind", "largest_singular_value", "gamma", "threshold", "contraction_bound",
        "spectral_radius", "vanishing_guaranteed", "exploding_possible", "activation"))
    __repr__ = compact_repr

    def __str__(self) -> str:
        return (f"λ₁ = {self.largest_singular_value:.6g} vs 1/γ = {self.threshold:.6g} "
                f"(γλ₁ = {self.contraction_bound:.6g}, ρ = {self.spectral_radius:.6g}): "
                f"{self.kind.value}")


@checked_arguments
def gradient_regime(net: RNN) -> GradientRegime:
    r"""Whether the §2.1 sufficient condition for vanishing gradients holds for ``net``.

    .. math::

        \lambda_1 = \|W_{rec}\|_2 < 1/\gamma \;\Rightarrow\;
        \Big\|\prod_{k<i\le t} \frac{\partial x_i}{\partial x_{i-1}}\Big\|
        \le (\gamma\lambda_1)^{t-k}
        \to 0

    Parameters
    ----------
    net : RNN

    Returns
    -------
    GradientRegime

    References
    ----------
    R. Pascanu, T. Mikolov, Y. Bengio, "On the difficulty of training recurrent neural networks",
    ICML 2013, §2.1, eqs. (5)–(7).

    Examples
    --------
    >>> import numpy as np, dynrnn as dr
    >>> r = dr.gradient_regime(dr.RNN(3.0 * np.eye(2), activation="sigmoid"))
    >>> r.largest_singular_value, r.threshold, r.vanishing_guaranteed
    (3.0, 4.0, True)
    """
    if not isinstance(net, RNN):
        raise InvalidTypeError(f"net must be a dynrnn.RNN (gradient_regime needs W_rec and an "
                               f"activation), got {type(net).__name__}", argument="net", value=net)
    W = net.W_rec
    lam1 = float(np.linalg.norm(W, 2))
    rho = float(np.max(np.abs(np.linalg.eigvals(W))))
    gamma = float(net.activation.gamma)
    bound = gamma * lam1
    vanishing = bound < 1.0
    return GradientRegime(
        largest_singular_value=lam1, gamma=gamma, threshold=1.0 / gamma,
        contraction_bound=bound, spectral_radius=rho, vanishing_guaranteed=vanishing,
        exploding_possible=not vanishing,
        kind=(GradientRegimeKind.VANISHING_GUARANTEED if vanishing
              else GradientRegimeKind.EXPLODING_POSSIBLE),
        activation=net.activation.name)
