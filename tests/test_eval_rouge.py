"""ROUGE: hand-worked cases, Cyrillic, parity with rouge-score, signatures."""

import pytest
from rouge_score import rouge_scorer

from summarize import InvalidInputError, InvalidOptionError, UnsupportedLanguageError
from summarize_eval import Rouge
from summarize_eval.tokenizers import get_tokenizer


def f1(p, r):
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def scores(pred, ref, lang="en", tokenizer="xlsum"):
    return Rouge(lang=lang, tokenizer=tokenizer, n_bootstrap=0).score_pair(prediction=pred, reference=ref)


# (prediction, reference, rouge type, precision, recall), worked by hand on
# tokens after the xlsum scheme (no word here is longer than 3 characters, so
# nothing is stemmed).
HAND_WORKED = [
    ("a b c d", "a b c d", "rouge1", 1, 1),
    ("a b c", "a b d e", "rouge1", 2 / 3, 2 / 4),
    ("a b c", "a b d e", "rouge2", 1 / 2, 1 / 3),  # bigrams: ab bc | ab bd de
    ("a b c", "c b a", "rouge2", 0, 0),
    ("a c b d", "a b c d", "rougeL", 3 / 4, 3 / 4),  # LCS "a b d" or "a c d"
    ("x a y b", "a b", "rougeL", 2 / 4, 2 / 2),
    ("A b. C d.", "C d. A b.", "rougeL", 2 / 4, 2 / 4),  # one LCS over the whole text
    ("A b. C d.", "C d. A b.", "rougeLsum", 1, 1),  # union LCS sentence by sentence
    ("a", "a", "rouge2", 0, 0),  # no bigrams at all
    ("", "a b", "rouge1", 0, 0),  # empty prediction: 0, not an error
    ("...!!!", "a b", "rougeL", 0, 0),  # punctuation only
]


@pytest.mark.parametrize("pred, ref, rouge_type, p, r", HAND_WORKED)
def test_hand_worked_cases(pred, ref, rouge_type, p, r):
    got_p, got_r, got_f = scores(pred, ref)[rouge_type]
    assert got_p == pytest.approx(100 * p)
    assert got_r == pytest.approx(100 * r)
    assert got_f == pytest.approx(100 * f1(p, r))


@pytest.mark.parametrize(
    "lang, text, other",
    [
        ("uk", "Уряд ухвалив бюджет на наступний рік", "Футбольна збірна виграла матч"),
        ("ru", "Правительство утвердило бюджет на следующий год", "Футбольная сборная выиграла матч"),
    ],
)
@pytest.mark.parametrize("tokenizer", ["xlsum", "unicode"])
def test_cyrillic_identical_scores_100_and_disjoint_0(lang, text, other, tokenizer):
    rouge = Rouge(lang=lang, tokenizer=tokenizer, n_bootstrap=0)
    same = rouge.score(predictions=[text], references=[text])
    disjoint = rouge.score(predictions=[other], references=[text])
    for t in ("rouge1", "rouge2", "rougeL", "rougeLsum"):
        assert same[t].f1 == pytest.approx(100)
        assert disjoint[t].f1 == 0


def test_google_scores_cyrillic_zero_where_xlsum_does_not():
    pred, ref = "Ціни на газ зросли", "Ціни на газ різко зросли"
    with pytest.warns(UserWarning, match="google tokenizer keeps only a-z and 0-9: Ukrainian words vanish"):
        assert scores(pred, ref, "uk", "google")["rouge1"] == (0, 0, 0)
    assert scores(pred, ref, "uk", "xlsum")["rouge1"][2] == pytest.approx(100 * f1(1, 4 / 5))


def test_score_warns_of_google_on_cyrillic_and_refuses_summaries_in_another_language(tmp_path):
    import io

    from summarize_eval.cli import main

    preds, refs = tmp_path / "p.txt", tmp_path / "r.txt"
    # Only the digits match: 60.00 ROUGE-1 from "5" and "2024" alone.
    preds.write_text("Ціни зросли на 5 відсотків у 2024\n", encoding="utf-8")
    refs.write_text("Вартість газу збільшилася на 5 % 2024\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["score", "--predictions", str(preds), "--references", str(refs), "--lang", "uk", "--tokenizer", "google"],
                stdout=out, stderr=err) == 0
    assert "summarize-eval: warning: the google tokenizer keeps only a-z and 0-9" in err.getvalue()
    assert "--tokenizer xlsum" in err.getvalue()
    english = tmp_path / "en.txt"
    english.write_text("Prices rose by five percent in 2024, the statistics office said.\n", encoding="utf-8")
    err = io.StringIO()
    assert main(["score", "--predictions", str(english), "--references", str(refs), "--lang", "uk"],
                stdout=io.StringIO(), stderr=err) == 2
    assert "the predictions look 'en' (1 of 1 sampled), not 'uk'" in err.getvalue() and err.getvalue().count("\n") == 1
    assert main(["score", "--predictions", str(english), "--references", str(refs), "--lang", "uk", "--no-language-check"],
                stdout=io.StringIO(), stderr=io.StringIO()) == 0


ENGLISH_PAIRS = [
    ("The quick brown fox jumps over the lazy dog", "The quick brown dog jumps on the log."),
    ("Russia and Ukraine held talks on energy strikes.", "Russia and Ukraine are discussing a halt to strikes on energy infrastructure."),
    ("Prices rose 13.5% in 2024; officials were surprised.", "Officials said prices rose by 13.5 percent in 2024."),
    ("running runners ran", "the runner runs"),
    ("", "Something happened."),
    ("Rain flooded the villages. Rescuers evacuated 200 people.", "200 people were evacuated after rain flooded villages."),
]


