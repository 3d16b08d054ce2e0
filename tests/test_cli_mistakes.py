"""The mistakes people make on their first day get an answer that helps (issue #22)."""

import io
import json
import re

import pytest

from summarize import InvalidInputError, jobs
from summarize.cli import main

from .conftest import TEXTS


class Terminal(io.BytesIO):
    def isatty(self):
        return True


def run(argv, stdin=b""):
    out, err = io.StringIO(), io.StringIO()
    stream = stdin if isinstance(stdin, io.IOBase) else io.BytesIO(stdin)
    code = main(argv, stdin=stream, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def _jsonl(path, texts):
    path.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(texts)), encoding="utf-8")
    return path


def test_the_extension_says_the_input_format(tmp_path):
    docs = _jsonl(tmp_path / "docs.jsonl", [TEXTS["en"], TEXTS["uk"]])
    code, out, err = run(["--method", "lead", "--sentences", "1", str(docs)])
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]  # records in, JSONL out
    assert [r["id"] for r in rows] == [0, 1] and [r["source_lang"] for r in rows] == ["en", "uk"]
    csv = tmp_path / "docs.csv"
    csv.write_text('id,text\na,"' + TEXTS["ru"] + '"\n', encoding="utf-8")
    code, out, err = run(["--method", "lead", "--sentences", "1", str(csv)])
    assert code == 0 and json.loads(out)["source_lang"] == "ru"


def test_inputs_of_different_formats_are_refused_by_name(tmp_path):
    docs = _jsonl(tmp_path / "docs.jsonl", [TEXTS["en"]])
    text = tmp_path / "a.txt"
    text.write_text(TEXTS["en"], encoding="utf-8")
    code, out, err = run(["--method", "lead", str(docs), str(text)])
    assert code == 2 and out == ""
    assert err == f"summarize: error: the inputs mix formats ({docs} is jsonl, {text} is text); run them separately, or give --input-format\n"


def test_a_text_file_holding_json_lines_gets_a_hint(tmp_path):
    docs = _jsonl(tmp_path / "docs.txt", [TEXTS["en"], TEXTS["uk"]])
    code, out, err = run(["--method", "lead", str(docs)])
    assert f"summarize: warning: {docs} looks like JSON, not text" in err and "--input-format jsonl" in err
    code, out, err = run(["--method", "lead", "--input-format", "jsonl", str(docs)])
    assert code == 0 and "warning" not in err and len(out.splitlines()) == 2


