"""Regression tests of issue 10's defects (one section per defect), each failing on the code
before its fix. The systematic catalogue is tests/test_bad_input.py; the fuzz suites are
tests/test_fuzz_*.py."""
import numpy as np
import pytest

import dynrnn as dr
from tests.checks import assert_named_error

NET = dr.RNN([[0.5, -0.3], [0.2, 0.4]], W_in=np.ones((2, 1)), b=[0.1, -0.2])
X0, U = np.array([0.3, -0.1]), np.linspace(-1, 1, 12)[:, None]
TARGETS = np.stack([np.sin(np.arange(12)), np.cos(np.arange(12))], axis=1)


# -- defect 4: bptt's column_block -------------------------------------------------------------
@pytest.mark.parametrize("block", [1, 2, "auto", None])
def test_bptt_column_blocks_agree(block):
    reference = dr.bptt(NET, X0, U, TARGETS)
    result = dr.bptt(NET, X0, U, TARGETS, column_block=block)
    assert result.loss == pytest.approx(reference.loss, rel=1e-14)
    for name, grad in reference.grads.items():
        np.testing.assert_allclose(result.grads[name], grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("block, exc, fragment", [
    (-1, dr.InvalidInputError, ">= 1"), (0, dr.InvalidInputError, ">= 1"),
    (1.5, dr.InvalidTypeError, "integer"), (True, dr.InvalidTypeError, "integer"),
    ("big", dr.InvalidTypeError, "integer")])
def test_bptt_bad_column_block_is_named(block, exc, fragment):
    assert_named_error(lambda: dr.bptt(NET, X0, U, TARGETS, column_block=block), exc,
                       "column_block", fragment)


# -- defect 8: clip_gradients' shrink_factor ---------------------------------------------------
@pytest.mark.parametrize("factor, fragment", [(np.nan, "finite"), (np.inf, "finite"),
                                              (-1.0, "> 0"), (0.0, "> 0")])
def test_clip_gradients_bad_shrink_factor_is_named(factor, fragment):
    grads = {"W_rec": np.full((2, 2), np.inf), "b": np.zeros(2)}
    assert_named_error(lambda: dr.clip_gradients(grads, 1.0, nonfinite="shrink",
                                                 weights={"W_rec": np.eye(2)},
                                                 shrink_factor=factor),
                       dr.InvalidInputError, "shrink_factor", fragment)


def test_clip_gradients_shrink_step_shrinks_the_weights():
    W = np.array([[2.0, -1.0], [0.5, 3.0]])
    res = dr.clip_gradients({"W_rec": np.full((2, 2), np.nan)}, 1.0, nonfinite="shrink",
                            weights={"W_rec": W}, shrink_factor=0.1)
    stepped = W - 1.0 * res.grads["W_rec"]      # an SGD step with lr = 1
    np.testing.assert_allclose(stepped, 0.9 * W)


@pytest.mark.parametrize("huge", [np.nan, -1.0, 0.0, "x"])
def test_clip_gradients_bad_huge_is_named(huge):
    exc = dr.InvalidTypeError if isinstance(huge, str) else dr.InvalidInputError
    assert_named_error(lambda: dr.clip_gradients(np.ones(3), 1.0, huge=huge), exc, "huge",
                       "huge")
