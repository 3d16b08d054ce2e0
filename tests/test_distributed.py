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
        from summarize.jobs.distributed import require_ray

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
    # Ray spreads a job file by file: the examples are split into a file an actor, each actor's share its own.
    parts = [[json.loads(line)["id"] for line in p.read_text().splitlines()] for p in sorted((tmp_path / "ray").glob("examples-*.jsonl"))]
    assert len(parts) == 2 and sorted(parts[0] + parts[1]) == sorted(r["id"] for r in rows) and all(parts)
    again = run_evaluation(**common, out_dir=tmp_path / "ray", ray=True, resume=True)
    assert again["run"]["generated_this_run"] == 0


# One input planner (#29): the same files, names, ids and duplicates on both
# executors, so that a job can switch executor on resume.

LEAD = ["--method", "lead", "--sentences", "1", "--batch-size", "1", "--quiet"]


def _write(path, rows):
    """Rows as JSON lines, CSV or Parquet, by the extension."""
    import csv

    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix in (".jsonl", ".json"):
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    elif path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=["id", "text"])
            writer.writeheader()
            writer.writerows({"id": r.get("id", ""), "text": r["text"]} for r in rows)
    else:
        pq.write_table(pa.Table.from_pylist([{"id": r.get("id"), "text": r["text"]} for r in rows]), path)
    return path


SENTENCES = [s.strip() + "." for lang in ("en", "uk", "ru") for s in TEXTS[lang].split(". ")]


def _archive(directory, ext, n=6):
    """Two files: ids, id-less rows, a duplicate inside a file and one across files."""
    a = [{"id": f"a{i}", "text": SENTENCES[i]} for i in range(n)] + [{"text": SENTENCES[n]}, {"id": "a1", "text": SENTENCES[0]}]
    b = [{"id": "a2", "text": SENTENCES[1]}, {"text": SENTENCES[2]}] + [{"id": f"b{i}", "text": SENTENCES[i + 3]} for i in range(n)]
    return [str(_write(directory / f"{name}.{ext}", rows)) for name, rows in (("a", a), ("b", b))]


def _rows(output):
    """The rows of a JSONL file or a directory of shards (ids as strings, as shards hold them)."""
    output = Path(output)
    if output.is_dir():
        rows = read_shards(output) + [json.loads(line) for shard in output.glob("*.json") for line in shard.read_text().splitlines()]
    else:
        rows = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    return [{**r, "id": str(r["id"])} for r in rows]


def _outcomes(output):
    """What a job gave each id: (id, error kind, error); the summaries are the method's."""
    return sorted((r["id"], r["error_kind"], r["error"]) for r in _rows(output))


@pytest.mark.parametrize("ext", ["jsonl", "json", "csv", "pq"])
def test_a_duplicate_across_files_is_one_error_row_on_both_executors(local_ray, tmp_path, ext):
    # Ray read each file in an actor with no shared ids: a duplicate across
    # files was two rows there and an error row here; .json, CSV and .pq were
    # refused or failed on Ray.
    a, b = _archive(tmp_path / "in", ext)
    assert cli(*LEAD, "--output", str(tmp_path / "local.jsonl"), a, b)[0] == 3
    code, err = cli(*LEAD, "--ray", "--concurrency", "2", "--output", str(tmp_path / "shards"), a, b)
    assert code == 3, err
    assert _outcomes(tmp_path / "shards") == _outcomes(tmp_path / "local.jsonl")
    outcomes = {id_: error for id_, _, error in _outcomes(tmp_path / "shards")}
    assert outcomes[f"{b} line 1"] == f"{b} line 1: duplicate id 'a2' (first on {a} line 3)"
    assert outcomes[f"{a} line 8"] == f"{a} line 8: duplicate id 'a1' (first on line 2)"
    assert outcomes["a2"] is None and outcomes[f"{b}:2"] is None and len(outcomes) == 16


@pytest.mark.parametrize("inputs, names", [
    (["in/a.jsonl", "in/b.jsonl"], ["in/a.jsonl", "in/b.jsonl"]),
    (["./in/a.jsonl", "./in/b.jsonl"], ["./in/a.jsonl", "./in/b.jsonl"]),
    (["in/*.jsonl"], ["in/a.jsonl", "in/b.jsonl"]),
    (["./in"], ["./in/a.jsonl", "./in/b.jsonl"]),
])
def test_qualified_ids_are_the_names_given_on_both_executors(local_ray, tmp_path, monkeypatch, inputs, names):
    # Ray qualified ids by the path it resolved ("/tmp/.../in/a.jsonl:7"), a
    # local job by the path given: a job that switched executor redid them.
    monkeypatch.chdir(tmp_path)
    _archive(Path("in"), "jsonl")
    cli(*LEAD, "--output", "local.jsonl", *inputs)
    code, err = cli(*LEAD, "--ray", "--concurrency", "2", "--output", "shards", *inputs)
    assert code == 3, err
    assert _outcomes("shards") == _outcomes("local.jsonl")
    ids = {r["id"] for r in _rows("shards")}
    assert {f"{names[0]}:7", f"{names[1]}:2", f"{names[0]} line 8", f"{names[1]} line 1"} <= ids


def test_a_job_switches_executor_on_resume_and_loses_or_repeats_nothing(local_ray, tmp_path, monkeypatch):
    from summarize.inputs.outputs import ShardWriter

    monkeypatch.chdir(tmp_path)
    inputs = _archive(Path("in"), "jsonl")
    job = [*LEAD, "--format", "parquet", *inputs]
    assert cli(*job, "--output", "whole")[0] == 3
    whole = _outcomes("whole")

    # Here, killed after its first shard; then Ray resumes it.
    write = ShardWriter.write
    calls = []

    def killed(self, rows):
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        write(self, rows)

    monkeypatch.setattr(ShardWriter, "write", killed)
    assert cli(*job, "--output", "switched")[0] == 130
    monkeypatch.setattr(ShardWriter, "write", write)
    assert 0 < len(_rows("switched")) < len(whole)
    code, err = cli(*job, "--ray", "--resume", "--output", "switched")
    assert code == 3, err  # this run's own rows hold the failures that were not done before
    assert _outcomes("switched") == whole

    # On Ray, a shard lost; then a local job resumes it.
    cli(*job, "--ray", "--output", "back")
    shards = sorted(Path("back").glob("*.parquet"))
    assert len(shards) >= 2
    shards[0].unlink()
    cli(*job, "--resume", "--output", "back")
    assert _outcomes("back") == whole
