"""Sequential work on small maps: µs per step of the Lyapunov spectrum and of trajectories.

    python3 benchmarks/bench_small_maps.py            # 100,000 steps per map (2-3 minutes)
    python3 benchmarks/bench_small_maps.py --quick    # 10,000 steps
    python3 benchmarks/bench_small_maps.py --plot     # also figures/scaling_small_maps.png
    python3 benchmarks/bench_small_maps.py --latency  # only the compile latency (cold, warm)

For each map (the Hénon map from ``Map.from_sympy``, 2-unit tanh RNN, ElmanRNN and PLRNN,
tanh RNNs of n = 2 … 50, GRU cells of n = 2, 5, 10 and LSTM cells of n = 2, 4, 10 states)
three implementations of the same computation run in the same process on the same orbit:

- **compiled**: ``lyapunov_spectrum`` / ``run`` with the default ``backend="auto"`` (the numba
  loop; compiled before timing, so compile latency is excluded and reported separately);
- **old**: the same calls with ``backend="numpy"`` (the implementation before the compiled path,
  unchanged);
- **plain numpy**: a hand-written per-step loop on the map's own arrays (J = ∂F/∂x; x = F(x);
  Q, R = np.linalg.qr(J Q)), no dynrnn call inside, i.e. the floor of any per-step numpy code.

Goal: ≤ 1 µs per step for maps of up to ~10 states, ≥ 60× the old implementation.
RESULT ``ratio`` = old time / compiled time. The results agree (checked before reporting).

Also: the Hénon map from sympy against a Hénon loop written by hand in numba (the floor of
compiled code for this map); a Lyapunov sweep over 200 parameter values of the Hénon map in one
call (``param=, values=``) against one old call per value; the compile latency (first call in a
fresh process with an empty numba cache, and with the cache written by that call), in
subprocesses.
"""
from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
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


