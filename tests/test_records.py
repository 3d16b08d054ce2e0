import io
import json

import pytest

from summarize import InvalidInputError
from summarize.inputs.outputs import ResultWriter
from summarize.inputs.decoding import decode_bytes
from summarize.inputs.records import decode_text, read_jsonl, read_text_file

UK = "Уряд ухвалив новий бюджет, і депутати його підтримали."
RU = "Правительство утвердило новый бюджет, и депутаты его поддержали."


@pytest.mark.parametrize(
    "data, expected",
    [
        (UK.encode("utf-8"), UK),
        (b"\xef\xbb\xbf" + UK.encode("utf-8"), UK),
        (UK.encode("utf-16"), UK),
        (UK.encode("utf-16-le"), UK),
        (RU.encode("utf-16-be"), RU),
        ("Talks resume on Monday.".encode("utf-16-le"), "Talks resume on Monday."),
        (UK.encode("cp1251"), UK),
        (RU.encode("cp1251"), RU),
        (RU.encode("koi8_r"), RU),
        (UK.encode("koi8_u"), UK),
        ("Цены".encode("cp1251"), "Цены"),
        ("Ціни зросли (Reuters, Bloomberg)".encode("cp1251"), "Ціни зросли (Reuters, Bloomberg)"),
        ("Grüße aus Köln".encode("latin-1"), "Grüße aus Köln"),
        ("The café said “yes” — again".encode("cp1252"), "The café said “yes” — again"),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf16le", "utf16be", "utf16le-latin", "cp1251-uk", "cp1251-ru", "koi8r", "koi8u",
         "cp1251-one-word", "cp1251-mixed-script", "latin1", "cp1252-quotes"],
)
def test_encodings_are_decoded(data, expected):
    assert decode_text(data, "f.txt") == expected


@pytest.mark.parametrize(
    "data, expected, replaced, first",
    [
        # One stray byte after the first 1,000: the rest stays readable UTF-8.
        (UK.encode() * 20 + b"\xff" + RU.encode(), UK * 20 + "\ufffd" + RU, 1, len(UK.encode()) * 20),
        # A download cut in the middle of its last character.
        ((UK + RU[:-1]).encode()[:-1], (UK + RU)[:-2] + "\ufffd", 1, len((UK + RU[:-1]).encode()) - 2),
        ("Ціни зросли".encode()[:-1], "Ціни зросл\ufffd", 1, 19),
        (b"Gover\xffnment approves budget", "Gover\ufffdnment approves budget", 1, 5),
        (UK.encode() + b"\x80\x80" + UK.encode(), UK + "\ufffd\ufffd" + UK, 2, len(UK.encode())),
    ],
    ids=["stray-byte", "cut-last-character", "cut-short", "ascii-stray", "two-bad"],
)
def test_utf8_with_a_few_bad_bytes_stays_utf8_and_says_where(data, expected, replaced, first, caplog):
    import logging

    decoded = decode_bytes(data, "f.txt")
    assert (decoded.text, decoded.encoding, decoded.replaced, decoded.first_bad) == (expected, "utf-8", replaced, first)
    with caplog.at_level(logging.WARNING, logger="summarize.inputs.records"):
        assert decode_text(data, "f.txt") == expected
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "f.txt" in warnings[0] and f"{replaced} byte" in warnings[0] and f"byte {first:,}" in warnings[0]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        (b"\x98\x98\x98 \x81\x8d \x98\x81", "not valid UTF-8"),
        (b"\xff\xfe\x00\xd8", "not valid UTF-16"),
    ],
)
def test_undecodable_files_are_refused_with_the_fix(data, message):
    with pytest.raises(InvalidInputError) as err:
        decode_bytes(data, "f.txt")
    assert message in str(err.value) and "f.txt" in str(err.value)
    if message == "not valid UTF-8":
        assert "Windows-1251" in str(err.value) and "KOI8" in str(err.value) and "iconv" in str(err.value)


def test_a_jsonl_line_with_a_bad_byte_is_that_lines_warning_not_the_files(caplog):
    import logging

    lines = [json.dumps({"id": "a", "text": UK}, ensure_ascii=False).encode(),
             json.dumps({"id": "b", "text": RU}, ensure_ascii=False).encode().replace("Прав".encode(), "Прав".encode() + b"\xff"),
             json.dumps({"id": "c", "text": RU}, ensure_ascii=False).encode()]
    with caplog.at_level(logging.WARNING, logger="summarize.inputs.records"):
        records = list(read_jsonl(io.BytesIO(b"\n".join(lines) + b"\n"), "in.jsonl"))
    assert [r.error for r in records] == [None, None, None]
    assert records[0].text == UK and records[2].text == RU and records[1].text == RU.replace("Правительство", "Прав\ufffdительство")
    assert [r.getMessage() for r in caplog.records] == ["in.jsonl line 2: 1 byte not valid UTF-8 (first at byte 29) replaced with U+FFFD"]


