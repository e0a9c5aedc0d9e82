"""--auth keystone: the caller's X-Auth-Token, validated by Keystone and then used as it is.

A service identity (clouds.yaml with OS_CLOUD, or the OS_* variables; a v3 password or a v3
application credential) is used for one thing only: asking Keystone whether a caller's token is
valid (GET /v3/auth/tokens). Validations are cached briefly (never past the token's expiry), so
a burst of requests costs one Keystone call. The validated token, with its catalogue, is what
the openstack backend acts with. A refusal says what Keystone said; Keystone unreachable is 503.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from keystoneauth1 import access, exceptions, session
from keystoneauth1.identity import v3

from occi_server import telemetry
from occi_server.context import RequestContext
from occi_server.errors import ServiceUnavailable, Unauthorized
from occi_server.identity.auth import check_claimed_identity

_CACHE_SECONDS = 60.0
_CACHE_LIMIT = 10_000
RETRY_AFTER = 5
PASSWORD, APPLICATION_CREDENTIAL = "v3password", "v3applicationcredential"
_AUTH_TYPES = {
    "password": PASSWORD,
    PASSWORD: PASSWORD,
    APPLICATION_CREDENTIAL: APPLICATION_CREDENTIAL,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class KeystoneSettings:
    auth_url: str
    username: str = ""
    password: str = ""
    project_name: str = ""
    user_domain_name: str = "Default"
    project_domain_name: str = "Default"
    region_name: str | None = None
    auth_type: str = PASSWORD
    # v3applicationcredential: the credential's id, or its name with the user's name or id
    application_credential_id: str = ""
    application_credential_name: str = ""
    application_credential_secret: str = ""
    user_id: str = ""
    # The Keystone URL clients are told to get tokens from (WWW-Authenticate); default auth_url.
    public_url: str | None = None
    timeout: float = 10.0
    cache_seconds: float = _CACHE_SECONDS

    @property
    def www_authenticate(self) -> str:
        # Single quotes: pOCCI and rOCCI-cli parse the header that way.
        return f"Keystone uri='{self.public_url or self.auth_url}'"

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> KeystoneSettings:
        """OS_CLOUD (clouds.yaml) when set, else OS_AUTH_URL, OS_USERNAME, ... as OpenStack has."""
        env = os.environ if env is None else env
        if env.get("OS_CLOUD"):
            return cls._from_clouds_yaml(env["OS_CLOUD"], env)
        auth = {
            key: env.get("OS_" + key.upper(), "")
            for key in (
                "auth_url",
                "username",
                "password",
                "project_name",
                "user_domain_name",
                "project_domain_name",
                "application_credential_id",
                "application_credential_name",
                "application_credential_secret",
                "user_id",
            )
        }
        return cls._checked(
            env.get("OS_AUTH_TYPE", ""), auth, env.get("OS_REGION_NAME"), env, prefix="OS_"
        )

    @classmethod
    def _from_clouds_yaml(cls, cloud: str, env: Mapping[str, str]) -> KeystoneSettings:
        from openstack.config import loader

        found = loader.OpenStackConfig().get_one(cloud=cloud)
        auth: dict[str, Any] = {k: str(v) for k, v in found.config.get("auth", {}).items() if v}
        kind = str(found.config.get("auth_type") or "")
        return cls._checked(kind, auth, found.config.get("region_name"), env, prefix="auth.")

    @classmethod
    def _checked(
        cls,
        kind: str,
        auth: Mapping[str, str],
        region: str | None,
        env: Mapping[str, str],
        *,
        prefix: str,
    ) -> KeystoneSettings:
        """The settings, or a ValueError naming what is missing for this kind of auth."""
        if not kind:
            secret = auth.get("application_credential_secret")
            kind = APPLICATION_CREDENTIAL if secret else PASSWORD
        auth_type = _AUTH_TYPES.get(kind)
        if auth_type is None:
            label = "auth_type" if prefix == "auth." else "OS_AUTH_TYPE"
            raise ValueError(
                f"{label} {kind!r}: the service identity needs {PASSWORD} or "
                f"{APPLICATION_CREDENTIAL}"
            )
        if auth_type == PASSWORD:
            needed = [("auth_url",), ("username", "user_id"), ("password",)]
        else:
            needed = [
                ("auth_url",),
                ("application_credential_id", "application_credential_name"),
                ("application_credential_secret",),
            ]
            if not auth.get("application_credential_id"):
                needed.append(("username", "user_id"))
        missing = [
            " or ".join(_name(prefix, key) for key in keys)
            for keys in needed
            if not any(auth.get(key) for key in keys)
        ]
        if missing:
            raise ValueError(
                f"keystone auth ({auth_type}) needs OS_CLOUD or {', '.join(missing)} "
                "for the service identity"
            )
        return cls(
            auth_url=str(auth["auth_url"]).rstrip("/"),
            username=auth.get("username", ""),
            password=auth.get("password", ""),
            project_name=auth.get("project_name", ""),
            user_domain_name=auth.get("user_domain_name") or "Default",
            project_domain_name=auth.get("project_domain_name") or "Default",
            region_name=region or None,
            public_url=env.get("OCCI_KEYSTONE_PUBLIC_URL") or None,
            auth_type=auth_type,
            application_credential_id=auth.get("application_credential_id", ""),
            application_credential_name=auth.get("application_credential_name", ""),
            application_credential_secret=auth.get("application_credential_secret", ""),
            user_id=auth.get("user_id", ""),
        )

    def plugin(self) -> v3.Password | v3.ApplicationCredential:
        """The keystoneauth plugin of the service identity."""
        if self.auth_type == APPLICATION_CREDENTIAL:
            return v3.ApplicationCredential(
                auth_url=self.auth_url,
                application_credential_id=self.application_credential_id or None,
                application_credential_name=self.application_credential_name or None,
                application_credential_secret=self.application_credential_secret,
                username=self.username or None,
                user_id=self.user_id or None,
                user_domain_name=self.user_domain_name,
            )
        return v3.Password(
            auth_url=self.auth_url,
            username=self.username or None,
            user_id=self.user_id or None,
            password=self.password,
            project_name=self.project_name or None,
            user_domain_name=self.user_domain_name,
            project_domain_name=self.project_domain_name,
        )


def _name(prefix: str, key: str) -> str:
    return prefix + (key.upper() if prefix == "OS_" else key)


class TokenValidator:
    """Validates callers' tokens with the service identity; thread-safe, briefly cached."""

    def __init__(self, settings: KeystoneSettings, http: session.Session | None = None) -> None:
        self.settings = settings
        self._plugin = settings.plugin()
        self.http = http or session.Session(auth=self._plugin, timeout=settings.timeout)
        self._cache: dict[str, tuple[float, access.AccessInfo]] = {}
        self._lock = threading.Lock()

    def validate(self, token: str) -> access.AccessInfo:
        """The token's AccessInfo (user, project, roles, catalogue); Unauthorized if invalid."""
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(token)
        if hit is not None and hit[0] > now:
            return hit[1]
        info = self._ask_keystone(token)
        with self._lock:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            self._cache[token] = (now + self._lifetime(info), info)
        return info

    def forget(self, token: str) -> None:
        with self._lock:
            self._cache.pop(token, None)

    def unauthorized(self, message: str) -> Unauthorized:
        return Unauthorized(message, headers={"WWW-Authenticate": self.www_authenticate()})

    def www_authenticate(self) -> str:
        """Where clients get tokens: OCCI_KEYSTONE_PUBLIC_URL, else the public identity endpoint
        of the catalogue the service identity already holds (no call is made for it), else the
        auth URL."""
        if self.settings.public_url:
            return self.settings.www_authenticate
        public = None
        held = getattr(self._plugin, "auth_ref", None)
        if held is not None:
            try:
                public = held.service_catalog.url_for(
                    service_type="identity",
                    interface="public",
                    region_name=self.settings.region_name,
                )
            except exceptions.EndpointNotFound:
                public = None
        return f"Keystone uri='{str(public or self.settings.auth_url).rstrip('/')}'"

    def _ask_keystone(self, token: str) -> access.AccessInfo:
        url = self.settings.auth_url.rstrip("/")
        url = url if url.endswith("/v3") else url + "/v3"
        started = time.perf_counter()
        failed = True
        request_id = telemetry.request_id()
        try:
            response = self.http.get(
                url + "/auth/tokens",
                headers={
                    "X-Subject-Token": token,
                    **({"X-OpenStack-Request-Id": request_id} if request_id else {}),
                },
                raise_exc=False,
                authenticated=True,
            )
            failed = response.status_code >= 500
        except (exceptions.ConnectionError, exceptions.DiscoveryFailure) as error:
            raise ServiceUnavailable(
                f"Keystone ({self.settings.auth_url}) is unreachable: {type(error).__name__}; "
                "retry later",
                RETRY_AFTER,
            ) from error
        except exceptions.Unauthorized as error:
            raise ServiceUnavailable(
                f"the server's own Keystone credentials ({self.settings.auth_type}) were "
                f"refused: {_said(error.response, token)}",
                RETRY_AFTER,
            ) from error
        finally:
            telemetry.backend_call("identity", time.perf_counter() - started, failed)
        if response.status_code in (401, 403, 404):
            raise self.unauthorized(
                "X-Auth-Token: Keystone refused the token (invalid, expired or revoked): "
                + _said(response, token)
            )
        if response.status_code >= 400:
            raise ServiceUnavailable(
                f"Keystone answered {response.status_code} to a validation: "
                + _said(response, token),
                RETRY_AFTER,
            )
        return access.create(resp=response, body=response.json(), auth_token=token)

    def readiness(self, timeout: float) -> dict[str, str | None]:
        """Keystone answers (its version document, without credentials)."""
        try:
            response = self.http.get(
                self.settings.auth_url, authenticated=False, raise_exc=False, timeout=timeout
            )
        except exceptions.ClientException as error:
            return {"keystone": f"unreachable ({type(error).__name__})"}
        if response.status_code >= 500:
            return {"keystone": f"answered {response.status_code}"}
        return {"keystone": None}

    def endpoints(self, services: tuple[str, ...], interface: str) -> dict[str, str | None]:
        """Each service's endpoint in the service identity's catalogue (None: not found)."""
        found: dict[str, str | None] = {}
        for service in services:
            try:
                found[service] = self.http.get_endpoint(
                    service_type=service,
                    interface=interface,
                    region_name=self.settings.region_name,
                )
            except exceptions.EndpointNotFound:
                found[service] = None
        return found

    def _lifetime(self, info: access.AccessInfo) -> float:
        expires = info.expires
        left = self.settings.cache_seconds
        if expires is not None:
            left = min(left, (expires - datetime.now(UTC)).total_seconds())
        return max(left, 0.0)


