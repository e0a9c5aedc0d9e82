"""Request parsers for the text media types: headers and body lines -> one OcciRequest.

Every parser also reads the OCCI structures carried in request headers, because clients send
filters and categories there whatever the Content-Type (occi-spec §3.5, §3.10, §6), and merges
them with the body's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from occi_server.errors import BadRequest
from occi_server.model.request import OcciRequest
from occi_server.rendering.text_grammar import (
    attribute_repr,
    category_value,
    link_value,
    location_value,
)
from occi_server.rendering.text_lexer import check_text, clip, split_values

Headers = Mapping[str, str] | Sequence[tuple[str, str]]

CATEGORY = "Category"
LINK = "Link"
ATTRIBUTE = "X-OCCI-Attribute"
LOCATION = "X-OCCI-Location"

# Lower-cased header / line name -> structure; X-OCCI-Category is rOCCI's alias (occi-spec §4.4).
STRUCTURES: dict[str, str] = {
    "category": CATEGORY,
    "x-occi-category": CATEGORY,
    "link": LINK,
    "x-occi-attribute": ATTRIBUTE,
    "x-occi-location": LOCATION,
}


class _Collector:
    """Accumulates structures from any number of header values and body lines.

    With `set_aside_categories` (action requests, whose query already names the action), a
    Category header or line that does not parse is recorded in `ignored` instead of failing
    the request; the service then takes the action from the query.
    """

    def __init__(self, set_aside_categories: bool = False) -> None:
        self.request = OcciRequest()
        self.set_aside_categories = set_aside_categories

    def add(self, structure: str, value: str, where: str) -> None:
        if structure == CATEGORY and self.set_aside_categories:
            try:
                check_text(value, where)
                parsed = [category_value(m, where) for m in split_values(value, where)]
            except BadRequest as error:
                self.request.ignored.append(error.message)
                return
            self.request.categories.extend(parsed)
            return
        check_text(value, where)
        for member in split_values(value, where):
            self.add_member(structure, member, where)

    def add_member(self, structure: str, member: str, where: str) -> None:
        if structure == CATEGORY:
            self.request.categories.append(category_value(member, where))
        elif structure == LINK:
            self.request.links.append(link_value(member, where))
        elif structure == ATTRIBUTE:
            self._add_attribute(*attribute_repr(member, where), where=where)
        else:
            self.request.locations.append(location_value(member, where))

    def _add_attribute(self, name: str, value: Any, *, where: str) -> None:
        if name in self.request.attributes:
            raise BadRequest(f"{where}: duplicate attribute {name!r}")
        self.request.attributes[name] = value


def header_pairs(headers: Headers) -> list[tuple[str, str]]:
    """(name, value) pairs in arrival order; repeated headers stay separate."""
    if isinstance(headers, Mapping):
        return [(str(name), str(value)) for name, value in headers.items()]
    return [(str(name), str(value)) for name, value in headers]


def _read_headers(collector: _Collector, headers: Headers) -> None:
    for name, value in header_pairs(headers):
        structure = STRUCTURES.get(name.strip().lower())
        if structure is not None:
            collector.add(structure, value, f"{name.strip()} header")


def _decode(body: bytes) -> str:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"body: invalid UTF-8 at byte {exc.start}") from None
    return text.removeprefix("\ufeff")


# One line break: CRLF, LF, CR, or LF CR (pOCCI's INFRA/CREATE/005 ends its lines in "\n\r").
_LINE_BREAK = re.compile(r"\r\n|\n\r|\n|\r")


def _body_lines(body: bytes) -> Iterator[tuple[int, str]]:
    """Non-blank lines with their 1-based numbers; lines end in LF, CRLF, CR or LF CR."""
    text = _decode(body)
    raw_lines = _LINE_BREAK.split(text) if "\r" in text else text.split("\n")
    for number, line in enumerate(raw_lines, start=1):
        check_text(line, f"body line {number}")
        line = line.strip(" \t")
        if line:
            yield number, line


def parse_headers_only(
    headers: Headers, body: bytes = b"", *, set_aside_categories: bool = False
) -> OcciRequest:
    """The OCCI structures in the request headers; the body is ignored."""
    collector = _Collector(set_aside_categories)
    _read_headers(collector, headers)
    return collector.request


def parse_text_occi(
    headers: Headers, body: bytes, *, set_aside_categories: bool = False
) -> OcciRequest:
    """text/occi: everything is in the headers (the body, `OK` or empty, is ignored)."""
    return parse_headers_only(headers, body, set_aside_categories=set_aside_categories)


def parse_text_plain(
    headers: Headers, body: bytes, *, set_aside_categories: bool = False
) -> OcciRequest:
    """text/plain and text/occi+plain: `Name: value` body lines, plus the header structures."""
    collector = _Collector(set_aside_categories)
    _read_headers(collector, headers)
    for number, line in _body_lines(body):
        name, colon, value = line.partition(":")
        name = name.strip(" \t")
        if not colon:
            raise BadRequest(f"body line {number}: expected 'Name: value', got {clip(line)!r}")
        structure = STRUCTURES.get(name.lower())
        if structure is None:
            raise BadRequest(f"body line {number}: unknown line name {clip(name, 40)!r}")
        collector.add(structure, value, f"body line {number} ({name})")
    return collector.request


def parse_uri_list(headers: Headers, body: bytes) -> OcciRequest:
    """text/uri-list (RFC 2483): one location per line, '#' comments; plus header structures."""
    collector = _Collector()
    _read_headers(collector, headers)
    for number, line in _body_lines(body):
        if not line.startswith("#"):
            collector.request.locations.append(location_value(line, f"uri-list line {number}"))
    return collector.request
