"""The record pipeline: records in, summaries made block by block, rows out.

Every batch job runs through here, whatever starts it (the ``summarize``
command, Ray Data actors, ``summarize-eval run``):

1. records are read by :mod:`summarize.records` (one reader, one id rule);
2. :func:`summarize_block` summarises one block of records and turns each
   result into one row (:func:`result_row`: one schema, :data:`RESULT_FIELDS`);
3. rows are written by :mod:`summarize.outputs` (appended and fsynced, or
   one shard per block; resumable, exactly once).

:func:`run_job` runs a :class:`Job` (what the command line describes) on the
chosen executor: ``"local"`` loops over blocks here, ``"ray"`` hands the
same block function to Ray Data actors (:mod:`summarize.distributed`).
A block is a few batches (``BLOCK_BATCHES``), so that length-sorting has
something to sort; a killed job loses at most the block in flight.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Any

from .errors import InvalidInputError, InvalidOptionError, SummarizeError, UnsupportedLanguageError, choices
from .records import Record, read_records

BLOCK_BATCHES = 4
EXECUTORS = ("local", "ray")
OUTPUT_FORMATS = ("text", "json", "jsonl", "parquet")

# The one row schema, for every output: name -> Arrow type (for Parquet).
RESULT_FIELDS = (
    ("id", "string"), ("summary", "string"), ("error", "string"), ("error_kind", "string"),
    ("source_lang", "string"), ("target_lang", "string"), ("lang_detected", "bool_"),
    ("method", "string"), ("model", "string"), ("revision", "string"), ("backend", "string"),
    ("input_tokens", "int64"), ("output_tokens", "int64"), ("chunked", "bool_"),
    ("truncated", "bool_"), ("chunks", "int64"), ("seconds", "float64"),
    ("faithfulness", "float64"), ("unsupported_facts", "list<string>"), ("reranked", "bool_"), ("first_choice", "string"), ("vocabulary", "string"),
    ("title", "string"),
)


def error_message(exc: BaseException) -> str:
    """The one line an error row carries: the library's own message, or the internal error named.

    >>> error_message(InvalidInputError("the text is empty"))
    'the text is empty'
    >>> error_message(RuntimeError("boom"))
    "internal error: RuntimeError('boom')"
    """
    return str(exc) if isinstance(exc, SummarizeError) else f"internal error: {exc!r}"


ERROR_KINDS = ("permanent", "transient")


def error_kind(exc: BaseException) -> str:
    """``"permanent"`` for bad input (retrying gives the same error), else ``"transient"``.

    Malformed records, empty texts, unsupported languages and bad options are
    permanent; out-of-memory and internal errors are transient, and a resumed
    job retries them.

    >>> error_kind(InvalidInputError("the text is empty")), error_kind(MemoryError())
    ('permanent', 'transient')
    """
    return "permanent" if isinstance(exc, (InvalidInputError, InvalidOptionError, UnsupportedLanguageError)) else "transient"


def result_row(record_id: Any, result: Any) -> dict[str, Any]:
    """One output row for a record: its summary and metadata, or its error and its kind.

    Every row has every field of :data:`RESULT_FIELDS`, in that order, ``None``
    where it does not apply (a failed record has no summary, a summary no error).

    >>> row = result_row("a", InvalidInputError("the text is empty"))
    >>> {k: v for k, v in row.items() if v is not None}
    {'id': 'a', 'error': 'the text is empty', 'error_kind': 'permanent'}
    >>> list(row) == [name for name, _ in RESULT_FIELDS]
    True
    """
    if isinstance(result, BaseException):
        values = {"error": error_message(result), "error_kind": error_kind(result)}
    else:
        values = result.to_dict()
    return {name: record_id if name == "id" else values.get(name) for name, _ in RESULT_FIELDS}


def result_table(rows: Sequence[dict[str, Any]]):
    """Rows as an Arrow table with the full schema (absent fields are null, ids are strings)."""
    import pyarrow as pa

    def arrow_type(kind: str):
        return pa.list_(pa.string()) if kind == "list<string>" else getattr(pa, kind)()

    schema = pa.schema([(name, arrow_type(kind)) for name, kind in RESULT_FIELDS])
    columns: dict[str, list[Any]] = {name: [] for name, _ in RESULT_FIELDS}
    for row in rows:
        for name in columns:
            value = row.get(name)
            columns[name].append(str(value) if name == "id" and value is not None else value)
    return pa.table(columns, schema=schema)


Block = list[tuple[Record, Any]]


def summarize_block(summarizer: Any, records: Sequence[Record], **options: Any) -> Block:
    """Summarise one block of records: ``[(record, Summary or exception), ...]`` in input order.

    Records that carry an error get it back as an exception; the others are
    summarised together with ``errors="return"``, so one bad text fails alone.
    :func:`block_rows` turns the block into output rows.

    Args:
        summarizer: a :class:`~summarize.Summarizer`.
        records: the block.
        **options: for :meth:`~summarize.Summarizer.summarize` (``lang``, ``target_lang``...).
    """
    results: list[Any] = [r.text if r.error is None else InvalidInputError(r.error) for r in records]
    good = [i for i, r in enumerate(results) if isinstance(r, str)]
    if good:
        summaries = summarizer.summarize([results[i] for i in good], errors="return", **options)
        for i, summary in zip(good, summaries):
            results[i] = summary
    return list(zip(records, results))


def block_rows(block: Block) -> list[dict[str, Any]]:
    """The output rows of a summarised block."""
    return [result_row(record.id, result) for record, result in block]


def summarize_records(summarizer: Any, records: Iterable[Record], **options: Any) -> Iterator[Block]:
    """Yield :func:`summarize_block`'s output one block at a time, in input order.

    >>> from summarize import Summarizer
    >>> lead = Summarizer(method="lead", sentences=1)
    >>> for block in summarize_records(lead, [Record("a", "Ціни зросли. Уряд мовчить.", 1)]):
    ...     print([(record.id, summary.text) for record, summary in block])
    [('a', 'Ціни зросли.')]
    """
    it = iter(records)
    while block := list(islice(it, summarizer.batch_size * BLOCK_BATCHES)):
        yield summarize_block(summarizer, block, **options)


@dataclass(frozen=True)
class Job:
    """A batch job, as the command line describes it.

    Attributes:
        inputs: files (``"-"`` is stdin), or for Ray paths and globs.
        input_format: ``"text"``, ``"jsonl"``, ``"csv"`` or ``"parquet"``.
        text_field, id_field: where structured records keep text and id.
        output: a file (JSONL), a directory (shards), or ``None`` (rows are
            returned in :attr:`JobResult.rows`).
        output_format: ``"text"``, ``"json"``, ``"jsonl"`` or ``"parquet"``.
        resume: skip ids already in ``output``.
        summarizer: keyword arguments for :class:`~summarize.Summarizer`.
        options: keyword arguments for its ``summarize`` (``lang``, ``target_lang``).
        executor: ``"local"`` or ``"ray"``.
        ray: ``address``, ``concurrency``, ``num_gpus``, ``num_cpus`` for Ray.
        max_chars: longest text accepted (a larger file is refused unread).
    """

    inputs: tuple[str, ...]
    input_format: str = "text"
    text_field: str = "text"
    id_field: str = "id"
    output: str | None = None
    output_format: str = "jsonl"
    resume: bool = False
    summarizer: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    executor: str = "local"
    ray: dict[str, Any] = field(default_factory=dict)
    max_chars: int | None = None


@dataclass
class JobResult:
    """What a job did: counts, and the rows when they were not written to ``output``."""

    ok: int = 0
    failed: int = 0
    skipped: int = 0
    skipped_failed: int = 0  # of skipped: permanent errors of an earlier run, not retried
    rows: list[dict[str, Any]] = field(default_factory=list)
    output: str | None = None


class JobInterrupted(KeyboardInterrupt):
    """Ctrl-C during a job, with what the job had done (:attr:`result`) when it came."""

    def __init__(self, result: JobResult):
        super().__init__()
        self.result = result


def run_job(job: Job, stdin: IO[bytes] | None = None, *, on_block: Callable[[Block], None] | None = None) -> JobResult:
    """Run a job on its executor; ``on_block`` sees each block before it is written.

    Raises:
        InvalidInputError: the job cannot start (an output that exists without
            ``resume``, a missing input file...).
    """
    if job.executor not in EXECUTORS:
        raise InvalidInputError(f"unknown executor {job.executor!r}; valid executors are {choices(EXECUTORS)}")
    if job.executor == "ray":
        from .distributed import run_ray_job

        return run_ray_job(job)
    return _run_local(job, stdin, on_block)


def open_output(job: Job):
    """The writer for a job's output (``None`` when rows are returned instead)."""
    from .outputs import ResultWriter, ShardWriter

    if job.output is None or job.output_format in ("text", "json"):
        return None
    if job.output_format == "parquet":
        return ShardWriter(job.output, "parquet", resume=job.resume)
    return ResultWriter(job.output, resume=job.resume, id_field="id")


