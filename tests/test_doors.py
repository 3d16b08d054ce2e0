"""The same bad value gets the same kind of error, with the same substance, through every door.

The library, ``summarize.summarize``, the command line, the service (HTTP),
Ray Data jobs and the evaluation harness each run the one check of a call
(:func:`summarize.options.check_call`) and the one options schema
(:class:`summarize.options.SummarizerOptions`) before work is queued or a
model downloaded; each says it in its own words (flags on the command
lines, fields in HTTP).
"""

from __future__ import annotations

import io
import json
import re

import pytest

from summarize import InvalidOptionError, Summarizer, UnsupportedLanguageError
from summarize import summarize as summarize_once

from .conftest import TEXTS

# (case, summarizer options, call options, error class, what every door's message says, HTTP status)
CASES = [
    ("beams", {}, {"num_beams": 0}, InvalidOptionError, r"num.beams must be an integer >= 1, got 0", 400),
    ("new tokens", {}, {"max_new_tokens": -3}, InvalidOptionError, r"max.new.tokens must be an integer >= 1, got -3", 400),
    ("method", {"method": "bogus"}, {}, InvalidOptionError, r"'bogus'.*'abstractive', 'lead'|'abstractive', 'lead'.*'bogus'", 400),
    ("lang", {}, {"lang": "pl"}, UnsupportedLanguageError, r"lang.*'pl'|'pl'.*lang", 422),
    ("policy", {}, {"lang": "uk", "target_lang": "en"}, UnsupportedLanguageError,
     r"'xlsum' writes summaries in the language of the input.*crosssum", 422),
    ("extractive", {"method": "lead"}, {"num_beams": 2}, InvalidOptionError,
     r"(generation|decoding) options \(num.beams\) apply to (method='abstractive'|--method abstractive) only", 400),
]
IDS = [c[0] for c in CASES]


def _flags(options):
    argv = []
    for name, value in options.items():
        argv += ["--" + name.replace("_", "-"), str(value)]
    return argv


@pytest.fixture(scope="module")
def xlsum(preset_standins):
    return Summarizer("xlsum", backend="torch", device="cpu")


@pytest.mark.parametrize("case, mine, call, error, says, status", CASES, ids=IDS)
def test_the_library(xlsum, case, mine, call, error, says, status):
    with pytest.raises(error) as caught:
        (Summarizer(**mine) if mine else xlsum).summarize(TEXTS["uk"], **call)
    assert re.search(says, str(caught.value)), str(caught.value)


@pytest.mark.parametrize("case, mine, call, error, says, status", CASES, ids=IDS)
def test_summarize_once(preset_standins, case, mine, call, error, says, status):
    with pytest.raises(error) as caught:
        summarize_once(TEXTS["uk"], backend="torch", device="cpu", **mine, **call)
    assert re.search(says, str(caught.value)), str(caught.value)


@pytest.mark.parametrize("case, mine, call, error, says, status", CASES, ids=IDS)
def test_the_command_line_before_anything_loads(monkeypatch, capsys, case, mine, call, error, says, status):
    from summarize import checkpoints
    from summarize.cli import main

    def no_loading(*args, **kwargs):
        raise AssertionError("a model was loaded for a call that is refused")

    monkeypatch.setattr(checkpoints, "load_checkpoint", no_loading)
    err = io.StringIO()
    code = main(["--model", "xlsum", *_flags(mine), *_flags(call), "-"], stdin=io.BytesIO(TEXTS["uk"].encode()),
                stdout=io.StringIO(), stderr=err)
    message = err.getvalue() + capsys.readouterr().err  # argparse's own refusals (a choice) go to sys.stderr
    assert code == 2, message
    assert message.count("\n") == 1 and "Traceback" not in message
    assert re.search(says, message), message
    if case in ("beams", "new tokens"):
        assert "--" in message.split("must be")[0]  # in the command's words: a flag


@pytest.mark.parametrize("case, mine, call, error, says, status", CASES, ids=IDS)
def test_the_service(xlsum, case, mine, call, error, says, status):
    from .test_server_app import Serving

    serving = Serving(xlsum)
    try:
        # A server's own options are its command line's; a request chooses the method and the call.
        code, _, raw = serving.post({"text": TEXTS["uk"], **mine, **call})
    finally:
        serving.close()
    body = json.loads(raw)
    assert code == status, body
    assert body["kind"] == ("unsupported_language" if error is UnsupportedLanguageError else "invalid_option")
    assert re.search(says, body["error"]), body["error"]


@pytest.mark.parametrize("case, mine, call, error, says, status", CASES, ids=IDS)
def test_a_ray_job_before_any_actor(tmp_path, case, mine, call, error, says, status):
    pytest.importorskip("ray")
    from summarize.jobs.distributed import summarize_dataset

    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": 1, "text": TEXTS["uk"]}) + "\n", encoding="utf-8")
    with pytest.raises(error) as caught:
        summarize_dataset(str(path), model="xlsum", **mine, **call)  # no Ray started: refused on the driver
    assert re.search(says, str(caught.value)), str(caught.value)


@pytest.mark.parametrize("case, mine, call, error, says, status",
                         [c for c in CASES if c[0] in ("beams", "new tokens", "policy")], ids=["beams", "new tokens", "policy"])
def test_the_evaluation_harness_before_anything_loads(tmp_path, monkeypatch, case, mine, call, error, says, status):
    from summarize import checkpoints
    from summarize_eval.runs import run_evaluation

    def no_loading(*args, **kwargs):
        raise AssertionError("a model was loaded for a run that is refused")

    monkeypatch.setattr(checkpoints, "load_checkpoint", no_loading)
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps({"id": i, "text": TEXTS["uk"], "summary": TEXTS["uk"][:40]}) for i in range(3)) + "\n",
                    encoding="utf-8")
    generation = {k: v for k, v in call.items() if k not in ("lang", "target_lang")}
    with pytest.raises(error) as caught:
        run_evaluation(dataset=str(data), lang=call.get("lang", "uk"), target_lang=call.get("target_lang"), model="xlsum",
                       out_dir=tmp_path / "run", generation_options=generation, n_bootstrap=10, check_language=False)
    assert re.search(says, str(caught.value)), str(caught.value)
    assert not (tmp_path / "run" / "predictions.jsonl").exists()


@pytest.mark.parametrize("text", ["   ", "\ud800 Ціни зросли.", "Ціни зросли. " * 10])
def test_a_documents_error_does_not_depend_on_whether_its_mates_loaded_the_model(preset_standins, text):
    # A job's summarizer refuses what it can before the model loads; the same text must get the same error after.
    from summarize.inputs.records import Record
    from summarize.jobs import summarize_block
    from summarize.jobs.deferred import DeferredSummarizer
    from summarize.options import SummarizerOptions

    options = SummarizerOptions(model="xlsum", backend="torch", device="cpu", max_input_chars=100)
    alone = summarize_block(DeferredSummarizer(options), [Record("a", text, 1)], lang="uk")
    mates = summarize_block(DeferredSummarizer(options), [Record("a", text, 1), Record("b", TEXTS["uk"], 2)], lang="uk")
    assert isinstance(alone[0][1], Exception)
    assert (type(alone[0][1]), str(alone[0][1])) == (type(mates[0][1]), str(mates[0][1]))
