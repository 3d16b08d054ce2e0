"""Moved to :mod:`summarize.inputs.records` (the input plan to :mod:`summarize.inputs`); this path works, with a DeprecationWarning, until a later release."""

from ._moved import forward

__getattr__ = forward(__name__, "summarize.inputs.records", "summarize.inputs")
