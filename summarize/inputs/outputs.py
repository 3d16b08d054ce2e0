"""Writing result rows: JSONL files and directories of shards, resumable, exactly once.

The last step of the record pipeline (:mod:`summarize.jobs`). Two kinds
of output, one set of rules:

* a **JSONL file** (:class:`ResultWriter`): each block of rows is appended,
  flushed and fsynced before the next block starts;
* a **directory of shards** (:class:`ShardWriter` locally, Ray Data's writers
  on a cluster): each block is one Parquet (or JSON lines) file, written under
  a temporary name and renamed when complete.

Resuming reads what is there (:func:`scan_output`): the ids of finished rows
are done; a torn last line of a JSONL file is cut off, and a shard that cannot
be read is set aside as ``*.partial``, so those records are done again. Rows
whose error is transient (``error_kind == "transient"``: out of memory, an
internal error) are dropped from the output when a job resumes, so that they
are retried and every id still ends up exactly once.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import InvalidInputError
from .rows import result_table

logger = logging.getLogger(__name__)

SHARD_FORMATS = ("parquet", "json")


def _retry(row: dict[str, Any]) -> bool:
    return row.get("error_kind") == "transient"


def _jsonl_bytes(rows: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode("utf-8") + b"\n" for r in rows)


def replace_atomically(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all: a crash leaves the old file, never half of the new."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def scan_jsonl(path: Path, id_field: str = "id", *, repair: bool = True, failed: set[str] | None = None) -> set[str]:
    """Ids of the finished rows of a JSONL result file.

    With ``repair``, a torn last line (a process killed mid-write) is cut off
    and rows with a transient error are removed, so that both are redone.
    ``failed``, if given, receives the ids among them whose row is a
    permanent error (finished, and not retried).

    Raises:
        InvalidInputError: a line other than the last is not a JSON object
            (the file was not written by this library, or was edited).
    """
    done: set[str] = set()
    kept: list[bytes] = []
    good_end = 0
    retried = 0
    with open(path, "rb") as f:
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
                        f"output {str(path)!r} line {number} is not a complete JSON object "
                        "and more lines follow; it was not written by this tool, or was edited"
                    )
                break
            good_end += len(line)
            if _retry(obj):
                retried += 1
                continue
            kept.append(line)
            done.add(str(obj.get(id_field)))
            if failed is not None and obj.get("error") is not None:
                failed.add(str(obj.get(id_field)))
    if not repair:
        return done
    if retried:
        logger.info("%s: %d records failed with a transient error; they will be retried", path, retried)
        replace_atomically(path, b"".join(kept))
    elif good_end < path.stat().st_size:
        logger.warning("%s: dropping a torn last line (an interrupted write); it will be redone", path)
        with open(path, "r+b") as f:
            f.truncate(good_end)
    return done


def _read_shard(shard: Path) -> list[dict[str, Any]]:
    if shard.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(shard).to_pylist()
    rows = []
    with shard.open("rb") as f:
        for line in f:
            if not line.endswith(b"\n"):
                raise ValueError("torn last line")
            rows.append(json.loads(line))
    return rows


def scan_shards(directory: Path, fmt: str, failed: set[str] | None = None) -> set[str]:
    """Ids of the finished rows in a directory of shards.

    A shard that cannot be read is renamed ``*.partial``; a shard holding
    rows with a transient error is rewritten without them. ``failed``: as
    for :func:`scan_jsonl`.
    """
    done: set[str] = set()
    if not directory.is_dir():
        return done
    for shard in sorted(directory.glob(f"*.{fmt}")):
        try:
            rows = _read_shard(shard)
        except Exception as exc:  # noqa: BLE001 - any unreadable shard is set aside the same way
            logger.warning("%s cannot be read (%s); setting it aside as .partial, its records will be redone", shard, exc)
            shard.rename(shard.with_name(shard.name + ".partial"))
            continue
        keep = [r for r in rows if not _retry(r)]
        if len(keep) < len(rows):
            logger.info("%s: %d records failed with a transient error; they will be retried", shard, len(rows) - len(keep))
            _write_shard(shard, keep, fmt)
        done.update(str(r["id"]) for r in keep)
        if failed is not None:
            failed.update(str(r["id"]) for r in keep if r.get("error"))
    return done


def read_rows(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Every row of a job's output: a JSONL file, or a directory of JSON or Parquet shards (in shard order).

    A torn last line (a job killed while writing) is left out, as a resume
    would leave it out.
    """
    path = Path(path)
    if path.is_dir():
        return [row for shard in sorted([*path.glob("*.json"), *path.glob("*.parquet")]) for row in _read_shard(shard)]
    rows = []
    with path.open("rb") as f:
        for line in f:
            if line.endswith(b"\n") and line.strip():
                rows.append(json.loads(line))
    return rows


