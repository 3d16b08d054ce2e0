r"""Reading records: text files, stdin, JSONL, CSV and Parquet, one rule for ids.

The first step of the record pipeline (:mod:`summarize.jobs`): every file
of a job's plan (:mod:`summarize.inputs`) becomes a stream of
:class:`Record`\ s, each with an id and either a text or the reason it has
none. A record that cannot be read is an error record, never a stopped job.

The id rule, the same for every format and executor: the ``id_field`` value
when the record has one (a string or number), else the record's line (JSONL)
or row (CSV, Parquet) number, counted from 1; a line that is not a JSON
object, or repeats an id met before, has the id ``"line N"``. When a job
may read several files (the plan's ``qualify``), those numbers are qualified
by the file's name in the plan (``"in.jsonl:3"``, ``"in.jsonl line 3"``), so
that two files' line 1 never share an id, and an id met in an earlier file
of the plan is a duplicate too: the first occurrence keeps the id, a later
one is an error row naming it. A text file's id is its name. So every id
appears once in a job's output, and the same ids whichever executor reads
the files: one reader reads them in order (:func:`read_records`), or each
file is read apart, starting from the ids it shares with earlier files
(:func:`read_file`, :func:`file_ids`, :func:`earlier_ids`: Ray's actors).

Encodings: every input, a whole file or one JSONL line, is decoded by
:mod:`summarize.inputs.decoding`: UTF-8 (a few bad bytes replaced, with a warning
naming the input, the count and the first offset), UTF-16, or a legacy code
page recognised (Windows-1251, KOI8-R/KOI8-U, Windows-1252; the choice is
logged); anything else is refused with the input named and the fix
(``iconv``) given.
"""

from __future__ import annotations

import codecs
import io
import json
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .decoding import decode_bytes
from ..errors import InvalidInputError, MissingDependencyError, SummarizeError
from . import STDIN, InputFile, InputPlan, is_file_system_uri, plan_inputs

logger = logging.getLogger(__name__)

def decode_text(data: bytes, name: str) -> str:
    """An input's bytes as text, by :func:`summarize.inputs.decoding.decode_bytes`; says once what it replaced or guessed.

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
    seen_a_line = False
    stream = _Lines(stream)
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
        first, seen_a_line = not seen_a_line, True  # only a file's first line can make it a JSON document
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            if first and _one_json_document(line, stream):
                yield Record(_line_id(name, number, qualify), None, number, _not_json_lines(name))
                return
            yield Record(_line_id(name, number, qualify), None, number, f"{name} line {number}: malformed JSON ({exc})")
            continue
        if first and _a_list_of_objects(obj):
            yield Record(_line_id(name, number, qualify), None, number, _not_json_lines(name))
            return
        if not isinstance(obj, dict):
            yield Record(_line_id(name, number, qualify), None, number, f"{name} line {number}: expected a JSON object, got {type(obj).__name__}")
            continue
        yield record_from_object(obj, number, name, text_field=text_field, id_field=id_field, seen=seen, qualify=qualify)


# A file whose first line is not JSON is read whole, to tell a JSON document
# from broken JSON lines, only up to this size (a larger one keeps its line errors).
_WHOLE_JSON_BYTES = 64 << 20


def _a_list_of_objects(obj: Any) -> bool:
    """Whether a file's first line is a list of objects: a one-line JSON document, not JSON lines."""
    return isinstance(obj, list) and bool(obj) and all(isinstance(o, dict) for o in obj)


class _Lines:
    """A stream's lines, where the rest can be looked at whole and still be read line by line after."""

    def __init__(self, stream: IO[bytes]):
        self.stream = stream
        self.looked: io.BytesIO | None = None

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> bytes:
        line = self.looked.readline() if self.looked is not None else b""
        line = line or self.stream.readline()
        if not line:
            raise StopIteration
        return line

    def look(self, limit: int) -> bytes:
        """Up to ``limit + 1`` bytes of what is left, which the next lines still give."""
        data = self.stream.read(limit + 1)
        if data and not data.endswith(b"\n"):
            data += self.stream.readline()  # to the end of the line it cut, so that lines stay whole
        self.looked = io.BytesIO(data)
        return data