@pytest.mark.parametrize("pred, ref", ENGLISH_PAIRS)
def test_google_equals_rouge_score_to_the_last_digit(pred, ref):
    reference = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True).score(ref, pred)
    ours = scores(pred, ref, "en", "google")
    for t, s in reference.items():
        assert ours[t] == (s.precision * 100, s.recall * 100, s.fmeasure * 100)


@pytest.mark.parametrize(
    "lang, text, tokens",
    [
        ("en", "Hello, world!", ["hello", "world"]),  # punctuation removed
        ("en", "U.S.-led talks", ["u", "s", "led", "talk"]),
        ("en", "5G networks", ["5", "g", "network"]),  # digits | letters split
        ("en", "COVID19", ["covid", "19"]),
        ("en", "the cats ran", ["the", "cat", "ran"]),  # "cats" > 3 chars: stemmed
        ("en", "was has", ["was", "has"]),  # 3 chars: left alone
        ("uk", "П'ять об’єктів", ["п", "ять", "об", "єктів"]),  # ' and ’ split words
        ("uk", "Переговорів немає", ["переговорів", "немає"]),  # Ukrainian: no stemmer
        ("ru", "Переговоров нет", ["переговор", "нет"]),  # Russian: Snowball, > 3 chars
        ("ru", "«Газпром» — 13,5%", ["газпр", "13", "5"]),
        ("uk", "\x00\x07Ціни\u200b", ["ціни"]),  # control and format characters dropped
        ("en", "", []),
        ("en", "!!! ...", []),
    ],
)
def test_xlsum_tokenisation_cases(lang, text, tokens):
    assert get_tokenizer("xlsum", lang).tokenize(text) == tokens


def test_unicode_keeps_apostrophe_words_whole_and_stems_ukrainian():
    tok = get_tokenizer("unicode", "uk")
    assert tok.tokenize("П'ять") == tok.tokenize("П’ять") == tok.tokenize("Пʼять")
    assert len(tok.tokenize("П'ять")) == 1
    assert tok.tokenize("переговорів") == tok.tokenize("переговорах")


def test_bootstrap_is_reproducible_and_the_signature_says_how():
    preds = ["a b c", "a d", "b c d e", "x y", "a"]
    refs = ["a b c d", "a b", "c d e", "x", "b"]
    one = Rouge(lang="en", n_bootstrap=500, seed=7).score(predictions=preds, references=refs)
    two = Rouge(lang="en", n_bootstrap=500, seed=7).score(predictions=preds, references=refs)
    other = Rouge(lang="en", n_bootstrap=500, seed=8).score(predictions=preds, references=refs)
    assert one.to_dict() == two.to_dict()
    assert one["rouge1"].low <= one["rouge1"].f1 <= one["rouge1"].high
    assert other["rouge1"].f1 == one["rouge1"].f1  # the seed moves the interval only
    assert one["rouge1"].signature == "rouge1|lang:en|tok:xlsum|stem:snowball>3|bs:500|seed:7|v:0.1.0"
    assert Rouge(lang="uk").signature("rouge2").format() == "rouge2|lang:uk|tok:xlsum|stem:none|bs:1000|seed:0|v:0.1.0"


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"predictions": ["a", "b"], "references": ["a"]}, InvalidInputError, "predictions (2) and references (1)"),
        ({"predictions": [], "references": []}, InvalidInputError, "nothing to score"),
        ({"predictions": ["a"], "references": [" "]}, InvalidInputError, "empty"),
        ({"predictions": [None], "references": ["a"]}, InvalidInputError, "prediction 0 is a NoneType"),
    ],
)
def test_input_checks(kwargs, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        Rouge(lang="en", n_bootstrap=0).score(**kwargs)


def test_option_checks():
    with pytest.raises(UnsupportedLanguageError, match="'en', 'uk' or 'ru'"):
        Rouge(lang="de")
    with pytest.raises(InvalidOptionError, match="valid tokenizers are 'xlsum', 'google' or 'unicode'"):
        Rouge(lang="en", tokenizer="bert")
    with pytest.raises(InvalidOptionError, match="unknown ROUGE type"):
        Rouge(lang="en", rouge_types=["rouge3"])


def test_scoring_does_not_import_torch():
    import subprocess
    import sys

    code = (
        "import sys; from summarize_eval import Rouge; "
        "Rouge(lang='uk').score(predictions=['а б'], references=['а б']); "
        "print('torch' in sys.modules, 'transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False False"


def test_references_are_tokenised_once_whatever_the_number_of_systems():
    from summarize_eval import Rouge

    refs = ["Ціни зросли на 5%. Уряд мовчить.", "Рада ухвалила бюджет."]
    rouge = Rouge(lang="uk", n_bootstrap=0)
    first = rouge.score(predictions=["Ціни зросли.", "Бюджет ухвалено."], references=refs)
    calls = rouge._references.calls
    other = ["Уряд нічого не сказав.", "Бюджет прийнято."]
    second = rouge.score(predictions=other, references=refs)
    # The second system tokenised only its own predictions (each whole, and its one sentence line).
    assert rouge._references.calls - calls == 4
    fresh = Rouge(lang="uk", n_bootstrap=0).score(predictions=other, references=refs)
    assert second.per_example == fresh.per_example and first.per_example != second.per_example
