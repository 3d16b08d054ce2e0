"""The service's queue, as one contract: where a request's documents wait, are batched and run.

The app knows its queue by :class:`Dispatcher` alone: it checks a request's
options (:meth:`Dispatcher.check`), submits its records with the request's
deadline and a signal that the client has gone (:meth:`Dispatcher.submit`),
reads :attr:`~Dispatcher.queued` and :attr:`~Dispatcher.running` for
``/metrics``, and stops it with :meth:`Dispatcher.drain`. Two implementations
meet that caller:

* :class:`~summarize.server.batcher.Batcher`, in this process: lanes of
  requests gathered into batches, run in worker threads;
* :class:`~summarize.server.ray_serve.RayServeDispatcher`: the documents go to
  the model's replicas on Ray Serve, which batch them with ``@serve.batch``.

Both run their batches through :func:`run_batch`: the documents of a batch
grouped by :func:`group_key` (documents that ask for the same options are one
``summarize()`` call), each group through the service's one row function
(:meth:`~summarize.server.service.Service.run`). Documents and tokens are
counted by the app from the rows that come back; a batch's size is reported
where the batch is formed and its rows come back
(:meth:`Dispatcher.start`'s ``on_batch``), once however many requests it
served, so ``/metrics`` reads the same on both.

An implementation writes :meth:`~Dispatcher._enqueue` (the primitive),
:meth:`~Dispatcher.check`, :attr:`~Dispatcher.queued` and
:attr:`~Dispatcher.running`; admission (the queue's bound, a stop),
deadlines, clients that go, and the drain are this base class's.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import SummarizeError

Row = dict[str, Any]
# ``run(records, options) -> rows``: the service's row function, one row per record, in order.
RowFunction = Callable[[list[Any], dict[str, Any]], list[Row]]


class QueueFull(SummarizeError):
    """More documents are waiting than ``max_queue``, or the server is stopping: the caller is told to come back later."""


class DeadlinePassed(SummarizeError):
    """The request's deadline passed before its rows came back; its documents not yet running never will."""


class ClientGone(SummarizeError):
    """The client went before its rows came back; its documents not yet running never will."""


def group_key(options: dict[str, Any]) -> tuple:
    """What documents must share to go in one batch: their options (one ``summarize()`` call).

    >>> group_key({"lang": "uk", "num_beams": 4}) == group_key({"num_beams": 4, "lang": "uk"})
    True
    >>> group_key({"lang": "uk"}) == group_key({"lang": "ru"})
    False
    """
    return tuple(sorted((k, repr(v)) for k, v in options.items()))


@dataclass(frozen=True)
class Cost:
    """What a request asks of the queue: its documents, and their characters (the work grows with the text).

    >>> Cost.of(["abc", "de"])
    Cost(documents=2, characters=5)
    """

    documents: int
    characters: int

    @classmethod
    def of(cls, records: Sequence[Any]) -> Cost:
        return cls(len(records), sum(_characters(r) for r in records))


def _characters(record: Any) -> int:
    text = getattr(record, "text", record)
    return len(text) if isinstance(text, str) else 1  # a record refused at the door still takes a slot


@dataclass(frozen=True)
class Batch:
    """One generated batch: an id (to count it once however many requests it served) and its documents."""

    id: str
    size: int


def run_batch(run: RowFunction, records: Sequence[Any], options: Sequence[dict[str, Any]]) -> list[tuple[Row, Batch]]:
    """Each record's row and the batch it ran in, in order: one ``run`` call per group of records with alike options.

    Every dispatcher runs its batches through here (in a worker thread: this
    blocks), so a batch is cut and counted the same way in this process and
    on Ray Serve's replicas.

    >>> ran = run_batch(lambda rs, o: [{"id": r, **o} for r in rs], ["a", "b", "c"], [{"n": 1}, {"n": 2}, {"n": 1}])
    >>> [row for row, _ in ran]
    [{'id': 'a', 'n': 1}, {'id': 'b', 'n': 2}, {'id': 'c', 'n': 1}]
    >>> [batch.size for _, batch in ran]
    [2, 1, 2]
    """
    if len(records) != len(options):
        raise ValueError(f"{len(records)} records and {len(options)} options: one options dict per record")
    groups: dict[tuple, list[int]] = {}
    for i, o in enumerate(options):
        groups.setdefault(group_key(o), []).append(i)
    ran: list[Any] = [None] * len(records)
    for indices in groups.values():
        rows = run([records[i] for i in indices], options[indices[0]])
        if len(rows) != len(indices):
            raise RuntimeError(f"the row function gave {len(rows)} rows for {len(indices)} records")
        batch = Batch(uuid.uuid4().hex, len(rows))
        for i, row in zip(indices, rows):
            ran[i] = (row, batch)
    return ran


@dataclass(eq=False)  # identity: two requests alike are still two
class Submission:
    """One request in a dispatcher: its records, options, cost, group key, and the future its rows go to."""

    records: list[Any]
    options: dict[str, Any]
    future: asyncio.Future
    cost: Cost = field(init=False)
    key: tuple = field(init=False)

    def __post_init__(self) -> None:
        self.cost = Cost.of(self.records)
        self.key = group_key(self.options)


