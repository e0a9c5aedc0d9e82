"""The ceiling: a trivial ASGI app on the same server stack (uvicorn + Starlette) as occi-server.

It answers every request with a static body of a given size, so the ratio to it shows what the
OCCI layer costs on top of HTTP handling alone.
"""

from __future__ import annotations

import os

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

BODY = b"x" * int(os.environ.get("BASELINE_BODY_BYTES", "4096"))


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    response = Response(BODY, media_type="text/plain")
    await response(scope, receive, send)
