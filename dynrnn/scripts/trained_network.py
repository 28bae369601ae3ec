"""A trained network as a dynamical system: train a small ``torch.nn.RNN`` (CPU, float64) on a
one-bit memory (flip-flop) task, import it (:meth:`dynrnn.RNN.from_torch`), find the fixed points
of the final network under zero input and classify them, and continue them along the last
training segment θ(s) = (1 − s) θ_a + s θ_b between the last two checkpoints.

The task: the input is +1 or −1 at random steps (probability 0.1) and 0 elsewhere; the target is
the sign of the last non-zero input (0 before the first). A network that solves it has two
stable fixed points (the two memories) separated by a saddle.

    python analysis/trained_network.py [--quick] [--out DIR]
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from ..analysis import bifurcation_diagram, find_fixed_points
from ..model import RNN
from ..plotting.figures import figure_trained_network
from ._common import execute, parse_args, report

NAME = "trained_network"
N_HIDDEN, LENGTH, BATCH = 8, 40, 32


@dataclass(frozen=True)
class TorchTraining:
    """The loss of the torch training run and where its last two checkpoints were taken."""

    loss: np.ndarray
    checkpoint_steps: tuple
    n_hidden: int
    task: str = "flip-flop (one-bit memory)"


def _flip_flop(torch, generator):
    pulses = torch.rand(LENGTH, BATCH, 1, generator=generator, dtype=torch.float64) < 0.1
    signs = torch.where(torch.rand(LENGTH, BATCH, 1, generator=generator,
                                   dtype=torch.float64) < 0.5, -1.0, 1.0).double()
    inputs = pulses.double() * signs
    targets = torch.zeros_like(inputs)
    memory = torch.zeros(BATCH, 1, dtype=torch.float64)
    for t in range(LENGTH):
        memory = torch.where(pulses[t], signs[t], memory)
        targets[t] = memory
    return inputs, targets


def train_torch(steps: int, seed: int):
    """Adam on the flip-flop task; returns the module at the last two checkpoints and the loss."""
    from ..model.torch_import import import_torch
    torch = import_torch()
    torch.manual_seed(seed)
    torch.set_num_threads(1)     # tiny matrices: threads only add overhead on shared cores
    generator = torch.Generator().manual_seed(seed)
    rnn = torch.nn.RNN(1, N_HIDDEN, nonlinearity="tanh", dtype=torch.float64)
    readout = torch.nn.Linear(N_HIDDEN, 1, dtype=torch.float64)
    optimiser = torch.optim.Adam(list(rnn.parameters()) + list(readout.parameters()), lr=0.02)
    checkpoints = (steps - max(steps // 10, 1), steps)
    saved, losses = {}, []
    for step in range(1, steps + 1):
        inputs, targets = _flip_flop(torch, generator)
        hidden, _ = rnn(inputs)
        loss = torch.mean((readout(hidden) - targets) ** 2)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(float(loss.detach()))
        if step in checkpoints:
            saved[step] = copy.deepcopy(rnn)
    return saved[checkpoints[0]], saved[checkpoints[1]], TorchTraining(
        np.array(losses), checkpoints, N_HIDDEN)


def compute(args) -> dict:
    module_a, module_b, training = train_torch(40 if args.quick else 400, args.seed)
    net_a, net_b = RNN.from_torch(module_a), RNN.from_torch(module_b)
    points = find_fixed_points(net_b, n_starts=64 if args.quick else 256, seed=args.seed)
    diagram = bifurcation_diagram(net_a, ("line", net_b), (0.0, 1.0),
                                  n_starts=64 if args.quick else 256, seed=args.seed)
    return {"training": training, "net_a": net_a, "net_b": net_b, "fixed_points": points,
            "segment": diagram}


def draw(loaded, args) -> dict:
    return {"": figure_trained_network(
        loaded["training"], loaded["fixed_points"], loaded["segment"],
        title=f"A trained torch.nn.RNN ({N_HIDDEN} tanh units, flip-flop task) as a dynamical "
              "system, under zero input")}


def notes(loaded) -> list:
    out = [f"final training loss {loaded['training'].loss[-1]:.3g}"]
    out += [f"fixed point {k}: {p.description}, max|λ| = {p.spectral_radius:.4f}"
            for k, p in enumerate(loaded["fixed_points"])]
    out.append(loaded["segment"].message)
    return out


def main(argv=None):
    args = parse_args(NAME, __doc__.splitlines()[0], argv)
    return execute(NAME, args, compute, draw, notes)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(report(main()))
