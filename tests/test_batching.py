"""The batch scheduler, with backends that record what they were given."""

import threading
import time

import pytest

from summarize.backends import Backend, finished
from summarize.generation.scheduler import generate_batched
from summarize.generation import GenerationSettings


class Recording(Backend):
    """Returns each input's first id; remembers batches and how many ran at once."""

    name = "recording"

    def __init__(self, workers=1, fail_on=None, memory=None):
        self.workers = workers
        self.fail_on = fail_on
        self.memory = memory  # the most inputs a batch may have before it runs out of memory
        self.batches = []
        self.released = 0
        self.lock = threading.Lock()

    def _run(self, batch, n_best):
        with self.lock:
            self.batches.append([list(ids) for ids in batch])
        if self.fail_on is not None and any(ids[0] == self.fail_on for ids in batch):
            raise RuntimeError("boom")
        if self.memory is not None and len(batch) > self.memory:
            raise RuntimeError("CUDA failed with error out of memory")
        return [[list(ids[:1])] * n_best for ids in batch]  # the contract: a list of hypotheses per input

    def release_memory(self):
        self.released += 1

    def submit(self, batch, settings, starts, n_best=1):
        # Fails on waiting, as CTranslate2's asynchronous results do.
        return lambda: self._run(batch, n_best)


def requests(n, n_best=1):
    return [([i] + [0] * (i % 5), None, n_best) for i in range(n)]


def test_parallel_workers_split_the_batch_size_and_keep_request_order():
    backend = Recording(workers=2)
    results = generate_batched(backend, requests(9), GenerationSettings(), batch_size=4)
    assert [out for out, _ in results] == [[[i]] for i in range(9)]
    # Two workers, batch size 4: batches of 2, so 4 documents are in flight, not 8.
    assert max(len(b) for b in backend.batches) == 2 and sum(len(b) for b in backend.batches) == 9
    assert all(seconds >= 0 for _, seconds in results)


def test_one_worker_keeps_whole_batches():
    backend = Recording(workers=1)
    generate_batched(backend, requests(9), GenerationSettings(), batch_size=4)
    assert sorted(len(b) for b in backend.batches) == [1, 4, 4]


@pytest.mark.parametrize("workers, batch_size", [(1, 8), (2, 4), (1, 5), (2, 16)])
def test_a_failing_input_fails_alone_and_its_mates_are_generated_again(workers, batch_size):
    backend = Recording(workers=workers, fail_on=3)
    results = generate_batched(backend, requests(8), GenerationSettings(), batch_size=batch_size)
    failed = [i for i, (out, _) in enumerate(results) if isinstance(out, BaseException)]
    assert failed == [3]
    assert all(out == [[i]] for i, (out, _) in enumerate(results) if i != 3)
    # Halving finds it: the failing input ran alone once, in no more batches than 2 log2(n) + 1.
    assert [[3, 0, 0, 0]] in backend.batches and len(backend.batches) <= 2 * 3 + 2


def test_n_best_requests_get_lists_and_their_own_batches():
    backend = Recording(workers=2)
    mixed = requests(3) + [([7], None, 3)]
    results = generate_batched(backend, mixed, GenerationSettings(), batch_size=8)
    assert results[3][0] == [[7], [7], [7]]
    assert [b for b in backend.batches if [7] in b] == [[[7]]]


def test_out_of_memory_is_retried_in_halves_for_every_backend():
    for workers in (1, 2):  # one batch at a time (torch), parallel workers (CTranslate2)
        backend = Recording(workers=workers, memory=1)
        results = generate_batched(backend, requests(8), GenerationSettings(), batch_size=8)
        assert [out for out, _ in results] == [[[i]] for i in range(8)], workers
        assert backend.released > 0 and all(len(b) >= 1 for b in backend.batches)


def test_out_of_memory_on_one_input_is_that_inputs_error():
    backend = Recording(memory=0)
    results = generate_batched(backend, requests(2), GenerationSettings(), batch_size=2)
    assert all(isinstance(out, RuntimeError) and "out of memory" in str(out) for out, _ in results)


def test_batches_are_longest_first_and_never_mix_hypothesis_counts():
    from summarize.generation.scheduler import plan_batches

    lengths = [1, 3, 2, 5, 4]
    reqs = [([0] * n, None, 1) for n in lengths] + [([0] * 9, None, 3)]
    assert plan_batches(reqs, 2) == [[3, 4], [1, 2], [0], [5]]
    assert plan_batches(reqs, 1) == [[3], [4], [1], [2], [0], [5]]


class Plain(Backend):
    """The least a backend may be: only ``submit``, generating at once; the base class's defaults for the rest."""

    name = "plain"

    def __init__(self, memory):
        self.memory, self.seen = memory, []

    def submit(self, batch, settings, starts, n_best=1):
        self.seen.append((len(batch), settings, list(starts), n_best))
        if len(batch) > self.memory:
            raise MemoryError("out of memory")
        return finished([[list(ids[:1])] * n_best for ids in batch])


