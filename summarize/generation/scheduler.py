"""The batch scheduler: generation requests sorted by length, cut into batches.

Sorting by length keeps padding (wasted compute) small. Each request carries
its own decoder start token (its target language on cross-lingual
checkpoints), and backends take one per input, so a batch may mix target
languages. Results come back in request order, each with its share of the
time.

A failure is the document's: a batch that raises is generated again in
halves, down to the one input that fails, so its mates get the outputs they
would have had in any other batch (outputs do not depend on batch mates: the
candidate list is the model's, see :mod:`summarize.backends.vocabulary`), and only
that input gets the exception.

The scheduler uses only the backend contract
(:class:`summarize.backends.Backend`: :meth:`~summarize.backends.Backend.submit`
and its defaults). A backend with several workers (``backend.workers > 1``:
CTranslate2 on a CPU with several cores) gets the batch size split between them: with
``batch_size=8`` and two workers, batches of 4, two at a time (and one
queued), so the documents in flight (and the memory they hold) stay about
``batch_size``.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from itertools import islice
from typing import Any, Callable

from ..backends import Backend, is_out_of_memory
from ..errors import InvalidOptionError
from . import GenerationSettings

logger = logging.getLogger(__name__)

GenerationRequest = tuple[list[int], "int | None", int]  # (input ids, start token, hypotheses wanted)


def plan_batches(requests: list[GenerationRequest], size: int) -> list[list[int]]:
    """Request indices in batches of at most ``size``, longest first; one ``n_best`` per batch.

    >>> plan_batches([([1], None, 1), ([1, 2, 3], None, 1), ([1, 2], None, 1)], 2)
    [[1, 2], [0]]
    """
    order = sorted(range(len(requests)), key=lambda i: (requests[i][2], -len(requests[i][0])))
    batches: list[list[int]] = []
    for i in order:
        if batches and len(batches[-1]) < size and requests[batches[-1][0]][2] == requests[i][2]:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def generate_batched(
    backend: Backend, requests: list[GenerationRequest], settings: GenerationSettings, batch_size: int
) -> list[tuple[list[int] | BaseException, float]]:
    """``(output ids or exception, seconds)`` for every request, in request order.

    ``seconds`` is the request's share of the time: its batch's time divided
    by the batch's size, or, with parallel workers, the whole call's time
    divided by the number of requests. Each request gets its hypotheses,
    best first (the backend contract); requests wanting different numbers go
    to different batches. A batch that fails (out of memory, or one bad
    input) is retried in halves, whatever the backend.

    >>> from summarize.backends import Backend, finished
    >>> class Echo(Backend):
    ...     def submit(self, batch, settings, starts, n_best=1):
    ...         return finished([[list(ids[:1])] for ids in batch])
    >>> [out for out, _ in generate_batched(Echo(), [([5, 6], None, 1), ([7], None, 1)], GenerationSettings(), 8)]
    [[[5]], [[7]]]
    """
    results: list[tuple[list[int] | BaseException, float]] = [([], 0.0)] * len(requests)
    workers = max(1, backend.workers)
    batches = plan_batches(requests, max(1, -(-batch_size // workers)))
    # With parallel workers, one batch more than the workers is queued: a
    # worker that finishes takes the next at once, and a long call (a long
    # document's hundred windows) never fills the backend's queue, so another
    # caller's batch (another request, in the service) waits for at most one.
    in_flight = workers + 1 if workers > 1 else 1

    def call(batch: list[int]) -> Callable[[], list[Any]] | BaseException:
        n_best = requests[batch[0]][2]
        ids = [requests[j][0] for j in batch]
        starts = [requests[j][1] for j in batch]
        try:
            return backend.submit(ids, settings, starts, n_best)
        except Exception as exc:  # noqa: BLE001 - reported per document
            return exc

    started = time.perf_counter()
    pending: deque[tuple[list[int], Any, float]] = deque()
    queue = iter(batches)
    for batch in islice(queue, in_flight):
        launched = time.perf_counter()  # before submit: a backend may generate inside it (torch does)
        pending.append((batch, call(batch), launched))
    while pending:
        batch, waiting, launched = pending.popleft()
        try:
            if isinstance(waiting, BaseException):
                raise waiting
            outs: list[Any] = waiting()
        except Exception as exc:  # noqa: BLE001 - reported per document
            outs = _after_failure(backend, exc, [requests[j] for j in batch], settings)
        share = (time.perf_counter() - launched) / len(batch)
        for j, out in zip(batch, outs):
            results[j] = (out, share)
        following = next(queue, None)
        if following is not None:
            launched = time.perf_counter()
            pending.append((following, call(following), launched))
    if workers > 1:  # batches overlap: each request's share of the whole call
        share = (time.perf_counter() - started) / max(1, len(requests))
        results = [(out, share) for out, _ in results]
    return results


def _after_failure(backend: Backend, exc: Exception, batch: list[GenerationRequest], settings: GenerationSettings) -> list[Any]:
    """A failed batch's outputs: retried in halves down to the input that fails, which alone gets the error.

    Out of memory first gives back what the backend caches. Halving finds
    one failing input in about ``2 log2(n)`` smaller batches.
    """
    if len(batch) == 1 or isinstance(exc, InvalidOptionError):
        # An option error is every input's: halving would only repeat it.
        logger.error("generation failed for %d input(s): %s", len(batch), _first_line(exc))
        return [exc] * len(batch)
    if is_out_of_memory(exc):
        backend.release_memory()
    half = len(batch) // 2
    logger.warning("generation failed for a batch of %d (%s); retrying as %d + %d", len(batch), _first_line(exc), half, len(batch) - half)
    return _generate_now(backend, batch[:half], settings) + _generate_now(backend, batch[half:], settings)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _generate_now(backend: Backend, batch: list[GenerationRequest], settings: GenerationSettings) -> list[Any]:
    n_best = batch[0][2]
    try:
        return backend.generate([r[0] for r in batch], settings, [r[1] for r in batch], n_best)
    except Exception as exc:  # noqa: BLE001 - reported per document
        return _after_failure(backend, exc, batch, settings)
