"""dr.global_continuation along a recording of a PyTorch training (dynrnn.torch.Recorder),
checked against dr.basins run directly on the recorded maps and against the torch module's own
iteration from the loss's initial state h₀ = 0."""
import dataclasses

import numpy as np
import pytest

import dynrnn as dr
from dynrnn.analysis.basins import Attractor
from tests.analysis.finite_results import (CHECKED, every_result_finite,  # noqa: F401
                                           non_finite_fields)

torch = pytest.importorskip("torch")
from dynrnn.gradients.recording import load_recording  # noqa: E402
from dynrnn.torch import Recorder  # noqa: E402

HIDDEN = 2


def _record(kind: str, out) -> torch.nn.Module:
    """A seeded few-second training of a 2-unit nn.RNN or nn.GRU, recorded every 4 steps."""
    torch.manual_seed(3)
    module = getattr(torch.nn, kind)(1, HIDDEN)
    with torch.no_grad():
        # a strong recurrent weight so the autonomous maps have more than one attractor
        module.weight_hh_l0.mul_(4.0)
    opt = torch.optim.SGD(module.parameters(), 0.05)
    gen = torch.Generator().manual_seed(0)
    with Recorder(module, out=out, optimizer=opt, stride=4) as rec:
        for _ in range(12):
            opt.zero_grad()
            x = torch.randn(6, 3, 1, generator=gen)
            output, _ = module(x)
            loss = (output[-1, :, 0] - x.sum(0)[:, 0]).pow(2).mean()
            loss.backward()
            rec.record(loss, inputs=x)
            opt.step()
    return module


def _torch_final_state(kind, module, arrays, n_steps=3000) -> np.ndarray:
    """h after iterating the torch module itself (θ_k loaded, input 0) from h₀ = 0."""
    cell = getattr(torch.nn, kind)(1, HIDDEN).double()
    with torch.no_grad():
        for name, parameter in cell.named_parameters():
            parameter.copy_(torch.as_tensor(arrays[name], dtype=torch.float64))
        _, h = cell(torch.zeros(n_steps, 1, 1, dtype=torch.float64),
                    torch.zeros(1, 1, HIDDEN, dtype=torch.float64))
    return h.numpy().ravel()


@pytest.mark.parametrize("kind", ["RNN", "GRU"])
def test_recording_fractions_and_tracked_attractor(tmp_path, kind):
    module = _record(kind, tmp_path)
    recording = load_recording(tmp_path)
    assert recording.param_steps.size >= 3
    states = np.random.default_rng(1).uniform(-1.0, 1.0, (100, HIDDEN))
    # the recording directory (RNN) or the loaded Recording (GRU)
    result = dr.global_continuation(str(tmp_path) if kind == "RNN" else recording,
                                    initial_states=states, local=False, progress=False)
    assert result.success and result.param_name == "training step"
    np.testing.assert_array_equal(result.values, recording.param_steps)
    np.testing.assert_array_equal(result.steps, recording.steps)
    np.testing.assert_allclose(result.loss, recording.loss)
    np.testing.assert_allclose(result.grad_norm, recording.grad_norm)
    np.testing.assert_array_equal(result.tracked_states, np.zeros((1, HIDDEN)))
    for i in (0, len(result.values) - 1):
        step = int(result.values[i])
        direct = dr.basins(recording.network_at(step), initial_states=states, progress=False)
        # the same basin fractions, attractor by attractor (matched by position)
        assert direct.n_attractors == int(result.present[i].sum())
        for a, fraction in zip(direct.attractors, direct.fractions):
            identity = [j for j, b in enumerate(result.attractors[i]) if b is not None
                        and np.abs(b.states[0] - a.states[0]).max() < 1e-6]
            assert len(identity) == 1
            assert result.fractions[i, identity[0]] == pytest.approx(fraction, abs=1e-12)
        # the attractor the loss's initial state falls into: where torch's own iteration ends
        end = _torch_final_state(kind, module, recording.arrays_at(step))
        label = int(result.tracked_labels[i, 0])
        assert label >= 0
        attractor = result.attractors[i][label]
        assert attractor.period >= 1  # a fixed point or cycle for these small runs
        assert np.abs(attractor.states - end).max(axis=1).min() < 1e-6
    from dynrnn.plotting import plot_training_basins
    plot_training_basins(result)
    import matplotlib.pyplot as plt
    plt.close("all")


