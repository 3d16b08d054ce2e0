"""What ``POST /v1/summarize`` accepts: each mistake is one line, with the HTTP status and the kind a client acts on.

In process, the request check itself (:func:`summarize.server.requests.parse_request`);
``test_server_app.py`` and ``test_server.py`` send some of these bodies to a real server.
"""

from __future__ import annotations

import json
import re

import pytest

from summarize.server.requests import GENERATION_OPTIONS, MAX_DOCUMENTS, Document, RequestError, openapi, parse_request


def body(data) -> bytes:
    return data if isinstance(data, bytes) else json.dumps(data).encode()


@pytest.mark.parametrize("data, status, kind, message", [
    (b"{not json", 400, "malformed_json", "the body is not JSON this server reads: Expecting property name"),
    (b"\xff{}", 400, "malformed_json", "the body is not JSON this server reads: "),
    (b"[" * 100_000 + b"]" * 100_000, 400, "malformed_json", "the body is not JSON this server reads: nested too deeply"),
    (b'{"text": "a", "num_beams": ' + b"9" * 5000 + b"}", 400, "malformed_json",
     "the body is not JSON this server reads: an integer of over 4,300 digits"),
    (b'{"text": "a", "length_penalty": NaN}', 400, "malformed_json", "the body is not JSON this server reads: NaN is not a JSON number"),
    ([1, 2], 400, "invalid_request", "the body must be a JSON object, got list"),
    ({"text": "a", "beams": 4}, 400, "invalid_option", "unknown field(s) 'beams'; accepted: "),
    ({"documents": [{"text": "a"}], "text": "b"}, 400, "invalid_option", "unknown field(s) 'text'; accepted: "),
    ({"documents": []}, 400, "invalid_request", "'documents' must be a non-empty list of objects"),
    ({"documents": {"text": "a"}}, 400, "invalid_request", "'documents' must be a non-empty list of objects"),
    ({"documents": [{"text": "a"}] * (MAX_DOCUMENTS + 1)}, 413, "too_large", "'documents' holds 257 documents; at most 256 a request"),
    ({"documents": [{"id": 1, "text": "a"}, {"id": 1, "text": "b"}]}, 400, "invalid_request",
     "document id 1 appears twice; ids must be unique"),
    ({"documents": [{"text": "a"}, {"id": 1, "text": "b"}]}, 400, "invalid_request",
     "document id 1 appears twice; ids must be unique"),  # the first one's id is its place, 1
    ({"documents": [{"text": "a"}, "b"]}, 400, "invalid_request", "document 2: must be an object with 'text', 'html' or 'url'"),
    ({"documents": [{"text": "a", "lang": "uk"}]}, 400, "invalid_option",
     "document 1: unknown field(s) 'lang'; a document has 'id', 'text', 'html' or 'url'"),
    ({"text": "a", "html": "<p>b</p>"}, 400, "invalid_request", "give exactly one of 'text', 'html' or 'url', not text and html"),
    ({"lang": "uk"}, 422, "missing_text", "give exactly one of 'text', 'html' or 'url'"),
    ({"documents": [{"id": "x"}]}, 422, "missing_text", "document 1: give exactly one of 'text', 'html' or 'url'"),
    ({"text": 42}, 422, "invalid_request", "'text' must be a string, got int"),
    ({"url": ["http://a"]}, 422, "invalid_request", "'url' must be a string, got list"),
    ({"text": " \n"}, 422, "empty_text", "'text' is empty"),
    ({"text": "a", "id": None}, 400, "invalid_request", "'id' must be a string or a number"),
    ({"text": "a", "id": True}, 400, "invalid_request", "'id' must be a string or a number"),
    ({"documents": [{"id": [1], "text": "a"}]}, 400, "invalid_request", "document 1: 'id' must be a string or a number"),
    ({"text": "a", "include_source": "yes"}, 400, "invalid_option", "include_source must be true or false, got 'yes'"),
    ({"text": "a", "method": "magic"}, 400, "invalid_option", "unknown method 'magic'; valid methods are 'abstractive', 'lead' or 'textrank'"),
    ({"text": "a", "method": 3}, 400, "invalid_option", "unknown method 3; valid methods are 'abstractive', 'lead' or 'textrank'"),
    ({"text": "a", "lang": "de"}, 422, "unsupported_language", "lang must be 'auto', 'en', 'uk' or 'ru', got 'de'"),
    ({"text": "a", "num_beams": 0}, 400, "invalid_option", "num_beams must be an integer >= 1, got 0"),
])
def test_a_bad_request_is_one_line_with_its_status_and_kind(data, status, kind, message):
    with pytest.raises(RequestError) as caught:
        parse_request(body(data))
    error = caught.value
    assert (error.status, error.kind) == (status, kind), str(error)
    assert str(error).startswith(message), str(error)
    assert "\n" not in str(error) and error.headers == {}


def test_an_unknown_field_is_answered_with_the_fields_that_are_accepted():
    with pytest.raises(RequestError) as caught:
        parse_request(body({"text": "a", "beams": 4, "zeta": 1}))
    listed = str(caught.value).split("accepted: ")[1]
    assert str(caught.value).startswith("unknown field(s) 'beams', 'zeta'; ")
    # One document: its fields and every option, not a batch's 'documents'.
    assert set(re.findall(r"'(\w+)'", listed)) == {"html", "id", "include_source", "lang", "method", "target_lang", "text", "url",
                                                    *GENERATION_OPTIONS}


