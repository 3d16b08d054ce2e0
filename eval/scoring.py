"""Scoring a run's systems: corpus ROUGE and faithfulness, and every example's numbers for ``compare``.

A run's systems (the model, the baselines) are scored on the same examples
with one :class:`~summarize_eval.metrics.rouge.Rouge` (so the references are
tokenised once, whatever the number of systems), and every system's facts,
the references' too, are checked against the articles. What each example
scored is written to ``per_example.jsonl``, one line per example::

    {"id": "...", "systems": {"mT5_multilingual_XLSum": {"rouge1": 41.2, ..., "faithfulness": 100.0,
     "flagged": 0}, "lead-1": {...}, "reference": {"faithfulness": 50.0, "flagged": 1}}}

so that ``summarize-eval compare`` tests differences between runs on the
very numbers the runs reported, without scoring anything again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .metrics.faithfulness import score_faithfulness
from .metrics.rouge import Rouge

PER_EXAMPLE = "per_example.jsonl"


def score_systems(
    rouge: Rouge, systems: dict[str, list[str]], *, ids: Sequence[str], references: Sequence[str],
    articles: Sequence[str], lang: str, target: str, signature_suffix: str, out: Path,
    system_signatures: dict[str, str] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(ROUGE by system, faithfulness by system, references included); writes ``per_example.jsonl``.

    ``signature_suffix`` (the data read and the sample) is appended to every
    ROUGE signature, so that a score names what it was computed on;
    ``system_signatures`` adds what a system ran on (``|gen:...``, see
    :func:`generation_signature`) to that system's.
    """
    per_example: list[dict[str, dict[str, float]]] = [{} for _ in ids]
    scores: dict[str, Any] = {}
    for name, predictions in systems.items():
        result = rouge.score(predictions=predictions, references=references)
        scores[name] = result.to_dict()
        for score in scores[name].values():
            score["signature"] += (system_signatures or {}).get(name, "") + signature_suffix
        for row, values in zip(per_example, result.per_example):
            row[name] = {t: round(f1, 4) for t, (_, _, f1) in values.items()}
    faithfulness: dict[str, Any] = {}
    for name, summaries in {**systems, "reference": list(references)}.items():
        result = score_faithfulness(sources=articles, summaries=summaries, source_lang=lang, summary_lang=target)
        faithfulness[name] = result.to_dict()
        for row, score, unsupported in zip(per_example, result.scores, result.unsupported):
            row.setdefault(name, {}).update(faithfulness=round(100 * score, 4), flagged=int(bool(unsupported)))
    with open(out / PER_EXAMPLE, "w", encoding="utf-8") as f:
        for example_id, row in zip(ids, per_example):
            f.write(json.dumps({"id": example_id, "systems": row}, ensure_ascii=False) + "\n")
    return scores, faithfulness


def generation_signature(backend: str, compute_type: str | None, vocabulary: str) -> str:
    """``|gen:BACKEND/COMPUTE TYPE/VOCABULARY``: what produced a model's summaries, for its ROUGE signature.

    >>> generation_signature("ctranslate2", "float32", "top-32000")
    '|gen:ctranslate2/float32/top-32000'
    """
    return f"|gen:{backend}/{compute_type}/{vocabulary}"


def backend_signature(backend: Any) -> str:
    """:func:`generation_signature` of a loaded backend ("" for none: an extractive method)."""
    if backend is None:
        return ""
    return generation_signature(backend.name, backend.dtype, getattr(backend, "vocabulary_used", "full"))


def read_per_example(run_dir: Path) -> dict[str, dict[str, dict[str, float]]]:
    """``per_example.jsonl`` of a run, by example id."""
    found = {}
    with open(run_dir / PER_EXAMPLE, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            found[str(row["id"])] = row["systems"]
    return found
