"""Which backend runs, on which device, from which revision: the one choice (:func:`summarize.backends.load_backend`).

``backend="auto"`` is CTranslate2 where it can serve the options, and a
checkpoint it cannot convert runs on torch with a warning; a backend named
explicitly never falls back. One device rule serves every backend
(:func:`~summarize.backends.resolve_device`), and one test of "out of memory"
(:func:`~summarize.backends.is_out_of_memory`) decides when the scheduler
halves a batch.
"""

from __future__ import annotations

import logging

import pytest

from summarize import InvalidOptionError, ModelNotAvailableError, Summarizer
from summarize.backends import BACKENDS, Backend, create_backend, is_out_of_memory, resolve_backend, resolve_device

CANNOT_CONVERT = "converting 'tiny' to CTranslate2 failed: no converter for this architecture"


class Unconvertible(Backend):
    """Stands for CTranslate2 on a checkpoint it cannot convert."""

    name = "ctranslate2"

    def __init__(self, checkpoint, **options):
        raise ModelNotAvailableError(CANNOT_CONVERT)

    def submit(self, batch, settings, start_tokens, n_best=1):
        raise AssertionError("never built")


class Nameless(Backend):
    """Sets neither what it runs on nor its precision."""

    name = "nameless"

    def __init__(self, checkpoint, **options):
        pass

    def submit(self, batch, settings, start_tokens, n_best=1):
        raise AssertionError("never built")


@pytest.mark.parametrize("device, cuda, mps, resolved", [
    ("auto", 2, True, ("cuda", 0)),  # a GPU first
    ("auto", 0, True, ("mps", 0)),  # then Apple's
    ("auto", 0, False, ("cpu", 0)),
    ("cuda:1", 2, False, ("cuda", 1)),
    ("cuda", 1, False, ("cuda", 0)),
    ("mps", 0, True, ("mps", 0)),
    ("cpu", 4, True, ("cpu", 0)),
])
def test_one_device_rule_for_every_backend(device, cuda, mps, resolved):
    assert resolve_device(device, backend="torch", cuda_devices=cuda, mps=mps) == resolved


@pytest.mark.parametrize("device, cuda, mps, message", [
    ("cuda:2", 2, False, "device 'cuda:2' was asked for, but backend 'torch' sees 2 CUDA device(s); use 'cuda:0' to 'cuda:1'"),
    ("cuda:1", 1, False, "device 'cuda:1' was asked for, but backend 'torch' sees 1 CUDA device(s); use 'cuda:0' to 'cuda:0'"),
    ("cuda", 0, True, "device 'cuda' was asked for, but backend 'torch' sees no CUDA device; use device='cpu' or 'auto'"),
    ("mps", 2, False, "device 'mps' was asked for, but backend 'torch' has no MPS device here; use device='cpu' or 'auto'"),
    ("mps:1", 0, True, "unknown device 'mps:1'"),
    ("cpu:0", 0, False, "unknown device 'cpu:0'"),
])
def test_a_device_that_is_not_there_is_refused_naming_what_is(device, cuda, mps, message):
    with pytest.raises(InvalidOptionError) as caught:
        resolve_device(device, backend="torch", cuda_devices=cuda, mps=mps)
    assert str(caught.value).startswith(message)


def test_a_device_that_is_not_a_name_is_an_option_error():
    with pytest.raises(InvalidOptionError, match="unknown device None; valid devices are 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'"):
        Summarizer(method="lead", device=None)


def test_auto_is_ctranslate2_unless_the_options_need_torch():
    pytest.importorskip("ctranslate2")
    assert resolve_backend("auto") == "ctranslate2"
    assert resolve_backend("auto", device="cpu") == "ctranslate2"
    assert resolve_backend("auto", dtype="bfloat16") == "torch"  # CTranslate2 sets its own precision
    assert resolve_backend("auto", device="mps") == "torch"  # and does not run on Apple's GPU
    assert resolve_backend("ctranslate2", device="mps") == "ctranslate2"  # named: as asked


