"""Plots of dynrnn results. The only part of dynrnn that imports matplotlib, and only inside the
functions, so ``import dynrnn`` needs no display. Every function takes result objects (computed
or loaded from disk) and never recomputes."""

__all__: list[str] = []
