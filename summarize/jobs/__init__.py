"""The record pipeline: records in, summaries made block by block, rows out.

Every batch job runs through here, whatever starts it (the ``summarize``
command, Ray Data actors, ``summarize-eval run``), in three layers:

1. records are read by :mod:`summarize.inputs.records` (one reader, one id rule);
2. :func:`summarize_block` summarises one block of records, and
   :func:`block_rows` turns each result into a row (:mod:`summarize.inputs.rows`:
   one schema);
3. rows are written by :mod:`summarize.inputs.outputs` (appended and fsynced, or one
   shard per block; resumable, exactly once, one resume rule).

A :class:`Job` describes a batch job (what the command line asks for); the
executors that run it sit above: :mod:`summarize.jobs.executors` (here, block
by block) and :mod:`summarize.jobs.distributed` (Ray Data actors calling the same
block function). A block is a few batches (``BLOCK_BATCHES``), so that
length-sorting has something to sort; a killed job loses at most the block
in flight.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from ..errors import InvalidInputError
from ..options import CallOptions, SummarizerOptions
from .._moved import typed
from ..inputs.records import Record
from ..inputs.rows import result_row

BLOCK_BATCHES = 4
EXECUTORS = ("local", "ray")
OUTPUT_FORMATS = ("text", "json", "jsonl", "parquet")


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
        summaries = summarizer.summarize([results[i] for i in good], errors="return",
                                         names=[str(records[i].id) for i in good], **options)
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
    while block := list(islice(it, summarizer.options.batch_size * BLOCK_BATCHES)):
        yield summarize_block(summarizer, block, **options)


@dataclass(frozen=True)
class Job:
    """A batch job, as the command line describes it.

    Attributes:
        inputs: files, directories, patterns (``"-"`` is stdin), as
            :func:`summarize.inputs.plan_inputs` plans them for every executor.
        input_format: ``"auto"``, ``"text"``, ``"jsonl"``, ``"csv"`` or ``"parquet"``.
        text_field, id_field: where structured records keep text and id.
        output: a file (JSONL), a directory (shards), or ``None`` (rows are
            returned in :attr:`JobResult.rows`).
        output_format: ``"text"``, ``"json"``, ``"jsonl"`` or ``"parquet"``.
        resume: skip ids already in ``output``.
        summarizer: the :class:`~summarize.options.SummarizerOptions`.
        options: what each call asks (:class:`~summarize.options.CallOptions`: ``lang``, ``target_lang``).
        executor: ``"local"`` or ``"ray"``.
        ray: ``address``, ``concurrency``, ``num_gpus``, ``num_cpus`` for Ray.
        max_chars: longest text file read (a larger one is refused unread);
            ``None``: the summarizer's ``max_input_chars``.
        allow_private_urls: fetch URLs whose host is on a private or loopback network.
    """

    inputs: tuple[str, ...]
    input_format: str = "text"
    text_field: str = "text"
    id_field: str = "id"
    output: str | None = None
    output_format: str = "jsonl"
    resume: bool = False
    summarizer: SummarizerOptions = field(default_factory=SummarizerOptions)
    options: CallOptions = field(default_factory=CallOptions)
    executor: str = "local"
    ray: dict[str, Any] = field(default_factory=dict)
    max_chars: int | None = None
    allow_private_urls: bool = False

    def __post_init__(self) -> None:
        # Before the options were typed, a job took dicts: still read, for one release.
        object.__setattr__(self, "summarizer", typed(self.summarizer, SummarizerOptions, "Job(summarizer=...)"))
        object.__setattr__(self, "options", typed(self.options, CallOptions, "Job(options=...)"))


@dataclass
class JobResult:
    """What a job did: counts, and the rows when they were not written to ``output``."""

    ok: int = 0
    failed: int = 0
    skipped: int = 0
    skipped_failed: int = 0  # of skipped: permanent errors of an earlier run, not retried
    rows: list[dict[str, Any]] = field(default_factory=list)
    output: str | None = None
    load_seconds: float = 0.0  # building the summarizer (loading the model), in this process
    backend: dict[str, str] | None = None  # what generated here: name, device, dtype, vocabulary (None on Ray, or no model)


class JobInterrupted(KeyboardInterrupt):
    """Ctrl-C during a job, with what the job had done (:attr:`result`) when it came."""

    def __init__(self, result: JobResult):
        super().__init__()
        self.result = result
