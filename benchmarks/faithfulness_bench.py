"""The fact checker: time per news-length pair, and how often it flags what it should.

    python benchmarks/faithfulness_bench.py            # writes benchmarks/results/faithfulness.{json,md}

Three measurements, each printed and saved:

* **speed**: ``check_faithfulness`` on every (article, summary) pair of the
  example articles in ``examples/`` (the same story in English, Ukrainian
  and Russian; the summary is the first two sentences of an article in the
  other language, so all nine language pairs), after one warm-up pass:
  milliseconds per pair, median of ``--runs`` passes;
* **labelled cases** (``tests/data/faithfulness_cases.json``): precision and
  recall of the flags against the planted errors;
* **false alarms on parallel text**: every sentence of each example article
  checked against each article (including the translations): a flagged fact
  there is absent from the translation, which is nearly always a false
  alarm (or a difference between the translations).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _articles() -> dict[str, str]:
    return {lang: (ROOT / "examples" / f"{lang}_grain_corridor.txt").read_text(encoding="utf-8") for lang in ("en", "uk", "ru")}


def speed(runs: int) -> dict:
    from summarize import split_sentences
    from summarize.faithfulness import check_faithfulness

    articles = _articles()
    pairs = [(articles[s], " ".join(split_sentences(articles[t])[1:3]), s, t) for s in articles for t in articles]
    for source, summary, _, _ in pairs:  # warm-up: dictionaries loaded, words cached
        check_faithfulness(source, summary)

    def timed(given: bool) -> list[float]:
        timings = []
        for _ in range(runs):
            start = time.perf_counter()
            for source, summary, s, t in pairs:
                if given:
                    check_faithfulness(source, summary, source_lang=s, summary_lang=t)
                else:
                    check_faithfulness(source, summary)
            timings.append((time.perf_counter() - start) / len(pairs) * 1000)
        return timings

    detected, given = timed(False), timed(True)
    words = statistics.mean(len(a.split()) for a in articles.values())
    return {
        "ms_per_pair": statistics.median(detected), "runs_ms": detected,
        "ms_per_pair_languages_given": statistics.median(given), "pairs": len(pairs), "article_words": round(words),
    }


def labelled() -> dict:
    from summarize.faithfulness import check_faithfulness

    cases = json.loads((ROOT / "tests" / "data" / "faithfulness_cases.json").read_text(encoding="utf-8"))
    tp = fp = fn = 0
    for case in cases:
        got = {f.text for f in check_faithfulness(case["source"], case["summary"]).unsupported}
        want = set(case["flagged"])
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
    return {
        "cases": len(cases), "planted_errors": tp + fn, "flags": tp + fp,
        "precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / (tp + fn) if tp + fn else 1.0,
    }


def parallel() -> dict:
    from summarize import split_sentences
    from summarize.faithfulness import check_faithfulness

    articles = _articles()
    facts = flagged = 0
    examples = []
    for source_lang, source in articles.items():
        for summary_lang, text in articles.items():
            for sentence in split_sentences(text):
                report = check_faithfulness(source, sentence)
                facts += len(report.facts)
                flagged += len(report.unsupported)
                examples += [f"{source_lang}->{summary_lang} {f.kind}: {f.text}" for f in report.unsupported]
    return {"facts": facts, "flagged": flagged, "rate": flagged / facts if facts else 0.0, "flags": examples}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=9)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = p.parse_args(argv)
    report = {
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "speed": speed(args.runs),
        "labelled": labelled(),
        "parallel": parallel(),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "faithfulness.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    s, lab, par = report["speed"], report["labelled"], report["parallel"]
    table = "\n".join([
        "| measurement | value |",
        "|---|---|",
        f"| time per pair (article of ~{s['article_words']} words, 2-sentence summary, 9 language pairs; median of {len(s['runs_ms'])}), languages detected | {s['ms_per_pair']:.2f} ms |",
        f"| the same, languages given (as the Summarizer calls it) | {s['ms_per_pair_languages_given']:.2f} ms |",
        f"| labelled cases: precision of flags ({lab['flags']} flags) | {lab['precision']:.3f} |",
        f"| labelled cases: recall of planted errors ({lab['planted_errors']} errors in {lab['cases']} cases) | {lab['recall']:.3f} |",
        f"| parallel articles: facts flagged against a translation | {par['flagged']} of {par['facts']} ({100 * par['rate']:.1f}%) |",
    ])
    (out / "faithfulness.md").write_text(table + "\n", encoding="utf-8")
    print(table)
    print("flags on parallel text:", "; ".join(par["flags"]) or "none", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
