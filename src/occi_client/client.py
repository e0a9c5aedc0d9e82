"""Client (sync) and AsyncClient: httpx clients that drive the operations of operations.py.

    with Client("http://127.0.0.1:8787", auth=TokenAuth(token)) as occi:
        vm = occi.create("compute", mixins=["os_tpl#cirros-0.3.0-x86_64-uec", "resource_tpl#itsy"])
        occi.trigger(vm, "stop")

Every method of Operations is a method of both clients with the same arguments.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar

import httpx

from occi_client import __version__
from occi_client.auth import TokenAuth
from occi_client.errors import OCCIClientError
from occi_client.model import Model
from occi_client.operations import Op, Operations, Sleep

P = ParamSpec("P")
T = TypeVar("T")
USER_AGENT = f"occi-client/{__version__} python-httpx/{httpx.__version__} OCCI/1.2"
AuthLike = httpx.Auth | tuple[str, str] | str | None


class TransportFailure(OCCIClientError):
    """The server could not be reached or broke the connection."""


def _auth(auth: AuthLike) -> httpx.Auth | tuple[str, str] | None:
    """A bare string is a token (X-Auth-Token); a pair is HTTP Basic."""
    return TokenAuth(auth) if isinstance(auth, str) else auth


def _defaults(request: httpx.Request, headers: httpx.Headers) -> None:
    """The client's default headers (User-Agent) on a request built outside it."""
    for name, value in headers.items():
        if name not in request.headers:
            request.headers[name] = value


def _sync(op: Callable[Concatenate[Operations, P], Op[T]]) -> Callable[Concatenate[Client, P], T]:
    def method(self: Client, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._run(op(self.ops, *args, **kwargs))

    method.__name__ = op.__name__
    method.__doc__ = op.__doc__
    return method


def _async(
    op: Callable[Concatenate[Operations, P], Op[T]],
) -> Callable[Concatenate[AsyncClient, P], Coroutine[Any, Any, T]]:
    async def method(self: AsyncClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._run(op(self.ops, *args, **kwargs))

    method.__name__ = op.__name__
    method.__doc__ = op.__doc__
    return method


def _http_options(
    auth: AuthLike, timeout: float, verify: bool | str, headers: dict[str, str] | None
) -> dict[str, Any]:
    return {
        "auth": _auth(auth),
        "timeout": timeout,
        "verify": verify,
        "headers": {"User-Agent": USER_AGENT, **(headers or {})},
        "follow_redirects": True,
    }


class Client:
    """A synchronous OCCI client. `rendering`: text/plain, text/occi, application/occi+json
    (or plain/occi/json), None to negotiate."""

    def __init__(
        self,
        endpoint: str,
        auth: AuthLike = None,
        *,
        rendering: str | None = None,
        timeout: float = 60.0,
        verify: bool | str = True,
        headers: dict[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.ops = Operations(endpoint, rendering)
        self.http = httpx.Client(
            transport=transport, **_http_options(auth, timeout, verify, headers)
        )

    @property
    def model(self) -> Model:
        """The query interface's answer (fetched once, then cached)."""
        return self.discover()

    def _run(self, op: Op[T]) -> T:
        try:
            step = next(op)
            while True:
                if isinstance(step, Sleep):
                    time.sleep(step.seconds)
                    step = op.send(None)
                else:
                    _defaults(step, self.http.headers)
                    try:
                        response = self.http.send(step)
                    except httpx.TransportError as error:
                        raise TransportFailure(f"{step.method} {step.url}: {error}") from error
                    step = op.send(response)
        except StopIteration as done:
            result: T = done.value
            return result

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    discover = _sync(Operations.discover)
    list = _sync(Operations.locations)
    describe = _sync(Operations.describe)
    describe_all = _sync(Operations.describe_all)
    create = _sync(Operations.create)
    update = _sync(Operations.update)
    replace = _sync(Operations.replace)
    delete = _sync(Operations.delete)
    unlink = _sync(Operations.delete)
    trigger = _sync(Operations.trigger)
    link = _sync(Operations.link)
    associate = _sync(Operations.associate)
    dissociate = _sync(Operations.dissociate)
    set_members = _sync(Operations.set_members)
    create_mixin = _sync(Operations.create_mixin)
    delete_mixin = _sync(Operations.delete_mixin)
    wait = _sync(Operations.wait)


class AsyncClient:
    """The asyncio twin of Client: the same methods, awaited."""

    def __init__(
        self,
        endpoint: str,
        auth: AuthLike = None,
        *,
        rendering: str | None = None,
        timeout: float = 60.0,
        verify: bool | str = True,
        headers: dict[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.ops = Operations(endpoint, rendering)
        self.http = httpx.AsyncClient(
            transport=transport, **_http_options(auth, timeout, verify, headers)
        )

    async def _run(self, op: Op[T]) -> T:
        try:
            step = next(op)
            while True:
                if isinstance(step, Sleep):
                    await asyncio.sleep(step.seconds)
                    step = op.send(None)
                else:
                    _defaults(step, self.http.headers)
                    try:
                        response = await self.http.send(step)
                    except httpx.TransportError as error:
                        raise TransportFailure(f"{step.method} {step.url}: {error}") from error
                    step = op.send(response)
        except StopIteration as done:
            result: T = done.value
            return result

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    discover = _async(Operations.discover)
    list = _async(Operations.locations)
    describe = _async(Operations.describe)
    describe_all = _async(Operations.describe_all)
    create = _async(Operations.create)
    update = _async(Operations.update)
    replace = _async(Operations.replace)
    delete = _async(Operations.delete)
    unlink = _async(Operations.delete)
    trigger = _async(Operations.trigger)
    link = _async(Operations.link)
    associate = _async(Operations.associate)
    dissociate = _async(Operations.dissociate)
    set_members = _async(Operations.set_members)
    create_mixin = _async(Operations.create_mixin)
    delete_mixin = _async(Operations.delete_mixin)
    wait = _async(Operations.wait)
