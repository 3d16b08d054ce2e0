"""Offline language identification for English, Ukrainian and Russian.

The method is small, explainable and measured (``tests/test_languages.py``
holds the sentence sets and the accuracy bar): the script decides Latin
against Cyrillic; among Cyrillic texts, Ukrainian and Russian are told apart by
evidence that one language has and the other never has:

* letters: ``і ї є ґ`` and the apostrophe inside words occur in Ukrainian and
  never in Russian; ``ы э ё ъ`` occur in Russian and never in Ukrainian;
* frequent words found in one language only (``що``/``что``, ``це``/``это``);
* word forms: endings (Ukrainian ``-ння -ють -ав``, Russian ``-ние -тся -ал``)
  and the Ukrainian prefix ``з-`` where Russian has ``с-``.

Letters alone settle nearly every sentence: a Ukrainian sentence without
``і ї є`` is rare, while about a third of Russian sentences contain none of
``ы э ё ъ``, which is why the word evidence is there, and why a text with no
evidence at all is called Russian.

Texts in other scripts, Cyrillic texts with letters of other Cyrillic
alphabets (Belarusian ``ў``, Serbian ``ј``, Kazakh ``қ``...) and Latin texts
that read as another European language raise
:class:`~summarize.errors.UnsupportedLanguageError`; callers who know better
pass the language explicitly and identification is skipped.
"""

from __future__ import annotations

import re
import unicodedata

from ..errors import UnsupportedLanguageError, choices

_UK_LETTERS = frozenset("іїєґІЇЄҐ")
_RU_LETTERS = frozenset("ыэёъЫЭЁЪ")
# Letters of other Cyrillic alphabets, with the language they point to.
_OTHER_CYRILLIC = {
    **dict.fromkeys("ўЎ", "Belarusian"),
    **dict.fromkeys("ђјљњћџЂЈЉЊЋЏѓќѕЃЌЅ", "Serbian or Macedonian"),
    **dict.fromkeys("әғқңөұүһӘҒҚҢӨҰҮҺ", "Kazakh or another Turkic language"),
}
_APOSTROPHES = "'’ʼ`"

_UK_WORDS = frozenset(
    "і й та що це як він вона воно вони які який яка яке від щоб коли де ще вже "
    "тільки також був була було були буде будуть може можуть між після "
    "його її їх їхній їхня їхні цей ця ці той якщо або але навіть "
    "сказав заявив повідомив зазначив році року роки років з із зі ми ви ти".split()
)
_RU_WORDS = frozenset(
    "и что это как он она оно они которые который которая которое от чтобы когда "
    "где еще ещё уже только также был была было были будет будут может могут "
    "между после его ее её их этот эта эти тот того поэтому если или но даже "
    "сказал заявил сообщил отметил году года годы лет из с со во ко мы вы ты".split()
)
# Only words that one language has and the other lacks (or spells
# differently) are listed: "не", "на", "у", "через" are common to both.

_EN_WORDS = frozenset(
    "the of and to in a is that for on was with as by at from it its this be are "
    "were has have had not but or an will would said says after over about than "
    "which who their they he she his her been into more also new who what when".split()
)
_OTHER_LATIN_WORDS = {
    "German": frozenset("der die das und ist nicht ein eine mit den dem des sich auf für zu".split()),
    "French": frozenset("le la les et est des une un du dans pour que qui pas sur au avec".split()),
    "Spanish": frozenset("el los las y es del una por para con que se en lo su al".split()),
    "Italian": frozenset("il lo gli e di che per una non con del della sono".split()),
    "Polish": frozenset("i w nie się na że do jest to z jak ale przez od".split()),
    "Portuguese": frozenset("o os as e do da dos das em um uma para com não que".split()),
    "Dutch": frozenset("de het een en van is dat niet op te voor met zijn".split()),
}

_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ][^\W\d_]+)*")


def _script(ch: str) -> str:
    code = ord(ch)
    if code < 0x80 or 0xC0 <= code <= 0x24F:
        return "latin"
    if 0x400 <= code <= 0x52F:
        return "cyrillic"
    name = unicodedata.name(ch, "")
    return name.split(" ")[0].title() if name else "unknown"


