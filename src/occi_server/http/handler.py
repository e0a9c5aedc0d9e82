"""One request, end to end, as a plain function: checks, parse, transaction, route, render.

    Negotiated (once, by the caller) -> limits and version checks -> authenticate -> parse the
    body -> open the backend's transaction -> registry (cached per catalogue version) -> route
    -> ROUTES[target][method] (http/targets.py) -> service -> render

The body is parsed before the transaction opens, so a malformed request holds no database
transaction (nor, on SQLite, the write lock). It runs on the event loop for the embedded
backend, in a worker thread otherwise; http/app.py is the ASGI glue around it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from occi_server import __version__, telemetry
from occi_server.backends.base import Backend, Offload
from occi_server.config import LimitsConfig
from occi_server.context import RequestContext
from occi_server.errors import (
    BadRequest,
    HeadersTooLarge,
    MethodNotAllowed,
    NotImplementedByServer,
    OcciError,
    PayloadTooLarge,
)
from occi_server.http import routing
from occi_server.http.bounds import check_bounds
from occi_server.http.caching import CatalogueCache
from occi_server.http.messages import HttpRequest, HttpResponse, Negotiated
from occi_server.http.targets import LISTINGS, ROUTES, Call, Shared
from occi_server.identity.auth import Authenticator
from occi_server.model.request import OcciRequest
from occi_server.registry import Catalogue
from occi_server.rendering import negotiate
from occi_server.rendering.base import Renderer
from occi_server.service import actions
from occi_server.service.entities import IfMatch, Operation

log = logging.getLogger("occi_server.http")

SERVER = f"occi-server/{__version__} OCCI/1.2 OCCI/1.1"
VERSION_RE = re.compile(r"OCCI/(\d{1,9})\.(\d{1,9})(?!\d)")
# A version number longer than that is malformed (and int() would refuse 5,000 digits).
HUGE_VERSION_RE = re.compile(r"OCCI/(\d{10,}\.\d|\d+\.\d{10,})")
READS = ("GET", "HEAD")


def negotiated(request: HttpRequest) -> Negotiated:
    """The media type the answer is rendered as (the one negotiation of a request)."""
    try:
        return Negotiated(negotiate.choose_media_type(request.header("accept")))
    except OcciError as error:
        return Negotiated(negotiate.DEFAULT_MEDIA_TYPE, refused=error)


def if_match(request: HttpRequest) -> IfMatch:
    """If-Match's entity tags without quotes (a weak one compared as strong); None if absent."""
    value = request.header("if-match")
    if value is None:
        return None
    tags = (t.strip().removeprefix("W/").strip('"') for t in value.split(","))
    return frozenset(t for t in tags if t)


