"""What each preset costs to download and to run: parameters, download size, peak memory.

Parameters are counted exactly, without allocating anything, by building each
preset's architecture (the published configuration of its checkpoint) on
PyTorch's ``meta`` device. The download is the float32 weights, 4 bytes a
parameter, which is what the four hub repositories hold; the CTranslate2
conversion the default backend makes once is about the same size in
float32 and a quarter of it in int8.

``--measure`` also runs the mT5-base shape (``xlsum``, ``crosssum``, the
default) with random weights and the real vocabulary size: each backend and
precision in a fresh process that loads the model and summarises four
512-token documents with the preset's beam of 4, reporting that process's
peak resident memory (``wait4``; CTranslate2's first run, which converts
the checkpoint once through transformers, is reported apart). BART-large and mBART-large are not
measured (their tokenizers cannot be rebuilt offline at their real
vocabulary sizes).

    python benchmarks/presets.py                 # the table of sizes: seconds
    python benchmarks/presets.py --measure       # and memory at the mT5-base shape: about 10 minutes on 2 cores

Results: ``<out>/presets.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(ROOT))

# The published configurations of the presets' checkpoints (their config.json), the fields that set the size.
ARCHITECTURES = {
    "mt5-base": ("MT5Config", dict(vocab_size=250_112, d_model=768, d_kv=64, d_ff=2048, num_layers=12, num_decoder_layers=12,
                                   num_heads=12, feed_forward_proj="gated-gelu", tie_word_embeddings=False)),
    "bart-large": ("BartConfig", dict(vocab_size=50_264, d_model=1024, encoder_layers=12, decoder_layers=12, encoder_attention_heads=16,
                                      decoder_attention_heads=16, encoder_ffn_dim=4096, decoder_ffn_dim=4096, max_position_embeddings=1024)),
    "mbart-large": ("MBartConfig", dict(vocab_size=250_027, d_model=1024, encoder_layers=12, decoder_layers=12, encoder_attention_heads=16,
                                        decoder_attention_heads=16, encoder_ffn_dim=4096, decoder_ffn_dim=4096, max_position_embeddings=1024,
                                        scale_embedding=True)),
}
PRESET_ARCHITECTURE = {"xlsum": "mt5-base", "crosssum": "mt5-base", "bart-cnn": "bart-large", "gazeta": "mbart-large"}
MEASURED = (("ctranslate2", "float32"), ("ctranslate2", "int8"), ("torch", None))


def parameters(architecture: str) -> int:
    """The parameter count of an architecture, counted on the meta device (nothing allocated)."""
    import torch
    import transformers
    from transformers import AutoModelForSeq2SeqLM

    name, fields = ARCHITECTURES[architecture]
    config = getattr(transformers, name)(**fields)
    with torch.device("meta"):
        model = AutoModelForSeq2SeqLM.from_config(config)
    # Tied weights are one tensor, stored and downloaded once; mT5 checkpoints
    # carry an output layer of their own, which transformers 5 ties on build.
    total = sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())
    if fields.get("tie_word_embeddings") is False and model.get_output_embeddings().weight is model.get_input_embeddings().weight:
        total += model.get_output_embeddings().weight.numel()
    return total


def measure_worker(spec: dict) -> None:
    from summarize.backends.cpu import tune_process

    tune_process()  # process-wide tuning, as the commands do
    from bench import make_documents

    from summarize import Summarizer

    extra = {"cache_dir": spec["cache_dir"], "compute_type": spec["compute_type"]} if spec["backend"] == "ctranslate2" else {}
    s = Summarizer(spec["path"], backend=spec["backend"], device="cpu", faithfulness="off", vocabulary="full",
                   num_beams=4, max_new_tokens=64, min_new_tokens=64, batch_size=4, **extra)
    # 20-word sentences of one-token words: 487 words make 512 tokens.
    s.summarize(make_documents(4, 487, spec["vocab_words"]), lang="en")


def measure(path: str, backend: str, compute_type: str | None, cache_dir: str) -> float:
    from transformers import AutoTokenizer

    vocab_words = (len(AutoTokenizer.from_pretrained(path)) - 400) // 2
    spec = {"path": path, "backend": backend, "compute_type": compute_type, "cache_dir": cache_dir, "vocab_words": vocab_words}
    code = f"import sys, json; sys.path.insert(0, {str(Path(__file__).parent)!r}); import presets; presets.measure_worker(json.loads(sys.argv[1]))"
    child = subprocess.Popen([sys.executable, "-c", code, json.dumps(spec)], cwd=ROOT)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"presets benchmark: {backend} {compute_type or ''} failed")
    return usage.ru_maxrss / 1024


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--measure", action="store_true", help="also measure peak memory at the mT5-base shape")
    ap.add_argument("--cache", default=str(ROOT / "benchmarks" / ".cache"), help="where the random-weight checkpoint is kept (conversions go to a fresh temporary directory)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args(argv)
    from summarize.presets import PRESETS

    counts = {a: parameters(a) for a in ARCHITECTURES}
    rows = [{"preset": name, "model": PRESETS[name].model_id, "architecture": PRESET_ARCHITECTURE[name],
             "parameters": counts[PRESET_ARCHITECTURE[name]], "download_gb": counts[PRESET_ARCHITECTURE[name]] * 4 / 1e9}
            for name in PRESETS]
    memory: dict[str, float] = {}
    if args.measure:
        from bench import build_checkpoint

        path = str(build_checkpoint("base", Path(args.cache) / "mt5-base"))
        with tempfile.TemporaryDirectory() as cache_dir:
            # A fresh conversion cache: CTranslate2's first run converts the
            # checkpoint (once, through transformers), and its peak is reported apart.
            for backend, compute_type in MEASURED:
                label = f"{backend} {compute_type}" if compute_type else f"{backend} float32"
                if backend == "ctranslate2":
                    memory[f"{label}, first run (converts once)"] = measure(path, backend, compute_type, cache_dir)
                memory[label] = measure(path, backend, compute_type, cache_dir)
                print(f"mT5-base, {label}: {memory[label]:.0f} MB peak", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "presets.json").write_text(json.dumps({"presets": rows, "mt5_base_peak_mb": memory}, indent=2) + "\n", encoding="utf-8")
    lines = ["| preset | model | architecture | parameters | download (float32) |", "|---|---|---|---|---|"]
    lines += [f"| {r['preset']} | `{r['model']}` | {r['architecture']} | {r['parameters'] / 1e6:.0f}M | {r['download_gb']:.2f} GB |" for r in rows]
    if memory:
        lines += ["", "Peak memory at the mT5-base shape (xlsum, crosssum): load, then four 512-token documents, beam 4, batch 4:", "",
                  "| backend and precision | peak RSS |", "|---|---|"]
        lines += [f"| {label} | {mb / 1024:.1f} GB |" for label, mb in memory.items()]
    text = "\n".join(lines) + "\n"
    (out / "presets.md").write_text(text, encoding="utf-8")
    print(text, end="")


if __name__ == "__main__":
    main()
