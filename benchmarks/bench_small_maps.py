"""Sequential work on small maps: µs per step of the Lyapunov spectrum and of trajectories.

    python3 benchmarks/bench_small_maps.py            # 200,000 steps per map (about a minute)
    python3 benchmarks/bench_small_maps.py --quick    # 20,000 steps
    python3 benchmarks/bench_small_maps.py --plot     # also figures/scaling_small_maps.png

For each map (the Hénon map from ``Map.from_sympy``, 2-unit tanh RNN, ElmanRNN and PLRNN, and
tanh RNNs of n = 2 … 10 and beyond) three implementations of the same computation run in the
same process on the same orbit:

- **compiled**: ``lyapunov_spectrum`` / ``run`` with the default ``backend="auto"`` (the numba
  loop; compiled before timing, so compile latency is excluded and reported separately);
- **old**: the same calls with ``backend="numpy"`` (the implementation before the compiled path,
  unchanged);
- **plain numpy**: a hand-written per-step loop on the map's own arrays (J = ∂F/∂x; x = F(x);
  Q, R = np.linalg.qr(J Q)), no dynrnn call inside, i.e. the floor of any per-step numpy code.

Goal: ≤ 1 µs per step for maps of up to ~10 states, ≥ 60× the old implementation.
RESULT ``ratio`` = old time / compiled time. The results agree (checked before reporting).

Also: a Lyapunov sweep over 200 parameter values of the Hénon map in one call
(``param=, values=``) against one old call per value.
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
import sympy  # noqa: E402
from _report import report  # noqa: E402

import dynrnn as dr  # noqa: E402


def henon():
    x, y, a, b = sympy.symbols("x y a b")
    return dr.Map.from_sympy([1 - a * x**2 + y, b * x], [x, y], {a: 1.4, b: 0.3})


def tanh_rnn(n: int, seed: int = 0) -> dr.RNN:
    rng = np.random.default_rng(seed)
    return dr.RNN(2.0 * rng.standard_normal((n, n)) / np.sqrt(n), b=0.1 * rng.standard_normal(n))


def plain_numpy(name, system):
    """(step_and_jacobian(x) -> (F, J)) written directly on the map's arrays."""
    if name == "henon":
        a, b = system.params["a"], system.params["b"]

        def fj(x):
            return (np.array([1 - a * x[0] ** 2 + x[1], b * x[0]]),
                    np.array([[-2 * a * x[0], 1.0], [b, 0.0]]))
    elif isinstance(system, dr.RNN):
        W, c = system.W_rec, system.b

        def fj(x):
            t = np.tanh(x)
            return W @ t + c, W * (1 - t * t)
    elif isinstance(system, dr.ElmanRNN):
        W, c = system.W, system.b

        def fj(x):
            h = np.tanh(W @ x + c)
            return h, (1 - h * h)[:, None] * W
    else:
        A, W, c = system.A, system.W, system.h

        def fj(x):
            J = W * (x > 0)
            J[np.diag_indices_from(J)] += A
            return A * x + W @ np.maximum(x, 0) + c, J
    return fj


def plain_lyapunov(fj, x, n_steps):
    Q = np.eye(len(x))
    sums = np.zeros(len(x))
    for _ in range(n_steps):
        F, J = fj(x)
        x = F
        Q, R = np.linalg.qr(J @ Q)
        d = np.diagonal(R)
        Q = Q * np.where(d < 0, -1.0, 1.0)
        sums += np.log(np.abs(d))
    return np.sort(sums / n_steps)[::-1]


def plain_run(fj, x, n_steps):
    out = np.empty((n_steps + 1, len(x)))
    out[0] = x
    for t in range(n_steps):
        out[t + 1] = fj(out[t])[0]
    return out


def timed(fn, repeat=3):
    best = np.inf
    out = None
    for _ in range(repeat):
        start = time.process_time()     # CPU time: the development machine is shared
        out = fn()
        best = min(best, time.process_time() - start)
    return best, out


