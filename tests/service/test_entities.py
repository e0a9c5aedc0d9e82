"""Entity operations of service/ against the in-memory backend (no HTTP, no database)."""

from __future__ import annotations

import pytest

from occi_server.categories import infrastructure as infra
from occi_server.errors import BadRequest, NotFound, PreconditionFailed
from occi_server.model.request import CategoryRef, OcciRequest
from occi_server.service import actions, entities
from occi_server.service.entities import Operation

COMPUTE = CategoryRef(term="compute", scheme=infra.INFRA, category_class="kind")


def _compute(**attributes: object) -> OcciRequest:
    return OcciRequest(categories=[COMPUTE], attributes=dict(attributes))


def test_create_answers_the_new_location_and_read_finds_it(op: Operation) -> None:
    location = entities.create(op, _compute(**{"occi.core.title": "web"}))
    assert location.startswith("/compute/")
    found = entities.read(op, location)
    assert found.attributes["occi.core.title"] == "web"
    assert found.attributes["occi.compute.state"] == "active"


def test_create_in_the_wrong_collection_or_without_a_kind_is_400(op: Operation) -> None:
    with pytest.raises(BadRequest, match="does not belong"):
        entities.create(op, _compute(), collection=infra.STORAGE_KIND)
    with pytest.raises(BadRequest, match="a kind is required"):
        entities.create(op, OcciRequest())


def test_an_unknown_attribute_is_400_naming_it(op: Operation) -> None:
    with pytest.raises(BadRequest, match=r"occi\.compute\.nonsense"):
        entities.create(op, _compute(**{"occi.compute.nonsense": 1}))


def test_update_under_a_stale_if_match_is_412_and_changes_nothing(op: Operation) -> None:
    location = entities.create(op, _compute())
    first = entities.read(op, location).version
    assert first is not None
    entities.update(op, location, _compute(**{"occi.core.title": "a"}), frozenset({first}))
    with pytest.raises(PreconditionFailed, match=location):
        entities.update(op, location, _compute(**{"occi.core.title": "b"}), frozenset({first}))
    current = entities.read(op, location)
    assert current.attributes["occi.core.title"] == "a"
    assert current.version is not None
    changed = entities.update(
        op, location, _compute(**{"occi.core.title": "c"}), frozenset({"0", current.version})
    )
    assert changed.attributes["occi.core.title"] == "c"
    star = entities.update(op, location, _compute(**{"occi.core.title": "d"}), frozenset("*"))
    assert star.attributes["occi.core.title"] == "d"


def test_delete_under_a_stale_if_match_is_412_and_keeps_the_entity(op: Operation) -> None:
    location = entities.create(op, _compute())
    with pytest.raises(PreconditionFailed):
        entities.delete(op, location, frozenset({"stale"}))
    assert entities.read(op, location).location == location
    entities.delete(op, location, frozenset({entities.read(op, location).version or ""}))
    with pytest.raises(NotFound):
        entities.read(op, location)


def test_put_creates_at_a_free_location_and_replaces_an_existing_entity(op: Operation) -> None:
    created = entities.put(op, "/compute/mine", _compute(**{"occi.core.title": "one"}))
    assert created == "/compute/mine"
    replaced = entities.put(op, "/compute/mine", _compute(**{"occi.core.summary": "s"}))
    assert not isinstance(replaced, str)
    # A full update: what the request leaves out goes.
    assert "occi.core.title" not in replaced.attributes
    assert replaced.attributes["occi.core.summary"] == "s"


def test_put_under_if_match_where_nothing_exists_is_412(op: Operation) -> None:
    for expected in (frozenset({"1"}), frozenset({"*"})):
        with pytest.raises(PreconditionFailed, match="/compute/none"):
            entities.put(op, "/compute/none", _compute(), expected)
    with pytest.raises(NotFound):
        entities.read(op, "/compute/none")


def test_put_in_another_kinds_collection_is_400(op: Operation) -> None:
    with pytest.raises(BadRequest, match="collection"):
        entities.put(op, "/storage/mine", _compute())


def test_an_action_changes_the_state_and_an_unknown_one_is_400(op: Operation) -> None:
    location = entities.create(op, _compute())
    stop = CategoryRef(term="stop", scheme=infra.COMPUTE_ACTION, category_class="action")
    actions.invoke(op, location, "stop", OcciRequest(categories=[stop]))
    assert entities.read(op, location).attributes["occi.compute.state"] == "inactive"
    with pytest.raises(BadRequest, match="not a valid action term"):
        actions.invoke(op, location, "St op", OcciRequest())
    with pytest.raises(BadRequest, match="does not match"):
        actions.invoke(op, location, "start", OcciRequest(categories=[stop]))
