"""Validation of JSON documents against the schemas the package ships (rendering/schemas/)."""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from occi_server.rendering.json_media import SCHEMA_BASE, load_schema, schema_names


@cache
def _registry() -> Registry:
    """Every shipped schema under its `id`, so relative `$ref`s resolve without the network."""
    schemas = [load_schema(name) for name in schema_names()]
    return Registry().with_resources(
        (schema["id"], Resource.from_contents(schema, default_specification=DRAFT4))
        for schema in schemas
    )


@cache
def _validator(name: str) -> jsonschema.Draft4Validator:
    schema = load_schema(name)
    assert schema["id"] == f"{SCHEMA_BASE}{name}.json"
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, registry=_registry())


def validate(document: Any, name: str) -> None:
    """Raise jsonschema.ValidationError (with its path) when `document` is not a `name`."""
    _validator(name).validate(document)


def errors(document: Any, name: str) -> list[str]:
    """Every violation, as '<json path>: <message>' (empty when valid)."""
    found = _validator(name).iter_errors(document)
    return [f"{error.json_path}: {error.message}" for error in found]
