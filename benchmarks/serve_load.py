"""The server under concurrent load against offline batches of the same documents.

One random-weight mT5 at a real shape (bench.py's ``build_checkpoint``), the
same documents and the same decoding settings (beam search, a fixed number
of new tokens: min = max, so every system does the same work) and the
library's defaults otherwise, measured side by side in each round:

1. ``offline``: ``Summarizer.summarize(documents)`` in a process of its own
   (loaded and warmed up first; only the call is timed): the ceiling;
2. ``server``: ``summarize serve`` in a process of its own, ``--clients``
   threads on 127.0.0.1 each sending one document a request until all are
   sent; the wall time from the first request to the last answer.

Every document is checked to be answered once, by its id. Reported: the
medians over ``--runs`` rounds of docs/s for both and their ratio (the
target: at least 0.8 at 16 clients), and the server's p50 and p99 latency.

With ``--fault``, each round also runs the server under the same load with
two more clients: one sends a poisoned document (a lone surrogate, which
once failed every request batched with it) and one a document of
``--long-chars`` characters (many windows and levels of map-reduce). Nothing
may be lost; the short requests' p99 is reported beside the clean run's, and
what the two faulty requests got.

    python benchmarks/serve_load.py --shape small --clients 16 --docs 64 --runs 3
    python benchmarks/serve_load.py --shape small --clients 16 --docs 64 --runs 3 --fault
    python benchmarks/serve_load.py --smoke     # tiny shape, seconds; the test suite runs this
"""

from __future__ import annotations

import argparse
import json
import queue
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import SHAPES, build_checkpoint, machine, make_documents  # noqa: E402

OFFLINE = r"""
import json, sys, time
from summarize import Summarizer
from summarize.backends.cpu import tune_process
spec = json.loads(sys.stdin.read())
tune_process(0)
s = Summarizer(model=spec["model"], batch_size=spec["batch_size"], **spec["generation"])
s.summarize(spec["docs"][:2], lang="en")
started = time.perf_counter()
s.summarize(spec["docs"], lang="en")
print(json.dumps({"seconds": time.perf_counter() - started, "backend": s.backend.name}))
"""


def offline(model: str, docs: list[str], batch_size: int, generation: dict) -> dict:
    spec = {"model": model, "docs": docs, "batch_size": batch_size, "generation": generation}
    out = subprocess.run([sys.executable, "-c", OFFLINE], input=json.dumps(spec), capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return {"docs_per_second": len(docs) / result["seconds"], "seconds": result["seconds"], "backend": result["backend"]}


def server(model: str, docs: list[str], clients: int, batch_size: int, max_wait_ms: float, generation: dict,
           faults: tuple[tuple[str, dict], ...] = ()) -> dict:
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in generation.items()]
    process = subprocess.Popen([sys.executable, "-m", "summarize", "serve", "--model", model, "--port", "0",
                                "--batch-size", str(batch_size), "--max-wait-ms", str(max_wait_ms), "--max-queue", "100000",
                                "--timeout", "3600", *flags], stderr=subprocess.PIPE, text=True)
    try:
        url = re.search(r"listening on (\S+)", process.stderr.readline()).group(1)
        threading.Thread(target=lambda: [None for _ in process.stderr], daemon=True).start()
        while True:
            try:
                with urllib.request.urlopen(url + "/readyz", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        post(url, {"id": "warm-up", "text": docs[0], "lang": "en"})
        todo: queue.Queue = queue.Queue()
        for i, doc in enumerate(docs):
            todo.put((i, doc))
        answers: list = []
        lock = threading.Lock()

        def client():
            while True:
                try:
                    i, doc = todo.get_nowait()
                except queue.Empty:
                    return
                started = time.perf_counter()
                row = post(url, {"id": i, "text": doc, "lang": "en"})
                with lock:
                    answers.append((row["id"], time.perf_counter() - started, row.get("error")))

        special: list = []

        def faulty(kind: str, body: dict):
            began = time.perf_counter()
            try:
                row = post(url, body)
                outcome = "error row" if row.get("error") else "200"
            except urllib.error.HTTPError as exc:
                outcome = str(exc.code)
            with lock:
                special.append({"kind": kind, "status": outcome, "seconds": round(time.perf_counter() - began, 2)})

        threads = [threading.Thread(target=client) for _ in range(clients)]
        threads += [threading.Thread(target=faulty, args=fault) for fault in faults]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=120)
    ids = sorted(a[0] for a in answers)
    latencies = sorted(a[1] for a in answers)
    return {
        "docs_per_second": len(docs) / wall, "seconds": wall, "answered_once": ids == list(range(len(docs))),
        "errors": sum(1 for a in answers if a[2]), "p50": latencies[len(latencies) // 2],
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], "exit_code": code,
        "faults": special,
    }


