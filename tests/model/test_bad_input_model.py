"""Bad input to the model layer raises dynrnn's exceptions, naming the argument."""

import numpy as np
import pytest
import sympy as sp

import dynrnn as dr
from tests.checks import assert_named_error

E2 = np.eye(2)
NET = dr.RNN(0.5 * E2, W_in=np.ones((2, 1)), b=[0.1, 0.2])


def _x_plus_bad(x):
    return np.array([x[0], np.nan])


def _changing_shape_step(x, p):
    # right shape at the zero state checked at construction, wrong elsewhere
    return x if x[0] <= 0 else np.append(x, 1.0)


x_sym, y_sym, a_sym, q_sym, u_sym = sp.symbols("x y a q u")

CASES = [
    # (id, call, exception, argument, fragment of the message)
    ("W_rec not square", lambda: dr.RNN(np.ones((2, 3))), dr.ShapeError, "W_rec", "square"),
    ("W_rec 3-d", lambda: dr.RNN(np.ones((2, 2, 2))), dr.ShapeError, "W_rec", "square"),
    ("W_rec empty", lambda: dr.RNN(np.ones((0, 0))), dr.ShapeError, "W_rec", "non-empty"),
    ("W_rec ragged", lambda: dr.RNN([[1.0, 2.0], [3.0]]), dr.ShapeError, "W_rec", "rectangular"),
    ("W_rec strings", lambda: dr.RNN([["a", "b"], ["c", "d"]]), dr.InvalidTypeError, "W_rec",
     "numeric"),
    ("W_rec None", lambda: dr.RNN(None), dr.InvalidTypeError, "W_rec", "numeric"),
    ("W_in rows", lambda: dr.RNN(E2, W_in=np.ones((3, 1))), dr.ShapeError, "W_in", "(2, n_inputs)"),
    ("b shape", lambda: dr.RNN(E2, b=[1.0, 2.0, 3.0]), dr.ShapeError, "b", "(2,)"),
    ("u shape", lambda: dr.RNN(E2, W_in=np.ones((2, 1)), u=[1.0, 2.0]), dr.ShapeError, "u",
     "(1,)"),
    ("NaN in W_rec", lambda: dr.RNN([[np.nan, 0], [0, 1]]), dr.NonFiniteError, "W_rec", "NaN"),
    ("inf in W_in", lambda: dr.RNN(E2, W_in=[[np.inf], [0]]), dr.NonFiniteError, "W_in", "NaN"),
    ("inf in b", lambda: dr.RNN(E2, b=[0, -np.inf]), dr.NonFiniteError, "b", "infinite"),
    ("unknown activation", lambda: dr.RNN(E2, activation="softsign"), dr.UnknownActivationError,
     "activation", "tanh"),
    ("activation type", lambda: dr.RNN(E2, activation=3), dr.InvalidTypeError, "activation",
     "int"),
    ("NaN state", lambda: NET.step([np.nan, 0.0]), dr.NonFiniteError, "x", "NaN"),
    ("inf state jacobian", lambda: NET.jacobian([np.inf, 0.0]), dr.NonFiniteError, "x", "NaN"),
    ("state shape", lambda: NET.step([1.0, 2.0, 3.0]), dr.ShapeError, "x", "(..., 2)"),
    ("scalar state", lambda: NET.step(1.0), dr.ShapeError, "x", "(..., 2)"),
    ("string state", lambda: NET.step("ab"), dr.InvalidTypeError, "x", "numeric"),
    ("input shape", lambda: NET.step([0.0, 0.0], [1.0, 2.0]), dr.ShapeError, "u", "(..., 1)"),
    ("NaN input", lambda: NET.step([0.0, 0.0], [np.nan]), dr.NonFiniteError, "u", "NaN"),
    ("input to autonomous", lambda: dr.RNN(E2).step([0.0, 0.0], [1.0]), dr.ShapeError, "u",
     "no input"),
    ("NaN x0", lambda: NET.run([np.nan, 0], n_steps=2), dr.NonFiniteError, "x0", "NaN"),
    ("NaN inputs", lambda: NET.run([0, 0], np.full((3, 1), np.nan)), dr.NonFiniteError,
     "inputs", "NaN"),
    ("inputs shape", lambda: NET.run([0, 0], np.ones((3, 2))), dr.ShapeError, "inputs",
     "(n_steps, ..., 1)"),
    ("run without n_steps", lambda: NET.run([0, 0]), dr.ShapeError, "n_steps", "n_steps"),
    ("negative n_steps", lambda: NET.run([0, 0], n_steps=-1), dr.ShapeError, "n_steps", ">= 0"),
    ("unknown param", lambda: NET.with_params({"W[0,0]": 1.0}), dr.UnknownParameterError,
     "updates", "W_rec[0,0]"),
    ("param out of range", lambda: NET.with_params({"b[2]": 1.0}), dr.UnknownParameterError,
     "updates", "b[1]"),
    ("NaN param value", lambda: NET.with_params({"b[0]": np.nan}), dr.NonFiniteError,
     "updates['b[0]']", "NaN"),
    ("vector param value", lambda: NET.with_params({"b[0]": [1.0, 2.0]}), dr.ShapeError,
     "updates", "scalar"),
    ("unknown param in param_jacobian", lambda: NET.param_jacobian([0, 0], ["b[0]", "c"]),
     dr.UnknownParameterError, "names", "c"),
    # the Elman form
    ("Elman W not square", lambda: dr.ElmanRNN(np.ones((2, 3))), dr.ShapeError, "W", "square"),
    ("Elman U rows", lambda: dr.ElmanRNN(E2, U=np.ones((3, 2))), dr.ShapeError, "U",
     "(2, n_inputs)"),
    ("Elman b shape", lambda: dr.ElmanRNN(E2, b=np.ones(3)), dr.ShapeError, "b", "(2,)"),
    ("Elman NaN W", lambda: dr.ElmanRNN([[0, 1], [np.nan, 0]]), dr.NonFiniteError, "W", "NaN"),
    ("Elman activation", lambda: dr.ElmanRNN(E2, activation="gelu"), dr.UnknownActivationError,
     "activation", "gelu"),
    ("Elman unknown param", lambda: dr.ElmanRNN(E2).with_params({"W_rec[0,0]": 1.0}),
     dr.UnknownParameterError, "updates", "W[0,0]"),
    # the PLRNN
    ("PLRNN A not diagonal", lambda: dr.PLRNN([[1, 2], [0, 1]], E2), dr.InvalidInputError, "A",
     "diagonal"),
    ("PLRNN A 3-d", lambda: dr.PLRNN(np.ones((2, 2, 2)), E2), dr.ShapeError, "A", "vector"),
    ("PLRNN W shape", lambda: dr.PLRNN([0.5, 0.5], np.ones((2, 3))), dr.ShapeError, "W",
     "(2, 2)"),
    ("PLRNN h shape", lambda: dr.PLRNN([0.5, 0.5], E2, h=[1.0]), dr.ShapeError, "h", "(2,)"),
    ("PLRNN C rows", lambda: dr.PLRNN([0.5, 0.5], E2, C=np.ones((1, 1))), dr.ShapeError, "C",
     "(2, n_inputs)"),
    ("PLRNN inf h", lambda: dr.PLRNN([0.5, 0.5], E2, h=[np.inf, 0]), dr.NonFiniteError, "h",
     "infinite"),
    # maps from callables
    ("step not callable", lambda: dr.Map(3, 2), dr.InvalidTypeError, "step", "callable"),
    ("step wrong shape", lambda: dr.Map(lambda x, p: x[:1], 2, {}, jacobian=lambda x, p: E2),
     dr.ShapeError, "step", "returned shape (1,)"),
    ("jacobian wrong shape", lambda: dr.Map(lambda x, p: x, 2, {}, jacobian=lambda x, p: x),
     dr.ShapeError, "jacobian", "expected (2, 2)"),
    ("step raises", lambda: dr.Map(lambda x, p: x / p["missing"], 2, {},
                                   jacobian=lambda x, p: E2),
     dr.InvalidTypeError, "step", "KeyError"),
    ("step shape changes later",
     lambda: dr.Map(_changing_shape_step, 2, {}, jacobian=lambda x, p: E2).step([[1.0, 1.0]]),
     dr.ShapeError, "step", "returned shape (3,)"),
    ("n_states", lambda: dr.Map(lambda x, p: x, 0), dr.ShapeError, "n_states", "positive"),
    ("NaN map param", lambda: dr.Map(lambda x, p: x, 1, {"a": np.nan}), dr.NonFiniteError,
     "params['a']", "NaN"),
    ("map param name", lambda: dr.Map(lambda x, p: x, 1, {1: 0.5}), dr.InvalidTypeError, "params",
     "strings"),
    # sympy maps
    ("undeclared symbol", lambda: dr.Map.from_sympy([a_sym * x_sym + q_sym], [x_sym],
                                                    {a_sym: 1.0}),
     dr.UndeclaredSymbolError, "exprs", "q"),
    ("undeclared symbol in string", lambda: dr.Map.from_sympy(["a*x + u"], ["x"], {"a": 1.0}),
     dr.UndeclaredSymbolError, "exprs", "u"),
    ("wrong number of exprs", lambda: dr.Map.from_sympy([x_sym, y_sym], [x_sym], {}),
     dr.ShapeError, "exprs", "2 expressions for 1 states"),
    ("unparsable expression", lambda: dr.Map.from_sympy(["x +* 2"], ["x"], {}),
     dr.InvalidTypeError, "exprs", "exprs[0]"),
    ("symbol declared twice", lambda: dr.Map.from_sympy([x_sym], [x_sym], {x_sym: 1.0}),
     dr.InvalidInputError, "states", "x declared more than once"),
    ("bad state name", lambda: dr.Map.from_sympy(["x"], ["1x"], {}), dr.InvalidTypeError,
     "states", "1x"),
    ("NaN sympy param", lambda: dr.Map.from_sympy([a_sym * x_sym], [x_sym], {a_sym: np.inf}),
     dr.NonFiniteError, "params[a]", "NaN"),
]


@pytest.mark.parametrize("call, exc, argument, fragment", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_input_raises_named_dynrnn_error(call, exc, argument, fragment):
    assert_named_error(call, exc, argument, fragment)


def test_unknown_parameter_lists_the_valid_names():
    with pytest.raises(dr.UnknownParameterError) as info:
        NET.with_params({"gain": 2.0})
    err = info.value
    assert err.valid == NET.param_names
    for name in NET.param_names:
        assert name in str(err)
    assert "'gain'" in str(err)


def test_a_failed_check_leaves_no_half_changed_object():
    before = dict(NET.params)
    with pytest.raises(dr.UnknownParameterError):
        NET.with_params({"b[0]": 5.0, "nope": 1.0})
    assert dict(NET.params) == before
