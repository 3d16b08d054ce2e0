"""The HTTP front end: routes, errors, access, logs, on Starlette.

Starlette (with uvicorn) rather than FastAPI: the request schema already
exists as the library's option schema (:mod:`.requests` checks against it and
builds the OpenAPI description from it), and FastAPI's ``/docs`` loads its
viewer from a CDN, which the page's rule (nothing from outside the package)
forbids. Every error a client can cause is ``{"error": one line, "kind": ...}``
with a 4xx status; an internal error is a 500 with one line, and the server
goes on serving.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import time
from importlib import resources
from typing import Any

from .. import __version__
from ..errors import InvalidInputError, SummarizeError, UnsupportedLanguageError
from ..inputs.decoding import refuse_lone_surrogates
from ..inputs.records import Record
from .dispatch import ClientGone, DeadlinePassed, Dispatcher, QueueFull
from .requests import RequestError, openapi, parse_request
from .service import ServerConfig, Service

logger = logging.getLogger("summarize.server")
PUBLIC = ("/healthz", "/readyz")
# The page's files are public (they hold no data); the API behind them needs the token.
PAGE_FILES = {"/": ("index.html", "text/html; charset=utf-8"), "/signin": ("signin.html", "text/html; charset=utf-8"),
              "/docs": ("docs.html", "text/html; charset=utf-8"),
              "/static/page.js": ("page.js", "text/javascript; charset=utf-8"),
              "/static/signin.js": ("signin.js", "text/javascript; charset=utf-8"),
              "/static/docs.js": ("docs.js", "text/javascript; charset=utf-8"),
              "/static/page.css": ("page.css", "text/css; charset=utf-8")}
# Nothing from elsewhere, no framing (clickjacking), no referrer to the pages an article links to.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}



def create_app(config: ServerConfig, summarizer: Any = None, dispatcher: Dispatcher | None = None):
    """The ASGI app; the model loads in a thread at startup unless ``summarizer`` is given.

    Requests wait and run in ``dispatcher`` (by default, batches in this
    process: :class:`~.batcher.Batcher`); the app uses it through
    :class:`~.dispatch.Dispatcher`'s interface alone.
    """
    from contextlib import asynccontextmanager

    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Route

    service = Service(config, summarizer, dispatcher)

    @asynccontextmanager
    async def lifespan(app):
        app.state.loop = asyncio.get_running_loop()  # for a stop signal to start the drain in
        await service.dispatcher.start(on_batch=service.metrics.batch_sizes.observe)
        loading = asyncio.get_running_loop().run_in_executor(None, service.load)
        try:
            yield
        finally:
            # uvicorn has given accepted requests --drain-timeout to finish; what is left is answered 503 now.
            await service.dispatcher.drain(timeout=1.0)
            await loading

    routes = [
        Route("/v1/summarize", _handler(service, _summarize), methods=["POST"]),
        Route("/healthz", _handler(service, _healthz), methods=["GET"]),
        Route("/readyz", _handler(service, _readyz), methods=["GET"]),
        Route("/metrics", _handler(service, _metrics), methods=["GET"]),
        Route("/openapi.json", _handler(service, _openapi), methods=["GET"]),
        *[Route(path, _handler(service, _page), methods=["GET"]) for path in PAGE_FILES],
    ]
    middleware = []
    if config.cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        middleware.append(Middleware(CORSMiddleware, allow_origins=list(config.cors_origins), allow_methods=["GET", "POST"],
                                     allow_headers=["Authorization", "Content-Type"]))
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={404: _not_found, 405: _not_allowed})
    app.state.service = service
    return app


def _json(data: Any, status: int = 200, headers: dict | None = None):
    from starlette.responses import Response

    return Response(json.dumps(data, ensure_ascii=False), status_code=status, headers=headers,
                    media_type="application/json")


def _error(message: str, kind: str, status: int, headers: dict | None = None):
    return _json({"error": " ".join(str(message).split()), "kind": kind}, status, headers)


async def _not_found(request, exc):
    return _counted(request, _error(f"no route {request.method} {request.url.path}", "not_found", 404))


async def _not_allowed(request, exc):
    return _counted(request, _error(f"{request.method} is not allowed on {request.url.path}", "method_not_allowed", 405))


def _counted(request, response):
    """Requests that reach no route are counted and logged too."""
    service = request.app.state.service
    service.metrics.requests.labels("other", str(response.status_code)).inc()
    _log(service.config, request, response.status_code, 0.0, 0)
    return response


def _is_ip(name: str) -> bool:
    """An address, not a name: DNS rebinding needs a name (a page at an address is another origin, caught by Origin)."""
    import ipaddress

    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _own_names(config: ServerConfig) -> frozenset[str]:
    import socket

    names = {"localhost", config.host.lower(), *config.allowed_hosts}
    if config.host not in ("127.0.0.1", "localhost", "::1"):  # bound beyond this machine: its own names too
        names.update({socket.gethostname().lower(), socket.getfqdn().lower()})
    return frozenset(names)


def _authorized(config: ServerConfig, request) -> bool:
    if not config.token or request.url.path in PUBLIC or request.url.path in PAGE_FILES:
        return True
    header = request.headers.get("authorization", "")
    given = header[7:] if header[:7].lower() == "bearer " else ""
    return hmac.compare_digest(given.encode(), config.token.encode())


def _refuse_foreign(config: ServerConfig, request) -> None:
    """Refuse what a web page elsewhere could make the editor's browser send.

    * With no token, a request must name this server in its ``Host``: an
      address, ``localhost``, the machine's own names where it is bound
      beyond loopback, or an ``--allowed-host``. A site whose name resolves
      to the server (DNS rebinding) reaches it, but its requests say their
      own name.
    * A request from a browser on another site (an ``Origin`` other than the
      page's own and the ``--cors-origin`` ones, or ``Sec-Fetch-Site:
      cross-site``) is refused: a form on any page could otherwise post to
      an open server. ``curl`` and health probes send neither header.
    """
    host = request.headers.get("host", "")
    name = (host[1:host.index("]")] if host.startswith("[") and "]" in host else host.rsplit(":", 1)[0]).lower()
    if not config.token and not _is_ip(name) and name not in _own_names(config):
        raise RequestError(f"Host {host!r} is not this server's name: with no token, a server answers its own names "
                           "and addresses only (add others with --allowed-host)", 421, "misdirected")
    origin = request.headers.get("origin")
    site = request.headers.get("sec-fetch-site")
    own = {f"http://{host}", f"https://{host}"}
    if origin and origin not in own and origin not in config.cors_origins:  # "null" too: a sandboxed frame
        raise RequestError(f"requests from pages on {origin} are refused (allow that origin with --cors-origin)", 403, "cross_site")
    if site == "cross-site" and not (origin and origin in config.cors_origins):
        raise RequestError("requests from pages on other sites are refused (allow an origin with --cors-origin)", 403, "cross_site")


def _handler(service: Service, endpoint):
    """Wrap an endpoint: access check, one log line, metrics, and no traceback to the client."""

    async def handle(request):
        started = time.perf_counter()
        documents = 0
        try:
            if request.url.path not in PUBLIC:
                _refuse_foreign(service.config, request)
            if not _authorized(service.config, request):
                response = _error("missing or wrong bearer token (Authorization: Bearer TOKEN)", "unauthorized", 401,
                                  {"WWW-Authenticate": "Bearer"})
            else:
                response, documents = await endpoint(service, request)
        except RequestError as exc:
            response = _error(str(exc), exc.kind, exc.status, exc.headers)
        except Exception as exc:  # noqa: BLE001 - one line to the client and the log; the server goes on
            logger.exception("internal error on %s %s", request.method, request.url.path)
            response = _error(f"internal error: {type(exc).__name__}: {exc}", "internal", 500)
        seconds = time.perf_counter() - started
        route = request.url.path if request.url.path in (*PAGE_FILES, *PUBLIC, "/v1/summarize", "/metrics", "/openapi.json") else "other"
        service.metrics.requests.labels(route, str(response.status_code)).inc()
        service.metrics.latency.labels(route).observe(seconds)
        _log(service.config, request, response.status_code, seconds, documents)
        return response

    return handle


def _log(config: ServerConfig, request, status: int, seconds: float, documents: int) -> None:
    client = request.client.host if request.client else "-"
    # A path is the client's text: its control bytes (a forged log line, terminal escapes) are written escaped.
    path = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", request.url.path)
    method = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", request.method)
    if config.log_format == "json":
        logger.info("%s", json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "client": client, "method": method,
                                      "path": path, "status": status, "seconds": round(seconds, 4),
                                      "documents": documents}))
    else:
        logger.info("%s %s %s %d %.3fs %d docs", client, method, path, status, seconds, documents)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


async def _read_body(request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise RequestError(f"the body is {int(declared):,} bytes; at most {limit:,} (--max-body-bytes)", 413, "too_large")
    from starlette.requests import ClientDisconnect

    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise RequestError(f"the body is over {limit:,} bytes (--max-body-bytes)", 413, "too_large")
    except ClientDisconnect:
        raise RequestError("the client disconnected before its body arrived", 499, "client_closed") from None
    return bytes(body)


async def _summarize(service: Service, request):
    config = service.config
    deadline = time.monotonic() + config.timeout  # one clock for fetching, queueing and generation
    parsed = parse_request(await _read_body(request, config.max_body_bytes))
    if not service.ready:
        reason = f"the model failed to load: {service.load_error}" if service.load_error else "the model is still loading"
        raise RequestError(reason, 503, "not_ready", {"Retry-After": "5"})
    options = {**config.defaults.as_dict(), **parsed.options}  # the server's --lang/--target-lang, where the request is silent
    try:
        await service.dispatcher.check(options)
    except UnsupportedLanguageError as exc:
        raise RequestError(str(exc), 422, "unsupported_language") from None
    except SummarizeError as exc:
        raise RequestError(str(exc), 400, "invalid_option") from None
    if len(parsed.documents) > config.max_queue:
        raise RequestError(f"the request holds {len(parsed.documents)} documents and at most {config.max_queue} may wait "
                           "(--max-queue): it can never fit; send fewer", 413, "too_large")
    records = await _gather_records(service, parsed, deadline)
    if not parsed.batch and records[0].error:
        service.metrics.documents.labels("failed").inc()  # refused at the door, counted as the batch's failures are
        raise RequestError(records[0].error, 422, "invalid_input" if parsed.documents[0].source == "text" else "bad_source")
    # A client that goes, a deadline that passes, or this handler cancelled (a stop): the documents leave the queue.
    try:
        rows = await service.dispatcher.submit(records, options, deadline=deadline, gone=_disconnected(request))
    except ClientGone:
        raise RequestError("the client disconnected", 499, "client_closed") from None
    except DeadlinePassed:
        raise RequestError(f"no answer within {config.timeout:g} s (--timeout)", 504, "timeout") from None
    except QueueFull as exc:
        raise RequestError(f"the server is busy: {exc}; retry later", 503, "overloaded", {"Retry-After": "1"}) from None
    service.metrics.count_rows(rows)
    if parsed.include_source:
        for row, record in zip(rows, records):
            row["source"] = record.text
    if parsed.batch:
        return _json({"results": [_public(r) for r in rows]}), len(rows)
    row = rows[0]
    if row.get("error") is not None:
        raise _row_error(row)
    return _json(_public(row)), 1


async def _gather_records(service: Service, parsed, deadline: float) -> list[Record]:
    """The request's documents as records: texts at once; pages in the fetching pool, within the request's deadline.

    Fetching has its own few threads (``Service.fetcher``): slow pages wait
    for each other, never for the event loop's pool, so a text request is
    never held up by other clients' URLs.
    """
    if all(doc.source == "text" for doc in parsed.documents):
        return _records(service, parsed, deadline)
    loop = asyncio.get_running_loop()
    work = loop.run_in_executor(service.fetcher, _records, service, parsed, deadline)
    try:
        return await asyncio.wait_for(work, max(0.001, deadline - time.monotonic()))
    except asyncio.TimeoutError:
        raise RequestError(f"no answer within {service.config.timeout:g} s (--timeout): fetching the page(s) took it all",
                           504, "timeout") from None


def _records(service: Service, parsed, deadline: float) -> list[Record]:
    """The request's documents as records; a page that cannot be read is that record's error."""
    from ..inputs import webpages

    config = service.config
    records = []
    for number, doc in enumerate(parsed.documents, start=1):
        try:
            if doc.source == "text":
                text = doc.value
                refuse_lone_surrogates(text)  # at the door: a text that cannot be summarised never waits in the queue
            elif doc.source == "html":
                text = webpages.article_from_html(doc.value, name="the html").document()
            else:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise InvalidInputError(f"{doc.value!r} was not fetched: the request's --timeout ran out")
                text = webpages.fetch_page(doc.value, max_bytes=config.fetch_max_bytes, timeout=min(config.fetch_timeout, left),
                                           allow_private=config.allow_private_urls).document()
            records.append(Record(doc.id, text, number))
        except SummarizeError as exc:
            records.append(Record(doc.id, None, number, str(exc)))
    return records


async def _disconnected(request) -> None:
    """Returns when the client hangs up (the body is already read)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


