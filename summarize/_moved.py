"""What moved or changed type, kept for one release with a :class:`DeprecationWarning`.

Each old module is a few lines: its module-level ``__getattr__`` is
:func:`forward`, which hands every name on from the new home and says where
that is. :func:`typed` still reads a dict where typed options are taken now.
The changelog lists them; they go in the release after next.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping
from typing import Any


def typed(value: Any, kind: type, where: str) -> Any:
    """``value`` as a ``kind`` (an options class with ``.of``); a dict, as taken before, with a warning.

    Called from a dataclass's ``__post_init__``: the warning points at the code that built it.
    """
    if not isinstance(value, Mapping):
        return value
    warnings.warn(f"{where} takes a summarize.{kind.__name__} now; a dict is read for one more release",
                  DeprecationWarning, stacklevel=4)
    return kind.of(value)


def forward(old: str, *new: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``old`` that warns and returns the attribute from the first of ``new`` that has it.

    Several new homes: the module split (``summarize.records``' names are
    in ``summarize.inputs.records`` and the input plan's in ``summarize.inputs``).

    >>> import warnings
    >>> import summarize.inputs.webpages as new
    >>> import summarize.webpages as old
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     old.is_private is new.is_private
    True
    >>> str(caught[0].message)
    'summarize.webpages moved to summarize.inputs.webpages; import is_private from there (the old path goes in a later release)'
    """

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        for home in new:
            module = importlib.import_module(home)
            if hasattr(module, name):
                warnings.warn(f"{old} moved to {home}; import {name} from there (the old path goes in a later release)",
                              DeprecationWarning, stacklevel=2)
                return getattr(module, name)
        raise AttributeError(f"module {old!r} (moved to {', '.join(new)}) has no attribute {name!r}")

    return __getattr__
