"""Precision: which compute type, on which matrix-product path, gives float32's summaries, batch after batch.

CTranslate2 runs its int8 matrix products through oneMKL on Intel CPUs and
through oneDNN elsewhere (AMD, or ``CT2_USE_MKL=0``); the library's default
compute type must give the same summary for a document whatever CPU runs it
and whatever documents share its batch. On mT5-shaped random-weight
checkpoints at the real sizes (``bench.py``'s), for each GEMM path and
compute type, in a process of its own (CTranslate2 reads ``CT2_USE_MKL``
once), this measures:

* **next-token agreement with torch float32**, teacher-forced: given torch
  float32's greedy summary so far, does this configuration choose the same
  next token? (Each position is asked separately, so one early difference
  does not spoil the rest.)
* **batch invariance**: the summaries (beam 4) of documents of mixed lengths
  generated one at a time against in batches of ``--batch-size`` (the
  library's default, 8), at the full vocabulary and with the default
  vocabulary restriction; the count of documents whose summary changed.
* **speed**: docs/s of the batched pass, ``--runs`` rounds, each round
  running every configuration once in turn; the median.

``--device cuda`` (the GPU check): each CTranslate2 compute type and torch
bfloat16 / float32 against torch float32, NaN and infinity counts, and docs/s
at batch 32, beam 4 (mT5-base shape unless ``--shape``). It is meant to
finish in under 5 minutes on one GPU.

    python benchmarks/precision.py --shape small            # CPU: both GEMM paths (about 12 minutes on 2 cores)
    python benchmarks/precision.py --shape base --docs 8
    python benchmarks/precision.py --device cuda            # the GPU check
    python benchmarks/precision.py --smoke                  # tiny shapes, seconds; the test suite runs this

Results: ``<out>/precision-<shape>[-cuda].json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench import build_checkpoint, machine  # noqa: E402

# name: (environment, compute type). CT2_USE_MKL picks the GEMM path.
CPU_CONFIGS = {
    "onednn-int8": ({"CT2_USE_MKL": "0"}, "int8"),
    "onednn-float32": ({"CT2_USE_MKL": "0"}, "float32"),
    "mkl-float32": ({"CT2_USE_MKL": "1"}, "float32"),
    "mkl-int8": ({"CT2_USE_MKL": "1"}, "int8"),
    "mkl-int16": ({"CT2_USE_MKL": "1"}, "int16"),
}
GPU_CONFIGS = {
    **{f"ct2-{t}": ({}, t) for t in ("int8", "int8_float32", "int8_float16", "int8_bfloat16", "float16", "bfloat16", "float32")},
    "torch-bfloat16": ({}, "torch:bfloat16"),
    "torch-float32": ({}, "torch:float32"),
}


def make_documents(n: int, vocab_words: int, max_words: int, seed: int = 0) -> list[str]:
    """``n`` documents of one-token words whose lengths spread from 1/8 of ``max_words`` to all of it."""
    import random

    rng = random.Random(seed)
    docs = []
    for d in range(n):
        words = max(8, round(max_words * (1 + 7 * d / max(1, n - 1)) / 8))
        out = [(f"W{rng.randrange(vocab_words)}" if i % 20 == 0 else f"w{rng.randrange(vocab_words)}") + ("." if i % 20 == 19 else "")
               for i in range(words)]
        docs.append(" ".join(out))
    rng.shuffle(docs)
    return docs


def summarizer(spec: dict, compute: str, **options):
    from summarize import Summarizer

    common = dict(faithfulness="off", device=spec["device"], threads=spec["threads"])
    if compute.startswith("torch:"):
        dtype = compute.split(":", 1)[1]
        return Summarizer(spec["path"], backend="torch", dtype=dtype, **common, **options)
    return Summarizer(spec["path"], backend="ctranslate2", compute_type=compute, cache_dir=spec["cache_dir"], **common, **options)


def reference(spec: dict) -> list[list[int]]:
    """torch float32's greedy summary of each document: the tokens every configuration is held to."""
    s = summarizer(spec, "torch:float32", num_beams=1, max_new_tokens=spec["positions"],
                   min_new_tokens=spec["positions"], no_repeat_ngram_size=0, vocabulary="full", batch_size=1)
    return [s.backend.generate([s._encode(t)], s.settings, [None])[0][0] for t in spec["docs"]]


