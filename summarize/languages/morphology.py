"""pymorphy3's analysers for Ukrainian and Russian, loaded once: every word's parses, most likely first.

Word forms (:mod:`summarize.languages.words`) and the fact checker's
lexicon (:mod:`summarize.faithfulness.lexicon`) both read words through here.
"""

from __future__ import annotations

from functools import lru_cache

from ..errors import MissingDependencyError


def require(module: str, package: str):
    """Import ``module``, or say in one line which package to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(f"word forms need {package}: pip install {package}") from None


@lru_cache(maxsize=None)
def morph(lang: str):
    """The pymorphy3 analyser for ``"uk"`` or ``"ru"`` (loaded once, about 0.1 s)."""
    pymorphy3 = require("pymorphy3", "pymorphy3")
    try:
        return pymorphy3.MorphAnalyzer(lang=lang)
    except (ValueError, ImportError, OSError):
        raise MissingDependencyError(f"word forms need pymorphy3's {lang!r} dictionary: pip install pymorphy3-dicts-{lang}") from None


def parses(word: str, lang: str) -> list:
    """pymorphy3's parses of ``word``, most likely first; none for a word it cannot read.

    pymorphy3 looks up the Unicode name of every letter and raises on letters
    that have none (Tangut, for one).

    >>> parses("𗀀", "uk")
    []
    """
    try:
        return morph(lang).parse(word)
    except ValueError:
        return []


