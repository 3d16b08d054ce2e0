"""Batch jobs: summarise a stream of documents block by block.

The one loop behind ``summarize --input-format jsonl`` and
``summarize-eval run``: documents are taken a block at a time (a few batches,
so that length-sorting has something to sort), summarised with
``errors="return"`` so that one bad document fails alone, and handed back
with their results so the caller can write them before the next block
starts; a killed job loses at most the block in flight.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

from .summarizer import Summarizer, Summary

T = TypeVar("T")

BLOCK_BATCHES = 4


def summarize_blocks(
    summarizer: Summarizer,
    items: Iterable[T],
    text: Callable[[T], str | BaseException],
    **options: Any,
) -> Iterator[list[tuple[T, Summary | BaseException]]]:
    """Yield ``[(item, Summary or exception), ...]`` one block at a time, in input order.

    Args:
        summarizer: what summarises.
        items: documents of any kind.
        text: an item's text, or the exception that says why it has none
            (a malformed record), which is passed through as its result.
        **options: for :meth:`Summarizer.summarize` (``lang``, ``target_lang``...).

    >>> lead = Summarizer(method="lead", sentences=1)
    >>> for block in summarize_blocks(lead, ["Ціни зросли. Уряд мовчить."], str):
    ...     print([(item, result.text) for item, result in block])
    [('Ціни зросли. Уряд мовчить.', 'Ціни зросли.')]
    """
    it = iter(items)
    while block := list(islice(it, summarizer.batch_size * BLOCK_BATCHES)):
        results: list[Any] = [text(item) for item in block]
        good = [i for i, r in enumerate(results) if isinstance(r, str)]
        if good:
            summaries = summarizer.summarize([results[i] for i in good], errors="return", **options)
            for i, summary in zip(good, summaries):
                results[i] = summary
        yield list(zip(block, results))
