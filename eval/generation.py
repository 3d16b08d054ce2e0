"""An evaluation's predictions, made by the library's record pipeline: here, or on Ray Data.

One path for every generation a run makes (the model's, and with
``--compare-fast`` the fast path's): examples become records, records are
summarised block by block by :func:`summarize.jobs.summarize_records`
(in this process, or in Ray actors calling the same function), and each
result row becomes a ``predictions.jsonl`` record (:func:`prediction`).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from summarize import Summarizer, TruncationWarning
from summarize.outputs import ResultWriter
from summarize.jobs import block_rows, summarize_records
from summarize.records import Record

from .scoring import backend_signature, signed_scores


def result_rows(
    examples: Sequence[Any], options: dict[str, Any], lang: str, target: str, *,
    summarizer: Any = None, ray: dict[str, Any] | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Result rows for ``examples``, a block at a time, from ``summarizer`` here or from Ray actors.

    Args:
        options: the summarizer's options (the actors build it from them).
        ray: ``address``, ``concurrency``, ``num_gpus`` to run on Ray; None runs here.
    """
    if not examples:
        return
    if ray is None:
        records = [Record(e.id, e.text, i) for i, e in enumerate(examples, start=1)]
        for block in summarize_records(summarizer or Summarizer(**options), records, lang=lang, target_lang=target):
            yield block_rows(block)
        return
    from summarize import distributed

    ray_data = distributed.require_ray().data
    distributed.init_ray(ray.get("address"))
    results = distributed.summarize_dataset(
        ray_data.from_items([{"id": e.id, "text": e.text} for e in examples]),
        concurrency=ray.get("concurrency", 1), num_gpus=ray.get("num_gpus", 0), lang=lang, target_lang=target, **options,
    )
    for batch in results.iter_batches(batch_format="pyarrow", batch_size=options.get("batch_size", 8) * 4):
        yield batch.to_pylist()


def prediction(row: dict[str, Any], reference: str) -> dict[str, Any]:
    """A ``predictions.jsonl`` record from a result row: the prediction, or the error and its kind."""
    if row.get("error") is not None:
        return {"id": row["id"], "error": row["error"], "error_kind": row.get("error_kind"), "reference": reference}
    return {
        "id": row["id"], "prediction": row["summary"], "reference": reference, "seconds": row["seconds"],
        "truncated": row["truncated"], "chunked": row["chunked"],
        "faithfulness": row.get("faithfulness"), "unsupported_facts": row.get("unsupported_facts"),
    }


def read_predictions(path: Path) -> dict[str, dict[str, Any]]:
    """The records an earlier, interrupted run wrote (read once, when resuming)."""
    found: dict[str, dict[str, Any]] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            found[str(record["id"])] = record
    return found


def quiet_truncation(blocks: Iterable[Any], long_input: str) -> Iterator[Any]:
    """Truncation is the protocol, not news: no warning per document (each prediction records it)."""
    with warnings.catch_warnings():
        if long_input == "truncate":
            warnings.simplefilter("ignore", TruncationWarning)
        yield from blocks


def compare_fast(options: dict[str, Any], examples: Sequence[Any], predictions: dict[str, str], lang: str, target: str,
                 rouge: Any, out: Path) -> dict[str, Any]:
    """The same examples through the library's default fast path, scored against the model's own run.

    Both are scored on the examples both summarised: a failed fast
    generation is counted, never scored as an empty summary.
    """
    fast = Summarizer(**{**options, "backend": "auto", "vocabulary": "auto"})
    rows: dict[str, dict[str, Any]] = {}
    with ResultWriter(out / "predictions-fast.jsonl", resume=True) as writer:
        todo = [e for e in examples if e.id not in writer.done]
        for block in quiet_truncation(result_rows(todo, options, lang, target, summarizer=fast), options.get("long_input", "truncate")):
            writer.write(block)
    for line in (out / "predictions-fast.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        rows[str(row["id"])] = row
    both = [e for e in examples if rows.get(e.id, {}).get("summary") is not None]
    references = [e.summary for e in both]
    fast_result = rouge.score(predictions=[rows[e.id]["summary"] for e in both], references=references)
    scored = signed_scores(rouge, fast_result, generation=backend_signature(fast.backend))
    baseline = rouge.score(predictions=[predictions[e.id] for e in both], references=references).to_dict()
    return {
        "backend": fast.backend.name,
        "compute_type": fast.backend.dtype,
        "vocabulary": fast.backend.vocabulary_used,
        "examples": len(both),
        "failed": len(examples) - len(both),
        "systems": {"fast": scored},
        "difference": {t: round(scored[t]["f1"] - baseline[t]["f1"], 4) for t in scored if t in baseline},
    }
