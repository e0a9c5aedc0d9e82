"""The flavor an OVF import gives its server: the smallest with the cores, the memory and a
root disk for the boot disk (never one without a root disk size)."""

from __future__ import annotations

import pytest

from occi_server.backends.openstack.appliance_disks import fitting_flavor
from occi_server.backends.openstack.scope import Scope, Settings
from occi_server.backends.openstack.templates import Offer, OfferCache
from occi_server.errors import BadRequest
from tests.openstack.unit.fake_cloud import FakeCloud, fake_api

GIB = 1 << 30
FLAVORS = [  # name, vcpus, ram MiB, disk GB
    ("zero-disk", 1, 128, 0),
    ("itsy", 1, 128, 1),
    ("bitsy", 1, 256, 1),
    ("wide", 4, 256, 20),
    ("m1.small", 2, 2048, 10),
]


def _scope() -> Scope:
    scope = Scope(fake_api(FakeCloud()), OfferCache(), Settings())
    flavors = {
        name: {"id": name, "name": name, "vcpus": cores, "ram": ram, "disk": disk}
        for name, cores, ram, disk in FLAVORS
    }
    scope._offer = Offer(flavors=flavors)
    return scope


@pytest.mark.parametrize(
    ("cores", "memory", "disk", "chosen"),
    [
        (1, 100, 10 << 20, "itsy"),  # zero-disk has as much but no root disk size
        (1, 200, 10 << 20, "bitsy"),
        (1, 200, 2 * GIB, "wide"),  # less memory than m1.small, enough disk
        (2, 200, GIB, "wide"),
        (2, 1024, GIB, "m1.small"),
    ],
)
def test_the_smallest_flavor_that_fits(cores: int, memory: int, disk: int, chosen: str) -> None:
    assert fitting_flavor(_scope(), cores, memory, disk).term == chosen


def test_none_fits_names_what_was_asked() -> None:
    with pytest.raises(BadRequest, match="8 cores, 512 MiB of memory and a root disk of 1 GiB"):
        fitting_flavor(_scope(), 8, 512, 1)
