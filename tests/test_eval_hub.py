"""Hub datasets read through datasets and huggingface_hub, against a stand-in hub on 127.0.0.1.

The libraries read HF_ENDPOINT once, at import, so each check runs in a
fresh Python process pointed at the stand-in (summarize_eval.standin_hub),
which serves the real layouts: a loading script with a Parquet export
(XL-Sum), a script with only archives (CrossSum), a script whose versions
are revisions (Gazeta), Parquet in the repository (CNN/DailyMail), and a
user's own datasets. No function of datasets or huggingface_hub is mocked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from summarize_eval.standin_data import add_datasets
from summarize_eval.standin_hub import StandInHub

LOAD = r"""
import json, sys, time
from summarize_eval.datasets import load_data
for case in json.loads(sys.argv[1]):
    started = time.perf_counter()
    try:
        data = load_data(case.pop("dataset"), limit=case.pop("limit", None), **case)
        out = {"ok": True, "ids": [e.id for e in data.examples], "source": data.source.to_dict(),
               "signature": data.source.signature(), "first": [data.examples[0].text, data.examples[0].summary]}
    except Exception as exc:
        out = {"ok": False, "kind": type(exc).__name__, "error": str(exc)}
    out["seconds"] = time.perf_counter() - started
    print(json.dumps(out, ensure_ascii=False))
