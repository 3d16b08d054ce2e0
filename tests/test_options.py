"""One option schema: the constructor, SummarizerOptions, both command lines and summarize() agree with it."""

import dataclasses

import re

import pytest

from summarize import InvalidOptionError, Summarizer
from summarize.cli import build_parser
from summarize.options import OPTION_NAMES, CallOptions, SummarizerOptions, _choices
from summarize_eval.cli import build_parser as build_eval_parser

FIELDS = {f.name: f for f in dataclasses.fields(SummarizerOptions)}


def test_the_constructor_keeps_one_options_object_with_the_schemas_defaults():
    lead = Summarizer(method="lead", sentences=1, batch_size=2)
    assert lead.options == SummarizerOptions(method="lead", sentences=1, batch_size=2)
    assert {n: getattr(Summarizer(method="lead").options, n) for n in FIELDS if n != "method"} == {
        n: f.default for n, f in FIELDS.items() if n != "method"}
    given = SummarizerOptions(method="textrank", sentences=2)
    assert Summarizer(given).options is given  # a front end's options travel whole
    assert Summarizer(given, sentences=1).options == SummarizerOptions(method="textrank", sentences=1)
    # No attribute copies beside the options: one value, one home.
    assert not {"batch_size", "sentences", "long_input", "max_depth", "faithfulness", "max_input_chars"} & set(vars(lead))


@pytest.mark.parametrize("given, generation", [
    ({"num_beams": 2}, (("num_beams", 2),)),
    ({"generation": {"max_new_tokens": 9}, "num_beams": 1}, (("max_new_tokens", 9), ("num_beams", 1))),
    ({"length_penalty": 2}, (("length_penalty", 2.0),)),
    ({}, ()),
])
def test_decoding_settings_are_part_of_the_options_and_keep_them_hashable(given, generation):
    options = SummarizerOptions.of(given)
    assert options.generation == generation
    assert hash(options) == hash(SummarizerOptions.of(given))
    assert SummarizerOptions.of(options.as_dict()) == options


@pytest.mark.parametrize("bad, message", [
    (5, "decoding settings must be a mapping such as {'num_beams': 4}, got 5"),
    ({"num_beams": "4"}, "num_beams must be an integer >= 1, got '4'"),
    ({"beams": 4}, "unknown generation option 'beams'"),  # inside generation=: only settings go there
])
def test_bad_decoding_settings_in_the_options_are_refused_by_name(bad, message):
    with pytest.raises(InvalidOptionError) as caught:
        SummarizerOptions(generation=bad)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("given, message", [
    ({"lang": "pl"}, "lang must be 'auto', 'en', 'uk' or 'ru', got 'pl'"),
    ({"target_lang": "auto"}, "target_lang must be 'en', 'uk' or 'ru', got 'auto'"),
    ({"lang": None}, "lang must be 'auto', 'en', 'uk' or 'ru', got None"),
    ({"lang": ["en"]}, "lang must be 'auto', 'en', 'uk' or 'ru', got ['en']"),
])
def test_call_options_name_the_field_and_what_it_accepts(given, message):
    from summarize import UnsupportedLanguageError

    with pytest.raises(UnsupportedLanguageError) as caught:
        CallOptions(**given)
    assert str(caught.value) == message


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
            assert tuple(flags[name].choices) == _choices(f), name


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
        ({"beams": 2}, "unknown option 'beams'; did you mean 'num_beams'?"),
        ({"batchsize": 2}, "unknown option 'batchsize'; did you mean 'batch_size'?"),
    ],
)
def test_every_front_end_refuses_a_bad_value_with_the_same_message(options, message):
    for check in (SummarizerOptions.of, lambda o: Summarizer(**{"method": "lead", **o}) if "method" not in o else Summarizer(**o)):
        with pytest.raises(InvalidOptionError) as caught:
            check(options)
        assert str(caught.value).startswith(message), check


def test_the_options_accept_every_kind_of_valid_value():
    SummarizerOptions.of({"faithfulness": "rerank", "vocabulary": 16000, "device": "cuda:1", "dtype": "bfloat16", "compute_type": "int8_float32"})


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


