"""A summary is a function of its document, its options and the model: never of batch mates, history or door.

Tested as the deterministic-inference modes of vLLM (``VLLM_BATCH_INVARIANT``)
and SGLang are: a needle document among random mates, at several batch sizes,
after other batches with other sources and targets, compared token for token
with the same document computed alone on a freshly loaded model; and a
negative control showing that the check catches a dependence when one is
planted. The checkpoint is a stand-in for CrossSum: a vocabulary of over
100,000 pieces (so the default restriction is on) with its language tokens
at the top, where a stale candidate position used to land.
"""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor

import pytest

from summarize.backends import finished

from summarize import InvalidInputError, Summarizer
from summarize.cli import main

from .conftest import TEXTS

pytest.importorskip("ctranslate2", reason="ctranslate2 is not installed")

TARGETS = ("en", "uk", "ru")
MATES = [TEXTS[lang][a:b] for lang in TARGETS for a, b in ((0, 70), (30, 160), (0, 400), (100, 260))]
NEEDLE = TEXTS["uk"][:200]


@pytest.fixture(scope="module")
def large_crosslingual(tmp_path_factory) -> str:
    from summarize.testing import build_tiny_checkpoint

    return build_tiny_checkpoint(tmp_path_factory.mktemp("large-cross"), cross_lingual=True, filler_pieces=100_000, max_input_tokens=64)


@pytest.fixture(scope="module")
def ct2_cache(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("ct2"))


def options(backend: str, threads: int, beams: int, cache: str) -> dict:
    extra = {"compute_type": "float32", "cache_dir": cache} if backend == "ctranslate2" else {}
    return dict(backend=backend, device="cpu", threads=threads, num_beams=beams, max_new_tokens=10, faithfulness="off", **extra)


def ids_of(summarizer: Summarizer, text: str, target: str) -> list[int]:
    """The generated tokens, through the backend (the summary's text is their decoding)."""
    ids = summarizer._encode(text)
    start = summarizer.checkpoint.lang_tokens.get(target)
    return summarizer.backend.generate([ids], summarizer.settings, [start])[0][0]


def needle_mismatches(summarizer: Summarizer, alone: dict[str, list[int]], seed: int = 0) -> list[tuple]:
    """Run a history of batches, then the needle among random mates of mixed targets; what differs from ``alone``."""
    rng = random.Random(seed)
    backend, settings, tok = summarizer.backend, summarizer.settings, summarizer.checkpoint
    encoded = [summarizer._encode(t) for t in MATES]
    needle = summarizer._encode(NEEDLE)
    found = []
    for size in (1, 2, 3, 5, 8, 13, 32):
        for target in TARGETS:
            mates = [rng.randrange(len(MATES)) for _ in range(size - 1)]
            place = rng.randrange(size)
            batch = [encoded[m] for m in mates]
            starts = [tok.lang_tokens[rng.choice(TARGETS)] for _ in mates]
            batch.insert(place, needle)
            starts.insert(place, tok.lang_tokens[target])
            got = backend.generate(batch, settings, starts)[place][0]
            if got != alone[target]:
                found.append((size, place, target))
    return found


@pytest.mark.parametrize("backend, threads", [("torch", 1), ("ctranslate2", 1), ("ctranslate2", 2)])
@pytest.mark.parametrize("beams", [1, 4])
def test_a_needle_gets_its_alone_tokens_among_any_mates_after_any_history(large_crosslingual, ct2_cache, backend, threads, beams):
    opts = options(backend, threads, beams, ct2_cache)
    alone = {t: ids_of(Summarizer(large_crosslingual, **opts), NEEDLE, t) for t in TARGETS}  # a fresh model each
    s = Summarizer(large_crosslingual, **opts)
    assert s.backend.vocabulary_used == "top-32000"  # the default restriction is on
    # History: batches with other sources and targets, whose candidate lists once differed.
    for target in ("ru", "en", "uk"):
        s.summarize(MATES[::2], target_lang=target)
    assert needle_mismatches(s, alone) == []


