"""TextRank on long documents: time and peak memory of ``summarize --method textrank``.

A document of N characters is made from the project's example articles
(``examples/``): their sentences drawn at random (seeded), four in five
followed by a space and one in five by a line break, cut at N characters.
That is the worst case for the overlap graph (every sentence shares words
with many others), where a real archive of different stories links far
fewer pairs. Each size runs ``--runs`` times, each time a fresh process of
the command as a user runs it (``python -m summarize``); reported are the
median wall time and the median peak resident memory (``ru_maxrss`` of the
child), which includes Python and the imports.

    python benchmarks/textrank.py                       # 100k, 1M, 2M characters, 3 runs: about a minute
    python benchmarks/textrank.py --sizes 20000 --runs 1 --out /tmp/x   # the test suite runs this

Results: ``<out>/textrank.json`` and ``.md``. The target (issue #22): 1,000,000
characters in under 5 s and 500 MB on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def make_document(chars: int, lang: str, seed: int = 0) -> str:
    """``chars`` characters of the example article in ``lang``, its sentences shuffled with repeats."""
    sys.path.insert(0, str(ROOT))
    from summarize.languages import split_sentences

    sentences = split_sentences((ROOT / "examples" / f"{lang}_grain_corridor.txt").read_text(encoding="utf-8"))
    rng = random.Random(seed)
    parts, size = [], 0
    while size < chars:
        sentence = rng.choice(sentences) + (" " if rng.random() < 0.8 else "\n")
        parts.append(sentence)
        size += len(sentence)
    return "".join(parts)[:chars].strip()


def run_once(path: Path, lang: str) -> dict:
    """One run of the command in a fresh process: its wall time and its own peak RSS (from ``wait4``)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-m", "summarize", "--method", "textrank", "--lang", lang, "--max-input-chars", "100000000", str(path)],
            stdout=out, stderr=err, cwd=ROOT,
        )
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        if child.returncode != 0:
            raise SystemExit(f"textrank benchmark: the command failed: {err.read().strip()}")
        return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "summary_chars": len(out.read().strip())}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100000,1000000,2000000", help="document sizes in characters, comma-separated")
    ap.add_argument("--lang", default="uk", choices=("en", "uk", "ru"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for chars in sizes:
            path = Path(tmp) / f"doc-{chars}.txt"
            path.write_text(make_document(chars, args.lang), encoding="utf-8")
            runs = [run_once(path, args.lang) for _ in range(args.runs)]
            row = {
                "chars": chars,
                "seconds_median": statistics.median(r["seconds"] for r in runs),
                "peak_mb_median": statistics.median(r["peak_mb"] for r in runs),
                "runs": runs,
            }
            results.append(row)
            print(f"{chars:>10,} chars: {row['seconds_median']:.2f} s, {row['peak_mb_median']:.0f} MB peak", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    payload = {"lang": args.lang, "runs": args.runs, "cpus": os.cpu_count(), "results": results}
    (out / "textrank.json").write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    lines = [
        f"# TextRank on long documents ({args.lang}, {os.cpu_count()} CPUs, median of {args.runs} runs)",
        "",
        "Whole command (`python -m summarize --method textrank FILE`), wall time and peak RSS.",
        "",
        "| characters | seconds | peak MB |",
        "|---|---|---|",
        *(f"| {r['chars']:,} | {r['seconds_median']:.2f} | {r['peak_mb_median']:.0f} |" for r in results),
    ]
    (out / "textrank.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
