"""The CLI's output on fixed inputs, byte for byte, against outputs recorded before a refactor.

Refactors move code; this test proves they changed no output. The model
cases run in float32: int8 products differ between CPUs (oneMKL on Intel,
oneDNN elsewhere), so an int8 output recorded on one machine is not one
another machine can give, while float32's only rounding differences are far
below the tiny model's margins between tokens. Timings
(``seconds``) and temporary paths are normalised. To record new outputs
after a deliberate change of format: ``SUMMARIZE_RECORD_GOLDEN=1 pytest
tests/test_cli_golden.py``, and say why in the commit.
"""

import io
import json
import os
import re
from pathlib import Path

import pytest

from summarize.cli import main

from .conftest import TEXTS

GOLDEN = Path(__file__).parent / "data" / "cli_golden.json"


def _inputs(tmp_path):
    for lang, text in TEXTS.items():
        (tmp_path / f"{lang}.txt").write_text(text, encoding="utf-8")
    lines = [
        json.dumps({"id": "a", "text": TEXTS["en"]}),
        "{broken",
        json.dumps({"id": "b", "body": TEXTS["ru"]}),
        json.dumps({"text": TEXTS["uk"]}),
        json.dumps({"id": "c", "text": "  "}),
        json.dumps({"id": "a", "text": TEXTS["ru"]}),
        json.dumps({"id": 7, "text": TEXTS["ru"]}),
    ]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


CASES = {
    "lead-one-file": ["--method", "lead", "--sentences", "2", "{tmp}/en.txt"],
    "textrank-three-files": ["--method", "textrank", "--sentences", "1", "{tmp}/en.txt", "{tmp}/uk.txt", "{tmp}/ru.txt"],
    "lead-json": ["--method", "lead", "--format", "json", "{tmp}/uk.txt"],
    "lead-jsonl-records": ["--method", "lead", "--sentences", "1", "--input-format", "jsonl", "{tmp}/in.jsonl"],
    "model-json": ["--model", "{model}", "--compute-type", "float32", "--num-beams", "1", "--max-new-tokens", "6", "--format", "json", "{tmp}/ru.txt"],
    "model-jsonl-records": ["--model", "{model}", "--compute-type", "float32", "--num-beams", "2", "--max-new-tokens", "5", "--input-format", "jsonl", "{tmp}/in.jsonl"],
    "model-text-files": ["--model", "{model}", "--compute-type", "float32", "--num-beams", "1", "--max-new-tokens", "5", "{tmp}/en.txt", "{tmp}/uk.txt"],
    "missing-file": ["--method", "lead", "{tmp}/nowhere.txt"],
}


def _normalise(text, tmp, model):
    # Whether this case converts the model for CTranslate2 depends on the cache, not on the CLI.
    text = "".join(line for line in text.splitlines(keepends=True) if not line.startswith(("summarize: convert",)))
    text = text.replace(str(tmp), "<tmp>").replace(model, "<model>")
    return re.sub(r'"seconds": [0-9.e-]+', '"seconds": 0', text)


@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_output_is_unchanged(case, tiny_model, tmp_path):
    _inputs(tmp_path)
    argv = [a.format(tmp=tmp_path, model=tiny_model) for a in CASES[case]]
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.BytesIO(b""), stdout=out, stderr=err)
    got = {"code": code, "stdout": _normalise(out.getvalue(), tmp_path, tiny_model),
           "stderr": _normalise(err.getvalue(), tmp_path, tiny_model)}
    recorded = json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.exists() else {}
    if os.environ.get("SUMMARIZE_RECORD_GOLDEN"):
        recorded[case] = got
        GOLDEN.write_text(json.dumps(recorded, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert got == recorded[case]
