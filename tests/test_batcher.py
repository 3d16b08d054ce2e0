"""The server's dynamic batcher and fact passages, in-process."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from summarize.faithfulness import check_faithfulness
from summarize.server.batcher import Batcher
from summarize.server.dispatch import QueueFull
from summarize.server.facts import facts_with_passages, sentence_spans


def _run(calls):
    def run(records, options):
        calls.append((len(records), dict(options), threading.current_thread().name))
        time.sleep(0.05)
        return [{"id": r, "options": options} for r in records]
    return run


def test_concurrent_submissions_are_gathered_up_to_the_batch_size_in_order():
    calls: list = []

    async def main():
        batcher = Batcher(_run(calls), batch_size=4, max_wait_ms=50, max_queue=100)
        await batcher.start()
        answers = await asyncio.gather(*(batcher.submit([f"d{i}a", f"d{i}b"], {"lang": "uk"}) for i in range(5)))
        await batcher.drain()
        return answers

    answers = asyncio.run(main())
    assert answers == [[{"id": f"d{i}a", "options": {"lang": "uk"}}, {"id": f"d{i}b", "options": {"lang": "uk"}}] for i in range(5)]
    assert [n for n, _, _ in calls] == [4, 4, 2]  # two requests a batch, none split
    assert all(name.startswith("summarize-generate") for _, _, name in calls)  # never on the event loop


def test_other_options_go_in_other_batches_and_a_lone_request_waits_at_most_max_wait():
    calls: list = []

    began: list = []

    def run(records, options):
        began.append(time.perf_counter())
        return _run(calls)(records, options)

    async def main():
        batcher = Batcher(run, batch_size=8, max_wait_ms=30, max_queue=100)
        await batcher.start()
        started = time.perf_counter()
        await asyncio.gather(batcher.submit(["a"], {"lang": "uk"}), batcher.submit(["b"], {"lang": "ru"}),
                             batcher.submit(["c"], {"lang": "uk"}))
        await batcher.drain()
        return started

    started = asyncio.run(main())
    assert sorted((n, o["lang"]) for n, o, _ in calls) == [(1, "ru"), (2, "uk")]
    # The first batch (a half-empty one) started once max_wait had passed, not when it filled up.
    assert 0.025 <= began[0] - started < 0.25


def test_a_full_queue_refuses_at_once_and_a_failed_batch_fails_its_requests_only():
    def failing(records, options):
        if options.get("fail"):
            raise RuntimeError("boom")
        return list(records)

    async def main():
        batcher = Batcher(failing, batch_size=2, max_wait_ms=1, max_queue=3)
        await batcher.start()
        with pytest.raises(QueueFull, match="--max-queue 3"):
            await batcher.submit(["a", "b", "c", "d"], {})
        with pytest.raises(RuntimeError, match="boom"):
            await batcher.submit(["a"], {"fail": True})
        assert await batcher.submit(["x"], {}) == ["x"]  # the loop goes on
        await batcher.drain()
        with pytest.raises(QueueFull, match="shutting down"):
            await batcher.submit(["y"], {})

    asyncio.run(main())


def test_a_request_whose_client_has_gone_is_not_computed():
    calls: list = []

    async def main():
        batcher = Batcher(_run(calls), batch_size=1, max_wait_ms=0, max_queue=100)
        await batcher.start()
        first = asyncio.ensure_future(batcher.submit(["first"], {}))
        gone = asyncio.ensure_future(batcher.submit(["gone"], {}))
        await asyncio.sleep(0.01)
        gone.cancel()
        await first
        await batcher.submit(["last"], {})
        await batcher.drain()

    asyncio.run(main())
    assert [n for n, _, _ in calls] == [1, 1]


def test_facts_carry_their_evidence_and_the_passage_to_read():
    source = "Ціни на газ у жовтні зросли на 5 відсотків. Уряд обіцяв допомогу до зими. Мер Львова підтримав рішення."
    summary = "Ціни зросли на 5 відсотків; допомога буде до 2030."
    facts = facts_with_passages(source, summary, check_faithfulness(source, summary))
    number = next(f for f in facts if f["text"] == "5 відсотків")
    assert number["supported"] and source[number["evidence_start"]:number["evidence_end"]] == "5 відсотків"
    assert number["passage"] == "Ціни на газ у жовтні зросли на 5 відсотків."
    year = next(f for f in facts if f["text"] == "2030")
    assert not year["supported"] and year["evidence_start"] is None
    assert year["passage"] == "Уряд обіцяв допомогу до зими."  # the clause around it, not the first sentence
    assert summary[year["start"]:year["end"]] == "2030"
    assert sentence_spans("") == [(0, 0)] and facts_with_passages(source, summary, None) == []


def test_a_client_that_goes_frees_its_queue_slots_at_once():
    calls: list = []

    async def main():
        batcher = Batcher(_run(calls), batch_size=1, max_wait_ms=0, max_queue=3)
        await batcher.start()
        running = asyncio.ensure_future(batcher.submit(["busy"], {}))  # holds the worker 50 ms
        await asyncio.sleep(0.01)
        gone = asyncio.ensure_future(batcher.submit(["a", "b", "c"], {}))
        await asyncio.sleep(0.005)
        with pytest.raises(QueueFull):
            await batcher.submit(["d"], {})  # the queue is full while that request waits
        gone.cancel()
        await asyncio.sleep(0)
        freed = batcher.queued
        answer = await batcher.submit(["d"], {})  # fits at once, before the running batch ends
        await running
        await batcher.drain()
        return freed, answer

    freed, answer = asyncio.run(main())
    assert freed == 0 and answer == [{"id": "d", "options": {}}]
    assert [n for n, _, _ in calls] == [1, 1]  # "busy" and "d": the gone request was never computed


def test_a_long_document_runs_in_its_own_lane_and_holds_no_short_request():
    calls: list = []

    def run(records, options):
        calls.append((threading.current_thread().name, len(records)))
        time.sleep(1.0 if any(len(r) > 100 for r in records) else 0.01)
        return list(records)

    async def main():
        batcher = Batcher(run, batch_size=4, max_wait_ms=1, max_queue=100, long_chars=100)
        await batcher.start()
        long = asyncio.ensure_future(batcher.submit(["x" * 1000], {}))
        await asyncio.sleep(0.05)  # the long one is running
        started = time.monotonic()
        short = await asyncio.gather(*(batcher.submit([f"s{i}"], {}) for i in range(6)))
        waited = time.monotonic() - started
        await long
        await batcher.drain()
        return short, waited

    short, waited = asyncio.run(main())
    assert short == [[f"s{i}"] for i in range(6)]
    assert waited < 0.5  # not behind the second-long document
    assert ("summarize-generate-long", 1) in calls


def test_batches_are_gathered_by_characters_as_well_as_documents():
    calls: list = []

    async def main():
        batcher = Batcher(_run(calls), batch_size=8, max_wait_ms=50, max_queue=100, batch_chars=5_000)
        await batcher.start()
        await asyncio.gather(*(batcher.submit(["y" * 2_000], {}) for _ in range(6)))
        await batcher.drain()

    asyncio.run(main())
    assert [n for n, _, _ in calls] == [2, 2, 2]  # 4,000 characters a batch, not 8 documents


def test_a_stop_answers_the_rest_503_within_its_timeout():
    release = threading.Event()

    def stuck(records, options):
        release.wait(10)  # a beam search that cannot be interrupted
        return list(records)

    async def main():
        batcher = Batcher(stuck, batch_size=1, max_wait_ms=0, max_queue=100)
        await batcher.start()
        running = asyncio.ensure_future(batcher.submit(["a"], {}))
        waiting = asyncio.ensure_future(batcher.submit(["b"], {}))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        await batcher.drain(timeout=0.2)
        took = time.monotonic() - started
        results = await asyncio.gather(running, waiting, return_exceptions=True)
        release.set()
        return took, results

    took, results = asyncio.run(main())
    assert took < 1.0
    assert all(isinstance(r, QueueFull) and "stopped" in str(r) for r in results)


def test_a_lane_outlives_requests_that_all_leave_while_it_gathers():
    calls: list = []

    async def main():
        batcher = Batcher(_run(calls), batch_size=8, max_wait_ms=200, max_queue=100)
        await batcher.start()
        gone = [asyncio.ensure_future(batcher.submit([f"g{i}"], {})) for i in range(3)]
        await asyncio.sleep(0.02)  # the lane is gathering
        for task in gone:
            task.cancel()
        await asyncio.sleep(0.3)
        answer = await asyncio.wait_for(batcher.submit(["after"], {}), 5)  # the lane still serves
        await batcher.drain()
        return answer

    assert asyncio.run(main()) == [{"id": "after", "options": {}}]


def test_the_server_gathers_its_own_batch_size_or_else_the_summarizers():
    from summarize.options import SummarizerOptions
    from summarize.server.service import ServerConfig, Service

    def gathers(config):
        service = Service(config, summarizer=None)
        try:
            return service.dispatcher.batch_size
        finally:
            service.fetcher.shutdown()

    assert gathers(ServerConfig(summarizer=SummarizerOptions(method="lead", batch_size=3))) == 3
    assert gathers(ServerConfig(summarizer=SummarizerOptions(method="lead", batch_size=3), batch_size=16)) == 16
