"""Names a text asserts (people, places, organisations, acronyms) and whether a source supports them.

A name is a run of capitalised words: inside a sentence always (English
titles such as "President" aside), at a sentence start when the word reads as
a name (pymorphy3's name tags, or a word the dictionary does not know) or is a
known place. A source supports a name when every word of it is found there
in some form:

* the same word, or the same dictionary form (``Чернігові``/``Чернігова``);
* across languages or spellings, a Latin key that agrees up to the ending
  (``Chernihiv``/``Чернігова``, ``Shmyhal``/``Шмигаль``);
* the same place under another name (``Vienna``/``Відні``, ``Rome``/``Рим``);
* for an acronym, the initials of a source phrase (``СБУ`` for ``Служби
  безпеки України``), in either script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..languages.sentences import sentence_spans
from ..languages.words import STOPWORDS
from .lexicon import adjective_place, is_adjective, is_name_word, latin_key, lemmas, place_id

_TOKEN = re.compile(r"[^\W\d_]+(?:['’ʼ-][^\W\d_]+)*")
_CYRILLIC = re.compile(r"[а-яіїєґё]", re.IGNORECASE)
# Capitalised inside English sentences without being names.
_EN_TITLES = frozenset(
    """president minister prime foreign defence defense secretary general chancellor mr mrs ms dr prof
    sir lord king queen prince pope senator governor mayor chief deputy ambassador commander
    state government parliament army navy ministry council court office department agency
    north south east west northern southern eastern western central
    i""".split()
)


@dataclass(frozen=True)
class Name:
    """A name in a text: its words, and where it is."""

    text: str
    words: tuple[str, ...]
    start: int
    end: int


def _is_acronym(word: str) -> bool:
    letters = word.replace("-", "")
    return 2 <= len(letters) <= 6 and letters.isupper() and letters.isalpha()


def find_names(text: str, lang: str, skip: list[tuple[int, int]] = (), *, translated: bool = False) -> list[Name]:
    """Every name ``text`` asserts, in order (runs of capitalised words).

    With ``translated`` (the source is in another language), capitalised
    common words (``Armed Forces``, ``Збройних сил``) are not names: they are
    translated, not transliterated, and cannot be found in the source.

    >>> [n.text for n in find_names("Уряд Дениса Шмигаля звернувся до СБУ у Києві.", "uk")]
    ['Дениса Шмигаля', 'СБУ', 'Києві']
    """
    starts = {a for a, _ in sentence_spans(text)}
    stop = STOPWORDS.get(lang, frozenset())
    names: list[Name] = []
    run: list[re.Match] = []

    def close() -> None:
        if run:
            a, b = run[0].start(), run[-1].end()
            names.append(Name(text[a:b], tuple(m.group() for m in run), a, b))
            run.clear()

    for m in _TOKEN.finditer(text):
        word = m.group()
        joined = bool(run) and text[run[-1].end() : m.start()] in (" ", "-")
        if not joined:
            close()
        sentence_start = m.start() in starts or _opens(text, m.start(), starts)
        if any(m.start() < e and s < m.end() for s, e in skip) or not _name_word(_bare(word), lang, sentence_start, stop, translated):
            close()
            continue
        run.append(m)
    close()
    return names


def _bare(word: str) -> str:
    """A word without an English possessive ending (Russia's, Russia’s)."""
    return re.sub(r"['’]s$", "", word)


def _opens(text: str, pos: int, starts: set[int]) -> bool:
    """Whether the word at ``pos`` starts a sentence after an opening quote or dash."""
    before = text[max(0, pos - 3) : pos]
    return any(pos - k in starts for k in range(1, 4)) and not re.search(r"\w", before)


def _name_word(word: str, lang: str, sentence_start: bool, stop: frozenset[str], translated: bool = False) -> bool:
    if not word[:1].isupper() or len(word) < 2:
        return False
    if _is_acronym(word):
        return True
    lower = word.lower()
    if lower in stop:
        return False
    word_lang = lang if bool(_CYRILLIC.search(word)) == (lang in ("uk", "ru")) else ("uk" if _CYRILLIC.search(word) else "en")
    if sentence_start:
        return is_name_word(word, word_lang) or place_id((word,), word_lang) is not None
    if word_lang == "en":
        if translated:  # "Armed Forces" is translated, not transliterated
            return is_name_word(word, word_lang) or place_id((word,), word_lang) is not None
        return lower not in _EN_TITLES
    # Capitalised adjectives inside a sentence belong to institutions'
    # names ("Збройних сил"), which translation changes.
    return not (translated and is_adjective(lower, word_lang))


def _fuzzy(a: str, b: str) -> bool:
    """Latin keys that agree up to an ending: a shared start of all but the last two letters."""
    if a == b:
        return True
    n = min(len(a), len(b))
    if n < 4:
        return False
    need = max(4, n - 2)
    return a[:need] == b[:need]


class SourceNames:
    """What a source offers to support names: its words, their forms, keys, places and initials."""

    def __init__(self, text: str, lang: str):
        self.text = text
        self.lang = lang
        self.words = {m.group().lower(): m for m in _TOKEN.finditer(text)}
        self.capitalised = [m for m in _TOKEN.finditer(text) if m.group()[:1].isupper()]
        self.lemma_index: dict[str, re.Match] = {}
        self.keys: list[tuple[str, re.Match]] = []
        self.places: dict[str, re.Match] = {}
        for m in self.capitalised:
            lower = m.group().lower()
            forms = lemmas(lower, lang) if lang in ("uk", "ru") else {lower}
            for form in forms:
                self.lemma_index.setdefault(form, m)
                self.keys.append((latin_key(form), m))
            found = place_id((m.group(),), lang)
            if found:
                self.places.setdefault(found, m)
        self.initials = self._initials()

    def _initials(self) -> dict[str, re.Match]:
        tokens = list(_TOKEN.finditer(self.text))
        found: dict[str, re.Match] = {}
        for i, m in enumerate(tokens):
            if not m.group()[:1].isupper():
                continue
            letters = ""
            for j in range(i, min(i + 6, len(tokens))):
                if j > i and not re.fullmatch(r"\s+", self.text[tokens[j - 1].end() : tokens[j].start()]):
                    break
                letters += tokens[j].group()[0].upper()
                if len(letters) >= 2:
                    found.setdefault(letters, m)
                    found.setdefault(latin_key(letters), m)
        return found

    def support(self, name: Name, lang: str) -> str | None:
        """The source text that supports ``name``, or None."""
        whole = place_id(name.words, lang)
        if whole is not None and whole in self.places:
            return self.places[whole].group()
        # Given names do not transliterate reliably between languages
        # (Jane/Джейн, Володимир/Владимир): across languages, a person is
        # found by the last word of the name, the surname.
        words = name.words[-1:] if lang != self.lang and len(name.words) > 1 else name.words
        evidence = []
        for word in words:
            found = self._word(word, lang)
            if found is None:
                return None
            evidence.append(found)
        return " ".join(dict.fromkeys(evidence))

    def _word(self, word: str, lang: str) -> str | None:
        word = _bare(word)
        if word.lower() in self.words:
            return self.words[word.lower()].group()
        if "-" in word:
            # Qatar-mediated: the capitalised parts are the name.
            parts = [p for p in word.split("-") if p[:1].isupper()]
            found = [self._word(p, lang) for p in parts]
            return None if not parts or None in found else " ".join(found)
        lower = word.lower()
        if lower in self.words:
            return self.words[lower].group()
        if _is_acronym(word):
            hit = self.initials.get(word.upper()) or self.initials.get(latin_key(word))
            if hit is not None:
                return hit.group()
        cyrillic = bool(_CYRILLIC.search(word))
        word_lang = lang if cyrillic == (lang in ("uk", "ru")) else ("uk" if cyrillic else "en")
        forms = lemmas(lower, word_lang) if cyrillic else {lower}
        for form in forms:
            if form in self.lemma_index:
                return self.lemma_index[form].group()
        place = place_id((word,), word_lang)
        if place is not None and place in self.places:
            return self.places[place].group()
        adjective = adjective_place(word)
        if adjective is not None:
            country, starts = adjective
            if country in self.places:
                return self.places[country].group()
            hit = next((m for w, m in self.words.items() if w.startswith(starts)), None)
            if hit is not None:
                return hit.group()
        keys = {latin_key(f) for f in forms} | {latin_key(word)}
        for key in keys:
            for source_key, m in self.keys:
                if _fuzzy(key, source_key):
                    return m.group()
        return None