@dataclass(slots=True)
class Engine:
    """Everything a request needs that outlives it."""

    backend: Backend
    catalogue: Catalogue
    authenticator: Authenticator
    limits: LimitsConfig
    hooks: Mapping[str, actions.Hook] = field(default_factory=dict)
    cache: CatalogueCache = field(init=False)
    shared: Shared = field(init=False)

    def __post_init__(self) -> None:
        self.cache = CatalogueCache(self.catalogue)
        self.shared = Shared(self.limits, self.catalogue, self.cache, self.hooks)

    def handle(self, request: HttpRequest, accepted: Negotiated) -> HttpResponse:
        renderer = negotiate.renderer_for(accepted.media_type, request.base_url)
        try:
            if request.refused is not None:
                raise request.refused
            if accepted.refused is not None:
                raise accepted.refused
            self._check(request)
            headers = {n: v for n, v in request.headers}
            ctx = self.authenticator.authenticate(headers, request.base_url, request.client)
            telemetry.identify(ctx.project_name, ctx.user_name)  # for the access log
            return self._dispatch(request, ctx, renderer, self._parse(request))
        except OcciError as error:
            return self._error(error, renderer)
        except Offload:
            raise  # nothing was written: http/app.py runs the request again in a thread
        except Exception:  # never a traceback to the client; keep it in the log
            log.exception("unexpected error on %s %s", request.method, request.path)
            return self._error(
                OcciError("internal error; the request was not carried out"), renderer
            )

    def _error(self, error: OcciError, renderer: Renderer) -> HttpResponse:
        rendered = renderer.error(error.status, error.message)
        return HttpResponse(error.status, rendered, list(error.headers.items()))

    def _check(self, request: HttpRequest) -> None:
        """What is wrong with the request before anything reads it: sizes, encoding, version."""
        if request.too_large == "headers":
            raise HeadersTooLarge(f"request headers exceed {self.limits.max_header_bytes} bytes")
        if request.too_large == "body":
            raise PayloadTooLarge(f"request body exceeds {self.limits.max_body_bytes} bytes")
        if request.undecodable:
            raise BadRequest(f"{request.undecodable}: header value is not valid UTF-8")
        agent = request.header("user-agent") or ""
        if HUGE_VERSION_RE.search(agent):
            raise BadRequest("User-Agent: an OCCI version number of more than 9 digits")
        for major, minor in VERSION_RE.findall(agent):
            if (int(major), int(minor)) > (1, 2):
                raise NotImplementedByServer(
                    f"User-Agent asks for OCCI/{major}.{minor}; this server speaks OCCI/1.2"
                )

    def _parse(self, request: HttpRequest) -> OcciRequest:
        if request.parsed is not None:  # HTML console form post (http/console.py)
            parsed = request.parsed
        else:
            # An action named in the query survives a Category that does not parse (the
            # seed's create_image line): what was set aside comes back in a Warning.
            types = [v for n, v in request.headers if n == "content-type"]
            parser = negotiate.parser_for(
                negotiate.content_type_of(types) if request.body else None,
                action=request.method == "POST" and "action" in request.params,
            )
            parsed = parser(request.headers, request.body)
        if len(parsed.locations) > self.limits.max_locations:
            raise PayloadTooLarge(
                f"{len(parsed.locations)} locations in one request (at most "
                f"{self.limits.max_locations})"
            )
        check_bounds(parsed, self.limits)
        return parsed

    def _dispatch(
        self, request: HttpRequest, ctx: RequestContext, renderer: Renderer, occi: OcciRequest
    ) -> HttpResponse:
        with self.backend.open(ctx, write=request.method not in READS) as session:
            # A backend paying a network round trip per call may start what the read needs
            # beside what the catalogue version needs (OpenStack: the security groups).
            start_reading = getattr(session, "start_reading", None)
            if start_reading is not None and request.method in READS:
                start_reading(request.path, request.params)
            version = session.catalogue_version()
            registry = self.cache.registry(
                ctx.project_id,
                version,
                lambda: [*session.provider_mixins(), *session.user_mixins()],
            )
            route = routing.resolve(registry, request.path)
            methods = ROUTES[route.target]
            handler = methods.get(request.method)
            if handler is None:
                raise MethodNotAllowed(
                    f"{request.method} is not allowed on {request.path}", list(methods)
                )
            if getattr(renderer, "listings_only", False) and not (
                request.method in READS and route.target in LISTINGS
            ):
                raise BadRequest("text/uri-list is only available for collections")
            # HTML console: pages need the caller's categories (action parameters, templates,
            # security groups) and the PageContext; no other renderer has a `bind` hook.
            bind = getattr(renderer, "bind", None)
            if bind is not None:
                bind(registry.categories(), request.page)
            op = Operation(
                session,
                registry,
                request.base_url,
                self.limits.max_attributes,
                catalogue_key=(ctx.project_id, version),
            )
            expected = None if request.method in READS else if_match(request)
            result = handler(Call(op, route, request, occi, renderer, expected, self.shared))
            result.headers.extend(
                ("Warning", _warning(f"ignored {text}; the action is the one ?action= names"))
                for text in occi.ignored
            )
            return result


def _warning(text: str) -> str:
    """RFC 7234 §5.5: `199 <agent> "<text>"` (199: miscellaneous warning)."""
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'199 occi-server "{quoted}"'
