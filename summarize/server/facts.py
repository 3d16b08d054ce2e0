"""A summary's facts with where the source stands on each, for the API and the page.

The faithfulness report (:class:`summarize.faithfulness.FaithfulnessReport`)
says which numbers, dates and names of a summary the source supports, and
with what text. Here each fact also gets its place in the source: a
supported fact, the span of its evidence and the sentence holding it; an
unsupported one, the source sentence closest to the summary sentence that
asserts it (most shared words), which is the passage an editor should read
to see what the source does say (the clause around the fact, where it has
words enough to match, rather than the whole sentence).
"""

from __future__ import annotations

import re
from typing import Any

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``, by the library's sentence splitter.

    >>> sentence_spans("Ціни зросли. Уряд мовчить.")
    [(0, 12), (13, 26)]
    """
    from ..languages import split_sentences

    spans, at = [], 0
    for sentence in split_sentences(text):
        start = text.find(sentence, at)
        if start < 0:
            continue
        spans.append((start, start + len(sentence)))
        at = start + len(sentence)
    return spans or [(0, len(text))]


def _words(text: str) -> set[str]:
    """Words of three letters or more, cut to five: "допомога" and "допомогу" match (a crude stem, for ranking only)."""
    return {w.lower()[:5] for w in _WORD.findall(text) if len(w) > 2}


def facts_with_passages(source: str, summary: str, report: Any) -> list[dict[str, Any]]:
    """Every fact of ``report`` as a dict: text, kind, supported, evidence, its span in the summary and the source passage."""
    if report is None:
        return []
    source_sentences = sentence_spans(source)
    summary_sentences = sentence_spans(summary)
    found = []
    for fact in report.facts:
        entry = {"text": fact.text, "kind": fact.kind, "supported": fact.supported, "evidence": fact.evidence,
                 "start": fact.start, "end": fact.end, "evidence_start": None, "evidence_end": None}
        if fact.supported and fact.evidence:
            at = source.find(fact.evidence)
            if at < 0:
                at = source.lower().find(fact.evidence.lower())
            if at >= 0:
                entry["evidence_start"], entry["evidence_end"] = at, at + len(fact.evidence)
                passage = next(((a, b) for a, b in source_sentences if a <= at < b), source_sentences[0])
            else:
                passage = _closest(source, source_sentences, fact.evidence)
        else:
            passage = _closest(source, source_sentences, _claim(summary, summary_sentences, fact.start))
        entry["passage"] = source[passage[0]:passage[1]]
        entry["passage_start"], entry["passage_end"] = passage
        found.append(entry)
    return found


_CLAUSE = re.compile(r"[;:—–()]|, (?=\w)")


def _claim(summary: str, sentences: list[tuple[int, int]], at: int) -> str:
    """The clause of the summary that asserts the fact at ``at`` (its sentence, if the clause is too short to match)."""
    start, end = next(((a, b) for a, b in sentences if a <= at < b), (0, len(summary)))
    sentence = summary[start:end]
    clause_start = 0
    for match in _CLAUSE.finditer(sentence):
        if match.start() >= at - start:
            clause = sentence[clause_start:match.start()]
            break
        clause_start = match.end()
    else:
        clause = sentence[clause_start:]
    return clause if len(_words(clause)) >= 2 else sentence


def _closest(source: str, sentences: list[tuple[int, int]], claim: str) -> tuple[int, int]:
    words = _words(claim)
    return max(sentences, key=lambda s: (len(words & _words(source[s[0]:s[1]])), -s[0]))
