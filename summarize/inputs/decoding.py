"""Turning an input's bytes into text: UTF-8 first, a few bad bytes replaced, legacy code pages recognised.

Every input path (text files, stdin, JSONL and CSV lines, the evaluation
harness's files) decodes through :func:`decode_bytes`, so one rule holds
everywhere, and it never turns a readable document into an unreadable one:

1. A byte-order mark decides (UTF-8, UTF-16 LE/BE). UTF-16 without one is
   recognised by its pattern of high bytes (every other byte 0x00 for Latin
   text, 0x04 for Cyrillic). Other NUL bytes mean a binary file: refused.
2. Valid UTF-8 is UTF-8.
3. Text that is UTF-8 but for a few bad bytes (a stray byte from a scraper,
   a download cut in the middle of a character) stays UTF-8: the bad bytes
   become U+FFFD, and :class:`Decoded` says how many and where the first
   was, for the caller's one warning. "A few": at most one bad byte for
   every :data:`UTF8_BAD_RATIO` well-formed multi-byte characters. Text in a
   one-byte code page decoded as UTF-8 has the opposite proportion: its
   letters are bad bytes, and well-formed sequences happen only by chance.
4. Otherwise the legacy code pages news in these languages comes in
   (Windows-1251, KOI8-U, which reads KOI8-R text the same, and
   Windows-1252 for English), chosen by :func:`legacy_score`: the share of
   letters that are lower-case Cyrillic or Latin, with a penalty for
   characters prose does not contain. The wrong Cyrillic code page swaps
   the cases (KOI8 puts lower case where Windows-1251 has upper case), which
   the score catches even on a short headline. ``charset-normalizer`` was
   measured against these rules and chose worse on short texts
   (docs/encodings, ``benchmarks/encodings.py``).
5. Nothing fits: an error naming the encodings tried and how to convert.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from ..errors import InvalidInputError

# Tried, in this order, for bytes that are not UTF-8 (ties go to the first).
LEGACY_ENCODINGS = ("cp1251", "koi8_u", "cp1252")
# UTF-8 with bad bytes is kept when it has at least this many well-formed
# multi-byte characters per bad byte, and at most MAX_BAD_SHARE of its bytes
# (or MAX_BAD_IN_ASCII, for a short text) are bad.
UTF8_BAD_RATIO = 8
MAX_BAD_SHARE = 0.01
# Plain ASCII with a few bad bytes (no multi-byte characters to compare with).
MAX_BAD_IN_ASCII = 3


@dataclass(frozen=True)
class Decoded:
    """A decoded input: its text, the encoding read, and the bytes replaced (UTF-8 only)."""

    text: str
    encoding: str
    replaced: int = 0
    first_bad: int | None = None

    def warning(self, name: str) -> str | None:
        """One line for the user, or None when nothing was replaced or guessed."""
        if self.replaced:
            return (
                f"{name}: {self.replaced} byte{'s' if self.replaced > 1 else ''} not valid UTF-8 "
                f"(first at byte {self.first_bad:,}) replaced with U+FFFD"
            )
        if self.encoding not in ("utf-8", "utf-16"):
            return f"{name}: not UTF-8; decoded as {self.encoding}"
        return None


def decode_bytes(data: bytes, name: str) -> Decoded:
    """Decode an input's bytes by the rules above; raises :class:`InvalidInputError` where none fits.

    >>> decode_bytes("Ціни зросли".encode("cp1251"), "a.txt").text
    'Ціни зросли'
    >>> decode_bytes("Цены выросли".encode("koi8_r"), "a.txt").encoding
    'koi8_u'
    >>> d = decode_bytes("Ціни зросли на 13,5 відсотка".encode() + b"\\xff", "a.txt")
    >>> d.text[-2:], d.replaced, d.first_bad
    ('а�', 1, 48)
    """
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return Decoded(data.decode(encoding), "utf-8" if bom == codecs.BOM_UTF8 else "utf-16")
            except UnicodeDecodeError:
                if bom != codecs.BOM_UTF8:
                    raise InvalidInputError(f"{name}: has a UTF-16 byte-order mark but is not valid UTF-16") from None
                data = data[len(bom):]
                break
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return Decoded(utf16, "utf-16")
    if b"\x00" in data[:8192]:
        raise InvalidInputError(f"{name}: looks like a binary file (it contains NUL bytes); expected UTF-8 text")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
        if exc.end == len(data) and exc.reason == "unexpected end of data":
            try:  # only the last character is cut: a truncated download
                return Decoded(data[: exc.start].decode("utf-8") + "\ufffd", "utf-8", replaced=len(data) - exc.start, first_bad=exc.start)
            except UnicodeDecodeError:
                pass
    text = data.decode("utf-8", errors="surrogateescape")
    bad = sum(1 for c in text if "\udc80" <= c <= "\udcff")
    multibyte = sum(1 for c in text if c >= "\x80" and not "\udc80" <= c <= "\udcff")
    if multibyte == 0 and _plain_ascii_otherwise(text):
        # ASCII but for a few bytes: English in Windows-1252 ("café", “quotes”)
        # when every one of them reads as such, else stray bytes.
        latin = data.decode("cp1252", errors="replace")
        if _reads_as_cp1252(latin):
            return Decoded(latin, "cp1252")
        if bad <= MAX_BAD_IN_ASCII:
            return Decoded(data.decode("utf-8", errors="replace"), "utf-8", replaced=bad, first_bad=first_bad)
    elif bad * UTF8_BAD_RATIO <= multibyte and bad <= max(MAX_BAD_IN_ASCII, MAX_BAD_SHARE * len(data)):
        return Decoded(data.decode("utf-8", errors="replace"), "utf-8", replaced=bad, first_bad=first_bad)
    best: tuple[float, str, str] | None = None
    for encoding in LEGACY_ENCODINGS:
        try:
            candidate = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = legacy_score(candidate)
        if best is None or score > best[0]:
            best = (score, encoding, candidate)
    if best is not None and best[0] > 0.5:
        return Decoded(best[2], best[1])
    raise InvalidInputError(
        f"{name}: not valid UTF-8 (byte {first_bad:,}) and not recognisable as "
        f"{', '.join(_NAMES[e] for e in LEGACY_ENCODINGS)}; convert it first, e.g. "
        f"iconv -f ENCODING -t UTF-8 {name}"
    )


_NAMES = {"cp1251": "Windows-1251", "koi8_u": "KOI8-R/KOI8-U", "cp1252": "Windows-1252"}


def legacy_score(text: str) -> float:
    """How much ``text`` reads like prose: lower-case Cyrillic or Latin letters' share, less what prose lacks.

    Upper case counts at a quarter (headlines and names have some). A
    character outside letters, digits, white space and common punctuation
    (box drawing, control characters, symbols) costs as much as a letter
    gains, and so does every letter of a word that mixes Latin and Cyrillic:
    a wrong code page produces both ("Cafй" is Windows-1252 read as 1251).

    >>> legacy_score("Цены выросли") > legacy_score("Цены выросли".encode("koi8_r").decode("cp1251"))
    True
    >>> legacy_score("Café au lait") > legacy_score("Café au lait".encode("cp1252").decode("cp1251"))
    True
    """
    letters = points = 0.0
    word: list[str] = []
    for c in text + " ":
        if c.isalpha():
            word.append(c)
            continue
        if word:
            letters += len(word)
            points += _word_points(word)
            word = []
        if not (c.isdigit() or c.isspace() or c in _PROSE_PUNCTUATION):
            letters += 1
            points -= 1
    return points / letters if letters else 0.0


def _word_points(word: list[str]) -> float:
    scripts = {_served_alphabet(c) for c in word}
    if None in scripts or len(scripts) > 1:
        return -float(len(word))
    return sum(1.0 if c.islower() else 0.25 for c in word)


def _served_alphabet(c: str) -> str | None:
    """The alphabet of the served languages a letter belongs to, or None.

    Narrower than :func:`summarize.languages.scripts.letter_script` on
    purpose: a wrong decoding shows as letters no English, Ukrainian or
    Russian text has (``Öåíû``: Windows-1251 read as Windows-1252), which a
    script test would call Latin.
    """
    if ("a" <= c.lower() <= "z") or c in "àâäçéèêëîïôöùûüÿñæœßáíóúãõ":
        return "latin"
    if "а" <= c.lower() <= "я" or c.lower() in "іїєґёў":
        return "cyrillic"
    return None


_PROSE_PUNCTUATION = set(".,;:!?-–—'\"«»„“”‘’()[]%/&+№§…*#@$€£₴₽°")


_CP1252_LETTERS = set("àáâãäåçèéêëìíîïñòóôõöùúûüýæœßÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝÆŒ")
_CP1252_PUNCTUATION = set("“”‘’–—…€£°«»©®™•")


def _reads_as_cp1252(text: str) -> bool:
    """Every non-ASCII character of ``text`` is typographic punctuation, or a common accented letter in a mostly ASCII word.

    ("Köln", "café", "Grüße"; Windows-1251 Cyrillic read as 1252 gives words
    of accented letters only, "Öåíû".)
    """
    for word in "".join(c if c.isalpha() else " " for c in text).split():
        accented = sum(1 for c in word if not c.isascii())
        if accented and (accented * 2 > len(word) or any(not c.isascii() and c not in _CP1252_LETTERS for c in word)):
            return False
    return all(c.isascii() or c.isalpha() or c in _CP1252_PUNCTUATION for c in text)


def _plain_ascii_otherwise(text: str) -> bool:
    return all(c < "\x80" or "\udc80" <= c <= "\udcff" for c in text)


def _utf16_without_bom(data: bytes) -> str | None:
    """The text, if ``data`` is UTF-16 (either order) without a byte-order mark; else None.

    UTF-16 of Latin or Cyrillic text has, at every other byte, the high byte
    of a code point: nearly always 0x00 (Latin, digits, spaces) or 0x04
    (Cyrillic). One parity holding almost only those, the other hardly any
    NUL, is UTF-16; a one-byte encoding never looks like that.
    """
    sample = data[:4096]
    if len(data) % 2 or len(sample) < 8:
        return None
    for high, encoding in ((1, "utf-16-le"), (0, "utf-16-be")):
        highs, lows = sample[high::2], sample[1 - high::2]
        if highs.count(0) + highs.count(4) >= 0.95 * len(highs) and lows.count(0) <= 0.05 * len(lows):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    return None


def refuse_lone_surrogates(text: str) -> None:
    """A text that is not valid Unicode (a lone surrogate, which JSON's ``\\ud800`` escapes can make) is refused.

    Bytes are decoded by :func:`decode_bytes`, which cannot make one; a text
    that arrives as a string (JSON, the API) is checked here, by every door.

    >>> refuse_lone_surrogates("Уряд \\ud800 ухвалив")
    Traceback (most recent call last):
    ...
    summarize.errors.InvalidInputError: the text is not valid Unicode: a lone surrogate (U+D800) at character 5; fix the encoding of the source
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInputError(
            f"the text is not valid Unicode: a lone surrogate (U+{ord(text[exc.start]):04X}) at character {exc.start}; "
            "fix the encoding of the source"
        ) from None
