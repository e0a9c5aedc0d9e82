"""HTTP semantics of OCCI (occi-spec.md §3), the ASGI app driven in process (conftest.py)."""

from __future__ import annotations

import httpx
import pytest

from tests.support.occi_client import COMPUTE_KIND, INFRA, STORAGE_KIND, OcciClient, parse

STOP = f'stop; scheme="{INFRA[:-1]}/compute/action#"; class="action"'
START = f'start; scheme="{INFRA[:-1]}/compute/action#"; class="action"'


def test_server_header_on_success_and_errors(http: httpx.Client, plain: OcciClient) -> None:
    for response in (plain.get("/-/"), plain.get("/compute/nope"), http.get("/-/")):
        assert "OCCI/1.2" in response.headers["server"]
        assert "OCCI/1.1" in response.headers["server"]


def test_newer_occi_version_in_user_agent_is_501(plain: OcciClient) -> None:
    response = plain.get("/-/", headers={"User-Agent": "client/1 OCCI/1.3"})
    assert response.status_code == 501
    assert plain.get("/-/", headers={"User-Agent": "client/1 OCCI/1.1"}).status_code == 200


def test_well_known_path_mirrors_query_interface(plain: OcciClient) -> None:
    assert plain.get("/.well-known/org/ogf/occi/-/").text == plain.get("/-/").text


def test_no_accept_and_wildcard_give_text_plain(http: httpx.Client, plain: OcciClient) -> None:
    for accept in (None, "*/*"):
        headers = {"X-Auth-Token": plain.token or ""}
        if accept:
            headers["Accept"] = accept
        response = http.get("/-/", headers=headers)
        assert response.headers["content-type"].startswith("text/plain")


def test_text_occi_puts_structures_in_headers_and_ok_in_body(plain: OcciClient) -> None:
    client = OcciClient(plain.base, plain.token, fmt="text/occi", http=plain.http)
    response = client.get("/-/")
    assert response.text.strip() == "OK"
    assert "compute" in response.headers["category"]


def test_unsupported_accept_is_406_with_message(plain: OcciClient) -> None:
    response = plain.get("/-/", headers={"Accept": "application/xml"})
    assert response.status_code == 406
    assert "application/xml" in response.text


def test_unsupported_content_type_is_415(http: httpx.Client, plain: OcciClient) -> None:
    response = http.post(
        "/compute/",
        content=b"<x/>",
        headers={"Content-Type": "application/xml", "X-Auth-Token": plain.token or ""},
    )
    assert response.status_code == 415


def test_uri_list_only_for_collections(plain: OcciClient) -> None:
    path = plain.create("/compute/", categories=[COMPUTE_KIND])
    listing = plain.get("/compute/", headers={"Accept": "text/uri-list"})
    assert listing.status_code == 200
    assert plain.base + path in listing.text.split()
    assert plain.get(path, headers={"Accept": "text/uri-list"}).status_code == 400


def test_method_not_allowed_names_allowed_methods(plain: OcciClient) -> None:
    response = plain.put("/compute/")
    assert response.status_code == 405
    assert "POST" in response.headers["allow"]
    assert plain.put("/-/").status_code == 405


def test_errors_carry_one_line_message_and_x_occi_error(plain: OcciClient) -> None:
    response = plain.get("/compute/does-not-exist")
    assert response.status_code == 404
    assert response.headers["x-occi-error"]
    assert len(response.text.strip().splitlines()) == 1
    assert "Traceback" not in response.text


def test_missing_credentials_is_401_with_challenge(http: httpx.Client) -> None:
    response = http.get("/-/")
    assert response.status_code == 401
    assert response.headers["www-authenticate"]
    bad = http.get("/-/", headers={"X-Auth-Token": "nope"})
    assert bad.status_code == 401


def test_claimed_tenant_must_match_token(plain: OcciClient) -> None:
    assert plain.get("/-/", headers={"X-Auth-Tenant-Id": "http-a"}).status_code == 200
    assert plain.get("/-/", headers={"X-Auth-Tenant-Id": "someone-else"}).status_code == 401
    assert plain.get("/-/", headers={"X-Auth-User": "mallory"}).status_code == 401


def test_other_projects_resources_are_invisible(plain: OcciClient, other: OcciClient) -> None:
    path = plain.create("/compute/", categories=[COMPUTE_KIND])
    assert other.get(path).status_code == 404
    assert other.delete(path).status_code == 404
    assert plain.base + path not in parse(other.get("/compute/")).locations
    assert other.post(path, params={"action": "stop"}, categories=[STOP]).status_code == 404
    storage = other.create(
        "/storage/", categories=[STORAGE_KIND], attributes=["occi.storage.size=1.0"]
    )
    link = other.post(
        "/storage/link/",
        categories=[f'storagelink; scheme="{INFRA}"; class="kind"'],
        attributes=[
            f'occi.core.source="{path}"',
            f'occi.core.target="{storage}"',
            'occi.storagelink.deviceid="/dev/vdb"',
        ],
    )
    assert link.status_code == 400
    assert plain.get(path).status_code == 200


