"""Dynamic batching: concurrent requests gathered into the summarizer's batches.

One model per process, one generation at a time, in one worker thread, so
the event loop never waits on it. Requests put their documents on a queue;
the batcher takes the first, then keeps gathering for at most
``max_wait_ms`` or until ``batch_size`` documents, and hands them to the
record pipeline (:func:`summarize.pipeline.summarize_block`), which sorts
them by length into the summarizer's batches. While a batch runs, the next
one gathers, so under load the model is never idle and batches are full.

Documents go together only when they ask for the same options (languages,
method, decoding): those are one ``summarize()`` call. A request whose
client has gone (disconnected, timed out) before its batch starts is
dropped from it, not computed.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..errors import SummarizeError


class QueueFull(SummarizeError):
    """More documents are waiting than ``max_queue``: the caller is told to come back later."""


@dataclass(eq=False)  # identity: two requests alike are still two
class _Waiting:
    records: list[Any]
    options: dict[str, Any]
    future: asyncio.Future
    key: tuple = field(init=False)

    def __post_init__(self) -> None:
        self.key = tuple(sorted((k, repr(v)) for k, v in self.options.items()))


class Batcher:
    """Gathers documents from concurrent requests into batches for one worker thread.

    Args:
        run: ``run(records, options) -> rows``, called in the worker thread with
            up to ``batch_size`` records that share ``options``.
        check: ``check(options)``, raising the library's error for options the
            model cannot serve (:meth:`check`, before anything is queued).
        batch_size: documents per batch, at most.
        max_wait_ms: how long the first document of a batch waits for others.
        max_queue: documents waiting, at most; past it :meth:`submit` raises
            :class:`QueueFull` at once.
    """

    def __init__(self, run: Callable[[list[Any], dict[str, Any]], list[dict[str, Any]]], *, batch_size: int = 8,
                 max_wait_ms: float = 10.0, max_queue: int = 256,
                 check: Callable[[dict[str, Any]], None] | None = None):
        self.run, self.batch_size, self.max_wait = run, batch_size, max_wait_ms / 1000
        self._check = check
        self.max_queue = max_queue
        self.waiting: list[_Waiting] = []
        self.queued = 0  # documents waiting, not yet in a batch
        self.running = 0  # documents in the batch being generated
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="summarize-generate")
        self._stopping = False
        self.idle = threading.Event()
        self.idle.set()

    async def start(self) -> None:
        self._wake = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._loop())

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
        self.waiting.append(waiting)
        self.queued += len(records)
        self.idle.clear()
        assert self._wake is not None
        self._wake.set()
        try:
            return await future
        finally:
            if waiting in self.waiting:  # the client has gone (or timed out): its slots are free at once
                self.waiting.remove(waiting)
                self.queued -= len(waiting.records)

    async def drain(self) -> None:
        """Stop taking documents and return once every accepted one is answered."""
        self._stopping = True
        while self.waiting or self.running:
            await asyncio.sleep(0.01)
        if self._task:
            self._task.cancel()
        self._executor.shutdown(wait=True)

    async def _loop(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        while True:
            if not self.waiting:
                self._wake.clear()
                await self._wake.wait()
            started = time.monotonic()
            # Gather: until the batch is full, or the first document has waited max_wait.
            while self._size(self.waiting[0].key) < self.batch_size and time.monotonic() - started < self.max_wait:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), self.max_wait - (time.monotonic() - started))
                except asyncio.TimeoutError:
                    break
            batch = self._take()
            if not batch:
                continue
            records = [r for w in batch for r in w.records]
            self.running = len(records)
            try:
                rows = await loop.run_in_executor(self._executor, self.run, records, batch[0].options)
            except BaseException as exc:  # noqa: BLE001 - every waiting request gets the failure, the loop goes on
                for w in batch:
                    if not w.future.done():
                        w.future.set_exception(exc if isinstance(exc, Exception) else RuntimeError(str(exc)))
            else:
                start = 0
                for w in batch:
                    if not w.future.done():
                        w.future.set_result(rows[start:start + len(w.records)])
                    start += len(w.records)
            finally:
                self.running = 0
                if not self.waiting:
                    self.idle.set()

    def _size(self, key: tuple) -> int:
        return sum(len(w.records) for w in self.waiting if w.key == key and not w.future.done())

    def _take(self) -> list[_Waiting]:
        """The next batch: waiting requests with the first one's options, up to batch_size documents."""
        for w in [w for w in self.waiting if w.future.done()]:  # the client has gone: not computed
            self.waiting.remove(w)
            self.queued -= len(w.records)
        if not self.waiting:
            return []
        key, taken, size = self.waiting[0].key, [], 0
        for w in list(self.waiting):
            if w.key != key:
                continue
            if taken and size + len(w.records) > self.batch_size:
                break
            taken.append(w)
            size += len(w.records)
            self.waiting.remove(w)
            self.queued -= len(w.records)
        return taken
