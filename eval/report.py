"""report.md and a bar chart of a run's scores."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

SHOWN = ("rouge1", "rouge2", "rougeL", "rougeLsum")


def _cell(score: dict[str, Any] | None) -> str:
    if not score:
        return "–"
    return f"{score['f1']:.2f} ({score['low']:.2f}–{score['high']:.2f})"


def write_report(out_dir: Path, scores: dict[str, Any]) -> Path:
    """Write ``report.md``: one row per system, published numbers beside them."""
    meta = scores["run"]
    protocol = meta.get("protocol") or {}
    speed = f"{meta['docs_per_second']:.3f} docs/s" + (
        f" (measured in {meta['speed_from']})" if meta.get("speed_from") else " generated in this run"
    )
    failed = (
        f"**{meta['failed']} failed generations**, left out of every system's scores (ids in scores.json)"
        if meta["failed"] else "no failed generations"
    )
    lines = [
        f"# Evaluation: {meta['model']} on {meta['dataset']} ({meta['lang']}→{meta['target_lang']}, {meta['split']})",
        "",
    ]
    if meta.get("data"):
        from .hub import DataSource

        source = DataSource(**{**meta["data"], "files": tuple(meta["data"]["files"])})
        left_out = meta.get("duplicates_left_out")
        lines += [f"Data: {source.describe()}." + (f" {left_out} rows repeating an earlier id were left out." if left_out else ""), ""]
    lines += [
        f"{meta['examples']} examples, {meta.get('scored', meta['examples'])} scored; {failed}; "
        f"device {meta['device']} ({meta['device_name']}); {speed}.",
        "",
    ]
    if protocol:
        if protocol.get("max_input_tokens") is None:
            how = "an extractive method: it reads the whole input"
        elif protocol["long_input"] == "truncate":
            how = f"input truncated at {protocol['max_input_tokens']} tokens, as published"
        else:
            how = "long input summarised window by window (map-reduce), not as published"
        lines += [
            f"Protocol: {how} ({protocol['truncated_docs']} documents truncated, {protocol['chunked_docs']} chunked); "
            f"ROUGE tokenisation `{protocol['scoring']}`"
            + (f"; settings from {protocol['source']}" if protocol.get("source") else "")
            + ".",
            "",
        ]
    lines += [
        "ROUGE F1 x100, 95% bootstrap interval in brackets.",
        "",
        "| system | ROUGE-1 | ROUGE-2 | ROUGE-L | ROUGE-Lsum |",
        "|---|---|---|---|---|",
    ]
    for name, system in scores["systems"].items():
        lines.append(f"| {name} | " + " | ".join(_cell(system.get(t)) for t in SHOWN) + " |")
    approximate = False
    for pub in scores.get("published", []):
        mark = "≈" if pub.get("approximate") else ""
        approximate = approximate or bool(pub.get("approximate"))
        fmt = lambda v: "–" if v is None else f"{mark}{v:.2f}"  # noqa: E731
        # Each published number sits under the ROUGE variant it is (BART's "L" is ROUGE-Lsum).
        lines.append(f"| published ({pub['source']}) | " + " | ".join(fmt(pub.get(t)) for t in SHOWN) + " |")
    if scores.get("faithfulness"):
        lines += [
            "",
            "Faithfulness: numbers, dates and names of each summary checked against its article "
            "(`summarize.check_faithfulness`), the reference summaries included.",
            "",
            "| system | mean share of supported facts | summaries with an unsupported fact | unsupported by kind |",
            "|---|---|---|---|",
        ]
        for name, f in scores["faithfulness"].items():
            kinds = ", ".join(f"{k} {v}" for k, v in f["by_kind"].items()) or "–"
            lines.append(f"| {name} | {f['mean_score']:.2f} | {f['flagged']:.2f}% | {kinds} |")
    fast = scores.get("compare_fast")
    if fast:
        lines += [
            "",
            f"Fast path (backend {fast['backend']}, vocabulary {fast['vocabulary']}) on the same examples, "
            "difference from the run above (F1 x100): "
            + ", ".join(f"{t} {d:+.2f}" for t, d in fast["difference"].items()) + ".",
        ]
    first = next(iter(scores["systems"].values()))
    lines += ["", f"Signature: `{first['rouge1']['signature']}`", ""]
    if scores.get("published"):
        lines += [
            "Published numbers are the checkpoint authors', on the full test set; a sample (--limit) "
            "gives a noisier estimate of the same quantity: compare with the interval.",
            "",
        ]
        if approximate:
            lines += ["≈: read off a plot in the paper, not from a table.", ""]
    path = out_dir / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def write_chart(out_dir: Path, scores: dict[str, Any]) -> Path | None:
    """A grouped bar chart (PNG) of every system's ROUGE-1/2/L; None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        logger.warning("matplotlib is not installed (pip install 'summarize[plot]'); no chart written")
        return None
    systems = list(scores["systems"])
    types = ("rouge1", "rouge2", "rougeL")
    faithfulness = scores.get("faithfulness") or {}
    fig, axes = plt.subplots(1, 2 if faithfulness else 1, figsize=((1.6 + 1.2 * len(systems)) * (2 if faithfulness else 1), 3.6), squeeze=False)
    ax = axes[0][0]
    width = 0.8 / len(types)
    for k, t in enumerate(types):
        values = [scores["systems"][s][t]["f1"] for s in systems]
        # max(0, ...): every resample equal gives an interval on the score, off by a rounding either way.
        errs = [
            [max(0.0, scores["systems"][s][t]["f1"] - scores["systems"][s][t]["low"]) for s in systems],
            [max(0.0, scores["systems"][s][t]["high"] - scores["systems"][s][t]["f1"]) for s in systems],
        ]
        ax.bar([i + k * width for i in range(len(systems))], values, width, yerr=errs, label=t, capsize=2)
    ax.set_xticks([i + width for i in range(len(systems))], systems, rotation=20)
    ax.set_ylabel("F1 x100")
    ax.set_title(f"{scores['run']['dataset']} ({scores['run']['target_lang']})")
    ax.legend()
    if faithfulness:
        names = list(faithfulness)
        side = axes[0][1]
        side.bar(range(len(names)), [faithfulness[n]["flagged"] for n in names], color="tab:red")
        side.set_xticks(range(len(names)), names, rotation=20)
        side.set_ylabel("% with an unsupported fact")
        side.set_title("faithfulness (lower is better)")
    fig.tight_layout()
    path = out_dir / "scores.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
