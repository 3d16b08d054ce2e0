"""Overhead of the Ray path: local Ray with 1 and 2 actors against one process.

Same input, same model and settings, end to end (model loading included, as
a job pays it; starting Ray is not, a cluster is already up):

* ``single``: one process, ``Summarizer`` over the documents in blocks;
* ``summarize_dataset`` on a local Ray with 1 actor holding every CPU, and
  with 2 actors sharing them (each actor's threads = its CPUs), results
  collected.

    python benchmarks/ray_bench.py --shape small --backend ctranslate2 --docs 64
    python benchmarks/ray_bench.py --smoke

Writes ``<out>/ray-<shape>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench import build_checkpoint, machine, make_documents  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shape", default="small")
    p.add_argument("--backend", default="ctranslate2")
    p.add_argument("--docs", type=int, default=64)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--beams", type=int, default=1)
    p.add_argument("--new-tokens", type=int, default=32)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "summarize-bench"))
    p.add_argument("--out", default="benchmarks/results")
    p.add_argument("--smoke", action="store_true")
    args = p.parse_args(argv)
    if args.smoke:
        args.shape, args.docs, args.runs, args.new_tokens, args.backend = "tiny", 16, 1, 4, "torch"

    import ray

    from summarize import Summarizer
    from summarize.jobs.distributed import summarize_dataset
    from summarize.jobs import summarize_records
    from summarize.inputs.records import Record

    cache = Path(args.cache)
    path = str(build_checkpoint(args.shape, cache / f"mt5-{args.shape}"))
    from transformers import AutoTokenizer

    vocab_words = (len(AutoTokenizer.from_pretrained(path)) - 400) // 2
    docs = make_documents(args.docs, 487, vocab_words, seed=3)
    options = dict(num_beams=args.beams, max_new_tokens=args.new_tokens, min_new_tokens=args.new_tokens, no_repeat_ngram_size=0)
    extra = {"cache_dir": str(cache / "ct2")} if args.backend == "ctranslate2" else {}
    Summarizer(path, backend=args.backend, device="cpu", **extra)  # convert once, outside the timings

    def single():
        s = Summarizer(path, backend=args.backend, device="cpu", batch_size=args.batch_size, **extra, **options)
        records = [Record(str(i), t, i + 1) for i, t in enumerate(docs)]
        return sum(len(block) for block in summarize_records(s, records, lang="en"))

    cores = os.cpu_count() or 1

    def on_ray(actors):
        def run():
            rows = ray.data.from_items([{"id": str(i), "text": t} for i, t in enumerate(docs)])
            ds = summarize_dataset(rows, model=path, backend=args.backend, device="cpu", batch_size=args.batch_size,
                                   concurrency=actors, num_cpus=cores / actors, lang="en", **({"compute_type": "auto"} if extra else {}), **options)
            return len(ds.take_all())
        return run

    os.environ.setdefault("SUMMARIZE_CACHE", str(cache))
    ray.init(include_dashboard=False, log_to_driver=False, runtime_env={"env_vars": {"SUMMARIZE_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}})
    rows = []
    for name, fn in (("single", single), (f"ray, 1 actor x {cores} CPUs", on_ray(1)), (f"ray, 2 actors x {cores / 2:g} CPUs", on_ray(2))):
        seconds = []
        for _ in range(args.runs):
            start = time.perf_counter()
            assert fn() == len(docs)
            seconds.append(time.perf_counter() - start)
        rows.append({"system": name, "seconds": seconds, "docs_per_s": len(docs) / statistics.median(seconds)})
        print(f"{name}: {rows[-1]['docs_per_s']:.3f} docs/s", file=sys.stderr, flush=True)
    ray.shutdown()
    base = rows[0]["docs_per_s"]
    lines = [
        f"### Ray overhead: mT5-{args.shape} shape, {args.backend} backend, beam {args.beams}, 512 input / {args.new_tokens} output tokens, {args.docs} documents",
        "",
        f"{machine()['cpu']}, {machine()['cores']} cores; median of {args.runs} runs, model loading included, Ray start-up not.",
        "",
        "| path | docs/s | vs one process |",
        "|---|---|---|",
    ] + [f"| {r['system']} | {r['docs_per_s']:.3f} | {r['docs_per_s'] / base:.2f}x |" for r in rows]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"ray-{args.shape}.json").write_text(json.dumps({"args": vars(args), "machine": machine(), "rows": rows}, indent=2))
    (out / f"ray-{args.shape}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
