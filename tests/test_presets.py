"""Presets load through the hub path (offline cache with tiny stand-ins)."""

import pytest

from summarize import ModelNotAvailableError, PRESETS, Summarizer, UnsupportedLanguageError
from summarize.presets import presets_for

from .conftest import FAKE_COMMIT, TEXTS


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_loads_by_hub_id_with_its_settings(preset_standins, name):
    s = Summarizer(name, device="cpu")
    preset = PRESETS[name]
    assert s.checkpoint.name == preset.model_id
    assert s.checkpoint.revision == FAKE_COMMIT
    assert s.checkpoint.max_input_tokens == preset.max_input_tokens
    for key, value in preset.generation.items():
        assert getattr(s.settings, key) == value


# The settings as their authors' files state them (the lines quoted from each
# file named in the preset's protocol), in those files' own terms. The test
# translates them: transformers 4.x counted the decoder start token in
# max_length, so max_length N is N - 1 new tokens, min_length M is M - 1.
SOURCES = {
    "xlsum": (
        "csebuetnlp/xl-sum: seq2seq/evaluate.sh",
        "MAX_SOURCE_LENGTH=512 TEST_MAX_TARGET_LENGTH=84 eval_beams=4 length_penalty=0.6 no_repeat_ngram_size=2",
    ),
    "crosssum": (
        "csebuetnlp/CrossSum: seq2seq/evaluator.py",
        "max_source_length=512 max_target_length=84 beam_size=5 no_repeat_ngram_size=2 length_penalty=0.6",
    ),
    "bart-cnn": (
        "facebook/bart-large-cnn: config.json (task_specific_params.summarization)",
        "max_position_embeddings=1024 num_beams=4 length_penalty=2.0 max_length=142 min_length=56 no_repeat_ngram_size=3",
    ),
    "gazeta": ("IlyaGusev/mbart_ru_sum_gazeta: README.md (usage)", "max_length=600 no_repeat_ngram_size=4"),
}
OUR_NAMES = {
    "eval_beams": "num_beams", "beam_size": "num_beams", "num_beams": "num_beams",
    "length_penalty": "length_penalty", "no_repeat_ngram_size": "no_repeat_ngram_size",
    "TEST_MAX_TARGET_LENGTH": "max_new_tokens", "max_target_length": "max_new_tokens",
}


def _from_source(name):
    text = SOURCES[name][1]
    values = dict(item.split("=") for item in text.split())
    generation, input_length = {}, None
    for key, value in values.items():
        if key in ("MAX_SOURCE_LENGTH", "max_source_length", "max_position_embeddings") or (name == "gazeta" and key == "max_length"):
            input_length = int(value)
        elif key == "max_length":
            generation["max_new_tokens"] = int(value) - 1
        elif key == "min_length":
            generation["min_new_tokens"] = int(value) - 1
        elif OUR_NAMES[key] == "max_new_tokens":
            generation["max_new_tokens"] = int(value) - 1
        else:
            generation[OUR_NAMES[key]] = float(value) if "." in value else int(value)
    return input_length, generation


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_presets_follow_the_published_protocol(name):
    protocol = PRESETS[name].protocol
    input_length, generation = _from_source(name)
    assert protocol.source == SOURCES[name][0]
    assert protocol.max_input_tokens == input_length
    assert protocol.long_input == "truncate"
    assert dict(protocol.generation) == generation


def test_xlsum_published_scores():
    xlsum = PRESETS["xlsum"]
    assert xlsum.model_id == "csebuetnlp/mT5_multilingual_XLSum"
    scores = {p.lang: (p.rouge1, p.rouge2, p.rougeL) for p in xlsum.published}
    assert scores == {"en": (37.60, 15.15, 29.88), "ru": (32.22, 13.64, 26.17), "uk": (23.99, 10.14, 20.92)}


def test_bart_cnn_refuses_ukrainian_and_names_presets_that_serve_it(preset_standins):
    s = Summarizer("bart-cnn", device="cpu")
    with pytest.raises(UnsupportedLanguageError) as err:
        s.summarize(TEXTS["uk"])
    assert "'bart-cnn' does not serve ukrainian" in str(err.value)
    assert "xlsum, crosssum" in str(err.value)
    assert s.summarize(TEXTS["en"], num_beams=1, max_new_tokens=5).source_lang == "en"


def test_gazeta_serves_russian_only(preset_standins):
    s = Summarizer("gazeta", device="cpu")
    with pytest.raises(UnsupportedLanguageError, match="'gazeta' does not serve english"):
        s.summarize(TEXTS["en"])


def test_cross_lingual_target_needs_crosssum(preset_standins):
    s = Summarizer("xlsum", device="cpu")
    with pytest.raises(UnsupportedLanguageError, match="use a cross-lingual model: crosssum"):
        s.summarize(TEXTS["uk"], target_lang="en")


def test_crosssum_reads_language_tokens_from_the_checkpoint(preset_standins):
    s = Summarizer("crosssum", device="cpu", num_beams=1, max_new_tokens=4)
    tok = s.checkpoint.tokenizer
    assert s.checkpoint.lang_tokens == {
        "en": tok.convert_tokens_to_ids("<2en>"),
        "uk": tok.convert_tokens_to_ids("<2uk>"),
        "ru": tok.convert_tokens_to_ids("<2ru>"),
    }
    result = s.summarize(TEXTS["uk"], target_lang="en")
    assert (result.source_lang, result.target_lang) == ("uk", "en")


def test_crosssum_output_depends_on_the_target_language(preset_standins):
    s = Summarizer("crosssum", device="cpu", num_beams=1, max_new_tokens=8)
    outputs = {t: s.summarize(TEXTS["ru"], target_lang=t).text for t in ("en", "uk", "ru")}
    assert len(set(outputs.values())) > 1


def test_presets_for():
    assert presets_for("en") == ["xlsum", "crosssum", "bart-cnn"]
    assert presets_for("ru", "en") == ["crosssum"]


def test_offline_model_error_names_the_model_and_the_ways_out():
    with pytest.raises(ModelNotAvailableError) as err:
        Summarizer("someone/not-cached-anywhere")
    message = str(err.value)
    assert "'someone/not-cached-anywhere' is not available" in message
    assert "local checkpoint directory" in message
    assert "method='lead'/'textrank'" in message and "HF_HUB_OFFLINE=1" in message


@pytest.mark.parametrize("bad", ["./no/such/dir", "/no/such/dir", "a/b/c", ""])
def test_missing_paths_are_clear(bad):
    with pytest.raises(ModelNotAvailableError):
        Summarizer(bad)


def test_directory_without_config_is_not_a_checkpoint(tmp_path):
    with pytest.raises(ModelNotAvailableError, match="no config.json"):
        Summarizer(str(tmp_path))


def test_non_seq2seq_checkpoint_is_refused(tmp_path):
    from transformers import BertConfig

    BertConfig(vocab_size=10, hidden_size=8, num_hidden_layers=1, num_attention_heads=1, intermediate_size=8).save_pretrained(tmp_path)
    with pytest.raises(ModelNotAvailableError, match="is a 'bert' model, not a sequence-to-sequence"):
        Summarizer(str(tmp_path))
