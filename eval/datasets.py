"""Evaluation data: hub datasets with built-in column mappings, or local files.

``DATASETS`` maps a hub id to a :class:`DatasetSpec` (its columns, and the
config for each language). Anything else given as ``--dataset`` is a local
JSONL, JSON, CSV or Parquet file. Everything is read through ``datasets``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from summarize.errors import InvalidInputError, ModelNotAvailableError, choices
from summarize.languages import LANGUAGES


@dataclass(frozen=True)
class Example:
    """One document with its reference summary."""

    id: str
    text: str
    summary: str


@dataclass(frozen=True)
class DatasetSpec:
    """Columns of a hub dataset and how a language (pair) picks its config.

    ``config`` is a format string over ``source`` and ``target`` language
    names (``"{source}"`` for XL-Sum's ``ukrainian``), or a fixed name.
    ``scoring`` is the ROUGE tokenisation scheme its published numbers used.
    """

    hub_id: str
    text_field: str
    summary_field: str
    id_field: str | None
    config: str | None
    languages: tuple[str, ...]
    cross_lingual: bool = False
    split: str = "test"
    scoring: str = "xlsum"


DATASETS: dict[str, DatasetSpec] = {
    "csebuetnlp/xlsum": DatasetSpec("csebuetnlp/xlsum", "text", "summary", "id", "{source}", ("en", "uk", "ru")),
    "csebuetnlp/CrossSum": DatasetSpec(
        "csebuetnlp/CrossSum", "text", "summary", "source_url", "{source}-{target}", ("en", "uk", "ru"), cross_lingual=True
    ),
    "IlyaGusev/gazeta": DatasetSpec("IlyaGusev/gazeta", "text", "summary", "url", None, ("ru",)),
    # BART's published CNN/DailyMail numbers: rouge-score's tokenizer, Porter stemming, ROUGE-Lsum.
    "abisee/cnn_dailymail": DatasetSpec("abisee/cnn_dailymail", "article", "highlights", "id", "3.0.0", ("en",), scoring="google"),
}

LOCAL_FORMATS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}


def load_examples(
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
) -> list[Example]:
    """Load examples from a hub dataset or a local file.

    ``limit`` takes a reproducible random sample of that many (shuffled with
    ``seed``); without it, every example, in file order.
    """
    target = target_lang or lang
    path = Path(dataset)
    if path.suffix.lower() in LOCAL_FORMATS or path.exists():
        ds = _load_local(path, split)
        spec = None
    else:
        spec = DATASETS.get(dataset)
        ds = _load_hub(dataset, spec, lang, target, split)
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
    if limit is not None:
        if limit < 1:
            raise InvalidInputError(f"--limit must be >= 1, got {limit}")
        if limit < len(ds):
            ds = ds.shuffle(seed=seed).select(range(limit))
    examples = []
    seen: set[str] = set()
    for i, row in enumerate(ds):
        rid = str(row[id_field]) if id_field in columns and row[id_field] is not None else str(i)
        if rid in seen:
            raise InvalidInputError(f"dataset {dataset!r}: duplicate id {rid!r}; ids must be unique (choose with --id-field)")
        seen.add(rid)
        text, summary = row[text_field], row[summary_field]
        if not isinstance(text, str) or not isinstance(summary, str):
            raise InvalidInputError(f"dataset {dataset!r}, example {rid!r}: text and summary must be strings")
        examples.append(Example(rid, text, summary))
    if not examples:
        raise InvalidInputError(f"dataset {dataset!r} has no examples")
    return examples


def _load_local(path: Path, split: str | None):
    if not path.is_file():
        raise InvalidInputError(f"{path}: no such file")
    builder = LOCAL_FORMATS.get(path.suffix.lower())
    if builder is None:
        raise InvalidInputError(f"{path}: unknown file type; use {choices(LOCAL_FORMATS)}")
    import datasets

    if path.suffix.lower() in (".jsonl", ".csv"):
        # Decoded as every input of the library is (summarize.decoding): a
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
    import csv
    import io
    import json

    from summarize.records import decode_text

    text = decode_text(path.read_bytes(), str(path))
    if path.suffix.lower() == ".csv":
        return list(csv.DictReader(io.StringIO(text, newline="")))
    rows = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"{path} line {number}: malformed JSON ({exc})") from None
        if not isinstance(row, dict):
            raise InvalidInputError(f"{path} line {number}: expected a JSON object, got {type(row).__name__}")
        rows.append(row)
    return rows


def _load_hub(dataset: str, spec: DatasetSpec | None, lang: str, target: str, split: str | None):
    config = None
    if spec is not None:
        if lang not in spec.languages or target not in spec.languages:
            raise InvalidInputError(f"dataset {dataset!r} covers {choices(spec.languages)}, not {lang!r}->{target!r}")
        if target != lang and not spec.cross_lingual:
            raise InvalidInputError(f"dataset {dataset!r} is not cross-lingual; use csebuetnlp/CrossSum for {lang!r}->{target!r}")
        if spec.config:
            config = spec.config.format(source=LANGUAGES[lang].name, target=LANGUAGES[target].name)
    import datasets

    try:
        return datasets.load_dataset(dataset, config, split=split or (spec.split if spec else "test"))
    except (ConnectionError, OSError) as exc:
        raise ModelNotAvailableError(
            f"dataset {dataset!r} ({config or 'default config'}) is not available offline and the hub "
            f"cannot be reached ({str(exc).splitlines()[0]}); download it once with network access, or "
            "give a local JSONL/CSV/Parquet file"
        ) from exc
    except ValueError as exc:
        raise InvalidInputError(f"dataset {dataset!r}: {str(exc).splitlines()[0]}") from exc