SEEN_BATCHES = 4096  # batch ids remembered, to report each once; older ones have had all their rows answered


class Dispatcher(ABC):
    """Where the service's requests wait, are batched and run: the one interface the app uses.

    Args:
        max_queue: documents waiting, at most; past it :meth:`submit` raises
            :class:`QueueFull` at once.
    """

    def __init__(self, *, max_queue: int):
        self.max_queue = max_queue
        self.stopping = False
        self.abandoned = False  # a stop left work running in a worker thread (the process must not wait for it)
        self._pending: set[Submission] = set()
        self._on_batch: Callable[[int], None] = _ignore
        self._seen_batches: OrderedDict[str, None] = OrderedDict()

    @property
    @abstractmethod
    def queued(self) -> int:
        """Documents accepted and waiting, not yet in a batch that runs."""

    @property
    @abstractmethod
    def running(self) -> int:
        """Documents in the batches being generated."""

    @abstractmethod
    async def check(self, options: dict[str, Any]) -> None:
        """Check a request's options against what the model serves, before it is queued (raises the library's error)."""

    @abstractmethod
    def _enqueue(self, submission: Submission) -> None:
        """The primitive: queue ``submission`` now, without awaiting (it counts in :attr:`queued` on return).

        The implementation settles ``submission.future`` with the rows of its
        records, in order (or an exception), unless it is done already: then
        the request was withdrawn and its rows are not wanted.
        """

    def _withdraw(self, submission: Submission) -> None:
        """Take ``submission`` out of the queue at once: its client has gone, its deadline passed, or a stop answered it.

        Its future is done (cancelled, or failed with :class:`QueueFull`) when
        this is called. Documents not yet in a batch must then never be
        computed; the default does nothing, for an implementation that skips
        submissions whose future is done when it forms a batch.
        """

    async def _stop(self) -> None:
        """Release what :meth:`start` took (tasks, threads), once the drain is over."""

    async def start(self, on_batch: Callable[[int], None] | None = None) -> None:
        """Begin serving on the running event loop; each batch's size goes to ``on_batch``, once, when its rows come back."""
        self._on_batch = on_batch or _ignore

    async def submit(self, records: Sequence[Any], options: dict[str, Any], *, deadline: float | None = None,
                     gone: Awaitable[Any] | None = None) -> list[Row]:
        """The rows of ``records``, in order, once they have run with ``options``.

        Args:
            records: the request's documents.
            options: for all of them (one request, one ``summarize()`` call's options).
            deadline: a :func:`time.monotonic` time; past it the request is
                withdrawn and :class:`DeadlinePassed` raised.
            gone: returns when the client has gone; the request is then
                withdrawn and :class:`ClientGone` raised.

        Raises:
            QueueFull: the queue cannot take the request's documents, or the
                dispatcher is stopping (or stopped before the request's turn).

        Cancelling the call withdraws the request too.
        """
        watch = asyncio.ensure_future(gone) if gone is not None else None
        try:
            submission = self._admit(records, options)
            future = submission.future
            waited = {future} if watch is None else {future, watch}
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                done, _ = await asyncio.wait(waited, timeout=left, return_when=asyncio.FIRST_COMPLETED)
            finally:
                if not future.done():  # gone, too late, or the caller was cancelled (a stop): out of the queue now
                    future.cancel()
                    self._withdraw(submission)
            if future in done:
                return future.result()
            if watch is not None and watch in done:
                raise ClientGone("the client went before its answer")
            raise DeadlinePassed("the request's deadline passed before its answer")
        finally:
            if watch is not None:
                watch.cancel()

    def _admit(self, records: Sequence[Any], options: dict[str, Any]) -> Submission:
        if self.stopping:
            raise QueueFull("the server is shutting down")
        if self.queued + len(records) > self.max_queue:
            raise QueueFull(f"{self.queued} documents are waiting (--max-queue {self.max_queue})")
        submission = Submission(list(records), dict(options), asyncio.get_running_loop().create_future())
        self._pending.add(submission)
        submission.future.add_done_callback(lambda _: self._pending.discard(submission))
        self._enqueue(submission)
        return submission

    def _report(self, batch: Batch) -> None:
        """Report ``batch``'s size, once: a batch serves several requests, and each brings its id back."""
        if batch.id in self._seen_batches:
            return
        self._seen_batches[batch.id] = None
        if len(self._seen_batches) > SEEN_BATCHES:
            self._seen_batches.popitem(last=False)
        self._on_batch(batch.size)

    async def drain(self, timeout: float | None = None) -> None:
        """Stop taking documents; answer every accepted one, or, past ``timeout`` seconds, answer the rest 503.

        Work still running then is abandoned (:attr:`abandoned`), so a stop
        never waits longer than ``timeout``.
        """
        self.stopping = True
        stop_at = None if timeout is None else time.monotonic() + timeout
        while self.queued or self.running:
            if stop_at is not None and time.monotonic() >= stop_at:
                self.abandoned = self.abandoned or bool(self.running)
                for submission in list(self._pending):
                    if not submission.future.done():
                        submission.future.set_exception(QueueFull("the server stopped before this request's turn; retry"))
                        self._withdraw(submission)
                break
            await asyncio.sleep(0.01)
        await self._stop()


def _ignore(size: int) -> None:
    return None
