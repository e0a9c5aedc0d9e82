"""The HTTP edge: uvicorn's httptools protocol, hardened against slow and greedy clients.

uvicorn alone never times out a connection that has sent nothing, nor one that drips a request
a byte at a time (any byte cancels its keep-alive timer), nor a body shorter than its
Content-Length; and its httptools protocol reads a header of any size into memory. This
protocol adds, per connection:

- a head deadline: from the connection (or the first byte of the next request) to the end of
  the request head, `header_timeout` seconds; past it an idle connection is closed and a
  partial request answered 408;
- a body deadline: from the end of the head to the end of the body, `body_timeout` seconds;
  past it the application sees a disconnect (so it never acts on a truncated body) and the
  client gets 408;
- a cap on the bytes of a request head (431 and close past it);
- a cap on open connections: when a new one would pass it, the connections that have waited
  longest for a request head (idle or slow ones; never one whose request is being answered)
  are closed to make room, so a flood of slow clients cannot lock legitimate ones out.

The settings travel on uvicorn's Config as the attribute `occi_edge` (it is pickled into each
worker process along with the Config).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import importlib
import logging
import resource
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from occi_server.config import Config as OcciConfig

PROTOCOL = "occi_server.http.transport:EdgeProtocol"
# Connection metrics, in builds that have them (occi_server.telemetry: no-ops when metrics are
# off). This protocol counts connections itself, so it stays the one protocol either way.
_telemetry: Any = None
with contextlib.suppress(ImportError):
    _telemetry = importlib.import_module("occi_server.telemetry")
# asyncio accepts up to `backlog` connections per wake-up (uvicorn passes its backlog as
# that count and as the listen queue), and accepted sockets hold descriptors before any
# protocol sees them: the cap keeps three batches' worth back, plus some for database files,
# sockets and logs. Were the process to run out, asyncio would stop accepting for a second.
FD_SPARE = 64
MAX_BACKLOG = 2048
# How long a refused connection's input is still read (and dropped) before it is closed.
LINGER_SECONDS = 2.0

log = logging.getLogger("occi_server.http")


@dataclass(frozen=True, slots=True)
class EdgeSettings:
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_header_bytes: int = 131_072
    max_connections: int = 4096
    # Bodies of requests under this path (CDMI uploads) may take `upload_timeout` instead.
    upload_prefix: bytes = b"/cdmi/"
    upload_timeout: float = 3600.0


def connection_cap(configured: int) -> tuple[int, int]:
    """The connection cap (`configured`, but never more than the file limit allows less a
    reserve) and the listen backlog (as long as the file limit leaves room for).

    The soft file limit is first raised to the hard one (at most 65,536): the usual soft
    default of 1,024 exists for select(), which asyncio does not use.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65_536 if hard == resource.RLIM_INFINITY else min(hard, 65_536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            log.warning("could not raise the file limit from %d to %d", soft, wanted)
    if soft == resource.RLIM_INFINITY:
        return configured, MAX_BACKLOG
    backlog = max(64, min(MAX_BACKLOG, (soft - FD_SPARE) // 8))
    return max(8, min(configured, soft - FD_SPARE - 3 * backlog)), backlog


def _response(status: bytes, message: bytes) -> bytes:
    return (
        b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
        b"content-length: "
        + str(len(message)).encode()
        + b"\r\nconnection: close\r\n\r\n"
        + message
    )


TIMEOUT = _response(b"408 Request Timeout", b"request not received in time")
HEAD_TOO_LARGE = _response(b"431 Request Header Fields Too Large", b"request head too large")
BUSY = _response(b"503 Service Unavailable", b"too many connections")


class EdgeProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.edge: EdgeSettings = getattr(config, "occi_edge", None) or EdgeSettings()
        # uvicorn's own limit answers 503 to every request once the count is reached; this
        # protocol keeps the count under its cap by eviction instead.
        self.limit_concurrency = None
        self._deadline: asyncio.TimerHandle | None = None
        self._reading_head = True  # no request in progress: waiting for (more of) a head
        self._head_bytes = 0
        self._in_body = False
        self._body_seconds = self.edge.body_timeout
        self._discarding = False  # answered and closing: input is dropped
        self._waiting_since = 0.0

    # -- connections ----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if _telemetry is not None:
            _telemetry.connection_opened()
        super().connection_made(transport)
        self._waiting_since = self.loop.time()
        self._arm(self.edge.header_timeout, self._head_timeout)
        if len(self.connections) > self.edge.max_connections:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        if _telemetry is not None:
            _telemetry.connection_closed()
        self._disarm()
        super().connection_lost(exc)

    def _make_room(self) -> None:
        """Close the connections that have waited longest for a head, down to 7/8 of the cap
        (so a flood costs a scan per batch, not per connection)."""
        idle = [p for p in self.connections if isinstance(p, EdgeProtocol) and p._evictable()]
        cap = self.edge.max_connections
        count = len(self.connections) - (cap - cap // 8)
        victims = heapq.nsmallest(count, idle, key=lambda p: p._waiting_since)
        if not victims:
            self.transport.write(BUSY)
            self.transport.close()
            return
        for victim in victims:
            victim._disarm()
            victim.transport.abort()

    def _evictable(self) -> bool:
        return (
            self._reading_head
            and (self.cycle is None or self.cycle.response_complete)
            and not self.pipeline
        )

    # -- reading --------------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if self._discarding:
            return
        if self._reading_head:
            self._head_bytes += len(data)
            if self._deadline is None:
                self._arm(self.edge.header_timeout, self._head_timeout)
        super().data_received(data)
        # Checked after parsing: the same read may carry the end of the head and the body
        # (only a head still unfinished is too large). The parser holds at most one read more.
        if self._reading_head and self._head_bytes > self.edge.max_header_bytes:
            if not self.transport.is_closing():
                self._refuse(HEAD_TOO_LARGE)
            return
        if self._in_body and self._deadline is None:
            self._arm(self._body_seconds, self._body_timeout)

    def on_headers_complete(self) -> None:
        self._reading_head = False
        self._in_body = True
        uploading = self.url.startswith(self.edge.upload_prefix)
        self._body_seconds = self.edge.upload_timeout if uploading else self.edge.body_timeout
        self._disarm()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_body = False
        self._reading_head = True
        self._head_bytes = 0
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        self._waiting_since = self.loop.time()
        super().on_response_complete()

    # -- deadlines ------------------------------------------------------------------------
    def _arm(self, seconds: float, callback: Any) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _head_timeout(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._head_bytes:
            self._refuse(TIMEOUT)
        else:
            self.transport.close()

    def _body_timeout(self) -> None:
        self._deadline = None
        cycle = self.cycle
        if self.transport.is_closing() or cycle is None:
            return
        # The application waiting in receive() gets http.disconnect and must not act on the
        # part of the body it has; its answer, if any, is then dropped.
        started = cycle.response_started
        cycle.disconnected = True
        cycle.message_event.set()
        if started:
            self.transport.close()
        else:
            self._refuse(TIMEOUT)

    def _refuse(self, answer: bytes) -> None:
        """Answer, then read and drop what the client still sends for a moment before closing:
        closing with unread input would reset the connection and lose the answer."""
        self._disarm()
        self._reading_head = False
        self._discarding = True
        self.transport.write(answer)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self._deadline = self.loop.call_later(LINGER_SECONDS, self.transport.close)


def uvicorn_config(app: str, config: OcciConfig, **options: Any) -> uvicorn.Config:
    """uvicorn's Config for `app` with this protocol and the edge settings of `config`."""
    server = config.server
    options.pop("http", None)  # always this protocol (it counts connections for metrics too)
    cap, backlog = connection_cap(server.max_connections)
    built = uvicorn.Config(
        app,
        host=server.host,
        port=server.port,
        http=PROTOCOL,
        backlog=backlog,
        timeout_keep_alive=server.idle_timeout,
        **options,
    )
    # Heads up to twice the application's limit reach it, which answers 431 as an OCCI error;
    # larger ones are cut off here, unread.
    built.occi_edge = EdgeSettings(  # type: ignore[attr-defined]
        header_timeout=server.header_timeout,
        body_timeout=server.body_timeout,
        max_header_bytes=config.limits.max_header_bytes * 2,
        max_connections=cap,
        upload_timeout=config.cdmi.upload_timeout,
    )
    return built
