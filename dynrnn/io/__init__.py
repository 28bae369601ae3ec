"""Save and load results and models (see :mod:`dynrnn.io.results` for the file format)."""
from .results import (FORMAT_VERSION, is_loadable_type, load, load_model, read_metadata,
                      register_result_type, save, save_model)

__all__ = ["save", "load", "read_metadata", "save_model", "load_model", "register_result_type",
           "is_loadable_type", "FORMAT_VERSION"]