@pytest.mark.parametrize(
    ("attribute", "culprit"),
    [
        ('occi.compute.cores="many"', "occi.compute.cores"),
        ('occi.compute.architecture="arm"', "occi.compute.architecture"),
        ('occi.compute.speed="fast"', "occi.compute.speed"),  # hostname: any String
        ('org.example.unknown="x"', "org.example.unknown"),
    ],
)
def test_attribute_validation_names_the_attribute(
    plain: OcciClient, attribute: str, culprit: str
) -> None:
    response = plain.post("/compute/", categories=[COMPUTE_KIND], attributes=[attribute])
    assert response.status_code == 400
    assert culprit in response.text


def test_required_attribute_missing_is_400(plain: OcciClient) -> None:
    response = plain.post("/storage/", categories=[STORAGE_KIND])
    assert response.status_code == 400
    assert "occi.storage.size" in response.text


def test_changing_an_immutable_attribute_is_400(plain: OcciClient) -> None:
    path = plain.create("/compute/", categories=[COMPUTE_KIND])
    response = plain.post(path, attributes=['occi.compute.state="suspended"'])
    assert response.status_code == 400
    assert "occi.compute.state" in response.text


def test_partial_update_changes_only_given_attributes(plain: OcciClient) -> None:
    path = plain.create(
        "/compute/",
        categories=[COMPUTE_KIND],
        attributes=['occi.core.title="a"', 'occi.compute.hostname="vm1"'],
    )
    response = plain.post(path, attributes=['occi.core.title="b"'])
    assert response.status_code == 200
    got = parse(plain.get(path))
    assert got.attr("occi.core.title") == "b"
    assert got.attr("occi.compute.hostname") == "vm1"


def test_put_creates_at_chosen_path_then_replaces(plain: OcciClient) -> None:
    path = "/compute/chosen-one"
    created = plain.put(path, categories=[COMPUTE_KIND], attributes=['occi.core.title="x"'])
    assert created.status_code == 201
    assert created.headers["location"] == plain.base + path
    replaced = plain.put(path, categories=[COMPUTE_KIND], attributes=['occi.compute.hostname="h"'])
    assert replaced.status_code == 200
    got = parse(plain.get(path))
    assert got.attr("occi.core.title") is None
    assert got.attr("occi.compute.hostname") == "h"
    wrong = plain.put("/storage/not-a-compute", categories=[COMPUTE_KIND])
    assert wrong.status_code == 400


def test_if_match_with_stale_etag_is_412(plain: OcciClient) -> None:
    path = plain.create("/compute/", categories=[COMPUTE_KIND])
    etag = plain.get(path).headers["etag"]
    assert (
        plain.post(path, attributes=['occi.core.title="1"'], headers={"If-Match": etag}).status_code
        == 200
    )
    stale = plain.post(path, attributes=['occi.core.title="2"'], headers={"If-Match": etag})
    assert stale.status_code == 412


def test_action_not_defined_is_400_and_state_conflict_is_409(plain: OcciClient) -> None:
    path = plain.create("/compute/", categories=[COMPUTE_KIND])
    up = f'up; scheme="{INFRA[:-1]}/network/action#"; class="action"'
    assert plain.post(path, params={"action": "up"}, categories=[up]).status_code == 400
    assert plain.post(path, params={"action": "start"}, categories=[STOP]).status_code == 400
    state = parse(plain.get(path)).attr("occi.compute.state")
    first, second = (STOP, "stop") if state == "active" else (START, "start")
    assert plain.post(path, params={"action": second}, categories=[first]).status_code == 200
    # The same action again: its target state holds, so 200 and nothing changes (issue 12).
    again = plain.post(path, params={"action": second}, categories=[first])
    assert again.status_code == 200
    plain.post(path, params={"action": "stop"}, categories=[STOP])
    suspend = f'suspend; scheme="{INFRA[:-1]}/compute/action#"; class="action"'
    refused = plain.post(path, params={"action": "suspend"}, categories=[suspend])
    assert refused.status_code == 409
    assert "suspend" in refused.text and "inactive" in refused.text


