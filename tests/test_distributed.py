"""Ray Data: the distributed path gives what the single process gives, exactly once."""

import io
import json
from pathlib import Path

import pytest

from summarize import MissingDependencyError
from summarize.cli import main

from .conftest import TEXTS

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'summarize[ray]')")

N = 200


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """N records in four files: Ray spreads work over actors file by file."""
    directory = tmp_path_factory.mktemp("ray-in")
    sentences = [s for lang in ("en", "uk", "ru") for s in TEXTS[lang].split(". ")]
    lines = [json.dumps({"id": f"d{i}", "text": sentences[i % len(sentences)] + ". " + sentences[(3 * i) % len(sentences)]}, ensure_ascii=False) for i in range(N)]
    lines[17] = '{"id": "d17", "text": '  # malformed
    lines[40] = json.dumps({"id": "d40", "body": "no text field"})
    paths = []
    for part in range(4):
        path = directory / f"part-{part}.jsonl"
        path.write_text("\n".join(lines[part::4]) + "\n", encoding="utf-8")
        paths.append(str(path))
    return paths


def cli(*argv):
    err = io.StringIO()
    code = main([*argv], stdin=io.BytesIO(), stdout=io.StringIO(), stderr=err)
    return code, err.getvalue()


def model_args(model):
    # A restricted vocabulary and beam search: Ray's actors batch differently, and must not change a summary.
    return ["--model", model, "--device", "cpu", "--num-beams", "2", "--max-new-tokens", "5", "--batch-size", "4",
            "--vocabulary", "60", "--input-format", "jsonl", "--quiet"]


def read_shards(directory):
    import pyarrow.parquet as pq

    rows = []
    for shard in sorted(Path(directory).glob("*.parquet")):
        rows.extend(pq.read_table(shard).to_pylist())
    return rows


def test_distributed_output_equals_single_process_record_for_record(local_ray, tiny_model, corpus, tmp_path):
    single = tmp_path / "single.jsonl"
    assert cli(*model_args(tiny_model), "--output", str(single), *corpus)[0] == 3
    expected = {r["id"]: r for r in map(json.loads, single.read_text().splitlines())}

    out = tmp_path / "shards"
    code, err = cli(*model_args(tiny_model), "--ray", "--concurrency", "2", "--output", str(out), *corpus)
    assert code == 3, err
    rows = read_shards(out)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) == N
    # One reader, one id rule: a malformed line has the same id on both paths
    # ("FILE line N": the job reads several files).
    assert "malformed JSON" in next(r for r in rows if r["id"] == f"{corpus[1]} line 5")["error"]
    for row in rows:
        want = expected[row["id"]]
        if want["error"] is not None:
            assert row["error"] and row["summary"] is None
        else:
            assert row["error"] is None
            for key in ("summary", "source_lang", "target_lang", "input_tokens", "output_tokens", "chunked", "model"):
                assert row[key] == want[key], (row["id"], key)
        assert list(row) == list(want)  # the same fields, in the same order, on both executors
    assert sum(r["error"] is not None for r in rows) == 2


def test_rerun_does_only_the_missing_ids(local_ray, tiny_model, corpus, tmp_path):
    out = tmp_path / "shards"
    cli(*model_args(tiny_model), "--ray", "--concurrency", "2", "--output", str(out), *corpus)
    first = {r["id"]: r["summary"] for r in read_shards(out)}

    # One resume rule for every sink: shards already there need --resume.
    code, err = cli(*model_args(tiny_model), "--ray", "--output", str(out), *corpus)
    assert code == 2 and "already holds shards; pass --resume to continue" in err
    code, err = cli(*model_args(tiny_model), "--ray", "--resume", "--output", str(out), *corpus)
    assert code == 0 and len(read_shards(out)) == N  # nothing done twice

    # Lose some work (a shard removed, another torn by a kill), and rerun.
    shards = sorted(out.glob("*.parquet"))
    assert len(shards) >= 2
    shards[0].unlink()
    shards[1].write_bytes(shards[1].read_bytes()[:40])
    cli(*model_args(tiny_model), "--ray", "--resume", "--output", str(out), *corpus)
    rows = read_shards(out)
    assert sorted(r["id"] for r in rows) == sorted(first)
    assert {r["id"]: r["summary"] for r in rows} == first
    assert list(out.glob("*.partial"))


def test_jsonl_shards(local_ray, tiny_model, corpus, tmp_path):
    out = tmp_path / "json-shards"
    cli(*model_args(tiny_model), "--ray", "--format", "jsonl", "--output", str(out), *corpus)
    rows = [json.loads(line) for shard in out.glob("*.json") for line in shard.read_text().splitlines()]
    assert len({r["id"] for r in rows}) == N


def test_ray_usage_errors(tmp_path, corpus):
    code, err = cli("--ray", "--input-format", "text", "--output", str(tmp_path), *corpus)
    assert code == 2 and "--input-format jsonl" in err
    code, err = cli("--ray", "--input-format", "jsonl", *corpus)
    assert code == 2 and "--ray needs --output DIR" in err


def test_without_ray_the_error_says_how_to_install(monkeypatch, corpus, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "ray", None)
    code, err = cli("--ray", "--input-format", "jsonl", "--output", str(tmp_path / "o"), *corpus)
    assert code == 2 and 'pip install "summarize[ray]"' in err
    with pytest.raises(MissingDependencyError):
        from summarize.distributed import require_ray

        require_ray()


def test_eval_run_on_ray_equals_the_local_run(local_ray, tiny_model, tmp_path):
    from summarize_eval.runs import run_evaluation

    data = tmp_path / "data.jsonl"
    rows = [{"id": f"e{i}", "text": TEXTS["uk"][: 80 + 15 * i], "summary": "Рада ухвалила бюджет."} for i in range(12)]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    common = dict(dataset=str(data), lang="uk", model=tiny_model, device="cpu", batch_size=2, n_bootstrap=20,
                  generation_options={"num_beams": 1, "max_new_tokens": 5})
    local = run_evaluation(**common, out_dir=tmp_path / "local")
    distributed = run_evaluation(**common, out_dir=tmp_path / "ray", ray=True, concurrency=2)
    assert distributed["systems"] == local["systems"]
    again = run_evaluation(**common, out_dir=tmp_path / "ray", ray=True, resume=True)
    assert again["run"]["generated_this_run"] == 0
