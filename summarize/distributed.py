"""Summarise corpora on a Ray cluster, with Ray Data.

``pip install "summarize[ray]"``. :func:`summarize_dataset` takes a Ray
Dataset (or JSONL/Parquet paths, which Ray reads) and returns a Ray Dataset
of result rows: ``map_batches`` with a callable class, so each actor loads the
model once; ``concurrency`` actors, ``num_gpus`` each. Presets, backends,
languages, chunking and batching are the :class:`~summarize.Summarizer`'s.

Every input row gives exactly one output row: a record that cannot be
summarised (malformed JSON, missing or empty text, unsupported language, a
failed generation) becomes a row with ``error`` set, never a failed job.
Rows whose id is in ``exclude_ids`` give none, which is how a rerun over the
same output directory does only the missing ids
(:func:`write_dataset_results` and ``summarize --ray`` do this).

Ids must be unique across the input: they are what makes a rerun exactly-once.
A JSONL line that is not valid JSON has no id; its error row gets
``malformed:<hash of the line>``, so that a rerun skips it too.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .errors import InvalidInputError, InvalidOptionError, MissingDependencyError, SummarizeError, choices

logger = logging.getLogger(__name__)

RESULT_FIELDS = (
    ("id", "string"), ("summary", "string"), ("error", "string"),
    ("source_lang", "string"), ("target_lang", "string"), ("lang_detected", "bool_"),
    ("method", "string"), ("model", "string"), ("revision", "string"), ("backend", "string"),
    ("input_tokens", "int64"), ("output_tokens", "int64"), ("chunked", "bool_"),
    ("truncated", "bool_"), ("chunks", "int64"), ("seconds", "float64"),
)


READ_CPUS = 0


def require_ray():
    """Import ray, or say how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise MissingDependencyError('--ray needs Ray Data: pip install "summarize[ray]"') from None
    return ray


def result_schema():
    import pyarrow as pa

    return pa.schema([(name, getattr(pa, kind)()) for name, kind in RESULT_FIELDS])


class SummarizeBatches:
    """The callable class ``map_batches`` runs: one :class:`Summarizer` per actor."""

    def __init__(
        self,
        summarizer_options: dict[str, Any],
        *,
        lang: str = "auto",
        target_lang: str | None = None,
        text_field: str = "text",
        id_field: str = "id",
        raw_lines: bool = False,
        exclude_ids: Iterable[str] = (),
    ):
        from .summarizer import Summarizer

        self.summarizer = Summarizer(**summarizer_options)
        self.lang, self.target_lang = lang, target_lang
        self.text_field, self.id_field, self.raw_lines = text_field, id_field, raw_lines
        self.exclude = frozenset(exclude_ids)

    def _rows(self, batch: dict[str, Any]) -> list[tuple[str | None, str | SummarizeError]]:
        """(id, text or the error that says why there is none) for each input row."""
        n = len(next(iter(batch.values()))) if batch else 0
        rows: list[tuple[str | None, str | SummarizeError]] = []
        for i in range(n):
            if self.raw_lines:
                line = batch["text"][i]
                if not str(line).strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    digest = hashlib.sha1(str(line).encode("utf-8")).hexdigest()[:16]
                    rows.append((f"malformed:{digest}", InvalidInputError(f"malformed JSON ({exc.msg})")))
                    continue
                if not isinstance(obj, dict):
                    digest = hashlib.sha1(str(line).encode("utf-8")).hexdigest()[:16]
                    rows.append((f"malformed:{digest}", InvalidInputError("expected a JSON object")))
                    continue
            else:
                obj = {k: v[i] for k, v in batch.items()}
            rid = obj.get(self.id_field)
            if rid is None:
                rows.append((None, InvalidInputError(f"no id field {self.id_field!r}; --ray needs unique ids")))
                continue
            text = obj.get(self.text_field)
            if not isinstance(text, str):
                what = "no field" if self.text_field not in obj else f"a {type(text).__name__} in field"
                rows.append((str(rid), InvalidInputError(f"{what} {self.text_field!r}, expected text")))
                continue
            rows.append((str(rid), text))
        return [(rid, t) for rid, t in rows if rid not in self.exclude]

    def __call__(self, batch: dict[str, Any]):
        import pyarrow as pa

        rows = self._rows(batch)
        good = [i for i, (_, t) in enumerate(rows) if isinstance(t, str)]
        results: list[Any] = [t for _, t in rows]
        if good:
            summaries = self.summarizer.summarize(
                [rows[i][1] for i in good], lang=self.lang, target_lang=self.target_lang, errors="return"
            )
            for i, s in zip(good, summaries):
                results[i] = s
        columns: dict[str, list[Any]] = {name: [] for name, _ in RESULT_FIELDS}
        for (rid, _), result in zip(rows, results):
            record = {"id": rid}
            if isinstance(result, BaseException):
                record["error"] = str(result) if isinstance(result, SummarizeError) else f"internal error: {result!r}"
            else:
                data = result.to_dict()
                record.update(data, summary=data.pop("text"))
            for name in columns:
                columns[name].append(record.get(name))
        return pa.table(columns, schema=result_schema())


