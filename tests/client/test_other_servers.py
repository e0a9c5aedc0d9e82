"""The client driving servers that are not ours: answers shaped like ooi's and rOCCI-server's
(recorded renderings from fixtures/, their status habits: ooi's 204 for an empty list, JSON
entities without `location`, absolute category locations; rOCCI's text with no spaces)."""

from __future__ import annotations

import httpx
import pytest

from occi_client import Client, NotFound
from occi_client.model import INFRA, OS_TPL
from tests.client.helpers import fixture

OOI = "https://foo.example.org:8774/ooiv1"
VM = "b3a5a2e8-2a65-4c1a-a9ae-2a0e6f6dfc3b"


SEEN: list[httpx.Request] = []


def _ooi(request: httpx.Request) -> httpx.Response:
    SEEN.append(request)
    json_type = {"Content-Type": "application/occi+json"}
    path = request.url.path.removeprefix("/ooiv1")
    if path == "/-/":
        return httpx.Response(200, text=fixture("ooi_query.json"), headers=json_type)
    if path == "/compute/" and request.method == "GET":
        return httpx.Response(204)  # ooi: an empty collection is 204 No Content
    if path == f"/compute/{VM}":
        return httpx.Response(200, text=fixture("ooi_compute.json"), headers=json_type)
    if path == "/compute/" and request.method == "POST":
        return httpx.Response(201, headers={"Location": f"{OOI}/compute/{VM}"})
    return httpx.Response(
        404, json={"code": 404, "message": f"{path} not found"}, headers=json_type
    )


def test_an_ooi_like_server() -> None:
    with Client(OOI, transport=httpx.MockTransport(_ooi)) as client:
        model = client.discover()
        assert [t.title for t in model.templates(OS_TPL)] == ["cirros"]
        assert client.list("compute") == []
        created = client.create("compute", mixins=["os_tpl#0d9d3b5a"])
        assert created == f"{OOI}/compute/{VM}"
        entity = client.describe(created)
        assert entity.location == f"{OOI}/compute/{VM}"
        assert entity.title == "foo" and entity.state == "active"
        # Answers came in JSON (negotiated), but the server's answers list no `Accept`, so the
        # body went in text/plain, which every OCCI server reads
        post = next(r for r in SEEN if r.method == "POST")
        assert post.headers["content-type"] == "text/plain"
        assert b"Category: 0d9d3b5a-6e69-4a06-a6a8-d3b1b0d9e5f0;" in post.content
        with pytest.raises(NotFound) as missing:
            client.describe(f"{OOI}/compute/nope")
        assert missing.value.message == "/compute/nope not found"


def _rocci(request: httpx.Request) -> httpx.Response:
    plain = {"Content-Type": "text/plain"}
    if request.url.path == "/-/":
        return httpx.Response(200, text=fixture("rocci_model.txt"), headers=plain)
    if request.url.path == "/compute/" and request.method == "GET":
        return httpx.Response(
            200, text="X-OCCI-Location: http://rocci.test/compute/89878\n", headers=plain
        )
    if request.url.path == "/compute/89878" and request.method == "GET":
        return httpx.Response(200, text=fixture("rocci_instance.txt"), headers=plain)
    if request.url.path == "/compute/89878" and request.method == "POST":
        assert request.url.params["action"] == "stop"
        assert b'X-OCCI-Attribute: method="poweroff"' in request.content
        return httpx.Response(200, text="", headers=plain)  # rOCCI: an action answers empty
    return httpx.Response(404, text="Not found", headers=plain)


def test_a_rocci_like_server_in_text() -> None:
    with Client(
        "http://rocci.test", rendering="text/plain", transport=httpx.MockTransport(_rocci)
    ) as client:
        (entity,) = client.describe_all("compute")
        assert entity.location == "http://rocci.test/compute/89878"
        assert entity.kind == INFRA + "compute"
        assert [x.kind for x in entity.links] == [INFRA + "storagelink", INFRA + "networkinterface"]
        assert client.trigger(entity.location, "stop", {"method": "poweroff"}) is None


def test_ooi_like_links_find_the_targets_kind_in_url_locations() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/-/"):
            model = {
                "kinds": [
                    {"term": "storage", "scheme": INFRA, "location": f"{OOI}/storage/"},
                    {"term": "storagelink", "scheme": INFRA, "location": f"{OOI}/storagelink/"},
                ]
            }
            return httpx.Response(200, json=model, headers={"Content-Type": "application/json"})
        return httpx.Response(201, headers={"Location": f"{OOI}/storagelink/l1"})

    with Client(OOI, rendering="json", transport=httpx.MockTransport(handler)) as client:
        made = client.link(f"{OOI}/compute/1", f"{OOI}/storage/2")
    assert made == f"{OOI}/storagelink/l1"
    assert seen[-1].url.path == "/ooiv1/storagelink/"
    body = seen[-1].read().decode()
    assert '"target": {"location": "/ooiv1/storage/2", "kind": "' + INFRA + 'storage"}' in body
