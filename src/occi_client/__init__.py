"""occi_client: a client for OCCI 1.1 / 1.2 servers, on httpx, sync and async.

It reads every rendering servers send (text/plain, text/occi, application/occi+json) with its
own parsers; it shares no code with occi_server.
"""

from __future__ import annotations

__version__ = "0.1.0"

from occi_client.auth import BasicAuth, KeystoneAuth, TokenAuth
from occi_client.client import AsyncClient, Client, TransportFailure
from occi_client.clouds import CloudConfigError, keystone_auth
from occi_client.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    OCCIClientError,
    OCCIError,
    ProtocolError,
    ServerError,
    Unauthorized,
    WaitTimeout,
)
from occi_client.model import (
    AttributeDef,
    Category,
    Entity,
    Link,
    Model,
    UnknownCategory,
)

__all__ = [
    "AsyncClient",
    "AttributeDef",
    "BadRequest",
    "BasicAuth",
    "Category",
    "Client",
    "CloudConfigError",
    "Conflict",
    "Entity",
    "Forbidden",
    "KeystoneAuth",
    "Link",
    "Model",
    "NotFound",
    "OCCIClientError",
    "OCCIError",
    "ProtocolError",
    "ServerError",
    "TokenAuth",
    "TransportFailure",
    "Unauthorized",
    "UnknownCategory",
    "WaitTimeout",
    "keystone_auth",
]
