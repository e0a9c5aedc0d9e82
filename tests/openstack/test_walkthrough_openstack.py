"""The seed walkthrough against real Keystone, Nova, Glance, Cinder and Neutron.

Requests are the walkthrough's own (headers, paths, schemes, terms). OpenStack is asynchronous:
an action answers when OpenStack has accepted it, so the checks wait for the state to show it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from tests.openstack.conftest import OpenStackServer
from tests.support.occi_client import parse

COMPUTE = 'compute; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"'
ITSY = 'itsy; scheme="http://schemas.openstack.org/template/resource#"; class="mixin"'
BITSY = 'bitsy; scheme="http://schemas.openstack.org/template/resource#"; class="mixin"'
CIRROS = (
    'cirros-0.3.0-x86_64-uec; scheme="http://schemas.openstack.org/template/os#"; class="mixin"'
)
SMARTOS = 'SmartOS; scheme="http://schemas.openstack.org/template/os#"; class="mixin"'
INSTANCE = "http://schemas.openstack.org/instance/action#"
COMPUTE_ACTION = "http://schemas.ogf.org/occi/infrastructure/compute/action#"
MY_GRP = 'my_grp; scheme="http://www.mystuff.org/sec#"; class="mixin"'
OCCI = ("Content-Type", "text/occi")


class Walk:
    def __init__(self, server: OpenStackServer, token: str, project: str, user: str) -> None:
        self.base = server.url
        self.auth = [("X-Auth-Token", token), ("X-Auth-Tenant-Id", project), ("X-Auth-User", user)]

    def __call__(self, method: str, path: str, *headers: tuple[str, str]) -> httpx.Response:
        sent = [*self.auth, *headers]
        if not any(name.lower() == "accept" for name, _ in sent):
            sent.append(("Accept", "text/occi"))
        return httpx.request(method, self.base + path, headers=sent, timeout=60)

    def created(self, response: httpx.Response) -> str:
        """The id of what the 201 names, read straight away (no waiting for OpenStack)."""
        assert response.status_code == 201, response.text
        location = response.headers["location"]
        path = "/" + location.split("/", 3)[3]
        read = self("GET", path, ("Accept", "text/plain"))
        assert read.status_code == 200, f"{path}, named by a 201, reads {read.status_code}"
        return location.rsplit("/", 1)[1]

    def attr(self, path: str, name: str) -> str | None:
        return parse(self("GET", path, ("Accept", "text/plain"))).attr(name)

    def until(self, path: str, name: str, want: Callable[[str | None], bool], timeout: float = 60):
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = self.attr(path, name)
            if want(value):
                return value
            time.sleep(0.3)
        raise AssertionError(f"{path} {name} stayed {value!r}")

    def action(self, vm: str, scheme: str, term: str, *extra: tuple[str, str]) -> httpx.Response:
        category = f'{term}; scheme="{scheme}"; class="action"'
        return self("POST", f"/compute/{vm}?action={term}", OCCI, ("Category", category), *extra)


@pytest.fixture(scope="module")
def walk(os_server: OpenStackServer, alice: str, testbed: dict[str, str]) -> Walk:
    return Walk(os_server, alice, testbed["OCCI_TESTBED_PROJECT1"], testbed["OCCI_TESTBED_USER1"])


def _vm(walk: Walk, *extra: tuple[str, str]) -> str:
    vm = walk.created(
        walk(
            "POST",
            "/compute/",
            ("Category", COMPUTE),
            OCCI,
            ("Category", ITSY),
            ("Category", CIRROS),
            *extra,
        )
    )
    walk.until(f"/compute/{vm}", "org.openstack.compute.state", lambda v: v == "ACTIVE")
    return vm


def test_discovery_and_lifecycle(walk: Walk) -> None:
    text = walk("GET", "/-/", ("Accept", "text/plain")).text
    for needle in (
        'itsy; scheme="http://schemas.openstack.org/template/resource#"',
        'SmartOS; scheme="http://schemas.openstack.org/template/os#"',
        'nova; scheme="http://schemas.openstack.org/network/floatingippool#"',
        INSTANCE + "confirm_resize",
    ):
        assert needle in text, needle
    vm = _vm(walk)
    assert walk.base + f"/compute/{vm}" in walk("GET", "/compute/", OCCI).headers["x-occi-location"]
    assert walk.attr(f"/compute/{vm}", "occi.compute.memory") == "0.125"
    assert walk.action(vm, COMPUTE_ACTION, "stop").status_code == 200
    walk.until(f"/compute/{vm}", "occi.compute.state", lambda v: v == "inactive")
    assert walk.action(vm, COMPUTE_ACTION, "start").status_code == 200
    walk.until(f"/compute/{vm}", "occi.compute.state", lambda v: v == "active")
    # storage, link, unlink, delete
    vol = walk.created(
        walk(
            "POST",
            "/storage/",
            OCCI,
            (
                "Category",
                'storage; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"',
            ),
            ("X-OCCI-Attribute", "occi.storage.size = 1.0"),
        )
    )
    walk.until(f"/storage/{vol}", "org.openstack.storage.state", lambda v: v == "available")
    link = walk.created(
        walk(
            "POST",
            "/storage/link/",
            OCCI,
            (
                "Category",
                'storagelink; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"',
            ),
            ("X-OCCI-Attribute", f'occi.core.source="http://localhost:8787/compute/{vm}"'),
            ("X-OCCI-Attribute", f'occi.core.target="http://localhost:8787/storage/{vol}"'),
            ("X-OCCI-Attribute", 'occi.storagelink.deviceid="/dev/vdc"'),
        )
    )
    walk.until(f"/storage/{vol}", "org.openstack.storage.state", lambda v: v == "in-use")
    assert walk.attr(f"/storage/link/{link}", "occi.storagelink.deviceid") == "/dev/vdc"
    assert f"/storage/link/{link}" in walk("GET", f"/compute/{vm}", OCCI).headers["link"]
    assert walk("DELETE", f"/storage/link/{link}", OCCI).status_code == 200
    walk.until(f"/storage/{vol}", "org.openstack.storage.state", lambda v: v == "available")
    assert walk("GET", f"/storage/link/{link}", OCCI).status_code == 404
    assert walk("DELETE", f"/storage/{vol}", OCCI).status_code == 200
    assert walk("DELETE", f"/compute/{vm}", OCCI).status_code == 200


def test_resize_confirm_rebuild(walk: Walk) -> None:
    vm = _vm(walk)
    assert walk("POST", f"/compute/{vm}", OCCI, ("Category", BITSY)).status_code == 200
    walk.until(f"/compute/{vm}", "org.openstack.compute.state", lambda v: v == "VERIFY_RESIZE")
    assert walk.attr(f"/compute/{vm}", "occi.compute.memory") == "0.25"
    assert walk("POST", f"/compute/{vm}", OCCI, ("Category", ITSY)).status_code == 409
    assert walk.action(vm, INSTANCE, "confirm_resize").status_code == 200
    walk.until(f"/compute/{vm}", "org.openstack.compute.state", lambda v: v == "ACTIVE")
    assert walk("POST", f"/compute/{vm}", OCCI, ("Category", SMARTOS)).status_code == 200
    walk.until(f"/compute/{vm}", "org.openstack.compute.state", lambda v: v == "ACTIVE")
    categories = walk("GET", f"/compute/{vm}", OCCI).headers["category"]
    assert "SmartOS" in categories and "cirros" not in categories
    assert walk("DELETE", f"/compute/{vm}", OCCI).status_code == 200


def test_security_groups(walk: Walk) -> None:
    walk("DELETE", "/-/", OCCI, ("Category", MY_GRP))  # a leftover of an interrupted run
    group = (
        MY_GRP + '; rel="http://schemas.ogf.org/occi/infrastructure/security#group"; '
        'location="/mygroups/"'
    )
    assert walk("POST", "/-/", OCCI, ("Category", group)).status_code == 200
    rule = walk.created(
        walk(
            "POST",
            "/network/security/rule/",
            OCCI,
            ("Category", MY_GRP),
            (
                "Category",
                'rule; scheme="http://schemas.openstack.org/occi/infrastructure/network/'
                'security#"; '
                'class="kind"',
            ),
            ("X-OCCI-Attribute", 'occi.network.security.protocol = "TCP"'),
            ("X-OCCI-Attribute", "occi.network.security.to = 22"),
            ("X-OCCI-Attribute", "occi.network.security.from = 22"),
            ("X-OCCI-Attribute", 'occi.network.security.range = "0.0.0.0/24"'),
        )
    )
    assert (
        f"/network/security/rule/{rule}"
        in walk("GET", "/mygroups/", OCCI).headers["x-occi-location"]
    )
    assert (
        'occi.network.security.protocol="tcp"'
        in walk("GET", f"/network/security/rule/{rule}", ("Accept", "text/plain")).text
    )
    vm = _vm(walk, ("Category", MY_GRP))
    assert f"/compute/{vm}" in walk("GET", "/mygroups/", OCCI).headers["x-occi-location"]
    assert walk("DELETE", "/-/", OCCI, ("Category", MY_GRP)).status_code == 409
    assert walk("DELETE", f"/compute/{vm}", OCCI).status_code == 200
    walk.until(f"/compute/{vm}", "occi.compute.state", lambda v: v is None)
    # Nova drops the server before Neutron has deleted its port: until then the group is in use,
    # and the delete is (rightly) a 409 that names it. A client retries; so does the test.
    deadline = time.monotonic() + 60
    while (gone := walk("DELETE", "/-/", OCCI, ("Category", MY_GRP))).status_code == 409:
        assert time.monotonic() < deadline, gone.text
        time.sleep(1)
    assert gone.status_code == 200, gone.text


def test_floating_ip_password_image(walk: Walk) -> None:
    vm = _vm(walk)
    alloc = walk.action(
        vm,
        INSTANCE,
        "alloc_float_ip",
        ("X-OCCI-Attribute", 'org.openstack.network.floating.pool="nova"'),
    )
    assert alloc.status_code == 200, alloc.text
    address = walk.attr(f"/compute/{vm}", "org.openstack.network.floating.ip")
    assert address and address.startswith("172.24.4.")
    assert (
        f'occi.networkinterface.address="{address}"'
        in walk("GET", f"/compute/{vm}", OCCI).headers["link"]
    )
    assert walk.action(vm, INSTANCE, "dealloc_float_ip").status_code == 200
    assert walk.attr(f"/compute/{vm}", "org.openstack.network.floating.ip") is None
    chg = walk.action(
        vm,
        INSTANCE,
        "chg_pwd",
        ("X-OCCI-Attribute", 'org.openstack.credentials.admin_pwd="new_pass"'),
    )
    assert chg.status_code == 200, chg.text
    image = walk.action(
        vm,
        INSTANCE,
        "create_image",
        ("X-OCCI-Attribute", 'org.openstack.snapshot.image_name="awesome_ware"'),
    )
    assert image.status_code == 200, image.text
    deadline = time.monotonic() + 60
    while (
        'awesome_ware; scheme="http://schemas.openstack.org/template/os#"'
        not in walk("GET", "/-/", ("Accept", "text/plain")).text
    ):
        assert time.monotonic() < deadline, "the snapshot never became an OS template"
        time.sleep(1)
    assert walk("DELETE", f"/compute/{vm}", OCCI).status_code == 200


def test_networks(walk: Walk) -> None:
    vm = _vm(walk)
    net = walk.created(
        walk(
            "POST",
            "/network/",
            OCCI,
            (
                "Category",
                'network; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"',
            ),
            ("X-OCCI-Attribute", 'occi.network.label="www"'),
        )
    )
    cidr = walk.attr(f"/network/{net}", "occi.network.address")
    assert cidr
    link = walk.created(
        walk(
            "POST",
            "/networklink/",
            OCCI,
            (
                "Category",
                'networkinterface; scheme="http://schemas.ogf.org/occi/infrastructure#"; '
                'class="kind"',
            ),
            ("X-OCCI-Attribute", f'occi.core.source="http://localhost:8787/compute/{vm}"'),
            ("X-OCCI-Attribute", f'occi.core.target="http://localhost:8787/network/{net}"'),
        )
    )
    address = walk.attr(f"/networklink/{link}", "occi.networkinterface.address")
    assert address and address.rsplit(".", 1)[0] == cidr.split("/")[0].rsplit(".", 1)[0]
    assert walk("DELETE", f"/network/{net}", OCCI).status_code == 200
    assert walk("GET", f"/networklink/{link}", OCCI).status_code == 404
    assert walk("DELETE", f"/compute/{vm}", OCCI).status_code == 200
