"""Export a compute, read the package with an independent tool (COT's `cot info`), import it
again: the new compute has the same title, cores, memory, disk sizes and contents (its root
disk as the OS image it boots, its volume as a storage), and interfaces on the same networks."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests.ovf.builders import (
    COT,
    EXPORT,
    STOP,
    action,
    content_digest,
    entity,
    ova,
    run_import,
    vmdk,
    wait,
)
from tests.support.server import ServerProcess

INFRA = "http://schemas.ogf.org/occi/infrastructure#"


def _volumes(server: ServerProcess, compute: dict[str, Any], token: str) -> list[tuple[float, str]]:
    """(size in GiB, content digest of its file in the store) per storagelink, in order."""
    links = [ln for ln in compute["links"] if ln["kind"].endswith("#storagelink")]
    links.sort(key=lambda ln: ln["attributes"]["occi.storagelink.deviceid"])
    found = []
    for link in links:
        storage = entity(server.url + link["target"]["location"], token)
        (path,) = server.data_dir.glob(f"store/volumes/*/{storage['id']}")
        found.append((storage["attributes"]["occi.storage.size"], content_digest(path)))
    return found


def _networks(server: ServerProcess, compute: dict[str, Any], token: str) -> list[str]:
    return [
        entity(server.url + ln["target"]["location"], token)["title"]
        for ln in compute["links"]
        if ln["kind"].endswith("#networkinterface")
    ]


def _image_raw(server: ServerProcess, compute: dict[str, Any], work: Path) -> Path:
    """The OS image an imported compute boots, converted to raw."""
    (term,) = [m.rpartition("#")[2] for m in compute["mixins"] if "template/os#ovf-" in m]
    (image,) = server.data_dir.glob(f"store/images/*/{term}")
    raw = work / f"{term}.raw"
    subprocess.run(
        ["qemu-img", "convert", "-q", "-f", "qcow2", "-O", "raw", str(image), str(raw)], check=True
    )
    return raw


def _occi(url: str, token: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(url, headers={"X-Auth-Token": token, **headers}, timeout=30)


def _attach_volume(url: str, token: str, compute: str, data: bytes, server: ServerProcess) -> None:
    """A new 4 MiB storage holding `data` at 1 MiB, linked to the compute."""
    made = _occi(
        url + "/storage/",
        token,
        {
            "Content-Type": "text/occi",
            "Category": f'storage; scheme="{INFRA}"; class="kind"',
            "X-OCCI-Attribute": "occi.storage.size=0.00390625",
        },
    )
    assert made.status_code == 201, made.text
    storage = made.headers["location"]
    (path,) = server.data_dir.glob(f"store/volumes/*/{storage.rpartition('/')[2]}")
    with open(path, "r+b") as handle:
        handle.seek(1 << 20)
        handle.write(data)
    attributes = f'occi.core.source="{compute}", occi.core.target="{storage}"'
    linked = _occi(
        url + "/storage/link/",
        token,
        {
            "Content-Type": "text/occi",
            "Category": f'storagelink; scheme="{INFRA}"; class="kind"',
            "X-OCCI-Attribute": attributes,
        },
    )
    assert linked.status_code == 201, linked.text


def test_export_is_read_by_cot_and_reimports_the_same_compute(
    ovf_server: ServerProcess, ovf_token: str, cot: Path, tmp_path: Path
) -> None:
    token, url = ovf_token, ovf_server.url
    # COT's ovftool descriptor, its disk holding real bytes: the OS image the compute boots.
    boot = vmdk(tmp_path / "input.vmdk", "16M", os.urandom(1 << 20))
    members = [("vmware.ovf", COT / "vmware.ovf"), ("input.vmdk", boot)]
    job = run_import(url, token, ova(tmp_path / "in.ova", members))
    assert job["state"] == "done", job
    first_url = next(u for u in job["created"] if "/compute/" in u)
    assert any("/mixin/os_tpl/ovf-" in u for u in job["created"])
    _attach_volume(url, token, first_url, os.urandom(1 << 20), ovf_server)
    first = entity(first_url, token)

    assert action(first_url, token, EXPORT).status_code == 409  # running: refused, not snapshotted
    assert "export" not in " ".join(first["actions"])
    assert action(first_url, token, STOP).status_code == 200
    assert any(a.endswith("#export") for a in entity(first_url, token)["actions"])
    started = action(first_url, token, EXPORT)
    assert started.status_code == 202, started.text
    package_url = started.headers["location"]
    job_url = started.headers["link"].split(">")[0].lstrip("<")
    done = wait(job_url, token)
    assert done["state"] == "done" and done["package"] == package_url, done
    package = httpx.get(package_url, headers={"X-Auth-Token": token}, timeout=60)
    assert package.status_code == 200
    exported = tmp_path / "exported.ova"
    exported.write_bytes(package.content)

    info = subprocess.run(
        [str(cot), "info", str(exported)], capture_output=True, text=True, timeout=120, check=False
    )
    assert info.returncode == 0, info.stderr
    profile = next(line for line in info.stdout.splitlines() if "None (default)" in line)
    assert profile.split()[2:6] == ["2", "1.5", "GiB", "4"]  # CPUs, memory, NICs
    assert "lanethernet0" in info.stdout

    again = run_import(url, token, exported)
    assert again["state"] == "done", again
    created = [u for u in again["created"] if "/network/" in u]
    assert created == []  # lanethernet0 was found, not made again
    second = entity(next(u for u in again["created"] if "/compute/" in u), token)
    assert second["title"] == first["title"] == "vmw"
    for name in ("occi.compute.cores", "occi.compute.memory"):
        assert second["attributes"][name] == first["attributes"][name]
    # The root disk came back as the OS image the new compute boots, with the same bytes (the
    # first one's image, grown to the root disk's size: the flavor's, when larger).
    second_root, first_root = (_image_raw(ovf_server, c, tmp_path) for c in (second, first))
    flavor = round((first["attributes"].get("org.openstack.flavor.disk") or 1) * (1 << 30))
    size = second_root.stat().st_size
    assert size == max(first_root.stat().st_size, flavor)
    os.truncate(first_root, size)
    assert content_digest(second_root) == content_digest(first_root)
    # The volume came back as a storage of the same size and bytes.
    assert _volumes(ovf_server, second, token) == _volumes(ovf_server, first, token)
    assert _networks(ovf_server, second, token) == _networks(ovf_server, first, token)


def test_a_root_disk_on_its_image_is_exported_through_its_backing_file(
    ovf_server: ServerProcess, ovf_token: str, tmp_path: Path
) -> None:
    """The QEMU driver keeps a guest's root disk as a qcow2 overlay whose backing file is the
    image it boots; made here by qemu-img as that driver makes it (no guest boots in this
    tier), the export reads the root disk through it rather than refusing the backing file."""
    token, url = ovf_token, ovf_server.url
    boot = vmdk(tmp_path / "input.vmdk", "16M", os.urandom(1 << 20))
    members = [("vmware.ovf", COT / "vmware.ovf"), ("input.vmdk", boot)]
    job = run_import(url, token, ova(tmp_path / "in.ova", members))
    compute_url = next(u for u in job["created"] if "/compute/" in u)
    first = entity(compute_url, token)
    (term,) = [m.rpartition("#")[2] for m in first["mixins"] if "template/os#ovf-" in m]
    (image,) = ovf_server.data_dir.glob(f"store/images/*/{term}")
    disks = ovf_server.data_dir / "store" / "disks" / image.parent.name
    disks.mkdir(parents=True, exist_ok=True)
    overlay = disks / ("%2Fcompute%2F" + compute_url.rpartition("/")[2])
    subprocess.run(
        ["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", str(image), str(overlay)],
        check=True,
    )
    assert action(compute_url, token, STOP).status_code == 200
    started = action(compute_url, token, EXPORT)
    assert started.status_code == 202, started.text
    done = wait(started.headers["link"].split(">")[0].lstrip("<"), token)
    assert done["state"] == "done", done
    package = httpx.get(started.headers["location"], headers={"X-Auth-Token": token}, timeout=60)
    exported = tmp_path / "exported.ova"
    exported.write_bytes(package.content)
    again = run_import(url, token, exported)
    assert again["state"] == "done", again
    second = entity(next(u for u in again["created"] if "/compute/" in u), token)
    second_root, first_root = (_image_raw(ovf_server, c, tmp_path) for c in (second, first))
    os.truncate(first_root, second_root.stat().st_size)
    assert content_digest(second_root) == content_digest(first_root)


def test_export_package_is_not_there_before_its_job_ends_nor_for_another_project(
    ovf_server: ServerProcess, ovf_token: str, other_token: str, tmp_path: Path
) -> None:
    job = run_import(
        ovf_server.url, ovf_token, ova(tmp_path / "m.ova", [("minimal.ovf", COT / "minimal.ovf")])
    )
    compute_url = next(u for u in job["created"] if "/compute/" in u)
    assert action(compute_url, ovf_token, STOP).status_code == 200
    started = action(compute_url, ovf_token, EXPORT)
    assert started.status_code == 202
    package_url = started.headers["location"]
    job_url = started.headers["link"].split(">")[0].lstrip("<")
    for token in (other_token,):
        assert httpx.get(package_url, headers={"X-Auth-Token": token}).status_code == 404
        assert httpx.get(job_url, headers={"X-Auth-Token": token}).status_code == 404
    assert wait(job_url, ovf_token)["state"] == "done"
    assert httpx.get(package_url, headers={"X-Auth-Token": other_token}).status_code == 404
    head = httpx.head(package_url, headers={"X-Auth-Token": ovf_token})
    assert head.status_code == 200 and head.headers["content-type"] == "application/x-tar"
    deleted = httpx.delete(job_url, headers={"X-Auth-Token": ovf_token})
    assert deleted.status_code == 200
    assert httpx.get(package_url, headers={"X-Auth-Token": ovf_token}).status_code == 404
