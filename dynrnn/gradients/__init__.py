"""Gradients of recurrent networks: BPTT, Jacobian products, clipping, the Ω regulariser,
training, and gradient events linked to bifurcations."""
from .bptt import BPTTResult, Readout, bptt

__all__: list[str] = ["bptt", "BPTTResult", "Readout"]
