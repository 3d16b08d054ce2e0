"""The fact checker: labelled cases in the three languages and across them, bad input, and its use."""

import json
from pathlib import Path

import pytest

from summarize import FaithfulnessReport, InvalidInputError, Summarizer, check_faithfulness

from .conftest import TEXTS

CASES = json.loads((Path(__file__).parent / "data" / "faithfulness_cases.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_labelled_case_flags_exactly_the_planted_errors(case):
    report = check_faithfulness(case["source"], case["summary"])
    assert sorted(f.text for f in report.unsupported) == sorted(case["flagged"])


def test_the_cases_cover_every_language_pair_and_fact_kind():
    pairs = set()
    kinds = set()
    for case in CASES:
        report = check_faithfulness(case["source"], case["summary"])
        pairs.add((report.source_lang, report.summary_lang))
        kinds.update(f.kind for f in report.unsupported)
    assert pairs == {(a, b) for a in ("en", "uk", "ru") for b in ("en", "uk", "ru")} - {("ru", "ru")} | {("ru", "ru")}
    assert kinds == {"number", "date", "name"}


def test_report_names_each_fact_its_kind_and_the_source_that_supports_it():
    source = "Уряд Дениса Шмигаля виділив 2,7 млн гривень Чернігову 24 лютого."
    report = check_faithfulness(source, "Denys Shmyhal's government gave Chernihiv 2.7bn hryvnias on 24 February.")
    assert isinstance(report, FaithfulnessReport)
    facts = {f.text: f for f in report.facts}
    assert facts["Chernihiv"].kind == "name" and facts["Chernihiv"].supported and facts["Chernihiv"].evidence == "Чернігову"
    assert facts["24 February"].kind == "date" and facts["24 February"].evidence == "24 лютого"
    assert [(f.kind, f.text) for f in report.unsupported] == [("number", "2.7bn")]
    assert report.score == 3 / 4
    assert report.to_dict() == {"score": 0.75, "unsupported": ["number: 2.7bn"]}
    assert report.source_lang == "uk" and report.summary_lang == "en"


@pytest.mark.parametrize("summary", ["", "   ", "No facts here at all.", "Усе добре."])
def test_a_summary_without_facts_scores_one(summary):
    report = check_faithfulness(TEXTS["en"], summary)
    assert report.facts == () and report.score == 1.0


@pytest.mark.parametrize(
    "source, summary, kwargs, message",
    [
        ("", "Prices rose.", {}, "the source is empty"),
        ("   ", "Prices rose.", {}, "the source is empty"),
        (None, "Prices rose.", {}, "source must be a str, got NoneType"),
        ("Prices rose.", 5, {}, "summary must be a str, got int"),
        (TEXTS["uk"], TEXTS["en"], {"summary_lang": "uk"}, "declared 'uk' but is written in Latin script"),
        (TEXTS["uk"], "Prices rose.", {"source_lang": "de"}, "source_lang must be 'auto' or"),
    ],
)
def test_bad_input_is_a_clear_error(source, summary, kwargs, message):
    with pytest.raises(Exception, match=message) as err:
        check_faithfulness(source, summary, **kwargs)
    assert isinstance(err.value, (InvalidInputError, ValueError))


def test_very_long_texts_are_checked_whole():
    source = " ".join([TEXTS["uk"]] * 400)  # about 90,000 characters
    summary = "Ціни на енергоносії у жовтні зросли на 13,5 відсотка, а в Одесі на 20 відсотків."
    report = check_faithfulness(source, summary)
    assert [f.text for f in report.unsupported] == ["Одесі", "20 відсотків"]


def test_every_abstractive_summary_carries_its_report(tiny_model):
    s = Summarizer(tiny_model, device="cpu", num_beams=1, max_new_tokens=8)
    result = s.summarize(TEXTS["uk"])
    assert isinstance(result.faithfulness, FaithfulnessReport)
    assert result.to_dict()["faithfulness"] == round(result.faithfulness.score, 4)
    assert Summarizer(tiny_model, device="cpu", num_beams=1, max_new_tokens=8, faithfulness="off").summarize(TEXTS["uk"]).faithfulness is None


@pytest.mark.parametrize("backend", ["torch", "ctranslate2"])
def test_rerank_returns_the_hypothesis_with_fewest_unsupported_facts(tiny_model, backend, tmp_path):
    if backend == "ctranslate2":
        pytest.importorskip("ctranslate2")
    extra = {"cache_dir": str(tmp_path), "compute_type": "float32"} if backend == "ctranslate2" else {}
    options = dict(device="cpu", num_beams=4, max_new_tokens=10, backend=backend, **extra)
    texts = [TEXTS[lang][:n] for lang in ("en", "uk", "ru") for n in (90, 230)]
    plain = Summarizer(tiny_model, **options).summarize(texts)
    reranked = Summarizer(tiny_model, faithfulness="rerank", **options).summarize(texts)
    for p, r in zip(plain, reranked):
        assert r.first_choice == p.text  # the model's own first choice is kept and named
        assert len(r.faithfulness.unsupported) <= len(p.faithfulness.unsupported)
        assert r.reranked == (r.text != p.text)
    assert all(not p.reranked and p.first_choice is None for p in plain)


def test_invalid_mode_names_the_valid_ones(tiny_model):
    from summarize import InvalidOptionError

    with pytest.raises(InvalidOptionError, match="unknown faithfulness 'strict'; valid values are 'check', 'rerank' or 'off'"):
        Summarizer(tiny_model, faithfulness="strict")


@pytest.mark.parametrize(
    "text, lang, expected",
    [
        ("Prices rose 7.5% in May", "en", [((7.5,), True)]),
        ("Prices rose 7.5 per cent in May", "en", [((7.5,), True)]),
        ("Prices rose 7.5 in May", "en", [((7.5,), False)]),
        ("Ціни зросли на 7,5 відсотка", "uk", [((7.5,), True)]),
        ("minus five degrees", "en", [((-5.0,), False)]),
        ("minus 5 degrees", "en", [((-5.0,), False)]),
        ("інфляція мінус 3,5 відсотка", "uk", [((-3.5,), True)]),
        ("мінус п'ять градусів", "uk", [((-5.0,), False)]),
        ("минус пять градусов", "ru", [((-5.0,), False)]),
        ("a 10m wall", "en", [((10.0,), False)]),  # metres, perhaps: no scale without a currency sign
        ("a $10m deal", "en", [((10_000_000.0,), False)]),
        ("2.7 million people", "en", [((2_700_000.0,), False)]),
        ("1 200 000 people", "en", [((1_200_000.0,), False)]),  # a space groups thousands
        ("1.234.567 people", "ru", [((1_234_567.0,), False)]),
        ("12,345 people", "en", [((12.345, 12_345.0), False)]),  # three digits after the mark read both ways
        ("12,34 people", "en", [((12.34,), False)]),
        ("1,5 million", "en", [((1_500_000.0,), False)]),
        ("п’ять градусів", "uk", [((5.0,), False)]),  # typographic apostrophes
        ("пʼять градусів", "uk", [((5.0,), False)]),
        ("двадцять п'ять людей", "uk", [((25.0,), False)]),
        ("двадцать пять человек", "ru", [((25.0,), False)]),
        ("twenty five people", "en", [((25.0,), False)]),
        ("no numbers here", "en", []),
        ("1,23,456 people", "en", []),  # groups of three only after the first mark
        ("Тиск упав на 5 тисків", "uk", [((5.0,), False)]),  # a three-letter scale (тис) only as the whole word
        ("5 тис. гривень", "uk", [((5000.0,), False)]),
        ("чотирьох загиблих", "en", [((4.0,), False)]),  # a Cyrillic word in a text declared English: both dictionaries
        ("четырёх погибших", "en", [((4.0,), False)]),
        ("двадцять один день", "uk", [((21.0,), False)]),  # "one" after a ten adds; alone it is not counted
        ("двадцать одна страна", "ru", [((21.0,), False)]),
    ],
)
def test_numbers_are_read_with_their_sign_scale_and_percent(text, lang, expected):
    from summarize.faithfulness.numbers import find_numbers

    assert [(tuple(sorted(n.values)), n.percent) for n in find_numbers(text, lang)] == expected


@pytest.mark.parametrize(
    "unsupported, chosen",
    [
        ([2, 0, 1], 1),  # fewest unsupported facts
        ([1, 1, 0], 2),
        ([0, 0], 0),  # a tie goes to the model's own order
        ([1, 1, 1], 0),
        ([None, 0], 1),  # a hypothesis that could not be checked comes last
        ([None, 3], 1),
        ([0, None], 0),
        ([None, None], 0),
        ([5], 0),
    ],
)
def test_rerank_chooses_fewest_unsupported_ties_to_the_models_order(unsupported, chosen):
    from types import SimpleNamespace

    from summarize.generation.hypotheses import choose_hypothesis

    reports = [None if n is None else SimpleNamespace(unsupported=["fact"] * n) for n in unsupported]
    assert choose_hypothesis(reports) == chosen


def test_a_first_check_of_short_text_does_not_load_the_full_language_models(monkeypatch):
    # lingua's full models take seconds to load; letters and function words settle these.
    from summarize.languages import identify

    built = []
    real = identify._detector
    monkeypatch.setattr(identify, "_detector", lambda script, short: built.append((script, short)) or real(script, short))
    for source, summary in (
        ("The council approved 5 million for roads on Tuesday.", "The council gave 7 million on Monday."),
        ("Рада виділила 5 млн гривень на дороги у вівторок.", "Рада виділила 7 млн гривень, повідомили у відомстві."),
        ("Совет выделил 5 млн рублей на дороги во вторник.", "Совет выделил 7 млн рублей, сообщили в ведомстве."),
    ):
        report = check_faithfulness(source, summary)
        assert [f.text for f in report.unsupported][:1] in (["7 million"], ["7 млн гривень"], ["7 млн рублей"], ["7 млн"])
    assert built == []


@pytest.mark.parametrize("word", ["дев'ятигодинних", "дев’ятигодинних", "девʼятигодинних", "Дев'ятигодинних"])
def test_a_numeral_that_starts_a_source_compound_word_is_its_number(word):
    from summarize.faithfulness.numbers import find_numbers

    text = f"Після {word} переговорів"
    [number] = find_numbers(text, "uk", compounds=True)
    assert number.values == frozenset({9.0}) and number.percent is False
    assert text[number.start : number.end].lower().startswith(word.lower()[:4])
    assert find_numbers(text, "uk") == []  # only sources read compounds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a 10bn budget", [10e9]), ("3tn of debt", [3e12]), ("$5k fee", [5000.0]), ("10k people", [10.0]),
        ("ten ten", [10.0, 10.0]), ("twenty-five people", [25.0]), ("twenty one, seven", [21.0, 7.0]),
        ("twenty one people", [21.0]), ("one person", []), ("ten one", [10.0]),
    ],
)
def test_short_scales_and_number_word_runs(text, expected):
    from summarize.faithfulness.numbers import find_numbers

    assert [sorted(n.values)[-1] for n in find_numbers(text, "en")] == expected
