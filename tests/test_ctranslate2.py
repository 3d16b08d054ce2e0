"""The CTranslate2 backend against the torch backend, on the tiny models."""

import json
import sys

import pytest

from summarize import InvalidOptionError, MissingDependencyError, Summarizer

from .conftest import TEXTS

ctranslate2 = pytest.importorskip("ctranslate2", reason="ctranslate2 is not installed (pip install 'ctranslate2>=4.8')")

TEXTS_VARIED = [TEXTS[lang][:n] for lang in ("en", "uk", "ru") for n in (60, 150, 260)]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("ct2-cache"))


@pytest.mark.parametrize("options", [{"max_new_tokens": 10}, {"max_new_tokens": 12, "min_new_tokens": 9, "no_repeat_ngram_size": 2}])
def test_greedy_output_equals_the_torch_backend(tiny_model, cache, options):
    torch_s = Summarizer(tiny_model, backend="torch", device="cpu", num_beams=1, batch_size=4, **options)
    ct2_s = Summarizer(tiny_model, backend="ctranslate2", device="cpu", compute_type="float32", cache_dir=cache, num_beams=1, batch_size=4, **options)
    expected = torch_s.summarize(TEXTS_VARIED)
    got = ct2_s.summarize(TEXTS_VARIED)
    assert [r.text for r in got] == [r.text for r in expected]
    assert [r.output_tokens for r in got] == [r.output_tokens for r in expected]
    assert [r.chunked for r in got] == [r.chunked for r in expected]  # same chunking
    assert got[0].backend == "ctranslate2"


@pytest.mark.parametrize("num_beams", [1, 3])
def test_parallel_workers_give_the_same_summaries_as_one(tiny_model, cache, num_beams):
    options = dict(device="cpu", compute_type="float32", cache_dir=cache, num_beams=num_beams, max_new_tokens=10, batch_size=2)
    one = Summarizer(tiny_model, backend="ctranslate2", threads=1, **options)
    two = Summarizer(tiny_model, backend="ctranslate2", threads=2, **options)
    assert (one.backend.workers, two.backend.workers) == (1, 2)
    # threads=2: two workers of one batch each, so the batches hold one document.
    expected = [Summarizer(tiny_model, backend="ctranslate2", threads=1, **{**options, "batch_size": 1}).summarize(t).text for t in TEXTS_VARIED]
    assert [r.text for r in two.summarize(TEXTS_VARIED)] == expected
    assert [r.text for r in one.summarize(TEXTS_VARIED)] == expected


def test_cross_lingual_start_token_matches_the_torch_backend(tiny_crosslingual, cache):
    options = dict(device="cpu", num_beams=1, max_new_tokens=8)
    torch_s = Summarizer(tiny_crosslingual, backend="torch", **options)
    ct2_s = Summarizer(tiny_crosslingual, backend="ctranslate2", compute_type="float32", cache_dir=cache, **options)
    for target in ("en", "uk", "ru"):
        assert ct2_s.summarize(TEXTS["ru"], target_lang=target).text == torch_s.summarize(TEXTS["ru"], target_lang=target).text


def test_conversion_is_cached_and_reused(tiny_model, tmp_path, caplog):
    import logging

    caplog.set_level(logging.DEBUG, logger="summarize.backends.conversion")
    first = Summarizer(tiny_model, backend="ctranslate2", device="cpu", cache_dir=str(tmp_path))
    assert "converting" in caplog.text and "once" in caplog.text and "converted" in caplog.text
    caplog.clear()
    second = Summarizer(tiny_model, backend="ctranslate2", device="cpu", cache_dir=str(tmp_path))
    assert "converting" not in caplog.text and "using converted model" in caplog.text
    assert first.backend.model_dir == second.backend.model_dir
    assert first.backend.dtype in ("int8", "float32")  # auto on CPU: by the CPU's int8 library (below)
    assert first.backend.dtype in first.backend.model_dir.name


