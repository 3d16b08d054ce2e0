"""Long input: windows at sentence boundaries, and the map-reduce over them.

A document longer than the model's input is never cut silently. With
``long_input="chunk"`` (the default) :class:`MapReduce` cuts it into windows
with :func:`plan_windows`, summarises each window, joins the partial
summaries and summarises them again, as many levels as ``max_depth`` allows
(then it keeps the head, with a :class:`TruncationWarning`). With
``long_input="truncate"`` it keeps the head and warns with the token counts.
The :class:`~summarize.Summarizer` gives it the tokenizer's functions and a
``generate`` function (:func:`summarize.generation.scheduler.generate_batched`); every
document's windows of one level go to the model together.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..languages import sentence_spans

LONG_INPUT_MODES = ("chunk", "truncate")

CountTokens = Callable[[Sequence[str]], list[int]]


class TruncationWarning(UserWarning):
    """Input was cut to fit the model (``long_input="truncate"`` or depth exhausted)."""


@dataclass
class DocumentInProgress:
    """One document on its way through the levels of map-reduce.

    ``doc`` has ``index``, ``source`` and ``target`` (language codes).
    """

    doc: Any
    segments: list[list[int]]
    input_tokens: int = 0
    chunks: int = 1
    chunked: bool = False
    truncated: bool = False
    level: int = 0
    seconds: float = 0.0
    output: list[list[int]] | None = None  # the final level's hypotheses, best first
    error: BaseException | None = field(default=None, repr=False)


Generate = Callable[[list[tuple[list[int], "int | None", int]]], list[tuple[Any, float]]]


@dataclass
class MapReduce:
    """The state machine for long input: window, summarise, join, summarise again.

    Attributes:
        mode: ``"chunk"`` or ``"truncate"``.
        max_depth: most summarise-the-summaries levels.
        limit: the model's input length in tokens.
        budget: tokens a window's text may have (``limit`` less special
            tokens and prefix).
        encode: text -> input ids (with prefix and special tokens).
        count_tokens: token counts of a list of texts (no special tokens).
        decode: output ids -> text.
        start_token: language code -> the decoder's start token (``None``:
            the model's own).
        n_best: hypotheses wanted for each document's final summary (its
            ``output`` is a list of them, best first); windows get one.
    """

    mode: str
    max_depth: int
    limit: int
    budget: int
    encode: Callable[[str], list[int]]
    count_tokens: CountTokens
    decode: Callable[[list[int]], str]
    start_token: Callable[[str], "int | None"]
    n_best: int = 1

    def run(self, docs: Sequence[Any], generate: Generate) -> list[DocumentInProgress]:
        """Summarise every document to one output; each job holds its ``output`` or ``error``."""
        jobs = []
        for doc in docs:
            job = DocumentInProgress(doc=doc, segments=[])
            try:
                ids = self.encode(doc.text)
                job.input_tokens = len(ids)
                self._segments(job, doc.text, ids, first=True)
            except Exception as exc:  # noqa: BLE001 - one document's failure is its own
                job.error = exc
            jobs.append(job)
        active = [job for job in jobs if job.error is None]
        while active:
            requests = []
            for job in active:
                # Windows are summarised in the source language; only the last level writes the target's.
                final = len(job.segments) == 1
                start = self.start_token(job.doc.target if final else job.doc.source)
                requests.extend((job, seg, start, self.n_best if final else 1) for seg in job.segments)
            outputs = generate([(seg, start, n) for _, seg, start, n in requests])
            by_job: dict[int, list[Any]] = {}
            for (job, _, _, _), (out, seconds) in zip(requests, outputs):
                job.seconds += seconds
                by_job.setdefault(id(job), []).append(out)
            next_active = []
            for job in active:
                outs = by_job[id(job)]
                failed = next((o for o in outs if isinstance(o, BaseException)), None)
                if failed is not None:
                    job.error = failed
                elif len(outs) == 1:
                    job.output = outs[0]
                else:
                    try:
                        joined = " ".join(self.decode(o[0]).strip() for o in outs)
                        job.level += 1
                        self._segments(job, joined, self.encode(joined), first=False)
                    except Exception as exc:  # noqa: BLE001 - one document's failure is its own
                        job.error = exc
                        continue
                    next_active.append(job)
            active = next_active
        return jobs

    def _segments(self, job: DocumentInProgress, text: str, ids: list[int], first: bool) -> None:
        """Set the job's inputs for the next level: the whole text, windows, or the head."""
        limit = self.limit
        if len(ids) <= limit:
            job.segments = [ids]
            return
        if self.mode == "truncate" or job.level >= self.max_depth:
            job.segments = [ids[: limit - 1] + ids[-1:]]
            job.truncated = True
            why = "long_input='truncate'" if self.mode == "truncate" else f"max_depth={self.max_depth} reached"
            warnings.warn(
                f"{job.doc.name}: {len(ids)} tokens, the model takes {limit}; kept the "
                f"first {limit} and dropped {len(ids) - limit} ({why})",
                TruncationWarning,
                stacklevel=5,
            )
            return
        windows = plan_windows(text, self.budget, self.count_tokens)
        job.segments = [self.encode(text[a:b].strip()) for a, b in windows]
        job.chunked = True
        if first:
            job.chunks = len(windows)


