"""Languages the library serves, and the per-language tools it uses.

``LANGUAGES`` is the registry: ISO 639-1 code -> :class:`Language`. The tools
live one module each: :mod:`.identify` (which language a text is in),
:mod:`.sentences` (sentence splitting), :mod:`.words` (word tokenisation,
stemming and stopwords).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UnsupportedLanguageError, choices


@dataclass(frozen=True)
class Language:
    """One supported language.

    Attributes:
        code: ISO 639-1 code, the name used everywhere in the API.
        name: English name, lower case; cross-lingual checkpoints
            (``langid_map``) and XL-Sum configs use it as their key.
        script: ``"latin"`` or ``"cyrillic"``.
    """

    code: str
    name: str
    script: str


LANGUAGES: dict[str, Language] = {
    "en": Language("en", "english", "latin"),
    "uk": Language("uk", "ukrainian", "cyrillic"),
    "ru": Language("ru", "russian", "cyrillic"),
}


def get_language(code: str) -> Language:
    """Return the :class:`Language` for a code, or raise a clear error.

    >>> get_language("uk").name
    'ukrainian'
    """
    try:
        return LANGUAGES[code]
    except (KeyError, TypeError):
        raise UnsupportedLanguageError(
            f"unsupported language {code!r}: supported languages are {choices(LANGUAGES)}"
        ) from None


from .identify import detect_language  # noqa: E402
from .sentences import sentence_spans, split_sentences, split_title  # noqa: E402

__all__ = [
    "LANGUAGES",
    "Language",
    "detect_language",
    "get_language",
    "sentence_spans",
    "split_sentences",
    "split_title",
]
