"""The PyTorch backend: transformers' ``generate`` on CPU, CUDA or MPS."""

from __future__ import annotations

import copy
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

import torch

from ..errors import InvalidOptionError, ModelNotAvailableError, choices
from ..generation import GenerationSettings
from ..checkpoints.loading import Checkpoint
from ..checkpoints.quiet import quiet_transformers
from . import Backend, finished
from .cpu import default_torch_threads
from .precision import refuse_half_precision

logger = logging.getLogger(__name__)

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def resolve_device(device: str) -> str:
    """The torch device for ``device`` by the backends' one rule (:func:`summarize.backends.resolve_device`).

    >>> resolve_device("cpu")
    'cpu'
    """
    from . import resolve_device as resolve

    mps = getattr(torch.backends, "mps", None)
    kind, _ = resolve(device, backend="torch", cuda_devices=torch.cuda.device_count() if torch.cuda.is_available() else 0,
                      mps=bool(mps is not None and mps.is_available()))
    return kind if device == "auto" else device


def resolve_dtype(dtype: str, device: str, model_type: str) -> str:
    """``"auto"``: bf16 on CUDA where supported, fp32 elsewhere; never fp16 for T5.

    >>> resolve_dtype("auto", "cpu", "mt5")
    'float32'
    """
    if dtype == "auto":
        if device.startswith("cuda") and torch.cuda.is_bf16_supported():
            return "bfloat16"
        return "float32"
    if dtype not in DTYPES:
        raise InvalidOptionError(f"unknown dtype {dtype!r}; valid dtypes are {choices(['auto', *DTYPES])}")
    refuse_half_precision(model_type, "dtype", dtype, instead="'bfloat16' or 'float32'")
    return dtype


