"""The seed walkthrough again, every step in OCCI 1.2 JSON (application/occi+json both ways).

Same requests as tests/e2e/test_walkthrough.py — paths, schemes, terms, attribute names — with the
OCCI structures as JSON documents instead of headers; the X-Auth-* headers are the walkthrough's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.server import ServerProcess

INFRA = "http://schemas.ogf.org/occi/infrastructure#"
RES_TPL = "http://schemas.openstack.org/template/resource#"
OS_TPL = "http://schemas.openstack.org/template/os#"
INSTANCE = "http://schemas.openstack.org/instance/action#"
COMPUTE_ACTION = "http://schemas.ogf.org/occi/infrastructure/compute/action#"
SECURITY = "http://schemas.ogf.org/occi/infrastructure/security#group"
RULE = "http://schemas.openstack.org/occi/infrastructure/network/security#rule"
MY_GRP = "http://www.mystuff.org/sec#my_grp"
JSON = "application/occi+json"


class Walk:
    def __init__(self, server: ServerProcess, token: str) -> None:
        self.base = server.url
        self.headers = {
            "X-Auth-Token": token,
            "X-Auth-Tenant-Id": "walkthrough-json",
            "X-Auth-User": "alice",
            "Accept": JSON,
        }

    def __call__(self, method: str, path: str, document: Any = None) -> httpx.Response:
        headers = dict(self.headers)
        content = b""
        if document is not None:
            headers["Content-Type"] = JSON
            content = json.dumps(document).encode()
        response = httpx.request(method, self.base + path, headers=headers, content=content)
        assert response.headers["content-type"].startswith(JSON)
        return response

    def get(self, path: str) -> dict[str, Any]:
        response = self("GET", path)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def created(self, response: httpx.Response) -> str:
        assert response.status_code == 201, response.text
        assert response.json()["location"] == response.headers["location"]
        return "/" + response.headers["location"].split("/", 3)[3]

    def action(self, path: str, action: str, **attributes: Any) -> httpx.Response:
        term = action.rsplit("#", 1)[1]
        return self("POST", f"{path}?action={term}", {"action": action, "attributes": attributes})


@pytest.fixture
def walk(server: ServerProcess, token_factory: Callable[[str], str]) -> Walk:
    return Walk(server, token_factory("walkthrough-json"))


def _vm(walk: Walk, *mixins: str) -> str:
    document = {
        "kind": INFRA + "compute",
        "mixins": [RES_TPL + "itsy", OS_TPL + "cirros-0.3.0-x86_64-uec", *mixins],
    }
    return walk.created(walk("POST", "/compute/", document))


def test_json_walkthrough_compute_storage_resize(walk: Walk) -> None:
    model = walk.get("/-/")
    mixin_ids = {m["scheme"] + m["term"] for m in model["mixins"]}
    assert {RES_TPL + "itsy", RES_TPL + "bitsy", OS_TPL + "SmartOS"} <= mixin_ids
    assert INSTANCE + "confirm_resize" in {a["scheme"] + a["term"] for a in model["actions"]}
    vm = _vm(walk)
    assert vm in [r["location"] for r in walk.get("/compute/")["resources"]]
    assert walk.get(vm)["attributes"]["occi.compute.memory"] == 0.125
    assert walk.action(vm, COMPUTE_ACTION + "stop").status_code == 200
    assert walk.get(vm)["attributes"]["occi.compute.state"] == "inactive"
    assert walk.action(vm, COMPUTE_ACTION + "start").status_code == 200
    vol = walk.created(
        walk(
            "POST",
            "/storage/",
            {"kind": INFRA + "storage", "attributes": {"occi.storage.size": 1.0}},
        )
    )
    link = walk.created(
        walk(
            "POST",
            "/storage/link/",
            {
                "kind": INFRA + "storagelink",
                "source": {"location": vm},
                "target": {"location": "http://localhost:8787" + vol},
                "attributes": {"occi.storagelink.deviceid": "/dev/vdc"},
            },
        )
    )
    assert walk.get(link)["target"]["location"] == vol
    assert link in [x["location"] for x in walk.get(vm)["links"]]
    assert walk("DELETE", link).status_code == 200
    assert walk("DELETE", vol).status_code == 200
    assert walk("GET", vol).status_code == 404
    # Scale up, confirm; scale down, confirm; change the OS; delete
    assert walk("POST", vm, {"mixins": [RES_TPL + "bitsy"]}).status_code == 200
    assert walk.get(vm)["attributes"]["org.openstack.compute.state"] == "VERIFY_RESIZE"
    assert walk.action(vm, INSTANCE + "confirm_resize").status_code == 200
    assert walk("POST", vm, {"mixins": [RES_TPL + "itsy"]}).status_code == 200
    assert walk.action(vm, INSTANCE + "confirm_resize").status_code == 200
    assert walk.get(vm)["attributes"]["occi.compute.memory"] == 0.125
    assert walk("POST", vm, {"mixins": [OS_TPL + "SmartOS"]}).status_code == 200
    assert OS_TPL + "SmartOS" in walk.get(vm)["mixins"]
    assert walk("DELETE", vm).status_code == 200
    assert walk("GET", vm).status_code == 404


def test_json_walkthrough_security_floating_ip_image_network(walk: Walk) -> None:
    group = {
        "term": "my_grp",
        "scheme": "http://www.mystuff.org/sec#",
        "location": "/mygroups/",
        "depends": [SECURITY],
    }
    assert walk("POST", "/-/", group).status_code == 200
    rule = walk.created(
        walk(
            "POST",
            "/network/security/rule/",
            {
                "kind": RULE,
                "mixins": [MY_GRP],
                "attributes": {
                    "occi.network.security.protocol": "TCP",
                    "occi.network.security.to": 22,
                    "occi.network.security.from": 22,
                    "occi.network.security.range": "0.0.0.0/24",
                },
            },
        )
    )
    assert walk.get(rule)["attributes"]["occi.network.security.protocol"] == "tcp"
    vm = _vm(walk, MY_GRP)
    members = walk.get("/mygroups/")["resources"]
    assert {rule, vm} <= {m["location"] for m in members}
    assert (
        walk(
            "DELETE", "/-/", {"term": "my_grp", "scheme": "http://www.mystuff.org/sec#"}
        ).status_code
        == 409
    )
    # Floating IPs, password, image
    assert (
        walk.action(
            vm, INSTANCE + "alloc_float_ip", **{"org.openstack.network.floating.pool": "nova"}
        ).status_code
        == 200
    )
    address = walk.get(vm)["attributes"]["org.openstack.network.floating.ip"]
    assert address.startswith("172.24.4.")
    assert walk.action(vm, INSTANCE + "dealloc_float_ip").status_code == 200
    assert "org.openstack.network.floating.ip" not in walk.get(vm)["attributes"]
    assert (
        walk.action(
            vm, INSTANCE + "chg_pwd", **{"org.openstack.credentials.admin_pwd": "new_pass"}
        ).status_code
        == 200
    )
    assert "new_pass" not in walk("GET", vm).text
    image = walk.action(
        vm, INSTANCE + "create_image", **{"org.openstack.snapshot.image_name": "awesome_ware"}
    )
    assert image.status_code == 200
    assert OS_TPL + "awesome_ware" in {m["scheme"] + m["term"] for m in walk.get("/-/")["mixins"]}
    # Networks
    net = walk.created(
        walk(
            "POST",
            "/network/",
            {"kind": INFRA + "network", "attributes": {"occi.network.label": "www"}},
        )
    )
    nic = walk.created(
        walk(
            "POST",
            "/networklink/",
            {
                "kind": INFRA + "networkinterface",
                "source": {"location": vm},
                "target": {"location": net},
            },
        )
    )
    assert walk.get(nic)["attributes"]["occi.networkinterface.address"].startswith("10.")
    assert walk("DELETE", net).status_code == 200
    assert walk("GET", nic).status_code == 404
