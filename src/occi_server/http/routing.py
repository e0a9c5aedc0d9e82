"""Where a path points, decided by the registry: query interface, collection, entity, ..."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from occi_server.model import Kind, Mixin
from occi_server.registry import Registry

QUERY_PATHS = ("/-/", "/.well-known/org/ogf/occi/-/")


class Target(Enum):
    QUERY = "query"
    ROOT = "root"
    KIND = "kind"
    MIXIN = "mixin"
    UNBOUND = "unbound"
    ENTITY = "entity"


@dataclass(frozen=True, slots=True)
class Route:
    target: Target
    path: str
    collection: Kind | Mixin | None = None


def resolve(registry: Registry, path: str) -> Route:
    if path in QUERY_PATHS or path in ("/-", "/.well-known/org/ogf/occi/-"):
        return Route(Target.QUERY, path)
    if path == "/":
        return Route(Target.ROOT, path)
    category = registry.at_location(path) or (
        registry.at_location(path + "/") if not path.endswith("/") else None
    )
    if isinstance(category, Kind):
        return Route(Target.KIND, category.location or path, category)
    if isinstance(category, Mixin):
        return Route(Target.MIXIN, category.location or path, category)
    if path.endswith("/"):
        return Route(Target.UNBOUND, path)
    return Route(Target.ENTITY, path)
