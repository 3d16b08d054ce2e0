import json
import warnings

import pytest

from summarize import (
    InvalidInputError,
    InvalidOptionError,
    Summarizer,
    Summary,
    TruncationWarning,
    UnsupportedLanguageError,
    summarize,
)

from .conftest import TEXTS


@pytest.fixture(scope="module")
def summarizer(tiny_model):
    return Summarizer(tiny_model, device="cpu", num_beams=2, max_new_tokens=12)


def test_one_string_gives_one_summary_with_metadata(summarizer, tiny_model):
    result = summarizer.summarize(TEXTS["uk"][:70])
    assert isinstance(result, Summary)
    assert str(result) == result.text
    assert result.source_lang == "uk" and result.target_lang == "uk" and result.lang_detected
    # The default backend is the fast path: CTranslate2, installed with the package.
    assert result.model == tiny_model and result.backend == "ctranslate2" and result.method == "abstractive"
    assert result.vocabulary == "full"  # 400 pieces: too few to restrict
    assert 0 < result.input_tokens <= 64 and not result.chunked and not result.truncated
    assert 0 < result.output_tokens <= 12
    assert result.seconds > 0


def test_a_list_gives_a_list_in_input_order(summarizer):
    texts = [TEXTS["en"][:100], TEXTS["ru"][:120], TEXTS["uk"][:90]]
    results = summarizer.summarize(texts)
    assert [r.source_lang for r in results] == ["en", "ru", "uk"]
    assert [r.text for r in results] == [summarizer.summarize(t).text for t in texts]


def test_batching_gives_the_same_output_as_one_at_a_time(tiny_model):
    # Different lengths, so batches are padded and reordered by length.
    texts = [TEXTS[lang][:n] for lang in ("en", "uk", "ru") for n in (40, 90, 170)]
    one = Summarizer(tiny_model, device="cpu", batch_size=1, num_beams=3, max_new_tokens=10)
    many = Summarizer(tiny_model, device="cpu", batch_size=4, num_beams=3, max_new_tokens=10)
    assert [r.text for r in many.summarize(texts)] == [one.summarize(t).text for t in texts]
    assert len({r.text for r in one.summarize(texts)}) > 3  # outputs depend on the input


@pytest.mark.parametrize("arch,n_best", [("mt5", 1), ("mt5", 2), ("bart", 2), ("mbart", 1), ("pegasus", 2)])
def test_torch_beam_search_matches_plain_transformers(tiny_model, bart_family, arch, n_best):
    # The torch backend skips reordering the cross-attention state (every
    # beam of a document holds the same); the hypotheses must not change.
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    from summarize.generation import GenerationSettings

    path = tiny_model if arch == "mt5" else bart_family[arch]
    s = Summarizer(path, backend="torch", device="cpu", vocabulary="full")
    settings = GenerationSettings(num_beams=3, max_new_tokens=10, min_new_tokens=4, no_repeat_ngram_size=2)
    tok = AutoTokenizer.from_pretrained(path)
    batch = tok([TEXTS[lang][:n] for lang, n in (("en", 170), ("uk", 60), ("ru", 120))], truncation=True, max_length=64)
    got = s.backend.generate(batch.input_ids, settings, [None] * 3, n_best=n_best)

    plain = AutoModelForSeq2SeqLM.from_pretrained(path).eval()
    padded = tok.pad(batch, return_tensors="pt")
    with torch.inference_mode():
        out = plain.generate(**padded, num_beams=3, max_new_tokens=10, min_new_tokens=4, no_repeat_ngram_size=2,
                             num_return_sequences=n_best, max_length=None, min_length=None, do_sample=False,
                             decoder_start_token_id=s.backend.decoder_start)
    expected = [[t for t in row[1:] if t != tok.pad_token_id and t != tok.eos_token_id] for row in out.tolist()]
    # Every input gets its hypotheses as a list, one or more (the backend contract).
    assert got == [expected[i : i + n_best] for i in range(0, len(expected), n_best)]
    assert len({tuple(r) for r in expected}) > 1  # outputs depend on the input


def test_long_input_is_chunked_and_reduced(summarizer):
    long_text = " ".join([TEXTS["en"]] * 6)
    result = summarizer.summarize(long_text)
    assert result.input_tokens > 64
    assert result.chunked and not result.truncated
    assert result.chunks >= 4


