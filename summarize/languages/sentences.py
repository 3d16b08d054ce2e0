"""Sentence splitting for English, Ukrainian and Russian news text.

A rule-based splitter, tuned for news: every line break ends a sentence (news
files put one paragraph on a line, and headlines carry no full stop); inside a
line a sentence ends at ``. ! ? …`` (with any closing quotes or brackets after
them) when the next word starts like a sentence: an upper-case letter, a digit,
an opening quote. It does not end:

* after an abbreviation that never ends a sentence (``Mr.``, ``вул.``, ``им.``),
* after an initial (``J. Smith``, ``В. Зеленський``),
* when the next word is lower case (``т. д. і``, ``«Чому?» — запитав він``),
* inside numbers (``13.5``, ``13,5``: no space follows the mark).

Other abbreviations (``2022 р.``, ``U.S.``, ``т.д.``, a unit after a number:
``5 м.``) end a sentence when the next word starts like one. A single capital
letter before a full stop is an initial unless the next word is one that
starts sentences and is never a name (``Plan B. The``, ``World War I. Then``).
"""

from __future__ import annotations

import re

# Lower-case, without the final full stop. Never a sentence end.
_NEVER_END = frozenset(
    """
    mr mrs ms dr prof sr jr st vs e.g i.e cf gen gov sen rep col lt sgt capt mt no nos
    jan feb mar apr jun jul aug sep sept oct nov dec approx dept fig vol ch pp
    ім вул просп пл буд кв м с смт обл ст т тис проф акад доц д-р св напр див пп п
    пор зб вид гл
    им ул пр д пос тыс см гл ред изд
    т.зв т.б т.е т.к т.н и.о в.о
    """.split()
)
# Units that follow a number: "5 м." ends a sentence when a capital follows,
# where "м. Київ" (місто) does not.
_UNITS = frozenset("м км см мм кг г т с хв год грн тис млн млрд коп руб мин ч р рр".split())
# Words that start sentences and are never a surname: after a one-letter
# "initial" they show it was a sentence end ("Plan B. The", "World War I. Then").
_OPENERS_AFTER_LETTER = frozenset(
    """the a an this that these those then there it he she they we i in on at but and
    however after when while so yet its his her their our if as for with
    це ця цей ці той та він вона воно вони ми ви я потім після але і й а у в на коли як
    так тоді там тут його її їх
    это эта этот эти тот та он она оно они мы вы я затем потом после но и а в на когда как
    так тогда там тут его ее её их""".split()
)

_CANDIDATE = re.compile(r"(?:[.!?…]+)[\"'»”’)\]]*(?=\s)")
_OPENERS = "\"'«“„‘([—–-"
_DASHES = "—–-"


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` offsets of the sentences of ``text``, in order.

    Spans do not overlap, never start or end with white space, and every
    character outside them is white space.

    Example:

        >>> text = "Dr. Smith arrived. He spoke."
        >>> [text[a:b] for a, b in sentence_spans(text)]
        ['Dr. Smith arrived.', 'He spoke.']
    """
    spans: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n\r\u2028\u2029]+", text):
        start = line.start()
        for match in _CANDIDATE.finditer(line.group()):
            end = line.start() + match.end()
            if _ends_sentence(text, start, line.start() + match.start(), end, line.end()):
                _add(spans, text, start, end)
                start = end
        _add(spans, text, start, line.end())
    return spans


def split_sentences(text: str) -> list[str]:
    """Split text into sentences.

    >>> split_sentences("Ціна зросла до 13,5 грн. Про це повідомив В. Петренко.")
    ['Ціна зросла до 13,5 грн.', 'Про це повідомив В. Петренко.']
    >>> split_sentences("«Чому?» — запитав він. Відповіді не було.")
    ['«Чому?» — запитав він.', 'Відповіді не було.']
    """
    return [text[a:b] for a, b in sentence_spans(text)]


TITLE_MAX_CHARS = 250
_SENTENCE_END = ".…:;,"
_CLOSERS = "\"'»”’)]"


def split_title(text: str) -> tuple[str | None, str]:
    r"""Split a headline line off the text: ``(title, body)``, or ``(None, text)``.

    A news file often starts with its headline on a line of its own. The first
    line is taken for a title when more text follows it, it is at most
    :data:`TITLE_MAX_CHARS` characters long, and it does not end like a
    sentence of running text (``. … : ; ,``, closing quotes aside); a
    headline may end in ``?`` or ``!``. Extractive methods rank the body's
    sentences only, and the title is kept in the output's metadata.

    >>> split_title("Grain deal extended\n\nUkraine and Turkey agreed on Thursday.")
    ('Grain deal extended', 'Ukraine and Turkey agreed on Thursday.')
    >>> split_title("Prices rose.\nThe government said nothing.")
    (None, 'Prices rose.\nThe government said nothing.')
    """
    stripped = text.strip()
    first, newline, rest = stripped.partition("\n")
    first, rest = first.strip(), rest.strip()
    if not newline or not rest or len(first) > TITLE_MAX_CHARS:
        return None, stripped
    if first.rstrip(_CLOSERS)[-1:] in tuple(_SENTENCE_END) or not any(c.isalnum() for c in first):
        return None, stripped
    return first, rest


def _add(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))


def _ends_sentence(text: str, sent_start: int, mark: int, end: int, line_end: int) -> bool:
    nxt = end
    while nxt < line_end and text[nxt].isspace():
        nxt += 1
    if nxt >= line_end:
        return True
    first = text[nxt]
    if first in _DASHES:
        # «Чому?» — запитав він: a dash after a quote introduces the speaker.
        rest = text[nxt + 1 : line_end].lstrip()
        first = rest[:1] or first
    if first.isalpha() and first.islower():
        return False
    if not (first.isupper() or first.isdigit() or first in _OPENERS):
        return False
    if text[mark] != ".":
        return True  # ! ? … and runs of dots
    if text[mark:end].startswith(".."):
        return True
    word_start = mark
    while word_start > sent_start and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:mark].lstrip("\"'«“„‘([").lower()
    if not word:
        return True
    if word in _NEVER_END:
        return word in _UNITS and _after_number(text, sent_start, word_start)
    if len(word) == 1 and word.isalpha() and text[mark - 1].isupper():
        # An initial (J. Smith, В. Зеленський), unless a sentence plainly starts next.
        following = re.match(r"[^\W\d_]+", text[nxt:line_end])
        return bool(following) and following.group().lower() in _OPENERS_AFTER_LETTER
    return True


def _after_number(text: str, sent_start: int, word_start: int) -> bool:
    """Whether the word at ``word_start`` follows a number (``5 м``, ``2022 р``)."""
    before = text[sent_start:word_start].rstrip()
    return bool(before) and before[-1].isdigit()
