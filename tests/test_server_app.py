"""The server app in-process (uvicorn in a thread, a real HTTP client): pages and links, internal errors, CORS, logs."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import ThreadingHTTPServer

import pytest

from summarize.options import CallOptions, SummarizerOptions

from summarize import Summarizer

from .conftest import TEXTS
from .test_server import request
from .test_webpages import PAGE, _Pages

pytest.importorskip("uvicorn")


class Serving:
    def __init__(self, summarizer, dispatcher=None, **config):
        import uvicorn

        from summarize.server.app import create_app
        from summarize.server.service import ServerConfig

        self.app = create_app(ServerConfig(**config), summarizer=summarizer, dispatcher=dispatcher)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)

    def post(self, body: dict):
        return request(self.url + "/v1/summarize", json.dumps(body).encode())

    def close(self):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)  # the page tests' little site
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/article"
    server.shutdown()


def test_html_and_links_are_read_as_articles_with_their_title(site):
    lead = Summarizer(method="lead", sentences=1)
    closed = Serving(lead)
    open_ = Serving(lead, allow_private_urls=True)
    try:
        status, _, body = closed.post({"html": PAGE, "include_source": True})
        row = json.loads(body)
        assert status == 200 and row["title"].startswith("Рада ухвалила бюджет")
        assert row["summary"] == "Міська рада у вівторок ухвалила бюджет обсягом 11 мільйонів гривень."
        assert row["source"].split("\n")[0] == row["title"]
        # A link to a private address: refused by default, in one line; fetched when allowed.
        status, _, body = closed.post({"url": site})
        assert status == 422 and json.loads(body)["kind"] == "bad_source" and "private or reserved" in json.loads(body)["error"]
        status, _, body = open_.post({"url": site})
        assert status == 200 and json.loads(body)["title"].startswith("Рада ухвалила бюджет")
        status, _, body = closed.post({"url": "ftp://example.org/x"})
        assert status == 422 and "only http and https" in json.loads(body)["error"]
        # In a batch, a page that cannot be read is its own error entry.
        status, _, body = closed.post({"documents": [{"id": "p", "html": PAGE}, {"id": "u", "url": site},
                                                     {"id": "e", "html": "<html></html>"}]})
        results = json.loads(body)["results"]
        assert status == 200 and results[0]["summary"] and results[1]["error"] and "no article text" in results[2]["error"]
    finally:
        closed.close()
        open_.close()


class Broken:
    method = "abstractive"
    batch_size = 4

    def __init__(self):
        self.calls = 0

    def summarize(self, texts, **options):
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("the model broke")  # a bug outside the per-document path
        raise ZeroDivisionError("division by zero")


def test_an_internal_error_is_500_in_one_line_and_the_server_goes_on():
    s = Serving(Broken())
    try:
        for _ in range(2):
            status, _, body = s.post({"text": "Prices rose by 5 percent in October, the statistics office said."})
            answer = json.loads(body)
            assert status == 500 and answer["kind"] == "internal" and "\n" not in answer["error"]
        assert request(s.url + "/healthz")[0] == 200
    finally:
        s.close()


def test_cors_is_off_unless_configured_and_logs_can_be_json(caplog):
    lead = Summarizer(method="lead")
    plain = Serving(lead)
    allowed = Serving(lead, cors_origins=("https://cms.example",), log_format="json")
    try:
        def preflight(url):
            req = urllib.request.Request(url + "/v1/summarize", method="OPTIONS", headers={
                "Origin": "https://cms.example", "Access-Control-Request-Method": "POST"})
            try:
                with urllib.request.urlopen(req) as r:
                    return r.headers
            except urllib.error.HTTPError as exc:
                return exc.headers

        assert preflight(plain.url).get("Access-Control-Allow-Origin") is None
        assert preflight(allowed.url).get("Access-Control-Allow-Origin") == "https://cms.example"
        with caplog.at_level(logging.INFO, logger="summarize.server"):
            allowed.post({"text": "Prices rose by 5 percent in October."})
        line = next(json.loads(r.getMessage()) for r in caplog.records if r.name == "summarize.server")
        assert line["method"] == "POST" and line["path"] == "/v1/summarize" and line["status"] == 200 and line["documents"] == 1
    finally:
        plain.close()
        allowed.close()


def test_the_servers_languages_apply_where_a_request_is_silent():
    class Crossing:
        method = "abstractive"
        batch_size = 4

        def check_call(self, **options):  # the service checks a request's options with it before queueing
            return None

        def summarize(self, texts, *, errors="raise", lang="auto", target_lang=None, **options):
            from summarize import Summary

            return [Summary(text="Prices rose.", source_lang="uk", target_lang=target_lang or "uk", lang_detected=True,
                            method="abstractive") for _ in texts]

    s = Serving(Crossing(), defaults=CallOptions(target_lang="en"))
    try:
        assert json.loads(s.post({"text": "Ціни зросли на 5 відсотків."})[2])["target_lang"] == "en"
        assert json.loads(s.post({"text": "Ціни зросли на 5 відсотків.", "target_lang": "ru"})[2])["target_lang"] == "ru"
    finally:
        s.close()



@pytest.mark.parametrize("method, body, status, kind, words", [
    ("lead", {"text": TEXTS["en"], "num_beams": 2}, 400, "invalid_option", "apply to method='abstractive' only"),
    ("lead", {"text": TEXTS["en"], "method": "abstractive"}, 400, "invalid_option", "serves no model for 'abstractive'"),
    ("lead", {"documents": [{"text": TEXTS["en"]}], "max_new_tokens": 10}, 400, "invalid_option", "abstractive' only"),
    ("lead", b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400, "malformed_json", "nested too deeply"),
    ("lead", b'{"text": "a", "id": ' + b"9" * 5000 + b"}", 400, "malformed_json", "an integer of over 4,300 digits"),
    ("abstractive", {"text": TEXTS["en"], "num_beams": 1e30}, 400, "invalid_option", "num_beams must be an integer >= 1, got 1e+30"),
    ("abstractive", {"text": TEXTS["en"], "num_beams": 1e308}, 400, "invalid_option", "num_beams must be an integer >= 1, got 1e+308"),
    ("abstractive", {"text": TEXTS["en"], "num_beams": 64}, 400, "invalid_option", "num_beams is 64, over the limit of 16 here"),
    ("abstractive", b'{"text": "The council met.", "length_penalty": NaN}', 400, "malformed_json", "NaN is not a JSON number"),
    ("abstractive", {"text": TEXTS["en"], "min_new_tokens": 1_000_000}, 400, "invalid_option", "max_new_tokens is 1000000 (min_new_tokens raises it), over the limit of 1024"),
    ("abstractive", {"text": TEXTS["en"], "max_new_tokens": 2000}, 400, "invalid_option", "over the limit of 1024"),
    ("abstractive", {"documents": [{"text": TEXTS["en"]}] * 5}, 413, "too_large", "can never fit"),
    ("lead", {"text": "Уряд \ud800 ухвалив бюджет. Депутати підтримали."}, 422, "invalid_input", "lone surrogate"),
])
def test_client_mistakes_are_4xx_in_one_line_before_anything_is_queued(tiny_model, method, body, status, kind, words, caplog):
    summarizer = Summarizer(tiny_model, backend="torch", num_beams=1, max_new_tokens=4) if method == "abstractive" else Summarizer(method="lead")
    serving = Serving(summarizer, max_queue=4)
    try:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        got, _, answer = request(serving.url + "/v1/summarize", data)
    finally:
        serving.close()
    answer = json.loads(answer)
    assert (got, answer["kind"]) == (status, kind) and words in answer["error"], answer
    assert "Traceback" not in caplog.text


def test_slow_pages_hold_up_no_text_request_and_fetching_counts_against_the_timeout():
    from .test_webpages import _Drip

    slow = ThreadingHTTPServer(("127.0.0.1", 0), _Drip)
    threading.Thread(target=slow.serve_forever, daemon=True).start()
    serving = Serving(Summarizer(method="lead", sentences=1), allow_private_urls=True, fetch_timeout=30, timeout=3)
    url = f"http://127.0.0.1:{slow.server_address[1]}/"
    try:
        with ThreadPoolExecutor(48) as pool:
            pages = [pool.submit(serving.post, {"url": url}) for _ in range(45)]
            time.sleep(0.3)
            started = time.monotonic()
            status, _, body = serving.post({"text": TEXTS["en"]})
            text_seconds = time.monotonic() - started
            answers = [f.result() for f in pages]
    finally:
        serving.close()
        slow.shutdown()
    assert status == 200 and json.loads(body)["summary"].startswith("The city council")
    assert text_seconds < 1.5  # not behind 45 pages that each take longer than the timeout
    # Each page request ends within its --timeout of 3 s (fetching included), as a 422 or 504 in one line.
    assert all(code in (422, 504) for code, _, _ in answers)
    assert all("within" in json.loads(b)["error"] or "ran out" in json.loads(b)["error"] for _, _, b in answers)


def _raw(url: str, path: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    req = urllib.request.Request(url + path, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_the_browser_is_no_way_in(caplog):
    serving = Serving(Summarizer(method="lead", sentences=1), cors_origins=("https://newsroom.example",))
    port = serving.url.rsplit(":", 1)[1]
    article = json.dumps({"text": TEXTS["en"]}).encode()
    try:
        # curl -d from a shell (no Origin, a form content type) and health probes keep working.
        assert _raw(serving.url, "/v1/summarize", "POST", article, {"Content-Type": "application/x-www-form-urlencoded"})[0] == 200
        assert _raw(serving.url, "/healthz", headers={"Host": "rebound.example"})[0] == 200
        # DNS rebinding: a name that resolves to 127.0.0.1 still says its own name in Host.
        status, _, body = _raw(serving.url, "/v1/summarize", "POST", article, {"Host": f"rebound.example:{port}"})
        assert status == 421 and json.loads(body)["kind"] == "misdirected"
        assert _raw(serving.url, "/", headers={"Host": f"localhost:{port}"})[0] == 200
        # A page on another site posting a form (text/plain, no preflight), or fetching.
        assert _raw(serving.url, "/v1/summarize", "POST", article, {"Host": f"[::1]:{port}"})[0] == 200
        for headers in ({"Origin": "https://evil.example", "Content-Type": "text/plain"}, {"Sec-Fetch-Site": "cross-site"},
                        {"Origin": "null"}):  # a sandboxed frame says null
            status, _, body = _raw(serving.url, "/v1/summarize", "POST", article, headers)
            assert status == 403 and json.loads(body)["kind"] == "cross_site", headers
        # The page itself, and an origin the operator allowed.
        assert _raw(serving.url, "/v1/summarize", "POST", article, {"Origin": serving.url, "Sec-Fetch-Site": "same-origin"})[0] == 200
        assert _raw(serving.url, "/v1/summarize", "POST", article, {"Origin": "https://newsroom.example"})[0] == 200
        # The page's files: no framing, nothing from elsewhere.
        _, headers, _ = _raw(serving.url, "/")
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"] and headers["X-Frame-Options"] == "DENY"
        # A path's control bytes are escaped in the log.
        with caplog.at_level(logging.INFO, logger="summarize.server"):
            _raw(serving.url, "/x%1b%5b31mred%0aforged")
    finally:
        serving.close()
    line = next(r.getMessage() for r in caplog.records if "red" in r.getMessage())
    assert "\\x1b[31mred" in line and not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in line)


def test_the_warm_up_asks_in_a_language_the_model_serves(preset_standins):
    # Bug 6 of #29: the warm-up asked for English, which gazeta refuses; the first request then paid the setup.
    from summarize.server.service import ServerConfig, Service

    service = Service(ServerConfig(summarizer=SummarizerOptions(model="gazeta", backend="torch", device="cpu")))
    service.load()
    assert service.load_error is None and service.ready
    assert service.summarizer.languages == ("ru",)