def test_the_needle_check_catches_a_planted_dependence(large_crosslingual):
    # Negative control: a backend whose output depends on its mates (the last
    # token is dropped when a mate is longer than the needle).
    s = Summarizer(large_crosslingual, **options("torch", 1, 1, ""))
    alone = {t: ids_of(s, NEEDLE, t) for t in TARGETS}
    submit = s.backend.submit

    def planted(batch, settings, starts, n_best=1):
        out = submit(batch, settings, starts, n_best)()
        longest = max(len(ids) for ids in batch)
        return finished([[h[:-1] for h in hyps] if len(ids) < longest else hyps for ids, hyps in zip(batch, out)])

    s.backend.submit = planted
    found = needle_mismatches(s, alone)
    assert found and all(size > 1 for size, _, _ in found)


def test_the_library_and_its_doors_give_the_same_summary(large_crosslingual, ct2_cache, tmp_path, capsys):
    opts = options("ctranslate2", 2, 4, ct2_cache)
    alone = Summarizer(large_crosslingual, **opts).summarize(NEEDLE, target_lang="en").text
    s = Summarizer(large_crosslingual, **{**opts, "batch_size": 3})
    mixed = s.summarize(MATES[:4] + [NEEDLE] + MATES[4:], target_lang="en")
    assert mixed[4].text == alone
    # The command: alone, and inside a JSONL of others.
    args = ["--model", large_crosslingual, "--target-lang", "en", "--num-beams", "4", "--max-new-tokens", "10",
            "--compute-type", "float32", "--threads", "2", "-q"]
    (tmp_path / "one.txt").write_text(NEEDLE, encoding="utf-8")
    assert main([*args, str(tmp_path / "one.txt")]) == 0
    assert capsys.readouterr().out.strip() == alone
    records = [{"id": f"m{i}", "text": t} for i, t in enumerate(MATES)]
    records.insert(7, {"id": "needle", "text": NEEDLE})
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    assert main([*args, "--batch-size", "5", "--output", str(tmp_path / "out.jsonl"), str(tmp_path / "in.jsonl")]) == 0
    rows = {r["id"]: r for r in map(json.loads, (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines())}
    assert rows["needle"]["summary"] == alone


def test_a_lone_surrogate_is_that_documents_error_on_every_door(tiny_model, tmp_path, capsys):
    bad = "Уряд \ud800 ухвалив бюджет."
    s = Summarizer(tiny_model, backend="torch", device="cpu", num_beams=1, max_new_tokens=6)
    good = s.summarize(TEXTS["en"]).text
    out = s.summarize([TEXTS["en"], bad, TEXTS["en"]], errors="return")
    assert isinstance(out[1], InvalidInputError) and "lone surrogate (U+D800) at character 5" in str(out[1])
    assert out[0].text == out[2].text == good
    with pytest.raises(InvalidInputError, match="not valid Unicode"):
        s.summarize(bad)
    # A JSONL record may carry one as a valid JSON escape: an error row, permanent, not retried on resume.
    records = ['{"id": "a", "text": "%s"}' % TEXTS["en"], '{"id": "b", "text": "\\u0423\\ud800 x"}', '{"id": "c", "text": "%s"}' % TEXTS["ru"]]
    (tmp_path / "in.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")
    args = ["--model", tiny_model, "--backend", "torch", "--num-beams", "1", "--max-new-tokens", "6", "-q",
            "--output", str(tmp_path / "out.jsonl"), str(tmp_path / "in.jsonl")]
    assert main(args) == 3
    rows = {r["id"]: r for r in map(json.loads, (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines())}
    assert rows["b"]["error_kind"] == "permanent" and "lone surrogate" in rows["b"]["error"]
    assert rows["a"]["error"] is None and rows["c"]["error"] is None
    assert main([*args, "--resume"]) == 0  # nothing left to do: the permanent error stays
    assert len((tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()) == 3


def test_a_document_whose_generation_raises_fails_alone(tiny_model):
    s = Summarizer(tiny_model, backend="torch", device="cpu", num_beams=1, max_new_tokens=6, batch_size=8)
    texts = [TEXTS[lang][: 50 + 10 * i] for i, lang in enumerate(TARGETS * 2)]  # each one window
    expected = [r.text for r in s.summarize(texts, lang="auto")]
    poison = s._encode(texts[3])
    submit = s.backend.submit

    def fails_on_poison(batch, settings, starts, n_best=1):
        if any(list(ids) == poison for ids in batch):
            raise RuntimeError("a kernel failed on this input")
        return submit(batch, settings, starts, n_best)

    s.backend.submit = fails_on_poison
    got = s.summarize(texts, errors="return")
    assert isinstance(got[3], RuntimeError)
    assert [r.text for i, r in enumerate(got) if i != 3] == [t for i, t in enumerate(expected) if i != 3]


def test_forced_eos_gives_the_same_tokens_on_both_backends(bart_family, tmp_path):
    # bart-large-cnn and the Gazeta mBART force </s> at the length limit: 5 tokens before it of 6 allowed.
    for arch in ("bart", "mbart"):
        lang = "ru" if arch == "mbart" else "en"
        texts = [TEXTS[lang][:n] for n in (80, 160, 240)]
        for beams in (1, 3):
            opts = dict(device="cpu", num_beams=beams, min_new_tokens=6, max_new_tokens=6, batch_size=2, faithfulness="off")
            expected = Summarizer(bart_family[arch], backend="torch", **opts).summarize(texts, lang=lang)
            got = Summarizer(bart_family[arch], backend="ctranslate2", compute_type="float32", cache_dir=str(tmp_path), **opts).summarize(texts, lang=lang)
            assert [(r.text, r.output_tokens) for r in got] == [(r.text, r.output_tokens) for r in expected], (arch, beams)
            assert all(r.output_tokens == 5 for r in got)  # (BART's count includes the <s> it forces first)


def test_the_service_answers_a_request_as_alone_under_concurrent_load(large_crosslingual, ct2_cache):
    pytest.importorskip("uvicorn")
    from .test_server_app import Serving

    opts = options("ctranslate2", 2, 4, ct2_cache)
    alone = {t: Summarizer(large_crosslingual, **opts).summarize(NEEDLE, target_lang=t).text for t in TARGETS}
    serving = Serving(Summarizer(large_crosslingual, **{**opts, "batch_size": 8}))
    try:
        def ask(i):
            if i % 4 == 0:
                target = TARGETS[i // 4 % 3]
                status, _, body = serving.post({"text": NEEDLE, "target_lang": target})
                return target, status, json.loads(body)
            status, _, body = serving.post({"text": MATES[i % len(MATES)], "target_lang": TARGETS[i % 3]})
            return None, status, json.loads(body)

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(ask, range(48)))
    finally:
        serving.close()
    assert all(status == 200 for _, status, _ in answers)
    needles = [(target, row["summary"]) for target, _, row in answers if target]
    assert len(needles) == 12 and all(summary == alone[target] for target, summary in needles)


def test_a_poisoned_request_fails_alone_among_16_concurrent_clients(tiny_model):
    pytest.importorskip("uvicorn")
    from .test_server import request
    from .test_server_app import Serving

    s = Summarizer(tiny_model, backend="torch", device="cpu", num_beams=1, max_new_tokens=6, batch_size=8)
    alone = {i: s.summarize(MATES[i % len(MATES)], target_lang=None).text for i in range(len(MATES))}
    summarize = s.summarize

    def poisoned(texts, **kw):  # a failure no document check catches: the whole call raises
        if any("POISON" in t for t in texts):
            raise RuntimeError("a kernel failed")
        return summarize(texts, **kw)

    s.summarize = poisoned
    serving = Serving(s, max_wait_ms=50)
    try:
        def ask(i):
            text = "POISON " + TEXTS["en"] if i % 5 == 0 else MATES[i % len(MATES)]
            status, _, body = serving.post({"id": i, "text": text})
            return i, status, json.loads(body)

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(ask, range(40)))
        _, _, metrics = request(serving.url + "/metrics")
    finally:
        serving.close()
    for i, status, body in answers:
        if i % 5 == 0:
            assert status == 500 and "kind" in body
        else:
            assert status == 200 and body["summary"] == alone[i % len(MATES)]
    assert b'summarize_documents_total{outcome="failed"} 8.0' in metrics


def test_a_lead_servers_fact_check_failure_is_that_documents_error_row(monkeypatch):
    pytest.importorskip("uvicorn")
    from summarize.server import service

    from .test_server_app import Serving

    real = service.facts_with_passages

    def failing(source, summary, report):
        if "Energy" in summary:
            raise RuntimeError("the checker failed")
        return real(source, summary, report)

    monkeypatch.setattr(service, "facts_with_passages", failing)
    serving = Serving(Summarizer(method="lead", sentences=1))
    try:
        docs = [{"id": "a", "text": TEXTS["uk"]}, {"id": "b", "text": "Energy prices rose. " + TEXTS["en"]}, {"id": "c", "text": TEXTS["ru"]}]
        status, _, body = serving.post({"documents": docs})
    finally:
        serving.close()
    assert status == 200
    rows = {r["id"]: r for r in json.loads(body)["results"]}
    assert rows["b"]["error"] and rows["b"]["summary"] is None
    assert rows["a"]["error"] is None and rows["c"]["error"] is None and rows["a"]["facts"] is not None


def test_a_job_killed_and_resumed_gives_the_rows_of_an_uninterrupted_one(large_crosslingual, ct2_cache, tmp_path):
    records = [{"id": f"r{i}", "text": MATES[i % len(MATES)][::-1] if i % 4 == 3 else MATES[i % len(MATES)]} for i in range(14)]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    args = ["--model", large_crosslingual, "--target-lang", "uk", "--num-beams", "3", "--max-new-tokens", "8",
            "--compute-type", "float32", "--batch-size", "4", "-q"]
    whole, resumed = tmp_path / "whole.jsonl", tmp_path / "resumed.jsonl"
    assert main([*args, "--output", str(whole), str(source)]) in (0, 3)
    lines = whole.read_text(encoding="utf-8").splitlines()
    # Killed after 5 rows, in the middle of the 6th: the resumed job batches what is left from record 6 on.
    resumed.write_text("\n".join(lines[:5]) + "\n" + lines[5][:20], encoding="utf-8")
    assert main([*args, "--output", str(resumed), "--resume", str(source)]) in (0, 3)

    def rows(path):
        return sorted(({k: v for k, v in r.items() if k != "seconds"} for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())),
                      key=lambda r: r["id"])

    assert rows(resumed) == rows(whole)


@pytest.mark.parametrize("arch", ["mt5", "mt5-cross", "bart", "mbart", "pegasus"])
def test_beam_search_gives_the_same_hypotheses_on_both_backends(tiny_model, tiny_crosslingual, bart_family, arch, tmp_path):
    # Beam 3, free lengths, every hypothesis token for token, while no token is
    # banned mid-search. (A ban, no-repeat n-grams or a minimum length, is
    # renormalised by CTranslate2 and not by transformers, so beams may part.)
    # Once 0 of 4 on mT5: CTranslate2's converter divided mT5's logits by sqrt(d_model).
    path = {"mt5": tiny_model, "mt5-cross": tiny_crosslingual, **bart_family}[arch]
    lang = "ru" if arch == "mbart" else "auto"
    texts = [TEXTS["ru"][:150], TEXTS["ru"][:90]] + ([] if arch == "mbart" else [TEXTS["en"][:200], TEXTS["uk"][:120]])
    opts = dict(device="cpu", num_beams=3, max_new_tokens=10, no_repeat_ngram_size=0, min_new_tokens=0, length_penalty=1.0, faithfulness="off")
    torch_s = Summarizer(path, backend="torch", **opts)
    ct2_s = Summarizer(path, backend="ctranslate2", compute_type="float32", cache_dir=str(tmp_path), threads=1, **opts)
    for text in texts:
        ids = torch_s._encode(text)[:60]
        start = torch_s.checkpoint.lang_tokens.get("en")
        expected = torch_s.backend.generate([ids], torch_s.settings, [start], n_best=3)[0]
        assert ct2_s.backend.generate([ids], ct2_s.settings, [start], n_best=3)[0] == expected, (arch, text[:20])