def test_file_errors(tmp_path):
    with pytest.raises(InvalidInputError, match="no such file"):
        read_text_file(tmp_path / "missing.txt")
    with pytest.raises(InvalidInputError, match="is a directory"):
        read_text_file(tmp_path)
    big = tmp_path / "big.txt"
    big.write_text("a" * 100)
    with pytest.raises(InvalidInputError, match=r"big.txt: the text has more than 10 characters, more than max_input_chars=10;"):
        read_text_file(big, max_chars=10)
    assert read_text_file(big, max_chars=25) == "a" * 100  # 100 bytes may be 25 characters: read, the summarizer counts


def _jsonl(*lines):
    return io.BytesIO("\n".join(lines).encode("utf-8") + b"\n")


def test_jsonl_bad_lines_become_error_records_and_reading_goes_on():
    stream = _jsonl(
        '{"id": "a", "text": "first"}',
        "",
        '{"id": "b", "text": ',
        '["not", "an", "object"]',
        '{"id": "c"}',
        '{"id": "d", "text": 42}',
        '{"id": "a", "text": "again"}',
        '{"text": "no id"}',
    )
    records = list(read_jsonl(stream, "in.jsonl"))
    assert [(r.id, r.text) for r in records if r.error is None] == [("a", "first"), (8, "no id")]
    errors = [r.error for r in records if r.error]
    assert "line 3: malformed JSON" in errors[0]
    assert "line 4: expected a JSON object, got list" in errors[1]
    assert "line 5: no field 'text'" in errors[2]
    assert "line 6: field 'text' must be a string, got int" in errors[3]
    assert "line 7: duplicate id 'a' (first on line 1)" in errors[4]


def test_writer_refuses_to_overwrite_and_resumes_after_a_torn_line(tmp_path):
    out = tmp_path / "out.jsonl"
    with ResultWriter(out) as w:
        w.write([{"id": "a", "summary": "x"}, {"id": "b", "summary": "y"}])
    with out.open("ab") as f:
        f.write(b'{"id": "c", "summ')  # killed mid-write
    with pytest.raises(InvalidInputError, match="already exists; pass --resume"):
        ResultWriter(out)
    with ResultWriter(out, resume=True) as w:
        assert w.done == {"a", "b"}
        w.write([{"id": "c", "summary": "z"}])
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in lines] == ["a", "b", "c"]


def test_a_complete_last_line_without_its_newline_is_redone_not_kept(tmp_path):
    # The write was cut after the closing brace and before the newline: the
    # JSON parses, but appending to it would glue the next record onto it.
    out = tmp_path / "out.jsonl"
    out.write_bytes(b'{"id": "a", "summary": "x"}\n{"id": "b", "summary": "y"}')
    with ResultWriter(out, resume=True) as w:
        assert w.done == {"a"}
        w.write([{"id": "b", "summary": "y2"}, {"id": "c", "summary": "z"}])
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["id"], r["summary"]) for r in rows] == [("a", "x"), ("b", "y2"), ("c", "z")]


@pytest.mark.parametrize("fmt", ["parquet", "json"])
def test_shards_resume_keeps_permanent_failures_and_redoes_transient_ones(tmp_path, fmt):
    from summarize.inputs.outputs import ShardWriter

    rows = [{"id": "a", "summary": "x", "error": None, "error_kind": None},
            {"id": "b", "summary": None, "error": "empty text", "error_kind": "permanent"},
            {"id": "c", "summary": None, "error": "out of memory", "error_kind": "transient"}]
    with ShardWriter(tmp_path / "out", fmt) as w:
        w.write(rows)
    with ShardWriter(tmp_path / "out", fmt, resume=True) as w:
        assert w.done == {"a", "b"} and w.failed == {"b"}
        w.write([{"id": "c", "summary": "z", "error": None, "error_kind": None}])
    from summarize.inputs.outputs import _read_shard

    written = [r for shard in sorted((tmp_path / "out").glob(f"*.{fmt}")) for r in _read_shard(shard)]
    assert sorted((r["id"], r["summary"]) for r in written) == [("a", "x"), ("b", None), ("c", "z")]