def _read(data: Any, text_field: str):
    """A Ray Dataset from a Dataset, or from JSONL/Parquet paths; and whether rows are raw lines."""
    ray = require_ray()
    if not isinstance(data, (str, Path, list, tuple)):
        return data, False
    paths = [str(p) for p in ([data] if isinstance(data, (str, Path)) else data)]
    if not paths:
        raise InvalidInputError("no input paths given")
    kinds = {Path(p).suffix.lower() for p in paths}
    # Reading is light and reserves no CPU: a read task that waited for one
    # would wait forever on a machine whose every CPU holds an actor.
    if kinds <= {".jsonl", ".json", ".ndjson"}:
        # Lines are parsed by the actors, so that a malformed line becomes an
        # error row instead of failing the read.
        return ray.data.read_text(paths, num_cpus=READ_CPUS), True
    if kinds <= {".parquet"}:
        return ray.data.read_parquet(paths, num_cpus=READ_CPUS), False
    raise InvalidInputError(f"--ray reads .jsonl or .parquet files, got {', '.join(sorted(kinds))}")


def summarize_dataset(
    data: Any,
    *,
    model: str = "xlsum",
    method: str = "abstractive",
    backend: str = "torch",
    device: str = "auto",
    dtype: str = "auto",
    compute_type: str = "auto",
    batch_size: int = 8,
    concurrency: int = 1,
    num_gpus: float = 0,
    num_cpus: float = 1,
    lang: str = "auto",
    target_lang: str | None = None,
    text_field: str = "text",
    id_field: str = "id",
    exclude_ids: Iterable[str] = (),
    long_input: str = "chunk",
    sentences: int = 3,
    **generation_options: Any,
):
    """Add summaries to a Ray Dataset; returns a Dataset of result rows (lazy).

    Args:
        data: a ``ray.data.Dataset`` with ``text_field`` and ``id_field``
            columns, or JSONL / Parquet path(s) or globs.
        concurrency: actors (each loads the model once).
        num_gpus: GPUs per actor (``device`` then defaults to CUDA).
        num_cpus: CPUs per actor; Ray sets the actor's thread count
            (``OMP_NUM_THREADS``) to it, so on CPU give each actor several.
        exclude_ids: ids that already have a result: no row for them.
        Others: as for :class:`~summarize.Summarizer` and its ``summarize``.

    Example (needs Ray)::

        ds = summarize_dataset("archive/*.jsonl", model="xlsum", concurrency=4, num_gpus=1)
        ds.write_parquet("summaries/")
    """
    ray = require_ray()
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidInputError(f"concurrency must be an integer >= 1, got {concurrency!r}")
    options = dict(
        model=model, method=method, backend=backend, device=device, dtype=dtype, batch_size=batch_size,
        long_input=long_input, sentences=sentences, **generation_options,
    )
    if backend == "ctranslate2":
        options["compute_type"] = compute_type
    # Check what can be checked without loading the model on the driver (it
    # may have no GPU, or too little memory); the actors load it.
    from .backends import BACKENDS
    from .generation import validate_options
    from .long_input import LONG_INPUT_MODES
    from .summarizer import METHOD_NAMES

    validate_options(generation_options)
    for name, value, accepted in (("method", method, METHOD_NAMES), ("backend", backend, tuple(BACKENDS)), ("long_input", long_input, LONG_INPUT_MODES)):
        if value not in accepted:
            raise InvalidOptionError(f"unknown {name} {value!r}; valid values are {choices(accepted)}")
    ds, raw = _read(data, text_field)
    return ds.map_batches(
        SummarizeBatches,
        fn_constructor_kwargs=dict(
            summarizer_options=options, lang=lang, target_lang=target_lang, text_field=text_field,
            id_field=id_field, raw_lines=raw, exclude_ids=list(exclude_ids),
        ),
        batch_size=batch_size * 4,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=concurrency),
        num_gpus=num_gpus or None,
        num_cpus=num_cpus,
    )


def done_ids(out_dir: str | Path, fmt: str) -> set[str]:
    """Ids already written to ``out_dir``'s shards; unreadable shards are set aside.

    A shard left half-written by a killed job cannot be read; it is renamed
    ``*.partial`` so that its ids are done again, exactly once.
    """
    out = Path(out_dir)
    found: set[str] = set()
    if not out.is_dir():
        return found
    for shard in sorted(out.glob(f"*.{fmt}")):
        try:
            if fmt == "parquet":
                import pyarrow.parquet as pq

                ids = pq.read_table(shard, columns=["id"]).column("id").to_pylist()
            else:
                ids = []
                with shard.open("rb") as f:
                    for line in f:
                        if not line.endswith(b"\n"):
                            raise ValueError("torn last line")
                        ids.append(json.loads(line)["id"])
        except Exception as exc:  # noqa: BLE001 - any unreadable shard is set aside the same way
            logger.warning("%s cannot be read (%s); setting it aside as .partial, its records will be redone", shard, exc)
            shard.rename(shard.with_name(shard.name + ".partial"))
            continue
        found.update(str(i) for i in ids)
    return found


def count_results(out_dir: str | Path, fmt: str, shards: Sequence[Path]) -> tuple[int, int]:
    """(rows, error rows) in the given shards."""
    rows = errors = 0
    for shard in shards:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            column = pq.read_table(shard, columns=["error"]).column("error")
            rows += len(column)
            errors += len(column) - column.null_count
        else:
            with shard.open("rb") as f:
                for line in f:
                    rows += 1
                    errors += json.loads(line).get("error") is not None
    return rows, errors


def init_ray(address: str | None, num_cpus: int | None = None) -> None:
    """Connect to a cluster at ``address``, or start a local Ray (no dashboard)."""
    ray = require_ray()
    if ray.is_initialized():
        return
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
