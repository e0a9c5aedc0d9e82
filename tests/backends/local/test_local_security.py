"""Security groups (user mixins depending on security#group) and their rules."""

from typing import Any

import pytest

from occi_server.backends.base import EntityChanges, EntityDraft, EntityQuery, ProjectCloud
from occi_server.backends.local import LocalBackend
from occi_server.categories import openstack
from occi_server.errors import BadRequest, Conflict, NotFound
from occi_server.model import Entity, Mixin

from .conftest import A, compute, new_entity, storage

GROUP = Mixin(
    scheme="http://www.mystuff.org/sec#",
    term="my_grp",
    depends=(openstack.SECURITY_GROUP,),
    location="/mygroups/",
    user_defined=True,
)
OTHER = Mixin(
    scheme="http://www.mystuff.org/sec#",
    term="web",
    depends=(openstack.SECURITY_GROUP,),
    location="/web/",
    user_defined=True,
)
TAG = Mixin(
    scheme="http://www.mystuff.org/tags#", term="blue", location="/blue/", user_defined=True
)
SSH = {
    "occi.network.security.protocol": "TCP",
    "occi.network.security.to": 22,
    "occi.network.security.from": 22,
    "occi.network.security.range": "0.0.0.0/24",
}


def rule(*mixins: Mixin, **values: Any) -> EntityDraft:
    attributes = {**SSH, **{k.replace("__", "."): v for k, v in values.items()}}
    return EntityDraft(kind=openstack.RULE_KIND, mixins=list(mixins), attributes=attributes)


def _groups(s: ProjectCloud) -> None:
    s.create_user_mixin(GROUP)
    s.create_user_mixin(OTHER)
    s.create_user_mixin(TAG)


def _rule(s: ProjectCloud, *mixins: Mixin, **values: Any) -> Entity:
    return new_entity(s, rule(*mixins, **values))


def test_a_rule_is_created_in_its_group_with_a_normalised_protocol(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        _groups(s)
        created = _rule(s, GROUP)
    assert created.location.startswith("/network/security/rule/")
    assert created.kind == openstack.SECURITY_RULE
    assert created.attributes["occi.network.security.protocol"] == "tcp"
    assert (
        created.attributes["occi.network.security.from"],
        created.attributes["occi.network.security.to"],
    ) == (22, 22)
    assert created.attributes["occi.network.security.range"] == "0.0.0.0/24"
    assert GROUP.type_id in created.mixins
    assert created.actions == []


@pytest.mark.parametrize(
    ("values", "attribute"),
    [
        (
            {"occi__network__security__from": 80, "occi__network__security__to": 22},
            "occi.network.security.from",
        ),
        ({"occi__network__security__range": "10.0.0.300/8"}, "occi.network.security.range"),
        ({"occi__network__security__range": "everywhere"}, "occi.network.security.range"),
        ({"occi__network__security__protocol": "sctp"}, "occi.network.security.protocol"),
        ({"occi__network__security__from": 0}, "occi.network.security.from"),
        (
            {"occi__network__security__protocol": "icmp", "occi__network__security__to": 300},
            "occi.network.security.to",
        ),
    ],
)
def test_invalid_rules_are_refused_naming_the_attribute(
    backend: LocalBackend, values: dict[str, Any], attribute: str
) -> None:
    with backend.open(A) as s:
        _groups(s)
        with pytest.raises(BadRequest, match=attribute):
            _rule(s, GROUP, **values)


def test_port_defaults_and_range_normalisation(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        _groups(s)
        one_port = new_entity(
            s,
            EntityDraft(
                kind=openstack.RULE_KIND,
                mixins=[GROUP],
                attributes={
                    "occi.network.security.protocol": "udp",
                    "occi.network.security.from": 53,
                    "occi.network.security.range": "192.168.1.7/24",
                },
            ),
        )
        every = new_entity(
            s,
            EntityDraft(
                kind=openstack.RULE_KIND,
                mixins=[GROUP],
                attributes={"occi.network.security.protocol": "tcp"},
            ),
        )
        ping = _rule(
            s,
            GROUP,
            occi__network__security__protocol="icmp",
            occi__network__security__from=-1,
            occi__network__security__to=-1,
        )
    assert one_port.attributes["occi.network.security.to"] == 53
    assert one_port.attributes["occi.network.security.range"] == "192.168.1.0/24"
    assert (
        every.attributes["occi.network.security.from"],
        every.attributes["occi.network.security.to"],
    ) == (1, 65535)
    assert every.attributes["occi.network.security.range"] == "0.0.0.0/0"
    assert ping.attributes["occi.network.security.protocol"] == "icmp"


@pytest.mark.parametrize("mixins", [[], [TAG], [GROUP, OTHER]])
def test_a_rule_needs_exactly_one_security_group(
    backend: LocalBackend, mixins: list[Mixin]
) -> None:
    with backend.open(A) as s:
        _groups(s)
        with pytest.raises(BadRequest, match="exactly one security group"):
            _rule(s, *mixins)


def test_a_rule_cannot_join_a_second_group(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        _groups(s)
        created = _rule(s, GROUP)
        with pytest.raises(BadRequest, match="exactly one security group"):
            s.update_entity(created.location, EntityChanges(add_mixins=[OTHER]))


def test_a_group_lists_its_rules_and_computes(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        _groups(s)
        created = _rule(s, GROUP)
        born = new_entity(s, compute(GROUP))
        joined = new_entity(s, compute())
        s.update_entity(joined.location, EntityChanges(add_mixins=[GROUP]))
        members = s.list_locations(EntityQuery(mixins=(GROUP.type_id,)))
    assert members == [created.location, born.location, joined.location]


def test_deleting_a_group_with_computes_is_a_conflict_naming_how_many(
    backend: LocalBackend,
) -> None:
    with backend.open(A) as s:
        _groups(s)
        created = _rule(s, GROUP)
        new_entity(s, compute(GROUP))
        new_entity(s, compute(GROUP))
    with backend.open(A) as s, pytest.raises(Conflict, match="2 computes"):
        s.delete_user_mixin(GROUP)
    with backend.open(A) as s:
        assert GROUP in s.user_mixins()
        assert s.get_entity(created.location).kind == openstack.SECURITY_RULE


def test_deleting_an_unused_group_deletes_its_rules_with_it(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        _groups(s)
        created = _rule(s, GROUP)
        kept = _rule(s, OTHER)
        vm = new_entity(s, compute(GROUP))
        s.update_entity(vm.location, EntityChanges(remove_mixins=[GROUP]))
        tagged = new_entity(s, storage())
        s.update_entity(tagged.location, EntityChanges(add_mixins=[GROUP]))
    with backend.open(A) as s:
        s.delete_user_mixin(GROUP)
    with backend.open(A) as s:
        with pytest.raises(NotFound):
            s.get_entity(created.location)
        assert s.get_entity(kept.location).kind == openstack.SECURITY_RULE
        assert GROUP.type_id not in s.get_entity(tagged.location).mixins
        assert GROUP not in s.user_mixins()