"""


def _env(endpoint: str, home) -> dict[str, str]:
    return {**os.environ, "HF_ENDPOINT": endpoint, "HF_HOME": str(home), "HF_HUB_CACHE": str(home / "hub"),
            "HF_HUB_OFFLINE": "0", "HF_DATASETS_CACHE": str(home / "datasets")}


def load(env: dict[str, str], *cases: dict) -> list[dict]:
    result = subprocess.run([sys.executable, "-c", LOAD, json.dumps(list(cases))], env=env, capture_output=True,
                            text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-2000:]
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.fixture(scope="module")
def standin():
    hub = StandInHub()
    add_datasets(hub)
    with hub.serving() as endpoint:
        yield hub, endpoint


def test_every_built_in_dataset_loads_from_where_its_data_lies(standin, tmp_path):
    hub, endpoint = standin
    xlsum, crosssum, gazeta, gazeta2, cnn = load(
        _env(endpoint, tmp_path),
        {"dataset": "csebuetnlp/xlsum", "lang": "uk"},
        {"dataset": "csebuetnlp/CrossSum", "lang": "uk", "target_lang": "en", "limit": 3},
        {"dataset": "IlyaGusev/gazeta", "lang": "ru"},
        {"dataset": "IlyaGusev/gazeta", "lang": "ru", "revision": "v2.0"},
        {"dataset": "abisee/cnn_dailymail", "lang": "en", "split": "validation"},
    )
    # A script dataset with an export: the export, its language's folder, the commit the ref resolved to.
    assert xlsum["source"]["kind"] == "parquet-export"
    assert xlsum["source"]["files"] == ["ukrainian/test/0000.parquet"]
    assert xlsum["source"]["commit"] == hub.commit("csebuetnlp/xlsum", "refs/convert/parquet")
    assert xlsum["ids"][0] == "uk-test-0000" and len(xlsum["ids"]) == 12
    assert xlsum["signature"].startswith(f"csebuetnlp/xlsum@{xlsum['source']['commit'][:12]}:ukrainian/test")
    # Only archives: the pair's member of the pair's archive; Ukrainian articles with English summaries.
    assert crosssum["source"]["kind"] == "raw-archive"
    assert crosssum["source"]["files"] == ["data/ukrainian-english_CrossSum.tar.bz2:ukrainian-english_test.jsonl"]
    assert crosssum["ids"][0].startswith("https://news.example/uk/")
    assert "рада" in crosssum["first"][0].lower() or "ціни" in crosssum["first"][0].lower() or "потяг" in crosssum["first"][0]
    # Gazeta is pinned to v1 (the published 32.4), whatever the export of main holds.
    assert gazeta["source"]["kind"] == "raw-file" and gazeta["source"]["revision"] == "v1.0"
    assert gazeta["source"]["commit"] == hub.commit("IlyaGusev/gazeta", "v1.0")
    assert gazeta["ids"][0] == "https://news.example/ru/0"
    assert gazeta2["source"]["commit"] == hub.commit("IlyaGusev/gazeta", "v2.0") and gazeta2["ids"][0] == "https://news.example/ru/40"
    # Parquet in the repository, read as it is, at its config's folder.
    assert cnn["source"]["kind"] == "repository-parquet"
    assert cnn["source"]["files"] == ["3.0.0/validation-00000-of-00001.parquet"]


def test_a_sample_is_the_same_from_the_export_and_from_the_archives(tmp_path):
    """The export is preferred; where it lacks a config, the archive is read, and a --limit sample picks the same ids."""
    whole = StandInHub()
    add_datasets(whole)
    partial = StandInHub()
    add_datasets(partial)
    files = partial._repos[("dataset", "csebuetnlp/xlsum")].revisions
    partial.add("csebuetnlp/xlsum", {
        "main": files["main"],
        "refs/convert/parquet": {k: v for k, v in files["refs/convert/parquet"].items() if not k.startswith("ukrainian/")},
    })
    case = {"dataset": "csebuetnlp/xlsum", "lang": "uk", "limit": 5, "seed": 3}
    with whole.serving() as endpoint:
        (exported,) = load(_env(endpoint, tmp_path / "a"), dict(case))
    with partial.serving() as endpoint:
        (archived,) = load(_env(endpoint, tmp_path / "b"), dict(case))
    assert exported["source"]["kind"] == "parquet-export" and archived["source"]["kind"] == "raw-archive"
    assert archived["source"]["files"] == ["data/ukrainian_XLSum_v2.0.tar.bz2:ukrainian_test.jsonl"]
    assert exported["ids"] == archived["ids"] and len(set(exported["ids"])) == 5


def test_other_raw_layouts_are_found_too(tmp_path):
    """Gazeta's files in data/ rather than at the top; an archive naming the split as the hub does."""
    from summarize_eval.standin_data import _jsonl, _rows, _tar_bz2

    hub = StandInHub()
    add_datasets(hub)
    gazeta = hub._repos[("dataset", "IlyaGusev/gazeta")].revisions
    moved = {("data/" + k if k.endswith(".jsonl") else k): v for k, v in gazeta["v1.0"].items()}
    hub.add("IlyaGusev/gazeta", {**gazeta, "v1.0": moved})
    hub.add("csebuetnlp/xlsum", {"main": {
        "xlsum.py": b"", "data/russian_XLSum_v2.0.tar.bz2": _tar_bz2({"russian_validation.jsonl": _jsonl(_rows("ru", "validation"))}),
    }})
    with hub.serving() as endpoint:
        gazeta_v1, xlsum = load(_env(endpoint, tmp_path), {"dataset": "IlyaGusev/gazeta", "lang": "ru"},
                                {"dataset": "csebuetnlp/xlsum", "lang": "ru", "split": "validation"})
    assert gazeta_v1["source"]["files"] == ["data/gazeta_test.jsonl"] and gazeta_v1["ids"][0] == "https://news.example/ru/0"
    assert xlsum["source"]["files"] == ["data/russian_XLSum_v2.0.tar.bz2:russian_validation.jsonl"]
    assert xlsum["ids"][0] == "ru-validation-0100"


