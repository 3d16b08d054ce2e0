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
            by the documents in it; with parallel workers, the time of all
            the batches run together divided by their documents), summed
            over its windows and levels.
        faithfulness: the numbers, dates and names of the summary checked
            against the document (:class:`~summarize.faithfulness.FaithfulnessReport`);
            ``None`` with ``faithfulness="off"`` and for extractive methods,
            whose sentences are the document's own.
        reranked: with ``faithfulness="rerank"``, whether a candidate other
            than the model's first choice was returned (it had fewer
            unsupported facts).
        first_choice: with ``faithfulness="rerank"``, the model's own first choice.
        vocabulary: the output vocabulary generation scored: ``"full"``, or
            ``"top-K"`` (restricted, see :mod:`summarize.backends.vocabulary`).
        title: the document's headline, when its first line is one
            (:func:`~summarize.languages.split_title`); extractive methods
            never pick it as a sentence.
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
    faithfulness: Any = None
    reranked: bool = False
    first_choice: str | None = None
    vocabulary: str | None = None
    title: str | None = None

    def __str__(self) -> str:
        return self.text

    def to_dict(self) -> dict[str, Any]:
        """All fields as a JSON-ready dict, named as in every output format.

        The text is ``summary``; the faithfulness report becomes its score
        (``faithfulness``) and the facts the document does not support
        (``unsupported_facts``, each ``"kind: text"``).
        """
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["summary"] = data.pop("text")
        report = data.pop("faithfulness")
        data["faithfulness"] = report.to_dict()["score"] if report is not None else None
        data["unsupported_facts"] = report.to_dict()["unsupported"] if report is not None else None
        return {"summary": data.pop("summary"), **data}
