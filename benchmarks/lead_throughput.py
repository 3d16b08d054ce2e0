"""Bulk extractive throughput: ``summarize --method lead`` over a large three-language JSONL.

The articles are built from the tiny model's corpus sentences (English,
Ukrainian and Russian, about 3,400 characters each), the command runs in a
process of its own and writes JSONL, and articles per second are the
median over ``--runs``. ``--compare PATH`` runs a checkout of another version
(a ``git worktree`` of an earlier commit) in the same rounds, so the two
figures come from one run::

    git worktree add /tmp/before <commit>
    python benchmarks/lead_throughput.py --articles 20000 --runs 3 --compare /tmp/before
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


def articles(n: int, seed: int = 0) -> list[dict]:
    from summarize.testing import CORPUS

    rng = random.Random(seed)
    langs = list(CORPUS)
    out = []
    for i in range(n):
        lang = langs[i % 3]
        text, sentences = "", CORPUS[lang]
        while len(text) < 3400:
            text += rng.choice(sentences) + " "
        out.append({"id": f"a{i}", "text": text.strip()})
    return out


def run(checkout: str, source: Path, out: Path, lang: str | None) -> float:
    env = {**os.environ, "PYTHONPATH": checkout}
    out.unlink(missing_ok=True)
    command = [sys.executable, "-m", "summarize", "--method", "lead", "--sentences", "3", "-q", "--output", str(out), str(source)]
    if lang:
        command[4:4] = ["--lang", lang]
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=checkout)
    return time.perf_counter() - started


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--articles", type=int, default=20_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--compare", help="a checkout of another version, timed in the same rounds")
    p.add_argument("--out", default="benchmarks/results")
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="lead-bench-"))
    source = work / "in.jsonl"
    source.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles(args.articles)), encoding="utf-8")
    here = str(Path(__file__).resolve().parent.parent)
    systems = {"this version": here, **({"compared": args.compare} if args.compare else {})}
    times: dict[str, list[float]] = {name: [] for name in systems}
    for _ in range(args.runs):
        for name, checkout in systems.items():
            times[name].append(run(checkout, source, work / "out.jsonl", None))
    rows = {name: args.articles / statistics.median(t) for name, t in times.items()}
    table = ["| version | articles/s (median) | seconds per run |", "|---|---|---|"]
    table += [f"| {name} | {rows[name]:,.0f} | {', '.join(f'{t:.1f}' for t in times[name])} |" for name in systems]
    if args.compare:
        table.append(f"\nSpeed-up: {rows['this version'] / rows['compared']:.2f}x ({args.articles:,} three-language articles, --method lead).")
    text = "\n".join(table) + "\n"
    print(text)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "lead-throughput.md").write_text(text)
    (Path(args.out) / "lead-throughput.json").write_text(json.dumps({"articles": args.articles, "times": times, "articles_per_second": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
