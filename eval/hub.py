"""Reading a dataset from the Hugging Face hub on today's ``datasets``, and saying what was read.

``datasets`` 4 and later no longer run loading scripts, and XL-Sum, CrossSum
and Gazeta are script datasets. Each built-in dataset therefore names where
its data lies (:class:`ParquetExport`, :class:`RawFiles`,
:class:`RepositoryParquet`), tried in that order: the hub viewer's Parquet
export (``refs/convert/parquet``, one folder per config and split), then
the raw files the script would have read, at the dataset's pinned revision.
Files come through ``huggingface_hub`` (so the hub cache serves them
offline) and are read with ``datasets``. A user's own hub dataset goes
through ``datasets.load_dataset``; if it is a script, its Parquet export is
read instead, or the error says what to do.

What was read is a :class:`DataSource`: the kind, the revision asked, the
commit it resolved to and the files, recorded in ``scores.json``, the
report and the ROUGE signature.

The Parquet export follows the repository's current commit: it is used only
when the dataset's revision is ``main``. A dataset whose published numbers
depend on a version (Gazeta's v1 for 32.4 ROUGE-1) pins it, and is read
from its raw files at that revision.
"""

from __future__ import annotations

import json
import os
import tarfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from summarize.checkpoints.loading import offline_mode as offline
from summarize.errors import InvalidInputError, ModelNotAvailableError, SummarizeError, choices

EXPORT_REVISION = "refs/convert/parquet"


@dataclass(frozen=True)
class ParquetExport:
    """The viewer's export: ``{folder}/{split}/*.parquet`` under ``refs/convert/parquet``."""

    folder: str


@dataclass(frozen=True)
class RawFiles:
    """A JSONL file in the repository, or ``member`` of a ``.tar.bz2``/``.tar.gz`` archive there."""

    path: str
    member: str | None = None


@dataclass(frozen=True)
class RepositoryParquet:
    """Parquet files stored in the repository itself (``pattern`` is a glob)."""

    pattern: str


@dataclass(frozen=True)
class DataSource:
    """What an evaluation read: enough to read exactly the same examples again."""

    dataset: str
    kind: str
    revision: str | None
    commit: str | None
    files: tuple[str, ...]
    part: str

    def describe(self) -> str:
        """One line for the report."""
        what = {
            "parquet-export": f"the hub viewer's Parquet export ({EXPORT_REVISION} at commit {self.commit}, of the "
                              "repository's main branch as exported)",
            "raw-archive": f"the raw archive at revision {self.revision} (commit {self.commit})",
            "raw-file": f"the raw file at revision {self.revision} (commit {self.commit})",
            "repository-parquet": f"the repository's Parquet files at revision {self.revision} (commit {self.commit})",
            "repository": f"datasets.load_dataset at revision {self.revision} (commit {self.commit})",
            "local": f"a local file (sha256 {self.commit})",
        }[self.kind]
        return f"{self.dataset} {self.part}, read from {what}: {', '.join(self.files) or '(datasets chose the files)'}"

    def signature(self) -> str:
        """The data as a score's signature names it (``data:``), e.g. ``csebuetnlp/xlsum@1a2b3c4d5e6f:ukrainian/test``."""
        return f"{self.dataset}@{(self.commit or 'unknown')[:12]}:{self.part}"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "files": list(self.files)}


class _Missing(Exception):
    """This source does not hold the part asked for; the reason goes into the final message."""


def online() -> bool:
    """Whether to ask the hub: not in offline mode, and one quick connection succeeds (the model path's rule)."""
    from summarize.checkpoints.loading import hub_reachable

    return not offline() and hub_reachable()


def endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")


def read_sources(dataset: str, sources: tuple, names: dict[str, str], revision: str) -> tuple[Any, DataSource]:
    """The first of ``sources`` that holds the part named by ``names`` (``source``, ``target``, ``split``, ...)."""
    ask = online()
    tried = []
    for source in sources:
        if isinstance(source, ParquetExport) and revision != "main":
            tried.append(f"the Parquet export was skipped (it follows main; this dataset is read at {revision})")
            continue
        try:
            with _hub_errors(dataset, revision):
                return _read(dataset, source, names, revision, ask)
        except _Missing as missing:
            tried.append(str(missing))
    if not ask:
        raise ModelNotAvailableError(
            f"dataset {dataset!r} ({_part(sources[0], names)}) is not in the cache, and the hub ({endpoint()}) "
            + ("is off (HF_HUB_OFFLINE is set)" if offline() else "cannot be reached")
            + ": run once with network access (HF_HOME chooses the cache), or give a local JSONL/CSV/Parquet file")
    raise ModelNotAvailableError(f"dataset {dataset!r}: no source holds {_part(sources[0], names)}: {'; '.join(tried)}")


def _part(source: Any, names: dict[str, str]) -> str:
    """``config/split``, the part of the dataset asked for."""
    return f"{names['config']}/{names['split']}"


