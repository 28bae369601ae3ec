"""The ready-made sweep functions, at the import path sweep configs name
(``function = "dynrnn.sweep_examples:one_unit_attractor_count"``); they live in
:mod:`dynrnn.scripts.sweep_functions`."""
from .scripts.sweep_functions import largest_lyapunov_exponent as largest_lyapunov_exponent
from .scripts.sweep_functions import one_unit_attractor_count as one_unit_attractor_count
from .scripts.sweep_functions import random_tanh_network as random_tanh_network

__all__ = ["one_unit_attractor_count", "largest_lyapunov_exponent", "random_tanh_network"]
