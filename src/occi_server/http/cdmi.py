"""CDMI at /cdmi/: the ASGI side. Bodies stream both ways in chunks, never whole in memory:
an upload goes to a file (bounded by [cdmi] max_upload_bytes) before the store takes it, a read
streams the store's bytes 1 MiB at a time. The same authenticator and project scope as OCCI;
what each path means is http/cdmi_objects.py.

CDMI 1.x clients send X-CDMI-Specification-Version (a 1.x version is accepted and echoed as
1.1.1); 2.x clients send none."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from occi_server.backends.base import ObjectStore
from occi_server.cdmi.bodies import BodyError
from occi_server.cdmi.ranges import RangeError
from occi_server.config import Config
from occi_server.errors import BadRequest, OcciError, PayloadTooLarge
from occi_server.http.csrf import cross_site
from occi_server.http.hosts import HostPolicy
from occi_server.identity.auth import Authenticator

log = logging.getLogger("occi_server.cdmi")
PREFIX = "/cdmi"
CHUNK = 1 << 20
SPEC_VERSION = "1.1.1"
_VERSION_1 = re.compile(r"1\.\d{1,3}(\.\d{1,3})?")


class ClientGone(Exception):
    """The client disconnected (or the edge cut a slow body off): nothing to answer."""


class Exchange:
    """One request and its answer, as CDMI handlers see them."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, server: bytes) -> None:
        self.method: str = scope["method"]
        self.path = scope["path"][len(PREFIX) :] or "/"
        self.query = unquote(scope.get("query_string", b"").decode("latin-1"))
        self.headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")
        self.scope = scope
        self._receive = receive
        self._send = send
        self.started = False
        self.version: str | None = None  # echoed when the client named one
        self._server = server

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def fields(self) -> list[str]:
        """`?a;b;value:0-9` field selection of a CDMI read ([] for none)."""
        return [f for f in self.query.split(";") if f] if self.query else []

    def check_version(self) -> None:
        asked = self.header("x-cdmi-specification-version")
        if asked is None:
            return
        versions = [v.strip() for v in asked.split(",")]
        if not any(_VERSION_1.fullmatch(v) for v in versions):
            raise BadRequest(
                f"X-CDMI-Specification-Version: {asked[:60]!r} names no 1.x version "
                f"(this server speaks {SPEC_VERSION}, and 2.x without the header)"
            )
        self.version = SPEC_VERSION

    # -- answers ------------------------------------------------------------------------------
    async def start(self, status: int, headers: list[tuple[str, str]], length: int) -> None:
        base = [("content-length", str(length)), ("server", self._server.decode())]
        if self.version:
            base.append(("x-cdmi-specification-version", self.version))
        encoded = [(n.lower().encode(), v.encode("utf-8")) for n, v in [*base, *headers]]
        self.started = True
        await self._send({"type": "http.response.start", "status": status, "headers": encoded})

    async def answer(
        self, status: int, body: bytes = b"", headers: list[tuple[str, str]] | None = None
    ) -> None:
        await self.start(status, headers or [], len(body))
        await self._send(
            {"type": "http.response.body", "body": b"" if self.method == "HEAD" else body}
        )

    async def answer_head(self, status: int, headers: list[tuple[str, str]], length: int) -> None:
        """A HEAD's answer: the headers a GET would have, no body."""
        await self.start(status, headers, length)
        await self._send({"type": "http.response.body", "body": b""})

    async def json(self, status: int, media_type: str, document: dict[str, Any]) -> None:
        body = json.dumps(document, indent=2).encode() + b"\n"
        await self.answer(status, body, [("content-type", media_type)])

    async def error(self, status: int, message: str, headers: dict[str, str]) -> None:
        body = (message + "\n").encode()
        await self.answer(
            status, body, [("content-type", "text/plain; charset=utf-8"), *headers.items()]
        )

    async def stream(
        self,
        status: int,
        headers: list[tuple[str, str]],
        read: Callable[[int, int], bytes],
        start: int,
        length: int,
    ) -> None:
        """`length` bytes from `start`, read in chunks off the event loop."""
        if self.method == "HEAD":
            await self.answer_head(status, headers, length)
            return
        await self.start(status, headers, length)
        offset, end = start, start + length
        while offset < end:
            chunk = await run_in_threadpool(read, offset, min(CHUNK, end - offset))
            if not chunk:  # the bytes shrank under us: the answer is cut short (and so closed)
                raise ClientGone(f"{self.path}: ended at {offset} of {end}")
            offset += len(chunk)
            await self._send(
                {"type": "http.response.body", "body": chunk, "more_body": offset < end}
            )

    # -- bodies -------------------------------------------------------------------------------
    def declared_length(self) -> int | None:
        value = self.header("content-length")
        return int(value) if value is not None and value.isdigit() else None

    async def body(self, limit: int) -> bytes:
        """A small body (CDMI JSON), whole; 413 past `limit`."""
        declared = self.declared_length()
        if declared is not None and declared > limit:
            raise PayloadTooLarge(f"a CDMI JSON body is limited to {limit} bytes")
        parts: list[bytes] = []
        size = 0
        async for chunk in self._chunks():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"a CDMI JSON body is limited to {limit} bytes")
            parts.append(chunk)
        return b"".join(parts)

    async def receive_into(self, path: Path, offset: int, limit: int, truncate: bool) -> int:
        """Write the body into `path` from `offset` (the file made if missing); the byte count.
        Past `limit` (the object's end the server allows) 413, the file left as it was cut."""
        declared = self.declared_length()
        if declared is not None and offset + declared > limit:
            raise PayloadTooLarge(
                f"an object is limited to {limit} bytes ([cdmi] max_upload_bytes)"
            )
        handle = await run_in_threadpool(_open, path, offset, truncate)
        written, pending = 0, bytearray()
        try:
            async for chunk in self._chunks():
                written += len(chunk)
                if offset + written > limit:
                    raise PayloadTooLarge(
                        f"an object is limited to {limit} bytes ([cdmi] max_upload_bytes)"
                    )
                pending += chunk
                if len(pending) >= CHUNK:
                    await run_in_threadpool(handle.write, bytes(pending))
                    pending.clear()
            if pending:
                await run_in_threadpool(handle.write, bytes(pending))
        finally:
            await run_in_threadpool(handle.close)
        return written

    async def _chunks(self) -> Any:
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise ClientGone(self.path)
            chunk = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return


