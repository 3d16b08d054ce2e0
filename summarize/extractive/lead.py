"""Lead-k: the first k sentences, the classic strong baseline for news."""

from __future__ import annotations

from collections.abc import Sequence


def lead(sentences: Sequence[str], lang: str, k: int) -> list[int]:
    """Indices of the first ``k`` sentences.

    >>> lead(["A.", "B.", "C."], "en", 2)
    [0, 1]
    """
    return list(range(min(k, len(sentences))))
