"""Gradients of recurrent networks: BPTT, Jacobian products, clipping, the Ω regulariser,
training, and gradient events linked to bifurcations."""

__all__: list[str] = []
