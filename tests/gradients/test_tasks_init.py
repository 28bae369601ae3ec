"""The §4 task generators, their success criteria, and the three initialisations."""
import numpy as np
import pytest

import dynrnn as dr
from dynrnn.gradients import TASKS, error_rate, get_task, initialise


@pytest.mark.parametrize("name", ["temporal_order", "temporal_order_3bit"])
def test_temporal_order_markers_and_labels(name):
    L, B = 100, 64
    b = get_task(name).sample(B, L, seed=3)
    sym = b.inputs.argmax(-1)                       # (L, B)
    assert np.all(b.inputs.sum(-1) == 1)
    ranges = {"temporal_order": [(10, 20), (50, 60)],
              "temporal_order_3bit": [(10, 20), (30, 40), (60, 70)]}[name]
    for j in range(B):
        pos = np.flatnonzero(sym[:, j] < 2)
        assert len(pos) == len(ranges)
        assert all(lo <= p < hi for p, (lo, hi) in zip(pos, ranges))
        label = 0
        for p in pos:
            label = 2 * label + sym[p, j]
        assert b.targets[j] == label
    assert b.where == "last" and b.loss == "cross_entropy"


@pytest.mark.parametrize("name,op", [("addition", lambda a, c: (a + c) / 2),
                                     ("multiplication", lambda a, c: a * c)])
def test_arithmetic_targets(name, op):
    L, B = 60, 32
    b = get_task(name).sample(B, L, seed=1)
    for j in range(B):
        pos = np.flatnonzero(b.inputs[:, j, 1])
        assert len(pos) == 2 and pos[0] < 6 and 6 <= pos[1] < 30
        v = b.inputs[pos, j, 0]
        assert b.targets[j, 0] == pytest.approx(op(v[0], v[1]))


def test_permutation_and_memorisation():
    b = get_task("random_permutation").sample(16, 40, seed=0)
    first = b.inputs[0].argmax(-1)
    np.testing.assert_array_equal(first, b.targets)
    assert np.all(b.inputs[1:].argmax(-1) >= 2)
    m = get_task("memorisation").sample(8, 30, seed=0)
    T = m.inputs.shape[0]
    assert T == 10 + 30 + 1 + 10
    pattern = m.inputs[:10].argmax(-1)
    np.testing.assert_array_equal(m.targets[-10:], pattern)
    assert np.all(m.inputs[40].argmax(-1) == 6)     # the trigger
    assert m.mask.sum() == 10 * 8


def test_seeded_and_mixed_lengths():
    t = get_task("temporal_order")
    a, b = t.sample(4, 50, seed=9), t.sample(4, 50, seed=9)
    np.testing.assert_array_equal(a.inputs, b.inputs)
    lengths = {t.sample(2, (50, 200), seed=s).length for s in range(20)}
    assert min(lengths) >= 50 and max(lengths) <= 200 and len(lengths) > 5


def test_error_rate_criteria():
    t = get_task("temporal_order")
    b = t.sample(10, 50, seed=0)
    perfect = np.eye(4)[b.targets][None] * 5.0
    assert error_rate(t, b, perfect) == 0.0
    wrong = perfect.copy()
    wrong[0, :3] = np.roll(wrong[0, :3], 1, axis=-1)
    assert error_rate(t, b, wrong) == pytest.approx(0.3)
    a = get_task("addition")
    ba = a.sample(4, 50, seed=0)
    out = ba.targets[None].copy()
    out[0, 0, 0] += 0.21      # squared error 0.0441 > 0.04: an error
    out[0, 1, 0] += 0.19      # 0.0361: not an error
    assert error_rate(a, ba, out) == pytest.approx(0.25)
    m = get_task("memorisation")
    bm = m.sample(4, 5, seed=0)
    outm = np.eye(5)[bm.targets] * 3.0
    assert error_rate(m, bm, outm) == 0.0
    outm[-1, 2] = np.roll(outm[-1, 2], 1)
    assert error_rate(m, bm, outm) == pytest.approx(0.25)


def test_unknown_task_and_short_length():
    with pytest.raises(dr.UnknownParameterError, match="task"):
        get_task("parity")
    with pytest.raises(dr.InvalidInputError, match="length"):
        TASKS["temporal_order"].sample(2, 3)


def test_initialisations():
    net, ro = initialise("sigmoid", 200, 6, 4, seed=0)
    assert net.activation.name == "sigmoid"
    assert np.std(net.W_rec) == pytest.approx(0.01, rel=0.05)
    assert np.all(net.b == 0) and np.all(ro.b_out == 0)
    net, ro = initialise("basic_tanh", 200, 6, 4, seed=0)
    assert net.activation.name == "tanh" and np.std(net.W_rec) == pytest.approx(0.1, rel=0.05)
    net, ro = initialise("smart_tanh", 50, 6, 4, seed=0)
    assert np.all((net.W_rec != 0).sum(axis=1) == 15)
    assert np.max(np.abs(np.linalg.eigvals(net.W_rec))) == pytest.approx(0.95, rel=1e-10)
    assert np.std(net.W_in) == pytest.approx(0.01, rel=0.3)
    with pytest.raises(dr.UnknownParameterError, match="scheme"):
        initialise("xavier", 5, 1, 1)
