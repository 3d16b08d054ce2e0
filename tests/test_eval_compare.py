"""summarize-eval compare: paired bootstrap and approximate randomization between runs."""

from __future__ import annotations

import dataclasses
import io
import json
import re

import pytest

from summarize.errors import InvalidInputError
from summarize_eval.cli import main
from summarize_eval.compare import INTERVAL, REFUSED, SHOWN, compare_runs, format_comparison, paired_tests
from summarize_eval.metrics.signature import RougeSignature
from summarize_eval.runs import run_evaluation
from summarize_eval.standin_data import story


def test_a_system_against_itself_differs_by_nothing_with_p_one():
    r = paired_tests([10.0, 20.0, 35.5, 0.0], [10.0, 20.0, 35.5, 0.0], resamples=500, trials=500, seed=1)
    assert r["difference"] == 0.0 and r["ci95"] == [0.0, 0.0]
    assert r["p_bootstrap"] == 1.0 and r["p_randomization"] == 1.0


def test_approximate_randomization_approaches_the_exact_permutation_p_value():
    # d = (1, 2, 3): of the 8 sign patterns only +++ and --- reach |mean| >= 2, so p = 2/8.
    r = paired_tests([0.0, 0.0, 0.0], [1.0, 2.0, 3.0], resamples=2000, trials=40000, seed=0)
    assert r["difference"] == pytest.approx(2.0)
    assert r["p_randomization"] == pytest.approx(0.25, abs=0.01)
    # Every resample of three positive differences is positive: the interval excludes 0.
    assert 1.0 <= r["ci95"][0] < r["ci95"][1] <= 3.0


def test_a_consistent_gain_is_significant_and_noise_is_not():
    import numpy as np

    rng = np.random.default_rng(0)
    base = rng.uniform(10, 50, size=300)
    gain = paired_tests(list(base), list(base + 1.0 + rng.normal(0, 0.5, size=300)), resamples=1000, trials=2000, seed=0)
    assert gain["p_bootstrap"] < 0.01 and gain["p_randomization"] < 0.01
    assert 0.8 < gain["ci95"][0] < gain["difference"] < gain["ci95"][1] < 1.2
    noise = paired_tests(list(base), list(base + rng.normal(0, 5, size=300)), resamples=1000, trials=2000, seed=0)
    assert noise["p_bootstrap"] > 0.05 and noise["p_randomization"] > 0.05
    assert noise["ci95"][0] < 0 < noise["ci95"][1]
    # The bootstrap p-value is two-sided: a loss is as significant as the same gain.
    loss = paired_tests(list(base + 1.0 + rng.normal(0, 0.5, size=300)), list(base), resamples=1000, trials=2000, seed=0)
    assert loss["difference"] < 0 and loss["p_bootstrap"] < 0.01 and loss["p_randomization"] < 0.01


def test_the_bootstrap_interval_is_the_central_95_percent():
    """Its width is 2 x 1.96 standard errors of the mean difference (a 90% interval would be 16% narrower)."""
    import numpy as np

    rng = np.random.default_rng(5)
    d = rng.normal(0.5, 4.0, size=400)
    r = paired_tests([0.0] * 400, list(d), resamples=4000, trials=10, seed=2)
    standard_error = d.std() / np.sqrt(len(d))
    assert (r["ci95"][1] - r["ci95"][0]) / (2 * 1.96 * standard_error) == pytest.approx(1.0, abs=0.04)
    # Central: as much of it below the mean difference as above.
    assert (r["difference"] - r["ci95"][0]) / (r["ci95"][1] - r["difference"]) == pytest.approx(1.0, abs=0.08)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "uk.jsonl"
    rows = [{"id": f"d{i}", "text": story(i, "uk")[0], "summary": story(i, "uk")[1]} for i in range(10)]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _run(dataset, out, **kw):
    options = {"dataset": str(dataset), "lang": "uk", "out_dir": out, "n_bootstrap": 20, "method": "lead", **kw}
    run_evaluation(model="xlsum", **options)
    return out


