"""Recurrent maps: the RNN of Pascanu et al. eq. (2), user-defined maps, activations."""
from .activations import ACTIVATIONS, Activation, get_activation
from .base import RecurrentMap
from .custom import Map
from .families import Gain, LineBetween, NamedParameter, ParameterFamily, as_family
from .rnn import RNN

__all__ = ["ACTIVATIONS", "Activation", "get_activation", "RecurrentMap", "Map", "RNN",
           "ParameterFamily", "NamedParameter", "LineBetween", "Gain", "as_family"]
