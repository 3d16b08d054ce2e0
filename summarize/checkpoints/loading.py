"""Load a seq2seq checkpoint's configuration and tokenizer, with clear errors.

The weights are loaded by the backend (:mod:`summarize.backends`), which may
convert them; everything both backends share (tokenizer, config, languages,
prefix, decoding defaults) is read here once.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import ModelNotAvailableError
from ..generation import settings_from_checkpoint
from ..languages import LANGUAGES
from ..presets import PRESETS, Preset, check_model_name
from .quiet import quiet_transformers

logger = logging.getLogger(__name__)

# model_type values of encoder-decoder text models this library drives.
SEQ2SEQ_TYPES = ("bart", "mbart", "t5", "mt5", "umt5", "longt5", "pegasus", "pegasus_x", "led")
# T5-family models produce NaN in float16 (activations overflow its range).
NO_FP16_TYPES = ("t5", "mt5", "umt5", "longt5")


@dataclass
class Checkpoint:
    """What the library knows about a loaded checkpoint.

    Attributes:
        source: the hub id or local directory given.
        preset: the preset it came from, if any.
        config: the transformers config.
        tokenizer: the transformers tokenizer.
        revision: the hub commit hash, or ``None`` for a local directory.
        model_type: ``config.model_type`` (``"mt5"``, ``"bart"``...).
        max_input_tokens: input length the model takes.
        prefix: text put before every input (``"summarize: "`` for T5).
        lang_tokens: for cross-lingual checkpoints, language code -> the
            token id that starts a summary in that language.
        generation_defaults: decoding settings the checkpoint's own
            generation_config sets.
        decoder_start_token_id: the token the decoder starts with.
        forced_bos_token_id: a token forced as the first generated one
            (BART-large-CNN forces ``<s>``), or ``None``.
        forced_eos_token_id: the token forced as the last one when a
            summary reaches its length limit (BART-large-CNN and the Gazeta
            mBART force ``</s>``), or ``None``.
        local_files_only: read the weights from the cache only (offline).
    """

    source: str
    preset: Preset | None
    config: Any
    tokenizer: Any
    revision: str | None
    model_type: str
    max_input_tokens: int
    prefix: str
    lang_tokens: dict[str, int]
    generation_defaults: dict[str, Any]
    decoder_start_token_id: int | None = None
    forced_bos_token_id: int | None = None
    forced_eos_token_id: int | None = None
    local_files_only: bool = False

    @property
    def name(self) -> str:
        """The name to report: the preset's hub id, or the source given."""
        return self.preset.model_id if self.preset else self.source


def resolve_model(model: str) -> tuple[Preset | None, str]:
    """Map ``model=`` to ``(preset or None, hub id or directory)``.

    >>> resolve_model("xlsum")[1]
    'csebuetnlp/mT5_multilingual_XLSum'
    >>> resolve_model("org/some-model")
    (None, 'org/some-model')
    """
    check_model_name(model)
    if model in PRESETS:
        return PRESETS[model], PRESETS[model].model_id
    if "/" not in model and not Path(model).expanduser().exists():
        # A hub id is org/name; a bare name is a preset, mistyped ("xlsun", "XLSum", "cross-sum").
        keys = {_preset_key(name): name for name in PRESETS}
        close = difflib.get_close_matches(_preset_key(model), keys, n=1, cutoff=0.6)
        hint = f"did you mean {keys[close[0]]!r}? " if close else ""
        raise ModelNotAvailableError(
            f"unknown preset {model!r}; {hint}presets are {', '.join(PRESETS)}; a hub id has the form "
            "org/name, and a checkpoint directory must exist"
        )
    return None, model


def _preset_key(name: str) -> str:
    return name.lower().replace("-", "").replace("_", "")


_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def hub_revision(source: str, revision: str | None) -> str | None:
    """The revision to report: ``None`` for a directory, else the cached commit."""
    return None if Path(source).expanduser().is_dir() else _cached_commit(source, revision)


def _looks_like_hub_id(source: str) -> bool:
    return bool(_HUB_ID.match(source)) and ".." not in source


def _not_available(source: str, reason: str) -> ModelNotAvailableError:
    return ModelNotAvailableError(
        f"model {source!r} is not available: {reason}. Download it once on a machine "
        "with network access (the Hugging Face cache keeps it; set HF_HOME to choose "
        "where, and HF_HUB_OFFLINE=1 to use only the cache), pass a local checkpoint "
        "directory (model='/path/to/checkpoint'), or use an extractive method "
        "(method='lead'/'textrank'), which needs no model"
    )


HUB_CHECK_SECONDS = 3.0


@lru_cache(maxsize=1)
def hub_reachable() -> bool:
    """One quick connection to the hub (a few seconds at most), instead of minutes of retries."""
    import socket
    from urllib.parse import urlparse

    endpoint = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    try:
        with socket.create_connection((endpoint.hostname or "huggingface.co", endpoint.port or 443), timeout=HUB_CHECK_SECONDS):
            return True
    except OSError:
        return False


