"""The input plan: which files a job reads, in which order and format, and under which name.

Every executor starts from :func:`plan_inputs`, so a job reads the same files
in the same order under the same names wherever it runs, and the ids those
names qualify (:mod:`summarize.inputs.records`) are the same here and on Ray: a job
can switch executor on resume and lose or repeat nothing.

An input is:

* a file: itself;
* ``-``: stdin (text or JSONL; no input at all is ``-``);
* a directory: the files under it, recursively, sorted by path, without
  names that start with ``.`` or ``_`` (hidden files, and the ``_SUCCESS``
  and ``_temporary`` Spark and Hadoop leave): Ray Data's rule;
* a pattern (``*``, ``?``, ``[...]``, ``**`` across directories) that is not
  itself a file: the files it matches, sorted, as a shell gives them (dot
  files left out; a directory matched is expanded as above);
* a file system's URI (``s3://``, ``gs://``, ``hdfs://``, ``abfs://``,
  ``file://``: pyarrow's file systems): a file or a directory, as above;
* for text, an ``http(s)`` URL: the page's article.

A JSONL, CSV or Parquet input that names no file is refused here, before
anything is read; a text input that cannot be read fails its own record.

A file's *name* qualifies its ids and names it in messages: the input as
given, or, under a directory or pattern, the path the listing gives
(``archive/part-1.jsonl`` for ``archive``, ``./a.jsonl`` for ``./*.jsonl``,
as a shell would expand it). It is never made absolute, so ids do not depend
on the working directory or the machine; ``a.jsonl`` and ``./a.jsonl`` are
two names, so keep one spelling across a job's runs.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import InvalidInputError, MissingDependencyError, choices

INPUT_FORMATS = ("text", "jsonl", "csv", "parquet")
RECORD_FORMATS = ("jsonl", "csv", "parquet")  # a file of records; any other input is one text document
# What a file's extension says it is; any other file is a text document. Ray
# Data writes JSON lines as ``.json``, so that is JSON lines here too.
EXTENSIONS = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet",
}
STDIN = "-"
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# The URIs listed and read through pyarrow's file systems; any other (http,
# ftp...) is a web page's, which only a text job fetches (or refuses).
_FILE_SYSTEMS = re.compile(r"^(s3|gs|gcs|hdfs|viewfs|abfss?|file)://", re.IGNORECASE)
_PATTERN = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class InputFile:
    """One file of a plan.

    Attributes:
        path: what is opened: the file, ``"-"`` for stdin, or a URI.
        format: ``"text"``, ``"jsonl"``, ``"csv"`` or ``"parquet"``.
        name: what qualifies its ids and names it in messages (``"<stdin>"`` for stdin).
    """

    path: str
    format: str
    name: str

    def located(self) -> InputFile:
        """The same file with an absolute path, for a reader in another directory (a Ray actor); its name unchanged.

        >>> InputFile("a.jsonl", "jsonl", "a.jsonl").located().name
        'a.jsonl'
        """
        if self.path == STDIN or _URI.match(self.path):
            return self
        return replace(self, path=os.path.abspath(self.path))


@dataclass(frozen=True)
class InputPlan:
    """What a job reads: its files in order, their one format, and whether ids carry their file.

    ``qualify``: the job may read several files (several inputs, or a
    directory or pattern, however many files it holds today), so line and
    row numbers are qualified by the file's name (the id rule,
    :mod:`summarize.inputs.records`).
    """

    files: tuple[InputFile, ...]
    format: str
    qualify: bool


def plan_inputs(inputs: str | os.PathLike | Sequence[str | os.PathLike], input_format: str = "auto") -> InputPlan:
    """The files a job's inputs name, in order, with their format and names.

    Args:
        inputs: files, directories, patterns, URIs, ``"-"`` for stdin; none is stdin.
        input_format: ``"auto"`` (from the extensions, :data:`EXTENSIONS`) or one of :data:`INPUT_FORMATS`.

    Raises:
        InvalidInputError: an unknown format, inputs of different formats,
            stdin for CSV or Parquet, or a records input that names no file
            (a text input that does not exist fails its own record instead).

    >>> plan = plan_inputs(["a.txt", "-"])
    >>> plan.format, [f.name for f in plan.files], plan.qualify
    ('text', ['a.txt', '<stdin>'], True)
    """
    given = [os.fspath(inputs)] if isinstance(inputs, (str, os.PathLike)) else [os.fspath(p) for p in inputs]
    given = given or [STDIN]
    if input_format != "auto" and input_format not in INPUT_FORMATS:
        raise InvalidInputError(f"unknown input format {input_format!r}; valid formats are {choices(INPUT_FORMATS)}, or 'auto' (from the extensions)")
    expanded = False
    paths: list[str] = []
    for path in given:
        found = _expand(path, uris=input_format != "text")
        expanded |= found is not None
        paths.extend([path] if found is None else found)
    fmt = infer_input_format(paths) if input_format == "auto" else input_format
    if fmt in RECORD_FORMATS:
        _check_records_inputs(paths, fmt)
    files = tuple(InputFile(p, fmt, "<stdin>" if p == STDIN else p) for p in paths)
    return InputPlan(files, fmt, qualify=len(given) > 1 or expanded)


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
        if path != STDIN:
            found.setdefault(EXTENSIONS.get(Path(path).suffix.lower(), "text"), path)
    if len(found) > 1:
        mixed = ", ".join(f"{path} is {fmt}" for fmt, path in found.items())
        raise InvalidInputError(f"the inputs mix formats ({mixed}); run them separately, or give --input-format")
    return next(iter(found), "text")


def is_file_system_uri(path: str) -> bool:
    """Whether an input is read through a file system's URI (pyarrow's), not as a local path or a web page.

    >>> is_file_system_uri("s3://news/2024/part-1.jsonl"), is_file_system_uri("https://example.org/a"), is_file_system_uri("a.jsonl")
    (True, False, False)
    """
    return bool(_FILE_SYSTEMS.match(path))


def _hidden(relative: str) -> bool:
    return any(part[:1] in (".", "_") for part in re.split(r"[/\\]", relative) if part)


def _expand(path: str, *, uris: bool) -> list[str] | None:
    """The files a directory, a pattern or (with ``uris``) a file system's URI names; None for anything else.

    A file, stdin, a web page's URL and a path that names nothing stay as
    they are: reading them says what they are.
    """
    if path == STDIN:
        return None
    if _URI.match(path):
        return _expand_uri(path) if uris and is_file_system_uri(path) else None
    if os.path.isdir(path):
        return _listing(path)
    if os.path.lexists(path) or not _PATTERN.search(path):
        return None
    found: list[str] = []
    for match in sorted(glob.glob(path, recursive=True)):
        found.extend(_listing(match) if os.path.isdir(match) else [match])
    return found or None


def _listing(directory: str) -> list[str]:
    def refuse(exc: OSError) -> None:
        raise InvalidInputError(f"{exc.filename or directory}: cannot be listed ({exc.strerror or exc})")

    found = []
    for top, dirs, files in os.walk(directory, onerror=refuse):
        dirs[:] = [d for d in dirs if not _hidden(d)]
        found.extend(os.path.join(top, f) for f in files if not _hidden(f))
    if not found:
        raise InvalidInputError(f"{directory}: the directory holds no files (names starting with '.' or '_' are left out)")
    return sorted(found)


def _expand_uri(uri: str) -> list[str] | None:
    try:
        from pyarrow import fs
    except ImportError:
        raise MissingDependencyError(f"reading {uri} needs pyarrow's file systems: pip install pyarrow") from None
    try:
        filesystem, root = fs.FileSystem.from_uri(uri)
        info = filesystem.get_file_info(root)
        if info.type != fs.FileType.Directory:
            return None  # a file, or nothing: opening it says which
        listing = filesystem.get_file_info(fs.FileSelector(root, recursive=True))
    except (OSError, ValueError) as exc:  # the first line: pyarrow's may go on for pages (where it sought libjvm)
        raise InvalidInputError(f"{uri}: cannot be read ({str(exc).splitlines()[0]})") from None
    base = root.rstrip("/") + "/"
    relative = sorted(i.path[len(base):] for i in listing if i.is_file and i.path.startswith(base))
    found = [uri.rstrip("/") + "/" + r for r in relative if not _hidden(r)]
    if not found:
        raise InvalidInputError(f"{uri}: the directory holds no files (names starting with '.' or '_' are left out)")
    return found


def _check_records_inputs(paths: list[str], fmt: str) -> None:
    """Refuse, before anything is read, a records input that cannot be: a missing file, stdin for a table."""
    for path in paths:
        if path == STDIN:
            if fmt != "jsonl":
                raise InvalidInputError(f"--input-format {fmt} reads files, not stdin")
        elif not is_file_system_uri(path) and not os.path.exists(path):
            raise InvalidInputError(f"{path}: {'no file matches this pattern' if _PATTERN.search(path) else 'no such file'}")
