"""The sinks: JSONL files and shard directories, one resume rule, exactly once, and what they say."""

import json
import logging

import pytest

from summarize import InvalidInputError
from summarize.inputs.outputs import ResultWriter, ShardWriter, _read_shard, count_rows, scan_jsonl, scan_shards

OK = {"id": "a", "summary": "x", "error": None, "error_kind": None}
PERMANENT = {"id": "b", "summary": None, "error": "empty text", "error_kind": "permanent"}
TRANSIENT = {"id": "c", "summary": None, "error": "out of memory", "error_kind": "transient"}


def _shards(directory, fmt):
    return sorted(p.name for p in directory.glob(f"*.{fmt}"))


@pytest.mark.parametrize("fmt", ["parquet", "json"])
def test_shards_are_numbered_on_from_the_last_and_an_empty_block_writes_none(tmp_path, fmt):
    out = tmp_path / "out"
    with ShardWriter(out, fmt) as w:
        w.write([OK])
        w.write([])
        w.write([PERMANENT])
    assert _shards(out, fmt) == [f"part-000001.{fmt}", f"part-000002.{fmt}"]
    (out / f"part-000007.{fmt}").write_bytes((out / f"part-000001.{fmt}").read_bytes())
    (out / f"notes-x.{fmt}").write_bytes((out / f"part-000002.{fmt}").read_bytes())  # not a numbered shard
    with ShardWriter(out, fmt, resume=True) as w:
        w.write([{**OK, "id": "d"}])
        w.write([{**OK, "id": "e"}])
    assert _shards(out, fmt)[-2:] == [f"part-000008.{fmt}", f"part-000009.{fmt}"]


def test_a_shard_writer_refuses_what_it_cannot_use(tmp_path):
    with pytest.raises(InvalidInputError, match="shard format must be 'parquet' or 'json', got 'csv'"):
        ShardWriter(tmp_path / "out", "csv")
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(InvalidInputError, match=f"output {str(file)!r} is a file; shards are written into a directory"):
        ShardWriter(file)
    with ShardWriter(tmp_path / "out") as w:
        w.write([OK])
    with pytest.raises(InvalidInputError, match=f"output {str(tmp_path / 'out')!r} already holds shards; pass --resume to continue, or give an empty directory"):
        ShardWriter(tmp_path / "out")
    fresh = ShardWriter(tmp_path / "empty")  # created, nothing done
    assert (tmp_path / "empty").is_dir() and fresh.done == set() and fresh.failed == set()


def test_without_resume_existing_shards_are_not_read(tmp_path, monkeypatch):
    import summarize.inputs.outputs as outputs

    monkeypatch.setattr(outputs, "scan_shards", lambda *a, **k: pytest.fail("scanned without resume"))
    assert ShardWriter(tmp_path / "new").done == set()


@pytest.mark.parametrize("fmt", ["parquet", "json"])
def test_count_rows_counts_rows_and_errors(tmp_path, fmt):
    with ShardWriter(tmp_path / "out", fmt) as w:
        w.write([OK, PERMANENT])
        w.write([TRANSIENT, {**OK, "id": "d"}, {**OK, "id": "e"}])
    shards = sorted((tmp_path / "out").glob(f"*.{fmt}"))
    assert count_rows(shards) == (5, 2)
    assert count_rows(shards[:1]) == (2, 1) and count_rows([]) == (0, 0)


def test_an_unreadable_shard_is_set_aside_and_the_scan_goes_on(tmp_path, caplog):
    out = tmp_path / "out"
    with ShardWriter(out, "json") as w:
        w.write([OK])
        w.write([PERMANENT])
    first = out / "part-000001.json"
    first.write_bytes(first.read_bytes()[:-1])  # torn: no final newline
    caplog.set_level(logging.INFO, logger="summarize.inputs.outputs")
    failed = set()
    assert scan_shards(out, "json", failed) == {"b"} and failed == {"b"}
    assert (out / "part-000001.json.partial").is_file() and not first.exists()
    assert f"{first} cannot be read (torn last line); setting it aside as .partial, its records will be redone" in caplog.text


def test_a_shard_is_rewritten_only_when_it_holds_transient_rows(tmp_path, caplog):
    out = tmp_path / "out"
    with ShardWriter(out, "json") as w:
        w.write([OK, PERMANENT])
        w.write([TRANSIENT, {**OK, "id": "d"}])
    clean, mixed = out / "part-000001.json", out / "part-000002.json"
    before = clean.stat().st_mtime_ns
    caplog.set_level(logging.INFO, logger="summarize.inputs.outputs")
    assert scan_shards(out, "json") == {"a", "b", "d"}
    assert clean.stat().st_mtime_ns == before
    assert [r["id"] for r in _read_shard(mixed)] == ["d"]
    assert caplog.text.count("failed with a transient error") == 1
    assert f"{mixed}: 1 records failed with a transient error; they will be retried" in caplog.text


def test_scanning_a_missing_directory_finds_nothing(tmp_path):
    assert scan_shards(tmp_path / "none", "parquet") == set()


def test_jsonl_resume_says_what_it_drops_and_counts_by_the_id_field(tmp_path, caplog):
    out = tmp_path / "out.jsonl"
    out.write_text("".join(json.dumps({**r, "key": r["id"] * 2}) + "\n" for r in (OK, TRANSIENT, PERMANENT)))
    caplog.set_level(logging.INFO, logger="summarize.inputs.outputs")
    failed = set()
    assert scan_jsonl(out, "key", failed=failed) == {"aa", "bb"} and failed == {"bb"}
    assert f"{out}: 1 records failed with a transient error; they will be retried" in caplog.text
    assert [json.loads(l)["id"] for l in out.read_text().splitlines()] == ["a", "b"]
    assert scan_jsonl(out, repair=False) == {"a", "b"}


def test_jsonl_torn_line_is_cut_and_said(tmp_path, caplog):
    out = tmp_path / "out.jsonl"
    out.write_bytes(json.dumps(OK).encode() + b"\n" + b'{"id": "z", "summ')
    caplog.set_level(logging.INFO, logger="summarize.inputs.outputs")
    assert scan_jsonl(out) == {"a"}
    assert out.read_bytes() == json.dumps(OK).encode() + b"\n"
    assert f"{out}: dropping a torn last line (an interrupted write); it will be redone" in caplog.text
    unrepaired = tmp_path / "u.jsonl"
    unrepaired.write_bytes(json.dumps(OK).encode() + b"\n" + b'{"id": "z"')
    assert scan_jsonl(unrepaired, repair=False) == {"a"} and unrepaired.read_bytes().endswith(b'{"id": "z"')


def test_a_result_writer_refuses_a_directory_and_names_it(tmp_path):
    with pytest.raises(InvalidInputError, match=f"output {str(tmp_path)!r} is a directory; give a file path"):
        ResultWriter(tmp_path)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with ResultWriter(empty) as w:  # an empty file is no work to lose
        w.write([OK])
        w.write([])
    assert [json.loads(l) for l in empty.read_text().splitlines()] == [OK]