class DeferredSummarizer:
    """A :class:`~summarize.Summarizer` built when a text first needs its model.

    Until then each text's languages are checked against the model's preset
    (the language policy, :func:`summarize.presets.check_languages`): a job
    that asks ``bart-cnn`` for Ukrainian fails at once, with the presets that
    can, instead of first downloading a model it cannot use.
    """

    def __init__(self, options: dict[str, Any]):
        from .options import check_options

        check_options(options)
        self.options = options
        self.batch_size = options.get("batch_size", 8)
        self._summarizer: Any = None

    def summarize(self, texts: list[str], *, lang: str = "auto", target_lang: str | None = None, **options: Any) -> list[Any]:
        if self._summarizer is None and self.options.get("method", "abstractive") == "abstractive":
            refused = [self._refusal(t, lang, target_lang) for t in texts]
            if all(refused):
                return refused
        if self._summarizer is None:
            from .summarizer import Summarizer

            self._summarizer = Summarizer(**self.options)
        return self._summarizer.summarize(texts, lang=lang, target_lang=target_lang, **options)

    def _refusal(self, text: str, lang: str, target_lang: str | None) -> BaseException | None:
        from .checkpoints import resolve_model
        from .errors import SummarizeError
        from .languages import detect_language
        from .presets import check_languages

        try:
            preset, _ = resolve_model(self.options.get("model", "xlsum"))
            if preset is None:
                return None  # its languages are known only from the checkpoint
            text_lang = detect_language(text) if lang == "auto" else lang
            check_languages(text_lang, target_lang or text_lang, model=preset.name, preset=preset)
        except SummarizeError as exc:
            return exc
        return None


def _run_local(job: Job, stdin: IO[bytes] | None, on_block: Callable[[Block], None] | None) -> JobResult:
    import io

    writer = open_output(job)
    done = writer.done if writer else set()
    failed_before = getattr(writer, "failed", set())
    result = JobResult(output=job.output)
    summarizer = DeferredSummarizer(job.summarizer)

    def todo() -> Iterator[Record]:
        records = read_records(
            job.inputs, job.input_format, stdin if stdin is not None else io.BytesIO(),
            text_field=job.text_field, id_field=job.id_field, max_chars=job.max_chars,
        )
        for record in records:
            if record.key in done:
                result.skipped += 1
                result.skipped_failed += record.key in failed_before
            else:
                yield record

    try:
        for block in summarize_records(summarizer, todo(), **job.options):
            if on_block:
                on_block(block)  # before writing: it may stop the job (a single text that failed)
            rows = block_rows(block)
            if writer:
                writer.write(rows)
            else:
                result.rows.extend(rows)
            failed = sum(row.get("error") is not None for row in rows)
            result.failed += failed
            result.ok += len(rows) - failed
    except KeyboardInterrupt:
        raise JobInterrupted(result) from None
    finally:
        if writer:
            writer.close()
    return result
