r"""Reading records: text files, stdin, JSONL, CSV and Parquet, one rule for ids.

The first step of the record pipeline (:mod:`summarize.jobs`): every
input a job can take becomes a stream of :class:`Record`\ s, each with an id
and either a text or the reason it has none. A record that cannot be read is
an error record, never a stopped job.

The id rule, the same for every format and executor: the ``id_field`` value
when the record has one (a string or number), else the record's line (JSONL)
or row (CSV, Parquet) number, counted from 1; a line that is not a JSON
object, or repeats an id met before, has the id ``"line N"``. When a job
reads several files, those numbers are qualified by the file
(``"in.jsonl:3"``, ``"in.jsonl line 3"``), so that two files' line 1 never
share an id, and an id met in an earlier file is a duplicate too. A text
file's id is its path. So every id appears once in a job's output.

Encodings: every input, a whole file or one JSONL line, is decoded by
:mod:`summarize.decoding`: UTF-8 (a few bad bytes replaced, with a warning
naming the input, the count and the first offset), UTF-16, or a legacy code
page recognised (Windows-1251, KOI8-R/KOI8-U, Windows-1252; the choice is
logged); anything else is refused with the input named and the fix
(``iconv``) given.
"""

from __future__ import annotations

import codecs
import json
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .decoding import decode_bytes
from .errors import InvalidInputError, MissingDependencyError, SummarizeError, choices

logger = logging.getLogger(__name__)

def decode_text(data: bytes, name: str) -> str:
    """An input's bytes as text, by :func:`summarize.decoding.decode_bytes`; says once what it replaced or guessed.

    >>> decode_text("Ціни зросли".encode("cp1251"), "a.txt")
    'Ціни зросли'
    """
    decoded = decode_bytes(data, name)
    message = decoded.warning(name)
    if message:
        (logger.warning if decoded.replaced else logger.info)("%s", message)
    return decoded.text


def read_text_file(path: str | os.PathLike, max_chars: int | None = None) -> str:
    """Read one document from a file, with the checks and decoding above.

    A file of more than ``4 * max_chars`` bytes holds more than ``max_chars``
    characters in any encoding read here, and is refused without being read.
    """
    name = str(path)
    p = Path(path)
    if not p.exists():
        raise InvalidInputError(f"{name}: no such file")
    if p.is_dir():
        raise InvalidInputError(f"{name}: is a directory; give text files, or JSONL with --input-format jsonl")
    if max_chars is not None and p.stat().st_size > 4 * max_chars:
        raise InvalidInputError(
            f"{name}: the text has more than {max_chars:,} characters, more than max_input_chars={max_chars:,}; "
            "split it into documents (JSONL, one a line), or raise the limit"
        )
    try:
        data = p.read_bytes()
    except PermissionError:
        raise InvalidInputError(f"{name}: permission denied") from None
    except OSError as exc:
        raise InvalidInputError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    return decode_text(data, name)


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


def _line_id(name: str, number: int, qualify: bool) -> str:
    return f"{name} line {number}" if qualify else f"line {number}"


