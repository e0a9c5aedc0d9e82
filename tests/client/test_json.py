"""The JSON parser on other servers' renderings: rOCCI-core's examples and ooi's."""

from __future__ import annotations

import json

import pytest

from occi_client import occijson
from occi_client.model import INFRA, OS_TPL, Model
from tests.client.helpers import fixture, json_response


def test_rocci_model_json() -> None:
    model = Model(occijson.parse_model(json_response(fixture("rocci_model.json"))))
    compute = model.kind("compute")
    assert compute.location == "/compute/"
    restart = model.action("restart")
    method = restart.attributes["method"]
    assert method.default == "cold" and method.type == "string" and method.mutable
    # rOCCI's pattern is a regex string, not the spec's JSON Schema object: kept as given
    assert method.pattern == "(?-mix:^(graceful|warm|cold)$)"
    assert model.mixin("os_tpl").type_id == OS_TPL


def test_rocci_instance_json() -> None:
    entity = occijson.parse_entity(json_response(fixture("rocci_instance.json")))
    assert entity is not None
    assert entity.id == "89878" and entity.title == "my_compute"  # top level and in attributes
    assert entity.attributes["occi.compute.architecture"] == "x64"
    storage = entity.links[0]
    assert storage.target == "/storage/5401" and storage.rel == [INFRA + "storage"]
    assert storage.source == "/compute/89878"
    assert storage.kind == INFRA + "storagelink"


def test_ooi_json_entity_and_query() -> None:
    entity = occijson.parse_entity(json_response(fixture("ooi_compute.json")))
    assert entity is not None and entity.location is None  # ooi sends none; the client places it
    assert entity.attributes["occi.core.id"] == "b3a5a2e8-2a65-4c1a-a9ae-2a0e6f6dfc3b"
    assert entity.title == "foo"
    model = Model(occijson.parse_model(json_response(fixture("ooi_query.json"))))
    assert [t.title for t in model.templates(OS_TPL)] == ["cirros"]
    assert model.action("stop").attributes["method"].type == "string"
    # JSON: a missing `mutable` means immutable (text: no braces means mutable)
    doc = {"kinds": [{"term": "k", "scheme": "http://s#", "attributes": {"a": {}}}]}
    (kind,) = occijson.parse_model(json_response(json.dumps(doc)))
    assert kind.attributes["a"].mutable is False and kind.attributes["a"].type == "string"


def test_collections_and_bare_location_arrays() -> None:
    doc = {
        "resources": [{"kind": INFRA + "compute", "id": "1", "location": "/compute/1"}],
        "links": [
            {
                "kind": INFRA + "storagelink",
                "id": "2",
                "source": {"location": "/compute/1"},
                "target": {"location": "/storage/3"},
            }
        ],
    }
    entities = occijson.parse_entities(json_response(json.dumps(doc)))
    assert [e.id for e in entities] == ["1", "2"]
    assert entities[1].source == "/compute/1" and entities[1].target == "/storage/3"
    bare = occijson.parse_entities(json_response('["http://h/compute/1"]'))
    assert bare[0].location == "http://h/compute/1"
    assert occijson.parse_entities(json_response(b"")) == []


@pytest.mark.parametrize(
    "doc",
    [
        '{"kinds": [{"scheme": "http://s#"}]}',
        '{"kinds": [{"term": "x", "scheme": "s#", "actions": 5}]}',
        "{not json",
    ],
)
def test_bad_documents_raise_a_rendering_error(doc: str) -> None:
    with pytest.raises(occijson.JSONRenderingError):
        occijson.parse_model(json_response(doc))


def test_request_documents() -> None:
    from occi_client.model import Category, Link

    kind = Category("compute", INFRA, "kind")
    doc = occijson.entity_document(
        kind,
        [],
        {"occi.core.title": "web", "occi.compute.cores": 2},
        [Link(target="/storage/1", rel=[INFRA + "storage"], kind=INFRA + "storagelink")],
    )
    assert doc == {
        "kind": INFRA + "compute",
        "title": "web",
        "attributes": {"occi.compute.cores": 2},
        "links": [
            {
                "target": {"location": "/storage/1", "kind": INFRA + "storage"},
                "kind": INFRA + "storagelink",
            }
        ],
    }
    link = occijson.entity_document(
        Category("storagelink", INFRA, "kind"),
        [],
        {
            "occi.core.source": "/compute/1",
            "occi.core.target": "/storage/1",
            "occi.core.target.kind": INFRA + "storage",
        },
        [],
    )
    assert link["source"] == {"location": "/compute/1"}
    assert link["target"] == {"location": "/storage/1", "kind": INFRA + "storage"}