def test_compare_two_runs_and_the_baselines_of_one(dataset, tmp_path):
    lead = _run(dataset, tmp_path / "lead")
    textrank = _run(dataset, tmp_path / "textrank", method="textrank")
    result = compare_runs([lead, textrank], resamples=200, trials=500)
    assert result["baseline"] == "lead" and result["examples"] == 10
    metrics = [c["metric"] for c in result["comparisons"]]
    assert metrics == ["rouge1", "rouge2", "rougeL", "rougeLsum", "faithfulness", "flagged"]
    per_example = [json.loads(line) for line in (lead / "per_example.jsonl").read_text(encoding="utf-8").splitlines()]
    other = [json.loads(line) for line in (textrank / "per_example.jsonl").read_text(encoding="utf-8").splitlines()]
    r1 = result["comparisons"][0]
    expected = sum(o["systems"]["textrank"]["rouge1"] - p["systems"]["lead"]["rouge1"] for p, o in zip(per_example, other)) / 10
    assert r1["difference"] == pytest.approx(expected)
    # The run's own corpus score is the mean of what per_example.jsonl holds.
    scores = json.loads((lead / "scores.json").read_text(encoding="utf-8"))
    assert scores["systems"]["lead"]["rouge1"]["f1"] == pytest.approx(r1["baseline_score"], abs=1e-3)
    alone = compare_runs([lead], with_baselines=True, resamples=100, trials=100)
    assert {c["system"] for c in alone["comparisons"]} == {"lead-1", "lead-3", "textrank", "oracle"}
    # The lead run's system (three sentences) and its lead-3 baseline are the same summaries.
    same = [c for c in alone["comparisons"] if c["system"] == "lead-3"]
    assert len(same) == 6 and all(c["difference"] == 0 and c["p_randomization"] == 1.0 for c in same)
    report = (lead / "report.md").read_text(encoding="utf-8")
    assert "None tokens" not in report and "an extractive method: it reads the whole input" in report
    # "with an unsupported fact (%)" is a percentage, as its label says: the share of flagged examples x100.
    flagged = next(c for c in result["comparisons"] if c["metric"] == "flagged")
    share = sum(p["systems"]["lead"]["flagged"] for p in per_example) / 10
    assert flagged["baseline_score"] == pytest.approx(100 * share) and 0 <= flagged["baseline_score"] <= 100
    gain = next(c for c in alone["comparisons"] if c["system"] == "lead-1" and c["metric"] == "rouge1")
    assert gain["difference"] > 0 and gain["verdict"] == "better"


