"""Renderers for text/plain (+ text/occi+plain), text/occi and text/uri-list (occi-spec §4.1)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from occi_server.errors import BadRequest
from occi_server.model import Category, Entity
from occi_server.rendering.base import Rendered
from occi_server.rendering.text_format import (
    CATEGORY,
    LOCATION,
    Locator,
    category_value,
    entity_structures,
    one_line,
)

ERROR_HEADER = "X-OCCI-Error"
OK_BODY = b"OK"


class _TextRenderer:
    # True when only collections can be rendered (http/ may check before doing any work).
    listings_only: ClassVar[bool] = False

    def __init__(self, media_type: str, base_url: str) -> None:
        # Constructed with the media type it answers as, so Content-Type echoes the request.
        self.media_type = media_type
        self.locator = Locator(base_url)

    def _category_values(self, categories: Sequence[Category]) -> list[str]:
        return [category_value(c, self.locator.base_path) for c in categories]

    def _urls(self, paths: Sequence[str]) -> list[str]:
        return self.locator.urls(paths)

    def entities(self, entities: Sequence[Entity]) -> Rendered:
        """Text renderings list a collection's locations only (entity_collection, §4.3)."""
        return self.locations([entity.location for entity in entities])

    def locations(self, paths: Sequence[str]) -> Rendered:
        raise NotImplementedError

    def ok(self) -> Rendered:
        return Rendered(self.media_type, OK_BODY)


class TextPlainRenderer(_TextRenderer):
    """text/plain and text/occi+plain: one `Name: value` line per structure in the body."""

    def _lines(self, pairs: Sequence[tuple[str, str]]) -> bytes:
        return "".join(f"{name}: {value}\n" for name, value in pairs).encode("utf-8")

    def categories(self, categories: Sequence[Category]) -> Rendered:
        values = self._category_values(categories)
        return Rendered(self.media_type, self._lines([(CATEGORY, v) for v in values]))

    def entity(self, entity: Entity) -> Rendered:
        return Rendered(self.media_type, self._lines(entity_structures(entity, self.locator)))

    def locations(self, paths: Sequence[str]) -> Rendered:
        prefix = f"{LOCATION}: "
        urls = self._urls(paths)
        body = (prefix + f"\n{prefix}".join(urls) + "\n").encode("utf-8") if urls else b""
        return Rendered(self.media_type, body)

    def created(self, path: str) -> Rendered:
        # No line break after the location: clients take the new id as the text after the
        # body's last '/', and a trailing newline would become part of it.
        url = self._urls([path])[0]
        return Rendered(self.media_type, f"{LOCATION}: {url}".encode())

    def error(self, status: int, message: str) -> Rendered:
        line = one_line(message)
        body = (line + "\n").encode("utf-8")
        return Rendered(self.media_type, body, [(ERROR_HEADER, line)])


class TextOcciRenderer(_TextRenderer):
    """text/occi: structures in headers, one comma+space-joined header per name; body `OK`."""

    def _headers(self, pairs: Sequence[tuple[str, str]]) -> Rendered:
        grouped: dict[str, list[str]] = {}
        for name, value in pairs:
            grouped.setdefault(name, []).append(value)
        headers = [(name, ", ".join(values)) for name, values in grouped.items()]
        return Rendered(self.media_type, OK_BODY, headers)

    def categories(self, categories: Sequence[Category]) -> Rendered:
        return self._headers([(CATEGORY, v) for v in self._category_values(categories)])

    def entity(self, entity: Entity) -> Rendered:
        return self._headers(entity_structures(entity, self.locator))

    def locations(self, paths: Sequence[str]) -> Rendered:
        # The OGF 1.1 script splits X-OCCI-Location on ', ' (occi-spec §4.1).
        return self._headers([(LOCATION, url) for url in self._urls(paths)])

    def created(self, path: str) -> Rendered:
        return self.locations([path])

    def error(self, status: int, message: str) -> Rendered:
        line = one_line(message)
        return Rendered(self.media_type, line.encode("utf-8"), [(ERROR_HEADER, line)])


class UriListRenderer(_TextRenderer):
    """text/uri-list (RFC 2483): absolute URLs, one per line, for listings only (§3.3: 400)."""

    listings_only = True
    NOT_A_LISTING = "text/uri-list is only available for collections"

    def locations(self, paths: Sequence[str]) -> Rendered:
        urls = self._urls(paths)
        body = ("\n".join(urls) + "\n").encode("utf-8") if urls else b""
        return Rendered(self.media_type, body)

    def categories(self, categories: Sequence[Category]) -> Rendered:
        raise BadRequest(self.NOT_A_LISTING)

    def entity(self, entity: Entity) -> Rendered:
        raise BadRequest(self.NOT_A_LISTING)

    def created(self, path: str) -> Rendered:
        raise BadRequest(self.NOT_A_LISTING)

    def ok(self) -> Rendered:
        # `OK` is not a URI list; say so with the content type.
        return Rendered("text/plain", OK_BODY)

    def error(self, status: int, message: str) -> Rendered:
        line = one_line(message)
        return Rendered("text/plain", (line + "\n").encode("utf-8"), [(ERROR_HEADER, line)])
