"""Articles from saved pages and URLs: extraction, the title kept apart, and the limits on fetching."""

from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from summarize.cli import main
from summarize.errors import InvalidInputError
from summarize.webpages import article_from_html, check_address, fetch_page

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


def test_a_url_on_the_command_line(site):
    out, err = io.StringIO(), io.StringIO()
    assert main(["--method", "lead", "--sentences", "1", f"{site}/article"], stdout=out, stderr=err) == 2
    assert "private or reserved address" in err.getvalue() and "--allow-private-urls" in err.getvalue()
    out = io.StringIO()
    assert main(["--method", "lead", "--sentences", "1", "--allow-private-urls", f"{site}/article"], stdout=out, stderr=io.StringIO()) == 0
    assert out.getvalue().startswith("Міська рада у вівторок")


def test_the_connection_goes_to_the_address_that_was_checked(site, monkeypatch):
    """DNS rebinding: a name public when checked and private when connected is refused at the connection."""
    import socket as sockets

    from summarize import webpages

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