def test_the_cli_writes_text_markdown_json_and_a_plot(dataset, tmp_path):
    lead = _run(dataset, tmp_path / "lead")
    textrank = _run(dataset, tmp_path / "textrank", method="textrank")
    out, err = io.StringIO(), io.StringIO()
    code = main(["compare", str(lead), str(textrank), "--resamples", "100", "--trials", "200", "--out", str(tmp_path / "cmp")],
                stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    text = out.getvalue()
    assert "Paired comparison with lead on 10 examples" in text and "p (randomization)" in text
    assert "ROUGE-1" in text and "textrank" in text and "Signature: paired|bs:100|ar:200|seed:0" in text
    assert json.loads((tmp_path / "cmp" / "compare.json").read_text())["examples"] == 10
    assert "| metric | system |" in (tmp_path / "cmp" / "compare.md").read_text()
    assert (tmp_path / "cmp" / "compare.png").stat().st_size > 1000


def test_runs_that_cannot_be_compared_are_refused_with_the_reason(dataset, tmp_path):
    lead = _run(dataset, tmp_path / "lead")
    google = _run(dataset, tmp_path / "google", method="textrank", tokenizer="unicode")
    sample = _run(dataset, tmp_path / "sample", method="textrank", limit=5)
    with pytest.raises(InvalidInputError, match="--resamples must be >= 1, got 0"):
        compare_runs([lead, lead], resamples=0)
    with pytest.raises(InvalidInputError, match="--trials must be >= 1, got 0"):
        compare_runs([lead, lead], trials=0)
    with pytest.raises(InvalidInputError, match="at least two run directories"):
        compare_runs([lead])
    assert compare_runs([lead, lead], resamples=1, trials=1)["comparisons"][0]["p_randomization"] == 1.0
    with pytest.raises(InvalidInputError, match="ROUGE signature's tok: .*xlsum.*unicode"):
        compare_runs([lead, google])
    with pytest.raises(InvalidInputError, match="sample: .*all.* has 5"):
        compare_runs([lead, sample])
    ru = tmp_path / "ru.jsonl"
    ru.write_text("".join(json.dumps({"id": f"d{i}", "text": story(i, "ru")[0], "summary": story(i, "ru")[1]},
                                     ensure_ascii=False) + "\n" for i in range(10)), encoding="utf-8")
    russian = _run(ru, tmp_path / "ru", lang="ru")
    with pytest.raises(InvalidInputError, match="differ in language: .* uk→uk, .* ru→ru"):
        compare_runs([lead, russian])
    # Same signature, other examples: the ids say so.
    other = tmp_path / "other.jsonl"
    other.write_text(dataset.read_text(encoding="utf-8").replace('"d9"', '"x9"'), encoding="utf-8")
    (tmp_path / "o").mkdir()
    moved = _run(other, tmp_path / "o" / "run")
    scores = json.loads((moved / "scores.json").read_text(encoding="utf-8"))
    for system in scores["systems"].values():
        for score in system.values():
            score["signature"] = json.loads((lead / "scores.json").read_text())["systems"]["lead"]["rouge1"]["signature"]
    (moved / "scores.json").write_text(json.dumps(scores), encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"over different examples: 1 of .*\(first: 'd9'"):
        compare_runs([lead, moved])
    (lead / "per_example.jsonl").unlink()
    err = io.StringIO()
    assert main(["compare", str(lead), str(google)], stdout=io.StringIO(), stderr=err) == 2
    assert "older version" in err.getvalue() and "--resume" in err.getvalue() and err.getvalue().count("\n") == 1


SIGNATURE = dict(name="rouge1", lang="uk", tokenizer="xlsum", stemming="none", bootstrap=1000, seed=0, version="0.1.0",
                 generation="torch/float32/full", data="/data/uk.jsonl@0123456789ab:file", sample="all")


def _fake_run(path, system, numbers, **signature):
    """A run directory as summarize-eval run writes one, holding only what compare reads."""
    path.mkdir(parents=True)
    text = RougeSignature(**{**SIGNATURE, **signature}).format()
    scores = {"run": {"lang": "uk", "target_lang": "uk", "dataset": "uk.jsonl", "system": system},
              "systems": {system: {"rouge1": {"f1": sum(numbers) / len(numbers), "signature": text}}}}
    (path / "scores.json").write_text(json.dumps(scores), encoding="utf-8")
    rows = [{"id": f"d{i}", "systems": {system: {"rouge1": x}}} for i, x in enumerate(numbers)]
    (path / "per_example.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# Each field that changes what the numbers measure, and a value that other runs do not have.
MEANING = [("lang", "ru"), ("tok", "unicode"), ("stem", "snowball>3"), ("data", "/data/uk.jsonl@fedcba987654:file"),
           ("data", None), ("sample", "500")]


@pytest.mark.parametrize("key, value", MEANING)
def test_runs_scored_otherwise_or_on_other_data_are_refused(tmp_path, key, value):
    field = {"lang": "lang", "tok": "tokenizer", "stem": "stemming", "data": "data", "sample": "sample"}[key]
    a = _fake_run(tmp_path / "a", "lead", [10.0, 20.0])
    b = _fake_run(tmp_path / "b", "textrank", [20.0, 30.0], **{field: value})
    shown = {"lang": "uk", "tok": "xlsum", "stem": "none", "data": SIGNATURE["data"], "sample": "all"}[key]
    with pytest.raises(InvalidInputError, match=f"ROUGE signature's {key}: .*a has {re.escape(shown)}, .*b has {re.escape(str(value or 'none'))};"):
        compare_runs([a, b], resamples=10, trials=10)


@pytest.mark.parametrize("key, field, value", [("v", "version", "0.2.0"), ("gen", "generation", "ctranslate2/int8/top-32000"),
                                               ("gen", "generation", None)])
def test_another_version_or_generation_is_compared_and_shown(tmp_path, key, field, value):
    a = _fake_run(tmp_path / "a", "lead", [10.0, 20.0])
    b = _fake_run(tmp_path / "b", "textrank", [20.0, 30.0], **{field: value})
    result = compare_runs([a, b], resamples=10, trials=10)
    assert result["comparisons"][0]["difference"] == 10.0
    before = {"v": "0.1.0", "gen": "torch/float32/full"}[key]
    assert result["signature_differences"] == {key: {"lead": before, "textrank": value or "none"}}
    label = {"v": "the library's version", "gen": "what generated the summaries"}[key]
    assert f"The runs differ in {label} ({key}): lead {before}, textrank {value or 'none'}." in format_comparison(result)
    assert f"The runs differ in {label}" in format_comparison(result, "markdown")


def test_both_differences_are_shown_and_the_interval_settings_are_not(tmp_path):
    a = _fake_run(tmp_path / "a", "lead", [10.0, 20.0])
    b = _fake_run(tmp_path / "b", "textrank", [20.0, 30.0], version="0.2.0", generation=None, bootstrap=50, seed=3)
    result = compare_runs([a, b], resamples=10, trials=10)
    assert list(result["signature_differences"]) == ["v", "gen"]
    same = compare_runs([a, _fake_run(tmp_path / "c", "textrank", [20.0, 30.0], bootstrap=50, seed=3)], resamples=10, trials=10)
    assert same["signature_differences"] == {} and "The runs differ" not in format_comparison(same)
    # The data line is the first run's signature without its name and its interval's settings.
    assert same["data_signature"] == "lang:uk|tok:xlsum|stem:none|v:0.1.0|gen:torch/float32/full|data:/data/uk.jsonl@0123456789ab:file|sample:all"
    assert "Significant: both p-values below 0.01." in format_comparison(compare_runs([a, b], resamples=10, trials=10, alpha=0.01))


def test_every_field_of_a_rouge_signature_has_a_rule_in_compare():
    keys = [spec.metadata["key"] for spec in dataclasses.fields(RougeSignature)][1:]
    assert sorted([*REFUSED, *SHOWN, *INTERVAL]) == sorted(keys)


def test_a_damaged_signature_names_its_file(tmp_path):
    a = _fake_run(tmp_path / "a", "lead", [10.0, 20.0])
    b = _fake_run(tmp_path / "b", "textrank", [20.0, 30.0])
    scores = json.loads((b / "scores.json").read_text(encoding="utf-8"))
    scores["systems"]["textrank"]["rouge1"]["signature"] = "rouge1|lang:uk"
    (b / "scores.json").write_text(json.dumps(scores), encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"b/scores.json: signature 'rouge1\|lang:uk' has no 'tok', "):
        compare_runs([a, b])


def test_a_run_over_a_file_whose_path_holds_a_bar_compares(dataset, tmp_path):
    barred = tmp_path / "a|b" / "uk.jsonl"
    barred.parent.mkdir()
    barred.write_bytes(dataset.read_bytes())
    lead = _run(barred, tmp_path / "lead")
    textrank = _run(barred, tmp_path / "textrank", method="textrank")
    written = json.loads((lead / "scores.json").read_text(encoding="utf-8"))["systems"]["lead"]["rouge1"]["signature"]
    assert RougeSignature.parse(written).data.startswith(f"{barred}@") and RougeSignature.parse(written).sample == "all"
    result = compare_runs([lead, textrank], resamples=10, trials=10)
    assert f"|data:{str(barred).replace('|', '||')}@" in result["data_signature"]
