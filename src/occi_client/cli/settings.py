"""From command-line options to a client: credentials, and typed attribute values."""

from __future__ import annotations

import argparse
import os
import re
from typing import Any

import httpx

from occi_client import text
from occi_client.auth import KeystoneAuth, TokenAuth
from occi_client.clouds import CloudConfigError, cloud_settings, keystone_auth
from occi_client.model import Category, Model

_NUMBER = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")
_STRINGS = (
    "occi.core.id",
    "occi.core.title",
    "occi.core.summary",
    "occi.core.source",
    "occi.core.target",
)


class UsageError(Exception):
    """A command line that cannot work; the message says why."""


def make_auth(args: argparse.Namespace) -> httpx.Auth | None:
    mode = args.auth or _default_auth(args)
    if mode == "none":
        return None
    if mode == "token":
        if not args.token:
            raise UsageError("--auth token needs --token or OCCI_TOKEN")
        return TokenAuth(args.token)
    if mode == "basic":
        if not args.username or args.password is None:
            raise UsageError("--auth basic needs --username and --password")
        return httpx.BasicAuth(args.username, args.password)
    return _keystone(args)


def _default_auth(args: argparse.Namespace) -> str:
    if args.token:
        return "token"
    if args.os_cloud or os.environ.get("OS_CLOUD") or os.environ.get("OS_AUTH_URL"):
        return "keystone"
    if args.username:
        return "basic"
    return "none"


def _keystone(args: argparse.Namespace) -> KeystoneAuth:
    """clouds.yaml / OS_* when there is a cloud; options given on the command line win."""
    auth = KeystoneAuth()
    try:
        if args.os_cloud or os.environ.get("OS_CLOUD") or os.environ.get("OS_AUTH_URL"):
            auth = keystone_auth(args.os_cloud)
        elif cloud_settings_available():
            auth = keystone_auth(None)
    except CloudConfigError as error:
        raise UsageError(str(error)) from error
    for option, field in (
        ("username", "username"),
        ("password", "password"),
        ("token", "token"),
        ("project", "project_name"),
        ("user_domain", "user_domain_name"),
        ("project_domain", "project_domain_name"),
    ):
        value = getattr(args, option)
        if value is not None:
            setattr(auth, field, value)
    if args.project:
        auth.project_id = None
    return auth


def cloud_settings_available() -> bool:
    try:
        cloud_settings(None)
    except CloudConfigError:
        return False
    return True


def split_pairs(pairs: list[str], what: str = "--attribute") -> list[tuple[str, str]]:
    out = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"{what} {pair!r}: expected NAME=VALUE")
        out.append((name.strip(), value.strip()))
    return out


def typed_attributes(
    pairs: list[str], model: Model | None, scope: list[Category] | None = None
) -> dict[str, Any]:
    """NAME=VALUE strings to values typed by the server's attribute definitions (JSON gives
    types); without a type: quoted -> string, true/false, numbers, else string."""
    out: dict[str, Any] = {}
    for name, raw in split_pairs(pairs):
        out[name] = typed_value(name, raw, _type_of(name, model, scope))
    return out


def _type_of(name: str, model: Model | None, scope: list[Category] | None) -> str | None:
    pools = [*(scope or []), *(model.categories if model else [])]
    for category in pools:
        spec = category.attributes.get(name)
        if spec is not None and spec.type:
            return spec.type
    return None


def typed_value(name: str, raw: str, kind: str | None) -> Any:
    if raw[:1] in "\"'" and raw[-1:] == raw[:1] and len(raw) >= 2:
        return text.unquote(raw)
    if kind == "string" or name in _STRINGS:
        return raw
    if kind == "boolean" or (kind is None and raw in ("true", "false")):
        if raw not in ("true", "false"):
            raise UsageError(f"{name} is a boolean: true or false, not {raw!r}")
        return raw == "true"
    if kind == "number" or (kind is None and _NUMBER.fullmatch(raw)):
        if not _NUMBER.fullmatch(raw):
            raise UsageError(f"{name} is a number, not {raw!r}")
        return int(raw) if re.fullmatch(r"[+-]?\d+", raw) else float(raw)
    if kind in ("array", "object"):
        import json

        try:
            return json.loads(raw)
        except json.JSONDecodeError as error:
            raise UsageError(f"{name} takes JSON ({kind}): {error}") from error
    return raw