def _one_json_document(first: str, stream: _Lines) -> bool:
    """Whether ``first`` and the rest of ``stream`` make one JSON document (a pretty-printed ``.json`` file)."""
    if not first.lstrip().startswith(("{", "[")):
        return False
    rest = stream.look(_WHOLE_JSON_BYTES)
    if len(rest) > _WHOLE_JSON_BYTES:
        return False
    try:
        json.loads(first + rest.decode("utf-8", errors="replace"))
    except ValueError:
        return False
    return True


def _not_json_lines(name: str) -> str:
    return (f"{name} is one JSON document, not JSON lines (one object a line): write it one object a line "
            f"(jq -c '.[]' {name}), or give --input-format text to summarise it as a text")


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
    text_field: str | None = "text",
    id_field: str = "id",
    data: bytes | IO[bytes] | None = None,
    seen: dict[str, tuple[str, int]] | None = None,
    qualify: bool = False,
) -> Iterator[Record]:
    """Yield a :class:`Record` per row of a CSV or Parquet file (rows numbered from 1).

    ``data``: the file's bytes, or the file opened (binary, seekable), when
    ``path`` only names it (:func:`read_file` passes it).
    """
    rows = _table_rows(path, fmt, data)
    seen = {} if seen is None else seen
    for number, row in enumerate(rows, start=1):
        yield record_from_object(row, number, path, text_field=text_field, id_field=id_field, seen=seen, qualify=qualify)


def _table_rows(path: str, fmt: str, data: bytes | IO[bytes] | None, *, id_field: str | None = None) -> list[dict[str, Any]]:
    """A table's rows; with ``id_field``, a Parquet file's ids alone (the column read, no other)."""
    try:
        if fmt == "csv":
            import csv
            import io

            raw = data if isinstance(data, bytes) else data.read() if data is not None else Path(path).read_bytes()
            return list(csv.DictReader(io.StringIO(decode_text(raw, path), newline="")))
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise MissingDependencyError("reading Parquet needs pyarrow: pip install pyarrow") from None
        source = pa.BufferReader(data) if isinstance(data, bytes) else data if data is not None else path
        if id_field is None:
            return pq.read_table(source).to_pylist()
        table = pq.ParquetFile(source)
        if id_field not in table.schema_arrow.names:
            return [{} for _ in range(table.metadata.num_rows)]
        return table.read(columns=[id_field]).to_pylist()
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        raise _file_error(path, exc) from None
    except (UnicodeDecodeError, ValueError, OSError) as exc:
        raise InvalidInputError(f"{path}: cannot be read as {fmt.upper()} ({exc})") from None


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




@contextmanager
def _opened(file: InputFile, stdin: IO[bytes] | None = None) -> Iterator[IO[bytes]]:
    """A planned file, open for reading (binary, seekable unless stdin), named by its name when it cannot be."""
    if file.path == STDIN:
        yield stdin if stdin is not None else io.BytesIO()
        return
    if is_file_system_uri(file.path):
        from pyarrow import fs

        try:
            filesystem, path = fs.FileSystem.from_uri(file.path)
            stream: IO[bytes] = io.BufferedReader(filesystem.open_input_file(path))  # type: ignore[arg-type]
        except (OSError, ValueError) as exc:  # the first line: pyarrow's may go on for pages
            raise InvalidInputError(f"{file.name}: cannot be read ({str(exc).splitlines()[0]})") from None
    else:
        try:
            stream = open(file.path, "rb")
        except OSError as exc:
            raise _file_error(file.name, exc) from None
    with stream:
        yield stream


def read_file(
    file: InputFile,
    *,
    stdin: IO[bytes] | None = None,
    text_field: str | None = "text",
    id_field: str = "id",
    seen: dict[str, tuple[str, int]] | None = None,
    qualify: bool = False,
) -> Iterator[Record]:
    """The records of one planned JSONL, CSV or Parquet file: what every executor reads a file with.

    ``seen`` and ``qualify``: see :func:`record_from_object`. A reader of
    one file of several starts ``seen`` with :func:`earlier_ids`' entry for
    it, and gives the records a reader of all of them in order gives.

    Raises:
        InvalidInputError: the file cannot be opened or is not in its format.
    """
    with _opened(file, stdin) as stream:
        if file.format == "jsonl":
            yield from read_jsonl(stream, file.name, text_field=text_field, id_field=id_field, seen=seen, qualify=qualify)
        elif file.format in ("csv", "parquet"):
            yield from read_table(file.name, file.format, text_field=text_field, id_field=id_field, data=stream, seen=seen, qualify=qualify)
        else:
            raise InvalidInputError(f"{file.name}: a {file.format} input is one document, not a file of records")


