"""The service's dispatcher is a contract: the app runs with any implementation, and answers and counts alike.

Three dispatchers serve the same requests: this process's ``Batcher``, Ray
Serve's (over the model deployment's handle, here with its replica in this
process and calls gathered into batches as ``@serve.batch`` gathers them),
and a synchronous one written below from the base class alone. ``Manual``,
the base class with its queue moved by hand, tests what the base class
itself does: admission, the drain, deadlines, and reporting batches once.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time

import pytest

from summarize import Summarizer
from summarize.server.batcher import Batcher
from summarize.server.dispatch import ClientGone, DeadlinePassed, Dispatcher, run_batch
from summarize.server.ray_serve import RayServeDispatcher, Replica
from summarize.server.service import ServerConfig, Service

from .conftest import TEXTS

pytest.importorskip("uvicorn")


class Immediate(Dispatcher):
    """A third dispatcher, from the contract alone: each request runs at once, on its own, on the event loop's thread."""

    def __init__(self, worker: Service):
        super().__init__(max_queue=worker.config.max_queue)
        self.worker = worker

    @property
    def queued(self) -> int:
        return 0

    @property
    def running(self) -> int:
        return 0

    async def check(self, options):
        self.worker.check(options)

    def _enqueue(self, submission):
        try:
            ran = run_batch(self.worker.run, submission.records, [submission.options] * submission.cost.documents)
        except Exception as exc:  # noqa: BLE001 - the request's failure
            submission.future.set_exception(exc)
            return
        for _, batch in ran:
            self._report(batch)
        submission.future.set_result([row for row, _ in ran])


class _Method:
    def __init__(self, remote):
        self.remote = remote


class _Stream:
    """A streamed call's answer: what the replica sends for one document."""

    def __init__(self, record, options):
        self.record, self.options = record, options
        self.messages: asyncio.Queue = asyncio.Queue()
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def __aiter__(self):
        return self

    async def __anext__(self):
        message = await self.messages.get()
        if isinstance(message, BaseException):
            raise message
        return message


class InProcessHandle:
    """The model deployment's handle with its replica in this process.

    The calls of one turn of the event loop are one batch, as ``@serve.batch``
    gathers them; a call cancelled before its batch runs leaves it. A batch
    waits for ``hold`` (set unless a test clears it).
    """

    def __init__(self, replica: Replica):
        self.replica = replica
        self.check = _Method(replica.check)
        self.summarize = _Method(self._call)
        self.hold = threading.Event()
        self.hold.set()
        self._gathering: list[_Stream] = []

    def options(self, *, stream: bool):
        assert stream, "the dispatcher streams: first that a document's batch started, then its row"
        return self

    def _call(self, record, options) -> _Stream:
        stream = _Stream(record, options)
        if not self._gathering:
            asyncio.get_running_loop().call_soon(self._flush)
        self._gathering.append(stream)
        return stream

    def _flush(self) -> None:
        batch, self._gathering = self._gathering, []
        asyncio.ensure_future(self._run(batch))

    async def _run(self, streams: list[_Stream]) -> None:
        while not self.hold.is_set():
            await asyncio.sleep(0.005)
        streams = [s for s in streams if not s.cancelled]
        if not streams:
            return
        try:
            async for messages in self.replica.batch([s.record for s in streams], [s.options for s in streams]):
                for stream, message in zip(streams, messages, strict=True):
                    stream.messages.put_nowait(message)
        except Exception as exc:  # noqa: BLE001 - every caller of the batch gets it, as from Ray
            for stream in streams:
                stream.messages.put_nowait(exc)


