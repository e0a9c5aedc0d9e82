"""Content negotiation and parser dispatch (occi-spec §3.3)."""

from __future__ import annotations

import pytest

from occi_server.errors import NotAcceptable, UnsupportedMediaType
from occi_server.rendering import negotiate
from occi_server.rendering.negotiate import (
    choose_media_type,
    parse_request,
    parser_for,
    register,
    renderer_for,
    supported_media_types,
)
from occi_server.rendering.text_parse import (
    parse_headers_only,
    parse_text_occi,
    parse_text_plain,
    parse_uri_list,
)
from occi_server.rendering.text_render import (
    TextOcciRenderer,
    TextPlainRenderer,
    UriListRenderer,
)

KIND = 'compute; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"'


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "text/plain"),
        ("", "text/plain"),
        ("*/*", "text/plain"),
        ("text/*", "text/plain"),
        ("text/occi", "text/occi"),
        ("TEXT/OCCI; charset=utf-8", "text/occi"),
        ("text/occi+plain", "text/occi+plain"),
        ("text/uri-list", "text/uri-list"),
        ("text/occi, text/plain", "text/occi"),
        ("text/plain;q=0.5, text/occi", "text/occi"),
        ("text/occi;q=0.2, text/uri-list;q=0.9", "text/uri-list"),
        ("application/xml;q=1, text/occi;q=0.1", "text/occi"),
        ("application/json;q=1, text/occi;q=0.1", "application/json"),
        ("application/*", "application/occi+json"),
        ("application/occi+json", "application/occi+json"),
        ("*/*, text/occi", "text/occi"),
        ("text/plain;q=0, */*", "text/occi+plain"),
        ("text/html, application/xhtml+xml, */*;q=0.8", "text/html"),
        ("garbage, text/occi", "text/occi"),
        ("text/occi;q=abc, text/plain;q=0.1", "text/plain"),
    ],
)
def test_accept_matrix(accept: str | None, chosen: str) -> None:
    assert choose_media_type(accept) == chosen


@pytest.mark.parametrize(
    "accept", ["application/xml", "text/plain;q=0", "image/*", "nonsense", "*/*;q=0"]
)
def test_unsupported_accept_is_406_naming_what_was_asked(accept: str) -> None:
    with pytest.raises(NotAcceptable) as caught:
        choose_media_type(accept)
    assert caught.value.status == 406
    assert accept in caught.value.message


@pytest.mark.parametrize(
    ("content_type", "parser"),
    [
        ("text/plain", parse_text_plain),
        ("text/plain; charset=utf-8", parse_text_plain),
        ("Text/OCCI+Plain", parse_text_plain),
        ("text/occi", parse_text_occi),
        ("text/uri-list", parse_uri_list),
        (None, parse_headers_only),
        ("", parse_headers_only),
    ],
)
def test_parser_dispatch(content_type: str | None, parser: object) -> None:
    assert parser_for(content_type) is parser


def test_unsupported_content_type_is_415_naming_it() -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        parser_for("application/x-www-form-urlencoded")
    assert caught.value.status == 415
    assert "application/x-www-form-urlencoded" in caught.value.message


@pytest.mark.parametrize(
    ("content_type", "parser"),
    [
        # A provisioning client sends this list on every POST; its first member is what it means.
        ("text/plain,text/occi", parse_text_plain),
        ("text/occi, text/plain", parse_text_occi),
        ("application/x-unknown, text/occi;charset=utf-8", parse_text_occi),
        ('text/plain; charset="utf-8", text/occi', parse_text_plain),
    ],
)
def test_a_content_type_list_is_read_as_its_first_parsed_member(
    content_type: str, parser: object
) -> None:
    assert parser_for(content_type) is parser


@pytest.mark.parametrize("content_type", ["application/x-a, image/png", 'text/"plain, x/y'])
def test_a_content_type_list_with_nothing_we_parse_is_415(content_type: str) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        parser_for(content_type)
    assert caught.value.status == 415


def test_a_request_without_body_reads_headers_whatever_its_content_type() -> None:
    assert parser_for("application/x-www-form-urlencoded", has_body=False) is parse_headers_only


@pytest.mark.parametrize(
    ("media_type", "cls"),
    [
        ("text/plain", TextPlainRenderer),
        ("text/occi+plain", TextPlainRenderer),
        ("text/occi", TextOcciRenderer),
        ("text/uri-list", UriListRenderer),
    ],
)
def test_renderer_answers_as_the_requested_media_type(media_type: str, cls: type) -> None:
    renderer = renderer_for(media_type, "http://h")
    assert isinstance(renderer, cls)
    assert renderer.media_type == media_type
    assert renderer.ok().content_type in (media_type, "text/plain")


def test_renderer_for_unknown_media_type_is_406() -> None:
    with pytest.raises(NotAcceptable, match="application/xml"):
        renderer_for("application/xml", "http://h")


def test_registering_a_media_type_extends_negotiation_and_dispatch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(negotiate, "PARSERS", dict(negotiate.PARSERS))
    monkeypatch.setattr(negotiate, "RENDERERS", dict(negotiate.RENDERERS))
    register("application/occi+json", parser=parse_text_occi, renderer=TextOcciRenderer)
    assert choose_media_type("application/occi+json") == "application/occi+json"
    assert choose_media_type("application/*") == "application/occi+json"
    assert choose_media_type("*/*") == "text/plain"
    assert parser_for("application/occi+json") is parse_text_occi
    assert renderer_for("application/occi+json", "http://h").media_type == "application/occi+json"


def test_parse_request_uses_the_content_type_header() -> None:
    headers = [("content-type", "text/plain; charset=utf-8"), ("Category", KIND)]
    request = parse_request(headers, b"X-OCCI-Attribute: a.b=1\n")
    assert request.categories[0].term == "compute"
    assert request.attributes == {"a.b": 1}


def test_parse_request_without_body_ignores_an_odd_content_type() -> None:
    request = parse_request({"Content-Type": "application/xml", "Category": KIND}, b"\r\n")
    assert request.categories[0].term == "compute"
    with pytest.raises(UnsupportedMediaType):
        parse_request({"Content-Type": "application/xml"}, b"<x/>")


def test_supported_media_types_start_with_the_default() -> None:
    supported = supported_media_types()
    assert supported[0] == "text/plain"
    assert {"text/occi", "text/occi+plain", "text/uri-list"} <= set(supported)


def test_content_type_lines_that_disagree_are_415_one_line_may_list() -> None:
    from occi_server.rendering.negotiate import content_type_of

    assert content_type_of([]) is None
    assert content_type_of(["text/plain,text/occi"]) == "text/plain,text/occi"
    assert content_type_of(["text/plain", " text/plain"]) == "text/plain"
    with pytest.raises(UnsupportedMediaType, match="contradictory Content-Type"):
        content_type_of(["text/plain", "application/occi+json"])
