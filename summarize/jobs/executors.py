"""Running a :class:`~summarize.jobs.Job`: here, block by block, or on Ray Data.

The top of the record pipeline. :func:`run_job` picks the executor the job
names: ``"local"`` runs :func:`~summarize.jobs.summarize_records` in this
process and writes each block through :mod:`summarize.inputs.outputs` before the
next starts; ``"ray"`` hands the same block function to Ray Data actors
(:func:`summarize.jobs.distributed.run_ray_job`). Both read with the same reader,
write the same rows and resume by the same rule.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from typing import IO

from ..errors import InvalidInputError, choices
from ..options import check_call
from . import EXECUTORS, Block, Job, JobInterrupted, JobResult, block_rows, summarize_records
from ..inputs import STDIN, InputPlan, is_file_system_uri, plan_inputs
from ..inputs.records import Record, read_records
from .deferred import DeferredSummarizer


def run_job(job: Job, stdin: IO[bytes] | None = None, *, on_block: Callable[[Block], None] | None = None) -> JobResult:
    """Run a job on its executor; ``on_block`` sees each block before it is written.

    Raises:
        InvalidInputError: the job cannot start (an output that exists without
            ``resume``, an output that is also an input, a missing input file...).
        InvalidOptionError, UnsupportedLanguageError: the call the job makes
            is refused (:func:`summarize.options.check_call`), whichever the executor.
    """
    if job.executor not in EXECUTORS:
        raise InvalidInputError(f"unknown executor {job.executor!r}; valid executors are {choices(EXECUTORS)}")
    check_call(job.summarizer, job.options)  # before anything is read or loaded, on every executor
    # Planned once, before the output is opened: a directory that holds the
    # output is read as it was, not with the rows being written into it.
    plan = plan_inputs(job.inputs, job.input_format)
    check_output_among_inputs(job.output, plan)
    if job.executor == "ray":
        from .distributed import run_ray_job

        return run_ray_job(job, plan)
    return _run_local(job, plan, stdin, on_block)


def check_output_among_inputs(output: str | None, plan: InputPlan) -> None:
    """Refuse an output that is one of the inputs, or a directory that holds one.

    Writing would empty or grow an input before it is read, and resuming would
    take its records for results.

    >>> check_output_among_inputs("in/out.jsonl", InputPlan((), "jsonl", False))
    """
    if output is None or is_file_system_uri(output):
        return
    target = os.path.realpath(output)
    for file in plan.files:
        if file.path == STDIN or "://" in file.path:
            continue
        path = os.path.realpath(file.path)
        if path == target or path.startswith(target.rstrip(os.sep) + os.sep):
            raise InvalidInputError(f"output={output!r} is also an input ({file.name}): write the results elsewhere")


def open_output(job: Job):
    """The writer for a job's output (``None`` when rows are returned instead)."""
    from ..inputs.outputs import ResultWriter, ShardWriter

    if job.output is None or job.output_format in ("text", "json"):
        return None
    if job.output_format == "parquet":
        return ShardWriter(job.output, "parquet", resume=job.resume)
    return ResultWriter(job.output, resume=job.resume, id_field="id")


def _run_local(job: Job, plan: InputPlan, stdin: IO[bytes] | None, on_block: Callable[[Block], None] | None) -> JobResult:

    writer = open_output(job)
    done = writer.done if writer else set()
    failed_before = getattr(writer, "failed", set())
    result = JobResult(output=job.output)
    summarizer = DeferredSummarizer(job.summarizer)

    def todo() -> Iterator[Record]:
        records = read_records(
            plan, job.input_format, stdin if stdin is not None else io.BytesIO(),
            text_field=job.text_field, id_field=job.id_field, max_chars=job.max_chars or job.summarizer.max_input_chars,
            allow_private_urls=job.allow_private_urls,
        )
        for record in records:
            if record.key in done:
                result.skipped += 1
                result.skipped_failed += record.key in failed_before
            else:
                yield record

    try:
        for block in summarize_records(summarizer, todo(), **job.options.as_dict()):
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
        result.load_seconds, result.backend = summarizer.load_seconds, summarizer.backend
    return result
