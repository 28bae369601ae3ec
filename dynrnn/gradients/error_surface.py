r"""The one-unit error surface of Pascanu et al. (2013), Fig. 6 (eq. 8).

.. math::

    x_t = w\,\sigma(x_{t-1}) + b,\quad x_0 = 0.5,\quad E = (\sigma(x_{50}) - 0.7)^2

with σ the logistic sigmoid. :func:`error_surface` evaluates E and ∂E/∂(w, b) on a whole grid at
once by forward-mode differentiation (the tangents ∂x_t/∂w and ∂x_t/∂b are carried along with the
states), :func:`descent_paths` runs gradient descent with and without clipping from one start.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import check_count
from .._signature_checks import checked_arguments
from .._tables import Tabular, compact_repr
from ..errors import InvalidInputError, InvalidTypeError, ShapeError
from ..model.activations import get_activation
from ..model.base import as_finite_array
from ..model.rnn import RNN
from .tasks import Batch
from .training import train

__all__ = ["ErrorSurface", "error_surface", "fig6_problem", "descent_paths"]


@dataclass(frozen=True)
class ErrorSurface(Tabular):
    """E and its gradient on a (w, b) grid.

    Attributes
    ----------
    w_values : ndarray, shape (n_w,)
    b_values : ndarray, shape (n_b,)
    loss, grad_w, grad_b : ndarray, shape (n_w, n_b)
    n_steps : int
    x0, target : float
    activation : str
    """

    w_values: np.ndarray
    b_values: np.ndarray
    loss: np.ndarray
    grad_w: np.ndarray
    grad_b: np.ndarray
    n_steps: int
    x0: float
    target: float
    activation: str

    __repr__ = compact_repr

    def _table_columns(self) -> dict[str, list]:
        """One row per grid point (w, b), w varying slowest."""
        w, b = np.meshgrid(self.w_values, self.b_values, indexing="ij")
        return {name: [float(v) for v in values.ravel()] for name, values in
                (("w", w), ("b", b), ("loss", self.loss), ("grad_w", self.grad_w),
                 ("grad_b", self.grad_b))}

    @property
    def grad_norm(self) -> np.ndarray:
        return np.hypot(self.grad_w, self.grad_b)


@checked_arguments
def error_surface(w_values, b_values, *, n_steps: int = 50, x0: float = 0.5,
                  target: float = 0.7, activation: str = "sigmoid") -> ErrorSurface:
    r"""Loss :math:`(\sigma(x_T) - z)^2` of the one-unit map and its gradient over a (w, b) grid.

    Parameters
    ----------
    w_values, b_values : array_like, shape (n_w,), (n_b,)
    n_steps : int
        T (50 in the paper).
    x0, target : float
        0.5 and 0.7 in the paper.
    activation : str
        The logistic sigmoid in the paper.

    Returns
    -------
    ErrorSurface

    References
    ----------
    Pascanu, Mikolov, Bengio (2013), §2.3, eq. (8), Fig. 6.
    """
    w = as_finite_array(w_values, "w_values")
    b = as_finite_array(b_values, "b_values")
    for name, arr in (("w_values", w), ("b_values", b)):
        if arr.ndim != 1:
            raise ShapeError(f"{name} must be a 1-D grid, got shape {arr.shape}", argument=name,
                             expected=("n",), actual=arr.shape)
    if w.size == 0 or b.size == 0:
        raise InvalidInputError("w_values and b_values must be non-empty", argument="w_values",
                                value=(w.size, b.size))
    n_steps = check_count(n_steps, "n_steps", 1)
    x0 = _finite_number(x0, "x0")
    target = _finite_number(target, "target")
    act = get_activation(activation)
    W, Bv = np.meshgrid(w, b, indexing="ij")
    x = np.full(W.shape, float(x0))
    dw = np.zeros(W.shape)
    db = np.zeros(W.shape)
    for _ in range(int(n_steps)):
        s, ds = act.function(x), act.derivative(x)
        dw = s + W * ds * dw
        db = 1.0 + W * ds * db
        x = W * s + Bv
    s, ds = act.function(x), act.derivative(x)
    r = s - target
    return ErrorSurface(w, b, r * r, 2 * r * ds * dw, 2 * r * ds * db, int(n_steps), float(x0),
                        float(target), act.name)


def _finite_number(value, argument: str) -> float:
    """One finite real number, or a dynrnn error naming ``argument``."""
    array = as_finite_array(value, argument)
    if array.shape != ():
        raise ShapeError(f"{argument} must be one number, got shape {array.shape}",
                         argument=argument, expected=(), actual=array.shape)
    return float(array)


def fig6_problem(w: float, b: float, *, n_steps: int = 50, x0: float = 0.5, target: float = 0.7,
                 activation: str = "sigmoid") -> tuple[RNN, Batch, np.ndarray]:
    """The Fig. 6 network and its one-sequence batch for :func:`dynrnn.bptt` / :func:`dynrnn.train`.

    Returns ``(net, batch, x0)``: the one-unit RNN, a Batch with no inputs (shape (T, 1, 0)) and
    the target at the last step, and the initial state of shape (1,).
    """
    net = RNN([[w]], np.zeros((1, 0)), [b], activation)
    batch = Batch(np.zeros((int(n_steps), 1, 0)), np.array([[target]]), "last", None, "mse")
    return net, batch, np.array([x0])


@checked_arguments
def descent_paths(start: tuple[float, float], *, lr: float = 0.1, steps: int = 50,
                  clips=(None, 1.0), n_steps: int = 50, x0: float = 0.5, target: float = 0.7,
                  activation: str = "sigmoid", on_nonfinite: str = "stop") -> tuple:
    """Gradient descent on the Fig. 6 loss from one start, once per clipping threshold.

    Parameters
    ----------
    start : (w, b)
    lr : float
    steps : int
    clips : sequence of float or None
        One run per entry; None is plain SGD.

    Returns
    -------
    tuple of TrainingResult
        Each with the full history (every θ_k is stored): ``history.params[:, 0]`` is w and
        ``history.params[:, 1]`` is b along the path.
    """
    start_array = as_finite_array(start, "start")
    if start_array.shape != (2,):
        raise ShapeError(f"start must be a pair (w, b), got shape {start_array.shape}",
                         argument="start", expected=(2,), actual=start_array.shape)
    n_steps = check_count(n_steps, "n_steps", 1)
    steps = check_count(steps, "steps", 0)
    if isinstance(clips, (str, bytes)) or not isinstance(clips, (list, tuple, np.ndarray)):
        raise InvalidTypeError(f"clips must be a sequence of thresholds (float or None), got "
                               f"{type(clips).__name__} {clips!r:.60}", argument="clips",
                               value=clips)
    net, batch, x0v = fig6_problem(float(start_array[0]), float(start_array[1]),
                                   n_steps=n_steps, x0=x0, target=target,
                                   activation=activation)
    return tuple(train(net, batch, steps=steps, lr=lr, clip=c, x0=x0v, history="full",
                       progress=False, on_nonfinite=on_nonfinite) for c in clips)
