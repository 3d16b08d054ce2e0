"""The transformers 4 drop-in: ``summarize.pipeline("summarization")`` and ``Summarizer.__call__``.

Its summaries are compared with transformers 4.57's own pipeline by
``benchmarks/v4_parity.py`` (transformers 4.57 lives in a venv of its own);
set ``SUMMARIZE_V4_PYTHON`` to that venv's python to run the comparison here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from summarize import InvalidOptionError, Summarizer, pipeline

from .conftest import TEXTS


@pytest.fixture(scope="module")
def cnn_like(tmp_path_factory) -> str:
    """A tiny BART whose config carries task_specific_params["summarization"], as bart-large-cnn's does."""
    from summarize.testing import build_tiny_bart_family

    path = build_tiny_bart_family(tmp_path_factory.mktemp("cnn-like"), "bart", max_input_tokens=128)
    config = json.loads((Path(path) / "config.json").read_text())
    config["task_specific_params"] = {"summarization": {"max_length": 12, "min_length": 6, "num_beams": 2, "no_repeat_ngram_size": 3}}
    (Path(path) / "config.json").write_text(json.dumps(config))
    # bart-large-cnn's generation config sets its lengths too; without that, transformers 4.57's
    # pipeline keeps its own default of 256 new tokens, whatever max_length says (see the next test).
    generation = json.loads((Path(path) / "generation_config.json").read_text())
    generation.update(max_length=12, min_length=6, num_beams=2)
    (Path(path) / "generation_config.json").write_text(json.dumps(generation))
    return path


def test_the_call_and_the_answer_have_transformers_4s_shape(cnn_like):
    summarizer = pipeline("summarization", model=cnn_like, device=-1, backend="torch")
    one = summarizer(TEXTS["en"])
    assert isinstance(one, list) and len(one) == 1 and set(one[0]) == {"summary_text"}
    many = summarizer([TEXTS["en"], TEXTS["en"][:90]], return_tensors=True)
    assert len(many) == 2 and set(many[0]) == {"summary_text", "summary_token_ids"}
    assert many[0]["summary_text"] == one[0]["summary_text"]  # a list is each text as if alone


def test_lengths_count_the_start_token_and_the_checkpoints_task_params_are_read(cnn_like):
    summarizer = pipeline("summarization", model=cnn_like, backend="torch")
    tok = summarizer.summarizer.checkpoint.tokenizer
    # task_specific_params: max_length 12 -> at most 11 new tokens (the forced <s> among them), at least 5
    ids = summarizer(TEXTS["en"], return_text=False, return_tensors=True)[0]["summary_token_ids"]
    assert 5 <= len(ids) <= 11
    ids = summarizer(TEXTS["en"], max_length=8, min_length=8, return_tensors=True)[0]["summary_token_ids"]
    assert len(ids) == 7 - 1  # 7 new tokens, the last the </s> BART forces at the limit
    assert summarizer(TEXTS["en"], max_length=8, min_length=8)[0]["summary_text"] == tok.decode(ids, skip_special_tokens=True)


def test_as_in_transformers_4_57_max_length_yields_to_the_pipelines_256_new_tokens(tiny_model):
    # A checkpoint whose generation config sets no max_length: transformers 4.57's pipeline kept
    # max_new_tokens=256, which wins over a max_length; max_new_tokens is what shortens it.
    summarizer = pipeline("summarization", model=tiny_model, backend="torch", num_beams=1)
    with pytest.warns(UserWarning, match="max_length=10 is ignored, as transformers 4.57 ignored it"):
        assert summarizer._settings({"max_length": 10}).max_new_tokens == 256
    assert summarizer._settings({"max_new_tokens": 10}).max_new_tokens == 10


def test_only_summarization_and_clear_errors():
    with pytest.raises(InvalidOptionError, match="task 'translation' is not served here"):
        pipeline("translation")
    with pytest.raises(InvalidOptionError, match="framework 'tf'"):
        pipeline("summarization", model="x", framework="tf")


def test_with_no_model_it_is_transformers_4s_default_checkpoint():
    # Offline, the default checkpoint is not in the cache: the error names it.
    with pytest.raises(Exception, match="distilbart-cnn-12-6"):
        pipeline("summarization")


def test_a_summarizer_takes_the_call_too(tiny_model):
    s = Summarizer(tiny_model, backend="torch", num_beams=1)
    answer = s(TEXTS["en"], max_length=6)
    assert len(answer) == 1 and isinstance(answer[0]["summary_text"], str)
    assert s.summarize(TEXTS["en"], max_new_tokens=5).text == answer[0]["summary_text"]


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("SUMMARIZE_V4_PYTHON"), reason="set SUMMARIZE_V4_PYTHON to a python with transformers 4.57")
def test_summaries_equal_transformers_4_57s_on_the_torch_backend(tmp_path):
    script = Path(__file__).parent.parent / "benchmarks" / "v4_parity.py"
    done = subprocess.run([sys.executable, str(script), "--v4-python", os.environ["SUMMARIZE_V4_PYTHON"], "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
