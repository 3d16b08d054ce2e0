"""Converting checkpoints for CTranslate2, once, and finding the conversion again.

A conversion is made with CTranslate2's own converter the first time a
checkpoint is used, into a temporary sibling renamed when complete (a killed
process never leaves a half-written one that looks finished), and kept under
``cache_dir`` (default ``$SUMMARIZE_CACHE``, else ``~/.cache/summarize``)
``/ctranslate2``, keyed by model, revision, quantisation and CTranslate2
version. Beside it a manifest (``summarize.json``) and the fast tokenizer let
a later run load the checkpoint without transformers or torch
(:func:`cached_checkpoint`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from ..checkpoints.loading import Checkpoint
from ..checkpoints.quiet import quiet_transformers
from ..errors import MissingDependencyError, ModelNotAvailableError
from .precision import COMPUTE_TYPES, quantization_for

logger = logging.getLogger(__name__)


def import_ctranslate2():
    """The ctranslate2 module, or one line on how to install it."""
    try:
        import ctranslate2
    except ImportError:
        raise MissingDependencyError(
            "backend 'ctranslate2' needs the ctranslate2 package, which this package depends on: pip install \"ctranslate2>=4.8\", or use backend='torch'"
        ) from None
    return ctranslate2


def default_cache_dir() -> Path:
    """``$SUMMARIZE_CACHE``, else ``~/.cache/summarize``."""
    return Path(os.environ.get("SUMMARIZE_CACHE") or Path.home() / ".cache" / "summarize")


MANIFEST = "summarize.json"

# Layer-norm placement of the BART family, which CTranslate2's converter reads
# from config attributes that transformers 5 no longer has:
# model_type -> (normalize_before, normalize_embedding).
_NORM_LAYOUT = {"bart": (False, True), "mbart": (True, True), "pegasus": (True, False)}


# Part of every conversion's cache key: raised when a conversion made by an
# earlier version of this module holds something wrong (2: T5-family output scaling).
CONVERSION_FORMAT = 2


def _scales_decoder_outputs(model) -> bool:
    """Whether transformers scales this T5-family model's decoder output before the output layer."""
    config = model.config
    if config.model_type in ("mt5", "umt5"):
        return False  # their forward never scales (transformers 5)
    return bool(getattr(config, "scale_decoder_outputs", config.tie_word_embeddings))


def _converter(source: str, revision: str | None):
    """CTranslate2's transformers converter, given the config attributes it expects."""
    from ctranslate2.converters import TransformersConverter

    class Converter(TransformersConverter):
        def load_model(self, model_class, model_name_or_path, **kwargs):
            model = super().load_model(model_class, model_name_or_path, **kwargs)
            # CTranslate2's T5 loader scales the decoder's output by d_model**-0.5
            # when config.tie_word_embeddings is true; transformers 5 forces that
            # flag to true for every T5 and mT5 and decides the scaling with
            # scale_decoder_outputs (mT5 and T5 v1.1: never). Left alone, an
            # mT5 conversion's logits are divided by sqrt(d_model): greedy
            # search keeps its argmax, but beam search and sampling see a
            # flattened distribution and choose other summaries.
            if model.config.model_type in ("t5", "mt5", "umt5"):
                model.config.tie_word_embeddings = _scales_decoder_outputs(model)
            layout = _NORM_LAYOUT.get(model.config.model_type)
            if layout is not None:
                for name, value in zip(("normalize_before", "normalize_embedding"), layout):
                    if not hasattr(model.config, name):
                        setattr(model.config, name, value)
            return model

    return Converter(source, revision=revision)


def conversion_dir(cache_dir: Path, name: str, revision: str | None, source: str, quantization: str | None) -> Path:
    """Where the conversion of a checkpoint lives: keyed by model, revision, quantisation, version."""
    ct2 = import_ctranslate2()
    local = Path(source).expanduser()
    # A local directory can be overwritten in place (a retrained model): its
    # files' sizes and times are part of the key, so a stale conversion is never reused.
    files = (
        sorted((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in local.iterdir() if f.is_file() and f.suffix in (".json", ".safetensors", ".bin", ".model"))
        if local.is_dir()
        else None
    )
    key_source = json.dumps([name, revision, str(local.resolve()) if local.is_dir() else None, files, quantization, ct2.__version__,
                             CONVERSION_FORMAT])
    key = hashlib.sha256(key_source.encode()).hexdigest()[:16]
    safe = "".join(c if c.isalnum() or c in "-_." else "--" for c in Path(name).name)
    return cache_dir / "ctranslate2" / f"{safe}-{quantization or 'float32'}-{key}"


def _write_manifest(ck: Checkpoint, directory: Path) -> None:
    """Save what a later run needs to skip transformers: the fast tokenizer and the checkpoint's facts."""
    tok = ck.tokenizer
    backend = getattr(tok, "backend_tokenizer", None)
    if backend is None or getattr(tok, "clean_up_tokenization_spaces", False):
        return  # decoding needs transformers' own code; later runs take the full path
    # Written beside and renamed: an old conversion's manifest is rewritten
    # in place, maybe by several workers at once, and a reader must never see half of one.
    tmp = directory / f"tokenizer.json.{os.getpid()}.tmp"
    backend.save(str(tmp))
    os.replace(tmp, directory / "tokenizer.json")
    manifest = {
        "name": ck.name, "source": ck.source, "revision": ck.revision,
        "preset": ck.preset.name if ck.preset else None, "model_type": ck.model_type,
        "max_input_tokens": ck.max_input_tokens, "prefix": ck.prefix, "lang_tokens": ck.lang_tokens,
        "generation_defaults": ck.generation_defaults,
        "decoder_start_token_id": ck.decoder_start_token_id, "forced_bos_token_id": ck.forced_bos_token_id,
        "forced_eos_token_id": ck.forced_eos_token_id,
        "special": {"pad": tok.pad_token_id, "eos": tok.eos_token_id, "unk": tok.unk_token_id},
    }
    tmp = directory / f"{MANIFEST}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2))
    os.replace(tmp, directory / MANIFEST)


def _manifest_current(directory: Path) -> bool:
    """Whether ``directory`` has a manifest with every fact this version reads (older ones lack ``forced_eos_token_id``)."""
    try:
        return "forced_eos_token_id" in json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError):
        return False