def test_the_command_line_flags_parse_into_the_values_the_options_take():
    import argparse

    from summarize.options import add_arguments, options_from_args

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--batch-size", "2", "--vocabulary", "16000", "--max-input-chars", "500", "--long-input", "truncate"])
    options = SummarizerOptions.of(options_from_args(args))
    assert (options.batch_size, options.vocabulary, options.max_input_chars, options.long_input) == (2, 16000, 500, "truncate")
    assert parser.parse_args(["--vocabulary", "full"]).vocabulary == "full"  # a name stays a name
    with pytest.raises(SystemExit):
        parser.parse_args(["--method", "bogus"])  # a closed set is refused by argparse, with the choices
    helps = {a.dest: a.help for a in parser._actions}
    assert helps["max_input_chars"].endswith("(default: 1,000,000)")  # thousands shown as a reader reads them
    assert helps["batch_size"] == FIELDS["batch_size"].metadata["help"] + " (default: 8)"
    assert helps["revision"] == FIELDS["revision"].metadata["help"]  # no "(default: None)"


def test_a_command_line_takes_the_flags_it_names_with_its_own_defaults_and_help():
    import argparse

    from summarize.options import add_arguments, options_from_args

    parser = argparse.ArgumentParser()
    add_arguments(parser, ("backend", "batch_size"), defaults={"backend": "torch"}, helps={"backend": "the backend"})
    assert {a.dest for a in parser._actions if a.option_strings} == {"help", "backend", "batch_size"}
    assert next(a for a in parser._actions if a.dest == "backend").help == "the backend (default: torch)"
    args = parser.parse_args([])
    args.method = "lead"  # set by the command itself, not one of the flags read below
    assert options_from_args(args, ("backend",)) == {"backend": "torch"}


def test_the_options_as_keywords_keep_decoding_settings_flat_beside_them():
    options = SummarizerOptions(method="abstractive", batch_size=2, generation={"num_beams": 2})
    keywords = options.as_dict()
    assert keywords == {**{n: getattr(options, n) for n in OPTION_NAMES if n != "generation"}, "num_beams": 2}
    assert "generation" not in keywords  # one name per value, as Summarizer(...) and the command line take them


def test_call_options_from_keywords_keep_the_target_language():
    call = CallOptions.of({"lang": "uk", "target_lang": "en", "num_beams": 2})
    assert (call.lang, call.target_lang, call.generation) == ("uk", "en", (("num_beams", 2),))
    assert call.as_dict() == {"lang": "uk", "target_lang": "en", "num_beams": 2}


def test_an_unknown_errors_mode_is_refused_naming_the_modes():
    from summarize.options import check_call

    with pytest.raises(InvalidOptionError) as caught:
        check_call(SummarizerOptions(method="lead"), CallOptions(), errors="ignore")
    assert str(caught.value) == "errors must be 'raise' or 'return', got 'ignore'"


def test_a_call_decodes_with_the_presets_settings_then_the_options_then_the_calls():
    from summarize.generation import GenerationSettings
    from summarize.options import check_call
    from summarize.presets import PRESETS

    preset = GenerationSettings().replace(**PRESETS["bart-cnn"].generation)
    assert check_call(SummarizerOptions(model="bart-cnn"), CallOptions()) == preset  # lang="auto": nothing to refuse yet
    assert check_call(SummarizerOptions(model="bart-cnn", generation={"num_beams": 2}), CallOptions(lang="en")) == preset.replace(num_beams=2)
    assert check_call(SummarizerOptions(model="bart-cnn"), CallOptions(generation={"max_new_tokens": 9})) == preset.replace(max_new_tokens=9)
    # A hub id has no preset: the library's defaults, then the options'.
    assert check_call(SummarizerOptions(model="org/model", generation={"num_beams": 3}), CallOptions()) == GenerationSettings(num_beams=3)
    assert check_call(SummarizerOptions(method="lead"), CallOptions()) == GenerationSettings()


