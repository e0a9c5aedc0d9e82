"""The ASGI app called in process through httpx: real requests and answers, no server process.

`client(app)` is an httpx.Client whose transport runs each request through the app on a fresh
event loop (httpx's own ASGITransport is asynchronous only), so the synchronous OcciClient of
tests/support works unchanged against it.
"""

from __future__ import annotations

import asyncio

import httpx
from starlette.types import ASGIApp

BASE = "http://127.0.0.1:8787"


class InProcess(httpx.BaseTransport):
    def __init__(self, app: ASGIApp) -> None:
        self._asgi = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            response = await self._asgi.handle_async_request(request)
            body = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=body)

        return asyncio.run(send())


def client(app: ASGIApp) -> httpx.Client:
    return httpx.Client(transport=InProcess(app), base_url=BASE, timeout=30)
