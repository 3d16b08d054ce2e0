"""What ``POST /v1/summarize`` accepts, checked before anything is queued.

A request is one document (``text``, ``html`` or ``url``, with an optional
``id``) or ``documents``, a list of them; beside them, the options every
document of the request shares: ``lang``, ``target_lang``, ``method`` and the
decoding settings of :class:`summarize.generation.GenerationSettings`. The
names, accepted values and help come from the library's option schemas, so
the API, the CLI and the constructor accept the same things.

A mistake in the request as a whole (malformed JSON, an unknown field, a bad
option, no text) is a :class:`RequestError` with an HTTP status and a kind;
a mistake in one document of ``documents`` is that document's error entry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

from ..errors import SummarizeError, UnsupportedLanguageError, choices
from ..generation import HELP as GENERATION_HELP
from ..generation import GenerationSettings
from ..languages import LANGUAGES
from ..options import METHOD_NAMES, CallOptions, check_option

DOCUMENT_FIELDS = ("id", "text", "html", "url")
SOURCES = ("text", "html", "url")
REQUEST_OPTIONS = ("lang", "target_lang", "method")
RESPONSE_OPTIONS = ("include_source",)  # how to answer, not how to summarise
GENERATION_OPTIONS = tuple(f.name for f in fields(GenerationSettings))
MAX_DOCUMENTS = 256


class RequestError(SummarizeError):
    """A request the server refuses as a whole: an HTTP status and a ``kind`` for the client."""

    def __init__(self, message: str, status: int = 400, kind: str = "invalid_request", headers: dict | None = None):
        super().__init__(message)
        self.status, self.kind, self.headers = status, kind, headers or {}


@dataclass(frozen=True)
class Document:
    """One document of a request: its id and where its text comes from."""

    id: Any
    source: str  # "text", "html" or "url"
    value: str


@dataclass(frozen=True)
class Request:
    documents: tuple[Document, ...]
    options: dict[str, Any]  # lang, target_lang, method, decoding settings
    batch: bool  # answered as {"results": [...]}
    include_source: bool = False  # each result carries the text that was summarised (the page shows it)


def parse_request(body: bytes) -> Request:
    """The request in ``body``, or a :class:`RequestError` saying in one line what is wrong."""
    try:
        data = json.loads(body, parse_constant=_no_constant)
    except RecursionError:
        raise RequestError("the body is not JSON this server reads: nested too deeply", 400, "malformed_json") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RequestError(f"the body is not JSON this server reads: {exc}", 400, "malformed_json") from None
    except ValueError as exc:  # an integer of over 4,300 digits, NaN or Infinity
        reason = "an integer of over 4,300 digits" if "digits" in str(exc) else str(exc)
        raise RequestError(f"the body is not JSON this server reads: {reason}", 400, "malformed_json") from None
    if not isinstance(data, dict):
        raise RequestError(f"the body must be a JSON object, got {type(data).__name__}", 400, "invalid_request")
    batch = "documents" in data
    common = {*REQUEST_OPTIONS, *RESPONSE_OPTIONS, *GENERATION_OPTIONS}
    allowed = {"documents", *common} if batch else {*DOCUMENT_FIELDS, *common}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise RequestError(f"unknown field(s) {', '.join(map(repr, unknown))}; accepted: {choices(sorted(allowed))}",
                           400, "invalid_option")
    options = _options(data)
    if batch:
        items = data["documents"]
        if not isinstance(items, list) or not items:
            raise RequestError("'documents' must be a non-empty list of objects", 400, "invalid_request")
        if len(items) > MAX_DOCUMENTS:
            raise RequestError(f"'documents' holds {len(items)} documents; at most {MAX_DOCUMENTS} a request", 413, "too_large")
        documents = tuple(_document(item, i, in_batch=True) for i, item in enumerate(items, start=1))
        ids = [d.id for d in documents]
        repeated = next((i for i in ids if ids.count(i) > 1), None)
        if repeated is not None:
            raise RequestError(f"document id {repeated!r} appears twice; ids must be unique", 400, "invalid_request")
    else:
        documents = (_document(data, 1, in_batch=False),)
    include_source = data.get("include_source", False)
    if not isinstance(include_source, bool):
        raise RequestError(f"include_source must be true or false, got {include_source!r}", 400, "invalid_option")
    return Request(documents, options, batch, include_source)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _document(item: Any, number: int, *, in_batch: bool) -> Document:
    where = f"document {number}: " if in_batch else ""
    if not isinstance(item, dict):
        raise RequestError(f"{where}must be an object with 'text', 'html' or 'url'", 400, "invalid_request")
    if in_batch:
        unknown = sorted(set(item) - set(DOCUMENT_FIELDS))
        if unknown:
            raise RequestError(f"{where}unknown field(s) {', '.join(map(repr, unknown))}; a document has {choices(DOCUMENT_FIELDS)}",
                               400, "invalid_option")
    given = [s for s in SOURCES if s in item]
    if len(given) != 1:
        raise RequestError(f"{where}give exactly one of 'text', 'html' or 'url'" + (f", not {' and '.join(given)}" if given else ""),
                           400 if given else 422, "invalid_request" if given else "missing_text")
    source = given[0]
    value = item[source]
    if not isinstance(value, str):
        raise RequestError(f"{where}{source!r} must be a string, got {type(value).__name__}", 422, "invalid_request")
    if not value.strip() and not in_batch:
        raise RequestError(f"{where}{source!r} is empty", 422, "empty_text")
    rid = item.get("id", number)
    if isinstance(rid, (dict, list, bool)) or rid is None:
        raise RequestError(f"{where}'id' must be a string or a number", 400, "invalid_request")
    return Document(rid, source, value)


def _options(data: dict[str, Any]) -> dict[str, Any]:
    """The request's options, checked and normalised as the library checks a call's (:class:`~summarize.options.CallOptions`).

    What depends on what this server serves (its method, its model's
    languages, its limits) is checked next, by the service, with the same
    function the library uses (:func:`summarize.options.check_call`).
    Normalised (``4.0`` beams is ``4``), so that equal options batch together.
    """
    given = {k: data[k] for k in (*REQUEST_OPTIONS, *GENERATION_OPTIONS) if data.get(k) is not None}
    method = given.pop("method", None)
    try:
        if method is not None:
            check_option("method", method)  # as the library checks it; what this server serves is the service's check
        call = CallOptions.of(given)
    except UnsupportedLanguageError as exc:
        raise RequestError(str(exc), 422, "unsupported_language") from None
    except SummarizeError as exc:
        raise RequestError(str(exc), 400, "invalid_option") from None
    options: dict[str, Any] = {k: getattr(call, k) for k in ("lang", "target_lang") if k in given}
    options.update(call.generation)
    return {**options, "method": method} if method is not None else options


def openapi(version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 description of the API, built from the same option lists the checks use."""
    option_props = {
        "lang": {"type": "string", "enum": ["auto", *LANGUAGES], "description": "language of the input (default: detect)"},
        "target_lang": {"type": "string", "enum": list(LANGUAGES), "description": "language of the summary (default: the input's)"},
        "method": {"type": "string", "enum": list(METHOD_NAMES), "description": "the served model, or an extractive method"},
        "include_source": {"type": "boolean", "description": "also answer the text that was summarised ('source')"},
        **{name: {"type": "number" if name in ("length_penalty", "temperature", "top_p") else "boolean" if name == "do_sample"
                  else "integer", "description": GENERATION_HELP.get(name, name)} for name in GENERATION_OPTIONS},
    }
    document = {"type": "object", "properties": {
        "id": {"type": ["string", "number"]}, "text": {"type": "string", "description": "the article"},
        "html": {"type": "string", "description": "a saved page; its article is extracted"},
        "url": {"type": "string", "format": "uri", "description": "a page to fetch (http or https)"},
    }}
    error = {"type": "object", "properties": {"error": {"type": "string"}, "kind": {"type": "string"}}, "required": ["error", "kind"]}
    responses = {str(code): {"description": text, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
                 for code, text in ((400, "malformed JSON, an unknown field or option"), (401, "missing or wrong bearer token"),
                                    (413, f"body over --max-body-bytes, over {MAX_DOCUMENTS} documents, or more than --max-queue"),
                                    (422, "no text, an empty text, an unsupported language"),
                                    (503, "queue full (Retry-After) or not ready"), (504, "past --timeout"), (500, "internal error"))}
    responses["200"] = {"description": "one result, or {'results': [...]} for 'documents'",
                        "content": {"application/json": {"schema": {"type": "object"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "summarize", "version": version,
                 "description": "Summaries of English, Ukrainian and Russian news, with unsupported facts flagged."},
        "paths": {
            "/v1/summarize": {"post": {"summary": "Summarise one document or several", "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"oneOf": [
                    {"allOf": [document, {"type": "object", "properties": option_props}]},
                    {"type": "object", "properties": {"documents": {"type": "array", "items": document}, **option_props},
                     "required": ["documents"]},
                ]}}}}, "responses": responses, "security": [{"bearer": []}, {}]}},
            "/healthz": {"get": {"summary": "alive", "responses": {"200": {"description": "ok"}}}},
            "/readyz": {"get": {"summary": "model loaded", "responses": {"200": {"description": "ready"}, "503": {"description": "loading"}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text format"}}}},
        },
        "components": {"schemas": {"Error": error}, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
