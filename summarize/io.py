"""Reading inputs and writing results safely: text files, JSONL, resumable output.

Shared by the ``summarize`` CLI and the evaluation harness.

Encodings: input is UTF-8 (a UTF-8 or UTF-16 byte-order mark is honoured).
Files that are not valid UTF-8 but read as Windows-1251 or KOI8-R/KOI8-U
Cyrillic are decoded as such (the choice is logged); anything else is refused
with the file named and the fix (``iconv``) given. Files with NUL bytes are
refused as binary.
"""

from __future__ import annotations

import codecs
import json
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .errors import InvalidInputError

logger = logging.getLogger(__name__)

LEGACY_CYRILLIC = ("cp1251", "koi8_u")


def decode_bytes(data: bytes, name: str) -> str:
    """Decode a file's bytes: UTF-8, or legacy Cyrillic recognised, or an error.

    >>> decode_bytes("Ціни зросли".encode("cp1251"), "a.txt")
    'Ціни зросли'
    >>> decode_bytes("Цены выросли".encode("koi8_r"), "a.txt")
    'Цены выросли'
    """
    if b"\x00" in data[:8192] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InvalidInputError(f"{name}: looks like a binary file (it contains NUL bytes); expected UTF-8 text")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(f"{name}: has a UTF-16 byte-order mark but is not valid UTF-16") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    best, best_score = None, 0.0
    for encoding in LEGACY_CYRILLIC:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _cyrillic_score(text)
        if score > best_score:
            best, best_score = (text, encoding), score
    if best is not None and best_score > 0.5:
        logger.info("%s: not UTF-8; decoded as %s", name, best[1])
        return best[0]
    raise InvalidInputError(
        f"{name}: not valid UTF-8 (byte {utf8_error.start}) and not recognisable as "
        "Windows-1251 or KOI8-R/KOI8-U Cyrillic; convert it first, e.g. "
        f"iconv -f ENCODING -t UTF-8 {name}"
    )


def _cyrillic_score(text: str) -> float:
    """Share of letters that are lower-case Cyrillic.

    Real prose is mostly lower case. Decoding with the wrong one of the two
    Cyrillic code pages swaps the cases (KOI8 puts lower case where
    Windows-1251 has upper case), which this catches.
    """
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    lower_cyrillic = sum(1 for c in letters if "а" <= c <= "я" or c in "іїєґёў")
    return lower_cyrillic / len(letters)


def read_text_file(path: str | os.PathLike, max_bytes: int | None = None) -> str:
    """Read one document from a file, with the checks and decoding above."""
    name = str(path)
    p = Path(path)
    if not p.exists():
        raise InvalidInputError(f"{name}: no such file")
    if p.is_dir():
        raise InvalidInputError(f"{name}: is a directory; give text files, or JSONL with --input-format jsonl")
    if max_bytes is not None and p.stat().st_size > max_bytes:
        raise InvalidInputError(
            f"{name}: {p.stat().st_size:,} bytes is more than one document may have "
            f"({max_bytes:,}); split it, or give JSONL with one document a line"
        )
    try:
        data = p.read_bytes()
    except PermissionError:
        raise InvalidInputError(f"{name}: permission denied") from None
    except OSError as exc:
        raise InvalidInputError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    return decode_bytes(data, name)


@dataclass
class Record:
    """One input document, or why its line could not be read.

    ``key`` is the id as a string (the id field, or the line number when the
    record has no id), which resuming and duplicate checks use.
    """

    id: Any
    text: str | None
    line: int
    error: str | None = None
    fields: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        return str(self.id)


def read_jsonl(
    stream: IO[bytes], name: str, *, text_field: str | None = "text", id_field: str = "id"
) -> Iterator[Record]:
    """Yield a :class:`Record` per non-blank line of a JSONL stream (bytes).

    Bad lines become records with ``error`` set instead of stopping the job:
    malformed JSON, a non-object, a missing or non-string text field, a
    duplicate id. Blank lines are skipped. With ``text_field=None`` no text is
    read; callers take what they need from ``fields``. Memory stays bounded: one line at
    a time, and only the ids are remembered.
    """
    seen: dict[str, int] = {}
    for number, raw in enumerate(stream, start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield Record(f"line {number}", None, number, f"{name} line {number}: not valid UTF-8")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Record(f"line {number}", None, number, f"{name} line {number}: malformed JSON ({exc.msg})")
            continue
        if not isinstance(obj, dict):
            yield Record(f"line {number}", None, number, f"{name} line {number}: expected a JSON object, got {type(obj).__name__}")
            continue
        rid = obj.get(id_field, number)
        if isinstance(rid, (dict, list)):
            yield Record(f"line {number}", None, number, f"{name} line {number}: id field {id_field!r} must be a string or number")
            continue
        record = Record(rid, None, number, fields=obj)
        if record.key in seen:
            record.error = f"{name} line {number}: duplicate id {rid!r} (first on line {seen[record.key]})"
            yield record
            continue
        seen[record.key] = number
        if text_field is None:
            yield record
            continue
        text = obj.get(text_field)
        if text_field not in obj:
            record.error = (
                f"{name} line {number}: no field {text_field!r} (fields: {', '.join(map(repr, obj)) or 'none'}); "
                "choose the field with --text-field"
            )
        elif not isinstance(text, str):
            record.error = f"{name} line {number}: field {text_field!r} must be a string, got {type(text).__name__}"
        else:
            record.text = text
        yield record


class ResultWriter:
    """Append JSON lines to a file, flushed and synced after every write.

    With ``resume=True`` an existing file is read first: the ids it holds are
    in :attr:`done`, and a torn last line (a process killed mid-write) is cut
    off so that it is redone. Without ``resume`` an existing non-empty file is
    an error, so that no finished work is overwritten by accident.
    """

    def __init__(self, path: str | os.PathLike, *, resume: bool = False, id_field: str = "id"):
        self.path = Path(path)
        self.done: set[str] = set()
        if self.path.is_dir():
            raise InvalidInputError(f"output {str(self.path)!r} is a directory; give a file path")
        if self.path.exists() and self.path.stat().st_size > 0:
            if not resume:
                raise InvalidInputError(
                    f"output {str(self.path)!r} already exists; pass --resume to continue it, "
                    "or remove it to start again"
                )
            self.done = self._recover(id_field)
        try:
            self._file = open(self.path, "ab")
        except OSError as exc:
            raise InvalidInputError(f"output {str(self.path)!r} cannot be written ({exc.strerror or exc})") from None

    def _recover(self, id_field: str) -> set[str]:
        done: set[str] = set()
        good_end = 0
        with open(self.path, "rb") as f:
            for number, line in enumerate(f, start=1):
                complete = line.endswith(b"\n")
                try:
                    obj = json.loads(line)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    obj = None
                if not complete or not isinstance(obj, dict):
                    rest = f.read()
                    if rest.strip():
                        raise InvalidInputError(
                            f"output {str(self.path)!r} line {number} is not a complete JSON object "
                            "and more lines follow; it was not written by this tool, or was edited"
                        )
                    break
                done.add(str(obj.get(id_field)))
                good_end += len(line)
        if good_end < self.path.stat().st_size:
            logger.warning("%s: dropping a torn last line (an interrupted write); it will be redone", self.path)
            with open(self.path, "r+b") as f:
                f.truncate(good_end)
        return done

    def write(self, records: Iterable[dict[str, Any]]) -> None:
        """Write records as one appended block, then flush and fsync."""
        data = b"".join(json.dumps(r, ensure_ascii=False).encode("utf-8") + b"\n" for r in records)
        if not data:
            return
        self._file.write(data)
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
