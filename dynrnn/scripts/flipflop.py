"""The 3-bit flip-flop (Sussillo & Barak 2013): train a torch nn.RNN, nn.GRU and nn.LSTM on it,
import them, find their fixed points under zero input, and draw the picture known from the
literature: trajectories on the first principal components, stable points and saddles, and the
unstable manifolds of the saddles flowing to the stable points.

    python3 -m dynrnn run flipflop [--quick]      # or python analysis/flipflop.py

The task: three input channels, each +1 or −1 at random steps (probability 0.05 per step and
channel) and 0 elsewhere; output channel i holds the sign of the last non-zero pulse on input i
(0 before the first). A network that solves it stores 2³ = 8 memories: 8 stable fixed points at
the corners of a (deformed) cube, with saddles between them (12 on the edges with one unstable
direction, 6 on the faces with two, one in the centre with three): 27 points.

The training (seeded, CPU, float64) is shared with benchmarks/bench_flipflop.py and the tests.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..analysis import FixedPointResult, find_fixed_points
from ._common import execute, parse_args, report

NAME = "flipflop"
N_BITS = 3
#: cell kind -> (hidden units, training steps, learning rate) in full mode
FULL = {"rnn": (64, 400, 0.01), "gru": (32, 500, 0.01), "lstm": (32, 600, 0.01)}
QUICK = {"rnn": (8, 30, 0.05), "gru": (6, 30, 0.05), "lstm": (6, 30, 0.05)}


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


def to_map(module, kind: str):
    """The dynrnn map of a trained module, in torch's hidden-state space, input held at 0."""
    import dynrnn as dr
    zero = np.zeros(N_BITS)
    if kind == "rnn":
        return dr.ElmanRNN.from_torch(module)
    arrays = {k: v.detach().double().numpy() for k, v in module.state_dict().items()}
    cls = dr.GRU if kind == "gru" else dr.LSTM
    return cls(arrays["weight_ih_l0"], arrays["weight_hh_l0"], arrays["bias_ih_l0"],
               arrays["bias_hh_l0"], u=zero)


@dataclass(frozen=True)
class FlipFlopStudy:
    """One trained cell type on the flip-flop: its points, trajectories and unstable manifolds.

    Attributes
    ----------
    kind : str
        "rnn", "gru" or "lstm".
    n_hidden : int
    loss : ndarray, shape (n_steps,)
        Training loss.
    fixed_points : FixedPointResult
        Under zero input, by the default call of :func:`~dynrnn.find_fixed_points`.
    trajectories : ndarray, shape (n_trials, length, n_states)
        Map states on flip-flop trials.
    manifolds : ndarray, shape (n_curves, n_manifold_steps, n_states)
        Orbits from each saddle's two sides along its leading unstable eigenvector.
    seconds : float
        Time of the fixed-point search.
    """

    kind: str
    n_hidden: int
    loss: np.ndarray
    fixed_points: FixedPointResult
    trajectories: np.ndarray
    manifolds: np.ndarray
    seconds: float

    @property
    def counts(self) -> dict:
        """Points by number of unstable directions."""
        out: dict = {}
        for p in self.fixed_points:
            out[p.n_unstable] = out.get(p.n_unstable, 0) + 1
        return dict(sorted(out.items()))

    def __repr__(self) -> str:
        return (f"FlipFlopStudy({self.kind}, {self.n_hidden} units, final loss "
                f"{self.loss[-1]:.3g}, {len(self.fixed_points)} fixed points {self.counts})")


def unstable_manifolds(net, u, points: FixedPointResult, *, n_steps: int, step: float = 1e-3,
                       every: int = 1) -> np.ndarray:
    """Orbits of x_s ± ε v for each saddle x_s, v its leading unstable eigenvector (real part),
    ``n_steps`` steps, every ``every``-th state kept (a weakly unstable saddle of a gated cell
    takes hundreds of steps to leave)."""
    starts = []
    for p in points:
        if p.n_unstable == 0:
            continue
        lam, vec = np.linalg.eig(net.jacobian(p.x, u))
        v = np.real(vec[:, int(np.argmax(np.abs(lam)))])
        v /= np.linalg.norm(v)
        starts += [p.x + step * v, p.x - step * v]
    if not starts:
        return np.empty((0, n_steps, net.n_states))
    x = np.array(starts)
    out = []
    for t in range(n_steps):
        if t % every == 0:
            out.append(x)
        x = net.step(x, u)
    return np.stack(out, axis=1)


def study(kind: str, *, quick: bool, seed: int) -> FlipFlopStudy:
    import time

    from ..model.torch_import import import_torch
    torch = import_torch()
    n_hidden, steps, lr = (QUICK if quick else FULL)[kind]
    module, _, training = train_flip_flop(kind, n_hidden, steps=steps, seed=seed, lr=lr,
                                          batch=16 if quick else 64,
                                          length=30 if quick else 60)
    net = to_map(module, kind)
    u = np.zeros(N_BITS)
    start = time.perf_counter()
    points = find_fixed_points(net, u)
    seconds = time.perf_counter() - start
    generator = torch.Generator().manual_seed(20_000 + seed)
    inputs, _ = flip_flop_batch(torch, generator, batch=4 if quick else 6,
                                length=40 if quick else 150)
    inputs = inputs.numpy()
    x = np.zeros((inputs.shape[0], net.n_states))
    path = np.empty(inputs.shape[:2] + (net.n_states,))
    for t in range(inputs.shape[1]):
        x = net.step(x, inputs[:, t])
        path[:, t] = x
    manifolds = unstable_manifolds(net, u, points, n_steps=30 if quick else 1500,
                                   every=1 if quick else 5)
    return FlipFlopStudy(kind, n_hidden, training.loss, points, path, manifolds, seconds)


def compute(args) -> dict:
    return {kind: study(kind, quick=args.quick, seed=args.seed) for kind in ("rnn", "gru", "lstm")}


def draw(loaded, args) -> dict:
    from ..plotting.flipflop import figure_flipflop
    return {"": figure_flipflop([loaded[k] for k in ("rnn", "gru", "lstm")])}


def notes(loaded) -> list:
    out = []
    for kind in ("rnn", "gru", "lstm"):
        s = loaded[kind]
        fp = s.fixed_points
        out.append(f"{kind} ({s.n_hidden} units, final loss {s.loss[-1]:.3g}): {len(fp)} fixed "
                   f"points, by unstable directions {s.counts}, max residual "
                   f"{max((p.residual for p in fp), default=0.0):.1e}, {s.seconds:.2f} s; "
                   f"new points per round {fp.rounds_new}; {len(fp.slow_points)} slow point(s)")
    return out


def main(argv=None):
    args = parse_args(NAME, __doc__.splitlines()[0], argv)
    return execute(NAME, args, compute, draw, notes)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(report(main()))
