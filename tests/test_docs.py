"""The README and the documentation say what the code does."""

import io
import json
import re
from pathlib import Path

from summarize.cli import build_parser, main

ROOT = Path(__file__).parent.parent


def test_the_readme_is_short():
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) < 200


def test_the_cli_guide_names_every_option():
    guide = (ROOT / "docs" / "guides" / "cli.md").read_text(encoding="utf-8")
    flags = {s for action in build_parser()._actions for s in action.option_strings if s.startswith("--") and s != "--help"}
    missing = sorted(f for f in flags if f"`{f}`" not in guide)
    assert not missing, f"docs/guides/cli.md does not mention {missing}"


def test_the_json_row_shown_is_the_one_the_command_prints():
    out = io.StringIO()
    argv = ["--method", "lead", "--sentences", "1", "--format", "jsonl", "examples/en_grain_corridor.txt"]
    import os

    cwd = os.getcwd()
    try:
        os.chdir(ROOT)
        assert main(argv, stdout=out, stderr=io.StringIO()) == 0
    finally:
        os.chdir(cwd)
    printed = json.loads(out.getvalue())
    for page in (ROOT / "README.md", ROOT / "docs" / "guides" / "cli.md"):
        shown = json.loads(re.search(r"```json\n(\{.*\})\n```", page.read_text(encoding="utf-8")).group(1))
        assert list(shown) == list(printed), page
        assert {**shown, "seconds": None} == {**printed, "seconds": None}, page


def test_the_readme_faithfulness_example_flags_what_it_says():
    from summarize import check_faithfulness

    article = (ROOT / "examples" / "uk_grain_corridor.txt").read_text(encoding="utf-8")
    report = check_faithfulness(article, "Ukraine and Turkey agreed to send 80 ships a month.")
    assert [(f.text, f.kind) for f in report.unsupported] == [("80", "number")]
    assert "40" in article and "80 ships" in (ROOT / "README.md").read_text(encoding="utf-8")
