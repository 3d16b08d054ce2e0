"""Evaluation data: hub datasets with built-in layouts and columns, or local files.

``DATASETS`` maps a hub id to a :class:`DatasetSpec`: its columns, its
languages, the revision its published numbers need, and where its data lies
(:mod:`summarize_eval.hub`). Any other hub id is read with
``datasets.load_dataset``; anything given as ``--dataset`` that exists on disk
(or ends in ``.jsonl``, ``.json``, ``.csv``, ``.parquet``) is a local file.

Ids follow the record pipeline's rule (:mod:`summarize.inputs.records`): the id
column's value where there is one, else the row's number counted from 1 in
the dataset's order; a row that repeats an earlier id is left out, with a
warning, as a job leaves out a duplicate record.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from summarize.errors import InvalidInputError, choices
from summarize.languages import LANGUAGES

from .hub import (
    DataSource,
    ParquetExport,
    RawFiles,
    RepositoryParquet,
    jsonl_rows,
    load_repository,
    read_sources,
)

logger = logging.getLogger(__name__)

@dataclass(frozen=True)
class Example:
    """One document with its reference summary."""

    id: str
    text: str
    summary: str


@dataclass(frozen=True)
class DatasetSpec:
    """A built-in hub dataset: its columns, languages, revision and where its data lies.

    ``sources`` are tried in order (:func:`summarize_eval.hub.read_sources`);
    their paths are format strings over ``source`` and ``target`` (the
    languages' English names, as XL-Sum's configs spell them: ``ukrainian``),
    ``split`` and ``raw_split`` (the raw files' name for it: ``val`` for
    ``validation``). ``part`` names the config in the data's signature. ``revision`` is pinned where the published numbers
    depend on it. ``scoring`` is the ROUGE tokenisation they used.
    """

    hub_id: str
    text_field: str
    summary_field: str
    id_field: str | None
    languages: tuple[str, ...]
    sources: tuple = ()
    cross_lingual: bool = False
    split: str = "test"
    scoring: str = "xlsum"
    revision: str = "main"
    part: str = "{source}"
    splits: tuple[str, ...] = ("train", "validation", "test")
    raw_splits: dict[str, str] = field(default_factory=lambda: {"validation": "val"})


DATASETS: dict[str, DatasetSpec] = {
    "csebuetnlp/xlsum": DatasetSpec(
        "csebuetnlp/xlsum", "text", "summary", "id", ("en", "uk", "ru"),
        sources=(ParquetExport("{source}"), RawFiles("data/{source}_XLSum_v2.0.tar.bz2", "{source}_{raw_split}.jsonl")),
    ),
    "csebuetnlp/CrossSum": DatasetSpec(
        "csebuetnlp/CrossSum", "text", "summary", "source_url", ("en", "uk", "ru"), cross_lingual=True, part="{source}-{target}",
        sources=(ParquetExport("{source}-{target}"),
                 RawFiles("data/{source}-{target}_CrossSum.tar.bz2", "{source}-{target}_{raw_split}.jsonl")),
    ),
    # The published 32.4 ROUGE-1 is on v1's test set (5,770 articles); v2 changed it.
    "IlyaGusev/gazeta": DatasetSpec(
        "IlyaGusev/gazeta", "text", "summary", "url", ("ru",), revision="v1.0", part="default",
        # Where its script found the JSONL files, at the top or in data/, or the release's archive.
        sources=(ParquetExport("default"), RawFiles("gazeta_{raw_split}.jsonl"), RawFiles("data/gazeta_{raw_split}.jsonl"),
                 RawFiles("gazeta_jsonl.tar.gz", "gazeta_{raw_split}.jsonl")),
    ),
    # BART's published CNN/DailyMail numbers: rouge-score's tokenizer, Porter stemming, ROUGE-Lsum.
    "abisee/cnn_dailymail": DatasetSpec(
        "abisee/cnn_dailymail", "article", "highlights", "id", ("en",), scoring="google", part="3.0.0",
        sources=(RepositoryParquet("3.0.0/{split}-*.parquet"),),
    ),
}

LOCAL_FORMATS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}


@dataclass(frozen=True)
class Data:
    """An evaluation's examples, what they were read from, and the rows left out as duplicates."""

    examples: list[Example]
    source: DataSource
    duplicates: int = 0


