"""Words: tokenisation, stopwords and word-form matching for English, Ukrainian and Russian.

English and Russian use the Snowball stemmers (``snowballstemmer``). Snowball
has no Ukrainian stemmer; Ukrainian words are reduced to their dictionary
form by pymorphy3 with its Ukrainian dictionary (``pymorphy3-dicts-uk``).
On 25 groups of inflected forms written for the tests
(``tests/data/uk_word_forms.tsv``), it joins 119 of the 147 pairs of forms of
one word, where the suffix stripper it replaced joined 108, and neither
joins a pair of different words (0 of 4,704). Both serve matching word
forms (TextRank overlap, the ``unicode`` ROUGE scheme).

The stopword lists are this library's own, short and limited to function
words and reporting verbs. The maintained lists we measured are not as good
for this use: stopwords-iso's Russian list has 559 entries, 305 of them
nouns, adjectives or verbs by pymorphy3 (``белый``, ``большой``), and its
English list 1,298 (``able``); stop-words' Ukrainian list has 385, 124 of
them content words. Removing content words from TextRank's overlap makes it
worse, so they were not adopted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from . import get_language

# A word: letters, with apostrophes or hyphens inside (п'ять, м’ясо, будь-який)
# and digits kept as their own words.
WORD_RE = re.compile(r"[^\W_]+(?:['’ʼ-][^\W_]+)*")

STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        """a an the and or but if of to in on at by for with from as into over after
        before about than then so that this these those is are was were be been being
        has have had do does did will would can could should may might must it its
        he she they we you i his her their our your them him us me not no also said
        says which who whom what when where while there here up out more most""".split()
    ),
    "uk": frozenset(
        """і й та а але або що як це цей ця ці той те ті в у на з із зі до від по
        за про для при під над між через після перед без не ні так же ж би б
        був була було були є буде будуть він вона воно вони ми ви я ти його її їх
        їхній який яка яке які також ще вже лише тільки щоб коли де чи бо тому
        сказав заявив повідомив""".split()
    ),
    "ru": frozenset(
        """и а но или что как это этот эта эти тот то те в во на с со из до от по
        за про для при под над между через после перед без не ни так же бы б
        был была было были есть будет будут он она оно они мы вы я ты его ее её их
        который которая которое которые также еще ещё уже лишь только чтобы когда
        где ли потому сказал заявил сообщил""".split()
    ),
}

@lru_cache(maxsize=262144)
def lemmatize_ukrainian(word: str) -> str:
    """The dictionary form of a lower-case Ukrainian word (pymorphy3's most likely parse).

    >>> [lemmatize_ukrainian(w) for w in ["переговори", "переговорів", "переговорах"]]
    ['переговори', 'переговори', 'переговори']
    """
    from .morphology import parses

    found = parses(word, "uk")
    return found[0].normal_form if found else word


@lru_cache(maxsize=None)
def get_stemmer(lang: str) -> Callable[[str], str]:
    """Return a function that stems one lower-case word of ``lang``.

    >>> get_stemmer("ru")("переговорах")
    'переговор'
    """
    get_language(lang)
    if lang == "uk":
        return lemmatize_ukrainian
    import snowballstemmer

    stemmer = snowballstemmer.stemmer({"en": "english", "ru": "russian"}[lang])
    return lru_cache(maxsize=65536)(stemmer.stemWord)


def words(text: str) -> list[str]:
    """Lower-case words of a text, punctuation dropped.

    >>> words("П'ять «нових» об’єктів, 13,5 км.")
    ["п'ять", 'нових', 'об’єктів', '13', '5', 'км']
    """
    return WORD_RE.findall(text.lower())


def content_stems(text: str, lang: str) -> list[str]:
    """Stems of the words of ``text`` that are not stopwords.

    >>> content_stems("The talks were resumed in Qatar", "en")
    ['talk', 'resum', 'qatar']
    """
    stem = get_stemmer(lang)
    stop = STOPWORDS[lang]
    return [stem(w) for w in words(text) if w not in stop]
