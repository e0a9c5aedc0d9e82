"""ASGI glue: the request from the ASGI scope, http.handler in between (on the event loop for
the embedded backend, in a worker thread otherwise), the answer as ASGI messages."""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import Callable
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from occi_server import telemetry
from occi_server.backends.base import ON_EVENT_LOOP, Backend, Offload
from occi_server.categories import appliances
from occi_server.config import Config, load_config
from occi_server.errors import OcciError
from occi_server.http import access_log, routing
from occi_server.http.cdmi import PREFIX as CDMI_PREFIX
from occi_server.http.cdmi import CdmiSurface
from occi_server.http.console import Console
from occi_server.http.edge import OWN_PATHS, Edge, RouteTemplates
from occi_server.http.handler import SERVER, Engine
from occi_server.http.health import Readiness
from occi_server.http.hosts import HostPolicy
from occi_server.http.messages import HttpRequest, HttpResponse
from occi_server.http.metrics import Metrics
from occi_server.http.ovf import PREFIX as OVF_PREFIX
from occi_server.http.ovf import OvfEndpoints
from occi_server.identity.auth import Authenticator
from occi_server.model import Kind
from occi_server.registry import Catalogue
from occi_server.rendering import negotiate
from occi_server.rendering.html import CONSOLE
from occi_server.service.appliances import Appliances

log = logging.getLogger("occi_server")
# Bodies larger than this are parsed in a worker thread, off the event loop.
INLINE_BODY_BYTES = 65_536
# ... and writes larger than this (a plain create is a few hundred bytes; inline links cost
# milliseconds each in the embedded cloud).
INLINE_WRITE_BYTES = 2_048
SWITCH_INTERVAL = 0.001
CDMI_PATHS = (CDMI_PREFIX + "/",)


