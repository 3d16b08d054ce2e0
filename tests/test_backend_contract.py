"""Adding a backend is implementing :class:`summarize.backends.Backend`: a third one, defined here, runs everywhere."""

from __future__ import annotations

import threading

import pytest

from summarize import InvalidOptionError, Summarizer
from summarize.backends import BACKENDS, Backend, finished

POISON = "Отрута"


class EchoBackend(Backend):
    """Echoes the first ``max_new_tokens`` ids of each input: a summary that is the text's opening, checkable by hand.

    It implements only what the contract asks (its constructor and
    :meth:`submit`); its ``workers`` come from ``threads`` so that the
    scheduler's parallel path is exercised too. An input holding the poison
    word fails its batch, as a backend error would.
    """

    name = "echo"

    def __init__(self, checkpoint, device="auto", dtype="auto", vocabulary="full", threads=0):
        self.tokenizer = checkpoint.tokenizer
        self.device, self.dtype = "cpu", "float32"
        self.workers = max(1, threads)
        self.poison = set(self.tokenizer(POISON, add_special_tokens=False).input_ids)
        self.batches: list[int] = []
        self.lock = threading.Lock()

    def submit(self, batch, settings, start_tokens, n_best=1):
        with self.lock:
            self.batches.append(len(batch))
        specials = set(self.tokenizer.all_special_ids)
        outputs = [[[i for i in ids if i not in specials][: settings.max_new_tokens]] * n_best for ids in batch]
        if any(self.poison <= set(ids) for ids in batch):
            def fail():
                raise RuntimeError("the echo backend choked")
            return fail
        return finished(outputs)


@pytest.fixture
def echo(monkeypatch):
    monkeypatch.setitem(BACKENDS, "echo", f"{__name__}:EchoBackend")


TEXTS = ["Рада ухвалила закон про бюджет.", "Уряд оголосив нові ціни на газ.", "Депутати зібралися у вівторок."]


@pytest.mark.parametrize("threads", [1, 2])
def test_a_registered_backend_serves_the_summarizer_with_the_schedulers_rules(tiny_model, echo, threads):
    s = Summarizer(tiny_model, backend="echo", threads=threads, batch_size=2, faithfulness="off")
    assert (s.backend.name, s.backend.vocabulary_used) == ("echo", "full")  # the base class's defaults
    alone = [s.summarize(t, lang="uk", max_new_tokens=4).text for t in TEXTS]
    together = s.summarize([*TEXTS[:2], f"{POISON} {POISON}.", TEXTS[2]], lang="uk", errors="return", max_new_tokens=4)
    # A batch that fails is halved down to the input that fails: its mates get what they get alone.
    assert [r.text for r in (together[0], together[1], together[3])] == alone
    assert isinstance(together[2], RuntimeError) and "choked" in str(together[2])
    assert all(a and a in t and len(a) < len(t) / 2 for t, a in zip(TEXTS, alone))  # each text's opening, cut at 4 tokens
    assert max(s.backend.batches) <= 2 if threads == 1 else max(s.backend.batches) == 1  # the batch size split by workers


def test_the_jobs_door_reports_the_backend_by_its_name(tiny_model, echo):
    from summarize.jobs import block_rows, summarize_records
    from summarize.inputs.records import Record

    s = Summarizer(tiny_model, backend="echo", faithfulness="off")
    rows = [row for block in summarize_records(s, [Record("a", TEXTS[0], 1)], lang="uk") for row in block_rows(block)]
    assert rows[0]["backend"] == "echo" and rows[0]["error"] is None


def test_a_backend_without_submit_cannot_be_built():
    class Half(Backend):
        name = "half"

    with pytest.raises(TypeError, match="submit"):
        Half()


class Unlabelled(EchoBackend):
    def __init__(self, checkpoint, **options):
        super().__init__(checkpoint, **options)
        del self.device


class NotABackend:
    def __init__(self, checkpoint, **options):
        pass


@pytest.mark.parametrize("cls, message", [
    ("NotABackend", "must subclass summarize.backends.Backend"),
    ("Unlabelled", "did not set device: rows and signatures name them"),
])
def test_a_backend_that_breaks_the_contract_is_refused_when_built(tiny_model, monkeypatch, cls, message):
    monkeypatch.setitem(BACKENDS, "odd", f"{__name__}:{cls}")
    with pytest.raises(TypeError, match=message):
        Summarizer(tiny_model, backend="odd")


def test_an_unregistered_backend_is_refused_with_the_registered_ones():
    with pytest.raises(InvalidOptionError, match="unknown backend 'echo'; valid backends are 'auto', 'torch' or 'ctranslate2'"):
        Summarizer(backend="echo")


@pytest.mark.parametrize("lang, rows", [("ru", ("ru", False)), ("auto", ("uk", True))])
def test_the_jobs_door_hands_the_jobs_language_to_the_model_it_loads(tiny_model, echo, tmp_path, lang, rows):
    import json

    from summarize.jobs import Job
    from summarize.jobs.executors import run_job
    from summarize.options import CallOptions, SummarizerOptions

    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(TEXTS)), encoding="utf-8")
    job = Job(inputs=(str(source),), input_format="jsonl", output=str(tmp_path / "out.jsonl"),
              summarizer=SummarizerOptions(model=tiny_model, backend="echo", faithfulness="off"), options=CallOptions(lang=lang))
    result = run_job(job)
    assert result.ok == 3 and result.backend["name"] == "echo"
    # Ukrainian texts: detected as such, unless the job says Russian, when the rows say so.
    written = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {(r["source_lang"], r["lang_detected"]) for r in written} == {rows} and len(written) == 3


def test_generate_is_submit_then_wait_with_one_hypothesis_unless_asked(tiny_model, echo):
    from summarize.generation import GenerationSettings

    backend = Summarizer(tiny_model, backend="echo", faithfulness="off").backend
    settings = GenerationSettings(max_new_tokens=2)
    assert backend.generate([[5, 6, 7], [8, 9]], settings, [None, None]) == [[[5, 6]], [[8, 9]]]
    assert backend.generate([[5, 6, 7]], settings, [None], 3) == [[[5, 6]] * 3]