def count_rows(shards: Sequence[Path]) -> tuple[int, int]:
    """(rows, error rows) in the given shards."""
    rows = errors = 0
    for shard in shards:
        for row in _read_shard(shard):
            rows += 1
            errors += row.get("error") is not None
    return rows, errors


def _write_shard(path: Path, rows: list[dict[str, Any]], fmt: str) -> None:
    if fmt == "json":
        replace_atomically(path, _jsonl_bytes(rows))
        return
    import pyarrow.parquet as pq


    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(result_table(rows), tmp)
    os.replace(tmp, path)


class ResultWriter:
    """Append JSON lines to a file, flushed and synced after every write.

    With ``resume=True`` an existing file is read first (:func:`scan_jsonl`):
    the ids it holds are in :attr:`done`. Without ``resume`` an existing
    non-empty file is an error, so that no finished work is overwritten by
    accident.
    """

    def __init__(self, path: str | os.PathLike, *, resume: bool = False, id_field: str = "id"):
        self.path = Path(path)
        self.done: set[str] = set()
        self.failed: set[str] = set()  # of done: permanent errors, not retried
        if self.path.is_dir():
            raise InvalidInputError(f"output {str(self.path)!r} is a directory; give a file path")
        if self.path.exists() and self.path.stat().st_size > 0:
            if not resume:
                raise InvalidInputError(
                    f"output {str(self.path)!r} already exists; pass --resume to continue it, "
                    "or remove it to start again"
                )
            self.done = scan_jsonl(self.path, id_field, failed=self.failed)
        check_output_path(self.path)
        try:
            self._file = open(self.path, "ab")
        except OSError as exc:
            raise InvalidInputError(f"output {str(self.path)!r} cannot be written ({exc.strerror or exc})") from None

    def write(self, records: Iterable[dict[str, Any]]) -> None:
        """Write records as one appended block, then flush and fsync."""
        data = _jsonl_bytes(records)
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


class ShardWriter:
    """Write each block of rows as one shard file in a directory (Parquet or JSON lines).

    A shard is written under a temporary name and renamed when complete, so a
    killed job leaves whole shards only. With ``resume=True`` the ids already
    in the directory are in :attr:`done`; without it, a directory that
    already holds shards is an error.
    """

    def __init__(self, directory: str | os.PathLike, fmt: str = "parquet", *, resume: bool = False):
        if fmt not in SHARD_FORMATS:
            raise InvalidInputError(f"shard format must be 'parquet' or 'json', got {fmt!r}")
        self.directory = Path(directory)
        self.fmt = fmt
        if self.directory.exists() and not self.directory.is_dir():
            raise InvalidInputError(f"output {str(self.directory)!r} is a file; shards are written into a directory")
        existing = sorted(self.directory.glob(f"*.{fmt}")) if self.directory.is_dir() else []
        if existing and not resume:
            raise InvalidInputError(
                f"output {str(self.directory)!r} already holds shards; pass --resume to continue, "
                "or give an empty directory"
            )
        check_output_path(self.directory)
        self.directory.mkdir(exist_ok=True)
        self.failed: set[str] = set()
        self.done = scan_shards(self.directory, fmt, self.failed) if resume else set()
        self._next = 1 + max((int(p.stem.rsplit("-", 1)[-1]) for p in existing if p.stem.rsplit("-", 1)[-1].isdigit()), default=0)

    def write(self, records: Iterable[dict[str, Any]]) -> None:
        rows = list(records)
        if not rows:
            return
        _write_shard(self.directory / f"part-{self._next:06d}.{self.fmt}", rows, self.fmt)
        self._next += 1

    def close(self) -> None:
        pass

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_output_path(path: str | os.PathLike) -> None:
    """Refuse an output whose directory does not exist, before any work is done."""
    parent = Path(path).expanduser().absolute().parent
    if not parent.is_dir():
        raise InvalidInputError(f"output {str(path)!r}: directory {str(parent)!r} does not exist; create it first")