def file_ids(file: InputFile, *, id_field: str = "id", qualify: bool = False) -> dict[str, int]:
    """The ids a file's records take, each with its first line: what reading it alone puts in ``seen``.

    The cheap pass behind :func:`earlier_ids`: no text is checked, and of a
    Parquet file only the id column is read.
    """
    seen: dict[str, tuple[str, int]] = {}
    if file.format == "parquet":
        with _opened(file) as stream:
            rows = _table_rows(file.name, "parquet", stream, id_field=id_field)
        for number, row in enumerate(rows, start=1):
            record_from_object(row, number, file.name, text_field=None, id_field=id_field, seen=seen, qualify=qualify)
    else:
        for _ in read_file(file, text_field=None, id_field=id_field, seen=seen, qualify=qualify):
            pass
    return {key: line for key, (_, line) in seen.items()}


def earlier_ids(files: Iterable[InputFile], ids: Iterable[dict[str, int]]) -> list[dict[str, tuple[str, int]]]:
    """For each file, its ids first met in an earlier file, and where: the ``seen`` a reader of it alone starts with.

    ``ids``: :func:`file_ids` of each file, in plan order. The first
    occurrence in plan order wins; a later one is an error record naming it,
    so files read apart, in any order and on any machine, give the records
    one reader of all of them gives. Only the ids that repeat across files
    are kept for each file; finding them holds every id once, as one reader does.

    >>> a, b = InputFile("a.jsonl", "jsonl", "a.jsonl"), InputFile("b.jsonl", "jsonl", "b.jsonl")
    >>> earlier_ids([a, b], [{"x": 1, "y": 2}, {"y": 1, "z": 2}])
    [{}, {'y': ('a.jsonl', 2)}]
    """
    first: dict[str, tuple[str, int]] = {}
    found = []
    for file, file_keys in zip(files, ids):
        found.append({key: first[key] for key in file_keys if key in first})
        for key, line in file_keys.items():
            first.setdefault(key, (file.name, line))
    return found


def _read_document(file: InputFile, number: int, stdin: IO[bytes], max_chars: int | None, allow_private_urls: bool) -> Record:
    """A text input's one record; a document that cannot be read fails its own record, not the inputs after it."""
    try:
        from . import webpages  # a saved .html page or an http(s) URL: its article

        if file.path == STDIN:
            text = decode_text(stdin.read(), file.name)
        else:
            text = webpages.read_document(file.path, allow_private=allow_private_urls) or read_text_file(file.path, max_chars=max_chars)
        if not text.strip():
            raise InvalidInputError(f"{file.name}: the text is empty or only white space: nothing to summarise")
        if _looks_like_jsonl(text):
            logger.warning("%s looks like JSON, not text; it is read as one document (for one record a line: --input-format jsonl)", file.name)
        return Record(file.name, text, number)
    except SummarizeError as exc:
        return Record(file.path, None, number, str(exc))


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
        paths: the job's inputs, planned by :func:`summarize.inputs.plan_inputs`
            (files, directories, patterns; ``"-"``, or no path at all, is ``stdin``),
            or their plan (what a job planned before opening its output).
        input_format: ``"auto"`` (from the extensions), ``"text"`` (a file is
            one document), ``"jsonl"``, ``"csv"`` or ``"parquet"``.
        stdin: the stream ``"-"`` reads (bytes).
        text_field: where a structured record keeps its text.
        id_field: where a structured record keeps its id.
        max_chars: a text file too large to hold fewer characters is refused unread.

    Raises:
        InvalidInputError: a structured input file that cannot be opened at
            all (a text file that cannot be read fails its own record).
    """
    plan = paths if isinstance(paths, InputPlan) else plan_inputs(paths, input_format)
    # One id space for the whole job: duplicates are checked across files,
    # and with several files line numbers carry their file.
    seen: dict[str, tuple[str, int]] = {}
    for number, file in enumerate(plan.files, start=1):
        if plan.format == "text":
            yield _read_document(file, number, stdin, max_chars, allow_private_urls)
        else:
            yield from read_file(file, stdin=stdin, text_field=text_field, id_field=id_field, seen=seen, qualify=plan.qualify)
