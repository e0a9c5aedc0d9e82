"""Renderings: which one to ask for and send, and reading an answer by its Content-Type."""

from __future__ import annotations

from typing import Any

import httpx

from occi_client import occijson, text
from occi_client.errors import ProtocolError
from occi_client.model import Category, Entity, Link

PLAIN = "text/plain"
OCCI = "text/occi"
JSON = "application/occi+json"
URI_LIST = "text/uri-list"
RENDERINGS = (PLAIN, OCCI, JSON)
ALIASES = {
    "plain": PLAIN,
    "text": PLAIN,
    "text/plain": PLAIN,
    "text/occi+plain": PLAIN,
    "occi": OCCI,
    "headers": OCCI,
    "text/occi": OCCI,
    "json": JSON,
    "application/occi+json": JSON,
    "application/json": JSON,
}
# Negotiated: any of ours, JSON preferred (the only one with types, defaults and patterns).
NEGOTIATE = f"{JSON}, {PLAIN};q=0.9, {OCCI};q=0.8"


def normalise(rendering: str | None) -> str | None:
    if rendering is None:
        return None
    try:
        return ALIASES[rendering.strip().lower()]
    except KeyError:
        raise ValueError(
            f"unknown rendering {rendering!r}: text/plain, text/occi or application/occi+json"
        ) from None


def media_type(response: httpx.Response) -> str:
    return str(response.headers.get("content-type", "")).split(";")[0].strip().lower()


def _read(response: httpx.Response, what: str, reader: Any, json_reader: Any) -> Any:
    try:
        if occijson.is_json(media_type(response)):
            return json_reader(response)
        return reader(response)
    except (ValueError, KeyError, TypeError) as error:
        raise ProtocolError(f"cannot read {what} from {response.url}: {error}") from error


def read_model(response: httpx.Response) -> list[Category]:
    result: list[Category] = _read(
        response, "the query interface", text.parse_model, occijson.parse_model
    )
    return result


def read_entity(response: httpx.Response) -> Entity | None:
    result: Entity | None = _read(response, "an entity", text.parse_entity, occijson.parse_entity)
    return result


def read_entities(response: httpx.Response) -> list[Entity]:
    result: list[Entity] = _read(response, "a collection", _text_entities, occijson.parse_entities)
    return result


def _text_entities(response: httpx.Response) -> list[Entity]:
    return [Entity(kind="", location=x) for x in text.parse_locations(response)]


def read_categories(response: httpx.Response) -> list[Category]:
    result: list[Category] = _read(
        response, "categories", text.parse_categories, occijson.parse_categories
    )
    return result


class Body:
    """What one request carries, rendered for one media type."""

    def __init__(self, media: str) -> None:
        self.media = media
        self.structures: text.Structures = []
        self.document: Any = None

    def headers_and_content(self) -> tuple[list[tuple[str, str]], bytes | None]:
        if self.media == JSON:
            if self.document is None:
                return [], None
            import json

            return [("Content-Type", JSON)], json.dumps(self.document).encode()
        if not self.structures:
            return [], None
        if self.media == OCCI:
            return [("Content-Type", OCCI), *text.as_headers(self.structures)], None
        return [("Content-Type", PLAIN)], text.as_body(self.structures)


def entity_body(
    media: str,
    kind: Category | None,
    mixins: list[Category],
    attributes: dict[str, Any],
    links: list[Link],
) -> Body:
    body = Body(media)
    if media == JSON:
        body.document = occijson.entity_document(kind, mixins, attributes, links)
    else:
        categories = [kind, *mixins] if kind is not None else list(mixins)
        body.structures = text.request_structures(categories, attributes, links)
    return body


def action_body(media: str, action: Category, parameters: dict[str, Any]) -> Body:
    body = Body(media)
    if media == JSON:
        body.document = occijson.action_document(action, parameters)
    else:
        body.structures = text.request_structures([action], parameters)
    return body


def locations_body(media: str, locations: list[str]) -> Body:
    body = Body(media)
    if media == JSON:
        body.document = occijson.locations_document(locations)
    else:
        body.structures = text.request_structures(locations=locations)
    return body


def mixin_body(media: str, mixin: Category, *, full: bool) -> Body:
    body = Body(media)
    if media == JSON:
        body.document = (
            occijson.mixin_document(mixin)
            if full
            else {
                "term": mixin.term,
                "scheme": mixin.scheme,
            }
        )
    else:
        body.structures = text.request_structures([mixin], full_categories=full)
    return body
