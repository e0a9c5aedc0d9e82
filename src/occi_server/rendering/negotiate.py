"""Media type dispatch: which parser reads a request, which renderer answers it (occi-spec §3.3).

PARSERS and RENDERERS are the extension point: JSON and HTML renderings call `register()` with
their media types. Dict order is the server's preference when the client accepts a wildcard,
so text/plain (the 1.1 default) stays first.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from occi_server.errors import BadRequest, NotAcceptable, UnsupportedMediaType
from occi_server.model.request import OcciRequest
from occi_server.rendering.base import Parser, Renderer, RendererFactory
from occi_server.rendering.text_lexer import clip, split_values
from occi_server.rendering.text_parse import (
    Headers,
    header_pairs,
    parse_headers_only,
    parse_text_occi,
    parse_text_plain,
    parse_uri_list,
)
from occi_server.rendering.text_render import TextOcciRenderer, TextPlainRenderer, UriListRenderer

DEFAULT_MEDIA_TYPE = "text/plain"

PARSERS: dict[str, Parser] = {
    "text/plain": parse_text_plain,
    "text/occi+plain": parse_text_plain,
    "text/occi": parse_text_occi,
    "text/uri-list": parse_uri_list,
}

RENDERERS: dict[str, RendererFactory] = {
    "text/plain": TextPlainRenderer,
    "text/occi+plain": TextPlainRenderer,
    "text/occi": TextOcciRenderer,
    "text/uri-list": UriListRenderer,
}


def register(
    media_type: str, *, parser: Parser | None = None, renderer: RendererFactory | None = None
) -> None:
    """Add (or replace) the parser and/or renderer of a media type, e.g. application/occi+json."""
    key = media_type_of(media_type)
    if parser is not None:
        PARSERS[key] = parser
    if renderer is not None:
        RENDERERS[key] = renderer


def supported_media_types() -> list[str]:
    """What the server renders, in preference order (for the response `Accept` header)."""
    return list(RENDERERS)


def media_type_of(content_type: str) -> str:
    """`Text/Plain; charset=utf-8` -> `text/plain`."""
    return content_type.split(";", 1)[0].strip().lower()


def parser_for(content_type: str | None, *, has_body: bool = True, action: bool = False) -> Parser:
    """The parser for a request's Content-Type; header-only when there is no body to read.

    `action`: the request's query names an action, so the text parsers set aside a Category
    they cannot parse (OcciRequest.ignored) rather than refuse the request.
    """
    if not has_body or content_type is None or not media_type_of(content_type):
        parser: Parser = parse_headers_only
    else:
        found = PARSERS.get(media_type_of(content_type)) or _first_listed(content_type)
        if found is None:
            raise UnsupportedMediaType(f"unsupported Content-Type {clip(content_type)!r}")
        parser = found
    if action and parser in _SETS_ASIDE:
        return functools.partial(parser, set_aside_categories=True)  # type: ignore[call-arg]
    return parser


_SETS_ASIDE: tuple[Parser, ...] = (parse_headers_only, parse_text_occi, parse_text_plain)


def content_type_of(values: list[str]) -> str | None:
    """The request's Content-Type from its Content-Type header lines: one line may list media
    types (read by `parser_for`), but lines that disagree are contradictory: 415."""
    distinct = list(dict.fromkeys(v.strip() for v in values))
    if len(distinct) > 1:
        shown = clip(" | ".join(distinct))
        raise UnsupportedMediaType(f"contradictory Content-Type headers {shown!r}")
    return distinct[0] if distinct else None


def _first_listed(content_type: str) -> Parser | None:
    """`text/plain,text/occi` (a list, as some provisioning clients send): the first media type
    of the list that we parse. Not a Content-Type RFC 9110 allows, but its meaning is plain."""
    if "," not in content_type:
        return None
    try:
        members = split_values(content_type, "Content-Type")
    except BadRequest:
        return None
    for member in members:
        parser = PARSERS.get(media_type_of(member))
        if parser is not None:
            return parser
    return None


def renderer_for(media_type: str, base_url: str) -> Renderer:
    key = media_type_of(media_type)
    factory = RENDERERS.get(key)
    if factory is None:
        raise NotAcceptable(f"unsupported media type {clip(media_type)!r}")
    return factory(key, base_url)


def negotiate(accept: str | None, base_url: str) -> Renderer:
    """Shortcut: the renderer for the best media type the Accept header allows."""
    return renderer_for(choose_media_type(accept), base_url)


@dataclass(frozen=True, slots=True)
class _Range:
    """One media-range of an Accept header."""

    type: str
    subtype: str
    q: float
    index: int

    def specificity(self, media_type: str) -> int:
        """2 exact, 1 `type/*`, 0 `*/*`; -1 when the range does not match."""
        kind, _, sub = media_type.partition("/")
        if (self.type, self.subtype) == (kind, sub):
            return 2
        if self.type == kind and self.subtype == "*":
            return 1
        return 0 if (self.type, self.subtype) == ("*", "*") else -1


def choose_media_type(accept: str | None) -> str:
    """The supported media type the client prefers (q-values, wildcards; RFC 7231 §5.3.2).

    Ties go to the more specific range, then to the range listed first, then to the server's
    order. No Accept (or an empty one) means text/plain.
    """
    if accept is None or not accept.strip():
        return DEFAULT_MEDIA_TYPE
    # Clients send the same few Accept values again and again; long ones are not kept.
    return _choose_often(accept) if len(accept) <= _CACHED_ACCEPT else _choose(accept)


_CACHED_ACCEPT = 512  # characters; at most 1024 of them are kept (512 KiB)


@functools.lru_cache(maxsize=1024)
def _choose_often(accept: str) -> str:
    return _choose(accept)


def _choose(accept: str) -> str:
    ranges = _accept_ranges(accept)
    best: tuple[float, int, int, int] | None = None
    chosen = ""
    for order, media_type in enumerate(RENDERERS):
        matches = [(r.specificity(media_type), -r.index, r) for r in ranges]
        matches = [m for m in matches if m[0] >= 0]
        if not matches:
            continue
        specificity, neg_index, match = max(matches, key=lambda m: (m[0], m[1]))
        key = (match.q, specificity, neg_index, -order)
        if match.q > 0 and (best is None or key > best):
            best, chosen = key, media_type
    if not chosen:
        raise NotAcceptable(f"no supported media type in Accept {clip(accept)!r}")
    return chosen


def _accept_ranges(accept: str) -> list[_Range]:
    """Parse `type/subtype;q=0.5, ...`; malformed members are skipped."""
    try:
        members = split_values(accept, "Accept")
    except BadRequest:
        raise NotAcceptable(f"malformed Accept {clip(accept)!r}") from None
    ranges = []
    for index, member in enumerate(members):
        media_range, *params = (part.strip() for part in member.split(";"))
        kind, slash, sub = media_range.lower().partition("/")
        q = _qvalue(params)
        if slash and kind and sub and q is not None:
            ranges.append(_Range(kind, sub, q, index))
    return ranges


def _qvalue(params: list[str]) -> float | None:
    """The `q` parameter (default 1); None when it is not a valid qvalue."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return None
            return q if 0.0 <= q <= 1.0 else None
    return 1.0


def parse_request(headers: Headers, body: bytes) -> OcciRequest:
    """Convenience for http/: pick the parser from the request's own Content-Type and run it."""
    content_type = next(
        (value for name, value in header_pairs(headers) if name.strip().lower() == "content-type"),
        None,
    )
    return parser_for(content_type, has_body=bool(body.strip()))(headers, body)
