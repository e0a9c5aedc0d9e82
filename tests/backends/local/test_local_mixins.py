import pytest

from occi_server.backends.base import EntityChanges, EntityQuery
from occi_server.backends.local import LocalBackend
from occi_server.categories import infrastructure as infra
from occi_server.errors import Conflict
from occi_server.model import Attribute, AttributeType, Mixin

from .conftest import A, compute, new_entity, template

GROUP = Mixin(
    scheme="http://www.mystuff.org/sec#",
    term="my_grp",
    title="my group",
    depends=("http://schemas.ogf.org/occi/infrastructure/security#group",),
    location="/mygroups/",
    user_defined=True,
    attributes=(Attribute(name="org.example.owner", type=AttributeType.STRING, required=True),),
)


def test_a_user_mixin_is_stored_as_given(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        s.create_user_mixin(GROUP)
    with backend.open(A) as s:
        assert s.user_mixins() == [GROUP]


@pytest.mark.parametrize(
    "clash",
    [
        Mixin(scheme=GROUP.scheme, term=GROUP.term, location="/other/", user_defined=True),
        Mixin(scheme="http://x.org/#", term="y", location="/mygroups/", user_defined=True),
    ],
)
def test_a_user_mixin_with_a_taken_id_or_location_is_a_conflict(
    backend: LocalBackend, clash: Mixin
) -> None:
    with backend.open(A) as s:
        s.create_user_mixin(GROUP)
        with pytest.raises(Conflict):
            s.create_user_mixin(clash)


def test_a_user_mixin_cannot_take_a_provider_templates_place(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        itsy = template(s, "itsy")
        with pytest.raises(Conflict):
            s.create_user_mixin(
                Mixin(scheme="http://x.org/#", term="z", location=itsy.location, user_defined=True)
            )
        with pytest.raises(Conflict):
            s.create_user_mixin(
                Mixin(scheme=itsy.scheme, term=itsy.term, location="/mine/", user_defined=True)
            )


def test_membership_can_be_added_listed_and_removed(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        s.create_user_mixin(GROUP)
        vm = new_entity(s, compute())
        other = new_entity(s, compute(GROUP))
        joined = s.update_entity(vm.location, EntityChanges(add_mixins=[GROUP]))
        assert GROUP.type_id in joined.mixins
        assert s.list_locations(EntityQuery(mixins=(GROUP.type_id,))) == [
            vm.location,
            other.location,
        ]
        left = s.update_entity(vm.location, EntityChanges(remove_mixins=[GROUP]))
        assert GROUP.type_id not in left.mixins
        assert s.list_locations(EntityQuery(mixins=(GROUP.type_id,))) == [other.location]


TAG = Mixin(
    scheme="http://www.mystuff.org/tags#", term="blue", location="/blue/", user_defined=True
)


def test_deleting_a_plain_user_mixin_drops_its_associations_only(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        s.create_user_mixin(TAG)
        vm = new_entity(s, compute(TAG))
    with backend.open(A) as s:
        s.delete_user_mixin(TAG)
    with backend.open(A) as s:
        survivor = s.get_entity(vm.location)
        assert s.user_mixins() == []
        assert s.list_locations(EntityQuery(mixins=(TAG.type_id,))) == []
    assert TAG.type_id not in survivor.mixins
    assert survivor.version != vm.version  # its rendering changed
    assert survivor.kind == infra.COMPUTE
