"""Datasets from local files, and whole runs on the tiny model (with resume)."""

import csv
import io
import json
import re
from pathlib import Path

import pytest

from summarize import InvalidInputError
from summarize_eval.baselines import baseline_predictions, oracle
from summarize_eval.cli import main
from summarize_eval.datasets import load_examples
from summarize_eval.runs import run_evaluation

from .conftest import TEXTS

ROWS = [
    {"id": f"doc{i}", "text": TEXTS["uk"] if i % 2 else TEXTS["uk"][:200], "summary": f"Рада ухвалила бюджет {i}."}
    for i in range(6)
]


@pytest.fixture
def jsonl_dataset(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS) + "\n", encoding="utf-8")
    return path


def test_loads_jsonl_csv_and_parquet(tmp_path, jsonl_dataset):
    import pyarrow as pa
    import pyarrow.parquet as pq

    csv_path = tmp_path / "data.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["id", "text", "summary"])
        writer.writeheader()
        writer.writerows(ROWS)
    parquet_path = tmp_path / "data.parquet"
    pq.write_table(pa.Table.from_pylist(ROWS), parquet_path)
    for path in (jsonl_dataset, csv_path, parquet_path):
        examples = load_examples(str(path), lang="uk")
        assert [e.id for e in examples] == [r["id"] for r in ROWS]
        assert examples[0].summary == "Рада ухвалила бюджет 0."


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_local_files_are_decoded_as_every_input_is(tmp_path, suffix, caplog):
    import logging

    path = tmp_path / f"data{suffix}"
    if suffix == ".jsonl":
        raw = "\n".join(json.dumps(r, ensure_ascii=False) for r in ROWS).encode()
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=["id", "text", "summary"])
        writer.writeheader()
        writer.writerows(ROWS)
        raw = buffer.getvalue().encode()
    at = raw.index("Рада".encode())
    path.write_bytes(raw[:at] + b"\xff" + raw[at:])  # a stray byte before the first summary
    with caplog.at_level(logging.WARNING):
        examples = load_examples(str(path), lang="uk")
    assert examples[0].summary == "\ufffdРада ухвалила бюджет 0." and examples[1].text == TEXTS["uk"]
    assert any(f"{path}: 1 byte not valid UTF-8 (first at byte {at:,})" in r.getMessage() for r in caplog.records)
    path.write_bytes(raw.decode().encode("cp1251"))  # a legacy code page, whole
    assert [e.summary for e in load_examples(str(path), lang="uk")] == [r["summary"] for r in ROWS]


def test_limit_is_a_reproducible_sample(jsonl_dataset):
    a = load_examples(str(jsonl_dataset), lang="uk", limit=3, seed=1)
    b = load_examples(str(jsonl_dataset), lang="uk", limit=3, seed=1)
    assert [e.id for e in a] == [e.id for e in b] and len(a) == 3


def test_missing_column_names_the_columns(jsonl_dataset):
    with pytest.raises(InvalidInputError, match=r"no summary column 'highlights'; its columns are 'id', 'text' or 'summary'"):
        load_examples(str(jsonl_dataset), lang="uk", summary_field="highlights")


def test_hub_dataset_offline_is_a_clear_error():
    from summarize import ModelNotAvailableError

    with pytest.raises((ModelNotAvailableError, InvalidInputError)):
        load_examples("csebuetnlp/xlsum", lang="uk", limit=2)


def test_oracle_is_an_upper_bound_for_the_other_extractive_baselines():
    texts = [TEXTS["en"], TEXTS["en"]]
    refs = ["Energy prices rose by 13.5 percent in October.", "Inflation could slow growth, Dr. Smith warned."]
    systems = baseline_predictions(texts, refs, "en")
    assert systems["oracle"][0] == "Energy prices rose by 13.5 percent in October."
    assert set(systems) == {"lead-1", "lead-3", "textrank", "oracle"}
    assert oracle([], "anything", "en") == []


