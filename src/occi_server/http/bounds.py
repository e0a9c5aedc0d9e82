"""How much work one request may ask for: the limits past which it is a 413, checked on the
parsed request before anything runs (issue 15: one request must not stall the others)."""

from __future__ import annotations

from typing import Any

from occi_server.config import LimitsConfig
from occi_server.errors import PayloadTooLarge
from occi_server.model.request import OcciRequest


def check_bounds(request: OcciRequest, limits: LimitsConfig) -> None:
    if len(request.links) > limits.max_links:
        raise PayloadTooLarge(
            f"{len(request.links)} inline links in one request (at most {limits.max_links}; "
            "create further links on their own)"
        )
    if len(request.categories) > limits.max_categories:
        raise PayloadTooLarge(
            f"{len(request.categories)} categories in one request (at most {limits.max_categories})"
        )
    most = limits.max_attribute_bytes
    _check_values(request.attributes, most, "attribute")
    for link in request.links:
        _check_values(link.attributes, most, "link attribute")


def _check_values(attributes: dict[str, Any], most: int, what: str) -> None:
    for name, value in attributes.items():
        if _size(value) > most:
            raise PayloadTooLarge(f"{what} {name[:80]}: value larger than {most} bytes")


def _size(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode("utf-8", "replace"))
    if isinstance(value, list | tuple):
        return sum(_size(v) for v in value)
    if isinstance(value, dict):
        return sum(_size(k) + _size(v) for k, v in value.items())
    return 0
