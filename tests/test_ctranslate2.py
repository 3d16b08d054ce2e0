"""The CTranslate2 backend against the torch backend, on the tiny models."""

import json
import sys

import pytest

from summarize import InvalidOptionError, MissingDependencyError, Summarizer

from .conftest import TEXTS

ctranslate2 = pytest.importorskip("ctranslate2", reason="ctranslate2 is not installed (pip install 'summarize[fast]')")

TEXTS_VARIED = [TEXTS[lang][:n] for lang in ("en", "uk", "ru") for n in (60, 150, 260)]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("ct2-cache"))


@pytest.mark.parametrize("options", [{"max_new_tokens": 10}, {"max_new_tokens": 12, "min_new_tokens": 9, "no_repeat_ngram_size": 2}])
def test_greedy_output_equals_the_torch_backend(tiny_model, cache, options):
    torch_s = Summarizer(tiny_model, device="cpu", num_beams=1, batch_size=4, **options)
    ct2_s = Summarizer(tiny_model, backend="ctranslate2", device="cpu", compute_type="float32", cache_dir=cache, num_beams=1, batch_size=4, **options)
    expected = torch_s.summarize(TEXTS_VARIED)
    got = ct2_s.summarize(TEXTS_VARIED)
    assert [r.text for r in got] == [r.text for r in expected]
    assert [r.output_tokens for r in got] == [r.output_tokens for r in expected]
    assert [r.chunked for r in got] == [r.chunked for r in expected]  # same chunking
    assert got[0].backend == "ctranslate2"


def test_cross_lingual_start_token_matches_the_torch_backend(tiny_crosslingual, cache):
    options = dict(device="cpu", num_beams=1, max_new_tokens=8)
    torch_s = Summarizer(tiny_crosslingual, **options)
    ct2_s = Summarizer(tiny_crosslingual, backend="ctranslate2", compute_type="float32", cache_dir=cache, **options)
    for target in ("en", "uk", "ru"):
        assert ct2_s.summarize(TEXTS["ru"], target_lang=target).text == torch_s.summarize(TEXTS["ru"], target_lang=target).text


def test_conversion_is_cached_and_reused(tiny_model, tmp_path, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="summarize.backends.ctranslate2")
    first = Summarizer(tiny_model, backend="ctranslate2", device="cpu", cache_dir=str(tmp_path))
    assert "converting" in caplog.text
    caplog.clear()
    second = Summarizer(tiny_model, backend="ctranslate2", device="cpu", cache_dir=str(tmp_path))
    assert "converting" not in caplog.text and "using converted model" in caplog.text
    assert first.backend.model_dir == second.backend.model_dir
    assert first.backend.dtype == "int8"  # auto on CPU
    assert "int8" in first.backend.model_dir.name


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"dtype": "float32"}, "dtype 'float32' does not apply to backend 'ctranslate2'"),
        ({"compute_type": "int4"}, "unknown compute_type 'int4'"),
        ({"compute_type": "float16"}, "refused for 'mt5' models"),
        ({"device": "mps"}, "unknown device 'mps' for backend 'ctranslate2'"),
    ],
)
def test_invalid_options(tiny_model, cache, kwargs, message):
    with pytest.raises(InvalidOptionError, match=message):
        Summarizer(tiny_model, backend="ctranslate2", cache_dir=cache, **kwargs)


def test_compute_type_is_for_ctranslate2_only(tiny_model):
    with pytest.raises(InvalidOptionError, match="apply to backend='ctranslate2', not 'torch'"):
        Summarizer(tiny_model, compute_type="int8")


def test_missing_extra_names_the_install_command(tiny_model, monkeypatch):
    monkeypatch.setitem(sys.modules, "ctranslate2", None)
    with pytest.raises(MissingDependencyError, match=r'pip install "summarize\[fast\]"'):
        Summarizer(tiny_model, backend="ctranslate2")


def test_a_converted_model_runs_without_torch_or_transformers(tiny_crosslingual, tmp_path):
    import subprocess

    options = dict(backend="ctranslate2", device="cpu", cache_dir=str(tmp_path), num_beams=1, max_new_tokens=8)
    first = Summarizer(tiny_crosslingual, **options)  # converts, with transformers
    expected = first.summarize([TEXTS["uk"], TEXTS["ru"][:120]], target_lang="en")
    code = (
        "import json, sys; from summarize import Summarizer; "
        f"s = Summarizer({tiny_crosslingual!r}, **{options!r}); "
        f"r = s.summarize({[TEXTS['uk'], TEXTS['ru'][:120]]!r}, target_lang='en'); "
        "print(json.dumps([[x.text, x.output_tokens, x.target_lang] for x in r] + ['torch' in sys.modules, 'transformers' in sys.modules]))"
    )
    out = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
    assert out[:2] == [[r.text, r.output_tokens, r.target_lang] for r in expected]
    assert out[2:] == [False, False]


def test_a_checkpoint_overwritten_in_place_is_converted_again(tmp_path):
    from summarize.testing import build_tiny_checkpoint

    model = build_tiny_checkpoint(tmp_path / "model", seed=1)
    first = Summarizer(model, backend="ctranslate2", device="cpu", cache_dir=str(tmp_path / "cache"))
    build_tiny_checkpoint(tmp_path / "model", seed=2)  # retrained, same path
    second = Summarizer(model, backend="ctranslate2", device="cpu", cache_dir=str(tmp_path / "cache"))
    assert first.backend.model_dir != second.backend.model_dir
