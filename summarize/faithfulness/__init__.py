"""Faithfulness: the numbers, dates and names a summary asserts, checked against its source.

Abstractive summarisers invent facts (Maynez et al., 2020). :func:`check_faithfulness`
finds every number, date and name in a summary and looks for each in the
source, in any of the nine source -> summary language pairs of English,
Ukrainian and Russian: numbers by value (formats, scales, percentages, number
words), dates by month, weekday, year and day, names by inflected form,
transliteration, exonym or acronym. The modules: :mod:`.numbers`,
:mod:`.dates`, :mod:`.names`, and :mod:`.lexicon` (the maintained libraries
behind them: pymorphy3, simplemma, Unidecode, pycountry).

It is a precision tool for editors, not a proof: a fact it calls supported is
present in the source, not necessarily used correctly; a paraphrase with no
number, date or name in it is never flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidInputError, UnsupportedLanguageError, choices
from ..languages import LANGUAGES, detect_language
from ..languages.identify import check_declared_language
from ..languages.scripts import script_counts
from .dates import find_dates, supports
from .names import SourceNames, find_names
from .numbers import find_numbers

FACT_KINDS = ("number", "date", "name")
# A text's opening says its language; identifying it on the whole article
# would cost more than the check itself.
_DETECT_CHARS = 400
MODES = ("check", "rerank", "off")


@dataclass(frozen=True)
class Fact:
    """One fact a summary asserts.

    Attributes:
        text: as written in the summary.
        kind: ``"number"``, ``"date"`` or ``"name"``.
        supported: whether the source supports it.
        evidence: the source text that supports it (``None`` if unsupported).
        start, end: where it is in the summary.
    """

    text: str
    kind: str
    supported: bool
    evidence: str | None
    start: int
    end: int


@dataclass(frozen=True)
class FaithfulnessReport:
    """The facts of a summary and which of them its source supports.

    Attributes:
        facts: every fact, in summary order.
        source_lang, summary_lang: the languages compared.
    """

    facts: tuple[Fact, ...]
    source_lang: str
    summary_lang: str
    unsupported: tuple[Fact, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "unsupported", tuple(f for f in self.facts if not f.supported))

    @property
    def score(self) -> float:
        """Share of the facts the source supports; 1.0 when there are none."""
        return 1.0 if not self.facts else 1 - len(self.unsupported) / len(self.facts)

    def to_dict(self) -> dict[str, Any]:
        """The score and the unsupported facts (for output rows)."""
        return {"score": round(self.score, 4), "unsupported": [f"{f.kind}: {f.text}" for f in self.unsupported]}

    def __str__(self) -> str:
        flagged = "; ".join(f"{f.kind} {f.text!r}" for f in self.unsupported) or "none"
        return f"{len(self.facts)} facts, score {self.score:.2f}, unsupported: {flagged}"


def _language(text: str, declared: str, role: str, fallback: str | None) -> str:
    if declared != "auto":
        if declared not in LANGUAGES:
            raise UnsupportedLanguageError(f"{role}_lang must be 'auto' or {choices(LANGUAGES)}, got {declared!r}")
        check_declared_language(text, declared, role=role, option=f"{role}_lang")
        return declared
    try:
        return detect_language(text[:_DETECT_CHARS])
    except UnsupportedLanguageError:
        if fallback is None:
            raise
        # A summary of digits only ("5 000"), or names only: its script decides.
        counts = script_counts(text)
        cyrillic, latin = counts.get("cyrillic", 0), counts.get("latin", 0)
        if latin > cyrillic:
            return "en"
        return fallback if cyrillic == 0 or fallback in ("uk", "ru") else "uk"


def check_faithfulness(source: str, summary: str, *, source_lang: str = "auto", summary_lang: str = "auto") -> FaithfulnessReport:
    """Check the numbers, dates and names of ``summary`` against ``source``.

    Args:
        source: the document summarised.
        summary: its summary, in the same language or another of en, uk, ru.
        source_lang: ``"auto"`` (detected) or the source's language code.
        summary_lang: ``"auto"`` (detected) or the summary's language code.

    Raises:
        InvalidInputError: a text that is not a string, an empty source, or a
            declared language whose script the text contradicts.

    >>> report = check_faithfulness(
    ...     "Уряд Дениса Шмигаля виділив 2,7 млн гривень Чернігову 24 лютого.",
    ...     "Denys Shmyhal's government gave Chernihiv 2.7 million hryvnias on 24 March.")
    >>> [(f.kind, f.text) for f in report.unsupported], round(report.score, 2)
    ([('date', '24 March')], 0.75)
    """
    for name, value in (("source", source), ("summary", summary)):
        if not isinstance(value, str):
            raise InvalidInputError(f"{name} must be a str, got {type(value).__name__}")
    if not source.strip():
        raise InvalidInputError("the source is empty: there is nothing to check the summary against")
    src_lang = _language(source, source_lang, "source", None)
    sum_lang = _language(summary, summary_lang, "summary", src_lang) if summary.strip() else src_lang

    source_dates = find_dates(source, src_lang)
    date_spans = [(d.start, d.end) for d in source_dates]
    source_numbers = find_numbers(source, src_lang, skip=date_spans, compounds=True)
    source_names = SourceNames(source, src_lang)

    facts: list[Fact] = []
    dates = find_dates(summary, sum_lang)
    for date in dates:
        hit = supports(source_dates, date)
        facts.append(Fact(summary[date.start : date.end].strip(), "date", hit is not None, _text(source, hit), date.start, date.end))
    spans = [(d.start, d.end) for d in dates]
    for number in find_numbers(summary, sum_lang, skip=spans):
        hit = next((n for n in source_numbers if number.matches(n)), None)
        facts.append(Fact(summary[number.start : number.end].strip(), "number", hit is not None, _text(source, hit), number.start, number.end))
        spans.append((number.start, number.end))
    for name in find_names(summary, sum_lang, skip=spans, translated=sum_lang != src_lang):
        evidence = source_names.support(name, sum_lang)
        facts.append(Fact(name.text, "name", evidence is not None, evidence, name.start, name.end))
    facts.sort(key=lambda f: f.start)
    return FaithfulnessReport(tuple(facts), src_lang, sum_lang)


def _text(source: str, hit: Any) -> str | None:
    return None if hit is None else source[hit.start : hit.end].strip()


__all__ = ["FACT_KINDS", "Fact", "FaithfulnessReport", "MODES", "check_faithfulness"]
