"""Whole-request parsers: headers + body -> one OcciRequest (occi-spec §4.1, §4.4)."""

from __future__ import annotations

import pytest

from occi_server.errors import BadRequest
from occi_server.rendering.text_parse import (
    parse_headers_only,
    parse_text_occi,
    parse_text_plain,
    parse_uri_list,
)

INFRA = "http://schemas.ogf.org/occi/infrastructure#"
KIND = f'compute; scheme="{INFRA}"; class="kind"'
MIXIN = 'ubuntu-22; scheme="http://example.com/occi/os_tpl#"; class="mixin"'
LINK = f'</network/public>; rel="{INFRA}network"; category="{INFRA}networkinterface"'


def test_ogf_escaping_case_keeps_quote_and_comma_inside_the_title() -> None:
    value = (
        'occi.compute.memory=3.6, occi.core.title="How\'s your quotes escaping? \\", '
        'occi.compute.memory=1.0"'
    )
    request = parse_text_occi([("X-OCCI-Attribute", value)], b"")
    assert request.attributes == {
        "occi.compute.memory": 3.6,
        "occi.core.title": "How's your quotes escaping? \", occi.compute.memory=1.0",
    }


def test_comma_folded_and_repeated_headers_give_the_same_request() -> None:
    repeated = [
        ("Category", KIND),
        ("Category", MIXIN),
        ("Link", LINK),
        ("X-OCCI-Attribute", "occi.compute.cores=2"),
        ("X-OCCI-Attribute", 'occi.compute.hostname="vm1"'),
        ("X-OCCI-Location", "/compute/1"),
        ("X-OCCI-Location", "/compute/2"),
    ]
    folded = [
        ("Category", f"{KIND}, {MIXIN}"),
        ("Link", LINK),
        ("X-OCCI-Attribute", 'occi.compute.cores=2,occi.compute.hostname="vm1"'),
        ("X-OCCI-Location", "/compute/1, /compute/2"),
    ]
    assert parse_text_occi(repeated, b"") == parse_text_occi(folded, b"")
    assert len(parse_text_occi(folded, b"").categories) == 2


def test_header_names_are_case_insensitive_and_x_occi_category_is_an_alias() -> None:
    lower = parse_text_occi([("category", KIND), ("x-occi-attribute", "a.b=1")], b"")
    upper = parse_text_occi([("CATEGORY", KIND), ("X-OCCI-ATTRIBUTE", "a.b=1")], b"")
    alias = parse_text_occi([("X-OCCI-Category", KIND), ("X-Occi-Attribute", "a.b=1")], b"")
    assert lower == upper == alias
    assert lower.categories[0].category_class == "kind"


def test_mapping_headers_are_accepted() -> None:
    request = parse_headers_only({"Category": KIND, "Accept": "text/plain"})
    assert request.categories[0].term == "compute"


def test_unrelated_headers_are_ignored() -> None:
    headers = [("Accept", "text/occi, */*;q=0.1"), ("User-Agent", "x OCCI/1.2"), ("Host", "h")]
    assert parse_text_occi(headers, b"OK").is_empty


def test_text_plain_body_with_crlf_blank_lines_and_mixed_case_names() -> None:
    body = (
        f"Category: {KIND}\r\n\r\n"
        f"cATEGORY: {MIXIN}\r\n"
        f"link: {LINK}\r\n"
        "X-OCCI-Attribute: occi.compute.cores=2\r\n"
        'x-occi-attribute: occi.core.title="a, b"\r\n'
        "   \r\n"
    ).encode()
    request = parse_text_plain([], body)
    assert [c.term for c in request.categories] == ["compute", "ubuntu-22"]
    assert request.links[0].target == "/network/public"
    assert request.attributes == {"occi.compute.cores": 2, "occi.core.title": "a, b"}


def test_text_plain_merges_header_filters_with_body_content() -> None:
    headers = [("Content-Type", "text/plain"), ("Category", KIND)]
    request = parse_text_plain(headers, b"X-OCCI-Attribute: occi.compute.cores=4\n")
    assert request.categories[0].term == "compute"
    assert request.attributes == {"occi.compute.cores": 4}


def test_unknown_body_line_name_is_named_in_the_error() -> None:
    with pytest.raises(BadRequest, match="body line 2: unknown line name 'X-Colour'"):
        parse_text_plain([], f"Category: {KIND}\nX-Colour: red\n".encode())


def test_body_line_without_colon_is_rejected() -> None:
    with pytest.raises(BadRequest, match="body line 1: expected 'Name: value'"):
        parse_text_plain([], b"just some text\n")


def test_errors_in_body_lines_name_the_line_and_structure() -> None:
    with pytest.raises(BadRequest, match=r"^body line 3 \(Category\): unknown parameter"):
        parse_text_plain([], f'Category: {KIND}\n\nCategory: x; scheme="a#"; y="z"'.encode())


def test_errors_in_headers_name_the_header() -> None:
    with pytest.raises(BadRequest, match=r"^X-OCCI-Attribute header: bad value"):
        parse_text_occi([("X-OCCI-Attribute", "occi.core.title=unquoted")], b"")


