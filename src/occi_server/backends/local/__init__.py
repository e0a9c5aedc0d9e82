"""The embedded `local` backend: a persistent cloud model on SQLAlchemy (SQLite by default)."""

from occi_server.backends.local.backend import LocalBackend
from occi_server.backends.local.offer import (
    CloudOffer,
    Flavor,
    FloatingPool,
    Image,
    NetworkSpec,
    catalogue_from_mapping,
    default_offer,
)

__all__ = [
    "CloudOffer",
    "Flavor",
    "FloatingPool",
    "Image",
    "LocalBackend",
    "NetworkSpec",
    "catalogue_from_mapping",
    "default_offer",
]