REQUESTS = [
    {"id": 1, "text": TEXTS["en"]},
    {"documents": [{"id": "a", "text": TEXTS["uk"]}, {"id": "b", "text": ""}, {"id": "c", "text": TEXTS["ru"]}]},
    {"id": 2, "text": TEXTS["ru"], "num_beams": 2},
    {"id": 3, "text": TEXTS["en"], "num_beams": 64},  # over the server's limit: 400 before anything is queued
    {"id": 4, "text": "Уряд \ud800 ухвалив бюджет."},  # a lone surrogate: 422 at the door, counted as failed
]
COUNTED = re.compile(r"^(summarize_(?:documents_total|tokens_total|batch_documents_(?:bucket|count|sum)|queue_documents|running_documents"
                     r"|requests_total)(?:\{[^}]*\})?) (\S+)$", re.M)


def _answer(status: int, body: bytes):
    data = json.loads(body)
    for row in data.get("results", [data]):
        row.pop("seconds", None)  # the time taken is each run's own
    return status, data


def test_every_dispatcher_gives_the_same_answers_and_the_same_metrics(tiny_model):
    from .test_server import request
    from .test_server_app import Serving

    summarizer = Summarizer(tiny_model, backend="torch", device="cpu", num_beams=1, max_new_tokens=6)
    config = {"batch_size": 4}
    dispatchers = {
        "batcher": None,  # the app's default: this process's Batcher
        "immediate": Immediate(Service(ServerConfig(**config), summarizer)),
        "ray serve": RayServeDispatcher(InProcessHandle(Replica(Service(ServerConfig(**config), summarizer))), max_queue=256),
    }
    seen = {}
    for name, dispatcher in dispatchers.items():
        serving = Serving(summarizer, dispatcher, **config)
        try:
            answers = [_answer(*serving.post(body)[::2]) for body in REQUESTS]  # one at a time: the same batches
            metrics = dict(COUNTED.findall(request(serving.url + "/metrics")[2].decode()))
        finally:
            serving.close()
        seen[name] = answers, metrics
    answers, metrics = seen["batcher"]
    assert [status for status, _ in answers] == [200, 200, 200, 400, 422]
    assert metrics['summarize_documents_total{outcome="ok"}'] == "4.0"
    assert metrics['summarize_documents_total{outcome="failed"}'] == "2.0"  # "b", and the one refused at the door
    assert metrics["summarize_batch_documents_count"] == "3.0" and metrics["summarize_batch_documents_sum"] == "5.0"
    assert float(metrics['summarize_tokens_total{kind="output"}']) > 0
    assert metrics["summarize_queue_documents"] == metrics["summarize_running_documents"] == "0.0"
    assert seen["immediate"] == seen["batcher"]
    assert seen["ray serve"] == seen["batcher"]


class _Held:
    """A service whose batches run until released."""

    def __init__(self):
        self.release = threading.Event()
        self.ran: list[list[str]] = []

    def run(self, records, options):
        self.ran.append(list(records))
        self.release.wait(5)
        return [{"id": r} for r in records]

    def check(self, options) -> None:
        return None


async def _until(condition, seconds: float = 2.0) -> None:
    stop = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < stop, "never came true"
        await asyncio.sleep(0.005)


def test_ray_serve_counts_documents_running_from_the_replicas_word_and_withdraws_a_gone_request():
    service = _Held()
    handle = InProcessHandle(Replica(service))

    async def main():
        dispatcher = RayServeDispatcher(handle, max_queue=8)
        sizes: list[int] = []
        await dispatcher.start(on_batch=sizes.append)
        handle.hold.clear()
        asked = asyncio.ensure_future(dispatcher.submit(["a", "b"], {}))
        await _until(lambda: dispatcher.queued == 2)
        gone = asyncio.get_running_loop().create_future()
        left = asyncio.ensure_future(dispatcher.submit(["x"], {}, gone=gone))
        await _until(lambda: dispatcher.queued == 3)
        gone.set_result(None)
        with pytest.raises(ClientGone):
            await left
        assert dispatcher.queued == 2  # its slot is free at once
        await asyncio.sleep(0.02)
        handle.hold.set()
        await _until(lambda: dispatcher.running == 2)  # the replica said the batch has started
        assert dispatcher.queued == 0
        service.release.set()
        rows = await asked
        assert dispatcher.queued == dispatcher.running == 0
        await dispatcher.drain()
        return rows, sizes

    rows, sizes = asyncio.run(main())
    assert rows == [{"id": "a"}, {"id": "b"}] and sizes == [2]
    assert service.ran == [["a", "b"]]  # the gone request's document was never computed


