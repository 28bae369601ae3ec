"""Bifurcation diagrams: every branch of fixed points over a parameter interval, the cycles born
at its flips, and a graph connecting the special points."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .._checks import check_count
from .._signature_checks import checked_arguments
from .._tables import TableSpec, Tabular
from .._threads import limited_blas
from ..errors import InvalidInputError, InvalidTypeError
from ..model.base import RecurrentMap, as_finite_array
from .branch_overlap import duplicates_branch as _duplicate  # the one de-duplicator
from .continuation.branch import Branch, ContinuationOptions, continuation, resolve_family
from .continuation.engine import check_interval
from .continuation.switching import switch_branch
from .fixed_points import find_fixed_points

if TYPE_CHECKING:  # networkx is imported when a diagram is built, not with dynrnn
    import networkx as nx

__all__ = ["BifurcationDiagram", "bifurcation_diagram"]


@dataclass(frozen=True, eq=False)
class BifurcationDiagram(Tabular):
    """All branches found over a parameter interval and how they connect.

    Attributes
    ----------
    branches : tuple of Branch
    bifurcations : tuple of Bifurcation
        Every located special point, branch by branch.
    parents : tuple of (int, int)
        For each branch, ``(parent branch index, index into its bifurcations)`` of the point it
        was switched from, or ``(-1, -1)`` for a branch started from a fixed point.
    graph : networkx.MultiGraph
        Nodes are special points and branch ends (attributes ``kind`` — "LP", "PD", "NS",
        "BP" or "end" — ``param``, ``x``, ``period``, ``branch``); edges are the branch segments
        between consecutive nodes (attributes ``branch``, ``start``, ``stop`` point indices,
        ``period``, ``stable`` = fraction of stable points).
    param_name : str
    bounds : (float, float)
    n_starts : int
        Start states given or found; ``n_duplicates`` of them lay on branches already computed.
    n_duplicates : int
    success : bool
        Every branch ended without a corrector failure.
    message : str
    """

    _table_spec = TableSpec(rows="bifurcations", columns=("kind", "param", "x", "criticality"))


    branches: tuple
    bifurcations: tuple
    parents: tuple
    graph: nx.MultiGraph
    param_name: str
    bounds: tuple
    n_starts: int
    n_duplicates: int
    success: bool
    message: str

    def __repr__(self) -> str:
        return (f"BifurcationDiagram({self.param_name} in {self.bounds}, {len(self.branches)} "
                f"branches, {len(self.bifurcations)} special points, success={self.success})")

    def __str__(self) -> str:
        """A few lines: branches and their periods, special points by kind, the outcome."""
        periods = sorted({b.period for b in self.branches})
        kinds: dict = {}
        for b in self.bifurcations:
            kinds.setdefault(b.kind.value, []).append(f"{b.param:.6g}")
        found = "; ".join(f"{k} at {self.param_name} = {', '.join(v)}"
                          for k, v in kinds.items()) or "none"
        return "\n".join([
            f"Bifurcation diagram over {self.param_name} in [{self.bounds[0]:.6g}, "
            f"{self.bounds[1]:.6g}]: {len(self.branches)} branches (periods "
            f"{', '.join(map(str, periods)) or '-'})",
            f"  {self.n_starts} starts, {self.n_duplicates} on branches already computed; "
            f"{'success' if self.success else 'FAILED'}: {self.message}",
            f"  {len(self.bifurcations)} special points: {found}"])


def _on_branch(z: np.ndarray, branch: Branch, tol: float) -> bool:
    pts = np.column_stack([branch.states, branch.params])
    return bool(np.min(np.linalg.norm(pts - z, axis=1)) <= tol)


@limited_blas
@checked_arguments
def bifurcation_diagram(system: RecurrentMap, param, bounds: tuple[float, float], *,
                        starts=None, max_period_doublings: int = 1,
                        switch_at_branch_points: bool = True, u=None,
                        options: ContinuationOptions | None = None, progress: bool = False,
                        **find_options) -> BifurcationDiagram:
    """Continue every fixed point at ``bounds[0]`` across ``bounds`` and follow what branches off.

    Each start is continued towards ``bounds[1]`` (around folds and back, as the branch goes);
    starts that lie on a branch already computed are skipped. At every PD the doubled cycle is
    started with :func:`switch_branch`, recursively up to ``max_period_doublings`` doublings,
    and at every BP the crossing branch (when ``switch_at_branch_points``).

    Parameters
    ----------
    system : RecurrentMap
    param : str, ("line", RNN), "gain" or ParameterFamily
    bounds : (float, float)
    starts : sequence of array_like, shape (n_states,), optional
        States near fixed points of the map at ``bounds[0]``. Default: every fixed point that
        :func:`dynrnn.analysis.find_fixed_points` finds there (``find_options`` are passed on).
    max_period_doublings : int
        0 follows fixed points only; 1 adds the 2-cycles born at their flips, and so on.
    switch_at_branch_points : bool
    u : array_like, optional
    options : ContinuationOptions, optional
    progress : bool

    Returns
    -------
    BifurcationDiagram

    References
    ----------
    .. [1] Yu. A. Kuznetsov, *Elements of Applied Bifurcation Theory*, 3rd ed., 2004, ch. 10.

    Examples
    --------
    The period-doubling cascade of the logistic map:

    >>> import sympy as sp, dynrnn as dr
    >>> x, r = sp.symbols("x r")
    >>> logistic = dr.Map.from_sympy([r * x * (1 - x)], [x], {r: 2.8})
    >>> diagram = dr.bifurcation_diagram(logistic, "r", (2.8, 3.56), starts=[[0.64]],
    ...                                  max_period_doublings=2)
    >>> [(b.kind.value, b.period, round(b.param, 6)) for b in diagram.bifurcations]
    [('PD', 1, 3.0), ('PD', 2, 3.44949), ('PD', 4, 3.54409)]
    """
    opts = options if options is not None else ContinuationOptions()
    family = resolve_family(system, param)
    check_count(max_period_doublings, "max_period_doublings", 0, non_integer=InvalidInputError)
    try:
        if isinstance(bounds, (dict, str, bytes)):
            raise TypeError("not a pair")
        lo = float(bounds[0])
    except (TypeError, IndexError, KeyError, ValueError):
        raise InvalidInputError(f"bounds must be a pair (lo, hi), got {bounds!r}",
                                argument="bounds", value=bounds) from None
    lo, hi = check_interval(bounds, "bounds", lo)
    if find_options:
        import inspect

        accepted = set(inspect.signature(find_fixed_points).parameters) - {"system", "u"}
        for name in find_options:
            if name not in accepted:
                raise InvalidTypeError(
                    f"bifurcation_diagram got an unexpected keyword argument {name!r}; the extra "
                    f"options go to find_fixed_points, which accepts {sorted(accepted)}",
                    argument=name, value=find_options[name])
        if starts is not None:
            raise InvalidInputError(
                f"find_options {sorted(find_options)} are used only to find the starts; with "
                "starts= given they would be ignored: pass one or the other",
                argument=next(iter(find_options)), value=find_options)
    map_lo = family.at(lo)
    n = map_lo.n_states
    if starts is None:
        found = find_fixed_points(map_lo, u=u, **find_options)
        starts = [np.asarray(fp.x, dtype=float) for fp in found]
    else:
        if isinstance(starts, (str, bytes, dict)) or not hasattr(starts, "__iter__"):
            raise InvalidTypeError(f"starts must be a sequence of states of shape ({n},), got "
                                   f"{type(starts).__name__} {starts!r:.60}", argument="starts",
                                   value=starts)
        starts = [as_finite_array(s, "starts") for s in starts]
        for s in starts:
            if s.shape != (n,):
                raise InvalidInputError(f"each start must have shape ({n},), got {s.shape}",
                                        argument="starts", value=s)
    branches, parents, n_duplicates = _primary_branches(map_lo, family, starts, (lo, hi), u,
                                                        opts, progress)
    _switched_branches(branches, parents, (lo, hi), opts, max_period_doublings,
                       switch_at_branch_points)
    graph = _build_graph(branches, parents)
    bifurcations = tuple(b for br in branches for b in br.bifurcations)
    success = all(br.success for br in branches)
    failed = [i for i, br in enumerate(branches) if not br.success]
    message = (f"{len(branches)} branch(es), {len(bifurcations)} special point(s) over "
               f"{family.name} in [{lo:g}, {hi:g}]"
               + ("" if success else f"; branch(es) {failed} stopped on a failure"))
    return BifurcationDiagram(tuple(branches), bifurcations, tuple(parents), graph,
                              family.name, (lo, hi), len(starts), n_duplicates, success,
                              message)


def _primary_branches(map_lo, family, starts, bounds, u, opts, progress):
    """One branch per start not already on a branch: (branches, parents, n_duplicates)."""
    lo, hi = bounds
    branches: list[Branch] = []
    parents: list[tuple[int, int]] = []
    n_duplicates = 0
    for x0 in starts:
        z0 = np.append(x0, lo)
        if any(_on_branch(z0, b, 1e-6 * (1 + np.max(np.abs(z0)))) for b in branches):
            n_duplicates += 1
            continue
        br = continuation(map_lo, family, x0, (lo, hi), p0=lo, u=u, options=opts,
                          direction="forward", progress=progress)
        # a start that converged onto a branch already followed
        if any(_on_branch(np.append(br.states[0], br.params[0]), b,
                          1e-6 * (1 + np.max(np.abs(z0)))) for b in branches):
            n_duplicates += 1
            continue
        branches.append(br)
        parents.append((-1, -1))
    return branches, parents, n_duplicates


def _switched_branches(branches, parents, bounds, opts, max_period_doublings,
                       switch_at_branch_points):
    """Breadth first: the cycles born at flips (up to ``max_period_doublings`` deep) and the
    crossing branches at branch points, appended to ``branches`` and ``parents``."""
    depth = {i: 0 for i in range(len(branches))}
    queue = list(range(len(branches)))
    while queue:
        bi = queue.pop(0)
        br = branches[bi]
        for j, bif in enumerate(br.bifurcations):
            if bif.kind.value == "PD" and depth[bi] < max_period_doublings:
                next_depth = depth[bi] + 1
            elif bif.kind.value == "BP" and switch_at_branch_points:
                next_depth = depth[bi]
            else:
                continue
            try:
                new = switch_branch(br, bif, bounds=bounds, options=opts)
            except (InvalidInputError, np.linalg.LinAlgError):
                continue
            if new.n_points < 2 or _duplicate(new, branches, opts.ds_max):
                continue
            branches.append(new)
            parents.append((bi, j))
            depth[len(branches) - 1] = next_depth
            queue.append(len(branches) - 1)


def _build_graph(branches: list, parents: list) -> nx.MultiGraph:
    import networkx as nx

    graph = nx.MultiGraph()
    node_of_bif: dict[tuple[int, int], int] = {}
    next_id = 0

    def add(**attrs):
        nonlocal next_id
        graph.add_node(next_id, **attrs)
        next_id += 1
        return next_id - 1

    for bi, br in enumerate(branches):
        for j, bif in enumerate(br.bifurcations):
            node_of_bif[(bi, j)] = add(kind=bif.kind.value, param=bif.param, x=bif.x,
                                       period=bif.period, branch=bi)
    for bi, br in enumerate(branches):
        m = br.n_points
        seq: list[tuple[float, int | None]] = [(0.0, None), (float(m - 1), None)]
        seq += [(b.index + 0.5, node_of_bif[(bi, j)]) for j, b in enumerate(br.bifurcations)]
        parent = parents[bi]
        if parent != (-1, -1):
            # the switching point is a point of this branch: reuse the parent's node
            origin = node_of_bif[parent]
            p_star = branches[parent[0]].bifurcations[parent[1]].param
            switch = int(np.argmin(np.abs(br.params - p_star)
                                   + np.linalg.norm(br.states - branches[parent[0]]
                                                    .bifurcations[parent[1]].x, axis=1)))
            seq = [s for s in seq if not (s[1] is None and s[0] == float(switch))]
            seq.append((float(switch), origin))
        seq.sort(key=lambda s: s[0])
        if parent != (-1, -1) and br.end_statuses[1].name == "COLLAPSED":
            # the doubled cycle ends at another flip of its parent: join that node
            parent_branch = branches[parent[0]]
            candidates = [(abs(b.param - br.params[-1]), j)
                          for j, b in enumerate(parent_branch.bifurcations)
                          if b.kind.value == "PD" and j != parent[1]]
            if candidates:
                target = node_of_bif[(parent[0], min(candidates)[1])]
                seq = [s if not (s[1] is None and s[0] == float(m - 1)) else (s[0], target)
                       for s in seq]
        nodes = []
        for pos, node in seq:
            if node is None:
                idx = int(pos)
                node = add(kind="end", param=float(br.params[idx]), x=br.states[idx],
                           period=br.period, branch=bi,
                           status=br.end_statuses[0 if idx == 0 else 1].name)
            nodes.append((pos, node))
        for (pa, na), (pb, nb) in zip(nodes[:-1], nodes[1:]):
            start, stop = int(np.ceil(pa)), int(np.floor(pb))
            seg = br.stable[min(start, stop): max(start, stop) + 1]
            graph.add_edge(na, nb, branch=bi, start=start, stop=stop, period=br.period,
                           stable=float(np.mean(seg)) if seg.size else float("nan"))
    return graph