def test_auto_is_torch_where_ctranslate2_is_not_installed(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ctranslate2", None)  # import ctranslate2 raises ImportError
    assert resolve_backend("auto") == "torch"


def test_the_device_decides_auto_before_any_backend_is_built(tiny_model):
    pytest.importorskip("ctranslate2")
    # No MPS here: the refusal names torch, the backend auto chose for an MPS device.
    with pytest.raises(InvalidOptionError, match="backend 'torch' has no MPS device here"):
        Summarizer(tiny_model, device="mps")


def test_an_unknown_backend_name_is_refused_with_the_registered_ones():
    with pytest.raises(InvalidOptionError) as caught:
        resolve_backend("tf")
    assert str(caught.value) == "unknown backend 'tf'; valid backends are 'auto', 'torch' or 'ctranslate2'"
    with pytest.raises(InvalidOptionError) as caught:
        create_backend("tf", None)
    assert str(caught.value) == "unknown backend 'tf'; valid backends are 'torch' or 'ctranslate2'"


def test_a_backend_that_sets_neither_device_nor_dtype_is_refused_naming_both(tiny_model, monkeypatch):
    monkeypatch.setitem(BACKENDS, "nameless", f"{__name__}:Nameless")
    with pytest.raises(TypeError, match="backend 'nameless' did not set device and dtype: rows and signatures name them"):
        Summarizer(tiny_model, backend="nameless")


@pytest.mark.parametrize("error", [
    MemoryError(),  # the host's, often without a message
    type("OutOfMemoryError", (RuntimeError,), {})("allocation of 2.00 GiB failed"),  # torch.OutOfMemoryError, by its name
    RuntimeError("CUDA failed with error out of memory"),  # CTranslate2's, by its message
])
def test_out_of_memory_is_recognised_whichever_backend_raised_it(error):
    assert is_out_of_memory(error)


def test_an_error_that_is_not_memory_is_not_taken_for_it():
    assert not is_out_of_memory(RuntimeError("the tokenizer choked"))
    assert not is_out_of_memory(ValueError("OutOfMemoryError"))


def test_a_checkpoint_ctranslate2_cannot_convert_runs_on_torch_with_a_warning(tiny_model, monkeypatch, caplog):
    pytest.importorskip("ctranslate2")
    monkeypatch.setitem(BACKENDS, "ctranslate2", f"{__name__}:Unconvertible")
    with caplog.at_level(logging.WARNING, logger="summarize.backends"):
        s = Summarizer(tiny_model, faithfulness="off")  # backend="auto": the fast path is a default
    assert s.backend.name == "torch"
    assert [r.getMessage() for r in caplog.records if r.name == "summarize.backends"] == [f"{CANNOT_CONVERT}; using the torch backend"]
    assert s.summarize("Рада ухвалила закон про бюджет.", lang="uk", max_new_tokens=4, num_beams=1).text
    with pytest.raises(ModelNotAvailableError, match="no converter for this architecture"):
        Summarizer(tiny_model, backend="ctranslate2")  # asked for by name: no fallback


def test_a_conversion_in_the_cache_that_cannot_be_loaded_falls_back_to_the_checkpoint_on_torch(tiny_model, monkeypatch):
    pytest.importorskip("ctranslate2")
    Summarizer(tiny_model, backend="ctranslate2")  # converts, into the conversion cache
    monkeypatch.setitem(BACKENDS, "ctranslate2", f"{__name__}:Unconvertible")
    import summarize.checkpoints

    loaded = []
    load = summarize.checkpoints.load_checkpoint
    monkeypatch.setattr(summarize.checkpoints, "load_checkpoint",
                        lambda model, revision=None: loaded.append(revision) or load(model, revision=revision))
    s = Summarizer(tiny_model, faithfulness="off", revision="main", vocabulary=64)
    assert s.backend.name == "torch" and s.checkpoint.config is not None  # the checkpoint itself, which torch needs
    assert loaded == ["main"]  # the revision asked for, not whatever is newest
    assert s.backend.vocabulary_used == "top-64"  # and the other options asked for
    assert s.summarize("Рада ухвалила закон про бюджет.", lang="uk", max_new_tokens=4, num_beams=1).text


@pytest.mark.parametrize("backend", ["torch", "ctranslate2"])
def test_a_revision_that_is_not_there_is_refused_not_replaced_by_main(preset_standins, backend):
    if backend == "ctranslate2":
        pytest.importorskip("ctranslate2")
    Summarizer("xlsum", backend=backend, device="cpu")  # main is there (and converted)
    with pytest.raises(ModelNotAvailableError):
        Summarizer("xlsum", backend=backend, device="cpu", revision="no-such-branch")