def test_the_batcher_withdraws_a_request_past_its_deadline_or_whose_client_went_and_reports_each_batch_once():
    ran: list[list[str]] = []

    def run(records, options):
        ran.append(list(records))
        time.sleep(0.05)
        return [{"id": r} for r in records]

    async def main():
        batcher = Batcher(run, batch_size=4, max_wait_ms=0, max_queue=100)
        sizes: list[int] = []
        await batcher.start(on_batch=sizes.append)
        busy = asyncio.ensure_future(batcher.submit(["busy"], {}))  # holds the worker 50 ms
        await asyncio.sleep(0.01)
        with pytest.raises(DeadlinePassed):
            await batcher.submit(["late"], {}, deadline=time.monotonic() + 0.01)
        assert batcher.queued == 0
        gone = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_later(0.01, gone.set_result, None)
        with pytest.raises(ClientGone):
            await batcher.submit(["left"], {}, gone=gone)
        assert batcher.queued == 0
        await busy
        await asyncio.gather(*(batcher.submit([f"d{i}a", f"d{i}b"], {}) for i in range(5)))
        await batcher.drain()
        return sizes

    sizes = asyncio.run(main())
    assert ran[0] == ["busy"] and not any("late" in r or "left" in r for r in ran)
    assert sizes == [1, 4, 4, 2]  # each batch once, however many requests it answered


class Manual(Dispatcher):
    """The base class alone, its queue moved by hand: admission, the drain, and reporting batches once."""

    def __init__(self, max_queue: int = 10):
        super().__init__(max_queue=max_queue)
        self.waiting: list = []
        self.started: list = []
        self.withdrawn: list = []
        self.stopped = False

    @property
    def queued(self) -> int:
        return sum(s.cost.documents for s in self.waiting)

    @property
    def running(self) -> int:
        return sum(s.cost.documents for s in self.started if not s.future.done())

    async def check(self, options):
        pass

    def _enqueue(self, submission):
        self.waiting.append(submission)

    def _withdraw(self, submission):
        self.withdrawn.append(submission)
        if submission in self.waiting:
            self.waiting.remove(submission)

    async def _stop(self):
        self.stopped = True

    def run_next(self):
        self.started.append(self.waiting.pop(0))
        return self.started[-1]


def test_a_stop_waits_for_accepted_work_and_then_refuses_new_requests():
    from summarize.server.dispatch import QueueFull

    async def main():
        dispatcher = Manual()
        await dispatcher.start()
        asked = asyncio.ensure_future(dispatcher.submit(["a"], {}))
        await _until(lambda: dispatcher.queued == 1)
        draining = asyncio.ensure_future(dispatcher.drain())
        await asyncio.sleep(0.05)
        assert not draining.done()  # one document waits: the stop waits for it
        submission = dispatcher.run_next()
        await asyncio.sleep(0.05)
        assert not draining.done()  # and for it to run
        submission.future.set_result([{"id": "a"}])
        await draining
        assert dispatcher.stopped and not dispatcher.abandoned
        with pytest.raises(QueueFull) as caught:
            await dispatcher.submit(["b"], {})
        assert str(caught.value) == "the server is shutting down"
        return await asked

    assert asyncio.run(main()) == [{"id": "a"}]