def test_halving_passes_the_same_settings_starts_and_hypothesis_count():
    backend = Plain(memory=1)
    settings = GenerationSettings(num_beams=2)
    reqs = [([i, 0], 7 + i, 2) for i in range(4)]
    results = generate_batched(backend, reqs, settings, batch_size=4)
    assert [out for out, _ in results] == [[[i], [i]] for i in range(4)]
    assert backend.seen[0][0] == 4 and all(s is settings and n == 2 for _, s, _, n in backend.seen)
    assert sorted(start for size, _, starts, _ in backend.seen if size == 1 for start in starts) == [7, 8, 9, 10]
    assert all(seconds >= 0 for _, seconds in results) and sum(seconds for _, seconds in results) < 60


def test_an_option_error_is_every_inputs_without_halving():
    from summarize import InvalidOptionError

    class Refusing(Recording):
        def _run(self, batch, n_best):
            self.batches.append(batch)
            raise InvalidOptionError("num_beams must be an integer >= 1")

    backend = Refusing()
    results = generate_batched(backend, requests(8), GenerationSettings(), batch_size=8)
    assert all(isinstance(out, InvalidOptionError) for out, _ in results) and len(backend.batches) == 1


class Counting(Recording):
    """Counts the batches submitted and not yet waited for; ``most`` is the most at once."""

    def __init__(self, workers):
        super().__init__(workers=workers)
        self.queued = self.most = 0

    def submit(self, batch, settings, starts, n_best=1):
        self.queued += 1
        self.most = max(self.most, self.queued)

        def wait():
            self.queued -= 1
            return self._run(batch, n_best)
        return wait


def test_a_long_call_keeps_at_most_one_batch_queued_beyond_the_workers():
    # Another caller's batch (another request, in the service) must not wait behind a hundred windows.
    backend = Counting(workers=2)
    results = generate_batched(backend, requests(40), GenerationSettings(), batch_size=4)
    assert [out for out, _ in results] == [[[i]] for i in range(40)]
    assert backend.most == 3 and len(backend.batches) == 20


def test_each_input_keeps_its_own_start_token_in_a_batch_that_mixes_them():
    # Cross-lingual checkpoints start each summary with its target language's token: one batch may mix them.
    class Starts(Backend):
        name = "starts"

        def __init__(self):
            self.seen = []

        def submit(self, batch, settings, starts, n_best=1):
            self.seen.append({ids[0]: start for ids, start in zip(batch, starts)})
            return finished([[list(ids[:1])] * n_best for ids in batch])

    backend = Starts()
    generate_batched(backend, [([1, 0], 250004, 1), ([2, 0], None, 1), ([3, 0], 250005, 1)], GenerationSettings(), batch_size=8)
    assert backend.seen == [{1: 250004, 2: None, 3: 250005}]


def test_a_batch_size_of_one_generates_one_document_at_a_time():
    backend = Recording(workers=1)
    generate_batched(backend, requests(3), GenerationSettings(), batch_size=1)
    assert [len(b) for b in backend.batches] == [1, 1, 1]


def test_one_worker_has_one_batch_in_flight():
    # The documents in flight, and the memory they hold, stay the batch size.
    backend = Counting(workers=1)
    generate_batched(backend, requests(12), GenerationSettings(), batch_size=4)
    assert backend.most == 1 and len(backend.batches) == 3


class Sleeping(Recording):
    """Each batch takes ``SLEEP`` seconds, in a thread of its own (as CTranslate2's workers run)."""

    def submit(self, batch, settings, starts, n_best=1):
        done = threading.Thread(target=time.sleep, args=(SLEEP,))
        done.start()

        def wait():
            done.join()
            return self._run(batch, n_best)
        return wait


SLEEP = 0.2


def test_each_document_is_charged_its_share_of_its_batchs_time():
    # One worker: batches [2, 1] and [0] (longest first); the pair share one batch's time, the one alone has one to itself.
    results = generate_batched(Sleeping(workers=1), requests(3), GenerationSettings(), batch_size=2)
    pair, alone = [seconds for _, seconds in results[1:]], results[0][1]
    assert all(SLEEP / 2 * 0.9 <= s < SLEEP * 0.75 for s in pair), pair
    assert SLEEP * 0.9 <= alone < SLEEP * 1.5, alone


@pytest.mark.parametrize("n", [1, 4])
def test_with_parallel_workers_each_document_is_charged_its_share_of_the_whole_call(n):
    # Two workers, batch size 4: batches of 2 run at once, so the call takes about one batch's time, shared by all.
    results = generate_batched(Sleeping(workers=2), requests(n), GenerationSettings(), batch_size=4)
    assert all(SLEEP / n * 0.9 <= s < SLEEP / n + 0.4 * SLEEP / max(1, n - 1) for _, s in results), results


@pytest.mark.parametrize("error, shown", [
    (RuntimeError("boom\nat layer 3"), "RuntimeError: boom"),  # the first line of a long error
    (ValueError(""), "ValueError"),  # an error with no message: its class
])
def test_the_log_says_which_batch_failed_how_it_is_split_and_which_input_kept_the_error(caplog, error, shown):
    class Failing(Recording):
        def _run(self, batch, n_best):
            if any(ids[0] == 3 for ids in batch):
                raise error
            return super()._run(batch, n_best)

    with caplog.at_level("WARNING", logger="summarize"):
        generate_batched(Failing(), requests(5), GenerationSettings(), batch_size=5)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == f"generation failed for a batch of 5 ({shown}); retrying as 2 + 3"
    assert lines[-1] == f"generation failed for 1 input(s): {shown}"  # one line, naming the error's class
    assert [r.levelname for r in caplog.records][-1] == "ERROR"
