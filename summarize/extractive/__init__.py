"""Extractive methods: summaries made of the document's own sentences.

They need no model and no network, serve every supported language, and are
the evaluation harness's baselines. ``METHODS`` maps a name to a function
``(sentences, lang, k) -> indices of the chosen sentences, in document order``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .lead import lead
from .textrank import textrank

SelectSentences = Callable[[Sequence[str], str, int], list[int]]

METHODS: dict[str, SelectSentences] = {
    "lead": lead,
    "textrank": textrank,
}

__all__ = ["METHODS", "lead", "textrank"]
