"""Every client operation once, free of I/O: a generator that yields the requests (and pauses)
it needs and receives the responses. Client and AsyncClient only drive these generators, so the
sync and async clients cannot drift apart.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import httpx

from occi_client import rendering as r
from occi_client import text
from occi_client.errors import NotFound, ProtocolError, WaitTimeout, raise_for
from occi_client.model import Category, Entity, Link, Model, split_type_id

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


Step = httpx.Request | Sleep
Op = Generator[Step, httpx.Response | None, T]
CategoryLike = Category | str
QUERY = "/-/"
WELL_KNOWN = "/.well-known/org/ogf/occi/-/"


class Operations:
    def __init__(self, endpoint: str, rendering: str | None = None) -> None:
        if not urlsplit(endpoint).scheme:
            raise ValueError(f"endpoint must be an http(s) URL, got {endpoint!r}")
        self.endpoint = endpoint.rstrip("/") + "/"
        self.rendering = r.normalise(rendering)
        self.model: Model | None = None
        self.query_path = QUERY
        self.server_media: list[str] = []  # the media types the server's `Accept` lists

    # --- plumbing -----------------------------------------------------------------------------

    def url(self, location: str) -> str:
        """An absolute URL for a location given as URL, absolute path or relative path."""
        return urljoin(self.endpoint, location)

    def path(self, location: str) -> str:
        parts = urlsplit(self.url(location))
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def accept(self) -> str:
        if self.rendering is None:
            return r.NEGOTIATE
        return self.rendering

    def send_media(self) -> str:
        """The rendering of request bodies: the chosen one, else JSON when the server lists it
        in its `Accept` header, else text/plain (which every OCCI server reads)."""
        if self.rendering is not None:
            return self.rendering
        return r.JSON if r.JSON in self.server_media else r.PLAIN

    def request(
        self,
        method: str,
        location: str,
        *,
        body: r.Body | None = None,
        filters: Sequence[tuple[str, str]] = (),
        params: dict[str, Any] | None = None,
        accept: str | None = None,
    ) -> httpx.Request:
        headers: list[tuple[str, str]] = [("Accept", accept or self.accept())]
        headers += list(filters)
        content = None
        if body is not None:
            extra, content = body.headers_and_content()
            headers += extra
        return httpx.Request(
            method, self.url(location), headers=headers, content=content, params=params
        )

    def send(
        self, request: httpx.Request
    ) -> Generator[Step, httpx.Response | None, httpx.Response]:
        response = yield request
        assert response is not None
        raise_for(response)
        return response

    # --- discovery ----------------------------------------------------------------------------

    def discover(self, filters: Sequence[CategoryLike] = (), *, refresh: bool = False) -> Op[Model]:
        if not filters and self.model is not None and not refresh:
            return self.model
        # Like pOCCI: a whole model rarely fits in headers, so text/occi reads it as text/plain.
        accept = r.PLAIN if self.rendering == r.OCCI and not filters else self.accept()
        structures = [("Category", self._filter_value(f)) for f in filters]
        try:
            response = yield from self.send(
                self.request("GET", self.query_path, filters=structures, accept=accept)
            )
        except NotFound:
            if self.query_path != QUERY or filters:
                raise
            self.query_path = WELL_KNOWN
            response = yield from self.send(
                self.request("GET", self.query_path, filters=structures, accept=accept)
            )
        media = [m.strip().split(";")[0] for m in response.headers.get("accept", "").split(",")]
        model = Model(r.read_model(response), [m for m in media if m])
        self.server_media = model.media_types or self.server_media
        if not filters:
            self.model = model
        return model

    def _filter_value(self, item: CategoryLike) -> str:
        if isinstance(item, Category):
            return text.category_value(item)
        if self.model is not None:
            found = self.model.get(item)
            if found is not None:
                return text.category_value(found)
        scheme, term = split_type_id(item)
        return f'{term}; scheme="{scheme}"'

    def _model(self) -> Op[Model]:
        if self.model is None:
            return (yield from self.discover())
        return self.model

    def kind(self, name: CategoryLike) -> Op[Category]:
        if isinstance(name, Category):
            return name
        return (yield from self._model()).kind(name)

    def mixin(self, name: CategoryLike) -> Op[Category]:
        if isinstance(name, Category):
            return name
        return (yield from self._model()).mixin(name)

    def _mixins(self, names: Iterable[CategoryLike]) -> Op[list[Category]]:
        out: list[Category] = []
        for name in names:
            out.append((yield from self.mixin(name)))
        return out

    def _collection(self, where: CategoryLike) -> Op[str]:
        """A collection's location: a path or URL as given, else the kind's or mixin's."""
        if isinstance(where, str) and (
            where.startswith("/") or ("://" in where and "#" not in where)
        ):
            return where
        model = yield from self._model()
        if isinstance(where, Category):
            category = where
        else:
            try:
                category = model.kind(where)
            except LookupError:
                category = model.mixin(where)
        if not category.location:
            raise ProtocolError(f"{category.type_id} has no location on this server")
        return category.location

    # --- reading ------------------------------------------------------------------------------

    def locations(
        self,
        where: CategoryLike,
        *,
        categories: Sequence[CategoryLike] = (),
        attributes: dict[str, Any] | None = None,
        page: int | None = None,
        number: int | None = None,
    ) -> Op[list[str]]:
        """Locations (absolute URLs) in a collection, filtered and paged as asked (`list`)."""
        entities = yield from self._listing(where, categories, attributes, page, number)
        return [e.location for e in entities if e.location]

    def describe_all(
        self,
        where: CategoryLike,
        *,
        categories: Sequence[CategoryLike] = (),
        attributes: dict[str, Any] | None = None,
        page: int | None = None,
        number: int | None = None,
    ) -> Op[list[Entity]]:
        """Every entity of a collection, fully: one request in JSON, one per entity in text."""
        entities = yield from self._listing(where, categories, attributes, page, number)
        out: list[Entity] = []
        for entity in entities:
            if entity.kind:
                out.append(entity)
            elif entity.location:
                out.append((yield from self.describe(entity.location)))
        return out

    def _listing(
        self,
        where: CategoryLike,
        categories: Sequence[CategoryLike] = (),
        attributes: dict[str, Any] | None = None,
        page: int | None = None,
        number: int | None = None,
    ) -> Op[list[Entity]]:
        location = yield from self._collection(where)
        if categories:
            yield from self._model()
        filters = [("Category", self._filter_value(c)) for c in categories]
        filters += [
            ("X-OCCI-Attribute", text.attribute_value(k, v)) for k, v in (attributes or {}).items()
        ]
        params = {k: v for k, v in (("page", page), ("number", number)) if v is not None}
        response = yield from self.send(
            self.request("GET", location, filters=filters, params=params or None)
        )
        entities = r.read_entities(response)
        if any(e.location is None for e in entities):
            yield from self._model()  # to place them in their kind's collection
        for entity in entities:
            self._place(entity)
        return entities

    def _place(self, entity: Entity) -> None:
        """Absolute location; a JSON entity without `location` goes to its kind's collection."""
        if entity.location is None and entity.id and self.model is not None:
            kind = self.model.get(entity.kind)
            if kind is not None and kind.location:
                entity.location = kind.location + entity.id
        if entity.location is not None:
            entity.location = self.url(entity.location)

    def describe(self, location: str) -> Op[Entity]:
        response = yield from self.send(self.request("GET", location))
        entity = r.read_entity(response)
        if entity is None:
            raise ProtocolError(f"{location}: the answer holds no entity")
        entity.location = entity.location or location
        self._place(entity)
        return entity

    # --- writing ------------------------------------------------------------------------------

    def create(
        self,
        kind: CategoryLike,
        *,
        mixins: Iterable[CategoryLike] = (),
        attributes: dict[str, Any] | None = None,
        links: Iterable[Link] = (),
        location: str | None = None,
    ) -> Op[str]:
        """A new entity; its location (absolute URL). `location` creates it there (PUT)."""
        category = yield from self.kind(kind)
        resolved = yield from self._mixins(mixins)
        body = r.entity_body(
            self.send_media(), category, resolved, dict(attributes or {}), list(links)
        )
        if location is None:
            if not category.location:
                raise ProtocolError(f"{category.type_id} has no location on this server")
            request = self.request("POST", category.location, body=body)
        else:
            request = self.request("PUT", location, body=body)
        response = yield from self.send(request)
        return self._created(response, location)

    def _created(self, response: httpx.Response, fallback: str | None) -> str:
        if response.headers.get("location"):
            return self.url(response.headers["location"])
        media = r.media_type(response)
        if media in (r.PLAIN, r.OCCI, r.URI_LIST, "text/occi+plain"):
            found = text.parse_locations(response)
            if found:
                return self.url(found[0])
        entity = r.read_entity(response) if response.content.strip() else None
        if entity is not None:
            self._place(entity)
            if entity.location:
                return entity.location
        if fallback is not None:
            return self.url(fallback)
        raise ProtocolError("the server created the entity but did not say where")

    def update(
        self,
        location: str,
        *,
        mixins: Iterable[CategoryLike] = (),
        attributes: dict[str, Any] | None = None,
        links: Iterable[Link] = (),
    ) -> Op[Entity | None]:
        """Partial update (POST): add mixins, set attributes, add inline links."""
        resolved = yield from self._mixins(mixins)
        media = self.send_media()
        body = r.entity_body(media, None, resolved, dict(attributes or {}), list(links))
        response = yield from self.send(self.request("POST", location, body=body))
        return self._maybe_entity(response, location)

    def replace(
        self,
        location: str,
        kind: CategoryLike,
        *,
        mixins: Iterable[CategoryLike] = (),
        attributes: dict[str, Any] | None = None,
    ) -> Op[Entity | None]:
        """Full replace (PUT) of an existing entity."""
        category = yield from self.kind(kind)
        resolved = yield from self._mixins(mixins)
        body = r.entity_body(self.send_media(), category, resolved, dict(attributes or {}), [])
        response = yield from self.send(self.request("PUT", location, body=body))
        return self._maybe_entity(response, location)

    def _maybe_entity(self, response: httpx.Response, location: str) -> Entity | None:
        if not _has_rendering(response):
            return None
        entity = r.read_entity(response)
        if entity is not None:
            entity.location = entity.location or location
            self._place(entity)
        return entity

    def delete(self, location: str) -> Op[None]:
        yield from self.send(self.request("DELETE", location))

    def trigger(
        self, location: str, action: CategoryLike, parameters: dict[str, Any] | None = None
    ) -> Op[Entity | list[Category] | None]:
        """An action on an entity or a collection. Answers the entity's new rendering, the
        categories the action made (`save`), or None."""
        category = yield from self._action(location, action)
        body = r.action_body(self.send_media(), category, dict(parameters or {}))
        response = yield from self.send(
            self.request("POST", location, body=body, params={"action": category.term})
        )
        entity = self._maybe_entity(response, location)
        if entity is not None:
            return entity
        if _has_rendering(response):
            return r.read_categories(response) or None
        return None

    def _action(self, location: str, action: CategoryLike) -> Op[Category]:
        if isinstance(action, Category):
            return action
        model = yield from self._model()
        try:
            return model.action(action)
        except LookupError:
            if "#" in action or location.endswith("/"):
                raise
        entity = yield from self.describe(location)
        return model.action(action, entity)

    def link(
        self,
        source: str,
        target: str,
        *,
        kind: CategoryLike | None = None,
        mixins: Iterable[CategoryLike] = (),
        attributes: dict[str, Any] | None = None,
    ) -> Op[str]:
        """A link entity from `source` to `target`; its kind follows the target's unless given
        (storage -> storagelink, network -> networkinterface)."""
        model = yield from self._model()
        target_kind = model.kind_at(self.path(target))
        if kind is not None:
            link_kind = yield from self.kind(kind)
        elif target_kind is not None:
            link_kind = model.link_kind_for(target_kind.type_id)
        else:
            raise ProtocolError(f"cannot tell the kind of {target}: give the link's kind")
        values: dict[str, Any] = {
            "occi.core.source": self.path(source),
            "occi.core.target": self.path(target),
        }
        if target_kind is not None:
            values["occi.core.target.kind"] = target_kind.type_id
        values.update(attributes or {})
        return (yield from self.create(link_kind, mixins=mixins, attributes=values))

    # --- mixins -------------------------------------------------------------------------------

    def _members(self, method: str, mixin: CategoryLike, locations: Iterable[str]) -> Op[None]:
        category = yield from self.mixin(mixin)
        if not category.location:
            raise ProtocolError(f"{category.type_id} has no location on this server")
        urls = [self.url(x) for x in locations]
        body = r.locations_body(self.send_media(), urls) if urls else None
        yield from self.send(self.request(method, category.location, body=body))

    def associate(self, mixin: CategoryLike, locations: Iterable[str]) -> Op[None]:
        """Add the mixin to the entities (POST to its collection)."""
        yield from self._members("POST", mixin, locations)

    def dissociate(self, mixin: CategoryLike, locations: Iterable[str]) -> Op[None]:
        """Remove the mixin from the entities (DELETE on its collection with the locations)."""
        yield from self._members("DELETE", mixin, locations)

    def set_members(self, mixin: CategoryLike, locations: Iterable[str]) -> Op[None]:
        """Make exactly these entities carry the mixin (PUT on its collection)."""
        yield from self._members("PUT", mixin, locations)

    def create_mixin(
        self,
        term: str,
        scheme: str,
        location: str,
        *,
        depends: Sequence[str] = (),
        title: str | None = None,
    ) -> Op[Category]:
        """A user mixin (a tag, or a security group that depends on the provider's base)."""
        mixin = Category(
            term, scheme, "mixin", title=title, location=location, depends=list(depends)
        )
        body = r.mixin_body(self.send_media(), mixin, full=True)
        yield from self.send(self.request("POST", self.query_path, body=body))
        self.model = None  # the model changed
        return mixin

    def delete_mixin(self, mixin: CategoryLike) -> Op[None]:
        category = yield from self.mixin(mixin)
        body = r.mixin_body(self.send_media(), category, full=False)
        yield from self.send(self.request("DELETE", self.query_path, body=body))
        self.model = None

    # --- waiting ------------------------------------------------------------------------------

    def wait(
        self,
        location: str,
        states: str | Sequence[str],
        *,
        attribute: str | None = None,
        timeout: float = 300.0,
        interval: float = 1.0,
    ) -> Op[Entity]:
        """Poll until the entity's state (or `attribute`) is one of `states`; `error` ends the
        wait early unless asked for."""
        wanted = {states} if isinstance(states, str) else set(states)
        deadline = time.monotonic() + timeout
        while True:
            entity = yield from self.describe(location)
            value = entity.attributes.get(attribute) if attribute else entity.state
            if value is not None and str(value) in wanted:
                return entity
            if value == "error" and "error" not in wanted:
                term = entity.kind.rpartition("#")[2]
                message = entity.attributes.get(f"occi.{term}.state.message")
                why = f": {message}" if message else ""
                raise WaitTimeout(f"{location} went to state error{why}")
            if time.monotonic() >= deadline:
                states_text = ", ".join(sorted(wanted))
                raise WaitTimeout(
                    f"{location}: still {value!r} after {timeout:g} s (waited for {states_text})"
                )
            yield Sleep(interval)


def _has_rendering(response: httpx.Response) -> bool:
    """Whether an answer renders something: text/occi puts it in headers (body `OK`), the other
    renderings in the body."""
    if r.media_type(response) == r.OCCI:
        return any(
            name.lower() in ("category", "x-occi-category", "x-occi-attribute")
            for name in response.headers
        )
    body = response.content.strip()
    return bool(body) and body != b"OK"
