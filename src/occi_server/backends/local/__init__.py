"""The embedded `local` backend: a persistent cloud model on SQLAlchemy (SQLite by default)."""

from occi_server.backends.local.backend import LocalBackend
from occi_server.backends.local.catalogue import (
    CloudCatalogue,
    Flavor,
    FloatingPool,
    Image,
    NetworkSpec,
    catalogue_from_mapping,
    default_catalogue,
)

__all__ = [
    "CloudCatalogue",
    "Flavor",
    "FloatingPool",
    "Image",
    "LocalBackend",
    "NetworkSpec",
    "catalogue_from_mapping",
    "default_catalogue",
]
