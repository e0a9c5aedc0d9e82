"""The seed walkthrough (../shared/seed/), every request as written, against the real server.

The requests keep the walkthrough's own headers, paths, schemes and terms. Only its two evident
typos are corrected (the network label sent without `X-OCCI-Attribute:`, and the unbalanced quote
in create_image's Category). Where the walkthrough uses a resource after its own delete step (the
OS change after "Delete a VM", the secured VM after "Delete a Security Group"), the test makes a
fresh one first, exactly as the earlier step did.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.support.occi_client import parse
from tests.support.server import ServerProcess

INFRA = "http://schemas.ogf.org/occi/infrastructure#"
COMPUTE = 'compute; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"'
ITSY = 'itsy; scheme="http://schemas.openstack.org/template/resource#"; class="mixin"'
BITSY = 'bitsy; scheme="http://schemas.openstack.org/template/resource#"; class="mixin"'
CIRROS = (
    'cirros-0.3.0-x86_64-uec; scheme="http://schemas.openstack.org/template/os#"; class="mixin"'
)
SMARTOS = 'SmartOS; scheme="http://schemas.openstack.org/template/os#"; class="mixin"'
MY_GRP = 'my_grp; scheme="http://www.mystuff.org/sec#"; class="mixin"'
OCCI = ("Content-Type", "text/occi")


class Walk:
    """Sends requests the way the walkthrough's curl lines do (OCCI structures in headers)."""

    def __init__(self, server: ServerProcess, token: str, project: str, user: str) -> None:
        self.base = server.url
        self.auth = [("X-Auth-Token", token), ("X-Auth-Tenant-Id", project), ("X-Auth-User", user)]

    def __call__(self, method: str, path: str, *headers: tuple[str, str]) -> httpx.Response:
        return httpx.request(method, self.base + path, headers=[*self.auth, *headers], timeout=30)

    def created(self, response: httpx.Response) -> str:
        assert response.status_code == 201, response.text
        return response.headers["location"].rsplit("/", 1)[1]

    def attr(self, path: str, name: str) -> str | None:
        return parse(self("GET", path, ("Accept", "text/plain"))).attr(name)


@pytest.fixture
def walk(server: ServerProcess, token_factory: Callable[[str], str]) -> Walk:
    return Walk(server, token_factory("walkthrough"), "walkthrough", "alice")