def cached_checkpoint(model: str, revision: str | None, compute_type: str, cache_dir: str | os.PathLike | None) -> Checkpoint | None:
    """The checkpoint of an existing conversion, loaded without transformers; None if there is none."""
    from ..checkpoints.loading import hub_revision, resolve_model
    from ..checkpoints.tokenizer import StandaloneTokenizer
    from ..presets import PRESETS

    try:
        preset, source = resolve_model(model)
        if compute_type not in COMPUTE_TYPES:
            return None  # the full path reports it
        local = Path(source).expanduser()
        source = str(local) if local.is_dir() else source
        name = preset.model_id if preset else source
        # Any conversion of the checkpoint carries its manifest; "auto" may
        # resolve to either quantisation, so either will do.
        quantizations = ["int8", None] if compute_type == "auto" else [quantization_for(compute_type)]
        for quantization in quantizations:
            target = conversion_dir(
                Path(cache_dir) if cache_dir else default_cache_dir(), name, hub_revision(source, revision), source, quantization,
            )
            if _manifest_current(target) and (target / "model.bin").is_file():
                break
        else:
            return None
        manifest = json.loads((target / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    special = manifest["special"]
    return Checkpoint(
        source=manifest["source"],
        preset=PRESETS.get(manifest["preset"]) if manifest["preset"] else None,
        config=None,
        tokenizer=StandaloneTokenizer(target / "tokenizer.json", pad_token_id=special["pad"], eos_token_id=special["eos"], unk_token_id=special["unk"]),
        revision=manifest["revision"],
        model_type=manifest["model_type"],
        max_input_tokens=manifest["max_input_tokens"],
        prefix=manifest["prefix"],
        lang_tokens=manifest["lang_tokens"],
        generation_defaults=manifest["generation_defaults"],
        decoder_start_token_id=manifest.get("decoder_start_token_id"),
        forced_bos_token_id=manifest.get("forced_bos_token_id"),
        forced_eos_token_id=manifest.get("forced_eos_token_id"),
    )



def convert(ck: Checkpoint, cache_dir: Path, quantization: str | None) -> Path:
    """The conversion of ``ck`` at ``quantization`` in ``cache_dir``: made once (atomically), then reused."""
    target = conversion_dir(cache_dir, ck.name, ck.revision, ck.source, quantization)
    if (target / "model.bin").is_file():
        logger.debug("using converted model %s", target)
        if not _manifest_current(target):
            _write_manifest(ck, target)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    logger.info(
        "converting %s to CTranslate2 (%s), once: later runs reuse %s", ck.name, quantization or "float32", target
    )
    started = time.perf_counter()
    # Convert into a temporary sibling and rename: a half-written
    # conversion (a killed process) is never mistaken for a finished one.
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        with quiet_transformers():
            _converter(ck.source, revision=ck.revision if not Path(ck.source).is_dir() else None).convert(
                str(tmp / "model"), quantization=quantization, force=True
            )
        if ck.lang_tokens:
            # The start token is the target language's, passed per call as the prefix.
            config_path = tmp / "model" / "config.json"
            config = json.loads(config_path.read_text())
            config["decoder_start_token"] = None
            config_path.write_text(json.dumps(config, indent=2))
        _write_manifest(ck, tmp / "model")
        os.replace(tmp / "model", target)
        logger.info("converted %s in %.1f s", ck.name, time.perf_counter() - started)
    except OSError as exc:
        if (target / "model.bin").is_file():  # another process finished first
            return target
        raise ModelNotAvailableError(f"converting {ck.name!r} to CTranslate2 failed: {exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
