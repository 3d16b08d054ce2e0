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

from .inputs.decoding import refuse_lone_surrogates
from .errors import InvalidInputError, SummarizeError, with_index
from .extractive import METHODS
from .options import CallOptions, SummarizerOptions, check_call
from .generation import GenerationLimits, GenerationSettings, resolve_settings
from .languages import LANGUAGES, detect_language, split_sentences, split_title
from .languages.identify import check_declared_language
from .generation.long_input import DocumentInProgress, MapReduce
from .presets import DEFAULT_PRESET, check_languages
from .generation.hypotheses import summary_from_job
from .summary import Summary

logger = logging.getLogger(__name__)

@dataclass
class _Doc:
    index: int
    text: str
    source: str
    target: str
    detected: bool
    title: str | None = None
    name: str = ""  # how messages name it: the caller's name (a record's id), else "text 3"

    def __post_init__(self) -> None:
        if not self.name:
            self.name = f"text {self.index}"


class Summarizer:
    """Summarises English, Ukrainian and Russian text with one loaded model.

    The options are :class:`~summarize.options.SummarizerOptions` (their
    defaults and checks live there); a front end that holds one passes it
    whole: ``Summarizer(options)``, or ``Summarizer(options, batch_size=4)``
    to change some.

    Args:
        model: a preset name (``"xlsum"``, ``"crosssum"``, ``"bart-cnn"``,
            ``"gazeta"``), a Hugging Face hub id, or a local checkpoint
            directory; or a :class:`~summarize.options.SummarizerOptions`.
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
            :mod:`summarize.backends.vocabulary`), ``"full"``, or the number of script
            pieces to keep.
        **generation_options: default decoding settings, see
            :class:`~summarize.generation.GenerationSettings`.

    Example:
        >>> lead = Summarizer(method="lead", sentences=1)
        >>> lead.summarize("Уряд ухвалив бюджет. Депутати його підтримали.").text
        'Уряд ухвалив бюджет.'
    """

    def __init__(self, model: str | SummarizerOptions = DEFAULT_PRESET, **options: Any):
        if isinstance(model, SummarizerOptions):
            self.options = model.replace(**options) if options else model
        else:
            self.options = SummarizerOptions.of({"model": model, **options})
        self.checkpoint = None
        self.backend = None
        self.settings = GenerationSettings().replace(**dict(self.options.generation))
        if self.options.method != "abstractive":
            return

        from .backends import load_backend

        self.checkpoint, self.backend = load_backend(self.options)
        self.settings = resolve_settings(self.checkpoint, dict(self.options.generation))
        self._budget = self._window_budget()

    @property
    def method(self) -> str:
        """``"abstractive"``, ``"lead"`` or ``"textrank"`` (:attr:`options` holds every option)."""
        return self.options.method

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
            return f"Summarizer(method={self.method!r}, sentences={self.options.sentences})"
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
    def summarize(self, texts: str, *, lang: str = ..., target_lang: str | None = ..., errors: str = ...,
                  names: Sequence[str] | None = ..., **options: Any) -> Summary: ...
    @overload
    def summarize(self, texts: Iterable[str], *, lang: str = ..., target_lang: str | None = ..., errors: str = ...,
                  names: Sequence[str] | None = ..., **options: Any) -> list[Summary]: ...

    def summarize(self, texts, *, lang="auto", target_lang=None, errors="raise", names=None, **options):
        """Summarise one text (returns a :class:`Summary`) or many (a list, in order).

        Args:
            texts: a string, or an iterable of strings.
            lang: language of the input: ``"auto"`` (detect each text),
                ``"en"``, ``"uk"`` or ``"ru"``.
            target_lang: language of the summary; ``None`` means the input's.
            errors: ``"raise"`` (default) raises on the first bad text;
                ``"return"`` puts the exception in that text's place in the
                list and summarises the others.
            names: how warnings name each text (a record's id); by default
                ``"text N"``, N its position.
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
        if names is not None and len(names) != len(items):
            raise InvalidInputError(f"names has {len(names)} names for {len(items)} texts: give one a text")

        results: list[Summary | BaseException | None] = [None] * len(items)
        docs: list[_Doc] = []
        for i, text in enumerate(items):
            try:
                docs.append(self._prepare(i, text, lang, target_lang, names[i] if names is not None else None))
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

    def check_call(self, *, errors: str = "raise", limits: GenerationLimits | None = None, **options: Any) -> GenerationSettings:
        """Check one call's options against this summarizer before any work; return the settings it decodes with.

        :func:`summarize.options.check_call` with this summarizer's settings
        and languages: :meth:`summarize` runs it, and so does the service
        before it queues a request.

        Args:
            errors, **options: as for :meth:`summarize` (``lang``,
                ``target_lang``, decoding settings).
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
        return check_call(self.options, CallOptions.of(options), errors=errors, limits=limits, loaded=self)

    # -- preparing documents -------------------------------------------------

    def _prepare(self, index: int, text: Any, lang: str, target_lang: str | None, name: str | None = None) -> _Doc:
        stripped, source, target, detected = read_text(text, lang, target_lang, self.options.max_input_chars)
        self.check_languages(source, target)
        return _Doc(index, stripped, source, target, detected, split_title(stripped)[0], name or "")

    def check_languages(self, source: str, target: str) -> None:
        """The language policy for this model: raise :class:`UnsupportedLanguageError` unless it serves ``source`` into ``target``."""
        ck = self.checkpoint
        check_languages(
            source, target, method=self.method, model=self.options.model,
            preset=ck.preset if ck else None, lang_tokens=ck.lang_tokens if ck else None,
        )

    # -- extractive ----------------------------------------------------------

    def _extractive(self, doc: _Doc) -> Summary:
        start = time.perf_counter()
        sentences = split_sentences(split_title(doc.text)[1])  # a headline is not a sentence to pick
        chosen = METHODS[self.method](sentences, doc.source, self.options.sentences)
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
        n_best = settings.num_beams if self.options.faithfulness == "rerank" and settings.num_beams > 1 else 1
        return [_own_failure(self._result, job) for job in self._run_jobs(docs, settings, n_best)]

    def _run_jobs(self, docs: Sequence[Any], settings: GenerationSettings, n_best: int = 1, *,
                  long_input: str | None = None, batch_size: int | None = None) -> list[DocumentInProgress]:
        """Every document through the model, long ones window by window: one finished job each (output or error)."""
        from .generation.scheduler import generate_batched

        tok = self.checkpoint.tokenizer
        size = batch_size or self.options.batch_size
        map_reduce = MapReduce(
            mode=long_input or self.options.long_input,
            max_depth=self.options.max_depth,
            limit=self.checkpoint.max_input_tokens,
            budget=self._budget,
            encode=self._encode,
            count_tokens=self._count_tokens,
            decode=lambda ids: tok.decode(ids, skip_special_tokens=True),
            start_token=self.checkpoint.lang_tokens.get,
            n_best=n_best,
        )
        return map_reduce.run(docs, lambda requests: generate_batched(self.backend, requests, settings, size))

    def _result(self, job: DocumentInProgress) -> Summary | BaseException:
        return summary_from_job(job, self.checkpoint, self.backend, self.options.faithfulness)


