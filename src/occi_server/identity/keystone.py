"""--auth keystone: the caller's X-Auth-Token, validated by Keystone and then used as it is.

A service identity (clouds.yaml with OS_CLOUD, or the OS_* variables) is used for one thing
only: asking Keystone whether a caller's token is valid (GET /v3/auth/tokens). Validations are
cached briefly (never past the token's expiry), so a burst of requests costs one Keystone call.
The validated token, with its catalogue, is what the openstack backend acts with.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from keystoneauth1 import access, exceptions, session
from keystoneauth1.identity import v3

from occi_server.context import RequestContext
from occi_server.errors import ServiceUnavailable, Unauthorized
from occi_server.identity.auth import check_claimed_identity

_CACHE_SECONDS = 60.0
_CACHE_LIMIT = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class KeystoneSettings:
    auth_url: str
    username: str
    password: str
    project_name: str
    user_domain_name: str = "Default"
    project_domain_name: str = "Default"
    region_name: str | None = None
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
        missing = [k for k in ("OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD") if not env.get(k)]
        if missing:
            raise ValueError(
                "keystone auth needs OS_CLOUD or "
                + ", ".join(missing)
                + " for the service identity"
            )
        return cls(
            auth_url=env["OS_AUTH_URL"].rstrip("/"),
            username=env["OS_USERNAME"],
            password=env["OS_PASSWORD"],
            project_name=env.get("OS_PROJECT_NAME", ""),
            user_domain_name=env.get("OS_USER_DOMAIN_NAME", "Default"),
            project_domain_name=env.get("OS_PROJECT_DOMAIN_NAME", "Default"),
            region_name=env.get("OS_REGION_NAME") or None,
            public_url=env.get("OCCI_KEYSTONE_PUBLIC_URL") or None,
        )

    @classmethod
    def _from_clouds_yaml(cls, cloud: str, env: Mapping[str, str]) -> KeystoneSettings:
        from openstack.config import loader

        found = loader.OpenStackConfig().get_one(cloud=cloud)
        auth: dict[str, Any] = dict(found.config.get("auth", {}))
        return cls(
            auth_url=str(auth["auth_url"]).rstrip("/"),
            username=str(auth.get("username", "")),
            password=str(auth.get("password", "")),
            project_name=str(auth.get("project_name", "")),
            user_domain_name=str(auth.get("user_domain_name") or "Default"),
            project_domain_name=str(auth.get("project_domain_name") or "Default"),
            region_name=found.config.get("region_name") or None,
            public_url=env.get("OCCI_KEYSTONE_PUBLIC_URL") or None,
        )


class TokenValidator:
    """Validates callers' tokens with the service identity; thread-safe, briefly cached."""

    def __init__(self, settings: KeystoneSettings, http: session.Session | None = None) -> None:
        self.settings = settings
        auth_url = settings.auth_url
        plugin = v3.Password(
            auth_url=auth_url,
            username=settings.username,
            password=settings.password,
            project_name=settings.project_name or None,
            user_domain_name=settings.user_domain_name,
            project_domain_name=settings.project_domain_name,
        )
        self.session = http or session.Session(auth=plugin, timeout=settings.timeout)
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
        return Unauthorized(message, headers={"WWW-Authenticate": self.settings.www_authenticate})

    def _ask_keystone(self, token: str) -> access.AccessInfo:
        url = self.settings.auth_url.rstrip("/")
        url = url if url.endswith("/v3") else url + "/v3"
        try:
            response = self.session.get(
                url + "/auth/tokens",
                headers={"X-Subject-Token": token},
                raise_exc=False,
                authenticated=True,
            )
        except (exceptions.ConnectionError, exceptions.DiscoveryFailure) as error:
            raise ServiceUnavailable(f"Keystone is unreachable: {type(error).__name__}") from error
        except exceptions.Unauthorized as error:
            raise ServiceUnavailable(
                "the server's own Keystone credentials were refused"
            ) from error
        if response.status_code in (401, 403, 404):
            raise self.unauthorized("X-Auth-Token: invalid or expired Keystone token")
        if response.status_code >= 400:
            raise ServiceUnavailable(f"Keystone answered {response.status_code} to a validation")
        return access.create(resp=response, body=response.json(), auth_token=token)

    def _lifetime(self, info: access.AccessInfo) -> float:
        expires = info.expires
        left = self.settings.cache_seconds
        if expires is not None:
            left = min(left, (expires - datetime.now(UTC)).total_seconds())
        return max(left, 0.0)


class KeystoneAuth:
    """The Authenticator for --auth keystone (both backends)."""

    def __init__(self, validator: TokenValidator) -> None:
        self.validator = validator

    @classmethod
    def from_environment(cls) -> KeystoneAuth:
        return cls(TokenValidator(KeystoneSettings.from_environment()))

    def authenticate(self, headers: Mapping[str, str], base_url: str) -> RequestContext:
        token = (headers.get("x-auth-token") or "").strip()
        if not token:
            raise self.validator.unauthorized(
                "authentication required: send a Keystone X-Auth-Token"
            )
        info = self.validator.validate(token)
        if not info.project_scoped or not info.project_id:
            raise self.validator.unauthorized("X-Auth-Token: the token is not scoped to a project")
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
