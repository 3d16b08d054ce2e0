import io
import json

import pytest

from summarize import InvalidInputError
from summarize.outputs import ResultWriter
from summarize.records import decode_bytes, read_jsonl, read_text_file

UK = "Уряд ухвалив новий бюджет, і депутати його підтримали."
RU = "Правительство утвердило новый бюджет, и депутаты его поддержали."


@pytest.mark.parametrize(
    "data, expected",
    [
        (UK.encode("utf-8"), UK),
        (b"\xef\xbb\xbf" + UK.encode("utf-8"), UK),
        (UK.encode("utf-16"), UK),
        (UK.encode("cp1251"), UK),
        (RU.encode("cp1251"), RU),
        (RU.encode("koi8_r"), RU),
        (UK.encode("koi8_u"), UK),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "cp1251-uk", "cp1251-ru", "koi8r", "koi8u"],
)
def test_encodings_are_decoded(data, expected):
    assert decode_bytes(data, "f.txt") == expected


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        ("Grüße aus Köln".encode("latin-1"), "not valid UTF-8"),
    ],
)
def test_undecodable_files_are_refused_with_the_fix(data, message):
    with pytest.raises(InvalidInputError) as err:
        decode_bytes(data, "f.txt")
    assert message in str(err.value) and "f.txt" in str(err.value)


def test_file_errors(tmp_path):
    with pytest.raises(InvalidInputError, match="no such file"):
        read_text_file(tmp_path / "missing.txt")
    with pytest.raises(InvalidInputError, match="is a directory"):
        read_text_file(tmp_path)
    big = tmp_path / "big.txt"
    big.write_text("a" * 100)
    with pytest.raises(InvalidInputError, match="more than one document may have"):
        read_text_file(big, max_bytes=10)


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
