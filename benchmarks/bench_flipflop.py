"""Every real fixed point of flip-flop networks: dynrnn's default call against an Adam-on-q search
with FixedPointFinder's settings (Golub & Sussillo 2018), each timed with the load average.

    python3 benchmarks/bench_flipflop.py --kinds rnn,gru,lstm   # 64-unit RNN, 32-unit GRU/LSTM
    python3 benchmarks/bench_flipflop.py --seeds 2 --quick

Networks: trained by dynrnn.scripts.flipflop.train_flip_flop (3-bit flip-flop, Adam, seeded,
float64) and cached under results/flipflop_cache/ (not in git). Analysed in torch's state
space (``dr.ElmanRNN.from_torch``; ``dr.GRU``/``dr.LSTM`` built from the state dict: h, or [h, c]
for the LSTM) under zero input.

Baseline (our re-implementation of FixedPointFinder's joint optimisation from its code and
defaults, not its code): 1,024 starts = hidden states visited on flip-flop trials plus
N(0, 0.5²) noise; one batched float64 problem (torch, one thread, the cell's equations checked
against the module): Adam (epsilon 0.01) on the mean of q = ½‖F(h) − h‖²; the global gradient norm
clipped at the 95th percentile of the last 128 norms; its adaptive learning rate (×0.95 when the
newest loss is worse than the 5 before, ×1/0.95 after 5 monotone decreases, at most one change
per 5 steps, no floor); stop when every start has q < 1e-12 (tol_q) or |Δq| < 1e-20 · rate
(tol_dq), or after 5,000 iterations (max_iters); points farther than 10× the starts' mean
distance from their centroid dropped; duplicates within 1e-3 merged (tol_unique). Run with
initial rates 1.0 and 0.1; the better of the two (more real points, then less time) is the
baseline, and its time is charged.

Resumable: each method's result per (cell type, seed) is saved under results/flipflop_bench/
(with its time and the load average); a rerun reads what is there. ``--methods adam`` runs the
baselines only, ``--methods dynrnn`` reads the cached baselines and runs dynrnn,
``--redo dynrnn`` recomputes.

A baseline point is *real* when Newton (float64) from it reaches a root with residual ≤ 1e-10
within 1e-3 of it. Goal per seed: every real baseline point is among dynrnn's points (within
1e-6 of the polished root) with the same number of unstable directions; every dynrnn point has
residual ≤ 1e-10 and lies in (−1, 1)^n (h part); no slow or degenerate points; dynrnn faster
than the baseline.
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
#: per (cell type, seed): each method's result (.npz), so an interrupted run resumes
RESULTS = os.path.join(os.path.dirname(__file__), "..", "results", "flipflop_bench")


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
    for an LSTM (as FixedPointFinder concatenates them). Used to check :func:`cell_step`."""
    import torch
    zeros = torch.zeros(X.shape[0], 1, 3, dtype=torch.float64)
    if kind == "lstm":
        H = X.shape[1] // 2
        _, (h, c) = module(zeros, (X[None, :, :H].contiguous(), X[None, :, H:].contiguous()))
        return torch.cat([h[0], c[0]], dim=1)
    _, h = module(zeros, X[None].contiguous())
    return h[0]


def cell_step(module, kind):
    """F(X) for a batch of states X (m, n) under zero input, written with the cell's equations
    (torch's gate order) as a few batched tensor operations: one matmul with W_hhᵀ per step,
    the input term W_ih·0 + b_ih folded into a constant. Checked against the module itself."""
    import torch
    sd = {k: v.detach() for k, v in module.state_dict().items()}
    W = sd["weight_hh_l0"].t().contiguous()
    b = sd["bias_ih_l0"] + sd["bias_hh_l0"]
    H = W.shape[0]
    if kind == "rnn":
        return lambda X: torch.tanh(X @ W + b)
    if kind == "gru":
        b_i, b_h = sd["bias_ih_l0"], sd["bias_hh_l0"]

        def gru(X):
            g = X @ W + b_h
            r = torch.sigmoid(g[:, :H] + b_i[:H])
            z = torch.sigmoid(g[:, H:2 * H] + b_i[H:2 * H])
            n = torch.tanh(b_i[2 * H:] + r * g[:, 2 * H:])
            return n + z * (X - n)
        return gru

    def lstm(X):
        h, c = X[:, :H], X[:, H:]
        g = h @ W + b
        i, f = torch.sigmoid(g[:, :H]), torch.sigmoid(g[:, H:2 * H])
        cand, o = torch.tanh(g[:, 2 * H:3 * H]), torch.sigmoid(g[:, 3 * H:])
        c_new = f * c + i * cand
        return torch.cat([o * torch.tanh(c_new), c_new], dim=1)
    return lstm


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


