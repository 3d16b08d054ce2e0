"""``summarize-eval published``: the presets' published rows, measured again, in one table.

Every published score of a preset (:attr:`summarize.presets.Preset.published`)
is a row: XL-Sum en/uk/ru with ``xlsum``, CrossSum's directions with
``crosssum``, CNN/DailyMail with ``bart-cnn``, Gazeta (v1 and v2) with
``gazeta``. Each row is one ordinary run (:func:`summarize_eval.runs.run_evaluation`,
the preset's published protocol, the dataset at the revision the numbers
were measured on) in its own directory under ``out``, on a reproducible
sample (``limit`` examples drawn with ``seed``), resumable. The table puts
the published number beside the measured one, its 95% bootstrap interval,
the difference and the interval of the difference, and the protocol and
data each row followed.

A sample gives an interval, not the paper's number: a row is *consistent*
when the published number lies inside the measured interval. On a machine
with network access and a GPU, ``--limit`` omitted, it is the reproduction.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarize.errors import InvalidInputError, SummarizeError, choices
from summarize.presets import PRESETS

logger = logging.getLogger(__name__)

HUB_IDS = {"xlsum": "csebuetnlp/xlsum", "crosssum": "csebuetnlp/CrossSum", "cnn_dailymail": "abisee/cnn_dailymail",
           "gazeta": "IlyaGusev/gazeta"}


@dataclass(frozen=True)
class Row:
    """One published score: which preset, on which data, and the numbers."""

    name: str
    preset: str
    dataset: str
    lang: str
    target_lang: str
    revision: str | None
    published: Any


def published_rows() -> list[Row]:
    """Every preset's published scores, as rows named ``preset:lang`` (``preset:lang-target`` across languages, ``@revision``).

    >>> [row.name for row in published_rows()][-3:]
    ['bart-cnn:en', 'gazeta:ru@v1.0', 'gazeta:ru@v2.0']
    """
    rows = []
    for preset in PRESETS.values():
        for p in preset.published:
            pair = p.lang if p.lang == p.target_lang else f"{p.lang}-{p.target_lang}"
            name = f"{preset.name}:{pair}" + (f"@{p.data_revision}" if p.data_revision else "")
            rows.append(Row(name, preset.name, HUB_IDS[p.dataset], p.lang, p.target_lang, p.data_revision, p))
    return rows


def run_published(out_dir: str | Path, *, rows: list[str] | None = None, limit: int | None = None, seed: int = 0,
                  **run_options: Any) -> dict[str, Any]:
    """Run every published row (or those named in ``rows``) and write ``published.json`` and ``published.md``."""
    from .predictions import started
    from .runs import run_evaluation

    known = published_rows()
    if rows:
        unknown = [r for r in rows if r not in {k.name for k in known}]
        if unknown:
            raise InvalidInputError(f"unknown row(s) {unknown}; rows are {choices([k.name for k in known])}")
        known = [k for k in known if k.name in rows]
    out = Path(out_dir)
    results = []
    for row in known:
        folder = out / row.name.replace(":", "_").replace("@", "_")
        logger.info("%s: running into %s", row.name, folder)
        try:
            scores = run_evaluation(
                dataset=row.dataset, lang=row.lang, target_lang=row.target_lang, model=row.preset, out_dir=folder,
                limit=limit, seed=seed, dataset_revision=row.revision, resume=started(folder),
                **run_options,
            )
        except SummarizeError as exc:
            logger.warning("%s failed: %s", row.name, exc)
            results.append({"row": row.name, "dir": str(folder), "error": str(exc)})
            continue
        results.append({"row": row.name, "dir": str(folder), **_measured(row, scores)})
    table = {"limit": limit, "seed": seed, "rows": results}
    out.mkdir(parents=True, exist_ok=True)
    (out / "published.json").write_text(json.dumps(table, ensure_ascii=False, indent=2), encoding="utf-8")
    (out / "published.md").write_text(format_published(table), encoding="utf-8")
    return table


def _measured(row: Row, scores: dict[str, Any]) -> dict[str, Any]:
    run = scores["run"]
    system = scores["systems"][run["system"]]
    p = row.published
    metrics = []
    for name, value in (("rouge1", p.rouge1), ("rouge2", p.rouge2), (p.rouge_l, p.rougeL)):
        if value is None:
            continue
        s = system[name]
        metrics.append({
            "metric": name, "published": value, "measured": round(s["f1"], 2), "low": round(s["low"], 2),
            "high": round(s["high"], 2), "difference": round(s["f1"] - value, 2),
            "difference_interval": [round(s["low"] - value, 2), round(s["high"] - value, 2)],
            "consistent": s["low"] <= value <= s["high"], "signature": s["signature"],
        })
    protocol = run["protocol"]
    generation = run.get("generation") or {}
    decoding = ", ".join(f"{k}={generation[k]}" for k in ("num_beams", "length_penalty", "no_repeat_ngram_size",
                                                           "max_new_tokens", "min_new_tokens") if generation.get(k) is not None)
    return {
        "published_source": p.source, "approximate": p.approximate, "examples": run["scored"], "failed": run["failed"],
        "protocol": (f"input truncated at {protocol['max_input_tokens']} tokens; {decoding}; ROUGE `{protocol['scoring']}`"
                     + (f"; settings from {protocol['source']}" if protocol.get("source") else "")),
        "data": f"{run['data']['kind']} at {run['data']['revision']} (commit {str(run['data']['commit'])[:12]})",
        "model": run["model"], "revision": run.get("revision"), "metrics": metrics,
    }


def format_published(table: dict[str, Any]) -> str:
    """``published.md``: published against measured, row by row."""
    sample = f"a sample of {table['limit']} examples per row (seed {table['seed']})" if table["limit"] else "whole test sets"
    lines = [
        "# Published scores, measured again", "",
        f"Measured on {sample}. ROUGE F1 x100; the interval is the 95% bootstrap interval of the measured score, "
        "and of its difference from the published one. A row is consistent when the published number lies in the interval.",
        "",
        "| row | metric | published | measured (95% interval) | difference (interval) | consistent |",
        "|---|---|---|---|---|---|",
    ]
    for r in table["rows"]:
        if "error" in r:
            lines.append(f"| {r['row']} | – | – | failed: {r['error']} | – | – |")
            continue
        for m in r["metrics"]:
            mark = "≈" if r["approximate"] else ""
            lines.append(
                f"| {r['row']} | {m['metric']} | {mark}{m['published']:.2f} | {m['measured']:.2f} ({m['low']:.2f}–{m['high']:.2f}) "
                f"| {m['difference']:+.2f} ({m['difference_interval'][0]:+.2f} to {m['difference_interval'][1]:+.2f}) "
                f"| {'yes' if m['consistent'] else 'no'} |")
    lines += ["", "≈: read off a plot in the paper, not from a table.", "", "## What each row followed", ""]
    for r in table["rows"]:
        if "error" not in r:
            lines.append(f"- **{r['row']}** ({r['examples']} examples, {r['failed']} failed): {r['model']}"
                         f"{' @ ' + r['revision'] if r.get('revision') else ''}; {r['protocol']}; data: {r['data']}; "
                         f"published: {r['published_source']}.")
    return "\n".join(lines) + "\n"
