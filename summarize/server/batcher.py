"""Dynamic batching: concurrent requests gathered into the summarizer's batches, by cost.

The event loop never waits on the model: batches run in worker threads.
Requests put their documents on a queue; the batcher takes the first, then
keeps gathering for at most ``max_wait_ms``, until ``batch_size`` documents
or ``batch_chars`` characters (the work a batch holds grows with its text,
not its document count), and hands them to the record pipeline
(:func:`summarize.jobs.summarize_block`), which sorts them by length
into the summarizer's batches. While a batch runs, the next one gathers, so
under load the model is never idle and batches are full.

**Lanes.** A request with a document longer than ``long_chars`` (an archive
dump, a 1,000,000-character page: many windows and levels of map-reduce)
goes to a lane of its own, with its own worker thread, so it never holds up
the short requests behind it: they share the CPU with it instead of waiting
minutes for it. Outputs do not depend on which lane, or which batch, a
document ran in (the library's isolation).

Documents go together only when they ask for the same options (languages,
method, decoding; :func:`~.dispatch.group_key`): those are one
``summarize()`` call. This is the service's
:class:`~.dispatch.Dispatcher` in one process: a request whose client has
gone, or whose deadline has passed, leaves the queue at once and is never
computed; a stop (:meth:`~.dispatch.Dispatcher.drain`, on SIGTERM) answers
what it can within its timeout, then answers the rest ``QueueFull`` (503)
and abandons the running batches: their threads are daemons (a beam search
cannot be interrupted), so the process ends on time.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from .dispatch import Dispatcher, RowFunction, Submission, run_batch

logger = logging.getLogger(__name__)

LONG_CHARS = 20_000  # about 5,000 tokens: ten windows of a 512-token model, and a summary of them


class _Worker:
    """One daemon thread that runs calls in order; a call's result comes back as an asyncio future.

    A daemon, unlike :class:`concurrent.futures.ThreadPoolExecutor`'s
    threads (joined at exit): a stop must not wait for a generation that
    cannot be interrupted.
    """

    def __init__(self, name: str):
        self._calls: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._serve, name=name, daemon=True).start()

    def _serve(self) -> None:
        while (call := self._calls.get()) is not None:
            fn, args, future, loop = call
            try:
                outcome = (fn(*args), None)
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting coroutine
                outcome = (None, exc)
            try:
                loop.call_soon_threadsafe(_settle, future, *outcome)
            except RuntimeError:
                pass  # the loop has closed: the work was abandoned at a stop

    def run(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._calls.put((fn, args, future, loop))
        return future

    def stop(self) -> None:
        self._calls.put(None)


def _settle(future: asyncio.Future, result: Any, exc: BaseException | None) -> None:
    if future.done():
        return  # abandoned at a stop
    if exc is not None:
        future.set_exception(exc if isinstance(exc, Exception) else RuntimeError(str(exc)))
    else:
        future.set_result(result)


class _Lane:
    """A queue of requests and the worker that runs their batches."""

    def __init__(self, name: str):
        self.name = name
        self.waiting: list[Submission] = []
        self.running: list[Submission] = []
        self.worker = _Worker(name)
        self.wake: asyncio.Event | None = None
        self.task: asyncio.Task | None = None


class Batcher(Dispatcher):
    """Gathers documents from concurrent requests into batches, in a short and a long lane, in this process.

    Args:
        run: ``run(records, options) -> rows``, called in a worker thread with
            up to ``batch_size`` records that share ``options``.
        batch_size: documents per batch, at most.
        max_wait_ms: how long the first document of a batch waits for others.
        max_queue: documents waiting, at most; past it :meth:`submit` raises
            :class:`~.dispatch.QueueFull` at once.
        check: ``check(options)``, raising the library's error for options the
            model cannot serve (:meth:`check`, before anything is queued).
        batch_chars: characters per batch, at most (one longer document is a
            batch of its own); default ``batch_size`` times 2,000.
        long_chars: a request with a document longer than this runs in the
            long lane.

    >>> import asyncio
    >>> async def main():
    ...     batcher = Batcher(lambda records, options: [{"id": r} for r in records], max_queue=8)
    ...     await batcher.start()
    ...     rows = await batcher.submit(["a", "b"], {"lang": "uk"})
    ...     await batcher.drain()
    ...     return rows
    >>> asyncio.run(main())
    [{'id': 'a'}, {'id': 'b'}]
    """

    def __init__(self, run: RowFunction, *, batch_size: int = 8, max_wait_ms: float = 10.0, max_queue: int = 256,
                 check: Callable[[dict[str, Any]], None] | None = None,
                 batch_chars: int | None = None, long_chars: int = LONG_CHARS):
        super().__init__(max_queue=max_queue)
        self.run, self.batch_size, self.max_wait = run, batch_size, max_wait_ms / 1000
        self._check = check
        self.batch_chars = batch_chars or batch_size * 2_000
        self.long_chars = long_chars
        self._lanes = {"short": _Lane("summarize-generate"), "long": _Lane("summarize-generate-long")}

    @property
    def queued(self) -> int:
        return sum(s.cost.documents for lane in self._lanes.values() for s in lane.waiting)

    @property
    def running(self) -> int:
        return sum(s.cost.documents for lane in self._lanes.values() for s in lane.running)

    async def start(self, on_batch: Callable[[int], None] | None = None) -> None:
        await super().start(on_batch)
        loop = asyncio.get_running_loop()
        for lane in self._lanes.values():
            lane.wake = asyncio.Event()
            lane.task = loop.create_task(self._loop(lane))

    async def check(self, options: dict[str, Any]) -> None:
        if self._check is not None:
            self._check(options)

    def _enqueue(self, submission: Submission) -> None:
        # A long document, or a request of many documents that add up to as much, runs in the long lane.
        lane = self._lanes["long" if submission.cost.characters > self.long_chars else "short"]
        lane.waiting.append(submission)
        if lane.wake is None:
            raise RuntimeError("start() the batcher before submitting")
        lane.wake.set()

    def _withdraw(self, submission: Submission) -> None:
        for lane in self._lanes.values():
            if submission in lane.waiting:  # its slots are free at once
                lane.waiting.remove(submission)

    async def _stop(self) -> None:
        for lane in self._lanes.values():
            if lane.task:
                lane.task.cancel()
            lane.worker.stop()

    async def _loop(self, lane: _Lane) -> None:
        while True:
            try:
                await self._next(lane)
            except asyncio.CancelledError:
                raise  # drain() stops the lane
            except Exception:  # noqa: BLE001 - a lane never dies: the next request is served
                logger.exception("the %s lane failed between batches", lane.name)

    async def _next(self, lane: _Lane) -> None:
        """Wait for work, gather one batch, run it, answer its requests."""
        assert lane.wake is not None
        if not lane.waiting:
            lane.wake.clear()
            await lane.wake.wait()
            return
        started = time.monotonic()
        # Gather: until the batch is full, or the first document has waited max_wait.
        while not self._full(lane) and time.monotonic() - started < self.max_wait:
            lane.wake.clear()
            try:
                await asyncio.wait_for(lane.wake.wait(), self.max_wait - (time.monotonic() - started))
            except asyncio.TimeoutError:
                break
        batch = self._take(lane)
        if not batch:
            return
        records = [r for s in batch for r in s.records]
        options = [s.options for s in batch for _ in s.records]
        lane.running = batch
        try:
            ran = await lane.worker.run(run_batch, self.run, records, options)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the waiting requests get the failure, the loop goes on
            for s in batch:
                if not s.future.done():
                    s.future.set_exception(exc)
        else:
            if any(not s.future.done() for s in batch):  # counted when its rows come back, as on Ray Serve
                for _, ran_in in ran:
                    self._report(ran_in)
            start = 0
            for s in batch:
                if not s.future.done():
                    s.future.set_result([row for row, _ in ran[start:start + s.cost.documents]])
                start += s.cost.documents
        finally:
            lane.running = []

    def _full(self, lane: _Lane) -> bool:
        if not lane.waiting:
            return True  # every request has gone while gathering: take (nothing) now
        key = lane.waiting[0].key
        alike = [s for s in lane.waiting if s.key == key and not s.future.done()]
        return (sum(s.cost.documents for s in alike) >= self.batch_size
                or sum(s.cost.characters for s in alike) >= self.batch_chars)

    def _take(self, lane: _Lane) -> list[Submission]:
        """The next batch: waiting requests with the first one's options, up to ``batch_size`` documents and ``batch_chars``."""
        lane.waiting[:] = [s for s in lane.waiting if not s.future.done()]  # the client has gone: not computed
        if not lane.waiting:
            return []
        key, taken, size, chars = lane.waiting[0].key, [], 0, 0
        for s in list(lane.waiting):
            if s.key != key:
                continue
            if taken and (size + s.cost.documents > self.batch_size or chars + s.cost.characters > self.batch_chars):
                break
            taken.append(s)
            size += s.cost.documents
            chars += s.cost.characters
            lane.waiting.remove(s)
        return taken
