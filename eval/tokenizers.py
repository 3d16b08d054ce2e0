"""ROUGE tokenisation schemes, by name: ``xlsum``, ``google``, ``unicode``.

Each scheme is a class with ``tokenize(text) -> list[str]`` (the interface
``rouge_score`` accepts as a custom tokenizer) and a ``stemming`` label for
score signatures. ``TOKENIZERS`` maps the name to the class.

``google``
    ``rouge-score``'s own tokenizer with Porter stemming, unchanged: lower
    case, every character outside ``[a-z0-9]`` becomes a space. Right for
    English tables (CNN/DailyMail); Ukrainian and Russian text vanishes (all 0).
``xlsum`` (default)
    The multilingual ROUGE of the XL-Sum and CrossSum papers, so numbers line
    up with their tables: lower case; a BERT-style basic tokenizer (control
    characters dropped; ASCII non-alphanumerics and Unicode ``P*`` characters
    split words and are removed); an "aggressive" split at every change of
    character class (letters / digits / other), so ``5g`` -> ``5 g`` and
    ``п'ять`` -> ``п ять``; Snowball stemming (NLTK's, as the papers used) of
    tokens longer than 3 characters for English and Russian; no stemming for
    Ukrainian. (The papers' code also left NLTK stopwords unstemmed; that needs
    NLTK's stopword corpus, a download, so here they are stemmed like other
    words: a difference of a fraction of a point at most.)
``unicode``
    This library's scheme: NFC, lower case, ``ё`` read as ``е``; words are runs
    of letters and digits with apostrophes (``' ’ ʼ``, unified) kept inside
    them, so ``п'ять`` stays one word; Snowball stems for English and Russian
    and pymorphy3's dictionary forms for Ukrainian (Ukrainian words are
    matched across their inflections too).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from summarize.errors import InvalidOptionError, choices
from summarize.languages import get_language


def _is_punctuation(ch: str) -> bool:
    code = ord(ch)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _char_class(ch: str) -> int:
    cat = unicodedata.category(ch)
    if cat[0] in "LM":
        return 0  # letters, and the marks that belong to them
    if cat[0] == "N":
        return 1
    return 2


class XLSumTokenizer:
    """The XL-Sum papers' multilingual ROUGE tokenisation (see the module docs).

    >>> XLSumTokenizer("uk").tokenize("П'ять об'єктів, 5G!")
    ['п', 'ять', 'об', 'єктів', '5', 'g']
    >>> XLSumTokenizer("en").tokenize("Talks resumed in Qatar")
    ['talk', 'resum', 'in', 'qatar']
    """

    name = "xlsum"

    def __init__(self, lang: str):
        get_language(lang)
        self.lang = lang
        self.stemming = "none" if lang == "uk" else "snowball>3"
        self._stem = None
        if lang != "uk":
            from nltk.stem.snowball import SnowballStemmer

            self._stem = lru_cache(maxsize=65536)(SnowballStemmer({"en": "english", "ru": "russian"}[lang]).stem)

    def tokenize(self, text: str) -> list[str]:
        text = text.lower()
        cleaned = []
        for ch in text:
            code = ord(ch)
            if code == 0 or code == 0xFFFD or (unicodedata.category(ch).startswith("C") and ch not in "\t\n\r"):
                continue
            cleaned.append(" " if ch.isspace() or _is_punctuation(ch) else ch)
        tokens: list[str] = []
        for word in "".join(cleaned).split():
            start = 0
            for i in range(1, len(word)):
                if _char_class(word[i]) != _char_class(word[i - 1]):
                    tokens.append(word[start:i])
                    start = i
            tokens.append(word[start:])
        if self._stem is not None:
            tokens = [self._stem(t) if len(t) > 3 else t for t in tokens]
        return [t for t in tokens if t]


class GoogleTokenizer:
    """``rouge-score``'s tokenizer with Porter stemming, exactly.

    >>> GoogleTokenizer("en").tokenize("The talks resumed!")
    ['the', 'talk', 'resum']
    >>> GoogleTokenizer("uk").tokenize("Ціни зросли")
    []
    """

    name = "google"

    def __init__(self, lang: str):
        from rouge_score.tokenizers import DefaultTokenizer

        get_language(lang)
        self.lang = lang
        self.stemming = "porter"
        self._tokenizer = DefaultTokenizer(use_stemmer=True)

    def tokenize(self, text: str) -> list[str]:
        return self._tokenizer.tokenize(text)


_UNICODE_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


class UnicodeTokenizer:
    """This library's scheme: whole Ukrainian words, Ukrainian in dictionary form too.

    >>> UnicodeTokenizer("uk").tokenize("П’ять об'єктів пошкоджено")
    ["п'ять", "об'єкт", 'пошкодити']
    >>> UnicodeTokenizer("ru").tokenize("Её ещё нет")
    ['е', 'ещ', 'нет']
    """

    name = "unicode"

    def __init__(self, lang: str):
        from summarize.languages.words import get_stemmer

        get_language(lang)
        self.lang = lang
        # The label names what changes the tokens: pymorphy3's Ukrainian dictionary, by version.
        self.stemming = f"pymorphy3-dicts-uk-{_version('pymorphy3-dicts-uk')}" if lang == "uk" else "snowball"
        self._stem = get_stemmer(lang)

    def tokenize(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFC", text).lower().replace("ё", "е")
        text = text.replace("’", "'").replace("ʼ", "'").replace("`", "'")
        return [self._stem(w) for w in _UNICODE_WORD.findall(text)]


def _version(package: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


TOKENIZERS = {"xlsum": XLSumTokenizer, "google": GoogleTokenizer, "unicode": UnicodeTokenizer}


def get_tokenizer(name: str, lang: str):
    """Build tokenisation scheme ``name`` for ``lang``, or raise naming the choices."""
    if name not in TOKENIZERS:
        raise InvalidOptionError(f"unknown tokenizer {name!r}; valid tokenizers are {choices(TOKENIZERS)}")
    return TOKENIZERS[name](lang)
