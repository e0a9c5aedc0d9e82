"""The slirp options that hand a guest its allocated address (the QEMU tier shows a real
guest leasing it: tests/qemu/test_guest_surface.py)."""

from __future__ import annotations

import pytest

from occi_server.drivers.hypervisor import IpConfig
from occi_server.drivers.qemu.network import netdev_argument, slirp_options


def test_the_allocated_address_is_the_first_dhcp_lease() -> None:
    options = slirp_options(IpConfig("192.168.57.77", "192.168.57.0/24", "192.168.57.1"))
    assert options == {
        "net": "192.168.57.0/24",
        "host": "192.168.57.1",
        "dhcpstart": "192.168.57.77",
        "dns": "192.168.57.2",
    }


def test_the_dns_address_keeps_clear_of_an_allocated_dot_three() -> None:
    # slirp's default DNS is the network's .3: a lease there would be refused.
    options = slirp_options(IpConfig("10.0.0.3", "10.0.0.0/24", "10.0.0.2"))
    assert options["dhcpstart"] == "10.0.0.3"
    assert options["dns"] not in ("10.0.0.2", "10.0.0.3")


def test_without_a_gateway_slirp_takes_a_free_host_address() -> None:
    options = slirp_options(IpConfig("10.1.0.1", "10.1.0.0/29"))
    assert options["host"] == "10.1.0.2" and options["dns"] == "10.1.0.3"


@pytest.mark.parametrize(
    "ip",
    [
        None,
        IpConfig("2001:db8::5", "2001:db8::/64", "2001:db8::1"),  # slirp's net is IPv4
        IpConfig("10.0.0.5"),  # no network known
        IpConfig("10.9.0.5", "10.0.0.0/24", "10.0.0.1"),  # outside its network
        IpConfig("not an address", "10.0.0.0/24"),
    ],
)
def test_what_slirp_cannot_take_gets_its_defaults(ip: IpConfig | None) -> None:
    assert slirp_options(ip) == {}


def test_the_netdev_argument_carries_the_options() -> None:
    options = slirp_options(IpConfig("192.168.57.77", "192.168.57.0/24", "192.168.57.1"))
    assert netdev_argument("nic-1", options) == (
        "user,id=nic-1,net=192.168.57.0/24,host=192.168.57.1,dhcpstart=192.168.57.77,"
        "dns=192.168.57.2"
    )
    assert netdev_argument("nic-2", {}) == "user,id=nic-2"


def test_an_intent_without_an_address_has_no_ip_config() -> None:
    assert IpConfig.of({"interface": "/networklink/x", "mac": "fa:16:3e:00:00:01"}) is None
    given = {"ip": {"address": "10.0.0.4", "network": "10.0.0.0/24", "gateway": "10.0.0.1"}}
    assert IpConfig.of(given) == IpConfig("10.0.0.4", "10.0.0.0/24", "10.0.0.1")
