r"""The attractor graph of :attr:`~dynrnn.analysis.basins.BasinsResult.graph`: attractors,
the saddles between them, and which basins share a boundary.

.. math::

    S \sim A \iff F^t\big(x_S \pm \varepsilon v_u\big) \to A, \qquad
    A \sim B \iff \partial\mathcal B(A) \cap \partial\mathcal B(B) \ni
    \text{a bisection point}

where :math:`x_S` is a fixed point with one unstable direction :math:`v_u` (a saddle): its two
unstable half-manifolds fall into the attractors it separates.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from ...errors import ConvergenceError, InvalidInputError
from ..fixed_points import find_fixed_points
from ..stability import FixedPoint
from .attractors import Catalogue
from .boundaries import classify

if TYPE_CHECKING:  # networkx is imported when a graph is built, not with dynrnn
    import networkx as nx

__all__ = ["attractor_graph", "saddles_and_graph"]


def attractor_graph(attractors) -> nx.Graph:
    """A graph with one node "A<i>" per attractor (role, kind, period and a state ``x``)."""
    import networkx as nx
    graph = nx.Graph()
    for i, a in enumerate(attractors):
        graph.add_node(f"A{i}", role="attractor", kind=a.kind.value, period=int(a.period),
                       x=None if a.x is None else [float(v) for v in a.x])
    return graph


def saddles_and_graph(catalogue: Catalogue, seed, boundary_labels: np.ndarray
                      ) -> tuple[tuple[FixedPoint, ...], nx.Graph]:
    """The saddles (fixed points with one unstable direction found by
    :func:`~dynrnn.find_fixed_points`) and the attractor graph: an edge joins a saddle to each
    attractor one of its unstable half-manifolds falls into, and two attractors whose basins
    share bisection boundary points (``boundary_labels``, shape (n_boundary, 2))."""
    ens = catalogue.ensemble
    graph = attractor_graph(catalogue.attractors)
    try:
        found: Iterable[FixedPoint] = find_fixed_points(ens.system, ens.u, seed=seed)
    except (ConvergenceError, InvalidInputError):
        found = ()
    saddles = tuple(p for p in found if p.n_unstable == 1)
    for j, point in enumerate(saddles):
        graph.add_node(f"S{j}", role="saddle", kind="saddle", period=1,
                       x=[float(v) for v in point.x])
        _join_saddle(graph, catalogue, j, point)
    if boundary_labels.size:
        pairs, counts = np.unique(np.sort(boundary_labels, axis=1), axis=0, return_counts=True)
        for (i, k), count in zip(pairs, counts):
            graph.add_edge(f"A{i}", f"A{k}", relation="common boundary",
                           n_points=int(count))
    return saddles, graph


def _join_saddle(graph: nx.Graph, catalogue: Catalogue, j: int, point: FixedPoint) -> None:
    """Edges from saddle "S<j>" to the attractors its two unstable half-manifolds reach."""
    ens = catalogue.ensemble
    try:
        values, vectors = np.linalg.eig(ens.system.jacobian_unchecked(point.x, ens.u))
    except np.linalg.LinAlgError:
        return
    k = int(np.argmax(np.abs(values)))
    if abs(values[k].imag) >= 1e-12:
        return
    vector = np.real(vectors[:, k])
    scale = 1e-6
    probes = point.x[None] + scale * (1 + np.abs(point.x).max()) * np.stack([vector, -vector])
    sides = classify(catalogue, probes)
    for side in set(int(s) for s in sides if s >= 0):
        graph.add_edge(f"S{j}", f"A{side}", relation="unstable manifold")
    if sides[0] >= 0 and sides[1] >= 0 and sides[0] != sides[1]:
        graph.nodes[f"S{j}"]["separates"] = [int(sides[0]), int(sides[1])]
