"""Words: tokenisation, stopwords and stemming for English, Ukrainian and Russian.

English and Russian use the Snowball stemmers (``snowballstemmer``). Snowball
has no Ukrainian stemmer, so Ukrainian gets :func:`stem_ukrainian`, a light
suffix stripper written for this library: it removes one inflectional ending
(case, number, person, tense) and the reflexive ``-ся``, and keeps at least
three letters of stem. It is meant for matching word forms (TextRank overlap,
the ``unicode`` ROUGE scheme), not for linguistics.
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

_UK_REFLEXIVE = ("ся", "сь")
# Longest first; one of these is stripped, leaving at least three letters.
_UK_ENDINGS = tuple(
    sorted(
        """ування ення ання ість ості остей ами ями ові еві єві ого ому ими іми ій ий
        уємо уєте ємо єте имо ите емо ете ої ою ею єю ім их іх ах ях ів їв ам ям ом ем єм ати ити іти ути ала ила
        али или ало ило ав ив ує ують ють ять ать ить уть ти ть ме мо те ла ли ло
        а я о е є у ю і ї и ь""".split(),
        key=len,
        reverse=True,
    )
)


def stem_ukrainian(word: str) -> str:
    """Strip one inflectional ending from a lower-case Ukrainian word.

    >>> [stem_ukrainian(w) for w in ["переговори", "переговорів", "переговорах"]]
    ['переговор', 'переговор', 'переговор']
    """
    letters = len(word) - sum(word.count(a) for a in "'’ʼ")
    for ending in _UK_REFLEXIVE:
        if word.endswith(ending) and letters - len(ending) >= 4:
            word = word[: -len(ending)]
            letters -= len(ending)
            break
    for ending in _UK_ENDINGS:
        if word.endswith(ending) and letters - len(ending) >= 3:
            return word[: -len(ending)]
    return word


@lru_cache(maxsize=None)
def get_stemmer(lang: str) -> Callable[[str], str]:
    """Return a function that stems one lower-case word of ``lang``.

    >>> get_stemmer("ru")("переговорах")
    'переговор'
    """
    get_language(lang)
    if lang == "uk":
        return stem_ukrainian
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
