"""Moved to :mod:`summarize.jobs.executors`; this path works, with a DeprecationWarning, until a later release."""

from ._moved import forward

__getattr__ = forward(__name__, "summarize.jobs.executors", "summarize.jobs.deferred")
