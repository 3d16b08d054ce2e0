"""Articles from saved pages and URLs: extraction, the title kept apart, and the limits on fetching."""

from __future__ import annotations

import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from summarize.cli import main
from summarize.errors import InvalidInputError
from summarize.inputs.webpages import article_from_html, check_address, fetch_page

PAGE = """<html><head><meta charset="utf-8"><title>Рада ухвалила бюджет | Новини міста</title></head><body>
<nav><a href="/">Головна</a> <a href="/sport">Спорт</a> Реклама: купуйте квитки!</nav>
<article><h1>Рада ухвалила бюджет</h1>
<p>Міська рада у вівторок ухвалила бюджет обсягом 11 мільйонів гривень. Посадовці заявили, що кошти підуть на ремонт доріг і шкіл.</p>
<p>Мер сказав, що роботи почнуться навесні, а перші дороги відремонтують до червня.</p></article>
<footer>Усі права захищено. Передрук заборонено.</footer></body></html>"""


def test_the_article_is_extracted_and_its_title_kept_apart():
    article = article_from_html(PAGE)
    assert article.title.startswith("Рада ухвалила бюджет")
    assert article.text.startswith("Міська рада у вівторок")  # the headline is not the first sentence
    assert "Реклама" not in article.text and "Передрук" not in article.text
    assert article.document().split("\n")[0] == article.title
    with pytest.raises(InvalidInputError, match="no article text found"):
        article_from_html("<html><body></body></html>")