def read_jsonl(
    stream: IO[bytes],
    name: str,
    *,
    text_field: str | None = "text",
    id_field: str = "id",
    seen: dict[str, tuple[str, int]] | None = None,
    qualify: bool = False,
) -> Iterator[Record]:
    """Yield a :class:`Record` per non-blank line of a JSONL stream (bytes).

    Bad lines become records with ``error`` set instead of stopping the job:
    malformed JSON, a non-object, a missing or non-string text field, a
    duplicate id. Blank lines are skipped. With ``text_field=None`` no text is
    read; callers take what they need from ``fields``. Memory stays bounded: one line at
    a time, and only the ids are remembered. ``seen`` and ``qualify``: see
    :func:`record_from_object` (a job reading several files shares one ``seen``).
    """
    seen = {} if seen is None else seen
    for number, raw in enumerate(stream, start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        if not raw.strip():
            continue
        try:
            line = decode_text(raw, f"{name} line {number}")
        except InvalidInputError as exc:
            yield Record(_line_id(name, number, qualify), None, number, str(exc))
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Record(_line_id(name, number, qualify), None, number, f"{name} line {number}: malformed JSON ({exc})")
            continue
        if not isinstance(obj, dict):
            yield Record(_line_id(name, number, qualify), None, number, f"{name} line {number}: expected a JSON object, got {type(obj).__name__}")
            continue
        yield record_from_object(obj, number, name, text_field=text_field, id_field=id_field, seen=seen, qualify=qualify)


def record_from_object(
    obj: dict[str, Any],
    number: int,
    name: str,
    *,
    text_field: str | None = "text",
    id_field: str = "id",
    seen: dict[str, tuple[str, int]] | None = None,
    qualify: bool = False,
) -> Record:
    """The :class:`Record` for one JSON object or table row (the id rule is here).

    ``seen`` maps the ids met so far to their file and line, for the
    duplicate check; a duplicate is an error record whose id is its line, so
    that the first record's id stays that record's alone. ``qualify``: the
    job reads several files, so line numbers are qualified by ``name``.

    >>> record_from_object({"id": 7, "text": "Ціни зросли."}, 1, "in.jsonl").key
    '7'
    >>> record_from_object({"body": "x"}, 3, "in.jsonl").error
    "in.jsonl line 3: no field 'text' (fields: 'body'); choose the field with --text-field"
    """
    rid = obj.get(id_field)
    if rid is None or rid == "":
        # No id, a null one (a Parquet column with gaps) or an empty CSV cell: the line number.
        rid = f"{name}:{number}" if qualify else number
    if isinstance(rid, (dict, list)):
        return Record(_line_id(name, number, qualify), None, number, f"{name} line {number}: id field {id_field!r} must be a string or number")
    record = Record(rid, None, number, fields=obj)
    if seen is not None:
        if record.key in seen:
            first_name, first_line = seen[record.key]
            where = f"line {first_line}" if first_name == name else f"{first_name} line {first_line}"
            return Record(_line_id(name, number, qualify), None, number, f"{name} line {number}: duplicate id {rid!r} (first on {where})", fields=obj)
        seen[record.key] = (name, number)
    if text_field is None:
        return record
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
    return record


def read_table(
    path: str,
    fmt: str,
    *,
    text_field: str = "text",
    id_field: str = "id",
    data: bytes | None = None,
    seen: dict[str, tuple[str, int]] | None = None,
    qualify: bool = False,
) -> Iterator[Record]:
    """Yield a :class:`Record` per row of a CSV or Parquet file (rows numbered from 1).

    ``data``: the file's bytes, already read (Ray read tasks pass them).
    """
    try:
        if fmt == "csv":
            import csv
            import io

            text = decode_text(data if data is not None else Path(path).read_bytes(), path)
            rows: Iterable[dict[str, Any]] = list(csv.DictReader(io.StringIO(text, newline="")))
        else:
            try:
                import pyarrow as pa
                import pyarrow.parquet as pq
            except ImportError:
                raise MissingDependencyError("reading Parquet needs pyarrow: pip install pyarrow") from None
            rows = pq.read_table(pa.BufferReader(data) if data is not None else path).to_pylist()
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        raise _file_error(path, exc) from None
    except (UnicodeDecodeError, ValueError, OSError) as exc:
        raise InvalidInputError(f"{path}: cannot be read as {fmt.upper()} ({exc})") from None
    seen = {} if seen is None else seen
    for number, row in enumerate(rows, start=1):
        yield record_from_object(row, number, path, text_field=text_field, id_field=id_field, seen=seen, qualify=qualify)


INPUT_FORMATS = ("text", "jsonl", "csv", "parquet")
# What a file's extension says it is; any other file is a text document.
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def infer_input_format(paths: Sequence[str]) -> str:
    """The input format the files' extensions say (stdin, ``"-"``, takes the files' format).

    >>> infer_input_format(["a.jsonl", "b.ndjson"]), infer_input_format(["a.txt", "-"]), infer_input_format([])
    ('jsonl', 'text', 'text')
    >>> infer_input_format(["a.jsonl", "b.txt"])
    Traceback (most recent call last):
    ...
    summarize.errors.InvalidInputError: the inputs mix formats (a.jsonl is jsonl, b.txt is text); run them separately, or give --input-format
    """
    found: dict[str, str] = {}
    for path in paths:
        if path != "-":
            found.setdefault(EXTENSIONS.get(Path(path).suffix.lower(), "text"), path)
    if len(found) > 1:
        mixed = ", ".join(f"{path} is {fmt}" for fmt, path in found.items())
        raise InvalidInputError(f"the inputs mix formats ({mixed}); run them separately, or give --input-format")
    return next(iter(found), "text")


def _looks_like_jsonl(text: str) -> bool:
    first = text.lstrip()[:1]
    if first not in ("{", "["):
        return False
    try:
        return isinstance(json.loads(text.lstrip().split("\n", 1)[0]), (dict, list))
    except ValueError:
        return False


def _file_error(path: str, exc: OSError) -> InvalidInputError:
    """A file that cannot be opened, said in one line."""
    if isinstance(exc, FileNotFoundError):
        return InvalidInputError(f"{path}: no such file")
    if isinstance(exc, IsADirectoryError):
        return InvalidInputError(f"{path}: is a directory")
    if isinstance(exc, PermissionError):
        return InvalidInputError(f"{path}: permission denied")
    return InvalidInputError(f"{path}: cannot be read ({exc.strerror or exc})")


def parse_file(
    data: bytes, name: str, fmt: str, *, text_field: str = "text", id_field: str = "id", qualify: bool = False
) -> Iterator[Record]:
    """The records of one structured file given as bytes (``jsonl``, ``csv`` or ``parquet``)."""
    if fmt == "jsonl":
        import io

        return read_jsonl(io.BytesIO(data), name, text_field=text_field, id_field=id_field, qualify=qualify)
    return read_table(name, fmt, text_field=text_field, id_field=id_field, data=data, qualify=qualify)


def read_records(
    paths: Sequence[str],
    input_format: str,
    stdin: IO[bytes],
    *,
    text_field: str = "text",
    id_field: str = "id",
    max_chars: int | None = None,
    allow_private_urls: bool = False,
) -> Iterator[Record]:
    """Every record of every input, in order: the one reader behind every job.

    Args:
        paths: files; ``"-"`` (or no path at all) is ``stdin``.
        input_format: ``"text"`` (a file is one document), ``"jsonl"``,
            ``"csv"`` or ``"parquet"``.
        stdin: the stream ``"-"`` reads (bytes).
        text_field: where a structured record keeps its text.
        id_field: where a structured record keeps its id.
        max_chars: a text file too large to hold fewer characters is refused unread.

    Raises:
        InvalidInputError: a structured input file that cannot be opened at
            all (a text file that cannot be read fails its own record).
    """
    paths = list(paths) or ["-"]
    if input_format not in INPUT_FORMATS:
        raise InvalidInputError(f"unknown input format {input_format!r}; valid formats are {choices(INPUT_FORMATS)}")
    # One id space for the whole job: duplicates are checked across files,
    # and with several files line numbers carry their file.
    seen: dict[str, tuple[str, int]] = {}
    qualify = len(paths) > 1
    if input_format == "jsonl":
        for path in paths:
            if path == "-":
                yield from read_jsonl(stdin, "<stdin>", text_field=text_field, id_field=id_field, seen=seen, qualify=qualify)
                continue
            try:
                stream = open(path, "rb")
            except OSError as exc:
                raise _file_error(path, exc) from None
            with stream:
                yield from read_jsonl(stream, path, text_field=text_field, id_field=id_field, seen=seen, qualify=qualify)
        return
    if input_format in ("csv", "parquet"):
        for path in paths:
            if path == "-":
                raise InvalidInputError(f"--input-format {input_format} reads files, not stdin")
            yield from read_table(path, input_format, text_field=text_field, id_field=id_field, seen=seen, qualify=qualify)
        return
    for number, path in enumerate(paths, start=1):
        # A file that cannot be read fails its own record, not the files after it.
        try:
            name = "<stdin>" if path == "-" else path
            from . import webpages  # a saved .html page or an http(s) URL: its article

            text = decode_text(stdin.read(), name) if path == "-" else webpages.read_document(path, allow_private=allow_private_urls) or read_text_file(path, max_chars=max_chars)
            if not text.strip():
                raise InvalidInputError(f"{name}: the text is empty or only white space: nothing to summarise")
            if _looks_like_jsonl(text):
                logger.warning("%s looks like JSON, not text; it is read as one document (for one record a line: --input-format jsonl)", name)
            yield Record(name, text, number)
        except SummarizeError as exc:
            yield Record(path, None, number, str(exc))
