"""TextRank (Mihalcea and Tarau, 2004) over sentences.

Sentences are nodes; two sentences are linked with the weight of their word
overlap (stemmed content words, stopwords removed, per language), normalised
by ``log(1 + |S1|) + log(1 + |S2|)`` (the paper's ``log|S1| + log|S2|``,
shifted so that one-word sentences do not divide by zero). PageRank over that graph ranks the
sentences; the top ``k`` are returned in document order. Ties keep the
earlier sentence, so a document with no overlap at all degrades to lead-k.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..languages.words import content_stems

DAMPING = 0.85


def textrank(sentences: Sequence[str], lang: str, k: int) -> list[int]:
    """Indices of the ``k`` highest-ranked sentences, in document order.

    >>> sentences = ["Gas prices rose.", "Gas prices rose as imports fell.", "Imports fell again.", "A cat slept."]
    >>> textrank(sentences, "en", 1)
    [1]
    """
    n = len(sentences)
    if n <= k:
        return list(range(n))
    import numpy as np

    bags = [set(content_stems(s, lang)) for s in sentences]
    weights = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            common = len(bags[i] & bags[j])
            if common:
                w = common / (math.log(len(bags[i]) + 1) + math.log(len(bags[j]) + 1))
                weights[i, j] = weights[j, i] = w
    scores = _pagerank(weights)
    order = sorted(range(n), key=lambda i: (-round(scores[i], 12), i))
    return sorted(order[:k])


def _pagerank(weights, iterations: int = 100, tol: float = 1e-10):
    import numpy as np

    n = len(weights)
    out = weights.sum(axis=1)
    # A sentence linked to nothing spreads its rank evenly (a dangling node).
    transition = np.where(out[:, None] > 0, weights / np.where(out[:, None] > 0, out[:, None], 1), 1.0 / n)
    scores = np.full(n, 1.0 / n)
    for _ in range(iterations):
        new = (1 - DAMPING) / n + DAMPING * transition.T @ scores
        if np.abs(new - scores).sum() < tol:
            return new
        scores = new
    return scores