def test_the_default_compute_type_follows_the_cpus_int8_library(tiny_model, cache):
    """int8 where oneMKL runs it; float32 where oneDNN would (AMD, or CT2_USE_MKL=0), on any machine."""
    import os
    import subprocess

    code = (
        "import ctranslate2; from summarize import Summarizer; from summarize.backends.precision import int8_library; "
        f"s = Summarizer({tiny_model!r}, backend='ctranslate2', device='cpu', cache_dir={cache!r}); "
        "print(int8_library(ctranslate2), s.backend.dtype, s.summarize('Ціни зросли на 13,5 відсотка у жовтні.', num_beams=1, max_new_tokens=4).backend)"
    )
    got = {}
    for mkl in ("0", "1"):
        env = {**os.environ, "CT2_USE_MKL": mkl}
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        got[mkl] = done.stdout.split()[-3:]
    assert got == {"0": ["onednn", "float32", "ctranslate2"], "1": ["mkl", "int8", "ctranslate2"]}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"dtype": "float32"}, "dtype 'float32' does not apply to backend 'ctranslate2'"),
        ({"compute_type": "int4"}, "unknown compute_type 'int4'"),
        ({"compute_type": "float16"}, "refused for 'mt5' models"),
        ({"device": "mps"}, "device 'mps' was asked for, but backend 'ctranslate2' has no MPS device here"),
        ({"threads": -1}, "threads must be an integer >= 0"),
    ],
)
def test_invalid_options(tiny_model, cache, kwargs, message):
    with pytest.raises(InvalidOptionError, match=message):
        Summarizer(tiny_model, backend="ctranslate2", cache_dir=cache, **kwargs)


def test_compute_type_is_for_ctranslate2_only(tiny_model):
    with pytest.raises(InvalidOptionError, match="apply to backend='ctranslate2', not 'torch'"):
        Summarizer(tiny_model, backend="torch", compute_type="int8")


def test_missing_extra_names_the_install_command(tiny_model, monkeypatch):
    monkeypatch.setitem(sys.modules, "ctranslate2", None)
    with pytest.raises(MissingDependencyError, match=r'pip install "ctranslate2>=4.8", or use backend=.torch.'):
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


@pytest.mark.parametrize("arch", ["bart", "mbart", "pegasus"])
def test_every_preset_architecture_gives_equal_greedy_output_on_both_backends(bart_family, cache, arch):
    # BART forces <s> first and starts with </s>; mBART's conversion has no start
    # token (it comes as the prefix); Pegasus starts with <pad>.
    options = dict(device="cpu", num_beams=1, max_new_tokens=8, batch_size=4)
    # The mBART checkpoint (gazeta's architecture) serves Russian only.
    langs = ("ru",) if arch == "mbart" else ("en", "ru")
    texts = [TEXTS[lang][:n] for lang in langs for n in (60, 130, 200, 260)[:: len(langs)]]
    lang = "ru" if arch == "mbart" else "auto"
    expected = Summarizer(bart_family[arch], backend="torch", **options).summarize(texts, lang=lang)
    got = Summarizer(bart_family[arch], backend="ctranslate2", compute_type="float32", cache_dir=cache, **options).summarize(texts, lang=lang)
    assert [(r.text, r.output_tokens) for r in got] == [(r.text, r.output_tokens) for r in expected]
    # BART and mBART force </s> as the 8th token (forced_eos_token_id, as bart-large-cnn
    # and the Gazeta mBART do): 7 before it, on both backends.
    assert all(r.output_tokens == (7 if arch in ("bart", "mbart") else 8) for r in got)


