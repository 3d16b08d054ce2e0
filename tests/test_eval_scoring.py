"""Scoring a run's systems: each system's ROUGE signed with what produced it, each example's numbers for compare."""

import json

from summarize import __version__
from summarize_eval import Rouge
from summarize_eval.scoring import score_systems

ARTICLES = ["Ціни зросли на 5% у 2020 році, повідомив Київ.", "Уряд ухвалив бюджет 12 березня."]
REFERENCES = ["Ціни зросли на 5%.", "Уряд ухвалив бюджет."]
SYSTEMS = {"модель": ["Ціни зросли на 7% у 2021 році, повідомив Київ.", "Уряд ухвалив бюджет 12 березня."], "lead-1": ARTICLES}


def test_each_system_is_signed_and_each_example_written(tmp_path):
    rouge = Rouge(lang="uk", rouge_types=["rouge1"], n_bootstrap=0)
    scores, _ = score_systems(rouge, SYSTEMS, ids=["д1", "д2"], references=REFERENCES, articles=ARTICLES, lang="uk", target="uk",
                              data="/d/a|b.jsonl@0123:file", sample="all", out=tmp_path, generations={"модель": "torch/float32/full"})
    scoring = f"rouge1|lang:uk|tok:xlsum|stem:none|bs:0|seed:0|v:{__version__}"
    assert scores["модель"]["rouge1"]["signature"] == scoring + "|gen:torch/float32/full|data:/d/a||b.jsonl@0123:file|sample:all"
    assert scores["lead-1"]["rouge1"]["signature"] == scoring + "|data:/d/a||b.jsonl@0123:file|sample:all"
    # ROUGE-1 F1 x100, to 4 places. Example 1: 3 of the model's 9 tokens, of the reference's 4 (ціни зросли на 5):
    # 2 (1/3)(3/4) / (1/3 + 3/4) = 6/13; lead-1's 4 of 9: 8/13. Example 2: 3 of 5, of 3: 3/4 for both.
    # Faithfulness: of the model's first summary's three facts only "Київ" is in its article (7% and 2021 are not).
    text = (tmp_path / "per_example.jsonl").read_text(encoding="utf-8")
    assert [json.loads(line) for line in text.splitlines()] == [
        {"id": "д1", "systems": {"модель": {"rouge1": 46.1538, "faithfulness": 33.3333, "flagged": 1},
                                "lead-1": {"rouge1": 61.5385, "faithfulness": 100.0, "flagged": 0},
                                "reference": {"faithfulness": 100.0, "flagged": 0}}},
        {"id": "д2", "systems": {"модель": {"rouge1": 75.0, "faithfulness": 100.0, "flagged": 0},
                                "lead-1": {"rouge1": 75.0, "faithfulness": 100.0, "flagged": 0},
                                "reference": {"faithfulness": 100.0, "flagged": 0}}},
    ]
    assert text.startswith('{"id": "д1", "systems": {"модель"')  # readable, not \u escapes