def plan_windows(text: str, budget: int, count_tokens: CountTokens) -> list[tuple[int, int]]:
    """Cut ``text`` into consecutive ``(start, end)`` windows of at most ``budget`` tokens.

    Windows end at sentence boundaries; a sentence longer than ``budget`` is
    cut between words, and a word longer than ``budget`` between characters.
    Windows partition the text: the first starts at 0, each starts where the
    previous ended, the last ends at ``len(text)``, so every character is in
    exactly one window, in order.

    Args:
        text: the document.
        budget: most tokens a window may have.
        count_tokens: token counts for a list of strings (the model's tokenizer).

    >>> count = lambda parts: [len(p.split()) for p in parts]
    >>> text = "One two three. Four five. Six seven eight nine."
    >>> [text[a:b] for a, b in plan_windows(text, 5, count)]
    ['One two three. Four five. ', 'Six seven eight nine.']
    """
    if budget < 1:
        raise ValueError(f"budget must be >= 1, got {budget}")
    units = _units(text, budget, count_tokens)
    if not units:
        return [(0, len(text))]
    windows: list[tuple[int, int]] = []
    start, used = 0, 0
    for unit_start, unit_end, tokens in units:
        if used and used + tokens > budget:
            windows.append((start, unit_start))
            start, used = unit_start, 0
        used += tokens
    windows.append((start, len(text)))
    # Counting pieces apart can differ from counting their join by a token or
    # two (sub-word merges across a boundary): re-check and split what overflows.
    checked: list[tuple[int, int]] = []
    for a, b in windows:
        checked.extend(_fit(text, a, b, budget, count_tokens))
    return checked


def _units(text: str, budget: int, count_tokens: CountTokens) -> list[tuple[int, int, int]]:
    """Sentences (start, end, tokens), with over-long sentences cut into smaller pieces."""
    spans = sentence_spans(text)
    counts = count_tokens([text[a:b] for a, b in spans]) if spans else []
    units: list[tuple[int, int, int]] = []
    for (a, b), n in zip(spans, counts):
        if n <= budget:
            units.append((a, b, n))
        else:
            units.extend(_split_long(text, a, b, budget, count_tokens))
    return units


def _split_long(text: str, a: int, b: int, budget: int, count_tokens: CountTokens) -> list[tuple[int, int, int]]:
    words = [(a + m.start(), a + m.end()) for m in re.finditer(r"\S+", text[a:b])]
    counts = count_tokens([text[s:e] for s, e in words])
    pieces: list[tuple[int, int, int]] = []
    for (s, e), n in zip(words, counts):
        if n > budget:
            # A "word" longer than a window (a URL, a run of symbols): cut by characters.
            step = max(1, (e - s) * budget // (n + 1))
            for cut in range(s, e, step):
                end = min(e, cut + step)
                pieces.append((cut, end, count_tokens([text[cut:end]])[0]))
        elif pieces and pieces[-1][2] + n <= budget:
            ps, _, pn = pieces[-1]
            pieces[-1] = (ps, e, pn + n)
        else:
            pieces.append((s, e, n))
    return pieces


def _fit(text: str, a: int, b: int, budget: int, count_tokens: CountTokens) -> list[tuple[int, int]]:
    if count_tokens([text[a:b]])[0] <= budget or b - a <= 1:
        return [(a, b)]
    spans = [(a + s, a + e) for s, e in sentence_spans(text[a:b])]
    if len(spans) > 1:
        cut = spans[len(spans) // 2][0]
    else:
        space = text.rfind(" ", a + 1, a + (b - a) // 2 + 1)
        cut = space if space > a else a + (b - a) // 2
    return _fit(text, a, cut, budget, count_tokens) + _fit(text, cut, b, budget, count_tokens)