class AdaptiveRate:
    """FixedPointFinder's adaptive learning rate (its AdaptiveLearningRate defaults, no
    warm-up): after each step, ×0.95 when the newest loss is worse than each of the 5 before it,
    else ×1/0.95 when the last 6 losses decreased monotonically; either change only when the
    last change is at least 5 steps old. No floor (min_rate only ends its own loop, unused)."""

    def __init__(self, rate: float, patience: int = 5, factor: float = 0.95):
        self.rate, self.patience, self.factor = rate, patience, factor
        self.losses: list[float] = []
        self.step = 0
        self.last_change = 0

    def update(self, loss: float) -> float:
        self.losses.append(loss)
        n = self.patience
        if self.step >= self.last_change + n and len(self.losses) > n:
            window = self.losses[-(n + 1):]
            if all(window[-1] > w for w in window[:-1]):
                self.rate *= self.factor
                self.last_change = self.step
            elif all(b < a for a, b in zip(window[:-1], window[1:])):
                self.rate /= self.factor
                self.last_change = self.step
        self.step += 1
        return self.rate


def fpf_search(module, kind, starts: np.ndarray, *, lr: float, max_iter: int = 5000,
               tol_q: float = 1e-12, tol_dq: float = 1e-20, tol_unique: float = 1e-3,
               outlier_distance_scale: float = 10.0):
    """FixedPointFinder's joint optimisation, float64, one batched problem over all starts:
    Adam (epsilon 0.01) on mean_j q_j, q_j = ½‖F(h_j) − h_j‖²; the global gradient norm clipped
    at the 95th percentile of the last 128 norms (its AdaptiveGradNormClip, initial clip 1e12);
    the adaptive rate above; stop when every start has q < tol_q or |Δq| < tol_dq · rate, or
    after max_iter iterations (its default 5,000). Then its post-processing: points farther
    than ``outlier_distance_scale`` × the mean distance of the starts from their centroid are
    dropped, and duplicates within tol_unique (max norm) merged, the lower q kept."""
    import torch
    step = cell_step(module, kind)
    h = torch.tensor(starts, dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.Adam([h], lr=lr, eps=0.01)
    schedule = AdaptiveRate(lr)
    norms: list[float] = []
    clip = 1e12
    q_previous = None
    n_done = max_iter
    for it in range(1, max_iter + 1):
        q = 0.5 * torch.sum((step(h) - h) ** 2, dim=1)
        loss = torch.mean(q)
        optimiser.zero_grad()
        loss.backward()
        norm = float(torch.nn.utils.clip_grad_norm_([h], clip))
        optimiser.step()
        q = q.detach()
        rate = schedule.rate
        if q_previous is not None and bool(torch.all((torch.abs(q - q_previous) < tol_dq * rate)
                                                     | (q < tol_q))):
            n_done = it
            break
        q_previous = q
        schedule.update(float(loss.detach()))
        for group in optimiser.param_groups:
            group["lr"] = schedule.rate
        norms.append(norm)
        if len(norms) > 128:
            norms.pop(0)
        clip = min(float(np.percentile(norms, 95.0)), 1e12)
    X = h.detach().numpy()
    with torch.no_grad():
        q = 0.5 * np.sum((step(torch.tensor(X)).numpy() - X) ** 2, axis=1)
    centroid = starts.mean(axis=0)
    spread = np.mean(np.linalg.norm(starts - centroid, axis=1))
    near = np.linalg.norm(X - centroid, axis=1) <= outlier_distance_scale * spread
    X, q = X[near], q[near]
    kept = _unique(X, np.argsort(q), tol_unique)
    return X[kept], q[kept], n_done


def _unique(X, order, tol):
    """Indices (in ``order``) of the rows of X farther than tol (max norm) from every row kept
    before them."""
    kept: list[int] = []
    for i in order:
        if not kept or np.min(np.max(np.abs(X[kept] - X[i]), axis=1)) > tol:
            kept.append(int(i))
    return np.array(kept, dtype=int)


def real_points(net, u, X):
    """Polish each point by Newton; keep roots within 1e-3 of the point."""
    if X.shape[0] == 0:
        return X
    run = nw.newton(net, u, X[:, None, :], tol=1e-10, max_iter=60)
    ok = (run.outcome == nw.Outcome.CONVERGED) & (run.residual <= 1e-10)
    ok &= np.max(np.abs(run.X[:, 0] - X), axis=1) <= 1e-3
    roots = run.X[ok, 0]
    return roots[_unique(roots, np.arange(roots.shape[0]), 1e-6)].reshape(-1, X.shape[1])


def load_average() -> float:
    return os.getloadavg()[0]


def cached(path: str, compute, redo: bool = False) -> dict:
    """The dict saved at ``path`` (.npz), or compute() saved there first (resumable runs)."""
    if os.path.exists(path) and not redo:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    out = compute()
    tmp = path + ".tmp.npz"
    np.savez(tmp, **out)
    os.replace(tmp, path)
    return out


def adam_result(module, kind, net, starts, lr, path, redo=False) -> dict:
    def compute():
        t = time.perf_counter()
        X, q, n_iter = fpf_search(module, kind, starts, lr=lr)
        elapsed = time.perf_counter() - t
        real = real_points(net, net.resolve_input(np.zeros(3)), X)
        return dict(X=X, q=q, n_iter=n_iter, time=elapsed, load=load_average(), real=real)
    return cached(path, compute, redo)


def dynrnn_result(net, path, redo=False) -> dict:
    def compute():
        u = np.zeros(3)
        t = time.perf_counter()
        result = dr.find_fixed_points(net, u)
        elapsed = time.perf_counter() - t
        return dict(P=result.states, n_unstable=np.array([p.n_unstable for p in result], int),
                    residual=np.array([p.residual for p in result]), time=elapsed,
                    load=load_average(), rounds=np.array(result.rounds_new, int),
                    n_slow=len(result.slow_points), n_degenerate=len(result.degenerate))
    return cached(path, compute, redo)


def compare(net, n_hidden, adam: dict, mine: dict) -> dict:
    """The goal per seed: every real Adam point among dynrnn's with the same number of
    unstable directions; every dynrnn point a root inside the state domain; dynrnn faster."""
    P = mine["P"].reshape(-1, net.n_states)
    u = np.zeros(3)
    missed = wrong_index = 0
    for r in adam["real"].reshape(-1, net.n_states):
        d = np.max(np.abs(P - r), axis=1) if len(P) else np.array([np.inf])
        if d.min() > 1e-6:
            missed += 1
            continue
        n_unstable = int(np.sum(np.abs(np.linalg.eigvals(net.jacobian(r, u))) > 1 + 1e-8))
        if int(mine["n_unstable"][int(np.argmin(d))]) != n_unstable:
            wrong_index += 1
    worst = float(mine["residual"].max()) if len(P) else 0.0
    inside = bool(np.all(np.abs(P[:, :n_hidden]) < 1)) if len(P) else True
    clean = int(mine["n_slow"]) == 0 and int(mine["n_degenerate"]) == 0
    faster = float(mine["time"]) < float(adam["time"])
    ok = missed == 0 and wrong_index == 0 and worst <= 1e-10 and inside and clean and faster
    return dict(ok=ok, missed=missed, wrong_index=wrong_index, worst=worst, inside=inside,
                faster=faster)


def one_seed(kind, n_hidden, seed, steps, methods=("adam", "dynrnn"), redo=()):
    """Run (or read from the cache) the searches of ``methods`` on one trained network; the
    verdict when both results exist. Without "adam" in ``methods`` an untrained (uncached)
    network is skipped, so a dynrnn-only run can follow a running Adam run."""
    network_file = os.path.join(CACHE, f"{kind}{n_hidden}_seed{seed}_steps{steps}.pt")
    if "adam" not in methods and not os.path.exists(network_file):
        print(f"{kind}{n_hidden} seed {seed}: not trained yet, skipped", flush=True)
        return None
    module, _ = trained(kind, n_hidden, seed, steps)
    net = to_map(module, kind)
    import torch
    probe = np.random.default_rng(1).uniform(-1, 1, (16, net.n_states))
    with torch.no_grad():
        gap = float(torch.max(torch.abs(cell_step(module, kind)(torch.tensor(probe))
                                        - torch_step(module, kind, torch.tensor(probe)))))
    assert gap < 1e-12, f"cell_step differs from the {kind} module by {gap}"
    states = map_states(net, seed)
    rng = np.random.default_rng(seed)
    starts = states[rng.integers(0, states.shape[0], 1024)] + 0.5 * rng.standard_normal(
        (1024, net.n_states))
    folder = os.path.join(RESULTS, f"{kind}{n_hidden}_seed{seed}_steps{steps}")
    os.makedirs(folder, exist_ok=True)
    adam = {}
    for lr in (1.0, 0.1):
        path = os.path.join(folder, f"adam_lr{lr}.npz")
        if "adam" in methods or os.path.exists(path):
            adam[lr] = adam_result(module, kind, net, starts, lr, path, "adam" in redo)
    mine_path = os.path.join(folder, "dynrnn.npz")
    mine = dynrnn_result(net, mine_path, "dynrnn" in redo) \
        if "dynrnn" in methods or os.path.exists(mine_path) else None
    if len(adam) < 2 or mine is None:
        print(f"{kind}{n_hidden} seed {seed}: cached {sorted(adam)} "
              f"{'dynrnn' if mine is not None else ''}", flush=True)
        return None
    # the better rate: more real points, then less time; its time is charged
    best, other = sorted(adam.values(), key=lambda a: (len(a["real"]), -float(a["time"])),
                         reverse=True)
    lr = 1.0 if best is adam[1.0] else 0.1
    verdict = compare(net, n_hidden, best, mine)
    counts: dict[int, int] = {}
    for k in mine["n_unstable"]:
        counts[int(k)] = counts.get(int(k), 0) + 1
    print(f"{kind}{n_hidden} seed {seed}: dynrnn {len(mine['P'])} points "
          f"{dict(sorted(counts.items()))} in {float(mine['time']):.2f} s (load "
          f"{float(mine['load']):.1f}; rounds {mine['rounds'].tolist()}); Adam lr={lr}: "
          f"{len(best['X'])} unique, {len(best['real'])} real, {int(best['n_iter'])} it, "
          f"{float(best['time']):.2f} s (load {float(best['load']):.1f}; other lr: "
          f"{len(other['real'])} real, {float(other['time']):.2f} s); missed "
          f"{verdict['missed']}, wrong index {verdict['wrong_index']}, max residual "
          f"{verdict['worst']:.1e}, inside {verdict['inside']} -> "
          f"{'OK' if verdict['ok'] else 'FAIL'}", flush=True)
    return verdict["ok"], float(mine["time"]), float(best["time"]), len(mine["P"]), \
        len(best["real"])


def scale(sizes, n_starts=256, gain=1.5, seed=0, max_rounds=1):
    """Random tanh networks (W ~ N(0, gain²/n), b ~ N(0, 0.1²)): time for find_fixed_points from
    ``n_starts`` trajectory starts (autonomous runs from random states, N(0, 0.1²) noise), all
    Newton runs to residual 1e-10, and where the time goes (cProfile, cumulative).

    "All points reachable from the starts": the given starts only (``box_fraction=0``) and,
    by default, round 1 only (``max_rounds=1``: no deflated rounds from midpoints/edge states).
    """
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
        load_before = load_average()
        t = time.perf_counter()
        profile.enable()
        result = dr.find_fixed_points(net, starts=starts, box_fraction=0.0,
                                      max_rounds=max_rounds)
        profile.disable()
        elapsed = time.perf_counter() - t
        stats = pstats.Stats(profile)
        parts: dict[str, float] = {}
        for (filename, _, name), row in getattr(stats, "stats").items():
            key = {"_solve_stack": "LU solves", "make_point": "eigenvalues of the points",
                   "jacobian_unchecked": "Jacobians", "step_unchecked": "map evaluations",
                   "edge_states": "edge tracking",
                   "deflated_newton": "deflated Newton"}.get(name)
            if key and filename.endswith(".py"):
                parts[key] = parts.get(key, 0.0) + row[3]
        worst = max((p.residual for p in result), default=float("nan"))
        iters = int(np.nansum(np.isfinite(result.residual_history[1:])))
        print(f"n={n}: {len(result)} points ({result.n_converged}/{result.n_starts} starts "
              f"converged, {iters} start-iterations, rounds {result.rounds_new}), max residual "
              f"{worst:.1e}, {elapsed:.1f} s (load average {load_before:.1f} -> "
              f"{load_average():.1f}; {1e3 * elapsed / max(iters, 1):.1f} ms per start-iteration); "
              + ", ".join(f"{k} {v:.1f} s ({100 * v / elapsed:.0f} %)"
                          for k, v in parts.items()), flush=True)
        times.append(elapsed)
    for a in range(1, len(sizes)):
        exponent = np.log(times[a] / times[a - 1]) / np.log(sizes[a] / sizes[a - 1])
        print(f"scaling exponent between n={sizes[a - 1]} and n={sizes[a]}: {exponent:.2f}")
    if len(sizes) >= 3:
        slope = np.polyfit(np.log(sizes), np.log(times), 1)[0]
        print(f"scaling exponent (least squares over n={sizes}): {slope:.2f}")
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--kinds", default="rnn")
    parser.add_argument("--steps", type=int, default=None,
                        help="training steps (default: the flipflop run's, per cell type)")
    parser.add_argument("--quick", action="store_true", help="16-unit nets, 150 training steps")
    parser.add_argument("--methods", default="adam,dynrnn",
                        help="which searches to run (or read from results/flipflop_bench/); "
                             "the verdict needs both")
    parser.add_argument("--redo", default="",
                        help="recompute these methods' cached results (e.g. dynrnn)")
    parser.add_argument("--scale", default="",
                        help="comma-separated sizes of random tanh networks to time instead "
                             "(e.g. 256,512,1024)")
    parser.add_argument("--scale-starts", type=int, default=256,
                        help="trajectory starts in --scale")
    parser.add_argument("--max-rounds", type=int, default=1,
                        help="rounds of the search in --scale (1: the starts only)")
    args = parser.parse_args(argv)
    if args.scale:
        scale([int(v) for v in args.scale.split(",")], n_starts=args.scale_starts,
              max_rounds=args.max_rounds)
        return
    import torch
    torch.set_num_threads(1)
    sizes = {"rnn": 64, "gru": 32, "lstm": 32}
    methods = tuple(m for m in args.methods.split(",") if m)
    redo = tuple(m for m in args.redo.split(",") if m)
    for kind in args.kinds.split(","):
        n_hidden = 16 if args.quick else sizes[kind]
        steps = 150 if args.quick else (args.steps or FULL[kind][1])
        rows = [one_seed(kind, n_hidden, seed, steps, methods, redo)
                for seed in range(args.first_seed, args.first_seed + args.seeds)]
        rows = [r for r in rows if r is not None]
        if not rows:
            continue
        n_ok = sum(r[0] for r in rows)
        t_dr = sum(r[1] for r in rows)
        t_fpf = sum(r[2] for r in rows)
        report(f"flipflop_{kind}{n_hidden}", "Adam on q, FixedPointFinder settings (better of "
               "lr 1.0, 0.1)", t_fpf / t_dr,
               f"goal met on {n_ok}/{len(rows)} seeds; dynrnn {t_dr / len(rows):.2f} s/net, "
               f"Adam {t_fpf / len(rows):.2f} s/net")


if __name__ == "__main__":
    main()