def detect_language(text: str) -> str:
    """Return ``"en"``, ``"uk"`` or ``"ru"`` for a text, or raise.

    Args:
        text: any text; one sentence is enough.

    Raises:
        UnsupportedLanguageError: the text has no letters, or is in another
            language; the message names the supported ones.

    >>> detect_language("Уряд ухвалив новий бюджет на наступний рік.")
    'uk'
    >>> detect_language("Правительство утвердило новый бюджет на следующий год.")
    'ru'
    >>> detect_language("The government approved a new budget for next year.")
    'en'
    """
    if not isinstance(text, str):
        raise UnsupportedLanguageError(f"expected text (str), got {type(text).__name__}")
    counts: dict[str, int] = {}
    for ch in text:
        if ch.isalpha():
            script = _script(ch)
            counts[script] = counts.get(script, 0) + 1
    if not counts:
        raise UnsupportedLanguageError(
            "cannot identify the language of a text with no letters; "
            f"pass the language explicitly ({choices(['en', 'uk', 'ru'])})"
        )
    script = max(counts, key=lambda s: counts[s])
    if script == "cyrillic":
        return _cyrillic(text, counts[script])
    if script == "latin":
        return _latin(text, counts[script])
    raise UnsupportedLanguageError(
        f"the text is in {script} script; supported languages are English, Ukrainian "
        "and Russian ('en', 'uk', 'ru'); pass lang= explicitly to override"
    )


def _cyrillic(text: str, n_letters: int) -> str:
    foreign: dict[str, int] = {}
    uk = ru = 0
    for i, ch in enumerate(text):
        if ch in _UK_LETTERS:
            uk += 4
        elif ch in _RU_LETTERS:
            ru += 4
        elif ch in _OTHER_CYRILLIC:
            foreign[_OTHER_CYRILLIC[ch]] = foreign.get(_OTHER_CYRILLIC[ch], 0) + 1
        elif ch in _APOSTROPHES and 0 < i < len(text) - 1:
            # Ukrainian writes an apostrophe inside words (п'ять, м'ясо); Russian has ъ there.
            if _script(text[i - 1]) == "cyrillic" and _script(text[i + 1]) == "cyrillic":
                uk += 3
    if foreign:
        name, count = max(foreign.items(), key=lambda kv: kv[1])
        if count >= 2 or count / n_letters > 0.01:
            raise UnsupportedLanguageError(
                f"the text looks like {name}, not English, Ukrainian or Russian "
                "('en', 'uk', 'ru'); pass lang= explicitly to override"
            )
    for word in _WORD.findall(text.lower()):
        if word in _UK_WORDS:
            uk += 2
        elif word in _RU_WORDS:
            ru += 2
        else:
            uk_hint, ru_hint = _word_shape(word)
            uk += uk_hint
            ru += ru_hint
    return "uk" if uk > ru else "ru"


# Endings and beginnings one language has and the other spells differently.
_UK_ENDINGS = ("ння", "нням", "нню", "ннях", "ють", "ують", "ються", "ився", "ався")
_RU_ENDINGS = ("тся", "ью", "ние", "ния", "нием", "нии", "ая", "ое", "ие", "ия")
_UK_PREFIX_Z = frozenset("бкптхцчшфс")


def _word_shape(word: str) -> tuple[int, int]:
    """Weak evidence from a word's form: (Ukrainian points, Russian points)."""
    if len(word) < 4:
        return 0, 0
    if word.endswith(_UK_ENDINGS):
        return 2, 0
    if word.endswith(_RU_ENDINGS):
        return 0, 1
    if word[0] == "з" and word[1] in _UK_PREFIX_Z:
        return 2, 0  # збити, зробити: Russian writes с- (сбить, сделать)
    if word[-2:] in ("ав", "ив") and word[-3] not in "аеиоуяю":
        return 1, 0  # past tense: сказав, ухвалив
    if word[-2:] in ("ал", "ил", "ел"):
        return 0, 1  # past tense: сказал, утвердил
    return 0, 0


def _latin(text: str, n_letters: int) -> str:
    words = _WORD.findall(text.lower())
    english = sum(w in _EN_WORDS for w in words)
    best_name, best = "", 0
    for name, vocab in _OTHER_LATIN_WORDS.items():
        hits = sum(w in vocab for w in words)
        if hits > best:
            best_name, best = name, hits
    accented = sum(1 for ch in text if ch.isalpha() and 0xC0 <= ord(ch) <= 0x24F)
    if (best >= 2 and best > 2 * english) or accented / n_letters > 0.05:
        guess = best_name or "a language other than English"
        raise UnsupportedLanguageError(
            f"the text looks like {guess}; supported languages are English, Ukrainian "
            "and Russian ('en', 'uk', 'ru'); pass lang= explicitly to override"
        )
    return "en"