def test_a_loaded_summarizer_checks_a_call_against_its_language_policy(preset_standins):
    from summarize import UnsupportedLanguageError

    xlsum = Summarizer("xlsum", backend="torch", device="cpu")
    assert xlsum.check_call(lang="uk") == xlsum.settings
    assert xlsum.check_call() == xlsum.settings
    with pytest.raises(UnsupportedLanguageError, match="'xlsum' writes summaries in the language of the input"):
        xlsum.check_call(lang="uk", target_lang="en")  # before anything is queued: the service relies on it


def test_a_loaded_checkpoint_decodes_a_call_with_its_own_generation_config(tmp_path):
    from summarize.testing import build_tiny_checkpoint

    directory = build_tiny_checkpoint(tmp_path / "ck", generation={"num_beams": 2, "max_new_tokens": 20})
    loaded = Summarizer(directory, backend="torch", device="cpu")
    assert (loaded.check_call().num_beams, loaded.check_call().max_new_tokens) == (2, 20)
    assert loaded.check_call(num_beams=3).replace(num_beams=2) == loaded.settings


def test_an_extractive_method_asked_for_another_language_is_refused_before_anything_loads():
    from summarize import UnsupportedLanguageError
    from summarize.options import check_call

    with pytest.raises(UnsupportedLanguageError, match="method 'lead' copies sentences, so its summary is in the source language"):
        check_call(SummarizerOptions(method="lead"), CallOptions(lang="uk", target_lang="en"))
    check_call(SummarizerOptions(method="lead"), CallOptions(lang="uk", target_lang="uk"))


def test_an_unknown_option_with_nothing_close_lists_every_name_a_keyword_takes():
    from summarize.generation import OPTION_NAMES as SETTINGS

    with pytest.raises(InvalidOptionError) as caught:
        SummarizerOptions.of({"zzz": 1})
    message = str(caught.value)
    assert message.startswith("unknown option 'zzz'; options are ")  # nothing close: no guess
    # The decoding settings by their own names, as keywords take them; not the field that holds them.
    assert set(re.findall(r"'(\w+)'", message.split("options are ")[1])) == (set(OPTION_NAMES) - {"generation"}) | set(SETTINGS)


@pytest.mark.parametrize("model", ["", "  ", None, 3])
def test_a_missing_model_is_refused_naming_the_presets(model):
    from summarize import ModelNotAvailableError
    from summarize.presets import PRESETS

    with pytest.raises(ModelNotAvailableError) as caught:
        SummarizerOptions(model=model)
    assert str(caught.value) == (
        f"model must be a preset name ({', '.join(PRESETS)}), a hub id or a checkpoint directory, got {model!r}")


def test_a_checkpoint_directory_may_be_a_path_and_is_kept_as_its_string(tmp_path):
    options = SummarizerOptions(model=tmp_path)
    assert type(options.model) is str and options.model == str(tmp_path)
    assert options == SummarizerOptions(model=str(tmp_path))  # one summarizer cached, however the path was given


def test_call_options_from_keywords_without_a_language_ask_for_detection():
    assert CallOptions.of({"num_beams": 2}).lang == "auto" == CallOptions().lang


def test_a_dict_where_typed_options_are_taken_now_is_read_for_one_release_with_a_warning_at_its_caller():
    from summarize.jobs import Job
    from summarize.server.service import ServerConfig

    with pytest.warns(DeprecationWarning) as caught:
        job = Job(inputs=("a.jsonl",), summarizer={"method": "lead"}, options={"lang": "uk", "num_beams": 2})
        config = ServerConfig(summarizer={"model": "xlsum", "batch_size": 4}, defaults={"lang": "ru"})
    assert (job.summarizer, job.options) == (SummarizerOptions(method="lead"), CallOptions("uk", None, (("num_beams", 2),)))
    assert (config.summarizer, config.defaults) == (SummarizerOptions(model="xlsum", batch_size=4), CallOptions("ru"))
    assert [str(w.message).split(" takes")[0] for w in caught] == [
        "Job(summarizer=...)", "Job(options=...)", "ServerConfig(summarizer=...)", "ServerConfig(defaults=...)"]
    assert all(w.filename == __file__ for w in caught)  # the line to change is the caller's
    assert str(caught[0].message).endswith("takes a summarize.SummarizerOptions now; a dict is read for one more release")
