"""summarize-eval compare: paired bootstrap and approximate randomization between runs."""

from __future__ import annotations

import dataclasses
import io
import json
import re

import pytest

from summarize import __version__
from summarize.errors import InvalidInputError
from summarize_eval.cli import main
from summarize_eval.compare import INTERVAL, REFUSED, SHOWN, compare_runs, format_comparison, paired_tests
from summarize_eval.metrics.signature import RougeSignature
from summarize_eval.runs import run_evaluation
from summarize_eval.standin_data import story


def test_the_interval_cuts_two_and_a_half_percent_from_each_tail():
    """1.96 standard errors of the mean difference on each side of it (3.5% would be 1.81)."""
    import numpy as np

    d = np.random.default_rng(5).normal(0.5, 4.0, size=400)
    r = paired_tests([0.0] * 400, list(d), resamples=20000, trials=10, seed=2)
    standard_error = d.std() / np.sqrt(len(d))
    assert (r["difference"] - r["ci95"][0]) / standard_error == pytest.approx(1.96, abs=0.06)
    assert (r["ci95"][1] - r["difference"]) / standard_error == pytest.approx(1.96, abs=0.06)


def test_the_same_seed_gives_the_same_numbers_and_another_seed_others():
    import numpy as np

    d = list(np.random.default_rng(1).normal(0.0, 1.0, size=50))
    first = paired_tests([0.0] * 50, d, resamples=100, trials=100, seed=3)
    assert paired_tests([0.0] * 50, d, resamples=100, trials=100, seed=3) == first
    assert paired_tests([0.0] * 50, d, resamples=100, trials=100, seed=4)["ci95"] != first["ci95"]


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


