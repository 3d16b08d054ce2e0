"""Threads on a busy machine: each backend's thread settings, with the cores idle and with one of them taken.

A laptop or a shared server is rarely idle: another process (a browser, a
second job, the machine's neighbour) often holds a core. An operation split
over every core then waits, at each step, for the thread that shares a core
with that process. For each backend and thread setting this times, in a
process of its own, ``--calls`` calls of ``summarize()`` on ``--docs``
documents, once with the machine as it is and once while a busy loop
(another process) keeps one core occupied; rounds alternate the two, and the
median time per call is reported.

    python benchmarks/threads.py --shape small          # about 10 minutes on 2 cores
    python benchmarks/threads.py --smoke                 # the test suite runs this

Results: ``<out>/threads-<shape>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench import build_checkpoint, machine, make_documents  # noqa: E402

# name: (backend, threads); 0 is the library's default.
CONFIGS = {
    "torch-default": ("torch", 0),
    "torch-1": ("torch", 1),
    "torch-all": ("torch", -1),
    "ctranslate2-default": ("ctranslate2", 0),
    "ctranslate2-1": ("ctranslate2", 1),
}


def worker(spec: dict) -> dict:
    from summarize.backends.cpu import tune_process

    tune_process(max(spec["threads"], 0))  # process-wide tuning, as the commands do
    from summarize import Summarizer

    backend, threads = spec["backend"], spec["threads"]
    if threads < 0:
        threads = os.cpu_count() or 1
    extra = {"cache_dir": spec["cache_dir"]} if backend == "ctranslate2" else {}
    s = Summarizer(spec["path"], backend=backend, device="cpu", threads=threads, faithfulness="off", vocabulary="full",
                   num_beams=spec["beams"], max_new_tokens=spec["new_tokens"], min_new_tokens=spec["new_tokens"], **extra)
    s.summarize(spec["docs"][:1], lang="en")  # warm-up
    seconds = []
    for _ in range(spec["calls"]):
        start = time.perf_counter()
        s.summarize(spec["docs"], lang="en")
        seconds.append(time.perf_counter() - start)
    return {"seconds": seconds, "threads_used": _threads_used(s)}


def _threads_used(s) -> int:
    if s.backend.name == "torch":
        import torch

        return torch.get_num_threads()
    return s.backend.threads


def run(spec: dict, busy: bool, in_process: bool) -> dict:
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        if in_process:
            return worker(spec)
        proc = subprocess.run([sys.executable, __file__, "--worker"], input=json.dumps(spec), capture_output=True, text=True,
                              env={**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-2000:])
        return json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()


def markdown(report: dict) -> str:
    a, m = report["args"], report["machine"]
    lines = [
        f"### Threads, mT5-{a['shape']} shape: seconds per call of {a['docs']} documents, idle and with one core busy",
        "",
        f"{m['cpu']}, {m['cores']} cores; torch {m['torch']}, ctranslate2 {m['ctranslate2']}; beam {a['beams']}, "
        f"{a['new_tokens']} new tokens; median of {a['rounds']} rounds x {a['calls']} calls.",
        "",
        "| configuration | threads | idle (s/call) | one core busy (s/call) | busy / idle |",
        "|---|---|---|---|---|",
    ]
    for r in report["configs"]:
        lines.append(f"| {r['config']} | {r['threads_used']} | {r['idle']:.2f} | {r['busy']:.2f} | {r['busy'] / r['idle']:.2f}x |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shape", default="small")
    p.add_argument("--docs", type=int, default=4)
    p.add_argument("--words", type=int, default=240, help="words (one token each) per document")
    p.add_argument("--beams", type=int, default=4)
    p.add_argument("--new-tokens", type=int, default=32)
    p.add_argument("--calls", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--configs", default=",".join(CONFIGS))
    p.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "summarize-bench"))
    p.add_argument("--out", default="benchmarks/results")
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(sys.stdin.read()))))
        return 0
    if args.smoke:
        args.shape, args.docs, args.words, args.new_tokens, args.calls, args.rounds, args.beams = "tiny", 2, 40, 4, 1, 1, 2
    names = [n.strip() for n in args.configs.split(",") if n.strip()]
    cache = Path(args.cache)
    path = str(build_checkpoint(args.shape, cache / f"mt5-{args.shape}"))
    from transformers import AutoTokenizer

    vocab_words = (len(AutoTokenizer.from_pretrained(path)) - 400) // 2
    docs = make_documents(args.docs, args.words, vocab_words)
    base = dict(path=path, docs=docs, beams=args.beams, new_tokens=args.new_tokens, calls=args.calls, cache_dir=str(cache / "ct2"))
    results: dict[str, dict] = {n: {"config": n, "idle_runs": [], "busy_runs": []} for n in names}
    for round_ in range(args.rounds):
        for name in names:
            backend, threads = CONFIGS[name]
            for busy in (False, True):
                print(f"round {round_ + 1}/{args.rounds}: {name} {'busy' if busy else 'idle'}...", file=sys.stderr, flush=True)
                r = run({**base, "backend": backend, "threads": threads}, busy, in_process=args.smoke)
                results[name]["busy_runs" if busy else "idle_runs"] += r["seconds"]
                results[name]["threads_used"] = r["threads_used"]
    for r in results.values():
        r["idle"], r["busy"] = statistics.median(r["idle_runs"]), statistics.median(r["busy_runs"])
    report = {"args": {k: v for k, v in vars(args).items() if k != "worker"}, "machine": machine(), "configs": list(results.values())}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"threads-{args.shape}.json").write_text(json.dumps(report, indent=2))
    (out / f"threads-{args.shape}.md").write_text(markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
