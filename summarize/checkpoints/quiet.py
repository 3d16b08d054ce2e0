"""Keep transformers and huggingface_hub quiet while the library loads a model, and put them back as they were.

A library call prints nothing of theirs (progress bars for loading or writing
weights, notices about tied weights) unless the user asks: setting
``TRANSFORMERS_VERBOSITY`` to ``info``, ``warning`` or ``debug`` leaves
transformers' verbosity and bars as the user has them. Errors still raise as exceptions. The state is restored
on exit, so a user's own settings survive the call.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Within the block: transformers logs errors only and shows no progress bars; restored after."""
    if os.environ.get("TRANSFORMERS_VERBOSITY", "error") not in ("error", "critical"):
        yield  # the user asked for transformers' output
        return
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
