"""The JSON media types as a whole: their registration with negotiate, and the JSON Schema
files describing every shape the rendering produces (shipped in `rendering/schemas/`).

Validation against the schemas is the tests' job (jsonschema is not a runtime dependency);
the server only ships the files so clients can use them.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from occi_server.rendering import negotiate
from occi_server.rendering.json_parse import parse_json
from occi_server.rendering.json_render import JSON_MEDIA_TYPES, JsonRenderer

# Each schema's draft-04 `id`; `$ref`s between the files are relative to it.
SCHEMA_BASE = "https://occi-server.invalid/schemas/"


def install() -> None:
    """Register application/occi+json and application/json (idempotent)."""
    for media_type in JSON_MEDIA_TYPES:
        negotiate.register(media_type, parser=parse_json, renderer=JsonRenderer)


def schema_names() -> list[str]:
    """`resource`, `kind`, ...: the stems of the shipped schema files."""
    folder = resources.files("occi_server.rendering").joinpath("schemas")
    return sorted(
        p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json")
    )


@cache
def _schema_text(name: str) -> str:
    path = resources.files("occi_server.rendering").joinpath("schemas", f"{name}.json")
    return path.read_text(encoding="utf-8")


def load_schema(name: str) -> dict[str, Any]:
    """A fresh copy of one schema (callers may mutate it)."""
    schema: dict[str, Any] = json.loads(_schema_text(name))
    return schema