def agreement(s, docs: list[str], ref: list[list[int]], stride: int = 1) -> tuple[int, int, int]:
    """(agreeing next tokens, positions asked, non-finite scores) for one configuration."""
    if s.backend.name == "torch":
        import torch

        model, agree, total, bad = s.backend.model, 0, 0, 0
        start = s.checkpoint.decoder_start_token_id
        for text, tokens in zip(docs, ref):
            ids = torch.tensor([s._encode(text)], device=model.device)
            decoder = torch.tensor([[start, *tokens[:-1]]], device=model.device)
            with torch.no_grad():
                logits = model(input_ids=ids, decoder_input_ids=decoder).logits[0].float()
            bad += int((~torch.isfinite(logits)).any(dim=-1).sum())
            chosen = logits.argmax(dim=-1).tolist()
            agree += sum(int(c == t) for c, t in list(zip(chosen, tokens))[::stride])
            total += len(tokens[::stride])
        return agree, total, bad
    tok, translator = s.checkpoint.tokenizer, s.backend.translator
    source = [tok.convert_ids_to_tokens(s._encode(t)) for t in docs]
    agree = total = bad = 0
    # Every stride-th position: CTranslate2 runs the decoder over the whole
    # prefix for each question, so asking every position costs O(length^2).
    for i in range(0, max(len(r) for r in ref), stride):
        rows = [j for j, r in enumerate(ref) if len(r) > i]
        results = translator.translate_batch(
            [source[j] for j in rows], target_prefix=[tok.convert_ids_to_tokens(ref[j][:i]) for j in rows],
            beam_size=1, max_decoding_length=i + 1, return_end_token=True, return_scores=True,
        )
        for j, result in zip(rows, results):
            hypothesis = result.hypotheses[0]
            bad += int(not all(math.isfinite(x) for x in result.scores))
            agree += int(len(hypothesis) > i and tok.convert_tokens_to_ids(hypothesis[i]) == ref[j][i])
            total += 1
    return agree, total, bad


def worker(spec: dict) -> dict:
    """One configuration: agreement and batch invariance (first round only), then one timed batched pass."""
    from summarize.backends.cpu import tune_process

    tune_process(spec.get("threads") or 0)  # process-wide tuning, as the commands do
    compute, docs = spec["compute"], spec["docs"]
    decode = dict(num_beams=spec["beams"], max_new_tokens=spec["new_tokens"], min_new_tokens=spec["new_tokens"] // 2,
                  no_repeat_ngram_size=0)
    out: dict = {"config": spec["config"]}
    batched = summarizer(spec, compute, batch_size=spec["batch_size"], vocabulary="full", **decode)
    if spec["measure"] and not spec.get("speed_only"):
        out["agree"], out["positions"], out["non_finite"] = agreement(batched, docs[: spec["agreement_docs"]], spec["ref"], spec["stride"])
        one = summarizer(spec, compute, batch_size=1, vocabulary="full", **decode)
        texts = [r.text for r in batched.summarize(docs, lang="en")]
        out["changed_full"] = sum(a != b for a, b in zip(texts, (one.summarize(t, lang="en").text for t in docs)))
        out["empty"] = sum(not t.strip() for t in texts)
        if not compute.startswith("torch:"):
            restricted = [summarizer(spec, compute, batch_size=b, vocabulary=spec["vocabulary"], **decode) for b in (spec["batch_size"], 1)]
            texts = [r.text for r in restricted[0].summarize(docs, lang="en")]
            out["changed_restricted"] = sum(a != b for a, b in zip(texts, (restricted[1].summarize(t, lang="en").text for t in docs)))
    batched.summarize(docs[:1], lang="en")  # warm-up
    start = time.perf_counter()
    batched.summarize(docs, lang="en")
    out["seconds"] = time.perf_counter() - start
    if not compute.startswith("torch:") and spec["vocabulary"] != "full":
        restricted = summarizer(spec, compute, batch_size=spec["batch_size"], vocabulary=spec["vocabulary"], **decode)
        restricted.summarize(docs[:1], lang="en")
        start = time.perf_counter()
        restricted.summarize(docs, lang="en")
        out["seconds_restricted"] = time.perf_counter() - start
    return out