def test_a_stop_past_its_timeout_answers_what_is_left_503_and_abandons_what_runs():
    from summarize.server.dispatch import QueueFull

    async def main():
        dispatcher = Manual()
        await dispatcher.start()
        running = asyncio.ensure_future(dispatcher.submit(["a"], {}))
        waiting = asyncio.ensure_future(dispatcher.submit(["b", "c"], {}))
        await _until(lambda: dispatcher.queued == 3)
        dispatcher.run_next()  # "a" runs, and never finishes
        started = time.monotonic()
        await dispatcher.drain(timeout=0.2)
        took = time.monotonic() - started
        results = await asyncio.gather(running, waiting, return_exceptions=True)
        return dispatcher, took, results

    dispatcher, took, results = asyncio.run(main())
    assert 0.15 <= took < 1.0  # it waited its timeout, and no longer
    assert all(isinstance(r, QueueFull) and str(r) == "the server stopped before this request's turn; retry" for r in results)
    assert dispatcher.abandoned is True and dispatcher.stopped  # a process that stops must not wait for "a"
    assert sorted(s.records for s in dispatcher.withdrawn) == [["a"], ["b", "c"]] and dispatcher.queued == 0  # in either order


def test_a_batch_is_reported_once_however_many_requests_bring_it_back_even_after_thousands_more():
    from summarize.server.dispatch import SEEN_BATCHES, Batch

    async def main():
        dispatcher = Manual()
        sizes: list[int] = []
        await dispatcher.start(on_batch=sizes.append)
        batches = [Batch(f"b{i}", 1) for i in range(SEEN_BATCHES + 1)]
        for batch in batches:  # as an implementation reports each request's batch when its rows come back
            dispatcher._report(batch)
            dispatcher._report(batch)  # its second request's rows
        dispatcher._report(batches[-1])
        dispatcher._report(batches[1])  # the oldest still remembered
        return sizes

    assert len(asyncio.run(main())) == SEEN_BATCHES + 1


def test_a_requests_cost_is_its_documents_and_their_characters():
    from summarize.inputs.records import Record
    from summarize.server.dispatch import Cost

    records = [Record("a", "Ціни зросли.", 1), Record("b", None, 2, error="'text' is empty")]
    assert Cost.of(records) == Cost(documents=2, characters=len("Ціни зросли.") + 1)  # one refused at the door takes a slot


def test_a_dispatcher_that_breaks_the_row_contract_is_told_how():
    with pytest.raises(ValueError, match=r"^2 records and 1 options: one options dict per record$"):
        run_batch(lambda rs, o: rs, ["a", "b"], [{}])
    with pytest.raises(RuntimeError, match=r"^the row function gave 1 rows for 2 records$"):
        run_batch(lambda rs, o: rs[:1], ["a", "b"], [{}, {}])


def test_a_deadline_and_a_client_that_goes_are_told_apart_and_nothing_of_either_is_kept():
    async def main():
        dispatcher = Manual()
        await dispatcher.start()
        staying = asyncio.get_running_loop().create_future()  # this client never goes
        with pytest.raises(DeadlinePassed) as late:
            await dispatcher.submit(["a"], {}, deadline=time.monotonic() + 0.05, gone=staying)
        with pytest.raises(ClientGone) as left:
            await dispatcher.submit(["b"], {}, deadline=time.monotonic() + 5, gone=asyncio.sleep(0.01))
        staying = asyncio.get_running_loop().create_future()
        answered = asyncio.ensure_future(dispatcher.submit(["c"], {}, deadline=time.monotonic() + 5, gone=staying))
        await _until(lambda: dispatcher.queued == 1)
        dispatcher.run_next().future.set_result([{"id": "c"}])
        rows = await answered
        return dispatcher, str(late.value), str(left.value), rows

    dispatcher, late, left, rows = asyncio.run(main())
    assert late == "the request's deadline passed before its answer"
    assert left == "the client went before its answer"
    assert rows == [{"id": "c"}]
    # Withdrawn or answered, a request leaves nothing behind: a long-running server does not grow with its traffic.
    # (_pending is what a stop answers; nothing public shows its size.)
    assert dispatcher.queued == 0 and [s.records for s in dispatcher.withdrawn] == [["a"], ["b"]] and not dispatcher._pending
