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
within ``timeout`` seconds in all (one deadline for the whole fetch, not per
read); it must be HTML.

An address is private when Python's ``ipaddress`` says it is not global, and
also when it is an IPv6 form that carries an IPv4 address (mapped,
IPv4-compatible, NAT64, 6to4, Teredo) whose IPv4 address is not global, or a
deprecated site-local address (``fec0::/10``).

Proxies: ``HTTP_PROXY``, ``HTTPS_PROXY`` and ``NO_PROXY`` are honoured (https
through ``CONNECT``). The private-address rule applies to the page asked for,
never to the proxy the operator configured; the proxy resolves the name, so a
name is checked where it resolves here and let through where only the proxy
can resolve it.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from ..errors import InvalidInputError, MissingDependencyError

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
ALLOW_PRIVATE_ENV = "SUMMARIZE_ALLOW_PRIVATE_URLS"  # the command reads it, as --allow-private-urls


def allow_private_from_env() -> bool:
    """``SUMMARIZE_ALLOW_PRIVATE_URLS=1``: the operator's standing permission (read, never set, by the command)."""
    return os.environ.get(ALLOW_PRIVATE_ENV, "").strip().lower() in ("1", "true", "yes")


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


def read_document(path: str, *, allow_private: bool = False) -> str | None:
    """The text a job reads for ``path`` when it is a page (a URL, a saved .html file); None for anything else."""
    if is_url(path):
        return fetch_page(path, allow_private=allow_private).document()
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
    proxied = _proxy_for(url) is not None
    return _public_address(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), url, proxied=proxied)


# NAT64 (well-known and local-use) and IPv4-translated (SIIT) prefixes: each carries an IPv4 address in its last 32 bits.
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"), ipaddress.ip_network("::ffff:0:0:0/96"))


def is_private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``address`` reaches a private, loopback, link-local or reserved host.

    >>> [is_private(ipaddress.ip_address(a)) for a in ("8.8.8.8", "::127.0.0.1", "64:ff9b::7f00:1", "fec0::1", "64:ff9b::808:808")]
    [False, True, True, True, False]
    """
    if address.version == 6:
        if address.is_site_local:
            return True
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is None and int(address) >> 32 == 0 and int(address) > 1:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)  # IPv4-compatible, ::a.b.c.d
        if embedded is None and any(address in net for net in _NAT64):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)  # NAT64 reaches the IPv4 behind a gateway
        if embedded is not None and is_private(embedded):
            return True
    return not address.is_global or address.is_multicast


def _public_address(host: str, port: int, url: str, *, proxied: bool = False) -> str | None:
    """The address ``host`` resolves to, refused if private; None where only a proxy can resolve it."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        if proxied:
            return None  # the proxy resolves it; nothing here says it is private
        raise InvalidInputError(f"{url!r}: the host {host!r} cannot be resolved ({exc.strerror})") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if is_private(address):
            raise InvalidInputError(
                f"{url!r}: {host} is a private or reserved address ({address}); "
                "fetching it is refused (allow it with --allow-private-urls)")
    return str(infos[0][4][0])


def _proxy_for(url: str) -> str | None:
    """The proxy ``HTTP_PROXY``/``HTTPS_PROXY`` name for ``url``, unless ``NO_PROXY`` covers its host."""
    parts = urllib.parse.urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme.lower())
    if not proxy or urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return proxy


def _pinned_handlers(allow_private: bool, deadline: float) -> list:
    """urllib handlers that connect to the address they check, in one lookup (no gap for rebinding).

    A connection to a proxy goes to the proxy (the operator's), and through
    it, by ``CONNECT``, to the page's host for https. Every socket operation
    waits at most until ``deadline``.
    """
    import http.client
    import ssl

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the fetch's time ran out")
        return left

    def open_socket(conn) -> socket.socket:
        proxied = getattr(conn, "_summarize_proxied", False)
        host = conn.host if (allow_private or proxied) else _public_address(conn.host, conn.port, f"{conn.host}:{conn.port}")
        sock = socket.create_connection((host, conn.port), remaining())
        conn.sock = sock
        if conn._tunnel_host:
            conn._tunnel()  # CONNECT through the proxy
        return conn.sock

    class PinnedHTTP(http.client.HTTPConnection):
        def connect(self):
            self.sock = open_socket(self)

    class PinnedHTTPS(http.client.HTTPSConnection):
        def connect(self):
            raw = open_socket(self)
            name = self._tunnel_host or self.host
            self.sock = self._context.wrap_socket(raw, server_hostname=name)  # the certificate is the page's host's

    def proxied(cls):
        # urllib gives a proxied request's connection the proxy as its host.
        def build(host, **kwargs):
            conn = cls(host, **kwargs)
            conn._summarize_proxied = True
            return conn
        return build

    class HTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(proxied(PinnedHTTP) if req.has_proxy() else PinnedHTTP, req)

    class HTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            through = req._tunnel_host is not None if hasattr(req, "_tunnel_host") else False
            cls = proxied(PinnedHTTPS) if (req.has_proxy() or through) else PinnedHTTPS
            return self.do_open(cls, req, context=ssl.create_default_context())

    return [HTTPHandler(), HTTPSHandler()]


def _read_until(response, limit: int, deadline: float) -> bytes:
    """Up to ``limit`` bytes of the body, a chunk at a time, each read waiting at most until ``deadline``.

    A server that sends a byte now and then cannot stretch the fetch: the
    socket's timeout is what is left of the deadline before every read.
    """
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    data = bytearray()
    while len(data) < limit:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        if sock is not None:
            sock.settimeout(left)
        chunk = response.read1(min(65536, limit - len(data)))
        if not chunk:
            break
        data += chunk
    return bytes(data)


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
    """Fetch ``url`` within the limits and return its article; ``timeout`` is the whole fetch's, redirects included."""
    deadline = time.monotonic() + timeout
    check_address(url, allow_private=allow_private)
    # Both schemes' proxies (a page redirects from http to https); NO_PROXY is urllib's to apply per request.
    proxies = {k: v for k, v in urllib.request.getproxies().items() if k in ("http", "https")}
    handlers = [_CheckedRedirects(allow_private), *_pinned_handlers(allow_private, deadline), urllib.request.ProxyHandler(proxies)]
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, headers={"User-Agent": "summarize (+https://pypi.org/project/summarize)",
                                                   "Accept": "text/html,application/xhtml+xml"})
    try:
        with opener.open(request, timeout=timeout) as response:
            kind = response.headers.get_content_type()
            if kind not in ("text/html", "application/xhtml+xml"):
                raise InvalidInputError(f"{url!r} is {kind}, not an HTML page")
            data = _read_until(response, max_bytes + 1, deadline)
            charset = response.headers.get_content_charset()
            final = response.geturl()
    except urllib.error.HTTPError as exc:
        raise InvalidInputError(f"{url!r}: the server answered {exc.code} {exc.reason}") from None
    except TimeoutError:
        raise InvalidInputError(f"{url!r} cannot be fetched within {timeout:g} s") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            raise InvalidInputError(f"{url!r} cannot be fetched within {timeout:g} s") from None
        raise InvalidInputError(f"{url!r} cannot be fetched: {reason}") from None
    if len(data) > max_bytes:
        raise InvalidInputError(f"{url!r}: the page is larger than {max_bytes:,} bytes")
    try:
        html = data.decode(charset or "utf-8", errors="replace")
    except LookupError:
        html = data.decode("utf-8", errors="replace")
    return article_from_html(html, url=final, name=url)