def test_long_input_truncates_with_a_warning_when_asked(tiny_model):
    s = Summarizer(tiny_model, device="cpu", long_input="truncate", num_beams=1, max_new_tokens=5)
    with pytest.warns(TruncationWarning, match=r"tokens, the model takes 64; kept the first 64"):
        result = s.summarize(" ".join([TEXTS["ru"]] * 4))
    assert result.truncated and not result.chunked


def test_short_input_does_not_warn(summarizer):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summarizer.summarize(TEXTS["en"][:80])


def test_explicit_language_skips_detection(summarizer):
    result = summarizer.summarize("Думаю, так.", lang="uk")
    assert result.source_lang == "uk" and not result.lang_detected


@pytest.mark.parametrize("text", ["", "   \n\t"])
def test_empty_text_is_a_clear_error(summarizer, text):
    with pytest.raises(InvalidInputError, match="empty"):
        summarizer.summarize(text)


def test_errors_in_a_list_name_the_position_or_are_returned(summarizer):
    texts = [TEXTS["en"][:60], "", "Die Regierung hat den Haushalt beschlossen und die Steuern gesenkt."]
    with pytest.raises(InvalidInputError, match="^text 1: "):
        summarizer.summarize(texts)
    results = summarizer.summarize(texts, errors="return")
    assert isinstance(results[0], Summary)
    assert isinstance(results[1], InvalidInputError)
    assert isinstance(results[2], UnsupportedLanguageError)


def test_non_string_input_is_rejected(summarizer):
    with pytest.raises(InvalidInputError, match="expected text"):
        summarizer.summarize([None])
    with pytest.raises(InvalidInputError, match="must be a str or a list"):
        summarizer.summarize(42)


def test_same_language_only_model_refuses_other_target(summarizer):
    with pytest.raises(UnsupportedLanguageError, match="writes summaries in the language of the input"):
        summarizer.summarize(TEXTS["uk"], target_lang="en")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"method": "abstract"}, "unknown method 'abstract'; valid methods are 'abstractive', 'lead' or 'textrank'"),
        ({"batch_size": -1}, "batch_size must be an integer >= 1, got -1"),
        ({"long_input": "drop"}, "valid values are 'chunk' or 'truncate'"),
        ({"num_beams": 0}, "num_beams must be an integer >= 1, got 0"),
        ({"backend": "onnx"}, "unknown backend 'onnx'"),
        ({"device": "tpu"}, "unknown device 'tpu'"),
        ({"dtype": "float16"}, "dtype 'float16' is refused for 'mt5' models"),
    ],
)
def test_invalid_constructor_options(tiny_model, kwargs, message):
    with pytest.raises(InvalidOptionError) as err:
        Summarizer(tiny_model, **kwargs)
    assert message in str(err.value)


def test_call_options_are_validated(summarizer):
    with pytest.raises(InvalidOptionError, match="unknown generation option 'beam_size'"):
        summarizer.summarize("Hello there, the talks went well.", beam_size=2)
    assert summarizer.summarize(TEXTS["en"][:80], num_beams=1, max_new_tokens=3).output_tokens <= 3


def test_sampling_is_off_by_default(summarizer):
    assert summarizer.settings.do_sample is False
    a = summarizer.summarize(TEXTS["ru"][:120]).text
    assert a == summarizer.summarize(TEXTS["ru"][:120]).text


@pytest.mark.parametrize("lang", ["en", "uk", "ru"])
def test_lead_and_textrank_work_offline_for_every_language(lang):
    lead = Summarizer(method="lead", sentences=2).summarize(TEXTS[lang])
    assert lead.method == "lead" and lead.model is None
    assert lead.text.count(".") >= 2 and TEXTS[lang].startswith(lead.text)
    ranked = Summarizer(method="textrank", sentences=2).summarize(TEXTS[lang])
    assert ranked.source_lang == lang
    assert all(sentence in TEXTS[lang] for sentence in ranked.text.split(". "))


def test_textrank_prefers_the_central_sentence():
    text = (
        "Gas prices rose sharply. Gas prices rose again in May as gas imports fell. "
        "Imports fell after the pipeline closed. A cat slept."
    )
    assert Summarizer(method="textrank", sentences=1).summarize(text).text == (
        "Gas prices rose again in May as gas imports fell."
    )