def test_a_saved_page_on_the_command_line_is_its_article(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    out = io.StringIO()
    code = main(["--method", "lead", "--sentences", "1", "--format", "json", str(page)], stdout=out, stderr=io.StringIO())
    assert code == 0
    (row,) = json.loads(out.getvalue())
    assert row["title"].startswith("Рада ухвалила бюджет")
    assert row["summary"] == "Міська рада у вівторок ухвалила бюджет обсягом 11 мільйонів гривень."


@pytest.mark.parametrize("url, message", [
    ("ftp://example.org/a.html", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("http://127.0.0.1/admin", "private or reserved address"),
    ("http://10.0.0.5/", "private or reserved address"),
    ("http://[::1]:8000/", "private or reserved address"),
    ("http://169.254.169.254/latest/meta-data", "private or reserved address"),
    ("http:///nohost", "no host"),
    # IPv6 forms that carry a private IPv4 address, and IPv4 written otherwise.
    ("http://[::127.0.0.1]/", "private or reserved address"),  # IPv4-compatible
    ("http://[::ffff:127.0.0.1]/", "private or reserved address"),  # mapped
    ("http://[::ffff:a00:5]/", "private or reserved address"),  # mapped, in hex
    ("http://[64:ff9b::7f00:1]/", "private or reserved address"),  # NAT64
    ("http://[64:ff9b:1::a00:5]/", "private or reserved address"),  # local-use NAT64
    ("http://[::ffff:0:7f00:1]/", "private or reserved address"),  # IPv4-translated (SIIT)
    ("http://[2002:7f00:1::1]/", "private or reserved address"),  # 6to4
    ("http://[fec0::1]/", "private or reserved address"),  # site-local
    ("http://[fe80::1]/", "private or reserved address"),  # link-local
    ("http://[fd00::1]/", "private or reserved address"),  # unique local
    ("http://[::]/", "private or reserved address"),
    ("http://0.0.0.0/", "private or reserved address"),
    ("http://2130706433/", "private or reserved address"),  # decimal
    ("http://0177.0.0.1/", "private or reserved address"),  # octal
    ("http://0x7f.0.0.1/", "private or reserved address"),  # hex
    ("http://127.1/", "private or reserved address"),  # short form
    ("http://100.64.0.1/", "private or reserved address"),  # carrier-grade NAT
    ("http://192.168.1.1/", "private or reserved address"),
    ("http://172.16.0.1/", "private or reserved address"),
])
def test_urls_that_are_not_fetched(url, message):
    with pytest.raises(InvalidInputError, match=message):
        check_address(url)


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the base class's name
        if self.path == "/article":
            body, kind = PAGE.encode(), "text/html; charset=utf-8"
        elif self.path == "/big":
            body, kind = b"<html>" + b"x" * 3000 + b"</html>", "text/html"
        elif self.path == "/json":
            body, kind = b"{}", "application/json"
        elif self.path.startswith(("/hop/", "/to-file")):
            self.send_response(302)
            after = f"/hop/{int(self.path[5:]) + 1}" if self.path.startswith("/hop/") else "ftp://example.org/page.html"
            self.send_header("Location", after)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_fetching_obeys_its_limits(site):
    with pytest.raises(InvalidInputError, match="private or reserved"):
        fetch_page(f"{site}/article")  # loopback, not allowed by default
    article = fetch_page(f"{site}/article", allow_private=True)
    assert article.title.startswith("Рада ухвалила бюджет") and article.url == f"{site}/article"
    with pytest.raises(InvalidInputError, match="larger than 1,000 bytes"):
        fetch_page(f"{site}/big", allow_private=True, max_bytes=1000)
    with pytest.raises(InvalidInputError, match="is application/json, not an HTML page"):
        fetch_page(f"{site}/json", allow_private=True)
    with pytest.raises(InvalidInputError, match="answered 404"):
        fetch_page(f"{site}/missing", allow_private=True)
    with pytest.raises(InvalidInputError, match="more than 5 redirects"):
        fetch_page(f"{site}/hop/1", allow_private=True)
    with pytest.raises(InvalidInputError, match="only http and https"):
        fetch_page(f"{site}/to-file", allow_private=True)  # every redirect is checked
    with pytest.raises(InvalidInputError, match="cannot be fetched"):
        fetch_page("http://127.0.0.1:9/", allow_private=True, timeout=2)


@pytest.mark.parametrize("address", ["8.8.8.8", "2001:4860:4860::8888", "64:ff9b::808:808", "::ffff:8.8.8.8"])
def test_public_addresses_in_every_form_are_not_private(address):
    import ipaddress

    from summarize.inputs.webpages import is_private

    assert not is_private(ipaddress.ip_address(address))


class _Drip(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", "100")
        self.end_headers()
        try:
            for _ in range(100):  # a byte every 0.2 s: each read is quick, the whole is not
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass

    def log_message(self, *args):
        pass


def test_the_fetch_timeout_is_one_deadline_for_the_whole_fetch():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Drip)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        started = time.monotonic()
        with pytest.raises(InvalidInputError, match="cannot be fetched within 1 s"):
            fetch_page(f"http://127.0.0.1:{server.server_address[1]}/", allow_private=True, timeout=1)
        assert time.monotonic() - started < 2.5
    finally:
        server.shutdown()


class _Proxy(BaseHTTPRequestHandler):
    """A forward proxy on loopback: serves the article for any absolute URL, and answers CONNECT."""

    seen: list = []

    def do_GET(self):  # noqa: N802
        self.seen.append(("GET", self.path))
        body = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_CONNECT(self):  # noqa: N802
        self.seen.append(("CONNECT", self.path))
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.write(b"not TLS\r\n")  # the tunnel goes nowhere: the handshake fails after CONNECT

    def log_message(self, *args):
        pass


def test_a_proxy_is_honoured_and_the_private_rule_applies_to_the_page_not_the_proxy(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Proxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    proxy = f"http://127.0.0.1:{server.server_address[1]}"
    for name in ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.setenv("HTTPS_PROXY", proxy)
    _Proxy.seen.clear()
    import socket

    real = socket.getaddrinfo

    def no_dns(host, *args, **kwargs):  # no packet leaves: this host resolves nowhere here, as behind a newsroom proxy
        if str(host).endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    try:
        # A name only the proxy can resolve: fetched through it (the proxy is on loopback, and that is fine).
        article = fetch_page("http://news.summarize-test.invalid/article", timeout=5)
        assert article.title.startswith("Рада ухвалила бюджет")
        assert _Proxy.seen == [("GET", "http://news.summarize-test.invalid/article")]
        # A private page is refused, and the message names the page, not the proxy.
        with pytest.raises(InvalidInputError, match=r"'http://10\.0\.0\.5/admin': 10\.0\.0\.5 is a private"):
            fetch_page("http://10.0.0.5/admin", timeout=5)
        # https goes through CONNECT to the page's host.
        with pytest.raises(InvalidInputError, match="cannot be fetched") as caught:
            fetch_page("https://news.summarize-test.invalid/article", timeout=5)
        assert "private" not in str(caught.value)
        assert ("CONNECT", "news.summarize-test.invalid:443") in _Proxy.seen
        # NO_PROXY: a host it names is fetched directly, under the private rule.
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        with pytest.raises(InvalidInputError, match="private or reserved address"):
            fetch_page(f"{proxy}/article", timeout=5)
    finally:
        server.shutdown()


def test_a_url_on_the_command_line(site):
    out, err = io.StringIO(), io.StringIO()
    assert main(["--method", "lead", "--sentences", "1", f"{site}/article"], stdout=out, stderr=err) == 2
    assert "private or reserved address" in err.getvalue() and "--allow-private-urls" in err.getvalue()
    out = io.StringIO()
    assert main(["--method", "lead", "--sentences", "1", "--allow-private-urls", f"{site}/article"], stdout=out, stderr=io.StringIO()) == 0
    assert out.getvalue().startswith("Міська рада у вівторок")
    # The permission is the job's: it never leaks into the process (and so into later jobs or tests).
    import os

    assert "SUMMARIZE_ALLOW_PRIVATE_URLS" not in os.environ
    assert main(["--method", "lead", "--sentences", "1", f"{site}/article"], stdout=io.StringIO(), stderr=io.StringIO()) == 2


def test_the_connection_goes_to_the_address_that_was_checked(site, monkeypatch):
    """DNS rebinding: a name public when checked and private when connected is refused at the connection."""
    import socket as sockets

    from summarize.inputs import webpages

    real = sockets.getaddrinfo
    answers = iter([[(sockets.AF_INET, sockets.SOCK_STREAM, 6, "", ("93.184.216.34", 80))]])

    def rebinding(host, port, *args, **kwargs):
        if host == "news.example":
            return next(answers, real("127.0.0.1", port, *args, **kwargs))  # public first, then loopback
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(webpages.socket, "getaddrinfo", rebinding)
    port = site.rsplit(":", 1)[1]
    with pytest.raises(InvalidInputError, match="private or reserved address"):
        fetch_page(f"http://news.example:{port}/article")
