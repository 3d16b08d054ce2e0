"""Moved to :mod:`summarize.inputs.webpages`; this path works, with a DeprecationWarning, until a later release."""

from ._moved import forward as _forward

__getattr__ = _forward(__name__, "summarize.inputs.webpages")