def test_cross_lingual_model_is_converted_and_loaded_once_for_every_target(tiny_crosslingual, cache):
    options = dict(device="cpu", num_beams=1, max_new_tokens=6)
    torch_s = Summarizer(tiny_crosslingual, backend="torch", **options)
    ct2_s = Summarizer(tiny_crosslingual, backend="ctranslate2", compute_type="float32", cache_dir=cache, **options)
    assert json.loads((ct2_s.backend.model_dir / "config.json").read_text())["decoder_start_token"] is None
    texts = [TEXTS["ru"][:80], TEXTS["uk"][:90], TEXTS["en"][:70]]
    starts = [ct2_s.checkpoint.lang_tokens[t] for t in ("en", "uk", "ru")]
    ids = [ct2_s._encode(t) for t in texts]
    # One batch, three target languages, one translator.
    assert ct2_s.backend.generate(ids, ct2_s.settings, starts) == torch_s.backend.generate(ids, torch_s.settings, starts)
    assert len(list(ct2_s.backend.model_dir.parent.glob("*start*"))) == 0


@pytest.fixture(scope="module")
def ends_early(tmp_path_factory):
    """A tiny mT5 whose output layer favours the end token: it stops after a token or two."""
    import torch
    from safetensors.torch import load_file, save_file
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    from summarize.testing import build_tiny_checkpoint

    path = build_tiny_checkpoint(tmp_path_factory.mktemp("ends-early"), max_input_tokens=64)
    model = AutoModelForSeq2SeqLM.from_pretrained(path)
    tok = AutoTokenizer.from_pretrained(path)
    batch = tok([TEXTS[lang] for lang in TEXTS], return_tensors="pt", padding=True)
    with torch.no_grad():
        hidden = model(**batch, decoder_input_ids=torch.zeros((3, 1), dtype=torch.long), output_hidden_states=True).decoder_hidden_states[-1]
    direction = hidden.mean(dim=(0, 1))
    weights = load_file(f"{path}/model.safetensors")
    weights["lm_head.weight"][1] = direction / direction.norm() * 40.0
    save_file(weights, f"{path}/model.safetensors", metadata={"format": "pt"})
    return path


def test_min_new_tokens_holds_on_both_backends_for_a_model_that_ends_early(ends_early, cache):
    texts = [TEXTS[lang][:n] for lang in ("en", "uk", "ru") for n in (80, 200)]
    options = dict(device="cpu", num_beams=1, max_new_tokens=12)
    free = Summarizer(ends_early, backend="torch", **options).summarize(texts)
    assert max(r.output_tokens for r in free) < 5  # the check below can fail
    torch_s = Summarizer(ends_early, backend="torch", min_new_tokens=5, **options)
    ct2_s = Summarizer(ends_early, backend="ctranslate2", compute_type="float32", cache_dir=cache, min_new_tokens=5, **options)
    expected, got = torch_s.summarize(texts), ct2_s.summarize(texts)
    assert all(r.output_tokens >= 5 for r in expected)
    assert [(r.text, r.output_tokens) for r in got] == [(r.text, r.output_tokens) for r in expected]


def test_int8_agrees_with_float32_on_next_tokens_far_above_chance(tiny_model, cache):
    """Teacher-forced agreement: given float32's summary so far, does int8 choose the same next token?

    The tiny model's weights are wide random values, far more sensitive to
    quantisation than a trained model, and the two CPU paths differ: on it
    int8 agreed on 127/250 next tokens through oneMKL (on an Intel AVX-512
    and an AMD AVX2 CPU alike) and 20/250 through oneDNN (AMD; its u8s8
    products can saturate on CPUs without VNNI, as oneDNN's "Nuances of int8
    computations" warns), against about 0.4% for chance over its ~270 pieces. The bar (5%, 12 times
    chance) holds on both and catches a broken int8 path, which is what a
    test on random weights can catch; benchmarks/precision.py measures the
    real shapes.
    """
    from summarize.testing import CORPUS

    options = dict(device="cpu", num_beams=1, max_new_tokens=10, cache_dir=cache, backend="ctranslate2", no_repeat_ngram_size=0)
    exact = Summarizer(tiny_model, compute_type="float32", **options)
    int8 = Summarizer(tiny_model, compute_type="int8", **options)
    tok = int8.checkpoint.tokenizer
    agree = total = 0
    for text in [s for sentences in CORPUS.values() for s in sentences]:
        ids = exact._encode(text)
        [reference] = exact.backend.generate([ids], exact.settings, [None])[0]  # one hypothesis per input
        source = [tok.convert_ids_to_tokens(ids)]
        for i, token in enumerate(reference):
            prefix = [tok.convert_ids_to_tokens(reference[:i])]
            result = int8.backend.translator.translate_batch(
                source, target_prefix=prefix, beam_size=1, max_decoding_length=i + 1, return_end_token=True
            )
            hypothesis = result[0].hypotheses[0]
            agree += len(hypothesis) > i and tok.convert_tokens_to_ids(hypothesis[i]) == token
            total += 1
    assert total > 100 and agree / total >= 0.05, f"int8 agreed with float32 on {agree}/{total} next tokens"