def test_duplicate_attribute_in_one_request_is_rejected() -> None:
    with pytest.raises(BadRequest, match=r"duplicate attribute 'occi\.compute\.cores'"):
        parse_text_occi([("X-OCCI-Attribute", "occi.compute.cores=1, occi.compute.cores=2")], b"")
    with pytest.raises(BadRequest, match=r"duplicate attribute 'a\.b'"):
        parse_text_plain([("X-OCCI-Attribute", "a.b=1")], b"X-OCCI-Attribute: a.b=1\n")


def test_invalid_utf8_body_is_a_bad_request() -> None:
    with pytest.raises(BadRequest, match="invalid UTF-8 at byte 23"):
        parse_text_plain([], b'X-OCCI-Attribute: a.b="\xff"\n')


@pytest.mark.parametrize("body", [b"Category: a\x00b\n", b'X-OCCI-Attribute: a.b="x\x0by"\n'])
def test_control_characters_in_the_body_are_a_bad_request(body: bytes) -> None:
    with pytest.raises(BadRequest, match="control character"):
        parse_text_plain([], body)


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r", "\n\r"])
def test_body_lines_may_end_in_lf_crlf_cr_or_lfcr(ending: str) -> None:
    # pOCCI's OCCI/INFRA/CREATE/005 sends its text/plain lines ending in "\n\r".
    lines = [f"Category: {KIND}", "", f"Link: {LINK}", "X-OCCI-Attribute: occi.compute.cores=2"]
    body = (ending.join(lines) + ending + ending).encode()
    request = parse_text_plain([], body)
    assert [c.term for c in request.categories] == ["compute"]
    assert request.links[0].target == "/network/public"
    assert request.attributes == {"occi.compute.cores": 2}


def test_line_numbers_count_one_break_per_line_ending() -> None:
    body = f"Category: {KIND}\n\rX-Colour: red\n\r".encode()
    with pytest.raises(BadRequest, match="body line 2: unknown line name 'X-Colour'"):
        parse_text_plain([], body)


def test_a_bare_cr_inside_a_quoted_value_ends_the_line() -> None:
    # CR is a line break now, so the quoted string is cut short: still a 400 naming the line.
    with pytest.raises(BadRequest, match=r"body line 1 \(X-OCCI-Attribute\): unterminated"):
        parse_text_plain([], b'X-OCCI-Attribute: a.b="x\ry"\n')


def test_control_characters_in_headers_are_a_bad_request() -> None:
    with pytest.raises(BadRequest, match=r"^Category header: control character"):
        parse_text_occi([("Category", 'a\x1b; scheme="x#"')], b"")


def test_utf8_text_and_tabs_inside_quoted_strings_are_kept() -> None:
    body = 'X-OCCI-Attribute: occi.core.title="caf\u00e9\tbar"\n'.encode()
    assert parse_text_plain([], body).attributes == {"occi.core.title": "caf\u00e9\tbar"}


def test_text_occi_ignores_the_body() -> None:
    assert parse_text_occi([], b"anything at all\n\xff").is_empty


def test_uri_list_skips_comments_and_blank_lines_and_reads_headers() -> None:
    body = b"# members\r\nhttp://h/compute/1\r\n\r\n/compute/2\n"
    request = parse_uri_list([("Category", KIND)], body)
    assert request.locations == ["http://h/compute/1", "/compute/2"]
    assert request.categories[0].term == "compute"


def test_uri_list_rejects_a_line_that_is_not_a_uri() -> None:
    with pytest.raises(BadRequest, match=r"^uri-list line 2: bad location"):
        parse_uri_list([], b"/compute/1\n/compute/ 2\n")


def test_text_plain_location_lines_may_be_comma_separated() -> None:
    body = b"X-OCCI-Location: http://h/compute/1, http://h/compute/2\nX-OCCI-Location: /c/3\n"
    request = parse_text_plain([], body)
    assert request.locations == ["http://h/compute/1", "http://h/compute/2", "/c/3"]


SEED_CREATE_IMAGE = (
    'create_image; scheme=" http://schemas.openstack.org/instance/action#; class="action"'
)


def test_an_action_request_sets_a_category_that_does_not_parse_aside() -> None:
    headers = [
        ("Category", SEED_CREATE_IMAGE),
        ("X-OCCI-Attribute", 'org.openstack.snapshot.image_name="awesome_ware"'),
    ]
    request = parse_text_occi(headers, b"", set_aside_categories=True)
    assert request.categories == []
    assert request.attributes == {"org.openstack.snapshot.image_name": "awesome_ware"}
    assert len(request.ignored) == 1
    assert request.ignored[0].startswith("Category header: unterminated quoted string")
    # Without the action's leniency the same request is a 400 naming the header.
    with pytest.raises(BadRequest, match=r"^Category header: unterminated quoted string"):
        parse_text_occi(headers, b"")


def test_set_aside_keeps_the_categories_that_parse_and_other_errors() -> None:
    body = f"Category: {SEED_CREATE_IMAGE}\nCategory: {KIND}\n".encode()
    request = parse_text_plain([], body, set_aside_categories=True)
    assert [c.term for c in request.categories] == ["compute"]
    assert request.ignored[0].startswith("body line 1 (Category): unterminated")
    with pytest.raises(BadRequest, match="bad value"):
        parse_text_plain([], b"X-OCCI-Attribute: a.b=unquoted\n", set_aside_categories=True)
