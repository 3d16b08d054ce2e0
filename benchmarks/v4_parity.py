"""``summarize.pipeline("summarization")`` against transformers 4.57's, on the same checkpoints and calls.

Transformers 5 has no summarization pipeline, so transformers 4.57 runs in a
virtual environment of its own (it installs from the package index)::

    python3 -m venv /tmp/v4 && /tmp/v4/bin/pip install torch==2.13.0 "transformers==4.57.*" sentencepiece protobuf
    python benchmarks/v4_parity.py --v4-python /tmp/v4/bin/python

Tiny checkpoints are built here (random weights, real tokenizers): an mT5,
an original T5 whose ``task_specific_params`` give the ``"summarize: "``
prefix, and a BART whose ``task_specific_params["summarization"]`` carry
bart-large-cnn's kind of settings (beams, lengths, no-repeat n-grams, length
penalty, early stopping). Each is summarised by transformers 4.57's
pipeline and by this library's, with ``backend="torch"`` (expected: the same
``summary_text``, every case) and with the default backend (CTranslate2:
differences counted and reported). Exit status 1 if a torch case differs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

V4_SCRIPT = r"""
import json, sys, warnings
warnings.filterwarnings("ignore")
from transformers import pipeline, logging
logging.set_verbosity_error()
spec = json.loads(sys.stdin.read())
out = []
for case in spec["cases"]:
    p = pipeline("summarization", model=case["model"], device=-1)
    out.append(p(case["inputs"], **case["kwargs"]))
print(json.dumps(out))
"""

TEXTS = [
    "The city council approved a new budget on Tuesday. Officials said the money would repair roads and schools "
    "before winter. Energy prices rose by 13.5 percent in October.",
    "Міська рада у вівторок ухвалила новий бюджет. Посадовці заявили, що кошти підуть на ремонт доріг і шкіл до зими.",
    "Городской совет во вторник утвердил новый бюджет. Цены на энергоносители в октябре выросли на 13,5 процента.",
]
CALLS = [
    {},
    {"max_length": 20, "min_length": 5, "do_sample": False},
    {"num_beams": 1, "max_length": 15},
    {"num_beams": 3, "max_length": 12, "min_length": 12},
    {"num_beams": 2, "max_new_tokens": 9},
]


def build(directory: Path) -> dict[str, str]:
    from summarize.testing import build_tiny_bart_family, build_tiny_checkpoint

    models = {
        "mt5": build_tiny_checkpoint(directory / "mt5", max_input_tokens=128),
        "t5-prefix": build_tiny_checkpoint(directory / "t5", max_input_tokens=128, t5_prefix="summarize: "),
        "bart-cnn-like": build_tiny_bart_family(directory / "bart", "bart", max_input_tokens=128),
    }
    # As google-t5/t5-small's config reads: tied, with no scale_decoder_outputs key (transformers 5 writes one,
    # which transformers 4 does not read: it scales by tie_word_embeddings).
    t5_config = Path(models["t5-prefix"]) / "config.json"
    config = json.loads(t5_config.read_text())
    config.pop("scale_decoder_outputs", None)
    config["tie_word_embeddings"] = True
    t5_config.write_text(json.dumps(config, indent=2))
    config_path = Path(models["bart-cnn-like"]) / "config.json"
    config = json.loads(config_path.read_text())
    config["task_specific_params"] = {"summarization": {"early_stopping": True, "length_penalty": 2.0, "max_length": 30,
                                                        "min_length": 8, "no_repeat_ngram_size": 3, "num_beams": 4}}
    config_path.write_text(json.dumps(config, indent=2))
    return models


def ours(model: str, inputs, kwargs: dict, backend: str, cache: str):
    from summarize import pipeline

    return pipeline("summarization", model=model, device=-1, backend=backend)(inputs, **kwargs)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--v4-python", required=True, help="a Python with transformers 4.57 installed")
    p.add_argument("--out", default="benchmarks/results")
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="v4-parity-"))
    models = build(work)
    cases = [{"name": name, "model": path, "inputs": inputs, "kwargs": kwargs}
             for name, path in models.items() for kwargs in CALLS for inputs in (TEXTS[0], TEXTS)]
    done = subprocess.run([args.v4_python, "-c", V4_SCRIPT], input=json.dumps({"cases": cases}), capture_output=True,
                          text=True, check=True)
    expected = json.loads(done.stdout.strip().splitlines()[-1])
    rows, torch_differs = [], 0
    for case, want in zip(cases, expected):
        got = {backend: ours(case["model"], case["inputs"], case["kwargs"], backend, str(work)) for backend in ("torch", "auto")}
        same = {backend: got[backend] == want for backend in got}
        torch_differs += not same["torch"]
        rows.append({"model": case["name"], "call": case["kwargs"], "inputs": "list" if isinstance(case["inputs"], list) else "str",
                     "torch": same["torch"], "default": same["auto"], "v4": want, "torch_got": got["torch"], "default_got": got["auto"]})
        if not same["torch"]:
            print(f"DIFFERS on torch: {case['name']} {case['kwargs']}\n  v4:   {want}\n  ours: {got['torch']}", file=sys.stderr)
    table = ["| checkpoint | call | input | backend='torch' | default backend |", "|---|---|---|---|---|"]
    table += [f"| {r['model']} | `{json.dumps(r['call'])}` | {r['inputs']} | {'same' if r['torch'] else 'DIFFERS'} | "
              f"{'same' if r['default'] else 'differs'} |" for r in rows]
    summary = (f"\n{sum(r['torch'] for r in rows)}/{len(rows)} calls give transformers 4.57's summary_text on backend='torch'; "
               f"{sum(r['default'] for r in rows)}/{len(rows)} on the default backend.\n")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "v4-parity.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1))
    (out / "v4-parity.md").write_text("\n".join(table) + "\n" + summary)
    print("\n".join(table) + "\n" + summary)
    return 1 if torch_differs else 0


if __name__ == "__main__":
    sys.exit(main())
