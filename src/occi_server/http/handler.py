"""One request, end to end, as a plain function: negotiate, parse, run the service, render.

It runs in a worker thread (backends are synchronous); http/app.py is the ASGI glue around it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from occi_server import __version__
from occi_server.backends.base import Backend
from occi_server.config import LimitsConfig
from occi_server.context import RequestContext
from occi_server.errors import (
    BadRequest,
    HeadersTooLarge,
    MethodNotAllowed,
    NotFound,
    NotImplementedByServer,
    OcciError,
    PayloadTooLarge,
    PreconditionFailed,
)
from occi_server.http import routing
from occi_server.http.caching import CatalogueCache
from occi_server.http.routing import Route, Target
from occi_server.identity.auth import Authenticator
from occi_server.model import Category, Entity, Kind, Mixin
from occi_server.model.request import OcciRequest
from occi_server.registry import Catalogue
from occi_server.rendering import negotiate
from occi_server.rendering.base import Rendered, Renderer
from occi_server.rendering.html import PageContext
from occi_server.service import actions, collections, entities, query
from occi_server.service.entities import Operation

log = logging.getLogger("occi_server.http")

SERVER = f"occi-server/{__version__} OCCI/1.2 OCCI/1.1"
VERSION_RE = re.compile(r"OCCI/(\d+)\.(\d+)")
LISTINGS = (Target.KIND, Target.MIXIN, Target.ROOT, Target.UNBOUND)


@dataclass(slots=True)
class HttpRequest:
    method: str
    path: str
    params: dict[str, str]
    headers: list[tuple[str, str]]  # names lower-cased, repeated headers kept
    body: bytes
    base_url: str
    # Name of a header whose value was not valid UTF-8 (reported as a 400, never guessed at).
    undecodable: str | None = None
    # "headers" or "body" when that part exceeded its configured limit (431 / 413).
    too_large: str | None = None
    # --- HTML console (http/console.py) -------------------------------------------------------
    # A form post the console already parsed; the form parser is not a negotiated parser, so
    # every other rendering still answers 415 to form content.
    parsed: OcciRequest | None = None
    # What an HTML page needs beyond the model (path, CSRF token); None for other renderings.
    page: PageContext | None = None

    def header(self, name: str) -> str | None:
        values = [v for n, v in self.headers if n == name]
        return ", ".join(values) if values else None


@dataclass(slots=True)
class HttpResponse:
    status: int
    rendered: Rendered
    headers: list[tuple[str, str]] = field(default_factory=list)


class Call(NamedTuple):
    """One dispatched request: what every target handler (`_on_*`) works with."""

    op: Operation
    route: Route
    request: HttpRequest
    occi: OcciRequest
    renderer: Renderer


@dataclass(slots=True)
class Engine:
    """Everything a request needs that outlives it."""

    backend: Backend
    catalogue: Catalogue
    authenticator: Authenticator
    limits: LimitsConfig
    cache: CatalogueCache = field(init=False)

    def __post_init__(self) -> None:
        self.cache = CatalogueCache(self.catalogue)

    def handle(self, request: HttpRequest) -> HttpResponse:
        try:
            media_type = negotiate.choose_media_type(request.header("accept"))
        except OcciError as error:
            return self._error(error, negotiate.renderer_for("text/plain", request.base_url))
        renderer = negotiate.renderer_for(media_type, request.base_url)
        try:
            if request.too_large == "headers":
                raise HeadersTooLarge(
                    f"request headers exceed {self.limits.max_header_bytes} bytes"
                )
            if request.too_large == "body":
                raise PayloadTooLarge(f"request body exceeds {self.limits.max_body_bytes} bytes")
            if request.undecodable:
                raise BadRequest(f"{request.undecodable}: header value is not valid UTF-8")
            self._check_version(request)
            headers = {n: v for n, v in request.headers}
            ctx = self.authenticator.authenticate(headers, request.base_url)
            response = self._dispatch(request, ctx, renderer)
        except OcciError as error:
            return self._error(error, renderer)
        except Exception:  # never a traceback to the client; keep it in the log
            log.exception("unexpected error on %s %s", request.method, request.path)
            return self._error(
                OcciError("internal error; the request was not carried out"), renderer
            )
        return response

    # -- helpers ----------------------------------------------------------------------------
    def _error(self, error: OcciError, renderer: Renderer) -> HttpResponse:
        rendered = renderer.error(error.status, error.message)
        return HttpResponse(error.status, rendered, list(error.headers.items()))

    @staticmethod
    def _check_version(request: HttpRequest) -> None:
        agent = request.header("user-agent") or ""
        for major, minor in VERSION_RE.findall(agent):
            if (int(major), int(minor)) > (1, 2):
                raise NotImplementedByServer(
                    f"User-Agent asks for OCCI/{major}.{minor}; this server speaks OCCI/1.2"
                )

    def _parse(self, request: HttpRequest) -> OcciRequest:
        if request.parsed is not None:  # HTML console form post (http/console.py)
            parsed = request.parsed
        else:
            parser = negotiate.parser_for(request.header("content-type") if request.body else None)
            parsed = parser(request.headers, request.body)
        if len(parsed.locations) > self.limits.max_locations:
            raise PayloadTooLarge(
                f"{len(parsed.locations)} locations in one request (at most "
                f"{self.limits.max_locations})"
            )
        return parsed

    def _dispatch(
        self, request: HttpRequest, ctx: RequestContext, renderer: Renderer
    ) -> HttpResponse:
        write = request.method not in ("GET", "HEAD")
        with self.backend.session(ctx, write=write) as session:
            version = session.catalogue_version()
            registry = self.cache.registry(
                ctx.project_id,
                version,
                lambda: [*session.provider_mixins(), *session.user_mixins()],
            )
            route = routing.resolve(registry, request.path)
            allowed = routing.ALLOWED[route.target]
            if request.method not in allowed:
                raise MethodNotAllowed(
                    f"{request.method} is not allowed on {request.path}", allowed
                )
            if getattr(renderer, "listings_only", False) and not (
                request.method in ("GET", "HEAD") and route.target in LISTINGS
            ):
                raise BadRequest("text/uri-list is only available for collections")
            # HTML console: pages need the caller's categories (action parameters, templates,
            # security groups) and the PageContext; no other renderer has a `bind` hook.
            bind = getattr(renderer, "bind", None)
            if bind is not None:
                bind(registry.categories(), request.page)
            occi = self._parse(request)
            op = Operation(
                session,
                registry,
                request.base_url,
                self.limits.max_attributes,
                catalogue_key=(ctx.project_id, version),
            )
            handler = getattr(self, f"_on_{route.target.value}")
            result: HttpResponse = handler(Call(op, route, request, occi, renderer))
            return result

    # -- targets ----------------------------------------------------------------------------
    def _on_query(self, call: Call) -> HttpResponse:
        op, _, request, occi, renderer = call
        if request.method in ("GET", "HEAD"):
            if occi.categories:
                found: Sequence[Category] = query.discover(op.registry, occi)
                return HttpResponse(200, renderer.categories(found))
            return self._cached_query_interface(op, request, renderer)
        if request.method == "POST":
            query.add_user_mixins(op, occi)
        else:
            query.delete_user_mixins(op, occi)
        return HttpResponse(200, renderer.ok())

    def _on_root(self, call: Call) -> HttpResponse:
        op, _, request, occi, renderer = call
        if request.method == "POST":
            # The OGF 1.1 script creates entities by POSTing to the root; dispatch on the kind.
            return self._created(request, renderer, entities.create(op, occi))
        return self._listing(call, None)

    def _on_unbound(self, call: Call) -> HttpResponse:
        op, route, request, occi, renderer = call
        if request.method == "DELETE":
            q = collections.build_query(
                op, None, occi, request.params, self.limits.max_page_size, prefix=route.path
            )
            collections.delete_all(op, q)
            return HttpResponse(200, renderer.ok())
        return self._listing(call, None, prefix=route.path)

    def _on_kind(self, call: Call) -> HttpResponse:
        op, route, request, occi, renderer = call
        kind = route.collection
        if request.method == "POST":
            term = request.params.get("action")
            if term is not None:
                return self._collection_action(call, term)
            return self._created(request, renderer, entities.create(op, occi, kind))  # type: ignore[arg-type]
        if request.method == "DELETE":
            q = collections.build_query(op, kind, occi, request.params, self.limits.max_page_size)
            collections.delete_all(op, q)
            return HttpResponse(200, renderer.ok())
        return self._listing(call, kind)

    def _on_mixin(self, call: Call) -> HttpResponse:
        op, route, request, occi, _ = call
        mixin = route.collection
        assert isinstance(mixin, Mixin)
        if request.method in ("GET", "HEAD"):
            return self._listing(call, mixin)
        if request.method == "POST" and "action" in request.params:
            return self._collection_action(call, request.params["action"])
        paths = collections.members(op, occi)
        if request.method == "POST":
            collections.associate(op, mixin, paths)
        elif request.method == "PUT":
            collections.replace_members(op, mixin, paths)
        elif paths:
            collections.dissociate(op, mixin, paths)
        else:
            # DELETE without a list: every member loses the mixin; the entities stay.
            everyone = op.session.list_locations(
                collections.build_query(op, mixin, OcciRequest(), {}, self.limits.max_page_size)
            )
            collections.dissociate(op, mixin, everyone)
        return self._listing(call._replace(occi=OcciRequest()), mixin)

    def _on_entity(self, call: Call) -> HttpResponse:
        op, route, request, occi, renderer = call
        path = route.path
        expected = _if_match(request)
        if request.method in ("GET", "HEAD"):
            return self._entity(entities.read(op, path), renderer, self.catalogue)
        if request.method == "PUT":
            try:
                op.session.get_entity(path)
            except NotFound:
                return self._created(request, renderer, entities.create(op, occi, location=path))
            return self._entity(
                entities.replace(op, path, occi, expected), renderer, self.catalogue
            )
        if request.method == "DELETE":
            if expected is not None and op.session.get_entity(path).version != expected:
                raise PreconditionFailed(f"If-Match: {path} has changed")
            entities.delete(op, path)
            return HttpResponse(200, renderer.ok())
        term = request.params.get("action")
        if term is not None:
            outcome = actions.invoke(op, path, term, occi)
            if isinstance(outcome, Category):
                return HttpResponse(200, renderer.categories([outcome]))
            return self._entity(
                outcome if isinstance(outcome, Entity) else op.session.get_entity(path),
                renderer,
                self.catalogue,
            )
        return self._entity(entities.update(op, path, occi, expected), renderer, self.catalogue)

    def _cached_query_interface(
        self, op: Operation, request: HttpRequest, renderer: Renderer
    ) -> HttpResponse:
        key = (*op.catalogue_key, renderer.media_type, request.base_url)
        rendered, etag = self.cache.query_interface(
            key, lambda: renderer.categories(op.registry.categories())
        )
        if etag in (request.header("if-none-match") or "").replace(" ", "").split(","):
            return HttpResponse(304, Rendered(rendered.content_type), [("ETag", etag)])
        return HttpResponse(200, rendered, [("ETag", etag)])

    # -- shared responses ---------------------------------------------------------------------
    def _listing(
        self, call: Call, collection: Kind | Mixin | None, prefix: str | None = None
    ) -> HttpResponse:
        op, _, request, occi, renderer = call
        q = collections.build_query(
            op,
            collection,
            occi,
            request.params,
            self.limits.max_page_size,
            prefix=prefix,
        )
        if getattr(renderer, "wants_entities", False):
            found = [_hide_secrets(e, self.catalogue) for e in op.session.list_entities(q)]
            return HttpResponse(200, renderer.entities(found))
        return HttpResponse(200, renderer.locations(op.session.list_locations(q)))

    def _collection_action(self, call: Call, term: str) -> HttpResponse:
        op, route, _, occi, renderer = call
        assert route.collection is not None
        q = collections.build_query(
            op, route.collection, OcciRequest(), {}, self.limits.max_page_size
        )
        actions.invoke_on_collection(op, route.collection, term, occi, q)
        return HttpResponse(200, renderer.ok())

    @staticmethod
    def _created(request: HttpRequest, renderer: Renderer, entity: Entity) -> HttpResponse:
        url = request.base_url + entity.location
        return HttpResponse(201, renderer.created(entity.location), [("Location", url)])

    @staticmethod
    def _entity(entity: Entity, renderer: Renderer, catalogue: Catalogue) -> HttpResponse:
        headers = [("ETag", f'"{entity.version}"')] if entity.version else []
        return HttpResponse(200, renderer.entity(_hide_secrets(entity, catalogue)), headers)


def _hide_secrets(entity: Entity, catalogue: Catalogue) -> Entity:
    secrets = catalogue.secret_attributes
    if secrets:
        for name in secrets & entity.attributes.keys():
            del entity.attributes[name]
    return entity


def _if_match(request: HttpRequest) -> str | None:
    value = request.header("if-match")
    if value is None or value.strip() == "*":
        return None
    return value.strip().removeprefix("W/").strip('"')