def _create_vm(walk: Walk, *extra: tuple[str, str]) -> str:
    return walk.created(
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


def test_walkthrough_compute_and_storage(walk: Walk) -> None:
    # See What Can be Provisioned
    discovery = walk("GET", "/-/")
    assert discovery.status_code == 200
    text = discovery.text
    for needle in (
        'itsy; scheme="http://schemas.openstack.org/template/resource#"',
        'bitsy; scheme="http://schemas.openstack.org/template/resource#"',
        'cirros-0.3.0-x86_64-uec; scheme="http://schemas.openstack.org/template/os#"',
        'SmartOS; scheme="http://schemas.openstack.org/template/os#"',
        'nova; scheme="http://schemas.openstack.org/network/floatingippool#"',
        "http://schemas.openstack.org/instance/action#confirm_resize",
    ):
        assert needle in text, needle

    # Create a VM; get a listing; get its details
    vm = _create_vm(walk)
    assert walk.base + f"/compute/{vm}" in parse(walk("GET", "/compute/", OCCI)).locations
    details = walk("GET", f"/compute/{vm}", OCCI)
    assert details.status_code == 200
    terms = parse(details).category_terms()
    assert "itsy" in terms and "cirros-0.3.0-x86_64-uec" in terms
    assert walk.attr(f"/compute/{vm}", "occi.compute.memory") == "0.125"

    # Stop, then start: the start really works (the old note expected an error state)
    stop = (
        'stop; scheme="http://schemas.ogf.org/occi/infrastructure/compute/action#"; class="action"'
    )
    start = (
        'start; scheme="http://schemas.ogf.org/occi/infrastructure/compute/action#"; class="action"'
    )
    assert walk("POST", f"/compute/{vm}?action=stop", OCCI, ("Category", stop)).status_code == 200
    assert walk.attr(f"/compute/{vm}", "occi.compute.state") == "inactive"
    assert walk("POST", f"/compute/{vm}?action=start", OCCI, ("Category", start)).status_code == 200
    assert walk.attr(f"/compute/{vm}", "occi.compute.state") == "active"

    # Create a block storage volume; show it
    vol = walk.created(
        walk(
            "POST",
            "/storage/",
            (
                "Category",
                'storage; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"',
            ),
            OCCI,
            ("X-OCCI-Attribute", "occi.storage.size = 1.0"),
        )
    )
    assert walk("GET", f"/storage/{vol}", OCCI).status_code == 200
    assert walk.attr(f"/storage/{vol}", "occi.storage.size") == "1.0"

    # Link the volume to the instance; inspect the link; unlink; delete the volume
    link = walk.created(
        walk(
            "POST",
            "/storage/link/",
            (
                "Category",
                'storagelink; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"',
            ),
            ("X-OCCI-Attribute", f'occi.core.source="http://localhost:8787/compute/{vm}"'),
            ("X-OCCI-Attribute", f'occi.core.target="http://localhost:8787/storage/{vol}"'),
            ("X-OCCI-Attribute", 'occi.storagelink.deviceid="/dev/vdc"'),
            OCCI,
        )
    )
    shown = walk("GET", f"/storage/link/{link}", OCCI)
    assert shown.status_code == 200
    assert parse(shown).attr("occi.core.target") == f"/storage/{vol}"
    compute_links = parse(walk("GET", f"/compute/{vm}", OCCI)).links
    assert any(f'self="/storage/link/{link}"' in x for x in compute_links)
    assert walk("DELETE", f"/storage/link/{link}", OCCI).status_code == 200
    assert walk("GET", f"/storage/link/{link}", OCCI).status_code == 404
    assert walk("DELETE", f"/storage/{vol}", OCCI).status_code == 200
    assert walk("GET", f"/storage/{vol}", OCCI).status_code == 404


def test_walkthrough_resize_rebuild_delete(walk: Walk) -> None:
    vm = _create_vm(walk)
    confirm = (
        'confirm_resize; scheme="http://schemas.openstack.org/instance/action#"; class="action"'
    )
    # Scale up to bitsy: pending until confirmed
    assert walk("POST", f"/compute/{vm}", OCCI, ("Category", BITSY)).status_code == 200
    assert walk.attr(f"/compute/{vm}", "org.openstack.compute.state") == "VERIFY_RESIZE"
    assert walk.attr(f"/compute/{vm}", "occi.compute.memory") == "0.25"
    assert (
        walk(
            "POST", f"/compute/{vm}?action=confirm_resize", OCCI, ("Category", confirm)
        ).status_code
        == 200
    )
    assert walk.attr(f"/compute/{vm}", "org.openstack.compute.state") == "ACTIVE"
    # Scale down to itsy and confirm
    assert walk("POST", f"/compute/{vm}", OCCI, ("Category", ITSY)).status_code == 200
    assert (
        walk(
            "POST", f"/compute/{vm}?action=confirm_resize", OCCI, ("Category", confirm)
        ).status_code
        == 200
    )
    assert walk.attr(f"/compute/{vm}", "occi.compute.memory") == "0.125"
    # Delete the VM
    assert walk("DELETE", f"/compute/{vm}", OCCI).status_code == 200
    assert walk("GET", f"/compute/{vm}", OCCI).status_code == 404
    # Update a VM: change the OS (on a fresh VM, since the previous one is gone)
    vm = _create_vm(walk)
    assert walk("POST", f"/compute/{vm}", OCCI, ("Category", SMARTOS)).status_code == 200
    terms = parse(walk("GET", f"/compute/{vm}", OCCI)).category_terms()
    assert "SmartOS" in terms and "cirros-0.3.0-x86_64-uec" not in terms


def test_walkthrough_security_groups(walk: Walk) -> None:
    group = (
        MY_GRP + '; rel="http://schemas.ogf.org/occi/infrastructure/security#group"; '
        'location="/mygroups/"'
    )
    # Create a security group; list security groups (with the related categories)
    assert walk("POST", "/-/", OCCI, ("Category", group)).status_code == 200
    listed = walk(
        "GET",
        "/-/",
        ("Content-type", "text/occi"),
        ("Accept", "text/plain"),
        (
            "Category",
            'group; scheme="http://schemas.ogf.org/occi/infrastructure/security#"; class="mixin"',
        ),
    )
    assert listed.status_code == 200
    assert "group; scheme=" in listed.text and "my_grp; scheme=" in listed.text
    # Create a rule in the group
    rule = walk.created(
        walk(
            "POST",
            "/network/security/rule/",
            OCCI,
            ("Category", MY_GRP),
            (
                "Category",
                'rule; scheme="http://schemas.openstack.org/occi/infrastructure/network/'
                'security#"; class="kind"',
            ),
            ("X-OCCI-Attribute", 'occi.network.security.protocol = "TCP"'),
            ("X-OCCI-Attribute", "occi.network.security.to = 22"),
            ("X-OCCI-Attribute", "occi.network.security.from = 22"),
            ("X-OCCI-Attribute", 'occi.network.security.range = "0.0.0.0/24"'),
        )
    )
    # List the group's rules and computes; the rule's details
    members = walk("GET", "/mygroups/", OCCI)
    assert members.status_code == 200
    assert walk.base + f"/network/security/rule/{rule}" in parse(members).locations
    details = walk("GET", f"/network/security/rule/{rule}")
    assert details.status_code == 200
    assert 'occi.network.security.protocol="tcp"' in details.text
    # Delete the rule, then the group
    assert walk("DELETE", f"/network/security/rule/{rule}").status_code == 200
    assert walk("DELETE", "/-/", OCCI, ("Category", MY_GRP)).status_code == 200
    # Create a secured VM with a security group (the group made again first)
    assert walk("POST", "/-/", OCCI, ("Category", group)).status_code == 200
    vm = _create_vm(walk, ("Category", MY_GRP))
    assert walk.base + f"/compute/{vm}" in parse(walk("GET", "/mygroups/", OCCI)).locations
    # A group still used by a VM is not deleted (OpenStack answers 409 as well)
    assert walk("DELETE", "/-/", OCCI, ("Category", MY_GRP)).status_code == 409


def test_walkthrough_floating_ips_password_image(walk: Walk) -> None:
    vm = _create_vm(walk)
    # List floating IP pools: the query interface, filtered on the pool mixin
    pools = walk(
        "GET",
        "/-/",
        OCCI,
        (
            "Category",
            'nova; scheme="http://schemas.openstack.org/network/floatingippool#"; class="mixin"',
        ),
    )
    assert "nova" in parse(pools).category_terms()
    # Allocate a floating IP to the VM; view it; deallocate it
    alloc = walk(
        "POST",
        f"/compute/{vm}?action=alloc_float_ip",
        OCCI,
        (
            "Category",
            'alloc_float_ip; scheme="http://schemas.openstack.org/instance/action#"; '
            'class="action"',
        ),
        ("X-OCCI-Attribute", 'org.openstack.network.floating.pool="nova"'),
    )
    assert alloc.status_code == 200, alloc.text
    address = walk.attr(f"/compute/{vm}", "org.openstack.network.floating.ip")
    assert address and address.startswith("172.24.4.")
    compute_links = parse(walk("GET", f"/compute/{vm}", OCCI)).links
    assert any(f'occi.networkinterface.address="{address}"' in x for x in compute_links)
    dealloc = walk(
        "POST",
        f"/compute/{vm}?action=dealloc_float_ip",
        OCCI,
        (
            "Category",
            'dealloc_float_ip; scheme="http://schemas.openstack.org/instance/action#"; '
            'class="action"',
        ),
    )
    assert dealloc.status_code == 200, dealloc.text
    assert walk.attr(f"/compute/{vm}", "org.openstack.network.floating.ip") is None
    # Change the administrative password: accepted, never shown
    chg = walk(
        "POST",
        f"/compute/{vm}?action=chg_pwd",
        OCCI,
        (
            "Category",
            'chg_pwd; scheme="http://schemas.openstack.org/instance/action#"; class="action"',
        ),
        ("X-OCCI-Attribute", 'org.openstack.credentials.admin_pwd="new_pass"'),
    )
    assert chg.status_code == 200
    assert "new_pass" not in walk("GET", f"/compute/{vm}").text
    # Create an image from the active VM: it becomes an OS template of the project
    image = walk(
        "POST",
        f"/compute/{vm}?action=create_image",
        OCCI,
        (
            "Category",
            'create_image; scheme="http://schemas.openstack.org/instance/action#"; class="action"',
        ),
        ("X-OCCI-Attribute", 'org.openstack.snapshot.image_name="awesome_ware"'),
    )
    assert image.status_code == 200, image.text
    assert (
        'awesome_ware; scheme="http://schemas.openstack.org/template/os#"'
        in walk("GET", "/-/").text
    )


def test_walkthrough_networks(walk: Walk) -> None:
    vm = _create_vm(walk)
    # Create a network; get its details
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
    assert walk("GET", f"/network/{net}", OCCI).status_code == 200
    cidr = walk.attr(f"/network/{net}", "occi.network.address")
    assert cidr
    # Attach the VM to the network: the interface gets an address from the network's range
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
    # Delete the network: its interfaces go with it
    assert walk("DELETE", f"/network/{net}", OCCI).status_code == 200
    assert walk("GET", f"/networklink/{link}", OCCI).status_code == 404
    assert walk("GET", f"/compute/{vm}", OCCI).status_code == 200
