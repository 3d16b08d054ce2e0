"""The CTranslate2 backend: the same checkpoints, converted once, int8 or float32 on CPU.

A core dependency (``pip install ctranslate2`` if it is missing). The
checkpoint is converted with CTranslate2's own converter the first time it
is used and cached on disk, keyed by model, revision, quantisation and
CTranslate2 version, under
``cache_dir`` (default: ``$SUMMARIZE_CACHE``, else
``~/.cache/summarize``)/``ctranslate2``. Tokenisation, chunking, batching and
presets are the :class:`~summarize.Summarizer`'s, shared with the torch
backend; only generation differs.

Decoder start: CTranslate2 starts decoding with the converted model's
``decoder_start_token`` unless that is null, in which case the first token of
each ``target_prefix`` is the start. Cross-lingual checkpoints (CrossSum)
start with the target language's token, so their conversion gets a null
start token and every call passes its start token as the prefix: one loaded
model serves every target language, and a batch may mix them. mBART
conversions have a null start token too (CTranslate2's converter expects the
start as a prefix), and checkpoints that force a first token (BART-large-CNN
forces ``<s>``) get it as the prefix's next token, as transformers' forced-BOS
processor does.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Sequence

from ..checkpoints.loading import Checkpoint
from ..errors import InvalidOptionError, choices
from ..generation import GenerationSettings
from .conversion import convert, default_cache_dir, import_ctranslate2
from . import Backend
from .cpu import available_cpus, cpu_workers
from .precision import COMPUTE_TYPES, int8_library, quantization_for, resolve_compute_type

logger = logging.getLogger(__name__)


class CTranslate2Backend(Backend):
    """Generates with a CTranslate2 conversion of the checkpoint.

    Args:
        checkpoint: the loaded checkpoint (tokenizer and config).
        device: ``"auto"`` (CUDA if CTranslate2 sees a GPU, else CPU),
            ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
        dtype: must stay ``"auto"``: this backend's precision is ``compute_type``.
        compute_type: ``"auto"`` (on CPU int8 where oneMKL runs it, i.e.
            Intel, else float32; on CUDA float32 for T5-family and
            int8_float16 for others: see
            :func:`~summarize.backends.precision.resolve_compute_type`) or any
            CTranslate2 compute type.
        cache_dir: where converted models are kept.
        threads: CPU threads in all (0: ``OMP_NUM_THREADS`` if set, else
            every core this process may use). On a CPU they are spread over
            parallel workers, one batch each: see :func:`cpu_workers`.
        vocabulary: ``"full"``, ``"auto"`` or a number of pieces: see
            :mod:`summarize.backends.vocabulary`; a restriction is a vocabulary map
            (``vmap.txt``) beside the conversion, used with ``use_vmap``.
    """

    name = "ctranslate2"

    def __init__(
        self,
        checkpoint: Checkpoint,
        device: str = "auto",
        dtype: str = "auto",
        compute_type: str = "auto",
        cache_dir: str | os.PathLike | None = None,
        threads: int = 0,
        vocabulary: str | int = "full",
    ):
        ct2 = import_ctranslate2()
        if dtype != "auto":
            raise InvalidOptionError(
                f"dtype {dtype!r} does not apply to backend 'ctranslate2'; its precision is set "
                f"with compute_type ({choices(COMPUTE_TYPES)})"
            )
        self.device, self.device_index = _resolve_device(ct2, device)
        self.dtype = resolve_compute_type(
            compute_type, self.device, checkpoint.model_type, int8_library(ct2) if self.device == "cpu" else "mkl"
        )
        self.checkpoint = checkpoint
        self.tokenizer = checkpoint.tokenizer
        self.threads = threads or available_cpus()
        self.workers, intra = cpu_workers(self.threads) if self.device == "cpu" else (1, 1)
        self.quantization = quantization_for(self.dtype)
        self.model_dir = convert(checkpoint, Path(cache_dir) if cache_dir else default_cache_dir(), self.quantization)
        config = json.loads((self.model_dir / "config.json").read_text())
        self._start_in_model = config.get("decoder_start_token") is not None
        self.vocabulary = self._vocabulary(vocabulary)
        path = self.model_dir if self.vocabulary is None else self._vmap_dir(self.vocabulary)
        # Building a translator sets this thread's OpenMP thread count (torch's
        # too, when it shares the runtime): put back what the process had.
        torch = sys.modules.get("torch")
        saved = torch.get_num_threads() if torch else None
        self.translator = ct2.Translator(
            str(path), device=self.device, device_index=self.device_index,
            compute_type=self.dtype, inter_threads=self.workers, intra_threads=intra,
        )
        if torch and torch.get_num_threads() != saved:
            torch.set_num_threads(saved)

    def _vocabulary(self, vocabulary: str | int):
        from .vocabulary import for_checkpoint

        shared = self.model_dir / "shared_vocabulary.json"
        size = len(json.loads(shared.read_text())) if shared.is_file() else len(self.tokenizer)
        return for_checkpoint(self.checkpoint, vocabulary, size)

    def _vmap_dir(self, fixed) -> Path:
        """The conversion with a vocabulary map for ``fixed``: a sibling directory, the weights linked.

        Keyed by the list's digest: a map made for another list (or by a
        version whose maps grew with each batch's source) is never reused.
        """
        from .vocabulary import write_vmap

        target = self.model_dir.with_name(f"{self.model_dir.name}.vmap-{fixed.k}-{fixed.digest()}")
        if (target / "vmap.txt").is_file():
            return target
        tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
        for item in self.model_dir.iterdir():
            os.symlink(item.resolve(), tmp / item.name)
        write_vmap(tmp / "vmap.txt", self.tokenizer, fixed)
        try:
            os.replace(tmp, target)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)  # another process made it first
        return target

    # -- generation ----------------------------------------------------------

    def submit(
        self,
        batch: Sequence[Sequence[int]],
        settings: GenerationSettings,
        start_tokens: Sequence[int | None],
        n_best: int = 1,
    ) -> Callable[[], list[Any]]:
        """Queue one batch for the next free worker; call the result to wait for its output.

        Waiting raises the batch's error, if it failed.
        """
        source = [self.tokenizer.convert_ids_to_tokens(list(ids)) for ids in batch]
        prefixes: list[list[str]] = [[] for _ in source]
        ck = self.checkpoint
        for prefix, start in zip(prefixes, start_tokens):
            forced = []
            if not self._start_in_model:
                forced.append(ck.decoder_start_token_id if start is None else start)
            elif start is not None and start != ck.decoder_start_token_id:
                raise InvalidOptionError(f"model {ck.name!r} cannot start decoding with token {start}: its conversion fixes the start token")
            if ck.forced_bos_token_id is not None:
                forced.append(ck.forced_bos_token_id)
            if self.vocabulary is not None:
                # A prefix token outside the list would join this batch's
                # candidates and change the list: refused, never silently.
                for token in forced:
                    self.vocabulary.position(token)
            prefix.extend(self.tokenizer.convert_ids_to_tokens(token) for token in forced)
        options = ct2_options(settings, forced_eos=ck.forced_eos_token_id is not None)
        if any(prefixes):
            # With a null start token the prefix's first token is the start: it is
            # neither counted in the lengths nor returned, as in transformers.
            options["target_prefix"] = prefixes
        if n_best > 1:
            options["num_hypotheses"] = n_best
        if self.vocabulary is not None:
            options["use_vmap"] = True
        # One job for the whole batch (max_batch_size): CTranslate2 would
        # otherwise re-cut it, and the scheduler has cut it already.
        pending = self.translator.translate_batch(source, max_batch_size=len(source), asynchronous=True, **options)
        to_ids = self.tokenizer.convert_tokens_to_ids

        def wait() -> list[Any]:
            return [[to_ids(h) for h in p.result().hypotheses] for p in pending]

        return wait


def ct2_options(settings: GenerationSettings, forced_eos: bool = False) -> dict[str, Any]:
    """The library's decoding settings as CTranslate2 ``translate_batch`` arguments.

    Lengths: CTranslate2 counts the end token in ``min``/``max_decoding_length``
    where transformers counts only new tokens before it; beam search stops when
    ``num_beams`` hypotheses are finished, as transformers' ``early_stopping``.

    ``forced_eos``: the checkpoint forces its end token as the last one
    (``forced_eos_token_id``: BART-large-CNN, the Gazeta mBART), which
    transformers does at the length limit and CTranslate2 does not know:
    a summary then has at most ``max_new_tokens - 1`` tokens before the end,
    on both backends.

    >>> ct2_options(GenerationSettings(max_new_tokens=6, min_new_tokens=6), forced_eos=True)["max_decoding_length"]
    5
    """
    longest = max(1, settings.max_new_tokens - 1) if forced_eos else settings.max_new_tokens
    options: dict[str, Any] = {
        "beam_size": settings.num_beams,
        "max_decoding_length": longest,
        "min_decoding_length": min(settings.min_new_tokens, longest),
        "no_repeat_ngram_size": settings.no_repeat_ngram_size,
        "length_penalty": settings.length_penalty,
        "return_end_token": False,
    }
    if settings.do_sample:
        options.update(
            sampling_topk=settings.top_k or 0,
            sampling_topp=settings.top_p,
            sampling_temperature=settings.temperature,
        )
    return options


def _resolve_device(ct2: Any, device: str) -> tuple[str, int]:
    from . import resolve_device

    return resolve_device(device, backend="ctranslate2", cuda_devices=ct2.get_cuda_device_count())