class OcciApp:
    """The ASGI application: Starlette's Request/Response around the synchronous Engine."""

    def __init__(self, config: Config, backend: Backend, authenticator: Authenticator) -> None:
        # The embedded cloud answers in well under a millisecond from a local database: running
        # it on the event loop avoids a thread hop and GIL hand-offs per request. Anything that
        # waits on the network (OpenStack, Keystone) keeps to the thread pool.
        self.inline = backend.name == "local" and config.server.auth != "keystone"
        catalogue = Catalogue.for_backend(
            backend.served_kinds(),
            backend.implemented_actions(),
            backend.supported_mixins(),
            backend.extra_categories(),
            backend.kind_extensions(),
        )
        self.hosts = HostPolicy(config.server)
        # OVF import and export: the embedded cloud holds the disk bytes they need; OpenStack's
        # Glance and Cinder take and give them (service/appliance_entities.py).
        self.appliances: Appliances | None = None
        self.ovf: OvfEndpoints | None = None
        hooks = {}
        if backend.name in ("local", "openstack"):
            self.appliances = Appliances(
                backend,
                config.ovf,
                config.data_dir,
                remote=config.remote,
                enterprise=config.cdmi.enterprise_number,
            )
            self.ovf = OvfEndpoints(self.appliances, authenticator, self.hosts)
            hooks = {appliances.EXPORT.type_id: self.appliances.export}
        self.engine = Engine(backend, catalogue, authenticator, config.limits, hooks)
        # HTML console: in front of the engine; requests not asking for text/html pass through.
        self.console = Console(self.engine)
        self.limits = config.limits
        self.backend = backend
        self.accept = ", ".join(negotiate.supported_media_types()).encode()
        self.server = SERVER.encode()
        # CDMI streams its bodies: it takes /cdmi/ requests before a body is read (http/cdmi.py).
        objects = getattr(backend, "objects", None)
        self.cdmi = (
            CdmiSurface(config, objects, authenticator, self.hosts, self.server)
            if objects is not None and config.cdmi.enabled
            else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if self.ovf is not None and scope["path"].startswith(OVF_PREFIX):
            await self.ovf(scope, receive, send)  # packages are streamed, not read whole
            return
        if self.cdmi is not None and scope["path"].startswith(CDMI_PATHS):
            await self.cdmi(scope, receive, send)
            return
        http_request = await self._read(scope, receive)
        if http_request is None:
            return  # the client went away (or the edge cut a late body off): nothing to do
        result = self._on_loop(http_request) if self.inline else None
        if result is None:
            result = await run_in_threadpool(self.console.handle, http_request)
        body = result.rendered.body
        # Header values may hold UTF-8 text (titles in text/occi); Starlette would use latin-1.
        headers = [
            (b"content-type", _content_type(result.rendered.content_type).encode()),
            (b"content-length", str(len(body)).encode()),
            (b"server", self.server),
            (b"accept", self.accept),
            *(
                (n.lower().encode("latin-1"), v.encode("utf-8"))
                for n, v in [*result.rendered.headers, *result.headers]
            ),
        ]
        # Plain ASGI messages: a Starlette Response adds nothing here and costs a few µs more.
        await send({"type": "http.response.start", "status": result.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _on_loop(self, request: HttpRequest) -> HttpResponse | None:
        """The answer computed on the event loop; None when the request belongs in a thread
        (costly by its look, or found so by the backend before it wrote anything)."""
        if self._costly(request):
            return None
        flag = ON_EVENT_LOOP.set(True)
        try:
            return self.console.handle(request)
        except Offload:
            return None
        finally:
            ON_EVENT_LOOP.reset(flag)  # before the thread: it must not inherit the flag

    def _costly(self, request: HttpRequest) -> bool:
        """Whether a request may take more than a few milliseconds of CPU (a password to check,
        an action on a whole collection, inline links, a delete, a large body): those leave
        the event loop."""
        if len(request.body) > INLINE_BODY_BYTES:
            return True
        if request.method == "DELETE" and request.path.endswith("/"):
            return True  # a collection (or its mixin's members); one entity: see Offload
        if request.method not in ("GET", "HEAD") and (
            len(request.body) > INLINE_WRITE_BYTES
            or b"link" in request.body.lower()
            or any(n == "link" for n, _ in request.headers)
        ):
            return True
        if request.method == "POST" and (
            request.path.startswith(CONSOLE)
            or ("action" in request.params and request.path.endswith("/"))
        ):
            return True
        costly = getattr(self.engine.authenticator, "is_costly", None)
        return costly is not None and bool(costly(dict(request.headers)))

    async def _read(self, scope: Scope, receive: Receive) -> HttpRequest | None:
        headers: list[tuple[str, str]] = []
        undecodable = None
        header_bytes = 0
        host = None
        for raw_name, raw_value in scope["headers"]:
            header_bytes += len(raw_name) + len(raw_value) + 4
            name = raw_name.decode("latin-1").lower()
            try:
                headers.append((name, raw_value.decode("utf-8")))
            except UnicodeDecodeError:
                undecodable = name
            if name == "host":
                host = raw_value.decode("latin-1")
        too_large = "headers" if header_bytes > self.limits.max_header_bytes else None
        body = b""
        if too_large is None:
            read = await self._read_body(receive, headers)
            if read is None:
                return None
            body, complete = read
            too_large = None if complete else "body"
        query = scope.get("query_string", b"")
        refused: OcciError | None = None
        try:
            base_url = self.hosts.base_url(
                scope.get("scheme", "http"), host, scope.get("server"), scope.get("root_path", "")
            )
        except OcciError as error:
            base_url, refused = self.hosts.public_url or "http://localhost", error
        return HttpRequest(
            method=scope["method"],
            path=scope["path"],
            params=dict(parse_qsl(query.decode("latin-1"), keep_blank_values=True))
            if query
            else {},
            headers=headers,
            body=body,
            base_url=base_url,
            undecodable=undecodable,
            too_large=too_large,
            client=(scope.get("client") or ("",))[0],
            refused=refused,
        )

    async def _read_body(
        self, receive: Receive, headers: list[tuple[str, str]]
    ) -> tuple[bytes, bool] | None:
        """The body, read no further than the limit (False when it is larger); None when the
        client disconnected before sending all of it."""
        limit = self.limits.max_body_bytes
        declared = next((v for n, v in headers if n == "content-length"), "")
        if declared.isdigit() and int(declared) > limit:
            return b"", False
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return b"", False
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks), True

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # What start-up built (modules, the catalogue, compiled statements) lives as
                # long as the process: out of the collector's sight, a full collection scans
                # only what requests made since (50-65 ms pauses of the event loop before).
                gc.collect()
                gc.freeze()
                if self.inline:
                    # Costly requests run in worker threads (_costly); with the default 5 ms
                    # switch interval, each hand-back of the GIL to the event loop could keep
                    # a cheap request of another tenant waiting that long, several times over.
                    sys.setswitchinterval(SWITCH_INTERVAL)
                self.backend.start()  # the embedded cloud's reconciler
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.backend.close()
                if self.appliances is not None:
                    self.appliances.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def create_app(config: Config, backend: Backend, authenticator: Authenticator) -> Edge:
    """The OCCI app behind the edge: health, metrics, request ids, access log, proxies."""
    app = OcciApp(config, backend, authenticator)
    checks: list[Callable[[float], dict[str, str | None]]] = [backend.readiness]
    auth_check = getattr(authenticator, "readiness", None)
    if auth_check is not None and backend.name != "openstack":  # openstack checks Keystone
        checks.append(auth_check)
    metrics = Metrics(config.metrics) if config.metrics.enabled else None
    telemetry.install(metrics)
    kinds = [
        location
        for location, category in app.engine.catalogue.by_location.items()
        if isinstance(category, Kind)
    ]
    routes = RouteTemplates(
        kinds, [*OWN_PATHS, *routing.QUERY_PATHS, "/", CONSOLE + "/", CDMI_PREFIX + "/"]
    )
    return Edge(
        app,
        config,
        Readiness(checks, config.health),
        routes,
        metrics,
        on_shutdown=metrics.close if metrics is not None else None,
    )


def _content_type(media_type: str) -> str:
    return media_type + "; charset=utf-8" if media_type.startswith("text/") else media_type


def create_app_from_env() -> Edge:
    """Factory for uvicorn workers: configuration comes from OCCI_* variables set by the CLI."""
    from occi_server.bootstrap import build_backend_and_auth

    config = load_config(os.environ.get("OCCI_CONFIG") or None)
    access_log.configure(config.log.format)  # a worker process starts with no log handlers
    backend, authenticator = build_backend_and_auth(config)
    return create_app(config, backend, authenticator)