def test_errors_about_one_file_name_the_file(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n", encoding="utf-8")
    assert run(["--method", "lead", str(empty)])[2] == f"summarize: error: {empty}: the text is empty or only white space: nothing to summarise\n"
    wrong = tmp_path / "uk.txt"
    wrong.write_text(TEXTS["uk"], encoding="utf-8")
    code, _, err = run(["--method", "lead", "--lang", "en", str(wrong)])
    assert code == 2
    assert err == f"summarize: error: {wrong}: the text is declared 'en' but is written in Cyrillic script; pass --lang auto or --lang uk\n"


def test_size_limits_speak_in_characters_and_name_the_flag_and_the_file(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("Ціни зросли. " * 100, encoding="utf-8")  # 1,299 characters once stripped, 2,300 bytes
    code, _, err = run(["--method", "lead", "--max-input-chars", "1000", str(big)])
    assert code == 2
    assert err == (f"summarize: error: {big}: the text has 1,299 characters, more than --max-input-chars 1,000; "
                   "split it into documents, or raise the limit\n")
    code, _, err = run(["--method", "lead", "--max-input-chars", "500", str(big)])  # refused unread
    assert err == (f"summarize: error: {big}: the text has more than 500 characters, more than --max-input-chars 500; "
                   "split it into documents (JSONL, one a line), or raise the limit\n")
    assert "bytes" not in err


def test_quiet_still_reports_failures_and_their_count(tmp_path):
    docs = _jsonl(tmp_path / "docs.jsonl", [TEXTS["en"], "  ", TEXTS["uk"]])
    code, out, err = run(["--method", "lead", "--quiet", str(docs)])
    assert code == 3
    assert err.splitlines() == ["summarize: 1: the text is empty or only white space: nothing to summarise",
                                "summarize: 2 summarised, 1 failed, 0 already done"]
    code, out, err = run(["--method", "lead", "--quiet", str(_jsonl(tmp_path / "ok.jsonl", [TEXTS["en"]]))])
    assert code == 0 and err == ""


def test_a_terminal_on_stdin_gets_a_hint_instead_of_silence():
    code, out, err = run(["--method", "lead", "--sentences", "1"], Terminal(TEXTS["en"].encode()))
    assert code == 0 and out.strip() == TEXTS["en"].split(". ")[0] + "."
    assert err.startswith("summarize: reading a text from the terminal: type or paste it, then Ctrl-D")
    assert run(["--method", "lead"], TEXTS["en"].encode())[2] == ""  # a pipe is not told


@pytest.fixture
def interrupt_after_one_block(monkeypatch):
    real = jobs.summarize_block
    calls = []

    def block(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs, "summarize_block", block)
    monkeypatch.setattr(jobs, "BLOCK_BATCHES", 1)


def test_ctrl_c_says_what_was_kept_and_how_to_go_on(tmp_path, interrupt_after_one_block):
    docs = _jsonl(tmp_path / "docs.jsonl", [TEXTS["en"]] * 5)
    out_path = tmp_path / "out.jsonl"
    code, _, err = run(["--method", "lead", "--batch-size", "2", "--output", str(out_path), str(docs)])
    assert code == 130
    assert err == f"summarize: interrupted; 2 records were written to {out_path} in this run: rerun the same command with --resume to continue\n"
    assert len(out_path.read_text().splitlines()) == 2


def test_ctrl_c_without_a_resumable_output_does_not_promise_a_resume(tmp_path, interrupt_after_one_block):
    docs = _jsonl(tmp_path / "docs.jsonl", [TEXTS["en"]] * 5)
    code, out, err = run(["--method", "lead", "--batch-size", "2", str(docs)])
    assert code == 130 and out == ""
    assert err.startswith("summarize: interrupted; nothing was written to stdout (2 records had been summarised")
    assert "--resume continues" in err and "rerun with --resume" not in err


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl"])
def test_an_existing_output_is_never_overwritten_silently(tmp_path, fmt):
    src = tmp_path / "a.txt"
    src.write_text(TEXTS["en"], encoding="utf-8")
    out_path = tmp_path / f"out.{fmt}"
    out_path.write_text("earlier work\n", encoding="utf-8")
    argv = ["--method", "lead", "--sentences", "1", "--format", fmt, "--output", str(out_path), str(src)]
    code, _, err = run(argv)
    assert code == 2 and out_path.read_text() == "earlier work\n"
    assert f"--output {str(out_path)!r} already exists" in err and "--overwrite" in err
    assert ("--resume" in err) == (fmt == "jsonl")
    assert run([*argv, "--overwrite"])[0] == 0
    assert "earlier work" not in out_path.read_text() and "city council" in out_path.read_text()
    if fmt == "jsonl":
        assert run([*argv, "--overwrite", "--resume"])[2].endswith("give one of them\n")


def test_json_is_one_shape_whatever_the_number_of_inputs(tmp_path):
    one = tmp_path / "a.txt"
    one.write_text(TEXTS["en"], encoding="utf-8")
    two = tmp_path / "b.txt"
    two.write_text(TEXTS["uk"], encoding="utf-8")
    single = json.loads(run(["--method", "lead", "--format", "json", str(one)])[1])
    double = json.loads(run(["--method", "lead", "--format", "json", str(one), str(two)])[1])
    assert isinstance(single, list) and len(single) == 1 and len(double) == 2
    assert list(single[0]) == list(double[1])


def test_every_row_has_the_same_keys_failed_or_not(tmp_path):
    docs = _jsonl(tmp_path / "docs.jsonl", [TEXTS["en"], ""])
    code, out, _ = run(["--method", "lead", str(docs)])
    ok, failed = (json.loads(line) for line in out.splitlines())
    assert code == 3 and list(ok) == list(failed)
    assert ok["error"] is None and failed["summary"] is None and failed["error_kind"] == "permanent"


def test_an_unknown_preset_is_the_jobs_error_not_each_files(tmp_path):
    one, two = tmp_path / "a.txt", tmp_path / "b.txt"
    one.write_text(TEXTS["en"], encoding="utf-8")
    two.write_text(TEXTS["uk"], encoding="utf-8")
    code, out, err = run(["--model", "xlsun", str(one), str(two)])
    assert code == 2 and out == ""
    assert err.startswith("summarize: error: unknown preset 'xlsun'; did you mean 'xlsum'?") and err.count("\n") == 1


def test_a_mistyped_flag_is_one_line_with_the_flag_it_was_meant_to_be(capsys):
    assert main(["--metod", "lead", "x.txt"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "summarize: error: unrecognized arguments: --metod (did you mean --method?); see summarize --help"]
    assert main(["serve", "--limit-beem", "4"]) == 2
    assert "(did you mean --limit-beams?)" in capsys.readouterr().err


def test_help_names_the_service_and_each_default_once(capsys):
    assert main(["--help"]) == 0
    assert "summarize serve" in capsys.readouterr().out
    assert main(["serve", "--help"]) == 0
    out = capsys.readouterr().out
    assert "(default: 8) (default: 8)" not in out and "--limit-beams" in out


def test_a_parquet_output_named_as_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "in.jsonl").write_text('{"id": 1, "text": "Prices rose. Wages fell."}\n')
    code = main(["--method", "lead", "--format", "parquet", "--output", str(tmp_path / "o.parquet"), str(tmp_path / "in.jsonl")])
    assert code == 2 and "names a file: give a directory" in capsys.readouterr().err
    assert not (tmp_path / "o.parquet").exists()


def test_a_language_message_reads_as_english():
    from summarize import Summarizer, UnsupportedLanguageError

    with pytest.raises(UnsupportedLanguageError, match=r"for a summary in English \('en'\) use model='crosssum'"):
        Summarizer(method="lead").summarize("Уряд ухвалив бюджет. Депутати його підтримали.", target_lang="en")


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_the_checked_facts_show_on_a_terminal_and_go_to_stderr_when_piped(tiny_model, tmp_path, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    (tmp_path / "a.txt").write_text(TEXTS["en"], encoding="utf-8")
    argv = ["--model", tiny_model, "--backend", "torch", "--num-beams", "1", "--max-new-tokens", "8", str(tmp_path / "a.txt")]
    piped, err = io.StringIO(), io.StringIO()
    assert main(argv, stdout=piped, stderr=err) == 0
    summary = piped.getvalue()
    assert summary.count("\n") == 1  # the summary alone: what scripts read
    assert re.search(r"^summarize: (\d+ facts? checked|no numbers, dates or names to check)", err.getvalue(), re.M)
    quiet = io.StringIO()
    assert main([*argv, "-q"], stdout=io.StringIO(), stderr=quiet) == 0 and "checked" not in quiet.getvalue()
    terminal, err = _Terminal(), io.StringIO()
    assert main(argv, stdout=terminal, stderr=err) == 0
    lines = terminal.getvalue().splitlines()
    assert lines[-1].startswith("[") and ("checked" in lines[-1] or "no numbers" in lines[-1])
    assert "checked" not in err.getvalue() and "no numbers" not in err.getvalue()


def test_a_server_whose_own_settings_are_over_its_limits_does_not_start(capsys):
    assert main(["serve", "--model", "xlsum", "--max-new-tokens", "2048", "--port", "0"]) == 2  # refused before any download
    assert "over its limits: max_new_tokens is 2048, over the limit of 1024" in capsys.readouterr().err


def test_a_ray_jsonl_job_into_a_directory_can_be_resumed(tmp_path, monkeypatch):
    # The file-output check once ran before the Ray branch: "--output 'shards' is a directory", exit 2.
    from summarize import cli
    from summarize.jobs import JobResult

    seen = []
    monkeypatch.setattr(cli, "run_job", lambda job, *a, **k: seen.append(job) or JobResult(ok=1, output=job.output))
    (tmp_path / "in.jsonl").write_text('{"id": 1, "text": "Prices rose. Wages fell."}\n')
    (tmp_path / "shards").mkdir()
    code = main(["--ray", "--format", "jsonl", "--method", "lead", "--output", str(tmp_path / "shards"), "--resume",
                 str(tmp_path / "in.jsonl")])
    assert code == 0 and seen[0].resume and seen[0].executor == "ray"


@pytest.mark.parametrize("flags, message", [
    (["--max-new-tokens", "100000000"], "--max-new-tokens is 100000000, over the limit of 1024 here"),
    (["--num-beams", "100000"], "--num-beams is 100000, over the limit of 16 here"),
])
def test_a_decoding_setting_past_the_ceilings_is_refused_before_anything_loads(capsys, flags, message):
    # Unbounded, --max-new-tokens 100000000 took the machine's memory; the service's default ceilings apply here too.
    assert main(["--model", "xlsum", *flags, "-"]) == 2
    assert capsys.readouterr().err == f"summarize: error: {message}\n"


@pytest.mark.parametrize("how", ["--overwrite", "--resume"])
def test_an_output_that_is_also_an_input_is_refused_and_left_as_it_was(tmp_path, monkeypatch, capsys, how):
    monkeypatch.chdir(tmp_path)
    content = '{"id": "a1", "text": "Ціни зросли. Уряд мовчить."}\n'
    (tmp_path / "a.jsonl").write_text(content, encoding="utf-8")
    assert main(["--method", "lead", "-o", "a.jsonl", how, "a.jsonl"]) == 2
    assert capsys.readouterr().err == "summarize: error: --output a.jsonl is also an input (a.jsonl): write the results elsewhere\n"
    assert (tmp_path / "a.jsonl").read_text(encoding="utf-8") == content


def test_an_output_inside_an_input_directory_is_written_once_and_then_refused_as_an_input(tmp_path):
    # The directory is read as it was when the job began: once, the rows written into it are not read back.
    import subprocess
    import sys

    data = tmp_path / "data"
    data.mkdir()
    for i in range(3):  # blocks are written while the last file is read: the output is listed last
        (data / f"{i}.jsonl").write_text("".join(
            json.dumps({"id": f"{i}-{j}", "text": f"Ціни зросли {j} рази. Уряд мовчить. " * 80}, ensure_ascii=False) + "\n"
            for j in range(20)), encoding="utf-8")
    command = [sys.executable, "-m", "summarize", "--method", "lead", "-q", "-o", "data/z.jsonl", "data"]
    # Before, it read its own rows back as records, and wrote 64 MB of error rows in 5 s, for ever.
    first = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert first.returncode == 0, first.stderr[:500]
    assert len((data / "z.jsonl").read_text(encoding="utf-8").splitlines()) == 60
    again = subprocess.run([*command, "--resume"], cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert (again.returncode, again.stderr) == (2, "summarize: error: --output data/z.jsonl is also an input (data/z.jsonl): "
                                                   "write the results elsewhere\n")


def test_a_job_refuses_an_output_directory_that_holds_an_input(tmp_path):
    from summarize.jobs import Job
    from summarize.jobs.executors import run_job
    from summarize.options import SummarizerOptions

    (tmp_path / "shards").mkdir()
    (tmp_path / "shards" / "in.jsonl").write_text('{"id": "a", "text": "Ціни зросли."}\n', encoding="utf-8")
    job = Job(inputs=(str(tmp_path / "shards" / "in.jsonl"),), output=str(tmp_path / "shards"), output_format="parquet",
              summarizer=SummarizerOptions(method="lead"))
    with pytest.raises(InvalidInputError, match=r"^output='.*shards' is also an input \(.*in\.jsonl\)"):
        run_job(job)
