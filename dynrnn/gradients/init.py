"""The three initialisations of Pascanu et al. (2013), §4, and a readout to go with them.

Reading of "N(0, 0.01)": the second argument is the standard deviation (weights of size ~0.01),
which matches the small-weight regime the paper describes; pass ``std=`` to use another value
(e.g. ``std=0.1`` for a variance reading of 0.01).
"""
from __future__ import annotations

import numpy as np

from .._checks import check_count, check_seed
from .._signature_checks import checked_arguments
from ..errors import InvalidInputError, ResourceLimitError, UnknownParameterError
from ..model.rnn import RNN
from .bptt import Readout

#: weights a network from :func:`initialise` may take (bytes)
MAX_NETWORK_BYTES = 4 * 2 ** 30

__all__ = ["INITIALISATIONS", "initialise"]

INITIALISATIONS = ("sigmoid", "basic_tanh", "smart_tanh")


@checked_arguments
def initialise(scheme: str, n_units: int, n_inputs: int, n_outputs: int, *, seed=None,
               std: float | None = None, n_nonzero: int = 15,
               spectral_radius: float = 0.95) -> tuple[RNN, Readout]:
    """A network and readout initialised as in §4 (biases zero).

    Parameters
    ----------
    scheme : {"sigmoid", "basic_tanh", "smart_tanh"}
        ``"sigmoid"``: sigmoid units, W_rec, W_in, W_out ~ N(0, 0.01²).
        ``"basic_tanh"``: tanh units, all weights ~ N(0, 0.1²).
        ``"smart_tanh"``: tanh units, W_rec sparse with ``n_nonzero`` non-zero N(0, 1) incoming
        weights per unit (row), rescaled to spectral radius ``spectral_radius``; W_in, W_out
        ~ N(0, 0.01²).
    n_units, n_inputs, n_outputs : int
    seed : int or Generator, optional
    std : float, optional
        Overrides the standard deviation of the dense weights.

    Returns
    -------
    (RNN, Readout)

    References
    ----------
    Pascanu, Mikolov, Bengio (2013), §4; H. Jaeger, "The echo state approach" (2001) for the
    sparse rescaled recurrent matrix.
    """
    if scheme not in INITIALISATIONS:
        raise UnknownParameterError(f"unknown initialisation scheme {scheme!r}; valid: "
                                    f"{', '.join(INITIALISATIONS)}", argument="scheme",
                                    value=scheme, valid=INITIALISATIONS)
    n_units = check_count(n_units, "n_units", 1)
    n_inputs = check_count(n_inputs, "n_inputs", 0)
    n_outputs = check_count(n_outputs, "n_outputs", 1)
    # three dense weight matrices of float64: refuse what cannot be allocated, before numpy does
    estimate = 8.0 * n_units * (n_units + n_inputs + n_outputs)
    if estimate > MAX_NETWORK_BYTES:
        argument, size = max((("n_units", n_units), ("n_inputs", n_inputs),
                              ("n_outputs", n_outputs)), key=lambda pair: pair[1])
        raise ResourceLimitError(
            f"{argument}={size} asks for a network of about {estimate / 2 ** 30:.3g} GiB of "
            f"weights, beyond the limit of {MAX_NETWORK_BYTES / 2 ** 30:.3g} GiB: use "
            f"smaller sizes", argument=argument, value=size, estimate=estimate,
            limit=MAX_NETWORK_BYTES)
    if std is not None and not (np.isfinite(std) and std >= 0):
        raise InvalidInputError(f"std must be a finite number >= 0, got {std!r}",
                                argument="std", value=std)
    rng = check_seed(seed)
    s = std if std is not None else (0.1 if scheme == "basic_tanh" else 0.01)
    act = "sigmoid" if scheme == "sigmoid" else "tanh"
    if scheme == "smart_tanh":
        W = np.zeros((n_units, n_units))
        k = min(n_nonzero, n_units)
        for i in range(n_units):
            cols = rng.choice(n_units, size=k, replace=False)
            W[i, cols] = rng.normal(size=k)
        rho = np.max(np.abs(np.linalg.eigvals(W)))
        if rho > 0:
            W *= spectral_radius / rho
    else:
        W = rng.normal(0.0, s, (n_units, n_units))
    W_in = rng.normal(0.0, s, (n_units, n_inputs))
    W_out = rng.normal(0.0, s, (n_outputs, n_units))
    return RNN(W, W_in, np.zeros(n_units), act), Readout(W_out, np.zeros(n_outputs))