def _read(dataset: str, source: Any, names: dict[str, str], revision: str, ask: bool):
    import datasets

    part = _part(source, names)
    if isinstance(source, (ParquetExport, RepositoryParquet)):
        if isinstance(source, ParquetExport):
            pattern, kind, rev = f"{source.folder.format(**names)}/{names['split']}/*.parquet", "parquet-export", EXPORT_REVISION
        else:
            pattern, kind, rev = source.pattern.format(**names), "repository-parquet", revision
        folder, commit = _snapshot(dataset, rev, pattern, ask)
        files = sorted(p.relative_to(folder).as_posix() for p in folder.glob(pattern))
        if not files:
            raise _Missing(_absent(dataset, rev, commit, pattern, ask, kind))
        table = datasets.load_dataset("parquet", data_files=[str(folder / f) for f in files], split="train")
        return table, DataSource(dataset, kind, rev, commit, tuple(files), part)
    path = source.path.format(**names)
    local = _download(dataset, revision, path, ask)
    if source.member:
        # The raw files' split name ("val"), else the hub's ("validation").
        wanted = list(dict.fromkeys(source.member.format(**{**names, "raw_split": s}) for s in (names["raw_split"], names["split"])))
        member, data = _archive_member(local, wanted, dataset)
        rows = jsonl_rows(data, f"{path}:{member}")
        files, kind = (f"{path}:{member}",), "raw-archive"
    else:
        rows = jsonl_rows(local.read_bytes(), path)
        files, kind = (path,), "raw-file"
    return datasets.Dataset.from_list(rows), DataSource(dataset, kind, revision, _commit_of(local, path), files, part)


def _commit_of(local: Path, path: str) -> str | None:
    """The commit of a file in the hub cache: its snapshot folder's name."""
    folder = local
    for _ in Path(path).parts:
        folder = folder.parent
    return folder.name


def _snapshot(dataset: str, revision: str, pattern: str, ask: bool) -> tuple[Path, str]:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError, RevisionNotFoundError

    try:
        folder = Path(snapshot_download(dataset, repo_type="dataset", revision=revision, allow_patterns=[pattern],
                                        local_files_only=not ask))
    except RevisionNotFoundError:
        raise _Missing(f"there is no {'Parquet export' if revision == EXPORT_REVISION else f'revision {revision}'}") from None
    except LocalEntryNotFoundError:
        raise _Missing(f"{pattern} at {revision} is not in the cache") from None
    return folder, folder.name


def _download(dataset: str, revision: str, path: str, ask: bool) -> Path:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError

    try:
        return Path(hf_hub_download(dataset, path, repo_type="dataset", revision=revision, local_files_only=not ask))
    except LocalEntryNotFoundError:
        raise _Missing(f"{path} at {revision} is not in the cache") from None
    except EntryNotFoundError:
        raise _Missing(f"the repository has no {path} at {revision}") from None


def _absent(dataset: str, revision: str, commit: str, pattern: str, ask: bool, kind: str) -> str:
    """Why ``pattern`` matched nothing, with what there is instead (when the hub can say)."""
    what = "the Parquet export" if kind == "parquet-export" else f"revision {revision}"
    if not ask:
        return f"{pattern} of {what} is not in the cache"
    from huggingface_hub import HfApi

    folder = pattern.split("/*")[0].rsplit("/", 1)[0] if kind == "parquet-export" else ""
    try:
        entries = HfApi().list_repo_tree(dataset, repo_type="dataset", revision=commit, path_in_repo=folder or None)
        there = sorted(Path(e.path).name for e in entries)
    except SummarizeError:
        raise
    except Exception:  # noqa: BLE001 - the listing only improves the message
        there = []
    if kind == "parquet-export" and folder and not there:
        return f"{what} has no {folder.split('/')[0]}"
    return f"{what} has no {pattern}" + (f" (it has {choices(there)})" if there else "")


def _archive_member(local: Path, wanted: list[str], dataset: str) -> tuple[str, bytes]:
    """The first of ``wanted`` (file names, at any depth) in the archive, streamed: (name, bytes)."""
    names = []
    try:
        with tarfile.open(local, mode="r:*") as tar:
            for info in tar:
                names.append(info.name)
                if Path(info.name).name in wanted and info.isfile():
                    extracted = tar.extractfile(info)
                    return Path(info.name).name, extracted.read() if extracted else b""
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise InvalidInputError(f"dataset {dataset!r}: {local.name} is not a readable archive ({exc})") from None
    raise _Missing(f"{local.name} holds no {' or '.join(wanted)} (it holds {choices([Path(n).name for n in names][:12])})")


