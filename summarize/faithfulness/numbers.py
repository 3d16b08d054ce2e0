"""Numbers a text asserts, as values: digits, number words, scales, percentages, signs.

``3,400`` and ``3 400`` are 3400; ``7,5`` is 7.5 (a comma before exactly
three digits reads both ways, and either reading may match). ``2.7 million``,
``$2.7m`` and ``2,7 млн`` are 2,700,000 and differ from ``2.7bn``.
``7.5 per cent``, ``7.5%`` and ``7,5 відсотка`` are the percentage 7.5.
``minus five``, ``мінус п'ять`` and ``минус пять`` are -5. Number words are
read in the three languages and their inflections (``чотирьох``, ``шестеро``,
``десяти``); "one" and its translations are left alone, being far more often
a pronoun or article than a count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import lemmas

# Scale words, by their start (they inflect): multiplier.
_SCALES = (
    ("thousand", 1e3), ("million", 1e6), ("mln", 1e6), ("billion", 1e9), ("bn", 1e9), ("trillion", 1e12), ("tn", 1e12),
    ("тис", 1e3), ("тыс", 1e3), ("тисяч", 1e3), ("тысяч", 1e3),
    ("млн", 1e6), ("мільйон", 1e6), ("миллион", 1e6), ("млрд", 1e9), ("мільярд", 1e9), ("миллиард", 1e9),
    ("трлн", 1e12), ("трильйон", 1e12), ("триллион", 1e12),
)
_SHORT_SCALES = {"k": 1e3, "m": 1e6, "bn": 1e9, "b": 1e9, "tn": 1e12}
_PERCENT_WORDS = ("per cent", "percent", "відсот", "процент", "пп", "п.п")

_EN_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12,
}
# Dictionary forms (pymorphy3's normal forms) of Ukrainian and Russian numerals.
_CYR_WORDS = {
    "два": 2, "дві": 2, "двоє": 2, "три": 3, "троє": 3, "чотири": 4, "четверо": 4, "п'ять": 5, "п'ятеро": 5,
    "шість": 6, "шестеро": 6, "сім": 7, "семеро": 7, "вісім": 8, "восьмеро": 8, "дев'ять": 9, "дев'ятеро": 9,
    "десять": 10, "десятеро": 10, "одинадцять": 11, "дванадцять": 12, "тринадцять": 13, "чотирнадцять": 14,
    "п'ятнадцять": 15, "шістнадцять": 16, "сімнадцять": 17, "вісімнадцять": 18, "дев'ятнадцять": 19,
    "двадцять": 20, "тридцять": 30, "сорок": 40, "п'ятдесят": 50, "шістдесят": 60, "сімдесят": 70,
    "вісімдесят": 80, "дев'яносто": 90, "сто": 100, "двісті": 200, "триста": 300, "чотириста": 400,
    "п'ятсот": 500,
    "две": 2, "четыре": 4, "пять": 5, "пятеро": 5, "шесть": 6, "семь": 7, "восемь": 8, "девять": 9,
    "девятеро": 9, "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13, "четырнадцать": 14, "пятнадцать": 15,
    "шестнадцать": 16, "семнадцать": 17, "восемнадцать": 18, "девятнадцать": 19, "двадцать": 20,
    "тридцать": 30, "пятьдесят": 50, "шестьдесят": 60, "семьдесят": 70, "восемьдесят": 80, "девяносто": 90,
    "двести": 200, "пятьсот": 500,
}
_MINUS = ("minus", "мінус", "минус")
_ONE = frozenset("one один одна одне одно одного однієї одной одному одній".split())
# Compounds that start with a numeral ("дев'ятигодинних", "пятиэтажный",
# "двомісний"): counted in a source, so that "nine-hour" in a summary is
# supported; never read into a summary's claims.
_COMPOUND_STARTS = tuple(sorted({
    "дво": 2, "двох": 2, "двух": 2, "три": 3, "трьох": 3, "трех": 3, "трёх": 3, "чотири": 4, "чотирьох": 4,
    "четырех": 4, "четырёх": 4, "п'яти": 5, "пяти": 5, "шести": 6, "семи": 7, "восьми": 8, "дев'яти": 9,
    "девяти": 9, "десяти": 10, "двадцяти": 20, "двадцати": 20,
}.items(), key=lambda kv: -len(kv[0])))
_CURRENCY = "$€£₴₽"

_COMPOUND = re.compile(
    r"(?<![^\W\d_])(" + "|".join(re.escape(k).replace("'", "['’ʼ]") for k, _ in _COMPOUND_STARTS) + r")[^\W\d_]{4,}",
    re.IGNORECASE,
)
_DIGITS = re.compile(
    r"(?<![\w.,])(?P<sign>[-−–](?=\d))?(?P<cur>[" + _CURRENCY + r"]\s?)?"
    r"(?P<num>\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)*)"
    r"(?P<short>(?:bn|tn|k|m|b)(?![\w]))?"
)
_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ][^\W\d_]+)*")


@dataclass(frozen=True)
class Number:
    """A number in a text: its readings (candidate values), whether it is a percentage, and where it is."""

    values: frozenset[float]
    percent: bool
    start: int
    end: int

    def matches(self, other: Number) -> bool:
        return self.percent == other.percent and bool(self.values & other.values)


def _readings(num: str) -> set[float]:
    plain = re.sub(r"[ \u00a0\u202f]", "", num)
    if re.fullmatch(r"\d+", plain):
        return {float(plain)}
    parts = re.split(r"[.,]", plain)
    found: set[float] = set()
    if len(parts) == 2:
        head, tail = parts
        found.add(float(f"{head}.{tail}"))  # decimal: 7,5 / 7.5
        if len(tail) == 3:
            found.add(float(head + tail))  # thousands: 3,400 / 3.400
    elif all(len(p) == 3 for p in parts[1:]):
        found.add(float("".join(parts)))  # 1,234,567
    return found


def _scale_after(text: str, end: int) -> tuple[float, int]:
    rest = text[end : end + 24].lower()
    m = re.match(r"\s*([^\W\d_]+)\.?", rest)
    if m:
        word = m.group(1)
        for stem, factor in _SCALES:
            if word.startswith(stem) and (len(stem) > 3 or word == stem):
                return factor, end + m.end()
    return 1.0, end


def _percent_after(text: str, end: int) -> tuple[bool, int]:
    rest = text[end : end + 16].lower()
    m = re.match(r"\s*%", rest)
    if m:
        return True, end + m.end()
    m = re.match(r"\s*(per cent|percent|відсот\w*|процент\w*)", rest)
    if m:
        return True, end + m.end()
    return False, end


def _round(v: float) -> float:
    return round(v, 6)


def find_numbers(text: str, lang: str, skip: list[tuple[int, int]] = (), *, compounds: bool = False) -> list[Number]:
    """Every number ``text`` asserts, in order, except those inside ``skip`` spans (dates).

    With ``compounds`` (for a source), numerals that begin compound words
    count too.

    >>> [sorted(n.values) for n in find_numbers("Exports rose to $2.7m, up 7,5 %.", "en")]
    [[2700000.0], [7.5]]
    """
    found: list[Number] = []
    taken = list(skip)

    def free(a: int, b: int) -> bool:
        return not any(a < e and s < b for s, e in taken)

    for m in _DIGITS.finditer(text):
        if not free(m.start(), m.end()):
            continue
        values = _readings(m.group("num"))
        if not values:
            continue
        end = m.end()
        short = m.group("short") or ""
        # "$2.7m" is millions; a bare "10m" may be metres, so m/k/b count after a currency sign only.
        factor = _SHORT_SCALES.get(short, 1.0) if m.group("cur") or short in ("bn", "tn") else 1.0
        if factor == 1.0:
            factor, end = _scale_after(text, end)
        percent, end = _percent_after(text, end)
        negative = bool(m.group("sign")) or text[max(0, m.start() - 7) : m.start()].lower().strip() in _MINUS
        sign = -1.0 if negative else 1.0
        found.append(Number(frozenset(_round(sign * v * factor) for v in values), percent, m.start(), end))
        taken.append((m.start(), end))
    found.extend(_number_words(text, lang, free))
    if compounds:
        for m in _COMPOUND.finditer(text):
            value = dict(_COMPOUND_STARTS)[m.group(1).lower().replace("’", "'").replace("ʼ", "'")]
            found.append(Number(frozenset({float(value)}), False, m.start(), m.end()))
    return sorted(found, key=lambda n: n.start)


def _word_value(word: str, lang: str) -> float | None:
    lower = word.lower().replace("’", "'").replace("ʼ", "'")
    if lower in _EN_WORDS:
        return float(_EN_WORDS[lower])
    if not re.search(r"[а-яіїєґё]", lower):
        return None
    for code in (lang,) if lang in ("uk", "ru") else ("uk", "ru"):
        for lemma in lemmas(lower, code):
            if lemma in _CYR_WORDS:
                return float(_CYR_WORDS[lemma])
    return None


def _number_words(text: str, lang: str, free) -> list[Number]:
    words = list(_WORD.finditer(text))
    found: list[Number] = []
    i = 0
    while i < len(words):
        m = words[i]
        value = _word_value(m.group(), lang) if free(m.start(), m.end()) else None
        if value is None:
            i += 1
            continue
        start, end, total = m.start(), m.end(), value
        j = i + 1
        # "twenty five", "двадцять п'ять": a larger word followed by a smaller one adds.
        while j < len(words) and text[end : words[j].start()].strip(" -") == "":
            nxt = _word_value(words[j].group(), lang)
            if nxt is None and total >= 20 and total % 10 == 0 and words[j].group().lower() in _ONE:
                nxt = 1.0  # "twenty one": "one" alone is not counted, after a ten it is
            if nxt is None or nxt >= total:
                break
            total, end, j = total + nxt, words[j].end(), j + 1
        factor, end = _scale_after(text, end)
        percent, end = _percent_after(text, end)
        before = text[max(0, start - 7) : start].lower().strip()
        sign = -1.0 if before.endswith(_MINUS) else 1.0
        found.append(Number(frozenset({_round(sign * total * factor)}), percent, start, end))
        i = j
    return found