def test_user_datasets_load_or_say_in_one_line_what_to_do(standin, tmp_path):
    _, endpoint = standin
    native, scripted, chosen, gated, missing, revision, split = load(
        _env(endpoint, tmp_path),
        {"dataset": "newsroom/briefs", "lang": "uk"},
        {"dataset": "newsroom/scripted", "lang": "en"},
        {"dataset": "newsroom/scripted", "lang": "en", "config": "short"},
        {"dataset": "newsroom/gated", "lang": "en"},
        {"dataset": "newsroom/none", "lang": "en"},
        {"dataset": "IlyaGusev/gazeta", "lang": "ru", "revision": "v9"},
        {"dataset": "newsroom/briefs", "lang": "uk", "split": "validation"},
    )
    assert native["ok"] and native["source"]["kind"] == "repository" and native["ids"][0] == "uk-test-0000"
    assert not scripted["ok"]
    assert "loading script (scripted.py)" in scripted["error"] and "'long' or 'short'" in scripted["error"]
    assert "--config" in scripted["error"]
    assert chosen["ok"] and chosen["source"]["kind"] == "parquet-export" and chosen["source"]["files"] == ["short/test/0000.parquet"]
    assert "gated" in gated["error"] and "HF_TOKEN" in gated["error"]
    assert "is not on the hub" in missing["error"]
    assert "no revision 'v9'" in revision["error"]
    assert "validation" in split["error"] and "test" in split["error"]
    for failure in (scripted, gated, missing, revision, split):
        assert "\n" not in failure["error"]


def test_an_unreachable_hub_fails_at_once_and_the_cache_serves_what_was_read(standin, tmp_path):
    _, endpoint = standin
    cases = ({"dataset": "csebuetnlp/xlsum", "lang": "ru", "limit": 4}, {"dataset": "IlyaGusev/gazeta", "lang": "ru"})
    online = load(_env(endpoint, tmp_path), *[dict(c) for c in cases])
    dead = "http://127.0.0.1:9"  # the discard port: nothing listens
    cached = load(_env(dead, tmp_path), *[dict(c) for c in cases])
    assert [c["ids"] for c in cached] == [o["ids"] for o in online]
    assert [c["source"]["commit"] for c in cached] == [o["source"]["commit"] for o in online]
    started = time.perf_counter()
    (cold,) = load(_env(dead, tmp_path / "empty"), {"dataset": "csebuetnlp/CrossSum", "lang": "en", "target_lang": "ru"})
    assert time.perf_counter() - started < 20  # the whole process; the old path retried for 25 s
    assert cold["seconds"] < 5
    assert not cold["ok"] and "is not in the cache, and the hub (http://127.0.0.1:9) cannot be reached" in cold["error"]


@pytest.mark.slow
def test_summarize_eval_run_on_a_hub_dataset_records_what_it_read(standin, tiny_model, tmp_path):
    hub, endpoint = standin
    out = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-m", "summarize_eval.cli", "run", "--dataset", "csebuetnlp/xlsum", "--lang", "uk",
         "--model", tiny_model, "--limit", "4", "--bootstrap", "50", "--max-new-tokens", "8", "--num-beams", "1",
         "--no-language-check", "--out", str(out)],
        env=_env(endpoint, tmp_path / "home"), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    scores = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    commit = hub.commit("csebuetnlp/xlsum", "refs/convert/parquet")
    assert scores["run"]["data"]["commit"] == commit and scores["run"]["data"]["kind"] == "parquet-export"
    for system in scores["systems"].values():
        assert system["rouge1"]["signature"].endswith(f"|data:csebuetnlp/xlsum@{commit[:12]}:ukrainian/test|sample:4")
    report = (out / "report.md").read_text(encoding="utf-8")
    assert f"read from the hub viewer's Parquet export (refs/convert/parquet at commit {commit}" in report
    gated = subprocess.run(
        [sys.executable, "-m", "summarize_eval.cli", "run", "--dataset", "newsroom/gated", "--lang", "en",
         "--method", "lead", "--out", str(tmp_path / "gated")],
        env=_env(endpoint, tmp_path / "home"), capture_output=True, text=True, timeout=120,
    )
    assert gated.returncode == 2
    assert gated.stderr.count("\n") == 1 and gated.stderr.startswith("summarize-eval: error: dataset 'newsroom/gated' is gated")
