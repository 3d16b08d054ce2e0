"""summarize-eval published: every preset's published row, measured on a sample, in one table."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from summarize_eval.cli import main
from summarize_eval.published import published_rows


def test_every_published_score_is_a_row_with_its_data_version():
    rows = {row.name: row for row in published_rows()}
    assert list(rows) == ["xlsum:en", "xlsum:ru", "xlsum:uk", "crosssum:ru-en", "crosssum:uk-en", "crosssum:en-ru",
                          "bart-cnn:en", "gazeta:ru@v1.0", "gazeta:ru@v2.0"]
    assert rows["gazeta:ru@v1.0"].published.rouge1 == 32.4 and rows["gazeta:ru@v1.0"].revision == "v1.0"
    assert rows["gazeta:ru@v2.0"].published.rouge1 == 28.7
    assert rows["crosssum:uk-en"].dataset == "csebuetnlp/CrossSum" and rows["bart-cnn:en"].dataset == "abisee/cnn_dailymail"
    out = io.StringIO()
    assert main(["published", "--list"], stdout=out, stderr=io.StringIO()) == 0
    assert "gazeta:ru@v1.0\tIlyaGusev/gazeta@v1.0\tGusev, 2020" in out.getvalue()
    err = io.StringIO()
    assert main(["published", "--rows", "xlsum:de", "--out", "x"], stdout=io.StringIO(), stderr=err) == 2
    assert "unknown row(s) ['xlsum:de']" in err.getvalue() and err.getvalue().count("\n") == 1


@pytest.mark.slow
def test_the_published_table_runs_end_to_end_on_a_stand_in_hub(tmp_path):
    """Tiny random-weight models under the presets' ids and the datasets' real layouts, all on 127.0.0.1."""
    from summarize_eval.standin_data import standin_with_models

    hub = standin_with_models(str(tmp_path / "models"))
    env = {**os.environ, "HF_HOME": str(tmp_path / "home"), "HF_HUB_CACHE": str(tmp_path / "home" / "hub"),
           "HF_HUB_OFFLINE": "0", "SUMMARIZE_CACHE": str(tmp_path / "cache")}
    out = tmp_path / "published"
    command = [sys.executable, "-m", "summarize_eval.cli", "published", "--limit", "3", "--bootstrap", "50",
               "--no-language-check", "--out", str(out), "--rows", "xlsum:uk,crosssum:uk-en,bart-cnn:en,gazeta:ru@v1.0"]
    with hub.serving() as endpoint:
        result = subprocess.run(command, env={**env, "HF_ENDPOINT": endpoint}, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    table = json.loads((out / "published.json").read_text(encoding="utf-8"))
    rows = {r["row"]: r for r in table["rows"]}
    assert list(rows) == ["xlsum:uk", "crosssum:uk-en", "bart-cnn:en", "gazeta:ru@v1.0"]
    assert [m["metric"] for m in rows["bart-cnn:en"]["metrics"]] == ["rouge1", "rouge2", "rougeLsum"]
    assert [m["metric"] for m in rows["crosssum:uk-en"]["metrics"]] == ["rouge2"]
    for row in rows.values():
        assert row["examples"] == 3
        for m in row["metrics"]:
            assert m["difference"] == pytest.approx(m["measured"] - m["published"], abs=0.011)
            assert m["consistent"] == (m["low"] <= m["published"] <= m["high"])
    assert rows["gazeta:ru@v1.0"]["data"].startswith("raw-file at v1.0 (commit " + hub.commit("IlyaGusev/gazeta", "v1.0")[:12])
    assert rows["xlsum:uk"]["data"].startswith("parquet-export")
    assert "num_beams=4, length_penalty=0.6, no_repeat_ngram_size=2, max_new_tokens=83" in rows["xlsum:uk"]["protocol"]
    md = (out / "published.md").read_text(encoding="utf-8")
    assert "| gazeta:ru@v1.0 | rouge1 | 32.40 |" in md and result.stdout == md
    # Each row is an ordinary run: its directory can be compared, resumed, reported.
    assert (out / "xlsum_uk" / "report.md").is_file() and (out / "xlsum_uk" / "per_example.jsonl").is_file()
