"""Every JSON response of the real server validates against the schemas the package ships."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support.json_schemas import errors
from tests.support.occi_client import INFRA
from tests.support.server import ServerProcess

JSON = "application/occi+json"
COMPUTE = INFRA + "compute"
STORAGE = INFRA + "storage"
NETWORK = INFRA + "network"


class JsonClient:
    """Sends JSON bodies and checks each answer against a named schema."""

    def __init__(self, server: ServerProcess, token: str, media_type: str = JSON) -> None:
        self.base = server.url
        self.media_type = media_type
        self.headers = {"X-Auth-Token": token, "Accept": media_type}

    def send(
        self, method: str, path: str, body: Any = None, **params: str
    ) -> tuple[int, Any, httpx.Response]:
        headers = dict(self.headers)
        content = b""
        if body is not None:
            headers["Content-Type"] = self.media_type
            content = httpx.Request("POST", "http://x", json=body).content
        url = path if path.startswith("http") else self.base + path
        response = httpx.request(
            method, url, headers=headers, content=content, params=params, timeout=30
        )
        assert response.headers["content-type"] == self.media_type
        return response.status_code, response.json(), response

    def expect(self, shape: str, method: str, path: str, body: Any = None, **params: str) -> Any:
        status, document, _ = self.send(method, path, body, **params)
        assert status < 300, (status, document)
        assert errors(document, shape) == [], document
        return document

    def create(self, collection: str, body: Any) -> str:
        document = self.expect("created", "POST", collection, body)
        location: str = document["location"]
        assert location.startswith(self.base + collection)
        return location[len(self.base) :]


@pytest.fixture
def json_client(server: ServerProcess, token_factory: Callable[[str], str]) -> JsonClient:
    return JsonClient(server, token_factory("json-shapes"))


def test_query_interface_and_a_filtered_category(json_client: JsonClient) -> None:
    model = json_client.expect("query_interface", "GET", "/-/")
    assert {k["term"] for k in model["kinds"]} >= {"entity", "resource", "link", "compute"}
    compute = next(k for k in model["kinds"] if k["term"] == "compute")
    assert compute["location"] == "/compute/"
    state = compute["attributes"]["occi.compute.state"]
    assert state["mutable"] is False and state["pattern"]["type"] == "string"
    assert all(errors(a, "action") == [] for a in model["actions"])
    response = httpx.get(
        json_client.base + "/-/",
        headers={**json_client.headers, "Category": f'compute; scheme="{INFRA}"; class="kind"'},
    )
    assert [k["term"] for k in response.json()["kinds"]] == ["compute"]


def test_compute_with_links_link_and_collection(json_client: JsonClient) -> None:
    storage = json_client.create(
        "/storage/", {"kind": STORAGE, "title": "disk", "attributes": {"occi.storage.size": 1.0}}
    )
    network = json_client.create("/network/", {"kind": NETWORK})
    compute = json_client.create(
        "/compute/",
        {
            "kind": COMPUTE,
            "title": "shapes",
            "attributes": {"occi.compute.cores": 2},
            "links": [
                {
                    "kind": INFRA + "storagelink",
                    "target": {"location": storage, "kind": STORAGE},
                    "attributes": {"occi.storagelink.deviceid": "/dev/vdb"},
                },
                {"target": {"location": network, "kind": NETWORK}},
            ],
        },
    )
    resource = json_client.expect("resource", "GET", compute)
    assert resource["title"] == "shapes" and resource["attributes"]["occi.compute.cores"] == 2
    assert resource["location"] == compute
    assert {link["target"]["location"] for link in resource["links"]} == {storage, network}
    link = json_client.expect("link", "GET", resource["links"][0]["location"])
    assert link["source"] == {"location": compute, "kind": COMPUTE}
    listing = json_client.expect("entity_collection", "GET", "/compute/")
    assert compute in [r["location"] for r in listing["resources"]]
    links = json_client.expect("entity_collection", "GET", "/storage/link/")
    assert links["resources"] == [] and links["links"]


def test_update_action_and_delete_answers(json_client: JsonClient) -> None:
    compute = json_client.create("/compute/", {"kind": COMPUTE})
    updated = json_client.expect("resource", "POST", compute, {"title": "renamed"})
    assert updated["title"] == "renamed"
    stop = {"action": INFRA[:-1] + "/compute/action#stop", "attributes": {"method": "graceful"}}
    stopped = json_client.expect("resource", "POST", compute, stop, action="stop")
    assert stopped["attributes"]["occi.compute.state"] == "inactive"
    assert json_client.expect("ok", "DELETE", compute) == {}


def test_user_mixin_and_mixin_collection_membership(json_client: JsonClient) -> None:
    mixin = {
        "term": "shapes_tag",
        "scheme": "http://example.com/occi/tags#",
        "title": "A tag",
        "location": "/tags/shapes/",
    }
    assert json_client.expect("ok", "POST", "/-/", {"mixins": [mixin]}) == {}
    compute = json_client.create("/compute/", {"kind": COMPUTE})
    members = json_client.expect(
        "entity_collection", "POST", "/tags/shapes/", {"resources": [{"location": compute}]}
    )
    assert [r["location"] for r in members["resources"]] == [compute]
    emptied = json_client.expect("entity_collection", "PUT", "/tags/shapes/", [])
    assert emptied == {"resources": [], "links": []}
    term_only = {"term": "shapes_tag", "scheme": "http://example.com/occi/tags#"}
    assert json_client.expect("ok", "DELETE", "/-/", term_only) == {}


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ('{"kind": ', "JSON: malformed"),
        ('{"kind": 5}', "JSON /kind: must be a string"),
        (f'{{"kind": "{COMPUTE}", "mixins": "x"}}', "JSON /mixins: must be an array"),
        (
            f'{{"kind": "{COMPUTE}", "links": [{{"target": "/storage/1"}}]}}',
            "JSON /links/0/target: must be an object with a location",
        ),
    ],
)
def test_errors_are_json_objects_naming_the_member(
    json_client: JsonClient, body: str, pointer: str
) -> None:
    response = httpx.post(
        json_client.base + "/compute/",
        headers={**json_client.headers, "Content-Type": JSON},
        content=body.encode(),
    )
    assert response.status_code == 400
    document = response.json()
    assert errors(document, "error") == []
    assert document["code"] == 400 and document["message"].startswith(pointer)


def test_not_found_is_a_json_error(json_client: JsonClient) -> None:
    status, document, _ = json_client.send("GET", "/compute/no-such-vm")
    assert status == 404 and errors(document, "error") == [] and document["code"] == 404


def test_application_json_is_an_alias(
    server: ServerProcess, token_factory: Callable[[str], str]
) -> None:
    alias = JsonClient(server, token_factory("json-shapes"), "application/json")
    path = alias.create("/compute/", {"kind": COMPUTE, "title": "alias"})
    assert alias.expect("resource", "GET", path)["title"] == "alias"
    assert alias.expect("query_interface", "GET", "/-/")["kinds"]
