"""The text parsers on other servers' renderings (rOCCI-core's examples, ooi's) and on the
grammar's corner cases (occi-spec §4.2-4.4)."""

from __future__ import annotations

import pytest

from occi_client import text
from occi_client.model import INFRA, OS_TPL, RESOURCE_TPL, Model
from tests.client.helpers import as_headers, fixture, occi_headers, plain


def test_rocci_model_text() -> None:
    model = Model(text.parse_model(plain(fixture("rocci_model.txt"))))
    compute = model.kind("compute")
    assert compute.type_id == INFRA + "compute"
    assert compute.location == "/compute/"
    assert compute.parent == "http://schemas.ogf.org/occi/core#resource"
    assert compute.attributes["occi.core.id"].required
    assert not compute.attributes["occi.core.id"].mutable
    assert not compute.attributes["occi.compute.state"].mutable
    assert compute.attributes["occi.compute.cores"].mutable
    assert "http://schemas.ogf.org/occi/infrastructure/compute/action#start" in compute.actions
    assert (
        model.action("stop").scheme == "http://schemas.ogf.org/occi/infrastructure/compute/action#"
    )
    assert {k.term for k in model.kinds} >= {"entity", "resource", "link", "storage", "network"}


def test_rocci_instance_text_in_both_text_renderings() -> None:
    body = fixture("rocci_instance.txt")
    for response in (plain(body), occi_headers(as_headers(body))):
        entity = text.parse_entity(response)
        assert entity is not None
        assert entity.kind == INFRA + "compute"
        assert entity.id == "89878" and entity.title == "my_compute"
        assert entity.attributes["occi.compute.cores"] == 1
        assert entity.attributes["occi.compute.memory"] == 1.0
        assert entity.state == "active"
        assert entity.action_terms() == ["stop", "restart", "suspend"]
        storage, nic = entity.links
        assert storage.target == "/storage/5401" and storage.location == (
            "/storagelink/compute_89878_disk_0"
        )
        assert storage.kind == INFRA + "storagelink"
        assert storage.attributes["occi.storagelink.deviceid"] == "/dev/vda"
        assert nic.kind == INFRA + "networkinterface"
        assert nic.mixins == [
            "http://schemas.ogf.org/occi/infrastructure/networkinterface#ipnetworkinterface"
        ]
        assert nic.attributes["occi.networkinterface.address"] == "172.16.0.1"


def test_rocci_action_instance_text() -> None:
    pairs = text.structures(plain(fixture("rocci_action_instance.txt")))
    category = text.parse_category(pairs[0][1])
    assert category.category_class == "action" and category.term == "suspend"
    assert text.parse_attribute(pairs[1][1]) == ("method", "suspend")


def test_ooi_compute_text() -> None:
    entity = text.parse_entity(plain(fixture("ooi_compute.txt")))
    assert entity is not None
    assert entity.kind == INFRA + "compute"
    assert entity.mixins == [
        "http://schemas.openstack.org/template/os#0d9d3b5a-6e69-4a06-a6a8-d3b1b0d9e5f0",
        "http://schemas.openstack.org/template/resource#1",
    ]
    assert entity.attributes["occi.compute.memory"] == 256
    assert "save" in entity.action_terms()
    (nic,) = entity.links
    assert nic.location and nic.location.endswith("/networklink/b3a5a2e8_PUBLIC_192.168.1.2")
    assert nic.attributes["occi.core.target"].endswith("/network/PUBLIC")
    # ooi's categories carry absolute URLs as locations and `rel` for templates
    categories = [
        text.parse_category(v)
        for n, v in text.structures(plain(fixture("ooi_compute.txt")))
        if n == "Category"
    ]
    assert categories[1].depends == [OS_TPL] and categories[2].depends == [RESOURCE_TPL]
    assert categories[0].location == "https://foo.example.org:8774/ooiv1/compute/"


def test_comma_joined_headers_and_case() -> None:
    response = occi_headers(
        [
            (
                "category",
                'compute; scheme="http://schemas.ogf.org/occi/infrastructure#"; '
                'class="kind", tag; scheme="http://example.com/t#"; class="mixin"; title="a, b; c"',
            ),
            ("X-OCCI-ATTRIBUTE", 'occi.core.title="x, \\"y\\"", occi.compute.cores=2'),
            ("x-occi-attribute", 'occi.core.id="1"'),
        ]
    )
    entity = text.parse_entity(response)
    assert entity is not None
    assert entity.mixins == ["http://example.com/t#tag"]
    assert entity.attributes == {
        "occi.core.title": 'x, "y"',
        "occi.compute.cores": 2,
        "occi.core.id": "1",
    }


def test_lenient_forms() -> None:
    # no spaces, a trailing ';', unquoted class and category, spaces around '='
    category = text.parse_category(
        'os; scheme="http://x/os#";class=mixin;rel="http://a#b http://c#d";'
    )
    assert category.category_class == "mixin" and category.depends == ["http://a#b", "http://c#d"]
    link = text.parse_link('</storage/1>;rel="http://x#storage";category=http://x#storagelink')
    assert link.kind == "http://x#storagelink"
    assert text.parse_attribute("occi.storage.size = 1.0") == ("occi.storage.size", 1.0)
    assert text.parse_attribute("b=true") == ("b", True)
    assert text.parse_attribute("e=inactive") == ("e", "inactive")  # unquoted enum (lenient)
    assert text.parse_attribute("n=-3") == ("n", -3)


def test_x_occi_category_alias_and_locations() -> None:
    response = occi_headers(
        [
            ("X-OCCI-Category", 'a; scheme="http://s#"; class="kind"'),
            ("Location", "http://h/compute/1, http://h/compute/2"),
        ]
    )
    assert text.parse_model(response)[0].term == "a"
    assert text.parse_locations(response) == ["http://h/compute/1", "http://h/compute/2"]


def test_uri_list_and_empty_listing() -> None:
    import httpx

    response = httpx.Response(
        200,
        text="# c\nhttp://h/compute/1\n\nhttp://h/compute/2\n",
        headers={"Content-Type": "text/uri-list"},
    )
    assert text.parse_locations(response) == ["http://h/compute/1", "http://h/compute/2"]
    assert text.parse_locations(plain("")) == []
    assert text.parse_entity(plain("")) is None


@pytest.mark.parametrize(
    "bad",
    ['compute; class="kind"', 'x; scheme="s#"; class="thing"', 'x; scheme="unbalanced'],
)
def test_bad_categories_name_the_problem(bad: str) -> None:
    with pytest.raises(text.TextError):
        text.parse_category(bad)


def test_request_rendering_round_trip() -> None:
    from occi_client.model import Category, Link

    kind = Category("compute", INFRA, "kind")
    pairs = text.request_structures(
        [kind],
        {"occi.core.title": 'a "b"\\', "n": 2, "f": 0.5, "b": False},
        [
            Link(
                target="/storage/1",
                rel=[INFRA + "storage"],
                kind=INFRA + "storagelink",
                attributes={"occi.storagelink.deviceid": "/dev/vdb"},
            )
        ],
    )
    body = text.as_body(pairs).decode()
    entity = text.parse_entity(plain(body))
    assert entity is not None and entity.kind == INFRA + "compute"
    assert entity.attributes == {"occi.core.title": 'a "b"\\', "n": 2, "f": 0.5, "b": False}
    assert entity.links[0].attributes == {"occi.storagelink.deviceid": "/dev/vdb"}
