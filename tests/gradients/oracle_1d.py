"""An independent one-unit route to the folds on a parameter segment (a test oracle).

The fixed points of a one-unit map are the sign changes of F(x) − x on a grid (refined by brentq);
a fold is where their number changes along s (located by bisection, then refined by Newton on the
fold system). It shares nothing with ``dynrnn.analysis.continuation``; the event tests pass
:func:`scan_1d` as ``find_gradient_events(..., continuation_method=scan_1d)`` and compare.
"""
import numpy as np

from dynrnn.analysis import Bifurcation, BifurcationKind


def fixed_points_1d(net, n_grid: int = 4001) -> np.ndarray:
    """All fixed points of a one-unit map: sign changes of F(x) − x on a grid, then brentq."""
    from scipy.optimize import brentq
    u = net.resolve_input(None)
    box = net.invariant_box()
    if box is None:
        lo, hi = -50.0, 50.0
    else:
        lo, hi = float(box[0][0]) - 1e-9, float(box[1][0]) + 1e-9
    xs = np.linspace(lo, hi, n_grid)
    f = net.step_unchecked(xs[:, None], u)[:, 0] - xs
    roots = list(xs[f == 0.0])
    idx = np.flatnonzero(np.sign(f[:-1]) * np.sign(f[1:]) < 0)
    for i in idx:
        roots.append(brentq(lambda x: net.step_unchecked(np.array([x]), u)[0] - x, xs[i], xs[i + 1],
                            xtol=1e-14))
    return np.sort(np.array(roots))


def refine_fold_1d(net_a, net_b, x: float, s: float, n_newton: int = 30):
    """Newton on the fold system F(x; s) = x, ∂F/∂x(x; s) = 1 of a one-unit net on the line.

    F(x; s) = w(s) σ(x) + c(s) with w, c affine in s, so every partial derivative is exact.
    """
    act = net_a.activation
    d = net_a.difference(net_b)
    dw = float(d["W_rec"][0, 0])
    ua = net_a.resolve_input(None)
    dc = float(d["b"][0] + (d["W_in"] @ ua + net_a.W_in @ d["u"])[0] if net_a.n_inputs
               else d["b"][0])
    w0 = float(net_a.W_rec[0, 0])
    c0 = float(net_a.b[0] + (net_a.W_in @ ua)[0] if net_a.n_inputs else net_a.b[0])
    for _ in range(n_newton):
        w, c = w0 + s * dw, c0 + s * dc
        sg, d1, d2 = (float(f(np.array(x))) for f in (act.function, act.derivative,
                                                      act.second_derivative))
        r = np.array([w * sg + c - x, w * d1 - 1.0])
        J = np.array([[w * d1 - 1.0, dw * sg + dc], [w * d2, dw * d1]])
        try:
            step = np.linalg.solve(J, r)
        except np.linalg.LinAlgError:
            break
        x, s = x - step[0], s - step[1]
        if np.max(np.abs(step)) < 1e-15 * max(1.0, abs(x)):
            break
    return np.array([x]), float(s)


def scan_1d(net_a, net_b, step_a, step_b, n_s=201) -> list:
    """One-unit oracle: folds are where the number of fixed points changes; s by bisection."""
    count = lambda s: fixed_points_1d(net_a.interpolate(net_b, s)).size  # noqa: E731
    grid = np.linspace(0.0, 1.0, n_s)
    counts = np.array([count(s) for s in grid])
    out = []
    for i in np.flatnonzero(counts[:-1] != counts[1:]):
        lo, hi, clo = grid[i], grid[i + 1], counts[i]
        for _ in range(48):
            mid = 0.5 * (lo + hi)
            if count(mid) == clo:
                lo = mid
            else:
                hi = mid
        s = 0.5 * (lo + hi)
        side = net_a.interpolate(net_b, lo if counts[i] > counts[i + 1] else hi)
        fps = fixed_points_1d(side)
        d = np.abs(np.asarray(side.jacobian(fps[:, None]))[:, 0, 0] - 1.0) if fps.size else None
        x = np.array([fps[np.argmin(d)]]) if fps.size else np.array([np.nan])
        x, s = refine_fold_1d(net_a, net_b, float(x[0]), s)
        ev = np.asarray(net_a.interpolate(net_b, s).jacobian(x))
        out.append(Bifurcation(BifurcationKind.LP, float(s), x, np.linalg.eigvals(ev), (lo, hi),
                               param_name="s", period=1))
    return out


