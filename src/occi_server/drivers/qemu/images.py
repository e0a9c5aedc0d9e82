"""Which file a guest boots from: the OS template's image, found by its name or term.

In order: the project's own image in the store (`images/<project>/<term>`: a snapshot, qcow2,
or a CDMI upload, raw or qcow2), an image imported for every project (`images/_global/<term>`,
qcow2: `occi-server image import`), a catalogue image that names a file. Each file's format is
read by qemu-img (an upload keeps the format it came in), and a file that names a backing file
or an external data file is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from occi_server.categories.templates import sanitize_term
from occi_server.drivers import disk_images
from occi_server.drivers.files import FileStore
from occi_server.drivers.hypervisor import DriverError
from occi_server.drivers.qemu.driver import ImageFile, ImageFinder
from occi_server.drivers.volumes import GLOBAL_PROJECT, image_of


def finder(store: FileStore, files: Mapping[str, str]) -> ImageFinder:
    by_term = {sanitize_term(name): path for name, path in files.items()}

    def find(project: str, name: str) -> ImageFile | None:
        term = sanitize_term(name)
        for stored in (image_of(project, term), image_of(GLOBAL_PROJECT, term)):
            if store.exists(stored):
                return _checked(name, store.path(stored))
        path = files.get(name) or by_term.get(term)
        return _checked(name, Path(path)) if path else None

    return find


def _checked(name: str, path: Path) -> ImageFile:
    """The file with the format qemu-img reads (probing is safe here: a raw upload whose bytes
    looked like another format was stored as that format, checked, when it came in)."""
    try:
        info = disk_images.inspect_safe(path, disk_images.STORED_FORMATS)
    except disk_images.DiskImageError as error:
        raise DriverError(f"the image file of {name}: {error}") from error
    return ImageFile(path.resolve(), info.format)