def read_text(text: Any, lang: str, target_lang: str | None, max_input_chars: int) -> tuple[str, str, str, bool]:
    """A text's checks that need no model: ``(stripped text, source, target, detected)``, or the text's error.

    The summarizer runs them on every text; a job's deferred summarizer runs
    the same ones before the model is loaded, so a text gets the same error
    whether or not its block mates loaded the model.

    >>> read_text("  Ціни зросли.  ", "auto", "en", 1000)
    ('Ціни зросли.', 'uk', 'en', True)
    """
    if not isinstance(text, str):
        raise InvalidInputError(f"expected text (str), got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise InvalidInputError("the text is empty or only white space: nothing to summarise")
    refuse_lone_surrogates(stripped)
    if len(stripped) > max_input_chars:
        raise InvalidInputError(
            f"the text has {len(stripped):,} characters, more than max_input_chars="
            f"{max_input_chars:,}; split it into documents, or raise the limit"
        )
    detected = lang == "auto"
    if not detected:
        check_declared_language(stripped, lang)
    source = detect_language(stripped) if detected else lang
    return stripped, source, target_lang or source, detected


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
    return Summarizer(options)


def summarize(
    text: str | Iterable[str],
    *,
    model: str = SummarizerOptions.model,  # the schema's defaults, read from it
    method: str = SummarizerOptions.method,
    device: str = SummarizerOptions.device,
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
    check_call(built, CallOptions(lang, target_lang, call), errors=errors)  # before a model is built or downloaded
    return _cached(built).summarize(text, lang=lang, target_lang=target_lang, errors=errors, **call)
