"""All fixed points of a 256-unit tanh RNN: dynrnn's batched Newton against the FixedPointFinder
method (Golub & Sussillo 2018: Adam on q(x) = ½‖F(x) − x‖², PyTorch float64) from the SAME
starts, plus a per-start scipy.optimize.root loop, in one process.

    python3 benchmarks/bench_fixed_points.py            # the full run (~10 min on a loaded machine)
    python3 benchmarks/bench_fixed_points.py --quick    # 64 units, 200 starts, Adam cap 500

Every method must reach the residual ‖F(x) − x‖₂ ≤ 1e-10 to count a start as converged. The
Adam baseline is our re-implementation of the method from its description (Adam with an
adaptive learning rate on q, per-start stopping once the residual target is met, an iteration
cap), not FixedPointFinder's code. All libraries run single-threaded (set below) so the ratio
measures the algorithms, not the thread pools on a shared machine.
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
                      lr: float = 0.1):
    """Adam on q(x) = ½‖F(x) − x‖² for every start at once (float64, PyTorch autograd).

    q is summed over the starts, so each start gets its own gradient (Adam's scaling is per
    coordinate). A start stops (its rows are frozen) once ‖F(x) − x‖ ≤ ``target``. The learning
    rate 0.1 was the best of 1e-3, 1e-2, 1e-1 and an adaptive (×1.05 / ×0.5) schedule on a
    64-unit net.
    """
    import torch

    W = torch.tensor(np.array(net.W_rec))
    b = torch.tensor(np.array(net.b))
    x = torch.tensor(starts, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([x], lr=lr)
    running = torch.ones(len(starts), dtype=torch.bool)
    n_iter = 0
    for it in range(max_iter):
        opt.zero_grad()
        r = torch.tanh(x) @ W.T + b - x
        res = torch.linalg.norm(r.detach(), dim=1)
        running &= res > target
        if not bool(running.any()):
            break
        q = 0.5 * (r[running] ** 2).sum()
        q.backward()
        frozen = x.detach()[~running].clone()
        opt.step()
        with torch.no_grad():
            x[~running] = frozen  # Adam's momentum would still move finished starts
        n_iter = it + 1
    with torch.no_grad():
        final = torch.linalg.norm(torch.tanh(x) @ W.T + b - x, dim=1).numpy()
    return x.detach().numpy(), final, n_iter


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


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-units", type=int, default=256)
    ap.add_argument("--gain", type=float, default=1.5)
    ap.add_argument("--starts", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tol", type=float, default=1e-10)
    ap.add_argument("--adam-iters", type=int, default=5000)
    ap.add_argument("--no-scipy", action="store_true")
    ap.add_argument("--adam-lr", type=float, default=0.1)
    ap.add_argument("--quick", action="store_true",
                    help="64 units, 200 starts, Adam capped at 500 iterations")
    args = ap.parse_args(argv)
    if args.quick:
        args.n_units, args.starts, args.adam_iters = 64, 200, 500
    import torch  # imported before any timing

    torch.set_num_threads(1)

    net = make_net(args.n_units, args.gain, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    starts = _newton.sample_starts(net, None, args.starts, rng, net.invariant_box())
    print(f"{args.n_units}-unit tanh RNN, gain {args.gain}, {args.starts} starts "
          f"(half uniform in the invariant box, half on trajectories), target residual "
          f"{args.tol:g}; threads: {os.environ['OPENBLAS_NUM_THREADS']}")

    t0, c0 = time.perf_counter(), time.process_time()
    result = dr.find_fixed_points(net, starts=starts, tol=args.tol, max_iter=60)
    t_newton, c_newton = time.perf_counter() - t0, time.process_time() - c0
    res_newton = np.array([p.residual for p in result])
    print(f"\ndynrnn batched Newton: {t_newton:8.2f} s (CPU {c_newton:.2f} s)  converged "
          f"{result.n_converged}/{result.n_starts}, {len(result)} distinct fixed points, "
          f"failures {result.failures}, {result.n_iter} iterations max")
    print(f"  residuals of the fixed points: max {res_newton.max():.2e}, "
          f"median {np.median(res_newton):.2e}")
    print("  kinds: " + ", ".join(p.description for p in result))

    t0, c0 = time.perf_counter(), time.process_time()
    X_adam, res_adam, it_adam = adam_fixed_points(net, starts, target=args.tol,
                                                  max_iter=args.adam_iters, lr=args.adam_lr)
    t_adam, c_adam = time.perf_counter() - t0, time.process_time() - c0
    ok_adam = res_adam <= args.tol
    print(f"\nAdam on q (FixedPointFinder method, torch float64): {t_adam:8.2f} s (CPU "
          f"{c_adam:.2f} s), "
          f"{it_adam} iterations (cap {args.adam_iters})")
    print(f"  reached residual <= {args.tol:g}: {int(ok_adam.sum())}/{len(starts)} starts, "
          f"{unique_count(X_adam, ok_adam)} distinct fixed points among them; final residuals: "
          f"median {np.median(res_adam):.2e}, min {res_adam.min():.2e}, max {res_adam.max():.2e}")
    print(f"  (q <= 1e-12, FixedPointFinder's default tolerance, i.e. residual <= 1.41e-6: "
          f"{int(np.sum(res_adam <= np.sqrt(2e-12)))} starts)")

    if not args.no_scipy:
        t0, c0 = time.perf_counter(), time.process_time()
        X_sp, res_sp = scipy_root_loop(net, starts, args.tol)
        t_sp, c_sp = time.perf_counter() - t0, time.process_time() - c0
        ok_sp = res_sp <= args.tol
        print(f"\nscipy.optimize.root (hybr) per start: {t_sp:8.2f} s (CPU {c_sp:.2f} s), reached "
              f"{int(ok_sp.sum())}/{len(starts)}, {unique_count(X_sp, ok_sp)} distinct")

    print(f"\nspeed-up of batched Newton over Adam (same starts): wall clock "
          f"{t_adam / t_newton:.2f}x, CPU {c_adam / c_newton:.2f}x")
    if ok_adam.any():
        per_newton = t_newton / max(result.n_converged, 1)
        per_adam = t_adam / ok_adam.sum()
        print(f"time per start brought to {args.tol:g}: Newton {per_newton * 1e3:.2f} ms, "
              f"Adam {per_adam * 1e3:.2f} ms ({per_adam / per_newton:.1f}x)")
    else:
        print(f"Adam brought no start to residual {args.tol:g} within {args.adam_iters} "
              "iterations; the speed-up is a lower bound")
    if not args.no_scipy:
        print(f"speed-up of batched Newton over the scipy.root loop: wall clock "
              f"{t_sp / t_newton:.2f}x, CPU {c_sp / c_newton:.2f}x")

    # agreement: every point Newton reports is a fixed point; the baselines find no other one
    assert all(np.linalg.norm(net.step(p.x) - p.x) <= args.tol for p in result)
    newton_states = result.states

    def covered(X, ok):
        return sum(bool(np.any(_newton.same_point(newton_states, x[None], 1e-6))) for x in X[ok])

    from _report import report
    size = f"{args.n_units} units, {args.starts} starts"
    report("fixed_points_newton_vs_adam",
           f"Adam on q (FixedPointFinder method, torch float64), cap {args.adam_iters} iterations",
           c_adam / c_newton,
           f"{size}; CPU s Newton {c_newton:.1f} vs Adam {c_adam:.1f} (wall {t_newton:.1f} vs "
           f"{t_adam:.1f}); converged to 1e-10: Newton {result.n_converged} ({len(result)} "
           f"distinct), Adam {int(ok_adam.sum())} (median residual {np.median(res_adam):.1e}); "
           "Adam never reaching the target makes the ratio a lower bound")
    if not args.no_scipy:
        report("fixed_points_newton_vs_scipy_root", "scipy.optimize.root (hybr) per start",
               c_sp / c_newton,
               f"{size}; CPU s Newton {c_newton:.1f} vs scipy {c_sp:.1f}; converged: Newton "
               f"{result.n_converged}, scipy {int(ok_sp.sum())}; scipy's converged points "
               f"already in Newton's list: {covered(X_sp, ok_sp)}/{int(ok_sp.sum())}")


if __name__ == "__main__":
    main()
