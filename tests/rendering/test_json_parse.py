"""JSON request bodies -> OcciRequest (occi-spec §5), and the 400s that point at a member."""

from __future__ import annotations

import json
from typing import Any

import pytest

from occi_server.errors import BadRequest
from occi_server.model.request import AttributeDef, CategoryRef, LinkRef, OcciRequest
from occi_server.rendering import negotiate
from occi_server.rendering.json_parse import parse_json
from occi_server.rendering.json_reader import MAX_DEPTH, MAX_VALUES

INFRA = "http://schemas.ogf.org/occi/infrastructure#"
COMPUTE = INFRA + "compute"
STOP = "http://schemas.ogf.org/occi/infrastructure/compute/action#stop"
UBUNTU = "http://example.com/occi/os_tpl#ubuntu-22"
TAGS = "http://example.com/occi/tags#"


def _parse(document: Any, headers: list[tuple[str, str]] | None = None) -> OcciRequest:
    return parse_json(headers or [], json.dumps(document).encode())


def _kind(type_id: str) -> CategoryRef:
    scheme, term = type_id.split("#")
    return CategoryRef(term=term, scheme=scheme + "#", category_class="kind")


def test_both_media_types_are_registered() -> None:
    for media_type in ("application/occi+json", "application/json; charset=utf-8"):
        assert negotiate.parser_for(media_type) is parse_json


def test_resource_object() -> None:
    request = _parse(
        {
            "kind": COMPUTE,
            "mixins": [UBUNTU],
            "id": "vm-1",
            "title": "top wins",
            "attributes": {
                "occi.core.title": "inner",
                "occi.core.summary": "kept",
                "occi.compute.cores": 2,
                "occi.compute.memory": 1.5,
                "org.example.flag": True,
                "org.example.tags": ["a"],
                "org.example.map": {"k": 1},
            },
            "actions": [STOP],
            "location": "/compute/vm-1",
        }
    )
    assert request.categories == [
        _kind(COMPUTE),
        CategoryRef(
            term="ubuntu-22", scheme="http://example.com/occi/os_tpl#", category_class="mixin"
        ),
    ]
    assert request.attributes == {
        "occi.core.title": "top wins",
        "occi.core.summary": "kept",
        "occi.core.id": "vm-1",
        "occi.compute.cores": 2,
        "occi.compute.memory": 1.5,
        "org.example.flag": True,
        "org.example.tags": ["a"],
        "org.example.map": {"k": 1},
    }
    assert not request.links and not request.locations


def test_inline_links() -> None:
    request = _parse(
        {
            "kind": COMPUTE,
            "links": [
                {
                    "kind": INFRA + "storagelink",
                    "mixins": ["http://example.com/m#fast"],
                    "title": "disk",
                    "target": {"location": "/storage/1", "kind": INFRA + "storage"},
                    "source": {"location": "/compute/1"},
                    "attributes": {"occi.storagelink.deviceid": "/dev/vdb"},
                    "location": "/storage/link/9",
                },
                {"target": {"location": "https://other.example/net/1"}, "rel": INFRA + "network"},
            ],
        }
    )
    assert request.links == [
        LinkRef(
            target="/storage/1",
            rel=(INFRA + "storage",),
            self_location="/storage/link/9",
            categories=(INFRA + "storagelink", "http://example.com/m#fast"),
            attributes={"occi.storagelink.deviceid": "/dev/vdb", "occi.core.title": "disk"},
        ),
        LinkRef(target="https://other.example/net/1", rel=(INFRA + "network",)),
    ]


def test_link_object_puts_its_ends_into_core_attributes() -> None:
    request = _parse(
        {
            "kind": INFRA + "networkinterface",
            "source": {"location": "/compute/1", "kind": COMPUTE},
            "target": {"location": "/network/2", "kind": INFRA + "network"},
            "attributes": {"occi.core.target": "/ignored", "occi.networkinterface.interface": "e"},
        }
    )
    assert request.categories == [_kind(INFRA + "networkinterface")]
    assert request.attributes == {
        "occi.core.source": "/compute/1",
        "occi.core.target": "/network/2",
        "occi.core.target.kind": INFRA + "network",
        "occi.networkinterface.interface": "e",
    }


