"""The ASGI middleware in front of the OCCI app: what every request gets, whatever it asks.

In one pass (one wrapper around `send`, not one per feature): trusted proxies' forwarded
headers, the request id (accepted or made, returned as X-Request-Id and X-OpenStack-Request-Id
on every answer, and current for the request's OpenStack calls), the operator's own endpoints
(/healthz, /readyz, /metrics, never part of the OCCI namespace or its query interface), the
request metrics and the access-log line.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from occi_server import telemetry
from occi_server.config import Config
from occi_server.http import access_log
from occi_server.http.health import LIVE, Readiness
from occi_server.http.metrics import Metrics
from occi_server.http.proxy import TrustedProxies

HEALTHZ, READYZ, METRICS = "/healthz", "/readyz", "/metrics"
OWN_PATHS = (HEALTHZ, READYZ, METRICS)
_JSON = b"application/json"


class RouteTemplates:
    """A path as the template it matched, for metric labels: `/compute/{id}`, not an id.

    Kinds' locations come from the static catalogue; anything else (user mixins, unknown
    paths) folds into a few fixed names, so the number of label values stays small.
    """

    def __init__(self, kind_locations: Iterable[str], fixed: Iterable[str]) -> None:
        self._fixed = set(fixed)
        self._by_segment: dict[str, list[str]] = {}
        for location in sorted(kind_locations, key=len, reverse=True):
            self._by_segment.setdefault(_segment(location), []).append(location)

    def __call__(self, path: str) -> str:
        if path in self._fixed:
            return path
        for location in self._by_segment.get(_segment(path), ()):
            if path == location or path + "/" == location:
                return location
            if path.startswith(location):
                return location + "{id}"
        first = _segment(path)
        if first in self._fixed:
            return first + "{page}"
        return "/{collection}/" if path.endswith("/") else "/{path}"


def _segment(path: str) -> str:
    end = path.find("/", 1)
    return path if end < 0 else path[: end + 1]


class Edge:
    def __init__(
        self,
        app: ASGIApp,
        config: Config,
        readiness: Readiness,
        routes: RouteTemplates,
        metrics: Metrics | None,
        on_shutdown: Callable[[], None] | None = None,
    ) -> None:
        self.app = app
        self.readiness = readiness
        self.routes = routes
        self.metrics = metrics
        self.access = access_log.AccessLog(config.log.format) if config.log.access else None
        networks = config.server.trusted_proxies
        self.proxies = TrustedProxies(networks) if networks else None
        self.metrics_token = bool(config.metrics.token)
        self.on_shutdown = on_shutdown
        self.own: dict[str, Callable[[Scope, Send], Awaitable[None]]] = {
            HEALTHZ: self._healthz,
            READYZ: self._readyz,
            METRICS: self._metrics,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            if scope["type"] == "lifespan":
                if self.access is not None:
                    self.access.flush()
                if self.on_shutdown is not None:
                    self.on_shutdown()
            return
        started = time.perf_counter()
        if self.proxies is not None:
            scope = self.proxies.apply(scope)
        rid = access_log.request_id(scope["headers"])
        rid_header = rid.encode()
        answered = [500, 0]  # status, body bytes

        async def respond(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered[0] = message["status"]
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"x-request-id", rid_header),
                    (b"x-openstack-request-id", rid_header),
                ]
            elif message["type"] == "http.response.body":
                answered[1] += len(message.get("body", b""))
            await send(message)

        entry = telemetry.RequestEntry(rid)
        token = telemetry.begin(entry)
        metrics = self.metrics
        if metrics is not None:
            metrics.in_flight.inc()
        path = scope["path"]
        try:
            own = self.own.get(path)
            if own is not None:
                await own(scope, respond)
            else:
                await self.app(scope, receive, respond)
        finally:
            telemetry.end(token)
            seconds = time.perf_counter() - started
            method = scope["method"]
            if metrics is not None:
                metrics.in_flight.dec()
                metrics.observe_request(self.routes(path), method, answered[0], seconds)
            if self.access is not None:
                client = scope.get("client")
                self.access.emit(
                    method,
                    path,
                    answered[0],
                    answered[1],
                    seconds,
                    entry.project,
                    entry.user,
                    client[0] if client else "-",
                    rid,
                )

    # -- the operator's endpoints ---------------------------------------------------------------
    async def _healthz(self, scope: Scope, send: Send) -> None:
        await _answer(scope, send, 200, LIVE)

    async def _readyz(self, scope: Scope, send: Send) -> None:
        status, body = await run_in_threadpool(self.readiness.answer)
        await _answer(scope, send, status, body)

    async def _metrics(self, scope: Scope, send: Send) -> None:
        metrics = self.metrics
        if metrics is None:
            message = "metrics are off: set metrics.token or metrics.allow_from"
            await _answer(scope, send, 404, _error(message))
            return
        client = scope.get("client")
        if not metrics.allowed(scope["headers"], client[0] if client else None):
            if self.metrics_token:
                headers = [(b"www-authenticate", b'Bearer realm="metrics"')]
                await _answer(scope, send, 401, _error("metrics need their token"), headers)
            else:
                await _answer(scope, send, 403, _error("metrics are not served to this address"))
            return
        body, content_type = await run_in_threadpool(metrics.exposition)
        await _answer(scope, send, 200, body, content_type=content_type.encode())


async def _answer(
    scope: Scope,
    send: Send,
    status: int,
    body: bytes,
    headers: list[tuple[bytes, bytes]] | None = None,
    content_type: bytes = _JSON,
) -> None:
    if scope["method"] not in ("GET", "HEAD"):
        status, body = 405, _error(f"{scope['method']} is not allowed on {scope['path']}")
        headers, content_type = [(b"allow", b"GET, HEAD")], _JSON
    head: list[Any] = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *(headers or ()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def _error(message: str) -> bytes:
    return json.dumps({"error": message}).encode()
