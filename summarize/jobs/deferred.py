"""The summarizer of a job: built when a text first needs its model, after the texts it cannot serve are refused."""

from __future__ import annotations

import time
from typing import Any

from ..options import CallOptions, SummarizerOptions, check_call, preset_of


class DeferredSummarizer:
    """A :class:`~summarize.Summarizer` built when a text first needs its model.

    Until then each text's languages are checked against the model's preset
    (the one call check, :func:`summarize.options.check_call`): a job that
    asks ``bart-cnn`` for Ukrainian fails at once, with the presets that can,
    instead of first downloading a model it cannot use.
    """

    def __init__(self, options: SummarizerOptions):
        self.options = options
        # An unknown preset fails the job at once, not each record.
        self.preset = preset_of(options)
        self._summarizer: Any = None
        self.load_seconds = 0.0  # how long building the summarizer (loading the model) took

    def summarize(self, texts: list[str], *, lang: str = "auto", target_lang: str | None = None, **options: Any) -> list[Any]:
        if self._summarizer is None and self.options.method == "abstractive":
            refused = [self._refusal(t, lang, target_lang) for t in texts]
            if all(refused):
                return refused
        if self._summarizer is None:
            from ..summarizer import Summarizer

            started = time.perf_counter()
            self._summarizer = Summarizer(self.options)
            self.load_seconds = time.perf_counter() - started
        return self._summarizer.summarize(texts, lang=lang, target_lang=target_lang, **options)

    @property
    def backend(self) -> dict[str, str] | None:
        """What generates, once the model is loaded: the backend's name, device, dtype and vocabulary."""
        backend = self._summarizer.backend if self._summarizer is not None else None
        if backend is None:
            return None
        return {"name": backend.name, "device": backend.device, "dtype": backend.dtype, "vocabulary": backend.vocabulary_used}

    def _refusal(self, text: str, lang: str, target_lang: str | None) -> BaseException | None:
        """The error the summarizer would give this text, where it needs no model; else None."""
        from ..errors import SummarizeError
        from ..summarizer import read_text

        if self.preset is None:
            return None  # its languages are known only from the checkpoint
        try:
            _, source, target, _ = read_text(text, lang, target_lang, self.options.max_input_chars)
            check_call(self.options, CallOptions(source, target))
        except SummarizeError as exc:
            return exc
        return None