def offline_mode() -> bool:
    """Whether HF_HUB_OFFLINE asks for the cache only (read at call time, not at import)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _hub_access(source: str, revision: str | None) -> bool:
    """Whether to read ``source`` from the cache only: raises at once if it is neither cached nor reachable."""
    if offline_mode():
        return True
    if hub_reachable():
        return False
    from huggingface_hub import try_to_load_from_cache

    if isinstance(try_to_load_from_cache(source, "config.json", revision=revision), str):
        logger.info("the Hugging Face hub cannot be reached; using the cached %s", source)
        return True
    raise _not_available(source, "it is not in the local cache and the Hugging Face hub cannot be reached")


@quiet_transformers()
def load_checkpoint(model: str, revision: str | None = None) -> Checkpoint:
    """Load the config and tokenizer of a preset, hub id or local directory.

    Raises:
        ModelNotAvailableError: not found locally or in the cache and the hub
            cannot be reached; not a checkpoint; not a seq2seq model.
    """
    preset, source = resolve_model(model)
    local = Path(source).expanduser()
    if local.is_dir():
        if not (local / "config.json").is_file():
            raise ModelNotAvailableError(
                f"directory {str(local)!r} is not a Hugging Face checkpoint: it has no "
                "config.json (expected config.json, the weights and the tokenizer files, "
                "as written by save_pretrained)"
            )
        source = str(local)
    elif preset is None and not _looks_like_hub_id(source):
        raise ModelNotAvailableError(
            f"model {source!r} is neither a preset ({', '.join(PRESETS)}) nor an existing "
            "directory, and does not look like a hub id ('organisation/name')"
        )

    local_only = False if local.is_dir() else _hub_access(source, revision)
    from transformers import AutoConfig, AutoTokenizer, GenerationConfig

    try:
        config = AutoConfig.from_pretrained(source, revision=revision, local_files_only=local_only)
    except OSError as exc:
        raise _not_available(source, _first_line(exc)) from exc
    except (ValueError, KeyError) as exc:
        raise ModelNotAvailableError(
            f"model {source!r} has a config that transformers cannot read: {_first_line(exc)}"
        ) from exc
    model_type = getattr(config, "model_type", "")
    if not getattr(config, "is_encoder_decoder", False) or model_type not in SEQ2SEQ_TYPES:
        raise ModelNotAvailableError(
            f"model {source!r} is a {model_type!r} model, not a sequence-to-sequence text "
            f"model; summarisation needs one of these types: {', '.join(SEQ2SEQ_TYPES)}"
        )
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, revision=revision, local_files_only=local_only)
    except (OSError, ValueError, ImportError) as exc:
        raise ModelNotAvailableError(
            f"the tokenizer of model {source!r} could not be loaded: {_first_line(exc)}"
        ) from exc
    try:
        generation_config = GenerationConfig.from_pretrained(source, revision=revision, local_files_only=local_only)
    except OSError:
        generation_config = None

    params = getattr(config, "task_specific_params", None) or {}
    prefix = (params.get("summarization") or {}).get("prefix", "") if model_type == "t5" else ""
    lang_tokens = _lang_tokens(params, tokenizer, source)
    max_input = _max_input_tokens(preset, config, tokenizer)
    return Checkpoint(
        source=source,
        preset=preset,
        config=config,
        tokenizer=tokenizer,
        revision=hub_revision(source, revision),
        model_type=model_type,
        max_input_tokens=max_input,
        prefix=prefix,
        lang_tokens=lang_tokens,
        generation_defaults=settings_from_checkpoint(generation_config),
        decoder_start_token_id=_token_setting("decoder_start_token_id", generation_config, config),
        forced_bos_token_id=_token_setting("forced_bos_token_id", generation_config, config),
        # transformers 5 reads it from the generation config alone (made from
        # the model's config when the checkpoint has none), as the torch backend does.
        forced_eos_token_id=_token_setting("forced_eos_token_id", generation_config or GenerationConfig.from_model_config(config), None),
        local_files_only=local_only,
    )


def _token_setting(name: str, generation_config: Any, config: Any) -> int | None:
    """A token id from the generation config (where transformers 5 reads it), else the model config."""
    for source in (generation_config, config):
        value = getattr(source, name, None) if source is not None else None
        if isinstance(value, int):
            return value
    return None


def _lang_tokens(params: dict, tokenizer: Any, source: str) -> dict[str, int]:
    """Read ``langid_map`` (language name -> [index, token]) into code -> token id.

    Cross-lingual checkpoints (CrossSum) pick the summary language with the
    decoder's first token; the checkpoint says which token means which language.
    """
    langid_map = params.get("langid_map") or {}
    found: dict[str, int] = {}
    for code, language in LANGUAGES.items():
        entry = langid_map.get(language.name)
        if not entry:
            continue
        token = entry[1] if isinstance(entry, (list, tuple)) else entry
        token_id = tokenizer.convert_tokens_to_ids(token)
        if token_id is None or token_id == tokenizer.unk_token_id:
            raise ModelNotAvailableError(
                f"model {source!r}: langid_map names token {token!r} for {language.name}, "
                "but the tokenizer has no such token"
            )
        found[code] = int(token_id)
    return found


def _max_input_tokens(preset: Preset | None, config: Any, tokenizer: Any) -> int:
    if preset is not None:
        return preset.max_input_tokens
    candidates = [
        getattr(config, "max_position_embeddings", None),
        getattr(config, "n_positions", None),
        getattr(tokenizer, "model_max_length", None),
    ]
    # T5 has relative positions (no limit in the config); 512 is what it was trained on.
    sane = [c for c in candidates if isinstance(c, int) and 0 < c < 100_000]
    return min(sane) if sane else 512


def _cached_commit(repo_id: str, revision: str | None) -> str | None:
    """The commit hash of the cached snapshot that was loaded (for reports)."""
    from huggingface_hub import try_to_load_from_cache

    path = try_to_load_from_cache(repo_id, "config.json", revision=revision)
    if isinstance(path, str) and "/snapshots/" in path.replace(os.sep, "/"):
        return Path(path).parent.name
    return revision


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0].rstrip(".") if text else type(exc).__name__
