"""Speed and memory: plain transformers against the library's backends and CTranslate2.

Runs with no network. It builds mT5-shaped checkpoints with random weights at
the real sizes (``small``: d_model 512, 8+8 layers; ``base``: d_model 768,
12+12 layers; vocabulary 250,112, with a SentencePiece tokenizer of that size
built in code) and times, on the same inputs and decoding settings (input of
the model's full length, ``--new-tokens`` output tokens forced with
min = max):

1. ``baseline``: plain transformers, fp32, one document at a time (the way
   the old summarization pipeline ran);
2. ``torch``: the library, torch backend, batched;
3. ``ctranslate2``: the library, CTranslate2 backend (int8 on CPU), batched;
4. ``ct2-direct``: CTranslate2 called directly with the same settings,
   batches, threads and CPU kernels (on CPU: parallel workers of one batch
   each, as CTranslate2's documentation advises for throughput, and AVX-512
   where the CPU has it): the ceiling for the library's overhead;
5. ``ct2-direct-defaults``: CTranslate2 called directly with its own
   defaults (one worker, its default intra-op threads, its default kernels:
   AVX2 on x86): what calling it without tuning gives;
6. ``default`` (every library default: CTranslate2, the vocabulary
   restriction), ``torch-vocab`` and ``ct2-vocab`` (the restriction on each
   backend) and, with ``--sweep``, ``ct2-vocab-K`` for other K.

Each system runs in its own process (so that peak memory is its own): it
loads, warms up on one document, then times one pass over the documents.
``--runs`` rounds each run every system once, in turn, so that a slow spell
of the machine falls on all of them; the medians over the rounds are
reported, with the ratio of each to the baseline.
It also times the library's CTranslate2 backend on documents 1x, 4x and 16x
the model's input length (through chunking) and at several batch sizes.

    python benchmarks/bench.py --shape small --beams 4 --out benchmarks/results
    python benchmarks/bench.py --smoke          # tiny shapes, seconds; the test suite runs this

Results: ``<out>/<shape>-beam<k>.json`` and ``.md``; benchmarks/README.md
holds the latest tables.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

SHAPES = {
    # name: d_model, d_ff, layers (each side), heads, vocabulary
    "tiny": dict(d_model=32, d_ff=64, layers=2, heads=4, vocab=2_000),
    "small": dict(d_model=512, d_ff=1024, layers=8, heads=6, vocab=250_112),
    "base": dict(d_model=768, d_ff=2048, layers=12, heads=12, vocab=250_112),
}
MT5_TOKENIZER_SIZE = 250_100  # mT5's tokenizer; the model's vocabulary is padded to 250,112
SYSTEMS = ("baseline", "torch", "ctranslate2", "ct2-direct", "ct2-direct-defaults", "default", "torch-vocab", "ct2-vocab")
# --device cuda: torch bf16 with and without restriction, CTranslate2 int8_bfloat16 and bfloat16.
GPU_SYSTEMS = ("gpu-torch-bf16", "gpu-torch-bf16-vocab", "gpu-ct2-int8_bfloat16", "gpu-ct2-bfloat16")
# The K sweep: CTranslate2 restricted to K script pieces (plus specials and the source).
SWEEP = ("ct2-vocab-8000", "ct2-vocab-16000", "ct2-vocab-64000")


# -- checkpoints ---------------------------------------------------------------

def build_checkpoint(shape: str, directory: Path) -> Path:
    """A random-weight mT5 of ``shape`` with a tokenizer of the real size; cached in ``directory``."""
    if (directory / "model.safetensors").is_file():
        return directory
    import torch
    from sentencepiece import sentencepiece_model_pb2 as pb
    from transformers import GenerationConfig, MT5Config, MT5ForConditionalGeneration

    from summarize.testing import train_sentencepiece, untie_output_layer

    s = SHAPES[shape]
    directory.mkdir(parents=True, exist_ok=True)
    spm_path = train_sentencepiece(directory, vocab_size=400)
    proto = pb.ModelProto()
    proto.ParseFromString(spm_path.read_bytes())
    n_words = (min(s["vocab"] - 12, MT5_TOKENIZER_SIZE) - len(proto.pieces)) // 2
    # Filler pieces, one token per word, so that inputs of exact token lengths
    # can be written as text: "w17 w923 ..." (and "W5" to start a sentence).
    # Score 0 beats any split of them into the trained pieces.
    for prefix in ("▁w", "▁W"):
        for i in range(n_words):
            piece = proto.pieces.add()
            piece.piece, piece.score, piece.type = f"{prefix}{i}", 0.0, pb.ModelProto.SentencePiece.NORMAL
    spm_path.write_bytes(proto.SerializeToString())
    (directory / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "T5Tokenizer", "extra_ids": 0, "model_max_length": 512})
    )
    config = MT5Config(
        vocab_size=s["vocab"], d_model=s["d_model"], d_kv=64 if s["d_model"] >= 512 else 8, d_ff=s["d_ff"],
        num_layers=s["layers"], num_decoder_layers=s["layers"], num_heads=s["heads"],
        feed_forward_proj="gated-gelu", tie_word_embeddings=False,
        decoder_start_token_id=0, pad_token_id=0, eos_token_id=1,
    )
    torch.manual_seed(0)
    model = MT5ForConditionalGeneration(config)
    model.generation_config = GenerationConfig(decoder_start_token_id=0, pad_token_id=0, eos_token_id=1)
    model.save_pretrained(directory)
    # Released mT5 checkpoints have an output layer of their own (250,112 x
    # d_model, read at every decoding step); transformers 5 ties it on build.
    untie_output_layer(directory)
    return directory


def make_documents(n: int, words: int, vocab_words: int, seed: int = 0) -> list[str]:
    """``n`` documents of ``words`` one-token words, in sentences of 20 words."""
    import random

    rng = random.Random(seed)
    docs = []
    for _ in range(n):
        out = []
        for i in range(words):
            w = rng.randrange(vocab_words)
            out.append(f"W{w}" if i % 20 == 0 else f"w{w}")
            if i % 20 == 19:
                out[-1] += "."
        docs.append(" ".join(out))
    return docs


# -- one system, in its own process -------------------------------------------

def worker(spec: dict) -> dict:
    """Load one system, warm up, time ``runs`` passes; return timings and peak memory."""
    from summarize.backends.cpu import tune_process

    tune_process(spec.get("threads") or 0)  # process-wide tuning, as the commands do
    system, path, docs = spec["system"], spec["path"], spec["docs"]
    if system in ("baseline", "torch", "torch-vocab") or system.startswith("gpu-torch"):
        # Only where torch runs: importing it alone holds ~200 MB.
        import torch

        torch.set_num_threads(spec["threads"])
    beams, new, batch = spec["beams"], spec["new_tokens"], spec["batch_size"]
    options = dict(num_beams=beams, max_new_tokens=new, min_new_tokens=new, no_repeat_ngram_size=0, length_penalty=1.0)

    if system == "baseline":
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        tok = AutoTokenizer.from_pretrained(path)
        device = spec.get("device", "cpu")
        model = AutoModelForSeq2SeqLM.from_pretrained(path, dtype=torch.float32).eval().to(device)
        model.generation_config.max_length = None

        def run(texts):
            produced = 0
            for text in texts:
                ids = tok(text, return_tensors="pt", truncation=True, max_length=512).to(device)
                with torch.no_grad():
                    out = model.generate(**ids, **options)
                produced += out.shape[1] - 1
            return produced

    elif system in ("torch", "ctranslate2", "default", "torch-vocab") or system.startswith("ct2-vocab"):
        from summarize import Summarizer

        # torch / ctranslate2: the full vocabulary; *-vocab: the default
        # restriction (or ct2-vocab-K); default: every library default.
        backend = {"torch": "torch", "torch-vocab": "torch", "default": "auto"}.get(system, "ctranslate2")
        vocabulary = "full" if system in ("torch", "ctranslate2") else "auto"
        if system.startswith("ct2-vocab-"):
            vocabulary = int(system.rsplit("-", 1)[1])
        extra = {"cache_dir": spec["cache_dir"]} if backend != "torch" else {}
        if backend != "torch" and system != "ctranslate2":
            import ctranslate2  # noqa: F401  (torch is not imported on this path)
        s = Summarizer(path, backend=backend, device="cpu", batch_size=batch, vocabulary=vocabulary, faithfulness="off",
                       threads=spec["threads"], **extra, **options)

        def run(texts):
            return sum(r.output_tokens for r in s.summarize(texts, lang="en"))

    elif system.startswith("gpu-"):
        from summarize import Summarizer

        # On a GPU: the named precision. In smoke mode on CPU (to test the
        # code path) precisions the CPU lacks become float32.
        device = spec.get("device", "cuda")
        if system.startswith("gpu-torch"):
            dtype = "bfloat16" if device.startswith("cuda") else "float32"
            s = Summarizer(path, backend="torch", device=device, dtype=dtype, batch_size=batch, faithfulness="off",
                           vocabulary="auto" if system.endswith("-vocab") else "full", **options)
        else:
            compute = system.removeprefix("gpu-ct2-") if device.startswith("cuda") else "float32"
            s = Summarizer(path, backend="ctranslate2", device=device, compute_type=compute, cache_dir=spec["cache_dir"],
                           batch_size=batch, faithfulness="off", vocabulary="full", **options)

        def run(texts):
            return sum(r.output_tokens for r in s.summarize(texts, lang="en"))

    elif system == "convert":
        from summarize import Summarizer

        # int8 for ct2-direct; float32 for the library's default where the CPU's int8 path is oneDNN.
        for compute_type in ("int8", "float32"):
            Summarizer(path, backend="ctranslate2", device="cpu", cache_dir=spec["cache_dir"], compute_type=compute_type)
        return {"system": system}

    elif system in ("ct2-direct", "ct2-direct-defaults"):
        import ctranslate2
        from tokenizers import Tokenizer

        from summarize.backends.cpu import cpu_workers, prefer_avx512
        from summarize.backends.conversion import conversion_dir

        # The conversion the library made (the "convert" step), used directly.
        converted = conversion_dir(Path(spec["cache_dir"]), path, None, path, "int8")
        tok = Tokenizer.from_file(str(converted / "tokenizer.json"))
        if system == "ct2-direct":
            # The library's engine settings, by hand: parallel workers, the
            # batch split between them, AVX-512 kernels where the CPU has them.
            prefer_avx512()
            workers, intra = cpu_workers(spec["threads"])
            translator = ctranslate2.Translator(str(converted), device="cpu", compute_type="int8", inter_threads=workers, intra_threads=intra)
            per_call = -(-batch // workers)
        else:
            translator = ctranslate2.Translator(str(converted), device="cpu", compute_type="int8")
            per_call = batch

        def run(texts):
            source = [e.tokens for e in tok.encode_batch(texts)]
            results = translator.translate_batch(
                source, max_batch_size=per_call, beam_size=beams, max_decoding_length=new,
                min_decoding_length=new, no_repeat_ngram_size=0, length_penalty=1.0,
            )
            return sum(len(r.hypotheses[0]) for r in results)
    else:
        raise ValueError(system)

    run(docs[:1])  # warm-up: first-call allocations, lazy inits
    seconds, tokens = [], 0
    for _ in range(spec["runs"]):
        start = time.perf_counter()
        tokens = run(docs)
        seconds.append(time.perf_counter() - start)
    return {"system": system, "seconds": seconds, "output_tokens": tokens, "docs": len(docs), "peak_rss_mb": peak_rss_mb()}


def peak_rss_mb() -> float:
    """This process's peak resident memory.

    ``VmHWM`` rather than ``ru_maxrss``: Linux carries ``ru_maxrss`` across
    ``exec``, so a worker would report its parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_worker(spec: dict, in_process: bool) -> dict:
    if in_process:
        return worker(spec)
    proc = subprocess.run(
        [sys.executable, __file__, "--worker"], input=json.dumps(spec), capture_output=True, text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{spec['system']} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- the whole benchmark --------------------------------------------------------

def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for name in ("torch", "transformers", "ctranslate2"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), **versions}