def test_full_run_writes_everything_and_resumes_without_regenerating(tiny_model, jsonl_dataset, tmp_path, monkeypatch):
    out = tmp_path / "run"
    common = dict(
        dataset=str(jsonl_dataset), lang="uk", model=tiny_model, out_dir=out, device="cpu",
        batch_size=1, n_bootstrap=50, generation_options={"num_beams": 1, "max_new_tokens": 6},
    )
    # Interrupt the first run after its first block of documents.
    from summarize import Summarizer

    real = Summarizer.summarize
    calls = {"n": 0}

    def flaky(self, texts, **kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(self, texts, **kw)

    monkeypatch.setattr(Summarizer, "summarize", flaky)
    with pytest.raises(KeyboardInterrupt):
        run_evaluation(**common)
    first = (out / "rows.jsonl").read_text().splitlines()  # the run's job keeps its rows as a summarize --output does
    assert len(first) == 4  # the first block (4 x batch_size) was written before the interruption

    with pytest.raises(InvalidInputError, match="pass --resume"):
        run_evaluation(**common)

    generated = []

    def counting(self, texts, **kw):
        generated.extend(texts)
        return real(self, texts, **kw)

    monkeypatch.setattr(Summarizer, "summarize", counting)
    scores = run_evaluation(**common, resume=True)
    assert len(generated) == len(ROWS) - len(first)

    records = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert sorted(r["id"] for r in records) == sorted(r["id"] for r in ROWS)
    assert all({"id", "prediction", "reference", "seconds"} <= set(r) for r in records)
    saved = json.loads((out / "scores.json").read_text())
    assert saved == json.loads(json.dumps(scores))
    assert set(saved["systems"]) == {Path(tiny_model).name, "lead-1", "lead-3", "textrank", "oracle"}
    for system in saved["systems"].values():
        assert set(system) == {"rouge1", "rouge2", "rougeL", "rougeLsum"}
        assert system["rouge1"]["signature"].startswith("rouge1|lang:uk|tok:xlsum|stem:none|bs:50|seed:0|")
        assert system["rouge1"]["n"] == len(ROWS)
    # The model's scores name what generated them; the baselines' do not.
    assert "|gen:torch/float32/full|" in saved["systems"][Path(tiny_model).name]["rouge1"]["signature"]
    assert "|gen:" not in saved["systems"]["lead-3"]["rouge1"]["signature"]
    run = saved["run"]
    assert run["model"] == tiny_model and run["generation"]["num_beams"] == 1
    assert run["versions"]["transformers"] and run["device"] == "cpu"
    assert run["generated_this_run"] == len(generated)
    report = (out / "report.md").read_text()
    assert "| oracle |" in report and "ROUGE-Lsum" in report
    assert (out / "scores.png").stat().st_size > 1000


def test_published_numbers_appear_for_xlsum_test_sets(preset_standins, tmp_path, jsonl_dataset):
    from summarize_eval.runs import _published

    assert _published("xlsum", "csebuetnlp/xlsum", "uk", "uk", "test", "main") == [
        {"source": "Hasan et al., 2021, XL-Sum (Findings of ACL)", "rouge1": 23.99, "rouge2": 10.14, "rougeL": 20.92, "approximate": False}
    ]
    # BART's published third number is ROUGE-Lsum, and is reported as such.
    (bart,) = _published("bart-cnn", "abisee/cnn_dailymail", "en", "en", "test", "main")
    assert bart["rougeLsum"] == 40.90 and "rougeL" not in bart
    assert _published("xlsum", "csebuetnlp/xlsum", "uk", "uk", "validation", "main") == []
    # Gazeta's numbers depend on its version: the paper's on v1, the model card's on v2.
    assert [p["rouge1"] for p in _published("gazeta", "IlyaGusev/gazeta", "ru", "ru", "test", "v1.0")] == [32.4]
    assert [p["rouge1"] for p in _published("gazeta", "IlyaGusev/gazeta", "ru", "ru", "test", "v2.0")] == [28.7]


def test_cli_score_json_and_errors(tmp_path):
    preds = tmp_path / "p.jsonl"
    refs = tmp_path / "r.jsonl"
    preds.write_text('{"id": 2, "prediction": "Ціни зросли"}\n{"id": 1, "prediction": "Уряд мовчить"}\n', encoding="utf-8")
    refs.write_text('{"id": 1, "summary": "Уряд мовчить"}\n{"id": 2, "summary": "Ціни зросли"}\n', encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["score", "--predictions", str(preds), "--references", str(refs), "--lang", "uk", "--format", "json"], stdout=out, stderr=err) == 0
    payload = json.loads(out.getvalue())
    assert payload["rouge1"]["f1"] == 100.0 and payload["rouge1"]["n"] == 2
    assert payload["rouge1"]["signature"] == "rouge1|lang:uk|tok:xlsum|stem:none|bs:1000|seed:0|v:0.1.0"
    assert set(payload["rouge1"]) == {"f1", "ci95", "mid", "precision", "recall", "n", "signature"}

    lines = tmp_path / "p.txt"
    lines.write_text("a\nb\nc\n")
    one = tmp_path / "r.txt"
    one.write_text("a\n")
    empty = tmp_path / "e.txt"
    empty.write_text("")
    for argv, message in [
        (["--predictions", str(lines), "--references", str(one), "--lang", "en"], "predictions (3) and references (1)"),
        (["--predictions", str(empty), "--references", str(one), "--lang", "en"], "empty file"),
        (["--predictions", str(tmp_path / "missing.txt"), "--references", str(one), "--lang", "en"], "no such file"),
    ]:
        err = io.StringIO()
        assert main(["score", *argv], stdout=io.StringIO(), stderr=err) == 2
        assert message in err.getvalue() and "Traceback" not in err.getvalue()


@pytest.fixture
def short_and_long(tmp_path):
    """Odd rows are longer than the tiny model's 64 tokens, even rows fit."""
    rows = [dict(r, text=r["text"] if i % 2 else TEXTS["uk"][:60]) for i, r in enumerate(ROWS)]
    path = tmp_path / "short-and-long.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_runs_truncate_long_input_as_the_papers_did_unless_told_to_chunk(tiny_model, tmp_path, short_and_long):
    common = dict(dataset=str(short_and_long), lang="uk", model=tiny_model, device="cpu", n_bootstrap=10,
                  generation_options={"num_beams": 1, "max_new_tokens": 4})
    published = run_evaluation(**common, out_dir=tmp_path / "truncate")
    protocol = published["run"]["protocol"]
    assert protocol["long_input"] == "truncate" and protocol["scoring"] == "xlsum"
    assert protocol["truncated_docs"] == 3 and protocol["chunked_docs"] == 0
    rows = [json.loads(line) for line in (tmp_path / "truncate" / "predictions.jsonl").read_text().splitlines()]
    assert [r["truncated"] for r in rows] == [False, True] * 3
    assert "input truncated at 64 tokens, as published" in (tmp_path / "truncate" / "report.md").read_text()

    chunked = run_evaluation(**common, out_dir=tmp_path / "chunk", long_input="chunk")
    assert chunked["run"]["protocol"]["chunked_docs"] == 3 and chunked["run"]["protocol"]["truncated_docs"] == 0
    assert "map-reduce" in (tmp_path / "chunk" / "report.md").read_text()


def test_cnn_dailymail_is_scored_the_way_bart_was_published():
    from summarize_eval.runs import default_scoring

    assert default_scoring("abisee/cnn_dailymail") == "google"
    assert default_scoring("csebuetnlp/xlsum") == default_scoring("csebuetnlp/CrossSum") == "xlsum"


def test_failed_generations_are_counted_not_scored_and_exit_3(tiny_model, tmp_path, short_and_long, monkeypatch):
    from summarize.backends.torch import TorchBackend

    real = TorchBackend.submit

    def flaky(self, batch, settings, start, n_best=1):
        if any(len(ids) > 60 for ids in batch):  # the truncated long rows
            raise RuntimeError("CUDA out of memory (simulated)")
        return real(self, batch, settings, start, n_best)

    monkeypatch.setattr(TorchBackend, "submit", flaky)
    out, err = io.StringIO(), io.StringIO()
    argv = ["run", "--dataset", str(short_and_long), "--lang", "uk", "--model", tiny_model, "--device", "cpu",
            "--num-beams", "1", "--max-new-tokens", "4", "--batch-size", "1", "--bootstrap", "10", "--out", str(tmp_path / "run")]
    assert main(argv, stdout=out, stderr=err) == 3
    assert "3 of 6 generations failed" in err.getvalue()
    scores = json.loads((tmp_path / "run" / "scores.json").read_text())
    assert scores["run"]["failed"] == 3 and scores["run"]["scored"] == 3
    assert all(s["rouge1"]["n"] == 3 for s in scores["systems"].values())  # never scored as empty
    assert "3 failed generations" in out.getvalue()
    rows = [json.loads(line) for line in (tmp_path / "run" / "predictions.jsonl").read_text().splitlines()]
    assert {r.get("error_kind") for r in rows if "error" in r} == {"transient"}

    # The failures were transient: a resume retries exactly them.
    monkeypatch.setattr(TorchBackend, "submit", real)
    assert main([*argv, "--resume"], stdout=io.StringIO(), stderr=io.StringIO()) == 0
    rows = [json.loads(line) for line in (tmp_path / "run" / "predictions.jsonl").read_text().splitlines()]
    assert sorted(r["id"] for r in rows) == sorted(r["id"] for r in ROWS) and not any("error" in r for r in rows)
    assert json.loads((tmp_path / "run" / "scores.json").read_text())["run"]["generated_this_run"] == 3


def test_every_system_and_the_references_get_a_faithfulness_score(tiny_model, tmp_path, short_and_long):
    scores = run_evaluation(dataset=str(short_and_long), lang="uk", model=tiny_model, device="cpu", n_bootstrap=10,
                            out_dir=tmp_path / "run", generation_options={"num_beams": 1, "max_new_tokens": 4})
    faith = scores["faithfulness"]
    assert set(faith) == set(scores["systems"]) | {"reference"}
    # The references ("Рада ухвалила бюджет N.") assert a number N the articles never mention.
    assert faith["reference"]["flagged"] == 100.0 and faith["reference"]["by_kind"]["number"] == 6
    # Lead copies the article: nothing it asserts is unsupported.
    assert faith["lead-1"]["flagged"] == 0.0 and faith["lead-1"]["mean_score"] == 100.0
    report = (tmp_path / "run" / "report.md").read_text()
    assert "| reference | " in report and "unsupported fact" in report
    row = json.loads((tmp_path / "run" / "predictions.jsonl").read_text().splitlines()[0])
    assert "faithfulness" in row and "unsupported_facts" in row


def test_cli_faithfulness_scores_files(tmp_path):
    sources = tmp_path / "sources.txt"
    sources.write_text("Ціни зросли на 5% у Києві.\nУ Львові відкрили школу.\n", encoding="utf-8")
    preds = tmp_path / "preds.txt"
    preds.write_text("Prices rose 7% in Kyiv.\nA school opened in Lviv.\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = main(["faithfulness", "--sources", str(sources), "--predictions", str(preds), "--format", "json"], stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    payload = json.loads(out.getvalue())
    assert payload["flagged"] == 50.0 and payload["unsupported"] == [["number: 7%"], []]
    short = tmp_path / "short.txt"
    short.write_text("Prices rose 7% in Kyiv.\n", encoding="utf-8")
    assert main(["faithfulness", "--sources", str(sources), "--predictions", str(short)], stdout=io.StringIO(), stderr=err) == 2
    assert "mismatch in the number of sources (2) and summaries (1)" in err.getvalue()


def test_a_predictions_file_with_one_empty_line_is_one_empty_prediction(tmp_path):
    preds = tmp_path / "p.txt"
    preds.write_text("\n", encoding="utf-8")
    refs = tmp_path / "r.txt"
    refs.write_text("Ціни зросли\n", encoding="utf-8")
    out = io.StringIO()
    assert main(["score", "--predictions", str(preds), "--references", str(refs), "--lang", "uk", "--format", "json"], stdout=out, stderr=io.StringIO()) == 0
    assert json.loads(out.getvalue())["rouge1"]["f1"] == 0.0


def test_a_language_that_is_not_the_datas_is_refused(tmp_path, jsonl_dataset):
    out, err = io.StringIO(), io.StringIO()
    argv = ["run", "--dataset", str(jsonl_dataset), "--lang", "en", "--method", "lead", "--bootstrap", "10", "--out", str(tmp_path / "r")]
    assert main(argv, stdout=out, stderr=err) == 2
    assert "look 'uk'" in err.getvalue() and "--no-language-check" in err.getvalue()
    # The check samples the data; the summarizer still refuses each article
    # whose letters contradict --lang, so nothing is scored as English.
    err = io.StringIO()
    assert main([*argv, "--no-language-check"], stdout=io.StringIO(), stderr=err) == 2
    assert "every generation failed" in err.getvalue() and "written in Cyrillic script" in err.getvalue()


def test_no_language_check_scores_data_the_sample_check_would_refuse(tmp_path):
    # Ukrainian articles with English references (a cross-lingual set) scored
    # as a monolingual lead baseline: the references look 'en', not 'uk'.
    rows = [{"id": str(i), "text": TEXTS["uk"], "summary": "The council approved the budget on Tuesday."} for i in range(4)]
    data = tmp_path / "x.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    argv = ["run", "--dataset", str(data), "--lang", "uk", "--method", "lead", "--bootstrap", "10", "--out", str(tmp_path / "r")]
    err = io.StringIO()
    assert main(argv, stdout=io.StringIO(), stderr=err) == 2 and "references" in err.getvalue()
    assert main([*argv, "--no-language-check"], stdout=io.StringIO(), stderr=io.StringIO()) == 0


def test_a_resume_with_nothing_left_keeps_the_measured_speed(tmp_path, jsonl_dataset):
    common = dict(dataset=str(jsonl_dataset), lang="uk", model="lead", method="lead", n_bootstrap=10, out_dir=tmp_path / "r")
    first = run_evaluation(**common)
    again = run_evaluation(**common, resume=True)
    assert again["run"]["generated_this_run"] == 0
    assert again["run"]["docs_per_second"] == first["run"]["docs_per_second"] > 0
    assert "measured in an earlier run" in (tmp_path / "r" / "report.md").read_text()


@pytest.mark.slow
def test_run_takes_threads_and_torch_leaves_a_core_free_by_default(tiny_model, jsonl_dataset, tmp_path, monkeypatch):
    import torch

    from summarize.backends.cpu import default_torch_threads
    from summarize.backends.torch import TorchBackend

    seen = []
    real = TorchBackend._generate
    monkeypatch.setattr(TorchBackend, "_generate", lambda self, *a: seen.append(torch.get_num_threads()) or real(self, *a))
    before = torch.get_num_threads()

    argv = ["run", "--dataset", str(jsonl_dataset), "--lang", "uk", "--model", tiny_model, "--device", "cpu",
            "--num-beams", "1", "--max-new-tokens", "3", "--bootstrap", "10", "--limit", "2"]
    assert main([*argv, "--threads", "3", "--out", str(tmp_path / "three")], stdout=io.StringIO(), stderr=io.StringIO()) == 0
    assert set(seen) == {3} and torch.get_num_threads() == before  # for the calls, then put back
    seen.clear()
    assert main([*argv, "--out", str(tmp_path / "default")], stdout=io.StringIO(), stderr=io.StringIO()) == 0
    assert set(seen) == {default_torch_threads()}
    err = io.StringIO()
    assert main([*argv, "--threads", "-1", "--out", str(tmp_path / "bad")], stdout=io.StringIO(), stderr=err) == 2
    assert "threads must be an integer >= 0" in err.getvalue()


def test_compare_fast_counts_a_failed_fast_generation_and_never_scores_it_empty(tiny_model, jsonl_dataset, tmp_path, monkeypatch):
    from summarize.backends.ctranslate2 import CTranslate2Backend

    real, calls = CTranslate2Backend.submit, []

    def flaky(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("out of memory")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(CTranslate2Backend, "submit", flaky)
    scores = run_evaluation(dataset=str(jsonl_dataset), lang="uk", model=tiny_model, device="cpu", batch_size=1, threads=1,
                            n_bootstrap=10, out_dir=tmp_path / "r", generation_options={"num_beams": 1, "max_new_tokens": 3},
                            compare_fast=True)
    fast = scores["compare_fast"]
    assert fast["failed"] == 1 and fast["examples"] == len(ROWS) - 1
    assert fast["systems"]["fast"]["rouge1"]["n"] == len(ROWS) - 1
    assert set(fast["difference"]) == set(fast["systems"]["fast"])
    # int8 or float32 by the CPU's int8 library; a tiny vocabulary is never restricted
    assert re.search(r"\|gen:ctranslate2/(int8|float32)/full$", fast["systems"]["fast"]["rouge1"]["signature"])
    assert fast["compute_type"] in ("int8", "float32")


def test_ctrl_c_during_a_run_is_one_line_exit_130_and_resume_finishes(jsonl_dataset, tmp_path, monkeypatch):
    from summarize import jobs

    real = jobs.summarize_block
    calls = []

    def interrupted_after_one_block(summarizer, records, **options):
        calls.append(len(records))
        if len(calls) == 2:
            raise KeyboardInterrupt  # the first block written, then Ctrl-C
        return real(summarizer, records, **options)

    monkeypatch.setattr(jobs, "summarize_block", interrupted_after_one_block)
    out = tmp_path / "run"
    command = ["run", "--dataset", str(jsonl_dataset), "--lang", "uk", "--method", "lead", "--batch-size", "1",
               "--bootstrap", "10", "--out", str(out)]
    err = io.StringIO()
    assert main(command, stdout=io.StringIO(), stderr=err) == 130
    kept = len((out / "rows.jsonl").read_text(encoding="utf-8").splitlines())
    assert kept == 4  # one block: 4 batches of 1
    assert err.getvalue().endswith(f"summarize-eval: interrupted; {kept} predictions are kept in {out}: rerun the same "
                                   "command --resume to continue (nothing written is generated again)\n")
    assert "Traceback" not in err.getvalue() and all(line.startswith("summarize-eval: ") for line in err.getvalue().splitlines())
    monkeypatch.setattr(jobs, "summarize_block", real)
    assert main([*command, "--resume"], stdout=io.StringIO(), stderr=io.StringIO()) == 0
    assert len((out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()) == len(ROWS)


def test_a_resume_with_other_options_is_refused_not_mixed(jsonl_dataset, tmp_path):
    # Rows of a lead run resumed as a textrank run would be scored as one system.
    out = tmp_path / "run"
    common = dict(dataset=str(jsonl_dataset), lang="uk", model="unused", out_dir=out, n_bootstrap=10)
    run_evaluation(**common, method="lead")
    with pytest.raises(InvalidInputError, match=r"made with other options \(method 'lead' -> 'textrank'\)"):
        run_evaluation(**common, method="textrank", resume=True)
    again = run_evaluation(**common, method="lead", resume=True)  # the same options resume
    assert again["run"]["generated_this_run"] == 0
