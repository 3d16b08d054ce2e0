"""summarize serve, as it will be used: a real server process on 127.0.0.1, a real HTTP client.

Each server is `python -m summarize serve` on a free port with the tiny
checkpoint; requests go through urllib over TCP. Faults are made from the
outside: a client that hangs up, SIGTERM under load, a full queue.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from summarize.inputs.rows import RESULT_FIELDS

from .conftest import TEXTS

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")


class Server:
    def __init__(self, model: str, *args: str, env: dict | None = None):
        # Decoding settings are a model's: a server of an extractive method refuses them.
        decoding = [] if "--method" in args else ["--max-new-tokens", "8", "--num-beams", "1"]
        command = [sys.executable, "-m", "summarize", "serve", "--model", model, "--backend", "torch", "--port", "0",
                   *decoding, *args]
        self.process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
        self.lines: list[str] = []
        line = self.process.stderr.readline()
        self.lines.append(line)
        match = re.search(r"listening on (http://\S+)", line)
        assert match, line + self.process.stderr.read()
        self.url = match.group(1)
        threading.Thread(target=self._drain, daemon=True).start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if request(self.url + "/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("the server never became ready: " + "".join(self.lines))

    def _drain(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)

    def get(self, path: str, **kw):
        return request(self.url + path, **kw)

    def post(self, body, **kw):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return request(self.url + "/v1/summarize", data=data, **kw)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


def request(url: str, data: bytes | None = None, token: str | None = None, timeout: float = 60):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, headers=headers, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@pytest.fixture(scope="module")
def server(tiny_model):
    s = Server(tiny_model, "--batch-size", "4", "--max-body-bytes", "20000")
    yield s
    assert s.stop() == 0


def test_one_document_gets_an_output_row_with_its_facts(server):
    status, headers, body = server.post({"text": TEXTS["uk"], "include_source": True})
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    row = json.loads(body)
    assert [k for k in row if k not in ("facts", "source")] == [name for name, _ in RESULT_FIELDS]
    assert row["error"] is None and isinstance(row["summary"], str) and row["source_lang"] == "uk"
    assert isinstance(row["facts"], list) and row["source"] == TEXTS["uk"]
    status, _, body = server.post({"text": TEXTS["en"], "method": "lead", "include_source": True})
    row = json.loads(body)
    assert row["summary"].startswith("The city council approved a new budget")
    fact = next(f for f in row["facts"] if f["text"] == "Tuesday")
    assert fact["supported"] and row["source"][fact["evidence_start"]:fact["evidence_end"]] == "Tuesday"
    assert fact["passage"] == "The city council approved a new budget on Tuesday."


def test_documents_are_answered_in_order_with_a_failed_one_beside_the_others(server):
    docs = [{"id": "a", "text": TEXTS["ru"]}, {"id": "b", "text": "   "}, {"id": 7, "text": TEXTS["en"]}]
    status, _, body = server.post({"documents": docs})
    assert status == 200
    results = json.loads(body)["results"]
    assert [r["id"] for r in results] == ["a", "b", 7]
    assert results[0]["summary"] and results[2]["summary"] and results[1]["summary"] is None
    assert "empty" in results[1]["error"] and results[1]["error_kind"] == "permanent"


@pytest.mark.parametrize("body, status, kind", [
    (b"{not json", 400, "malformed_json"),
    (b"[1, 2]", 400, "invalid_request"),
    ({"lang": "uk"}, 422, "missing_text"),
    ({"text": 42}, 422, "invalid_request"),
    ({"text": ""}, 422, "empty_text"),
    ({"text": "Prices rose.", "lang": "de"}, 422, "unsupported_language"),
    ({"text": "Prices rose.", "target_lang": "fr"}, 422, "unsupported_language"),
    ({"text": "Prices rose.", "beams": 4}, 400, "invalid_option"),
    ({"text": "Prices rose.", "num_beams": 0}, 400, "invalid_option"),
    ({"text": "Prices rose.", "method": "magic"}, 400, "invalid_option"),
    ({"text": "x" * 30000}, 413, "too_large"),
    ({"documents": []}, 400, "invalid_request"),
    ({"documents": [{"id": 1, "text": "a"}, {"id": 1, "text": "b"}]}, 400, "invalid_request"),
    ({"text": TEXTS["uk"], "lang": "en"}, 422, "invalid_input"),  # the letters contradict the declared language
])
def test_bad_input_gets_one_line_and_a_kind(server, body, status, kind):
    got, _, data = server.post(body)
    answer = json.loads(data)
    assert (got, answer["kind"]) == (status, kind), answer
    assert set(answer) == {"error", "kind"} and "\n" not in answer["error"] and answer["error"]
    assert server.get("/healthz")[0] == 200  # and nothing else broke


def test_operations_routes(server):
    assert json.loads(server.get("/healthz")[2])["status"] == "alive"
    assert json.loads(server.get("/readyz")[2])["status"] == "ready"
    spec = json.loads(server.get("/openapi.json")[2])
    assert spec["openapi"].startswith("3.") and "/v1/summarize" in spec["paths"]
    assert b"/openapi.json" in server.get("/docs")[2]
    status, headers, text = server.get("/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    for name in ("summarize_requests_total", "summarize_request_seconds_bucket", "summarize_queue_documents",
                 "summarize_batch_documents_bucket", "summarize_documents_total", "summarize_tokens_total"):
        assert name.encode() in text
    page = server.get("/")[2].decode()
    assert "/static/page.js" in page and not re.search(r'(src|href)="(https?:)?//', page)  # nothing from a CDN
    assert server.get("/static/page.js")[0] == 200 and server.get("/static/page.css")[0] == 200
    status, _, body = server.get("/nowhere")
    assert status == 404 and json.loads(body)["kind"] == "not_found"
    assert any("POST /v1/summarize 200" in line for line in server.lines)  # one log line per request


def test_concurrent_requests_are_batched_together(server):
    def metric(text: bytes, name: str) -> float:
        return sum(float(v) for v in re.findall(rf"^{name} (\S+)$".encode(), text, re.M))

    before = server.get("/metrics")[2]
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda i: server.post({"id": i, "text": TEXTS[("en", "uk", "ru")[i % 3]]}), range(16)))
    assert all(status == 200 for status, _, _ in answers)
    assert sorted(json.loads(body)["id"] for _, _, body in answers) == list(range(16))  # none lost or answered twice
    after = server.get("/metrics")[2]
    batches = metric(after, "summarize_batch_documents_count") - metric(before, "summarize_batch_documents_count")
    documents = metric(after, "summarize_batch_documents_sum") - metric(before, "summarize_batch_documents_sum")
    assert documents == 16 and batches < 16  # gathered across requests (up to --batch-size 4)


@pytest.mark.slow
def test_a_token_guards_the_api_but_not_health_or_the_pages_files(tiny_model, tmp_path):
    (tmp_path / "token").write_text("s3cret\n")
    s = Server(tiny_model, "--token-file", str(tmp_path / "token"), "--method", "lead")
    try:
        assert s.get("/healthz")[0] == 200 and s.get("/readyz")[0] == 200
        for path in ("/metrics", "/openapi.json"):
            assert s.get(path)[0] == 401, path
        for path in ("/", "/docs", "/signin", "/static/page.js"):  # files with no data in them; the page signs in
            assert s.get(path)[0] == 200, path
        status, headers, body = s.post({"text": TEXTS["en"]})
        assert status == 401 and json.loads(body)["kind"] == "unauthorized" and headers["WWW-Authenticate"] == "Bearer"
        assert s.post({"text": TEXTS["en"]}, token="wrong")[0] == 401
        assert s.post({"text": TEXTS["en"]}, token="s3cret")[0] == 200
        assert s.get("/metrics", token="s3cret")[0] == 200
    finally:
        assert s.stop() == 0


@pytest.mark.slow
def test_overload_is_503_with_retry_after_then_recovery(tiny_model):
    s = Server(tiny_model, "--max-queue", "2", "--batch-size", "1", "--max-wait-ms", "0", "--num-beams", "4", "--max-new-tokens", "48")
    try:
        with ThreadPoolExecutor(24) as pool:
            answers = list(pool.map(lambda i: s.post({"text": TEXTS["en"]}), range(24)))
        statuses = [a[0] for a in answers]
        assert 503 in statuses and 200 in statuses and set(statuses) <= {200, 503}
        busy = next(a for a in answers if a[0] == 503)
        assert busy[1]["Retry-After"] == "1" and json.loads(busy[2])["kind"] == "overloaded"
        assert s.post({"text": TEXTS["en"]})[0] == 200  # recovered
    finally:
        assert s.stop() == 0


@pytest.mark.slow
def test_a_request_past_the_timeout_is_504(tiny_model):
    s = Server(tiny_model, "--timeout", "0.2", "--max-wait-ms", "2000", "--batch-size", "64")
    try:
        status, _, body = s.post({"text": TEXTS["en"]})
        assert status == 504 and json.loads(body)["kind"] == "timeout"
        assert s.get("/healthz")[0] == 200
    finally:
        assert s.stop() == 0


def test_a_client_that_hangs_up_breaks_nothing(server):
    body = json.dumps({"text": TEXTS["ru"]}).encode()
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    for _ in range(3):
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(b"POST /v1/summarize HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        # closed before the answer
    assert server.post({"text": TEXTS["en"]})[0] == 200
    assert server.process.poll() is None


@pytest.mark.slow
def test_sigterm_under_load_answers_every_accepted_request_and_exits_0(tiny_model):
    s = Server(tiny_model, "--batch-size", "2", "--num-beams", "4", "--max-new-tokens", "32")
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(s.post, {"id": i, "text": TEXTS["uk"]}) for i in range(8)]
        time.sleep(0.5)  # accepted and in flight
        s.process.send_signal(signal.SIGTERM)
        answers = [f.result() for f in futures]
    assert s.process.wait(timeout=60) == 0
    assert [a[0] for a in answers] == [200] * 8
    assert sorted(json.loads(a[2])["id"] for a in answers) == list(range(8))
    with pytest.raises(OSError):  # and nothing new is accepted
        request(s.url + "/healthz", timeout=2)


@pytest.mark.slow
def test_sigterm_ends_the_process_within_the_drain_timeout_even_with_work_that_cannot_stop(tiny_model):
    # 1,024 tokens of beam search on every request: longer than the drain allows.
    s = Server(tiny_model, "--batch-size", "1", "--num-beams", "4", "--min-new-tokens", "1024", "--max-new-tokens", "1024",
               "--drain-timeout", "1", "--timeout", "600")
    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(s.post, {"id": i, "text": TEXTS["uk"]}) for i in range(3)]
        time.sleep(1.0)  # accepted: one running, two waiting
        started = time.monotonic()
        s.process.send_signal(signal.SIGTERM)
        answers = [f.result() for f in futures]
        code = s.process.wait(timeout=30)
    assert time.monotonic() - started < 8 and code == 0
    assert all(status == 503 and "stopped" in json.loads(body)["error"] for status, _, body in answers), answers
    assert any("stopping (SIGTERM)" in line for line in s.lines)


@pytest.mark.slow
def test_the_same_app_on_ray_serve_with_replicas(tiny_model):
    pytest.importorskip("ray.serve")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "summarize", "serve", "--ray", "--replicas", "2", "--model", tiny_model,
               "--backend", "torch", "--max-new-tokens", "8", "--num-beams", "2", "--vocabulary", "60", "--batch-size", "4",
               "--port", str(port)]
    from summarize import Summarizer

    alone = {lang: Summarizer(tiny_model, backend="torch", max_new_tokens=8, num_beams=2, vocabulary=60).summarize(TEXTS[lang]).text
             for lang in ("en", "uk", "ru")}
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in process.stderr:
            lines.append(line)
            if "listening on" in line:
                break
        assert "on Ray Serve (2 replicas" in "".join(lines), "".join(lines)
        threading.Thread(target=lambda: [None for _ in process.stderr], daemon=True).start()
        url = f"http://127.0.0.1:{port}/v1/summarize"
        langs = ("en", "uk", "ru")
        poisoned = json.dumps({"id": "p", "text": "Уряд \ud800 ухвалив бюджет."}).encode()  # a lone surrogate
        with ThreadPoolExecutor(9) as pool:
            bad = pool.submit(request, url, poisoned)
            answers = list(pool.map(lambda i: request(url, json.dumps({"id": i, "text": TEXTS[langs[i % 3]]}).encode()), range(8)))
        assert bad.result()[0] == 422 and "lone surrogate" in json.loads(bad.result()[2])["error"]  # its own failure alone
        assert [a[0] for a in answers] == [200] * 8
        assert sorted(json.loads(a[2])["id"] for a in answers) == list(range(8))
        # Whatever the replica and the batch mates, each summary is the document's alone.
        assert all(json.loads(a[2])["summary"] == alone[langs[json.loads(a[2])["id"] % 3]] for a in answers)
        status, _, body = request(url, json.dumps({"documents": [{"id": "x", "text": TEXTS["en"]}, {"id": "y", "text": ""}]}).encode())
        results = json.loads(body)["results"]
        assert status == 200 and results[0]["summary"] and "empty" in results[1]["error"]
        assert request(url, b"{bad")[0] == 400
        # Counted at the ingress from the rows that came back: the same numbers as one process would show.
        metrics = request(f"http://127.0.0.1:{port}/metrics")[2]
        assert b'summarize_documents_total{outcome="ok"} 9.0' in metrics
        assert b'summarize_documents_total{outcome="failed"} 2.0' in metrics
        sizes = re.search(rb"^summarize_batch_documents_sum (\S+)$", metrics, re.M)
        assert sizes and float(sizes.group(1)) == 10.0  # every document in exactly one batch (the poisoned one never queued)
        assert re.search(rb'^summarize_tokens_total\{kind="output"\} [1-9]', metrics, re.M)
        # The replicas' option check, as the local server's: 4xx before anything is queued.
        status, _, body = request(url, json.dumps({"text": TEXTS["en"], "num_beams": 64}).encode())
        assert status == 400 and "over the limit of 16" in json.loads(body)["error"]
        status, _, body = request(url, json.dumps({"text": TEXTS["en"], "method": "lead", "num_beams": 2}).encode())
        assert status == 400 and "abstractive' only" in json.loads(body)["error"]
        # Running: the documents whose batch a replica has started, as the replica says.
        with ThreadPoolExecutor(1) as pool:
            # One window (no map-reduce) and 512 tokens: about a second.
            long = pool.submit(request, url, json.dumps({"text": TEXTS["uk"][:100], "num_beams": 2, "min_new_tokens": 512,
                                                         "max_new_tokens": 512}).encode())
            seen = set()
            while not long.done():
                seen.add(_metric(request(f"http://127.0.0.1:{port}/metrics")[2], "summarize_running_documents"))
                time.sleep(0.02)
        assert long.result()[0] == 200 and 1.0 in seen
        # The same requests, one at a time, count the same here as on one process.
        local = Server(tiny_model, "--num-beams", "2", "--vocabulary", "60", "--batch-size", "4")
        try:
            counted = _counted_for(f"http://127.0.0.1:{port}")
            assert counted["statuses"] == [200, 200, 200, 400, 422] and counted['summarize_documents_total{outcome="ok"}'] == 2
            assert counted == _counted_for(local.url)
        finally:
            assert local.stop() == 0
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == 0


SEQUENCE = [{"id": 1, "text": TEXTS["en"]}, {"documents": [{"id": "e", "text": ""}]}, {"id": 2, "text": TEXTS["ru"]},
            {"id": 3, "text": TEXTS["uk"], "num_beams": 64}, {"id": 4, "text": "Уряд \ud800 ухвалив бюджет."}]


def _metric(text: bytes, name: str) -> float:
    return sum(float(v) for v in re.findall(rf"^{name}(?:{{[^}}]*}})? (\S+)$".encode(), text, re.M))


def _counted_for(base: str) -> dict:
    """What /metrics counts for :data:`SEQUENCE`, sent one request at a time: documents, tokens, batches, queue."""
    families = ('summarize_documents_total{outcome="ok"}', 'summarize_documents_total{outcome="failed"}',
                'summarize_tokens_total{kind="input"}', 'summarize_tokens_total{kind="output"}',
                "summarize_batch_documents_count", "summarize_batch_documents_sum")
    before = request(base + "/metrics")[2].decode()
    statuses = [request(base + "/v1/summarize", json.dumps(body).encode())[0] for body in SEQUENCE]
    after = request(base + "/metrics")[2].decode()

    def value(text: str, family: str) -> float:
        match = re.search(rf"^{re.escape(family)} (\S+)$", text, re.M)
        return float(match.group(1)) if match else 0.0

    counted = {family: value(after, family) - value(before, family) for family in families}
    counted["queue and running"] = value(after, "summarize_queue_documents") + value(after, "summarize_running_documents")
    return {"statuses": statuses, **counted}


def test_a_model_that_cannot_be_loaded_stops_the_server_with_one_line(tmp_path):
    command = [sys.executable, "-m", "summarize", "serve", "--model", str(tmp_path / "no-such-model"), "--port", "0"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("summarize serve: error: the model could not be loaded: ") and "no-such-model" in last
    assert "Traceback" not in result.stderr