def test_action_invocation_splits_the_type_id_after_the_hash() -> None:
    request = _parse({"action": STOP, "attributes": {"method": "graceful"}})
    assert request.categories == [
        CategoryRef(
            term="stop",
            scheme="http://schemas.ogf.org/occi/infrastructure/compute/action#",
            category_class="action",
        )
    ]
    assert request.attributes == {"method": "graceful"}
    assert _parse({"action": STOP}).attributes == {}


def test_user_mixin_definitions() -> None:
    mixin = {
        "term": "blue",
        "scheme": TAGS,
        "title": "Blue things",
        "location": "/tags/blue/",
        "depends": [INFRA + "resource_tpl"],
        "attributes": {"org.example.colour": {"type": "string", "mutable": True}},
    }
    expected = CategoryRef(
        term="blue",
        scheme=TAGS,
        category_class="mixin",
        title="Blue things",
        rel=(INFRA + "resource_tpl",),
        location="/tags/blue/",
        attributes=(AttributeDef(name="org.example.colour", required=False, mutable=True),),
    )
    assert _parse(mixin).categories == [expected]
    assert _parse({"mixins": [mixin]}).categories == [expected]
    deletion = _parse({"term": "blue", "scheme": TAGS}).categories
    assert deletion == [CategoryRef(term="blue", scheme=TAGS)]


def test_json_attribute_descriptions_are_immutable_unless_said_otherwise() -> None:
    kind = {"term": "k", "scheme": TAGS, "parent": COMPUTE, "attributes": {"a.b": {}}}
    ref = _parse({"kinds": [kind]}).categories[0]
    assert ref.category_class == "kind" and ref.rel == (COMPUTE,)
    assert ref.attributes == (AttributeDef(name="a.b", required=False, mutable=False),)
    pattern = {"a.b": {"type": "string", "pattern": "(?-mix:^x$)", "required": True}}
    rocci = _parse({"term": "k", "scheme": TAGS, "attributes": pattern}).categories[0]
    assert rocci.attributes == (AttributeDef(name="a.b", required=True, mutable=False),)


def test_partial_update_with_mixin_ids_only() -> None:
    request = _parse({"mixins": [UBUNTU]})
    assert [(c.type_id, c.category_class) for c in request.categories] == [(UBUNTU, "mixin")]


@pytest.mark.parametrize(
    "document",
    [
        ["/compute/1", "http://h/storage/2"],
        {"resources": [{"location": "/compute/1", "id": "1"}], "links": ["http://h/storage/2"]},
        {"locations": ["/compute/1", "http://h/storage/2"]},
        {"links": [{"location": "/compute/1"}, {"location": "http://h/storage/2", "kind": "x"}]},
    ],
)
def test_entity_collections_give_locations(document: Any) -> None:
    request = _parse(document)
    assert request.locations == ["/compute/1", "http://h/storage/2"]
    assert not (request.categories or request.attributes or request.links)


def test_links_only_without_location_are_inline_links() -> None:
    request = _parse({"links": [{"target": {"location": "/storage/1"}}]})
    assert request.links == [LinkRef(target="/storage/1")] and not request.locations


def test_headers_are_merged_like_the_text_parsers_do() -> None:
    headers = [
        ("Content-Type", "application/occi+json"),
        ("Category", f'compute; scheme="{INFRA}"; class="kind"'),
        ("X-OCCI-Attribute", 'occi.core.title="filter"'),
    ]
    request = _parse({"mixins": [UBUNTU]}, headers)
    assert [c.term for c in request.categories] == ["compute", "ubuntu-22"]
    assert request.attributes == {"occi.core.title": "filter"}
    with pytest.raises(BadRequest, match=r"JSON /attributes/occi\.core\.title: also given"):
        _parse({"title": "x"}, headers)