def test_the_malloc_arena_cap_leaves_a_users_setting_alone(monkeypatch):
    from summarize.backends.cpu import cpu_workers, limit_malloc_arenas

    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")
    assert limit_malloc_arenas(2) is False
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    assert limit_malloc_arenas(2) is sys.platform.startswith("linux")
    assert cpu_workers(2) == (2, 1) and cpu_workers(32) == (4, 8)


def test_avx512_is_chosen_only_where_the_cpu_has_it_and_the_user_did_not_choose(monkeypatch, tmp_path):
    from summarize.backends.cpu import AVX512_FLAGS, prefer_avx512

    if not sys.platform.startswith("linux"):
        pytest.skip("the CPU's flags are read on Linux only")
    with_avx512, avx2_only = tmp_path / "with", tmp_path / "without"
    with_avx512.write_text("processor : 0\nflags : fpu sse4_1 avx avx2 " + " ".join(AVX512_FLAGS) + "\n")
    avx2_only.write_text("processor : 0\nflags : fpu sse4_1 avx avx2 avx512f\n")  # only part of what is needed
    monkeypatch.setenv("CT2_FORCE_CPU_ISA", "AVX2")
    assert prefer_avx512(str(with_avx512)) is False
    monkeypatch.delenv("CT2_FORCE_CPU_ISA")
    assert prefer_avx512(str(avx2_only)) is False and "CT2_FORCE_CPU_ISA" not in __import__("os").environ
    assert prefer_avx512(str(with_avx512)) is True
    assert __import__("os").environ["CT2_FORCE_CPU_ISA"] == "AVX512"


def test_avx512_kernels_give_the_same_summaries(tiny_model, cache):
    import os
    import subprocess

    from summarize.backends.cpu import AVX512_FLAGS

    flags = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    if not all(f in flags.split() for f in AVX512_FLAGS):
        pytest.skip("this CPU has no AVX-512")
    code = (
        # The commands tune the process (tune_process) before the first model loads; a bare Summarizer does not.
        "import json; from summarize import Summarizer; from summarize.backends.cpu import tune_process; tune_process(); "
        f"s = Summarizer({tiny_model!r}, backend='ctranslate2', device='cpu', cache_dir={cache!r}, num_beams=3, max_new_tokens=10); "
        f"print(json.dumps([r.text for r in s.summarize({TEXTS_VARIED!r})]))"
    )
    runs = {}
    for isa in ("AVX2", None):  # None: the library's choice
        env = {k: v for k, v in os.environ.items() if k != "CT2_FORCE_CPU_ISA"}
        env["CT2_VERBOSE"] = "1"
        if isa:
            env["CT2_FORCE_CPU_ISA"] = isa
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
        chosen = next(line.split(":")[-1].strip() for line in (done.stdout + done.stderr).splitlines() if "Selected ISA" in line)
        runs[chosen] = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(runs) == {"AVX2", "AVX512"}
    assert runs["AVX512"] == runs["AVX2"]
