"""TextRank (Mihalcea and Tarau, 2004) over sentences.

Sentences are nodes; two sentences are linked with the weight of their word
overlap (stemmed content words, stopwords removed, per language), normalised
by ``log(1 + |S1|) + log(1 + |S2|)`` (the paper's ``log|S1| + log|S2|``,
shifted so that one-word sentences do not divide by zero). PageRank over that graph ranks the
sentences; the top ``k`` are returned in document order. Ties keep the
earlier sentence, so a document with no overlap at all degrades to lead-k.

The graph is sparse and windowed: only sentences at most :data:`WINDOW`
sentences apart are linked. A document of up to ``WINDOW + 1`` sentences
(about 100,000 characters of news) gets the paper's full graph; a longer one
is ranked on links between neighbouring passages, so that time and memory
grow with its length, not with its square (1,000,000 characters: about 2 s
and under 300 MB on 2 cores, ``benchmarks/textrank.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..languages.words import content_stems

DAMPING = 0.85
WINDOW = 500
_CHUNK = 1 << 22  # sentence pairs counted at once: bounds the memory of one step


def textrank(sentences: Sequence[str], lang: str, k: int) -> list[int]:
    """Indices of the ``k`` highest-ranked sentences, in document order.

    >>> sentences = ["Gas prices rose.", "Gas prices rose as imports fell.", "Imports fell again.", "A cat slept."]
    >>> textrank(sentences, "en", 1)
    [1]
    """
    n = len(sentences)
    if n <= k:
        return list(range(n))
    bags = [set(content_stems(s, lang)) for s in sentences]
    rows, cols, weights = overlap_graph(bags)
    scores = _pagerank(n, rows, cols, weights)
    order = sorted(range(n), key=lambda i: (-round(float(scores[i]), 12), i))
    return sorted(order[:k])


def overlap_graph(bags: Sequence[set[str]], window: int = WINDOW):
    """The linked pairs ``i < j <= i + window``: arrays ``rows``, ``cols`` and their weights.

    Pairs are found from each word's postings (the sentences it is in), so
    sentences with nothing in common cost nothing.

    >>> rows, cols, weights = overlap_graph([{"gas", "price"}, {"gas"}, {"cat"}])
    >>> rows.tolist(), cols.tolist(), [round(w, 3) for w in weights.tolist()]
    ([0], [1], [0.558])
    """
    import numpy as np

    n = len(bags)
    vocabulary: dict[str, int] = {}
    sentence_of, word_of = [], []
    for i, bag in enumerate(bags):
        for word in bag:
            sentence_of.append(i)
            word_of.append(vocabulary.setdefault(word, len(vocabulary)))
    sentence = np.asarray(sentence_of, dtype=np.int64)
    order = np.lexsort((sentence, np.asarray(word_of, dtype=np.int64)))
    sentence = sentence[order]
    words = np.asarray(word_of, dtype=np.int64)[order]
    # Postings of one word are a run of equal `words`; pair each entry with the
    # entry `step` places later in its run while that one is within the window.
    pair_counts = np.zeros(0, dtype=np.int32)
    keys: list = []
    for step in range(1, len(sentence)):
        same = words[step:] == words[:-step]
        gap = sentence[step:] - sentence[:-step]
        near = same & (gap <= window)
        if not near.any():
            break
        firsts = sentence[:-step][near]
        keys.append(firsts * (window + 1) + gap[near])
        if sum(len(x) for x in keys) >= _CHUNK:
            pair_counts = _count(np, keys, pair_counts, n, window)
            keys = []
    pair_counts = _count(np, keys, pair_counts, n, window)
    del keys, sentence, words
    flat = np.flatnonzero(pair_counts)
    counts = pair_counts[flat]
    del pair_counts
    rows, gaps = np.divmod(flat, window + 1)
    cols = rows + gaps
    size = np.log(np.asarray([len(b) for b in bags], dtype=np.float64) + 1)
    weights = counts / (size[rows] + size[cols])
    return rows, cols, weights


def _count(np, keys, counts, n, window):
    if not keys:
        return counts
    new = np.bincount(np.concatenate(keys), minlength=n * (window + 1)).astype(np.int32)
    if len(counts):
        new += counts
    return new


def _pagerank(n: int, rows, cols, weights, iterations: int = 100, tol: float = 1e-10):
    import numpy as np

    # Both directions of every link, grouped by the sentence the rank flows to.
    target = np.concatenate([cols, rows]).astype(np.int32)
    order = np.argsort(target, kind="stable")
    target = target[order]
    source = np.concatenate([rows, cols]).astype(np.int32)[order]
    share = np.concatenate([weights, weights])[order]
    del order
    out = np.bincount(source, share, minlength=n)
    if len(share):
        share /= out[source]
    starts = np.flatnonzero(np.r_[True, target[1:] != target[:-1]]) if len(target) else target
    linked = target[starts]
    del target
    # A sentence linked to nothing spreads its rank evenly (a dangling node).
    dangling = out == 0
    scores = np.full(n, 1.0 / n)
    spread = np.zeros(n)
    for _ in range(iterations):
        if len(share):
            spread[linked] = np.add.reduceat(share * scores[source], starts)
        new = (1 - DAMPING) / n + DAMPING * (spread + scores[dangling].sum() / n)
        if np.abs(new - scores).sum() < tol:
            return new
        scores = new
    return scores