def _public(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row.pop("error_type", None)
    return row


def _row_error(row: dict[str, Any]) -> RequestError:
    kind = row.get("error_type")
    if kind in (UnsupportedLanguageError.__name__,):
        return RequestError(row["error"], 422, "unsupported_language")
    if kind in (InvalidInputError.__name__, "InvalidOptionError") or (row.get("error_kind") == "permanent" and "internal" not in row["error"]):
        return RequestError(row["error"], 422, "invalid_input")
    return RequestError(row["error"], 500, "internal")


async def _healthz(service: Service, request):
    return _json({"status": "alive", "version": __version__}), 0


async def _readyz(service: Service, request):
    if service.ready:
        return _json({"status": "ready", "model": getattr(getattr(service.summarizer, "checkpoint", None), "name", None),
                      "method": service.method, "summary_languages": getattr(service.summarizer, "summary_languages", None)}), 0
    status = "failed" if service.load_error else "loading"
    return _json({"status": status, "error": service.load_error}, 503, {"Retry-After": "5"}), 0


async def _metrics(service: Service, request):
    from starlette.responses import Response

    data, kind = service.metrics.exposition()
    return Response(data, media_type=kind.split(";")[0], headers={"Content-Type": kind}), 0


async def _openapi(service: Service, request):
    return _json(openapi(__version__)), 0


async def _page(service: Service, request):
    name, kind = PAGE_FILES[request.url.path]
    return _page_file(name, kind), 0


def _page_file(name: str, kind: str, status: int = 200):
    from starlette.responses import Response

    data = resources.files("summarize.server").joinpath("page", name).read_bytes()
    return Response(data, status_code=status, media_type=kind.split(";")[0], headers={"Content-Type": kind, **PAGE_HEADERS})
