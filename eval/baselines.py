"""Baselines scored beside every model: lead-1, lead-3, TextRank, and the oracle.

The extractive oracle greedily adds the source sentence that most raises
the mean of ROUGE-1 and ROUGE-2 F1 against the reference, and stops when no
sentence raises it: an upper bound for any method that copies sentences.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from summarize.extractive import lead, textrank
from summarize.languages import split_sentences

from .tokenizers import get_tokenizer


def _ngrams(tokens: Sequence[str], n: int) -> Counter:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _f1(candidate: Counter, reference: Counter) -> float:
    overlap = sum((candidate & reference).values())
    if not overlap:
        return 0.0
    p = overlap / sum(candidate.values())
    r = overlap / sum(reference.values())
    return 2 * p * r / (p + r)


def oracle(sentences: Sequence[str], reference: str, lang: str, tokenizer: str = "xlsum", max_sentences: int = 5) -> list[int]:
    """Indices (in document order) of the greedy oracle's sentences.

    >>> oracle(["Cats sleep.", "Gas prices rose.", "Gas rose in May."], "Gas prices rose in May.", "en")
    [1, 2]
    """
    tok = get_tokenizer(tokenizer, lang)
    ref = tok.tokenize(reference)
    ref_grams = (_ngrams(ref, 1), _ngrams(ref, 2))
    sent_tokens = [tok.tokenize(s) for s in sentences]
    chosen: list[int] = []
    best = 0.0
    while len(chosen) < max_sentences:
        best_i = None
        for i in range(len(sentences)):
            if i in chosen:
                continue
            tokens = [t for j in sorted(chosen + [i]) for t in sent_tokens[j]]
            score = (_f1(_ngrams(tokens, 1), ref_grams[0]) + _f1(_ngrams(tokens, 2), ref_grams[1])) / 2
            if score > best:
                best, best_i = score, i
        if best_i is None:
            break
        chosen.append(best_i)
    return sorted(chosen)


def baseline_predictions(texts: Sequence[str], references: Sequence[str], lang: str, tokenizer: str = "xlsum") -> dict[str, list[str]]:
    """Every baseline's summaries of ``texts``, by system name."""
    systems: dict[str, list[str]] = {"lead-1": [], "lead-3": [], "textrank": [], "oracle": []}
    for text, reference in zip(texts, references):
        sentences = split_sentences(text)
        pick = {
            "lead-1": lead(sentences, lang, 1),
            "lead-3": lead(sentences, lang, 3),
            "textrank": textrank(sentences, lang, 3),
            "oracle": oracle(sentences, reference, lang, tokenizer),
        }
        for name, chosen in pick.items():
            systems[name].append(" ".join(sentences[i] for i in chosen))
    return systems