def measure(name, system, x0, n_steps, n_old):
    """µs per step: compiled, old (backend='numpy'), plain numpy; Lyapunov and run."""
    start = time.perf_counter()
    dr.lyapunov_spectrum(system, x0, 10, n_transient=0)
    system.run(x0, n_steps=10)
    compile_s = time.perf_counter() - start
    fj = plain_numpy(name, system)
    rows = {}
    t_new, new = timed(lambda: dr.lyapunov_spectrum(system, x0, n_steps, n_transient=0))
    t_old, old = timed(lambda: dr.lyapunov_spectrum(system, x0, n_old, n_transient=0,
                                                    backend="numpy"), 1)
    t_plain, plain = timed(lambda: plain_lyapunov(fj, np.array(x0, float), n_old), 1)
    short_new = dr.lyapunov_spectrum(system, x0, n_old, n_transient=0)
    # on a chaotic orbit the three paths' rounding differences grow, so the averages agree
    # statistically (the trajectories are compared step by step below)
    np.testing.assert_allclose(short_new.exponents[:3], old.exponents[:3], atol=0.05)
    np.testing.assert_allclose(plain[:3], old.exponents[:3], atol=0.05)
    # over 20 steps, before rounding differences grow, the compiled and old paths agree
    a = dr.lyapunov_spectrum(system, x0, 20, n_transient=0).exponents
    b = dr.lyapunov_spectrum(system, x0, 20, n_transient=0, backend="numpy").exponents
    np.testing.assert_allclose(a[b > -20], b[b > -20], rtol=1e-9, atol=1e-10)
    rows["lyapunov"] = (t_new / n_steps, t_old / n_old, t_plain / n_old, new.exponents)
    t_new, traj = timed(lambda: system.run(x0, n_steps=n_steps))
    t_old, traj_old = timed(lambda: system.run(x0, n_steps=n_old, backend="numpy"), 1)
    t_plain, traj_plain = timed(lambda: plain_run(fj, np.array(x0, float), n_old), 1)
    np.testing.assert_allclose(traj[:30], traj_old[:30], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(traj_plain[:30], traj_old[:30], rtol=1e-9, atol=1e-12)
    rows["run"] = (t_new / n_steps, t_old / n_old, t_plain / n_old, None)
    return rows, compile_s


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--plot", action="store_true",
                        help="write figures/scaling_small_maps.png")
    args = parser.parse_args(argv)
    n_steps = 20_000 if args.quick else 200_000
    n_old = 2_000 if args.quick else 10_000
    rng = np.random.default_rng(1)
    W2 = np.array([[1.2, -2.4], [2.4, 1.2]])
    maps = {
        "henon": (henon(), [0.1, 0.1]),
        "rnn2": (dr.RNN(W2, b=[0.1, -0.2]), [0.1, 0.2]),
        "elman2": (dr.ElmanRNN(W2, b=[0.1, -0.2]), [0.1, 0.2]),
        "plrnn2": (dr.PLRNN([0.5, 0.3], [[0.4, -1.0], [1.0, 0.2]], h=[0.3, -0.1]), [0.1, 0.2]),
    }
    per_n = {}
    for n in (2, 5, 10, 20, 50):
        maps[f"rnn{n}" if n != 2 else "rnn2-random"] = (tanh_rnn(n), rng.normal(size=n))
    for name, (system, x0) in maps.items():
        rows, compile_s = measure(name, system, x0, n_steps, n_old)
        for what, (new, old, plain, _exponents) in rows.items():
            n = system.n_states
            print(f"{name:12s} n={n:3d} {what:9s} compiled {new * 1e6:7.3f} µs/step, "
                  f"old {old * 1e6:8.2f}, plain numpy {plain * 1e6:8.2f} "
                  f"(first call incl. compile/cache load {compile_s:.2f} s)")
            goal = "goal <= 1 µs/step " + ("met" if new <= 1e-6 else "NOT met")
            report(f"small_maps_{what}_{name}", "backend='numpy' (old implementation)",
                   old / new,
                   f"n={n}: {new * 1e6:.3f} µs/step compiled, {old * 1e6:.1f} µs old, "
                   f"{plain * 1e6:.1f} µs plain numpy loop ({plain / new:.0f}x); {goal}")
            if name.startswith("rnn") and name != "rnn2":
                per_n.setdefault(what, {})[n] = (new, old, plain)
    # a Lyapunov sweep over parameter values in one call
    system, x0 = maps["henon"]
    values = np.linspace(1.0, 1.4, 200)
    steps = 2_000 if args.quick else 10_000
    t_new, sweep = timed(lambda: dr.lyapunov_spectrum(system, x0, steps, param="a",
                                                      values=values), 1)
    sub = values[::40]
    t_old, old = timed(lambda: [dr.lyapunov_spectrum(system.with_params(a=v), x0, steps,
                                                     backend="numpy") for v in sub], 1)
    t_old *= len(values) / len(sub)
    report("small_maps_lyapunov_sweep_henon", "one backend='numpy' call per value",
           t_old / t_new, f"200 values x {steps} steps in one call: {t_new:.3f} s "
           f"({t_new / (200 * steps) * 1e6:.3f} µs per orbit-step); one old call per value "
           f"{t_old:.1f} s (extrapolated from {len(sub)} values)")
    for v, o in zip(sub, old):
        i = int(np.argmin(np.abs(values - v)))
        assert abs(sweep.exponents[i].sum() - o.exponents.sum()) < 1e-6
    if args.plot:
        plot(per_n)


def plot(per_n):
    import matplotlib
    import matplotlib.ticker
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    for ax, what in zip(axes, ("lyapunov", "run")):
        ns = sorted(per_n[what])
        for k, label, style in ((0, "compiled (numba)", "o-"), (1, "old (numpy path)", "s--"),
                                (2, "plain numpy loop", "^:")):
            ax.loglog(ns, [per_n[what][n][k] * 1e6 for n in ns], style, label=label)
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.set_xlabel("n (states)")
        ax.set_title({"lyapunov": "lyapunov_spectrum (full spectrum)",
                      "run": "run (trajectory)"}[what])
    axes[0].set_ylabel("µs per step")
    axes[0].legend(fontsize=8)
    fig.suptitle("tanh RNN, time per step against n (line: the 1 µs goal)")
    fig.tight_layout()
    path = os.path.join(os.path.dirname(__file__), "..", "figures", "scaling_small_maps.png")
    fig.savefig(path, dpi=150)
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