def _said(response: Any, token: str) -> str:
    """Keystone's own message (its error body), without the token it may quote."""
    message = ""
    try:
        body = response.json()
        message = str(body.get("error", {}).get("message") or "")
    except (AttributeError, ValueError):
        message = str(getattr(response, "text", "") or "")
    message = message.replace(token, "<token>") if token else message
    message = re.sub(r"\s+", " ", message).strip()[:200]
    status = getattr(response, "status_code", "")
    return f"{message} (HTTP {status})" if message else f"HTTP {status}"


class KeystoneAuth:
    """The Authenticator for --auth keystone (both backends)."""

    def __init__(self, validator: TokenValidator) -> None:
        self.validator = validator

    @classmethod
    def from_environment(cls) -> KeystoneAuth:
        return cls(TokenValidator(KeystoneSettings.from_environment()))

    def readiness(self, timeout: float) -> dict[str, str | None]:
        return self.validator.readiness(timeout)

    def authenticate(
        self, headers: Mapping[str, str], base_url: str, source: str = ""
    ) -> RequestContext:
        token = (headers.get("x-auth-token") or "").strip()
        if not token:
            raise self.validator.unauthorized(
                "authentication required: send a Keystone X-Auth-Token"
            )
        info = self.validator.validate(token)
        if not info.project_scoped or not info.project_id:
            scope = "domain-scoped" if info.domain_scoped else "unscoped"
            if getattr(info, "system_scoped", False):
                scope = "system-scoped"
            raise self.validator.unauthorized(
                f"X-Auth-Token: the token is {scope}; OCCI needs a token scoped to a project"
            )
        project_id, user_id = str(info.project_id), str(info.user_id)
        project_name, user_name = (
            str(info.project_name or project_id),
            str(info.username or user_id),
        )
        try:
            check_claimed_identity(headers, project_id, project_name, user_id, user_name)
        except Unauthorized as error:
            raise self.validator.unauthorized(error.message) from None
        return RequestContext(
            project_id=project_id,
            project_name=project_name,
            user_id=user_id,
            user_name=user_name,
            token=token,
            base_url=base_url,
        )
