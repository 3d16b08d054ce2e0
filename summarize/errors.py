"""The exceptions `summarize` raises.

Every error a caller can cause derives from :class:`SummarizeError`, so one
``except SummarizeError`` handles them all; each subclass also derives from the
built-in exception a caller would expect (``ValueError`` for bad values,
``OSError`` for files and models that cannot be read, ``ImportError`` for a
missing optional extra).
"""

from __future__ import annotations

from collections.abc import Iterable


class SummarizeError(Exception):
    """Base class of every error the library raises on purpose."""


class InvalidInputError(SummarizeError, ValueError):
    """The text (or file, or record) given cannot be summarised as it is."""


class UnsupportedLanguageError(SummarizeError, ValueError):
    """A language the library, or the chosen model, does not serve."""


class InvalidOptionError(SummarizeError, ValueError):
    """An option with an unknown name or a value outside its accepted range."""


class ModelNotAvailableError(SummarizeError, OSError):
    """A model that cannot be loaded: not downloaded, not a checkpoint, not seq2seq."""


class MissingDependencyError(SummarizeError, ImportError):
    """An optional extra that a feature needs is not installed."""


def choices(values: Iterable[object]) -> str:
    """Format accepted values for an error message: ``'a', 'b' or 'c'``.

    >>> choices(["en", "ru", "uk"])
    "'en', 'ru' or 'uk'"
    """
    items = [repr(v) for v in values]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def did_you_mean(name: object, known: Iterable[str]) -> str:
    """The closest known name as a hint for a message, or nothing.

    >>> did_you_mean("beams", ["num_beams", "top_k"]), did_you_mean("zzz", ["num_beams"])
    ("did you mean 'num_beams'? ", '')
    """
    import difflib

    close = difflib.get_close_matches(str(name), list(known), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


def with_index(exc: SummarizeError, index: int) -> SummarizeError:
    """The same error, its message prefixed with the position of the text in a list.

    >>> str(with_index(InvalidInputError("the text is empty"), 2))
    'text 2: the text is empty'
    """
    new = type(exc)(f"text {index}: {exc}")
    new.__cause__ = exc.__cause__
    return new
