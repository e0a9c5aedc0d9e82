"""A storagelink to a CDMI object (issue 19, as rOCCI had it): the cloud copies the object into a
new volume and attaches it. External objects come from a real HTTP server on 127.0.0.1 that
serves CDMI-style data objects (tests/support/origin.py), only under the prefix the server's
[remote] allowed names; local ones are this server's own (by object ID or path). The link
shows "importing" at once and turns active, or error with the reason, after the answer.

The server (`importing`, tests/cdmi/conftest.py) starts once for the tier (about 2 s); each
test runs in a project of its own.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cdmi.conftest import CONTAINER, MAX_FETCH, Cdmi
from tests.support.origin import Blob, Origin
from tests.support.server import ServerProcess

INFRA = "http://schemas.ogf.org/occi/infrastructure#"
MAX = MAX_FETCH
STATE, MESSAGE = "occi.storagelink.state", "occi.storagelink.state.message"


@pytest.fixture
def cdmi(importing: ServerProcess, mint: Callable[[str], str]) -> Cdmi:
    return Cdmi(importing.url, mint(f"imp-{uuid.uuid4().hex[:8]}"))


def _compute_with(cdmi: Cdmi, target: str) -> httpx.Response:
    return cdmi.http.post(
        "/compute/",
        headers={
            "Content-Type": "text/occi",
            "Category": f'compute; scheme="{INFRA}"; class="kind"',
            "Link": f'<{target}>; rel="{INFRA}storage"; category="{INFRA}storagelink"',
        },
    )


def _storagelink(cdmi: Cdmi, compute: str) -> dict[str, Any]:
    rendered = cdmi.occi("GET", compute)
    assert rendered.status_code == 200, rendered.text
    links = [ln for ln in rendered.json()["links"] if ln["kind"].endswith("#storagelink")]
    assert len(links) == 1, links
    link: dict[str, Any] = links[0]
    return link


def _settled(cdmi: Cdmi, compute: str, timeout: float = 30.0) -> dict[str, Any]:
    """The compute's storagelink once it is no longer importing."""
    deadline = time.monotonic() + timeout
    while True:
        link = _storagelink(cdmi, compute)
        if link["attributes"][STATE] != "inactive" or time.monotonic() > deadline:
            return link
        time.sleep(0.2)


def _stored(server: ServerProcess, storage_id: str) -> list[Path]:
    return list(server.data_dir.glob(f"store/volumes/*/{storage_id}"))


def test_an_allowed_cdmi_url_becomes_a_volume_attached_once_its_bytes_are_in(
    cdmi: Cdmi, origin: Origin, importing: ServerProcess
) -> None:
    data = os.urandom(1536 << 10)
    release = threading.Event()
    origin.objects["/cdmi/shared/disk.img"] = Blob(data, hold=release)
    url = origin.url("/cdmi/shared/disk.img")
    made = _compute_with(cdmi, url)
    assert made.status_code == 201, made.text
    compute = made.headers["location"]

    # At once: the link and its new volume say what is under way; nothing reads half a volume.
    link = _storagelink(cdmi, compute)
    assert link["attributes"][STATE] == "inactive"
    assert link["attributes"][MESSAGE] == f"importing from {url}"
    storage = cdmi.occi("GET", link["target"]["location"]).json()
    assert storage["attributes"]["occi.storage.state"] == "offline"
    assert storage.get("actions", []) == []  # nothing to do with it until it is in
    busy = cdmi.get(cdmi.path("volumes", storage["id"]))
    assert busy.status_code == 409 and "being copied in" in busy.text

    release.set()
    link = _settled(cdmi, compute)
    assert link["attributes"][STATE] == "active", link
    storage = cdmi.occi("GET", link["target"]["location"]).json()
    attributes = storage["attributes"]
    assert attributes["occi.storage.state"] == "online"
    assert attributes["occi.storage.size"] * 2**30 == len(data)
    assert storage["summary"] == f"imported from {url}"
    (path,) = _stored(importing, storage["id"])
    assert path.read_bytes() == data
    # The container's exports name the compute that uses the volume now.
    exports = cdmi.cdmi_get(cdmi.path("volumes"), CONTAINER)["exports"]["OCCI/iSCSI"]
    assert exports["permissions"] == [compute]
    _, headers = next(r for r in reversed(origin.requests) if r[0] == "/cdmi/shared/disk.img")
    assert headers["accept-encoding"] == "identity" and "x-auth-token" not in headers


@pytest.mark.parametrize(
    "target",
    [
        "/private/disk.img",  # another path of the allowed server
        "/cdmi/shared/../private/disk.img",  # out of the prefix by a dot segment
        "/cdmi/sharedx/disk.img",  # a prefix is a whole path segment
    ],
)
def test_a_url_outside_the_allowed_prefixes_is_400_and_never_fetched(
    cdmi: Cdmi, origin: Origin, target: str
) -> None:
    origin.objects[target] = Blob(b"secret")
    before = len(origin.requests)
    refused = _compute_with(cdmi, origin.url(target))
    assert refused.status_code == 400, refused.text
    assert target in refused.text  # named, as a URL or as the path it would be here
    assert len(origin.requests) == before
    assert cdmi.cdmi_get(cdmi.path("volumes"), CONTAINER)["children"] == []


