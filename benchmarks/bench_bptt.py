"""BPTT forward + backward: dynrnn.bptt against torch.nn.RNN (fused), autograd through a Python
loop, and the floor set by the 2T sequential matrix products; plus the cost of Jacobian-product
norms. All baselines run in the same process; the script prints ratios.

    python3 benchmarks/bench_bptt.py            # full table
    python3 benchmarks/bench_bptt.py --quick    # n = 256, T = 1000, float64 only

Same problem everywhere: x_t = W_rec tanh(x_{t-1}) + W_in u_t + b (torch.nn.RNN computes the
Elman form h_t = tanh(W_ih u_t + W_hh h_{t-1} + b), the same cost), loss Σ_t ‖tanh(x_t) − z_t‖² / B
over all steps, gradients of every weight.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import dynrnn as dr  # noqa: E402
from dynrnn.gradients import bptt, jacobian_products  # noqa: E402


from _report import report  # noqa: E402  (benchmarks/ is on sys.path when run)

def best_of(f, repeat=3):  # for the single-candidate timings below
    f()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def problem(n, T, B, m, dtype, seed=0):
    rng = np.random.default_rng(seed)
    net = dr.RNN(rng.normal(0, 1 / np.sqrt(n), (n, n)), rng.normal(0, 0.3, (n, m)),
                 rng.normal(0, 0.1, n))
    U = rng.normal(size=(T, B, m)).astype(dtype)
    z = (0.5 * rng.normal(size=(T, B, n))).astype(dtype)
    x0 = np.zeros((B, n), dtype=dtype)
    return net, U, z, x0


def interleaved(funcs: dict, repeat: int) -> dict:
    """Best-of-``repeat`` times, the candidates timed in rotation so that a change of machine load
    affects all of them alike (the machine is shared)."""
    for f in funcs.values():
        f()  # warm-up
    best = {k: np.inf for k in funcs}
    for _ in range(repeat):
        for k, f in funcs.items():
            t = time.perf_counter()
            f()
            best[k] = min(best[k], time.perf_counter() - t)
    return best


def run_case(n, T, B, m, dtype, torch, loop_baseline=True, repeat=5):
    net, U, z, x0 = problem(n, T, B, m, dtype)
    W = net.W_rec.T.astype(dtype).copy()
    h = np.random.default_rng(1).normal(size=(B, n)).astype(dtype)
    out = np.empty_like(h)

    def floor():
        for _ in range(2 * T):
            np.matmul(h, W, out=out)

    tdt = torch.float64 if dtype == np.float64 else torch.float32
    rnn = torch.nn.RNN(m, n, nonlinearity="tanh").to(tdt)
    Ut, zt = torch.tensor(U), torch.tensor(z)
    h0 = torch.zeros(1, B, n, dtype=tdt)

    def torch_fused():
        rnn.zero_grad()
        y, _ = rnn(Ut, h0)
        loss = ((y - zt) ** 2).sum() / B
        loss.backward()

    funcs = {"ours": lambda: bptt(net, x0, U, z, "mse", dtype=dtype),
             "ours_blocks": lambda: bptt(net, x0, U, z, "mse", dtype=dtype, column_block="auto"),
             "floor": floor, "torch": torch_fused}
    best = interleaved(funcs, repeat)

    t_loop = float("nan")
    if loop_baseline:
        Wr = torch.tensor(net.W_rec, dtype=tdt, requires_grad=True)
        Wi = torch.tensor(net.W_in, dtype=tdt, requires_grad=True)
        bb = torch.tensor(net.b, dtype=tdt, requires_grad=True)
        x0t = torch.tensor(x0)

        def torch_loop():
            x = x0t
            loss = 0.0
            for t in range(T):
                x = torch.tanh(x) @ Wr.T + Ut[t] @ Wi.T + bb
                loss = loss + ((torch.tanh(x) - zt[t]) ** 2).sum()
            (loss / B).backward()
            Wr.grad = Wi.grad = bb.grad = None
        pair = interleaved({"loop": torch_loop, "ours": funcs["ours"]}, 2)
        t_loop, loop_ratio = pair["loop"], pair["loop"] / pair["ours"]
    else:
        loop_ratio = float("nan")
    return best["ours"], best["floor"], best["torch"], t_loop, loop_ratio, best["ours_blocks"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-loop", action="store_true", help="skip the autograd Python-loop baseline")
    args = ap.parse_args()
    import torch
    torch.set_num_threads(2)
    B, m = 32, 32
    cases = [(256, 1000, np.float64)] if args.quick else [
        (64, 1000, np.float64), (64, 1000, np.float32),
        (256, 1000, np.float64), (256, 1000, np.float32),
        (1024, 200, np.float64), (1024, 200, np.float32)]
    print(f"numpy {np.__version__}, torch {torch.__version__} (threads {torch.get_num_threads()})"
          f", batch {B}, n_inputs {m}")
    print(f"{'n':>5} {'T':>5} {'dtype':>8} | {'dynrnn s':>9} {'floor s':>8} {'torch s':>8} "
          f"{'loop s':>8} | {'torch/ours':>10} {'ours/floor':>10} {'loop/ours':>9}")
    for n, T, dt in cases:
        t_ours, t_floor, t_torch, t_loop, loop_ratio, t_blocks = run_case(n, T, B, m, dt, torch,
                                                    loop_baseline=not args.no_loop)
        print(f"{n:5d} {T:5d} {np.dtype(dt).name:>8} | {t_ours:9.4f} {t_floor:8.4f} "
              f"{t_torch:8.4f} {t_loop:8.4f} | {t_torch / t_ours:10.2f} {t_ours / t_floor:10.2f}"
              f" {loop_ratio:9.2f} | blocks {t_blocks:8.4f} s, torch/blocks "
              f"{t_torch / t_blocks:5.2f}")
        label = f"n={n}, T={T}, batch {B}, {np.dtype(dt).name}"
        report(f"bptt_vs_torch_n{n}_T{T}_{np.dtype(dt).name}",
               "torch.nn.RNN fused forward+backward (2 threads)", t_torch / t_ours,
               f"{label}: dynrnn {t_ours:.4f} s, torch {t_torch:.4f} s; column blocks "
               f"{t_blocks:.4f} s (torch/blocks {t_torch / t_blocks:.2f})")
        report(f"bptt_floor_n{n}_T{T}_{np.dtype(dt).name}",
               "the 2T sequential matrix products alone (goal: ratio >= 1/1.5 = 0.667)",
               t_floor / t_ours, f"{label}: dynrnn {t_ours:.4f} s, floor {t_floor:.4f} s, "
               f"dynrnn/floor {t_ours / t_floor:.2f}")

    # Jacobian-product norms ∂x_T/∂x_k for every k at n = 256, T = 1000 (one trajectory), against
    # the floor of T products of n x n matrices that any method computing them must do.
    net, U, _, _ = problem(256, 1000, 1, m, np.float64)
    A = np.random.default_rng(2).normal(size=(256, 256)) / 20  # spectral radius ~0.8: no overflow
    P = np.eye(256)

    def matmul_floor():
        Q = P
        for _ in range(1000):
            Q = Q @ A
    funcs = {norm: (lambda norm=norm: jacobian_products(net, np.zeros(256), U[:, 0],
                                                        pairs="last", norm=norm))
             for norm in ("fro", "spectral")}
    funcs["floor"] = matmul_floor
    best = interleaved(funcs, 2)
    for norm in ("fro", "spectral"):
        print(f"jacobian_products(pairs='last', norm={norm!r}) n=256 T=1000: {best[norm]:.2f} s "
              f"= {best[norm] / best['floor']:.2f} x the floor of 1000 (256x256)@(256x256) "
              f"products ({best['floor']:.2f} s)")
        report(f"jacobian_product_norms_{norm}_n256_T1000",
               "1000 products of 256x256 matrices (the floor)", best["floor"] / best[norm],
               f"{best[norm]:.2f} s for the norms of all k; floor {best['floor']:.2f} s")


if __name__ == "__main__":
    main()
