"""One option schema: the constructor, check_options, both command lines and summarize() agree with it."""

import dataclasses
import inspect
import re

import pytest

from summarize import InvalidOptionError, Summarizer
from summarize.cli import build_parser
from summarize.options import OPTION_NAMES, SummarizerOptions, check_options
from summarize_eval.cli import build_parser as build_eval_parser

FIELDS = {f.name: f for f in dataclasses.fields(SummarizerOptions)}


def test_the_constructor_takes_exactly_the_schema_with_its_defaults():
    params = {n: p for n, p in inspect.signature(Summarizer).parameters.items() if p.kind is not p.VAR_KEYWORD}
    assert set(params) == set(FIELDS)
    assert {n: p.default for n, p in params.items()} == {n: f.default for n, f in FIELDS.items()}


def _flags(parser):
    return {a.dest: a for a in parser._actions if a.option_strings}


def test_the_command_line_flags_carry_the_schema_defaults_and_choices():
    flags = _flags(build_parser())
    for name, f in FIELDS.items():
        if not f.metadata["cli"]:
            assert name not in flags
            continue
        assert flags[name].default == f.default, name
        if f.metadata["choices"] is not None:
            assert tuple(flags[name].choices) == f.metadata["choices"], name


def test_the_evaluation_command_overrides_only_what_it_says():
    run = next(a for a in build_eval_parser()._actions if getattr(a, "choices", None) and "run" in a.choices).choices["run"]
    flags = _flags(run)
    assert flags["backend"].default == "torch" and flags["long_input"].default is None
    for name in ("model", "method", "device", "batch_size", "threads"):
        assert flags[name].default == FIELDS[name].default, name


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"method": "bogus"}, "unknown method 'bogus'; valid methods are 'abstractive', 'lead' or 'textrank'"),
        ({"backend": "tf"}, "unknown backend 'tf'; valid backends are 'auto', 'torch' or 'ctranslate2'"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1, got 0"),
        ({"batch_size": True}, "batch_size must be an integer >= 1, got True"),
        ({"threads": -1}, "threads must be an integer >= 0 (0: every core), got -1"),
        ({"long_input": "cut"}, "unknown long_input 'cut'; valid values are 'chunk' or 'truncate'"),
        ({"faithfulness": "strict"}, "unknown faithfulness 'strict'; valid values are 'check', 'rerank' or 'off'"),
        ({"vocabulary": "small"}, "vocabulary must be 'auto', 'full' or a number of pieces to keep"),
        ({"device": "tpu"}, "unknown device 'tpu'"),
        ({"device": "cuda:x"}, "unknown device 'cuda:x'"),
        ({"threads": 1.5}, "threads must be an integer >= 0"),
        ({"faithfulness": "bogus"}, "unknown faithfulness 'bogus'"),
        ({"dtype": "fp8"}, "unknown dtype 'fp8'; valid dtypes are 'auto', 'float32', 'bfloat16' or 'float16'"),
        ({"compute_type": "int3"}, "unknown compute_type 'int3'"),
        ({"revision": 3}, "revision must be a string, got 3"),
        ({"num_beams": 0}, "num_beams must be an integer >= 1, got 0"),
        ({"beams": 2}, "unknown generation option 'beams'"),
    ],
)
def test_every_front_end_refuses_a_bad_value_with_the_same_message(options, message):
    for check in (check_options, lambda o: Summarizer(**{"method": "lead", **o}) if "method" not in o else Summarizer(**o)):
        with pytest.raises(InvalidOptionError) as caught:
            check(options)
        assert str(caught.value).startswith(message), check


def test_check_options_accepts_every_kind_of_valid_value():
    check_options({"faithfulness": "rerank", "vocabulary": 16000, "device": "cuda:1", "dtype": "bfloat16", "compute_type": "int8_float32"})


def test_summarize_caches_one_summarizer_per_combination_of_options():
    from summarize import summarizer as module

    module._cached.cache_clear()
    text = "Уряд ухвалив бюджет. Депутати його підтримали. Опозиція критикувала."
    assert module.summarize(text, method="lead", sentences=1).text == "Уряд ухвалив бюджет."
    assert module.summarize(text, method="lead", sentences=2).text.count(".") == 2
    module.summarize(text, method="lead", sentences=1)
    info = module._cached.cache_info()
    assert (info.hits, info.misses) == (1, 2)
    with pytest.raises(InvalidOptionError, match="sentences must be an integer >= 1"):
        module.summarize(text, method="lead", sentences=0)


def test_the_schema_names_every_summarizer_option_the_cli_wording_knows():
    from summarize.cli import cli_wording

    assert cli_wording("use max_depth='2'") == "use --max-depth 2"
    assert "threads" in OPTION_NAMES and "num_beams" not in OPTION_NAMES


@pytest.mark.parametrize("name, words", [
    ("max_length", "max_new_tokens = max_length - 1"),
    ("min_length", "min_new_tokens = min_length - 1"),
    ("early_stopping", "stops when num_beams hypotheses have finished"),
])
def test_a_transformers_4_option_name_gets_its_name_here(tiny_model, name, words):
    s = Summarizer(tiny_model, backend="torch")
    with pytest.raises(InvalidOptionError, match=f"'{name}' is transformers 4's name; here it is .*{re.escape(words)}"):
        s.summarize("The council met on Tuesday.", **{name: 10})
