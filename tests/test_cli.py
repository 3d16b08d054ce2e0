import io
import json
import re

import pytest

from summarize import __version__
from summarize.cli import main

from .conftest import TEXTS


def run(argv, stdin=b""):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.BytesIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_summarises_a_text_file_with_the_tiny_model(tiny_model, tmp_path):
    path = tmp_path / "uk.txt"
    path.write_text(TEXTS["uk"], encoding="utf-8")
    code, out, err = run(["--model", tiny_model, "--num-beams", "1", "--max-new-tokens", "6", "--format", "json", str(path)])
    assert code == 0, err
    [record] = json.loads(out)  # a list, whatever the number of inputs
    assert record["id"] == str(path)
    assert record["source_lang"] == "uk" and record["output_tokens"] <= 6
    assert "Traceback" not in err


def test_reads_stdin_and_prints_text(tmp_path):
    code, out, err = run(["--method", "lead", "--sentences", "1"], stdin=TEXTS["en"].encode())
    assert code == 0
    assert out == "The city council approved a new budget on Tuesday.\n"


def test_jsonl_in_jsonl_out_with_error_records(tiny_model, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(
        "\n".join(
            [
                json.dumps({"id": 1, "text": TEXTS["en"][:80]}),
                "{broken",
                json.dumps({"id": 2, "body": TEXTS["ru"][:80]}),
                json.dumps({"id": 3, "text": "   "}),
                json.dumps({"id": 4, "text": TEXTS["uk"][:80]}),
            ]
        ),
        encoding="utf-8",
    )
    out_path = tmp_path / "out.jsonl"
    code, out, err = run(["--model", tiny_model, "--num-beams", "1", "--max-new-tokens", "4", "--input-format", "jsonl", "--output", str(out_path), str(src)])
    assert code == 3
    records = [json.loads(line) for line in out_path.read_text().splitlines()]
    assert [r["id"] for r in records] == [1, "line 2", 2, 3, 4]
    assert [r["error"] is not None for r in records] == [False, True, True, True, False]
    assert "2 summarised, 3 failed, 0 already done" in err


@pytest.mark.parametrize(
    "argv, stdin, message",
    [
        (["--method", "lead"], b"", "the text is empty"),
        (["--method", "lead"], b"\x00\x01\x02binary", "binary file"),
        (["--method", "lead", "/no/such/file.txt"], b"", "/no/such/file.txt: no such file"),
        (["--method", "lead", "--target-lang", "en"], TEXTS["uk"].encode(), "copies sentences"),
        (["--method", "lead"], "Die Regierung hat den Haushalt beschlossen und die Steuern gesenkt.".encode(), "supported languages are English, Ukrainian and Russian"),
        (["--model", "nobody/nothing"], TEXTS["en"].encode(), "'nobody/nothing' is not available"),
        (["--batch-size", "-1", "--method", "lead"], b"x", "--batch-size must be an integer >= 1, got -1"),
        (["--num-beams", "0", "--method", "lead"], b"x", "--num-beams must be an integer >= 1, got 0"),
        (["--threads", "-1", "--method", "lead"], b"x", "--threads must be an integer >= 0"),
        (["--resume", "--method", "lead"], b"x", "--resume needs --output"),
    ],
)
def test_errors_are_one_line_with_exit_status_2(argv, stdin, message):
    code, out, err = run(argv, stdin)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    # One line, after at most the note that a short text's language needs lingua's full models.
    lines = [l for l in err.splitlines() if not l.startswith("summarize: loading the full")]
    assert len(lines) == 1 and lines[0].startswith("summarize: error: ")


def test_unknown_choice_is_a_usage_error(capsys):
    code, _, _ = run(["--lang", "de"])
    assert code == 2 and "invalid choice: 'de'" in capsys.readouterr().err


def test_list_models_and_version(capsys):
    code, out, _ = run(["--list-models"])
    assert code == 0 and "csebuetnlp/mT5_multilingual_XLSum" in out and "gazeta" in out
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_debug_adds_the_traceback_and_keeps_the_exit_status():
    code, _, err = run(["--method", "lead", "--debug"])
    assert code == 2
    assert "Traceback" in err and err.splitlines()[-1].startswith("summarize: error: <stdin>: the text is empty")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--method", "lead", "--output", "/no/such/dir/out.txt"], "directory '/no/such/dir' does not exist"),
        (["--method", "lead", "--input-format", "jsonl", "--output", "/no/such/dir/out.jsonl"], "directory '/no/such/dir' does not exist"),
        (["--model", "bart-cnn"], "does not serve ukrainian"),
        (["--model", "xlsum", "--target-lang", "en"], "use a cross-lingual model: crosssum"),
    ],
)
def test_usage_errors_exit_2_before_anything_is_loaded(argv, message):
    # bart-cnn and xlsum are not in the (offline) cache: a load would fail differently.
    code, _, err = run(argv, TEXTS["uk"].encode())
    assert code == 2 and message in err and err.count("\n") == 1, err


