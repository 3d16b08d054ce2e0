"""The batch scheduler: generation requests sorted by length, cut into batches.

Sorting by length keeps padding (wasted compute) small. Each request carries
its own decoder start token (its target language on cross-lingual
checkpoints), and backends take one per input, so a batch may mix target
languages. Results come back in request order,
each with its share of its batch's time, and a batch that fails gives its
exception to each of its requests, so one failure never stops the others.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from .generation import GenerationSettings

logger = logging.getLogger(__name__)

Request = tuple[list[int], "int | None", int]  # (input ids, start token, hypotheses wanted)


def generate_batched(
    backend: Any, requests: list[Request], settings: GenerationSettings, batch_size: int
) -> list[tuple[list[int] | BaseException, float]]:
    """``(output ids or exception, seconds)`` for every request, in request order.

    ``seconds`` is the request's share of its batch's time (the batch's time
    divided by its size). A request that wants ``n > 1`` hypotheses gets a
    list of them (best first); requests wanting different numbers go to
    different batches.

    >>> class Echo:
    ...     def generate(self, batch, settings, starts):
    ...         return [list(ids[:1]) for ids in batch]
    >>> [out for out, _ in generate_batched(Echo(), [([5, 6], None, 1), ([7], None, 1)], GenerationSettings(), 8)]
    [[5], [7]]
    """
    results: list[tuple[list[int] | BaseException, float]] = [([], 0.0)] * len(requests)
    order = sorted(range(len(requests)), key=lambda i: (requests[i][2], -len(requests[i][0])))
    batches: list[list[int]] = []
    for i in order:
        if batches and len(batches[-1]) < batch_size and requests[batches[-1][0]][2] == requests[i][2]:
            batches[-1].append(i)
        else:
            batches.append([i])
    for batch in batches:
        n_best = requests[batch[0]][2]
        start = time.perf_counter()
        try:
            starts = [requests[j][1] for j in batch]
            outs: list[Any] = (
                backend.generate([requests[j][0] for j in batch], settings, starts, n_best)
                if n_best > 1
                else backend.generate([requests[j][0] for j in batch], settings, starts)
            )
        except Exception as exc:  # noqa: BLE001 - reported per document
            logger.error("generation failed for a batch of %d: %s", len(batch), exc)
            outs = [exc] * len(batch)
        share = (time.perf_counter() - start) / len(batch)
        for j, out in zip(batch, outs):
            results[j] = (out, share)
    return results
