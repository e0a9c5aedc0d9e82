"""What the embedded cloud offers: flavors, images, floating-IP pools and shared networks.

Plain data, loaded from configuration (see `catalogue_from_mapping`) or `default_offer()`,
which holds what the walkthrough uses.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Stable ids for catalogue entries that have none in the configuration.
_ID_NAMESPACE = uuid.UUID("6f0d1c52-5a0e-4f57-9d39-8f4f2c1f0c11")


def stable_id(kind: str, name: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, f"{kind}:{name}"))


@dataclass(frozen=True, slots=True)
class Flavor:
    name: str
    vcpus: int
    ram_mb: int
    disk_gb: int = 0
    ephemeral_gb: int = 0
    swap_mb: int = 0
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", stable_id("flavor", self.name))

    @property
    def memory_gib(self) -> float:
        return self.ram_mb / 1024


@dataclass(frozen=True, slots=True)
class Image:
    name: str
    id: str = ""
    os_family: str = "linux"
    os_version: str = ""
    architecture: str = "x86_64"
    file: str = ""  # its disk file on this host (a real hypervisor boots from it)

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", stable_id("image", self.name))


@dataclass(frozen=True, slots=True)
class FloatingPool:
    name: str
    cidr: str


@dataclass(frozen=True, slots=True)
class NetworkSpec:
    name: str
    cidr: str
    gateway: str | None = None  # None: the first host of the CIDR
    public: bool = False


@dataclass(frozen=True, slots=True)
class CloudOffer:
    flavors: tuple[Flavor, ...]
    images: tuple[Image, ...]
    floating_pools: tuple[FloatingPool, ...] = ()
    networks: tuple[NetworkSpec, ...] = ()
    default_flavor: str = ""
    default_image: str = ""
    _flavors: dict[str, Flavor] = field(init=False, repr=False, compare=False)
    _images: dict[str, Image] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_flavors", {f.name: f for f in self.flavors})
        object.__setattr__(self, "_images", {i.name: i for i in self.images})
        _check_unique("flavor", [f.name for f in self.flavors])
        _check_unique("image", [i.name for i in self.images])
        _check_unique("network", [n.name for n in self.networks])
        if self.default_flavor not in self._flavors:
            raise ValueError(f"default flavor {self.default_flavor!r} is not a configured flavor")
        if self.default_image not in self._images:
            raise ValueError(f"default image {self.default_image!r} is not a configured image")
        for cidr in [p.cidr for p in self.floating_pools] + [n.cidr for n in self.networks]:
            ipaddress.ip_network(cidr, strict=False)

    def flavor(self, name: str) -> Flavor | None:
        return self._flavors.get(name)

    def image(self, name: str) -> Image | None:
        return self._images.get(name)


def _check_unique(what: str, names: Sequence[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{what} {name!r} is configured twice")
        seen.add(name)


def default_offer() -> CloudOffer:
    """The walkthrough's cloud: devstack's flavors plus itsy/bitsy, cirros and SmartOS."""
    return CloudOffer(
        flavors=(
            Flavor("m1.tiny", 1, 512, 1, 0, 0, "1"),
            Flavor("m1.small", 1, 2048, 20, 0, 0, "2"),
            Flavor("m1.medium", 2, 4096, 40, 0, 0, "3"),
            Flavor("m1.large", 4, 8192, 80, 0, 0, "4"),
            Flavor("m1.xlarge", 8, 16384, 160, 0, 0, "5"),
            Flavor("itsy", 1, 128, 1, 1, 0, "98"),
            Flavor("bitsy", 1, 256, 1, 1, 0, "99"),
        ),
        images=(
            Image("cirros-0.3.0-x86_64-uec", "", "linux", "0.3.0", "x86_64"),
            Image("SmartOS", "", "smartos", "20120223", "x86_64"),
        ),
        # The floating pool and the public network share one address space, as in devstack:
        # a floating IP is an address on the public network.
        floating_pools=(FloatingPool("nova", "172.24.4.0/24"),),
        networks=(NetworkSpec("public", "172.24.4.0/24", "172.24.4.1", public=True),),
        default_flavor="m1.tiny",
        default_image="cirros-0.3.0-x86_64-uec",
    )


def catalogue_from_mapping(data: Mapping[str, Any]) -> CloudOffer:
    """Build a catalogue from configuration (e.g. the `[cloud]` table of the TOML file).

    Keys: flavors / images / floating_pools / networks (lists of tables whose keys are the
    dataclass fields), default_flavor, default_image. A missing list keeps the default one.
    """
    base = default_offer()
    try:
        flavors = tuple(Flavor(**f) for f in data.get("flavors", ())) or base.flavors
        images = tuple(Image(**i) for i in data.get("images", ())) or base.images
        pools = tuple(FloatingPool(**p) for p in data.get("floating_pools", ()))
        networks = tuple(NetworkSpec(**n) for n in data.get("networks", ()))
    except TypeError as error:
        raise ValueError(f"cloud catalogue: {error}") from None
    return CloudOffer(
        flavors=flavors,
        images=images,
        floating_pools=pools if "floating_pools" in data else base.floating_pools,
        networks=networks if "networks" in data else base.networks,
        default_flavor=data.get(
            "default_flavor", flavors[0].name if "flavors" in data else base.default_flavor
        ),
        default_image=data.get(
            "default_image", images[0].name if "images" in data else base.default_image
        ),
    )
