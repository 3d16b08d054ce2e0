"""Faithfulness of a system: how many of its summaries assert facts their articles do not support.

Every system of an evaluation is measured the same way, the reference
summaries included (XL-Sum's references are BBC intros, which often carry
facts absent from the article body): :func:`summarize.check_faithfulness` on
each (article, summary) pair, then the mean score and the share of summaries
with at least one unsupported number, date or name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from summarize.errors import InvalidInputError
from summarize.faithfulness import check_faithfulness


@dataclass(frozen=True)
class FaithfulnessResult:
    """Faithfulness of one system over a corpus.

    Attributes:
        mean_score: mean over summaries of the share of their facts the article supports.
        flagged: share of summaries with at least one unsupported fact.
        n: summaries checked.
        by_kind: unsupported facts counted by kind (number, date, name).
        unsupported: for each summary, its unsupported facts (``"kind: text"``).
        scores: for each summary, the share of its facts the article supports.
    """

    mean_score: float
    flagged: float
    n: int
    by_kind: dict[str, int]
    unsupported: tuple[tuple[str, ...], ...]
    scores: tuple[float, ...] = ()

    def to_dict(self, *, with_examples: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "mean_score": round(100 * self.mean_score, 2),
            "flagged": round(100 * self.flagged, 2),
            "n": self.n,
            "by_kind": self.by_kind,
        }
        if with_examples:
            data["unsupported"] = [list(u) for u in self.unsupported]
        return data

    def __str__(self) -> str:
        return (
            f"faithfulness = {100 * self.mean_score:.2f} (mean share of supported facts); "
            f"{100 * self.flagged:.2f}% of {self.n} summaries have an unsupported fact"
        )


def score_faithfulness(
    *, sources: Sequence[str], summaries: Sequence[str], source_lang: str = "auto", summary_lang: str = "auto"
) -> FaithfulnessResult:
    """Check every summary against its source.

    >>> r = score_faithfulness(sources=["Ціни зросли на 5%."], summaries=["Prices rose 7%."])
    >>> r.flagged, r.by_kind
    (1.0, {'number': 1})
    """
    if len(sources) != len(summaries):
        raise InvalidInputError(f"mismatch in the number of sources ({len(sources)}) and summaries ({len(summaries)})")
    if not sources:
        raise InvalidInputError("no summaries to check")
    scores: list[float] = []
    unsupported: list[tuple[str, ...]] = []
    kinds: Counter[str] = Counter()
    for source, summary in zip(sources, summaries):
        try:
            report = check_faithfulness(source, summary, source_lang=source_lang, summary_lang=summary_lang)
        except InvalidInputError:
            if not source.strip():
                raise
            report = check_faithfulness(source, summary)  # a summary in another script than declared
        scores.append(report.score)
        unsupported.append(tuple(f"{f.kind}: {f.text}" for f in report.unsupported))
        kinds.update(f.kind for f in report.unsupported)
    return FaithfulnessResult(
        mean_score=sum(scores) / len(scores),
        flagged=sum(1 for u in unsupported if u) / len(unsupported),
        n=len(scores),
        by_kind=dict(sorted(kinds.items())),
        unsupported=tuple(unsupported),
        scores=tuple(scores),
    )