def test_recording_without_parameters_is_refused(tmp_path):
    _record("RNN", tmp_path)
    recording = load_recording(tmp_path)
    empty = dataclasses.replace(recording, param_steps=np.zeros(0, np.int64),
                                params=np.zeros((0, recording.params.shape[1])))
    with pytest.raises(dr.errors.InvalidInputError, match="no stored parameters"):
        dr.global_continuation(empty, progress=False)
    with pytest.raises(dr.errors.FileFormatError):
        dr.global_continuation(str(tmp_path / "missing"), progress=False)


def test_the_walker_finds_what_it_must():
    """The checker of every result (tests.analysis.finite_results) itself: NaN, inf and
    complex numbers are found; None passes."""
    a = Attractor(dr.AttractorKind.FIXED_POINT, np.zeros((1, 2)), 1, np.array([0.5 + 0.1j]),
                  -0.7, refined=True, residual=1e-14)
    assert non_finite_fields(a) == []
    assert non_finite_fields(dataclasses.replace(a, states=np.full((1, 2), np.nan))) \
        == ["result.states holds NaN/inf", "result.x holds NaN/inf"]
    assert non_finite_fields({"w": np.array([1j])}) == ["result['w'] is complex"]
    assert non_finite_fields((1.0, float("inf"))) == ["result[1] holds NaN/inf"]
    # "not applicable" is None, and NaN/inf from old files become None
    assert dataclasses.replace(a, lyapunov=float("inf"), residual=float("nan")).lyapunov is None
    assert dataclasses.replace(a, residual=float("nan")).residual is None


def test_the_walker_sees_the_results():
    # dr.basins and dr.global_continuation in the opted-in modules go through the checker
    before = dict(CHECKED)
    net = dr.RNN([[5.0]], b=[0.0], activation="tanh")
    dr.basins(net, grid=20, box=([-6.0], [6.0]), progress=False)
    dr.global_continuation(net, "b[0]", [0.0, 0.1], n_samples=20, box=([-6.0], [6.0]),
                           local=False, progress=False)
    assert CHECKED["basins"] == before["basins"] + 1
    assert CHECKED["global_continuation"] == before["global_continuation"] + 1


def test_none_round_trips_and_old_nan_files_load_as_none(tmp_path):
    # x → 2 relu(x) − 0.5: x < 0.5 falls on the superstable fixed point −0.5 (multiplier 0, so
    # λ₁ = −∞ is "not finite": None), x > 0.5 diverges (no λ₁, no x: None)
    net = dr.RNN([[2.0]], b=[-0.5], activation="relu")
    result = dr.basins(net, grid=40, box=([-1.0], [2.0]), progress=False)
    by_kind = {a.kind: a for a in result.attractors}
    divergence = by_kind[dr.AttractorKind.DIVERGENCE]
    point = by_kind[dr.AttractorKind.FIXED_POINT]
    assert divergence.lyapunov is None and divergence.x is None and divergence.residual is None
    assert point.lyapunov is None and point.x.tolist() == [-0.5] and point.residual == 0.0
    loaded = dr.load(dr.save(result, tmp_path / "new"))
    assert [(a.kind, a.lyapunov, a.residual) for a in loaded.attractors] \
        == [(a.kind, a.lyapunov, a.residual) for a in result.attractors]
    assert loaded.boundary_width == result.boundary_width
    np.testing.assert_array_equal(loaded.box, result.box)
    repr(loaded), repr(loaded.attractors)
    # a file written before None meant "not applicable" (NaN and +inf stored) loads as None
    old = dataclasses.replace(result, boundary_width=None)
    object.__setattr__(old, "boundary_width", float("nan"))
    object.__setattr__(old, "box", np.full((2, 1), np.nan))
    object.__setattr__(divergence, "lyapunov", float("inf"))
    object.__setattr__(point, "residual", float("nan"))
    loaded = dr.load(dr.save(old, tmp_path / "old"))
    assert loaded.boundary_width is None and loaded.box is None
    assert all(a.lyapunov is None for a in loaded.attractors)
    assert [a.residual for a in loaded.attractors] == [None, None]
