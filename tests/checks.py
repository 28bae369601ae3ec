"""Assertions shared by the bad-input catalogues."""
import warnings

import pytest

import dynrnn as dr
from dynrnn.errors import DerivativeFallbackWarning


def assert_named_error(call, exc, argument: str, fragment: str,
                       lists_valid: tuple = (dr.UnknownParameterError,)) -> None:
    """``call()`` raises ``exc``, a dynrnn error that is also a ValueError/TypeError, whose
    ``argument`` is ``argument`` and whose message contains ``fragment`` and names the argument
    (errors of the ``lists_valid`` types list the valid names instead)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DerivativeFallbackWarning)
        with pytest.raises(exc) as info:
            call()
    err = info.value
    assert isinstance(err, dr.DynrnnError)
    assert isinstance(err, (ValueError, TypeError))
    assert err.argument == argument
    assert fragment in str(err)
    assert (argument.split("[")[0] in str(err)
            or isinstance(err, lists_valid))
