"""Signatures: written as they always were, read back whatever their values hold, refused with the reason."""

import pytest

from summarize import InvalidInputError
from summarize_eval.compare import PairedSignature
from summarize_eval.metrics.signature import RougeSignature

SCORING = dict(lang="uk", tokenizer="xlsum", stemming="none", bootstrap=1000, seed=0, version="0.1.0")


def rouge1(**fields) -> RougeSignature:
    return RougeSignature(**{"name": "rouge1", **SCORING, **fields})


# (signature, its text): the strings scores.json files and reports hold today.
TODAY = [
    (rouge1(), "rouge1|lang:uk|tok:xlsum|stem:none|bs:1000|seed:0|v:0.1.0"),
    (RougeSignature(name="rougeLsum", lang="ru", tokenizer="unicode", stemming="snowball>3", bootstrap=0, seed=7, version="0.2.0"),
     "rougeLsum|lang:ru|tok:unicode|stem:snowball>3|bs:0|seed:7|v:0.2.0"),
    (rouge1(generation="ctranslate2/float32/top-32000"),
     "rouge1|lang:uk|tok:xlsum|stem:none|bs:1000|seed:0|v:0.1.0|gen:ctranslate2/float32/top-32000"),
    (rouge1(data="csebuetnlp/xlsum@1a2b3c4d5e6f:ukrainian/test", sample="500"),
     "rouge1|lang:uk|tok:xlsum|stem:none|bs:1000|seed:0|v:0.1.0|data:csebuetnlp/xlsum@1a2b3c4d5e6f:ukrainian/test|sample:500"),
    (rouge1(generation="torch/float32/full", data="/tmp/x/uk.jsonl@0123456789ab:file", sample="all"),
     "rouge1|lang:uk|tok:xlsum|stem:none|bs:1000|seed:0|v:0.1.0|gen:torch/float32/full|data:/tmp/x/uk.jsonl@0123456789ab:file|sample:all"),
    (PairedSignature(resamples=1000, trials=10000, seed=0, alpha=0.05, version="0.1.0"),
     "paired|bs:1000|ar:10000|seed:0|alpha:0.05|v:0.1.0"),
]


@pytest.mark.parametrize("signature, text", TODAY)
def test_a_signature_is_written_as_before_and_read_back(signature, text):
    assert signature.format() == text and str(signature) == text
    assert type(signature).parse(text) == signature


def _old_fields(text: str) -> dict[str, str]:
    """How compare read a signature before (split on every bar, then on the first colon)."""
    name, *fields = text.split("|")
    return dict(f.split(":", 1) for f in fields if ":" in f)


@pytest.mark.parametrize("signature, text", TODAY[:5])
def test_an_old_signature_reads_as_the_old_reader_read_it(signature, text):
    parsed = RougeSignature.parse(text).as_dict()
    assert parsed.pop("name") == text.split("|")[0]
    assert {k: str(v) for k, v in parsed.items() if v is not None} == _old_fields(text)


# Values a path, a dataset name or a version may hold, the separators among them.
DEGENERATE = ["", " ", "|", "||", "|||", ":", "::", "a|b", "a||b", "|a", "a|", "a:b:c", "|lang:en", "x|bs:5|", "\\|", "a\\",
              "ё|ї", "%7C", "data:x"]


@pytest.mark.parametrize("value", DEGENERATE)
@pytest.mark.parametrize("field", ["name", "lang", "version", "generation", "data", "sample"])
def test_any_value_round_trips_in_any_field(field, value):
    signature = rouge1(**{field: value})
    assert RougeSignature.parse(signature.format()) == signature


@pytest.mark.parametrize("value, written", [
    ("/runs/a|b/uk.jsonl", "data:/runs/a||b/uk.jsonl"),  # a bar is written twice
    ("a||b", "data:a||||b"),
    ("a|", "data:a||"),
    ("x@1:file", "data:x@1:file"),  # a colon as it is: the key ends at the first one
])
def test_a_bar_is_written_twice_and_nothing_else_changes(value, written):
    assert rouge1(data=value).format().endswith("|" + written)


def test_a_value_with_a_bar_no_longer_breaks_the_fields_after_it():
    text = rouge1(data="/runs/a|sample:9/uk.jsonl@0123:file", sample="all").format()
    parsed = RougeSignature.parse(text)
    assert parsed.data == "/runs/a|sample:9/uk.jsonl@0123:file" and parsed.sample == "all"


def test_numbers_are_read_as_numbers_and_absent_fields_as_none():
    parsed = RougeSignature.parse("rouge2|lang:en|tok:google|stem:porter|bs:50|seed:3|v:0.1.0")
    assert parsed.bootstrap == 50 and parsed.seed == 3 and parsed.name == "rouge2"
    assert parsed.generation is None and parsed.data is None and parsed.sample is None
    assert PairedSignature.parse("paired|bs:10|ar:20|seed:1|alpha:0.01|v:0.1.0").alpha == 0.01


def test_as_dict_and_omit_go_by_key():
    signature = rouge1(generation="torch/float32/full", sample="all")
    assert signature.as_dict() == {"name": "rouge1", "lang": "uk", "tok": "xlsum", "stem": "none", "bs": 1000, "seed": 0,
                                   "v": "0.1.0", "gen": "torch/float32/full", "data": None, "sample": "all"}
    assert signature.format(omit=("name", "bs", "seed")) == "lang:uk|tok:xlsum|stem:none|v:0.1.0|gen:torch/float32/full|sample:all"
    assert signature.format(omit=("gen", "sample")) == "rouge1|lang:uk|tok:xlsum|stem:none|bs:1000|seed:0|v:0.1.0"


BASE = "rouge1|lang:uk|tok:xlsum|stem:none|bs:1000|seed:0|v:0.1.0"


@pytest.mark.parametrize("text, message", [
    ("", "has no 'lang', 'tok', 'stem', 'bs', 'seed' or 'v' field"),
    ("rouge1|lang:uk|tok:xlsum|stem:none|bs:1000|seed:0", "has no 'v' field"),
    (BASE + "|sample", "field 'sample' is not key:value"),
    (BASE + "|", "field '' is not key:value"),
    (BASE + "|lang:ru", "has lang: twice"),
    (BASE + "|colour:red", "unknown field 'colour'; its fields are 'lang', 'tok', 'stem', 'bs', 'seed', 'v', 'gen', 'data' or 'sample'"),
    (BASE.replace("bs:1000", "bs:many"), "bs:many is not a number"),
    (BASE.replace("seed:0", "seed:"), "seed: is not a number"),
    ("paired|bs:1|ar:1|seed:0|alpha:often|v:0.1.0", "alpha:often is not a number"),
])
def test_a_damaged_signature_is_refused_with_the_reason(text, message):
    kind = PairedSignature if text.startswith("paired") else RougeSignature
    with pytest.raises(InvalidInputError) as err:
        kind.parse(text)
    assert str(err.value).startswith(f"signature {text!r}") and message in str(err.value)
