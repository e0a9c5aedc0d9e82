"""Credentials as httpx auth flows (the same flow serves the sync and the async client).

- TokenAuth: `X-Auth-Token` (and the walkthrough's optional `X-Auth-Tenant-Id`/`X-Auth-User`).
- BasicAuth: httpx's HTTP Basic.
- KeystoneAuth: what rOCCI-cli did. Send the request; on `401` with
  `WWW-Authenticate: Keystone uri=...` get a v3 token from that Keystone (password, token or
  application credential), scoped to the given project, or, with none given, to the first of the
  caller's projects that Keystone scopes a token to; then send the request again with it. The
  token is kept and renewed once when the server refuses it later (expiry).
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import httpx

from occi_client.errors import Unauthorized, message_of

BasicAuth = httpx.BasicAuth

_KEYSTONE = re.compile(r"""Keystone\s+uri\s*=\s*['"]?([^'",\s]+)""", re.IGNORECASE)

Flow = Generator[httpx.Request, httpx.Response, None]


class TokenAuth(httpx.Auth):
    def __init__(self, token: str, tenant: str | None = None, user: str | None = None) -> None:
        self.token = token
        self.tenant = tenant
        self.user = user

    def auth_flow(self, request: httpx.Request) -> Flow:
        request.headers["X-Auth-Token"] = self.token
        if self.tenant:
            request.headers["X-Auth-Tenant-Id"] = self.tenant
        if self.user:
            request.headers["X-Auth-User"] = self.user
        yield request


def keystone_uri(challenge: str) -> str | None:
    """The Keystone URL of a `WWW-Authenticate: Keystone uri='...'` challenge."""
    match = _KEYSTONE.search(challenge)
    return match.group(1) if match else None


def v3_url(auth_url: str) -> str:
    url = auth_url.rstrip("/")
    if url.endswith("/v3"):
        return url
    if url.endswith("/v2.0"):
        return url[: -len("/v2.0")] + "/v3"
    return url + "/v3"


@dataclass
class KeystoneAuth(httpx.Auth):
    """Keystone v3. Give `username`+`password`, `token`, or an application credential."""

    username: str | None = None
    password: str | None = None
    user_id: str | None = None
    user_domain_name: str | None = "Default"
    user_domain_id: str | None = None
    project_name: str | None = None
    project_id: str | None = None
    project_domain_name: str | None = "Default"
    project_domain_id: str | None = None
    token: str | None = None  # an existing Keystone token to scope (method "token")
    application_credential_id: str | None = None
    application_credential_secret: str | None = None
    auth_url: str | None = None  # when None, the server's WWW-Authenticate says where
    scoped_token: str | None = None  # the current token (set after authentication)

    requires_response_body = True

    def auth_flow(self, request: httpx.Request) -> Flow:
        if self.scoped_token is None and self.auth_url:
            yield from self._authenticate(self.auth_url)
        if self.scoped_token:
            request.headers["X-Auth-Token"] = self.scoped_token
        response = yield request
        if response.status_code != 401:
            return
        where = self.auth_url or keystone_uri(response.headers.get("www-authenticate", ""))
        if where is None:
            return  # not a Keystone-protected server: the 401 stands
        yield from self._authenticate(where)
        assert self.scoped_token is not None
        request.headers["X-Auth-Token"] = self.scoped_token
        yield request

    # --- the Keystone exchange ----------------------------------------------------------------

    def _authenticate(self, auth_url: str) -> Flow:
        base = v3_url(auth_url)
        self.auth_url = auth_url
        if self.application_credential_id:
            self.scoped_token = yield from self._issue(base, self._identity(), None)
            return
        scope = self._project_scope()
        if scope is not None:
            self.scoped_token = yield from self._issue(base, self._identity(), scope)
            return
        # No project given: an unscoped token, then the first project it can be scoped to.
        unscoped = yield from self._issue(base, self._identity(), None)
        response = yield httpx.Request(
            "GET", base + "/auth/projects", headers={"X-Auth-Token": unscoped}
        )
        _check(response, "listing your projects")
        projects = [p for p in response.json().get("projects", []) if p.get("enabled", True)]
        if not projects:
            raise Unauthorized(401, "Keystone: the user has no project", "GET", str(response.url))
        last: Unauthorized | None = None
        for project in projects:
            identity = {"methods": ["token"], "token": {"id": unscoped}}
            try:
                self.scoped_token = yield from self._issue(
                    base, identity, {"project": {"id": project["id"]}}
                )
                return
            except Unauthorized as error:
                last = error
        assert last is not None
        raise last

    def _issue(
        self, base: str, identity: dict[str, Any], scope: dict[str, Any] | None
    ) -> Generator[httpx.Request, httpx.Response, str]:
        body: dict[str, Any] = {"auth": {"identity": identity}}
        if scope is not None:
            body["auth"]["scope"] = scope
        response = yield httpx.Request(
            "POST",
            base + "/auth/tokens",
            content=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        _check(response, "getting a token")
        token = response.headers.get("x-subject-token")
        if not token:
            raise Unauthorized(401, "Keystone answered without X-Subject-Token", "POST", base)
        return str(token)

    def _identity(self) -> dict[str, Any]:
        if self.application_credential_id:
            return {
                "methods": ["application_credential"],
                "application_credential": {
                    "id": self.application_credential_id,
                    "secret": self.application_credential_secret or "",
                },
            }
        if self.token:
            return {"methods": ["token"], "token": {"id": self.token}}
        if not (self.username or self.user_id) or self.password is None:
            raise Unauthorized(
                401, "Keystone asks for credentials: give a username and password or a token"
            )
        user: dict[str, Any] = {"password": self.password}
        if self.user_id:
            user["id"] = self.user_id
        else:
            user["name"] = self.username
            user["domain"] = _domain(self.user_domain_id, self.user_domain_name)
        return {"methods": ["password"], "password": {"user": user}}

    def _project_scope(self) -> dict[str, Any] | None:
        if self.project_id:
            return {"project": {"id": self.project_id}}
        if self.project_name:
            return {
                "project": {
                    "name": self.project_name,
                    "domain": _domain(self.project_domain_id, self.project_domain_name),
                }
            }
        return None


def _domain(domain_id: str | None, name: str | None) -> dict[str, str]:
    return {"id": domain_id} if domain_id else {"name": name or "Default"}


def _check(response: httpx.Response, doing: str) -> None:
    if response.status_code >= 400:
        raise Unauthorized(
            response.status_code,
            f"Keystone refused {doing}: {message_of(response)}",
            response.request.method,
            str(response.request.url),
        )
