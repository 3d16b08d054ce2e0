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
method, decoding): those are one ``summarize()`` call. A request whose
client has gone (disconnected, timed out) leaves the queue at once, and is
never computed. :meth:`Batcher.drain` (SIGTERM) answers what it can within
its timeout, then answers the rest ``QueueFull`` (503) and abandons the
running batches: their threads are daemons (a beam search cannot be
interrupted), so the process ends on time.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import SummarizeError

logger = logging.getLogger(__name__)

LONG_CHARS = 20_000  # about 5,000 tokens: ten windows of a 512-token model, and a summary of them


class QueueFull(SummarizeError):
    """More documents are waiting than ``max_queue``, or the server is stopping: the caller is told to come back later."""


@dataclass(eq=False)  # identity: two requests alike are still two
class _Waiting:
    records: list[Any]
    options: dict[str, Any]
    future: asyncio.Future
    key: tuple = field(init=False)
    chars: int = field(init=False)

    def __post_init__(self) -> None:
        self.key = tuple(sorted((k, repr(v)) for k, v in self.options.items()))
        self.chars = sum(_chars(r) for r in self.records)


def _chars(record: Any) -> int:
    text = getattr(record, "text", record)
    return len(text) if isinstance(text, str) else 1


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
        self.waiting: list[_Waiting] = []
        self.running: list[_Waiting] = []
        self.worker = _Worker(name)
        self.wake: asyncio.Event | None = None
        self.task: asyncio.Task | None = None


class Batcher:
    """Gathers documents from concurrent requests into batches, in a short and a long lane.

    Args:
        run: ``run(records, options) -> rows``, called in a worker thread with
            up to ``batch_size`` records that share ``options``.
        batch_size: documents per batch, at most.
        max_wait_ms: how long the first document of a batch waits for others.
        max_queue: documents waiting, at most; past it :meth:`submit` raises
            :class:`QueueFull` at once.
        check: ``check(options)``, raising the library's error for options the
            model cannot serve (:meth:`check`, before anything is queued).
        batch_chars: characters per batch, at most (one longer document is a
            batch of its own); default ``batch_size`` times 2,000.
        long_chars: a request with a document longer than this runs in the
            long lane.
    """

    def __init__(self, run: Callable[[list[Any], dict[str, Any]], list[dict[str, Any]]], *, batch_size: int = 8,
                 max_wait_ms: float = 10.0, max_queue: int = 256,
                 check: Callable[[dict[str, Any]], None] | None = None,
                 batch_chars: int | None = None, long_chars: int = LONG_CHARS):
        self.run, self.batch_size, self.max_wait = run, batch_size, max_wait_ms / 1000
        self.max_queue, self._check = max_queue, check
        self.batch_chars = batch_chars or batch_size * 2_000
        self.long_chars = long_chars
        self._lanes = {"short": _Lane("summarize-generate"), "long": _Lane("summarize-generate-long")}
        self._stopping = False
        self.abandoned = False  # a stop left work running in a worker thread (the process must not wait for it)

    @property
    def queued(self) -> int:
        """Documents waiting, not yet in a batch."""
        return sum(len(w.records) for lane in self._lanes.values() for w in lane.waiting)

    @property
    def running(self) -> int:
        """Documents in the batches being generated."""
        return sum(len(w.records) for lane in self._lanes.values() for w in lane.running)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        for lane in self._lanes.values():
            lane.wake = asyncio.Event()
            lane.task = loop.create_task(self._loop(lane))

    async def check(self, options: dict[str, Any]) -> None:
        """Check a request's options against what the model serves, before it is queued (raises the library's error)."""
        if self._check is not None:
            self._check(options)

    async def submit(self, records: Sequence[Any], options: dict[str, Any]) -> list[dict[str, Any]]:
        """The rows of ``records``, in order, once their batch has run."""
        if self._stopping:
            raise QueueFull("the server is shutting down")
        if self.queued + len(records) > self.max_queue:
            raise QueueFull(f"{self.queued} documents are waiting (--max-queue {self.max_queue})")
        future = asyncio.get_running_loop().create_future()
        waiting = _Waiting(list(records), dict(options), future)
        # A long document, or a request of many documents that add up to as much, runs in the long lane.
        lane = self._lanes["long" if waiting.chars > self.long_chars else "short"]
        lane.waiting.append(waiting)
        assert lane.wake is not None
        lane.wake.set()
        try:
            return await future
        finally:
            if waiting in lane.waiting:  # the client has gone (or timed out): its slots are free at once
                lane.waiting.remove(waiting)

    async def drain(self, timeout: float | None = None) -> None:
        """Stop taking documents; answer every accepted one, or, past ``timeout`` seconds, answer the rest 503.

        Work still running then is abandoned (its threads are daemons), so a
        stop never waits longer than ``timeout``.
        """
        self._stopping = True
        stop_at = None if timeout is None else time.monotonic() + timeout
        while self.queued or self.running:
            if stop_at is not None and time.monotonic() >= stop_at:
                self.abandoned = self.abandoned or bool(self.running)
                for lane in self._lanes.values():
                    for w in [*lane.waiting, *lane.running]:
                        if not w.future.done():
                            w.future.set_exception(QueueFull("the server stopped before this request's turn; retry"))
                    lane.waiting.clear()
                    lane.running.clear()
                break
            await asyncio.sleep(0.01)
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
        records = [r for w in batch for r in w.records]
        lane.running = batch
        try:
            rows = await lane.worker.run(self.run, records, batch[0].options)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the waiting requests get the failure, the loop goes on
            for w in batch:
                if not w.future.done():
                    w.future.set_exception(exc)
        else:
            start = 0
            for w in batch:
                if not w.future.done():
                    w.future.set_result(rows[start:start + len(w.records)])
                start += len(w.records)
        finally:
            lane.running = []

    def _full(self, lane: _Lane) -> bool:
        if not lane.waiting:
            return True  # every request has gone while gathering: take (nothing) now
        key = lane.waiting[0].key
        alike = [w for w in lane.waiting if w.key == key and not w.future.done()]
        return sum(len(w.records) for w in alike) >= self.batch_size or sum(w.chars for w in alike) >= self.batch_chars

    def _take(self, lane: _Lane) -> list[_Waiting]:
        """The next batch: waiting requests with the first one's options, up to ``batch_size`` documents and ``batch_chars``."""
        lane.waiting[:] = [w for w in lane.waiting if not w.future.done()]  # the client has gone: not computed
        if not lane.waiting:
            return []
        key, taken, size, chars = lane.waiting[0].key, [], 0, 0
        for w in list(lane.waiting):
            if w.key != key:
                continue
            if taken and (size + len(w.records) > self.batch_size or chars + w.chars > self.batch_chars):
                break
            taken.append(w)
            size += len(w.records)
            chars += w.chars
            lane.waiting.remove(w)
        return taken
