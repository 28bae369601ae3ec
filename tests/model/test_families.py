"""One-parameter families (named parameter, line between checkpoints, gain) for every network class:
∂F/∂p against central differences in p."""
import numpy as np
import pytest

import dynrnn as dr
from dynrnn.model import as_family


def _pair(kind, seed):
    rng = np.random.default_rng(seed)

    def one():
        if kind == "rnn":
            return dr.RNN(rng.standard_normal((3, 3)), rng.standard_normal((3, 2)),
                          rng.standard_normal(3), "tanh", rng.standard_normal(2))
        if kind == "elman":
            return dr.ElmanRNN(rng.standard_normal((3, 3)), rng.standard_normal((3, 2)),
                               rng.standard_normal(3), "sigmoid", rng.standard_normal(2))
        return dr.PLRNN(rng.uniform(-0.5, 0.5, 3), rng.standard_normal((3, 3)),
                        rng.standard_normal(3), rng.standard_normal((3, 2)),
                        rng.standard_normal(2))

    return one(), one()


def _fd(family, value, x, h=1e-6):
    return (family.at(value + h).step(x) - family.at(value - h).step(x)) / (2 * h)


KINDS = ["rnn", "elman", "plrnn"]


@pytest.mark.parametrize("kind", KINDS)
def test_line_between_checkpoints(kind):
    a, b = _pair(kind, 0)
    family = as_family(a, ("line", b))
    assert isinstance(family, dr.LineBetween) and family.current_value() == 0.0
    for k, v in family.at(0.0).arrays().items():
        np.testing.assert_array_equal(v, a.arrays()[k])
    for k, v in family.at(1.0).arrays().items():
        np.testing.assert_allclose(v, b.arrays()[k], rtol=1e-15, atol=1e-15)
    x = np.random.default_rng(1).uniform(-1.5, 1.5, (5, 3))
    s = 0.37
    np.testing.assert_allclose(family.derivative(family.at(s), x), _fd(family, s, x),
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("kind", KINDS)
def test_gain(kind):
    net, _ = _pair(kind, 2)
    family = as_family(net, "gain")
    assert isinstance(family, dr.Gain) and family.current_value() == 1.0
    key = "W_rec" if kind == "rnn" else "W"
    np.testing.assert_allclose(family.at(2.5).arrays()[key], 2.5 * net.arrays()[key])
    x = np.random.default_rng(3).uniform(-1.5, 1.5, (5, 3))
    g = 1.4
    np.testing.assert_allclose(family.derivative(family.at(g), x), _fd(family, g, x), rtol=1e-6,
                               atol=1e-8)


@pytest.mark.parametrize("kind", KINDS)
def test_named_parameter(kind):
    net, _ = _pair(kind, 4)
    name = net.param_names[1]
    family = as_family(net, name)
    x = np.random.default_rng(5).uniform(-1.5, 1.5, (5, 3))
    value = family.current_value() + 0.2
    np.testing.assert_allclose(family.derivative(family.at(value), x), _fd(family, value, x),
                               rtol=1e-6, atol=1e-8)


def test_line_between_networks_of_different_kinds_is_refused():
    rnn, _ = _pair("rnn", 0)
    elman, _ = _pair("elman", 0)
    with pytest.raises(dr.ShapeError, match="expected another RNN"):
        as_family(rnn, ("line", elman))
    small = dr.ElmanRNN(np.eye(2))
    with pytest.raises(dr.ShapeError, match="shape of W"):
        as_family(small, ("line", dr.ElmanRNN(np.eye(3))))
    with pytest.raises(dr.InvalidTypeError, match="Map"):
        dr.Gain(dr.Map(lambda x, p: x, 1, {}, jacobian=lambda x, p: np.eye(1)))
