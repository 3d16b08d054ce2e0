"""An evaluation's predictions, made by the library's record pipeline as a :class:`~summarize.jobs.Job`.

One path for every generation a run makes (the model's, and with
``--compare-fast`` the fast path's), here or on Ray Data: the examples are
written as a JSONL input, a :class:`~summarize.jobs.Job` over it runs through
:func:`summarize.jobs.executors.run_job` (the reader, the id rule, the block
function, the row schema, the sink and its resume rule are the command's),
and each result row becomes a ``predictions.jsonl`` record
(:func:`prediction`).

A run directory holds the job's files: ``examples.jsonl`` (its input) and
its rows, ``rows.jsonl`` here or ``rows/`` (shards) on Ray; a rerun with
``resume`` generates only what they lack, retrying transient failures, as a
``summarize --resume`` does.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from summarize import TruncationWarning
from summarize.jobs.executors import run_job
from summarize.jobs import Job, JobResult
from summarize.options import CallOptions, SummarizerOptions
from summarize.inputs.outputs import read_rows, replace_atomically


def generate(
    examples: Sequence[Any], options: SummarizerOptions, call: CallOptions, out: Path, *, name: str = "rows",
    resume: bool = False, ray: dict[str, Any] | None = None, progress: bool = False,
) -> tuple[dict[str, dict[str, Any]], JobResult]:
    """Every example's result row, by id, and what the job did (counts, load time, the backend that generated).

    Args:
        examples: what to summarise (``id`` and ``text``).
        options, call: the summarizer's options and what each call asks.
        out: the run directory; the job's input is ``examples.jsonl`` there
            (``{name}-examples.jsonl`` for another generation than ``rows``;
            on Ray, one file an actor: ``examples-000.jsonl``...).
        name: the job's output: ``{name}.jsonl`` here, ``{name}/`` on Ray.
        resume: continue the output an earlier call left (else it must not exist).
        ray: ``address``, ``concurrency``, ``num_gpus`` to run on Ray; None runs here.
    """
    _same_job_as_before(out / ("job.json" if name == "rows" else f"{name}-job.json"), options, call, resume)
    stem = "examples" if name == "rows" else f"{name}-examples"
    # Ray spreads a job over its actors file by file: one file an actor. Ids are the examples' own, so
    # the split changes none of them.
    parts = max(1, min(len(examples), int((ray or {}).get("concurrency", 1))))
    inputs = []
    for k in range(parts):
        path = out / (f"{stem}.jsonl" if parts == 1 else f"{stem}-{k:03d}.jsonl")
        replace_atomically(path, "".join(json.dumps({"id": e.id, "text": e.text}, ensure_ascii=False) + "\n"
                                         for e in examples[k::parts]).encode("utf-8"))
        inputs.append(str(path))
    output = rows_path(out, name, ray is not None)
    job = Job(
        inputs=tuple(inputs), input_format="jsonl", output=str(output), output_format="jsonl", resume=resume,
        summarizer=options, options=call, executor="ray" if ray else "local", ray=dict(ray or {}),
    )
    from tqdm import tqdm

    with warnings.catch_warnings(), tqdm(total=len(examples), disable=not progress, unit="doc") as bar:
        if options.long_input == "truncate":
            # Truncation is the protocol, not news: no warning per document (each prediction records it).
            warnings.simplefilter("ignore", TruncationWarning)
        result = run_job(job, on_block=lambda block: bar.update(len(block)))
    return {str(row["id"]): row for row in read_rows(output)}, result


def _same_job_as_before(path: Path, options: SummarizerOptions, call: CallOptions, resume: bool) -> None:
    """Refuse to resume rows made with other options: they would be scored as one system. Record the options."""
    from summarize.errors import InvalidInputError

    now = {"summarizer": options.as_dict(), "call": call.as_dict()}
    now = json.loads(json.dumps(now))  # as it reads back (tuples as lists)
    if resume and path.is_file():
        before = json.loads(path.read_text(encoding="utf-8"))
        changed = sorted(k for part in now for k in {*now[part], *before.get(part, {})}
                         if now[part].get(k) != before.get(part, {}).get(k))
        if changed:
            shown = ", ".join(f"{k} {_value(before, k)!r} -> {_value(now, k)!r}" for k in changed)
            raise InvalidInputError(f"the run in {path.parent} was made with other options ({shown}); resuming would "
                                    "score two configurations as one system: use the same options, or another --out")
    replace_atomically(path, json.dumps(now, ensure_ascii=False, indent=2).encode("utf-8"))


def _value(job: dict[str, Any], key: str) -> Any:
    return next((job[part][key] for part in ("summarizer", "call") if key in job.get(part, {})), None)


def rows_path(out: Path, name: str = "rows", on_ray: bool = False) -> Path:
    """Where a run's job writes its rows: a JSONL file here, a directory of shards on Ray."""
    return out / name if on_ray else out / f"{name}.jsonl"


def kept_rows(out: Path) -> int:
    """Rows an interrupted run has kept (here or on Ray), for the message that says how to go on."""
    return sum(len(read_rows(path)) for path in (rows_path(out), rows_path(out, on_ray=True)) if path.exists())


def started(out: Path) -> bool:
    """Whether a run directory holds a run's rows (a rerun then resumes it)."""
    return rows_path(out).exists() or rows_path(out, on_ray=True).exists()


def prediction(row: dict[str, Any], reference: str) -> dict[str, Any]:
    """A ``predictions.jsonl`` record from a result row: the prediction, or the error and its kind."""
    if row.get("error") is not None:
        return {"id": row["id"], "error": row["error"], "error_kind": row.get("error_kind"), "reference": reference}
    return {
        "id": row["id"], "prediction": row["summary"], "reference": reference, "seconds": row["seconds"],
        "truncated": row["truncated"], "chunked": row["chunked"],
        "faithfulness": row.get("faithfulness"), "unsupported_facts": row.get("unsupported_facts"),
    }


def write_predictions(path: Path, records: Sequence[dict[str, Any]]) -> None:
    """``predictions.jsonl``, written whole (atomically) from the job's rows."""
    replace_atomically(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8"))
