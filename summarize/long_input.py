"""Long input: cut a text into windows that fit the model, at sentence boundaries.

A document longer than the model's input is never cut silently. With
``long_input="chunk"`` (the default) the :class:`~summarize.Summarizer` cuts
it into windows with :func:`plan_windows`, summarises each window, joins the
partial summaries and summarises them again (map-reduce), as many levels as
``max_depth`` allows. With ``long_input="truncate"`` it keeps the head and
warns with the token counts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from .languages import sentence_spans

LONG_INPUT_MODES = ("chunk", "truncate")

CountTokens = Callable[[Sequence[str]], list[int]]


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
