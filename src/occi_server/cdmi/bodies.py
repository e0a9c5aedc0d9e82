"""The JSON bodies of CDMI (1.1.1 §8 data objects, §9 containers, §12 capabilities), built from
plain values, and the one request body CDMI clients send here: a data object's create or
update (`mimetype`, `metadata`, `value`, `valuetransferencoding`).

URIs in bodies are paths below the CDMI root (`/cdmi`), as the specification writes them."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from occi_server.cdmi.capabilities import ROOT, Capability

CAPABILITY = "application/cdmi-capability"
CONTAINER = "application/cdmi-container"
OBJECT = "application/cdmi-object"
CDMI_TYPES = (CAPABILITY, CONTAINER, OBJECT, "application/cdmi-domain", "application/cdmi-queue")
# Fields of a create that ask for work this server does not do (copy, move, references, ...).
_UNSUPPORTED = ("copy", "move", "reference", "serialize", "deserialize", "deserializevalue")
_KNOWN = frozenset({"mimetype", "metadata", "value", "valuetransferencoding", "domainURI"})


class BodyError(ValueError):
    """A CDMI request body that cannot be used (400); the message names the field."""


def capability(item: Capability, object_id: str, parent_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "objectType": CAPABILITY,
        "objectID": object_id,
        "objectName": item.name,
        "parentURI": item.parent_uri,
        "parentID": parent_id,
        "capabilities": dict(item.values),
        "childrenrange": f"0-{len(item.children) - 1}" if item.children else "",
        "children": list(item.children),
    }
    if not item.path:
        body["parentURI"] = "/"
    return body


@dataclass(frozen=True, slots=True)
class Place:
    """Where an object sits: its name, its parent's URI and ID, its own ID and capabilities."""

    name: str
    parent_uri: str
    parent_id: str
    object_id: str
    capabilities: str  # a path below ROOT


def container(
    place: Place,
    children: Sequence[str],
    metadata: Mapping[str, Any],
    exports: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "objectType": CONTAINER,
        "objectID": place.object_id,
        "objectName": place.name,
        "parentURI": place.parent_uri,
        "parentID": place.parent_id,
        "capabilitiesURI": "/" + ROOT + place.capabilities,
        "completionStatus": "Complete",
        "metadata": dict(metadata),
        "childrenrange": f"0-{len(children) - 1}" if children else "",
        "children": list(children),
    }
    if exports:
        body["exports"] = dict(exports)
    return body


def data_object(
    place: Place,
    mimetype: str,
    metadata: Mapping[str, Any],
    *,
    complete: bool = True,
    value: bytes | None = None,
    value_range: tuple[int, int] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "objectType": OBJECT,
        "objectID": place.object_id,
        "objectName": place.name,
        "parentURI": place.parent_uri,
        "parentID": place.parent_id,
        "capabilitiesURI": "/" + ROOT + place.capabilities,
        "completionStatus": "Complete" if complete else "Processing",
        "mimetype": mimetype,
        "metadata": dict(metadata),
    }
    if value is not None:
        try:
            body["value"] = value.decode("utf-8")
            body["valuetransferencoding"] = "utf-8"
        except UnicodeDecodeError:
            body["value"] = base64.b64encode(value).decode("ascii")
            body["valuetransferencoding"] = "base64"
        if value_range is not None:
            body["valuerange"] = f"{value_range[0]}-{value_range[1]}"
    return body


def select(body: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """Only the fields a `?a;b;metadata:prefix` read asks for (metadata by name prefix)."""
    chosen: dict[str, Any] = {}
    for field in fields:
        name, _, prefix = field.partition(":")
        if name == "metadata" and prefix:
            metadata = body.get("metadata", {})
            picked = {k: v for k, v in metadata.items() if k.startswith(prefix)}
            chosen.setdefault("metadata", {}).update(picked)
        elif name == "value":  # with how it is encoded and which bytes it holds
            for part in ("value", "valuetransferencoding", "valuerange"):
                if part in body:
                    chosen[part] = body[part]
        elif name in body:
            chosen[name] = body[name]
    return chosen


@dataclass(frozen=True, slots=True)
class NewValue:
    mimetype: str
    value: bytes


def parse_object(raw: bytes) -> NewValue:
    """A data object create or update body (application/cdmi-object)."""
    try:
        document = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError) as error:
        raise BodyError(f"the body is not JSON ({error})") from None
    if not isinstance(document, dict):
        raise BodyError("the body must be a JSON object")
    for name in _UNSUPPORTED:
        if name in document:
            raise BodyError(f"field {name}: not supported by this server (see its capabilities)")
    unknown = sorted(set(document) - _KNOWN)
    if unknown:
        raise BodyError(f"field {unknown[0]}: not a field of a data object")
    if document.get("metadata"):
        raise BodyError("field metadata: this server keeps no user metadata (send {} or none)")
    mimetype = document.get("mimetype", "text/plain")
    if not isinstance(mimetype, str):
        raise BodyError("field mimetype: must be a string")
    return NewValue(mimetype.lower(), _value(document))


def _value(document: Mapping[str, Any]) -> bytes:
    value = document.get("value", "")
    encoding = document.get("valuetransferencoding", "utf-8")
    if encoding == "json":
        if not isinstance(value, dict):
            raise BodyError("field value: must be a JSON object with valuetransferencoding json")
        return json.dumps(value).encode()
    if not isinstance(value, str):
        raise BodyError("field value: must be a string")
    if encoding == "utf-8":
        return value.encode("utf-8")
    if encoding == "base64":
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise BodyError("field value: not valid base64") from None
    raise BodyError(f"field valuetransferencoding: {encoding!r} is not utf-8, base64 or json")
