"""Golden JSON renderings (occi-spec §5), each checked against the shipped JSON Schemas."""

from __future__ import annotations

import json
from typing import Any

import pytest

from occi_server.categories import core, infrastructure, openstack
from occi_server.model import (
    Action,
    Attribute,
    AttributeType,
    Category,
    Kind,
    Link,
    Mixin,
    Resource,
)
from occi_server.rendering import negotiate
from occi_server.rendering.json_media import schema_names
from occi_server.rendering.json_render import (
    DRAFT_04,
    JsonRenderer,
    attribute_description,
    category_object,
)
from occi_server.rendering.text_format import Locator
from tests.support.json_schemas import errors

BASE = "https://cloud.example.com"
INFRA = "http://schemas.ogf.org/occi/infrastructure#"
ACTION = "http://schemas.ogf.org/occi/infrastructure/compute/action#"
FAST = "http://example.com/occi/m#fast"
UBUNTU = "http://example.com/occi/os_tpl#ubuntu-22"
COMPUTE_KIND = INFRA + "compute"


def _link() -> Link:
    return Link(
        id="9",
        kind=infrastructure.STORAGELINK,
        mixins=[FAST],
        location="/storage/link/9",
        source="/compute/1",
        target="/storage/1",
        target_kind=infrastructure.STORAGE,
        attributes={"occi.storagelink.deviceid": "/dev/vdb", "occi.core.title": "disk"},
    )


def _compute() -> Resource:
    return Resource(
        id="1",
        kind=infrastructure.COMPUTE,
        location="/compute/1",
        mixins=[UBUNTU],
        attributes={
            "occi.compute.memory": 2.0,
            "occi.compute.cores": 2,
            "occi.core.title": 'vm "one"',
            "occi.compute.state": "inactive",
            "occi.core.summary": None,
            "org.example.tags": ["a", 1],
        },
        actions=[ACTION + "start"],
        links=[_link()],
    )


LINK_OBJECT = {
    "kind": INFRA + "storagelink",
    "mixins": [FAST],
    "id": "9",
    "title": "disk",
    "attributes": {"occi.storagelink.deviceid": "/dev/vdb"},
    "source": {"location": "/compute/1", "kind": INFRA + "compute"},
    "target": {"location": "/storage/1", "kind": INFRA + "storage"},
    "location": "/storage/link/9",
}
COMPUTE_OBJECT = {
    "kind": INFRA + "compute",
    "mixins": [UBUNTU],
    "id": "1",
    "title": 'vm "one"',
    "attributes": {
        "occi.compute.cores": 2,
        "occi.compute.memory": 2.0,
        "occi.compute.state": "inactive",
        "org.example.tags": ["a", 1],
    },
    "actions": [ACTION + "start"],
    "links": [LINK_OBJECT],
    "location": "/compute/1",
}


def _body(rendered: Any) -> Any:
    return json.loads(rendered.body)


def _renderer(base: str = BASE, media_type: str = "application/occi+json") -> JsonRenderer:
    renderer = negotiate.renderer_for(media_type, base)
    assert isinstance(renderer, JsonRenderer)
    return renderer


def test_resource_object_golden_and_valid() -> None:
    rendered = _renderer().entity(_compute())
    assert rendered.content_type == "application/occi+json"
    document = _body(rendered)
    assert document == COMPUTE_OBJECT
    assert list(document) == list(COMPUTE_OBJECT)  # member order as in the spec's tables
    assert errors(document, "resource") == []


def test_link_object_standalone_has_no_source_kind_unless_known() -> None:
    document = _body(_renderer().entity(_link()))
    assert document == {**LINK_OBJECT, "source": {"location": "/compute/1"}}
    assert errors(document, "link") == []


def test_base_path_prefixes_every_location_and_absolute_targets_stay() -> None:
    compute = _compute()
    compute.links[0].target = "https://other.example/storage/7"
    document = _body(_renderer(BASE + "/occi/").entity(compute))
    assert document["location"] == "/occi/compute/1"
    assert document["links"][0]["source"]["location"] == "/occi/compute/1"
    assert document["links"][0]["target"]["location"] == "https://other.example/storage/7"
    kinds = _body(_renderer(BASE + "/occi").categories([infrastructure.COMPUTE_KIND]))["kinds"]
    assert kinds[0]["location"] == "/occi/compute/"


def test_mixed_listing_puts_each_entity_in_its_array() -> None:
    renderer = _renderer()
    assert renderer.wants_entities is True
    document = _body(renderer.entities([_compute(), _link()]))
    assert [r["id"] for r in document["resources"]] == ["1"]
    assert [x["id"] for x in document["links"]] == ["9"]
    assert errors(document, "entity_collection") == []
    assert _body(renderer.entities([])) == {"resources": [], "links": []}


