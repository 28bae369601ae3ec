"""Save and load results and models.

- :mod:`~dynrnn.io.results`: :func:`save`, :func:`load`, :func:`read_metadata` (the file format);
- :mod:`~dynrnn.io.models`: :func:`save_model`, :func:`load_model` (.npz, .toml, .pt);
- :mod:`~dynrnn.io.registry`: which classes a file may rebuild (:func:`register_result_type`);
- :mod:`~dynrnn.io.codec`: the one JSON encoder: objects <-> tagged JSON nodes and arrays, and
  plain JSON for display (:func:`~dynrnn.io.codec.to_jsonable`, the CLI's ``--json``);
- :mod:`~dynrnn.io.networks`: a network <-> its named arrays;
- :mod:`~dynrnn.io.npz`: the ``.npz`` container and its format version;
- :mod:`~dynrnn.io.atomic`: the one atomic file write;
"""
from .models import load_model, save_model
from .results import (FORMAT_VERSION, is_loadable_type, load, read_metadata,
                      register_result_type, save)

__all__ = ["save", "load", "read_metadata", "save_model", "load_model", "register_result_type",
           "is_loadable_type", "FORMAT_VERSION"]
