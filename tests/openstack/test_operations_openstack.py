"""Operations against the real control plane: /readyz asks Keystone and every service, and a
request's id reaches Nova's log as its global request id."""

from __future__ import annotations

import time
import uuid

import httpx

from tests.openstack.conftest import TESTBED, OpenStackServer

NOVA_LOG = TESTBED / "log" / "nova-api-uwsgi.log"


def test_readyz_checks_keystone_and_each_service(os_server: OpenStackServer) -> None:
    ready = httpx.get(os_server.url + "/readyz", timeout=30)
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {
        "keystone": "ok",
        "compute": "ok",
        "network": "ok",
        "volumev3": "ok",
        "image": "ok",
    }


def test_the_request_id_reaches_novas_log(os_server: OpenStackServer, alice: str) -> None:
    request_id = f"req-{uuid.uuid4()}"
    listing = httpx.get(
        os_server.url + "/compute/",
        headers={"X-Auth-Token": alice, "X-OpenStack-Request-Id": request_id},
        timeout=60,
    )
    assert listing.status_code == 200, listing.text
    assert listing.headers["x-openstack-request-id"] == request_id
    deadline = time.monotonic() + 15
    while request_id not in NOVA_LOG.read_text(errors="replace"):
        assert time.monotonic() < deadline, f"{request_id} not in {NOVA_LOG}"
        time.sleep(0.2)
