"""The :class:`Summary`: a summary and how it was made, the library's one result type."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Summary:
    """A summary and how it was made. ``str(summary)`` is the text.

    Attributes:
        text: the summary.
        source_lang: language of the input (given or detected).
        target_lang: language of the summary.
        lang_detected: whether ``source_lang`` was detected rather than given.
        method: ``"abstractive"``, ``"lead"`` or ``"textrank"``.
        model: hub id or path of the checkpoint (``None`` for extractive methods).
        revision: hub commit of the checkpoint, where known.
        backend: generation backend (``None`` for extractive methods).
        input_tokens: length of the input in model tokens.
        output_tokens: length of the summary in model tokens.
        chunked: the input was longer than the model takes and was summarised
            window by window, then summarised again.
        truncated: part of the input was dropped to fit the model.
        chunks: number of windows the input was cut into (1 if it fitted).
        seconds: compute time spent on this document: its share of the
            time of each batch it was generated in (a batch's time divided
            by the documents in it), summed over its windows and levels.
    """

    text: str
    source_lang: str
    target_lang: str
    lang_detected: bool
    method: str
    model: str | None = None
    revision: str | None = None
    backend: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    chunked: bool = False
    truncated: bool = False
    chunks: int = 1
    seconds: float = 0.0

    def __str__(self) -> str:
        return self.text

    def to_dict(self) -> dict[str, Any]:
        """All fields as a JSON-ready dict."""
        return dataclasses.asdict(self)