def test_messages_name_cli_flags_not_keywords():
    code, _, err = run(["--model", "bart-cnn"], TEXTS["uk"].encode())
    assert "--method lead or textrank" in err and "method=" not in err
    big = ("Ціни зросли. " * 90_000).encode()
    code, _, err = run(["--method", "lead", "--max-input-chars", "1000"], big)
    assert code == 2 and "--max-input-chars" in err


def test_empty_file_is_named(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    code, _, err = run(["--method", "lead", str(empty)])
    assert code == 2 and f"{empty}: the text is empty" in err


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_a_stray_byte_in_a_utf8_article_is_one_warning_not_mojibake(tmp_path, source):
    data = ((TEXTS["uk"] + " ") * 8).encode()
    at = 1000
    while data[at] & 0xC0 == 0x80:  # a character boundary
        at += 1
    damaged = data[:at] + b"\xff" + data[at:]
    path = tmp_path / "article.txt"
    path.write_bytes(damaged)
    argv = ["--method", "lead", "--sentences", "1", "--format", "json"]
    code, out, err = run(argv + [str(path)]) if source == "file" else run(argv, stdin=damaged)
    name = str(path) if source == "file" else "<stdin>"
    assert code == 0, err
    [row] = json.loads(out)
    assert row["summary"] == TEXTS["uk"].split(". ")[0] + "."
    assert row["source_lang"] == "uk"
    assert err.strip() == f"summarize: warning: {name}: 1 byte not valid UTF-8 (first at byte {at:,}) replaced with U+FFFD"


def test_a_truncation_warning_names_the_record_that_was_cut(tiny_model, tmp_path):
    # Bug 4 of #29: it named the text's position in its block ("text 4" for the 37th record of 40).
    src = tmp_path / "in.jsonl"
    rows = [{"id": f"r{i}", "text": " ".join([TEXTS["uk"]] * 3) if i == 37 else TEXTS["uk"][:80]} for i in range(40)]
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    code, _, err = run(["--model", tiny_model, "--backend", "torch", "--num-beams", "1", "--max-new-tokens", "2",
                        "--batch-size", "8", "--long-input", "truncate", "--quiet", str(src)])
    assert code == 0
    assert [line.split(" tokens")[0] for line in err.splitlines()] == ["summarize: warning: r37: 334"]


def test_malformed_jsonl_message_says_where_once_and_whole(tmp_path):
    src = tmp_path / "bad.jsonl"
    src.write_text('{"id": 1, "text": "Ціни зросли."}\n{broken\n', encoding="utf-8")
    code, _, err = run(["--method", "lead", "--input-format", "jsonl", str(src)])
    line = next(l for l in err.splitlines() if "malformed" in l)
    assert line == f"summarize: {src} line 2: malformed JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))"


def test_quiet_keeps_warnings_and_drops_only_news(tiny_model, tmp_path):
    long_text = " ".join([TEXTS["uk"]] * 3)
    argv = ["--model", tiny_model, "--num-beams", "1", "--max-new-tokens", "3", "--long-input", "truncate"]
    code, out, err = run([*argv, "--quiet"], long_text.encode())
    assert code == 0 and out and err.startswith("summarize: warning: <stdin>: ") and err.count("\n") == 1
    code, out, err = run(argv, long_text.encode())
    # Without --quiet, the news too: what the fact check found (the summary alone stays on stdout).
    assert err.startswith("summarize: warning: <stdin>: ") and err.count("\n") == 2 and "Warning" not in err
    assert re.search(r"^summarize: (\d+ facts? checked|no numbers, dates or names to check)", err, re.M)
    code, out, err = run([*argv, "--quiet"], TEXTS["uk"][:100].encode())
    assert code == 0 and out and err == ""


def test_an_unreadable_file_fails_alone_and_the_others_are_summarised(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(TEXTS["ru"], encoding="utf-8")
    code, out, err = run(["--method", "lead", "--sentences", "1", str(tmp_path / "missing.txt"), str(good)])
    assert code == 3
    assert f"==> {good} <==" in out and "Городской совет" in out
    assert "missing.txt: no such file" in err
    assert "1 summarised, 1 failed" in err


def test_resume_retries_transient_failures_and_keeps_every_id_once(tiny_model, tmp_path, monkeypatch):
    from summarize.backends.torch import TorchBackend

    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps({"id": i, "text": TEXTS["en"][: 40 + 30 * i]}) for i in range(4)) + "\n{bad\n", encoding="utf-8")
    out_path = tmp_path / "out.jsonl"
    argv = ["--model", tiny_model, "--backend", "torch", "--num-beams", "1", "--max-new-tokens", "3", "--batch-size", "1",
            "--input-format", "jsonl", "--output", str(out_path), "--quiet", str(src)]
    real = TorchBackend.submit

    def fails_once_on_long_input(self, batch, settings, start, n_best=1):
        if any(len(ids) > 30 for ids in batch):
            raise RuntimeError("out of memory (simulated)")
        return real(self, batch, settings, start, n_best)

    monkeypatch.setattr(TorchBackend, "submit", fails_once_on_long_input)
    assert run(argv)[0] == 3
    first = [json.loads(line) for line in out_path.read_text().splitlines()]
    kinds = {str(r["id"]): r.get("error_kind") for r in first}
    assert kinds["line 5"] == "permanent" and "transient" in kinds.values()

    monkeypatch.setattr(TorchBackend, "submit", real)
    code, _, _ = run([*argv, "--resume"])
    rows = [json.loads(line) for line in out_path.read_text().splitlines()]
    assert sorted(str(r["id"]) for r in rows) == ["0", "1", "2", "3", "line 5"]  # each id exactly once
    assert [r for r in rows if r["error"] is not None] == [r for r in first if r.get("error_kind") == "permanent"]
    assert code == 0  # this run redid only the transient failures, and they succeeded


