"""Offline language identification for English, Ukrainian and Russian.

Two steps. The script decides first: Latin, Cyrillic, or another script
(refused at once); Cyrillic letters of other alphabets (Belarusian ``ў``,
Serbian ``ј``, Kazakh ``қ``...) are refused at once too. Then
lingua-language-detector, a maintained offline identifier with bundled
n-gram models that is strong on short text, chooses among the languages of
that script that a text could be confused with: Ukrainian, Russian,
Belarusian, Bulgarian, Serbian and Macedonian for Cyrillic; English and
seventeen European languages written in Latin letters. A text whose best
language is not one of the three served is refused, naming it.

Texts of 120 characters or more use lingua's low-accuracy mode (trigrams
only: it loads in about 0.1 s and is as good as the full mode on text of
that length). A shorter text whose letters or words settle it needs no
model (і with и, or ї, є, ґ: Ukrainian; ы, э, ё with и, щ, ъ: Russian;
ASCII with ``the``, ``of``, ``and``: English); the rest use the full mode,
whose models load on first use (about 2 s for Cyrillic, 5 s for Latin, once
per process, said once in the log with the way around it: pass the language). Accuracy and
load times, measured on this package's own sentence sets, are in the README.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from ..errors import InvalidInputError, MissingDependencyError, UnsupportedLanguageError, choices
from .scripts import letter_script, script_counts

logger = logging.getLogger(__name__)

# Letters of other Cyrillic alphabets, with the language they point to.
_OTHER_CYRILLIC = {
    **dict.fromkeys("ўЎ", "Belarusian"),
    **dict.fromkeys("ђјљњћџЂЈЉЊЋЏѓќѕЃЌЅ", "Serbian or Macedonian"),
    **dict.fromkeys("әғқңөұүһӘҒҚҢӨҰҮҺ", "Kazakh or another Turkic language"),
}
def detect_language(text: str) -> str:
    """Return ``"en"``, ``"uk"`` or ``"ru"`` for a text, or raise.

    Args:
        text: any text; one sentence is enough.

    Raises:
        UnsupportedLanguageError: the text has no letters, or is in another
            language; the message names it and the supported ones.

    >>> detect_language("Уряд ухвалив новий бюджет на наступний рік.")
    'uk'
    >>> detect_language("Правительство утвердило новый бюджет на следующий год.")
    'ru'
    >>> detect_language("The government approved a new budget for next year.")
    'en'
    """
    if not isinstance(text, str):
        raise UnsupportedLanguageError(f"expected text (str), got {type(text).__name__}")
    first = _ANY_LETTER.search(text)
    sample = text[first.start() if first else 0:][:_SAMPLE_CHARS]  # from the first letter: a table of figures says nothing
    # A document's start says its script and language; the rest costs time (a bulk
    # extractive job spent most of its time here): the sample decides, the whole
    # text only where the sample has no letters.
    counts = _fast_script_counts(sample) or script_counts(text)
    if not counts:
        raise UnsupportedLanguageError(
            "cannot identify the language of a text with no letters; "
            f"pass the language explicitly ({choices(['en', 'uk', 'ru'])})"
        )
    script = max(counts, key=lambda s: counts[s])
    if script not in ("latin", "cyrillic"):
        raise UnsupportedLanguageError(
            f"the text is in {_SCRIPT_NAMES.get(script, script.title())} script; supported languages are English, "
            "Ukrainian and Russian ('en', 'uk', 'ru'); pass the language to override this, e.g. lang='en'"
        )
    if script == "cyrillic":
        _refuse_other_alphabets(sample, counts[script])
    short = len(text.strip()) < _SHORT_CHARS
    settled = _by_letters_and_words(sample, script) if short else _settled_by_letters(sample, script)
    if settled:
        return settled
    values = _detector(script, short=short).compute_language_confidence_values(sample)
    found = values[0].language if values else None
    code = _CODES.get(found.name if found is not None else "", None)
    if code is None and script == "latin" and _reads_as_english(sample, values[0].value if values else 0.0):
        code = "en"
    if code in ("uk", "ru"):
        # Letters settle what n-grams may not: і ї є ґ are never Russian, ы э ё ъ never Ukrainian.
        uk, ru = any(ch in _UK_LETTERS for ch in sample), any(ch in _RU_LETTERS for ch in sample)
        if uk != ru:
            code = "uk" if uk else "ru"
    if code is None:
        guess = found.name.title() if found is not None else "a language other than English, Ukrainian or Russian"
        raise UnsupportedLanguageError(
            f"the text looks like {guess}; supported languages are English, Ukrainian "
            "and Russian ('en', 'uk', 'ru'); pass the language to override this, e.g. lang='en'"
        )
    return code


def check_declared_language(text: str, lang: str, *, role: str = "text", option: str = "lang") -> None:
    """Refuse a declared language that the text's letters contradict.

    A text of 20 letters or more written mostly in the other script (Cyrillic
    declared ``"en"``, Latin declared ``"uk"``), or a Cyrillic text with five
    or more letters only Russian has and none only Ukrainian has (or the
    reverse), is not in the declared language. Anything less certain is
    left to the caller, who knows the text.

    Raises:
        InvalidInputError: naming the declared language, what the text is
            written in, and the option to change (``role`` and ``option``
            name them: ``"source"`` and ``"source_lang"``...).

    >>> check_declared_language("Уряд ухвалив новий бюджет на наступний рік.", "en")
    Traceback (most recent call last):
    ...
    summarize.errors.InvalidInputError: the text is declared 'en' but is written in Cyrillic script; pass lang='auto' or lang='uk'
    """
    cyrillic = latin = uk = ru = 0
    for ch in text:
        if ch.isalpha():
            script = letter_script(ch)
            cyrillic += script == "cyrillic"
            latin += script == "latin"
            uk += ch in _UK_LETTERS
            ru += ch in _RU_LETTERS
    declared_script = "latin" if lang == "en" else "cyrillic"
    written = "cyrillic" if cyrillic > latin else "latin" if latin > cyrillic else None
    found: str | None = None
    if written and written != declared_script and max(cyrillic, latin) >= 20:
        found = f"{written.title()} script"
        right = "en" if written == "latin" else "ru" if ru > uk else "uk"
    elif lang == "uk" and ru >= 5 and not uk:
        found, right = "Russian letters (ы, э, ё, ъ and none of і, ї, є, ґ)", "ru"
    elif lang == "ru" and uk >= 5 and not ru:
        found, right = "Ukrainian letters (і, ї, є, ґ and none of ы, э, ё, ъ)", "uk"
    if found:
        raise InvalidInputError(f"the {role} is declared {lang!r} but is written in {found}; pass {option}='auto' or {option}={right!r}")


_LATIN_LETTER = re.compile(r"(?=[^\W\d_])[A-Za-z\u00C0-\u024F]")
_CYRILLIC_LETTER = re.compile(r"(?=[^\W\d_])[\u0400-\u052F]")
_ANY_LETTER = re.compile(r"[^\W\d_]")


def _fast_script_counts(sample: str) -> dict[str, int]:
    """:func:`script_counts` at C speed where the sample's letters are all Latin or Cyrillic (else the exact count).

    >>> _fast_script_counts("Kyiv, Київ!"), _fast_script_counts("λόγος")
    ({'latin': 4, 'cyrillic': 4}, {'greek': 5})
    """
    latin, cyrillic = len(_LATIN_LETTER.findall(sample)), len(_CYRILLIC_LETTER.findall(sample))
    if latin + cyrillic != len(_ANY_LETTER.findall(sample)):
        return script_counts(sample)
    return {name: n for name, n in (("latin", latin), ("cyrillic", cyrillic)) if n}


def _settled_by_letters(sample: str, script: str) -> str | None:
    """A long text's language where its letters and words leave no doubt, without lingua's n-grams.

    Cyrillic: three or more of і ї є ґ and none of ы э ё ъ is Ukrainian; three
    or more of ы э and none of і ї є ґ is Russian (Bulgarian has ъ but neither
    ы nor э; Belarusian has both і and ы). Latin: plain ASCII whose lower-case
    words are English words (:func:`_reads_as_english`). Anything else goes
    to lingua.
    """
    if script == "cyrillic":
        uk = sum(sample.count(ch) for ch in _UK_LETTERS)
        ru = sum(sample.count(ch) for ch in _RU_LETTERS)
        ru_only = sum(sample.count(ch) for ch in "ыэЫЭ")
        if uk >= 3 and not ru:
            return "uk"
        if ru_only >= 3 and not uk:
            return "ru"
        return None
    return "en" if _reads_as_english(sample[:_ENGLISH_CHARS], 0.0) else None


def _by_letters_and_words(text: str, script: str) -> str | None:
    """A short text whose letters or words settle its language, without loading lingua's full models.

    Cyrillic: ї, є or ґ (only Ukrainian has them), or і with и (Belarusian
    has no и, Russian no і), and none of ы, э, ё, ъ, ў is Ukrainian; ы, э or ё (not Bulgarian) with и, щ or ъ (not Belarusian) and
    none of і, ї, є, ґ, ў is Russian. Latin: a text in plain ASCII letters
    with an English function word no other Latin-script language uses
    (``the``, ``of``, ``and``, ``said``...) is English. Anything else goes to
    the model.
    """
    letters = set(text.lower())
    if script == "cyrillic":
        ukrainian = letters & _UK_ONLY or {"і", "и"} <= letters  # і with и: not Belarusian, not Russian
        if ukrainian and not letters & (_RU_LETTERS | _BE_ONLY):
            return "uk"
        if letters & _RU_NOT_BG and letters & _RU_NOT_BE and not letters & (_UK_LETTERS | _BE_ONLY):
            return "ru"
        return None
    if any(ch.isalpha() and ord(ch) > 0x7F for ch in text):
        return None
    import re

    words = set(re.findall(r"[a-z]+", text.lower()))
    return "en" if words & _ENGLISH_ONLY else None


_UK_ONLY = frozenset("їєґЇЄҐ")
_RU_NOT_BG = frozenset("ыэёЫЭЁ")
_RU_NOT_BE = frozenset("ищъИЩЪ")
_BE_ONLY = frozenset("ўЎ")
_ENGLISH_ONLY = frozenset("the of and with were has have had said that this from which who been would their its".split())
_UK_LETTERS = frozenset("іїєґІЇЄҐ")
_RU_LETTERS = frozenset("ыэёъЫЭЁЪ")
_SHORT_CHARS = 120
_SAMPLE_CHARS = 2000  # a document's start says its language; the rest costs time
_ENGLISH_CHARS = 800  # about 130 words: enough to tell English words from another language's
_CODES = {"ENGLISH": "en", "UKRAINIAN": "uk", "RUSSIAN": "ru"}
_CANDIDATES = {
    "cyrillic": ("UKRAINIAN", "RUSSIAN", "BELARUSIAN", "BULGARIAN", "SERBIAN", "MACEDONIAN"),
    "latin": (
        "ENGLISH", "GERMAN", "FRENCH", "SPANISH", "ITALIAN", "PORTUGUESE", "DUTCH", "POLISH", "CZECH", "SLOVAK",
        "SLOVENE", "CROATIAN", "BOSNIAN", "ROMANIAN", "HUNGARIAN", "TURKISH", "SWEDISH", "DANISH",
    ),
}
_SCRIPT_NAMES = {"cjk": "Chinese, Japanese or Korean (CJK)", "hangul": "Korean (Hangul)", "hiragana": "Japanese", "katakana": "Japanese"}


@lru_cache(maxsize=4)
def _detector(script: str, short: bool):
    """A lingua detector for one script's candidate languages (built once; models load on first use)."""
    try:
        from lingua import Language, LanguageDetectorBuilder
    except ImportError:
        raise MissingDependencyError(
            "language identification needs lingua-language-detector: pip install lingua-language-detector "
            "(or pass the language, e.g. lang='en')"
        ) from None
    if short:
        # Said without advice: callers that know the language and still check it (summarize-eval score --lang)
        # would be told to pass what they passed.
        logger.info("loading the full %s language models to identify a short text (seconds, once per process)", script.title())
    builder = LanguageDetectorBuilder.from_languages(*(getattr(Language, name) for name in _CANDIDATES[script]))
    return builder.build() if short else builder.with_low_accuracy_mode().build()


