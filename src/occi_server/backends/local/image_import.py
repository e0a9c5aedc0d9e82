"""`occi-server image import FILE --name NAME`: an OS template every project may boot, from a
qcow2 or raw file on this host.

The file is checked by qemu-img first (drivers/disk_images.py: a known format, no backing file,
no external data file), then copied into the store as a qcow2 file of its own
(`images/_global/<term>`), then recorded; a name already taken (catalogue, import) is a
conflict, and the copy is removed again when the record cannot be written.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from occi_server.backends.local import images, versions
from occi_server.backends.local.backend import LocalBackend
from occi_server.backends.local.offer import Image
from occi_server.backends.local.templates import OS_SCHEME
from occi_server.categories.templates import sanitize_term
from occi_server.drivers import disk_images
from occi_server.drivers.files import FileStore
from occi_server.drivers.volumes import GLOBAL_PROJECT, image_of
from occi_server.errors import Conflict
from occi_server.model import Mixin


def import_global(
    backend: LocalBackend, store: FileStore, source: Path, name: str, base: Image
) -> Mixin:
    term = sanitize_term(name)
    with backend.transaction(GLOBAL_PROJECT) as scope:  # refused before any copying
        if OS_SCHEME + term in scope.cloud.templates.by_id or images.find(scope, OS_SCHEME + term):
            raise Conflict(f"an OS template called {term} already exists")
    info = disk_images.inspect_safe(source, disk_images.STORED_FORMATS)
    target = store.path(image_of(GLOBAL_PROJECT, term))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        disk_images.convert(source, partial, source_format=info.format, target_format="qcow2")
        disk_images.inspect_safe(partial, frozenset({"qcow2"}))
        partial.replace(target)
        with backend.transaction(GLOBAL_PROJECT) as scope:
            mixin = images.add_global(scope, name, f"Imported image {name}", base)
            versions.bump(scope)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        with contextlib.suppress(FileNotFoundError):
            target.unlink()
        raise
    return mixin
