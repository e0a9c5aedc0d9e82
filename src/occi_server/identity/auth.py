"""Who is calling: token, HTTP Basic, Keystone, or (explicitly) nobody; always one project.

Authentication is identity's business: http/ hands the request headers to an Authenticator and
receives a RequestContext; nothing here knows HTTP beyond header names.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Mapping
from typing import Literal, Protocol

from cachetools import TTLCache
from sqlalchemy import Engine

from occi_server.config import LimitsConfig
from occi_server.context import RequestContext
from occi_server.errors import Unauthorized
from occi_server.identity.passwords_gate import PasswordGate
from occi_server.identity.store import Identity, IdentityStore

CHALLENGE = 'Token realm="occi-server", Basic realm="occi-server"'


class Authenticator(Protocol):
    def authenticate(
        self, headers: Mapping[str, str], base_url: str, source: str = ""
    ) -> RequestContext: ...


class NoAuth:
    """--auth none: every request acts as one default project (logged loudly at start)."""

    def __init__(self, project: str = "default", user: str = "anonymous") -> None:
        self.project = project
        self.user = user

    def authenticate(
        self, headers: Mapping[str, str], base_url: str, source: str = ""
    ) -> RequestContext:
        return RequestContext(
            project_id=self.project,
            project_name=self.project,
            user_id=self.user,
            user_name=self.user,
            base_url=base_url,
        )


class LocalAuth:
    """Tokens minted by `occi-server token create`, or HTTP Basic users, from the local store.

    Successful token look-ups are cached briefly: a token check is a database query, and a
    client sends the same token on every request. Failures are never cached. Passwords go
    through a PasswordGate (cached on success, throttled on failure).
    """

    def __init__(
        self,
        store: IdentityStore,
        cache_seconds: float = 30.0,
        gate: PasswordGate | None = None,
    ) -> None:
        self.store = store
        self.gate = gate or PasswordGate(store, cache_seconds=cache_seconds)
        self._tokens: TTLCache[str, Identity] = TTLCache(maxsize=4096, ttl=cache_seconds)
        self._lock = threading.Lock()

    def is_costly(self, headers: Mapping[str, str]) -> bool:
        """True when authenticating these headers would run scrypt (Basic, not cached)."""
        if headers.get("x-auth-token"):
            return False
        authorization = headers.get("authorization", "")
        if authorization[:6].lower() != "basic ":
            return False
        try:
            user, password = _basic_credentials(authorization[6:])
        except Unauthorized:
            return False
        return self.gate.cached(user, password, _hint(headers)) is None

    def authenticate(
        self, headers: Mapping[str, str], base_url: str, source: str = ""
    ) -> RequestContext:
        identity = self._identify(headers, source)
        check_claimed_identity(
            headers,
            identity.project_id,
            identity.project_name,
            identity.user_id,
            identity.user_name,
        )
        return RequestContext(
            project_id=identity.project_id,
            project_name=identity.project_name,
            user_id=identity.user_id,
            user_name=identity.user_name,
            token=headers.get("x-auth-token"),
            base_url=base_url,
        )

    def _identify(self, headers: Mapping[str, str], source: str) -> Identity:
        token = headers.get("x-auth-token")
        if token:
            found = self._token_identity(token.strip())
            if found is None:
                raise Unauthorized(
                    "X-Auth-Token: invalid or expired token",
                    headers={"WWW-Authenticate": CHALLENGE},
                )
            return found
        authorization = headers.get("authorization", "")
        if authorization[:6].lower() == "basic ":
            user, password = _basic_credentials(authorization[6:])
            found = self.gate.check(user, password, _hint(headers), source)
            if found is None:
                raise Unauthorized(
                    "Authorization: wrong user name or password (a user name held in several "
                    "projects needs X-Auth-Tenant-Id)",
                    headers={"WWW-Authenticate": CHALLENGE},
                )
            return found
        raise Unauthorized(
            "authentication required: send X-Auth-Token or HTTP Basic credentials",
            headers={"WWW-Authenticate": CHALLENGE},
        )

    def revoke(self, token: str) -> bool:
        """Revoke a token at once in this process. Other worker processes may still accept it
        from their cache for up to `cache_seconds`."""
        with self._lock:
            self._tokens.pop(token, None)
        return self.store.revoke_token(token)

    def _token_identity(self, token: str) -> Identity | None:
        with self._lock:
            cached = self._tokens.get(token)
        if cached is not None:
            return cached
        found = self.store.authenticate_token(token)
        if found is not None:
            with self._lock:
                self._tokens[token] = found
        return found


def check_claimed_identity(
    headers: Mapping[str, str], project_id: str, project_name: str, user_id: str, user_name: str
) -> None:
    """The walkthrough's X-Auth-Tenant-Id / X-Auth-User must agree with the credentials."""
    tenant = headers.get("x-auth-tenant-id")
    if tenant is not None and tenant.strip() not in (project_id, project_name):
        raise Unauthorized(
            "X-Auth-Tenant-Id: does not match the credentials' project",
            headers={"WWW-Authenticate": CHALLENGE},
        )
    user = headers.get("x-auth-user")
    if user is not None and user.strip() not in (user_id, user_name):
        raise Unauthorized(
            "X-Auth-User: does not match the credentials' user",
            headers={"WWW-Authenticate": CHALLENGE},
        )


def _hint(headers: Mapping[str, str]) -> str | None:
    """The walkthrough's X-Auth-Tenant-Id: picks among users of one name in several projects."""
    tenant = headers.get("x-auth-tenant-id")
    return tenant.strip() if tenant is not None else None


def _basic_credentials(encoded: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized(
            "Authorization: malformed Basic credentials", headers={"WWW-Authenticate": CHALLENGE}
        ) from None
    user, sep, password = decoded.partition(":")
    if not sep:
        raise Unauthorized(
            "Authorization: malformed Basic credentials", headers={"WWW-Authenticate": CHALLENGE}
        )
    return user, password


def build_authenticator(
    mode: Literal["none", "token", "keystone"],
    engine: Engine,
    limits: LimitsConfig | None = None,
) -> Authenticator:
    """The authenticator `[server] auth` names; `engine` holds the local identity store."""
    if mode == "none":
        return NoAuth()
    if mode == "token":
        store = IdentityStore(engine)
        limits = limits or LimitsConfig()
        gate = PasswordGate(store, failures=limits.password_failures, window=limits.password_window)
        return LocalAuth(store, gate=gate)
    # Keystone projects own the embedded cloud's resources, as they would OpenStack's.
    from occi_server.identity.keystone import KeystoneAuth

    return KeystoneAuth.from_environment()