def test_the_readme_example_prints_what_the_readme_says():
    from pathlib import Path

    root = Path(__file__).parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "summarize --method lead --sentences 1 examples/en_grain_corridor.txt" in readme
    code, out, err = run(["--method", "lead", "--sentences", "1", str(root / "examples" / "en_grain_corridor.txt")])
    assert code == 0 and err == ""
    assert f"```text\n{out}```" in readme


def test_two_jsonl_files_without_ids_keep_every_record_through_a_resume(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text(json.dumps({"text": TEXTS["en"]}) + "\n" + json.dumps({"text": TEXTS["uk"]}) + "\n", encoding="utf-8")
    b.write_text(json.dumps({"text": TEXTS["ru"]}) + "\n", encoding="utf-8")
    out_path = tmp_path / "out.jsonl"
    argv = ["--method", "lead", "--sentences", "1", "--input-format", "jsonl", "--output", str(out_path), "--quiet", str(a), str(b)]
    assert run(argv)[0] == 0
    rows = [json.loads(line) for line in out_path.read_text().splitlines()]
    # Several files: each line number carries its file (one file alone: the line number).
    assert [r["id"] for r in rows] == [f"{a}:1", f"{a}:2", f"{b}:1"]
    out_path.write_text("\n".join(out_path.read_text().splitlines()[:2]) + "\n")  # killed before b.jsonl
    code, _, err = run([*argv, "--resume"])
    rows = [json.loads(line) for line in out_path.read_text().splitlines()]
    assert code == 0 and [r["id"] for r in rows] == [f"{a}:1", f"{a}:2", f"{b}:1"]
    assert rows[-1]["summary"] == TEXTS["ru"].split(". ")[0] + "."
    assert [json.loads(line)["id"] for line in run(argv[:6] + [str(a)])[1].splitlines()] == [1, 2]


def test_a_duplicate_id_is_an_error_row_of_its_own_and_every_id_appears_once(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text("\n".join(json.dumps({"id": i, "text": TEXTS["en"]}) for i in ("x", "y", "x")) + "\n", encoding="utf-8")
    b.write_text(json.dumps({"id": "y", "text": TEXTS["ru"]}) + "\n", encoding="utf-8")
    code, out, err = run(["--method", "lead", "--sentences", "1", "--input-format", "jsonl", str(a), str(b)])
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 3
    assert [r["id"] for r in rows] == ["x", "y", f"{a} line 3", f"{b} line 1"]
    assert rows[0]["summary"] and rows[1]["summary"]
    assert rows[2]["error"] == f"{a} line 3: duplicate id 'x' (first on line 1)"
    assert rows[3]["error"] == f"{b} line 1: duplicate id 'y' (first on {a} line 2)"


def test_resume_does_not_call_earlier_permanent_failures_done(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "ok", "text": TEXTS["en"]}) + "\n" + json.dumps({"id": "empty", "text": " "}) + "\n", encoding="utf-8")
    out_path = tmp_path / "out.jsonl"
    argv = ["--method", "lead", "--input-format", "jsonl", "--output", str(out_path), str(src)]
    assert run(argv)[0] == 3
    code, _, err = run([*argv, "--resume"])
    assert code == 0
    assert err == "summarize: 0 summarised, 0 failed, 2 already in the output (1 of them failed before: permanent errors are not retried)\n"


