"""Images the operator imported for every project (`occi-server image import`) are data objects
of every project's `images/`, marked `visibility: public`, readable and not deletable there.
The import runs in-process on the server's database and store (as the CLI would, without its
start-up cost), against a server no other tier shares (`importing`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from occi_server.backends.local.backend import LocalBackend
from occi_server.backends.local.image_import import import_global
from occi_server.backends.local.offer import Image, default_offer
from occi_server.db.engine import make_engine
from occi_server.drivers import Drivers
from occi_server.drivers.files import FileStore
from occi_server.drivers.simulated import SimulatedHypervisor
from tests.cdmi.conftest import CONTAINER, Cdmi
from tests.support.server import ServerProcess

if shutil.which("qemu-img") is None:
    if os.environ.get("OCCI_REQUIRE_QEMU_IMG") == "1":
        raise RuntimeError("OCCI_REQUIRE_QEMU_IMG=1 but qemu-img is missing (scripts/system-deps)")
    pytest.skip("qemu-img missing (scripts/system-deps)", allow_module_level=True)


def test_an_imported_catalogue_image_is_every_projects_read_only_data_object(
    importing: ServerProcess, mint: Callable[[str], str], tmp_path: Path
) -> None:
    source = tmp_path / "base.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(source), "32M"], check=True)
    term = f"base-{uuid.uuid4().hex[:6]}"
    store = FileStore(importing.data_dir / "store")
    backend = LocalBackend(
        make_engine(importing.database), default_offer(), Drivers(SimulatedHypervisor(store), store)
    )
    try:
        import_global(backend, store, source, term, Image(term, "", "linux", "", "x64"))
    finally:
        backend.close()
    (stored,) = importing.data_dir.glob(f"store/images/_global/{term}")

    for project in ("cat-a", "cat-b"):
        cdmi = Cdmi(importing.url, mint(f"{project}-{uuid.uuid4().hex[:6]}"))
        assert term in cdmi.cdmi_get(cdmi.path("images"), CONTAINER)["children"]
        described = cdmi.cdmi_get(cdmi.path("images", term) + "?metadata")["metadata"]
        assert described["visibility"] == "public" and described["disk_format"] == "qcow2"
        assert described["cdmi_size"] == str(stored.stat().st_size)
        assert cdmi.get(cdmi.path("images", term)).content == stored.read_bytes()
        refused = cdmi.http.delete(cdmi.path("images", term))
        assert refused.status_code == 409 and "not yours to delete" in refused.text
        taken = cdmi.put(cdmi.path("images", term), source.read_bytes())
        assert taken.status_code == 409, taken.text
    assert stored.exists()