def test_extractive_methods_cannot_change_language():
    with pytest.raises(UnsupportedLanguageError, match="copies sentences"):
        Summarizer(method="lead").summarize(TEXTS["uk"], target_lang="en")


def test_too_long_documents_are_refused_early():
    s = Summarizer(method="lead", max_input_chars=100)
    with pytest.raises(InvalidInputError, match="more than max_input_chars=100"):
        s.summarize("word " * 100)


def test_summarize_function_caches_its_summarizer(tiny_model):
    from summarize.summarizer import _cached

    _cached.cache_clear()
    first = summarize(TEXTS["en"][:100], model=tiny_model, device="cpu", num_beams=1, max_new_tokens=4)
    again = summarize([TEXTS["en"][:100]], model=tiny_model, device="cpu", num_beams=1, max_new_tokens=4)
    assert again[0].text == first.text
    # Built once: the second call found it (decoding settings are the call's, not part of the key).
    assert (_cached.cache_info().misses, _cached.cache_info().hits) == (1, 1)


def test_t5_checkpoint_gets_the_prefix_its_config_asks_for(tmp_path):
    from summarize.testing import build_tiny_checkpoint

    path = build_tiny_checkpoint(tmp_path / "t5", t5_prefix="summarize: ", max_input_tokens=64)
    s = Summarizer(path, device="cpu", num_beams=1, max_new_tokens=4)
    assert s.checkpoint.model_type == "t5" and s.checkpoint.prefix == "summarize: "
    tok = s.checkpoint.tokenizer
    plain = len(tok(TEXTS["en"][:60]).input_ids)
    prefixed = len(tok("summarize: " + TEXTS["en"][:60]).input_ids)
    assert s.summarize(TEXTS["en"][:60]).input_tokens == prefixed > plain


def test_out_of_memory_halves_the_batch_and_keeps_every_document(tiny_model, monkeypatch):
    import torch

    s = Summarizer(tiny_model, backend="torch", device="cpu", batch_size=8, num_beams=1, max_new_tokens=5)
    texts = [TEXTS[lang][:n] for lang in ("en", "uk", "ru") for n in (50, 80)]
    expected = [r.text for r in s.summarize(texts)]
    real = s.backend._generate
    sizes = []

    def small_memory(batch, settings, start, n_best=1):
        sizes.append(len(batch))
        if len(batch) > 2:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real(batch, settings, start, n_best)

    monkeypatch.setattr(s.backend, "_generate", small_memory)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    assert [r.text for r in s.summarize(texts)] == expected
    assert sizes[0] == 6 and max(sizes[1:]) <= 3 and sum(n for n in sizes if n <= 2) == 6


def test_out_of_memory_on_one_document_fails_that_document_only(tiny_model, monkeypatch):
    import torch

    s = Summarizer(tiny_model, backend="torch", device="cpu", batch_size=1, num_beams=1, max_new_tokens=5)
    real = s.backend._generate

    def fails_on_long(batch, settings, start, n_best=1):
        if len(batch[0]) > 30:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real(batch, settings, start, n_best)

    monkeypatch.setattr(s.backend, "_generate", fails_on_long)
    results = s.summarize([TEXTS["en"][:30], TEXTS["en"][:200]], errors="return")
    assert isinstance(results[0], Summary) and isinstance(results[1], torch.OutOfMemoryError)


def test_markup_is_summarised_as_given():
    # Documented: HTML is not stripped; strip it before summarising.
    html = "<p>The council approved the budget.</p> <p>Roads will be repaired.</p>"
    assert Summarizer(method="lead", sentences=1).summarize(html, lang="en").text.startswith("<p>")


