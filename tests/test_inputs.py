"""The input plan: the files a job reads, their order, format and names, the same for every executor."""

import io
import json
from pathlib import Path

import pytest

from summarize import InvalidInputError
from summarize.inputs import EXTENSIONS, InputFile, plan_inputs
from summarize.inputs.records import earlier_ids, file_ids, read_file, read_records

from .conftest import TEXTS


def _jsonl(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def archive(tmp_path, monkeypatch):
    """archive/{a,b}.jsonl, archive/sub/c.jsonl, and what a listing leaves out; the working directory is tmp_path."""
    monkeypatch.chdir(tmp_path)
    for name in ("a", "b", "sub/c", ".hidden", "_temporary/d", "sub/.hidden"):
        _jsonl(tmp_path / "archive" / f"{name}.jsonl", [{"text": TEXTS["en"]}])
    (tmp_path / "archive" / "_SUCCESS").write_text("")
    (tmp_path / "empty").mkdir()
    return tmp_path


ALL = ["archive/a.jsonl", "archive/b.jsonl", "archive/sub/c.jsonl"]


@pytest.mark.parametrize("inputs, names, qualify", [
    (["archive/a.jsonl"], ["archive/a.jsonl"], False),
    (["./archive/a.jsonl", "archive/b.jsonl"], ["./archive/a.jsonl", "archive/b.jsonl"], True),  # as given, never resolved
    (["archive"], ALL, True),  # sorted, recursive, without names starting with . or _
    (["archive/"], ALL, True),
    (["./archive"], [f"./{n}" for n in ALL], True),
    (["archive/sub"], ["archive/sub/c.jsonl"], True),  # a directory may hold several: its ids carry the file
    (["archive/*.jsonl"], ALL[:2], True),  # a pattern gives the names a shell gives
    (["archive/s*"], ["archive/sub/c.jsonl"], True),  # a directory it matches is listed
    (["./archive/**/*.jsonl"], ["./archive/_temporary/d.jsonl", *[f"./{n}" for n in ALL]], True),  # the shell's: only dot files left out
    (["archive/b.jsonl", "archive/a.jsonl", "archive/b.jsonl"], ["archive/b.jsonl", "archive/a.jsonl", "archive/b.jsonl"], True),
    (["-"], ["<stdin>"], False),
])
def test_the_plan_names_each_file_as_given_or_as_listed(archive, inputs, names, qualify):
    plan = plan_inputs(inputs, "jsonl" if inputs == ["-"] else "auto")
    assert [f.name for f in plan.files] == names and plan.qualify is qualify and plan.format == "jsonl"
    assert all(f.format == "jsonl" for f in plan.files)


def test_one_input_may_be_given_alone(archive):
    assert plan_inputs("archive") == plan_inputs(Path("archive")) == plan_inputs(["archive"])
    assert [f.name for f in plan_inputs(Path("archive/a.jsonl")).files] == ["archive/a.jsonl"]


def test_a_web_page_and_a_uri_in_a_text_job_are_documents_not_listings(archive):
    uri = (archive / "archive").as_uri()
    for inputs, fmt in ((["https://example.org/news/1"], "auto"), ([uri], "text")):
        plan = plan_inputs(inputs, fmt)
        assert [(f.path, f.name, f.format) for f in plan.files] == [(inputs[0], inputs[0], "text")] and not plan.qualify


def test_a_file_is_located_for_a_reader_elsewhere_under_the_same_name(archive):
    assert InputFile("archive/a.jsonl", "jsonl", "archive/a.jsonl").located() == InputFile(str(archive / "archive" / "a.jsonl"), "jsonl", "archive/a.jsonl")
    for path in ("-", "s3://news/a.jsonl"):
        assert InputFile(path, "jsonl", path).located().path == path


def test_no_input_is_stdin_and_text():
    plan = plan_inputs([])
    assert plan.files == (InputFile("-", "text", "<stdin>"),) and not plan.qualify


@pytest.mark.parametrize("name, fmt", [
    ("a.jsonl", "jsonl"), ("a.ndjson", "jsonl"), ("a.json", "jsonl"), ("a.csv", "csv"), ("a.parquet", "parquet"),
    ("a.pq", "parquet"), ("A.PQ", "parquet"), ("a.txt", "text"), ("a.html", "text"), ("a", "text"), ("", "text"),
])
def test_one_extension_table(tmp_path, name, fmt):
    if name:
        (tmp_path / name).write_bytes(b"")
    assert plan_inputs([str(tmp_path / name)] if name else []).format == fmt
    assert EXTENSIONS.get((tmp_path / name).suffix.lower(), "text") == fmt


def test_a_file_named_like_a_pattern_is_itself(tmp_path):
    odd = _jsonl(tmp_path / "a[1].jsonl", [{"text": "x"}])
    _jsonl(tmp_path / "a1.jsonl", [{"text": "x"}])
    assert [f.name for f in plan_inputs([str(odd)]).files] == [str(odd)]


@pytest.mark.parametrize("inputs, fmt, message", [
    (["nowhere.jsonl"], "auto", "nowhere.jsonl: no such file"),
    (["archive/*.csv"], "auto", "archive/*.csv: no file matches this pattern"),
    (["archive/*.csv"], "jsonl", "archive/*.csv: no file matches this pattern"),
    (["empty"], "jsonl", "empty: the directory holds no files (names starting with '.' or '_' are left out)"),
    (["empty"], "text", "empty: the directory holds no files"),
    (["-"], "csv", "--input-format csv reads files, not stdin"),
    (["archive/a.jsonl", "notes.txt"], "auto", "the inputs mix formats (archive/a.jsonl is jsonl, notes.txt is text)"),
    (["archive"], "xml", "unknown input format 'xml'; valid formats are 'text', 'jsonl', 'csv' or 'parquet', or 'auto'"),
])
def test_inputs_that_name_no_records_are_refused_before_anything_is_read(archive, inputs, fmt, message):
    with pytest.raises(InvalidInputError, match="^" + message.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*").replace("[", r"\[")):
        plan_inputs(inputs, fmt)


def test_a_directory_that_cannot_be_listed_is_named(archive, monkeypatch):
    import os

    scandir = os.scandir

    def denied(path="."):
        if str(path).endswith("sub"):
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", denied)
    with pytest.raises(InvalidInputError, match=r"^archive/sub: cannot be listed \(Permission denied\)$"):
        plan_inputs(["archive"])


def test_a_uri_that_cannot_be_served_is_named_in_one_line(archive, monkeypatch):
    import sys

    empty = (archive / "empty").as_uri()
    with pytest.raises(InvalidInputError, match=rf"^{empty}: the directory holds no files"):
        plan_inputs([empty])
    with pytest.raises(InvalidInputError, match=r"^hdfs://nowhere:1/in: cannot be read \([^\n]*\)$"):
        plan_inputs(["hdfs://nowhere:1/in"])
    with pytest.raises(InvalidInputError, match=r"^hdfs://nowhere:1/a.jsonl: cannot be read \([^\n]*\)$"):
        list(read_file(InputFile("hdfs://nowhere:1/a.jsonl", "jsonl", "hdfs://nowhere:1/a.jsonl")))
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    from summarize import MissingDependencyError

    with pytest.raises(MissingDependencyError, match=r"^reading s3://news/ needs pyarrow's file systems: pip install pyarrow$"):
        plan_inputs(["s3://news/"])


def test_a_missing_text_file_fails_its_own_record(archive):
    plan = plan_inputs(["nowhere.txt", "archive/a.jsonl"], "text")
    assert [f.name for f in plan.files] == ["nowhere.txt", "archive/a.jsonl"]
    records = list(read_records(["nowhere.txt", "archive/a.jsonl"], "text", io.BytesIO()))
    assert [(r.key, r.error) for r in records] == [("nowhere.txt", "nowhere.txt: no such file"), ("archive/a.jsonl", None)]


def test_a_directory_of_text_files_is_a_document_each(tmp_path):
    for lang in ("en", "uk"):
        (tmp_path / "texts" / f"{lang}.txt").parent.mkdir(exist_ok=True)
        (tmp_path / "texts" / f"{lang}.txt").write_text(TEXTS[lang], encoding="utf-8")
    records = list(read_records([str(tmp_path / "texts")], "auto", io.BytesIO()))
    assert [(r.id, r.text) for r in records] == [(str(tmp_path / "texts" / f"{lang}.txt"), TEXTS[lang]) for lang in ("en", "uk")]


def test_a_file_system_uri_is_listed_and_read_like_a_path(archive):
    uri = (archive / "archive").as_uri()
    plan = plan_inputs([uri])
    assert [f.name for f in plan.files] == [f"{uri}/{n.split('/', 1)[1]}" for n in ALL] and plan.qualify
    assert plan_inputs([uri + "/"]) == plan
    by_uri = [(r.key, r.text) for r in read_records([uri], "auto", io.BytesIO())]
    by_path = [(r.key, r.text) for r in read_records(["archive"], "auto", io.BytesIO())]
    assert by_uri == [(key.replace("archive", uri, 1), text) for key, text in by_path]


def _tables(tmp_path, fmt, files):
    """Write each file's rows in ``fmt``; the paths."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    paths = []
    for name, rows in files:
        path = tmp_path / f"{name}.{fmt}"
        if fmt == "jsonl":
            _jsonl(path, rows)
        elif fmt == "csv":
            path.write_text("id,text\n" + "".join(f'{r.get("id", "")},"{r["text"]}"\n' for r in rows), encoding="utf-8")
        else:
            pq.write_table(pa.Table.from_pylist([{"id": r.get("id"), "text": r["text"]} for r in rows]), path)
        paths.append(str(path))
    return paths


FILES = [
    ("a", [{"id": "x", "text": "Ціни зросли."}, {"id": "y", "text": "Уряд мовчить."}, {"text": "Без id."}, {"id": "x", "text": "Знову x."}]),
    ("b", [{"id": "y", "text": "Y ще раз."}, {"id": "z", "text": "Нове."}, {"text": "Без id."}, {"id": "z", "text": "Знову z."}]),
    ("c", [{"id": "z", "text": "Z утретє."}, {"id": "w", "text": "Нове."}]),
]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
@pytest.mark.parametrize("twice", [False, True], ids=["three-files", "a-file-given-twice"])
def test_files_read_apart_in_any_order_give_the_records_of_one_reader(tmp_path, fmt, twice):
    # What Ray's actors do: each reads one file, starting from the ids its
    # file shares with earlier ones (an ids-only pass), in any order.
    paths = _tables(tmp_path, fmt, FILES)
    if twice:
        paths = [paths[0], paths[1], paths[0]]
    plan = plan_inputs(paths)
    together = [(r.key, r.line, r.text, r.error) for r in read_records(paths, "auto", io.BytesIO())]
    earlier = earlier_ids(plan.files, [file_ids(f, qualify=plan.qualify) for f in plan.files])
    apart = {}
    for i in reversed(range(len(plan.files))):
        apart[i] = [(r.key, r.line, r.text, r.error) for r in read_file(plan.files[i], seen=dict(earlier[i]), qualify=plan.qualify)]
    assert [record for i in range(len(plan.files)) for record in apart[i]] == together
    a, b, c = paths[0], paths[1], paths[-1]
    own = [f"{a} line 4: duplicate id 'x' (first on line 1)", f"{b} line 1: duplicate id 'y' (first on {a} line 2)",
           f"{b} line 4: duplicate id 'z' (first on line 2)"]
    if twice:  # the second reading of a repeats every id of the first
        later = [f"{a} line {n}: duplicate id {key!r} (first on line {first})" for n, key, first in ((1, "x", 1), (2, "y", 2), (3, f"{a}:3", 3), (4, "x", 1))]
    else:
        later = [f"{c} line 1: duplicate id 'z' (first on {b} line 2)"]
    assert [error for *_, error in together if error] == own + later


def test_a_parquet_files_ids_are_read_from_its_id_column_alone(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    [path] = _tables(tmp_path, "parquet", FILES[:1])
    read = []
    original = pq.ParquetFile.read
    monkeypatch.setattr(pq.ParquetFile, "read", lambda self, columns=None, **k: read.append(columns) or original(self, columns=columns, **k))
    assert file_ids(InputFile(path, "parquet", "a.parquet"), qualify=True) == {"x": 1, "y": 2, "a.parquet:3": 3}
    assert read == [["id"]]
    assert file_ids(InputFile(path, "parquet", "a.parquet"), id_field="key") == {"1": 1, "2": 2, "3": 3, "4": 4}
    assert file_ids(InputFile(path, "parquet", "a.parquet"), id_field="text") == {"Ціни зросли.": 1, "Уряд мовчить.": 2, "Без id.": 3, "Знову x.": 4}


def _cli(*argv, stdin=b""):
    from summarize.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdin=io.BytesIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_a_json_file_is_json_lines_on_every_executor(tmp_path):
    # Ray Data writes JSON lines as .json; the one table says so for a local job too (it was one text document).
    path = _jsonl(tmp_path / "shard.json", [{"id": "a", "text": TEXTS["en"]}, {"id": "b", "text": TEXTS["uk"]}])
    code, out, err = _cli("--method", "lead", "--sentences", "1", str(path))
    assert code == 0, err
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["a", "b"]


@pytest.mark.parametrize("name", ["docs.csv", "docs.json", "dir"])
def test_ray_takes_what_a_local_job_takes(tmp_path, monkeypatch, name):
    from summarize import cli
    from summarize.jobs import JobResult

    jobs = []
    monkeypatch.setattr(cli, "run_job", lambda job, *a, **k: jobs.append(job) or JobResult(ok=1, output=job.output))
    path = tmp_path / name
    if name == "dir":
        _jsonl(path / "part-0.json", [{"text": "x"}])
    else:
        path.write_bytes(b"")
    code, _, err = _cli("--ray", "--method", "lead", "--output", str(tmp_path / "out"), str(path))
    assert code == 0, err
    assert jobs[0].input_format == EXTENSIONS.get(path.suffix, "jsonl")


@pytest.mark.parametrize("argv, message", [
    (["{tmp}/notes.txt"], "summarize: error: Ray reads JSONL, CSV or Parquet files (.jsonl, .ndjson, .json, .csv, .parquet, .pq), "
                          "not text ({tmp}/notes.txt); name them so, or give --input-format jsonl\n"),
    (["-"], "summarize: error: Ray reads files, not stdin ('-'): give JSONL, CSV or Parquet paths, directories or patterns\n"),
    ([], "summarize: error: Ray reads files, not stdin ('-'): give JSONL, CSV or Parquet paths, directories or patterns\n"),
    (["{tmp}/*.csv"], "summarize: error: {tmp}/*.csv: no file matches this pattern\n"),
])
def test_ray_refuses_what_it_cannot_read_by_name(tmp_path, argv, message):
    (tmp_path / "notes.txt").write_text(TEXTS["en"], encoding="utf-8")
    code, _, err = _cli("--ray", "--method", "lead", "--output", str(tmp_path / "out"), *[a.format(tmp=tmp_path) for a in argv])
    assert (code, err) == (2, message.format(tmp=tmp_path))


def test_read_file_reads_records_by_the_fields_asked_and_only_files_of_records(tmp_path):
    path = _jsonl(tmp_path / "a.jsonl", [{"key": "k1", "body": "Ціни зросли."}, {"key": "k1", "body": "Знову."}])
    file = InputFile(str(path), "jsonl", "a.jsonl")
    assert [(r.key, r.text, r.error) for r in read_file(file, text_field="body", id_field="key")] == [
        ("k1", "Ціни зросли.", None), ("line 2", None, "a.jsonl line 2: duplicate id 'k1' (first on line 1)")]
    assert file_ids(file, id_field="key") == {"k1": 1}
    [csv_path] = _tables(tmp_path, "csv", [("c", [{"id": "x", "text": "Ціни зросли."}, {"text": "Без id."}])])
    assert file_ids(InputFile(csv_path, "csv", "c.csv"), id_field="text") == {"Ціни зросли.": 1, "Без id.": 2}
    with pytest.raises(InvalidInputError, match=r"^notes.txt: a text input is one document, not a file of records$"):
        list(read_file(InputFile(str(path), "text", "notes.txt")))


def test_an_unreadable_parquet_file_is_named_in_the_ids_pass_too(tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(InvalidInputError, match=r"^in/bad.parquet: cannot be read as PARQUET \("):
        file_ids(InputFile(str(bad), "parquet", "in/bad.parquet"))


def test_text_documents_are_numbered_in_plan_order_and_private_urls_refused_by_default(tmp_path):
    for name in ("a", "b"):
        (tmp_path / f"{name}.txt").write_text(TEXTS["en"], encoding="utf-8")
    paths = [str(tmp_path / "a.txt"), str(tmp_path / "missing.txt"), str(tmp_path / "b.txt"), "http://127.0.0.1/admin"]
    records = list(read_records(paths, "auto", io.BytesIO()))
    assert [(r.line, r.error is None) for r in records] == [(1, True), (2, False), (3, True), (4, False)]
    assert "private or reserved address" in records[3].error