def test_small_answers() -> None:
    renderer = _renderer(BASE + "/occi")
    created = _body(renderer.created("/compute/1"))
    assert created == {"location": BASE + "/occi/compute/1"}
    listed = _body(renderer.locations(["/compute/1", "/storage/2"]))
    assert listed == {"locations": [BASE + "/occi/compute/1", BASE + "/occi/storage/2"]}
    assert _body(renderer.ok()) == {}
    error = _body(renderer.error(404, "no such thing"))
    assert error == {"code": 404, "message": "no such thing"}
    for document, shape in ((created, "created"), (listed, "locations"), ({}, "ok")):
        assert errors(document, shape) == []
    assert errors(error, "error") == []


def test_alias_answers_with_its_own_media_type() -> None:
    rendered = _renderer(media_type="Application/JSON").ok()
    assert rendered.content_type == "application/json"


def test_attribute_descriptions_are_explicit_and_patterns_are_schemas() -> None:
    plain = attribute_description(Attribute(name="a.b"))
    assert plain == {"type": "string", "mutable": True, "required": False}
    cores = attribute_description(
        Attribute(name="c", type=AttributeType.INTEGER, minimum=1, maximum=8, default=2)
    )
    assert cores["default"] == 2 and cores["type"] == "number"
    assert cores["pattern"] == {"$schema": DRAFT_04, "type": "integer", "minimum": 1, "maximum": 8}
    host = attribute_description(Attribute(name="h", pattern="[a-z]+", description="Host"))
    assert host["pattern"]["pattern"] == "^(?:[a-z]+)$"
    assert host["description"] == "Host"
    state = attribute_description(Attribute(name="s", mutable=False, enum=("x", "y")))
    assert state["mutable"] is False and state["pattern"]["enum"] == ["x", "y"]
    for description in (plain, cores, host, state):
        assert errors(description, "attribute_description") == []


def test_secret_attributes_never_show_a_default_nor_their_secrecy() -> None:
    secret = attribute_description(Attribute(name="p", secret=True, default="hunter2"))
    assert secret == {"type": "string", "mutable": True, "required": False}


def test_non_finite_and_odd_values_stay_valid_json() -> None:
    resource = Resource(
        id="1",
        kind=infrastructure.COMPUTE,
        location="/compute/1",
        attributes={"x.nan": float("nan"), "x.tuple": (1, 2), "x.obj": {"k": object.__name__}},
    )
    document = _body(_renderer().entity(resource))
    assert document["attributes"] == {"x.nan": "nan", "x.obj": {"k": "object"}, "x.tuple": [1, 2]}
    assert "links" not in document and "mixins" not in document and "actions" not in document


def _catalogue() -> list[Category]:
    found = []
    for module in (core, infrastructure, openstack):
        found += [v for v in vars(module).values() if isinstance(v, Kind | Mixin | Action)]
    return found


def test_the_whole_catalogue_validates_as_a_query_interface() -> None:
    categories = _catalogue()
    document = _body(_renderer().categories(categories))
    assert errors(document, "query_interface") == []
    counts = {k: len(v) for k, v in document.items()}
    assert sum(counts.values()) == len(categories) and all(counts.values())
    for name, shape in (("kinds", "kind"), ("mixins", "mixin"), ("actions", "action")):
        assert all(errors(c, shape) == [] for c in document[name])


def test_kind_mixin_and_action_objects() -> None:
    compute = category_object(infrastructure.COMPUTE_KIND, Locator(""))
    assert compute["parent"] == core.RESOURCE and compute["location"] == "/compute/"
    assert compute["actions"][0] == ACTION + "start"
    entity = category_object(core.ENTITY_KIND)
    assert "location" not in entity and "parent" not in entity
    template = Mixin(
        scheme="http://example.com/tpl#",
        term="medium",
        title="Medium",
        depends=(INFRA + "resource_tpl",),
        applies=(INFRA + "compute",),
        location="/mixin/resource_tpl/medium/",
        attributes=(Attribute(name="occi.compute.cores", type=AttributeType.INTEGER, default=2),),
    )
    medium = category_object(template)
    assert medium["depends"] == [INFRA + "resource_tpl"] and medium["applies"] == [COMPUTE_KIND]
    assert medium["attributes"]["occi.compute.cores"]["default"] == 2
    stop = category_object(infrastructure.STOP)
    assert set(stop) == {"term", "scheme", "title", "attributes"}
    assert stop["attributes"]["method"]["default"] == "poweroff"


@pytest.mark.parametrize("name", schema_names())
def test_every_shipped_schema_is_a_valid_draft_04_schema(name: str) -> None:
    errors({}, name)  # builds the validator, which checks the schema itself
