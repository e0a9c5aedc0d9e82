"""What existing clients send and expect, against the real server process (issue 12).

Each test is one symptom seen with a tool in the wild: pOCCI, a widely deployed provisioning
client, the OCCI-WG's 1.1 test script (2011).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest

from tests.support.server import ServerProcess

INFRA = "http://schemas.ogf.org/occi/infrastructure#"
COMPUTE = f'Category: compute; scheme="{INFRA}"; class="kind"'
STORAGE = f'Category: storage; scheme="{INFRA}"; class="kind"'
STUFIK = (
    'stufik; scheme="http://example.com/occi/my_stuff#"; class="mixin"; '
    'location="/mixin/resource_tpl/extra_large/"; '
    'rel="http://schemas.ogf.org/occi/infrastructure#resource_tpl"'
)


class Client:
    def __init__(self, server: ServerProcess, token: str) -> None:
        self.base = server.url
        self.http = httpx.Client(headers={"X-Auth-Token": token}, timeout=30)

    def __call__(self, method: str, path: str, **kw: object) -> httpx.Response:
        return self.http.request(method, self.base + path, **kw)  # type: ignore[arg-type]


@pytest.fixture
def client(
    request: pytest.FixtureRequest, server: ServerProcess, token_factory: Callable[[str], str]
) -> Client:
    return Client(server, token_factory("interop-" + request.node.name[:40]))


def test_a_content_type_list_creates_and_the_201_body_gives_the_id(client: Client) -> None:
    # The provisioning client sends `Content-Type: text/plain,text/occi` on every POST and takes
    # the new volume's id as the text after the last '/' of the 201's text/plain body.
    body = f"{STORAGE}\nX-OCCI-Attribute: occi.storage.size=1.0\n"
    created = client(
        "POST",
        "/storage/",
        content=body,
        headers={"Content-Type": "text/plain,text/occi", "Accept": "text/plain"},
    )
    assert created.status_code == 201, created.text
    assert not created.text.endswith("\n")
    volume_id = created.text.rsplit("/", 1)[1]
    assert created.headers["location"].endswith("/storage/" + volume_id)
    assert client("GET", "/storage/" + volume_id).status_code == 200


def test_text_plain_lines_ending_in_lf_cr_create(client: Client) -> None:
    # pOCCI's OCCI/INFRA/CREATE/005 ends every text/plain line in "\n\r".
    body = f"{COMPUTE}\n\r" + 'X-OCCI-Attribute: occi.core.title="lfcr"\n\r'
    created = client("POST", "/compute/", content=body, headers={"Content-Type": "text/plain"})
    assert created.status_code == 201, created.text


def test_re_posting_an_identical_user_mixin_is_200_and_changes_nothing(client: Client) -> None:
    # pOCCI's OCCI/CORE/CREATE/006 makes `stufik` and never deletes it; a re-run posts it again.
    headers = {"Content-Type": "text/plain"}
    first = client("POST", "/-/", content=f"Category: {STUFIK}\n", headers=headers)
    assert first.status_code == 200, first.text
    before = client("GET", "/-/", headers={"Accept": "text/plain"}).text
    again = client("POST", "/-/", content=f"Category: {STUFIK}\n", headers=headers)
    assert again.status_code == 200, again.text
    assert client("GET", "/-/", headers={"Accept": "text/plain"}).text == before
    assert before.count("stufik;") == 1


@pytest.mark.parametrize(
    ("changed", "named"),
    [
        (STUFIK.replace("extra_large/", "larger/"), "location"),
        (STUFIK + '; title="Stufik"', "title"),
        (STUFIK.replace("#resource_tpl", "#os_tpl"), "depends"),
    ],
)
def test_the_same_user_mixin_with_another_definition_stays_409(
    client: Client, changed: str, named: str
) -> None:
    headers = {"Content-Type": "text/plain"}
    first = client("POST", "/-/", content=f"Category: {STUFIK}\n", headers=headers)
    assert first.status_code == 200
    conflict = client("POST", "/-/", content=f"Category: {changed}\n", headers=headers)
    assert conflict.status_code == 409
    assert "stufik" in conflict.text and named in conflict.text


def test_a_provider_category_cannot_be_posted_as_a_user_mixin(client: Client) -> None:
    itsy = 'itsy; scheme="http://schemas.openstack.org/template/resource#"; location="/itsy/"'
    answer = client("POST", "/-/", headers={"Content-Type": "text/occi", "Category": itsy})
    assert answer.status_code == 409
    assert "provider category" in answer.text


def test_compute_hostname_is_a_plain_string(client: Client) -> None:
    # The OGF 1.1 script sets `occi.compute.hostname="foo <uuid> bar"` and filters on it.
    hostname = f"foo {uuid.uuid4()} bar"
    occi = {"Content-Type": "text/occi", "Accept": "text/occi"}
    created = client(
        "POST",
        "/",
        headers={
            **occi,
            "Category": f'compute;scheme="{INFRA}"',
            "X-OCCI-Attribute": f'occi.compute.hostname="{hostname}"',
        },
    )
    assert created.status_code == 201, created.text
    client("POST", "/compute/", headers={**occi, "Category": f'compute;scheme="{INFRA}"'})
    found = client(
        "GET",
        "/compute/",
        headers={**occi, "X-OCCI-Attribute": f'occi.compute.hostname="{hostname}"'},
    )
    assert found.headers["x-occi-location"] == created.headers["location"]
    update = client(
        "POST",
        created.headers["location"].removeprefix(client.base),
        headers={
            **occi,
            "X-OCCI-Attribute": 'occi.compute.hostname="Ünïcode host_name!"'.encode(),
        },
    )
    assert update.status_code == 200, update.text


def test_an_action_with_a_category_that_does_not_parse_is_taken_from_the_query(
    client: Client,
) -> None:
    # The seed's create_image line: its Category has an unbalanced quote.
    occi = {"Content-Type": "text/occi"}
    vm = client("POST", "/compute/", headers={**occi, "Category": COMPUTE[len("Category: ") :]})
    path = vm.headers["location"].removeprefix(client.base)
    broken = 'create_image; scheme=" http://schemas.openstack.org/instance/action#; class="action"'
    answer = client(
        "POST",
        path + "?action=create_image",
        headers=[
            ("Content-Type", "text/occi"),
            ("Category", broken),
            ("X-OCCI-Attribute", 'org.openstack.snapshot.image_name="interop_ware"'),
        ],
    )
    assert answer.status_code == 200, answer.text
    assert "interop_ware" in answer.text
    warning = answer.headers["warning"]
    assert warning.startswith('199 occi-server "ignored category header: unterminated quoted')
    assert 'create_image; scheme=\\" http' in warning
    # A Category that parses but names another action is still a 400.
    other = 'stop; scheme="http://schemas.ogf.org/occi/infrastructure/compute/action#"'
    mismatch = client(
        "POST", path + "?action=start", headers={**occi, "Category": other + '; class="action"'}
    )
    assert mismatch.status_code == 400
    assert "does not match ?action=start" in mismatch.text
    # Outside actions a Category that does not parse stays a 400.
    assert client("POST", path, headers={**occi, "Category": broken}).status_code == 400


@pytest.mark.parametrize(
    "attribute",
    # 1024 cores: more than any flavor, within the default cores quota of 2000 (a cloud's
    # limit, answered 403, not a range of the spec).
    ["occi.compute.share=-3", "occi.compute.cores=1024", 'occi.compute.hostname="a b_c!"'],
)
def test_no_range_or_pattern_the_spec_does_not_define(client: Client, attribute: str) -> None:
    occi = {"Content-Type": "text/occi", "Category": COMPUTE[len("Category: ") :]}
    created = client("POST", "/compute/", headers={**occi, "X-OCCI-Attribute": attribute})
    assert created.status_code == 201, created.text


@pytest.mark.parametrize(
    ("attribute", "culprit"),
    [
        ('occi.compute.architecture="arm"', "occi.compute.architecture"),
        ("occi.compute.cores=1.5", "occi.compute.cores"),
        ('occi.compute.state="sleepy"', "occi.compute.state"),
    ],
)
def test_the_checks_the_spec_defines_stay(client: Client, attribute: str, culprit: str) -> None:
    occi = {"Content-Type": "text/occi", "Category": COMPUTE[len("Category: ") :]}
    refused = client("POST", "/compute/", headers={**occi, "X-OCCI-Attribute": attribute})
    assert refused.status_code == 400
    assert culprit in refused.text


def test_network_vlan_and_label_keep_the_spec_types(client: Client) -> None:
    network = f'network; scheme="{INFRA}"; class="kind"'
    occi = {"Content-Type": "text/occi", "Category": network}
    for attribute, status in [
        ("occi.network.vlan=4096", 400),  # 802.1q
        ('occi.network.label="two words"', 400),  # a Token
        ('occi.network.label="external-dmz"', 201),
    ]:
        answer = client("POST", "/network/", headers={**occi, "X-OCCI-Attribute": attribute})
        assert answer.status_code == status, (attribute, answer.text)


ACTION = "http://schemas.ogf.org/occi/infrastructure/compute/action#"


def _state(client: Client, url: str) -> str:
    text = client("GET", url.removeprefix(client.base), headers={"Accept": "text/plain"}).text
    return text.split('occi.compute.state="', 1)[1].split('"', 1)[0]


def test_collection_actions_leave_members_already_in_the_target_state(client: Client) -> None:
    occi = {"Content-Type": "text/occi", "Accept": "text/occi"}
    made = [
        client("POST", "/compute/", headers={**occi, "Category": f'compute;scheme="{INFRA}"'})
        for _ in range(2)
    ]
    first, second = (m.headers["location"] for m in made)
    stop = {**occi, "Category": f'stop; scheme="{ACTION}"; class="action"'}
    assert client("POST", second.removeprefix(client.base) + "?action=stop", headers=stop)
    # One active, one already inactive: stop on the collection is 200 and stops the other.
    assert client("POST", "/compute/?action=stop", headers=stop).status_code == 200
    assert [_state(client, u) for u in (first, second)] == ["inactive", "inactive"]
    # The OGF 1.1 script starts its computes whatever their state, with no class: 200.
    start = {**occi, "Category": f'start; scheme="{ACTION}"'}
    assert client("POST", "/compute/?action=start", headers=start).status_code == 200
    assert client("POST", "/compute/?action=start", headers=start).status_code == 200
    assert [_state(client, u) for u in (first, second)] == ["active", "active"]
    # A member the action cannot apply to: 409 naming the state, and nobody changes.
    assert client("POST", first.removeprefix(client.base) + "?action=stop", headers=stop)
    save = {**occi, "Category": f'save; scheme="{ACTION}"; class="action"'}
    refused = client("POST", "/compute/?action=save", headers=save)
    assert refused.status_code == 409 and "inactive" in refused.text
    assert [_state(client, u) for u in (first, second)] == ["inactive", "active"]
