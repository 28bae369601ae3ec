"""All fixed points of a 256-unit tanh RNN to residual 1e-10: dynrnn's batched Newton against the
FixedPointFinder method (Golub & Sussillo 2018: Adam on q(x) = ½‖F(x) − x‖², torch float64)
from the SAME starts, compared at EQUAL final residual, in one process.

    python3 benchmarks/bench_fixed_points.py            # 1000 starts; Adam on 32 (~10 min loaded)
    python3 benchmarks/bench_fixed_points.py --quick    # 64 units, 200 starts; Adam on 12, cap 5000
    python3 benchmarks/bench_fixed_points.py --scipy    # also a per-start scipy.optimize.root loop

A start counts as converged only when ‖F(x) − x‖₂ ≤ 1e-10. Adam converges linearly at best, so
it is run on the first ``--adam-starts`` starts only, with a generous cap, for each setting of a
small learning-rate grid (FixedPointFinder's adaptive schedule from rate 1.0, two faster-decaying
variants and a constant rate); the best setting is reported. Both methods are charged the same
way (class Accounting): CPU per start-iteration × the iterations a converged start used, averaged
over the converged starts ("per converged start"), the plain CPU / converged count ("all-in"),
and the CPU spent until the last distinct point was first reached. Starts that never converge
are charged nothing per converged start, which favours the method with more failures (Adam):
with unconverged Adam starts the ratio is a lower bound. The Adam baseline is our
re-implementation of the method from its description, not FixedPointFinder's code. All
libraries run single-threaded (set below) so the ratios measure the algorithms, not thread pools.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402

import dynrnn as dr  # noqa: E402
from dynrnn.analysis import _newton  # noqa: E402


def make_net(n_units: int, gain: float, seed: int) -> dr.RNN:
    rng = np.random.default_rng(seed)
    W = gain * rng.standard_normal((n_units, n_units)) / np.sqrt(n_units)
    return dr.RNN(W, b=0.1 * rng.standard_normal(n_units), activation="tanh")


def adam_fixed_points(net: dr.RNN, starts: np.ndarray, *, target: float, max_iter: int,
                      lr: float = 1.0, adaptive: bool = True, increase: float = 1.0 / 0.95,
                      decrease: float = 0.5, patience: int = 5):
    """Adam on q(x) = ½‖F(x) − x‖² for every start at once (torch float64), with the adaptive
    learning rate FixedPointFinder describes (Golub & Sussillo 2018): initial rate ``lr``,
    multiplied by ``increase`` after ``patience`` consecutive decreases of q and by ``decrease``
    whenever q rises. Each start has its own rate and Adam moments, and stops once
    ‖F(x) − x‖ ≤ ``target`` (both help Adam relative to one shared rate over the batch).

    The gradient ∇q = (J − I)ᵀ r = σ'(x) ⊙ (Wᵀ r) − r is written out rather than taken by
    autograd: the same two matrix products, without the tape.

    Returns (X, final residuals, iteration at which each start met the target (-1: never),
    iterations run, start-iterations paid for = m × iterations run).
    """
    import torch

    W = torch.tensor(np.array(net.W_rec))
    b = torch.tensor(np.array(net.b))
    x = torch.tensor(starts, dtype=torch.float64).clone()
    m = x.shape[0]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    mom = torch.zeros_like(x)
    vel = torch.zeros_like(x)
    rate = torch.full((m,), float(lr), dtype=torch.float64)
    streak = torch.zeros(m, dtype=torch.int64)
    q_prev = torch.full((m,), float("inf"), dtype=torch.float64)
    hit = np.full(m, -1)
    running = torch.ones(m, dtype=torch.bool)
    it = 0
    # The whole batch is updated every iteration (finished starts are frozen by a mask), as
    # FixedPointFinder does: the cost of an iteration is then shared evenly by the m starts.
    for it in range(1, max_iter + 1):
        t = torch.tanh(x)
        r = t @ W.T + b - x
        res = torch.linalg.norm(r, dim=1)
        newly = running & (res <= target)
        if bool(newly.any()):
            hit[newly.numpy()] = it - 1
            running &= ~newly
            if not bool(running.any()):
                it -= 1
                break
        q = 0.5 * res * res
        if adaptive:
            up = q < q_prev
            streak = torch.where(up, streak + 1, torch.zeros_like(streak))
            grow = streak >= patience
            rate = rate * torch.where(grow, increase, 1.0) * torch.where(up, 1.0, decrease)
            streak = torch.where(grow, torch.zeros_like(streak), streak)
            q_prev = q
        g = (1.0 - t * t) * (r @ W) - r
        mom = beta1 * mom + (1 - beta1) * g
        vel = beta2 * vel + (1 - beta2) * g * g
        step = (rate / (1 - beta1 ** it))[:, None] * mom / (torch.sqrt(vel / (1 - beta2 ** it)) + eps)
        x = torch.where(running[:, None], x - step, x)
    work = m * it
    final = torch.linalg.norm(torch.tanh(x) @ W.T + b - x, dim=1).numpy()
    hit[(hit < 0) & (final <= target)] = it
    return x.numpy(), final, hit, it, work


def scipy_root_loop(net: dr.RNN, starts: np.ndarray, tol: float):
    from scipy.optimize import root

    eye = np.eye(net.n_units)
    out, res = [], []
    for s in starts:
        sol = root(lambda z: net.step(z) - z, s, jac=lambda z: net.jacobian(z) - eye,
                   method="hybr", options={"xtol": 1e-14})
        out.append(sol.x)
        res.append(np.linalg.norm(net.step(sol.x) - sol.x))
    return np.array(out), np.array(res)


def unique_count(X: np.ndarray, ok: np.ndarray) -> int:
    if not np.any(ok):
        return 0
    keep = _newton.deduplicate(X[ok][:, None, :], np.zeros(int(ok.sum())), 1e-6)
    return len(keep)


def first_found(X: np.ndarray, when: np.ndarray, ok: np.ndarray, rtol: float = 1e-6):
    """Distinct points among the converged X[ok] and, for each, the earliest iteration (``when``)
    at which some start reached it. Returns (points (p, n), first iteration (p,))."""
    order = np.flatnonzero(ok)[np.argsort(when[ok], kind="stable")]
    pts, first = [], []
    for i in order:
        if pts and np.any(_newton.same_point(np.array(pts), X[i][None], rtol)):
            continue
        pts.append(X[i])
        first.append(int(when[i]))
    return np.array(pts).reshape(-1, X.shape[1]), np.array(first, dtype=int)


class Accounting:
    """Cost per converged start and time to find every distinct point, for a batched method
    whose cost is proportional to the start-iterations it does (Newton: one LU per start and
    iteration; Adam: two matrix-vector products).

    ``cpu`` is the measured CPU time of the whole batch, ``iters`` the iterations each start ran,
    ``hit`` the iteration at which each converged start met the target (``ok``). The cost of a
    start-iteration is cpu / Σ iters; a converged start is charged for its own iterations only,
    so starts that never converge cost nothing in the per-converged-start figure (for Adam this
    makes every ratio below a lower bound).
    """

    def __init__(self, cpu, iters, hit, ok, X, cap=None):
        self.cpu = float(cpu)
        self.iters = np.asarray(iters, dtype=float)
        self.ok = np.asarray(ok, dtype=bool)
        self.n_ok = int(self.ok.sum())
        self.unit = self.cpu / max(self.iters.sum(), 1.0)
        # with no converged start: each would need more than ``cap`` iterations (a lower bound)
        self.per_converged = (self.unit * float(np.mean(np.asarray(hit)[self.ok]))
                              if self.n_ok else self.unit * float(cap or np.inf))
        self.all_in = self.cpu / self.n_ok if self.n_ok else self.cpu
        self.points, first = first_found(X, np.asarray(hit), self.ok)
        self.n_distinct = len(self.points)
        # the batch has found every distinct point at iteration t*: charge what ran until then
        t_star = int(first.max()) if first.size else 0
        # nothing found: more than the whole run (a lower bound)
        self.time_all_distinct = (self.unit * float(np.minimum(self.iters, t_star).sum())
                                  if first.size else self.cpu)

    def line(self) -> str:
        more = "" if self.n_ok else "> "
        return (f"converged {self.n_ok}/{self.ok.size}, {self.n_distinct} distinct; CPU "
                f"{self.cpu:.2f} s in all; {more}{self.per_converged * 1e3:.1f} ms per converged "
                f"start (own iterations), {more}{self.all_in * 1e3:.1f} ms (all CPU / "
                f"converged); every distinct point found after {more}"
                f"{self.time_all_distinct:.2f} s")


def run_newton(net, starts, tol, mixed_precision=True):
    box = net.invariant_box()
    c0 = time.process_time()
    run = _newton.newton(net, None, starts[:, None, :], tol=tol, max_iter=60, box=box,
                         mixed_precision=mixed_precision)
    cpu = time.process_time() - c0
    ok = run.outcome == _newton.Outcome.CONVERGED
    return run, Accounting(cpu, run.n_iter, run.n_iter, ok, run.X[:, 0])


ADAM_GRID = (  # (label, initial rate, adaptive, decrease factor)
    ("FixedPointFinder schedule: lr 1.0, x0.95 on a rise", 1.0, True, 0.95),
    ("lr 1.0, x0.5 on a rise", 1.0, True, 0.5),
    ("lr 0.1, x0.5 on a rise", 0.1, True, 0.5),
    ("constant lr 0.01", 0.01, False, 1.0),
)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-units", type=int, default=256)
    ap.add_argument("--gain", type=float, default=1.5)
    ap.add_argument("--starts", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tol", type=float, default=1e-10)
    ap.add_argument("--adam-starts", type=int, default=32,
                    help="Adam runs on the first this-many starts (and Newton again on them)")
    ap.add_argument("--adam-iters", type=int, default=50_000)
    ap.add_argument("--scipy", action="store_true", help="also a per-start scipy.optimize.root loop")
    ap.add_argument("--quick", action="store_true",
                    help="64 units, 200 starts, Adam on 12 starts capped at 5000 iterations")
    args = ap.parse_args(argv)
    if args.quick:
        args.n_units, args.starts, args.adam_starts, args.adam_iters = 64, 200, 12, 5000
    import torch  # imported before any timing

    torch.set_num_threads(1)

    net = make_net(args.n_units, args.gain, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    starts = _newton.sample_starts(net, None, args.starts, rng, net.invariant_box())
    sub = starts[: args.adam_starts]
    print(f"{args.n_units}-unit tanh RNN, gain {args.gain}, {args.starts} starts "
          f"(half uniform in the invariant box, half on trajectories), target residual "
          f"{args.tol:g}; threads: {os.environ['OPENBLAS_NUM_THREADS']}")
    _newton.newton(net, None, starts[:4, None, :], tol=args.tol, max_iter=3)  # warm-up

    run, newton_all = run_newton(net, starts, args.tol)
    print(f"\nbatched Newton (mixed precision), all {args.starts} starts: {newton_all.line()}")
    print(f"  iterations of converged starts: median {np.median(run.n_iter[newton_all.ok]):.0f}; "
          f"failures: " + ", ".join(f"{o.name.lower()} {int(np.sum(run.outcome == o))}"
                                    for o in _newton.Outcome if o > 1))
    _, newton_f64 = run_newton(net, starts, args.tol, mixed_precision=False)
    print(f"batched Newton (float64 only), all {args.starts} starts: {newton_f64.line()}")

    _, newton_sub = run_newton(net, sub, args.tol)
    print(f"\nbatched Newton, the first {len(sub)} starts: {newton_sub.line()}")

    best = None
    for label, lr, adaptive, dec in ADAM_GRID:
        c0 = time.process_time()
        X, final, hit, n_it, work = adam_fixed_points(net, sub, target=args.tol,
                                                      max_iter=args.adam_iters, lr=lr,
                                                      adaptive=adaptive, decrease=dec)
        cpu = time.process_time() - c0
        ok = final <= args.tol
        acc = Accounting(cpu, np.full(len(sub), n_it), hit, ok, X,  # one batch
                         cap=args.adam_iters)
        print(f"Adam on q [{label}], cap {args.adam_iters}: {acc.line()}; median final residual "
              f"{np.median(final):.1e}")
        key = (acc.n_ok, -acc.per_converged if acc.n_ok else -float(np.median(final)))
        if best is None or key > best[0]:
            best = (key, label, acc, final, (lr, adaptive, dec))
    _, label, adam, final, setting = best

    # Local convergence alone: from converged Newton solutions moved by 1e-3 (well inside Newton's
    # quadratic basin), how fast does each method reach the target?
    near = run.X[newton_all.ok, 0][:8]
    near = near + 1e-3 * np.random.default_rng(7).standard_normal(near.shape)
    c0 = time.process_time()
    _, fin_l, hit_l, n_l, _ = adam_fixed_points(net, near, target=args.tol,
                                                max_iter=args.adam_iters, lr=setting[0],
                                                adaptive=setting[1], decrease=setting[2])
    c_l = time.process_time() - c0
    ok_l = fin_l <= args.tol
    run_l, newton_l = run_newton(net, near, args.tol)
    print(f"\nfrom {len(near)} fixed points moved by 1e-3: Adam [{label}] reached {args.tol:g} "
          f"from {int(ok_l.sum())}/{len(near)} (median iterations "
          f"{np.median(np.where(ok_l, hit_l, n_l)):.0f}{'' if ok_l.all() else '+'}, CPU "
          f"{c_l:.2f} s; median final residual {np.median(fin_l):.1e}); Newton from "
          f"{newton_l.n_ok}/{len(near)} (median iterations {np.median(run_l.n_iter):.0f}, CPU "
          f"{newton_l.cpu:.3f} s)")

    # agreement: Adam's converged points are fixed points Newton also found from all starts
    known = run.X[newton_all.ok, 0]
    in_newton = sum(bool(np.any(_newton.same_point(known, x[None], 1e-6))) for x in adam.points)
    assert np.all(np.linalg.norm(net.step(run.X[newton_all.ok, 0]) - run.X[newton_all.ok, 0],
                                 axis=1) <= args.tol)
    print(f"\nbest Adam setting: {label}; {adam.n_ok}/{len(sub)} starts reached {args.tol:g}; "
          f"{in_newton}/{adam.n_distinct} of its distinct points are among Newton's")
    if adam.n_ok == len(sub):
        bound = ""
    elif adam.n_ok:
        bound = " (a lower bound: unconverged Adam starts are charged nothing)"
    else:
        bound = (f" (a lower bound: no Adam start converged within {args.adam_iters} iterations, "
                 "so each would cost more than the cap)")
    bound_distinct = ("" if adam.n_distinct >= newton_sub.n_distinct else
                      f" (a lower bound: Adam found {adam.n_distinct} of the points in the time "
                      "shown)")
    ratio = adam.per_converged / newton_sub.per_converged
    ratio_all = adam.per_converged / newton_all.per_converged
    print(f"time per converged start: Adam {adam.per_converged * 1e3:.1f} ms, Newton (same "
          f"{len(sub)} starts) {newton_sub.per_converged * 1e3:.1f} ms -> {ratio:.1f}x{bound}; "
          f"Newton over all {args.starts} starts {newton_all.per_converged * 1e3:.1f} ms -> "
          f"{ratio_all:.1f}x")
    print(f"time to find every distinct point from the {len(sub)} starts: Adam "
          f"{'' if adam.n_ok else '> '}{adam.time_all_distinct:.2f} s ({adam.n_distinct} points), Newton "
          f"{newton_sub.time_all_distinct:.2f} s ({newton_sub.n_distinct} points)")

    from _report import report
    size = f"{args.n_units} units"
    report("fixed_points_newton_vs_adam_per_converged_start",
           "Adam on q (FixedPointFinder method, torch float64, best of a 4-setting grid)",
           ratio,
           f"{size}, the same {len(sub)} starts, target residual {args.tol:g}; per converged "
           f"start: Adam {'' if adam.n_ok else '> '}{adam.per_converged * 1e3:.1f} ms ({adam.n_ok}/{len(sub)} converged, "
           f"cap {args.adam_iters} iterations, {label}) vs Newton "
           f"{newton_sub.per_converged * 1e3:.1f} ms ({newton_sub.n_ok}/{len(sub)}); all-in "
           f"CPU/converged: Adam {'' if adam.n_ok else '> '}{adam.all_in * 1e3:.1f} ms vs Newton {newton_sub.all_in * 1e3:.1f}"
           f" ms; distinct points {adam.n_distinct} vs {newton_sub.n_distinct}" + bound)
    report("fixed_points_newton_vs_adam_all_distinct",
           "Adam on q (same starts, same settings as above)",
           adam.time_all_distinct / newton_sub.time_all_distinct,
           f"{size}, {len(sub)} starts: CPU s until the last distinct point was first reached"
           f"{bound_distinct}: "
           f"Adam {'' if adam.n_ok else '> '}{adam.time_all_distinct:.2f} ({adam.n_distinct} "
           f"points) vs Newton "
           f"{newton_sub.time_all_distinct:.2f} ({newton_sub.n_distinct} points)")
    report("fixed_points_newton_mixed_vs_float64",
           "the same batched Newton with every solve in float64", newton_f64.cpu / newton_all.cpu,
           f"{size}, {args.starts} starts: CPU {newton_f64.cpu:.1f} s (float64) vs "
           f"{newton_all.cpu:.1f} s (mixed); converged {newton_f64.n_ok} vs {newton_all.n_ok}, "
           f"distinct {newton_f64.n_distinct} vs {newton_all.n_distinct}; per converged start "
           f"{newton_f64.per_converged * 1e3:.1f} vs {newton_all.per_converged * 1e3:.1f} ms")

    if args.scipy:
        c0 = time.process_time()
        X_sp, res_sp = scipy_root_loop(net, starts, args.tol)
        c_sp = time.process_time() - c0
        ok_sp = res_sp <= args.tol
        print(f"\nscipy.optimize.root (hybr) per start: CPU {c_sp:.2f} s, reached "
              f"{int(ok_sp.sum())}/{len(starts)}, {unique_count(X_sp, ok_sp)} distinct")
        report("fixed_points_newton_vs_scipy_root", "scipy.optimize.root (hybr) per start",
               (c_sp / max(int(ok_sp.sum()), 1)) / newton_all.all_in,
               f"{size}, {args.starts} starts; all-in CPU per converged start: scipy "
               f"{c_sp / max(int(ok_sp.sum()), 1) * 1e3:.1f} ms ({int(ok_sp.sum())} converged) vs "
               f"Newton {newton_all.all_in * 1e3:.1f} ms ({newton_all.n_ok})")


if __name__ == "__main__":
    main()
