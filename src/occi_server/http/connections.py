"""uvicorn's HTTP protocol (h11, what its "auto" choice picks here), counting open connections.

Used only when metrics are on; ASGI itself never says when a connection opens or closes.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

from occi_server import telemetry


class CountingProtocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        telemetry.connection_opened()
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        telemetry.connection_closed()
        super().connection_lost(exc)
