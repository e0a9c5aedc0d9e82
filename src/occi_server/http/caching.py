"""Caches for what changes rarely: a project's registry and its rendered query interface.

Both are keyed by the project's catalogue version, which the backend moves in the same
transaction as any change of the project's categories; a stale entry is therefore never served,
by this worker or any other. Entries age out by LRU.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence

from cachetools import LRUCache

from occi_server.model import Mixin
from occi_server.registry import Catalogue, Registry
from occi_server.rendering.base import Rendered


class CatalogueCache:
    def __init__(self, catalogue: Catalogue, size: int = 1024) -> None:
        self.catalogue = catalogue
        self._registries: LRUCache[tuple[str, str], Registry] = LRUCache(maxsize=size)
        self._renderings: LRUCache[tuple[str, ...], tuple[Rendered, str]] = LRUCache(
            maxsize=size * 4
        )
        self._lock = threading.Lock()

    def registry(
        self, project: str, version: str, dynamic: Callable[[], Sequence[Mixin]]
    ) -> Registry:
        key = (project, version)
        with self._lock:
            found = self._registries.get(key)
        if found is None:
            found = Registry(self.catalogue, dynamic())
            with self._lock:
                self._registries[key] = found
        return found

    def query_interface(
        self, key: tuple[str, ...], render: Callable[[], Rendered]
    ) -> tuple[Rendered, str]:
        """The rendered, unfiltered query interface and its ETag (a digest of the bytes)."""
        with self._lock:
            found = self._renderings.get(key)
        if found is None:
            rendered = render()
            digest = hashlib.sha256(rendered.body)
            for name, value in rendered.headers:
                digest.update(f"{name}:{value}".encode())
            found = (rendered, f'"{digest.hexdigest()[:32]}"')
            with self._lock:
                self._renderings[key] = found
        return found
