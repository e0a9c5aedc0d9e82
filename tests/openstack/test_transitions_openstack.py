"""What a 201 names exists at once, while OpenStack is still at work: a compute in BUILD and a
member of its groups, a volume being created, a storagelink attaching; and a DELETE in progress
shows the entity gone (computes, volumes) or detaching (storagelinks), the same way everywhere.
"""

from __future__ import annotations

import uuid

from tests.openstack.conftest import OpenStackServer
from tests.openstack.occi_http import JSON, Occi, until
from tests.support.occi_client import COMPUTE_KIND, STORAGE_KIND

ITSY = 'itsy; scheme="http://schemas.openstack.org/template/resource#"; class="mixin"'
LINK_KIND = 'storagelink; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"'
GROUP_REL = "http://schemas.ogf.org/occi/infrastructure/security#group"
BUSY_SERVER = {"BUILD", "ACTIVE"}


def test_what_a_201_names_reads_at_once(os_server: OpenStackServer, alice: str) -> None:
    occi = Occi(os_server, alice)
    term = "grp" + uuid.uuid4().hex[:8]
    group = f'{term}; scheme="http://example.org/occi16#"; class="mixin"'
    defined = occi.http.post(
        "/-/",
        headers={
            "Content-Type": "text/occi",
            "Category": f'{group}; rel="{GROUP_REL}"; location="/{term}/"',
        },
    )
    assert defined.status_code == 200, defined.text
    made: list[str] = []
    try:
        vm = occi.post("/compute/", COMPUTE_KIND, ITSY, group)
        made.append(vm)
        status, got = occi.read(vm)  # no wait: Nova has only just accepted it
        assert status == 200
        assert got.attr("org.openstack.compute.state") in BUSY_SERVER
        assert term in got.category_terms()
        assert vm in occi.listing(f"/{term}/", "text/uri-list")  # a member at once
        assert vm in occi.listing("/compute/", JSON)

        vol = occi.post("/storage/", STORAGE_KIND, attributes=("occi.storage.size=1",))
        made.append(vol)
        status, got = occi.read(vol)
        assert status == 200, "a volume Cinder is still creating"
        until(lambda: occi.read(vol)[1].attr("org.openstack.storage.state") == "available", vol)
        until(lambda: occi.read(vm)[1].attr("org.openstack.compute.state") == "ACTIVE", vm)

        link = occi.post(
            "/storage/link/",
            LINK_KIND,
            attributes=(
                f'occi.core.source="{os_server.url}{vm}"',
                f'occi.core.target="{os_server.url}{vol}"',
                'occi.storagelink.deviceid="/dev/vdc"',
            ),
        )
        _link_reads_the_same_everywhere(occi, link, vm, {"attaching", None})
        until(lambda: occi.read(link)[1].attr("occi.storagelink.state") == "active", link)
        assert occi.read(link)[1].attr("occi.storagelink.deviceid") == "/dev/vdc"

        assert occi.http.delete(link).status_code == 200
        status, got = occi.read(link)
        if status == 200:  # Nova still detaching: shown so, and a second DELETE says so
            assert got.attr("occi.storagelink.state.message") == "detaching"
            assert occi.http.delete(link).status_code in (409, 404)
        until(lambda: occi.read(link)[0] == 404, f"{link} detached")
        assert link not in occi.listing("/storage/link/", "text/uri-list")

        assert occi.http.delete(vm).status_code == 200
        assert occi.read(vm)[0] == 404  # being deleted is gone for OCCI, at once
        assert vm not in occi.listing("/compute/", "text/uri-list")
        assert vm not in occi.listing(f"/{term}/", "text/uri-list")
        assert occi.http.delete(vm).status_code == 404
    finally:
        for path in reversed(made):
            occi.http.delete(path)
        until(
            lambda: (
                occi.http.request(
                    "DELETE", "/-/", headers={"Content-Type": "text/occi", "Category": group}
                ).status_code
                in (200, 404)
            ),
            f"{term} deleted",
        )


def _link_reads_the_same_everywhere(occi: Occi, link: str, vm: str, messages: set) -> None:
    """Straight after the 201: the link, the compute's own view and the listing agree."""
    status, got = occi.read(link)
    assert status == 200, "the storagelink the 201 named"
    assert got.attr("occi.storagelink.state.message") in messages
    if got.attr("occi.storagelink.state.message") == "attaching":
        assert got.attr("occi.storagelink.state") == "inactive"
    assert link in occi.listing("/storage/link/", "text/uri-list")
    links = occi.http.get(vm, headers={"Accept": "text/occi"}).headers.get("link", "")
    assert link in links
