"""Recurrent maps: the RNN of Pascanu et al. eq. (2), its Elman form, piecewise-linear RNNs,
user-defined maps, activations."""
from ._arrays import ArrayNetwork, NamedArrays, network_classes
from .activations import ACTIVATIONS, Activation, get_activation
from .base import RecurrentMap
from .custom import Map
from .families import Gain, LineBetween, NamedParameter, ParameterFamily, as_family
from .rnn import RNN
from .elman import ElmanRNN
from .plrnn import PLRNN
from .gated import GRU, LSTM, ElmanStack, GatedNetwork
from .torch_network import (TorchNetwork, from_torch, from_torch_state, from_torch_state_dict,
                            read_torch, to_torch_state)

__all__ = ["ACTIVATIONS", "Activation", "get_activation", "RecurrentMap", "ArrayNetwork",
           "NamedArrays", "network_classes", "Map", "RNN",
           "ParameterFamily", "NamedParameter", "LineBetween", "Gain", "as_family",
           "ElmanRNN", "PLRNN", "GRU", "LSTM", "GatedNetwork", "ElmanStack", "from_torch",
           "from_torch_state_dict", "read_torch", "TorchNetwork", "to_torch_state",
           "from_torch_state"]
