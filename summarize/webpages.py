"""Articles from web pages: a saved HTML file, HTML text, or a URL fetched with limits.

The article's text and title are extracted with trafilatura (maintained, and
the best of the open extractors in the published comparisons; it drops menus,
footers and comments), and the title is kept apart from the first sentence:
the text handed on is ``title`` on its own line, then the body, which the
library reads as a headline (:func:`summarize.languages.sentences.split_title`).

Fetching is for a newsroom tool, not a crawler: ``http`` and ``https`` only;
the host must not resolve to a private, loopback, link-local or otherwise
reserved address unless ``allow_private`` (so a server that fetches on a
user's behalf cannot be pointed at its own network); every redirect is
checked the same way (at most 5), and each connection goes to the address
it checked (a name rebinding to a private address is caught there); the body is read up to ``max_bytes`` and
within ``timeout`` seconds; it must be HTML.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from .errors import InvalidInputError, MissingDependencyError

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
MAX_BYTES = 5_000_000
TIMEOUT = 10.0
MAX_REDIRECTS = 5


@dataclass(frozen=True)
class Article:
    """An article taken from a page: its title (may be empty) and its text."""

    title: str
    text: str
    url: str | None = None

    def document(self) -> str:
        """The text the summarizer reads: the title on its own line, then the body."""
        return f"{self.title}\n{self.text}" if self.title else self.text


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
ALLOW_PRIVATE_ENV = "SUMMARIZE_ALLOW_PRIVATE_URLS"


def is_url(value: str) -> bool:
    """Whether an input names a URL (any scheme: a non-HTTP one is refused when fetched, not read as a file)."""
    return bool(_SCHEME.match(value))


def article_from_html(html: str | bytes, *, url: str | None = None, name: str = "the page") -> Article:
    """The article of an HTML page, or an error naming the page if it has none."""
    try:
        import trafilatura
    except ImportError as exc:
        # Say what is missing: trafilatura itself, or something it imports
        # (lxml 6 moved lxml.html.clean into the separate lxml_html_clean).
        missing = exc.name or "trafilatura"
        if missing == "trafilatura":
            raise MissingDependencyError("reading HTML needs trafilatura: pip install -e '.[serve]' (from a clone) or pip install 'summarize[serve]'") from None
        raise MissingDependencyError(
            f"reading HTML needs trafilatura, which could not import {missing!r} ({exc}); "
            "pip install lxml_html_clean, or reinstall the 'serve' extra"
        ) from None
    found = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False, include_tables=False)
    text = (getattr(found, "text", None) or "").strip() if found is not None else ""
    if not text:
        raise InvalidInputError(f"{name}: no article text found in the HTML (is it a page with an article?)")
    title = (getattr(found, "title", None) or "").strip()
    lines = text.split("\n")
    if title and lines and lines[0].strip() == title:
        text = "\n".join(lines[1:]).strip() or text  # the headline, repeated as the body's first line
    return Article(title, text, url)


def read_page(path: str) -> Article:
    """The article of a saved HTML file (trafilatura reads its encoding from the page)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise InvalidInputError(f"{path}: {exc.strerror or exc}") from None
    return article_from_html(data, name=path)


def read_document(path: str) -> str | None:
    """The text a job reads for ``path`` when it is a page (a URL, a saved .html file); None for anything else."""
    if is_url(path):
        allow = os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower() in ("1", "true", "yes")
        return fetch_page(path, allow_private=allow).document()
    if path.lower().endswith(HTML_SUFFIXES):
        return read_page(path).document()
    return None


def check_address(url: str, *, allow_private: bool = False) -> str | None:
    """Refuse a URL that is not http(s), or whose host resolves to a private or reserved address.

    Returns the address checked (None with ``allow_private``). The
    connection itself (:func:`_pinned_handlers`) checks the address it
    resolves and connects to that one, so a name that resolves to a public
    address here and to a private one a moment later (DNS rebinding) is
    refused when it connects.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidInputError(f"{url!r}: only http and https URLs are fetched, not {parts.scheme or 'no scheme'}")
    if not parts.hostname:
        raise InvalidInputError(f"{url!r}: the URL has no host")
    if allow_private:
        return None
    return _public_address(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), url)


def _public_address(host: str, port: int, url: str) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InvalidInputError(f"{url!r}: the host {host!r} cannot be resolved ({exc.strerror})") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise InvalidInputError(
                f"{url!r}: {host} is a private or reserved address ({address}); "
                "fetching it is refused (allow it with --allow-private-urls)")
    return str(infos[0][4][0])


def _pinned_handlers(allow_private: bool) -> list:
    """urllib handlers that connect to the address they check, in one lookup (no gap for rebinding)."""
    import http.client
    import ssl

    def address(host: str, port: int) -> str:
        return host if allow_private else _public_address(host, port, f"{host}:{port}")

    class PinnedHTTP(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.create_connection((address(self.host, self.port), self.port), self.timeout)

    class PinnedHTTPS(http.client.HTTPSConnection):
        def connect(self):
            raw = socket.create_connection((address(self.host, self.port), self.port), self.timeout)
            self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # the certificate is the name's

    class HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(PinnedHTTP, req)

    class HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(PinnedHTTPS, req, context=ssl.create_default_context())

    return [HTTPHandler(), HTTPSHandler()]


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, allow_private: bool):
        self.allow_private = allow_private
        self.count = 0

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        self.count += 1
        if self.count > MAX_REDIRECTS:
            raise InvalidInputError(f"{req.full_url!r}: more than {MAX_REDIRECTS} redirects")
        check_address(newurl, allow_private=self.allow_private)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_page(url: str, *, max_bytes: int = MAX_BYTES, timeout: float = TIMEOUT, allow_private: bool = False) -> Article:
    """Fetch ``url`` within the limits and return its article."""
    check_address(url, allow_private=allow_private)
    opener = urllib.request.build_opener(_CheckedRedirects(allow_private), *_pinned_handlers(allow_private))
    request = urllib.request.Request(url, headers={"User-Agent": "summarize (+https://pypi.org/project/summarize)",
                                                   "Accept": "text/html,application/xhtml+xml"})
    try:
        with opener.open(request, timeout=timeout) as response:
            kind = response.headers.get_content_type()
            if kind not in ("text/html", "application/xhtml+xml"):
                raise InvalidInputError(f"{url!r} is {kind}, not an HTML page")
            data = response.read(max_bytes + 1)
            charset = response.headers.get_content_charset()
            final = response.geturl()
    except urllib.error.HTTPError as exc:
        raise InvalidInputError(f"{url!r}: the server answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InvalidInputError(f"{url!r} cannot be fetched: {reason}") from None
    if len(data) > max_bytes:
        raise InvalidInputError(f"{url!r}: the page is larger than {max_bytes:,} bytes")
    try:
        html = data.decode(charset or "utf-8", errors="replace")
    except LookupError:
        html = data.decode("utf-8", errors="replace")
    return article_from_html(html, url=final, name=url)
