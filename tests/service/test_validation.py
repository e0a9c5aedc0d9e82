"""Request checks against the registry: categories, mixins, attributes."""

from __future__ import annotations

import pytest

from occi_server.categories import infrastructure as infra
from occi_server.errors import BadRequest
from occi_server.model import Mixin
from occi_server.model.request import CategoryRef
from occi_server.registry import Catalogue, Registry
from occi_server.service import validation

SMALL = Mixin(scheme="http://example.com/r#", term="small", depends=(infra.RESOURCE_TPL,))
LARGE = Mixin(scheme="http://example.com/r#", term="large", depends=(infra.RESOURCE_TPL,))
DEBIAN = Mixin(scheme="http://example.com/o#", term="debian", depends=(infra.OS_TPL,))


@pytest.fixture
def registry() -> Registry:
    catalogue = Catalogue.for_backend(
        frozenset({infra.COMPUTE, infra.NETWORK}),
        frozenset(),
        frozenset({infra.OS_TPL, infra.RESOURCE_TPL, infra.IPNETWORK}),
    )
    return Registry(catalogue, [SMALL, LARGE, DEBIAN])


def test_unknown_category_or_wrong_class_is_400(registry: Registry) -> None:
    with pytest.raises(BadRequest, match="unknown category"):
        validation.resolve(registry, CategoryRef(term="nope", scheme="http://x#"))
    with pytest.raises(BadRequest, match="is a kind, not a mixin"):
        validation.resolve(
            registry, CategoryRef(term="compute", scheme=infra.INFRA, category_class="mixin")
        )


def test_two_templates_of_one_sort_are_refused(registry: Registry) -> None:
    compute = registry.kind(infra.COMPUTE)
    assert compute is not None
    validation.check_mixins(registry, compute, [SMALL, DEBIAN])
    with pytest.raises(BadRequest, match="two resource_tpl templates"):
        validation.check_mixins(registry, compute, [SMALL, LARGE])


def test_a_mixin_that_does_not_apply_is_refused(registry: Registry) -> None:
    compute = registry.kind(infra.COMPUTE)
    ipnetwork = registry.mixin(infra.IPNETWORK)
    assert compute is not None and ipnetwork is not None
    with pytest.raises(BadRequest, match="does not apply"):
        validation.check_mixins(registry, compute, [ipnetwork])


def test_immutable_attributes_are_ignored_at_create_and_refused_when_changed(
    registry: Registry,
) -> None:
    compute = registry.kind(infra.COMPUTE)
    assert compute is not None
    definitions = registry.attribute_definitions(compute)
    given = {"occi.compute.state": "active", "occi.compute.cores": "2"}
    assert validation.coerce_attributes(definitions, given, creating=True) == {
        "occi.compute.cores": 2
    }
    current = {"occi.compute.state": "active"}
    kept = validation.coerce_attributes(definitions, given, current=current, creating=False)
    assert "occi.compute.state" not in kept
    with pytest.raises(BadRequest, match=r"occi\.compute\.state: is immutable"):
        validation.coerce_attributes(
            definitions, {"occi.compute.state": "inactive"}, current=current, creating=False
        )


def test_defaults_fill_in_and_required_attributes_are_demanded(registry: Registry) -> None:
    network = registry.kind(infra.NETWORK)
    ipnetwork = registry.mixin(infra.IPNETWORK)
    assert network is not None and ipnetwork is not None
    definitions = registry.attribute_definitions(network, [ipnetwork])
    filled = validation.apply_defaults(definitions, {})
    assert filled["occi.network.allocation"] == "dynamic"
    storage_like = {"size": definitions["occi.network.vlan"].__class__(name="size", required=True)}
    with pytest.raises(BadRequest, match="size: is required"):
        validation.apply_defaults(storage_like, {})