def run_worker(spec: dict, env: dict, in_process: bool, timeout: float) -> dict:
    if in_process:
        return worker(spec)
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--worker"], input=json.dumps(spec), capture_output=True, text=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", **env}, timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"config": spec["config"], "error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"config": spec["config"], "error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"exit {proc.returncode}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def markdown(report: dict) -> str:
    a = report["args"]
    m = report["machine"]
    lines = [
        f"### mT5-{a['shape']} shape, {a['device']}: agreement with torch float32, batch invariance, speed",
        "",
        f"{m['cpu']}, {m['cores']} cores{'; ' + m['gpu'] if m.get('gpu') else ''}; torch {m['torch']}, transformers {m['transformers']}, "
        f"ctranslate2 {m['ctranslate2']}; {a['docs']} documents of {a['min_tokens']} to {a['max_tokens']} tokens; "
        f"agreement over {a['agreement_docs']} documents, every {a.get('stride', 1)}th of {a['positions']} positions; beam {a['beams']}, up to {a['new_tokens']} "
        f"new tokens, batch {a['batch_size']}; speed: median of {a['runs']} rounds.",
        "",
        "| configuration | next-token agreement | non-finite | summaries changed by batching (full vocabulary) | (restricted) | docs/s | docs/s (restricted) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in report["configs"]:
        if "error" in r:
            lines.append(f"| {r['config']} | failed: {r['error'][:120]} | | | | |")
            continue
        restricted = f"{r['changed_restricted']}/{a['docs']}" if "changed_restricted" in r else "n/a"
        agree = f"{r['agree']}/{r['positions']} ({100 * r['agree'] / r['positions']:.1f}%)" if "agree" in r else "not measured"
        changed = f"{r['changed_full']}/{a['docs']}" if "changed_full" in r else "not measured"
        speed = f"{r['docs_per_s_restricted']:.3f}" if r.get("docs_per_s_restricted") else "n/a"
        lines.append(f"| {r['config']} | {agree} | {r.get('non_finite', '')} | {changed} | {restricted} | {r['docs_per_s']:.3f} | {speed} |")
    return "\n".join(lines) + "\n"


def write_report(args, shape: str, batch: int, lengths: list[int], gpu: bool, rows: list[dict], n_docs: int) -> None:
    """Write the JSON and Markdown of the rounds so far (after every round: a stopped run keeps them)."""
    for r in rows:
        if "error" not in r:
            r["docs_per_s"] = n_docs / statistics.median(r["rounds"])
            timed = [t for t in r.get("rounds_restricted", []) if t]
            r["docs_per_s_restricted"] = n_docs / statistics.median(timed) if timed else None
    info = machine()
    if gpu:
        try:
            import torch

            info["gpu"] = torch.cuda.get_device_name(0)
        except Exception:  # noqa: BLE001 - the table says what ran
            info["gpu"] = None
    report = {
        "args": {**{k: v for k, v in vars(args).items() if k != "worker"}, "shape": shape, "batch_size": batch,
                 "min_tokens": min(lengths), "max_tokens": max(lengths)},
        "machine": info,
        "configs": rows,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"precision-{shape}" + ("-cuda" if gpu else "")
    (out / f"{stem}.json").write_text(json.dumps(report, indent=2))
    (out / f"{stem}.md").write_text(markdown(report))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shape", default=None, help="small or base (default: small on CPU, base on CUDA)")
    p.add_argument("--device", default="cpu", help="cpu (both GEMM paths) or cuda (the GPU check)")
    p.add_argument("--docs", type=int, default=None, help="documents (default: 12 on CPU, 32 on CUDA)")
    p.add_argument("--agreement-docs", type=int, default=8)
    p.add_argument("--positions", type=int, default=32, help="length of the reference summaries")
    p.add_argument("--stride", type=int, default=4, help="ask every N-th position of them")
    p.add_argument("--timeout", type=float, default=900, help="seconds a configuration's process may take before it is reported as timed out")
    p.add_argument("--beams", type=int, default=4)
    p.add_argument("--new-tokens", type=int, default=32)
    p.add_argument("--batch-size", type=int, default=None, help="8 on CPU (the library's default), 32 on CUDA")
    p.add_argument("--vocabulary", default="auto", help="the restriction measured for batch invariance")
    p.add_argument("--runs", type=int, default=None, help="rounds (default: 3 on CPU, 1 on CUDA)")
    p.add_argument("--speed-only", action="store_true", help="time only (no agreement or batch-invariance measurement)")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--configs", default=None, help="comma-separated subset of the configurations")
    p.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "summarize-bench"))
    p.add_argument("--out", default="benchmarks/results")
    p.add_argument("--smoke", action="store_true", help="tiny shape, 3 documents, 1 round, float32 and int8, in one process")
    p.add_argument("--render", metavar="JSON", help="print the Markdown of a saved result and exit")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(sys.stdin.read()))))
        return 0
    if args.render:
        print(markdown(json.loads(Path(args.render).read_text())), end="")
        return 0
    gpu = args.device.startswith("cuda")
    shape = "tiny" if args.smoke else args.shape or ("base" if gpu else "small")
    batch = args.batch_size or (32 if gpu else 8)
    args.docs = args.docs or (32 if gpu else 12)
    args.runs = args.runs or (1 if gpu else 3)
    if args.smoke:
        args.docs, args.agreement_docs, args.positions, args.new_tokens, args.runs, args.beams = 3, 2, 4, 4, 1, 2
    table = GPU_CONFIGS if gpu else CPU_CONFIGS
    names = [c.strip() for c in args.configs.split(",")] if args.configs else list(table)
    if args.smoke:
        # In one process (the GEMM path is whichever the CPU gets); with
        # --device cuda, the GPU check's code path on the CPU's types.
        names = ["ct2-int8", "ct2-float32", "torch-bfloat16", "torch-float32"] if gpu else ["onednn-int8", "mkl-float32"]
    unknown = [n for n in names if n not in table]
    if unknown:
        p.error(f"unknown configuration(s) {', '.join(unknown)}; valid: {', '.join(table)}")
    cache = Path(args.cache)
    path = str(build_checkpoint(shape, cache / f"mt5-{shape}"))
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path)
    vocab_words = (len(tok) - 400) // 2
    docs = make_documents(args.docs, vocab_words, max_words=480)
    lengths = [len(tok(d, verbose=False).input_ids) for d in docs]
    spec = dict(path=path, docs=docs, speed_only=args.speed_only, device="cpu" if args.smoke else args.device, threads=args.threads, cache_dir=str(cache / "ct2"),
                positions=args.positions, stride=1 if args.smoke else args.stride, beams=args.beams, new_tokens=args.new_tokens, batch_size=batch,
                agreement_docs=args.agreement_docs, vocabulary=args.vocabulary if args.vocabulary in ("auto", "full") else int(args.vocabulary))
    if not args.speed_only:
        print("reference: torch float32 greedy...", file=sys.stderr, flush=True)
    spec["ref"] = [] if args.speed_only else reference({**spec, "docs": docs[: args.agreement_docs]})
    results: dict[str, dict] = {}
    for round_ in range(args.runs):
        for name in names:
            if "error" in results.get(name, {}):
                continue
            print(f"round {round_ + 1}/{args.runs}: {name}...", file=sys.stderr, flush=True)
            env, compute = table[name]
            r = run_worker({**spec, "config": name, "compute": compute, "measure": round_ == 0}, env, in_process=args.smoke, timeout=args.timeout)
            if "error" in r or name not in results:
                results[name] = {**r, "rounds": [r.get("seconds")], "rounds_restricted": [r.get("seconds_restricted")]}
            else:
                results[name]["rounds"].append(r["seconds"])
                results[name]["rounds_restricted"].append(r.get("seconds_restricted"))
            write_report(args, shape, batch, lengths, gpu, [results[n] for n in names if n in results], len(docs))
    print((Path(args.out) / (f"precision-{shape}" + ("-cuda" if gpu else "") + ".md")).read_text(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
