r"""Gradient events: spikes of the gradient norm during training, each explained (or not) by the
bifurcation or basin-boundary crossing that the parameter update made.

For a spike at step k, every stored segment θ(s) = θ_a + s(θ_b − θ_a), s ∈ [0, 1], between the
steps around k is examined:

1. the attractors of the autonomous map x ↦ F(x; θ(s)) (fixed points and, with ``max_period > 1``,
   cycles) at s = 0 are continued along s, and every bifurcation met on [0, 1] is reported with its
   kind, s, state and multipliers;
2. the initial state x0 of training is iterated to convergence under θ(s): if the attractor it
   approaches changes between s = 0 and s = 1, the change is located by bisection in s (the
   asymptotic state jumps there); a basin change at the s of a bifurcation is attributed to that
   bifurcation (e.g. a fold that destroys the attractor x0 was following), otherwise to the basin
   boundary (e.g. the unstable fixed point passing through x0);
3. the loss jump E(θ_{k+1}) − E(θ_k) is recorded.

For piecewise-linear maps (PLRNN, ReLU networks) the crossings of step 1 are border collisions: a
point of a fixed point or cycle reaches a switching border z_i = 0 and the Jacobian jumps
(Eisenmann et al. 2023 show that loss jumps of ReLU RNNs come from these); they are typed (kind
"BC", :attr:`Crossing.collision_type`), weighed for relevance like the smooth ones, and a spike
they explain has the cause BORDER_COLLISION.

A spike with neither a bifurcation nor a basin change on its segments is "unexplained"; nothing is
forced. The paper argues (§2.2) that crossing a bifurcation is neither necessary nor sufficient for
an exploding gradient, while crossing a basin boundary (for the given x0) is sufficient.

References
----------
K. Doya, "Bifurcations of recurrent neural networks in gradient descent learning", IEEE TNN (1993).
Pascanu, Mikolov, Bengio (2013), §2.2-§2.3.
L. Eisenmann, Z. Monfared, N. Göring, D. Durstewitz, "Bifurcations and loss jumps in RNN
training", NeurIPS 2023.

The package: :mod:`.results` (the result types), :mod:`.analysis` (spikes, segments, causes),
:mod:`.crossings` (continuation and border collisions along a segment), :mod:`.relevance`,
:mod:`.orbits` (orbits of x0 and the basin change), :mod:`.sources` (histories and recordings).
"""
from __future__ import annotations

from .analysis import detect_spikes, find_gradient_events
from .relevance import crossing_relevance
from .results import (BasinChange, Crossing, CrossingRole, EventCause, EventsStatus,
                      GradientEvent, GradientEvents, Relevance)

__all__ = ["Crossing", "CrossingRole", "Relevance", "BasinChange", "GradientEvent",
           "GradientEvents", "EventCause", "EventsStatus", "find_gradient_events",
           "detect_spikes", "crossing_relevance"]