def summarise(result: dict, baseline: dict | None) -> dict:
    median = statistics.median(result["seconds"])
    row = {
        "system": result["system"],
        "docs_per_s": result["docs"] / median,
        "s_per_doc": median / result["docs"],
        "tokens_per_s": result["output_tokens"] / median,
        "peak_rss_mb": result["peak_rss_mb"],
        "runs": result["seconds"],
    }
    if baseline:
        base_median = statistics.median(baseline["seconds"])
        row["speedup"] = (result["docs"] / median) / (baseline["docs"] / base_median)
        row["memory_ratio"] = result["peak_rss_mb"] / baseline["peak_rss_mb"]
    return row


def paired_speedup(row: dict, baseline: dict | None) -> float:
    """The median over rounds of the baseline's time over ``row``'s, both in the same round (1.0 without a baseline)."""
    if not baseline or len(baseline["runs"]) != len(row["runs"]):
        return 1.0
    return statistics.median(b / r for b, r in zip(baseline["runs"], row["runs"]))


def markdown(report: dict) -> str:
    a = report["args"]
    lines = [
        f"### mT5-{a['shape']} shape, beam {a['beams']}, {a['input_tokens']} input tokens, {a['new_tokens']} output tokens forced, batch {a['batch_size']}",
        "",
        f"{report['machine']['cpu']}, {report['machine']['cores']} cores; torch {report['machine']['torch']}, "
        f"transformers {report['machine']['transformers']}, ctranslate2 {report['machine']['ctranslate2']}; "
        f"{a['docs']} documents, median of {a['runs']} rounds (each round runs every system once, in turn).",
        "",
        "| system | s/doc | docs/s | output tokens/s | peak RSS (MB) | speed vs baseline | per-round speed vs baseline | memory vs baseline |",
        "|---|---|---|---|---|---|---|---|",
    ]
    baseline = next((r for r in report["systems"] if r["system"] == "baseline"), None)
    for r in report["systems"]:
        lines.append(
            f"| {r['system']} | {r['s_per_doc']:.2f} | {r['docs_per_s']:.3f} | {r['tokens_per_s']:.1f} | "
            f"{r['peak_rss_mb']:.0f} | {r.get('speedup', 1.0):.2f}x | {paired_speedup(r, baseline):.2f}x | {r.get('memory_ratio', 1.0):.2f} |"
        )
    lines += ["", "Speed vs baseline: the ratio of the medians. Per-round: the median, over the rounds, of "
              "the baseline's time in a round divided by the system's in the same round."]
    if report.get("overhead") is not None:
        lines += ["", f"Library overhead over CTranslate2 called directly: {report['overhead'] * 100:+.1f}% (time per document)."]
    if report.get("default_vs_ct2_direct") is not None:
        lines += ["", f"Default path against CTranslate2 called directly without restriction: {report['default_vs_ct2_direct']:.2f}x."]
    if report.get("length_scaling"):
        lines += ["", "Library, ctranslate2 backend, by document length (chunked map-reduce):", "",
                  "| length | input tokens | s/doc | windows |", "|---|---|---|---|"]
        for r in report["length_scaling"]:
            lines.append(f"| {r['factor']}x | {r['input_tokens']} | {r['s_per_doc']:.2f} | {r['chunks']} |")
    if report.get("batch_scaling"):
        lines += ["", "Library, ctranslate2 backend, by batch size:", "", "| batch size | s/doc | docs/s |", "|---|---|---|"]
        for r in report["batch_scaling"]:
            lines.append(f"| {r['batch_size']} | {r['s_per_doc']:.2f} | {r['docs_per_s']:.3f} |")
    return "\n".join(lines) + "\n"