@pytest.mark.parametrize("name, suggestion", [("xlsun", "xlsum"), ("XLSum", "xlsum"), ("cross-sum", "crosssum"), ("bartcnn", "bart-cnn"), ("summarizer", None)])
def test_a_bare_name_that_is_no_preset_gets_did_you_mean_not_download_advice(name, suggestion):
    code, out, err = run(["--model", name], stdin=TEXTS["uk"].encode())
    assert code == 2 and out == ""
    assert f"unknown preset {name!r}" in err and "xlsum, crosssum, bart-cnn, gazeta" in err and "Download" not in err
    assert (f"did you mean {suggestion!r}?" in err) if suggestion else ("did you mean" not in err)


def test_running_the_command_in_process_leaves_the_process_as_it_was():
    import logging
    import os

    before = (dict(os.environ), logging.getLogger("summarize").handlers[:], logging.getLogger("transformers").level,
              logging.getLogger("ray").level)
    code, out, err = run(["--method", "lead", "--sentences", "1"], TEXTS["en"].encode())
    assert code == 0
    after = (dict(os.environ), logging.getLogger("summarize").handlers[:], logging.getLogger("transformers").level,
             logging.getLogger("ray").level)
    assert after == before


def test_a_job_reports_what_generated_its_summaries_and_how_long_loading_took(tiny_model, preset_standins):
    # The evaluation's speed leaves the loading out, and its report names what ran: both come from the job's result.
    from summarize.jobs import Job
    from summarize.jobs.executors import run_job
    from summarize.options import SummarizerOptions

    def run(**options):
        return run_job(Job(inputs=("-",), summarizer=SummarizerOptions(**options)), stdin=io.BytesIO(TEXTS["uk"][:200].encode()))

    lead = run(method="lead")
    assert (lead.ok, lead.backend) == (1, None) and lead.load_seconds < 0.5  # no model: nothing to name
    refused = run(model="bart-cnn", backend="torch", device="cpu")  # Ukrainian for an English model: refused unloaded
    assert (refused.failed, refused.load_seconds, refused.backend) == (1, 0.0, None)  # nothing built
    loaded = run(model=tiny_model, backend="torch", device="cpu", generation={"num_beams": 1, "max_new_tokens": 6})
    assert loaded.ok == 1 and loaded.load_seconds > 0
    assert loaded.backend == {"name": "torch", "device": "cpu", "dtype": "float32", "vocabulary": "full"}