def test_action_on_a_collection_applies_to_every_member(plain: OcciClient) -> None:
    client = plain
    paths = [client.create("/compute/", categories=[COMPUTE_KIND]) for _ in range(2)]
    for path in paths:
        if parse(client.get(path)).attr("occi.compute.state") != "active":
            client.post(path, params={"action": "start"}, categories=[START])
    mixin = 'batch; scheme="http://example.com/tags#"; class="mixin"; location="/batch/"'
    assert client.post("/-/", categories=[mixin]).status_code == 200
    assert client.post("/batch/", locations=[client.base + p for p in paths]).status_code == 200
    response = client.post("/batch/", params={"action": "stop"}, categories=[STOP])
    assert response.status_code == 200, response.text
    assert {parse(client.get(p)).attr("occi.compute.state") for p in paths} == {"inactive"}


def test_mixin_collection_post_put_delete(plain: OcciClient) -> None:
    client = plain
    mixin_id = 'my_stuff; scheme="http://example.com/occi/my_stuff#"; class="mixin"'
    assert client.post("/-/", categories=[mixin_id + '; location="/my_stuff/"']).status_code == 200
    a = client.create("/compute/", categories=[COMPUTE_KIND])
    b = client.create("/compute/", categories=[COMPUTE_KIND])
    assert client.post("/my_stuff/", locations=[client.base + a]).status_code == 200
    assert "my_stuff" in parse(client.get(a)).category_terms()
    assert client.put("/my_stuff/", locations=[b]).status_code == 200
    assert parse(client.get("/my_stuff/")).locations == [client.base + b]
    filtered = parse(client.get("/compute/", headers={"Category": mixin_id})).locations
    assert filtered == [client.base + b]
    assert client.delete("/my_stuff/", locations=[client.base + b]).status_code == 200
    assert parse(client.get("/my_stuff/")).locations == []
    assert client.get(b).status_code == 200
    assert client.post("/my_stuff/", locations=["/compute/missing"]).status_code == 400
    assert client.delete("/-/", categories=[mixin_id]).status_code == 200
    assert "my_stuff" not in parse(client.get(a)).category_terms()


def test_deleting_a_provider_mixin_is_403(plain: OcciClient) -> None:
    os_tpl = f'os_tpl; scheme="{INFRA}"; class="mixin"'
    assert plain.delete("/-/", categories=[os_tpl]).status_code == 403


def test_user_mixins_are_per_project(plain: OcciClient, other: OcciClient) -> None:
    mixin = 'private; scheme="http://example.com/p#"; class="mixin"; location="/private/"'
    assert plain.post("/-/", categories=[mixin]).status_code == 200
    assert not any(c.startswith("private;") for c in parse(other.get("/-/")).categories)
    # The same definition again changes nothing (200, issue 12); another one under its id: 409.
    assert plain.post("/-/", categories=[mixin]).status_code == 200
    moved = mixin.replace("/private/", "/elsewhere/")
    assert plain.post("/-/", categories=[moved]).status_code == 409


def test_deleting_a_resource_deletes_its_links(plain: OcciClient) -> None:
    storage = plain.create(
        "/storage/", categories=[STORAGE_KIND], attributes=["occi.storage.size=1.0"]
    )
    compute = plain.create("/compute/", categories=[COMPUTE_KIND])
    link = plain.create(
        "/storage/link/",
        categories=[f'storagelink; scheme="{INFRA}"; class="kind"'],
        attributes=[
            f'occi.core.source="{compute}"',
            f'occi.core.target="{storage}"',
            'occi.storagelink.deviceid="/dev/vdc"',
        ],
    )
    assert plain.delete(storage).status_code == 200
    assert plain.get(link).status_code == 404
    assert not any(f'self="{link}"' in x for x in parse(plain.get(compute)).links)


def test_link_to_missing_target_is_refused(plain: OcciClient) -> None:
    compute = plain.create("/compute/", categories=[COMPUTE_KIND])
    response = plain.post(
        "/storage/link/",
        categories=[f'storagelink; scheme="{INFRA}"; class="kind"'],
        attributes=[
            f'occi.core.source="{compute}"',
            'occi.core.target="/storage/nothing"',
            'occi.storagelink.deviceid="/dev/vdc"',
        ],
    )
    assert response.status_code == 400
    assert "occi.core.target" in response.text


def test_limits_answer_413_and_431(http: httpx.Client, plain: OcciClient) -> None:
    huge_header = plain.get("/-/", headers={"X-Padding": "x" * 70_000})
    assert huge_header.status_code == 431
    assert "OCCI/1.2" in huge_header.headers["server"]
    big_body = http.post(
        "/compute/",
        content=b"X-OCCI-Attribute: a=1\n" * 60_000,
        headers={"Content-Type": "text/plain", "X-Auth-Token": plain.token or ""},
    )
    assert big_body.status_code == 413
    many = [f"occi.core.title{i}=1" for i in range(300)]
    assert plain.post("/compute/", categories=[COMPUTE_KIND], attributes=many).status_code == 413