def _fake_run(path, system, numbers, *, baselines=None, predictions=None, meta_system=True, **signature):
    """A run directory as summarize-eval run writes one, holding only what compare reads.

    ``numbers``: each example's ROUGE-1, or each example's numbers by metric;
    ``baselines`` (written before the run's own system) likewise;
    ``predictions``: the ids of predictions.jsonl, where the run has one.
    """
    path.mkdir(parents=True)
    text = RougeSignature(**{**SIGNATURE, **signature}).format()
    every = {name: [n if isinstance(n, dict) else {"rouge1": n} for n in rows] for name, rows in {**(baselines or {}), system: numbers}.items()}
    scores = {"run": {"lang": "uk", "target_lang": "uk", "dataset": "uk.jsonl", **({"system": system} if meta_system else {})},
              "systems": {name: {"rouge1": {"signature": text}} for name in every}}
    (path / "scores.json").write_text(json.dumps(scores), encoding="utf-8")
    rows = [{"id": f"d{i}", "systems": {name: rows[i] for name, rows in every.items() if i < len(rows)}} for i in range(len(numbers))]
    (path / "per_example.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    if predictions is not None:
        (path / "predictions.jsonl").write_text("".join(json.dumps({"id": i}) + "\n" for i in predictions), encoding="utf-8")
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


def test_each_metric_is_compared_on_the_examples_every_run_has(tmp_path):
    # Twelve examples (a thirteenth failed in both runs): ROUGE-1 10 points higher on each, faithfulness the same,
    # half the summaries flagged against none; ROUGE-2 only in the second run, so it is not compared.
    lead = [{"rouge1": float(i), "faithfulness": 100.0, "flagged": 0} for i in range(12)]
    textrank = [{"rouge1": i + 10.0, "rouge2": 5.0, "faithfulness": 100.0, "flagged": int(i < 6)} for i in range(12)]
    ids = [f"d{i}" for i in range(13)]
    a = _fake_run(tmp_path / "a", "lead", lead, predictions=ids, baselines={"lead-1": lead})
    b = _fake_run(tmp_path / "b", "textrank", textrank, predictions=ids)
    result = compare_runs([a, b], resamples=1000, trials=2000)
    assert result["baseline"] == "lead" and result["examples"] == 12 and result["left_out"] == 1
    assert result["systems"] == {"lead": {"run": str(a), "system": "lead"}, "textrank": {"run": str(b), "system": "textrank"}}
    found = {c["metric"]: c for c in result["comparisons"]}
    assert list(found) == ["rouge1", "faithfulness", "flagged"]
    assert all(c["system"] == "textrank" and c["baseline"] == "lead" for c in found.values())
    assert (found["rouge1"]["score"], found["rouge1"]["baseline_score"], found["rouge1"]["difference"]) == (15.5, 5.5, 10.0)
    assert found["rouge1"]["ci95"] == [10.0, 10.0] and found["rouge1"]["p_bootstrap"] == 1 / 1001
    assert found["rouge1"]["significant"] and found["rouge1"]["verdict"] == "better"
    assert found["faithfulness"]["difference"] == 0 and found["faithfulness"]["verdict"] == "no significant difference"
    assert not found["faithfulness"]["significant"]
    # "flagged" is the share of summaries with an unsupported fact, x100, and more of them is worse.
    assert (found["flagged"]["score"], found["flagged"]["baseline_score"], found["flagged"]["difference"]) == (50.0, 0.0, 50.0)
    assert found["flagged"]["verdict"] == "worse"
    # Seeded: the same call, the same numbers.
    assert compare_runs([a, b], resamples=1000, trials=2000) == result
    assert format_comparison(result).startswith("Paired comparison with lead on 12 examples of uk.jsonl (uk→uk); 1 left out")


def test_the_defaults_are_in_the_signature_and_alpha_is_a_strict_bound(tmp_path):
    a = _fake_run(tmp_path / "a", "lead", [0.0] * 20)
    b = _fake_run(tmp_path / "b", "textrank", [0.5] * 20)
    assert compare_runs([a, b])["signature"] == f"paired|bs:1000|ar:10000|seed:0|alpha:0.05|v:{__version__}"
    # A difference of half a point on every example: both p-values are 1/101, as small as 100 draws allow.
    (gain,) = compare_runs([a, b], resamples=100, trials=100, alpha=0.05)["comparisons"]
    assert gain["p_bootstrap"] == gain["p_randomization"] == 1 / 101 and gain["verdict"] == "better"
    (at_alpha,) = compare_runs([a, b], resamples=100, trials=100, alpha=1 / 101)["comparisons"]
    assert not at_alpha["significant"] and at_alpha["verdict"] == "no significant difference"


def test_the_runs_own_system_is_the_one_its_metadata_names_or_else_its_first(tmp_path):
    a = _fake_run(tmp_path / "a", "lead", [1.0, 2.0], baselines={"lead-1": [5.0, 5.0], "lead-3": [7.0]})
    b = _fake_run(tmp_path / "b", "textrank", [2.0, 3.0], baselines={"oracle": [9.0, 9.0]}, meta_system=False)
    result = compare_runs([a, b], with_baselines=True, resamples=10, trials=10)
    # b names no system: its first, oracle, is its own. a's baselines are compared where every example has them.
    assert [(c["system"], c["score"]) for c in result["comparisons"]] == [("oracle", 9.0), ("lead-1", 5.0)]


@pytest.mark.parametrize("dirs, names", [
    (["a", "b"], ["lead (a)", "lead (b)"]),
    (["a", "a"], ["lead (a) #1", "lead (a) #2"]),
    (["a", "a", "b"], ["lead (a) #1", "lead (a) #2", "lead (b)"]),
])
def test_runs_of_one_system_are_told_apart_by_directory_then_position(tmp_path, dirs, names):
    for d in set(dirs):
        _fake_run(tmp_path / d, "lead", [1.0, 2.0])
    result = compare_runs([tmp_path / d for d in dirs], resamples=10, trials=10)
    assert list(result["systems"]) == names and [c["system"] for c in result["comparisons"]] == names[1:]


def test_an_outlier_is_drawn_into_the_resamples():
    r = paired_tests([0.0] * 10, [100.0] + [0.0] * 9, resamples=200, trials=10, seed=0)
    assert r["difference"] == 10.0 and r["ci95"][1] >= 20.0


def test_resamples_are_drawn_in_blocks_that_together_make_the_count():
    # 200,000 examples make blocks of 10 resamples: three of them here.
    r = paired_tests([0.0] * 200_000, [1.0] * 200_000, resamples=30, trials=30, seed=0)
    assert r["ci95"] == [1.0, 1.0] and r["p_bootstrap"] == 1 / 31 and r["p_randomization"] == 1 / 31


def test_what_is_refused_before_reading_is_said_in_full(tmp_path):
    with pytest.raises(InvalidInputError, match=r"^give at least two run directories \(or one with --with-baselines\)$"):
        compare_runs([tmp_path])
    with pytest.raises(InvalidInputError, match=rf"^{re.escape(str(tmp_path))}: not a run directory \(no scores.json\); give directories"):
        compare_runs([tmp_path, tmp_path])
    (tmp_path / "scores.json").write_text("{}", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"written by an older version\): rerun its summarize-eval run command with --resume, "
                                                r"which rescores without generating again$"):
        compare_runs([tmp_path, tmp_path])


def test_runs_whose_examples_never_all_have_a_prediction_are_refused(tmp_path):
    a = _fake_run(tmp_path / "a", "lead", [1.0], predictions=["d0", "d1"])
    b = _fake_run(tmp_path / "b", "textrank", [1.0, 2.0], predictions=["d0", "d1"])
    (b / "per_example.jsonl").write_text(json.dumps({"id": "d1", "systems": {"textrank": {"rouge1": 2.0}}}) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="^no example has a prediction in every run$"):
        compare_runs([a, b])


RESULT = {
    "baseline": "lead", "systems": {}, "examples": 12, "left_out": 1, "lang": "uk", "target_lang": "uk", "dataset": "новини.jsonl",
    "data_signature": "lang:uk|tok:xlsum|stem:none|v:0.1.0|data:/d/uk.jsonl@0123:file|sample:all",
    "signature": "paired|bs:1000|ar:10000|seed:0|alpha:0.05|v:0.1.0",
    "signature_differences": {"v": {"lead": "0.1.0", "textrank": "0.2.0"}},
    "comparisons": [
        {"metric": "rouge1", "system": "textrank", "baseline": "lead", "score": 30.0, "baseline_score": 20.0, "difference": 10.0,
         "ci95": [9.5, 10.5], "p_bootstrap": 0.0001, "p_randomization": 0.00005, "significant": True, "verdict": "better"},
        {"metric": "flagged", "system": "textrank", "baseline": "lead", "score": 25.0, "baseline_score": 8.25, "difference": 16.75,
         "ci95": [-1.0, 33.25], "p_bootstrap": 0.2, "p_randomization": 0.25, "significant": False, "verdict": "no significant difference"},
    ],
}
HEAD = "Paired comparison with lead on 12 examples of новини.jsonl (uk→uk); 1 left out (failed in some run)."
FOOT = ["Significant: both p-values below 0.05. Higher is better, except for 'with an unsupported fact'.",
        "Signature: paired|bs:1000|ar:10000|seed:0|alpha:0.05|v:0.1.0",
        "Data: lang:uk|tok:xlsum|stem:none|v:0.1.0|data:/d/uk.jsonl@0123:file|sample:all",
        "The runs differ in the library's version (v): lead 0.1.0, textrank 0.2.0."]


def test_the_comparison_as_text_is_aligned_columns():
    # p-values: four decimals down to 0.0001, then in scientific notation.
    assert format_comparison(RESULT).split("\n") == [
        HEAD,
        "",
        "metric                        system    score  baseline  difference  95% interval     p (bootstrap)  p (randomization)  verdict                  ",
        "ROUGE-1                       textrank  30.00  20.00     +10.00      [+9.50, +10.50]  0.0001         5.0e-05            better                   ",
        "with an unsupported fact (%)  textrank  25.00  8.25      +16.75      [-1.00, +33.25]  0.2000         0.2500             no significant difference",
        "",
        *FOOT,
        "",
    ]


def test_the_comparison_as_markdown_is_a_table_and_lines_that_break():
    assert format_comparison(RESULT, "markdown").split("\n") == [
        HEAD,
        "",
        "| metric | system | score | baseline | difference | 95% interval | p (bootstrap) | p (randomization) | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
        "| ROUGE-1 | textrank | 30.00 | 20.00 | +10.00 | [+9.50, +10.50] | 0.0001 | 5.0e-05 | better |",
        "| with an unsupported fact (%) | textrank | 25.00 | 8.25 | +16.75 | [-1.00, +33.25] | 0.2000 | 0.2500 | no significant difference |",
        "",
        *[f"{line}  " for line in FOOT],
        "",
    ]


def test_the_comparison_as_json_is_readable():
    text = format_comparison({**RESULT, "left_out": 0}, "json")
    assert json.loads(text) == {**RESULT, "left_out": 0} and text.endswith("}\n")
    assert '\n  "dataset": "новини.jsonl",\n' in text
    assert format_comparison({**RESULT, "left_out": 0}).startswith("Paired comparison with lead on 12 examples of новини.jsonl (uk→uk).\n")
