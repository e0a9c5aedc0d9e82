"""Hostile input, parser by parser: whatever arrives, the answer is a result or a 4xx OcciError
whose one-line, bounded message names the culprit (the header, the body line, the JSON member,
the attribute).

tests/rendering/test_*_properties.py already show that round trips hold and that random input
raises nothing but OcciError; these properties add what a client is owed when it is refused:
a 4xx status, the header or line or member that was wrong, and a message that neither grows
with the input nor breaks a header line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from occi_server.categories import infrastructure as infra
from occi_server.errors import OcciError
from occi_server.model.attribute import Attribute, AttributeType
from occi_server.model.request import OcciRequest
from occi_server.rendering.json_parse import parse_json
from occi_server.rendering.json_reader import MAX_DEPTH
from occi_server.rendering.text_grammar import (
    attribute_repr,
    category_value,
    link_value,
    location_value,
)
from occi_server.rendering.text_parse import (
    parse_headers_only,
    parse_text_occi,
    parse_text_plain,
    parse_uri_list,
)
from occi_server.service.validation import coerce_attributes

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STRUCTURES = ["Category", "Link", "X-OCCI-Attribute", "X-OCCI-Location"]
INFRA = "http://schemas.ogf.org/occi/infrastructure#"
VALID = {
    "Category": f'compute; scheme="{INFRA}"; class="kind"; title="A \\"quoted\\" title"',
    "Link": f'</storage/1>; rel="{INFRA}storage"; category="{INFRA}storagelink"; '
    'occi.storagelink.deviceid="/dev/vdb"',
    "X-OCCI-Attribute": 'occi.core.title="hello, world; x=y"',
    "X-OCCI-Location": "http://localhost:8787/compute/1",
}
# Messages are clipped: a 1 MB value must not come back in a 1 MB header.
MESSAGE_LIMIT = 500
_HEADER_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

# Text a client can put in a header or a line: anything but surrogates, biased towards the
# grammar's own punctuation so the parsers get past their first token.
grammar_chars = st.one_of(
    st.sampled_from(list('<>"\\;=,{}# \t:/.?-_aZ09')),
    st.characters(blacklist_categories=["Cs"]),
    st.sampled_from(["\x00", "\x01", "\x7f", "\r", "\n", "\u2028", "\ufeff", "\U0001f600"]),
)
hostile_text = st.text(alphabet=grammar_chars, max_size=120)
huge_text = st.integers(min_value=1_000, max_value=200_000).map(lambda n: "x" * n)


@st.composite
def mutated(draw: st.DrawFn, valid: str) -> str:
    """`valid` with a few characters inserted, deleted or replaced."""
    text = valid
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        how = draw(st.sampled_from(["insert", "delete", "replace", "cut"]))
        char = draw(grammar_chars)
        if how == "insert":
            text = text[:at] + char + text[at:]
        elif how == "delete":
            text = text[:at] + text[at + 1 :]
        elif how == "replace":
            text = text[:at] + char + text[at + 1 :]
        else:
            text = text[:at]
    return text


def structure_values(name: str) -> st.SearchStrategy[str]:
    return st.one_of(hostile_text, mutated(VALID[name]), huge_text.map(lambda h: VALID[name] + h))


def refused(call: Callable[..., Any], *args: Any) -> OcciError | None:
    """Run a parser: None when it accepts, its OcciError (checked for shape) when it refuses.
    Any other exception fails the test."""
    try:
        call(*args)
    except OcciError as error:
        assert 400 <= error.status < 500, (error.status, error.message)
        assert error.message and len(error.message) <= MESSAGE_LIMIT, error.message
        assert not _HEADER_UNSAFE.search(error.message), error.message
        assert error.message == error.message.strip(), error.message
        return error
    return None


# --- the productions, one member at a time ------------------------------------------------------


PRODUCTIONS: dict[str, Callable[[str, str], object]] = {
    "Category": category_value,
    "Link": link_value,
    "X-OCCI-Attribute": attribute_repr,
    "X-OCCI-Location": location_value,
}


@pytest.mark.parametrize("name", STRUCTURES)
@FAST
@given(data=st.data())
def test_each_production_refuses_bad_members_with_a_4xx_naming_where(
    name: str, data: st.DataObject
) -> None:
    member = data.draw(structure_values(name))
    error = refused(PRODUCTIONS[name], member, f"{name} header")
    if error is not None:
        assert error.message.startswith(f"{name} header: "), error.message


# --- whole requests: headers, text/plain bodies, uri-lists -------------------------------------


header_names = st.sampled_from(
    [*STRUCTURES, "category", "LINK", "x-occi-attribute", "X-OCCI-Category", " Category "]
)
headers = st.lists(
    st.one_of(
        st.tuples(header_names, hostile_text),
        st.sampled_from(STRUCTURES).flatmap(lambda n: st.tuples(st.just(n), structure_values(n))),
    ),
    max_size=5,
)


@FAST
@given(sent=headers)
def test_header_structures_are_refused_naming_the_header_that_was_sent(
    sent: list[tuple[str, str]],
) -> None:
    for parser in (parse_headers_only, parse_text_occi):
        error = refused(parser, sent, b"")
        if error is not None:
            assert any(error.message.startswith(f"{n.strip()} header: ") for n, _ in sent), (
                error.message
            )


@st.composite
def body_lines(draw: st.DrawFn) -> list[str]:
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["structure", "garbage", "blank", "no-colon"]))
        if kind == "structure":
            name = draw(st.sampled_from(STRUCTURES))
            spelled = draw(st.sampled_from([name, name.lower(), name.upper(), f" {name}"]))
            lines.append(f"{spelled}: {draw(structure_values(name))}")
        elif kind == "garbage":
            lines.append(draw(hostile_text))
        elif kind == "blank":
            lines.append(draw(st.sampled_from(["", " ", "\t", "\r"])))
        else:
            lines.append(draw(st.text(alphabet="abc xyz-", max_size=20)))
    return lines


@FAST
@given(lines=body_lines(), ending=st.sampled_from(["\n", "\r\n"]), bom=st.booleans())
def test_text_plain_bodies_are_refused_naming_the_line(
    lines: list[str], ending: str, bom: bool
) -> None:
    body = ("\ufeff" if bom else "") + ending.join(lines)
    # Lines end in CRLF, LF CR, LF or CR (docs/behaviour.md): that many lines at most.
    physical = len(re.split(r"\r\n|\n\r|\n|\r", body))
    for parser in (parse_text_plain, parse_uri_list):
        error = refused(parser, [], body.encode("utf-8"))
        if error is not None:
            found = re.match(r"(?:body|uri-list) line (\d+)", error.message)
            assert found, error.message
            assert 1 <= int(found.group(1)) <= physical


@FAST
@given(
    prefix=st.binary(max_size=40),
    bad=st.sampled_from([b"\xff", b"\xfe", b"\x80", b"\xc0\xaf", b"\xed\xa0\x80"]),
    suffix=st.binary(max_size=40),
)
def test_invalid_utf8_bodies_are_refused_at_the_first_bad_byte(
    prefix: bytes, bad: bytes, suffix: bytes
) -> None:
    valid_prefix = prefix.decode("utf-8", "ignore").encode("utf-8")
    body = valid_prefix + bad + suffix
    expected = len(valid_prefix)
    for parser in (parse_text_plain, parse_uri_list):
        error = refused(parser, [], body)
        assert error is not None
        assert error.message == f"body: invalid UTF-8 at byte {expected}"
    error = refused(parse_json, [], body)
    assert error is not None and error.message == f"JSON: invalid UTF-8 at byte {expected}"


@FAST
@given(
    name=st.from_regex(r"[a-z][a-z0-9]{0,5}(\.[a-z0-9]{1,5}){0,2}", fullmatch=True),
    first=st.sampled_from(['"a"', "1", "true", "2.5"]),
    second=st.sampled_from(['"b"', "1", "false", "-3"]),
    where=st.sampled_from(["header+header", "header+body", "body+body", "one-header"]),
)
def test_an_attribute_given_twice_is_refused_naming_it(
    name: str, first: str, second: str, where: str
) -> None:
    """Duplicate or contradictory values for one attribute: never silently one of them."""
    header_list: list[tuple[str, str]] = []
    body = ""
    if where == "header+header":
        header_list = [
            ("X-OCCI-Attribute", f"{name}={first}"),
            ("X-OCCI-Attribute", f"{name}={second}"),
        ]
    elif where == "header+body":
        header_list = [("X-OCCI-Attribute", f"{name}={first}")]
        body = f"X-OCCI-Attribute: {name}={second}\n"
    elif where == "body+body":
        body = f"X-OCCI-Attribute: {name}={first}\nX-OCCI-Attribute: {name}={second}\n"
    else:
        header_list = [("X-OCCI-Attribute", f"{name}={first}, {name}={second}")]
    error = refused(parse_text_plain, header_list, body.encode())
    assert error is not None
    assert f"duplicate attribute {name!r}" in error.message


# --- numbers and huge values ---------------------------------------------------------------------


@FAST
@given(
    number=st.one_of(
        st.integers(min_value=5_000, max_value=20_000).map(lambda n: "9" * n),
        st.sampled_from(
            ["1e400", "-1e400", "1e-400", "NaN", "Infinity", "-0", "00", "0x10", "1_000"]
        ),
        st.from_regex(r"-?[0-9]{1,40}(\.[0-9]{0,40})?", fullmatch=True),
    )
)
def test_numbers_of_any_size_parse_or_are_refused_naming_the_attribute(number: str) -> None:
    error = refused(attribute_repr, f"x.n={number}", "X-OCCI-Attribute header")
    if error is not None:
        assert error.message.startswith("X-OCCI-Attribute header: "), error.message
    json_error = refused(parse_json, [], f'{{"attributes": {{"x.n": {number}}}}}'.encode())
    if json_error is not None:
        assert json_error.message.startswith("JSON"), json_error.message


# --- JSON: wrong types, deep nesting, duplicates -----------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
any_json = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
ENTITY_MEMBERS = [
    "kind",
    "mixins",
    "attributes",
    "links",
    "id",
    "title",
    "summary",
    "actions",
    "location",
]


@FAST
@given(member=st.sampled_from(ENTITY_MEMBERS), value=any_json)
def test_a_json_member_of_the_wrong_type_is_refused_naming_its_pointer(
    member: str, value: Any
) -> None:
    document = {"kind": INFRA + "compute", member: value}
    error = refused(parse_json, [], json.dumps(document).encode())
    if error is not None:
        assert error.message.startswith(f"JSON /{member}"), error.message


@FAST
@given(name=st.from_regex(r"[a-z]{1,6}\.[a-z]{1,6}", fullmatch=True), value=any_json)
def test_a_json_attribute_value_is_taken_or_refused_naming_the_attribute(
    name: str, value: Any
) -> None:
    document = {"kind": INFRA + "compute", "attributes": {name: value}}
    error = refused(parse_json, [], json.dumps(document).encode())
    if error is not None:
        assert error.message.startswith(f"JSON /attributes/{name}"), error.message


@FAST
@given(depth=st.integers(min_value=1, max_value=3000), brackets=st.sampled_from(["[]", "{}"]))
def test_deep_json_is_refused_beyond_the_depth_limit(depth: int, brackets: str) -> None:
    opening = brackets[0]
    inner = "1" if opening == "[" else '{"a": 1}'
    body = (
        ("[" * depth + inner + "]" * depth)
        if opening == "["
        else ('{"a":' * depth + inner + "}" * depth)
    )
    error = refused(parse_json, [], body.encode())
    levels = depth + (0 if opening == "[" else 1)
    if levels > MAX_DEPTH:
        assert error is not None and "nested deeper" in error.message
    else:
        assert error is None or "nested deeper" not in error.message


@FAST
@given(
    name=st.sampled_from(["kind", "attributes", "title", "x.y"]),
    where=st.sampled_from(["top", "attributes"]),
)
def test_duplicate_json_members_are_refused_naming_the_member(name: str, where: str) -> None:
    if where == "top":
        body = f'{{"{name}": 1, "{name}": 2}}'
        pointer = f"/{name}"
    else:
        body = f'{{"attributes": {{"{name}": 1, "{name}": 2}}}}'
        pointer = f"/attributes/{name}"
    error = refused(parse_json, [], body.encode())
    assert error is not None
    assert error.message == f"JSON {pointer}: duplicate member"


@FAST
@given(document=any_json, header=st.tuples(st.sampled_from(STRUCTURES), hostile_text))
def test_json_with_hostile_header_structures_names_the_header_or_the_document(
    document: Any, header: tuple[str, str]
) -> None:
    error = refused(parse_json, [header], json.dumps(document).encode())
    if error is not None:
        assert error.message.startswith((f"{header[0]} header: ", "JSON")), error.message


# --- typed attributes (the service's side of parsing) -------------------------------------------

DEFINITIONS = {
    a.name: a
    for a in [
        *infra.COMPUTE_KIND.attributes,
        *infra.STORAGE_KIND.attributes,
        *infra.NETWORK_KIND.attributes,
        *infra.IPNETWORK_MIXIN.attributes,
        *infra.STORAGELINK_KIND.attributes,
        Attribute(name="x.list", type=AttributeType.LIST),
        Attribute(name="x.hash", type=AttributeType.HASH),
        Attribute(name="x.bool", type=AttributeType.BOOLEAN),
        Attribute(name="x.range", type=AttributeType.INTEGER, minimum=1, maximum=8),
        Attribute(name="x.enum", enum=("a", "b")),
    ]
}


@FAST
@given(name=st.sampled_from(sorted(DEFINITIONS)), value=any_json | huge_text)
def test_any_value_for_any_attribute_is_coerced_or_refused_naming_the_attribute(
    name: str, value: Any
) -> None:
    assume(DEFINITIONS[name].mutable)
    error = refused(lambda: coerce_attributes(DEFINITIONS, {name: value}, creating=False))
    if error is not None:
        assert name in error.message, error.message


def test_refused_is_strict_about_what_counts_as_a_refusal() -> None:
    """The helper itself: an accepted request is None, a crash is not swallowed."""
    assert refused(parse_text_plain, [], b"") is None

    def crash(*_: object) -> OcciRequest:
        raise KeyError("boom")

    with pytest.raises(KeyError):
        refused(crash)