def test_empty_or_blank_body_reads_the_headers_only() -> None:
    headers = [("Category", f'compute; scheme="{INFRA}"; class="kind"')]
    assert parse_json(headers, b" \r\n").categories[0].term == "compute"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"kind": ', "JSON: malformed at line 1 column 10"),
        (b"\xff{}", "JSON: invalid UTF-8 at byte 0"),
        (b'{"a": NaN}', "JSON: NaN is not a JSON value"),
        (b'{"a": 1e999}', "JSON: number out of range"),
        (b'{"a": ' + b"9" * 5000 + b"}", "JSON: number out of range"),
        (b'{"kind": "x#a", "kind": "x#b"}', "JSON /kind: duplicate member"),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "JSON /0/0/0"),
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper than"),
        (json.dumps(list(range(MAX_VALUES + 1))).encode(), f"more than {MAX_VALUES} values"),
        (b'"just a string"', "JSON: must be an object or an array"),
        (b'{"kind": 5}', "JSON /kind: must be a string"),
        (b'{"kind": "compute"}', "JSON /kind: must be a type identifier"),
        (b'{"mixins": "x"}', "JSON /mixins: must be an array"),
        (b'{"kind": "a#b", "mixins": [{"term": "x"}]}', "JSON /mixins/0: must be a string"),
        (b'{"attributes": []}', "JSON /attributes: must be an object"),
        (b'{"attributes": {"a b": 1}}', "JSON /attributes/a b: bad attribute name"),
        (b'{"attributes": {"a": null}}', "JSON /attributes/a: null is not a value"),
        (b'{"attributes": {"occi.core.title": {}}}', "JSON /attributes/occi.core.title: must"),
        (b'{"title": 3}', "JSON /title: must be a string"),
        (b'{"attributs": {}}', "JSON /attributs: unknown member"),
        (b'{"links": {}}', "JSON /links: must be an array"),
        (b'{"kind": "a#b", "links": [3]}', "JSON /links/0: must be an object"),
        (
            b'{"kind": "a#b", "links": [{"target": "/s/1"}]}',
            "JSON /links/0/target: must be an object with a location",
        ),
        (b'{"kind": "a#b", "links": [{}]}', "JSON /links/0/target: must be an object"),
        (b'{"kind": "a#b", "links": [{"target": {"location": "a b"}}]}', "/target/location: bad"),
        (b'{"kind": "a#b", "source": {"location": 1}}', "JSON /source/location: must be a"),
        (b'{"action": "stop"}', "JSON /action: must be a type identifier"),
        (b'{"action": "a#b", "extra": 1}', "JSON /extra: unknown member"),
        (b'{"term": "x"}', "JSON /scheme: is required"),
        (b'{"term": "x y", "scheme": "s#"}', "JSON /term: bad term"),
        (b'{"kinds": {}}', "JSON /kinds: must be an array"),
        (b'{"kinds": ["a#b"]}', "JSON /kinds/0: must be an object"),
        (
            b'{"mixins": [{"term": "x", "scheme": "s#", "attributes": {"a": 1}}]}',
            "JSON /mixins/0/attributes/a: must be an attribute description object",
        ),
        (
            b'{"term": "x", "scheme": "s#", "attributes": {"a": {"type": "int"}}}',
            "JSON /attributes/a/type: must be one of",
        ),
        (
            b'{"term": "x", "scheme": "s#", "attributes": {"a": {"mutable": "yes"}}}',
            "JSON /attributes/a/mutable: must be true or false",
        ),
        (b'{"resources": [{"id": "1"}]}', "JSON /resources/0: must be a location or an object"),
        (b'{"resources": [1]}', "JSON /resources/0: must be a string"),
        (b'["/a", ""]', "JSON /1: bad location"),
        (b'{"resources": [], "kind": "a#b"}', "JSON /kind: unknown member"),
        (b'{"attributes": {"a~/b": null}}', "JSON /attributes/a~0~1b: bad attribute name"),
    ],
)
def test_bad_documents_name_the_offending_member(body: bytes, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_json([], body)
    assert message in caught.value.message