def test_one_document_is_read_with_its_options_normalised():
    request = parse_request(body({"text": "Ціни зросли.", "lang": "uk", "num_beams": 4.0, "target_lang": None, "method": "abstractive"}))
    assert request.documents == (Document(1, "text", "Ціни зросли."),)  # no id: its place
    assert request.options == {"lang": "uk", "num_beams": 4, "method": "abstractive"}  # 4.0 beams is 4; None is not given
    assert type(request.options["num_beams"]) is int
    assert (request.batch, request.include_source) == (False, False)


def test_documents_keep_their_ids_and_places_and_an_empty_one_is_its_own_error_later():
    request = parse_request(body({"documents": [{"id": "a", "html": "<p>x</p>"}, {"text": ""}, {"id": 7, "url": "http://x"}],
                                  "include_source": True}))
    assert request.documents == (Document("a", "html", "<p>x</p>"), Document(2, "text", ""), Document(7, "url", "http://x"))
    assert (request.batch, request.include_source, request.options) == (True, True, {})


def test_a_request_error_defaults_to_a_bad_request():
    error = RequestError("no")
    assert (error.status, error.kind, error.headers) == (400, "invalid_request", {})


def test_the_openapi_description_lists_what_the_check_accepts():
    spec = openapi("1.2.3")
    assert spec["openapi"] == "3.1.0" and spec["info"]["version"] == "1.2.3"
    one, batch = spec["paths"]["/v1/summarize"]["post"]["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
    document, options = one["allOf"]
    assert set(document["properties"]) == {"id", "text", "html", "url"}
    assert set(options["properties"]) == {"lang", "target_lang", "method", "include_source", *GENERATION_OPTIONS}
    assert options["properties"]["lang"]["enum"] == ["auto", "en", "uk", "ru"]
    assert options["properties"]["target_lang"]["enum"] == ["en", "uk", "ru"]
    assert options["properties"]["method"]["enum"] == ["abstractive", "lead", "textrank"]
    types = {name: p["type"] for name, p in options["properties"].items()}
    assert types["num_beams"] == "integer" and types["length_penalty"] == "number" and types["do_sample"] == "boolean"
    assert types["include_source"] == "boolean" and types["top_p"] == "number"
    assert batch["required"] == ["documents"] and batch["properties"]["documents"]["items"] == document
    responses = spec["paths"]["/v1/summarize"]["post"]["responses"]
    assert sorted(responses) == ["200", "400", "401", "413", "422", "500", "503", "504"]
    assert responses["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert spec["components"]["schemas"]["Error"]["required"] == ["error", "kind"]
    assert set(spec["paths"]) == {"/v1/summarize", "/healthz", "/readyz", "/metrics"}


def test_every_value_the_description_offers_is_accepted_and_a_value_of_another_type_refused():
    spec = openapi("1")
    one = spec["paths"]["/v1/summarize"]["post"]["requestBody"]["content"]["application/json"]["schema"]["oneOf"][0]
    samples = {"string": "x", "integer": 2, "number": 0.5, "boolean": True}
    wrong = {"string": 5, "integer": "two", "number": "half", "boolean": "yes"}
    for name, prop in one["allOf"][1]["properties"].items():
        offered = prop.get("enum", [samples[prop["type"]]])
        for value in offered:  # what the description offers is taken, and kept
            request = parse_request(body({"text": "a", name: value}))
            assert (request.include_source if name == "include_source" else request.options[name]) == value, (name, value)
        with pytest.raises(RequestError) as caught:
            parse_request(body({"text": "a", name: wrong[prop["type"]]}))
        assert caught.value.status in (400, 422) and name in str(caught.value), (name, str(caught.value))
        if "enum" in prop:
            with pytest.raises(RequestError):
                parse_request(body({"text": "a", name: "xx"}))  # and nothing it does not offer


def test_the_published_description_is_the_one_the_server_gives():
    from pathlib import Path

    from summarize import __version__

    published = json.loads((Path(__file__).parent.parent / "docs" / "reference" / "openapi.json").read_text(encoding="utf-8"))
    published["info"]["version"] = __version__
    assert openapi(__version__) == published, (
        "the API changed: review the difference, then write docs/reference/openapi.json again with\n"
        "python -c \"import json, summarize, summarize.server.requests as r; "
        "print(json.dumps(r.openapi(summarize.__version__), indent=2, ensure_ascii=False))\" > docs/reference/openapi.json")


def test_a_request_may_hold_as_many_documents_as_the_limit():
    assert len(parse_request(body({"documents": [{"text": "a"}] * MAX_DOCUMENTS})).documents) == MAX_DOCUMENTS


def test_a_mistake_names_what_was_given_and_nothing_else():
    with pytest.raises(RequestError) as caught:
        parse_request(body({"lang": "uk"}))
    assert str(caught.value) == "give exactly one of 'text', 'html' or 'url'"  # nothing given: nothing named
    with pytest.raises(RequestError) as caught:
        parse_request(body({"documents": [{"text": "a", "lang": "uk", "beams": 2}]}))
    assert str(caught.value).startswith("document 1: unknown field(s) 'beams', 'lang'; ")
