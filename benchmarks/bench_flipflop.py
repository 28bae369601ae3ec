"""Every real fixed point of flip-flop networks: dynrnn's default call against an Adam-on-q search
with FixedPointFinder's settings (Golub & Sussillo 2018), timed in the same run.

    python3 benchmarks/bench_flipflop.py --kinds rnn,gru,lstm   # 64-unit RNN, 32-unit GRU/LSTM
    python3 benchmarks/bench_flipflop.py --seeds 2 --quick

Networks: trained by dynrnn.scripts.flipflop.train_flip_flop (3-bit flip-flop, Adam, seeded,
float64) and cached under results/flipflop_cache/ (not in git). Analysed in torch's state
space (``dr.ElmanRNN.from_torch``; ``dr.GRU``/``dr.LSTM`` built from the state dict: h, or [h, c]
for the LSTM) under zero input.

Baseline (our re-implementation of the method from FixedPointFinder's documented defaults, not
its code): 1,024 starts = hidden states visited on flip-flop trials plus N(0, 0.5²) noise; joint
Adam (epsilon 0.01) on the mean of q = ½‖F(h) − h‖²; adaptive learning rate from the initial rate
(×1/0.95 after 5 consecutive decreases of the loss, ×0.95 when it rises, floor 1e-3); stop when
every q < 1e-12 (tol_q), the mean q changes by < 1e-20 (tol_dq) or after 5,000 iterations;
duplicates within 1e-3 merged (tol_unique). Run with initial rates 1.0 and 0.1; the better of the
two (more real points, then less time) is the baseline, and its time is charged.

A baseline point is *real* when Newton (float64) from it reaches a root with residual ≤ 1e-10
within 1e-3 of it. Goal per seed: every real baseline point is among dynrnn's points (within
1e-6 of the polished root) with the same number of unstable directions; every dynrnn point has
residual ≤ 1e-10 and lies in (−1, 1)^n; dynrnn faster than the baseline.
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
from dynrnn.analysis import _newton as nw  # noqa: E402
from dynrnn.scripts.flipflop import FULL, flip_flop_batch, to_map, train_flip_flop  # noqa: E402

from _report import report  # noqa: E402

CACHE = os.path.join(os.path.dirname(__file__), "..", "results", "flipflop_cache")


def trained(kind: str, n_hidden: int, seed: int, steps: int):
    import torch
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, f"{kind}{n_hidden}_seed{seed}_steps{steps}.pt")
    module = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[kind](
        3, n_hidden, batch_first=True, dtype=torch.float64)
    if os.path.exists(path):
        module.load_state_dict(torch.load(path))
        return module, None
    lr = FULL[kind][2]
    module, _, training = train_flip_flop(kind, n_hidden, steps=steps, seed=seed, lr=lr)
    torch.save(module.state_dict(), path)
    return module, training


def torch_step(module, kind, X):
    """One step of the module under zero input from states X (m, n): the state is h, or [h, c]
    for an LSTM (as FixedPointFinder concatenates them)."""
    import torch
    zeros = torch.zeros(X.shape[0], 1, 3, dtype=torch.float64)
    if kind == "lstm":
        H = X.shape[1] // 2
        _, (h, c) = module(zeros, (X[None, :, :H].contiguous(), X[None, :, H:].contiguous()))
        return torch.cat([h[0], c[0]], dim=1)
    _, h = module(zeros, X[None].contiguous())
    return h[0]


def map_states(net, seed, n_trials=32, length=100):
    """Map states (h, or [h, c]) visited on flip-flop trials, (n_trials · length, n_states)."""
    import torch
    inputs, _ = flip_flop_batch(torch, torch.Generator().manual_seed(10_000 + seed),
                                batch=n_trials, length=length)
    inputs = inputs.numpy()
    x = np.zeros((n_trials, net.n_states))
    out = []
    for t in range(length):
        x = net.step(x, inputs[:, t])
        out.append(x)
    return np.concatenate(out, axis=0)


def fpf_search(module, kind, starts: np.ndarray, *, lr: float, max_iter: int = 5000,
               tol_q: float = 1e-12, tol_dq: float = 1e-20, tol_unique: float = 1e-3):
    """Adam on q with FixedPointFinder's joint optimisation and adaptive rate; unique points."""
    import torch
    h = torch.tensor(starts, dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.Adam([h], lr=lr, eps=0.01)
    rate, streak, previous = lr, 0, np.inf
    for it in range(max_iter):
        q = 0.5 * torch.sum((torch_step(module, kind, h) - h) ** 2, dim=1)
        loss = torch.mean(q)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        value = float(loss.detach())
        if float(q.max().detach()) < tol_q or abs(previous - value) < tol_dq:
            break
        if value < previous:
            streak += 1
            if streak >= 5:
                rate /= 0.95
                streak = 0
        else:
            rate = max(1e-3, rate * 0.95)
            streak = 0
        previous = value
        for group in optimiser.param_groups:
            group["lr"] = rate
    X = h.detach().numpy()
    with torch.no_grad():
        q = 0.5 * np.sum((torch_step(module, kind, torch.tensor(X)).numpy() - X) ** 2, axis=1)
    order = np.argsort(q)
    kept = []
    for i in order:
        if all(np.max(np.abs(X[i] - X[j])) > tol_unique for j in kept):
            kept.append(i)
    return X[kept], q[kept], it + 1


def real_points(net, u, X):
    """Polish each point by Newton; keep roots within 1e-3 of the point."""
    if X.shape[0] == 0:
        return X
    run = nw.newton(net, u, X[:, None, :], tol=1e-10, max_iter=60)
    ok = (run.outcome == nw.Outcome.CONVERGED) & (run.residual <= 1e-10)
    ok &= np.max(np.abs(run.X[:, 0] - X), axis=1) <= 1e-3
    roots = run.X[ok, 0]
    kept = []
    for r in roots:
        if all(np.max(np.abs(r - k)) > 1e-6 for k in kept):
            kept.append(r)
    return np.array(kept).reshape(-1, X.shape[1])


def one_seed(kind, n_hidden, seed, steps):
    module, _ = trained(kind, n_hidden, seed, steps)
    net = to_map(module, kind)
    u = np.zeros(3)
    states = map_states(net, seed)
    rng = np.random.default_rng(seed)
    starts = states[rng.integers(0, states.shape[0], 1024)] + 0.5 * rng.standard_normal(
        (1024, net.n_states))
    base = []
    for lr in (1.0, 0.1):
        t = time.perf_counter()
        X, _, n_iter = fpf_search(module, kind, starts, lr=lr)
        elapsed = time.perf_counter() - t
        real = real_points(net, net.resolve_input(u), X)
        base.append((len(real), -elapsed, lr, X, real, elapsed, n_iter))
    base.sort(key=lambda b: (b[0], b[1]), reverse=True)
    n_real, _, lr, X_fpf, real, t_fpf, n_iter = base[0]
    t = time.perf_counter()
    result = dr.find_fixed_points(net, u)
    t_dr = time.perf_counter() - t
    P = result.states
    missed = 0
    wrong_index = 0
    for r in real:
        d = np.max(np.abs(P - r), axis=1) if len(P) else np.array([np.inf])
        if d.min() > 1e-6:
            missed += 1
            continue
        J = net.jacobian(r, u)
        n_unstable = int(np.sum(np.abs(np.linalg.eigvals(J)) > 1 + 1e-8))
        if result[int(np.argmin(d))].n_unstable != n_unstable:
            wrong_index += 1
    worst = max((p.residual for p in result), default=0.0)
    inside = bool(np.all(np.abs(P[:, :n_hidden]) < 1)) if len(P) else True
    ok = missed == 0 and wrong_index == 0 and worst <= 1e-10 and inside and not \
        result.slow_points and not result.degenerate
    counts = {}
    for p in result:
        counts[p.n_unstable] = counts.get(p.n_unstable, 0) + 1
    print(f"{kind}{n_hidden} seed {seed}: dynrnn {len(result)} points {dict(sorted(counts.items()))}"
          f" in {t_dr:.2f} s (rounds {result.rounds_new}); Adam lr={lr}: {len(X_fpf)} unique, "
          f"{n_real} real, {n_iter} it, {t_fpf:.2f} s (other lr: {base[1][0]} real, "
          f"{base[1][5]:.2f} s); missed {missed}, wrong index {wrong_index}, max residual "
          f"{worst:.1e}, inside {inside} -> {'OK' if ok else 'FAIL'}", flush=True)
    return ok, t_dr, t_fpf, len(result), n_real


def scale(sizes, n_starts=256, gain=1.5, seed=0):
    """Random tanh networks (W ~ N(0, gain²/n), b ~ N(0, 0.1²)): time for find_fixed_points from
    ``n_starts`` trajectory starts (autonomous runs from random states, N(0, 0.1²) noise), all
    Newton runs to residual 1e-10, and where the time goes (cProfile, cumulative)."""
    import cProfile
    import pstats
    times = []
    for n in sizes:
        rng = np.random.default_rng(seed)
        net = dr.RNN(gain * rng.standard_normal((n, n)) / np.sqrt(n),
                     b=0.1 * rng.standard_normal(n))
        starts = dr.trajectory_starts(net, n_starts=n_starts, noise=0.1, n_steps=50,
                                      initial_states=rng.uniform(-1, 1, (8, n)), seed=seed)
        profile = cProfile.Profile()
        t = time.perf_counter()
        profile.enable()
        result = dr.find_fixed_points(net, starts=starts)
        profile.disable()
        elapsed = time.perf_counter() - t
        stats = pstats.Stats(profile)
        parts = {}
        for (filename, _, name), row in stats.stats.items():
            key = {"_direction": "Newton solves (LU)", "make_point": "eigenvalues of the points",
                   "_evaluate": "map evaluations", "edge_states": "edge tracking",
                   "deflated_newton": "deflated Newton"}.get(name)
            if key and filename.endswith(".py"):
                parts[key] = parts.get(key, 0.0) + row[3]
        worst = max((p.residual for p in result), default=float("nan"))
        print(f"n={n}: {len(result)} points ({result.n_converged}/{n_starts} starts converged, "
              f"rounds {result.rounds_new}), max residual {worst:.1e}, {elapsed:.1f} s; "
              + ", ".join(f"{k} {v:.1f} s" for k, v in parts.items()), flush=True)
        times.append(elapsed)
    if len(sizes) >= 2:
        exponent = np.log(times[-1] / times[-2]) / np.log(sizes[-1] / sizes[-2])
        print(f"scaling exponent between n={sizes[-2]} and n={sizes[-1]}: {exponent:.2f}")
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--kinds", default="rnn")
    parser.add_argument("--steps", type=int, default=None,
                        help="training steps (default: the flipflop run's, per cell type)")
    parser.add_argument("--quick", action="store_true", help="16-unit nets, 150 training steps")
    parser.add_argument("--scale", default="",
                        help="comma-separated sizes of random tanh networks to time instead "
                             "(e.g. 512,1024)")
    args = parser.parse_args(argv)
    if args.scale:
        scale([int(v) for v in args.scale.split(",")])
        return
    import torch
    torch.set_num_threads(1)
    sizes = {"rnn": 64, "gru": 32, "lstm": 32}
    for kind in args.kinds.split(","):
        n_hidden = 16 if args.quick else sizes[kind]
        steps = 150 if args.quick else (args.steps or FULL[kind][1])
        rows = [one_seed(kind, n_hidden, seed, steps) for seed in range(args.seeds)]
        n_ok = sum(r[0] for r in rows)
        t_dr = sum(r[1] for r in rows)
        t_fpf = sum(r[2] for r in rows)
        report(f"flipflop_{kind}{n_hidden}", "Adam on q, FixedPointFinder settings (better of "
               "lr 1.0, 0.1)", t_fpf / t_dr,
               f"goal met on {n_ok}/{len(rows)} seeds; dynrnn {t_dr / len(rows):.2f} s/net, "
               f"Adam {t_fpf / len(rows):.2f} s/net")


if __name__ == "__main__":
    main()