class TorchBackend(Backend):
    """Runs a transformers seq2seq model.

    Args:
        checkpoint: the loaded checkpoint (tokenizer and config).
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``.
        dtype: ``"auto"``, ``"float32"``, ``"bfloat16"`` or ``"float16"``.
        threads: CPU threads (0: ``OMP_NUM_THREADS`` if set, else every core
            but one: see :func:`~summarize.backends.cpu.default_torch_threads`).
            torch's thread count is the process's: the last backend built sets it.
    """

    name = "torch"

    def __init__(self, checkpoint: Checkpoint, device: str = "auto", dtype: str = "auto", vocabulary: str | int = "full", threads: int = 0, **unused: Any):
        if unused:
            raise InvalidOptionError(
                f"option(s) {', '.join(map(repr, unused))} do not apply to the torch backend"
            )
        from transformers import AutoModelForSeq2SeqLM

        self.device = resolve_device(device)
        self._lock = threading.Lock()
        # torch's thread count is process-wide: it is set for each call and put back after.
        self.threads = threads or (default_torch_threads() if self.device == "cpu" else 0)
        self.dtype = resolve_dtype(dtype, self.device, checkpoint.model_type)
        try:
            with quiet_transformers():
                model = AutoModelForSeq2SeqLM.from_pretrained(
                    checkpoint.source,
                    revision=checkpoint.revision,
                    dtype=DTYPES[self.dtype],
                    local_files_only=checkpoint.local_files_only,
                )
        except OSError as exc:
            raise ModelNotAvailableError(
                f"the weights of model {checkpoint.source!r} could not be loaded: {exc}"
            ) from exc
        self.model = model.to(self.device).eval()
        if self.model.config.is_encoder_decoder:
            # Consulted by transformers' beam search in place of the cache's own
            # reorder_cache (see _reorder_self_attention_only).
            self.model._reorder_cache = _reorder_self_attention_only
        self.pad_token_id = checkpoint.tokenizer.pad_token_id
        self.eos_token_id = checkpoint.tokenizer.eos_token_id
        # Lengths are always given as max/min_new_tokens; a max_length left in the
        # checkpoint's generation_config would clash with them (and warn).
        self.model.generation_config.max_length = None
        self.model.generation_config.min_length = None
        self._base_config = copy.deepcopy(self.model.generation_config)
        self.vocabulary = _restriction(checkpoint, self.model, vocabulary)
        if self.vocabulary is not None:
            # The list is the model's, not a batch's: the model is cut to it
            # once, and generation runs in candidate positions from then on.
            _cut_to_candidates(self.model, self._base_config, self.vocabulary, self.device)
        self.decoder_start = checkpoint.decoder_start_token_id
        if self.decoder_start is None:
            self.decoder_start = self.model.generation_config.decoder_start_token_id

    def submit(
        self,
        batch: Sequence[Sequence[int]],
        settings: GenerationSettings,
        start_tokens: Sequence[int | None],
        n_best: int = 1,
    ) -> Callable[[], list[Any]]:
        """Generate one batch now (see :meth:`~summarize.backends.Backend.submit`).

        Out of memory raises, and the scheduler retries in halves, as for
        every backend; the cache torch keeps is emptied first (:meth:`release_memory`).
        """
        # One generation at a time per model: torch's thread count is the process's, and two
        # callers (the service's lanes) would each take every core; they take turns, batch by batch.
        with self._lock, _torch_threads(self.threads):
            return finished(self._generate(batch, settings, start_tokens, n_best))

    def release_memory(self) -> None:
        """Give back the CUDA memory torch caches (before the scheduler retries a batch in halves)."""
        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()

    def _generate(
        self, batch: Sequence[Sequence[int]], settings: GenerationSettings, start_tokens: Sequence[int | None], n_best: int = 1
    ) -> list[Any]:
        longest = max(len(ids) for ids in batch)
        input_ids = torch.full((len(batch), longest), self.pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros((len(batch), longest), dtype=torch.long)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
            attention_mask[row, : len(ids)] = 1
        config = copy.deepcopy(self._base_config)
        config.update(**_generate_kwargs(settings))
        if n_best > 1:
            config.num_return_sequences = n_best
        # Each row starts with its own token (its target language on
        # cross-lingual checkpoints), so one batch may mix languages.
        # transformers takes one start token per row as a list.
        starts = [self.decoder_start if s is None else s for s in start_tokens]
        eos, fixed = self.eos_token_id, self.vocabulary
        if fixed is not None:
            starts = [fixed.position(s) for s in starts]
            eos = fixed.position(eos)
        with torch.inference_mode():
            config.decoder_start_token_id = starts[0] if len(set(starts)) == 1 else starts
            out = self.model.generate(
                input_ids=input_ids.to(self.device),
                attention_mask=attention_mask.to(self.device),
                generation_config=config,
            )
        # Column 0 is the decoder start token; what follows eos is padding.
        results = []
        for row in out[:, 1:].tolist():
            row = row[: row.index(eos)] if eos in row else row
            results.append(row if fixed is None else [fixed.ids[i] for i in row])
        return [results[i : i + n_best] for i in range(0, len(results), n_best)]


@contextlib.contextmanager
def _torch_threads(threads: int):
    """torch's thread count set to ``threads`` within the block (0: left alone), then put back."""
    if not threads or threads == torch.get_num_threads():
        yield
        return
    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


def _reorder_self_attention_only(cache: Any, beam_idx: torch.Tensor) -> Any:
    """Beam search's cache reordering, without copying the cross-attention state.

    Beam search never moves a hypothesis to another document, and every beam
    of a document holds the same cross-attention keys and values (computed
    from the same encoder output), so reordering them is a copy that changes
    nothing: for mT5-small with batches of 4, beam 4 and 512 input tokens,
    about 200 MB per decoding step, most of the torch backend's time.
    """
    self_attention = getattr(cache, "self_attention_cache", None)
    if self_attention is None or getattr(cache, "cross_attention_cache", None) is None:
        cache.reorder_cache(beam_idx)
    else:
        self_attention.reorder_cache(beam_idx)
    return cache


def _restriction(checkpoint: Checkpoint, model: Any, vocabulary: str | int):
    """The candidate list when the output vocabulary is restricted, else None."""
    from .vocabulary import for_checkpoint

    fixed = for_checkpoint(checkpoint, vocabulary, model.config.vocab_size)
    if fixed is None:
        return None
    embedding = model.get_decoder().get_input_embeddings()
    if not (type(embedding) is torch.nn.Embedding or hasattr(embedding, "embed_scale")):
        logger.warning("the vocabulary restriction does not know %s's embedding (%s); using the full vocabulary",
                       checkpoint.name, type(embedding).__name__)
        return None
    return fixed


def _cut_to_candidates(model: Any, config: Any, fixed: Any, device: str) -> None:
    """Keep only the candidates' rows of the output layer, the decoder's input embedding and the logits bias.

    Every token id the generation config names (end, pad, forced tokens) is
    translated to its candidate position first, so logits processors
    (no-repeat n-grams, minimum length) work unchanged; an id outside the
    list raises before anything is cut. The full rows are freed.
    """
    translated = {}
    for name in ("eos_token_id", "pad_token_id", "forced_bos_token_id", "forced_eos_token_id"):
        value = getattr(config, name, None)
        if isinstance(value, list):
            translated[name] = [fixed.position(v) for v in value]
        elif isinstance(value, int):
            translated[name] = fixed.position(value)
    rows = torch.tensor(fixed.ids, device=device)
    head = model.get_output_embeddings()
    # Built on the meta device (no random initialisation of rows that are
    # replaced at once), then given the candidate rows.
    sub_head = torch.nn.Linear(head.in_features, len(fixed.ids), bias=False, device="meta")
    sub_head.weight = torch.nn.Parameter(head.weight[rows], requires_grad=False)
    sub_embedding = _sub_embedding(model.get_decoder().get_input_embeddings(), rows, fixed)
    # BART, mBART and Pegasus add a bias to every logit: its candidate entries.
    bias = getattr(model, "final_logits_bias", None)
    model.set_output_embeddings(sub_head)
    model.get_decoder().set_input_embeddings(sub_embedding)
    if bias is not None:
        model.final_logits_bias = bias[:, rows]
    for name, value in translated.items():
        setattr(config, name, value)


def _sub_embedding(embedding: Any, rows: Any, fixed: Any) -> Any:
    """The candidate rows of a decoder's input embedding, of the same class.

    BART-family decoders scale their embeddings inside the module
    (``*ScaledWordEmbedding``'s ``embed_scale``), which a plain
    ``nn.Embedding`` would lose; the padding row moves to its candidate position.
    """
    padding_idx = getattr(embedding, "padding_idx", None)
    padding = fixed.position(padding_idx) if padding_idx is not None and padding_idx in fixed else None
    scale = {"embed_scale": embedding.embed_scale} if hasattr(embedding, "embed_scale") else {}
    with torch.device("meta"):  # no initialisation of rows replaced at once
        sub = type(embedding)(len(fixed.ids), embedding.embedding_dim, padding, **scale)
    sub.weight = torch.nn.Parameter(embedding.weight[rows], requires_grad=False)
    return sub


def _generate_kwargs(settings: GenerationSettings) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "num_beams": settings.num_beams,
        "max_new_tokens": settings.max_new_tokens,
        "min_new_tokens": settings.min_new_tokens,
        "no_repeat_ngram_size": settings.no_repeat_ngram_size,
        "length_penalty": settings.length_penalty,
        "do_sample": settings.do_sample,
    }
    if settings.do_sample:
        kwargs.update(temperature=settings.temperature, top_k=settings.top_k, top_p=settings.top_p)
    else:
        kwargs.update(temperature=None, top_k=None, top_p=None)
    return kwargs