def load_examples(dataset: str, **kwargs) -> list[Example]:
    """The examples of :func:`load_data` (same arguments)."""
    return load_data(dataset, **kwargs).examples


def load_data(
    dataset: str,
    *,
    lang: str,
    target_lang: str | None = None,
    split: str | None = None,
    limit: int | None = None,
    seed: int = 0,
    text_field: str | None = None,
    summary_field: str | None = None,
    id_field: str | None = None,
    config: str | None = None,
    revision: str | None = None,
) -> Data:
    """Load examples from a hub dataset or a local file.

    ``limit`` takes a reproducible random sample of that many (a permutation
    of the rows drawn with ``seed``, kept in that order); without it, every
    example, in the dataset's order. ``revision`` overrides a built-in
    dataset's pinned one; ``config`` names a user's hub dataset's config.
    """
    target = target_lang or lang
    path = Path(dataset)
    if path.suffix.lower() in LOCAL_FORMATS or path.exists():
        ds = _load_local(path, split)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        source = DataSource(str(path), "local", None, digest, (path.name,), "file")
        spec = None
    else:
        spec = DATASETS.get(dataset)
        ds, source = _load_hub(dataset, spec, lang, target, split, config, revision)
    text_field = text_field or (spec.text_field if spec else "text")
    summary_field = summary_field or (spec.summary_field if spec else "summary")
    id_field = id_field or (spec.id_field if spec else "id")
    columns = list(ds.column_names)
    for role, name in (("text", text_field), ("summary", summary_field)):
        if name not in columns:
            raise InvalidInputError(
                f"dataset {dataset!r} has no {role} column {name!r}; its columns are {choices(columns)} "
                f"(choose with --{role}-field)"
            )
    if limit is not None and limit < 1:
        raise InvalidInputError(f"--limit must be >= 1, got {limit}")
    examples, duplicates = _examples(dataset, ds, text_field, summary_field, id_field if id_field in columns else None)
    if duplicates:
        logger.warning("dataset %r: %d rows repeat an earlier id and were left out (choose the id with --id-field)",
                       dataset, duplicates)
    if limit is not None and limit < len(examples):
        import numpy as np

        order = np.random.default_rng(seed).permutation(len(examples))[:limit]
        examples = [examples[int(i)] for i in order]
    if not examples:
        raise InvalidInputError(f"dataset {dataset!r} has no examples")
    return Data(examples, source, duplicates)


def _examples(dataset: str, ds, text_field: str, summary_field: str, id_field: str | None) -> tuple[list[Example], int]:
    """Every row as an :class:`Example`, by the records' id rule; and how many rows repeated an id."""
    from summarize.inputs.records import record_from_object

    seen: dict[str, tuple[str, int]] = {}
    examples, duplicates = [], 0
    for number, row in enumerate(ds.select_columns([c for c in (id_field, text_field, summary_field) if c]), start=1):
        record = record_from_object(row, number, dataset, text_field=None, id_field=id_field or "\0no id", seen=seen)
        if record.error:
            if "duplicate id" in record.error:
                duplicates += 1
                continue
            raise InvalidInputError(record.error)
        text, summary = row[text_field], row[summary_field]
        if not isinstance(text, str) or not isinstance(summary, str):
            raise InvalidInputError(f"dataset {dataset!r}, example {record.key!r}: text and summary must be strings")
        examples.append(Example(record.key, text, summary))
    return examples, duplicates