def test_importing_the_package_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, summarize; print('torch' in sys.modules, 'transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False False"


def test_a_text_whose_script_contradicts_lang_fails_alone_not_the_call(summarizer):
    # Bulgarian text declared English: refused (as check_faithfulness refuses
    # it), as that document's error; the other document is still summarised.
    bulgarian = "Правителството одобри новия бюджет във вторник. Депутатите го подкрепиха с голямо мнозинство."
    results = summarizer.summarize([bulgarian, TEXTS["en"][:120]], lang="en", errors="return")
    assert [type(r) for r in results] == [InvalidInputError, Summary]
    assert str(results[0]) == "the text is declared 'en' but is written in Cyrillic script; pass lang='auto' or lang='ru'"


@pytest.mark.parametrize(
    ("text", "lang", "found"),
    [
        (TEXTS["uk"], "en", "Cyrillic script"),
        (TEXTS["en"], "ru", "Latin script"),
        (TEXTS["ru"], "uk", "Russian letters"),
        (TEXTS["uk"], "ru", "Ukrainian letters"),
    ],
)
def test_lang_that_contradicts_the_text_is_refused_for_every_method(text, lang, found):
    for method in ("lead", "textrank"):
        with pytest.raises(InvalidInputError, match=f"declared '{lang}' but is written in {found}"):
            Summarizer(method=method).summarize(text, lang=lang)


def test_lang_is_trusted_where_the_letters_do_not_say_otherwise():
    # Too few letters to contradict anything, and a Russian text quoting a Ukrainian name.
    assert Summarizer(method="lead").summarize("Kyiv, 5 May.", lang="uk").source_lang == "uk"
    quoted = "Мэр Киева Виталий Кличко заявил, что «Київ готовий» к зиме."
    assert Summarizer(method="lead").summarize(quoted, lang="ru").source_lang == "ru"


def test_summarize_function_takes_constructor_options_and_caches_per_options(tiny_model):
    from summarize.summarizer import _cached

    _cached.cache_clear()
    torch_result = summarize(TEXTS["en"][:100], model=tiny_model, device="cpu", backend="torch", num_beams=1, max_new_tokens=4)
    assert torch_result.backend == "torch"
    again = summarize(TEXTS["en"][:100], model=tiny_model, device="cpu", backend="torch", num_beams=1, max_new_tokens=4)
    assert again.text == torch_result.text and _cached.cache_info().hits == 1
    other = summarize(TEXTS["en"][:100], model=tiny_model, device="cpu", backend="ctranslate2", compute_type="float32", num_beams=1, max_new_tokens=4)
    assert other.backend == "ctranslate2" and _cached.cache_info().misses == 2


def test_a_library_call_prints_nothing_of_transformers_and_restores_its_settings(tiny_model, capfd):
    from transformers.utils import logging as hf_logging

    capfd.readouterr()
    before = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    Summarizer(tiny_model, backend="torch", device="cpu", max_new_tokens=3).summarize(TEXTS["en"][:100])
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert (hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()) == before


@pytest.mark.slow
def test_python_m_summarize_testing_builds_a_checkpoint_that_the_command_uses(tmp_path):
    import subprocess
    import sys

    target = tmp_path / "tiny"
    done = subprocess.run([sys.executable, "-m", "summarize.testing", str(target)], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    command = next(line.strip() for line in done.stdout.splitlines() if "| summarize --model" in line)
    text = command.split("'")[1]
    out = subprocess.run([sys.executable, "-m", "summarize", "--model", str(target), "--backend", "torch", "--max-new-tokens", "4", "--format", "jsonl"],
                         input=text, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    row = json.loads(out.stdout)
    assert row["source_lang"] == "uk" and row["method"] == "abstractive" and row["output_tokens"] <= 4
    again = subprocess.run([sys.executable, "-m", "summarize.testing", str(target)], capture_output=True, text=True)
    assert again.returncode == 2 and "is not an empty directory" in again.stderr


@pytest.mark.parametrize("backend", ["torch", "ctranslate2"])
def test_building_and_using_a_summarizer_leaves_the_process_as_it_was(tiny_model, backend, tmp_path, monkeypatch):
    import os

    import torch

    from summarize.backends import cpu

    changes = []
    monkeypatch.setattr(cpu, "limit_malloc_arenas", lambda n: changes.append(("arenas", n)) or True)
    monkeypatch.setattr(cpu, "prefer_avx512", lambda *a: changes.append("avx512") or True)
    environ, threads = dict(os.environ), torch.get_num_threads()
    extra = {"cache_dir": str(tmp_path)} if backend == "ctranslate2" else {}
    s = Summarizer(tiny_model, backend=backend, device="cpu", threads=1, max_new_tokens=3, **extra)
    s.summarize([TEXTS["en"][:80], TEXTS["uk"][:80]])
    assert dict(os.environ) == environ and torch.get_num_threads() == threads and changes == []
    assert cpu.tune_process(2) == ["CT2_FORCE_CPU_ISA=AVX512", "malloc arenas <= 2"] and changes == ["avx512", ("arenas", 2)]
