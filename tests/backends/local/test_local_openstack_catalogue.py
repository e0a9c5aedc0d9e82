"""What the local backend advertises of the walkthrough's OpenStack extension."""

from sqlalchemy import Engine

from occi_server.backends.local import (
    CloudOffer,
    FloatingPool,
    LocalBackend,
    NetworkSpec,
    default_offer,
)
from occi_server.categories import infrastructure as infra
from occi_server.categories import openstack
from occi_server.model import Kind, Mixin
from occi_server.registry import Catalogue

from .conftest import A, compute, new_entity

INSTANCE_ACTIONS = {a.type_id for a in openstack.INSTANCE_ACTIONS}


def _catalogue(backend: LocalBackend) -> Catalogue:
    return Catalogue.for_backend(
        backend.served_kinds(),
        backend.implemented_actions(),
        backend.supported_mixins(),
        backend.extra_categories(),
        backend.kind_extensions(),
    )


def test_the_compute_kind_advertises_the_instance_actions_and_attributes(
    backend: LocalBackend,
) -> None:
    catalogue = _catalogue(backend)
    kind = catalogue.by_id[infra.COMPUTE]
    assert isinstance(kind, Kind)
    assert set(kind.actions) >= INSTANCE_ACTIONS
    assert set(catalogue.by_id) >= INSTANCE_ACTIONS
    names = {a.name for a in kind.attributes}
    assert {openstack.FLOATING_IP, openstack.ADMIN_PWD, openstack.NOVA_STATE} <= names
    assert openstack.ADMIN_PWD in catalogue.secret_attributes


def test_rules_security_groups_keys_and_user_data_are_in_the_catalogue(
    backend: LocalBackend,
) -> None:
    catalogue = _catalogue(backend)
    for category in (
        openstack.RULE_KIND,
        openstack.SECURITY_GROUP_MIXIN,
        openstack.PUBLIC_KEY_MIXIN,
        openstack.OS_USER_DATA_MIXIN,
        infra.SSH_KEY_MIXIN,
        infra.USER_DATA_MIXIN,
    ):
        assert category.type_id in catalogue.by_id
    assert catalogue.by_location["/network/security/rule/"].type_id == openstack.SECURITY_RULE
    assert openstack.SECURITY_RULE in backend.served_kinds()


def test_floating_pools_are_provider_mixins_beside_the_templates(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        pools = [m for m in s.provider_mixins() if m.scheme == openstack.FLOATING_POOL_SCHEME]
        assert any(m.term == "itsy" for m in s.provider_mixins())
    assert pools == [
        Mixin(
            scheme="http://schemas.openstack.org/network/floatingippool#",
            term="nova",
            title="Floating IP pool nova (172.24.4.0/24)",
            applies=(infra.COMPUTE,),
            location="/mixin/floatingippool/nova/",
        )
    ]


def test_without_a_public_network_floating_ips_are_not_advertised(engine: Engine) -> None:
    base = default_offer()
    cloud = CloudOffer(
        flavors=base.flavors,
        images=base.images,
        floating_pools=(FloatingPool("nova", "172.24.4.0/24"),),
        networks=(NetworkSpec("private", "10.1.0.0/24"),),
        default_flavor=base.default_flavor,
        default_image=base.default_image,
    )
    backend = LocalBackend(engine, cloud)
    alloc, dealloc = openstack.ALLOC_FLOAT_IP.type_id, openstack.DEALLOC_FLOAT_IP.type_id
    assert alloc not in backend.implemented_actions()
    assert dealloc not in backend.implemented_actions()
    with backend.open(A) as s:
        vm = new_entity(s, compute())
    assert alloc not in vm.actions