def jsonl_rows(data: bytes, name: str) -> list[dict]:
    """The objects of a JSONL file's bytes (decoded by the library's one rule); a bad line is an error naming it."""
    from summarize.inputs.records import decode_text

    rows = []
    for number, line in enumerate(decode_text(data, name).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"{name} line {number}: malformed JSON ({exc})") from None
        if not isinstance(row, dict):
            raise InvalidInputError(f"{name} line {number}: expected a JSON object, got {type(row).__name__}")
        rows.append(row)
    return rows


class _hub_errors:
    """Turn the hub's answers into one line each (a gated, missing or unreachable dataset)."""

    def __init__(self, dataset: str, revision: str | None):
        self.dataset, self.revision = dataset, revision

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is None or isinstance(exc, (_Missing, SummarizeError)):
            return False
        raise _one_line(self.dataset, self.revision, exc) from exc


def _one_line(dataset: str, revision: str | None, exc: BaseException) -> Exception:
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    page = f"{endpoint()}/datasets/{dataset}"
    if isinstance(exc, GatedRepoError):
        return ModelNotAvailableError(
            f"dataset {dataset!r} is gated: ask for access at {page}, then log in (hf auth login) or set HF_TOKEN")
    if isinstance(exc, RepositoryNotFoundError):
        return ModelNotAvailableError(f"dataset {dataset!r} is not on the hub ({endpoint()}), or is private: check the id, or log in")
    if isinstance(exc, RevisionNotFoundError):
        return InvalidInputError(f"dataset {dataset!r} has no revision {revision!r} (see {page} for its branches and tags)")
    if isinstance(exc, (OfflineModeIsEnabled, ConnectionError, TimeoutError)) or _lost_connection(exc):
        return ModelNotAvailableError(f"dataset {dataset!r}: the hub ({endpoint()}) stopped answering: {type(exc).__name__}")
    if isinstance(exc, HfHubHTTPError):
        status = getattr(getattr(exc, "response", None), "status_code", "?")
        return ModelNotAvailableError(f"dataset {dataset!r}: the hub answered {status}: {str(exc).splitlines()[0]}")
    return exc if isinstance(exc, Exception) else RuntimeError(str(exc))


def _lost_connection(exc: BaseException) -> bool:
    """A connection refused or timed out, whichever HTTP client huggingface_hub uses (httpx, httpx2, requests)."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"ConnectError", "ConnectTimeout", "TimeoutException", "ReadTimeout", "ConnectionError"})


def load_repository(dataset: str, config: str | None, split: str, revision: str | None) -> tuple[Any, DataSource]:
    """A user's own hub dataset through ``datasets.load_dataset``; a script's Parquet export instead of the script."""
    import datasets

    if not offline() and not online():
        raise ModelNotAvailableError(
            f"dataset {dataset!r}: the hub ({endpoint()}) cannot be reached; if datasets cached it before, "
            "HF_HUB_OFFLINE=1 reads it from the cache, or give a local JSONL/CSV/Parquet file")
    commit = None
    with _hub_errors(dataset, revision):
        if not offline():
            from huggingface_hub import HfApi

            commit = HfApi().dataset_info(dataset, revision=revision or "main").sha
        try:
            table = datasets.load_dataset(dataset, config, split=split, revision=commit or revision)
        except RuntimeError as exc:
            if "scripts are no longer supported" not in str(exc):
                raise
            return _script_export(dataset, config, split, str(exc).rsplit(" ", 1)[-1])
        except ConnectionError:
            if not offline():
                raise
            raise ModelNotAvailableError(
                f"dataset {dataset!r} is not in datasets' cache, and the hub is off (HF_HUB_OFFLINE is set): run once "
                "with network access, or give a local JSONL/CSV/Parquet file") from None
        except datasets.exceptions.DatasetNotFoundError as exc:
            raise ModelNotAvailableError(f"dataset {dataset!r}: {str(exc).splitlines()[0]}") from None
        except ValueError as exc:
            raise InvalidInputError(f"dataset {dataset!r}: {str(exc).splitlines()[0]}") from None
    return table, DataSource(dataset, "repository", revision or "main", commit, (), f"{config or 'default'}/{split}")


def _script_export(dataset: str, config: str | None, split: str, script: str) -> tuple[Any, DataSource]:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RevisionNotFoundError

    head = f"dataset {dataset!r} is a loading script ({script}), which datasets 4 and later no longer run"
    try:
        configs = sorted(e.path for e in HfApi().list_repo_tree(dataset, repo_type="dataset", revision=EXPORT_REVISION))
    except RevisionNotFoundError:
        raise InvalidInputError(f"{head}, and it has no Parquet export: download its data files and pass one as --dataset FILE") from None
    if config is None and len(configs) == 1:
        config = configs[0]
    if config not in configs:
        raise InvalidInputError(f"{head}; its Parquet export has the configs {choices(configs)}: choose one with --config")
    return read_sources(dataset, (ParquetExport("{config}"),), {"config": config, "split": split}, "main")

