"""The NoCloud seed a guest boots with: an ISO 9660 filesystem labelled `cidata` holding
`meta-data` (instance-id, local-hostname, public-keys), `user-data` and `network-config`, as
cloud-init's NoCloud datasource reads it. Written with pycdlib (Joliet and Rock Ridge, so the
names keep their dash and case on every reader)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pycdlib

LABEL = "cidata"


@dataclass(frozen=True, slots=True)
class Seed:
    instance_id: str
    hostname: str
    user_data: str | None = None
    ssh_keys: Sequence[str] = ()
    macs: Sequence[str] = field(default_factory=tuple)  # the guest's interfaces, in order


def hostname(name: str) -> str:
    """A name as a hostname label: letters, digits and dashes, 63 at most."""
    label = re.sub(r"[^A-Za-z0-9-]+", "-", name).strip("-")[:63].strip("-")
    return label or "guest"


def meta_data(seed: Seed) -> str:
    # JSON is YAML: no quoting rules to get wrong for a hostname or a key.
    values: dict[str, object] = {
        "instance-id": seed.instance_id,
        "local-hostname": seed.hostname,
    }
    if seed.ssh_keys:
        values["public-keys"] = list(seed.ssh_keys)
    return "\n".join(f"{name}: {json.dumps(value)}" for name, value in values.items()) + "\n"


def user_data(seed: Seed) -> str:
    # NoCloud needs the file; an empty cloud-config does nothing.
    return seed.user_data if seed.user_data is not None else "#cloud-config\n{}\n"


def network_config(seed: Seed) -> str:
    """Network config version 2: DHCP on each interface, matched by its MAC (user-mode
    networking hands the guest its address by DHCP)."""
    ethernets = {
        f"eth{index}": {"match": {"macaddress": mac}, "set-name": f"eth{index}", "dhcp4": True}
        for index, mac in enumerate(seed.macs)
    }
    if not ethernets:
        ethernets = {"all": {"match": {"name": "e*"}, "dhcp4": True}}
    return json.dumps({"version": 2, "ethernets": ethernets}, indent=1) + "\n"


def files(seed: Seed) -> dict[str, bytes]:
    return {
        "meta-data": meta_data(seed).encode(),
        "user-data": user_data(seed).encode(),
        "network-config": network_config(seed).encode(),
    }


def write(seed: Seed, target: Path) -> None:
    """Write the seed ISO to `target` (replaced whole: a guest never sees half of one)."""
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, vol_ident=LABEL, joliet=3, rock_ridge="1.09")
    try:
        for name, data in files(seed).items():
            plain = name.upper().replace("-", "_")
            iso.add_fp(
                io.BytesIO(data),
                len(data),
                f"/{plain}.;1",
                rr_name=name,
                joliet_path=f"/{name}",
            )
        partial = target.with_name(target.name + ".partial")
        with open(partial, "wb") as handle:
            iso.write_fp(handle)
        partial.replace(target)
    finally:
        iso.close()
