"""Gradient spikes in plain PyTorch training (nn.RNN, nn.GRU, nn.LSTM with Adam), recorded with
:class:`dynrnn.torch.Recorder` and explained by :func:`dynrnn.find_gradient_events`.

Every run trains one cell (8 units) on one §4 task (temporal order, addition; length 40) with Adam
at a learning rate large enough for spikes (0.1; a spike is a gradient norm ≥ 5× the median of the
50 steps before, for the recorder and the analysis alike), with and without clipping
(clip_grad_norm_ at 1.0), in an ordinary loop with the recorder's three lines; then each spike
is explained from the recording: crossings of the autonomous map (zero input) on θ_k → θ_{k+1}
near the states the loss depends on (relevant),
crossings elsewhere (irrelevant, listed apart), basin changes of x₀ = 0, or nothing.

Output: a training atlas per run (loss, gradient norm, crossings marked), and a table (notes) of
spikes: explained by a relevant bifurcation, by a basin crossing, with only irrelevant crossings,
unexplained.

    python -m dynrnn run torch_events [--quick]
"""
from __future__ import annotations

import shutil

import numpy as np

from ._common import execute, parse_args, report

NAME = "torch_events"
CELLS = ("RNN", "GRU", "LSTM")
TASKS = ("temporal_order", "addition")
CLIPS = (None, 1.0)


def _arguments(parser) -> None:
    parser.add_argument("--steps", type=int, default=None, help="training steps per run")
    parser.add_argument("--lr", type=float, default=0.1, help="Adam learning rate")
    parser.add_argument("--threshold", type=float, default=5.0,
                        help="spike ratio ρ (recorder and analysis use the same definition)")


def _settings(args) -> dict:
    if args.quick:
        return dict(cells=("RNN",), tasks=("addition",), clips=CLIPS, hidden=4, steps=40,
                    length=10, batch=8, n_iter=200, max_events=3)
    return dict(cells=CELLS, tasks=TASKS, clips=CLIPS, hidden=8, steps=300, length=40,
                batch=16, n_iter=1000, max_events=8)


def train_recorded(cell: str, task_name: str, clip, out, *, hidden, steps, length, batch, lr,
                   seed, threshold=10.0, progress=False):
    """Train ``nn.<cell>`` + a linear readout with Adam on a §4 task in a plain loop, recording
    it into ``out``; returns the Recorder."""
    import torch

    from ..gradients import SpikeDefinition, get_task
    from ..torch import Recorder
    task = get_task(task_name)
    torch.manual_seed(seed)
    rnn = getattr(torch.nn, cell)(task.n_inputs, hidden)
    readout = torch.nn.Linear(hidden, task.n_outputs)
    model = torch.nn.ModuleDict({"rnn": rnn, "out": readout})
    opt = torch.optim.Adam(model.parameters(), lr)
    shutil.rmtree(out, ignore_errors=True)
    steps_iter = range(steps)
    if progress:
        from tqdm.auto import tqdm
        steps_iter = tqdm(steps_iter, desc=f"{cell} {task_name} clip={clip}", leave=False)
    with Recorder(model, out=out, optimizer=opt, clip=clip, readout="out", stride=25,
                  spikes=SpikeDefinition(ratio=threshold)) as rec:
        for k in steps_iter:
            b = task.sample(batch, length, seed=np.random.default_rng([seed, k]))
            x = torch.tensor(b.inputs, dtype=torch.float32)
            h, _ = rnn(x)
            y = readout(h[-1])
            if b.loss == "cross_entropy":
                loss = torch.nn.functional.cross_entropy(y, torch.tensor(b.targets).long())
            else:
                loss = (y - torch.tensor(b.targets, dtype=torch.float32)).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            rec.record(loss, inputs=x)
            if clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
    return rec


def run_name(cell, task, clip) -> str:
    return f"{cell.lower()}_{task}_{'clip' if clip else 'plain'}"


def compute(args) -> dict:
    import torch

    from ..gradients import find_gradient_events
    from ..gradients.recording import load_recording
    torch.set_num_threads(1)  # 8-unit networks: extra intra-op threads only add overhead
    s = _settings(args)
    steps = args.steps or s["steps"]
    results: dict[str, object] = {}
    for cell in s["cells"]:
        for task in s["tasks"]:
            for clip in s["clips"]:
                name = run_name(cell, task, clip)
                out = args.results / f"{NAME}_recordings" / name
                train_recorded(cell, task, clip, out, hidden=s["hidden"], steps=steps,
                               length=s["length"], batch=s["batch"], lr=args.lr,
                               seed=args.seed, threshold=args.threshold,
                               progress=args.progress)
                recording = load_recording(out)
                events = find_gradient_events(recording, follow="visited", window=1,
                                              threshold_ratio=args.threshold,
                                              n_iter=s["n_iter"], max_events=s["max_events"],
                                              progress=args.progress)
                results[f"{name}_recording"] = recording
                results[f"{name}_events"] = events
    return results


def table(loaded) -> list[str]:
    """One row per run: spikes; explained by a relevant bifurcation (smooth, or a border collision
    of a ReLU network), by a basin crossing; only irrelevant crossings; unexplained; not
    analysed."""
    rows = ["run                              spikes analysed  bifurcation  basin  "
            "irrelevant-only  unexplained"]
    total = {"analysed": 0, "bif": 0, "basin": 0}
    for key in sorted(k for k in loaded if k.endswith("_events")):
        ev = loaded[key]
        c = ev.counts()
        bif = c["BIFURCATION"] + c["BIFURCATION_NEARBY"] + c["BORDER_COLLISION"]
        analysed = len(ev) - c["NOT_ANALYSED"]
        total["analysed"] += analysed
        total["bif"] += bif
        total["basin"] += c["BASIN_BOUNDARY"]
        rows.append(f"{key[:-len('_events')]:<32} {len(ev.spike_steps):>6} {analysed:>8} "
                    f"{bif:>12} {c['BASIN_BOUNDARY']:>6} {c['IRRELEVANT_ONLY']:>16} "
                    f"{c['UNEXPLAINED']:>12}")
    if total["analysed"]:
        rows.append(f"spikes with a relevant crossing: {total['bif']} of {total['analysed']} "
                    f"analysed ({100 * total['bif'] / total['analysed']:.0f}%); with a basin "
                    f"crossing {total['basin']} ({100 * total['basin'] / total['analysed']:.0f}%)")
    return rows


def draw(loaded, args) -> dict:
    from ..plotting.figures import figure_training_atlas
    figures = {}
    for key in sorted(k for k in loaded if k.endswith("_events")):
        name = key[:-len("_events")]
        cell, *rest = name.split("_")
        figures[name] = figure_training_atlas(
            loaded[f"{name}_recording"], loaded[key],
            title=f"nn.{cell.upper()} + Adam, {' '.join(rest)}: gradient spikes and the "
                  "crossings\n(relevant: coloured; irrelevant: grey dotted; basin change: "
                  "dashed)")
    return figures


def notes(loaded) -> list:
    return table(loaded)


def main(argv=None):
    args = parse_args(NAME, __doc__.splitlines()[0], argv, _arguments)
    return execute(NAME, args, compute, draw, notes)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(report(main()))
