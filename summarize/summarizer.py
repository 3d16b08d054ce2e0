"""The :class:`Summarizer`: load once, summarise many texts.

This module orchestrates; the pieces live elsewhere: the options in
:mod:`.options`, presets and the language policy in :mod:`.presets`, checkpoint loading in
:mod:`.checkpoints`, generation in :mod:`.backends`, the batch scheduler in
:mod:`.batching`, long input (windows and map-reduce) in :mod:`.long_input`,
extractive methods in :mod:`.extractive`, languages in :mod:`.languages`,
turning generated ids into a checked :class:`Summary` in :mod:`.hypotheses`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, overload

from .decoding import refuse_lone_surrogates
from .errors import InvalidInputError, InvalidOptionError, ModelNotAvailableError, SummarizeError, choices, with_index
from .extractive import METHODS
from .options import MAX_INPUT_CHARS, METHOD_NAMES, OPTION_NAMES, SummarizerOptions, check_options  # noqa: F401 - re-exported
from .generation import GenerationLimits, GenerationSettings, resolve_settings, validate_options
from .languages import LANGUAGES, detect_language, get_language, split_sentences, split_title
from .languages.identify import check_declared_language
from .long_input import LONG_INPUT_MODES, LongInputJob, MapReduce, TruncationWarning  # noqa: F401 - re-exported, where it was
from .presets import DEFAULT_PRESET, check_languages
from .hypotheses import choose_hypothesis, summary_from_job  # noqa: F401 - choose_hypothesis re-exported
from .summary import Summary

logger = logging.getLogger(__name__)

ERROR_MODES = ("raise", "return")

@dataclass
class _Doc:
    index: int
    text: str
    source: str
    target: str
    detected: bool
    title: str | None = None


class Summarizer:
    """Summarises English, Ukrainian and Russian text with one loaded model.

    Args:
        model: a preset name (``"xlsum"``, ``"crosssum"``, ``"bart-cnn"``,
            ``"gazeta"``), a Hugging Face hub id, or a local checkpoint directory.
        method: ``"abstractive"`` (the model), or ``"lead"`` / ``"textrank"``
            (extractive, no model loaded).
        device: ``"auto"`` (CUDA, then MPS, then CPU), ``"cpu"``, ``"cuda"``,
            ``"cuda:N"`` or ``"mps"``.
        dtype: ``"auto"`` (bf16 on CUDA where supported, else fp32),
            ``"float32"``, ``"bfloat16"``, ``"float16"`` (refused for T5/mT5).
        backend: ``"auto"`` (default: CTranslate2 where it is installed and
            no torch-only option is given, else torch), ``"torch"`` or
            ``"ctranslate2"``; see :data:`summarize.backends.BACKENDS`.
        batch_size: documents (or windows) generated together; on a CPU
            with several cores the CTranslate2 backend splits them into
            parallel batches, one per worker.
        threads: CPU threads (0, the default: ``OMP_NUM_THREADS`` if set,
            else every core this process may use for CTranslate2's parallel
            workers, and every core but one for torch, whose operations wait
            for their slowest thread on a busy machine).
        long_input: ``"chunk"`` (map-reduce over windows) or ``"truncate"``.
        max_depth: most summarise-the-summaries levels for long input.
        sentences: sentences an extractive summary has.
        revision: hub revision (branch, tag or commit) of the model.
        max_input_chars: longest document accepted, in characters.
        compute_type: precision of the ``"ctranslate2"`` backend (``"auto"``:
            int8 on CPU).
        cache_dir: where the ``"ctranslate2"`` backend keeps converted models.
        faithfulness: ``"check"`` (default: every abstractive summary's
            numbers, dates and names are checked against its document, see
            :func:`summarize.check_faithfulness`), ``"rerank"`` (also: of the
            beam's hypotheses, return the one with the fewest unsupported
            facts, ties going to the model's order) or ``"off"``.
        vocabulary: ``"auto"`` (default: the output vocabulary restricted to
            the served languages' scripts (one list per loaded model) for
            checkpoints of 100,000 pieces or more, mT5's 250,112; see
            :mod:`summarize.vocabulary`), ``"full"``, or the number of script
            pieces to keep.
        **generation_options: default decoding settings, see
            :class:`~summarize.generation.GenerationSettings`.

    Example:
        >>> lead = Summarizer(method="lead", sentences=1)
        >>> lead.summarize("Уряд ухвалив бюджет. Депутати його підтримали.").text
        'Уряд ухвалив бюджет.'
    """

    def __init__(
        self,
        model: str = DEFAULT_PRESET,
        *,
        method: str = "abstractive",
        device: str = "auto",
        dtype: str = "auto",
        backend: str = "auto",
        batch_size: int = 8,
        long_input: str = "chunk",
        max_depth: int = 3,
        sentences: int = 3,
        revision: str | None = None,
        max_input_chars: int = MAX_INPUT_CHARS,
        compute_type: str = "auto",
        cache_dir: str | None = None,
        faithfulness: str = "check",
        vocabulary: str | int = "auto",
        threads: int = 0,
        **generation_options: Any,
    ):
        self.options = SummarizerOptions(
            model=model, method=method, device=device, dtype=dtype, backend=backend, batch_size=batch_size,
            long_input=long_input, max_depth=max_depth, sentences=sentences, revision=revision,
            max_input_chars=max_input_chars, compute_type=compute_type, cache_dir=cache_dir,
            faithfulness=faithfulness, vocabulary=vocabulary, threads=threads,
        )
        user_options = validate_options(generation_options)
        self.faithfulness = faithfulness
        self.method = method
        self.batch_size = batch_size
        self.long_input = long_input
        self.max_depth = max_depth
        self.sentences = sentences
        self.max_input_chars = max_input_chars
        self.checkpoint = None
        self.backend = None
        self.settings = GenerationSettings().replace(**user_options)
        if method != "abstractive":
            return

        from .backends import create_backend, resolve_backend
        from .checkpoints import load_checkpoint

        requested = backend
        backend = resolve_backend(backend, device=device, dtype=dtype)
        backend_options: dict[str, Any] = {"device": device, "dtype": dtype, "vocabulary": vocabulary, "threads": threads}
        if backend == "ctranslate2":
            backend_options.update(compute_type=compute_type, cache_dir=cache_dir)
        elif compute_type != "auto" or cache_dir is not None:
            raise InvalidOptionError(
                f"compute_type and cache_dir apply to backend='ctranslate2', not {backend!r}"
            )
        self.checkpoint = None
        if backend == "ctranslate2":
            # A model converted before needs neither transformers nor torch.
            from .backends.conversion import cached_checkpoint

            self.checkpoint = cached_checkpoint(model, revision, compute_type, cache_dir)
        self.checkpoint = self.checkpoint or load_checkpoint(model, revision=revision)
        try:
            self.backend = create_backend(backend, self.checkpoint, **backend_options)
        except ModelNotAvailableError as exc:
            if requested != "auto" or backend == "torch":
                raise
            # The fast path is a default, not a requirement: a checkpoint
            # CTranslate2 cannot convert runs on torch.
            logger.warning("%s; using the torch backend", exc)
            if self.checkpoint.config is None:
                self.checkpoint = load_checkpoint(model, revision=revision)
            backend_options = {"device": device, "dtype": dtype, "vocabulary": vocabulary, "threads": threads}
            self.backend = create_backend("torch", self.checkpoint, **backend_options)
        self.settings = resolve_settings(self.checkpoint, user_options)
        self._budget = self._window_budget()

    def _window_budget(self) -> int:
        """Tokens a window's text may have: the model's input less special tokens and the prefix."""
        tok = self.checkpoint.tokenizer
        special = len(tok("", add_special_tokens=True, verbose=False).input_ids)
        prefix = len(tok(self.checkpoint.prefix, add_special_tokens=False).input_ids) if self.checkpoint.prefix else 0
        return max(8, self.checkpoint.max_input_tokens - special - prefix)

    def __call__(self, inputs: str | list[str], *, max_length: int | None = None, min_length: int | None = None,
                 return_text: bool = True, **options: Any) -> list[dict[str, str]]:
        """transformers 4's summarization call on this summarizer: ``[{"summary_text": ...}]``, one a text.

        ``max_length`` and ``min_length`` count the decoder's start token, as
        in transformers 4; other options are :meth:`summarize`'s. The
        summarizer's own settings (a preset's) stay the defaults; for
        transformers 4's defaults as well, use :func:`summarize.pipeline`.

        >>> Summarizer(method="lead", sentences=1)("Ціни зросли. Уряд мовчить.")
        [{'summary_text': 'Ціни зросли.'}]
        """
        if max_length is not None:
            options["max_new_tokens"] = max(1, max_length - 1)
        if min_length is not None:
            options["min_new_tokens"] = min(max(0, min_length - 1), options.get("max_new_tokens", 1 << 30))
        results = self.summarize([inputs] if isinstance(inputs, str) else inputs, **options)
        return [{"summary_text": r.text} if return_text else {} for r in results]

    def __repr__(self) -> str:
        if self.checkpoint is None:
            return f"Summarizer(method={self.method!r}, sentences={self.sentences})"
        return (
            f"Summarizer(model={self.checkpoint.name!r}, backend={self.backend.name!r}, "
            f"device={self.backend.device!r}, dtype={self.backend.dtype!r})"
        )

    @property
    def languages(self) -> tuple[str, ...]:
        """Source languages this summarizer serves."""
        preset = self.checkpoint.preset if self.checkpoint else None
        return preset.languages if preset else tuple(LANGUAGES)

    @property
    def summary_languages(self) -> tuple[str, ...]:
        """Languages this summarizer can write a summary in: a cross-lingual model's language tokens, else its sources'.

        >>> Summarizer(method="lead").summary_languages
        ('en', 'uk', 'ru')
        """
        ck = self.checkpoint
        if ck is not None and ck.lang_tokens:
            return tuple(code for code in LANGUAGES if code in ck.lang_tokens)
        return self.languages

    @overload
    def summarize(self, texts: str, *, lang: str = ..., target_lang: str | None = ..., errors: str = ..., **options: Any) -> Summary: ...
    @overload
    def summarize(self, texts: Iterable[str], *, lang: str = ..., target_lang: str | None = ..., errors: str = ..., **options: Any) -> list[Summary]: ...

    def summarize(self, texts, *, lang="auto", target_lang=None, errors="raise", **options):
        """Summarise one text (returns a :class:`Summary`) or many (a list, in order).

        Args:
            texts: a string, or an iterable of strings.
            lang: language of the input: ``"auto"`` (detect each text),
                ``"en"``, ``"uk"`` or ``"ru"``.
            target_lang: language of the summary; ``None`` means the input's.
            errors: ``"raise"`` (default) raises on the first bad text;
                ``"return"`` puts the exception in that text's place in the
                list and summarises the others.
            **options: decoding settings for this call (``num_beams=1``...).

        Raises:
            InvalidInputError: a text is empty, not a string, or too long.
            UnsupportedLanguageError: a language the model does not serve.
            InvalidOptionError: an unknown option or a value out of range.
        """
        settings = self.check_call(lang=lang, target_lang=target_lang, errors=errors, **options)
        single = isinstance(texts, str)
        if single:
            items: Sequence[Any] = [texts]
        elif isinstance(texts, Iterable) and not isinstance(texts, (bytes, dict)):
            items = list(texts)
        else:
            raise InvalidInputError(f"texts must be a str or a list of str, got {type(texts).__name__}")

        results: list[Summary | BaseException | None] = [None] * len(items)
        docs: list[_Doc] = []
        for i, text in enumerate(items):
            try:
                docs.append(self._prepare(i, text, lang, target_lang))
            except SummarizeError as exc:
                if errors == "raise":
                    raise (exc if single else with_index(exc, i)) from None
                results[i] = exc
            except Exception as exc:  # noqa: BLE001 - one document's failure is its own
                if errors == "raise":
                    raise
                logger.exception("text %d could not be prepared", i)
                results[i] = exc
        if self.method == "abstractive":
            outputs = self._abstractive(docs, settings)
        else:
            outputs = [_own_failure(self._extractive, doc) for doc in docs]
        for doc, out in zip(docs, outputs):
            if isinstance(out, BaseException) and errors == "raise":
                raise (with_index(out, doc.index) if isinstance(out, SummarizeError) and not single else out)
            results[doc.index] = out
        return results[0] if single else results

    def check_call(
        self, *, lang: str = "auto", target_lang: str | None = None, errors: str = "raise",
        limits: GenerationLimits | None = None, **options: Any,
    ) -> GenerationSettings:
        """Check one call's options against this summarizer before any work; return the settings it decodes with.

        The one check of a call: :meth:`summarize` runs it, and so does the
        service before it queues a request, so a bad value gets the same
        error through every door.

        Args:
            lang, target_lang, errors, **options: as for :meth:`summarize`.
            limits: ceilings on the decoding settings (a service's).

        Raises:
            InvalidOptionError: an unknown option, a value out of range or over
                ``limits``, or decoding options for an extractive method.
            UnsupportedLanguageError: a language the model does not serve.

        >>> Summarizer(method="lead").check_call(num_beams=2)
        Traceback (most recent call last):
        ...
        summarize.errors.InvalidOptionError: generation options (num_beams) apply to method='abstractive' only, not 'lead'
        """
        if errors not in ERROR_MODES:
            raise InvalidOptionError(f"errors must be {choices(ERROR_MODES)}, got {errors!r}")
        if lang != "auto":
            get_language(lang)
        if target_lang is not None:
            get_language(target_lang)
        if options and self.method != "abstractive":
            raise InvalidOptionError(
                f"generation options ({', '.join(options)}) apply to method='abstractive' only, "
                f"not {self.method!r}"
            )
        settings = self.settings.replace(**options) if options else self.settings
        if limits is not None:
            limits.check(settings)
        if lang != "auto":
            self._check_languages(lang, target_lang or lang)
        return settings

    # -- preparing documents -------------------------------------------------

    def _prepare(self, index: int, text: Any, lang: str, target_lang: str | None) -> _Doc:
        if not isinstance(text, str):
            raise InvalidInputError(f"expected text (str), got {type(text).__name__}")
        stripped = text.strip()
        if not stripped:
            raise InvalidInputError("the text is empty or only white space: nothing to summarise")
        refuse_lone_surrogates(stripped)
        if len(stripped) > self.max_input_chars:
            raise InvalidInputError(
                f"the text has {len(stripped):,} characters, more than max_input_chars="
                f"{self.max_input_chars:,}; split it into documents, or raise the limit"
            )
        detected = lang == "auto"
        if not detected:
            check_declared_language(stripped, lang)
        source = detect_language(stripped) if detected else lang
        target = target_lang or source
        self._check_languages(source, target)
        return _Doc(index, stripped, source, target, detected, split_title(stripped)[0])

    def _check_languages(self, source: str, target: str) -> None:
        ck = self.checkpoint
        check_languages(
            source, target, method=self.method, model=ck.name if ck else None,
            preset=ck.preset if ck else None, lang_tokens=ck.lang_tokens if ck else None,
        )

    # -- extractive ----------------------------------------------------------

    def _extractive(self, doc: _Doc) -> Summary:
        start = time.perf_counter()
        sentences = split_sentences(split_title(doc.text)[1])  # a headline is not a sentence to pick
        chosen = METHODS[self.method](sentences, doc.source, self.sentences)
        return Summary(
            text=" ".join(sentences[i] for i in chosen),
            source_lang=doc.source,
            target_lang=doc.target,
            lang_detected=doc.detected,
            method=self.method,
            title=doc.title,
            seconds=time.perf_counter() - start,
        )

    # -- abstractive ---------------------------------------------------------

    def _encode(self, text: str) -> list[int]:
        tok = self.checkpoint.tokenizer
        return tok(self.checkpoint.prefix + text, add_special_tokens=True, verbose=False).input_ids

    def _count_tokens(self, parts: Sequence[str]) -> list[int]:
        tok = self.checkpoint.tokenizer
        return [len(ids) for ids in tok(list(parts), add_special_tokens=False, verbose=False).input_ids]

    def _abstractive(self, docs: list[_Doc], settings: GenerationSettings) -> list[Summary | BaseException]:
        n_best = settings.num_beams if self.faithfulness == "rerank" and settings.num_beams > 1 else 1
        return [_own_failure(self._result, job) for job in self._run_jobs(docs, settings, n_best)]

    def _run_jobs(self, docs: Sequence[Any], settings: GenerationSettings, n_best: int = 1, *,
                  long_input: str | None = None, batch_size: int | None = None) -> list[LongInputJob]:
        """Every document through the model, long ones window by window: one finished job each (output or error)."""
        from .batching import generate_batched

        tok = self.checkpoint.tokenizer
        size = batch_size or self.batch_size
        map_reduce = MapReduce(
            mode=long_input or self.long_input,
            max_depth=self.max_depth,
            limit=self.checkpoint.max_input_tokens,
            budget=self._budget,
            encode=self._encode,
            count_tokens=self._count_tokens,
            decode=lambda ids: tok.decode(ids, skip_special_tokens=True),
            start_token=self.checkpoint.lang_tokens.get,
            n_best=n_best,
        )
        return map_reduce.run(docs, lambda requests: generate_batched(self.backend, requests, settings, size))

    def _result(self, job: LongInputJob) -> Summary | BaseException:
        return summary_from_job(job, self.checkpoint, self.backend, self.faithfulness)


def _own_failure(step: Any, item: Any) -> Any:
    """``step(item)``, or the exception it raised: one document's failure is that document's result."""
    try:
        return step(item)
    except Exception as exc:  # noqa: BLE001 - reported per document
        if not isinstance(exc, SummarizeError):
            logger.exception("one document failed")
        return exc



@lru_cache(maxsize=2)
def _cached(options: SummarizerOptions) -> Summarizer:
    return Summarizer(**options.as_dict())


def summarize(
    text: str | Iterable[str],
    *,
    model: str = DEFAULT_PRESET,
    method: str = "abstractive",
    device: str = "auto",
    lang: str = "auto",
    target_lang: str | None = None,
    errors: str = "raise",
    **options: Any,
) -> Summary | list[Summary]:
    """Summarise with a cached :class:`Summarizer` (built on first use).

    ``options`` are :class:`Summarizer` options (``backend``, ``batch_size``...;
    a new combination builds a new one, and the last two are kept) and
    decoding settings for this call (``num_beams``...).

    >>> summarize("Уряд ухвалив бюджет. Депутати його підтримали.", method="lead").text
    'Уряд ухвалив бюджет. Депутати його підтримали.'
    >>> [type(r).__name__ for r in summarize(["Уряд ухвалив бюджет.", "  "], method="lead", errors="return")]
    ['Summary', 'InvalidInputError']
    """
    built, call = SummarizerOptions.split({"model": model, "method": method, "device": device, **options})
    return _cached(built).summarize(text, lang=lang, target_lang=target_lang, errors=errors, **call)
