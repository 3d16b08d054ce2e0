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
from dataclasses import replace
from pathlib import Path
from typing import Any

from .metrics.faithfulness import score_faithfulness
from .metrics.rouge import Rouge, RougeResult

PER_EXAMPLE = "per_example.jsonl"


def score_systems(
    rouge: Rouge, systems: dict[str, list[str]], *, ids: Sequence[str], references: Sequence[str],
    articles: Sequence[str], lang: str, target: str, data: str, sample: str, out: Path,
    generations: dict[str, str | None] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(ROUGE by system, faithfulness by system, references included); writes ``per_example.jsonl``.

    Every ROUGE signature names the ``data`` read and the ``sample``, so that
    a score says what it was computed on, and a system's names what
    generated its summaries (``generations``, see :func:`generation_signature`).
    """
    per_example: list[dict[str, dict[str, float]]] = [{} for _ in ids]
    scores: dict[str, Any] = {}
    for name, predictions in systems.items():
        result = rouge.score(predictions=predictions, references=references)
        scores[name] = signed_scores(rouge, result, generation=(generations or {}).get(name), data=data, sample=sample)
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


def signed_scores(rouge: Rouge, result: RougeResult, **fields: str | None) -> dict[str, Any]:
    """``result.to_dict()``, each score's signature naming also the given fields of its
    :class:`~summarize_eval.metrics.signature.RougeSignature` (``generation``, ``data``, ``sample``).

    >>> rouge = Rouge(lang="uk", rouge_types=["rouge1"], n_bootstrap=0)
    >>> result = rouge.score(predictions=["Ціни зросли"], references=["Ціни зросли"])
    >>> signed_scores(rouge, result, generation="torch/float32/full", sample="all")["rouge1"]["signature"]
    'rouge1|lang:uk|tok:xlsum|stem:none|bs:0|seed:0|v:0.1.0|gen:torch/float32/full|sample:all'
    """
    return {t: {**score, "signature": replace(rouge.signature(t), **fields).format()} for t, score in result.to_dict().items()}


def generation_signature(backend: str, compute_type: str | None, vocabulary: str) -> str:
    """``BACKEND/COMPUTE TYPE/VOCABULARY``: what produced a model's summaries, its ROUGE signature's ``gen:``.

    >>> generation_signature("ctranslate2", "float32", "top-32000")
    'ctranslate2/float32/top-32000'
    """
    return f"{backend}/{compute_type}/{vocabulary}"


def read_per_example(run_dir: Path) -> dict[str, dict[str, dict[str, float]]]:
    """``per_example.jsonl`` of a run, by example id."""
    found = {}
    with open(run_dir / PER_EXAMPLE, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            found[str(row["id"])] = row["systems"]
    return found