def _load_local(path: Path, split: str | None):
    if not path.is_file():
        raise InvalidInputError(f"{path}: no such file")
    builder = LOCAL_FORMATS.get(path.suffix.lower())
    if builder is None:
        raise InvalidInputError(f"{path}: unknown file type; use {choices(LOCAL_FORMATS)}")
    import datasets

    if path.suffix.lower() in (".jsonl", ".csv"):
        # Decoded as every input of the library is (summarize.inputs.decoding): a
        # stray byte is a warning, a Windows-1251 file is read as such.
        rows = _text_rows(path)
        try:
            return datasets.Dataset.from_list(rows)
        except Exception as exc:  # noqa: BLE001 - Arrow refuses inconsistent columns in many ways
            raise InvalidInputError(f"{path}: cannot be read as a table: {str(exc).splitlines()[0]}") from exc
    try:
        return datasets.load_dataset(builder, data_files={"data": str(path)}, split="data")
    except Exception as exc:  # noqa: BLE001 - datasets raises many kinds for a bad file
        raise InvalidInputError(f"{path}: cannot be read as {builder}: {str(exc).splitlines()[0]}") from exc


def _text_rows(path: Path) -> list[dict]:
    """The rows of a JSONL or CSV file, decoded by the library's one rule."""
    if path.suffix.lower() != ".csv":
        return jsonl_rows(path.read_bytes(), str(path))
    import csv
    import io

    from summarize.inputs.records import decode_text

    return list(csv.DictReader(io.StringIO(decode_text(path.read_bytes(), str(path)), newline="")))


def _load_hub(dataset: str, spec: DatasetSpec | None, lang: str, target: str, split: str | None,
              config: str | None, revision: str | None):
    if spec is None:
        return load_repository(dataset, config, split or "test", revision)
    if lang not in spec.languages or target not in spec.languages:
        raise InvalidInputError(f"dataset {dataset!r} covers {choices(spec.languages)}, not {lang!r}->{target!r}")
    if target != lang and not spec.cross_lingual:
        raise InvalidInputError(f"dataset {dataset!r} is not cross-lingual; use csebuetnlp/CrossSum for {lang!r}->{target!r}")
    split = split or spec.split
    if split not in spec.splits:
        raise InvalidInputError(f"dataset {dataset!r} has no split {split!r}; its splits are {choices(spec.splits)}")
    if config is not None:
        raise InvalidInputError(f"dataset {dataset!r} picks its config from --lang and --target-lang; drop --config")
    names = {"source": LANGUAGES[lang].name, "target": LANGUAGES[target].name, "split": split,
             "raw_split": spec.raw_splits.get(split, split)}
    names["config"] = spec.part.format(**names)
    return read_sources(dataset, spec.sources, names, revision or spec.revision)


def check_languages(dataset: str, examples: list, lang: str, target: str, sample: int = 20) -> None:
    """Refuse data whose articles or references are mostly in another language than declared."""
    check_language_of(f"articles of {dataset!r}", [e.text for e in examples[:sample]], lang, "--lang")
    flag = "--target-lang" if target != lang else "--lang"
    check_language_of(f"references of {dataset!r}", [e.summary for e in examples[:sample]], target, flag)


def check_language_of(what: str, texts: list[str], declared: str, flag: str, *, action: str = "evaluate") -> None:
    """Refuse ``texts`` if at least 60% of them look like one other language than ``declared``.

    Texts too short to tell (under 20 letters: a number, a word) are not counted.

    Stemming, sentence splitting and the baselines depend on the language:
    a wrong one scores the wrong way without any error.
    """
    from collections import Counter

    from summarize.errors import SummarizeError
    from summarize.languages import detect_language

    found: Counter[str] = Counter()
    for text in texts:
        if sum(ch.isalpha() for ch in text) < 20:
            continue
        try:
            found[detect_language(text)] += 1
        except SummarizeError:
            found["other"] += 1
    if not found:
        return
    best, count = found.most_common(1)[0]
    total = sum(found.values())
    if best != declared and count / total >= 0.6:
        raise InvalidInputError(
            f"the {what} look {best!r} ({count} of {total} sampled), not {declared!r}: "
            f"pass {flag} for their language, or --no-language-check to {action} anyway"
        )
