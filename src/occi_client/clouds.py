"""Keystone credentials the way openstacksdk finds them: clouds.yaml (+ secure.yaml) or OS_*.

Files, first found wins (as openstacksdk): $OS_CLIENT_CONFIG_FILE, ./clouds.yaml,
~/.config/openstack/clouds.yaml, /etc/openstack/clouds.yaml; secure.yaml beside them is merged
in. The cloud is the one named (argument, then $OS_CLOUD); with no name, the OS_* variables when
$OS_AUTH_URL is set, else the only cloud of the file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from occi_client.auth import KeystoneAuth
from occi_client.errors import OCCIClientError


class CloudConfigError(OCCIClientError):
    """No usable cloud in clouds.yaml / OS_* (or a file that is not valid YAML)."""


def _config_dirs(env: Mapping[str, str]) -> list[Path]:
    home = Path(env.get("HOME", str(Path.home())))
    xdg = Path(env.get("XDG_CONFIG_HOME", str(home / ".config")))
    return [Path.cwd(), xdg / "openstack", Path("/etc/openstack")]


def _first(env: Mapping[str, str], names: tuple[str, ...], override: str | None) -> Path | None:
    if override:
        path = Path(override)
        return path if path.exists() else None
    for directory in _config_dirs(env):
        for name in names:
            if (directory / name).exists():
                return directory / name
    return None


def _load(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise CloudConfigError(f"cannot read {path}: {error}") from error
    if not isinstance(doc, dict):
        raise CloudConfigError(f"{path}: expected a mapping at the top")
    return doc


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def clouds(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every cloud of clouds.yaml merged with secure.yaml, by name."""
    env = os.environ if env is None else env
    main = _load(_first(env, ("clouds.yaml", "clouds.yml"), env.get("OS_CLIENT_CONFIG_FILE")))
    secure = _load(_first(env, ("secure.yaml", "secure.yml"), env.get("OS_CLIENT_SECURE_FILE")))
    found = _merge(main.get("clouds") or {}, secure.get("clouds") or {})
    return {str(k): v for k, v in found.items() if isinstance(v, dict)}


def cloud_settings(name: str | None = None, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The `auth` settings (and auth_type) of a cloud, in clouds.yaml's key names."""
    env = os.environ if env is None else env
    name = name or env.get("OS_CLOUD") or None
    if name is None and env.get("OS_AUTH_URL"):
        return _from_environment(env)
    known = clouds(env)
    if name is None:
        if len(known) != 1:
            raise CloudConfigError(
                "no cloud chosen: set OS_CLOUD (or --os-cloud), or OS_AUTH_URL and friends"
                + (f"; clouds.yaml has {', '.join(sorted(known))}" if known else "")
            )
        name = next(iter(known))
    if name not in known:
        raise CloudConfigError(f"no cloud {name!r} in clouds.yaml")
    cloud = known[name]
    settings = dict(cloud.get("auth") or {})
    settings["auth_type"] = cloud.get("auth_type", "password")
    return settings


_ENV = {
    "auth_url": "OS_AUTH_URL",
    "username": "OS_USERNAME",
    "user_id": "OS_USER_ID",
    "password": "OS_PASSWORD",
    "project_name": "OS_PROJECT_NAME",
    "project_id": "OS_PROJECT_ID",
    "user_domain_name": "OS_USER_DOMAIN_NAME",
    "user_domain_id": "OS_USER_DOMAIN_ID",
    "project_domain_name": "OS_PROJECT_DOMAIN_NAME",
    "project_domain_id": "OS_PROJECT_DOMAIN_ID",
    "token": "OS_TOKEN",
    "application_credential_id": "OS_APPLICATION_CREDENTIAL_ID",
    "application_credential_secret": "OS_APPLICATION_CREDENTIAL_SECRET",
}


def _from_environment(env: Mapping[str, str]) -> dict[str, Any]:
    settings: dict[str, Any] = {k: env[v] for k, v in _ENV.items() if env.get(v)}
    # The v2-era names openstacksdk still reads.
    settings.setdefault("project_name", env.get("OS_TENANT_NAME") or None)
    settings.setdefault("project_id", env.get("OS_TENANT_ID") or None)
    if env.get("OS_DOMAIN_NAME"):
        settings.setdefault("user_domain_name", env["OS_DOMAIN_NAME"])
        settings.setdefault("project_domain_name", env["OS_DOMAIN_NAME"])
    settings["auth_type"] = env.get("OS_AUTH_TYPE", "password")
    return {k: v for k, v in settings.items() if v is not None}


def keystone_auth(name: str | None = None, env: Mapping[str, str] | None = None) -> KeystoneAuth:
    """A KeystoneAuth from a cloud of clouds.yaml or from the OS_* variables."""
    settings = cloud_settings(name, env)
    auth_type = str(settings.pop("auth_type", "password"))
    if auth_type not in (
        "password",
        "v3password",
        "token",
        "v3token",
        "v3applicationcredential",
        "applicationcredential",
    ):
        raise CloudConfigError(
            f"auth_type {auth_type!r} is not supported (password, token, v3applicationcredential)"
        )
    fields = set(KeystoneAuth.__dataclass_fields__) - {"scoped_token"}
    known = {k: str(v) for k, v in settings.items() if k in fields and v is not None}
    if "domain_name" in settings:  # clouds.yaml's shorthand for both domains
        known.setdefault("user_domain_name", str(settings["domain_name"]))
        known.setdefault("project_domain_name", str(settings["domain_name"]))
    return KeystoneAuth(**known)  # type: ignore[arg-type]