def scaling(path: str, cache_dir: str, beams: int, new: int, docs_words: int, vocab_words: int, factors, batch_sizes, n_docs) -> tuple[list, list]:
    from summarize import Summarizer

    options = dict(num_beams=beams, max_new_tokens=new, min_new_tokens=new, no_repeat_ngram_size=0)
    length_rows, batch_rows = [], []
    s = Summarizer(path, backend="ctranslate2", device="cpu", cache_dir=cache_dir, batch_size=4, **options)
    for factor in factors:
        docs = make_documents(max(1, n_docs // factor), docs_words * factor, vocab_words, seed=factor)
        start = time.perf_counter()
        results = s.summarize(docs, lang="en")
        elapsed = time.perf_counter() - start
        length_rows.append({"factor": factor, "input_tokens": results[0].input_tokens, "s_per_doc": elapsed / len(docs), "chunks": results[0].chunks})
    docs = make_documents(n_docs, docs_words, vocab_words, seed=99)
    for b in batch_sizes:
        s.options = s.options.replace(batch_size=b)  # the model stays loaded; only the batch size changes
        start = time.perf_counter()
        s.summarize(docs, lang="en")
        elapsed = time.perf_counter() - start
        batch_rows.append({"batch_size": b, "s_per_doc": elapsed / len(docs), "docs_per_s": len(docs) / elapsed})
    return length_rows, batch_rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shape", choices=tuple(SHAPES), default="small")
    p.add_argument("--beams", type=int, default=4)
    p.add_argument("--docs", type=int, default=4)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--new-tokens", type=int, default=64)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    p.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated subset of " + ", ".join(SYSTEMS + SWEEP))
    p.add_argument("--sweep", action="store_true", help="also the K sweep: " + ", ".join(SWEEP))
    p.add_argument("--device", default="cpu", help="cpu (the default systems) or cuda (the GPU systems, batch 32 unless --batch-size): " + ", ".join(GPU_SYSTEMS))
    p.add_argument("--scaling", action="store_true", help="also time length (1x/4x/16x) and batch-size scaling")
    p.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "summarize-bench"), help="where checkpoints and conversions are kept")
    p.add_argument("--out", default="benchmarks/results")
    p.add_argument("--smoke", action="store_true", help="tiny shapes, 2 documents, 1 run, in one process")
    p.add_argument("--render", metavar="JSON", help="print the Markdown of a saved result (a results/*.json) and exit")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.render:
        print(markdown(json.loads(Path(args.render).read_text())), end="")
        return 0

    if args.worker:
        print(json.dumps(worker(json.loads(sys.stdin.read()))))
        return 0
    gpu = args.device.startswith("cuda")
    if gpu and "--batch-size" not in (argv or sys.argv):
        args.batch_size = 32
    if args.smoke:
        args.shape, args.docs, args.runs, args.new_tokens, args.batch_size = "tiny", 2, 1, 4, 2
    systems = [s.strip() for s in args.systems.split(",") if s.strip()] + (list(SWEEP) if args.sweep else [])
    if gpu:
        systems = ["baseline", *GPU_SYSTEMS]
    try:
        import ctranslate2  # noqa: F401
    except ImportError:
        systems = [s for s in systems if s not in ("ctranslate2", "default") and not s.startswith(("ct2-vocab", "ct2-direct"))]
        print("ctranslate2 is not installed: its rows are skipped (pip install 'ctranslate2>=4.8')", file=sys.stderr)

    cache = Path(args.cache)
    path = str(build_checkpoint(args.shape, cache / f"mt5-{args.shape}"))
    from transformers import AutoTokenizer

    vocab_words = (len(AutoTokenizer.from_pretrained(path)) - 400) // 2
    # 20-word sentences: each word one token, each full stop one more, and the
    # end token: the most words that make at most 512 tokens.
    words = max(n for n in range(1, 512) if n + n // 20 + 1 <= 512)
    docs = make_documents(args.docs, words, vocab_words)
    spec = dict(path=path, docs=docs, beams=args.beams, new_tokens=args.new_tokens, batch_size=args.batch_size,
                runs=args.runs, threads=args.threads, cache_dir=str(cache / "ct2"),
                device="cuda" if gpu and not args.smoke else "cpu")
    if any(s in ("ctranslate2", "default") or s.startswith(("ct2-vocab", "ct2-direct")) for s in systems):
        # Convert (and cache) in a process of its own: conversion loads the
        # fp32 model, and its peak must not be counted as a system's.
        run_worker({**spec, "system": "convert"}, in_process=args.smoke)
    # Rounds: each round runs every system once, in a fresh process, so that
    # a slow spell of the machine falls on every system alike rather than on
    # whichever ran then; each system's median is over the rounds.
    results: dict[str, dict] = {}
    for round_ in range(spec["runs"]):
        for system in systems:
            print(f"round {round_ + 1}/{spec['runs']}: {system}...", file=sys.stderr, flush=True)
            r = run_worker({**spec, "system": system, "runs": 1}, in_process=args.smoke)
            if system not in results:
                results[system] = r
            else:
                results[system]["seconds"] += r["seconds"]
                results[system]["peak_rss_mb"] = max(results[system]["peak_rss_mb"], r["peak_rss_mb"])
    baseline = results.get("baseline")
    report = {
        "args": {**{k: v for k, v in vars(args).items() if k not in ("worker",)}, "input_tokens": len(AutoTokenizer.from_pretrained(path)(docs[0], verbose=False).input_ids)},
        "machine": machine(),
        "systems": [summarise(results[s], baseline if s != "baseline" else None) for s in systems],
        "overhead": None,
    }
    if "ctranslate2" in results and "ct2-direct" in results:
        lib = statistics.median(results["ctranslate2"]["seconds"])
        direct = statistics.median(results["ct2-direct"]["seconds"])
        report["overhead"] = lib / direct - 1
    if "default" in results and "ct2-direct" in results:
        # The default path against CTranslate2 called directly, unrestricted.
        report["default_vs_ct2_direct"] = statistics.median(results["ct2-direct"]["seconds"]) / statistics.median(results["default"]["seconds"])
    if args.scaling and "ctranslate2" in systems:
        factors = (1, 4) if args.smoke else (1, 4, 16)
        report["length_scaling"], report["batch_scaling"] = scaling(
            path, str(cache / "ct2"), args.beams, args.new_tokens, words, vocab_words, factors,
            (1, 2) if args.smoke else (1, 2, 4, 8), max(2, args.docs if args.smoke else 8),
        )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{args.shape}-beam{args.beams}" + ("-cuda" if gpu else "")
    (out / f"{stem}.json").write_text(json.dumps(report, indent=2))
    (out / f"{stem}.md").write_text(markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