def post(url: str, body: dict) -> dict:
    req = urllib.request.Request(url + "/v1/summarize", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=3600) as r:
        return json.loads(r.read())


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shape", choices=tuple(SHAPES), default="small")
    p.add_argument("--docs", type=int, default=64)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--max-wait-ms", type=float, default=10.0)
    p.add_argument("--beams", type=int, default=4)
    p.add_argument("--new-tokens", type=int, default=32)
    p.add_argument("--words", type=int, default=300, help="words (one token each) per document")
    p.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "summarize-bench"))
    p.add_argument("--out", default="benchmarks/results")
    p.add_argument("--fault", action="store_true", help="also run with a poisoned and a long document among the clients")
    p.add_argument("--long-chars", type=int, default=200_000, help="--fault: the long document's length")
    p.add_argument("--smoke", action="store_true", help="tiny shape, 8 documents, 4 clients, 1 run, with the fault run")
    args = p.parse_args(argv)
    if args.smoke:
        args.shape, args.docs, args.clients, args.runs, args.new_tokens, args.words = "tiny", 8, 4, 1, 4, 40
        args.fault, args.long_chars = True, 20_000
    model = str(build_checkpoint(args.shape, Path(args.cache) / f"mt5-{args.shape}"))
    docs = make_documents(args.docs, args.words, 2000)
    generation = {"num_beams": args.beams, "min_new_tokens": args.new_tokens, "max_new_tokens": args.new_tokens}
    rounds = []
    for run in range(args.runs):
        off = offline(model, docs, args.batch_size, generation)
        on = server(model, docs, args.clients, args.batch_size, args.max_wait_ms, generation)
        rounds.append({"offline": off, "server": on, "ratio": on["docs_per_second"] / off["docs_per_second"]})
        if args.fault:
            long_text = " ".join(docs) * (args.long_chars // max(1, len(" ".join(docs))) + 1)
            faults = (("poisoned", {"id": "poisoned", "text": "Уряд \ud800 ухвалив бюджет. " + docs[0], "lang": "en"}),
                      ("long", {"id": "long", "text": long_text[: args.long_chars], "lang": "en"}))
            rounds[-1]["fault"] = server(model, docs, args.clients, args.batch_size, args.max_wait_ms, generation, faults)
            print(f"round {run + 1} with faults: p99 {rounds[-1]['fault']['p99']:.2f} s, answered once: "
                  f"{rounds[-1]['fault']['answered_once']}, {rounds[-1]['fault']['faults']}", file=sys.stderr)
        print(f"round {run + 1}: offline {off['docs_per_second']:.2f} docs/s, server {on['docs_per_second']:.2f} docs/s "
              f"(x{rounds[-1]['ratio']:.2f}), p50 {on['p50']:.2f} s, p99 {on['p99']:.2f} s, answered once: {on['answered_once']}",
              file=sys.stderr)
    summary = {
        "offline_docs_per_second": statistics.median(r["offline"]["docs_per_second"] for r in rounds),
        "server_docs_per_second": statistics.median(r["server"]["docs_per_second"] for r in rounds),
        "ratio": statistics.median(r["ratio"] for r in rounds),
        "p50_seconds": statistics.median(r["server"]["p50"] for r in rounds),
        "p99_seconds": statistics.median(r["server"]["p99"] for r in rounds),
        "every_document_answered_once": all(r[k]["answered_once"] and not r[k]["errors"] for r in rounds for k in ("server", "fault") if k in r),
        "server_exit_codes": [r["server"]["exit_code"] for r in rounds],
    }
    if args.fault:
        summary["p99_seconds_with_faults"] = statistics.median(r["fault"]["p99"] for r in rounds)
        summary["faults"] = [r["fault"]["faults"] for r in rounds]
    report = {"settings": vars(args) | {"generation": generation, "backend": rounds[0]["offline"]["backend"]},
              "machine": machine(), "rounds": rounds, "median": summary}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = f"serve-{args.shape}-c{args.clients}"
    (out / f"{name}.json").write_text(json.dumps(report, indent=2))
    table = (f"| shape | clients | docs | offline docs/s | server docs/s | server / offline | p50 | p99 | answered once |\n"
             f"|---|---|---|---|---|---|---|---|---|\n"
             f"| {args.shape} | {args.clients} | {args.docs} | {summary['offline_docs_per_second']:.2f} | "
             f"{summary['server_docs_per_second']:.2f} | {summary['ratio']:.2f} | {summary['p50_seconds']:.2f} s | "
             f"{summary['p99_seconds']:.2f} s | {'yes' if summary['every_document_answered_once'] else 'NO'} |\n")
    if args.fault:
        outcomes = "; ".join(f"{f['kind']}: {f['status']} in {f['seconds']} s" for f in rounds[-1]["fault"]["faults"])
        table += (f"\nWith a poisoned document and one of {args.long_chars:,} characters among the clients: short requests' "
                  f"p99 {summary['p99_seconds_with_faults']:.2f} s against {summary['p99_seconds']:.2f} s without them "
                  f"(last round: {outcomes}).\n")
    (out / f"{name}.md").write_text(table)
    print(table, end="")
    return 0 if summary["every_document_answered_once"] else 1


if __name__ == "__main__":
    sys.exit(main())
