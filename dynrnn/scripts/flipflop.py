"""The 3-bit flip-flop (Sussillo & Barak 2013): train a torch recurrent network on it, import it,
and find its fixed points under zero input.

The task: three input channels, each +1 or −1 at random steps (probability 0.05 per step and
channel) and 0 elsewhere; output channel i holds the sign of the last non-zero pulse on input i
(0 before the first). A network that solves it stores 2³ = 8 memories: 8 stable fixed points at
the corners of a (deformed) cube, with saddles between them (12 on the edges with one unstable
direction, 6 on the faces with two, one in the centre with three): 27 points.

This module holds the training (seeded, CPU, float64) used by the flip-flop benchmark and tests.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAME = "flipflop"
N_BITS = 3


@dataclass(frozen=True)
class FlipFlopTraining:
    """The loss of a flip-flop training run."""

    loss: np.ndarray
    kind: str
    n_hidden: int
    seed: int


def flip_flop_batch(torch, generator, *, batch: int, length: int, n_bits: int = N_BITS,
                    p_pulse: float = 0.05):
    """(inputs, targets), each (batch, length, n_bits), float64."""
    pulses = torch.rand(batch, length, n_bits, generator=generator, dtype=torch.float64) < p_pulse
    signs = torch.where(torch.rand(batch, length, n_bits, generator=generator,
                                   dtype=torch.float64) < 0.5, -1.0, 1.0).double()
    inputs = pulses.double() * signs
    targets = torch.zeros_like(inputs)
    memory = torch.zeros(batch, n_bits, dtype=torch.float64)
    for t in range(length):
        memory = torch.where(pulses[:, t], signs[:, t], memory)
        targets[:, t] = memory
    return inputs, targets


def train_flip_flop(kind: str = "rnn", n_hidden: int = 64, *, steps: int = 400, seed: int = 0,
                    batch: int = 64, length: int = 60, lr: float = 0.01):
    """Adam on the 3-bit flip-flop; returns (module, readout, FlipFlopTraining).

    ``kind`` is "rnn" (tanh ``nn.RNN``), "gru" or "lstm"; ``batch_first`` modules, float64.
    """
    from ..model.torch_import import import_torch
    torch = import_torch()
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(seed)
    cls = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[kind]
    module = cls(N_BITS, n_hidden, batch_first=True, dtype=torch.float64)
    readout = torch.nn.Linear(n_hidden, N_BITS, dtype=torch.float64)
    optimiser = torch.optim.Adam(list(module.parameters()) + list(readout.parameters()), lr=lr)
    losses = []
    for _ in range(steps):
        inputs, targets = flip_flop_batch(torch, generator, batch=batch, length=length)
        hidden, _ = module(inputs)
        loss = torch.mean((readout(hidden) - targets) ** 2)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(module.parameters(), 1.0)
        optimiser.step()
        losses.append(float(loss.detach()))
    return module, readout, FlipFlopTraining(np.array(losses), kind, n_hidden, seed)


def visited_states(module, *, n_trials: int = 16, length: int = 100, seed: int = 0):
    """Hidden states (n_trials · length, n_hidden) of the module on flip-flop inputs."""
    from ..model.torch_import import import_torch
    torch = import_torch()
    generator = torch.Generator().manual_seed(10_000 + seed)
    inputs, _ = flip_flop_batch(torch, generator, batch=n_trials, length=length)
    with torch.no_grad():
        hidden, _ = module(inputs)
    return hidden.reshape(-1, hidden.shape[-1]).numpy(), inputs.numpy()