def gated(kind: str, hidden: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    gates = 3 if kind == "GRU" else 4
    return getattr(dr, kind)(rng.normal(scale=0.8, size=(gates * hidden, 1)),
                             rng.normal(scale=1.5 / np.sqrt(hidden), size=(gates * hidden, hidden)),
                             rng.normal(scale=0.5, size=gates * hidden), np.zeros(gates * hidden),
                             u=[0.3])


def plain_numpy(name, system):
    """(step_and_jacobian(x) -> (F, J)) written directly on the map's arrays."""
    if isinstance(system, (dr.GRU, dr.LSTM)):
        # the map's own numpy equations (written for batches) are the plain loop here
        u = system.u

        def fj(x):
            return system.step_unchecked(x, u), system.jacobian_unchecked(x, u)
        return fj
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


def hand_written_henon(a: float, b: float):
    """Lyapunov spectrum and trajectory of the Hénon map written by hand in numba: the 2 × 2
    QR in closed form (Gram–Schmidt of two columns), nothing generic."""
    import numba

    @numba.njit(cache=True, error_model="numpy")
    def lyapunov(x, y, n_steps):
        q11, q21, q12, q22 = 1.0, 0.0, 0.0, 1.0
        s1 = s2 = 0.0
        for _ in range(n_steps):
            j11 = -2.0 * a * x
            x, y = 1.0 - a * x * x + y, b * x
            v11, v21 = j11 * q11 + q21, b * q11          # J q1 (J = [[-2ax, 1], [b, 0]])
            v12, v22 = j11 * q12 + q22, b * q12          # J q2
            r11 = math.sqrt(v11 * v11 + v21 * v21)
            q11, q21 = v11 / r11, v21 / r11
            dot = q11 * v12 + q21 * v22
            v12, v22 = v12 - dot * q11, v22 - dot * q21
            r22 = math.sqrt(v12 * v12 + v22 * v22)
            q12, q22 = v12 / r22, v22 / r22
            s1 += math.log(r11)
            s2 += math.log(r22)
        return s1 / n_steps, s2 / n_steps

    @numba.njit(cache=True, error_model="numpy")
    def run(x, y, n_steps):
        out = np.empty((n_steps + 1, 2))
        out[0, 0], out[0, 1] = x, y
        for t in range(n_steps):
            x, y = 1.0 - a * x * x + y, b * x
            out[t + 1, 0], out[t + 1, 1] = x, y
        return out
    return lyapunov, run


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


def small_maps():
    """The maps measured: name -> (map, x0)."""
    rng = np.random.default_rng(1)
    W2 = np.array([[1.2, -2.4], [2.4, 1.2]])
    maps = {
        "henon": (henon(), [0.1, 0.1]),
        "rnn2": (dr.RNN(W2, b=[0.1, -0.2]), [0.1, 0.2]),
        "elman2": (dr.ElmanRNN(W2, b=[0.1, -0.2]), [0.1, 0.2]),
        "plrnn2": (dr.PLRNN([0.5, 0.3], [[0.4, -1.0], [1.0, 0.2]], h=[0.3, -0.1]), [0.1, 0.2]),
    }
    for n in (2, 5, 10, 20, 50):
        maps[f"rnn{n}" if n != 2 else "rnn2-random"] = (tanh_rnn(n), rng.normal(size=n))
    for kind, hidden_sizes in (("GRU", (2, 5, 10)), ("LSTM", (1, 2, 5))):
        for hidden in hidden_sizes:
            system = gated(kind, hidden)
            maps[f"{kind.lower()}{system.n_states}"] = (system,
                                                        0.3 * rng.normal(size=system.n_states))
    return maps


def report_map(name, system, rows, compile_s, per_n):
    n = system.n_states
    for what, (new, old, plain, _exponents) in rows.items():
        print(f"{name:12s} n={n:3d} {what:9s} compiled {new * 1e6:7.3f} µs/step, "
              f"old {old * 1e6:8.2f}, plain numpy {plain * 1e6:8.2f} "
              f"(first call incl. compile/cache load {compile_s:.2f} s)")
        goal = "goal <= 1 µs/step " + ("met" if new <= 1e-6 else "NOT met")
        report(f"small_maps_{what}_{name}", "backend='numpy' (old implementation)", old / new,
               f"n={n}: {new * 1e6:.3f} µs/step compiled, {old * 1e6:.1f} µs old, "
               f"{plain * 1e6:.1f} µs plain numpy loop ({plain / new:.0f}x); {goal}")
        family = "rnn" if name.startswith("rnn") and name != "rnn2" else name.rstrip("0123456789")
        per_n.setdefault(family, {}).setdefault(what, {})[n] = (new, old, plain)


def compare_hand_written_henon(system, n_steps):
    """The sympy-compiled Hénon map against the same loops written by hand in numba."""
    lyapunov, run = hand_written_henon(system.params["a"], system.params["b"])
    lyapunov(0.1, 0.1, 10), run(0.1, 0.1, 10)
    rows = []
    for what, ours, theirs in (
            ("lyapunov", lambda: dr.lyapunov_spectrum(system, [0.1, 0.1], n_steps,
                                                      n_transient=0).exponents,
             lambda: np.array(lyapunov(0.1, 0.1, n_steps))),
            ("run", lambda: system.run([0.1, 0.1], n_steps=n_steps),
             lambda: run(0.1, 0.1, n_steps))):
        t_ours, a = timed(ours)
        t_hand, b = timed(theirs)
        if what == "run":   # sympy orders the sums otherwise: equal to rounding, which grows
            np.testing.assert_allclose(a[:25], b[:25], rtol=1e-8, atol=1e-10)
        else:               # a chaotic orbit: statistically
            np.testing.assert_allclose(a, b, atol=0.01)
        report(f"small_maps_{what}_henon_sympy_vs_hand_written", "Hénon written by hand in numba",
               t_hand / t_ours, f"sympy-compiled {t_ours / n_steps * 1e6:.3f} µs/step, "
               f"hand-written {t_hand / n_steps * 1e6:.3f} µs/step")
        rows.append((what, t_ours, t_hand))
    return rows


_LATENCY_SCRIPT = """
import sys, time
sys.path.insert(0, {root!r})
import numpy as np, dynrnn as dr
imported = time.process_time()       # CPU time: the development machine is shared
net = dr.RNN(np.eye(3) * 0.5)
dr.lyapunov_spectrum(net, [0.1, 0.2, 0.3], 10)
net.run([0.1, 0.2, 0.3], n_steps=10)
networks = time.process_time()
import sympy
x, y, a, b = sympy.symbols("x y a b")
henon = dr.Map.from_sympy([1 - a * x**2 + y, b * x], [x, y], {{a: 1.4, b: 0.3}})
dr.lyapunov_spectrum(henon, [0.1, 0.1], 10)
henon.run([0.1, 0.1], n_steps=10)
print(networks - imported, time.process_time() - networks)
"""


def compile_latency():
    """(cold, warm) CPU seconds of the first lyapunov_spectrum + run of a network in a fresh
    process: with an empty numba cache (compiling) and with the cache the first run wrote;
    and of a sympy map (compiled in every session)."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    script = _LATENCY_SCRIPT.format(root=root)
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        times = []
        for _ in range(2):
            out = subprocess.run([sys.executable, "-c", script], env=env, check=True,
                                 capture_output=True, text=True).stdout.split()
            times.append(tuple(float(v) for v in out))
    (cold, sympy_cold), (warm, sympy_warm) = times
    print(f"compile latency: network loops cold {cold:.1f} s, warm (disk cache) {warm:.2f} s; "
          f"a sympy map {sympy_cold:.1f} s / {sympy_warm:.1f} s (compiled per session)")
    report("small_maps_compile_latency", "first call with an empty numba cache", cold / warm,
           f"network loops: first call {cold:.1f} s compiling, {warm:.2f} s loading the disk "
           f"cache; a sympy map: {sympy_warm:.1f} s per session")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--plot", action="store_true",
                        help="write figures/scaling_small_maps.png")
    parser.add_argument("--latency", action="store_true",
                        help="only measure the compile latency (cold and warm cache)")
    args = parser.parse_args(argv)
    if args.latency:
        compile_latency()
        return
    n_steps = 10_000 if args.quick else 100_000
    n_old = 1_000 if args.quick else 5_000
    per_n: dict = {}
    maps = small_maps()
    for name, (system, x0) in maps.items():
        rows, compile_s = measure(name, system, x0, n_steps, n_old)
        report_map(name, system, rows, compile_s, per_n)
    compare_hand_written_henon(maps["henon"][0], n_steps)
    sweep(maps["henon"], args.quick)
    if args.plot:
        plot(per_n)


def sweep(henon_map, quick: bool):
    """A Lyapunov sweep over parameter values in one call, against one old call per value."""
    system, x0 = henon_map
    values = np.linspace(1.0, 1.4, 200)
    steps = 2_000 if quick else 10_000
    t_new, result = timed(lambda: dr.lyapunov_spectrum(system, x0, steps, param="a",
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
        assert abs(result.exponents[i].sum() - o.exponents.sum()) < 1e-6


def plot(per_n):
    import matplotlib
    import matplotlib.ticker
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.3), sharey=True)
    for ax, what in zip(axes, ("lyapunov", "run")):
        rnn = per_n["rnn"][what]
        ns = sorted(rnn)
        for k, label, style in ((0, "tanh RNN, compiled (numba)", "o-"),
                                (1, "tanh RNN, old (numpy path)", "s--"),
                                (2, "tanh RNN, plain numpy loop", "^:")):
            ax.loglog(ns, [rnn[n][k] * 1e6 for n in ns], style, label=label)
        for family, style in (("gru", "D"), ("lstm", "v")):
            points = per_n[family][what]
            sizes = sorted(points)
            ax.loglog(sizes, [points[n][0] * 1e6 for n in sizes], style, mfc="none",
                      label=f"{family.upper()}, compiled")
            ax.loglog(sizes, [points[n][1] * 1e6 for n in sizes], style, mfc="none", alpha=0.5,
                      color="gray", label=f"{family.upper()}, old")
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.set_xlabel("n (states)")
        ax.set_title({"lyapunov": "lyapunov_spectrum (full spectrum)",
                      "run": "run (trajectory)"}[what])
    axes[0].set_ylabel("µs per step")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=7)
    fig.suptitle("time per step against n (line: the 1 µs goal)")
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    path = os.path.join(os.path.dirname(__file__), "..", "figures", "scaling_small_maps.png")
    fig.savefig(path, dpi=150)
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
