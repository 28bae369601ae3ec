"""Every successful result of dr.basins and dr.global_continuation made by a test module holds
no NaN, no infinity and no complex number in its public fields ("not applicable" is None).

A test module opts in with ``from tests.analysis.finite_results import every_result_finite``
(a module-scoped autouse fixture): it wraps the two functions for the module's tests and walks
each successful result they return."""
import dataclasses
import enum
import functools
import numbers

import numpy as np
import pytest

import dynrnn as dr
from dynrnn.analysis.basins import Attractor, BasinsResult
from dynrnn.analysis.global_continuation import AttractorEvent, GlobalContinuationResult

OWN = (BasinsResult, GlobalContinuationResult, Attractor, AttractorEvent)
# Eigenvalues of a cycle's k-step Jacobian are complex by nature (as FixedPoint.eigenvalues);
# they are the one place a complex number is the value, not a failure.
COMPLEX_FIELDS = {"multipliers"}


def non_finite_fields(value, where: str = "result") -> list:
    """Paths to every NaN, ±inf or complex number inside ``value``."""
    bad = []
    field_name = where.rsplit(".", 1)[-1]
    if value is None or isinstance(value, (str, bool, enum.Enum)):
        return bad
    if dataclasses.is_dataclass(value) and isinstance(value, OWN):
        for f in dataclasses.fields(value):
            bad += non_finite_fields(getattr(value, f.name), f"{where}.{f.name}")
        if isinstance(value, Attractor) and value.x is not None:
            bad += non_finite_fields(value.x, f"{where}.x")
        return bad
    if dataclasses.is_dataclass(value):
        return bad              # another module's result (FixedPoint, Bifurcation): its own tests
    if isinstance(value, np.ndarray) or isinstance(value, (numbers.Number, np.generic)):
        array = np.asarray(value)
        if array.dtype == object:
            for i, item in enumerate(array.ravel()):
                bad += non_finite_fields(item, f"{where}[{i}]")
            return bad
        if np.iscomplexobj(array):
            if field_name not in COMPLEX_FIELDS:
                bad.append(f"{where} is complex")
            array = np.concatenate([array.real.ravel(), array.imag.ravel()])
        if array.dtype.kind in "fc" and not np.all(np.isfinite(array)):
            bad.append(f"{where} holds NaN/inf")
        return bad
    if isinstance(value, dict):
        for key, item in value.items():
            bad += non_finite_fields(item, f"{where}[{key!r}]")
        return bad
    if isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            bad += non_finite_fields(item, f"{where}[{i}]")
        return bad
    if hasattr(value, "nodes") and hasattr(value, "edges"):        # the networkx graph
        for node, data in value.nodes(data=True):
            bad += non_finite_fields(dict(data), f"{where}.nodes[{node!r}]")
        for a, b, data in value.edges(data=True):
            bad += non_finite_fields(dict(data), f"{where}.edges[{a!r}, {b!r}]")
        return bad
    return bad


def _checked(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        result = function(*args, **kwargs)
        if result.success:
            bad = non_finite_fields(result)
            assert not bad, f"{function.__name__} claims success with {bad[:5]}"
            CHECKED[function.__name__] += 1
        return result
    return wrapper


CHECKED = {"basins": 0, "global_continuation": 0}


@pytest.fixture(scope="module", autouse=True)
def every_result_finite():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dr, "basins", _checked(dr.basins))
        patch.setattr(dr, "global_continuation", _checked(dr.global_continuation))
        yield