def test_writer_refuses_a_corrupt_middle(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "a"}\nnot json\n{"id": "b"}\n')
    with pytest.raises(InvalidInputError, match="line 2 is not a complete JSON object"):
        ResultWriter(out, resume=True)


def test_unreadable_file_is_named(tmp_path, monkeypatch):
    from pathlib import Path

    path = tmp_path / "secret.txt"
    path.write_text("text")

    def denied(self):
        raise PermissionError(13, "Permission denied")

    # Tests run as root, which chmod cannot lock out; simulate the refusal.
    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(InvalidInputError, match="secret.txt: permission denied"):
        read_text_file(path)


def test_jsonl_from_stdin_follows_the_same_id_rule_as_a_file():
    from summarize.inputs.records import read_records

    lines = [json.dumps({"text": UK}), json.dumps({"id": {"nested": 1}, "text": RU}), json.dumps({"id": 9, "body": RU}),
             json.dumps({"id": 9, "text": RU}), "{}"]
    records = list(read_records(["-"], "jsonl", io.BytesIO(("\n".join(lines) + "\n").encode())))
    assert [(r.id, r.line, r.text) for r in records[:1]] == [(1, 1, UK)]
    assert [r.key for r in records] == ["1", "line 2", "9", "line 4", "5"]
    assert records[1].error == "<stdin> line 2: id field 'id' must be a string or number"
    assert records[2].error == "<stdin> line 3: no field 'text' (fields: 'id', 'body'); choose the field with --text-field"
    assert records[3].error == "<stdin> line 4: duplicate id 9 (first on line 3)"
    assert records[4].error == "<stdin> line 5: no field 'text' (fields: none); choose the field with --text-field"
    assert records[2].fields == {"id": 9, "body": RU} and records[3].fields == {"id": 9, "text": RU}


def test_an_unknown_input_format_names_the_formats():
    from summarize.inputs.records import read_records

    with pytest.raises(InvalidInputError, match="unknown input format 'xml'; valid formats are 'text', 'jsonl', 'csv' or 'parquet'"):
        list(read_records(["a.xml"], "xml", io.BytesIO()))


@pytest.mark.parametrize("content, one_error", [
    ('[\n  {"id": 1, "text": "Ціни зросли."},\n  {"id": 2, "text": "Уряд мовчить."}\n]\n', True),  # pretty-printed
    ('{\n  "id": 1,\n  "text": "Ціни зросли."\n}\n', True),
    ('[{"id": 1, "text": "Ціни зросли."}]\n', True),  # one line, but a list of objects
    ('{"id": 1, "text": "Ціни зросли."}\n{broken\n', False),  # JSON lines with one bad line: that line's error
    ('{broken\n{"id": 2, "text": "Уряд мовчить."}\n', False),
])
def test_a_json_document_is_one_error_that_says_what_it_is(tmp_path, content, one_error):
    import io as _io

    from summarize.inputs.records import read_jsonl

    records = list(read_jsonl(_io.BytesIO(content.encode()), "data.json"))
    errors = [r.error for r in records if r.error]
    if one_error:
        assert len(records) == 1 and "data.json is one JSON document, not JSON lines" in errors[0]
        assert "jq -c '.[]' data.json" in errors[0] and "--input-format text" in errors[0]
    else:
        assert len(errors) == 1 and "malformed JSON" in errors[0] and len(records) == 2


def test_a_list_on_a_later_line_is_that_lines_error_and_the_lines_after_it_are_read():
    from summarize.inputs.records import read_jsonl

    content = '{"id": 1, "text": "Ціни зросли."}\n[{"id": 2, "text": "Уряд мовчить."}]\n{"id": 3, "text": "Рада зібралася."}\n'
    records = list(read_jsonl(io.BytesIO(content.encode()), "data.jsonl"))
    assert [r.error for r in records] == [None, "data.jsonl line 2: expected a JSON object, got list", None]
    assert records[2].text == "Рада зібралася."


def test_lines_after_a_look_at_a_large_rest_stay_whole(monkeypatch):
    import io as _io

    from summarize.inputs import records

    monkeypatch.setattr(records, "_WHOLE_JSON_BYTES", 10)  # the look stops inside the second line
    lines = ["{broken"] + [f'{{"id": {i}, "text": "Ціни зросли на {i} відсотків."}}' for i in range(5)]
    got = list(records.read_jsonl(_io.BytesIO("\n".join(lines).encode() + b"\n"), "big.json"))
    assert [str(r.id) for r in got] == ["line 1", "0", "1", "2", "3", "4"]
    assert "malformed JSON" in got[0].error and all(r.error is None for r in got[1:])
