"""Cost of explaining the spikes of a long recording (issue 12 §3: a 5,000-step recording of a
128-unit network analysed in minutes on 2 cores).

    python3 benchmarks/bench_events.py            # nn.RNN(4, 128), 5,000 recorded steps
    python3 benchmarks/bench_events.py --quick    # 1,000 steps
    python3 benchmarks/bench_events.py --profile  # and the cProfile top entries of the analysis
    python3 benchmarks/bench_events.py --workers 2  # analyse the spikes on a 2-process pool
    python3 benchmarks/bench_events.py --max-events 30 --profile  # the first 30 spikes only
    python3 benchmarks/bench_events.py --recording /tmp/rec  # keep the recording, reuse it later
    python3 benchmarks/bench_events.py --save events.npz      # the GradientEvents, to compare runs

A 128-unit ``nn.RNN`` with a linear readout is trained with Adam (lr 0.01) on the addition task
(length 20, batch 16), recorded by :class:`dynrnn.torch.Recorder` with every 97th step a planted
spike (targets × 100: 51 planted spikes in 5,000 steps; the spike definition finds many more,
892 on 2026-11-30, so the analysis is measured on more spikes than planted), then
:func:`dynrnn.find_gradient_events` with its default settings (``follow="auto"``, which is
"visited" at 128 units: only the attractors the trajectory visits) explains every spike.
Reported: the analysis wall time and CPU time (the pool's workers included), the load average
before and after, and with ``--profile`` where the time goes (recording and training are not
counted). The ratio is the goal (300 s) over the measured wall time: above 1
the goal is met.
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
    parser.add_argument("--profile", action="store_true",
                        help="print the cProfile entries of the analysis by cumulative time")
    parser.add_argument("--max-events", type=int, default=None,
                        help="analyse only the first N spikes (time per spike, profile)")
    parser.add_argument("--workers", type=int, default=0,
                        help="analyse the spikes on a process pool of this size (0: serial)")
    parser.add_argument("--recording", default=None,
                        help="keep the recording in this directory and reuse it when it exists "
                             "(default: a temporary directory)")
    parser.add_argument("--save", default=None,
                        help="save the GradientEvents to this file (dynrnn.save), to compare runs")
    args = parser.parse_args()
    steps = 1000 if args.quick else 5000
    if args.recording is None:
        with tempfile.TemporaryDirectory() as out:
            record(out, steps)
            analyse(out, args, steps)
    else:
        if not os.path.exists(os.path.join(args.recording, "recording.json")):
            record(args.recording, steps)
        analyse(args.recording, args, steps)


def record(out: str, steps: int) -> None:
    """Train the 128-unit nn.RNN for ``steps`` steps under the recorder, into ``out``."""
    import torch

    from dynrnn.gradients import get_task
    from dynrnn.torch import Recorder
    torch.manual_seed(0)
    torch.set_num_threads(1)
    task = get_task("addition")
    rnn = torch.nn.RNN(task.n_inputs, 128)
    readout = torch.nn.Linear(128, 1)
    model = torch.nn.ModuleDict({"rnn": rnn, "out": readout})
    opt = torch.optim.Adam(model.parameters(), 0.01)
    with Recorder(model, out=out, optimizer=opt, readout="out") as rec:
        for k in range(steps):
            b = task.sample(16, 20, seed=np.random.default_rng([0, k]))
            x = torch.tensor(b.inputs, dtype=torch.float32)
            h, _ = rnn(x)
            scale = 100.0 if k % 97 == 50 else 1.0
            loss = (readout(h[-1]) - scale * torch.tensor(b.targets, dtype=torch.float32)
                    ).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            rec.record(loss)
            opt.step()
    print(f"recorded {steps} steps", flush=True)


def analyse(out: str, args, steps: int) -> None:
    """Explain the spikes of the recording in ``out``; print the time and the causes."""
    import resource

    from dynrnn.gradients import find_gradient_events
    executor = None
    if args.workers:
        from concurrent.futures import ProcessPoolExecutor
        executor = ProcessPoolExecutor(args.workers)
    profiler = None
    if args.profile:
        import cProfile
        profiler = cProfile.Profile()
        profiler.enable()
    print(f"load average before: {os.getloadavg()}", flush=True)
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        ev = find_gradient_events(out, progress=True, max_events=args.max_events,
                                  **({} if executor is None else {"executor": executor}))
    finally:
        if executor is not None:
            executor.shutdown()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu += children.ru_utime + children.ru_stime   # the pool's workers, once they have exited
    print(f"load average after: {os.getloadavg()}", flush=True)
    if profiler is not None:
        import pstats
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(30)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)
    if args.save:
        import dynrnn
        dynrnn.save(ev, args.save)
    n = len(ev)
    print(f"{ev.spike_steps.size} spikes in the recording, {n} analysed", flush=True)
    spike_anatomy(out, ev.spike_steps)
    report(f"events_rnn128_{steps}_steps", "goal: 300 s on 2 cores", 300.0 / wall,
           f"{n} spikes explained in {wall:.1f} s wall, {cpu:.1f} s CPU "
           f"({wall / max(n, 1):.2f} s per spike); causes {ev.counts()}; status "
           f"{ev.status.name}")


def spike_anatomy(out: str, spikes: np.ndarray) -> None:
    """Check the spike count independently (the definition recomputed with numpy medians: a norm
    ≥ 10× the median of the 50 steps before, or of steps 0-5 but itself during the start-up)
    and describe the spikes: runs of consecutive spikes and the loss after the planted kicks."""
    from dynrnn.gradients.recording import load_recording
    rec = load_recording(out)
    g, loss = rec.grad_norm, rec.loss
    count = sum(g[k] >= 10 * np.median(np.delete(g[:6], k) if k < 5 else g[max(0, k - 50):k])
                for k in range(g.size))
    runs = np.split(spikes, np.flatnonzero(np.diff(spikes) > 1) + 1) if spikes.size else []
    planted = np.arange(50, g.size, 97)
    rise = [np.max(loss[p + 1:p + 21]) / np.median(loss[p - 50:p]) for p in planted
            if p + 21 <= g.size]
    print(f"independent recomputation of the definition: {count} spikes; {len(runs)} runs of "
          f"consecutive spikes (mean length {np.mean([len(r) for r in runs]):.1f}), "
          f"{int(np.isin([r[0] for r in runs], planted).sum())} starting at one of the "
          f"{planted.size} planted kicks; in the 20 steps after a kick the loss peaks at "
          f"{np.median(rise):.0f}x its median of the 50 steps before (median over kicks)",
          flush=True)


if __name__ == "__main__":
    main()