def test_credentials_in_a_url_are_refused(cdmi: Cdmi, origin: Origin) -> None:
    url = origin.url("/cdmi/shared/x").replace("http://", "http://alice:secret@")
    refused = _compute_with(cdmi, url)
    assert refused.status_code == 400 and "credentials" in refused.text


@pytest.mark.parametrize(
    ("name", "blob", "reason"),
    [
        ("missing", None, "answered HTTP 404"),
        ("big", Blob(b"\0" * (MAX + 1)), f"more than the {MAX} bytes allowed"),
        ("slow", Blob(os.urandom(64 << 10), stall=4.0), "timed out"),
        ("moved", Blob(status=302, headers={"Location": "http://example.org/"}), "not followed"),
    ],
)
def test_a_failed_fetch_puts_the_link_and_its_volume_in_error_and_keeps_no_bytes(
    cdmi: Cdmi, origin: Origin, importing: ServerProcess, name: str, blob: Blob | None, reason: str
) -> None:
    if blob is not None:
        origin.objects[f"/cdmi/shared/{name}"] = blob
    made = _compute_with(cdmi, origin.url(f"/cdmi/shared/{name}"))
    assert made.status_code == 201, made.text
    link = _settled(cdmi, made.headers["location"])
    assert link["attributes"][STATE] == "error", link
    assert reason in link["attributes"][MESSAGE]
    storage = cdmi.occi("GET", link["target"]["location"]).json()
    assert storage["attributes"]["occi.storage.state"] == "error"
    assert reason in storage["attributes"]["occi.storage.state.message"]
    assert _stored(importing, storage["id"]) == []
    assert list(importing.data_dir.glob("store/uploads/import-*")) == []


def test_a_cdmi_object_of_this_server_is_copied_by_object_id_or_by_path(
    cdmi: Cdmi, importing: ServerProcess, mint: Callable[[str], str]
) -> None:
    data = os.urandom(300_000)
    assert cdmi.put(cdmi.path("volumes", "golden"), data).status_code == 201
    object_id = cdmi.cdmi_get(cdmi.path("volumes", "golden") + "?objectID")["objectID"]
    for target in (f"/cdmi/cdmi_objectid/{object_id}", cdmi.url + cdmi.path("volumes", "golden")):
        made = _compute_with(cdmi, target)
        assert made.status_code == 201, made.text
        link = _settled(cdmi, made.headers["location"])
        assert link["attributes"][STATE] == "active", link
        copy = link["target"]["location"].rpartition("/")[2]
        assert copy != "golden"
        (path,) = _stored(importing, copy)
        assert path.read_bytes() == data
    # Another project neither reaches the object by its ID nor by its path.
    stranger = Cdmi(importing.url, mint(f"imp-{uuid.uuid4().hex[:8]}"))
    for target in (f"/cdmi/cdmi_objectid/{object_id}", cdmi.path("volumes", "golden")):
        refused = _compute_with(stranger, target)
        assert refused.status_code == 400 and "of your project" in refused.text, refused.text


def test_a_volume_in_use_is_not_copied(cdmi: Cdmi) -> None:
    assert cdmi.put(cdmi.path("volumes", "busy"), b"x" * 4096).status_code == 201
    assert _compute_with(cdmi, "/storage/busy").status_code == 201
    refused = _compute_with(cdmi, cdmi.path("volumes", "busy"))
    assert refused.status_code == 409 and "attached read-write" in refused.text


def test_an_import_a_killed_server_left_starts_again_when_it_next_starts(
    tmp_path: Path, origin: Origin
) -> None:
    """A server of its own (two starts, about 5 s): killed while the bytes are on their way."""
    config = tmp_path / "occi.toml"
    config.write_text(f'[remote]\nallowed = ["{origin.url("/cdmi/shared/")}"]\n')
    server = ServerProcess(data_dir=tmp_path, env={"OCCI_CONFIG": str(config)}).start()
    try:
        cdmi = Cdmi(server.url, server.token("crash"))
        data = os.urandom(256 << 10)
        release = threading.Event()
        origin.objects["/cdmi/shared/crash.img"] = Blob(data, hold=release)
        made = _compute_with(cdmi, origin.url("/cdmi/shared/crash.img"))
        assert made.status_code == 201, made.text
        server.kill()
        release.set()  # the answer to the dead server's request goes nowhere
        server.start()
        link = _settled(cdmi, made.headers["location"])
        assert link["attributes"][STATE] == "active", link
        (path,) = _stored(server, link["target"]["location"].rpartition("/")[2])
        assert path.read_bytes() == data
    finally:
        server.stop()