def _reads_as_english(text: str, foreign_confidence: float) -> bool:
    """English news full of Ukrainian and Russian names ("Zelensky met Shmyhal in Kyiv.")
    reads to n-gram models like Slovak or Turkish; English function words and
    plain ASCII letters outweigh a foreign guess that is not confident.
    """
    import re

    import simplemma

    if foreign_confidence >= 0.6 or any(ch.isalpha() and ord(ch) > 0x7F for ch in text):
        return False
    # Lower-case words only: capitalised ones are mostly the names that misled the model.
    words = [w for w in re.findall(r"(?<![\w'’])[a-z]{2,}", text)]
    known = sum(simplemma.is_known(w, lang="en") for w in words)
    return len(words) >= 2 and known / len(words) >= 0.75


def _refuse_other_alphabets(text: str, n_letters: int) -> None:
    foreign: dict[str, int] = {}
    for ch in text:
        if ch in _OTHER_CYRILLIC:
            foreign[_OTHER_CYRILLIC[ch]] = foreign.get(_OTHER_CYRILLIC[ch], 0) + 1
    if foreign:
        name, count = max(foreign.items(), key=lambda kv: kv[1])
        if count >= 2 or count / n_letters > 0.01:
            raise UnsupportedLanguageError(
                f"the text looks like {name}, not English, Ukrainian or Russian "
                "('en', 'uk', 'ru'); pass the language to override this, e.g. lang='en'"
            )
