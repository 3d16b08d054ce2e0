"""CSV and Parquet inputs, and files read under another name (Ray actors): the same records and id rule as JSONL."""

import csv
import io
import json

import pytest

from summarize import InvalidInputError
from summarize.inputs import InputFile
from summarize.inputs.records import read_file, read_records, read_table

UK = "Уряд ухвалив новий бюджет, і депутати його підтримали."
RU = "Правительство утвердило новый бюджет, и депутаты его поддержали."
MULTILINE = "Перший абзац новини.\r\nДругий абзац, після розриву рядка."


def _csv(path, rows, fields):
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _parquet(path, rows):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def _records(records):
    return [(r.id, r.text, r.line, r.error) for r in records]


def test_csv_rows_are_records_numbered_from_one_with_their_text_kept_whole(tmp_path):
    path = _csv(tmp_path / "a.csv", [{"text": UK}, {"text": MULTILINE}], ["text"])
    assert _records(read_table(str(path), "csv")) == [(1, UK, 1, None), (2, MULTILINE, 2, None)]


def test_fields_are_chosen_by_name_in_tables_too(tmp_path):
    path = _csv(tmp_path / "a.csv", [{"key": "x", "body": UK}, {"key": "y", "body": RU}], ["key", "body"])
    got = _records(read_records([str(path)], "csv", io.BytesIO(), text_field="body", id_field="key"))
    assert got == [("x", UK, 1, None), ("y", RU, 2, None)]
    [missing] = [r.error for r in read_table(str(path), "csv")][:1]
    assert missing == f"{path} line 1: no field 'text' (fields: 'key', 'body'); choose the field with --text-field"


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_several_tables_share_one_id_space(tmp_path, fmt):
    write = (lambda p, rows: _csv(p, rows, ["id", "text"])) if fmt == "csv" else _parquet
    a = write(tmp_path / f"a.{fmt}", [{"id": "x", "text": UK}, {"id": "y", "text": RU}])
    b = write(tmp_path / f"b.{fmt}", [{"id": "y", "text": UK}, {"id": "z", "text": RU}])
    got = list(read_records([str(a), str(b)], fmt, io.BytesIO()))
    assert [r.id for r in got] == ["x", "y", f"{b} line 1", "z"]
    assert got[2].error == f"{b} line 1: duplicate id 'y' (first on {a} line 2)"


def test_rows_without_ids_carry_their_file_when_there_are_several(tmp_path):
    a = _parquet(tmp_path / "a.parquet", [{"text": UK}])
    b = _parquet(tmp_path / "b.parquet", [{"text": RU}])
    assert [r.id for r in read_records([str(a), str(b)], "parquet", io.BytesIO())] == [f"{a}:1", f"{b}:1"]
    assert [r.id for r in read_records([str(a)], "parquet", io.BytesIO())] == [1]


def test_tables_do_not_read_stdin(tmp_path):
    with pytest.raises(InvalidInputError, match="--input-format csv reads files, not stdin"):
        list(read_records(["-"], "csv", io.BytesIO(b"text\nx\n")))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_table_that_cannot_be_read_is_named_with_its_format(tmp_path, fmt):
    bad = tmp_path / f"bad.{fmt}"
    bad.write_bytes(b"\x00\x01 not a table" if fmt == "parquet" else b"\xff\xfe\x00\x00\x00")
    with pytest.raises(InvalidInputError, match=rf"^{bad}: "):
        list(read_table(str(bad), fmt))
    if fmt == "parquet":
        with pytest.raises(InvalidInputError, match=rf"{bad}: cannot be read as PARQUET \("):
            list(read_table(str(bad), fmt))
    with pytest.raises(InvalidInputError, match=rf"{tmp_path / 'missing.csv'}: no such file"):
        list(read_table(str(tmp_path / "missing.csv"), "csv"))
    with pytest.raises(InvalidInputError, match=rf"{tmp_path}: is a directory"):
        list(read_table(str(tmp_path), "csv"))


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_a_file_opened_elsewhere_gives_the_records_its_name_would(tmp_path, fmt, monkeypatch):
    # A Ray actor opens the file by its absolute path, in another directory,
    # and must give the records (ids, messages) of the path as given.
    rows = [{"id": "x", "text": UK}, {"text": MULTILINE}]
    monkeypatch.chdir(tmp_path)
    path = tmp_path / f"in.{fmt}"
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    elif fmt == "csv":
        _csv(path, [{"id": "x", "text": UK}, {"id": "", "text": MULTILINE}], ["id", "text"])
    else:
        _parquet(path, rows)
    from_path = _records(read_records([path.name], fmt, io.BytesIO()))
    elsewhere = InputFile(str(path), fmt, path.name)
    monkeypatch.chdir("/")
    assert _records(read_file(elsewhere)) == from_path and from_path[0] == ("x", UK, 1, None) and from_path[1][1] == MULTILINE
    qualified = [r.id for r in read_file(elsewhere, qualify=True)]
    assert qualified == ["x", f"{path.name}:2"]
    renamed = [r.text for r in read_file(elsewhere, text_field="body")]
    assert renamed == [None, None]


@pytest.mark.parametrize("empty", [None, ""])
def test_a_null_or_empty_id_is_no_id(tmp_path, empty):
    # A Parquet column with gaps gives None, an empty CSV cell "": both were
    # ids, so two such rows collided as duplicates.
    path = _parquet(tmp_path / "a.parquet", [{"id": empty, "text": UK}, {"id": empty, "text": RU}, {"id": "z", "text": UK}])
    assert [(r.id, r.error) for r in read_table(str(path), "parquet")] == [(1, None), (2, None), ("z", None)]
    lines = [json.dumps({"id": empty, "text": UK}), json.dumps({"id": empty, "text": RU})]
    from summarize.inputs.records import read_jsonl

    assert [r.id for r in read_jsonl(io.BytesIO("\n".join(lines).encode()), "in.jsonl")] == [1, 2]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_table_given_as_bytes_gives_the_records_its_path_would(tmp_path, fmt):
    rows = [{"id": "x", "text": UK}, {"id": "y", "text": MULTILINE}]
    path = _csv(tmp_path / "a.csv", rows, ["id", "text"]) if fmt == "csv" else _parquet(tmp_path / "a.parquet", rows)
    assert _records(read_table("a", fmt, data=path.read_bytes())) == _records(read_table(str(path), fmt)) == [
        ("x", UK, 1, None), ("y", MULTILINE, 2, None)]


def test_reading_parquet_without_pyarrow_says_how_to_install_it(tmp_path, monkeypatch):
    import sys

    from summarize import MissingDependencyError

    path = _parquet(tmp_path / "a.parquet", [{"text": UK}])
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingDependencyError, match=r"^reading Parquet needs pyarrow: pip install pyarrow$"):
        list(read_table(str(path), "parquet"))