def _open(path: Path, offset: int, truncate: bool) -> Any:
    handle = open(path, "r+b" if path.exists() and not truncate else "wb")  # noqa: SIM115
    handle.seek(offset)
    return handle


class CdmiSurface:
    """The ASGI app for /cdmi/ paths (http/app.py hands them over before reading any body)."""

    def __init__(
        self,
        config: Config,
        objects: ObjectStore,
        authenticator: Authenticator,
        hosts: HostPolicy,
        server: bytes,
    ) -> None:
        from occi_server.http.cdmi_objects import Handlers

        self.authenticator = authenticator
        self.hosts = hosts
        self.server = server
        self.handlers = Handlers(config.cdmi, objects)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        exchange = Exchange(scope, receive, send, self.server)
        try:
            await self._handle(exchange)
        except ClientGone:
            return
        except Exception as error:
            await self._fail(exchange, error)

    async def _handle(self, exchange: Exchange) -> None:
        scope = exchange.scope
        exchange.check_version()
        base_url = self.hosts.base_url(
            scope.get("scheme", "http"),
            exchange.header("host"),
            scope.get("server"),
            scope.get("root_path", ""),
        )
        refused = cross_site(exchange.method, exchange.headers, base_url)
        if refused is not None:
            raise refused
        client = (scope.get("client") or ("",))[0]
        ctx = await run_in_threadpool(
            self.authenticator.authenticate, exchange.headers, base_url, client
        )
        await self.handlers.handle(exchange, ctx, base_url)

    async def _fail(self, exchange: Exchange, error: Exception) -> None:
        if isinstance(error, OcciError):
            status, message, headers = error.status, error.message, dict(error.headers)
        elif isinstance(error, RangeError):
            status, message, headers = (416 if error.unsatisfiable else 400), str(error), {}
        elif isinstance(error, BodyError):
            status, message, headers = 400, str(error), {}
        else:
            log.exception("unexpected error on %s %s", exchange.method, exchange.path)
            status, message, headers = 500, "internal error; the request was not carried out", {}
        if exchange.started:
            return  # mid-stream: the connection closes with the answer cut short
        await exchange.error(status, message, headers)


def remove_quietly(path: Path | str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
