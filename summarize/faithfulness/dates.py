"""Dates a text asserts: months, weekdays, years and day-month pairs, in all three languages.

Month and weekday names are recognised in every case form through their
dictionary form (``лютого``, ``у лютому`` -> ``лютий``; ``в субботу`` ->
``суббота``), so a date matches across languages by its index: ``24 лютого``,
``24 февраля`` and ``February 24`` are the same day-month pair. A bare
``среда``/``середа`` (also "environment" in Russian) counts as Wednesday only
in the accusative that dates use (``в среду``, ``у середу``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import lemmas

_MONTHS = {
    "en": "january february march april may june july august september october november december",
    "uk": "січень лютий березень квітень травень червень липень серпень вересень жовтень листопад грудень",
    "ru": "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь",
}
_EN_MONTH_ABBR = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_WEEKDAYS = {
    "en": "monday tuesday wednesday thursday friday saturday sunday",
    "uk": "понеділок вівторок середу четвер п'ятниця субота неділя",
    "ru": "понедельник вторник среду четверг пятница суббота воскресенье",
}
MONTHS = {name: i + 1 for names in _MONTHS.values() for i, name in enumerate(names.split())}
WEEKDAYS = {name: i + 1 for names in _WEEKDAYS.values() for i, name in enumerate(names.split())}
MONTH_NAMES_EN = _MONTHS["en"].split()
WEEKDAY_NAMES_EN = _WEEKDAYS["en"].split()
# Stems that every form of a month or weekday starts with: only these words are lemmatised.
_STEMS = tuple(sorted({w[:3] for w in [*MONTHS, *WEEKDAYS]} | {"сер", "сре"}))

_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ][^\W\d_]+)*")
_YEAR = re.compile(r"(?<![\d.,])(1[89]\d\d|20\d\d)(?![\d.,]\d)")


@dataclass(frozen=True)
class Date:
    """A date fact: ``key`` is ``("month", m)``, ``("weekday", d)``, ``("year", y)`` or ``("day", d, m)``."""

    key: tuple
    start: int
    end: int


def _calendar_word(word: str, lang: str) -> tuple[str, int] | None:
    lower = word.lower().replace("’", "'").replace("ʼ", "'")
    if not lower.startswith(_STEMS) and lower not in _EN_MONTH_ABBR:
        return None
    if lower in MONTHS and re.fullmatch(r"[a-z]+", lower):
        return "month", MONTHS[lower]
    if lower in WEEKDAYS and re.fullmatch(r"[a-z]+", lower):
        return "weekday", WEEKDAYS[lower]
    if lower in _EN_MONTH_ABBR and word[:1].isupper():
        return "month", _EN_MONTH_ABBR.index(lower) + 1
    if lower in ("середу", "среду"):
        return "weekday", 3
    if not re.search(r"[а-яіїєґё]", lower):
        return None
    for code in (lang,) if lang in ("uk", "ru") else ("uk", "ru"):
        for lemma in lemmas(lower, code):
            if lemma in MONTHS:
                return "month", MONTHS[lemma]
            if lemma in WEEKDAYS and lemma not in ("середу", "среду"):
                return "weekday", WEEKDAYS[lemma]
    return None


def find_dates(text: str, lang: str) -> list[Date]:
    """Every date fact of ``text``, in order.

    >>> [d.key for d in find_dates("У п'ятницю, 24 лютого 2023 року", "uk")]
    [('weekday', 5), ('day', 24, 2), ('year', 2023)]
    """
    found: list[Date] = []
    # May is a month only when capitalised or next to a number.
    for m in _WORD.finditer(text):
        kind = _calendar_word(m.group(), lang)
        if kind is None:
            continue
        if m.group().lower() == "may" and not m.group()[0].isupper():
            continue
        if kind[0] == "weekday":
            found.append(Date(kind, m.start(), m.end()))
            continue
        month = kind[1]
        before = re.search(r"(\d{1,2})(?:-?(?:го|е|th|st|nd|rd))?\s*$", text[max(0, m.start() - 8) : m.start()])
        after = re.match(r"\s*(\d{1,2})(?:st|nd|rd|th)?(?!\d)", text[m.end() : m.end() + 8])
        if before and 1 <= int(before.group(1)) <= 31:
            found.append(Date(("day", int(before.group(1)), month), m.start() - len(before.group(0)), m.end()))
        elif after and 1 <= int(after.group(1)) <= 31 and m.group()[0].isupper() and re.fullmatch(r"[A-Za-z]+", m.group()):
            found.append(Date(("day", int(after.group(1)), month), m.start(), m.end() + after.end()))
        elif m.group().lower() != "may" or after or before:
            found.append(Date(("month", month), m.start(), m.end()))
    for m in _YEAR.finditer(text):
        found.append(Date(("year", int(m.group(1))), m.start(), m.end()))
    return sorted(found, key=lambda d: d.start)


def supports(source: list[Date], fact: Date) -> Date | None:
    """The source date that supports ``fact``: the same key, or for a bare month, any date in it."""
    for date in source:
        if date.key == fact.key:
            return date
    if fact.key[0] == "month":
        for date in source:
            if date.key[0] == "day" and date.key[2] == fact.key[1]:
                return date
    return None
