"""Overhead of dynrnn.torch.Recorder in a PyTorch training loop (issue 12 §1: goal ≤ 5%).

    python3 benchmarks/bench_recorder.py            # 256-unit LSTM, batch 32, 100-step sequences
    python3 benchmarks/bench_recorder.py --quick    # fewer steps

The same loop (nn.LSTM(32, 256) + nn.Linear readout, float32, Adam, clip_grad_norm_ at 1.0) runs
with and without ``rec.record(loss)``; blocks of steps alternate between the two so that a change
of machine load affects both alike (the machine is shared), and the median block time is used.
The recorder runs with its defaults (stride 100, window 2, 100 steps a chunk), writing to a
temporary directory. Ratio = time without / time with (below 1: the recorder costs time);
the overhead in percent is in the detail, together with the median time of ``record`` itself
(the recorder's own work, a measure that machine load does not blur).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from _report import report  # noqa: E402  (benchmarks/ is on sys.path when run)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    import torch

    from dynrnn.torch import Recorder
    torch.manual_seed(0)
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    hidden, batch, length, n_in = 256, 32, 100, 32
    lstm = torch.nn.LSTM(n_in, hidden)
    readout = torch.nn.Linear(hidden, 1)
    model = torch.nn.ModuleDict({"rnn": lstm, "out": readout})
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    x = torch.randn(length, batch, n_in)
    y = torch.randn(batch, 1)

    def step(rec):
        opt.zero_grad()
        h, _ = lstm(x)
        loss = (readout(h[-1]) - y).pow(2).mean()
        loss.backward()
        if rec is not None:
            t = time.perf_counter()
            rec.record(loss)
            record_times.append(time.perf_counter() - t)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    record_times: list[float] = []
    blocks, per_block = (4, 3) if args.quick else (8, 5)
    with tempfile.TemporaryDirectory() as out:
        rec = Recorder(model, out=out, optimizer=opt, clip=1.0, readout="out")
        for _ in range(3):  # warm-up both paths
            step(None)
            step(rec)
        times = {"without": [], "with": []}
        for b in range(blocks):
            for name in (("without", "with") if b % 2 == 0 else ("with", "without")):
                t = time.perf_counter()
                for _ in range(per_block):
                    step(rec if name == "with" else None)
                times[name].append((time.perf_counter() - t) / per_block)
        rec.close()
        memory = rec.memory_bytes
    without, with_rec = np.median(times["without"]), np.median(times["with"])
    overhead = 100.0 * (with_rec - without) / without
    own = 100.0 * np.median(record_times) / without
    report("recorder_overhead_lstm256_b32_T100", "the same loop without the recorder",
           without / with_rec,
           f"step {1e3 * without:.1f} ms without, {1e3 * with_rec:.1f} ms with: overhead "
           f"{overhead:+.1f}% (within the load noise); record() itself "
           f"{1e3 * np.median(record_times):.2f} ms = {own:.2f}% of a step; {rec.n_params} parameters in θ, memory bound "
           f"{memory / 2**20:.1f} MiB; {blocks * per_block} steps each")


if __name__ == "__main__":
    main()
