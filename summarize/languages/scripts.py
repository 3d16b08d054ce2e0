"""Which script a letter, a word or a text is written in: the one answer every module asks for.

Latin and Cyrillic are told by code point first (the common case, fast), then
by the letter's Unicode name, so Latin Extended Additional is Latin too;
other letters are named by the first word of their Unicode name (``greek``,
``cjk``, ``hangul``...).

>>> letter_script("ї"), letter_script("ẞ"), letter_script("λ")
('cyrillic', 'latin', 'greek')
>>> script_counts("Kyiv, Київ!")
{'latin': 4, 'cyrillic': 4}
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


@lru_cache(maxsize=4096)
def letter_script(ch: str) -> str:
    """``"latin"``, ``"cyrillic"``, another script's name in lower case, or ``"unknown"``, for one letter."""
    code = ord(ch)
    if code < 0x80 or 0xC0 <= code <= 0x24F:
        return "latin"
    if 0x400 <= code <= 0x52F:
        return "cyrillic"
    name = unicodedata.name(ch, "")
    return name.split(" ")[0].lower() if name else "unknown"


def script_counts(text: str) -> dict[str, int]:
    """Letters of ``text`` by script, in the order met."""
    counts: dict[str, int] = {}
    for ch in text:
        if ch.isalpha():
            script = letter_script(ch)
            counts[script] = counts.get(script, 0) + 1
    return counts


def word_script(word: str) -> str | None:
    """The one script of a word's letters; ``"neutral"`` with no letters; None when they mix scripts.

    >>> word_script("▁Київ"), word_script("13,5"), word_script("Kиїв")
    ('cyrillic', 'neutral', None)
    """
    scripts = {letter_script(ch) for ch in word if ch.isalpha()}
    if not scripts:
        return "neutral"
    return scripts.pop() if len(scripts) == 1 else None
