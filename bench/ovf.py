"""OVF import and export of one disk through a real server (`python -m bench.ovf --gib 1`).

The disk holds `--data-fraction` of random (incompressible) bytes, the rest zeros; it is
packed as a streamOptimized VMDK in an OVA with a SHA1 manifest. Printed: the upload (POST to
202), the import job (202 to done), the export job (action to done) and the download, in
seconds, and the sizes.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

import httpx

from bench.harness import make_token, start_occi

GIB = 1 << 30
ENVELOPE = """<?xml version="1.0"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
  <References><File ovf:href="disk.vmdk" ovf:id="f1"/></References>
  <DiskSection><Info/><Disk ovf:diskId="d1" ovf:fileRef="f1" ovf:capacity="{capacity}"/>
  </DiskSection>
  <VirtualSystem ovf:id="bench"><Info/><VirtualHardwareSection><Info/>
    <Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType>
      <rasd:HostResource>ovf:/disk/d1</rasd:HostResource></Item>
  </VirtualHardwareSection></VirtualSystem></Envelope>"""
ACTION = "http://schemas.occi-server.org/occi/compute/action#"
INFRA_ACTION = "http://schemas.ogf.org/occi/infrastructure/compute/action#"


def package(folder: Path, size: int, fraction: float) -> Path:
    raw = folder / "disk.raw"
    with open(raw, "wb") as handle:
        handle.truncate(size)
        remaining = int(size * fraction)
        while remaining > 0:
            chunk = os.urandom(min(remaining, 16 << 20))
            handle.write(chunk)
            remaining -= len(chunk)
    disk = folder / "disk.vmdk"
    subprocess.run(
        [
            "qemu-img",
            "convert",
            "-f",
            "raw",
            "-O",
            "vmdk",
            "-o",
            "subformat=streamOptimized",
            str(raw),
            str(disk),
        ],
        check=True,
    )
    raw.unlink()
    ovf = folder / "bench.ovf"
    ovf.write_text(ENVELOPE.format(capacity=size))
    mf = folder / "bench.mf"
    mf.write_text(
        "".join(
            f"SHA1({p.name})= {hashlib.sha1(p.read_bytes()).hexdigest()}\n" for p in (ovf, disk)
        )
    )
    ova = folder / "bench.ova"
    with tarfile.open(ova, "w", format=tarfile.USTAR_FORMAT) as archive:
        for path in (ovf, mf, disk):
            archive.add(path, arcname=path.name)
    disk.unlink()
    return ova


def wait(url: str, headers: dict[str, str]) -> dict[str, object]:
    while True:
        job: dict[str, object] = httpx.get(url, headers=headers).json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.05)


def act(url: str, headers: dict[str, str], scheme: str, term: str) -> httpx.Response:
    return httpx.post(
        f"{url}?action={term}",
        headers={
            **headers,
            "Content-Type": "text/occi",
            "Category": f'{term}; scheme="{scheme}"; class="action"',
        },
        timeout=60,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gib", type=float, default=1.0)
    parser.add_argument("--data-fraction", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ovf-bench-") as tmp:
        folder = Path(tmp)
        ova = package(folder, int(args.gib * GIB), args.data_fraction)
        ova_size = ova.stat().st_size
        data = folder / "data"
        data.mkdir()
        token = make_token(f"sqlite:///{data / 'bench.sqlite'}", "bench")
        config = folder / "occi.toml"
        config.write_text("[server]\nbody_timeout = 600\n")
        server, url = start_occi(data, token, config=config)
        headers = {"X-Auth-Token": token}
        try:
            started = time.monotonic()
            with open(ova, "rb") as body:
                answer = httpx.post(
                    url + "/ovf/imports/",
                    content=body,
                    timeout=600,
                    headers={**headers, "Content-Type": "application/x-tar"},
                )
            uploaded = time.monotonic()
            job = wait(answer.headers["location"], headers)
            imported = time.monotonic()
            assert job["state"] == "done", job
            created: list[str] = job["created"]  # type: ignore[assignment]
            compute = next(u for u in created if "/compute/" in u)
            act(compute, headers, INFRA_ACTION, "stop")
            before_export = time.monotonic()
            started_export = act(compute, headers, ACTION, "export")
            link = started_export.headers["link"].split(">")[0].lstrip("<")
            exported_job = wait(link, headers)
            exported = time.monotonic()
            assert exported_job["state"] == "done", exported_job
            download = httpx.get(started_export.headers["location"], headers=headers, timeout=600)
            downloaded = time.monotonic()
        finally:
            server.stop()
    print(f"disk {args.gib:g} GiB, {args.data_fraction:.0%} random data; OVA {ova_size} bytes")
    print(f"upload (POST to 202)      {uploaded - started:7.2f} s")
    print(f"import job (202 to done)  {imported - uploaded:7.2f} s")
    print(f"export job (202 to done)  {exported - before_export:7.2f} s")
    print(
        f"download                  {downloaded - exported:7.2f} s  ({len(download.content)} bytes)"
    )


if __name__ == "__main__":
    main()
