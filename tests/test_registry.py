"""One registry drives everything: only what the backend implements is advertised."""

from __future__ import annotations

from occi_server.categories import core, openstack
from occi_server.categories import infrastructure as infra
from occi_server.model import Attribute, AttributeType, Mixin
from occi_server.registry import Catalogue, Registry


def _catalogue(**overrides: object) -> Catalogue:
    options: dict[str, object] = {
        "served_kinds": frozenset({infra.COMPUTE, infra.STORAGE}),
        "implemented_actions": frozenset({infra.START.type_id}),
        "supported_mixins": frozenset({infra.OS_TPL}),
    }
    options.update(overrides)
    return Catalogue.for_backend(**options)  # type: ignore[arg-type]


def test_unserved_kinds_and_unimplemented_actions_are_not_advertised() -> None:
    registry = Registry(_catalogue())
    ids = {c.type_id for c in registry.categories()}
    assert {core.ENTITY, core.RESOURCE, core.LINK, infra.COMPUTE, infra.STORAGE} <= ids
    assert infra.NETWORK not in ids
    assert infra.STOP.type_id not in ids
    assert infra.IPNETWORK not in ids
    compute = registry.kind(infra.COMPUTE)
    assert compute is not None
    assert compute.actions == (infra.START.type_id,)
    storage = registry.kind(infra.STORAGE)
    assert storage is not None and storage.actions == ()


def test_kind_extensions_add_actions_and_attributes() -> None:
    catalogue = _catalogue(
        implemented_actions=frozenset({openstack.CHG_PWD.type_id}),
        extra=openstack.CATEGORIES,
        extensions=(openstack.COMPUTE_EXTENSION,),
    )
    compute = Registry(catalogue).kind(infra.COMPUTE)
    assert compute is not None
    assert compute.actions == (openstack.CHG_PWD.type_id,)
    assert compute.attribute(openstack.ADMIN_PWD) is not None
    assert openstack.ADMIN_PWD in catalogue.secret_attributes


def test_locations_and_lookups() -> None:
    registry = Registry(_catalogue())
    assert registry.at_location("/compute/") is registry.kind(infra.COMPUTE)
    assert registry.get("http://schemas.ogf.org/occi/infrastructure/compute") is not None
    assert registry.subkinds(registry.kind(core.RESOURCE)) == (  # type: ignore[arg-type]
        core.RESOURCE,
        infra.COMPUTE,
        infra.STORAGE,
    )


def test_template_defaults_override_kind_definitions_but_keep_their_typing() -> None:
    small = Mixin(
        scheme="http://example.com/tpl#",
        term="small",
        depends=(infra.RESOURCE_TPL,),
        attributes=(Attribute(name="occi.compute.cores", type=AttributeType.INTEGER, default=2),),
    )
    registry = Registry(_catalogue(supported_mixins=frozenset({infra.RESOURCE_TPL})), [small])
    compute = registry.kind(infra.COMPUTE)
    assert compute is not None
    definitions = registry.attribute_definitions(compute, [small])
    cores = definitions["occi.compute.cores"]
    assert cores.default == 2
    assert cores.description == "Number of virtual CPU cores"  # the kind's definition survives
    assert registry.depends_on(small, infra.RESOURCE_TPL)
    assert "occi.core.title" in definitions  # inherited from core#entity


def test_dynamic_mixins_are_found_by_id_and_location() -> None:
    tag = Mixin(scheme="http://example.com/t#", term="tag", location="/tag/", user_defined=True)
    registry = Registry(_catalogue(), [tag])
    assert registry.mixin(tag.type_id) is tag
    assert registry.at_location("/tag/") is tag
